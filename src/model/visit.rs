//! Visits: each time the customer came (or was served), on their permanent record, so
//! that "last seen", how often they come and what they spend are read off the files on
//! every run instead of typed by hand and left to go stale.
//!
//! Visits live in the customer's own file (a `visits:` list), not in files of their own:
//! the card needs them with the record it already reads, the merge driver already merges
//! entry lists as unions (two sites adding a visit the same evening never conflict), and
//! `.gitattributes` written by earlier versions already covers `customers/`. docs/format.md
//! and docs/performance.md give the measurement behind the choice.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Incident;
use super::amount;
use crate::time::Stamp;

/// One visit. `at` with `by` (or `location`) is what makes it the same visit on a re-run
/// of an import and across the merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub at: Stamp,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none", serialize_with = "amount::serialize")]
    pub spend: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::text::option")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::text::option")]
    pub staff: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::text::option")]
    pub note: Option<String>,
}

impl Visit {
    /// Whether `other` is this visit again (an import run twice, the same booking typed at
    /// two sites): same moment and same place.
    pub fn same_as(&self, other: &Visit) -> bool {
        self.at == other.at && self.location == other.location
    }
}

/// What a customer's visits add up to. Derived on every run, never stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    pub count: usize,
    #[serde(serialize_with = "opt_time")]
    pub first: Option<Stamp>,
    #[serde(serialize_with = "opt_time")]
    pub last: Option<Stamp>,
    /// The sum of every visit's spend: the computed lifetime value.
    pub spend: f64,
}

impl Summary {
    /// The usual gap between two visits, in days: the mean, from the first visit to the last
    /// (so a summary folded from a stream of visits knows it). None with fewer than two
    /// visits, or all on one day: no habit to measure.
    pub fn usual_gap(&self) -> Option<f64> {
        let (first, last) = (self.first?, self.last?);
        let days = (last.date_naive() - first.date_naive()).num_days();
        (self.count >= 2 && days > 0).then(|| days as f64 / (self.count - 1) as f64)
    }

    /// Whether the customer is past twice their usual gap since their last visit on `today`.
    pub fn lapsed(&self, today: NaiveDate) -> bool {
        match (self.usual_gap(), self.last) {
            (Some(gap), Some(last)) => days_since(&last, today) as f64 > 2.0 * gap,
            _ => false,
        }
    }
}

fn opt_time<S: serde::Serializer>(t: &Option<Stamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&crate::time::rfc3339(t)),
        None => s.serialize_none(),
    }
}

pub fn summary(visits: &[Visit]) -> Summary {
    Summary {
        count: visits.len(),
        first: visits.iter().map(|v| v.at).min(),
        last: visits.iter().map(|v| v.at).max(),
        // From +0: std's float sum of nothing is -0.0, which JSON then prints as `-0.0`.
        spend: visits.iter().filter_map(|v| v.spend).filter(|s| s.is_finite()).fold(0.0, |a, b| a + b),
    }
}

/// Where a lifetime value came from: typed by a person wins, since it may count what the
/// visits do not (catering, a wedding booked through the office).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Typed,
    Computed,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Typed => "typed",
            Source::Computed => "computed",
        }
    }
}

/// The lifetime value to act on: the typed one where present, else the visits' spend
/// (none when there is neither).
pub fn lifetime_value(typed: Option<f64>, summary: &Summary) -> Option<(f64, Source)> {
    match typed {
        Some(v) => Some((v, Source::Typed)),
        None if summary.count > 0 && summary.spend > 0.0 => Some((summary.spend, Source::Computed)),
        None => None,
    }
}

/// Whether a visit went wrong: one of the customer's incidents was opened on the visit's
/// local day or the day after (a complaint phoned in next morning is about last night).
/// Days are read in each time's own offset, which care writes in the book's zone.
pub fn went_wrong<'a>(visit: &Stamp, incidents: impl IntoIterator<Item = &'a Incident>) -> Option<&'a Incident> {
    let day = visit.date_naive();
    incidents.into_iter().find(|i| {
        let opened = i.opened.date_naive();
        opened == day || day.succ_opt() == Some(opened)
    })
}

/// Whole days from the visit's local day to `today` (0 when it was today).
pub fn days_since(visit: &Stamp, today: NaiveDate) -> i64 {
    (today - visit.date_naive()).num_days()
}

/// Whether the customer came back after a failure: a visit after the incident was closed
/// (or opened, while it is open) and on a later day than it was opened — the evening the
/// failure happened, recorded at checkout, is not a return.
/// The latest visit decides: if any visit is a return, the latest one is.
pub fn came_back(last_visit: Option<Stamp>, incident: &Incident) -> bool {
    let since = incident.recovery.closed.as_ref().map_or(incident.opened, |c| c.at.max(incident.opened));
    last_visit.is_some_and(|v| v > since && v.date_naive() > incident.opened.date_naive())
}

