//! The customer list: one row per customer with what matters at a glance.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::model::{Customer, Incident, visit};
use crate::report::query::{CustomerView, Extras, Query, Seen};
use crate::rows::{Cell, Rows};
use crate::time::Stamp;

/// Per customer: open incidents and when the last one was opened.
#[derive(Debug, Default, Clone, Copy)]
pub struct History {
    pub open: i64,
    pub last: Option<Stamp>,
}

/// Incident history per customer id, built incident by incident.
#[derive(Debug, Default, Clone)]
pub struct Histories(HashMap<String, History>);

impl Histories {
    pub fn add(&mut self, incident: &Incident) {
        let h = self.0.entry(incident.customer.clone()).or_default();
        h.open += i64::from(incident.is_open());
        h.last = h.last.max(Some(incident.opened));
    }

    pub fn merge(&mut self, other: Histories) {
        for (id, theirs) in other.0 {
            let h = self.0.entry(id).or_default();
            h.open += theirs.open;
            h.last = h.last.max(theirs.last);
        }
    }
}

pub fn list(customers: &[&Customer], histories: &Histories, today: NaiveDate) -> Rows {
    let mut rows = Rows::new(&[
        "id",
        "name",
        "since",
        "lifetime_value",
        "open_incidents",
        "active_flags",
        "last_incident",
        "last_visit",
        "visits",
        "spend",
        "value",
        "value_source",
    ]);
    let mut sorted = customers.to_vec();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for c in sorted {
        let h = histories.0.get(c.id.as_str()).copied().unwrap_or_default();
        let visits = c.visit_summary();
        let value = visit::lifetime_value(c.lifetime_value, &visits);
        rows.push(vec![
            c.id.as_str().into(),
            c.name.as_str().into(),
            Cell::opt(c.since),
            Cell::opt(c.lifetime_value.map(Cell::Amount)),
            Cell::Int(h.open),
            Cell::Int(c.active_flags(today).len() as i64),
            Cell::opt(h.last),
            Cell::opt(visits.last),
            Cell::Int(visits.count as i64),
            Cell::Amount(visits.spend),
            Cell::opt(value.map(|(v, _)| Cell::Amount(v))),
            Cell::opt(value.map(|(_, s)| s.as_str())),
        ]);
    }
    rows
}

/// The customers the query selects (by `since` and `--where` on customer fields), and
/// every extra field name met (to check the query's fields against).
pub fn select<'a>(records: &'a [(PathBuf, (Customer, Extras))], q: &Query, tz: Tz) -> (Vec<&'a Customer>, Seen) {
    let mut seen = Seen::default();
    let mut selected = Vec::new();
    for (_, (customer, extras)) in records {
        seen.add(extras);
        let in_window =
            q.since.is_none() && q.until.is_none() || customer.since.is_some_and(|d| q.date_in_window(d, tz));
        if in_window && q.matches(&CustomerView { customer, extras: Some(extras) }) {
            selected.push(customer);
        }
    }
    (selected, seen)
}
