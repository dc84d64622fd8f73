//! What the playbook treats as facts, merged without a person: a recovery step or a
//! follow-up's `done` recorded at two sites, a follow-up that both sites' steps
//! scheduled, a flag cleared at both.
//!
//! Two sites that both apologized to Ada did not disagree: she was apologized to, first
//! by whoever was earlier. So such a record is never a conflict: the earliest `at` is
//! the record, and every other version is kept under its `history:` list, oldest first,
//! so nothing anyone wrote is lost and both clones build the same value. The models read
//! past `history:` (an unknown field), and writers edit records in place, so it stays.

use chrono::{DateTime, Utc};

use super::{short, time_of};
use crate::yaml::{Mapping, Value};

/// The field under a fact that holds its other versions.
pub const HISTORY: &str = "history";

/// Follow-up kinds that a step schedules by rule (not by hand): both sites running the
/// same step schedule one each, and the incident needs only one.
const SCHEDULED: [&str; 3] = ["progress", "check-in", "wrap-up"];

/// Scalar fields holding the time something stopped (a flag cleared, a preference
/// retired): both sites doing it is one fact, the earliest.
const ENDED: [&str; 2] = ["cleared", "retired"];

/// A recovery step that both sides recorded differently (each differs from the
/// ancestor): one record, the earliest, with the others as history.
pub fn step(base: Option<&Value>, ours: Option<&Value>, theirs: Option<&Value>) -> Option<Value> {
    let (ours, theirs) = (ours?, theirs?);
    if ours == theirs || base == Some(ours) || base == Some(theirs) || !timed(ours) || !timed(theirs) {
        return None;
    }
    earliest(base, ours, theirs)
}

/// One entry as both sides have it, with its facts reconciled: a follow-up's `done`
/// recorded differently at both sites (the earliest, the other as history, and the
/// breach recomputed from it), a flag `cleared` (or a preference `retired`) at both (the
/// earliest time, with who did it then). `None` when there is nothing to reconcile.
pub fn entry(base: Option<&Value>, ours: &Value, theirs: &Value) -> Option<(Value, Value)> {
    let (mut o, mut t) = (ours.as_mapping()?.clone(), theirs.as_mapping()?.clone());
    let mut changed = false;
    let base_done = base.and_then(|b| b.get("done"));
    if let Some(done) = step(base_done, ours.get("done"), theirs.get("done")) {
        o = with_done(&o, &done)?;
        t = with_done(&t, &done)?;
        changed = true;
    }
    for field in ENDED {
        let (Some(x), Some(y)) = (o.get(field), t.get(field)) else { continue };
        let (Some(wx), Some(wy)) = (when(x), when(y)) else { continue };
        if x == y {
            continue;
        }
        let by = format!("{field}_by");
        let first = if (wx, short(x)) <= (wy, short(y)) { o.clone() } else { t.clone() };
        for side in [&mut o, &mut t] {
            for key in [field, by.as_str()] {
                match first.get(key) {
                    Some(v) => side.insert(key.into(), v.clone()),
                    None => side.remove(key),
                };
            }
        }
        changed = true;
    }
    changed.then(|| (Value::Mapping(o), Value::Mapping(t)))
}

/// Whether a follow-up entry is one a step scheduled by rule, so that a second one of its
/// kind, scheduled at the other site, is the same follow-up.
pub fn scheduled(entry: &Value) -> Option<&str> {
    let kind = entry.get("kind")?.as_str()?;
    (SCHEDULED.contains(&kind) && entry.get("text").is_none() && entry.get("due").is_some()).then_some(kind)
}

/// The one follow-up that stands for two scheduled for the same step: the earlier due
/// (the one the earliest step scheduled), done if either was done.
pub fn twins(a: &Value, b: &Value) -> Value {
    let (first, other) = if order(a) <= order(b) { (a, b) } else { (b, a) };
    let done = match (first.get("done"), other.get("done")) {
        (Some(x), Some(y)) if x != y => earliest(None, x, y),
        (x, y) => x.or(y).cloned(),
    };
    match done {
        Some(done) => {
            first.as_mapping().and_then(|f| with_done(f, &done)).map_or_else(|| first.clone(), Value::Mapping)
        }
        None => first.clone(),
    }
}

