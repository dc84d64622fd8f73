//! The three-way merge of one record, for `care merge-driver`: what git runs when two
//! clones of a book changed the same customer or incident file.
//!
//! Git's own merge works on lines. Two sites that each append a note to the same list
//! touch the same spot in the file and conflict, although nothing contradicts. This merge
//! works on values instead:
//! - lists (roles, notes, flags, follow-ups, tags, any other) are unions: every entry of
//!   either side is kept once; an entry changed on one side (a flag that got `cleared`)
//!   takes the change; entries added on the other side go where their time (`at`,
//!   `raised`, `due`) puts them, so both clones build the same order;
//! - mappings (contact, recovery, one step) merge key by key;
//! - a scalar takes the side that changed it. Both sides changing it differently is a
//!   conflict, never a silent pick: the result then holds each side's value, so the
//!   driver can write both between git-style markers.
//!
//! Fields the tool does not know take part like any other. Entries are recognised across
//! the three versions by what never changes once written: their time, kind, text and
//! author.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::Result;
use crate::yaml::{Mapping, Value};

/// One field that both sides changed, differently.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// Where, as a person reads it: `name`, `contact.phone`, `flags[2].cleared`.
    pub field: String,
    /// Each side's value; `None` where that side removed it.
    pub ours: Option<Value>,
    pub theirs: Option<Value>,
}

/// The merged record as each side would have it: the two are equal except where there
/// are conflicts, where each holds its own side's value.
#[derive(Debug, Clone)]
pub struct Merged {
    pub ours: Mapping,
    pub theirs: Mapping,
    pub conflicts: Vec<Conflict>,
}

/// Merge `ours` and `theirs`, both descended from `base` (an empty mapping when both
/// sides added the file).
pub fn merge(base: &Mapping, ours: &Mapping, theirs: &Mapping) -> Merged {
    let mut conflicts = Vec::new();
    let (ours, theirs) = maps("", base, ours, theirs, &mut conflicts);
    Merged { ours, theirs, conflicts }
}

/// A merged value as each side has it; `None` where it is gone.
type Sides = (Option<Value>, Option<Value>);

fn value(
    field: &str,
    base: Option<&Value>,
    ours: Option<&Value>,
    theirs: Option<&Value>,
    conflicts: &mut Vec<Conflict>,
) -> Sides {
    let both = |v: Option<&Value>| (v.cloned(), v.cloned());
    if ours == theirs || theirs == base {
        return both(ours);
    }
    if ours == base {
        return both(theirs);
    }
    match (ours, theirs) {
        (Some(Value::Mapping(o)), Some(Value::Mapping(t))) => {
            let empty = Mapping::new();
            let b = base.and_then(Value::as_mapping).unwrap_or(&empty);
            let (o, t) = maps(field, b, o, t, conflicts);
            (Some(Value::Mapping(o)), Some(Value::Mapping(t)))
        }
        (Some(Value::Sequence(o)), Some(Value::Sequence(t))) => {
            let b = base.and_then(Value::as_sequence).map_or(&[][..], Vec::as_slice);
            let (o, t) = lists(field, b, o, t, conflicts);
            (Some(Value::Sequence(o)), Some(Value::Sequence(t)))
        }
        _ => {
            conflicts.push(Conflict { field: field.to_string(), ours: ours.cloned(), theirs: theirs.cloned() });
            (ours.cloned(), theirs.cloned())
        }
    }
}

/// A mapping's fields while it is built, in order.
type Fields = Vec<(Value, Value)>;

/// Key by key, in ours' order; a key only theirs has goes where its time puts it (a
/// recovery step), else last.
fn maps(
    field: &str,
    base: &Mapping,
    ours: &Mapping,
    theirs: &Mapping,
    conflicts: &mut Vec<Conflict>,
) -> (Mapping, Mapping) {
    let mut keys: Vec<&Value> = ours.keys().collect();
    keys.extend(theirs.keys().filter(|k| !ours.contains_key(*k)));
    let (mut o, mut t): (Fields, Fields) = (Vec::new(), Vec::new());
    for key in keys {
        let name = match key {
            Value::String(k) if field.is_empty() => k.clone(),
            Value::String(k) => format!("{field}.{k}"),
            other => format!("{field}.{}", short(other)),
        };
        let (mo, mt) = value(&name, base.get(key), ours.get(key), theirs.get(key), conflicts);
        let place = |side: &mut Fields, v: Value| {
            if ours.contains_key(key) {
                side.push((key.clone(), v));
            } else {
                insert_by_time(side, (key.clone(), v), |(_, v)| v);
            }
        };
        if let Some(v) = mo {
            place(&mut o, v);
        }
        if let Some(v) = mt {
            place(&mut t, v);
        }
    }
    (o.into_iter().collect(), t.into_iter().collect())
}

