//! The customer list: one row per customer with what matters at a glance.

use std::collections::HashMap;

use chrono::NaiveDate;
use regex::Regex;

use crate::model::{Customer, Incident, Section};
use crate::output::{Cell, Rows};
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
    let mut rows =
        Rows::new(&["id", "name", "since", "lifetime_value", "open_incidents", "active_flags", "last_incident"]);
    let mut sorted = customers.to_vec();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for c in sorted {
        let h = histories.0.get(c.id.as_str()).copied().unwrap_or_default();
        rows.push(vec![
            c.id.as_str().into(),
            c.name.as_str().into(),
            Cell::opt(c.since),
            Cell::opt(c.lifetime_value.map(Cell::Amount)),
            Cell::Int(h.open),
            Cell::Int(c.active_flags(today).len() as i64),
            Cell::opt(h.last),
        ]);
    }
    rows
}

/// True when the id, name, contact or any entry or flag text matches.
pub fn matches(c: &Customer, re: &Regex) -> bool {
    let entries = Section::ALL.iter().flat_map(|&s| c.entries(s)).map(|e| e.text.as_str());
    let flags = c.flags.iter().map(|f| f.text.as_str());
    let fields = [
        c.id.as_str(),
        c.name.as_str(),
        c.contact.email.as_deref().unwrap_or(""),
        c.contact.phone.as_deref().unwrap_or(""),
    ];
    fields.into_iter().chain(entries).chain(flags).any(|t| re.is_match(t))
}
