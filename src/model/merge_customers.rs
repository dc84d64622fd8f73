//! The rules of `care customer merge KEEP DROP`: what of DROP's record goes into KEEP's when
//! the two are the same person. Kept pure (two parsed files in, a list of changes out) so
//! that "nothing lost, nothing doubled" is tested without a book, and so `--dry-run` shows
//! exactly what the real run will write.
//!
//! The record is compared as YAML values, not through the typed `Customer`, because a merge
//! must carry the fields the typed view does not know: extra fields on an entry, and extra
//! top-level fields (`allergies: peanuts` from an import).

use crate::yaml::{Mapping, Value};

/// One change to KEEP's file, in the terms `yaml::Doc` edits in.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Append DROP's entry to KEEP's list under `key`.
    Push { key: String, entry: Value },
    /// Set a top-level field KEEP lacks (or the earlier `since`).
    Set { key: String, value: Value },
    /// Set a field of a top-level mapping (`contact`) that KEEP lacks.
    SetInMap { key: String, field: String, value: Value },
    /// DROP's value of a field where KEEP already has a different one: KEEP's stays, and
    /// DROP's is written down as a note so that it is not lost.
    Note(String),
}

/// The entry lists, with the fields that make two entries the same one. Entries are
/// identified the way a person would: the same words, said at the same moment, by the same
/// colleague; a visit by its moment, place and colleague; a reminder by its words and due time.
const LISTS: [(&str, &[&str]); 8] = [
    ("roles", &["text", "at", "by"]),
    ("goals", &["text", "at", "by"]),
    ("preferences", &["text", "at", "by"]),
    ("notes", &["text", "at", "by"]),
    ("missteps", &["text", "at", "by"]),
    ("flags", &["text", "raised", "by"]),
    ("visits", &["at", "by", "location"]),
    ("reminders", &["text", "due", "by"]),
];

/// Fields never copied: the id is the file's name, and these are handled one by one.
const OWN: [&str; 5] = ["id", "name", "since", "contact", "lifetime_value"];

/// What merging `drop` (the record of `drop_id`) into `keep` changes in `keep`.
pub fn changes(keep: &Mapping, drop: &Mapping, drop_id: &str) -> Vec<Change> {
    let mut out = Vec::new();
    for (key, identity) in LISTS {
        let have: Vec<&Value> = list(keep, key).collect();
        for entry in list(drop, key) {
            // Only what KEEP already holds is left out: DROP listing an entry twice keeps
            // both, as it had them.
            if have.iter().any(|other| identity.iter().all(|f| field(other, f) == field(entry, f))) {
                continue;
            }
            out.push(Change::Push { key: key.to_string(), entry: entry.clone() });
        }
    }

    let note = |what: &str, value: &Value| Change::Note(format!("merged from {drop_id}: {what} {}", shown(value)));
    if let (Some(k), Some(d)) = (present(keep.get("name")), present(drop.get("name")))
        && k != d
    {
        out.push(note("name", d));
    }
    match (present(keep.get("since")), present(drop.get("since"))) {
        (None, Some(d)) => out.push(Change::Set { key: "since".into(), value: d.clone() }),
        // ISO dates order as text; the customer has been one since the earlier.
        (Some(k), Some(d)) if shown(d) < shown(k) => out.push(Change::Set { key: "since".into(), value: d.clone() }),
        _ => {}
    }
    match (present(keep.get("lifetime_value")), present(drop.get("lifetime_value"))) {
        (None, Some(d)) => out.push(Change::Set { key: "lifetime_value".into(), value: d.clone() }),
        (Some(k), Some(d)) if k != d => out.push(note("lifetime_value", d)),
        _ => {}
    }
    let keep_contact = keep.get("contact").and_then(Value::as_mapping);
    if let Some(contact) = drop.get("contact").and_then(Value::as_mapping) {
        for (field, d) in contact {
            let (Some(name), Some(d)) = (field.as_str(), present(Some(d))) else { continue };
            match present(keep_contact.and_then(|c| c.get(name))) {
                None => out.push(Change::SetInMap { key: "contact".into(), field: name.into(), value: d.clone() }),
                Some(k) if k != d => out.push(note(name, d)),
                _ => {}
            }
        }
    }
    for (key, d) in drop {
        let Some(name) = key.as_str() else { continue };
        if OWN.contains(&name) || LISTS.iter().any(|(l, _)| *l == name) {
            continue;
        }
        let Some(d) = present(Some(d)) else { continue };
        match present(keep.get(name)) {
            None => out.push(Change::Set { key: name.into(), value: d.clone() }),
            Some(k) if k != d => out.push(note(name, d)),
            _ => {}
        }
    }
    // A note a previous merge already wrote is not written twice (a merge run again after
    // it stopped half-way).
    let noted: Vec<&str> = list(keep, "notes").filter_map(|n| field(n, "text")).filter_map(Value::as_str).collect();
    out.retain(|c| !matches!(c, Change::Note(text) if noted.contains(&text.as_str())));
    out
}