/// Entries matched by identity: ours' entries in ours' order (each merged with its
/// versions elsewhere), then the entries only theirs has, each placed by its time.
fn lists(
    field: &str,
    base: &[Value],
    ours: &[Value],
    theirs: &[Value],
    conflicts: &mut Vec<Conflict>,
) -> (Vec<Value>, Vec<Value>) {
    let base: HashMap<Key, &Value> = keyed(base).into_iter().collect();
    let ours = keyed(ours);
    let theirs = keyed(theirs);
    let in_ours: HashSet<&Key> = ours.iter().map(|(k, _)| k).collect();
    let theirs_by: HashMap<&Key, &Value> = theirs.iter().map(|(k, v)| (k, *v)).collect();
    let (mut o, mut t) = (Vec::new(), Vec::new());
    for (n, (key, entry)) in ours.iter().enumerate() {
        let name = format!("{field}[{}]", n + 1);
        let (mo, mt) = value(&name, base.get(key).copied(), Some(entry), theirs_by.get(key).copied(), conflicts);
        o.extend(mo);
        t.extend(mt);
    }
    for (n, (key, entry)) in theirs.iter().enumerate().filter(|(_, (k, _))| !in_ours.contains(k)) {
        let name = format!("{field}[{}]", n + 1);
        let (mo, mt) = value(&name, base.get(key).copied(), None, Some(entry), conflicts);
        if let Some(v) = mo {
            insert_by_time(&mut o, v, |v| v);
        }
        if let Some(v) = mt {
            insert_by_time(&mut t, v, |v| v);
        }
    }
    (o, t)
}

/// Which entry a list item is: its identity, and which of the items with that identity
/// (the first, the second, ...), so that true duplicates are counted, not merged away.
type Key = (Value, usize);

/// Fields that never change once an entry is written, so they say which entry it is.
/// Changing one by hand makes a new entry in place of the old.
const IDENTITY: [&str; 6] = ["at", "raised", "due", "kind", "text", "by"];

/// Fields that place an entry in time, in order of preference.
const TIME: [&str; 3] = ["at", "raised", "due"];

fn identity(entry: &Value) -> Value {
    if let Value::Mapping(m) = entry {
        let id: Mapping = IDENTITY.iter().filter_map(|&k| m.get(k).map(|v| (Value::from(k), v.clone()))).collect();
        if !id.is_empty() {
            return Value::Mapping(id);
        }
    }
    entry.clone()
}

fn keyed(list: &[Value]) -> Vec<(Key, &Value)> {
    let mut seen: HashMap<Value, usize> = HashMap::new();
    list.iter()
        .map(|entry| {
            let id = identity(entry);
            let n = seen.entry(id.clone()).or_insert(0);
            *n += 1;
            ((id, *n), entry)
        })
        .collect()
}

/// When an entry happened, if it says so.
fn time_of(entry: &Value) -> Option<DateTime<Utc>> {
    let text = TIME.iter().find_map(|&k| entry.get(k))?.as_str()?;
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc())
}

/// Insert an item added on the other side after the last item at or before its time
/// (ties broken by content, so both clones agree); items with no time go last.
fn insert_by_time<T>(list: &mut Vec<T>, item: T, entry: impl Fn(&T) -> &Value) {
    let Some(at) = time_of(entry(&item)) else {
        list.push(item);
        return;
    };
    let tie = short(&identity(entry(&item)));
    let before = |e: &T| {
        let e = entry(e);
        time_of(e).is_some_and(|t| t < at || (t == at && short(&identity(e)) <= tie))
    };
    let position = match list.iter().rposition(before) {
        Some(i) => i + 1,
        None => list.iter().position(|e| time_of(entry(e)).is_some()).unwrap_or(list.len()),
    };
    list.insert(position, item);
}

