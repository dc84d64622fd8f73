//! The catalogue of a record's top-level fields, each named once: its name in the file,
//! its type, what it means, the SQL columns `care sql` gives it and how to read its value.
//! The typed record (`Incident::FIELDS`), the `--where` fields, the export's columns, the
//! SQL mirror's schema and its inserts all derive from these lists, and a test holds
//! docs/format.md's table to them, so a new field is one line here (and its place in the
//! struct) instead of a hunt through every list that names fields.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{Customer, Incident};
use crate::time::Stamp;

/// A record's other top-level scalar fields, as text (`region: east`): kept, filtered on,
/// listed and mirrored, though the typed record does not name them.
pub type Extras = BTreeMap<String, String>;

/// A field's value as the lists and the mirror read it, borrowed from the record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val<'a> {
    Text(Option<&'a str>),
    /// A percentage (`busyness`): filters match it by its number and by its band (`90-99`).
    Percent(Option<u32>),
    Amount(Option<f64>),
    Time(Option<&'a Stamp>),
    Date(Option<NaiveDate>),
    List(&'a [String]),
    /// Structured (recovery, follow-ups, entries): read through its own columns or tables.
    Nested,
}

impl Val<'_> {
    /// Whether the record leaves the field out (an empty list or text is written down).
    pub fn is_none(&self) -> bool {
        matches!(self, Val::Text(None) | Val::Percent(None) | Val::Amount(None) | Val::Time(None) | Val::Date(None))
    }
}

/// Where a field's value goes, for the readers that fill a record in place (the index's
/// digest decodes every incident of the book into one reused record on every run).
#[derive(Debug)]
pub enum Slot<'a> {
    Text(&'a mut String),
    OptText(&'a mut Option<String>),
    Percent(&'a mut Option<u32>),
    Time(&'a mut Stamp),
    List(&'a mut Vec<String>),
}

/// Which of a time's faces a SQL column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The value itself (a time in UTC).
    Value,
    /// The time in the book's zone, `YYYY-MM-DD HH:MM:SS`.
    Local,
    /// `Mon` … `Sun` of the local time.
    Weekday,
    /// `00` … `23` of the local time.
    Hour,
}

/// One column of a record's row in the SQL mirror.
#[derive(Debug)]
pub struct Col<R: 'static> {
    pub name: &'static str,
    /// Its SQL type.
    pub sql: &'static str,
    /// Its line in `care sql --schema`; None: the field's own.
    pub about: Option<&'static str>,
    pub shape: Shape,
    /// Its value; None: the field's own.
    pub get: Option<fn(&R) -> Val<'_>>,
}

/// One top-level field of a record.
#[derive(Debug)]
pub struct Field<R: 'static> {
    pub name: &'static str,
    /// Its type, as docs/format.md names it.
    pub kind: &'static str,
    pub about: &'static str,
    /// Whether `--where`, the lists and the export read it (a few are kept for the record
    /// and the mirror only).
    pub listed: bool,
    pub get: fn(&R) -> Val<'_>,
    pub sql: &'static [Col<R>],
    /// Its place in the record, when the index's digest keeps it (in this order, as one
    /// column of its line); None: the digest leaves it out.
    pub digest: Option<fn(&mut R) -> Slot<'_>>,
}

/// An incident's field, kept by the index's digest at `slot`.
const fn digested(field: Field<Incident>, slot: fn(&mut Incident) -> Slot<'_>) -> Field<Incident> {
    let mut f = field;
    f.digest = Some(slot);
    f
}

/// A column showing its field's value as it is.
const fn col<R>(name: &'static str, sql: &'static str) -> Col<R> {
    Col { name, sql, about: None, shape: Shape::Value, get: None }
}

const fn face<R>(name: &'static str, about: &'static str, shape: Shape) -> Col<R> {
    Col { name, sql: "TEXT", about: Some(about), shape, get: None }
}

const fn own<R>(name: &'static str, sql: &'static str, about: &'static str, get: fn(&R) -> Val<'_>) -> Col<R> {
    Col { name, sql, about: Some(about), shape: Shape::Value, get: Some(get) }
}

/// A field read by every list, with one column of its own name.
const fn f<R>(
    name: &'static str,
    kind: &'static str,
    about: &'static str,
    get: fn(&R) -> Val<'_>,
    sql: &'static [Col<R>],
) -> Field<R> {
    Field { name, kind, about, listed: true, get, sql, digest: None }
}

/// A field kept for the record and the mirror only.
const fn kept<R>(
    name: &'static str,
    kind: &'static str,
    about: &'static str,
    get: fn(&R) -> Val<'_>,
    sql: &'static [Col<R>],
) -> Field<R> {
    Field { name, kind, about, listed: false, get, sql, digest: None }
}

/// The names of the incident fields other modules name one by one (a playbook rule about
/// a field, a list in an order of its own): spelled here once, and the catalogue below
/// uses them, so renaming a field is one edit.
pub const ID: &str = "id";
pub const CUSTOMER_ID: &str = "customer";
pub const OPENED: &str = "opened";
pub const STAFF: &str = "staff";
pub const OWNER: &str = "owner";
pub const PRODUCT: &str = "product";
pub const LOCATION: &str = "location";
pub const CHANNEL: &str = "channel";
pub const BUSYNESS: &str = "busyness";
pub const SUMMARY: &str = "summary";
pub const CIRCUMSTANCES: &str = "circumstances";
pub const TAGS: &str = "tags";

/// An incident's fields, in the order of its file and of its row in the mirror.
#[rustfmt::skip]
pub const INCIDENT: &[Field<Incident>] = &[
    digested(f(ID, "text", "the incident's id", |i| Val::Text(Some(&i.id)), &[col(ID, "TEXT")]), |i| Slot::Text(&mut i.id)),
    digested(f(CUSTOMER_ID, "text", "customers.id", |i| Val::Text(Some(&i.customer)), &[col(CUSTOMER_ID, "TEXT")]), |i| Slot::Text(&mut i.customer)),
    digested(f(OPENED, "time", "when the failure happened or was reported", |i| Val::Time(Some(&i.opened)), &[
        own(OPENED, "TEXT", "when the failure happened or was reported (UTC)", |i| Val::Time(Some(&i.opened))),
        face("opened_local", "the same in the book's timezone, `YYYY-MM-DD HH:MM:SS`", Shape::Local),
        face("weekday", "Mon … Sun of opened_local, as `trends --by weekday`", Shape::Weekday),
        face("hour", "00 … 23 of opened_local, as `trends --by hour`", Shape::Hour),
    ]), |i| Slot::Time(&mut i.opened)),
    kept("recorded", "time", "when the deposition was written down (UTC)", |i| Val::Time(i.recorded.as_ref()), &[col("recorded", "TEXT")]),
    digested(f(STAFF, "text", "who was on duty", |i| Val::Text(i.staff.as_deref()), &[col(STAFF, "TEXT")]), |i| Slot::OptText(&mut i.staff)),
    digested(f(OWNER, "text", "who took the complaint and owns the follow-ups", |i| Val::Text(i.owner.as_deref()), &[col(OWNER, "TEXT")]), |i| Slot::OptText(&mut i.owner)),
    digested(f(PRODUCT, "text", "product or service", |i| Val::Text(i.product.as_deref()), &[col(PRODUCT, "TEXT")]), |i| Slot::OptText(&mut i.product)),
    digested(f(LOCATION, "text", "site, store, region", |i| Val::Text(i.location.as_deref()), &[col(LOCATION, "TEXT")]), |i| Slot::OptText(&mut i.location)),
    digested(f(CHANNEL, "text", "in-person, phone, email, web, …", |i| Val::Text(i.channel.as_deref()), &[col(CHANNEL, "TEXT")]), |i| Slot::OptText(&mut i.channel)),
    digested(f(BUSYNESS, "percent", "% of capacity at the time", |i| Val::Percent(i.busyness), &[col(BUSYNESS, "INTEGER")]), |i| Slot::Percent(&mut i.busyness)),
    digested(f(SUMMARY, "text", "what went wrong", |i| Val::Text(i.summary.as_deref()), &[col(SUMMARY, "TEXT")]), |i| Slot::OptText(&mut i.summary)),
    digested(f(CIRCUMSTANCES, "text", "the customer's circumstances", |i| Val::Text(i.circumstances.as_deref()), &[col(CIRCUMSTANCES, "TEXT")]), |i| Slot::OptText(&mut i.circumstances)),
    digested(f(TAGS, "list", "words to group by (the `tags` table)", |i| Val::List(&i.tags), &[]), |i| Slot::List(&mut i.tags)),
    kept("recovery", "mapping", "the steps taken (the `steps` table)", |_| Val::Nested, &[
        own("closed", "TEXT", "when it was closed (UTC); NULL while open", |i| Val::Time(i.recovery.closed.as_ref().map(|s| &s.at))),
    ]),
    kept("followups", "list", "the follow-ups owed and done (the `followups` table)", |_| Val::Nested, &[]),
];

/// A customer's fields, in the order of their file and of their row in the mirror.
#[rustfmt::skip]
pub const CUSTOMER: &[Field<Customer>] = &[
    f("id", "text", "the customer's id (the file name)", |c| Val::Text(Some(&c.id)), &[col("id", "TEXT")]),
    f("name", "text", "their name", |c| Val::Text(Some(&c.name)), &[col("name", "TEXT")]),
    f("since", "date", "customer since (date)", |c| Val::Date(c.since), &[col("since", "TEXT")]),
    f("contact", "mapping", "how to reach them: `email`, `phone`", |_| Val::Nested, &[
        own("email", "TEXT", "contact email", |c| Val::Text(c.contact.email.as_deref())),
        own("phone", "TEXT", "contact phone", |c| Val::Text(c.contact.phone.as_deref())),
    ]),
    f("lifetime_value", "amount", "lifetime value", |c| Val::Amount(c.lifetime_value), &[col("lifetime_value", "REAL")]),
    kept("roles", "list", "entries: what they are (the `entries` table)", |_| Val::Nested, &[]),
    kept("goals", "list", "entries: what they want to achieve", |_| Val::Nested, &[]),
    kept("preferences", "list", "entries: what they like and must not get", |_| Val::Nested, &[]),
    kept("notes", "list", "entries: anything else learned", |_| Val::Nested, &[]),
    kept("missteps", "list", "entries: what went wrong with them, not to repeat", |_| Val::Nested, &[]),
    kept("flags", "list", "internal flags (the `flags` table)", |_| Val::Nested, &[]),
    kept("visits", "list", "each time they came (the `visits` table)", |_| Val::Nested, &[]),
    kept("reminders", "list", "reminders set on them (the `reminders` table)", |_| Val::Nested, &[]),
];

/// The names of `fields` (`listed`: only those every list reads), padded to `N` with `""`.
pub const fn names<R, const N: usize>(fields: &[Field<R>], listed: bool) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut i, mut n) = (0, 0);
    while i < fields.len() {
        if !listed || fields[i].listed {
            out[n] = fields[i].name;
            n += 1;
        }
        i += 1;
    }
    out
}

