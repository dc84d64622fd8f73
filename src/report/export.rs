//! Flat rows of everything, for spreadsheets and other tools: one row per customer,
//! incident, entry, follow-up or flag, each with the ids that tie it to the rest.

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::model::recovery::StepKind;
use crate::model::{Customer, Incident, Section};
use crate::output::{Cell, Rows};

type Records<'a, T> = &'a [(PathBuf, T)];

pub fn customers(customers: Records<'_, Customer>, today: NaiveDate) -> Rows {
    let mut rows = Rows::new(&[
        "id",
        "name",
        "since",
        "email",
        "phone",
        "lifetime_value",
        "remember",
        "roles",
        "goals",
        "preferences",
        "notes",
        "missteps",
        "active_flags",
    ]);
    for (_, c) in customers {
        let count = |s: Section| Cell::Int(c.current(s).len() as i64);
        let remember: Vec<&str> = c.critical().iter().map(|e| e.text.as_str()).collect();
        rows.push(vec![
            c.id.as_str().into(),
            c.name.as_str().into(),
            Cell::opt(c.since),
            Cell::opt(c.contact.email.as_deref()),
            Cell::opt(c.contact.phone.as_deref()),
            Cell::opt(c.lifetime_value.map(Cell::Amount)),
            remember.join("; ").into(),
            count(Section::Role),
            count(Section::Goal),
            count(Section::Preference),
            count(Section::Note),
            count(Section::Misstep),
            Cell::Int(c.active_flags(today).len() as i64),
        ]);
    }
    rows
}

pub fn incidents(incidents: Records<'_, Incident>) -> Rows {
    let mut rows = Rows::new(&[
        "id",
        "customer",
        "opened",
        "staff",
        "owner",
        "product",
        "location",
        "channel",
        "busyness",
        "summary",
        "circumstances",
        "tags",
        "apologized",
        "reviewed",
        "fixed",
        "extra",
        "extra_value",
        "closed",
        "minutes_to_fix",
        "status",
    ]);
    for (_, i) in incidents {
        let at = |k: StepKind| Cell::opt(k.get(i).map(|s| s.at));
        let extra = i.recovery.extra.as_ref();
        rows.push(vec![
            i.id.as_str().into(),
            i.customer.as_str().into(),
            i.opened.into(),
            Cell::opt(i.staff.as_deref()),
            Cell::opt(i.owner.as_deref()),
            Cell::opt(i.product.as_deref()),
            Cell::opt(i.location.as_deref()),
            Cell::opt(i.channel.as_deref()),
            Cell::opt(i.busyness.map(|b| Cell::Int(i64::from(b)))),
            Cell::opt(i.summary.as_deref()),
            Cell::opt(i.circumstances.as_deref()),
            i.tags.join(";").into(),
            at(StepKind::Apologize),
            at(StepKind::Review),
            at(StepKind::Fix),
            Cell::opt(extra.and_then(|e| e.what.as_deref())),
            Cell::opt(extra.and_then(|e| e.value).map(Cell::Amount)),
            at(StepKind::Close),
            Cell::opt(i.recovery.fixed.as_ref().map(|f| Cell::Minutes((f.at - i.opened).num_minutes()))),
            if i.is_open() { "open" } else { "closed" }.into(),
        ]);
    }
    rows
}

/// Every entry of every customer record: roles, goals, preferences, notes, missteps.
pub fn notes(customers: Records<'_, Customer>) -> Rows {
    let mut rows = Rows::new(&["customer", "name", "kind", "text", "at", "by", "critical", "incident", "retired"]);
    for (_, c) in customers {
        for section in Section::ALL {
            for e in c.entries(section) {
                rows.push(vec![
                    c.id.as_str().into(),
                    c.name.as_str().into(),
                    section.label().into(),
                    e.text.as_str().into(),
                    Cell::opt(e.at),
                    e.by.as_str().into(),
                    if e.critical { "yes" } else { "" }.into(),
                    Cell::opt(e.incident.as_deref()),
                    Cell::opt(e.retired),
                ]);
            }
        }
    }
    rows
}

pub fn followups(incidents: Records<'_, Incident>) -> Rows {
    let mut rows = Rows::new(&[
        "incident",
        "customer",
        "owner",
        "kind",
        "due",
        "done_at",
        "done_by",
        "how",
        "missed_by",
        "text",
        "status",
    ]);
    for (_, i) in incidents {
        for f in &i.followups {
            let done = f.done.as_ref();
            rows.push(vec![
                i.id.as_str().into(),
                i.customer.as_str().into(),
                Cell::opt(i.owner.as_deref()),
                f.kind.as_str().into(),
                f.due.into(),
                Cell::opt(done.map(|d| d.at)),
                Cell::opt(done.map(|d| d.by.as_str())),
                Cell::opt(done.and_then(|d| d.how.as_deref()).or(f.how.as_deref())),
                Cell::opt(f.missed_by.map(Cell::Minutes)),
                Cell::opt(f.text.as_deref()),
                if done.is_some() { "done" } else { "pending" }.into(),
            ]);
        }
    }
    rows
}
