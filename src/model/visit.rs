//! Visits: each time the customer came (or was served), on their permanent record, so
//! that "last seen", how often they come and what they spend are read off the files on
//! every run instead of typed by hand and left to go stale.
//!
//! Visits live in the customer's own file (a `visits:` list), not in files of their own:
//! the card needs them with the record it already reads, the merge driver already merges
//! entry lists as unions (two sites adding a visit the same evening never conflict), and
//! `.gitattributes` written by earlier versions already covers `customers/`. docs/format.md
//! and docs/performance.md give the measurement behind the choice.

use std::collections::{HashMap, HashSet};

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
        self.identity() == other.identity()
    }

    /// What `same_as` compares, as a value to keep in a set: the moment (as an instant, so
    /// 19:00-05:00 and 00:00Z the next day are one) and the place.
    pub fn identity(&self) -> (chrono::NaiveDateTime, Option<&str>) {
        (self.at.naive_utc(), self.location.as_deref())
    }
}

/// Which of `incoming` are not on the record yet, in order: a visit is new unless
/// `existing` has it (`same_as`) or an earlier one of `incoming` is it, so a row twice in
/// one export is added once. One set of identities, not a scan of the record per visit: a
/// customer with years of visits costs no more per row than a new one.
pub fn fresh(existing: &[Visit], incoming: &[Visit]) -> Vec<bool> {
    let mut seen: HashSet<_> = existing.iter().map(Visit::identity).collect();
    incoming.iter().map(|v| seen.insert(v.identity())).collect()
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

/// What a row of a visits export can name a customer by, kept from each record while the
/// book is read: the rest of the record (years of visits above all) is let go at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl From<&super::Customer> for Named {
    fn from(c: &super::Customer) -> Named {
        Named { id: c.id.clone(), name: c.name.clone(), email: c.contact.email.clone(), phone: c.contact.phone.clone() }
    }
}

/// Digits a phone number must share, at its end, with one typed with a different prefix
/// (a country code) to be taken for the same number; shorter numbers must be equal.
const PHONE_TAIL: usize = 7;

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Two phone numbers, as digits, are one number when equal or when the shorter, of
/// `PHONE_TAIL` digits or more, ends the longer: +1 555 0100 is 555-0100.
fn same_phone(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short == long || (short.len() >= PHONE_TAIL && long.ends_with(short))
}

/// The book's customers indexed once by everything a row may name them by, so that
/// matching a row costs a few lookups instead of a scan of every customer: an export of
/// 450,000 rows against 10,000 customers was 4.5 billion comparisons.
///
/// A row names its customer by id, email (ignoring ASCII case), phone (digits only, with or
/// without a country code: `same_phone`) or exact name (ignoring case), tried in that
/// order; the first key the row has that matches anyone decides. No match: `Ok(None)`.
/// Several: an error naming them (in the book's order), since guessing would put a visit
/// on the wrong person's record.
#[derive(Debug, Default)]
pub struct Matcher {
    ids: Vec<String>,
    by_id: HashMap<String, Vec<u32>>,
    by_email: HashMap<String, Vec<u32>>,
    /// Numbers shorter than `PHONE_TAIL` digits, which only an equal number matches.
    by_short_phone: HashMap<String, Vec<u32>>,
    /// Longer numbers under their last `PHONE_TAIL` digits, which any number they match
    /// shares; the bucket is then checked with `same_phone`.
    by_phone_tail: HashMap<String, Vec<(u32, String)>>,
    by_name: HashMap<String, Vec<u32>>,
}

