//! The index: one SQLite database, `.care/cache/book.sqlite`, that is both the tables of
//! `care sql` (so operators can ask their own questions in the query language they
//! already know, and other tools can open a copy) and what book-wide reports read, so
//! `trends`, `followup due`, `customer list` and `winback` parse only the files that
//! changed: each `files` row carries the record's digest (`digest.rs`). A report's first
//! run writes only those rows, for its own kind of record; the other tables are filled
//! by the first `care sql` or `export` that needs them, for the files whose rows they do
//! not hold yet (`files.tables`), so the first report costs little more than reading.
//!
//! It is never trusted blindly. Every run `stat`s every record file (size, modification
//! and status-change times in nanoseconds, inode) against the `files` table and re-reads
//! only the files that changed, appeared or went away, so a hand edit that restores the
//! old mtime (ctime still moves), a file renamed over another (a new inode), a deleted
//! file or a `git pull` is always seen. The walk and the table are merged in the walk's
//! order, batch by batch, so neither every path nor every row is held (a million-file
//! book refreshes in flat memory). A database that is damaged, of another schema version,
//! made for another timezone, or locked for too long is rebuilt from the files into a
//! temporary file renamed over it; deleting it only costs speed; `CARE_NO_CACHE=1` makes
//! reports read the files. Queries run on a read-only connection, one statement at a
//! time, with no other database attachable, so `care sql` can only read.
//!
//! When the cache cannot be kept on disk (a `.care` linked out of the book, a read-only
//! book) reports read the files and `care sql` builds its tables in memory for the run:
//! slower, never wrong.
//!
//! One file a job: `life` (where the database lives, checking it is ours, rebuilding it
//! into a temporary file, sweeping the leftovers of killed rebuilds), `refresh` (`sync`:
//! the walk merged with the `files` table, the changed files read on all cores), `mirror`
//! (each record's rows in the tables `care sql` queries), `query` (the `care sql` runner
//! and `export sqlite`) and `readers` (what book-wide reports fold over: digests, picks,
//! customers).

use rusqlite::{Connection, OpenFlags};

use super::digest::{self, Key};
use super::*;
use crate::model::action::Action;

mod life;
mod mirror;
mod query;
mod readers;
mod refresh;

use life::*;
use mirror::*;
pub use query::{Answer, Value};
pub use readers::PickedRows;
use refresh::*;

pub(super) const FILE: &str = ".care/cache/book.sqlite";
/// A rebuild's temporary file, followed by the process id.
const TMP: &str = ".book.sqlite.tmp-";
/// Files read and written at a time: the first build of a big book stays in flat memory.
const BATCH: usize = 512;
/// Batches read ahead of the writer.
const DEPTH: usize = 2;
/// Files whose SQL rows `fill` looks up at a time.
const FILL: usize = 8192;
/// How long a run waits for another run that is refreshing the mirror before rebuilding.
const BUSY: Duration = Duration::from_secs(2);

/// The record files of a walk and the kind of record each holds.
type Walked = Vec<(PathBuf, Kind)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Customer,
    Incident,
    /// Corrective actions: few, in the mirror for `care sql`, read by no report here.
    Action,
}

/// A record as read from its file, with its other top-level fields.
enum Record {
    Customer(Box<Customer>, Extras),
    Incident(Box<Incident>, Extras),
    Action(Box<Action>),
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Customer, Kind::Incident, Kind::Action];

    fn sub(self) -> &'static str {
        match self {
            Kind::Customer => CUSTOMERS,
            Kind::Incident => INCIDENTS,
            Kind::Action => ACTIONS,
        }
    }

    fn named(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Customer => "customer",
            Kind::Incident => "incident",
            Kind::Action => "action",
        }
    }
}

fn open_read_write(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NOFOLLOW
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY)?;
    Ok(conn)
}

fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NOFOLLOW | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY)?;
    Ok(conn)
}

/// A mirror that could not be made or read: said with its file, and what to do.
fn sql_error(path: &Path, e: rusqlite::Error) -> Error {
    Error::Refused(format!(
        "{}: {e}; the SQL mirror could not be made. It is only a cache: remove it and run again",
        path.display()
    ))
}

fn read_record(path: &Path, kind: Kind) -> Result<Record> {
    parse_record(path, &read_text(path)?, kind)
}

fn parse_record(path: &Path, text: &str, kind: Kind) -> Result<Record> {
    Ok(match kind {
        Kind::Customer => {
            let (c, fields) = yaml::parse_with_fields::<Customer>(path, text, &Customer::FIELDS)?;
            Record::Customer(Box::new(c), fields)
        }
        Kind::Incident => {
            let (i, fields) = yaml::parse_with_fields::<Incident>(path, text, &Incident::FIELDS)?;
            Record::Incident(Box::new(i), fields)
        }
        Kind::Action => Record::Action(Box::new(yaml::parse_with_fields::<Action>(path, text, &Action::FIELDS)?.0)),
    })
}

/// A stat as the `files` table keeps it: size, mtime_ns, ctime_ns, inode.
fn key_params(key: Key) -> (i64, i64, i64, i64) {
    (key.size as i64, key.mtime, key.ctime, key.ino as i64)
}

fn key_from(size: i64, mtime: i64, ctime: i64, inode: i64) -> Key {
    Key { size: size as u64, mtime, ctime, ino: inode as u64 }
}

impl Book {
    /// The record files of `kinds`, customers first, each kind in the order of the bytes
    /// of their paths (the order of the `files` table's `path`), with what a walk could
    /// not read.
    fn walk_kinds(&self, kinds: &[Kind], problems: &mut Vec<Error>) -> Walked {
        let mut walked = Walked::new();
        for &kind in kinds {
            let (mut files, errors) = self.record_files(kind.sub());
            files.sort_unstable_by(|a, b| a.as_os_str().as_encoded_bytes().cmp(b.as_os_str().as_encoded_bytes()));
            walked.extend(files.into_iter().map(|f| (f, kind)));
            problems.extend(errors);
        }
        walked
    }

    /// `path` relative to the book's root as bytes, without copying it.
    fn rel_bytes<'p>(&self, path: &'p Path) -> &'p [u8] {
        // Walked paths are the root joined with the rest: cut on bytes, not components.
        let (bytes, root) = (path.as_os_str().as_encoded_bytes(), self.root.as_os_str().as_encoded_bytes());
        match bytes.strip_prefix(root).and_then(|rest| rest.strip_prefix(b"/")) {
            Some(rest) if !root.is_empty() && !root.ends_with(b"/") => rest,
            _ => path.strip_prefix(&self.root).unwrap_or(path).as_os_str().as_encoded_bytes(),
        }
    }

    /// `path` relative to the book's root, as the `files` table names it.
    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).to_string_lossy().into_owned()
    }
}
