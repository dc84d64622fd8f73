//! The command line, declared once with clap's derive: `--help`, completions and the man
//! page all come from these definitions. Each subcommand's own arguments live beside its
//! `run` in `cmd/<name>.rs`; this file holds the global options and the list of commands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::cmd;
use crate::output::Format;

/// The heading the options every command takes sit under, after a command's own options,
/// in `--help` and in the man pages (clap_mangen makes it a section of its own).
pub const GLOBAL: &str = "Global options";

const EXAMPLES: &str = "\
Examples:
  care init mybook                              create a book
  care -C mybook customer add \"Ada Lovelace\" --phone \"+1 555 0100\"
  care note ada --pref --critical \"Allergic to shellfish\"
  care show ada                                 the briefing card before you serve her
  care flags                                    the list the front desk reads each shift
  care customer list --format csv > customers.csv

The book is found with -C DIR, else CARE_BOOK, else by walking up to a folder with care.yaml.
CARE_NOW (RFC 3339) replaces the clock; CARE_STAFF names who is writing.";

/// A memory for your customers and a discipline for your service failures.
///
/// care keeps a book: a folder of YAML files, one per customer, that people can read,
/// hand-edit, grep and keep in git. Each command does one job and prints a table for
/// people, or CSV/TSV/JSON for programs.
#[derive(Debug, Parser)]
#[command(name = "care", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// Where `book` came from: `init DIR` takes a relative DIR inside `-C`'s folder, but
    /// not inside `CARE_BOOK`'s. Declared before `book`, whose value clap's derive takes
    /// out of the matches (with its source) as it reads it.
    #[command(flatten)]
    pub book_source: BookSource,

    /// The book's folder (default: CARE_BOOK, else the first folder upwards with care.yaml).
    #[arg(short = 'C', long = "book", value_name = "DIR", global = true, help_heading = GLOBAL, env = "CARE_BOOK", hide_env_values = true)]
    #[arg(value_hint = clap::ValueHint::DirPath)]
    pub book: Option<PathBuf>,

    /// Output format (default: table on a terminal, csv otherwise).
    #[arg(long, value_enum, value_name = "FORMAT", global = true, help_heading = GLOBAL)]
    pub format: Option<Format>,

    /// Leave out the header row in table, CSV and TSV output.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub no_header: bool,

    /// Do not neutralise CSV cells that a spreadsheet would run as formulas.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub raw: bool,

    /// CSV for Excel: a UTF-8 byte-order mark and CRLF line ends.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub excel: bool,

    /// Who is writing, recorded as `by:` (default: CARE_STAFF, else your login name).
    #[arg(long = "as", value_name = "STAFF", global = true, help_heading = GLOBAL, env = "CARE_STAFF", hide_env_values = true)]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::staff))]
    pub as_staff: Option<String>,

    /// Print tables in full instead of fitting them to the terminal's width.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub wide: bool,

    /// Where an edit cannot keep a hand-written file's layout (comments, flow style),
    /// rewrite the file in canonical form instead of refusing.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub rewrite: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// Whether the book's folder was given as `-C`/`--book` rather than by `CARE_BOOK`: clap
/// merges the two into one value, and keeps where it came from in the parsed matches
/// (`value_source`), which is where this is read, so a command line parsed in-process
/// says it too.
#[derive(Debug, Clone, Copy, Default)]
pub struct BookSource {
    pub on_command_line: bool,
}

impl clap::FromArgMatches for BookSource {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let on_command_line = matches.value_source("book") == Some(clap::parser::ValueSource::CommandLine);
        Ok(BookSource { on_command_line })
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = BookSource::from_arg_matches(matches)?;
        Ok(())
    }
}

