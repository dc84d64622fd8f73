//! `care sql`: ask the book your own question in SQL, when the built-in reports do not.
//! The work (a mirror of every record, fresh on every run, queried read-only) is the
//! book's; this turns each row of the answer, as SQLite gives it, into a row printed at
//! once, so a result of millions of rows is never held, and bounds the query's time.

use std::io::Write;
use std::time::Duration;

use crate::book::{self, SqlValue};
use crate::cmd::{Ctx, report_problems};
use crate::error::{Error, Result};
use crate::output::{self, Cell, Rows, Stream};
use crate::time::Wait;

/// Run a read-only SQL query over the book's records (customers, entries, flags, incidents, follow-ups, steps).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care sql \"SELECT staff, count(*) AS n FROM incidents GROUP BY staff ORDER BY n DESC\"
  care sql \"SELECT * FROM followups WHERE done_at IS NULL AND due <= '2026-11-25T00:00:00Z'\" --format json
  care sql - < question.sql                 the query from a file
  care sql --schema                         the tables and their columns
  care sql --timeout 10m - < long.sql       a long question: let it run up to ten minutes

The tables mirror the book's files and are brought up to date on every run, so a hand edit
or a git pull is always seen. Times are RFC 3339 in UTC; incidents also have opened_local,
weekday and hour in the book's timezone. Statements that would write are refused. Rows are
printed as they come (a table on a terminal in blocks of 10,000 rows, each fitted to its own
rows). A query still running after --timeout is stopped, exit 1. See docs/sql.md for the schema and docs/recipes.md for questions answered in SQL.")]
pub struct Args {
    /// One SQL statement (SELECT, WITH …); `-` reads it from stdin.
    #[arg(required_unless_present = "schema")]
    pub query: Option<String>,
    /// Print the tables and their columns (table, column, type, meaning) instead.
    #[arg(long, conflicts_with = "query")]
    pub schema: bool,
    /// Stop the query when it has run this long (30s, 20m, 2h; at most 24h): exit 1, nothing more
    /// printed. Time spent waiting for whoever reads the output is not counted.
    #[arg(long, value_name = "DUR", default_value = "1m", value_parser = timeout)]
    pub timeout: Duration,
}

/// `--timeout` in care's one grammar for a wait (`time::Wait`: 500ms to 24h).
fn timeout(text: &str) -> std::result::Result<Duration, String> {
    match text.parse::<Wait>()? {
        Wait(d) if d.is_zero() => Err(format!("{text:?} is no time to run a query; give e.g. --timeout 30s or 5m")),
        Wait(d) => Ok(d),
    }
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    if args.schema {
        output::print(out, &ctx.style, &schema())?;
        return Ok(());
    }
    let query = match args.query.as_deref() {
        Some("-") => crate::cmd::read_input(&ctx.ui, std::path::Path::new("-"))?,
        Some(q) => q.to_string(),
        None => return Err(Error::Usage("give a query, or --schema".into())),
    };
    if query.trim().is_empty() {
        return Err(Error::Usage("the query is empty; `care sql --schema` lists what can be asked".into()));
    }
    // The header is printed with the first row, or at the end for an empty answer.
    let mut out = Some(out);
    let mut stream: Option<Stream> = None;
    let answer = ctx.book.sql(&query, args.timeout, &mut |columns, row| {
        let printing = match &mut stream {
            Some(s) => s,
            None => match out.take() {
                Some(w) => stream.insert(Stream::new(w, &ctx.style, columns)?),
                None => return Err(Error::Refused("the output was already given away".into())),
            },
        };
        printing.row(row.into_iter().map(cell).collect())
    });
    // A query that failed half-way (its time limit, a closed pipe) leaves its output
    // unfinished, a JSON array unclosed: what a script reads is not mistaken for a whole
    // answer.
    let answer = answer?;
    answer.notes.iter().for_each(|n| ctx.ui.warn(n));
    let stream = match (stream, out.take()) {
        (Some(s), _) => s,
        (None, Some(w)) => Stream::new(w, &ctx.style, &answer.columns)?,
        (None, None) => return Err(Error::Refused("the output was already given away".into())),
    };
    super::finish_stream(ctx, stream)?;
    report_problems(ctx, &answer.problems)
}

/// SQLite's types as cells: integers and reals stay numbers in CSV and JSON.
fn cell(value: SqlValue) -> Cell {
    match value {
        SqlValue::Null => Cell::Empty,
        SqlValue::Int(n) => Cell::Int(n),
        SqlValue::Real(f) => Cell::Ratio(f),
        SqlValue::Text(s) => Cell::text(s),
        SqlValue::Blob(n) => Cell::Text(format!("<blob, {n} bytes>")),
    }
}

/// The documented schema, one row per column.
fn schema() -> Rows {
    let mut rows = Rows::new(&["table", "column", "type", "meaning"]);
    for t in book::SQL_TABLES {
        for c in t.columns {
            rows.push(vec![t.name.into(), c.name.into(), c.kind.into(), c.about.into()]);
        }
    }
    rows
}
