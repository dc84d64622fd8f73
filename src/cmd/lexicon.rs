//! `care lexicon check|list`: find banished phrases in a draft before the customer reads it.

use std::io::Write;
use std::path::PathBuf;

use crate::cmd::Ctx;
use crate::error::{Error, FOUND, Result};
use crate::model::lexicon;
use crate::output::{self, Cell, Rows};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Find banished phrases in a draft apology, note or email; exit 3 when any is found.
    #[command(after_help = "\
Exit status: 0 none found, 3 some found, 1 could not check (a file that cannot be read),
2 bad usage — the same scheme as `followup due --exit-code`.

Examples:
  care lexicon check draft.txt
  echo \"If what you say is correct, I apologize\" | care lexicon check")]
    Check(CheckArgs),
    /// The phrases to avoid: the built-in list and the book's own.
    #[command(after_help = "Example:\n  care lexicon list --format table")]
    List,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files to check; `-` or none reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn run(ctx: &Ctx, command: &Command, out: &mut dyn Write) -> Result<()> {
    let rules = lexicon::rules(&ctx.book.config.lexicon).map_err(Error::Refused)?;
    match command {
        Command::List => {
            let mut rows = Rows::new(&["pattern", "why", "instead"]);
            for r in &rules {
                rows.push(vec![r.pattern.as_str().into(), r.why.as_str().into(), r.instead.as_str().into()]);
            }
            Ok(output::print(out, &ctx.style, &rows)?)
        }
        Command::Check(args) => {
            let stdin = [PathBuf::from("-")];
            let files = if args.files.is_empty() { &stdin[..] } else { &args.files[..] };
            let mut rows = Rows::new(&["file", "line", "column", "phrase", "why", "instead"]);
            for file in files {
                let text = crate::cmd::read_input(&ctx.ui, file)?;
                for hit in lexicon::check(&text, &rules) {
                    rows.push(vec![
                        file.display().to_string().into(),
                        Cell::Int(hit.line as i64),
                        Cell::Int(hit.column as i64),
                        hit.phrase.into(),
                        hit.why.into(),
                        hit.instead.into(),
                    ]);
                }
            }
            output::print(out, &ctx.style, &rows)?;
            if rows.rows.is_empty() { Ok(()) } else { Err(Error::Quiet(FOUND)) }
        }
    }
}