/// `returned`, the computed dimension of an incident: whether its customer came back. `yes`
/// once they visited after it closed (on a later day than it opened, as `came_back`) and
/// within `days` of the close; `no` when the window ended without such a visit; `pending`
/// while it runs, and while the incident is open (no window has started).
#[derive(Debug, Clone, Default)]
pub struct Returns {
    /// Each customer's visit times, sorted.
    pub visits: std::collections::HashMap<String, Vec<Stamp>>,
    pub days: u32,
    pub now: Option<Stamp>,
}

impl Returns {
    pub fn new(days: u32, now: Stamp) -> Returns {
        Returns { visits: Default::default(), days, now: Some(now) }
    }

    /// Keep a customer's visits (sorted here: the file's order is the typists').
    pub fn add(&mut self, customer: &str, visits: &[Visit]) {
        let mut times: Vec<Stamp> = visits.iter().map(|v| v.at).collect();
        times.sort();
        self.visits.insert(customer.to_string(), times);
    }

    pub fn of(&self, incident: &Incident) -> &'static str {
        let Some(closed) = incident.recovery.closed.as_ref().map(|c| c.at.max(incident.opened)) else {
            return "pending";
        };
        let end = closed + chrono::Duration::days(i64::from(self.days));
        let day = incident.opened.date_naive();
        let visits = self.visits.get(&incident.customer).map_or(&[][..], Vec::as_slice);
        if visits.iter().any(|v| *v > closed && *v <= end && v.date_naive() > day) {
            "yes"
        } else if self.now.is_some_and(|now| now > end) {
            "no"
        } else {
            "pending"
        }
    }
}

/// The fields a booking system's export may fill, named in `care import visits --map
/// FIELD=COLUMN` (without a map, a column named like the field fills it).
pub const IMPORT_FIELDS: [&str; 11] =
    ["date", "time", "id", "email", "phone", "name", "spend", "party", "location", "staff", "note"];

