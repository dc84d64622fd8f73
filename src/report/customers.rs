//! The customer list: one row per customer with what matters at a glance.
//!
//! Built flat: each customer is cut down to its row's few values (`Listed`) on the core
//! that read the record, and each incident adds to a small tally of the customer it
//! names (`History`), so a list of 100,000 customers over a million incidents holds a
//! few dozen bytes of each, never a record or a row; the rows are made as they print.

use std::collections::HashMap;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::model::{Customer, Incident, visit};
use crate::report::query::{CustomerView, Extras, Query};
use crate::rows::Cell;
use crate::time::Stamp;

pub const COLUMNS: [&str; 12] = [
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
];

/// What a customer's row shows of their record.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: Box<str>,
    name: Box<str>,
    since: Option<NaiveDate>,
    lifetime_value: Option<f64>,
    pub active_flags: u32,
    visits: u32,
    last_visit: Option<Stamp>,
    spend: f64,
}

impl Listed {
    pub fn new(c: &Customer, today: NaiveDate) -> Listed {
        let visits = c.visit_summary();
        Listed {
            id: c.id.as_str().into(),
            name: c.name.as_str().into(),
            since: c.since,
            lifetime_value: c.lifetime_value,
            active_flags: c.active_flags(today).len() as u32,
            visits: visits.count as u32,
            last_visit: visits.last,
            spend: visits.spend,
        }
    }
}

/// Does the query select this customer (by `since` and `--where` on customer fields)?
pub fn selected(customer: &Customer, extras: &Extras, q: &Query, tz: Tz) -> bool {
    let in_window = q.since.is_none() && q.until.is_none() || customer.since.is_some_and(|d| q.date_in_window(d, tz));
    in_window && q.matches(&CustomerView { customer, extras: Some(extras) })
}

/// Per customer: open incidents and when the last one was opened.
#[derive(Debug, Default, Clone, Copy)]
pub struct History {
    pub open: u32,
    pub last: Option<Stamp>,
}

/// The listed customers' incident histories, by their place in the sorted list: one
/// small tally each, whatever the number of incidents.
#[derive(Debug, Clone)]
pub struct Histories(Vec<History>);

/// Where each listed customer's tally is: the first of the sorted list with that id (a
/// customer whose id two files share shows the same history on both rows, as it always has).
#[derive(Debug)]
pub struct Places<'a>(HashMap<&'a str, u32>);

impl<'a> Places<'a> {
    /// `listed` sorted by id.
    pub fn new(listed: &'a [Listed]) -> Places<'a> {
        let mut places = HashMap::with_capacity(listed.len());
        for (n, l) in listed.iter().enumerate() {
            places.entry(&*l.id).or_insert(n as u32);
        }
        Places(places)
    }

    pub fn histories(&self) -> Histories {
        Histories(vec![History::default(); self.0.values().map(|&n| n as usize + 1).max().unwrap_or(0)])
    }

    fn of(&self, id: &str) -> Option<usize> {
        self.0.get(id).map(|&n| n as usize)
    }
}

impl Histories {
    pub fn add(&mut self, places: &Places, incident: &Incident) {
        let Some(n) = places.of(&incident.customer) else { return };
        let h = &mut self.0[n];
        h.open += u32::from(incident.is_open());
        h.last = h.last.max(Some(incident.opened));
    }

    pub fn merge(&mut self, other: Histories) {
        for (h, theirs) in self.0.iter_mut().zip(other.0) {
            h.open += theirs.open;
            h.last = h.last.max(theirs.last);
        }
    }
}

/// The row of the `n`th customer of the sorted list.
pub fn row(listed: &[Listed], n: usize, places: &Places, histories: &Histories) -> Vec<Cell> {
    let c = &listed[n];
    let h = places.of(&c.id).and_then(|p| histories.0.get(p)).copied().unwrap_or_default();
    let visits = visit::Summary { count: c.visits as usize, first: None, last: c.last_visit, spend: c.spend };
    let value = visit::lifetime_value(c.lifetime_value, &visits);
    vec![
        (*c.id).into(),
        (*c.name).into(),
        Cell::opt(c.since),
        Cell::opt(c.lifetime_value.map(Cell::Amount)),
        Cell::Int(i64::from(h.open)),
        Cell::Int(i64::from(c.active_flags)),
        Cell::opt(h.last),
        Cell::opt(c.last_visit),
        Cell::Int(i64::from(c.visits)),
        Cell::Amount(c.spend),
        Cell::opt(value.map(|(v, _)| Cell::Amount(v))),
        Cell::opt(value.map(|(_, s)| s.as_str())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn customer(id: &str) -> Customer {
        Customer::new(id, id.to_uppercase())
    }

    fn incident(customer: &str, opened: &str, closed: bool) -> Incident {
        let closed = if closed { "recovery:\n  closed: {at: 2026-11-23T09:00:00-05:00}\n" } else { "" };
        let text = format!("id: 20261101-aaaaaa\ncustomer: {customer}\nopened: {opened}\n{closed}");
        crate::yaml::parse(Path::new("i.yaml"), &text).expect("an incident")
    }

    #[test]
    fn histories_count_open_incidents_and_the_latest_per_listed_customer_across_cores() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date");
        let listed: Vec<Listed> = ["ada", "ada", "bob"].iter().map(|id| Listed::new(&customer(id), today)).collect();
        let places = Places::new(&listed);
        let (mut one, mut two) = (places.histories(), places.histories());
        one.add(&places, &incident("ada", "2026-11-01T10:00:00-05:00", false));
        one.add(&places, &incident("zed", "2026-11-09T10:00:00-05:00", false));
        two.add(&places, &incident("ada", "2026-11-05T10:00:00-05:00", true));
        two.add(&places, &incident("ada", "2026-11-02T10:00:00-05:00", false));
        one.merge(two);
        let cells = |n| row(&listed, n, &places, &one);
        assert_eq!(cells(0)[4], Cell::Int(2), "two of ada's three incidents are open");
        assert_eq!(cells(0)[6], cells(1)[6], "both of ada's files show her history");
        assert_eq!(cells(0)[6].clone(), Cell::Time(incident("ada", "2026-11-05T10:00:00-05:00", true).opened));
        assert_eq!((cells(2)[4].clone(), cells(2)[6].clone()), (Cell::Int(0), Cell::Empty), "bob has none");
    }
}
