//! One filter language for every list: `--where FIELD=VALUE` (equal, ignoring case),
//! `FIELD!=VALUE`, `FIELD~REGEX`, `FIELD!~REGEX`, repeatable (all must hold), and
//! `--since/--until` on the row's own time. PRODUCT.md promises that a filter means the
//! same on every list command, so the grammar, the matching and the field names live here
//! once, and each list only says which record a row stands for (`Subject`).
//!
//! Matching rules, the same everywhere:
//! - a field with several values (`tags`) matches `=` and `~` when any value does, and
//!   `!=` / `!~` when none does;
//! - a field the record lacks reads as empty text, so `location=` finds incidents with no
//!   location and `location!=uptown` includes them;
//! - a field no record of the book has is an error listing the fields that exist (a typo
//!   must not look like an empty result);
//! - the operator is the first `=`, `!=` or `~` (field names hold only letters, digits,
//!   `_` and `-`), so a value may contain any of them: `summary~a=b` is a regex `a=b`.
//!
//! A condition's grammar and matching are `model::cond` (an action's filter is stored as
//! conditions too); this module says what each field of a record is. Patterns are compiled once, when the command line is read; `Query` is shared by every
//! core of a book-wide fold.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;

use chrono::{Datelike, NaiveDate, Timelike};
use chrono_tz::Tz;

use crate::error::{Error, Result};
pub use crate::model::cond::Cond;
use crate::model::{Customer, Incident, Section};
use crate::time::Stamp;

pub use crate::model::Extras;
use crate::model::fields::{self, CUSTOMER, INCIDENT, Val};

/// A record as a filter sees it: its values for a field name, borrowed where possible.
pub trait Subject {
    fn values(&self, field: &str) -> Vec<Cow<'_, str>>;
}

/// Every condition of a command line, and the time window on the row's own time.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub conds: Vec<Cond>,
    pub since: Option<Stamp>,
    pub until: Option<Stamp>,
}

impl Query {
    pub fn matches(&self, subject: &dyn Subject) -> bool {
        self.conds.iter().all(|c| c.accepts(&subject.values(&c.field)))
    }

