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

/// A `cleared:` or `retired:` time set differently on both sides: the earliest.
pub fn ended(field: &str, ours: &Value, theirs: &Value) -> Option<Value> {
    let last = field.rsplit('.').next().unwrap_or(field);
    if !ENDED.contains(&last) {
        return None;
    }
    let (o, t) = (when(ours)?, when(theirs)?);
    Some(if (o, short(ours)) <= (t, short(theirs)) { ours.clone() } else { theirs.clone() })
}

/// One follow-up as both sides have it, its `done` reconciled when both marked it done
/// differently; `None` when there is nothing to reconcile.
pub fn followup(base: Option<&Value>, ours: &Value, theirs: &Value) -> Option<(Value, Value)> {
    let base_done = base.and_then(|b| b.get("done"));
    let done = step(base_done, ours.get("done"), theirs.get("done"))?;
    Some((with_done(ours, &done)?, with_done(theirs, &done)?))
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
        Some(done) => with_done(first, &done).unwrap_or_else(|| first.clone()),
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
fn records(fact: Option<&Value>) -> Vec<Value> {
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
fn with_done(followup: &Value, done: &Value) -> Option<Value> {
    let mut f = followup.as_mapping()?.clone();
    f.insert("done".into(), done.clone());
    let late = when(f.get("due")?).zip(time_of(done)).map(|(due, at)| (at - due).num_minutes()).filter(|m| *m > 0);
    match late {
        Some(m) => f.insert("missed_by".into(), Value::from(m)),
        None => f.remove("missed_by"),
    };
    Some(Value::Mapping(f))
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
    fn only_end_times_take_the_earliest() {
        let (a, b) = (v("2026-11-23T10:00:00-05:00"), v("2026-11-22"));
        assert_eq!(ended("flags[1].cleared", &a, &b), Some(b.clone()));
        assert_eq!(ended("flags[1].text", &a, &b), None);
        assert_eq!(ended("flags[1].cleared", &v("a"), &b), None);
    }
}
