//! The customer's permanent record: who they are (roles), what they are working towards
//! (goals), how they like to be served (preferences), what staff learned (notes), what
//! went wrong for them (missteps), and flags every colleague must see.
//!
//! Entries are never dropped: a retired entry keeps its place with `retired: DATE`, and a
//! cleared flag keeps its text with `cleared:`. Fields this struct does not name are kept
//! by `yaml::Doc`, which is what commands edit; this struct is the typed view for reading.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{amount, id};
use crate::time::Stamp;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Contact::is_empty")]
    pub contact: Contact,
    #[serde(default, skip_serializing_if = "Option::is_none", serialize_with = "amount::serialize")]
    pub lifetime_value: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub goals: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferences: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missteps: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Flag>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub visits: Vec<super::visit::Visit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reminders: Vec<super::reminder::Reminder>,
    /// The visits folded into their summary, when a book-wide list read the record and let
    /// the visits go (500,000 visits held at once would take far more memory than the
    /// rows need). In memory only: never written.
    #[serde(skip)]
    pub folded: Option<super::visit::Summary>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::text::option")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::text::option")]
    pub phone: Option<String>,
}

impl Contact {
    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.phone.is_none()
    }

    /// One cell's worth: phone first (it is what a follow-up uses), then email.
    pub fn summary(&self) -> String {
        [self.phone.as_deref(), self.email.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(", ")
    }
}

/// One thing learned about a customer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    #[serde(deserialize_with = "super::text::string")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Stamp>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub critical: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<NaiveDate>,
}

/// An internal flag: what every colleague must know before greeting the customer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flag {
    #[serde(deserialize_with = "super::text::string")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raised: Option<Stamp>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// Last day the flag is active (inclusive); none: until cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleared: Option<Stamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleared_by: Option<String>,
}

impl Flag {
    pub fn is_active(&self, today: NaiveDate) -> bool {
        self.cleared.is_none() && self.until.is_none_or(|until| until >= today)
    }
}

/// The lists of a customer record that hold entries, in the order a briefing shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Preference,
    Role,
    Goal,
    Note,
    Misstep,
}

impl Section {
    pub const ALL: [Section; 5] = [Section::Preference, Section::Role, Section::Goal, Section::Note, Section::Misstep];

    /// The record's key for this list.
    pub fn key(self) -> &'static str {
        match self {
            Section::Preference => "preferences",
            Section::Role => "roles",
            Section::Goal => "goals",
            Section::Note => "notes",
            Section::Misstep => "missteps",
        }
    }

    /// One entry's kind, as a person says it.
    pub fn label(self) -> &'static str {
        match self {
            Section::Preference => "preference",
            Section::Role => "role",
            Section::Goal => "goal",
            Section::Note => "note",
            Section::Misstep => "misstep",
        }
    }
}

impl Customer {
    /// The top-level fields this struct reads; any other is an extra field (`tier: gold`).
    pub const FIELDS: [&str; 13] = super::fields::names(super::fields::CUSTOMER, false);

