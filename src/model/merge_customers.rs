//! The rules of `care customer merge KEEP DROP`: what of DROP's record goes into KEEP's when
//! the two are the same person. Kept pure (two parsed files in, a list of changes out) so
//! that "nothing lost, nothing doubled" is tested without a book, and so `--dry-run` shows
//! exactly what the real run will write.
//!
//! The record is compared as YAML values, not through the typed `Customer`, because a merge
//! must carry the fields the typed view does not know: extra fields on an entry, and extra
//! top-level fields (`allergies: peanuts` from an import).
//!
//! Lists are joined; a single value (a name, an email, a typed lifetime value, an extra
//! field) held by both with different values is a conflict, and a conflict is never
//! settled silently: the merge is refused until the user says which side to take
//! (`Choices`). The side not taken is still written down as a note, so nothing is lost.

use crate::yaml::{Mapping, Value};

/// One change to KEEP's file, in the terms `yaml::Doc` edits in.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Append DROP's entry to KEEP's list under `key`.
    Push { key: String, entry: Value },
    /// Set a top-level field (one KEEP lacks, the earlier `since`, or DROP's value taken).
    Set { key: String, value: Value },
    /// Set a field of a top-level mapping (`contact`).
    SetInMap { key: String, field: String, value: Value },
    /// The value of a conflicting field that was not taken, written down as a note so that
    /// it is not lost.
    Note(String),
}

/// One side of the merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Keep,
    Drop,
}

impl std::str::FromStr for Side {
    type Err = String;

    fn from_str(s: &str) -> Result<Side, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "keep" => Ok(Side::Keep),
            "drop" => Ok(Side::Drop),
            _ => Err(format!("{s:?} is not a side; use keep or drop")),
        }
    }
}

/// Which side to take where the two records disagree: per field first, then for all.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    pub prefer: Option<Side>,
    /// `(field, side)`; a contact field may be named bare (`email`) or in full (`contact.email`).
    pub take: Vec<(String, Side)>,
}

impl Choices {
    fn side(&self, field: &str) -> Option<Side> {
        let bare = |name: &str| name.strip_prefix("contact.").unwrap_or(name).to_string();
        self.take.iter().rev().find(|(f, _)| bare(f) == bare(field)).map(|(_, s)| *s).or(self.prefer)
    }
}

/// A field both records hold, with different values.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// As the user names it in `--take`: `name`, `email`, `lifetime_value`, `tier`.
    pub field: String,
    pub keep: Value,
    pub drop: Value,
}

impl Conflict {
    /// `name: "Ada Lovelace" (KEEP) vs "A. Lovelace" (DROP)`: text quoted, so that a space
    /// at its end shows, numbers as they are.
    pub fn describe(&self, keep_id: &str, drop_id: &str) -> String {
        let quoted = |v: &Value| match v {
            Value::String(s) => format!("{s:?}"),
            other => shown(other),
        };
        format!("{}: {} ({keep_id}) vs {} ({drop_id})", self.field, quoted(&self.keep), quoted(&self.drop))
    }
}

/// What a merge would do: the changes to KEEP, and every field the two disagree on (each
/// settled by `Choices`, or not).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub conflicts: Vec<(Conflict, Option<Side>)>,
}

impl Plan {
    /// The conflicts nobody said how to settle: while there is one, nothing may be written.
    pub fn unresolved(&self) -> Vec<&Conflict> {
        self.conflicts.iter().filter(|(_, side)| side.is_none()).map(|(c, _)| c).collect()
    }
}

/// The entry lists, with the fields that make two entries the same one. Entries are
/// identified the way a person would: the same words, said at the same moment, by the same
/// colleague; a visit by its moment and place (as `Visit::same_as`); a reminder by its words and due time.
const LISTS: [(&str, &[&str]); 8] = [
    ("roles", &["text", "at", "by"]),
    ("goals", &["text", "at", "by"]),
    ("preferences", &["text", "at", "by"]),
    ("notes", &["text", "at", "by"]),
    ("missteps", &["text", "at", "by"]),
    ("flags", &["text", "raised", "by"]),
    ("visits", &["at", "location"]),
    ("reminders", &["text", "due", "by"]),
];

/// Fields never copied as they are: the id is the file's name, and these are handled one by one.
const OWN: [&str; 5] = ["id", "name", "since", "contact", "lifetime_value"];

