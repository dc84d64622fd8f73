//! `care completions SHELL`: the line a shell sources to complete care. The script is
//! clap_complete's dynamic registration: at each TAB the shell asks care itself
//! (`COMPLETE=bash care -- …`, answered in `complete.rs`), so commands and options are
//! always those of the installed version and values come from the book at hand (customer
//! and incident ids, staff, fields). `--static` prints the older self-contained script
//! (commands and options only) for packagers who want no call back. Needs no book.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;
use clap_complete::env::Shells;

use crate::cli::Cli;
use crate::error::{Error, Result};
use crate::settings::Settings;

/// Print a shell completion script on stdout.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  echo 'source <(care completions bash)' >> ~/.bashrc
  echo 'source <(care completions zsh)' >> ~/.zshrc
  care completions fish > ~/.config/fish/completions/care.fish
  care completions powershell >> $PROFILE

Sourced at each shell start, the script always matches the installed care. It asks care
for candidates at each TAB: `care show <TAB>` offers the customers of the book at hand
(-C, CARE_BOOK or the folder you are in), `care recover fix <TAB>` its incidents, open
ones first.")]
pub struct Args {
    /// The shell to complete in: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: Shell,
    /// Print a self-contained script that completes commands and options only, without
    /// calling care at each TAB (and so without the book's ids and names).
    #[arg(long = "static")]
    pub fixed: bool,
}

pub fn run(args: &Args, settings: &Settings, out: &mut dyn Write) -> Result<()> {
    let mut command = Cli::command();
    let name = command.get_name().to_string();
    // clap_complete panics when its writer fails; written to memory first, a closed pipe
    // (`care completions bash | head`) is an ordinary error that ends quietly.
    let mut script = Vec::new();
    if args.fixed {
        clap_complete::generate(args.shell, &mut command, name, &mut script);
    } else {
        let shells = Shells::builtins();
        let shell = shells
            .completer(&args.shell.to_string())
            .ok_or_else(|| Error::Usage(format!("no dynamic completion for {}; try --static", args.shell)))?;
        shell
            .write_registration("COMPLETE", &name, &name, &completer(&name, settings.program.as_deref()), &mut script)
            .map_err(Error::Output)?;
    }
    out.write_all(&script).map_err(Error::Output)?;
    Ok(())
}

/// The program the script calls back: `care` as found on the PATH when care was run
/// that way (so a reinstall is picked up), else this very file by its full path.
fn completer(name: &str, called: Option<&std::ffi::OsStr>) -> String {
    if called.is_some_and(|c| c == name) {
        return name.to_string();
    }
    std::env::current_exe().map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| name.to_string())
}
