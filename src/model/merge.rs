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
//! What the playbook treats as facts never needs a person (see `facts`): a recovery step
//! or a follow-up's `done` recorded at both sites is one record, the earliest, with the
//! other kept under its `history:`; the follow-ups both sites' steps scheduled are one; a
//! flag cleared at both is cleared at the earliest.
//!
//! Fields the tool does not know take part like any other. Entries are recognised across
//! the three versions by what never changes once written: their time, kind, text and
//! author. An entry of the ancestor that a side no longer has, while that side has a new
//! entry with the same time, kind and author, was edited there (its text): it stays one
//! entry, so two different edits conflict on the text alone, never leave two copies.
//! A list that a side emptied or removed (its last note deleted) is an empty list, so
//! the other side's additions still merge as a union.

mod facts;
pub mod property;

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
    if let Some(sides) = emptied(field, base, ours, theirs, conflicts) {
        return sides;
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

/// A list that one side removed or left empty (`notes:` with nothing after it) while the
/// other changed it: merged as an empty list, so deleting the last note never turns the
/// other side's additions into a conflict. `None` when this is not such a case.
fn emptied(
    field: &str,
    base: Option<&Value>,
    ours: Option<&Value>,
    theirs: Option<&Value>,
    conflicts: &mut Vec<Conflict>,
) -> Option<Sides> {
    fn none(v: Option<&Value>) -> bool {
        matches!(v, None | Some(Value::Null))
    }
    fn list(v: Option<&Value>) -> Option<&[Value]> {
        match v {
            Some(Value::Sequence(l)) => Some(l.as_slice()),
            v if none(v) => Some(&[]),
            _ => None,
        }
    }
    let gone = match (none(ours), none(theirs)) {
        (true, _) => ours,
        (false, true) => theirs,
        (false, false) => return None,
    };
    let (b, o, t) = (list(base)?, list(ours)?, list(theirs)?);
    let (o, t) = lists(field, b, o, t, conflicts);
    if o.is_empty() && t.is_empty() {
        return Some((gone.cloned(), gone.cloned()));
    }
    Some((Some(Value::Sequence(o)), Some(Value::Sequence(t))))
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
        let fact = (field == "recovery").then(|| facts::step(base.get(key), ours.get(key), theirs.get(key)));
        let (mo, mt) = match fact.flatten() {
            Some(step) => (Some(step.clone()), Some(step)),
            None => value(&name, base.get(key), ours.get(key), theirs.get(key), conflicts),
        };
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
    let base = keyed(base);
    let (mut ours, mut theirs) = (keyed(ours), keyed(theirs));
    follow_edits(&base, &mut ours);
    follow_edits(&base, &mut theirs);
    if field == "followups" {
        join_twins(&base, &mut ours, &mut theirs);
    }
    let base: HashMap<Key, Value> = base.into_iter().collect();
    let in_ours: HashSet<Key> = ours.iter().map(|(k, _)| k.clone()).collect();
    let theirs_by: HashMap<&Key, &Value> = theirs.iter().map(|(k, v)| (k, v)).collect();
    let (mut o, mut t) = (Vec::new(), Vec::new());
    for (n, (key, entry)) in ours.iter().enumerate() {
        let name = format!("{field}[{}]", n + 1);
        let (b, other) = (base.get(key), theirs_by.get(key).copied());
        let settled = other.and_then(|other| facts::entry(b, entry, other));
        let (mo, mt) = match &settled {
            Some((entry, other)) => value(&name, b, Some(entry), Some(other), conflicts),
            None => value(&name, b, Some(entry), other, conflicts),
        };
        o.extend(mo);
        t.extend(mt);
    }
    for (n, (key, entry)) in theirs.iter().enumerate().filter(|(_, (k, _))| !in_ours.contains(k)) {
        let name = format!("{field}[{}]", n + 1);
        let (mo, mt) = value(&name, base.get(key), None, Some(entry), conflicts);
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

/// The identity less the text: what still says which entry it is after its text was
/// edited, for entries that have a time.
const EDITABLE: &str = "text";

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

/// The identity without the text, for an entry placed in time; `None` for others (a
/// tag), which have nothing but their text to be known by.
fn loose_identity(entry: &Value) -> Option<Value> {
    let Value::Mapping(id) = identity(entry) else { return None };
    if !TIME.iter().any(|&k| id.contains_key(k)) {
        return None;
    }
    Some(Value::Mapping(id.into_iter().filter(|(k, _)| k.as_str() != Some(EDITABLE)).collect()))
}

fn keyed(list: &[Value]) -> Vec<(Key, Value)> {
    let mut seen: HashMap<Value, usize> = HashMap::new();
    list.iter()
        .map(|entry| {
            let id = identity(entry);
            let n = seen.entry(id.clone()).or_insert(0);
            *n += 1;
            ((id, *n), entry.clone())
        })
        .collect()
}

/// An ancestor's entry that `side` no longer has, where `side` has a new entry with the
/// same time, kind and author: the text was edited. The new entry takes the ancestor's
/// key, so the edit merges as a change to that one entry.
fn follow_edits(base: &[(Key, Value)], side: &mut [(Key, Value)]) {
    let here: HashSet<Key> = side.iter().map(|(k, _)| k.clone()).collect();
    let before: HashSet<&Key> = base.iter().map(|(k, _)| k).collect();
    let mut gone: Vec<(&Key, Option<Value>)> =
        base.iter().filter(|(k, _)| !here.contains(k)).map(|(k, v)| (k, loose_identity(v))).collect();
    for (key, entry) in side.iter_mut().filter(|(k, _)| !before.contains(k)) {
        let Some(loose) = loose_identity(entry) else { continue };
        if let Some(i) = gone.iter().position(|(_, l)| l.as_ref() == Some(&loose)) {
            *key = gone.remove(i).0.clone();
        }
    }
}

/// Follow-ups that each side's step scheduled by rule (both sites fixed it, so both
/// scheduled a check-in): each new one of ours is paired with a new one of theirs of the
/// same kind, in order of due, and the pair becomes one follow-up on both sides.
fn join_twins(base: &[(Key, Value)], ours: &mut [(Key, Value)], theirs: &mut [(Key, Value)]) {
    let before: HashSet<Key> = base.iter().map(|(k, _)| k.clone()).collect();
    let (o_keys, t_keys): (HashSet<Key>, HashSet<Key>) =
        (ours.iter().map(|(k, _)| k.clone()).collect(), theirs.iter().map(|(k, _)| k.clone()).collect());
    let new = |side: &[(Key, Value)], other: &HashSet<Key>, kind: &str| {
        let mut found: Vec<usize> = (0..side.len())
            .filter(|&i| {
                let (k, v) = &side[i];
                !before.contains(k) && !other.contains(k) && facts::scheduled(v) == Some(kind)
            })
            .collect();
        found.sort_by_cached_key(|&i| (time_of(&side[i].1), short(&side[i].1)));
        found
    };
    let kinds: HashSet<String> = ours.iter().filter_map(|(_, v)| facts::scheduled(v)).map(str::to_string).collect();
    for kind in kinds {
        for (i, j) in new(ours, &t_keys, &kind).into_iter().zip(new(theirs, &o_keys, &kind)) {
            let one = facts::twins(&ours[i].1, &theirs[j].1);
            ours[i].1 = one.clone();
            theirs[j] = (ours[i].0.clone(), one);
        }
    }
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

    const STEP_BASE: &str = "id: i\nrecovery: {}\nfollowups:\n\
        - {kind: progress, due: 2026-11-22T15:52:00-05:00}\n";

    #[test]
    fn a_step_recorded_at_both_sites_is_the_earliest_with_the_other_as_history() {
        let ours = "id: i\nrecovery:\n  apologized: {at: 2026-11-22T15:07:00-05:00, by: dale, note: B}\n";
        let theirs = "id: i\nrecovery:\n  apologized: {at: 2026-11-22T15:05:00-05:00, by: joan, note: A}\n";
        let m = clean("id: i\nrecovery: {}\n", ours, theirs);
        assert_eq!(m, clean("id: i\nrecovery: {}\n", theirs, ours), "whichever side merges");
        let step = &m["recovery"]["apologized"];
        assert_eq!((short(&step["by"]), short(&step["note"])), ("joan".into(), "A".into()));
        assert_eq!(step["history"], Value::Sequence(vec![map(ours)["recovery"]["apologized"].clone()]));
        // The next merge with a site that still has only the first version changes nothing.
        let again = clean(theirs, &crate::yaml::to_string(&m).expect("yaml"), theirs);
        assert_eq!(again, m);
    }

    #[test]
    fn follow_ups_both_sites_scheduled_for_the_same_step_are_one_and_a_done_survives() {
        let fix = |at: &str, due: &str, done: &str| {
            format!(
                "id: i\nrecovery:\n  fixed: {{at: 2026-11-22T{at}:00-05:00, by: x}}\nfollowups:\n\
                 - {{kind: progress, due: 2026-11-22T15:52:00-05:00, done: {{at: 2026-11-22T{at}:00-05:00, by: x, how: fixed}}}}\n\
                 - {{kind: check-in, due: 2026-11-23T{due}:00-05:00{done}}}\n"
            )
        };
        let ours = fix("15:50", "15:50", "");
        let theirs = fix("15:40", "15:40", ", done: {at: 2026-11-23T16:00:00-05:00, by: y}");
        let m = clean(STEP_BASE, &ours, &theirs);
        assert_eq!(m, clean(STEP_BASE, &theirs, &ours));
        let followups = m["followups"].as_sequence().expect("list");
        assert_eq!(followups.len(), 2, "one progress, one check-in: {followups:?}");
        assert_eq!(short(&followups[0]["done"]["at"]), "2026-11-22T15:40:00-05:00", "the earliest fix closed it");
        assert_eq!(followups[0]["done"]["history"].as_sequence().map(Vec::len), Some(1));
        assert_eq!(short(&followups[1]["due"]), "2026-11-23T15:40:00-05:00", "the earliest fix's check-in");
        assert_eq!(short(&followups[1]["done"]["by"]), "y");
        assert_eq!(m["followups"][1]["missed_by"], Value::from(20));
        assert_eq!(short(&m["recovery"]["fixed"]["at"]), "2026-11-22T15:40:00-05:00");

        // Done at both sites, at different times: the earliest, the other as history.
        let done = |at: &str| STEP_BASE.replace("15:52:00-05:00}", &format!("15:52:00-05:00, done: {{at: {at}}}}}"));
        let m = clean(STEP_BASE, &done("2026-11-22T15:45:00-05:00"), &done("2026-11-22T15:55:00-05:00"));
        assert_eq!(short(&m["followups"][0]["done"]["at"]), "2026-11-22T15:45:00-05:00");
        assert!(m["followups"][0].get("missed_by").is_none(), "the earliest was in time");
    }

    #[test]
    fn an_entry_edited_differently_at_both_sites_is_one_entry_with_a_conflict_on_its_text() {
        let entry = |text: &str| format!("notes:\n- {{text: {text}, at: 2026-11-22T10:00:00-05:00, by: joan}}\n");
        let merged = merge(&map(&entry("one")), &map(&entry("ours")), &map(&entry("theirs")));
        assert_eq!(merged.conflicts.len(), 1, "{:?}", merged.conflicts);
        assert_eq!(merged.conflicts[0].field, "notes[1].text");
        assert_eq!(merged.ours["notes"].as_sequence().map(Vec::len), Some(1), "one entry, not two copies");
        // An edit on one side only is taken, and a note added beside it stays apart.
        let added = format!("{}- {{text: new, at: 2026-11-22T10:00:00-05:00, by: dale}}\n", entry("one"));
        assert_eq!(texts(&clean(&entry("one"), &entry("edited"), &added), "notes"), ["edited", "new"]);
        // Two new notes with the same time and author are two notes, not an edit.
        let a = format!("{}- {{text: a, at: 2026-11-22T11:00:00-05:00, by: joan}}\n", entry("one"));
        let b = format!("{}- {{text: b, at: 2026-11-22T11:00:00-05:00, by: joan}}\n", entry("one"));
        assert_eq!(texts(&clean(&entry("one"), &a, &b), "notes"), ["one", "a", "b"]);
    }

    #[test]
    fn deleting_the_last_entry_never_turns_a_later_union_into_a_conflict() {
        let base = "id: x\nnotes:\n- {text: only, at: 2026-11-22T10:00:00-05:00}\n";
        let theirs = format!("{base}- {{text: new, at: 2026-11-22T11:00:00-05:00}}\n");
        for ours in ["id: x\n", "id: x\nnotes: []\n", "id: x\nnotes:\n"] {
            assert_eq!(texts(&clean(base, ours, &theirs), "notes"), ["new"], "{ours:?}");
            assert_eq!(texts(&clean(base, &theirs, ours), "notes"), ["new"], "{ours:?}");
        }
        // With nothing added on the other side, the removal stands as the side wrote it.
        let other = "id: x\nnotes:\n- {text: only, at: 2026-11-22T10:00:00-05:00}\nname: A\n";
        assert!(clean(base, "id: x\n", other).get("notes").is_none());
        assert_eq!(clean(base, "id: x\nnotes: []\n", other)["notes"], Value::Sequence(vec![]));
    }

    #[test]
    fn a_flag_cleared_at_both_sites_is_cleared_at_the_earliest() {
        let base = "flags:\n- {text: F, raised: 2026-11-22T15:33:00-05:00}\n";
        let cleared = |at: &str| base.replace("00-05:00}", &format!("00-05:00, cleared: {at}}}"));
        let m = clean(base, &cleared("2026-11-23T10:00:00-05:00"), &cleared("2026-11-23"));
        assert_eq!(short(&m["flags"][0]["cleared"]), "2026-11-23");
    }
}
