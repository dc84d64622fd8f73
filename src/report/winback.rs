//! Win-back: the customers a service failure may have cost us — they had an incident and
//! have not visited since — ordered by the lifetime value at risk, each with their ally
//! (the incident's owner, who should make the call) and what to remember before calling.
//! Pure: records in, rows out; "came back" is `model::visit::came_back`.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::model::{Customer, Incident, visit};
use crate::output::{Cell, Rows};
use crate::report::query::{CustomerView, Extras, IncidentView, LinkedView, Query};

pub const COLUMNS: [&str; 14] = [
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
    "days_since",
    "contact",
    "remember",
];

/// Incidents in the query's time window, by customer id, as the fold collects them.
pub type ByCustomer = HashMap<String, Vec<(Incident, Extras)>>;

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
/// it; the most value at risk first, then the oldest failure. The incidents may be the
/// index's digests: `rows` wants the full ones (the recovery's steps) for these few.
pub fn select<'a>(
    customers: &'a [(PathBuf, (Customer, Extras))],
    incidents: &ByCustomer,
    q: &Query,
    tz: Tz,
) -> Vec<Lost<'a>> {
    let mut found = Vec::new();
    for (_, (c, extras)) in customers {
        let Some(theirs) = incidents.get(&c.id) else { continue };
        let customer = CustomerView { customer: c, extras: Some(extras) };
        let latest = theirs
            .iter()
            .filter(|(i, e)| {
                q.matches(&LinkedView { customer, incident: Some(IncidentView { incident: i, extras: Some(e), tz }) })
            })
            .max_by_key(|(i, _)| i.opened);
        let Some((incident, _)) = latest else { continue };
        if visit::came_back(&c.visits, incident) {
            continue;
        }
        let visits = visit::summary(&c.visits);
        let value = visit::lifetime_value(c.lifetime_value, &visits);
        found.push(Lost { customer: c, incident: incident.clone(), visits, value });
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
            Cell::Int(visit::days_since(&seen, today)),
            c.contact.summary().into(),
            if remember.is_empty() { Cell::Empty } else { Cell::Alert(remember) },
        ]);
    }
    rows
}
