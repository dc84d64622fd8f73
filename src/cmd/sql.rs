//! `care sql`: ask the book your own question in SQL, when the built-in reports do not.
//! The work (a mirror of every record, fresh on every run, queried read-only) is the
//! book's; this turns the answer into rows every output format prints.

use std::io::Write;

use crate::book::{self, SqlValue};
use crate::cmd::{Ctx, report_problems};
use crate::error::{Error, Result};
use crate::output::{self, Cell, Rows};

/// Run a read-only SQL query over the book's records (customers, entries, flags, incidents, follow-ups, steps).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care sql \"SELECT staff, count(*) AS n FROM incidents GROUP BY staff ORDER BY n DESC\"
  care sql \"SELECT * FROM followups WHERE done_at IS NULL AND due <= '2026-11-25T00:00:00Z'\" --format json
  care sql - < question.sql                 the query from a file
  care sql --schema                         the tables and their columns

The tables mirror the book's files and are brought up to date on every run, so a hand edit
or a git pull is always seen. Times are RFC 3339 in UTC; incidents also have opened_local,
weekday and hour in the book's timezone. Statements that would write are refused. See
docs/sql.md for the schema and docs/recipes.md for questions answered in SQL.")]
pub struct Args {
    /// One SQL statement (SELECT, WITH …); `-` reads it from stdin.
    #[arg(required_unless_present = "schema")]
    pub query: Option<String>,
    /// Print the tables and their columns (table, column, type, meaning) instead.
    #[arg(long, conflicts_with = "query")]
    pub schema: bool,
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
    let answer = ctx.book.sql(&query)?;
    answer.notes.iter().for_each(|n| ctx.ui.warn(n));
    let columns: Vec<&str> = answer.columns.iter().map(String::as_str).collect();
    let mut rows = Rows::new(&columns);
    for row in answer.rows {
        rows.push(row.into_iter().map(cell).collect());
    }
    output::print(out, &ctx.style, &rows)?;
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
