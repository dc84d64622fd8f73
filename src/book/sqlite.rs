//! The index: one SQLite database, `.care/cache/book.sqlite`, that is both the tables of
//! `care sql` (so operators can ask their own questions in the query language they
//! already know, and other tools can open a copy) and what book-wide reports read, so
//! `trends`, `followup due`, `customer list` and `winback` parse only the files that
//! changed: each `files` row carries the record's digest (`index.rs`). A report's first
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

use chrono::{SecondsFormat, Utc};
use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags, params};

use super::index::{self, Key};
use super::schema::{self, TABLES};
use super::*;
use crate::model::action::Action;
use crate::model::customer::Section;
use crate::time::Stamp;

const FILE: &str = ".care/cache/book.sqlite";
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

/// Where this run's mirror lives.
enum Mirror {
    Disk(PathBuf),
    /// Built for this run only; the reason is told to the user.
    Memory(Connection),
}

/// The record files of a walk and the kind of record each holds.
type Walked = Vec<(PathBuf, Kind)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Customer,
    Incident,
    /// Corrective actions: few, in the mirror for `care sql`, read by no report here.
    Action,
}

/// Why a mirror on disk cannot be refreshed in place, so it is rebuilt.
#[derive(Debug)]
enum Unusable {
    /// Another schema version or another timezone: correct once, wrong now.
    Foreign,
    Sql(rusqlite::Error),
    /// The changed files could not be set aside (the temporary folder is full).
    Spill(Error),
}

impl Unusable {
    /// Said to the user only when even a new mirror could not be made.
    fn error(self, path: &Path) -> Error {
        match self {
            Unusable::Sql(e) => sql_error(path, e),
            Unusable::Foreign => Error::Refused(format!("{}: a new SQL mirror failed its own check", path.display())),
            Unusable::Spill(e) => e,
        }
    }
}

impl From<rusqlite::Error> for Unusable {
    fn from(e: rusqlite::Error) -> Unusable {
        Unusable::Sql(e)
    }
}

/// How many changed files a refresh holds before it sets them aside on disk.
const HELD: usize = 8192;

/// The files a refresh found changed or new, to be read once the merge with the `files`
/// table is done: held up to `HELD`, the rest set aside in a `Spill`, since a `git pull`
/// or the first report of the other kind of record may change a million files, and a
/// refresh stays in flat memory.
#[derive(Debug, Default)]
struct Changed {
    held: Vec<(PathBuf, Kind)>,
    spill: Option<Spill>,
}

impl Changed {
    fn push(&mut self, path: PathBuf, kind: Kind) -> std::result::Result<(), Unusable> {
        self.held.push((path, kind));
        if self.held.len() >= HELD {
            let spill = match &mut self.spill {
                Some(spill) => spill,
                None => self.spill.insert(Spill::new().map_err(Unusable::Spill)?),
            };
            let mut record = Vec::new();
            for (path, kind) in self.held.drain(..) {
                record.clear();
                record.push(kind as u8);
                record.extend_from_slice(path.as_os_str().as_encoded_bytes());
                spill.push(&record).map_err(Unusable::Spill)?;
            }
        }
        Ok(())
    }

    /// Every file, in the order pushed, handed to `read` a part of up to `HELD` at a time.
    fn read(
        self,
        mut read: impl FnMut(&[(PathBuf, Kind)]) -> rusqlite::Result<()>,
    ) -> std::result::Result<(), Unusable> {
        if let Some(spill) = self.spill {
            let mut part = Vec::with_capacity(HELD);
            let mut failed = None;
            let drained = spill.drain(|record| {
                let kind = Kind::ALL.into_iter().find(|k| *k as u8 == record[0]).unwrap_or(Kind::Incident);
                part.push((PathBuf::from(path_from_bytes(&record[1..])), kind));
                if part.len() == HELD {
                    let done = read(&part);
                    part.clear();
                    if let Err(e) = done {
                        failed = Some(e);
                        return Err(Error::Refused(String::new()));
                    }
                }
                Ok(())
            });
            if let Some(e) = failed {
                return Err(Unusable::Sql(e));
            }
            drained.map_err(Unusable::Spill)?;
            read(&part)?;
        }
        read(&self.held).map_err(Unusable::Sql)
    }
}

/// A path set aside as its bytes (`as_encoded_bytes`), back as a path.
#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> std::ffi::OsString {
    <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(bytes).to_os_string()
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> std::ffi::OsString {
    String::from_utf8_lossy(bytes).into_owned().into()
}

/// A record as read from its file, with its other top-level fields.
enum Record {
    Customer(Box<Customer>, Fields),
    Incident(Box<Incident>, Fields),
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

    /// The index on disk made true of every record file of `kind`, for book-wide reports,
    /// with what could not be read added to `problems`; None when the cache is off
    /// (`CARE_NO_CACHE`) or cannot be kept in the book: the caller then reads the files.
    fn fresh_index(&self, kind: Kind, problems: &mut Vec<Error>) -> Option<PathBuf> {
        if !self.settings.cache {
            return None;
        }
        let file = self.root.join(FILE);
        self.cache_is_ours(&file).ok()?;
        fs::create_dir_all(file.parent()?).ok()?;
        let refreshed =
            open_read_write(&file).map_err(Unusable::Sql).and_then(|mut c| self.sync(&mut c, false, &[kind], false));
        // A first build reads only the files of this report's kind: the first report of
        // the other kind finds none of its rows and reads its files then.
        let found = match refreshed {
            Ok(found) => found,
            Err(_) => self.rebuild_with(&file, &[kind], false).ok()?,
        };
        problems.extend(found.into_iter().filter(|(k, _)| *k == kind).map(|(_, e)| e));
        Some(file)
    }