/// What merging `drop` (the record of `drop_id`) into `keep` changes in `keep`, settling the
/// conflicts as `choices` says.
pub fn plan(keep: &Mapping, drop: &Mapping, drop_id: &str, choices: &Choices) -> Plan {
    let mut plan = Plan::default();
    for (key, identity) in LISTS {
        push_new(&mut plan.changes, keep, drop, key, |a, b| identity.iter().all(|f| field(a, f) == field(b, f)));
    }
    match (present(keep.get("since")), present(drop.get("since"))) {
        (None, Some(d)) => plan.changes.push(Change::Set { key: "since".into(), value: d.clone() }),
        // ISO dates order as text; the customer has been one since the earlier.
        (Some(k), Some(d)) if shown(d) < shown(k) => {
            plan.changes.push(Change::Set { key: "since".into(), value: d.clone() })
        }
        _ => {}
    }
    for key in ["name", "lifetime_value"] {
        scalar(&mut plan, key, None, keep.get(key), drop.get(key), drop_id, choices);
    }
    let keep_contact = keep.get("contact").and_then(Value::as_mapping);
    if let Some(contact) = drop.get("contact").and_then(Value::as_mapping) {
        for (name, d) in contact {
            let Some(name) = name.as_str() else { continue };
            let k = keep_contact.and_then(|c| c.get(name));
            scalar(&mut plan, name, Some("contact"), k, Some(d), drop_id, choices);
        }
    }
    for (key, d) in drop {
        let Some(name) = key.as_str() else { continue };
        if OWN.contains(&name) || LISTS.iter().any(|(l, _)| *l == name) {
            continue;
        }
        // A list the tool does not know (`tags: [vip, regular]`) is joined like its own.
        if d.is_sequence() && keep.get(name).is_none_or(|k| k.is_sequence() || present(Some(k)).is_none()) {
            push_new(&mut plan.changes, keep, drop, name, |a, b| a == b);
            continue;
        }
        scalar(&mut plan, name, None, keep.get(name), Some(d), drop_id, choices);
    }
    // A note a previous merge already wrote is not written twice (a merge run again after
    // it stopped half-way).
    let noted: Vec<&str> = list(keep, "notes").filter_map(|n| field(n, "text")).filter_map(Value::as_str).collect();
    plan.changes.retain(|c| !matches!(c, Change::Note(text) if noted.contains(&text.as_str())));
    plan
}

/// DROP's entries under `key` that KEEP does not already hold. Only what KEEP holds is left
/// out: DROP listing an entry twice keeps both, as it had them.
fn push_new(out: &mut Vec<Change>, keep: &Mapping, drop: &Mapping, key: &str, same: impl Fn(&Value, &Value) -> bool) {
    let have: Vec<&Value> = list(keep, key).collect();
    for entry in list(drop, key) {
        if !have.iter().any(|other| same(other, entry)) {
            out.push(Change::Push { key: key.to_string(), entry: entry.clone() });
        }
    }
}

/// One single-valued field (`map`: inside `contact:`): DROP's fills a gap in KEEP, an equal
/// one changes nothing, a different one is a conflict settled by `choices` or left open.
fn scalar(
    plan: &mut Plan,
    name: &str,
    map: Option<&str>,
    keep: Option<&Value>,
    drop: Option<&Value>,
    drop_id: &str,
    choices: &Choices,
) {
    let Some(d) = present(drop) else { return };
    let set = |value: &Value| match map {
        Some(map) => Change::SetInMap { key: map.into(), field: name.into(), value: value.clone() },
        None => Change::Set { key: name.into(), value: value.clone() },
    };
    let Some(k) = present(keep) else {
        plan.changes.push(set(d));
        return;
    };
    if same(name, k, d) {
        return;
    }
    let side = choices.side(name);
    match side {
        Some(Side::Keep) => plan.changes.push(Change::Note(format!("merged from {drop_id}: {name} {}", shown(d)))),
        Some(Side::Drop) => {
            plan.changes.push(set(d));
            plan.changes.push(Change::Note(format!("merged from {drop_id}: {name} {} (was {})", shown(d), shown(k))));
        }
        None => {}
    }
    plan.conflicts.push((Conflict { field: name.into(), keep: k.clone(), drop: d.clone() }, side));
}