/// The entries of a list field; anything that is not a list has none.
fn list<'a>(record: &'a Mapping, key: &str) -> impl Iterator<Item = &'a Value> {
    record.get(key).and_then(Value::as_sequence).into_iter().flatten()
}

fn field<'a>(entry: &'a Value, name: &str) -> Option<&'a Value> {
    present(entry.get(name))
}

/// A value that says something: `email:` left empty is the same as no email.
fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
}

/// A value as one line of a note.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => crate::yaml::to_string(other).map(|s| s.trim().replace('\n', " ")).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str) -> Mapping {
        crate::yaml::parse(std::path::Path::new("r.yaml"), text).expect("valid")
    }

    const KEEP: &str = r#"
id: ada
name: Ada Lovelace
since: 2020-01-01
contact: {email: ada@example.com}
notes:
  - {text: Likes jazz, at: 2026-10-01T19:00:00-04:00, by: joan}
"#;

    const DROP: &str = r#"
id: ada-2
name: Ada Lovelace
since: 2019-03-02
contact: {email: ada@work.example, phone: "+1 555 0100"}
lifetime_value: 900
tier: gold
notes:
  - {text: Likes jazz, at: 2026-10-01T19:00:00-04:00, by: joan}
  - {text: Wife is ill, at: 2026-11-05T12:00:00-05:00, by: jeff, source: phone}
visits:
  - {at: 2026-11-01T20:00:00-04:00, spend: 80}
"#;

    #[test]
    fn entries_are_joined_once_and_unknown_fields_travel_with_them() {
        let out = changes(&record(KEEP), &record(DROP), "ada-2");
        let pushed: Vec<_> = out
            .iter()
            .filter_map(|c| match c {
                Change::Push { key, entry } => Some((key.as_str(), entry.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(pushed.len(), 2, "{out:?}");
        assert_eq!(pushed[0].0, "notes");
        assert_eq!(pushed[0].1.get("source").and_then(Value::as_str), Some("phone"));
        assert_eq!(pushed[1].0, "visits");
    }

    #[test]
    fn scalars_fill_gaps_and_conflicts_become_notes() {
        let out = changes(&record(KEEP), &record(DROP), "ada-2");
        let has = |c: Change| out.contains(&c);
        assert!(has(Change::Set { key: "since".into(), value: Value::from("2019-03-02") }), "the earlier since");
        assert!(has(Change::Set { key: "lifetime_value".into(), value: Value::from(900) }));
        assert!(has(Change::Set { key: "tier".into(), value: Value::from("gold") }));
        assert!(has(Change::SetInMap { key: "contact".into(), field: "phone".into(), value: "+1 555 0100".into() }));
        assert!(has(Change::Note("merged from ada-2: email ada@work.example".into())));
        assert!(!out.iter().any(|c| matches!(c, Change::Note(n) if n.contains("name"))), "same name: no note");
    }

    #[test]
    fn merging_again_changes_nothing() {
        let keep = record(KEEP);
        let drop = record(DROP);
        let mut merged = keep.clone();
        for c in changes(&keep, &drop, "ada-2") {
            match c {
                Change::Push { key, entry } => {
                    let slot = merged.entry(key.into()).or_insert_with(|| Value::Sequence(vec![]));
                    slot.as_sequence_mut().expect("list").push(entry);
                }
                Change::Set { key, value } => {
                    merged.insert(key.into(), value);
                }
                Change::SetInMap { key, field, value } => {
                    let slot = merged.get_mut(key.as_str()).and_then(Value::as_mapping_mut).expect("contact");
                    slot.insert(field.into(), value);
                }
                Change::Note(_) => {}
            }
        }
        let again = changes(&merged, &drop, "ada-2");
        assert!(again.iter().all(|c| matches!(c, Change::Note(_))), "{again:?}");
    }
}
