//! Incidents, one row each: what `care recover list` prints, with the incident's extra
//! fields as the last columns (one per extra field name in the book, sorted) so scripts
//! can split the list by site or region.

use std::path::PathBuf;

use chrono_tz::Tz;

use crate::model::Incident;
use crate::model::recovery::{StepKind, pending};
use crate::report::query::{Extras, IncidentView, Query, Seen};
use crate::rows::{Cell, Rows};

pub const COLUMNS: [&str; 12] = [
    "id", "opened", "customer", "owner", "staff", "product", "location", "busyness", "summary", "steps", "status",
    "next_due",
];

/// The incidents the query selects (by opening time and `--where`), as rows, and every
/// extra field name met in the book (to check the query's fields against).
pub fn filtered(records: &[(PathBuf, (Incident, Extras))], q: &Query, tz: Tz) -> (Rows, Seen) {
    let mut seen = Seen::default();
    let mut selected = Vec::new();
    for (_, (incident, extras)) in records {
        seen.add(extras);
        if q.in_window(incident.opened) && q.matches(&IncidentView { incident, extras: Some(extras), tz }) {
            selected.push((incident, Some(extras)));
        }
    }
    let base: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    (list(&selected, &seen.columns(&base)), seen)
}

pub fn list(incidents: &[(&Incident, Option<&Extras>)], extra_columns: &[String]) -> Rows {
    let mut rows = Rows::new(&COLUMNS);
    rows.columns.extend(extra_columns.iter().cloned());
    let mut sorted = incidents.to_vec();
    sorted.sort_by(|(a, _), (b, _)| a.opened.cmp(&b.opened).then(a.id.cmp(&b.id)));
    for (i, extras) in sorted {
        let steps: Vec<String> =
            [StepKind::Apologize, StepKind::Review, StepKind::Fix, StepKind::Extra, StepKind::Close]
                .into_iter()
                .filter(|k| k.get(i).is_some())
                .map(|k| k.field().to_string())
                .collect();
        let mut row = vec![
            i.id.as_str().into(),
            i.opened.into(),
            i.customer.as_str().into(),
            Cell::opt(i.owner.as_deref()),
            Cell::opt(i.staff.as_deref()),
            Cell::opt(i.product.as_deref()),
            Cell::opt(i.location.as_deref()),
            Cell::opt(i.busyness.map(|b| Cell::Int(i64::from(b)))),
            Cell::opt(i.summary.as_deref()),
            Cell::List(steps),
            if i.is_open() { "open" } else { "closed" }.into(),
            Cell::opt(pending(i).map(|f| f.due).min()),
        ];
        row.extend(extra_columns.iter().map(|c| Cell::opt(extras.and_then(|e| e.get(c)).map(String::as_str))));
        rows.push(row);
    }
    rows
}
