//! The merge's promise as a checkable property, and records to check it on, generated
//! from bytes: the fuzz target in `fuzz/` (its own crate, which `cargo test` never
//! builds) feeds it the fuzzer's bytes, and the unit tests below feed it a fixed stream,
//! so `cargo test` exercises the same property.
//!
//! The promise: whatever the three versions, the merge does not panic, and everything a
//! side wrote since the ancestor is in the result that side sees — each entry it added or
//! changed (by its text, or its kind for a follow-up a step scheduled), each `done` it
//! recorded, each recovery step it recorded (as the step or in its history).

use super::{Merged, facts::HISTORY, facts::records, identity, loose_identity, merge, render, short};
use crate::yaml::{Mapping, Value};

/// Bytes read as small choices; past the end every choice is 0, so any input makes a case.
#[derive(Debug)]
pub struct Choices<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Choices<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Choices { data, at: 0 }
    }

    fn pick(&mut self, n: usize) -> usize {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        usize::from(b) % n.max(1)
    }
}

const LISTS: [&str; 4] = ["notes", "flags", "followups", "tags"];
const STEPS: [&str; 5] = ["apologized", "reviewed", "fixed", "extra", "closed"];
const KINDS: [&str; 4] = ["progress", "check-in", "wrap-up", "custom"];
const STAFF: [&str; 3] = ["joan", "dale", "billy"];

/// An ancestor and the two sides' versions of it, each side changed by a few edits a
/// site could make (or a person by hand).
pub fn generate(bytes: &[u8]) -> (Mapping, Mapping, Mapping) {
    let mut c = Choices::new(bytes);
    let mut base = Mapping::new();
    base.insert("id".into(), "x".into());
    base.insert("name".into(), "Ada".into());
    let edits = c.pick(6);
    for i in 0..edits {
        edit(&mut base, &mut c, "b", i);
    }
    let (mut ours, mut theirs) = (base.clone(), base.clone());
    for (side, name) in [(&mut ours, "o"), (&mut theirs, "t")] {
        for i in 0..c.pick(7) {
            edit(side, &mut c, name, i);
        }
    }
    (base, ours, theirs)
}

fn time(c: &mut Choices) -> Value {
    format!("2026-11-{:02}T{:02}:{:02}:00-05:00", 22 + c.pick(3), 9 + c.pick(4), c.pick(4) * 15).into()
}

fn entry(fields: &[(&str, Value)]) -> Value {
    Value::Mapping(fields.iter().map(|(k, v)| (Value::from(*k), v.clone())).collect())
}

fn list<'m>(record: &'m mut Mapping, key: &str) -> &'m mut Vec<Value> {
    let slot = record.entry(key.into()).or_insert(Value::Sequence(Vec::new()));
    if !slot.is_sequence() {
        *slot = Value::Sequence(Vec::new());
    }
    slot.as_sequence_mut().expect("a list")
}

/// One change, chosen by the bytes: what `care` commands and people do to a record.
fn edit(record: &mut Mapping, c: &mut Choices, side: &str, i: usize) {
    let text = Value::from(format!("{side}{i}"));
    let by = Value::from(STAFF[c.pick(STAFF.len())]);
    match c.pick(11) {
        0 => list(record, "notes").push(entry(&[("text", text), ("at", time(c)), ("by", by)])),
        1 => list(record, "flags").push(entry(&[("text", text), ("raised", time(c)), ("by", by)])),
        2 => list(record, "tags").push(text),
        3 => {
            let (key, at) = (LISTS[c.pick(3)], time(c));
            let kind = Value::from(KINDS[c.pick(KINDS.len())]);
            let l = list(record, key);
            if key == "followups" {
                let custom = kind.as_str() == Some("custom");
                let mut f = entry(&[("kind", kind), ("due", at)]);
                if custom {
                    f["text"] = text;
                }
                l.push(f);
            } else if !l.is_empty() {
                let n = c.pick(l.len());
                l[n]["text"] = text;
            }
        }
        4 => {
            let key = LISTS[c.pick(LISTS.len())];
            let l = list(record, key);
            if !l.is_empty() {
                let n = c.pick(l.len());
                l.remove(n);
            }
            if l.is_empty() {
                match c.pick(3) {
                    0 => drop(record.remove(key)),
                    1 => drop(record.insert(key.into(), Value::Null)),
                    _ => {}
                }
            }
        }
        5 | 6 => {
            let (key, field, at) =
                if c.pick(2) == 0 { ("flags", "cleared", time(c)) } else { ("followups", "done", time(c)) };
            let l = list(record, key);
            if !l.is_empty() {
                let n = c.pick(l.len());
                l[n][field] = if field == "done" { entry(&[("at", at), ("by", by)]) } else { at };
            }
        }
        7 | 8 => {
            let step = entry(&[("at", time(c)), ("by", by), ("note", text)]);
            let recovery = record.entry("recovery".into()).or_insert(Value::Mapping(Mapping::new()));
            if let Value::Mapping(r) = recovery {
                r.insert(STEPS[c.pick(STEPS.len())].into(), step);
            }
        }
        9 => drop(record.insert("name".into(), text)),
        _ => list(record, "notes").push(entry(&[("text", "same".into()), ("at", time(c)), ("by", by)])),
    }
}

