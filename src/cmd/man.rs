//! `care man`: the manual page, in roff, generated from the same clap definitions as
//! `--help` (via clap_mangen), so the page and the help can never disagree. Like git, there
//! is a page for care and one for each subcommand (`care-recover-open(1)`). Needs no book.

use std::io::Write;
use std::path::PathBuf;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::cmd::say;
use crate::error::{Error, Result};

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

pub fn run(args: &Args, out: &mut dyn Write) -> Result<()> {
    let root = full_tree();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        write_all(&root, dir)?;
        say(&format!("Wrote the manual pages into {}.", dir.display()));
        return Ok(());
    }
    let page = find(&root, &args.command)?;
    page_of(page).render(out)?;
    Ok(())
}

/// One page, footed with care's name and version (clap_mangen would put only the
/// subcommand's name there, since subcommands carry no version of their own).
fn page_of(command: clap::Command) -> clap_mangen::Man {
    let source = format!("care {}", env!("CARGO_PKG_VERSION"));
    clap_mangen::Man::new(command).source(source).manual("care manual")
}

/// The page of `command` and of every visible subcommand below it, as NAME.1 files.
fn write_all(command: &clap::Command, dir: &std::path::Path) -> Result<()> {
    for sub in command.get_subcommands().filter(|c| !c.is_hide_set()) {
        write_all(sub, dir)?;
    }
    page_of(command.clone()).generate_to(dir).map_err(|e| Error::io(dir, e))?;
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
