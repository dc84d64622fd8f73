//! Flat rows of everything, for spreadsheets and other tools: one row per customer,
//! incident, entry, follow-up or flag, each with the ids that tie it to the rest.
//!
//! Every kind takes the shared filter (`report::query`): customers and notes on customer
//! fields, incidents and follow-ups on incident fields; `--since/--until` on the row's own
//! time (since, entry at, opened, due). Incidents and follow-ups end with `location` and
//! one column per extra field name in the book, sorted.
//!
//! Rows are built one record at a time, so `export` can print them as the book is read
//! and hold none.

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::model::fields::{self, CUSTOMER, INCIDENT, Val};
use crate::model::recovery::StepKind;
use crate::model::{Customer, Incident, Section};
use crate::report::query::{CustomerView, Extras, IncidentView, Query};
use crate::rows::Cell;

/// The customer's own fields as `--where` knows them (`model::fields`), then what the
/// row works out.
pub const CUSTOMER_COLUMNS: [&str; CUSTOMER_OWN.len() + 7] =
    fields::concat(&CUSTOMER_OWN, &["remember", "roles", "goals", "preferences", "notes", "missteps", "active_flags"]);

const CUSTOMER_OWN: [&str; fields::filter_count(CUSTOMER)] = fields::filter_names(CUSTOMER);

/// The incident's own fields every list reads (`model::fields`), then its recovery.
pub const INCIDENT_COLUMNS: [&str; 20] = fields::concat(
    &fields::names::<_, { fields::listed_count(INCIDENT) }>(INCIDENT, true),
    &["apologized", "reviewed", "fixed", "extra", "extra_value", "closed", "minutes_to_fix", "status"],
);

pub const NOTE_COLUMNS: [&str; 9] = ["customer", "name", "kind", "text", "at", "by", "critical", "incident", "retired"];

pub const FOLLOWUP_COLUMNS: [&str; 12] = [
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
    "location",
];

/// A kind's columns, then the extra field names of the book (`Seen::columns`).
pub fn columns(base: &[&str], extra: &[String]) -> Vec<String> {
    base.iter().map(|c| c.to_string()).chain(extra.iter().cloned()).collect()
}

/// Does the filter select this customer? `--since/--until` on the date they became one.
pub fn customer_selected(customer: &Customer, extras: &Extras, q: &Query, tz: Tz) -> bool {
    let in_window = q.since.is_none() && q.until.is_none() || customer.since.is_some_and(|d| q.date_in_window(d, tz));
    in_window && q.matches(&CustomerView { customer, extras: Some(extras) })
}

/// Do the `--where` conditions select this incident? (Time windows are each kind's own.)
pub fn incident_selected(incident: &Incident, extras: &Extras, q: &Query, tz: Tz) -> bool {
    q.matches(&IncidentView { incident, extras: Some(extras), tz })
}

fn extra_cells<'a>(extras: &'a Extras, columns: &'a [String]) -> impl Iterator<Item = Cell> + 'a {
    columns.iter().map(|c| Cell::opt(extras.get(c).map(String::as_str)))
}

pub fn customer_row(c: &Customer, today: NaiveDate) -> Vec<Cell> {
    let count = |s: Section| Cell::Int(c.current(s).len() as i64);
    let remember: Vec<&str> = c.critical().iter().map(|e| e.text.as_str()).collect();
    let own =
        CUSTOMER_OWN.iter().map(|name| fields::filter_get(CUSTOMER, name).map_or(Cell::Empty, |get| cell(get(c))));
    own.chain([
        remember.join("; ").into(),
        count(Section::Role),
        count(Section::Goal),
        count(Section::Preference),
        count(Section::Note),
        count(Section::Misstep),
        Cell::Int(c.active_flags(today).len() as i64),
    ])
    .collect()
}

