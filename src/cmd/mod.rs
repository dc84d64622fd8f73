//! One module per subcommand, each holding its arguments and a `run` that takes the book
//! context and a writer for stdout (so it can be driven without spawning a process). The
//! work itself lives in `book`, `model` and `report`; commands only connect them.

pub mod action;
pub mod check;
pub mod completions;
pub mod customer;
pub mod edit;
pub mod export;
pub mod flag;
pub mod flags;
pub mod followup;
pub mod forget;
pub mod git;
pub mod import;
pub mod init;
pub mod lexicon;
pub mod man;
pub mod merge_driver;
pub mod note;
pub mod notify;
pub mod patterns;
pub mod recover;
pub mod remind;
pub mod sample_book;
pub mod serve;
pub mod show;
pub mod sql;
pub mod sync;
pub mod trends;
pub mod visit;
pub mod winback;

use std::io::Write;
use std::path::PathBuf;

use crate::book::{self, Book};
use crate::cli::{Cli, Command};
use crate::error::{Error, Result};
use crate::output::{self, Format, Style};
use crate::report::query::{Cond, Query};
use crate::settings::Settings;
use crate::time::{Tense, TimeError};
use crate::ui::Ui;

/// What every command that works on a book needs.
#[derive(Debug)]
pub struct Ctx {
    pub book: Book,
    /// Where messages go and `-` reads from (stderr, stdin); data goes to `out`.
    pub ui: Ui,
    pub style: Style,
    /// Who is writing: recorded as `by:` on every entry. Empty when nobody could be named;
    /// `by()` then refuses the write rather than record `by: unknown`.
    pub staff: String,
}

impl Ctx {
    /// Who is writing, for a command that records it.
    pub fn by(&self) -> Result<&str> {
        if self.staff.is_empty() {
            return Err(Error::Usage(
                "cannot tell who is writing (USER and LOGNAME are unset and this account has no name); \
                 say it with --as NAME or CARE_STAFF=NAME"
                    .into(),
            ));
        }
        Ok(&self.staff)
    }
}

/// Run a parsed command line with the settings read at start, writing data to `out` and
/// messages through `ui`.
pub fn run(cli: Cli, settings: &Settings, ui: Ui, out: &mut dyn Write) -> Result<()> {
    match &cli.command {
        Command::Init(args) => return init::run(args, cli.book.as_deref(), cli.book_source.on_command_line, &ui),
        Command::Demo(args) => return sample_book::run(args, settings, &ui),
        Command::Completions(args) => return completions::run(args, settings, out),
        Command::Man(args) => return man::run(args, out, &ui),
        Command::MergeDriver(args) => return merge_driver::run(args, &ui),
        _ => {}
    }
    if cli.format == Some(Format::Ics) && !calendar_command(&cli.command) {
        return Err(Error::Usage("--format ics is for `followup due` and `export followups` only".into()));
    }
    let ctx = context(&cli, settings, ui)?;
    match &cli.command {
        Command::Init(_) | Command::Demo(_) | Command::Completions(_) | Command::Man(_) | Command::MergeDriver(_) => {
            Ok(())
        }
        Command::Customer(c) => customer::run(&ctx, c, out),
        Command::Show(args) => show::run(&ctx, args, out),
        Command::Note(args) => note::run(&ctx, args),
        Command::Flag(args) => flag::run(&ctx, args),
        Command::Flags(args) => flags::run(&ctx, args, out),
        Command::Recover(c) => recover::run(&ctx, c, out),
        Command::Followup(c) => followup::run(&ctx, c, out),
        Command::Export(args) => export::run(&ctx, args, out, cli.format.is_some()),
        Command::Forget(args) => forget::run(&ctx, args, out),
        Command::Check(args) => check::run(&ctx, args, out),
        Command::Edit(args) => edit::run(&ctx, args),
        Command::Lexicon(c) => lexicon::run(&ctx, c, out),
        Command::Import(args) => import::run(&ctx, args, out),
        Command::Trends(args) => trends::run(&ctx, args, out, cli.format.is_some()),
        Command::Patterns(args) => patterns::run(&ctx, args, out),
        Command::Sql(args) => sql::run(&ctx, args, out),
        Command::Action(c) => action::run(&ctx, c, out),
        Command::Git(c) => git::run(&ctx, c),
        Command::Sync(args) => sync::run(&ctx, args),
        Command::Notify(args) => notify::run(&ctx, args, out),
        Command::Serve(args) => serve::run(&ctx, args, out),
        Command::Visit(args) => visit::run(&ctx, args),
        Command::Remind(args) => remind::run(&ctx, args),
        Command::Winback(args) => winback::run(&ctx, args, out),
    }
}