/// Which of `customers` a row of a visits export names, trying in turn its id, email,
/// phone (digits only, with or without the country code) and exact name (ignoring case); the
/// first key the row has that matches anyone decides. `Ok(None)`: nobody; `Err`: several,
/// named, since guessing would put a visit on the wrong person's record.
pub fn match_customer(
    customers: &[&super::Customer],
    id: Option<&str>,
    email: Option<&str>,
    phone: Option<&str>,
    name: Option<&str>,
) -> Result<Option<usize>, String> {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    type Test<'a> = Box<dyn Fn(&super::Customer) -> bool + 'a>;
    let mut tests: Vec<Test> = Vec::new();
    if let Some(id) = id {
        tests.push(Box::new(move |c| c.id == id));
    }
    if let Some(email) = email {
        tests.push(Box::new(move |c| c.contact.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email))));
    }
    if let Some(phone) = phone.map(digits).filter(|p| !p.is_empty()) {
        // A number typed with or without its country code is the same number: the last
        // seven digits or more must agree.
        let same = move |p: &str| {
            let p = digits(p);
            let (short, long) = if p.len() <= phone.len() { (&p, &phone) } else { (&phone, &p) };
            *short == *long || (short.len() >= 7 && long.ends_with(short.as_str()))
        };
        tests.push(Box::new(move |c| c.contact.phone.as_deref().is_some_and(&same)));
    }
    if let Some(name) = name.map(str::to_lowercase) {
        tests.push(Box::new(move |c| c.name.to_lowercase() == name));
    }
    for test in tests {
        let found: Vec<usize> = (0..customers.len()).filter(|&i| test(customers[i])).collect();
        match found.as_slice() {
            [] => continue,
            [one] => return Ok(Some(*one)),
            many => {
                let ids: Vec<&str> = many.iter().map(|&i| customers[i].id.as_str()).collect();
                return Err(format!("matches several customers: {}", ids.join(", ")));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Stamp {
        chrono::DateTime::parse_from_rfc3339(s).expect("time")
    }

    fn visit(t: &str, spend: Option<f64>) -> Visit {
        Visit { at: at(t), by: "joan".into(), spend, party: None, location: None, staff: None, note: None }
    }

    #[test]
    fn the_summary_counts_visits_finds_the_last_and_sums_spend() {
        let v = [visit("2026-11-01T19:00:00-05:00", Some(80.0)), visit("2026-10-01T19:00:00-04:00", None)];
        let s = summary(&v);
        assert_eq!((s.count, s.last, s.spend), (2, Some(at("2026-11-01T19:00:00-05:00")), 80.0));
        assert_eq!(s.first, Some(at("2026-10-01T19:00:00-04:00")));
        assert_eq!(summary(&[]), Summary::default());
        assert!(summary(&[]).spend.is_sign_positive(), "no visits spend +0, never -0");
    }

    #[test]
    fn the_usual_gap_is_the_mean_between_first_and_last_and_lapsing_is_twice_it() {
        let v = [
            visit("2026-10-01T19:00:00-04:00", None),
            visit("2026-10-15T12:00:00-04:00", None),
            visit("2026-10-29T21:00:00-04:00", None),
        ];
        let s = summary(&v);
        assert_eq!(s.usual_gap(), Some(14.0));
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
        assert!(!s.lapsed(day(26)), "28 days since: exactly twice, not past it");
        assert!(s.lapsed(day(27)));
        assert_eq!(summary(&v[..1]).usual_gap(), None, "one visit: no habit");
        let same_day = [visit("2026-10-01T12:00:00-04:00", None), visit("2026-10-01T19:00:00-04:00", None)];
        assert_eq!(summary(&same_day).usual_gap(), None);
        assert!(!summary(&same_day).lapsed(day(26)));
    }

    #[test]
    fn returned_is_yes_within_the_window_after_the_close_no_after_it_and_pending_before() {
        let text = "id: 20261001-aaaaaa\ncustomer: ada\nopened: 2026-10-01T19:00:00-04:00\n";
        let mut i: Incident = crate::yaml::parse(std::path::Path::new("i.yaml"), text).expect("incident");
        let mut r = Returns::new(90, at("2026-11-22T19:42:00-05:00"));
        assert_eq!(r.of(&i), "pending", "open: no window yet");
        let closed = "id: 20261001-aaaaaa\ncustomer: ada\nopened: 2026-10-01T19:00:00-04:00\nrecovery:\n  closed: {at: 2026-10-01T21:00:00-04:00, by: joan}\n";
        i = crate::yaml::parse(std::path::Path::new("i.yaml"), closed).expect("incident");
        r.add("ada", &[visit("2026-10-01T22:00:00-04:00", None)]);
        assert_eq!(r.of(&i), "pending", "the same evening is no return; 90 days not over");
        r.add("ada", &[visit("2026-10-01T22:00:00-04:00", None), visit("2026-12-29T19:00:00-05:00", None)]);
        assert_eq!(r.of(&i), "yes", "day 89, even before it happened by the clock: a visit is a visit");
        r.add("ada", &[visit("2027-01-05T19:00:00-05:00", None)]);
        assert_eq!(r.of(&i), "pending");
        r.now = Some(at("2027-01-01T00:00:00-05:00"));
        assert_eq!(r.of(&i), "no", "the window is over; the later visit is too late");
    }

    #[test]
    fn a_typed_lifetime_value_wins_over_the_computed_one() {
        let s = summary(&[visit("2026-11-01T19:00:00-05:00", Some(80.0))]);
        assert_eq!(lifetime_value(Some(12000.0), &s), Some((12000.0, Source::Typed)));
        assert_eq!(lifetime_value(None, &s), Some((80.0, Source::Computed)));
        assert_eq!(lifetime_value(None, &Summary::default()), None);
    }

    #[test]
    fn a_visit_went_wrong_when_an_incident_opened_that_day_or_the_next() {
        let text = "id: 20261123-aaaaaa\ncustomer: ada\nopened: 2026-11-23T09:00:00-05:00\n";
        let mut i: Incident = crate::yaml::parse(std::path::Path::new("i.yaml"), text).expect("incident");
        let evening = at("2026-11-22T21:00:00-05:00");
        assert!(went_wrong(&evening, [&i]).is_some());
        i.opened = at("2026-11-25T09:00:00-05:00");
        assert!(went_wrong(&evening, [&i]).is_none());
        assert_eq!(days_since(&evening, NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")), 3);
    }

    #[test]
    fn an_imported_row_names_its_customer_by_id_email_phone_or_exact_name() {
        let parse =
            |t: &str| -> super::super::Customer { crate::yaml::parse(std::path::Path::new("c.yaml"), t).expect("c") };
        let ada = parse("id: ada\nname: Ada Lovelace\ncontact: {email: ada@example.com, phone: +1 555 0100}\n");
        let ada2 = parse("id: ada-2\nname: Ada Lovelace\n");
        let all = [&ada, &ada2];
        assert_eq!(match_customer(&all, Some("ada-2"), None, None, None), Ok(Some(1)));
        assert_eq!(match_customer(&all, None, Some("ADA@example.com"), None, Some("x")), Ok(Some(0)));
        assert_eq!(match_customer(&all, None, None, Some("555-0100"), None), Ok(Some(0)));
        assert_eq!(match_customer(&all, None, None, Some("0100"), None), Ok(None), "too few digits to be sure");
        assert!(match_customer(&all, None, None, None, Some("ada lovelace")).is_err(), "two Adas: ambiguous");
        assert_eq!(match_customer(&all, Some("zed"), None, None, None), Ok(None));
    }
}
