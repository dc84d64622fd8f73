//! `care merge-driver %O %A %B %P`: what git runs to merge one record file that two
//! clones both changed (registered by `care git setup`; hidden from `--help`, since people
//! never type it).
//!
//! The contract with git: the merged file is written over `%A`; exit 0 means merged,
//! anything else means a conflict, which git then reports. A side that does not parse is a
//! conflict with `%A` left untouched, so nothing is lost and git shows the file as it was.

use std::path::{Path, PathBuf};

use crate::book;
use crate::error::{Error, Result};
use crate::model::merge::{self, Conflict};
use crate::ui::Ui;
use crate::yaml::{self, Doc, Mapping, Value};

/// Merge one record file three ways (run by git; see `care git setup`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The common ancestor's version (git's %O); empty when both sides added the file.
    pub base: PathBuf,
    /// Our version (%A); the merged record is written here.
    pub ours: PathBuf,
    /// Their version (%B).
    pub theirs: PathBuf,
    /// The record's path in the book (%P), for messages.
    pub path: Option<String>,
}

pub fn run(args: &Args, ui: &Ui) -> Result<()> {
    let name = args.path.clone().unwrap_or_else(|| args.ours.display().to_string());
    let (_, base) = side(&args.base, &name, "ancestor")?;
    let (ours_text, ours) = side(&args.ours, &name, "ours")?;
    let (theirs_text, theirs) = side(&args.theirs, &name, "theirs")?;
    let merged = merge::merge(&base, &ours, &theirs);
    if merged.conflicts.is_empty() {
        // A side that already holds the result keeps its own text, comments and all.
        if merged.ours == ours {
            return Ok(());
        }
        if merged.ours == theirs {
            return book::write_file(&args.ours, &theirs_text);
        }
        if let Some(text) = on_our_text(&ours_text, &ours, &merged.ours) {
            return book::write_file(&args.ours, &text);
        }
        if has_comments(&ours_text) {
            ui.warn(&format!("{name}: merged in canonical form; the comments in our version were not kept"));
        }
        return book::write_file(&args.ours, &merge::render(&merged)?);
    }
    book::write_file(&args.ours, &merge::render(&merged)?)?;
    for c in &merged.conflicts {
        ui.say(&format!("CONFLICT (care): {name}: {}", describe(c)));
    }
    Err(Error::Refused(format!(
        "{name}: {} field(s) changed differently on both sides are left between `<<<<<<< ours` and \
         `>>>>>>> theirs` markers; keep the right value, delete the markers, then `git add {name}` and commit",
        merged.conflicts.len()
    )))
}

/// One version of the record as text and as a mapping. The ancestor may be empty: the
/// file was added on both sides.
fn side(path: &Path, name: &str, which: &str) -> Result<(String, Mapping)> {
    let shown = PathBuf::from(format!("{name} ({which})"));
    let text = book::read_text(path).map_err(|e| match e {
        Error::Io { source, .. } => Error::io(&shown, source),
        other => other,
    })?;
    if which == "ancestor" && text.trim().is_empty() {
        return Ok((text, Mapping::new()));
    }
    match yaml::parse::<Value>(&shown, &text)? {
        Value::Mapping(map) => Ok((text, map)),
        _ => Err(Error::data(&shown, 1, 1, "expected a record (a mapping of fields); merge this file by hand")),
    }
}

/// The merge written as line edits on our own text (entries appended, fields added, one
/// line replaced), so a hand-written file keeps its comments and layout; `None` when the
/// merge changed it in a way no such edit can say (an entry of theirs that sorts before
/// ours, a removed field), and the canonical form is written instead.
fn on_our_text(text: &str, ours: &Mapping, merged: &Mapping) -> Option<String> {
    let mut doc = Doc::parse(Path::new("ours"), text).ok()?;
    if ours.keys().any(|k| !merged.contains_key(k)) {
        return None;
    }
    for (key, value) in merged {
        let key = key.as_str()?;
        match (ours.get(key), value) {
            (Some(old), new) if old == new => {}
            (Some(Value::Sequence(old)), Value::Sequence(new)) => {
                if new.len() < old.len() {
                    return None;
                }
                for (i, (was, now)) in old.iter().zip(new).enumerate() {
                    for (field, v) in added_fields(was, now)? {
                        doc.set_in_item(key, i, field, v).ok()?;
                    }
                }
                for entry in &new[old.len()..] {
                    doc.push(key, entry).ok()?;
                }
            }
            (Some(Value::Mapping(old)), Value::Mapping(new)) => {
                if old.keys().any(|k| !new.contains_key(k)) {
                    return None;
                }
                for (field, v) in new.iter().filter(|(f, v)| old.get(*f) != Some(*v)) {
                    doc.set_in_map(key, field.as_str()?, v).ok()?;
                }
            }
            _ => doc.set(key, value).ok()?,
        }
    }
    // Equal values with the same order everywhere (mapping equality ignores key order).
    if yaml::to_string(doc.value()).ok()? != yaml::to_string(merged).ok()? {
        return None;
    }
    let rendered = doc.rendered().ok()?;
    (!rendered.relayout).then_some(rendered.text)
}

