//! Incidents, one row each: what `care recover list` prints, with the incident's extra
//! fields as the last columns (one per extra field name in the book, sorted) so scripts
//! can split the list by site or region.

use chrono_tz::Tz;

use crate::model::Incident;
use crate::model::fields::{self, BUSYNESS, CUSTOMER_ID, ID, LOCATION, OPENED, OWNER, PRODUCT, STAFF, SUMMARY};
use crate::model::recovery::{StepKind, pending};
use crate::report::query::{Extras, IncidentView, Query};
use crate::rows::Cell;

/// The incident's own fields the list shows (named as the catalogue names them), then
/// what it works out.
pub const COLUMNS: [&str; 12] = fields::concat(
    &[ID, OPENED, CUSTOMER_ID, OWNER, STAFF, PRODUCT, LOCATION, BUSYNESS, SUMMARY],
    &["steps", "status", "next_due"],
);

/// Whether `recover list` lists this incident: opened within the query's window, and
/// matching its conditions.
pub fn selected(incident: &Incident, extras: &Extras, q: &Query, tz: Tz) -> bool {
    q.in_window(incident.opened) && q.matches(&IncidentView { incident, extras: Some(extras), tz })
}

/// The columns of the list: `COLUMNS`, then the extra field names met in the book, as
/// `Seen::columns` gives them.
pub fn columns(extra_columns: &[String]) -> Vec<String> {
    COLUMNS.iter().map(|c| c.to_string()).chain(extra_columns.iter().cloned()).collect()
}

/// An incident's row, its extras in `extra_columns` last. The list is in order of
/// opening, then id (`Book::each_picked`).
pub fn row(i: &Incident, extras: Option<&Extras>, extra_columns: &[String]) -> Vec<Cell> {
    let steps: Vec<String> =
        StepKind::ALL.into_iter().filter(|k| k.get(i).is_some()).map(|k| k.field().to_string()).collect();
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
    row
}
