//! `care man`: the manual page, in roff, generated from the same clap definitions as
//! `--help` (via clap_mangen), so the page and the help can never disagree. Like git, there
//! is a page for care and one for each subcommand (`care-recover-open(1)`). Each page ends
//! with the sections a man page reader looks for and `--help` has no room for: EXAMPLES
//! (the command's own, from its `after_help`), ENVIRONMENT and EXIT STATUS. Needs no book.

use std::io::Write;
use std::path::PathBuf;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Error, Result};
use crate::ui::Ui;

/// Print the manual page (roff) on stdout, or write every page into a folder.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care man | man -l -                       read care(1) now
  care man recover open | man -l -          the page of one subcommand, care-recover-open(1)
  care man --dir /usr/local/share/man/man1  install every page")]
pub struct Args {
    /// The subcommand whose page to print, e.g. `recover open` (default: care itself).
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    pub command: Vec<String>,
    /// Write every page (care.1, care-recover.1, care-recover-open.1, ...) into this folder.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(args: &Args, out: &mut dyn Write, ui: &Ui) -> Result<()> {
    let root = full_tree();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        write_all(&root, dir)?;
        ui.say(&format!("Wrote the manual pages into {}.", dir.display()));
        return Ok(());
    }
    let page = find(&root, &args.command)?;
    out.write_all(&render(page)?).map_err(Error::Output)?;
    Ok(())
}

/// Where `care` looks, besides its arguments; the same on every page.
const ENVIRONMENT: [(&str, &str); 8] = [
    ("CARE_BOOK", "The book's folder when -C/--book is not given (else the first folder upwards with care.yaml)."),
    ("CARE_STAFF", "Who is writing, recorded as by: on every entry, when --as is not given (else the login name)."),
    ("CARE_NOW", "An RFC 3339 time that replaces the clock: for tests, reproducible reports and replaying a day."),
    ("CARE_LOCK_TIMEOUT", "How long a writer waits for a record's lock (0 to 1h: 10s, 500ms, 2m; default 10s)."),
    ("CARE_HOOK_TIMEOUT", "How long a hook may run before it is stopped (1ms to 1h: 5s, 500ms; default 5s)."),
    (
        "CARE_NO_CACHE",
        "1 to neither read nor write the report index in the book's .care/cache, nor the list of customers/'s sub-folders that writes keep there (0 or unset: use them).",
    ),
    (
        "NO_COLOR",
        "When set, no colour, even on a terminal. Every CARE_ variable is checked before anything is done: \
      a value care cannot use is a usage error (exit 2); an empty one counts as unset.",
    ),
    ("COLUMNS", "The width to fit tables and charts to when the terminal's own cannot be read."),
];

const EXIT_STATUS: [(&str, &str); 4] = [
    ("0", "Success."),
    ("1", "The command could not do its job: bad data, not found, ambiguous, validation failed, or files skipped."),
    ("2", "Bad usage: an unknown option, a missing argument, a value that cannot be read."),
    (
        "3",
        "Something was found that a script asked about: followup due --exit-code listed follow-ups, lexicon check found phrases.",
    ),
];

/// One page, footed with care's name and version (clap_mangen would put only the
/// subcommand's name there, since subcommands carry no version of their own). clap_mangen
/// renders its sections one by one so that ours can follow the options and subcommands;
/// its own EXTRA section (the raw `after_help`) becomes EXAMPLES.
fn render(command: clap::Command) -> Result<Vec<u8>> {
    let examples = command.get_after_help().map(|h| h.to_string());
    let has_subcommands = command.get_subcommands().any(|c| !c.is_hide_set());
    let has_version = command.get_version().is_some();
    let man = man_of(command);
    let mut page = Vec::new();
    man.render_title(&mut page).map_err(Error::Output)?;
    man.render_name_section(&mut page).map_err(Error::Output)?;
    man.render_synopsis_section(&mut page).map_err(Error::Output)?;
    man.render_description_section(&mut page).map_err(Error::Output)?;
    man.render_options_section(&mut page).map_err(Error::Output)?;
    if has_subcommands {
        man.render_subcommands_section(&mut page).map_err(Error::Output)?;
    }
    sections(examples.as_deref()).to_writer(&mut page).map_err(Error::Output)?;
    if has_version {
        man.render_version_section(&mut page).map_err(Error::Output)?;
    }
    Ok(ascii_roff(&String::from_utf8_lossy(&page)).into_bytes())
}

/// troff reads bytes, not UTF-8 (`groff -ww` warns at every `—` and `×` of the help text):
/// every other character is written as its named Unicode escape, `\[u2014]`.
fn ascii_roff(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    for c in page.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(c)));
        }
    }
    out
}

fn man_of(command: clap::Command) -> clap_mangen::Man {
    let source = format!("care {}", env!("CARGO_PKG_VERSION"));
    clap_mangen::Man::new(command).source(source).manual("care manual")
}

/// EXAMPLES (kept as typed: the comments line up), ENVIRONMENT and EXIT STATUS.
fn sections(examples: Option<&str>) -> roff::Roff {
    use roff::{Roff, bold, roman};
    let mut page = Roff::new();
    if let Some(text) = examples {
        page.control("SH", ["EXAMPLES"]).control("nf", []);
        for line in text.lines().filter(|l| !(l.starts_with("Example") && l.ends_with(':'))) {
            page.text([roman(line.strip_prefix("  ").unwrap_or(line))]);
        }
        page.control("fi", []);
    }
    for (title, items) in [("ENVIRONMENT", &ENVIRONMENT[..]), ("EXIT STATUS", &EXIT_STATUS[..])] {
        page.control("SH", [title]);
        for (name, what) in items {
            page.control("TP", []).text([bold(*name)]).text([roman(*what)]);
        }
    }
    page
}

/// The page of `command` and of every visible subcommand below it, as NAME.1 files.
fn write_all(command: &clap::Command, dir: &std::path::Path) -> Result<()> {
    for sub in command.get_subcommands().filter(|c| !c.is_hide_set()) {
        write_all(sub, dir)?;
    }
    let file = dir.join(man_of(command.clone()).get_filename());
    let page = render(command.clone())?;
    std::fs::write(&file, page).map_err(|e| Error::io(&file, e))?;
    Ok(())
}

/// The command tree, built so that each subcommand carries its full name (`care-recover-open`)
/// and without clap's own `help` subcommand, which has no page worth reading.
fn full_tree() -> clap::Command {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    root
}

/// The (visible) subcommand a path of names leads to.
fn find(root: &clap::Command, path: &[String]) -> Result<clap::Command> {
    let mut here = root;
    for name in path {
        here = here.get_subcommands().filter(|c| !c.is_hide_set()).find(|c| c.get_name() == name).ok_or_else(|| {
            let known: Vec<&str> = here.get_subcommands().filter(|c| !c.is_hide_set()).map(|c| c.get_name()).collect();
            Error::Usage(format!("no page for {name:?}; the commands here are: {}", known.join(", ")))
        })?;
    }
    Ok(here.clone())
}