impl Matcher {
    /// The index of `customers`; `find` answers with positions in this order.
    pub fn new(customers: impl IntoIterator<Item = Named>) -> Matcher {
        let mut m = Matcher::default();
        for (i, c) in customers.into_iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            m.by_id.entry(c.id.clone()).or_default().push(i);
            if let Some(email) = &c.email {
                m.by_email.entry(email.to_ascii_lowercase()).or_default().push(i);
            }
            let phone = c.phone.as_deref().map(digits).unwrap_or_default();
            if phone.len() >= PHONE_TAIL {
                m.by_phone_tail.entry(phone[phone.len() - PHONE_TAIL..].to_string()).or_default().push((i, phone));
            } else if !phone.is_empty() {
                m.by_short_phone.entry(phone).or_default().push(i);
            }
            m.by_name.entry(c.name.to_lowercase()).or_default().push(i);
            m.ids.push(c.id);
        }
        m
    }

    /// The id of the customer at `i` (a position `find` gave).
    pub fn id(&self, i: usize) -> &str {
        &self.ids[i]
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Which customer a row names (see the type's rules).
    pub fn find(
        &self,
        id: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
        name: Option<&str>,
    ) -> Result<Option<usize>, String> {
        let listed = |map: &HashMap<String, Vec<u32>>, key: &str| map.get(key).cloned().unwrap_or_default();
        // In the rules' order, each key looked up only when those before it matched nobody.
        let tries = (0..4).filter_map(|key| match key {
            0 => id.map(|id| listed(&self.by_id, id)),
            1 => email.map(|email| listed(&self.by_email, &email.to_ascii_lowercase())),
            2 => phone.map(digits).filter(|p| !p.is_empty()).map(|p| self.phone_hits(&p)),
            _ => name.map(|name| listed(&self.by_name, &name.to_lowercase())),
        });
        for found in tries {
            match found.as_slice() {
                [] => continue,
                [one] => return Ok(Some(*one as usize)),
                many => {
                    let ids: Vec<&str> = many.iter().map(|&i| self.id(i as usize)).collect();
                    return Err(format!("matches several customers: {}", ids.join(", ")));
                }
            }
        }
        Ok(None)
    }

    fn phone_hits(&self, phone: &str) -> Vec<u32> {
        if phone.len() < PHONE_TAIL {
            return self.by_short_phone.get(phone).cloned().unwrap_or_default();
        }
        let bucket = self.by_phone_tail.get(&phone[phone.len() - PHONE_TAIL..]);
        bucket.into_iter().flatten().filter(|(_, p)| same_phone(p, phone)).map(|(i, _)| *i).collect()
    }
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

    fn named(id: &str, name: &str, email: Option<&str>, phone: Option<&str>) -> Named {
        let text = |o: Option<&str>| o.map(str::to_string);
        Named { id: id.into(), name: name.into(), email: text(email), phone: text(phone) }
    }

    #[test]
    fn an_imported_row_names_its_customer_by_id_email_phone_or_exact_name() {
        let ada = named("ada", "Ada Lovelace", Some("ada@example.com"), Some("+1 555 0100"));
        let all = Matcher::new([ada, named("ada-2", "Ada Lovelace", None, None)]);
        assert_eq!(all.find(Some("ada-2"), None, None, None), Ok(Some(1)));
        assert_eq!(all.find(None, Some("ADA@example.com"), None, Some("x")), Ok(Some(0)));
        assert_eq!(all.find(None, None, Some("555-0100"), None), Ok(Some(0)));
        assert_eq!(all.find(None, None, Some("0100"), None), Ok(None), "too few digits to be sure");
        let two = all.find(None, None, None, Some("ada lovelace"));
        assert_eq!(two, Err("matches several customers: ada, ada-2".into()), "two Adas: ambiguous");
        assert_eq!(all.find(Some("zed"), None, None, None), Ok(None));
        assert_eq!(all.find(Some("zed"), None, Some("(555) 0100"), None), Ok(Some(0)), "no such id: the phone decides");
    }

    /// The rules stated plainly, one customer at a time: what `Matcher` must answer.
    fn reference(customers: &[Named], keys: [Option<&str>; 4]) -> Result<Option<usize>, String> {
        let [id, email, phone, name] = keys;
        type Test<'a> = Box<dyn Fn(&Named) -> bool + 'a>;
        let mut tests: Vec<Test> = Vec::new();
        if let Some(id) = id {
            tests.push(Box::new(move |c| c.id == id));
        }
        if let Some(email) = email {
            tests.push(Box::new(move |c| c.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email))));
        }
        if let Some(phone) = phone.map(digits).filter(|p| !p.is_empty()) {
            tests.push(Box::new(move |c| c.phone.as_deref().is_some_and(|p| same_phone(&digits(p), &phone))));
        }
        if let Some(name) = name.map(str::to_lowercase) {
            tests.push(Box::new(move |c| c.name.to_lowercase() == name));
        }
        for test in tests {
            let found: Vec<usize> = (0..customers.len()).filter(|&i| test(&customers[i])).collect();
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

    #[test]
    fn the_index_answers_as_the_rules_do_on_many_generated_books_and_rows() {
        // Few values, so that ids, emails, numbers and names collide often; numbers with
        // and without a country code, short and long, with punctuation.
        let mut state = 7u64;
        let mut pick = |n: usize| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 33) % n as u64) as usize
        };
        let ids = ["ada", "bob", "cy", "ada-2"];
        let emails = ["a@x.org", "A@X.org", "b@x.org", "ß@x.org", "SS@x.org"];
        let phones = ["+1 555 0100", "555-0100", "5550100", "0100", "(44) 20 5550 100", "1", "ext.", "+1 (555) 0100"];
        let names = ["Ada Lovelace", "ADA LOVELACE", "Bob", "Éva Nagy", "ÉVA NAGY"];
        for _ in 0..300 {
            let mut book = Vec::new();
            for _ in 0..pick(6) {
                let mut some = |of: &[&'static str]| if pick(3) > 0 { Some(of[pick(of.len())]) } else { None };
                let (email, phone) = (some(&emails), some(&phones));
                book.push(named(ids[pick(ids.len())], names[pick(names.len())], email, phone));
            }
            let index = Matcher::new(book.clone());
            for _ in 0..20 {
                let mut key = |of: &[&'static str]| (pick(2) == 0).then(|| of[pick(of.len())]);
                let keys = [key(&ids), key(&emails), key(&phones), key(&names)];
                let [id, email, phone, name] = keys;
                assert_eq!(index.find(id, email, phone, name), reference(&book, keys), "{book:?} {keys:?}");
            }
        }
    }

    #[test]
    fn a_visit_is_fresh_unless_the_record_or_an_earlier_row_has_it() {
        let mut there = visit("2026-11-01T19:00:00-05:00", Some(80.0));
        there.location = Some("downtown".into());
        let same_instant = Visit { at: at("2026-11-02T00:00:00Z"), ..there.clone() };
        let elsewhere = Visit { location: Some("uptown".into()), ..there.clone() };
        let new = visit("2026-11-03T19:00:00-05:00", None);
        let incoming = [same_instant, elsewhere.clone(), new.clone(), elsewhere, new];
        assert_eq!(fresh(&[there], &incoming), [false, true, true, false, false]);
    }
}