/// Merge the three and check the promise; `Err` says what was lost.
pub fn check(base: &Mapping, ours: &Mapping, theirs: &Mapping) -> Result<Merged, String> {
    let merged = merge(base, ours, theirs);
    render(&merged).map_err(|e| format!("the merge does not render: {e}"))?;
    if merged.conflicts.is_empty() && merged.ours != merged.theirs {
        return Err("no conflicts, yet the sides' results differ".into());
    }
    kept(base, ours, &merged.ours).map_err(|e| format!("ours: {e}"))?;
    kept(base, theirs, &merged.theirs).map_err(|e| format!("theirs: {e}"))?;
    Ok(merged)
}

/// Everything `side` wrote since `base` is in `result`.
fn kept(base: &Mapping, side: &Mapping, result: &Mapping) -> Result<(), String> {
    let seq = |m: &Mapping, k: &Value| m.get(k).and_then(Value::as_sequence).cloned().unwrap_or_default();
    for (key, value) in side {
        let Value::Sequence(entries) = value else { continue };
        let (before, after) = (seq(base, key), seq(result, key));
        for e in entries.iter().filter(|e| !before.contains(e)) {
            if !present(e, &before, &after) {
                return Err(format!("`{}` lost {}", short(key), short(e)));
            }
        }
    }
    let steps = |m: &Mapping| m.get("recovery").and_then(Value::as_mapping).cloned().unwrap_or_default();
    let (before, after) = (steps(base), steps(result));
    for (name, step) in steps(side).iter().filter(|(k, v)| before.get(*k) != Some(*v)) {
        let mut main = step.as_mapping().cloned().unwrap_or_default();
        main.remove(HISTORY);
        let main = Value::Mapping(main);
        // A version the ancestor had may have been replaced on the other side (an amend).
        if !records(before.get(name)).contains(&main) && !records(after.get(name)).contains(&main) {
            return Err(format!("recovery.{} lost {}", short(name), short(step)));
        }
    }
    Ok(())
}

/// Whether an entry a side added or changed is in the merged list: by its text when the
/// side wrote that text (else by which entry it is, as the other side may have edited
/// the text), by kind for a follow-up a step scheduled, and with its `done` kept.
fn present(e: &Value, before: &[Value], after: &[Value]) -> bool {
    let Value::Mapping(m) = e else { return after.contains(e) };
    let own_text = !before.iter().any(|b| identity(b) == identity(e));
    let found = after.iter().any(|a| match m.get("text") {
        Some(text) if own_text => a.get("text") == Some(text),
        _ if own_text => a.get("kind") == m.get("kind"),
        _ => loose_identity(a) == loose_identity(e) || identity(a) == identity(e),
    });
    let done = m.get("done").and_then(|d| d.get("at"));
    found && done.is_none_or(|at| after.iter().any(|a| records(a.get("done")).iter().any(|r| r.get("at") == Some(at))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fuzz property over a fixed stream of generated cases, each merged both ways.
    #[test]
    fn every_entry_of_both_sides_survives_generated_merges() {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut bytes = vec![0u8; 64];
        let (mut conflicts, mut histories) = (0, 0);
        for case in 0..2000 {
            for b in bytes.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            let (base, ours, theirs) = generate(&bytes);
            for (o, t) in [(&ours, &theirs), (&theirs, &ours)] {
                let merged = check(&base, o, t);
                if let Ok(m) = &merged {
                    conflicts += usize::from(!m.conflicts.is_empty());
                    histories += usize::from(short(&Value::Mapping(m.ours.clone())).contains(HISTORY));
                }
                if let Err(e) = merged {
                    panic!(
                        "case {case}: {e}\nbase: {}\nours: {}\ntheirs: {}",
                        short(&Value::Mapping(base.clone())),
                        short(&Value::Mapping(o.clone())),
                        short(&Value::Mapping(t.clone()))
                    );
                }
            }
        }
        assert!(
            conflicts > 50 && histories > 50,
            "the cases reach conflicts ({conflicts}) and histories ({histories})"
        );
    }
}