    /// The mirror, made true of every record file: refreshed in place, else rebuilt on
    /// disk, else (the cache cannot be written) built in memory.
    fn fresh_mirror(&self, answer: &mut Answer) -> Result<Mirror> {
        let in_memory = |answer: &mut Answer, why: String| -> Result<Mirror> {
            answer.notes.push(format!("{why}; the SQL mirror was built in memory for this run (slower, as correct)"));
            let mut conn = Connection::open_in_memory().map_err(|e| sql_error(Path::new(":memory:"), e))?;
            let problems = self.sync(&mut conn, true, &Kind::ALL, true).map_err(|e| e.error(Path::new(":memory:")))?;
            answer.problems = problems.into_iter().map(|(_, e)| e).collect();
            Ok(Mirror::Memory(conn))
        };
        let file = self.root.join(FILE);
        if let Err(why) = self.cache_is_ours(&file) {
            return in_memory(answer, why);
        }
        if let Some(dir) = file.parent()
            && let Err(e) = fs::create_dir_all(dir)
        {
            return in_memory(answer, format!("{} cannot be created ({e})", dir.display()));
        }
        let refreshed =
            open_read_write(&file).map_err(Unusable::Sql).and_then(|mut c| self.sync(&mut c, false, &Kind::ALL, true));
        let problems = match refreshed {
            Ok(problems) => problems,
            Err(_) => match self.rebuild_with(&file, &Kind::ALL, true) {
                Ok(problems) => problems,
                Err(e) => return in_memory(answer, format!("{} cannot be written ({e})", file.display())),
            },
        };
        answer.problems = problems.into_iter().map(|(_, e)| e).collect();
        Ok(Mirror::Disk(file))
    }

