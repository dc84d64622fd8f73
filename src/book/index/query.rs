//! The `care sql` runner: one read-only statement over the fresh mirror, each row given
//! as SQLite makes it, stopped at its time limit, with errors said where the query went
//! wrong; and `care export sqlite`, a standalone copy of the mirror.

use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode};

use super::*;

/// One value of a query's answer, as SQLite typed it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    /// A blob's size: no table holds blobs, but a query can make one.
    Blob(usize),
}

/// What is given each row of a query's answer, with the answer's columns.
pub type EachRow<'a> = dyn FnMut(&[String], Vec<Value>) -> Result<()> + 'a;

/// What a query answered besides its rows (given one at a time as SQLite makes them, so
/// a result of millions of rows is never held), and what the book could not give it.
#[derive(Debug, Default)]
pub struct Answer {
    pub columns: Vec<String>,
    /// Record files that could not be read: left out of the mirror, to be reported.
    pub problems: Vec<Error>,
    /// Why the mirror was built in memory for this run instead of kept on disk.
    pub notes: Vec<String>,
}

/// Why a query gave no answer: the user's query, or a mirror found damaged only now.
pub(super) enum Failed {
    Query(Error),
    Damaged(rusqlite::Error),
}

pub(super) fn ask_file(
    path: &Path,
    sql: &str,
    limit: Duration,
    each: &mut EachRow<'_>,
) -> std::result::Result<Vec<String>, Failed> {
    let mut conn = open_read_only(path).map_err(Failed::Damaged)?;
    run_query(&mut conn, sql, limit, each)
}

/// How many of SQLite's virtual machine steps pass between two looks at the clock: a
/// look costs tens of nanoseconds, a thousand steps some microseconds.
pub(super) const STEPS_PER_LOOK: i32 = 1000;

/// The time a query may still spend inside SQLite, shared with the progress handler that
/// interrupts it: `until` is set, in nanoseconds from `start`, only while SQLite works on
/// a row, so the time the caller spends with a row (printing it, waiting for a reader
/// of the output) is not spent from the limit.
#[derive(Debug)]
pub(super) struct Deadline {
    start: Instant,
    until: std::sync::atomic::AtomicU64,
}

impl Deadline {
    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn passed(&self) -> bool {
        self.now() > self.until.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Run the user's one statement, refusing anything that would write and any other
/// database (ATTACH would read files outside the book), giving each row to `each` as it
/// comes, within `limit` of SQLite's time. Returns the columns.
pub(super) fn run_query(
    conn: &mut Connection,
    sql: &str,
    limit: Duration,
    each: &mut EachRow<'_>,
) -> std::result::Result<Vec<String>, Failed> {
    use std::sync::atomic::Ordering::Relaxed;
    let deadline = std::sync::Arc::new(Deadline { start: Instant::now(), until: u64::MAX.into() });
    let watch = std::sync::Arc::clone(&deadline);
    conn.progress_handler(STEPS_PER_LOOK, Some(move || watch.passed())).map_err(Failed::Damaged)?;
    let damaged = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase | ErrorCode::DatabaseBusy) => Failed::Damaged(e),
        // Only the progress handler interrupts this connection.
        Some(ErrorCode::OperationInterrupted) => Failed::Query(timed_out(limit)),
        _ => Failed::Query(query_error(sql, e)),
    };
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0).map_err(Failed::Damaged)?;
    conn.pragma_update(None, "query_only", true).map_err(Failed::Damaged)?;
    let mut stmt = conn.prepare(sql).map_err(damaged)?;
    if !stmt.readonly() {
        let verb = sql.split_whitespace().next().unwrap_or("").to_uppercase();
        return Err(Failed::Query(Error::Usage(format!(
            "care sql only reads, and this {verb} statement would change the database. The mirror is \
             made from the book's files: change the book with care's commands (note, recover, followup …) \
             or by editing its files"
        ))));
    }
    let columns: Vec<String> = stmt.column_names().map(String::from).collect();
    let mut found = stmt.query([]).map_err(damaged)?;
    let mut left = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
    loop {
        let began = deadline.now();
        deadline.until.store(began.saturating_add(left), Relaxed);
        let next = found.next();
        deadline.until.store(u64::MAX, Relaxed);
        left = left.saturating_sub(deadline.now() - began);
        let Some(row) = next.map_err(damaged)? else { break };
        let mut values = Vec::with_capacity(columns.len());
        for n in 0..columns.len() {
            values.push(match row.get_ref(n).map_err(damaged)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(i) => Value::Int(i),
                ValueRef::Real(f) => Value::Real(f),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Blob(b.len()),
            });
        }
        each(&columns, values).map_err(Failed::Query)?;
    }
    Ok(columns)
}