    /// A record with a name and nothing learned yet.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Customer {
        Customer {
            id: id.into(),
            name: name.into(),
            since: None,
            contact: Contact::default(),
            lifetime_value: None,
            roles: vec![],
            goals: vec![],
            preferences: vec![],
            notes: vec![],
            missteps: vec![],
            flags: vec![],
            visits: vec![],
            reminders: vec![],
            folded: None,
        }
    }

    /// Visit count, last visit and spend, whether the visits are still held or folded.
    pub fn visit_summary(&self) -> super::visit::Summary {
        self.folded.unwrap_or_else(|| super::visit::summary(&self.visits))
    }

    /// The record with its visits folded into their summary (see `folded`), for lists.
    pub fn fold_visits(mut self) -> Customer {
        self.folded = Some(self.visit_summary());
        self.visits = Vec::new();
        self
    }

    pub fn entries(&self, section: Section) -> &[Entry] {
        match section {
            Section::Preference => &self.preferences,
            Section::Role => &self.roles,
            Section::Goal => &self.goals,
            Section::Note => &self.notes,
            Section::Misstep => &self.missteps,
        }
    }

    /// A section's entries still in force, critical ones first, otherwise as recorded.
    pub fn current(&self, section: Section) -> Vec<&Entry> {
        let mut live: Vec<&Entry> = self.entries(section).iter().filter(|e| e.retired.is_none()).collect();
        live.sort_by_key(|e| !e.critical);
        live
    }

    /// What nobody may miss: every critical entry in force, preferences first.
    pub fn critical(&self) -> Vec<&Entry> {
        Section::ALL.iter().flat_map(|&s| self.current(s)).filter(|e| e.critical).collect()
    }

    /// Active flags with their 1-based number among all of this customer's flags
    /// (the number `care flag --clear CUSTOMER N` takes).
    pub fn active_flags(&self, today: NaiveDate) -> Vec<(usize, &Flag)> {
        self.flags.iter().enumerate().filter(|(_, f)| f.is_active(today)).map(|(i, f)| (i + 1, f)).collect()
    }

    /// True when the record carries what opening `incident` puts on it: the misstep or the
    /// flag naming it. An incident without either was opened by a run that stopped between
    /// its two writes (or written by hand), and nobody greeting the customer knows of it.
    pub fn links(&self, incident: &str) -> bool {
        let named = |i: &Option<String>| i.as_deref() == Some(incident);
        self.missteps.iter().any(|e| named(&e.incident)) || self.flags.iter().any(|f| named(&f.incident))
    }
}

/// The result of naming a customer.
#[derive(Debug, PartialEq, Eq)]
pub enum Pick {
    One(usize),
    None,
    Many(Vec<usize>),
}