    /// Whether the mirror's file may be used: inside the book, not a link, and no link
    /// planted where SQLite would write its journal. The cache is read and written only
    /// inside the book.
    fn cache_is_ours(&self, file: &Path) -> std::result::Result<(), String> {
        if let Err(e) = self.within(file) {
            return Err(e.to_string());
        }
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let path = sidecar_of(file, suffix);
            if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                if suffix.is_empty() {
                    return Err(format!("{} is a symlink, and care never writes through one", path.display()));
                }
                // A journal is ours to remove: SQLite would otherwise write through it.
                let _ = fs::remove_file(&path);
            }
        }
        Ok(())
    }

    /// Build the mirror anew from every record file into a temporary file and rename it
    /// over `file`: what reports read (`files`) only; `care sql` fills the other tables
    /// when it first needs them.
    fn rebuild(&self, file: &Path) -> Result<Vec<(Kind, Error)>> {
        self.rebuild_with(file, &Kind::ALL, false)
    }

    /// `rebuild` from the files of `kinds` only, with the SQL tables filled too when `tables`.
    fn rebuild_with(&self, file: &Path, kinds: &[Kind], tables: bool) -> Result<Vec<(Kind, Error)>> {
        let tmp = file.with_file_name(format!("{TMP}{}", std::process::id()));
        sweep_temporaries(file);
        // A file nobody else sees until it is complete and renamed: a crash loses only the
        // temporary file, so it needs neither a journal nor syncs while it is written. Its
        // rows and index entries go in at the end in the walk's order, so a small cache
        // does (16 MiB was as fast and took 10 MiB more at a million incidents). Every run
        // scans the table and the order index: 16 KiB pages take a quarter of the reads.
        let built = open_read_write(&tmp)
            .and_then(|c| {
                c.execute_batch(
                    "PRAGMA page_size = 16384; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; \
                     PRAGMA cache_size = -6000;",
                )
                .map(|_| c)
            })
            .map_err(Unusable::Sql)
            .and_then(|mut c| self.sync(&mut c, true, kinds, tables));
        let problems = match built {
            Ok(p) => p,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e.error(&tmp));
            }
        };
        // Written without syncs: made durable once, before it replaces the old mirror.
        if let Err(e) = fs::File::open(&tmp).and_then(|f| f.sync_all()) {
            let _ = fs::remove_file(&tmp);
            return Err(Error::io(&tmp, e));
        }
        // An old journal left beside the mirror would be rolled back into the new file.
        for suffix in ["-journal", "-wal", "-shm"] {
            let _ = fs::remove_file(sidecar_of(file, suffix));
        }
        fs::rename(&tmp, file).map_err(|e| Error::io(file, e))?;
        Ok(problems)
    }

    /// Make the mirror behind `conn` true of every record file of `kinds`: create it
    /// (`new`), or check it is of this schema and timezone, then drop the rows of files
    /// that changed or went away and read the files that changed or appeared. The walk and
    /// the `files` table are compared in path order, merged batch by batch as they stream
    /// (`each_record_file`), so neither every path nor every row is held. Files read
    /// anew get only their `files` row (what reports read) unless `tables`, which then
    /// also fills the other tables for every file still without its rows (`fill`). One
    /// transaction: a crash leaves the old mirror. Returns what could not be walked or read.
    fn sync(
        &self,
        conn: &mut Connection,
        new: bool,
        kinds: &[Kind],
        tables: bool,
    ) -> std::result::Result<Vec<(Kind, Error)>, Unusable> {
        let zone = self.clock.tz.name();
        if new {
            conn.execute_batch(&schema::tables())?;
            conn.execute_batch(&schema::file_indexes())?;
            conn.pragma_update(None, "user_version", schema::VERSION)?;
            conn.execute("INSERT INTO meta VALUES ('timezone', ?1)", [zone])?;
        } else {
            let version: i32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            let tz: Option<String> =
                conn.query_row("SELECT value FROM meta WHERE key = 'timezone'", [], |r| r.get(0)).ok();
            if version != schema::VERSION || tz.as_deref() != Some(zone) {
                return Err(Unusable::Foreign);
            }
        }
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut problems = if new {
            // Everything is read: the walk feeds the readers as it goes. Each file's stat
            // is taken with it open, as it is read.
            self.read_into(&tx, tables, |send| {
                let mut problems = Vec::new();
                for &kind in kinds {
                    let walked = self.each_record_file(kind.sub(), |batch| {
                        // Sent in small parts: parsed records are far larger than paths.
                        for part in batch.chunks(BATCH) {
                            send(part.iter().map(|p| (p.clone(), kind)).collect());
                        }
                    });
                    problems.extend(walked.into_iter().map(|e| (kind, e)));
                }
                problems
            })?
        } else {
            let mut changed = Changed::default();
            let mut stale = Vec::new();
            let mut problems = Vec::new();
            {
                let mut stmt = tx.prepare(
                    "SELECT id, path, size, mtime_ns, ctime_ns, inode FROM files \
                     WHERE kind = ?1 ORDER BY replace(path, '/', char(1))",
                )?;
                for &kind in kinds {
                    let mut rows = stmt.query([kind.name()])?;
                    let mut failed = None;
                    // The row the merge is at (id, path, stat), its path's buffer reused.
                    let mut head = (0, String::new(), Key { size: 0, mtime: 0, ctime: 0, ino: 0 });
                    let mut row = |rows: &mut rusqlite::Rows<'_>, head: &mut (i64, String, Key)| -> bool {
                        next_row(rows, head).unwrap_or_else(|e| {
                            failed = Some(e);
                            false
                        })
                    };
                    let mut more = row(&mut rows, &mut head);
                    // Another thread walks and stats (on all cores) while this one merges; a
                    // batch is handed over only when this one takes it (a month of a big
                    // book is some 12 MB of paths: no more are held than are worked on).
                    let walked = std::thread::scope(|s| {
                        let (send, batches) = std::sync::mpsc::sync_channel::<Vec<Stated>>(0);
                        let walker = s.spawn(move || {
                            self.each_record_stat(kind.sub(), |batch| {
                                let _ = send.send(batch);
                            })
                        });
                        let merge = || -> std::result::Result<(), Unusable> {
                            for (path, key) in batches.into_iter().flatten() {
                                let rel = self.rel_bytes(&path);
                                // Rows before this file that no file matched: gone.
                                while more && order_key(head.1.as_bytes()).lt(order_key(rel)) {
                                    stale.push(head.0);
                                    more = row(&mut rows, &mut head);
                                }
                                let same = more && head.1.as_bytes() == rel;
                                let Some(key) = key else {
                                    // Went away since the walk: its row, if any, is stale.
                                    if same {
                                        stale.push(head.0);
                                        more = row(&mut rows, &mut head);
                                    }
                                    continue;
                                };
                                if same && head.2 == key {
                                    more = row(&mut rows, &mut head);
                                    continue;
                                }
                                if same {
                                    stale.push(head.0);
                                    more = row(&mut rows, &mut head);
                                }
                                changed.push(path, kind)?;
                            }
                            Ok(())
                        };
                        let merged = merge();
                        (walker.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), merged)
                    });
                    let walked = match walked {
                        (walked, Ok(())) => walked,
                        (_, Err(e)) => return Err(e),
                    };
                    while more {
                        stale.push(head.0);
                        more = row(&mut rows, &mut head);
                    }
                    if let Some(e) = failed {
                        return Err(Unusable::Sql(e));
                    }
                    problems.extend(walked.into_iter().map(|e| (kind, e)));
                }
            }
            for id in stale {
                forget(&tx, id)?;
            }
            changed.read(|chunk| {
                problems.extend(self.read_into(&tx, tables, |send| {
                    for part in chunk.chunks(BATCH) {
                        send(part.to_vec());
                    }
                    Vec::new()
                })?);
                Ok(())
            })?;
            problems
        };

        if tables {
            problems.extend(self.fill(&tx)?);
        }
        tx.commit()?;
        Ok(problems)
    }

    /// The files `produce` sends, read on all cores by another thread (each with the stat
    /// of the very file read) while this one writes those read before into the database:
    /// their `files` rows, and their rows in the other tables when `tables`. Returns what
    /// `produce` returns, then the files that could not be read.
    fn read_into(
        &self,
        tx: &Connection,
        tables: bool,
        produce: impl FnOnce(&mut dyn FnMut(Vec<(PathBuf, Kind)>)) -> Vec<(Kind, Error)> + Send,
    ) -> rusqlite::Result<Vec<(Kind, Error)>> {
        let mut unread = Vec::new();
        let mut problems = pipeline(
            produce,
            |(path, kind)| scan(path, *kind, tables),
            |(path, kind), scanned| match scanned {
                Ok(scanned) => self.insert(tx, &path, kind, &scanned),
                Err(e) => {
                    unread.push((kind, e));
                    Ok(())
                }
            },
        )?;
        problems.extend(unread);
        Ok(problems)
    }

    /// Fill the other tables for every file that has only its `files` row (a report read
    /// it), reading those files again on all cores, a few thousand at a time in the order
    /// of their rows; then index those tables if they never were. A file that changed
    /// since its row was written gets the row of what is read now; one that can no longer
    /// be read loses its row, so the next run reads it again and says why.
    fn fill(&self, tx: &Connection) -> rusqlite::Result<Vec<(Kind, Error)>> {
        let mut problems = Vec::new();
        let mut after = 0_i64;
        loop {
            let pending = {
                let mut stmt = tx.prepare_cached(
                    "SELECT id, path, kind, size, mtime_ns, ctime_ns, inode FROM files INDEXED BY files_unfilled \
                     WHERE tables = 0 AND id > ?1 ORDER BY id LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![after, FILL as i64], |r| {
                    let key = key_from(r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?);
                    Ok((r.get::<_, i64>(0)?, self.root.join(r.get::<_, String>(1)?), r.get::<_, String>(2)?, key))
                })?;
                let mut pending = Vec::new();
                for row in rows {
                    let (id, path, kind, key) = row?;
                    // A kind this build does not know is not one it wrote: its file is read again.
                    let kind = Kind::named(&kind).unwrap_or(Kind::Incident);
                    pending.push((id, path, kind, key));
                }
                pending
            };
            let Some(&(last, ..)) = pending.last() else { break };
            after = last;
            pipeline(
                move |send| {
                    let mut pending = pending.into_iter();
                    loop {
                        let part: Vec<_> = pending.by_ref().take(BATCH).collect();
                        if part.is_empty() {
                            return;
                        }
                        send(part);
                    }
                },
                |(_, path, kind, _)| scan(path, *kind, true),
                |(id, _, kind, was), scanned| match scanned {
                    Ok(Scanned { key, id: record_id, digest, record: Some(record) }) => {
                        self.insert_rows(tx, id, &record)?;
                        if key == was {
                            tx.prepare_cached("UPDATE files SET tables = 1 WHERE id = ?1")?.execute([id])?;
                        } else {
                            let (size, mtime, ctime, inode) = key_params(key);
                            tx.prepare_cached(
                                "UPDATE files SET size = ?1, mtime_ns = ?2, ctime_ns = ?3, inode = ?4, record = ?5, \
                                 digest = ?6, tables = 1 WHERE id = ?7",
                            )?
                            .execute(params![size, mtime, ctime, inode, record_id, digest, id])?;
                        }
                        Ok(())
                    }
                    Ok(_) => Ok(()),
                    Err(e) => {
                        problems.push((kind, e));
                        forget(tx, id)
                    }
                },
            )?;
        }
        let indexed: i64 = tx.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?1",
            [schema::TABLE_INDEXED],
            |r| r.get(0),
        )?;
        if indexed == 0 {
            tx.execute_batch(&schema::table_indexes())?;
        }
        Ok(problems)
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

    /// Write one file's `files` row, with the stat taken as it was read: if the file
    /// changed after, the next run sees a different stat and reads it again. With its
    /// record, its rows in the other tables too.
    fn insert(&self, tx: &Connection, path: &Path, kind: Kind, scanned: &Scanned) -> rusqlite::Result<()> {
        let (size, mtime, ctime, inode) = key_params(scanned.key);
        tx.prepare_cached(
            "INSERT INTO files (path, kind, size, mtime_ns, ctime_ns, inode, record, tables, digest) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            self.relative(path),
            kind.name(),
            size,
            mtime,
            ctime,
            inode,
            scanned.id,
            i64::from(scanned.record.is_some()),
            scanned.digest
        ])?;
        match &scanned.record {
            Some(record) => self.insert_rows(tx, tx.last_insert_rowid(), record),
            None => Ok(()),
        }
    }

    /// A record's rows in the tables other than `files`.
    fn insert_rows(&self, tx: &Connection, file: i64, record: &Record) -> rusqlite::Result<()> {
        match record {
            Record::Customer(c, fields) => insert_customer(tx, file, c, fields),
            Record::Incident(i, fields) => insert_incident(tx, file, i, fields, self.clock.tz),
            Record::Action(a) => insert_action(tx, file, a, &self.clock),
        }
    }

    /// Fold the rows of `files` that `rows` selects (`NOT INDEXED WHERE kind = …`), as the
    /// fresh index open at `conn` digests them, on all cores: this thread reads the rows in
    /// batches, the others decode and fold them, so neither the rows nor the records are
    /// held. `work` gets the row's id, path and digest. A whole kind is best read in the
    /// table's own order (a scan, not a walk of an index with a lookup of each row), each
    /// batch's text in one buffer rather than two strings a row.
    fn fold_rows<A: Send>(
        &self,
        conn: &Connection,
        rows: &str,
        init: impl Fn() -> A + Sync,
        work: impl Fn(&mut A, i64, &str, &str) + Sync,
    ) -> rusqlite::Result<Vec<A>> {
        /// Rows packed: `text` holds each path then its digest, `ends` where each ends.
        #[derive(Default)]
        struct Batch {
            text: String,
            ends: Vec<(i64, usize, usize)>,
        }
        const ROWS: usize = 512;
        let mut stmt = conn.prepare(&format!("SELECT id, path, digest FROM files {rows}"))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        let (send, batches) = std::sync::mpsc::sync_channel::<Batch>(cores * 2);
        let batches = std::sync::Mutex::new(batches);
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..cores)
                .map(|_| {
                    let (batches, init, work) = (&batches, &init, &work);
                    s.spawn(move || {
                        let mut acc = init();
                        loop {
                            let next = batches.lock().map_err(|_| ()).and_then(|b| b.recv().map_err(|_| ()));
                            let Ok(batch) = next else { return acc };
                            let mut start = 0;
                            for &(id, path, digest) in &batch.ends {
                                work(&mut acc, id, &batch.text[start..path], &batch.text[path..digest]);
                                start = digest;
                            }
                        }
                    })
                })
                .collect();
            let streamed = (|| {
                let mut rows = stmt.query([])?;
                let mut batch = Batch { text: String::with_capacity(ROWS * 512), ends: Vec::with_capacity(ROWS) };
                fn text(v: ValueRef<'_>) -> std::borrow::Cow<'_, str> {
                    match v {
                        ValueRef::Text(t) => match std::str::from_utf8(t) {
                            Ok(t) => std::borrow::Cow::Borrowed(t),
                            Err(_) => String::from_utf8_lossy(t),
                        },
                        _ => std::borrow::Cow::Borrowed(""),
                    }
                }
                while let Some(r) = rows.next()? {
                    batch.text.push_str(&text(r.get_ref(1)?));
                    let path = batch.text.len();
                    batch.text.push_str(&text(r.get_ref(2)?));
                    batch.ends.push((r.get(0)?, path, batch.text.len()));
                    if batch.ends.len() == ROWS {
                        let full = std::mem::replace(
                            &mut batch,
                            Batch { text: String::with_capacity(ROWS * 512), ends: Vec::with_capacity(ROWS) },
                        );
                        let _ = send.send(full);
                    }
                }
                let _ = send.send(batch);
                Ok(())
            })();
            drop(send);
            let accs = workers.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect();
            streamed.map(|()| accs)
        })
    }

    /// The incident ids the index holds more than once, and which copy counts: the one
    /// whose file name is the id, the first in path order; every other copy is a problem.
    /// Returns the paths (relative) not to count, and the problems.
    fn duplicates(&self, conn: &Connection) -> rusqlite::Result<(std::collections::HashSet<String>, Vec<Error>)> {
        let mut stmt = conn.prepare(
            "SELECT record, path FROM files WHERE kind = 'incident' AND record IN \
             (SELECT record FROM files WHERE kind = 'incident' GROUP BY record HAVING count(*) > 1)",
        )?;
        let mut copies: std::collections::BTreeMap<String, Vec<PathBuf>> = Default::default();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (id, path): (String, String) = (r.get(0)?, r.get(1)?);
            copies.entry(id).or_default().push(self.root.join(path));
        }
        let mut losers = std::collections::HashSet::new();
        let mut problems = Vec::new();
        for (id, mut paths) in copies {
            paths.sort_by(|a, b| {
                (stem_bytes(a) != id.as_bytes()).cmp(&(stem_bytes(b) != id.as_bytes())).then(path_order(a, b))
            });
            for loser in &paths[1..] {
                problems.push(Error::data(loser, 1, 1, id::duplicate_message(&id, &paths[0])));
                losers.insert(self.relative(loser));
            }
        }
        Ok((losers, problems))
    }

    /// `fold_incidents` through the index: None when the index is off or cannot be
    /// trusted, and the files are to be read instead.
    pub(super) fn fold_incident_digests<A: Send>(
        &self,
        init: &(impl Fn() -> A + Sync),
        fold: &(impl Fn(&mut A, &Incident, &Fields) + Sync),
    ) -> Option<(Vec<A>, Vec<Error>)> {
        let (accumulators, _, problems) = self.fold_incident_rows(init, &|acc, _, i, f| fold(acc, i, f))?;
        Some((accumulators, problems))
    }

    /// `fold_incident_digests`, giving `fold` each incident's row in `files` too, with the
    /// connection that read them, still in the read transaction that read the copies of an
    /// id and the rows as one snapshot: the rows can be read again through it.
    fn fold_incident_rows<A: Send>(
        &self,
        init: &(impl Fn() -> A + Sync),
        fold: &(impl Fn(&mut A, i64, &Incident, &Fields) + Sync),
    ) -> Option<(Vec<A>, Connection, Vec<Error>)> {
        let mut problems = Vec::new();
        let db = self.fresh_index(Kind::Incident, &mut problems)?;
        let folded = self.fold_incidents_at(&db, init, fold).ok().or_else(|| {
            // Damage the refresh did not read shows only now: rebuild and fold again.
            problems =
                self.rebuild(&db).ok()?.into_iter().filter(|(k, _)| *k == Kind::Incident).map(|(_, e)| e).collect();
            self.fold_incidents_at(&db, init, fold).ok()
        });
        let (accumulators, conn, found) = folded?;
        problems.extend(found);
        Some((accumulators, conn, problems))
    }

    /// Fold the incidents of the index at `db`, with the copies of an id that do not count
    /// and the files whose digest could not be read reported.
    fn fold_incidents_at<A: Send>(
        &self,
        db: &Path,
        init: &(impl Fn() -> A + Sync),
        fold: &(impl Fn(&mut A, i64, &Incident, &Fields) + Sync),
    ) -> rusqlite::Result<(Vec<A>, Connection, Vec<Error>)> {
        let conn = open_read_only(db)?;
        conn.execute_batch("BEGIN")?;
        let mut problems = Vec::new();
        let (losers, duplicates) = self.duplicates(&conn)?;
        let parts = self.fold_rows(
            &conn,
            "NOT INDEXED WHERE kind = 'incident'",
            || (init(), Vec::new(), index::Digest::empty()),
            |(acc, errors, d), row, path, digest| {
                if !losers.is_empty() && losers.contains(path) {
                    return;
                }
                match self.digest_or_file(path, digest, d) {
                    Ok(()) => fold(acc, row, &d.incident, &d.fields),
                    Err(e) => errors.push(e),
                }
            },
        )?;
        let mut accumulators = Vec::with_capacity(parts.len());
        for (acc, errors, _) in parts {
            accumulators.push(acc);
            problems.extend(errors);
        }
        problems.extend(duplicates);
        Ok((accumulators, conn, problems))
    }

    /// An incident's digest into `into`: decoded from the index, or, when the database
    /// damaged it, made from the file, which says what it holds.
    fn digest_or_file(&self, path: &str, digest: &str, into: &mut index::Digest) -> Result<()> {
        if index::decode_into(digest, into).is_some() {
            return Ok(());
        }
        let path = self.root.join(path);
        match read_record(&path, Kind::Incident)? {
            Record::Incident(i, fields) => {
                *into = index::Digest { incident: i.into_digest(), fields };
                Ok(())
            }
            Record::Customer(..) | Record::Action(_) => Err(Error::data(&path, 1, 1, "not an incident record")),
        }
    }

    /// The incidents `pick` keeps, through the index, under the sort keys it gives each
    /// (none: not kept; several: listed at each): each key and the incident's row are held
    /// (sixteen bytes), sorted, and the incident read again when its turn comes. None when
    /// the index is off or cannot be trusted.
    pub(super) fn pick_incident_rows<A: Send>(
        &self,
        init: &(impl Fn() -> A + Sync),
        pick: &(impl Fn(&mut A, &Incident, &Fields, &mut Vec<i64>) + Sync),
    ) -> Option<(Vec<A>, PickedRows, Vec<Error>)> {
        type Part<A> = (A, Vec<(i64, i64)>, Vec<i64>);
        let keep = |(acc, keys, given): &mut Part<A>, row, i: &Incident, f: &Fields| {
            given.clear();
            pick(acc, i, f, given);
            keys.extend(given.iter().map(|&key| (key, row)));
        };
        let (parts, conn, problems) = self.fold_incident_rows(&|| (init(), Vec::new(), Vec::new()), &keep)?;
        let (mut accumulators, mut keys) = (Vec::with_capacity(parts.len()), Vec::with_capacity(parts.len()));
        for (acc, part, _) in parts {
            accumulators.push(acc);
            keys.push(part);
        }
        let mut keys = concat(keys);
        keys.sort_unstable();
        // An incident given one key twice (two follow-ups due the same second) is read once.
        keys.dedup();
        Some((accumulators, PickedRows { conn, keys }, problems))
    }

    /// Give the picked incidents to `each` a run at a time: the incidents of one key, in
    /// order of their rows, keys in order; stops at `each`'s first error. Returns the files
    /// that could not be read again.
    pub(super) fn each_picked_row(
        &self,
        picked: PickedRows,
        each: &mut dyn FnMut(i64, &mut [index::Digest]) -> Result<()>,
    ) -> Result<Vec<Error>> {
        let PickedRows { conn, keys } = picked;
        let failed = |e: rusqlite::Error| sql_error(&self.root.join(FILE), e);
        let mut stmt = conn.prepare("SELECT path, digest FROM files WHERE id = ?1").map_err(failed)?;
        let mut problems = Vec::new();
        // Read a few thousand rows per read transaction, starting with the fold's own: a
        // writer (another report refreshing the index) waits for one batch, not for the
        // whole list, which at a million incidents outlasts its patience and makes it
        // rebuild the index. A row gone meanwhile is an incident gone; one changed is read
        // as it is now.
        const ROWS_PER_READ: usize = 4096;
        let mut reads = 0;
        let mut read = |row: i64, into: &mut index::Digest| -> Result<bool> {
            reads += 1;
            if reads % ROWS_PER_READ == 0 {
                conn.execute_batch("COMMIT; BEGIN").map_err(failed)?;
            }
            let found = stmt.query_row([row], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)));
            let (path, digest) = match found {
                Ok(found) => found,
                Err(rusqlite::Error::QueryReturnedNoRows) => return Ok(false),
                Err(e) => return Err(failed(e)),
            };
            Ok(self.digest_or_file(&path, &digest, into).map_err(|e| problems.push(e)).is_ok())
        };
        let mut one = index::Digest::empty();
        let mut same: Vec<index::Digest> = Vec::new();
        for run in keys.chunk_by(|a, b| a.0 == b.0) {
            if let [(key, row)] = run {
                if read(*row, &mut one)? {
                    each(*key, std::slice::from_mut(&mut one))?;
                }
                continue;
            }
            same.clear();
            for (_, row) in run {
                let mut d = index::Digest::empty();
                if read(*row, &mut d)? {
                    same.push(d);
                }
            }
            each(run[0].0, &mut same)?;
        }
        drop(stmt);
        Ok(problems)
    }

    /// Every customer through the index, visits folded, with its other fields, turned by
    /// `map` on the core that read it (None: let go there), in path order (`reminders`:
    /// only those who have reminders), with what could not be read. None when the index
    /// is off or cannot be trusted.
    pub(super) fn customer_digests<T: Send>(
        &self,
        reminders: bool,
        map: &(impl Fn(Customer, Fields) -> Option<T> + Sync),
    ) -> Option<(Vec<T>, Vec<Error>)> {
        let mut problems = Vec::new();
        let db = self.fresh_index(Kind::Customer, &mut problems)?;
        let folded = self.customers_at(&db, reminders, map).ok().or_else(|| {
            // Damage the refresh did not read shows only now: rebuild and read again.
            problems =
                self.rebuild(&db).ok()?.into_iter().filter(|(k, _)| *k == Kind::Customer).map(|(_, e)| e).collect();
            self.customers_at(&db, reminders, map).ok()
        });
        let (records, errors) = folded?;
        problems.extend(errors);
        Some((records, problems))
    }

    fn customers_at<T: Send>(
        &self,
        db: &Path,
        reminders: bool,
        map: &(impl Fn(Customer, Fields) -> Option<T> + Sync),
    ) -> rusqlite::Result<(Vec<T>, Vec<Error>)> {
        // The few customers with reminders are found by a partial index of them, not by a
        // scan of every digest (half a second at a million incidents).
        let rows = if reminders {
            schema::customers_with_reminders()
        } else {
            "NOT INDEXED WHERE kind = 'customer'".to_string()
        };
        let conn = open_read_only(db)?;
        conn.execute_batch("BEGIN")?;
        // Each row's place in path order, from the order index (the walk's order), read in
        // the same snapshot as the rows: a record is put in order by its place, four bytes,
        // rather than by its path, and is no bigger than what `map` made of it.
        let mut places: Vec<(i64, u32)> = Vec::new();
        {
            let mut stmt = conn.prepare(
                "SELECT id FROM files WHERE kind = 'customer' \
                 ORDER BY replace(path, '/', char(1)), path",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                places.push((r.get(0)?, u32::try_from(places.len()).unwrap_or(u32::MAX)));
            }
        }
        places.sort_unstable();
        let place = |row: i64| places.binary_search_by_key(&row, |p| p.0).map_or(u32::MAX, |i| places[i].1);
        type Found<T> = (Vec<(u32, T)>, Vec<(u32, Error)>);
        let parts = self.fold_rows(&conn, &rows, Found::default, |found: &mut Found<T>, row, path, digest| {
            let record = match index::decode_customer(digest) {
                Some(c) => Ok(c),
                None => {
                    let path = self.root.join(path);
                    read_record(&path, Kind::Customer).and_then(|r| match r {
                        Record::Customer(c, fields) => Ok((c.fold_visits(), fields)),
                        Record::Incident(..) | Record::Action(_) => {
                            Err(Error::data(&path, 1, 1, "not a customer record"))
                        }
                    })
                }
            };
            match record {
                Ok((c, fields)) => found.0.extend(map(c, fields).map(|t| (place(row), t))),
                Err(e) => found.1.push((place(row), e)),
            }
        })?;
        let (records, errors): (Vec<_>, Vec<_>) = parts.into_iter().unzip();
        let (mut records, mut errors) = (concat(records), concat(errors));
        records.sort_unstable_by_key(|(place, _)| *place);
        errors.sort_by_key(|(place, _)| *place);
        Ok((records.into_iter().map(|(_, t)| t).collect(), errors.into_iter().map(|(_, e)| e).collect()))
    }
}