/// A query stopped at its time limit: said with the limit and how to give it longer.
pub(super) fn timed_out(limit: Duration) -> Error {
    let shown = crate::time::Wait(limit);
    Error::Refused(format!(
        "the query was stopped after running for {shown}, its time limit (care sql --timeout, default 1m); \
         if it needs longer, raise the limit, e.g. --timeout 5m. A WITH RECURSIVE that never stops \
         needs a LIMIT or a condition that ends it"
    ))
}

/// A query SQLite would not run, said with where it stopped reading when it tells.
pub(super) fn query_error(sql: &str, e: rusqlite::Error) -> Error {
    let hint = "`care sql --schema` lists the tables and their columns";
    match e {
        rusqlite::Error::SqlInputError { msg, offset, .. } if offset >= 0 => {
            let at = usize::try_from(offset).unwrap_or(0).min(sql.len());
            let line = sql[..at].matches('\n').count() + 1;
            let start = sql[..at].rfind('\n').map_or(0, |n| n + 1);
            let column = sql[start..at].chars().count() + 1;
            let text = sql[start..].lines().next().unwrap_or("");
            Error::Usage(format!(
                "the query has an error at line {line}, column {column}: {msg}\n  {text}\n  {}^",
                " ".repeat(column - 1)
            ))
            .with_hint(hint)
        }
        rusqlite::Error::SqlInputError { msg, .. } => {
            Error::Usage(format!("the query has an error: {msg}")).with_hint(hint)
        }
        rusqlite::Error::MultipleStatement => {
            Error::Usage("care sql runs one statement at a time".into()).with_hint("remove what follows the first `;`")
        }
        rusqlite::Error::SqliteFailure(_, Some(msg)) if msg.contains("attached databases") => {
            Error::Usage("care sql reads the book's mirror only: ATTACH of another database is refused".into())
                .with_hint("to combine, export it (`care export sqlite FILE`) and attach that with sqlite3")
        }
        rusqlite::Error::SqliteFailure(_, Some(msg)) => {
            Error::Usage(format!("the query failed: {msg}")).with_hint(hint)
        }
        other => Error::Refused(format!("the query failed: {other}")),
    }
}

impl Book {
    /// Run one read-only SQL statement over a fresh mirror of the book, giving `each` the
    /// columns and every row as SQLite makes it. The query is stopped once it has spent
    /// `limit` inside SQLite (the time `each` takes, say a reader of the output that
    /// paused, is not counted): an endless `WITH RECURSIVE` ends there, exit 1.
    pub fn sql(&self, sql: &str, limit: Duration, each: &mut EachRow<'_>) -> Result<Answer> {
        let mut answer = Answer::default();
        let mut mirror = self.fresh_mirror(&mut answer)?;
        let given = std::cell::Cell::new(0usize);
        let mut counted = |columns: &[String], row: Vec<Value>| {
            given.set(given.get() + 1);
            each(columns, row)
        };
        let asked = match &mut mirror {
            Mirror::Memory(conn) => run_query(conn, sql, limit, &mut counted),
            Mirror::Disk(path) => match ask_file(path, sql, limit, &mut counted) {
                // Damage the refresh did not read shows only now: rebuild and ask again,
                // unless rows were already printed (they would be printed twice).
                Err(Failed::Damaged(_)) if given.get() == 0 => {
                    answer.problems = self.rebuild_with(path, &Kind::ALL, true)?.into_iter().map(|(_, e)| e).collect();
                    ask_file(path, sql, limit, &mut counted)
                }
                other => other,
            },
        };
        answer.columns = asked.map_err(|f| match f {
            Failed::Query(e) => e,
            Failed::Damaged(e) => sql_error(Path::new(FILE), e),
        })?;
        Ok(answer)
    }

    /// Write a standalone SQLite copy of the fresh mirror to `to` (replaced atomically).
    /// Returns what the book could not give it and any note about where it was built.
    pub fn export_sqlite(&self, to: &Path) -> Result<Answer> {
        let mut answer = Answer::default();
        let mirror = self.fresh_mirror(&mut answer)?;
        let name = to.file_name().ok_or_else(|| Error::Usage(format!("{} is not a file name", to.display())))?;
        let tmp = to.with_file_name(format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id()));
        let _ = fs::remove_file(&tmp);
        let target = tmp.to_str().ok_or_else(|| Error::Usage(format!("{} is not UTF-8", to.display())))?;
        let copy = |conn: &Connection| conn.execute("VACUUM INTO ?1", [target]);
        let done = match &mirror {
            Mirror::Memory(conn) => copy(conn),
            Mirror::Disk(path) => open_read_only(path).and_then(|c| copy(&c)),
        };
        if let Err(e) = done {
            let _ = fs::remove_file(&tmp);
            return Err(sql_error(to, e));
        }
        fs::rename(&tmp, to).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::io(to, e)
        })?;
        Ok(answer)
    }
}