/// Every record in `ours` and `theirs` (each one and its history), less those one side
/// removed since the ancestor; the earliest is the record, the rest its history.
fn earliest(base: Option<&Value>, ours: &Value, theirs: &Value) -> Option<Value> {
    let (b, o, t) = (records(base), records(Some(ours)), records(Some(theirs)));
    let mut all: Vec<Value> = Vec::new();
    for r in o.iter().chain(&t) {
        let removed = b.contains(r) && !(o.contains(r) && t.contains(r));
        if !removed && !all.contains(r) {
            all.push(r.clone());
        }
    }
    all.sort_by_cached_key(order);
    let mut all = all.into_iter();
    let Value::Mapping(mut first) = all.next()? else { return None };
    let rest: Vec<Value> = all.collect();
    if !rest.is_empty() {
        first.insert(HISTORY.into(), Value::Sequence(rest));
    }
    Some(Value::Mapping(first))
}

/// A fact and the versions kept under its history, each without a history of its own.
pub(super) fn records(fact: Option<&Value>) -> Vec<Value> {
    let Some(Value::Mapping(m)) = fact else { return Vec::new() };
    let mut main = m.clone();
    let history = main.remove(HISTORY);
    let mut out = vec![Value::Mapping(main)];
    if let Some(Value::Sequence(h)) = history {
        out.extend(h);
    }
    out
}

/// Oldest first; records without a time last; ties broken by content, so that both
/// clones pick the same.
fn order(v: &Value) -> (bool, Option<DateTime<Utc>>, String) {
    let t = time_of(v);
    (t.is_none(), t, short(v))
}

fn timed(v: &Value) -> bool {
    v.as_mapping().is_some_and(|m| m.contains_key("at"))
}

fn when(v: &Value) -> Option<DateTime<Utc>> {
    let mut m = Mapping::new();
    m.insert("at".into(), v.clone());
    time_of(&Value::Mapping(m))
}

/// The follow-up with `done` set, and its breach (`missed_by`, minutes late) as the
/// playbook computes it from that `done`.
fn with_done(followup: &Mapping, done: &Value) -> Option<Mapping> {
    let mut f = followup.clone();
    f.insert("done".into(), done.clone());
    let late = when(f.get("due")?).zip(time_of(done)).map(|(due, at)| (at - due).num_minutes()).filter(|m| *m > 0);
    match late {
        Some(m) => f.insert("missed_by".into(), Value::from(m)),
        None => f.remove("missed_by"),
    };
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Value {
        serde_yaml::from_str(text).expect("YAML")
    }

    #[test]
    fn a_fact_recorded_twice_is_the_earliest_with_the_other_as_history_on_both_sides() {
        let a = v("{at: 2026-11-22T15:07:00-05:00, by: dale, note: B}");
        let b = v("{at: 2026-11-22T15:05:00-05:00, by: joan, note: A}");
        let one = step(None, Some(&a), Some(&b)).expect("merged");
        assert_eq!(one, step(None, Some(&b), Some(&a)).expect("merged"));
        assert_eq!(one["note"], v("A"));
        assert_eq!(one[HISTORY], Value::Sequence(vec![a.clone()]));
        // A third site's version later: history grows, nothing repeats.
        let c = v("{at: 2026-11-22T15:01:00-05:00, by: jeff}");
        let again = step(Some(&b), Some(&one), Some(&c)).expect("merged");
        assert_eq!(again["by"], v("jeff"));
        assert_eq!(again[HISTORY], Value::Sequence(vec![a]), "b was replaced on the third site: its amend wins");
    }

    #[test]
    fn twins_keep_the_earlier_due_and_any_done() {
        let early = v("{kind: check-in, due: 2026-11-23T15:50:00-05:00}");
        let late = v("{kind: check-in, due: 2026-11-23T16:10:00-05:00, done: {at: 2026-11-23T16:00:00-05:00, by: x}}");
        let one = twins(&late, &early);
        assert_eq!(one["due"], early["due"]);
        assert_eq!(one["done"]["by"], v("x"));
        assert_eq!(one["missed_by"], Value::from(10), "late against the due it keeps");
        assert!(scheduled(&early).is_some() && scheduled(&v("{kind: custom, due: x, text: t}")).is_none());
    }

    #[test]
    fn a_flag_cleared_twice_keeps_the_earliest_time_and_who_cleared_it_then() {
        let a = v("{text: F, cleared: 2026-11-23T10:00:00-05:00, cleared_by: joan}");
        let b = v("{text: F, cleared: 2026-11-22, cleared_by: dale}");
        let (x, y) = entry(None, &a, &b).expect("reconciled");
        assert_eq!((x.clone(), y), (b.clone(), b));
        assert_eq!(entry(None, &x, &x), None, "nothing to do when they agree");
        assert_eq!(entry(None, &v("{cleared: a}"), &v("{cleared: b}")), None, "not times: a person decides");
    }
}
