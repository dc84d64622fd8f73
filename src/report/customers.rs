//! The customer list: one row per customer with what matters at a glance.

use std::collections::HashMap;
use std::path::PathBuf;

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

pub fn histories(incidents: &[(PathBuf, Incident)]) -> HashMap<&str, History> {
    let mut map: HashMap<&str, History> = HashMap::new();
    for (_, incident) in incidents {
        let h = map.entry(incident.customer.as_str()).or_default();
        h.open += i64::from(incident.is_open());
        h.last = h.last.max(Some(incident.opened));
    }
    map
}

pub fn list(customers: &[&Customer], incidents: &[(PathBuf, Incident)], today: NaiveDate) -> Rows {
    let histories = histories(incidents);
    let mut rows =
        Rows::new(&["id", "name", "since", "lifetime_value", "open_incidents", "active_flags", "last_incident"]);
    let mut sorted = customers.to_vec();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for c in sorted {
        let h = histories.get(c.id.as_str()).copied().unwrap_or_default();
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
