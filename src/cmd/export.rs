//! `care export`: flat rows of everything, for spreadsheets and other tools.

use std::io::Write;

use crate::cmd::{Ctx, FilterArgs, flag_rows, parse_time, report_problems};
use crate::error::{Error, Result};
use crate::report::export;
use crate::report::query::{self, Query};
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
        return super::print_all_calendar(ctx, out);
    }
    let today = ctx.book.clock.today();
    let tz = ctx.book.clock.tz;
    let q = args.filter.query(|option, s| parse_time(ctx, option, s))?;
    let (rows, problems) = match args.kind {
        Kind::Flags => flag_rows(ctx, &args.filter, true)?,
        Kind::Sqlite => return sqlite(ctx, args),
        Kind::Customers | Kind::Notes => {
            let loaded = ctx.book.load_with(book::CUSTOMERS, query::customer_reader(&q));
            // A customer's own time is `since`; the notes' is each entry's, applied below.
            let by_entry = Query { since: None, until: None, ..q.clone() };
            let (selected, seen) = crate::report::customers::select(
                &loaded.records,
                if args.kind == Kind::Notes { &by_entry } else { &q },
                tz,
            );
            q.check("customer", &query::CUSTOMER_FIELDS, &seen.0)?;
            let rows = match args.kind {
                Kind::Customers => export::customers(&selected, today),
                _ => export::notes(&selected, &q),
            };
            (rows, loaded.problems)
        }
        Kind::Incidents | Kind::Followups => {
            let loaded = ctx.book.incidents_with(query::parse_incident, |(i, _)| &i.id);
            let (selected, seen) = export::select(&loaded.records, &q, tz);
            q.check("incident", &query::INCIDENT_FIELDS, &seen.0)?;
            let rows = match args.kind {
                Kind::Incidents => {
                    let base = export::incidents(&[], &q, &[]).columns;
                    export::incidents(&selected, &q, &seen.columns(&base))
                }
                _ => {
                    let base = export::followups(&[], &q, &[]).columns;
                    let columns = seen.columns(&base);
                    let mut rows = export::followups(&selected, &q, &columns);
                    // The customers' reminders too: they are follow-ups of kind `reminder`.
                    let with = ctx.book.load_with(book::CUSTOMERS, |path, text| {
                        if text.contains("reminders:") {
                            crate::yaml::parse::<crate::model::Customer>(path, text).map(Some)
                        } else {
                            Ok(None)
                        }
                    });
                    let customers: Vec<_> = with.records.into_iter().filter_map(|(_, c)| c).collect();
                    export::reminders(&mut rows, &customers, &q, &ctx.book.clock, columns.len());
                    let mut problems = loaded.problems;
                    problems.extend(with.problems);
                    return finish(ctx, out, &rows, &problems);
                }
            };
            (rows, loaded.problems)
        }
    };
    finish(ctx, out, &rows, &problems)
}

fn finish(ctx: &Ctx, out: &mut dyn Write, rows: &crate::rows::Rows, problems: &[crate::error::Error]) -> Result<()> {
    output::print(out, &ctx.style, rows)?;
    report_problems(ctx, problems)
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