/// A value on one line, for names and messages.
pub fn short(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// The merged record as text: canonical YAML where the sides agree; for each top-level
/// field with a conflict, the lines where the sides differ, ours then theirs, between
/// `<<<<<<< ours`, `=======` and `>>>>>>> theirs` as git writes them.
pub fn render(merged: &Merged) -> Result<String> {
    if merged.conflicts.is_empty() {
        return crate::yaml::to_string(&merged.ours);
    }
    let mut keys: Vec<&Value> = merged.ours.keys().collect();
    keys.extend(merged.theirs.keys().filter(|k| !merged.ours.contains_key(*k)));
    let mut out: Vec<String> = Vec::new();
    for key in keys {
        let ours = field_lines(key, merged.ours.get(key))?;
        let theirs = field_lines(key, merged.theirs.get(key))?;
        if ours == theirs {
            out.extend(ours);
            continue;
        }
        let head = ours.iter().zip(&theirs).take_while(|(a, b)| a == b).count();
        let tail = ours[head..].iter().rev().zip(theirs[head..].iter().rev()).take_while(|(a, b)| a == b).count();
        out.extend_from_slice(&ours[..head]);
        out.push("<<<<<<< ours".into());
        out.extend_from_slice(&ours[head..ours.len() - tail]);
        out.push("=======".into());
        out.extend_from_slice(&theirs[head..theirs.len() - tail]);
        out.push(">>>>>>> theirs".into());
        out.extend_from_slice(&ours[ours.len() - tail..]);
    }
    Ok(out.join("\n") + "\n")
}

/// The lines of one top-level field as the canonical rendering writes them.
fn field_lines(key: &Value, value: Option<&Value>) -> Result<Vec<String>> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let mut single = Mapping::new();
    single.insert(key.clone(), value.clone());
    Ok(crate::yaml::to_string(&single)?.lines().map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> Mapping {
        serde_yaml::from_str(text).expect("valid YAML mapping")
    }

    fn clean(base: &str, ours: &str, theirs: &str) -> Mapping {
        let merged = merge(&map(base), &map(ours), &map(theirs));
        assert!(merged.conflicts.is_empty(), "{:?}", merged.conflicts);
        assert_eq!(merged.ours, merged.theirs);
        merged.ours
    }

    fn texts(m: &Mapping, key: &str) -> Vec<String> {
        m[key].as_sequence().expect("list").iter().map(|e| short(&e["text"])).collect()
    }

    const BASE: &str = "id: ada\nname: Ada\nnotes:\n- {text: one, at: 2026-11-22T10:00:00-05:00, by: joan}\n";

    #[test]
    fn notes_added_on_both_sides_are_kept_in_time_order_whichever_side_merges() {
        let ours = format!("{BASE}- {{text: ours, at: 2026-11-22T15:20:00-05:00, by: joan}}\n");
        let theirs = format!("{BASE}- {{text: theirs, at: 2026-11-22T21:10:00+01:00, by: dale}}\n");
        let here = clean(BASE, &ours, &theirs);
        assert_eq!(texts(&here, "notes"), ["one", "theirs", "ours"], "15:10 New York time comes before 15:20");
        let there = clean(BASE, &theirs, &ours);
        assert_eq!(here, there, "both clones build the same record");
    }

    #[test]
    fn an_entry_added_identically_on_both_sides_is_kept_once() {
        let both = format!("{BASE}- {{text: same, at: 2026-11-22T15:20:00-05:00, by: joan}}\n");
        assert_eq!(texts(&clean(BASE, &both, &both), "notes"), ["one", "same"]);
        // Two equal entries on one side stay two: a duplicate is not ours to remove.
        let twice = format!("{both}- {{text: same, at: 2026-11-22T15:20:00-05:00, by: joan}}\n");
        assert_eq!(texts(&clean(BASE, &twice, &both), "notes"), ["one", "same", "same"]);
    }

    #[test]
    fn a_change_to_an_entry_on_one_side_wins_over_the_unchanged_other() {
        let base = "flags:\n- {text: Rough evening, raised: 2026-11-22T15:33:00-05:00, by: joan}\n";
        let ours = "flags:\n- {text: Rough evening, raised: 2026-11-22T15:33:00-05:00, by: joan, cleared: 2026-11-23T10:00:00-05:00}\n";
        let theirs = format!("{base}- {{text: New, raised: 2026-11-23T09:00:00-05:00, by: dale}}\n");
        let m = clean(base, ours, &theirs);
        assert_eq!(texts(&m, "flags"), ["Rough evening", "New"]);
        assert_eq!(short(&m["flags"][0]["cleared"]), "2026-11-23T10:00:00-05:00");
        assert_eq!(clean(base, &theirs, ours), m);
    }

    #[test]
    fn mappings_merge_key_by_key_and_scalars_take_the_side_that_changed() {
        let base = "id: x\nname: Ada\ncontact: {email: a@x, phone: '1'}\nrecovery:\n  apologized: {at: t1, by: joan}\ntable: 4\n";
        let ours = "id: x\nname: Ada L.\ncontact: {email: a@x, phone: '2'}\nrecovery:\n  apologized: {at: t1, by: joan}\n  fixed: {at: t3, by: billy}\ntable: 4\n";
        let theirs = "id: x\nname: Ada\ncontact: {email: b@x, phone: '1'}\nrecovery:\n  apologized: {at: t1, by: joan}\n  reviewed: {at: t2, by: joan}\ntable: 5\nregion: east\n";
        let m = clean(base, ours, theirs);
        assert_eq!(short(&m["name"]), "Ada L.");
        assert_eq!(short(&m["contact"]["email"]), "b@x");
        assert_eq!(short(&m["contact"]["phone"]), "2");
        let steps: Vec<String> = m["recovery"].as_mapping().expect("map").keys().map(short).collect();
        assert_eq!(steps, ["apologized", "fixed", "reviewed"], "steps without a real time keep ours' order");
        assert_eq!(m["table"], Value::from(5), "an unknown field takes part too");
        assert_eq!(short(&m["region"]), "east");
    }

    #[test]
    fn recovery_steps_recorded_on_each_side_end_in_time_order_on_both() {
        let base = "recovery: {}\n";
        let ours = "recovery:\n  reviewed: {at: 2026-11-22T15:22:00-05:00, by: dale}\n";
        let theirs = "recovery:\n  apologized: {at: 2026-11-22T15:11:00-05:00, by: joan}\n";
        let steps = |m: Mapping| m["recovery"].as_mapping().expect("map").keys().map(short).collect::<Vec<_>>();
        assert_eq!(steps(clean(base, ours, theirs)), ["apologized", "reviewed"]);
        assert_eq!(steps(clean(base, theirs, ours)), ["apologized", "reviewed"]);
    }

    #[test]
    fn a_scalar_changed_differently_on_both_sides_is_a_conflict_with_both_values() {
        let base = "id: x\nname: Ada\ncontact:\n  email: a@x\n  phone: '1'\n";
        let ours = "id: x\nname: Ada\ncontact:\n  email: a@x\n  phone: '2'\n";
        let theirs = "id: x\nname: Ada\ncontact:\n  email: a@x\n  phone: '3'\n";
        let merged = merge(&map(base), &map(ours), &map(theirs));
        assert_eq!(merged.conflicts.len(), 1);
        assert_eq!(merged.conflicts[0].field, "contact.phone");
        let text = render(&merged).expect("renders");
        assert_eq!(
            text,
            "id: x\nname: Ada\ncontact:\n  email: a@x\n<<<<<<< ours\n  phone: '2'\n=======\n  phone: '3'\n>>>>>>> theirs\n"
        );
    }

    #[test]
    fn both_clearing_one_flag_at_different_times_is_a_conflict_on_that_field() {
        let base = "flags:\n- {text: F, raised: 2026-11-22T15:33:00-05:00}\n";
        let ours = "flags:\n- {text: F, raised: 2026-11-22T15:33:00-05:00, cleared: a}\n";
        let theirs = "flags:\n- {text: F, raised: 2026-11-22T15:33:00-05:00, cleared: b}\n";
        let merged = merge(&map(base), &map(ours), &map(theirs));
        assert_eq!(merged.conflicts[0].field, "flags[1].cleared");
        assert!(render(&merged).expect("renders").contains("<<<<<<< ours\n  cleared: a\n=======\n  cleared: b\n"));
    }

    #[test]
    fn a_removal_is_kept_unless_the_other_side_changed_what_was_removed() {
        let base = "id: x\nold: 1\nnotes:\n- {text: a}\n- {text: b}\n";
        let m = clean(base, "id: x\nnotes:\n- {text: a}\n", base);
        assert!(m.get("old").is_none());
        assert_eq!(texts(&m, "notes"), ["a"]);
        let merged = merge(&map(base), &map("id: x\nnotes: []\n"), &map("id: x\nold: 2\nnotes: []\n"));
        assert_eq!(merged.conflicts[0].field, "old");
        assert_eq!(merged.conflicts[0].ours, None);
    }

    #[test]
    fn a_file_both_sides_added_merges_against_an_empty_base() {
        let ours = "id: x\nname: Ada\nnotes:\n- {text: a, at: 2026-01-01T10:00:00Z}\n";
        let theirs = "id: x\nname: Ada\nnotes:\n- {text: b, at: 2026-01-01T09:00:00Z}\n";
        assert_eq!(texts(&clean("{}", ours, theirs), "notes"), ["b", "a"]);
        let merged = merge(&Mapping::new(), &map("name: A\n"), &map("name: B\n"));
        assert_eq!(merged.conflicts[0].field, "name");
    }

    #[test]
    fn entries_without_a_time_keep_ours_order_then_theirs_additions() {
        let m = clean("tags: [a]\n", "tags: [a, b]\n", "tags: [c, a]\n");
        assert_eq!(m["tags"], Value::Sequence(vec!["a".into(), "b".into(), "c".into()]));
    }
}