/// The fields `now` has and `was` lacks, when that is all that changed in an entry.
fn added_fields<'a>(was: &Value, now: &'a Value) -> Option<Vec<(&'a str, &'a Value)>> {
    if was == now {
        return Some(Vec::new());
    }
    let (Value::Mapping(was), Value::Mapping(now)) = (was, now) else { return None };
    if was.iter().any(|(k, v)| now.get(k) != Some(v)) {
        return None;
    }
    now.iter().filter(|(k, _)| !was.contains_key(*k)).map(|(k, v)| Some((k.as_str()?, v))).collect()
}

fn describe(c: &Conflict) -> String {
    let show = |v: &Option<Value>| v.as_ref().map_or("(removed)".to_string(), |v| format!("{:?}", merge::short(v)));
    format!("`{}` was changed on both sides: ours {}, theirs {}", c.field, show(&c.ours), show(&c.theirs))
}

fn has_comments(text: &str) -> bool {
    text.lines().any(|l| l.trim_start().starts_with('#') || l.contains(" #"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "\
# Ada, by hand
name: Ada Lovelace   # as she signs
id: ada
notes:
  - {text: one, at: 2026-11-22T10:00:00-05:00}
  - {text: ours, at: 2026-11-22T15:00:00-05:00}
flags:
  - {text: f, raised: 2026-11-22T09:00:00-05:00}
";

    fn merged(base: &str, theirs: &str) -> (Mapping, Mapping) {
        let map = |t: &str| serde_yaml::from_str::<Mapping>(t).expect("mapping");
        let m = merge::merge(&map(base), &map(OURS), &map(theirs));
        assert!(m.conflicts.is_empty());
        (map(OURS), m.ours)
    }

    #[test]
    fn what_theirs_added_later_is_appended_to_our_hand_written_text() {
        let base = "name: Ada Lovelace\nid: ada\nnotes:\n- {text: one, at: 2026-11-22T10:00:00-05:00}\n\
                    flags:\n- {text: f, raised: 2026-11-22T09:00:00-05:00}\n";
        let theirs = "name: Ada Lovelace\nid: ada\nnotes:\n- {text: one, at: 2026-11-22T10:00:00-05:00}\n\
                      - {text: theirs, at: 2026-11-22T16:00:00-05:00}\n\
                      flags:\n- {text: f, raised: 2026-11-22T09:00:00-05:00, cleared: x}\ntable: 4\n";
        let (ours, m) = merged(base, theirs);
        assert_eq!(
            on_our_text(OURS, &ours, &m).expect("in place"),
            OURS.replace(
                "  - {text: ours, at: 2026-11-22T15:00:00-05:00}\n",
                "  - {text: ours, at: 2026-11-22T15:00:00-05:00}\n  - {text: theirs, at: 2026-11-22T16:00:00-05:00}\n"
            )
            .replace("09:00:00-05:00}\n", "09:00:00-05:00, cleared: x}\n")
                + "table: 4\n"
        );
        // Their note from before ours belongs in the middle: no append can say that.
        let earlier = theirs.replace("16:00", "12:00");
        let (ours, m) = merged(base, &earlier);
        assert_eq!(on_our_text(OURS, &ours, &m), None);
    }

    #[test]
    fn a_step_of_theirs_from_before_ours_is_not_appended_out_of_order() {
        let base = "name: Ada Lovelace\nid: ada\nrecovery: {}\n";
        let ours = "# by hand\nname: Ada Lovelace\nid: ada\nrecovery:\n  reviewed: {at: 2026-11-22T15:07:00-05:00}\n";
        let theirs = "name: Ada Lovelace\nid: ada\nrecovery:\n  apologized: {at: 2026-11-22T15:05:00-05:00}\n";
        let map = |t: &str| serde_yaml::from_str::<Mapping>(t).expect("mapping");
        let m = merge::merge(&map(base), &map(ours), &map(theirs));
        assert_eq!(on_our_text(ours, &map(ours), &m.ours), None);
        let later = theirs.replace("apologized: {at: 2026-11-22T15:05", "fixed: {at: 2026-11-22T15:50");
        let m = merge::merge(&map(base), &map(ours), &map(&later));
        assert_eq!(
            on_our_text(ours, &map(ours), &m.ours).expect("in place"),
            format!("{ours}  fixed: {{at: 2026-11-22T15:50:00-05:00}}\n")
        );
    }
}
