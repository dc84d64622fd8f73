//! `care export`: flat rows of everything, for spreadsheets and other tools.

use std::io::Write;

use crate::cmd::{Ctx, FilterArgs, parse_time, print_flags, report_problems};
use crate::error::{Error, Result};
use crate::model::Customer;
use crate::output::{Cell, Stream};
use crate::report::computed::Computed;
use crate::report::query::{self, Query, Seen};
use crate::report::{export, ics};
use crate::{book, output};

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Customers,
    Incidents,
    Notes,
    Followups,
    Flags,
    /// A standalone SQLite database of every record (the tables of `care sql`) at FILE.
    Sqlite,
}

/// Flat rows of everything, one row per record or entry, in any format.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care export incidents > incidents.csv
  care export notes --format json | jq '.[] | select(.critical)'
  care export followups --excel > followups.csv
  care export followups --where location=uptown --since 2026-11-01    one site, one month
  care export sqlite book.db                  every record as SQLite tables (docs/sql.md)
Filters: --where on customer fields (customers, notes), incident fields (incidents,
followups) or both (flags); --since/--until on each row's own time. See docs/format.md.")]
pub struct Args {
    /// customers, incidents, notes (every entry of every customer), followups, flags, or
    /// sqlite (a database file).
    #[arg(value_enum)]
    pub kind: Kind,
    /// For sqlite: the database file to write (replaced if it exists).
    #[arg(value_name = "FILE")]
    pub file: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub filter: FilterArgs,
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    if let (Some(file), false) = (&args.file, args.kind == Kind::Sqlite) {
        return Err(Error::Usage(format!(
            "{}: only `export sqlite` writes a file; the other kinds print to stdout (redirect it with >)",
            file.display()
        )));
    }
    if ctx.style.format == output::Format::Ics {
        return calendar(ctx, out);
    }
    let q = args.filter.query(|option, s| parse_time(ctx, option, s))?;
    match args.kind {
        Kind::Flags => print_flags(ctx, &q, true, out),
        Kind::Sqlite => sqlite(ctx, args),
        Kind::Customers | Kind::Notes => customers(ctx, args.kind, &q, out),
        Kind::Incidents | Kind::Followups => incidents(ctx, args.kind, &q, out),
    }
}

/// Customers or their entries, printed as the book is read. A condition on a field that is
/// not a customer's own must be checked against every customer before anything is
/// printed (a typo is an error, not an empty result), so rows wait until some customer has
/// shown each such field; usually the first does.
fn customers(ctx: &Ctx, kind: Kind, q: &Query, out: &mut dyn Write) -> Result<()> {
    let (today, tz) = (ctx.book.clock.today(), ctx.book.clock.tz);
    let columns = match kind {
        Kind::Customers => export::columns(&export::CUSTOMER_COLUMNS, &[]),
        _ => export::columns(&export::NOTE_COLUMNS, &[]),
    };
    // A customer's own time is `since`; the notes' is each entry's, applied to each row.
    let by_entry = Query { since: None, until: None, ..q.clone() };
    let select = if kind == Kind::Notes { &by_entry } else { q };
    let mut seen = Seen::default();
    let mut waiting: Option<Vec<Vec<Cell>>> = Some(Vec::new());
    let mut stream: Option<Stream> = None;
    let mut failed = None;
    let mut errors = Vec::new();
    let mut out = Some(out);
    let walk = ctx.book.each_record(book::CUSTOMERS, query::customer_reader(q), |_, parsed| {
        let (customer, extras) = match parsed {
            Ok(record) => record,
            Err(e) => return errors.push(e),
        };
        seen.add(&extras);
        if failed.is_some() || !export::customer_selected(&customer, &extras, select, tz) {
            return;
        }
        let rows = match kind {
            Kind::Customers => vec![export::customer_row(&customer, today)],
            _ => export::note_rows(&customer, q),
        };
        if let Some(rows_so_far) = &mut waiting {
            rows_so_far.extend(rows);
            if q.check("customer", &query::CUSTOMER_FIELDS, &seen.0).is_err() {
                return;
            }
            let held = waiting.take().unwrap_or_default();
            let started = out.take().map(|w| Stream::new(w, &ctx.style, &columns));
            match started {
                Some(Ok(s)) => stream = Some(s),
                Some(Err(e)) => return failed = Some(e),
                None => return,
            }
            return failed = send(&mut stream, held).err();
        }
        failed = send(&mut stream, rows).err();
    });
    if let Some(e) = failed {
        return Err(e);
    }
    let stream = match (stream, out) {
        (Some(s), _) => s,
        (None, Some(w)) => {
            q.check("customer", &query::CUSTOMER_FIELDS, &seen.0)?;
            let mut s = Stream::new(w, &ctx.style, &columns)?;
            for row in waiting.unwrap_or_default() {
                s.row(row)?;
            }
            s
        }
        (None, None) => unreachable!("the output is either streaming or still held"),
    };
    super::finish_stream(ctx, stream)?;
    let problems: Vec<Error> = walk.into_iter().chain(errors).collect();
    report_problems(ctx, &problems)
}