/// An incident's row, if it was opened inside `--since/--until`.
pub fn incident_row(i: &Incident, extras: &Extras, q: &Query, extra_columns: &[String]) -> Option<Vec<Cell>> {
    if !q.in_window(i.opened) {
        return None;
    }
    let at = |k: StepKind| Cell::opt(k.get(i).map(|s| s.at));
    let extra = i.recovery.extra.as_ref();
    let mut row: Vec<Cell> = INCIDENT.iter().filter(|f| f.listed).map(|f| cell((f.get)(i))).collect();
    row.extend([
        at(StepKind::Apologize),
        at(StepKind::Review),
        at(StepKind::Fix),
        Cell::opt(extra.and_then(|e| e.what.as_deref())),
        Cell::opt(extra.and_then(|e| e.value).map(Cell::Amount)),
        at(StepKind::Close),
        Cell::opt(i.recovery.fixed.as_ref().map(|f| Cell::Minutes((f.at - i.opened).num_minutes()))),
        if i.is_open() { "open" } else { "closed" }.into(),
    ]);
    row.extend(extra_cells(extras, extra_columns));
    Some(row)
}

/// A field's value as a cell.
fn cell(v: Val<'_>) -> Cell {
    match v {
        Val::Text(s) => Cell::opt(s),
        Val::Percent(b) => Cell::opt(b.map(|b| Cell::Int(i64::from(b)))),
        Val::Amount(a) => Cell::opt(a.map(Cell::Amount)),
        Val::Time(t) => Cell::opt(t.copied()),
        Val::Date(d) => Cell::opt(d),
        Val::List(l) => Cell::List(l.to_vec()),
        Val::Nested => Cell::Empty,
    }
}

/// Every entry of a customer record: roles, goals, preferences, notes, missteps.
pub fn note_rows(c: &Customer, q: &Query) -> Vec<Vec<Cell>> {
    let windowed = q.since.is_some() || q.until.is_some();
    let mut rows = Vec::new();
    for section in Section::ALL {
        for e in c.entries(section) {
            if windowed && !e.at.is_some_and(|t| q.in_window(t)) {
                continue;
            }
            rows.push(vec![
                c.id.as_str().into(),
                c.name.as_str().into(),
                section.label().into(),
                e.text.as_str().into(),
                Cell::opt(e.at),
                e.by.as_str().into(),
                Cell::Bool(e.critical),
                Cell::opt(e.incident.as_deref()),
                Cell::opt(e.retired),
            ]);
        }
    }
    rows
}

/// An incident's follow-ups due inside `--since/--until`.
pub fn followup_rows(i: &Incident, extras: &Extras, q: &Query, extra_columns: &[String]) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    for f in i.followups.iter().filter(|f| q.in_window(f.due)) {
        let done = f.done.as_ref();
        let mut row = vec![
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
            Cell::opt(i.location.as_deref()),
        ];
        row.extend(extra_cells(extras, extra_columns));
        rows.push(row);
    }
    rows
}

/// `export followups`, the customers' reminders: one row per occurrence done and one for
/// the occurrence pending, in the follow-ups' columns (kind `reminder`), so a
/// spreadsheet of follow-ups holds them too. The filter sees a reminder as `followup due`
/// does (customer, owner, kind); `extra` is how many extra columns the rows have.
pub fn reminder_rows(c: &Customer, q: &Query, clock: &crate::time::Clock, extra: usize) -> Vec<Vec<Cell>> {
    use crate::model::reminder;
    let mut rows = Vec::new();
    for r in &c.reminders {
        if !super::followups::reminder_matches(c, r.owner.as_deref(), q) {
            continue;
        }
        let row = |due, done: Option<&reminder::Mark>| {
            let mut row = vec![
                // Its own id where an incident's would be, as `followup due` shows it.
                Cell::opt(reminder::full_id(&c.id, r)),
                c.id.as_str().into(),
                Cell::opt(r.owner.as_deref()),
                super::followups::REMINDER.into(),
                Cell::from(due),
                Cell::opt(done.map(|d| d.at)),
                Cell::opt(done.map(|d| d.by.as_str())),
                Cell::opt(done.and_then(|d| d.how.as_deref())),
                Cell::Empty,
                r.text.as_str().into(),
                if done.is_some() { "done" } else { "pending" }.into(),
                Cell::Empty,
            ];
            row.extend(std::iter::repeat_n(Cell::Empty, extra));
            row
        };
        let mut marks: Vec<&reminder::Mark> = r.done.iter().collect();
        marks.sort_by_key(|m| m.occurrence);
        for m in marks.into_iter().filter(|m| q.in_window(m.occurrence)) {
            rows.push(row(m.occurrence, Some(m)));
        }
        if let Some(due) = reminder::pending(r, clock.now(), clock).filter(|d| q.in_window(*d)) {
            rows.push(row(due, None));
        }
    }
    rows
}
