//! Follow-ups due: computed afresh from the incident files on every run (no stored outbox
//! to go stale, so a missed cron run only delays a reminder, never loses one).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::model::recovery::{action, pending};
use crate::model::{Customer, Incident};
use crate::output::{Cell, Rows};
use crate::time::Stamp;

/// Which follow-ups to list.
#[derive(Debug, Clone)]
pub struct Query {
    /// The moment "overdue" is measured from.
    pub at: Stamp,
    /// List what is due up to here (`at` + `--within`), to warn before a breach.
    pub until: Stamp,
    pub owner: Option<String>,
    /// Only follow-ups already past due at `at`.
    pub overdue_only: bool,
}

pub const COLUMNS: [&str; 10] =
    ["due", "overdue_by", "incident", "customer", "name", "kind", "owner", "contact", "remember", "what"];

pub fn due(incidents: &[(PathBuf, Incident)], customers: &[(PathBuf, Customer)], q: &Query) -> Rows {
    let by_id: HashMap<&str, &Customer> = customers.iter().map(|(_, c)| (c.id.as_str(), c)).collect();
    let mut found = Vec::new();
    for (_, incident) in incidents {
        let owner = incident.owner.as_deref().unwrap_or("");
        if q.owner.as_deref().is_some_and(|o| o != owner) {
            continue;
        }
        for f in pending(incident) {
            let listed = if q.overdue_only { f.due < q.at } else { f.due <= q.until };
            if listed {
                found.push((f, incident, owner));
            }
        }
    }
    found.sort_by(|a, b| a.0.due.cmp(&b.0.due).then(a.1.id.cmp(&b.1.id)).then(a.0.kind.cmp(&b.0.kind)));
    let mut rows = Rows::new(&COLUMNS);
    for (f, incident, owner) in found {
        let customer = by_id.get(incident.customer.as_str());
        let remember = customer
            .map(|c| c.critical().iter().map(|e| e.text.as_str()).collect::<Vec<_>>().join("; "))
            .unwrap_or_default();
        let what = match &incident.summary {
            Some(s) => format!("{} — {s}", action(f)),
            None => action(f),
        };
        rows.push(vec![
            f.due.into(),
            Cell::Minutes((q.at - f.due).num_minutes()),
            incident.id.as_str().into(),
            incident.customer.as_str().into(),
            Cell::opt(customer.map(|c| c.name.as_str())),
            f.kind.as_str().into(),
            owner.into(),
            Cell::opt(customer.map(|c| c.contact.summary())),
            if remember.is_empty() { Cell::Empty } else { Cell::Alert(remember) },
            what.into(),
        ]);
    }
    rows
}