/// Whether two values of a field say the same: text ignoring surrounding spaces (and case,
/// for an email address), numbers by value (`900` is `900.0`).
fn same(name: &str, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) if name == "email" => a.trim().eq_ignore_ascii_case(b.trim()),
        (Value::String(a), Value::String(b)) => a.trim() == b.trim(),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => a == b,
    }
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

    fn changes(keep: &str, drop: &str, choices: &Choices) -> Plan {
        plan(&record(keep), &record(drop), "ada-2", choices)
    }

    #[test]
    fn entries_are_joined_once_and_unknown_fields_travel_with_them() {
        let out = changes(KEEP, DROP, &Choices::default()).changes;
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
    fn gaps_are_filled_and_only_different_values_on_both_sides_conflict() {
        let plan = changes(KEEP, DROP, &Choices::default());
        let has = |c: Change| plan.changes.contains(&c);
        assert!(has(Change::Set { key: "since".into(), value: Value::from("2019-03-02") }), "the earlier since");
        assert!(has(Change::Set { key: "lifetime_value".into(), value: Value::from(900) }));
        assert!(has(Change::Set { key: "tier".into(), value: Value::from("gold") }));
        assert!(has(Change::SetInMap { key: "contact".into(), field: "phone".into(), value: "+1 555 0100".into() }));
        let open: Vec<&str> = plan.unresolved().iter().map(|c| c.field.as_str()).collect();
        assert_eq!(open, ["email"], "the same name is no conflict, one side alone is none");
        assert!(!plan.changes.iter().any(|c| matches!(c, Change::Note(_))), "nothing settled, nothing noted");
    }

    #[test]
    fn every_kind_of_single_value_conflicts_and_equal_ones_do_not() {
        let keep = "id: a\nname: Ada\nlifetime_value: 900\ntier: gold\nseat: {room: main}\ncontact: {email: A@X.org, phone: '1'}\n";
        let drop = "id: b\nname: ' Ada '\nlifetime_value: 900.0\ntier: silver\nseat: {room: patio}\ncontact: {email: a@x.org, phone: '2'}\n";
        let plan = changes(keep, drop, &Choices::default());
        let open: Vec<&str> = plan.unresolved().iter().map(|c| c.field.as_str()).collect();
        assert_eq!(open, ["phone", "tier", "seat"], "{plan:?}");
        let keep = "id: a\nlifetime_value: 900\n";
        let drop = "id: b\nlifetime_value: 12000\n";
        let plan = changes(keep, drop, &Choices::default());
        assert_eq!(plan.unresolved()[0].describe("a", "b"), "lifetime_value: 900 (a) vs 12000 (b)");
    }

    #[test]
    fn a_choice_settles_a_conflict_and_the_side_not_taken_becomes_a_note() {
        let keep = "id: a\nname: Ada Lovelace\ntier: gold\ncontact: {email: ada@example.com}\n";
        let drop = "id: b\nname: A. Lovelace\ntier: silver\ncontact: {email: ada@work.example}\n";
        let choices = Choices {
            prefer: Some(Side::Keep),
            take: vec![("contact.email".into(), Side::Drop), ("tier".into(), Side::Drop)],
        };
        let plan = plan(&record(keep), &record(drop), "b", &choices);
        assert!(plan.unresolved().is_empty(), "{plan:?}");
        let expected = [
            Change::Note("merged from b: name A. Lovelace".into()),
            Change::SetInMap { key: "contact".into(), field: "email".into(), value: "ada@work.example".into() },
            Change::Note("merged from b: email ada@work.example (was ada@example.com)".into()),
            Change::Set { key: "tier".into(), value: "silver".into() },
            Change::Note("merged from b: tier silver (was gold)".into()),
        ];
        assert_eq!(plan.changes, expected);
        let only_tier = Choices { prefer: None, take: vec![("tier".into(), Side::Keep)] };
        let open: Vec<String> = super::plan(&record(keep), &record(drop), "b", &only_tier)
            .unresolved()
            .iter()
            .map(|c| c.field.clone())
            .collect();
        assert_eq!(open, ["name", "email"]);
    }

    #[test]
    fn an_unknown_list_is_joined_not_conflicting() {
        let plan = changes("id: a\ntags: [vip, regular]\n", "id: b\ntags: [regular, wine]\n", &Choices::default());
        assert!(plan.conflicts.is_empty());
        assert_eq!(plan.changes, [Change::Push { key: "tags".into(), entry: "wine".into() }]);
    }

    #[test]
    fn merging_again_changes_nothing() {
        let keep = record(KEEP);
        let drop = record(DROP);
        let mut merged = keep.clone();
        let choices = Choices { prefer: Some(Side::Drop), take: vec![] };
        for c in plan(&keep, &drop, "ada-2", &choices).changes {
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
        let again = plan(&merged, &drop, "ada-2", &Choices::default());
        assert!(again.changes.is_empty() && again.conflicts.is_empty(), "{again:?}");
    }
}
