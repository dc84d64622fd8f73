//! `care completions SHELL`: a completion script generated from the same clap definitions
//! as `--help`, so a new command or option completes the day it is added, with nothing to
//! keep in step by hand. Needs no book: it is run while installing care.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::Result;

/// Print a shell completion script on stdout.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care completions bash > ~/.local/share/bash-completion/completions/care
  care completions zsh > ~/.zfunc/_care          (with fpath+=~/.zfunc before compinit)
  care completions fish > ~/.config/fish/completions/care.fish
  care completions powershell >> $PROFILE")]
pub struct Args {
    /// The shell to complete in: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: &Args, out: &mut dyn Write) -> Result<()> {
    let mut command = Cli::command();
    let name = command.get_name().to_string();
    // clap_complete panics when its writer fails; written to memory first, a closed pipe
    // (`care completions bash | head`) is an ordinary error that ends quietly.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, name, &mut script);
    out.write_all(&script)?;
    Ok(())
}
