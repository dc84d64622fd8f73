//! `care merge-driver %O %A %B %P`: what git runs to merge one record file that two
//! clones both changed (registered by `care git setup`; hidden from `--help`, since people
//! never type it).
//!
//! The contract with git: the merged file is written over `%A`; exit 0 means merged,
//! anything else means a conflict, which git then reports. A side that does not parse is a
//! conflict with `%A` left untouched, so nothing is lost and git shows the file as it was.

use std::path::{Path, PathBuf};

use crate::book;
use crate::cmd::say;
use crate::error::{Error, Result};
use crate::model::merge::{self, Conflict};
use crate::output::warn;
use crate::yaml::{self, Mapping, Value};

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

pub fn run(args: &Args) -> Result<()> {
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
        if has_comments(&ours_text) {
            warn(&format!("{name}: merged in canonical form; the comments in our version were not kept"));
        }
        return book::write_file(&args.ours, &merge::render(&merged)?);
    }
    book::write_file(&args.ours, &merge::render(&merged)?)?;
    for c in &merged.conflicts {
        say(&format!("CONFLICT (care): {name}: {}", describe(c)));
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

fn describe(c: &Conflict) -> String {
    let show = |v: &Option<Value>| v.as_ref().map_or("(removed)".to_string(), |v| format!("{:?}", merge::short(v)));
    format!("`{}` was changed on both sides: ours {}, theirs {}", c.field, show(&c.ours), show(&c.theirs))
}

fn has_comments(text: &str) -> bool {
    text.lines().any(|l| l.trim_start().starts_with('#') || l.contains(" #"))
}
