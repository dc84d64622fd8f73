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
        Command::Init(args) => return init::run(args, cli.book.as_deref(), book_on_command_line(), &ui),
        Command::Demo(args) => return sample_book::run(args, settings, &ui),
        Command::Completions(args) => return completions::run(args, out),
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
        Command::Export(args) => export::run(&ctx, args, out),
        Command::Check(args) => check::run(&ctx, args, out),
        Command::Edit(args) => edit::run(&ctx, args),
        Command::Lexicon(c) => lexicon::run(&ctx, c, out),
        Command::Import(args) => import::run(&ctx, args, out),
        Command::Trends(args) => trends::run(&ctx, args, out, cli.format.is_some()),
        Command::Patterns(args) => patterns::run(&ctx, args, out),
        Command::Sql(args) => sql::run(&ctx, args, out),
        Command::Action(c) => action::run(&ctx, c, out),
        Command::Git(c) => git::run(&ctx, c),
        Command::Notify(args) => notify::run(&ctx, args, out),
        Command::Serve(args) => serve::run(&ctx, args),
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

/// Whether the book folder came from `-C`/`--book` rather than from `CARE_BOOK` (clap
/// merges the two into one value).
fn book_on_command_line() -> bool {
    std::env::args_os().skip(1).take_while(|a| a != "--").any(|a| {
        let a = a.to_string_lossy();
        a.starts_with("-C") || a == "--book" || a.starts_with("--book=")
    })
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
    if let Err(e) = crate::git::commit(&ctx.book.root, files, message) {
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

/// The flags `care flags` and `care export flags` list. A filter on an incident's field
/// (`location=uptown`) reads the incidents that raised a flag, through the index; a filter
/// on customer fields alone reads no incident at all.
/// Returns the rows and the files that could not be read, to report after printing.
pub fn flag_rows(ctx: &Ctx, filter: &FilterArgs, all: bool) -> Result<(output::Rows, Vec<Error>)> {
    use crate::report::{flags, query};
    let q = filter.query(|option, s| parse_time(ctx, option, s))?;
    // Streamed: every customer's extra field names are noted, only those with flags kept
    // (a book of a hundred thousand customers may have a handful).
    let mut seen = query::Seen::default();
    let (mut customers, mut unread) = (Vec::new(), Vec::new());
    let mut problems = ctx.book.each_record(book::CUSTOMERS, query::customer_reader(&q), |path, parsed| match parsed {
        Ok((customer, extras)) => {
            seen.add(&extras);
            if !customer.flags.is_empty() {
                customers.push((path.to_path_buf(), (customer, extras)));
            }
        }
        Err(e) => unread.push(e),
    });
    problems.extend(unread);
    let on_customers = |f: &str| query::CUSTOMER_FIELDS.contains(&f) || seen.0.contains(f);
    let mut linked = flags::Linked::new();
    if q.conds.iter().any(|c| !on_customers(&c.field)) {
        let wanted = flags::raised_by(&customers);
        let (parts, incident_problems) = ctx.book.fold_incidents(
            Default::default,
            |(found, seen): &mut (flags::Linked, query::Seen), incident, extras| {
                seen.add(extras);
                if wanted.contains(&incident.id) {
                    found.insert(incident.id.clone(), (incident.clone(), extras.clone()));
                }
            },
        );
        for (found, s) in parts {
            linked.extend(found);
            seen.merge(s);
        }
        problems.extend(incident_problems);
    }
    let builtin: Vec<&str> = query::CUSTOMER_FIELDS.iter().chain(&query::INCIDENT_FIELDS).copied().collect();
    q.check("customer or incident", &builtin, &seen.0)?;
    let today = ctx.book.clock.today();
    let rows = flags::list(&customers, &linked, &q, ctx.book.clock.tz, today, all);
    Ok((rows, problems))
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

/// `followup due --format ics`: the follow-ups `query` lists, as calendar events. Folded
/// here rather than from `followup due`'s rows because an event's UID needs each
/// follow-up's place in its incident's list, which the rows do not carry.
pub fn print_due_calendar(
    ctx: &Ctx,
    window: &crate::report::followups::Window,
    query: &Query,
    out: &mut dyn Write,
) -> Result<()> {
    use crate::report::{followups, ics, query::IncidentView};
    let tz = ctx.book.clock.tz;
    let (parts, problems) = ctx.book.fold_incidents(Vec::new, |items: &mut Vec<ics::Item>, incident, extras| {
        for d in followups::due_in(IncidentView { incident, extras: Some(extras), tz }, window, query) {
            if let Some(n) = incident.followups.iter().position(|f| *f == d.followup) {
                items.push(ics::Item::new(incident, n, &d.followup));
            }
        }
    });
    let mut items: Vec<ics::Item> = parts.into_iter().flatten().collect();
    let (reminders, _, reminder_problems) = reminders_due(ctx, window, query);
    items.extend(reminders.iter().map(|d| ics::Item::reminder(&d.customer, d.owner.as_str(), &d.followup)));
    let mut problems = problems;
    problems.extend(reminder_problems);
    let (checks, check_problems) = verifications_due(ctx, window, query);
    items.extend(checks.iter().map(|(a, d)| ics::Item::verification(&a.id, &d.owner, &d.followup)));
    problems.extend(check_problems);
    items.sort_by(|a, b| (a.followup.due, &a.uid).cmp(&(b.followup.due, &b.uid)));
    print_calendar(ctx, items, problems, out)
}

/// The reminders on customer records that the window and the filter list, with the
/// customers they belong to: `followup due` shows them beside the incidents' follow-ups,
/// and its calendar too. Only customers who have reminders are read (from the index).
pub fn reminders_due(
    ctx: &Ctx,
    window: &crate::report::followups::Window,
    query: &Query,
) -> (Vec<crate::report::followups::Due>, Vec<(String, crate::model::Customer)>, Vec<Error>) {
    let (with_reminders, problems) = ctx.book.customers_folded_values(true, |c, _| Some(c));
    let (mut found, mut customers) = (Vec::new(), Vec::new());
    for c in with_reminders {
        let due = crate::report::followups::reminders_due(&c, window, query, &ctx.book.clock);
        if !due.is_empty() {
            found.extend(due);
            customers.push((c.id.clone(), c));
        }
    }
    (found, customers, problems)
}

/// The customers of the items in `found`, by id, for their rows: those `known` already
/// (the reminders' own), the rest read by their ids (an action's check has none). Only
/// these are read, never the whole book: `followup due` and `serve` list a few thousand
/// items out of a hundred thousand customers.
pub fn customers_of(
    ctx: &Ctx,
    found: &[crate::report::followups::Due],
    known: Vec<(String, crate::model::Customer)>,
) -> (std::collections::HashMap<String, crate::model::Customer>, Vec<Error>) {
    let mut customers: std::collections::HashMap<_, _> = known.into_iter().collect();
    let mut problems = Vec::new();
    for d in found {
        if !d.customer.is_empty() && !customers.contains_key(&d.customer) {
            match ctx.book.customer_by_id(&d.customer) {
                Ok(Some(c)) => drop(customers.insert(d.customer.clone(), c)),
                Ok(None) => {}
                Err(e) => problems.push(e),
            }
        }
    }
    (customers, problems)
}

/// The checks of corrective actions that the window and the filter list (kind `verify`),
/// each with its action: `followup due`, its calendar, `notify` and `serve` list them
/// beside the follow-ups.
pub fn verifications_due(
    ctx: &Ctx,
    window: &crate::report::followups::Window,
    query: &Query,
) -> (Vec<(crate::model::action::Action, crate::report::followups::Due)>, Vec<Error>) {
    let actions = ctx.book.actions();
    let clock = &ctx.book.clock;
    let due = actions
        .records
        .into_iter()
        .filter_map(|(_, a)| crate::report::followups::verification_due(&a, window, query, clock).map(|d| (a, d)))
        .collect();
    (due, actions.problems)
}

/// `export followups --format ics`: every follow-up, done or not, as calendar events.
pub fn print_all_calendar(ctx: &Ctx, out: &mut dyn Write) -> Result<()> {
    let loaded = ctx.book.incidents();
    let items = loaded.records.iter().flat_map(|(_, i)| crate::report::ics::all(i)).collect();
    print_calendar(ctx, items, loaded.problems, out)
}

fn print_calendar(
    ctx: &Ctx,
    items: Vec<crate::report::ics::Item>,
    mut problems: Vec<Error>,
    out: &mut dyn Write,
) -> Result<()> {
    let mut customers = std::collections::HashMap::new();
    for item in &items {
        if !customers.contains_key(&item.customer) {
            match ctx.book.customer_by_id(&item.customer) {
                Ok(Some(c)) => drop(customers.insert(item.customer.clone(), c)),
                Ok(None) => {}
                Err(e) => problems.push(e),
            }
        }
    }
    let book = &ctx.book;
    let name = book.config.name.clone().unwrap_or_else(|| "care".into());
    let text = crate::report::ics::calendar(
        &format!("{name} follow-ups"),
        book.clock.tz.name(),
        &items,
        &customers,
        book.clock.now(),
    );
    output::print_calendar(out, &text)?;
    report_problems(ctx, &problems)
}

/// A file named on the command line, `-` meaning stdin (read through the `Ui`).
pub fn read_input(ui: &Ui, path: &std::path::Path) -> Result<String> {
    if path == std::path::Path::new("-") {
        let bytes = ui.read_all().map_err(|e| Error::io(path, e))?;
        return book::decode(path, bytes);
    }
    book::read_input(path)
}

/// The computed dimensions of incidents (`returned`, `extra_given`) a command was asked
/// for by its `--where` or `--by`: worked out only then (`returned` reads every
/// customer's visits), and added to each incident's fields as if the record had them.
#[derive(Debug)]
pub struct Computed {
    returns: Option<crate::model::visit::Returns>,
    extra_given: bool,
}

impl Computed {
    /// What `query` and `dims` name, with the customer files that could not be read.
    pub fn asked<'a>(
        ctx: &Ctx,
        query: &Query,
        dims: impl IntoIterator<Item = &'a str> + Clone,
    ) -> (Computed, Vec<Error>) {
        let wants =
            |name: &str| query.conds.iter().any(|c| c.field == name) || dims.clone().into_iter().any(|d| d == name);
        let (returns, problems) = if wants("returned") {
            let (r, p) = returns(ctx);
            (Some(r), p)
        } else {
            (None, Vec::new())
        };
        (Computed { returns, extra_given: wants("extra_given") }, problems)
    }

    /// Whether any is asked for (else fields are used as they are, without a copy).
    pub fn any(&self) -> bool {
        self.returns.is_some() || self.extra_given
    }

    /// The incident's fields with the dimensions asked for: the fields themselves when
    /// none is, else a copy with them added.
    pub fn with<'a>(
        &self,
        incident: &crate::model::Incident,
        fields: &'a crate::model::Extras,
    ) -> std::borrow::Cow<'a, crate::model::Extras> {
        if !self.any() {
            return std::borrow::Cow::Borrowed(fields);
        }
        let mut extras = fields.clone();
        self.add(incident, &mut extras);
        std::borrow::Cow::Owned(extras)
    }

    /// Add the dimensions asked for to the incident's fields.
    pub fn add(&self, incident: &crate::model::Incident, fields: &mut crate::model::Extras) {
        if let Some(r) = &self.returns {
            fields.insert("returned".into(), r.of(incident).into());
        }
        if self.extra_given {
            fields.insert("extra_given".into(), incident.extra_given().into());
        }
    }
}

/// Every customer's visit times, for the `returned` of incidents (`model::visit::Returns`).
fn returns(ctx: &Ctx) -> (crate::model::visit::Returns, Vec<Error>) {
    let mut returns = crate::model::visit::Returns::new(ctx.book.config.returned_days, ctx.book.clock.now());
    // Streamed: each customer's visits are taken as the record is read, never the record kept.
    let mut unread = Vec::new();
    let parse = |path: &std::path::Path, text: &str| {
        let has_visits = text.contains("visits:");
        has_visits.then(|| crate::yaml::parse::<crate::model::Customer>(path, text)).transpose()
    };
    let mut problems = ctx.book.each_record(book::CUSTOMERS, parse, |_, parsed| match parsed {
        Ok(Some(c)) => returns.add(&c.id, &c.visits),
        Ok(None) => {}
        Err(e) => unread.push(e),
    });
    problems.extend(unread);
    (returns, problems)
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