/// The commands that can print a calendar (`--format ics`).
fn calendar_command(command: &Command) -> bool {
    match command {
        Command::Followup(followup::Command::Due(_)) => true,
        Command::Export(args) => args.kind == export::Kind::Followups,
        _ => false,
    }
}

fn context(cli: &Cli, settings: &Settings, ui: Ui) -> Result<Ctx> {
    let cwd = std::env::current_dir().map_err(|e| Error::io(std::path::Path::new("."), e))?;
    let mut book = Book::open(book::find_root(cli.book.as_deref(), &cwd)?, settings)?;
    book.rewrite = cli.rewrite;
    book.warner = ui.warner();
    let terminal = ui.out_terminal;
    let style = Style {
        format: cli.format.unwrap_or(if terminal { Format::Table } else { Format::Csv }),
        header: !cli.no_header,
        raw: cli.raw,
        excel: cli.excel,
        color: terminal && settings.color,
        clock: book.clock,
        width: (terminal && !cli.wide).then(|| output::terminal_width(settings.columns)),
    };
    let staff = cli
        .as_staff
        .clone()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| settings.login.clone())
        .unwrap_or_else(account_name);
    Ok(Ctx { book, ui, style, staff: staff.trim().to_string() })
}

/// When the environment names nobody (containers and some cron setups set neither USER
/// nor LOGNAME): the account name of the process's user id; empty if none.
#[cfg(unix)]
fn account_name() -> String {
    uzers::get_current_username()
        .and_then(|n| n.into_string().ok())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_default()
}

#[cfg(not(unix))]
fn account_name() -> String {
    String::new()
}

/// Report files that could not be read, as they were met; the caller prints what it could
/// and then fails with `Error::Skipped` so the exit status says something was left out.
pub fn report_problems(ctx: &Ctx, problems: &[Error]) -> Result<()> {
    for p in problems {
        ctx.ui.say(&format!("skipped: {p}"));
    }
    if problems.is_empty() { Ok(()) } else { Err(Error::Skipped(problems.len())) }
}

/// With `git.commit: true` in care.yaml, commit exactly the files a command changed, with
/// a message that says what changed (`note ada-lovelace: preference`). Called after the
/// write succeeded: git failing is reported and never undoes the write or fails the command.
pub fn commit(ctx: &Ctx, files: &[PathBuf], message: &str) {
    if !ctx.book.config.git.commit || files.is_empty() {
        return;
    }
    // Who wrote it, as a trailer (`git log --format='%(trailers:key=By)'`): on a shared
    // clone, or through the page, the committer is the machine's account, not the person.
    let message = if ctx.staff.is_empty() { message.to_string() } else { format!("{message}\n\nBy: {}", ctx.staff) };
    if let Err(e) = crate::git::commit(&ctx.book.root, files, &message) {
        ctx.ui.warn(&format!("the change is saved but was not committed: {e}; commit it with git yourself"));
    }
}

/// Read a time argument in the book's clock (a bound or reference such as `--since`); a
/// bad one is a usage error naming the option.
pub fn parse_time(ctx: &Ctx, option: &str, value: &str) -> Result<crate::time::Stamp> {
    read_time(ctx, option, value, Tense::Any)
}

/// Read the time of something that already happened (`--at` of a step, a note, a
/// follow-up done): a bare clock time is its latest occurrence, and the future is refused.
pub fn parse_past(ctx: &Ctx, option: &str, value: &str) -> Result<crate::time::Stamp> {
    read_time(ctx, option, value, Tense::Past)
}

/// Read the time of something scheduled (`--due`): a bare clock time is its next occurrence.
pub fn parse_next(ctx: &Ctx, option: &str, value: &str) -> Result<crate::time::Stamp> {
    read_time(ctx, option, value, Tense::Next)
}

fn read_time(ctx: &Ctx, option: &str, value: &str, tense: Tense) -> Result<crate::time::Stamp> {
    match ctx.book.clock.read(value, tense) {
        Ok(when) => {
            if let Some(w) = &when.warning {
                ctx.ui.warn(&format!("{option}: {w}"));
            }
            Ok(when.at)
        }
        // A time care cannot use for this (in the future for what already happened, in a
        // gap the clocks skip) is a bad argument like an unreadable one: exit 2.
        Err(TimeError::Unreadable(e) | TimeError::Refused(e)) => Err(Error::Usage(format!("{option}: {e}"))),
    }
}

/// Read a date argument in the book's clock; a bad one is a usage error naming the option.
pub fn parse_date(ctx: &Ctx, option: &str, value: &str) -> Result<chrono::NaiveDate> {
    ctx.book.clock.parse_date(value).map_err(|e| Error::Usage(format!("{option}: {e}")))
}