/// Declares no argument of its own: it reads the `book` argument's source.
impl clap::Args for BookSource {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new book: care.yaml with commented defaults, customers/ and incidents/.
    Init(cmd::init::Args),
    /// Add and list customers.
    #[command(
        subcommand,
        after_help = "Examples:\n  care customer add \"Ada Lovelace\" --phone \"+1 555 0100\"\n  care customer list --flagged"
    )]
    Customer(cmd::customer::Command),
    /// The briefing card for one or more customers: what to remember before serving them.
    Show(cmd::show::Args),
    /// Add to a customer's permanent record: a note, role, goal, preference or misstep.
    Note(cmd::note::Args),
    /// Record a visit: when the customer came, what they spent, how many, where.
    Visit(cmd::visit::Args),
    /// Set a reminder on a customer: a birthday, an anniversary, "call in three weeks".
    Remind(cmd::remind::Args),
    /// Raise or clear a flag on a customer's file, so every colleague knows.
    Flag(cmd::flag::Args),
    /// List the active flags: what the front desk reads at the start of a shift.
    Flags(cmd::flags::Args),
    /// Recover from a service failure: open an incident, then apologize, review, fix, extra, close.
    #[command(
        subcommand,
        after_help = "Example, the story of a recovery:\n  id=$(care recover open ada --what \"Entrées mixed up\" --staff billy --busyness 95)\n  care recover apologize $id \"Apologized at the table\"\n  care recover review $id\n  care recover fix $id --as billy\n  care recover extra $id --what \"Dessert on the house\" --value 24\n  care recover close $id"
    )]
    Recover(cmd::recover::Command),
    /// Follow-ups: what is due (for people and cron), mark done, add your own.
    #[command(
        subcommand,
        after_help = "Examples:\n  care followup due --within 1h\n  care followup done k7f3qz --how phone"
    )]
    Followup(cmd::followup::Command),
    /// For cron: run the clone's hooks once per follow-up as it falls due.
    Notify(cmd::notify::Args),
    /// A read-only local web page for the host stand: arrivals with their cards, flags, follow-ups due.
    Serve(cmd::serve::Args),
    /// Who had a service failure and has not come back since, most value at risk first.
    Winback(cmd::winback::Args),
    /// Group incidents and count, to find the pattern behind the failures.
    Trends(cmd::trends::Args),
    /// Every 2-3-dimension combination that fails significantly more than its margins predict.
    Patterns(cmd::patterns::Args),
    /// Ask your own question in SQL: a read-only query over a fresh mirror of the book.
    Sql(cmd::sql::Args),
    /// Corrective actions: record a fix for a pattern, list them, verify that it worked.
    #[command(
        subcommand,
        after_help = "Examples:\n  id=$(care action open --for staff=billy --for weekday=wed --what \"Billy trained on the wine list\")\n  care action list\n  care action verify $id --window 8w"
    )]
    Action(cmd::action::Command),
    /// Flat rows of everything (customers, incidents, notes, followups, flags) for spreadsheets.
    Export(cmd::export::Args),
    /// Remove a person from every file of the book (incidents keep their facts under a pseudonym).
    Forget(cmd::forget::Args),
    /// Bring customers in from a spreadsheet (CSV); re-running it does not duplicate.
    #[command(
        subcommand,
        after_help = "Examples:\n  care import customers guests.csv --map allergies=pref:critical\n  care import visits bookings.csv --map \"date=Visit Date,name=Guest,spend=Total\"\n  care import customers --help      the columns each kind reads"
    )]
    Import(cmd::import::Command),
    /// Validate the whole book: every problem with its file, line and column.
    Check(cmd::check::Args),
    /// Open a customer or incident in your editor; an invalid save is offered back, never kept.
    Edit(cmd::edit::Args),
    /// Mind the words: find banished phrases in a draft apology, note or email.
    #[command(subcommand, after_help = "Examples:\n  care lexicon check draft.txt\n  care lexicon list")]
    Lexicon(cmd::lexicon::Command),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(cmd::completions::Args),
    /// Print the manual page (roff), or write every page into a folder.
    Man(cmd::man::Args),
    /// Share the book between sites through git: `care git setup` on every clone.
    #[command(subcommand, after_help = "Example:\n  care git setup        on every clone of a shared book")]
    Git(cmd::git::Command),
    /// For cron: commit, pull the other sites' changes, settle what care can, push.
    Sync(cmd::sync::Args),
    /// Merge one record three ways; git runs it (see `care git setup`).
    #[command(hide = true)]
    MergeDriver(cmd::merge_driver::Args),
    /// Write a sample book to try care on: customers, a year of incidents, a planted pattern.
    // `sample-book` was its name while it was hidden; tests and bench/run may still use it.
    #[command(alias = "sample-book")]
    Demo(cmd::sample_book::Args),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
