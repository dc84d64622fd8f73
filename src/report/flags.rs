//! Flags across the book, newest first. A flag is filtered on its customer's fields and,
//! when an incident raised it, on that incident's (so a site sees the flags raised there),
//! with `--since/--until` on when it was raised.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::model::{Customer, Incident};
use crate::report::query::{CustomerView, Extras, IncidentView, LinkedView, Query};
use crate::rows::{Cell, Rows};

/// The incidents flags were raised by, with their extra fields, by id.
pub type Linked = HashMap<String, (Incident, Extras)>;

/// The ids of the incidents that raised a flag: the only ones a filter may need to read.
pub fn raised_by(customers: &[(PathBuf, (Customer, Extras))]) -> BTreeSet<String> {
    customers.iter().flat_map(|(_, (c, _))| c.flags.iter().filter_map(|f| f.incident.clone())).collect()
}

pub fn list(
    customers: &[(PathBuf, (Customer, Extras))],
    linked: &Linked,
    q: &Query,
    tz: Tz,
    today: NaiveDate,
    all: bool,
) -> Rows {
    let mut found = Vec::new();
    for (_, (c, extras)) in customers {
        let customer = CustomerView { customer: c, extras: Some(extras) };
        for (i, f) in c.flags.iter().enumerate() {
            let status = if f.cleared.is_some() {
                "cleared"
            } else if f.is_active(today) {
                "active"
            } else {
                "expired"
            };
            let incident = f.incident.as_ref().and_then(|id| linked.get(id)).map(|(incident, extras)| IncidentView {
                incident,
                extras: Some(extras),
                tz,
            });
            let in_window = q.since.is_none() && q.until.is_none() || f.raised.is_some_and(|t| q.in_window(t));
            if (all || status == "active") && in_window && q.matches(&LinkedView { customer, incident }) {
                found.push((c, i + 1, f, status));
            }
        }
    }
    found.sort_by(|a, b| b.2.raised.cmp(&a.2.raised).then(a.0.id.cmp(&b.0.id)).then(a.1.cmp(&b.1)));
    let mut rows = Rows::new(&["customer", "name", "n", "text", "raised", "by", "until", "incident", "status"]);
    for (c, n, f, status) in found {
        rows.push(vec![
            c.id.as_str().into(),
            c.name.as_str().into(),
            Cell::Int(n as i64),
            f.text.as_str().into(),
            Cell::opt(f.raised),
            f.by.as_str().into(),
            Cell::opt(f.until),
            Cell::opt(f.incident.as_deref()),
            status.into(),
        ]);
    }
    rows
}