/// Free text given on the command line: trimmed, and not empty.
pub fn text_arg(what: &str, value: &str) -> Result<String> {
    let t = value.trim();
    if t.is_empty() {
        return Err(Error::Usage(format!("{what} is empty; say what to record")));
    }
    Ok(t.to_string())
}

/// The canonical id of the incident an entry is linked to, checked to exist; a warning if
/// it belongs to another customer.
pub fn incident_for(ctx: &Ctx, query: Option<&str>, customer: &crate::model::Customer) -> Result<Option<String>> {
    let Some(query) = query else { return Ok(None) };
    let (_, incident) = ctx.book.find_incident(query)?;
    if incident.customer != customer.id {
        ctx.ui.warn(&format!("incident {} is about {}, not {}", incident.id, incident.customer, customer.id));
    }
    Ok(Some(incident.id))
}

/// Warn, on stderr, about banished phrases in a note being recorded.
pub fn mind_the_words(ctx: &Ctx, note: Option<&str>) {
    let (Some(note), Ok(rules)) = (note, crate::model::lexicon::rules(&ctx.book.config.lexicon)) else { return };
    for hit in crate::model::lexicon::check(note, &rules) {
        ctx.ui.warn(&format!("\"{}\": {} Try: \"{}\"", hit.phrase, hit.why, hit.instead));
    }
}

/// The `--where/--since/--until` options, flattened into every list command so that
/// `--help` reads the same everywhere.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
    /// Only rows where FIELD=VALUE (equal, ignoring case), FIELD!=VALUE, FIELD~REGEX or
    /// FIELD!~REGEX; repeatable, all must hold. A list field (tags) matches when any value
    /// does. Fields: see docs/format.md ("Filters").
    #[arg(long = "where", value_name = "FIELD=VALUE")]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::filters))]
    pub conds: Vec<Cond>,
    /// Only rows whose time (incident opened, follow-up due, flag raised, entry at, customer
    /// since) is at or after this.
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Only rows whose time is before this.
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub until: Option<String>,
}

impl FilterArgs {
    /// The query, with times read by the command's own time parser (book zone, warnings).
    pub fn query(&self, mut time: impl FnMut(&str, &str) -> Result<crate::time::Stamp>) -> Result<Query> {
        Ok(Query {
            conds: self.conds.clone(),
            since: self.since.as_deref().map(|s| time("--since", s)).transpose()?,
            until: self.until.as_deref().map(|s| time("--until", s)).transpose()?,
        })
    }
}

/// Run the clone's hooks for a change just saved (`.care/hooks/<event>`, docs/hooks.md).
/// Called after the write and after `commit`: a hook that fails or hangs is a warning.
pub fn emit(ctx: &Ctx, event: crate::hooks::Event) {
    crate::hooks::emit(&ctx.book, &ctx.ui, &ctx.staff, &event);
}

/// A file named on the command line, `-` meaning stdin (read through the `Ui`).
pub fn read_input(ui: &Ui, path: &std::path::Path) -> Result<String> {
    if path == std::path::Path::new("-") {
        let bytes = ui.read_all().map_err(|e| Error::io(path, e))?;
        return book::decode(path, bytes);
    }
    book::read_input(path)
}

/// The flags the customers matching `query` carry (every one ever raised with `all`), as
/// `care flags` and `care export flags` print them.
pub fn print_flags(ctx: &Ctx, query: &Query, all: bool, out: &mut dyn Write) -> Result<()> {
    let b = &ctx.book;
    let (rows, problems) = crate::report::flags::gather(
        query,
        |each| b.each_record(book::CUSTOMERS, crate::report::query::customer_reader(query), each),
        |fold| b.fold_incidents(Default::default, fold),
        b.clock.tz,
        b.clock.today(),
        all,
    )?;
    output::print(out, &ctx.style, &rows)?;
    report_problems(ctx, &problems)
}

/// End a streamed list, saying on stderr when a long table was printed in blocks (each
/// fitted to its own rows, as a table must be held to be fitted).
pub fn finish_stream(ctx: &Ctx, stream: crate::output::Stream) -> Result<()> {
    let blocks = stream.table_blocks();
    stream.finish()?;
    if blocks {
        ctx.ui.warn(&format!(
            "a long list: the table was printed in blocks of up to {} rows, each fitted to its own rows; \
             --format csv (or tsv, ndjson) prints one layout",
            crate::output::TABLE_BLOCK_ROWS
        ));
    }
    Ok(())
}