    /// Inside `--since` (inclusive) and `--until` (exclusive).
    pub fn in_window(&self, t: Stamp) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }

    /// The same for a date (a customer's `since`): its start in the book's zone.
    pub fn date_in_window(&self, d: NaiveDate, tz: Tz) -> bool {
        let start = d.and_hms_opt(0, 0, 0).and_then(|t| t.and_local_timezone(tz).earliest());
        start.is_none_or(|t| self.in_window(t.fixed_offset()))
    }

    /// True when some condition names one of `fields` (to read linked records only then).
    pub fn names_any(&self, fields: &[&str]) -> bool {
        self.conds.iter().any(|c| fields.contains(&c.field.as_str()))
    }

    /// Refuse a condition on a field no record has: built in (`builtin`) or extra in some
    /// record (`seen`). `what` names the records ("incident", "customer").
    pub fn check(&self, what: &str, builtin: &[&str], seen: &BTreeSet<String>) -> Result<()> {
        for c in &self.conds {
            if !builtin.contains(&c.field.as_str()) && !seen.contains(&c.field) {
                let mut known: Vec<&str> = builtin.to_vec();
                known.extend(seen.iter().map(String::as_str));
                known.sort_unstable();
                known.dedup();
                return Err(Error::Usage(format!(
                    "--where {}: no {what} in this book has a field {:?}; the fields are: {}",
                    c.field,
                    c.field,
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// Extra field names met while reading a book: what `--where` may name beyond the
/// built-in fields, and the extra columns of the lists that carry them.
#[derive(Debug, Clone, Default)]
pub struct Seen(pub BTreeSet<String>);

impl Seen {
    pub fn add(&mut self, extras: &Extras) {
        for k in extras.keys() {
            if !self.0.contains(k) {
                self.0.insert(k.clone());
            }
        }
    }

    pub fn merge(&mut self, other: Seen) {
        self.0.extend(other.0);
    }

    /// The extra columns of a list: every extra name, sorted, except one that would repeat
    /// a column the list already has.
    pub fn columns(&self, existing: &[String]) -> Vec<String> {
        self.0.iter().filter(|n| !existing.contains(n)).cloned().collect()
    }
}

/// Read an incident with its extra fields (for lists that filter on them or show them).
pub fn parse_incident(path: &Path, text: &str) -> Result<(Incident, Extras)> {
    crate::yaml::parse_with_fields::<Incident>(path, text, &Incident::FIELDS)
}

/// How to read customers for this query: with their extra fields only when a condition
/// may name one. Finding extra fields takes a general YAML parse, which refuses a file
/// whose unread parts are hostile (an alias bomb in a field no report reads) that the
/// typed read would list; a plain list should not lose such a customer.
pub fn customer_reader(q: &Query) -> fn(&Path, &str) -> Result<(Customer, Extras)> {
    if q.conds.iter().all(|c| CUSTOMER_FIELDS.contains(&c.field.as_str())) {
        |path, text| crate::yaml::parse::<Customer>(path, text).map(|c| (c, Extras::new()))
    } else {
        |path, text| crate::yaml::parse_with_fields::<Customer>(path, text, &Customer::FIELDS)
    }
}

/// The fields of an incident a filter can name, besides its extra fields.
/// The fields worked out from other records on every run (`returned` from the customer's
/// visits, `extra_given` from the recovery), which `--where` and `--by` may name though no
/// file holds them.
pub const COMPUTED: [&str; 2] = ["returned", "extra_given"];

/// The incident's own fields every list reads (`model::fields`).
const LISTED: [&str; fields::listed_count(INCIDENT)] = fields::names(INCIDENT, true);

pub const INCIDENT_FIELDS: [&str; 19] =
    fields::concat(&LISTED, &["tag", "status", "hour", "weekday", "date", "week", "month"]);

/// An incident as filters see it. `hour`, `weekday`, `date`, `week` and `month` are of the
/// opening in the book's zone, as `trends` groups them.
#[derive(Debug, Clone, Copy)]
pub struct IncidentView<'a> {
    pub incident: &'a Incident,
    pub extras: Option<&'a Extras>,
    pub tz: Tz,
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl Subject for IncidentView<'_> {
    fn values(&self, field: &str) -> Vec<Cow<'_, str>> {
        let i = self.incident;
        let local = || i.opened.with_timezone(&self.tz);
        match field {
            "tag" => i.tags.iter().map(|t| Cow::Borrowed(t.as_str())).collect(),
            "status" => vec![Cow::Borrowed(if i.is_open() { "open" } else { "closed" })],
            "hour" => vec![Cow::Owned(format!("{:02}", local().hour()))],
            "weekday" => vec![Cow::Borrowed(WEEKDAYS[local().weekday().num_days_from_monday() as usize])],
            "date" => vec![Cow::Owned(local().format("%Y-%m-%d").to_string())],
            "week" => {
                let w = local().iso_week();
                vec![Cow::Owned(format!("{}-W{:02}", w.year(), w.week()))]
            }
            "month" => vec![Cow::Owned(local().format("%Y-%m").to_string())],
            other => match fields::filter_get(INCIDENT, other) {
                Some(get) => values(get(i)),
                None => self.extras.and_then(|e| e.get(other)).map(|v| Cow::Borrowed(v.as_str())).into_iter().collect(),
            },
        }
    }
}

/// A field's values as a filter matches them. A percentage is its number and its band as
/// `trends` shows it (95 and 90-99).
fn values(v: Val<'_>) -> Vec<Cow<'_, str>> {
    match v {
        Val::Text(s) => s.map(Cow::Borrowed).into_iter().collect(),
        Val::Percent(b) => b.map_or_else(Vec::new, |b| vec![Cow::Owned(b.to_string()), Cow::Owned(band(b))]),
        Val::Amount(a) => a.map(|a| Cow::Owned(crate::model::amount::show(a))).into_iter().collect(),
        Val::Time(t) => t.map(|t| Cow::Owned(crate::time::rfc3339(t))).into_iter().collect(),
        Val::Date(d) => d.map(|d| Cow::Owned(d.to_string())).into_iter().collect(),
        Val::List(l) => l.iter().map(|t| Cow::Borrowed(t.as_str())).collect(),
        Val::Nested => Vec::new(),
    }
}

/// A busyness band: `90-99`, and `100` for 100 % and above.
pub fn band(b: u32) -> String {
    if b >= 100 {
        "100".to_string()
    } else {
        let low = b - b % 10;
        format!("{low}-{}", low + 9)
    }
}

/// The fields of a customer a filter can name, besides extra fields: those of the
/// catalogue (`model::fields`), `customer` (its id, as on the rows about its incidents)
/// and `text`, any text of the record (id, name, contact, entries, flags): what `--grep`
/// searches.
pub const CUSTOMER_FIELDS: [&str; fields::filter_count(CUSTOMER) + 2] =
    fields::concat(&fields::filter_names::<_, { fields::filter_count(CUSTOMER) }>(CUSTOMER), &["customer", "text"]);

#[derive(Debug, Clone, Copy)]
pub struct CustomerView<'a> {
    pub customer: &'a Customer,
    pub extras: Option<&'a Extras>,
}

impl Subject for CustomerView<'_> {
    fn values(&self, field: &str) -> Vec<Cow<'_, str>> {
        let c = self.customer;
        match field {
            "customer" => vec![Cow::Borrowed(c.id.as_str())],
            "text" => {
                let entries = Section::ALL.iter().flat_map(|&s| c.entries(s)).map(|e| e.text.as_str());
                let flags = c.flags.iter().map(|f| f.text.as_str());
                [c.id.as_str(), c.name.as_str()]
                    .into_iter()
                    .chain(c.contact.email.as_deref())
                    .chain(c.contact.phone.as_deref())
                    .chain(entries)
                    .chain(flags)
                    .map(Cow::Borrowed)
                    .collect()
            }
            other => match fields::filter_get(CUSTOMER, other) {
                Some(get) => values(get(c)),
                None => self.extras.and_then(|e| e.get(other)).map(|v| Cow::Borrowed(v.as_str())).into_iter().collect(),
            },
        }
    }
}

/// A row about a customer and, perhaps, one of their incidents (a flag raised by an
/// incident): customer fields first, then the incident's, so `location=uptown` finds the
/// flags raised at that site and `name~Ada` those of that customer.
#[derive(Debug, Clone, Copy)]
pub struct LinkedView<'a> {
    pub customer: CustomerView<'a>,
    pub incident: Option<IncidentView<'a>>,
}

impl Subject for LinkedView<'_> {
    fn values(&self, field: &str) -> Vec<Cow<'_, str>> {
        let on_customer =
            CUSTOMER_FIELDS.contains(&field) || self.customer.extras.is_some_and(|e| e.contains_key(field));
        match &self.incident {
            _ if on_customer => self.customer.values(field),
            Some(i) => i.values(field),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn cond(s: &str) -> Cond {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn incident() -> Incident {
        Incident {
            staff: Some("Billy".into()),
            owner: Some("joan".into()),
            location: Some("uptown".into()),
            busyness: Some(95),
            summary: Some("a=b wait".into()),
            tags: vec!["kitchen".into(), "wait".into()],
            ..Incident::new(
                "20261118-abcdef",
                "ada",
                DateTime::parse_from_rfc3339("2026-11-18T20:10:00Z").expect("time"),
            )
        }
    }

    fn passes(q: &str, extras: &Extras) -> bool {
        let i = incident();
        let view = IncidentView { incident: &i, extras: Some(extras), tz: chrono_tz::America::New_York };
        Query { conds: q.split(' ').map(cond).collect(), ..Query::default() }.matches(&view)
    }

    #[test]
    fn equality_ignores_case_and_lists_match_on_any_value() {
        let none = Extras::new();
        assert!(passes("staff=billy", &none));
        assert!(passes("staff=BILLY location=Uptown", &none));
        assert!(!passes("staff=billy location=downtown", &none));
        assert!(passes("tags=wait", &none) && passes("tag=kitchen", &none));
        assert!(!passes("tags!=wait", &none) && passes("tags!=bar", &none));
        assert!(passes("tags~^wa", &none) && !passes("tags!~^wa", &none));
        assert!(passes("staff~^B", &none) && !passes("staff~^b", &none), "a regex is as written; use (?i)");
    }

    #[test]
    fn missing_values_read_as_empty_and_derived_fields_use_the_book_zone() {
        let none = Extras::new();
        assert!(passes("product=", &none) && passes("product!=entrees", &none));
        assert!(!passes("product~.", &none));
        assert!(passes("weekday=wed hour=15 date=2026-11-18 month=2026-11 week=2026-W47", &none));
        assert!(passes("busyness=95", &none) && passes("busyness=90-99", &none));
        assert!(passes("status=open", &none));
        let region: Extras = [("region".to_string(), "East".to_string())].into();
        assert!(passes("region=east", &region) && !passes("region=east", &none));
    }

    #[test]
    fn a_field_nobody_has_is_refused_with_the_list_of_fields() {
        let q = Query { conds: vec![cond("regoin=east")], ..Query::default() };
        let seen: BTreeSet<String> = ["region".to_string()].into();
        let e = q.check("incident", &INCIDENT_FIELDS, &seen).expect_err("unknown");
        assert_eq!(e.exit_code(), 2);
        let msg = e.to_string();
        assert!(msg.contains("\"regoin\"") && msg.contains("location") && msg.contains("region"), "{msg}");
        let q = Query { conds: vec![cond("region=east"), cond("location=x")], ..Query::default() };
        assert!(q.check("incident", &INCIDENT_FIELDS, &seen).is_ok());
    }

    #[test]
    fn a_customer_row_answers_customer_fields_and_a_linked_row_the_incident_s_too() {
        let mut c = Customer::new("ada-lovelace", "Ada Lovelace");
        c.contact.email = Some("ada@example.com".into());
        let extras: Extras = [("tier".to_string(), "gold".to_string())].into();
        let view = CustomerView { customer: &c, extras: Some(&extras) };
        let q = |s: &str| Query { conds: s.split(' ').map(cond).collect(), ..Query::default() };
        assert!(q("name~Lovelace email=ADA@example.com tier=gold id=ada-lovelace").matches(&view));
        assert!(q("text~(?i)example").matches(&view));
        let i = incident();
        let linked = LinkedView {
            customer: view,
            incident: Some(IncidentView { incident: &i, extras: None, tz: chrono_tz::UTC }),
        };
        assert!(q("location=uptown tier=gold name~Ada").matches(&linked));
        let alone = LinkedView { customer: view, incident: None };
        assert!(!q("location=uptown").matches(&alone));
    }

    #[test]
    fn the_window_includes_since_and_excludes_until() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).expect("time");
        let q = Query {
            since: Some(t("2026-11-01T00:00:00Z")),
            until: Some(t("2026-12-01T00:00:00Z")),
            ..Query::default()
        };
        assert!(q.in_window(t("2026-11-01T00:00:00Z")));
        assert!(!q.in_window(t("2026-12-01T00:00:00Z")));
        assert!(q.date_in_window(NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"), chrono_tz::UTC));
    }
}