/// Whether `field` is a mapping every list reads through its columns (a customer's
/// `contact`: `email`, `phone`) rather than by its own name.
const fn through_columns<R>(field: &Field<R>) -> bool {
    let (kind, mapping) = (field.kind.as_bytes(), b"mapping");
    if !field.listed || kind.len() != mapping.len() {
        return false;
    }
    let mut i = 0;
    while i < kind.len() {
        if kind[i] != mapping[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The names `--where` knows `fields` by, in order: each field every list reads, a mapping
/// by its columns. `N` is `filter_count(fields)`.
pub const fn filter_names<R, const N: usize>(fields: &[Field<R>]) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut i, mut n) = (0, 0);
    while i < fields.len() {
        let f = &fields[i];
        if through_columns(f) {
            let mut c = 0;
            while c < f.sql.len() {
                out[n] = f.sql[c].name;
                n += 1;
                c += 1;
            }
        } else if f.listed {
            out[n] = f.name;
            n += 1;
        }
        i += 1;
    }
    out
}

/// How many names `filter_names` gives.
pub const fn filter_count<R>(fields: &[Field<R>]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < fields.len() {
        if through_columns(&fields[i]) {
            n += fields[i].sql.len();
        } else if fields[i].listed {
            n += 1;
        }
        i += 1;
    }
    n
}

/// How `--where` reads the field it knows as `name` (one of `filter_names`).
pub fn filter_get<R>(fields: &'static [Field<R>], name: &str) -> Option<fn(&R) -> Val<'_>> {
    fields.iter().filter(|f| f.listed).find_map(|f| {
        if through_columns(f) {
            f.sql.iter().find(|c| c.name == name).and_then(|c| c.get)
        } else {
            (f.name == name).then_some(f.get)
        }
    })
}

/// How many of `fields` every list reads.
pub const fn listed_count<R>(fields: &[Field<R>]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < fields.len() {
        if fields[i].listed {
            n += 1;
        }
        i += 1;
    }
    n
}

/// How many SQL columns `fields` make.
pub const fn sql_count<R>(fields: &[Field<R>]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < fields.len() {
        n += fields[i].sql.len();
        i += 1;
    }
    n
}

/// `a` then `b`, as one array of `N`.
pub const fn concat<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < a.len() {
        out[i] = a[i];
        i += 1;
    }
    while i - a.len() < b.len() {
        out[i] = b[i - a.len()];
        i += 1;
    }
    out
}

/// The field of `fields` named `name`.
pub fn named<'f, R>(fields: &'f [Field<R>], name: &str) -> Option<&'f Field<R>> {
    fields.iter().find(|f| f.name == name)
}