/// Find the customer `query` names, trying in turn: the exact id; the exact name; whole
/// words of the name or id (`ada` for Ada Lovelace rather than Bob Adams); a part that
/// starts a word; any part. Both sides are folded as ids
/// are (`jurgen` and `JÜRGEN` find `Jürgen Müller`), and a name's own script still finds
/// it. The first test that matches anyone decides, and several matches are refused with
/// every candidate listed, as git refuses an ambiguous revision: `j` must not pick José
/// when Jürgen also answers to it, since a note would land on the wrong guest.
pub fn pick(query: &str, customers: &[&Customer]) -> Pick {
    let query = query.trim();
    let (q, raw) = (id::fold(query), query.to_lowercase());
    let folded: Vec<(String, String)> = customers.iter().map(|c| (id::fold(&c.name), c.id.replace('-', " "))).collect();
    let starts_word = |hay: &str| !q.is_empty() && (hay.starts_with(&q) || hay.contains(&format!(" {q}")));
    let whole_words = |hay: &str| !q.is_empty() && format!(" {hay} ").contains(&format!(" {q} "));
    let tests: [&dyn Fn(usize) -> bool; 5] = [
        &|i| customers[i].id == query || customers[i].id == raw,
        &|i| !q.is_empty() && folded[i].0 == q,
        &|i| whole_words(&folded[i].0) || whole_words(&folded[i].1),
        &|i| starts_word(&folded[i].0) || starts_word(&folded[i].1),
        &|i| {
            (!q.is_empty() && (folded[i].0.contains(&q) || folded[i].1.contains(&q)))
                || (!raw.is_empty() && customers[i].name.to_lowercase().contains(&raw))
        },
    ];
    for test in tests {
        let found: Vec<usize> = (0..customers.len()).filter(|&i| test(i)).collect();
        match found.len() {
            0 => continue,
            1 => return Pick::One(found[0]),
            _ => return Pick::Many(found),
        }
    }
    Pick::None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const ADA: &str = r#"
id: ada-lovelace
name: Ada Lovelace
since: 2019-03-02
contact: {email: ada@example.com, phone: "+1 555 0100"}
lifetime_value: 12000
preferences:
  - {text: No phone calls before 11 am, at: 2026-11-02T10:15:00-05:00, by: dale, critical: true}
  - {text: Likes the corner table, at: 2026-10-02T19:15:00-04:00, by: joan}
  - {text: Allergic to shellfish, at: 2026-11-22T15:40:00-05:00, by: joan, critical: true}
  - {text: Sits by the window, retired: 2026-01-01}
notes:
  - {text: 42}
flags:
  - {text: Rough evening, raised: 2026-11-22T15:33:00-05:00, by: joan, until: 2027-02-20}
  - {text: Old, cleared: 2026-11-23T10:00:00-05:00}
"#;

    fn ada() -> Customer {
        crate::yaml::parse(Path::new("ada.yaml"), ADA).expect("valid")
    }

    #[test]
    fn critical_entries_come_first_and_retired_ones_are_hidden() {
        let ada = ada();
        let prefs: Vec<_> = ada.current(Section::Preference).iter().map(|e| e.text.as_str()).collect();
        assert_eq!(prefs, ["No phone calls before 11 am", "Allergic to shellfish", "Likes the corner table"]);
        assert_eq!(ada.critical().len(), 2);
        assert_eq!(ada.notes[0].text, "42");
    }

    #[test]
    fn customers_are_named_by_id_or_a_unique_part_of_the_name() {
        let mk = |id: &str, name: &str| Customer { id: id.into(), name: name.into(), ..ada() };
        let (a, b, c) = (mk("ada", "Ada Lovelace"), mk("bob", "Bob Adams"), mk("al", "Al"));
        let all = [&a, &b, &c];
        assert_eq!(pick("bob", &all), Pick::One(1));
        assert_eq!(pick("LOVE", &all), Pick::One(0));
        assert_eq!(pick("ad", &all), Pick::Many(vec![0, 1]), "Ada and Adams both start a word with it");
        assert_eq!(pick("ada", &all), Pick::One(0), "a whole word before the start of one");
        assert_eq!(pick("ams", &all), Pick::One(1));
        assert_eq!(pick("a", &all), Pick::Many(vec![0, 1, 2]));
        assert_eq!(pick("al", &all), Pick::One(2), "an exact id comes first");
        assert_eq!(pick("LOVELACE", &all), Pick::One(0));
        assert_eq!(pick("ada l", &all), Pick::One(0));
        assert_eq!(pick("zed", &all), Pick::None);
        assert_eq!(pick("   ", &all), Pick::None);
    }

    #[test]
    fn names_are_found_without_their_accents_and_an_ambiguous_part_is_refused() {
        let mk = |id: &str, name: &str| Customer { id: id.into(), name: name.into(), ..ada() };
        let (jose, jurgen, yamada) = (
            mk("jose-nunez", "José Núñez"),
            mk("muller-jurgen", "Müller, Jürgen"),
            mk("shan-tian-tai-lang", "山田 太郎"),
        );
        let all = [&jose, &jurgen, &yamada];
        for query in ["jurgen", "JÜRGEN", "Jürgen", "muller", "müller, jürgen", "MULLER-JURGEN"] {
            assert_eq!(pick(query, &all), Pick::One(1), "{query}");
        }
        assert_eq!(pick("j", &all), Pick::Many(vec![0, 1]), "José and Jürgen both answer to j");
        assert_eq!(pick("nunez", &all), Pick::One(0));
        assert_eq!(pick("山田", &all), Pick::One(2), "a name in its own script finds it");
        assert_eq!(pick("太郎", &all), Pick::One(2));
    }

    #[test]
    fn flags_are_active_until_their_last_day_or_until_cleared() {
        let ada = ada();
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert_eq!(ada.active_flags(day("2027-02-20")).len(), 1);
        assert_eq!(ada.active_flags(day("2027-02-20"))[0].0, 1);
        assert!(ada.active_flags(day("2027-02-21")).is_empty());
    }
}
