//! Follow-ups due: computed afresh from the incident files on every run (no stored outbox
//! to go stale, so a missed cron run only delays a reminder, never loses one).

use std::collections::HashMap;

use crate::model::incident::Followup;
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

/// A pending follow-up that is due, with what its row shows of the incident.
#[derive(Debug, Clone)]
pub struct Due {
    pub followup: Followup,
    pub incident: String,
    pub customer: String,
    pub owner: String,
    pub summary: Option<String>,
}

/// The follow-ups of one incident that the query lists.
pub fn due_in(incident: &Incident, q: &Query) -> Vec<Due> {
    let owner = incident.owner.as_deref().unwrap_or("");
    if q.owner.as_deref().is_some_and(|o| o != owner) {
        return Vec::new();
    }
    pending(incident)
        .filter(|f| if q.overdue_only { f.due < q.at } else { f.due <= q.until })
        .map(|f| Due {
            followup: f.clone(),
            incident: incident.id.clone(),
            customer: incident.customer.clone(),
            owner: owner.to_string(),
            summary: incident.summary.clone(),
        })
        .collect()
}

/// The rows, oldest first, with each customer's name, contact and what to remember.
pub fn rows(mut found: Vec<Due>, customers: &HashMap<String, Customer>, q: &Query) -> Rows {
    found.sort_by(|a, b| {
        a.followup
            .due
            .cmp(&b.followup.due)
            .then(a.incident.cmp(&b.incident))
            .then(a.followup.kind.cmp(&b.followup.kind))
    });
    let mut rows = Rows::new(&COLUMNS);
    for d in found {
        let f = &d.followup;
        let customer = customers.get(&d.customer);
        let remember = customer
            .map(|c| c.critical().iter().map(|e| e.text.as_str()).collect::<Vec<_>>().join("; "))
            .unwrap_or_default();
        let what = match &d.summary {
            Some(s) => format!("{} — {s}", action(f)),
            None => action(f),
        };
        rows.push(vec![
            f.due.into(),
            Cell::Minutes((q.at - f.due).num_minutes()),
            d.incident.as_str().into(),
            d.customer.as_str().into(),
            Cell::opt(customer.map(|c| c.name.as_str())),
            f.kind.as_str().into(),
            d.owner.as_str().into(),
            Cell::opt(customer.map(|c| c.contact.summary())),
            if remember.is_empty() { Cell::Empty } else { Cell::Alert(remember) },
            what.into(),
        ]);
    }
    rows
}