/// The cores' parts as one: the largest grows to hold the others, each freed once
/// moved, so a part is never copied whole while every part is still held.
fn concat<T>(mut parts: Vec<Vec<T>>) -> Vec<T> {
    let Some(largest) = (0..parts.len()).max_by_key(|&i| parts[i].len()) else { return Vec::new() };
    let mut all = parts.swap_remove(largest);
    all.reserve_exact(parts.iter().map(Vec::len).sum());
    for part in parts {
        all.extend(part);
    }
    all
}

/// Incidents picked from the index (`pick_incident_rows`): each one's opening (seconds)
/// and row in `files`, in order, and the connection they were read through, still in
/// the fold's read transaction.
#[derive(Debug)]
pub struct PickedRows {
    conn: Connection,
    keys: Vec<(i64, i64)>,
}

/// Why a query gave no answer: the user's query, or a mirror found damaged only now.
enum Failed {
    Query(Error),
    Damaged(rusqlite::Error),
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

fn ask_file(
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
const STEPS_PER_LOOK: i32 = 1000;

/// The time a query may still spend inside SQLite, shared with the progress handler that
/// interrupts it: `until` is set, in nanoseconds from `start`, only while SQLite works on
/// a row, so the time the caller spends with a row (printing it, waiting for a reader
/// of the output) is not spent from the limit.
#[derive(Debug)]
struct Deadline {
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
fn run_query(
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
fn timed_out(limit: Duration) -> Error {
    let shown = crate::time::Wait(limit);
    Error::Refused(format!(
        "the query was stopped after running for {shown}, its time limit (care sql --timeout, default 1m); \
         if it needs longer, raise the limit, e.g. --timeout 5m. A WITH RECURSIVE that never stops \
         needs a LIMIT or a condition that ends it"
    ))
}

/// A query SQLite would not run, said with where it stopped reading when it tells.
fn query_error(sql: &str, e: rusqlite::Error) -> Error {
    let hint = "`care sql --schema` lists the tables and their columns";
    match e {
        rusqlite::Error::SqlInputError { msg, offset, .. } if offset >= 0 => {
            let at = usize::try_from(offset).unwrap_or(0).min(sql.len());
            let line = sql[..at].matches('\n').count() + 1;
            let start = sql[..at].rfind('\n').map_or(0, |n| n + 1);
            let column = sql[start..at].chars().count() + 1;
            let text = sql[start..].lines().next().unwrap_or("");
            Error::Usage(format!(
                "the query has an error at line {line}, column {column}: {msg}\n  {text}\n  {}^\n{hint}",
                " ".repeat(column - 1)
            ))
        }
        rusqlite::Error::SqlInputError { msg, .. } => Error::Usage(format!("the query has an error: {msg}; {hint}")),
        rusqlite::Error::MultipleStatement => {
            Error::Usage("care sql runs one statement at a time; remove what follows the first `;`".into())
        }
        rusqlite::Error::SqliteFailure(_, Some(msg)) if msg.contains("attached databases") => Error::Usage(
            "care sql reads the book's mirror only: ATTACH of another database is refused; \
             to combine, export it (`care export sqlite FILE`) and attach that with sqlite3"
                .into(),
        ),
        rusqlite::Error::SqliteFailure(_, Some(msg)) => Error::Usage(format!("the query failed: {msg}; {hint}")),
        other => Error::Refused(format!("the query failed: {other}")),
    }
}

/// A mirror that could not be made or read: said with its file, and what to do.
fn sql_error(path: &Path, e: rusqlite::Error) -> Error {
    Error::Refused(format!(
        "{}: {e}; the SQL mirror could not be made. It is only a cache: remove it and run again",
        path.display()
    ))
}

/// Temporary mirrors of rebuilds whose process is gone (killed mid-way), where /proc
/// tells; this run's own is removed too, before it starts anew.
fn sweep_temporaries(file: &Path) {
    let Some(dir) = file.parent() else { return };
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(TMP).map(|r| r.trim_end_matches("-journal")) else { continue };
        let mine = pid == std::process::id().to_string();
        if mine || (Path::new("/proc/self").exists() && !Path::new("/proc").join(pid).exists()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// `file` with `suffix` appended to its name, as SQLite names its journals.
fn sidecar_of(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Read the next row of the merge's query into `into`, reusing its path's buffer; false
/// at the end.
fn next_row(rows: &mut rusqlite::Rows<'_>, into: &mut (i64, String, Key)) -> rusqlite::Result<bool> {
    let Some(r) = rows.next()? else { return Ok(false) };
    into.0 = r.get(0)?;
    into.1.clear();
    into.1.push_str(r.get_ref(1)?.as_str()?);
    into.2 = key_from(r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
    Ok(true)
}

/// A path as the `files` table's order index sorts it (`replace(path, '/', char(1))`):
/// folder by folder, as the book is walked.
fn order_key(path: &[u8]) -> impl Iterator<Item = u8> + '_ {
    path.iter().map(|&b| if b == b'/' { 1 } else { b })
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

/// A record file as the mirror keeps it, read with the stat of the open file: the id
/// inside it and what reports read of it (its digest, made here on the reading cores) and,
/// when the SQL tables are to be filled, the record.
struct Scanned {
    key: Key,
    id: String,
    digest: Option<String>,
    record: Option<Record>,
}

fn scan(path: &Path, kind: Kind, tables: bool) -> Result<Scanned> {
    let (text, meta) = read::read_text_stat(path)?;
    let record = parse_record(path, &text, kind)?;
    let (id, digest) = match &record {
        Record::Customer(c, fields) => (c.id.clone(), index::encode_customer(c, fields)),
        Record::Incident(i, fields) => (i.id.clone(), Some(index::encode_incident(i, fields))),
        // Read by no report: only `care sql` has a use for it.
        Record::Action(a) => (a.id.clone(), None),
    };
    Ok(Scanned { key: Key::of_metadata(&meta), id, digest, record: tables.then_some(record) })
}

/// A stat as the `files` table keeps it: size, mtime_ns, ctime_ns, inode.
fn key_params(key: Key) -> (i64, i64, i64, i64) {
    (key.size as i64, key.mtime, key.ctime, key.ino as i64)
}

fn key_from(size: i64, mtime: i64, ctime: i64, inode: i64) -> Key {
    Key { size: size as u64, mtime, ctime, ino: inode as u64 }
}

/// Read the items `produce` sends on all cores, in another thread, while this one
/// `write`s those read before, in the order sent: the reading (most of the work) runs on
/// every core while the one connection writes. Returns what `produce` returns.
fn pipeline<T: Send + Sync, R: Send, P: Send>(
    produce: impl FnOnce(&mut dyn FnMut(Vec<T>)) -> P + Send,
    read: impl Fn(&T) -> R + Sync,
    mut write: impl FnMut(T, R) -> rusqlite::Result<()>,
) -> rusqlite::Result<P> {
    std::thread::scope(|s| {
        let (send, batches) = std::sync::mpsc::sync_channel::<Vec<(T, R)>>(DEPTH);
        let read = &read;
        let producer = s.spawn(move || {
            let mut alive = true;
            produce(&mut |batch: Vec<T>| {
                if !alive {
                    return;
                }
                let parts =
                    par_fold(&batch, Vec::new, |done: &mut Vec<(usize, R)>, i, item| done.push((i, read(item))));
                let mut done: Vec<_> = parts.into_iter().flatten().collect();
                done.sort_unstable_by_key(|(i, _)| *i);
                alive = send.send(batch.into_iter().zip(done).map(|(item, (_, r))| (item, r)).collect()).is_ok();
            })
        });
        // A failed write drops `batches`, which stops the producer at its next batch.
        let written = (move || {
            for batch in batches {
                for (item, r) in batch {
                    write(item, r)?;
                }
            }
            Ok(())
        })();
        let produced = producer.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        written.map(|()| produced)
    })
}

/// Drop every row read from the file `id`.
fn forget(tx: &Connection, id: i64) -> rusqlite::Result<()> {
    for t in TABLES.iter().filter(|t| t.name != "files") {
        tx.prepare_cached(&format!("DELETE FROM {} WHERE file_id = ?1", t.name))?.execute([id])?;
    }
    tx.prepare_cached("DELETE FROM files WHERE id = ?1")?.execute([id])?;
    Ok(())
}

fn utc(t: &Stamp) -> String {
    t.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn nonempty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn insert_customer(tx: &Connection, file: i64, c: &Customer, fields: &Fields) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO customers VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?.execute(params![
        c.id,
        c.name,
        c.since.map(|d| d.to_string()),
        c.contact.email,
        c.contact.phone,
        c.lifetime_value,
        file
    ])?;
    let mut entry = tx.prepare_cached("INSERT INTO entries VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?;
    for section in Section::ALL {
        for (n, e) in c.entries(section).iter().enumerate() {
            entry.execute(params![
                c.id,
                section.label(),
                n as i64,
                e.text,
                e.at.as_ref().map(utc),
                nonempty(&e.by),
                e.incident,
                i64::from(e.critical),
                e.retired.map(|d| d.to_string()),
                file
            ])?;
        }
    }
    let mut flag = tx.prepare_cached("INSERT INTO flags VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?;
    for (n, f) in c.flags.iter().enumerate() {
        flag.execute(params![
            c.id,
            n as i64,
            f.text,
            f.raised.as_ref().map(utc),
            nonempty(&f.by),
            f.incident,
            f.until.map(|d| d.to_string()),
            f.cleared.as_ref().map(utc),
            f.cleared_by,
            file
        ])?;
    }
    let mut field = tx.prepare_cached("INSERT INTO customer_fields VALUES (?1, ?2, ?3, ?4)")?;
    for (k, v) in fields {
        field.execute(params![c.id, k, v, file])?;
    }
    insert_visits_and_reminders(tx, file, c)
}

fn insert_visits_and_reminders(tx: &Connection, file: i64, c: &Customer) -> rusqlite::Result<()> {
    let mut visit = tx.prepare_cached("INSERT INTO visits VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?;
    for (n, v) in c.visits.iter().enumerate() {
        visit.execute(params![
            c.id,
            n as i64,
            utc(&v.at),
            nonempty(&v.by),
            v.spend,
            v.party,
            v.location,
            v.staff,
            v.note,
            file
        ])?;
    }
    let mut reminder =
        tx.prepare_cached("INSERT INTO reminders VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")?;
    let mut mark = tx.prepare_cached("INSERT INTO reminder_marks VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
    for (n, r) in c.reminders.iter().enumerate() {
        reminder.execute(params![
            c.id,
            n as i64,
            r.id,
            r.text,
            utc(&r.due),
            r.every,
            r.day,
            r.owner,
            r.at.as_ref().map(utc),
            nonempty(&r.by),
            file
        ])?;
        for m in &r.done {
            mark.execute(params![
                c.id,
                n as i64,
                utc(&m.occurrence),
                utc(&m.at),
                nonempty(&m.by),
                m.how,
                m.note,
                file
            ])?;
        }
    }
    Ok(())
}

fn insert_action(tx: &Connection, file: i64, a: &Action, clock: &crate::time::Clock) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO actions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?.execute(params![
        a.id,
        utc(&a.at),
        nonempty(&a.by),
        a.owner,
        a.what,
        a.window().to_string(),
        utc(&a.verify_due(clock)),
        file
    ])?;
    let mut cond = tx.prepare_cached("INSERT INTO action_for VALUES (?1, ?2, ?3, ?4)")?;
    for (n, c) in a.filter.iter().enumerate() {
        cond.execute(params![a.id, n as i64, c, file])?;
    }
    let mut verified = tx.prepare_cached("INSERT INTO verifications VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
    for v in &a.verified {
        verified.execute(params![
            a.id,
            utc(&v.at),
            nonempty(&v.by),
            v.window.to_string(),
            i64::try_from(v.before).unwrap_or(i64::MAX),
            i64::try_from(v.after).unwrap_or(i64::MAX),
            v.verdict,
            file
        ])?;
    }
    Ok(())
}

fn insert_incident(
    tx: &Connection,
    file: i64,
    i: &Incident,
    fields: &Fields,
    tz: chrono_tz::Tz,
) -> rusqlite::Result<()> {
    let local = i.opened.with_timezone(&tz);
    let r = &i.recovery;
    tx.prepare_cached(
        "INSERT INTO incidents VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        i.id,
        i.customer,
        utc(&i.opened),
        local.format("%Y-%m-%d %H:%M:%S").to_string(),
        local.format("%a").to_string(),
        local.format("%H").to_string(),
        i.recorded.as_ref().map(utc),
        i.staff,
        i.owner,
        i.product,
        i.location,
        i.channel,
        i.busyness,
        i.summary,
        i.circumstances,
        r.closed.as_ref().map(|s| utc(&s.at)),
        file
    ])?;
    let mut tag = tx.prepare_cached("INSERT INTO tags VALUES (?1, ?2, ?3)")?;
    for t in &i.tags {
        tag.execute(params![i.id, t, file])?;
    }
    let mut field = tx.prepare_cached("INSERT INTO incident_fields VALUES (?1, ?2, ?3, ?4)")?;
    for (k, v) in fields {
        field.execute(params![i.id, k, v, file])?;
    }
    let mut step = tx.prepare_cached("INSERT INTO steps VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
    let steps = [
        ("apologized", &r.apologized),
        ("reviewed", &r.reviewed),
        ("fixed", &r.fixed),
        ("extra", &r.extra),
        ("closed", &r.closed),
    ];
    for (name, s) in steps {
        if let Some(s) = s {
            step.execute(params![i.id, name, utc(&s.at), nonempty(&s.by), s.note, s.what, s.value, file])?;
        }
    }
    let mut followup =
        tx.prepare_cached("INSERT INTO followups VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")?;
    for (n, f) in i.followups.iter().enumerate() {
        let done = f.done.as_ref();
        followup.execute(params![
            i.id,
            n as i64,
            f.kind,
            utc(&f.due),
            f.how,
            f.text,
            done.map(|d| utc(&d.at)),
            done.and_then(|d| nonempty(&d.by)),
            done.and_then(|d| d.how.as_deref()),
            done.and_then(|d| d.note.as_deref()),
            f.missed_by,
            file
        ])?;
    }
    Ok(())
}

impl Book {
    /// Every incident's digest as it is now, through the index where it is still true
    /// of a file, else read from the file; the index is read, never written (for shell
    /// completion, which must not change the book's cache).
    pub(super) fn peek_incidents(&self) -> Vec<(Incident, Fields)> {
        let walked = self.walk_kinds(&[Kind::Incident], &mut Vec::new());
        let keys = stat_each(&walked, |(path, _)| path);
        let mut known: Vec<(String, Key, String)> = Vec::new();
        let file = self.root.join(FILE);
        if self.settings.cache && self.cache_is_ours(&file).is_ok() && file.is_file() {
            let _ = open_read_only(&file).and_then(|conn| {
                let mut stmt = conn.prepare(
                    "SELECT path, size, mtime_ns, ctime_ns, inode, digest FROM files \
                     WHERE kind = 'incident' ORDER BY path",
                )?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let key = key_from(r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
                    known.push((r.get(0)?, key, r.get::<_, Option<String>>(5)?.unwrap_or_default()));
                }
                Ok::<(), rusqlite::Error>(())
            });
        }
        let mut at = 0;
        let mut found = Vec::with_capacity(walked.len());
        for (i, (path, _)) in walked.iter().enumerate() {
            let rel = self.rel_bytes(path);
            while at < known.len() && known[at].0.as_bytes() < rel {
                at += 1;
            }
            let cached = (at < known.len() && known[at].0.as_bytes() == rel && keys[i] == Some(known[at].1))
                .then(|| index::decode(&known[at].2))
                .flatten();
            match cached {
                Some(d) => found.push((d.incident, d.fields)),
                None => {
                    if let Ok(Record::Incident(incident, fields)) = read_record(path, Kind::Incident) {
                        found.push((incident.digest(), fields));
                    }
                }
            }
        }
        found
    }
}
