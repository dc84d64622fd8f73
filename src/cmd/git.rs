//! `care git setup`: make a clone of a shared book merge records field by field.
//!
//! Git decides how to merge a file from `.gitattributes` (shared, committed with the
//! book) and runs the driver that this clone's own config names (never shared: it is a
//! program on this machine). So setup writes both halves and must run on every clone,
//! like `git lfs install` or `nbdime config-git`.

use std::path::{Path, PathBuf};

use crate::book::{self, IGNORED};
use crate::cmd::{Ctx, commit};
use crate::error::{Error, Result};
use crate::git;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Register care's merge driver in this clone and mark the book's records for it.
    #[command(after_help = "\
Writes .gitattributes (records merge with `merge=care`), adds care's lock and temporary
files to .gitignore, and registers the driver in this clone's git config. Run it on every
clone: git does not share config. Running it again changes nothing.

Example:
  git clone ssh://server/srv/book.git && cd book && care git setup")]
    Setup,
}

/// The record files git hands to the driver.
const ATTRIBUTES: [&str; 4] = [
    "customers/**/*.yaml merge=care",
    "customers/**/*.yml merge=care",
    "incidents/**/*.yaml merge=care",
    "incidents/**/*.yml merge=care",
];

const DRIVER_NAME: &str = "care: merges customer and incident records field by field";

pub fn run(ctx: &Ctx, command: &Command) -> Result<()> {
    match command {
        Command::Setup => setup(ctx),
    }
}

fn setup(ctx: &Ctx) -> Result<()> {
    let book = &ctx.book;
    let shown = if book.root.as_os_str().is_empty() { ".".into() } else { book.root.display().to_string() };
    if git::work_tree(&book.root).is_none() {
        return Err(Error::Refused(format!(
            "the book in {shown} is not in a git work tree; make it one (`git init`, or clone the shared book), \
             then run `care git setup` again"
        )));
    }
    let mut done = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    let lines = |list: &[&str]| list.iter().map(|l| l.to_string()).collect::<Vec<_>>();

    let attributes = book.path(".gitattributes");
    let added = book::ensure_lines(&attributes, "care merges records field by field", &lines(&ATTRIBUTES))?;
    if !added.is_empty() {
        done.push(format!(".gitattributes: records now merge with care's driver ({} lines added)", added.len()));
        files.push(attributes);
    }
    let ignore = book.path(".gitignore");
    let added = book::ensure_lines(&ignore, "care's lock, temporary and scratch files", &lines(&IGNORED))?;
    if !added.is_empty() {
        done.push(format!(".gitignore: now ignores {}", added.join(" ")));
        files.push(ignore);
    }
    for (key, value) in [
        ("merge.care.name", DRIVER_NAME.to_string()),
        ("merge.care.driver", driver(ctx.book.settings.path.as_deref())?),
    ] {
        let old = git::local_config(&book.root, key);
        if old.as_deref() != Some(value.as_str()) {
            git::set_local_config(&book.root, key, &value).map_err(Error::Refused)?;
            let verb = if old.is_some() { "updated" } else { "set" };
            done.push(format!("git config {key} {verb} in this clone: {value}"));
        }
    }

    if done.is_empty() {
        ctx.ui.say(
            "Nothing to do: this clone is already set up (merge driver registered, .gitattributes and .gitignore complete).",
        );
        return Ok(());
    }
    for line in &done {
        ctx.ui.say(line);
    }
    if files.is_empty() {
        return Ok(());
    }
    if book.config.git.commit {
        commit(ctx, &files, "git setup: records merge field by field");
    } else {
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        ctx.ui.say(&format!(
            "Commit {} and push, so every clone merges the same way; then run `care git setup` on each clone.",
            names.join(" and ")
        ));
    }
    Ok(())
}

/// The command git runs. By name, `care`, when the `care` on PATH is this very program:
/// reinstalling it, or moving it to another folder on PATH, then keeps merges working.
/// Else by absolute path, so merges work even where `care` is not on the PATH git sees;
/// `care check` says when that path stops pointing anywhere.
fn driver(path: Option<&std::ffi::OsStr>) -> Result<String> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::Refused(format!("cannot tell where this care program is ({e}); nothing was registered")))?;
    let same = |p: &Path| std::fs::canonicalize(p).ok();
    let program = match git::on_path("care", path) {
        Some(found) if same(&found).is_some() && same(&found) == same(&exe) => "care".to_string(),
        _ => git::shell_quote(&exe.to_string_lossy()),
    };
    Ok(format!("{program} {DRIVER_ARGS}"))
}

const DRIVER_ARGS: &str = "merge-driver %O %A %B %P";