/// Every SQL column of `fields`, in order, with its line and its value's reader.
pub fn columns<R>(
    fields: &'static [Field<R>],
) -> impl Iterator<Item = (&'static Col<R>, &'static str, fn(&R) -> Val<'_>)> {
    fields.iter().flat_map(|f| f.sql.iter().map(move |c| (c, c.about.unwrap_or(f.about), c.get.unwrap_or(f.get))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of the table under `heading` in docs/format.md: (field, type, meaning).
    fn documented(heading: &str) -> Vec<(String, String, String)> {
        let doc = include_str!("../../docs/format.md");
        let start = doc.find(heading).unwrap_or_else(|| panic!("docs/format.md has no {heading:?}"));
        doc[start..]
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
                (cells[0].trim_matches('`').to_string(), cells[1].to_string(), cells[2].to_string())
            })
            .collect()
    }

    fn catalogued<R>(fields: &[Field<R>]) -> Vec<(String, String, String)> {
        fields.iter().map(|f| (f.name.to_string(), f.kind.to_string(), f.about.to_string())).collect()
    }

    #[test]
    fn the_documented_fields_are_the_catalogue() {
        assert_eq!(documented("Every field of an incident"), catalogued(INCIDENT));
        assert_eq!(documented("Every field of a customer"), catalogued(CUSTOMER));
    }

    #[test]
    fn names_and_counts_follow_the_catalogue() {
        let all: [&str; 15] = names(INCIDENT, false);
        assert_eq!(all.len(), INCIDENT.len());
        assert_eq!(all[3], "recorded");
        let listed: [&str; 12] = names(INCIDENT, true);
        assert_eq!(listed_count(INCIDENT), 12);
        assert!(!listed.contains(&"recorded") && !listed.contains(&"recovery"));
        assert_eq!(concat::<3>(&["a"], &["b", "c"]), ["a", "b", "c"]);
        assert_eq!(sql_count(INCIDENT), columns(INCIDENT).count());
    }

    #[test]
    fn a_listed_mapping_is_filtered_by_its_columns() {
        let customer: [&str; filter_count(CUSTOMER)] = filter_names(CUSTOMER);
        assert_eq!(customer, ["id", "name", "since", "email", "phone", "lifetime_value"]);
        let incident: [&str; filter_count(INCIDENT)] = filter_names(INCIDENT);
        assert_eq!(incident, names::<_, { listed_count(INCIDENT) }>(INCIDENT, true));
        let mut c = Customer::new("ada", "Ada");
        c.contact.phone = Some("555".into());
        let get = |name: &str| filter_get(CUSTOMER, name).map(|g| g(&c));
        assert_eq!(get("phone"), Some(Val::Text(Some("555"))));
        assert_eq!(get("email"), Some(Val::Text(None)));
        assert_eq!(get("contact"), None, "read through its columns only");
        assert_eq!(get("notes"), None, "not read by the lists");
    }

    #[test]
    fn a_digested_field_is_filled_as_it_reads() {
        let opened = chrono::DateTime::parse_from_rfc3339("2026-11-22T19:42:00-05:00").expect("time");
        let mut i = Incident::new("x", "ada", opened);
        let digested: Vec<&str> = INCIDENT.iter().filter(|f| f.digest.is_some()).map(|f| f.name).collect();
        assert!(!digested.contains(&"recorded") && digested.contains(&BUSYNESS) && digested.len() == 12);
        for f in INCIDENT {
            let Some(slot) = f.digest else { continue };
            let reads = match (f.get)(&i) {
                Val::Text(_) => "text",
                Val::Percent(_) => "percent",
                Val::Time(_) => "time",
                Val::List(_) => "list",
                other => panic!("{}: a digest cannot keep {other:?}", f.name),
            };
            // What goes into the slot is what the field then reads: the same member.
            let later = opened + chrono::Duration::minutes(1);
            let filled = match slot(&mut i) {
                Slot::Text(to) => {
                    *to = f.name.to_string();
                    "text"
                }
                Slot::OptText(to) => {
                    *to = Some(f.name.to_string());
                    "text"
                }
                Slot::Percent(to) => {
                    *to = Some(42);
                    "percent"
                }
                Slot::Time(to) => {
                    *to = later;
                    "time"
                }
                Slot::List(to) => {
                    *to = vec![f.name.to_string()];
                    "list"
                }
            };
            assert_eq!(reads, filled, "{}", f.name);
            match (f.get)(&i) {
                Val::Text(t) => assert_eq!(t, Some(f.name)),
                Val::Percent(b) => assert_eq!(b, Some(42)),
                Val::Time(t) => assert_eq!(t, Some(&later)),
                Val::List(l) => assert_eq!(l, [f.name]),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn every_field_reads_its_own_value() {
        let opened = chrono::DateTime::parse_from_rfc3339("2026-11-22T19:42:00-05:00").expect("time");
        let mut i = Incident::new("x", "ada", opened);
        i.busyness = Some(95);
        i.staff = Some("billy".into());
        let get = |name: &str| (named(INCIDENT, name).expect("catalogued").get)(&i);
        assert_eq!(get("busyness"), Val::Percent(Some(95)));
        assert_eq!(get("staff"), Val::Text(Some("billy")));
        assert_eq!(get("owner"), Val::Text(None));
        assert_eq!(get("opened"), Val::Time(Some(&opened)));
    }
}
