//! Win-back: the customers a service failure may have cost us — they had an incident and
//! have not visited since, or came back but are now past twice their usual gap between
//! visits — ordered by the lifetime value at risk, each with their ally
//! (the incident's owner, who should make the call) and what to remember before calling.
//! Pure: records in, rows out; "came back" is `model::visit::came_back`.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::NaiveDate;

use crate::model::{Customer, Incident, visit};
use crate::report::query::{CustomerView, Extras, Query};
use crate::rows::{Cell, Rows};

pub const COLUMNS: [&str; 15] = [
    "customer",
    "name",
    "value",
    "value_source",
    "incident",
    "opened",
    "summary",
    "recovery",
    "owner",
    "last_visit",
    "visits",
    "usual_gap",
    "days_since",
    "contact",
    "remember",
];

/// Each customer's latest incident that the incident side of the filter selects, as the
/// fold keeps them (one per customer, so memory follows customers, not incidents).
#[derive(Debug, Default)]
pub struct Latest(pub HashMap<String, Incident>);

impl Latest {
    pub fn add(&mut self, incident: &Incident) {
        match self.0.get(&incident.customer) {
            Some(kept) if kept.opened >= incident.opened => {}
            // Its follow-ups are not shown (the row's incident is read again in full): let
            // them go, so 100,000 customers' latest incidents stay small.
            _ => drop(self.0.insert(incident.customer.clone(), Incident { followups: Vec::new(), ..incident.clone() })),
        }
    }

    pub fn merge(&mut self, other: Latest) {
        for (_, incident) in other.0 {
            self.add(&incident);
        }
    }
}

/// The query split in two: conditions on a customer's fields (those `CustomerView` has, or
/// an extra field some customer has — the customer wins a name both have, as
/// `LinkedView` reads it) and the rest, with the time window, on the incident.
pub fn split(q: &Query, customer_extras: &std::collections::BTreeSet<String>) -> (Query, Query) {
    let on_customer = |f: &str| crate::report::query::CUSTOMER_FIELDS.contains(&f) || customer_extras.contains(f);
    let (customer, incident): (Vec<_>, Vec<_>) = q.conds.iter().cloned().partition(|c| on_customer(&c.field));
    (Query { conds: customer, since: None, until: None }, Query { conds: incident, since: q.since, until: q.until })
}

/// How far the recovery went, in a word: `full` (apology, review, fix, extra and closed),
/// `open`, or what a closed incident lacked (`no extra`, `no apology`).
pub fn recovery(i: &Incident) -> String {
    let r = &i.recovery;
    if r.closed.is_none() {
        return "open".into();
    }
    let missing: Vec<&str> = [
        (r.apologized.is_none(), "no apology"),
        (r.reviewed.is_none(), "no review"),
        (r.fixed.is_none(), "no fix"),
        (r.extra.is_none(), "no extra"),
    ]
    .into_iter()
    .filter_map(|(gone, what)| gone.then_some(what))
    .collect();
    if missing.is_empty() { "full".into() } else { missing.join(", ") }
}

/// A customer to win back: their record, the failure, and what their visits add up to.
#[derive(Debug, Clone)]
pub struct Lost<'a> {
    pub customer: &'a Customer,
    pub incident: Incident,
    pub visits: visit::Summary,
    pub value: Option<(f64, visit::Source)>,
}

/// Every customer whose latest incident the filter selects and who has not come back since
/// it, or has but is past twice their usual gap since (on `today`); the most value at risk first, then the oldest failure. The incidents may be the
/// index's digests: `rows` wants the full ones (the recovery's steps) for these few.
pub fn select<'a>(
    customers: &'a [(PathBuf, (Customer, Extras))],
    mut latest: Latest,
    on_customer: &Query,
    today: NaiveDate,
) -> Vec<Lost<'a>> {
    let mut found = Vec::new();
    for (_, (c, extras)) in customers {
        // Taken, not copied: a customer's latest incident is listed once at most.
        let Some(incident) = latest.0.remove(&c.id) else { continue };
        if !on_customer.matches(&CustomerView { customer: c, extras: Some(extras) }) {
            continue;
        }
        let visits = c.visit_summary();
        if visit::came_back(visits.last, &incident) && !visits.lapsed(today) {
            continue;
        }
        let value = visit::lifetime_value(c.lifetime_value, &visits);
        found.push(Lost { customer: c, incident, visits, value });
    }
    let at_risk = |l: &Lost| l.value.map_or(0.0, |(v, _)| v);
    found.sort_by(|a, b| {
        at_risk(b)
            .total_cmp(&at_risk(a))
            .then(a.incident.opened.cmp(&b.incident.opened))
            .then(a.customer.id.cmp(&b.customer.id))
    });
    found
}

/// The rows, in the order `select` gave.
pub fn rows(lost: &[Lost], today: NaiveDate) -> Rows {
    let mut rows = Rows::new(&COLUMNS);
    for l in lost {
        let (c, i) = (l.customer, &l.incident);
        let remember = c.critical().iter().map(|e| e.text.as_str()).collect::<Vec<_>>().join("; ");
        let seen = l.visits.last.map_or(i.opened, |last| last.max(i.opened));
        rows.push(vec![
            c.id.as_str().into(),
            c.name.as_str().into(),
            Cell::opt(l.value.map(|(v, _)| Cell::Amount(v))),
            Cell::opt(l.value.map(|(_, s)| s.as_str())),
            i.id.as_str().into(),
            i.opened.into(),
            Cell::opt(i.summary.as_deref()),
            recovery(i).into(),
            Cell::opt(i.owner.as_deref()),
            Cell::opt(l.visits.last),
            Cell::Int(l.visits.count as i64),
            Cell::opt(l.visits.usual_gap().map(|g| Cell::Int(g.round() as i64))),
            Cell::Int(visit::days_since(&seen, today)),
            c.contact.summary().into(),
            if remember.is_empty() { Cell::Empty } else { Cell::Alert(remember) },
        ]);
    }
    rows
}