fn send(stream: &mut Option<Stream>, rows: Vec<Vec<Cell>>) -> Result<()> {
    let Some(stream) = stream else { return Ok(()) };
    rows.into_iter().try_for_each(|row| stream.row(row))
}

/// `export followups --format ics`: every follow-up, done or not, as calendar events.
fn calendar(ctx: &Ctx, out: &mut dyn Write) -> Result<()> {
    let (book, loaded) = (&ctx.book, ctx.book.incidents());
    let items: Vec<ics::Item> = loaded.records.iter().flat_map(|(_, i)| ics::all(i)).collect();
    let (customers, mut problems) = book.customers_by_id(items.iter().map(|i| i.customer.as_str()), []);
    problems.splice(0..0, loaded.problems);
    let name = book.config.name.as_deref().unwrap_or("care");
    let text = ics::calendar(&format!("{name} follow-ups"), book.clock.tz.name(), &items, &customers, book.clock.now());
    output::print_calendar(out, &text)?;
    report_problems(ctx, &problems)
}

/// Incidents or their follow-ups, printed as the book is read. The columns end with every
/// extra field name of the book, so those are found first, in a first pass that keeps
/// only their names.
fn incidents(ctx: &Ctx, kind: Kind, q: &Query, out: &mut dyn Write) -> Result<()> {
    let tz = ctx.book.clock.tz;
    // From the files, not the index: the index keeps no words or values of the steps,
    // which these rows show.
    let mut seen = Seen::default();
    // `--where returned=…` and `extra_given=…` select by what is computed, then list it.
    let (computed, computed_problems) = Computed::asked(q, [], || ctx.book.visit_returns());
    ctx.book.each_incident(
        query::parse_incident,
        |(i, _)| &i.id,
        |_, (incident, mut extras)| {
            computed.add(&incident, &mut extras);
            seen.add(&extras);
        },
    );
    q.check("incident", &query::INCIDENT_FIELDS, &seen.0)?;
    let base: &[&str] = if kind == Kind::Incidents { &export::INCIDENT_COLUMNS } else { &export::FOLLOWUP_COLUMNS };
    let base_names = export::columns(base, &[]);
    let extra = seen.columns(&base_names);
    let mut stream = Stream::new(out, &ctx.style, &export::columns(base, &extra))?;
    let mut failed = None;
    let problems = ctx.book.each_incident(
        query::parse_incident,
        |(i, _)| &i.id,
        |_, (incident, mut extras)| {
            computed.add(&incident, &mut extras);
            if failed.is_some() || !export::incident_selected(&incident, &extras, q, tz) {
                return;
            }
            let rows = match kind {
                Kind::Incidents => export::incident_row(&incident, &extras, q, &extra).into_iter().collect(),
                _ => export::followup_rows(&incident, &extras, q, &extra),
            };
            failed = rows.into_iter().try_for_each(|row| stream.row(row)).err();
        },
    );
    if let Some(e) = failed {
        return Err(e);
    }
    let mut problems = problems;
    problems.extend(computed_problems);
    if kind == Kind::Followups {
        // The customers' reminders too: they are follow-ups of kind `reminder`.
        let clock = &ctx.book.clock;
        let with_reminders = |path: &std::path::Path, text: &str| {
            if text.contains("reminders:") { crate::yaml::parse::<Customer>(path, text).map(Some) } else { Ok(None) }
        };
        let walk = ctx.book.each_record(book::CUSTOMERS, with_reminders, |_, parsed| match parsed {
            Ok(Some(c)) if failed.is_none() => {
                let rows = export::reminder_rows(&c, q, clock, extra.len());
                failed = rows.into_iter().try_for_each(|row| stream.row(row)).err();
            }
            Ok(_) => {}
            Err(e) => problems.push(e),
        });
        problems.extend(walk);
        if let Some(e) = failed {
            return Err(e);
        }
    }
    super::finish_stream(ctx, stream)?;
    report_problems(ctx, &problems)
}

/// The whole book as a database file for other tools; filters do not apply (query it).
fn sqlite(ctx: &Ctx, args: &Args) -> Result<()> {
    let Some(file) = &args.file else {
        return Err(Error::Usage("export sqlite needs a FILE to write: care export sqlite book.db".into()));
    };
    let f = &args.filter;
    if !f.conds.is_empty() || f.since.is_some() || f.until.is_some() {
        return Err(Error::Usage(
            "export sqlite writes every record; filter with SQL once it is written (see docs/sql.md)".into(),
        ));
    }
    let answer = ctx.book.export_sqlite(file)?;
    answer.notes.iter().for_each(|n| ctx.ui.warn(n));
    report_problems(ctx, &answer.problems)
}
