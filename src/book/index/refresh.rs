//! The refresh (`sync`): the mirror made true of every record file in one transaction.
//! The walk and the `files` table are merged in path order (`Merge`), the rows of files
//! gone or changed dropped, the changed and new files read on all cores while one thread
//! writes (`pipeline`), and, for `care sql`, the other tables filled for the files that
//! have only their `files` row (`fill`).

use rusqlite::{Connection, params};

use super::*;
use crate::book::schema;

/// How many changed files a refresh holds before it sets them aside on disk.
pub(super) const HELD: usize = 8192;

/// The files a refresh found changed or new, to be read once the merge with the `files`
/// table is done: held up to `HELD`, the rest set aside in a `Spill`, since a `git pull`
/// or the first report of the other kind of record may change a million files, and a
/// refresh stays in flat memory.
#[derive(Debug, Default)]
pub(super) struct Changed {
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
pub(super) fn path_from_bytes(bytes: &[u8]) -> std::ffi::OsString {
    <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(bytes).to_os_string()
}

#[cfg(not(unix))]
pub(super) fn path_from_bytes(bytes: &[u8]) -> std::ffi::OsString {
    String::from_utf8_lossy(bytes).into_owned().into()
}

/// Read the next row of the merge's query into `into`, reusing its path's buffer; false
/// at the end.
pub(super) fn next_row(rows: &mut rusqlite::Rows<'_>, into: &mut Row) -> rusqlite::Result<bool> {
    let Some(r) = rows.next()? else { return Ok(false) };
    into.id = r.get(0)?;
    into.path.clear();
    into.path.push_str(r.get_ref(1)?.as_str()?);
    into.key = key_from(r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
    Ok(true)
}

/// A row of the `files` table as the merge reads it: its id, path and stat.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row {
    pub(super) id: i64,
    pub(super) path: String,
    pub(super) key: Key,
}

/// The merge of a walk with the `files` table's rows of one kind, both in path order
/// (`order_key`: folder by folder). A row no file matches is stale (its file went away),
/// and so is the row of a file whose stat changed; a file that changed or has no row is
/// to be read; a file whose stat is its row's is left alone. The rows come one at a time
/// from `next`, which fills the row it is given (its path's buffer reused) and says false
/// at their end, so neither the walk nor the table is held.
pub(super) struct Merge<N: FnMut(&mut Row) -> bool> {
    next: N,
    head: Row,
    more: bool,
}

impl<N: FnMut(&mut Row) -> bool> Merge<N> {
    pub(super) fn new(mut next: N) -> Merge<N> {
        let mut head = Row { id: 0, path: String::new(), key: Key { size: 0, mtime: 0, ctime: 0, ino: 0 } };
        let more = next(&mut head);
        Merge { next, head, more }
    }

    fn advance(&mut self) {
        self.more = (self.next)(&mut self.head);
    }

    /// The next walked file, `rel` to the book's root, with its stat (None: it went away
    /// since the walk). The rows it passes or replaces are added to `stale`; true when
    /// the file is to be read.
    pub(super) fn file(&mut self, rel: &[u8], key: Option<Key>, stale: &mut Vec<i64>) -> bool {
        // Rows before this file that no file matched: gone.
        while self.more && order_key(self.head.path.as_bytes()).lt(order_key(rel)) {
            stale.push(self.head.id);
            self.advance();
        }
        let same = self.more && self.head.path.as_bytes() == rel;
        let Some(key) = key else {
            // Went away since the walk: its row, if any, is stale.
            if same {
                stale.push(self.head.id);
                self.advance();
            }
            return false;
        };
        if same && self.head.key == key {
            self.advance();
            return false;
        }
        if same {
            stale.push(self.head.id);
            self.advance();
        }
        true
    }

    /// The rows after the last walked file: their files are gone.
    pub(super) fn finish(mut self, stale: &mut Vec<i64>) {
        while self.more {
            stale.push(self.head.id);
            self.advance();
        }
    }
}

/// A path as the `files` table's order index sorts it (`replace(path, '/', char(1))`):
/// folder by folder, as the book is walked.
pub(super) fn order_key(path: &[u8]) -> impl Iterator<Item = u8> + '_ {
    path.iter().map(|&b| if b == b'/' { 1 } else { b })
}

/// A record file as the mirror keeps it, read with the stat of the open file: the id
/// inside it and what reports read of it (its digest, made here on the reading cores) and,
/// when the SQL tables are to be filled, the record.
pub(super) struct Scanned {
    pub(super) key: Key,
    pub(super) id: String,
    pub(super) digest: Option<String>,
    pub(super) record: Option<Record>,
}

pub(super) fn scan(path: &Path, kind: Kind, tables: bool) -> Result<Scanned> {
    let (text, meta) = read::read_text_stat(path)?;
    let record = parse_record(path, &text, kind)?;
    let (id, digest) = match &record {
        Record::Customer(c, fields) => (c.id.clone(), digest::encode_customer(c, fields)),
        Record::Incident(i, fields) => (i.id.clone(), Some(digest::encode_incident(i, fields))),
        // Read by no report: only `care sql` has a use for it.
        Record::Action(a) => (a.id.clone(), None),
    };
    Ok(Scanned { key: Key::of_metadata(&meta), id, digest, record: tables.then_some(record) })
}

/// Read the items `produce` sends on all cores, in another thread, while this one
/// `write`s those read before, in the order sent: the reading (most of the work) runs on
/// every core while the one connection writes. Returns what `produce` returns.
pub(super) fn pipeline<T: Send + Sync, R: Send, P: Send>(
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

impl Book {
    /// Make the mirror behind `conn` true of every record file of `kinds`: create it
    /// (`new`), or check it is of this schema and timezone, then drop the rows of files
    /// that changed or went away and read the files that changed or appeared (`refresh`).
    /// Files read anew get only their `files` row (what reports read) unless `tables`,
    /// which then also fills the other tables for every file still without its rows
    /// (`fill`). One transaction: a crash leaves the old mirror. Returns what could not be
    /// walked or read.
    pub(super) fn sync(
        &self,
        conn: &mut Connection,
        new: bool,
        kinds: &[Kind],
        tables: bool,
    ) -> std::result::Result<Vec<(Kind, Error)>, Unusable> {
        self.prepare(conn, new)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut problems = if new { self.read_all(&tx, kinds, tables)? } else { self.refresh(&tx, kinds, tables)? };
        if tables {
            problems.extend(self.fill(&tx)?);
        }
        tx.commit()?;
        Ok(problems)
    }

    /// A new mirror's tables and indexes made, with its schema version and timezone; an
    /// old one's checked: correct once, it is foreign now if either changed.
    fn prepare(&self, conn: &Connection, new: bool) -> std::result::Result<(), Unusable> {
        let zone = self.clock.tz.name();
        if new {
            conn.execute_batch(&schema::tables())?;
            conn.execute_batch(&schema::file_indexes())?;
            conn.pragma_update(None, "user_version", schema::VERSION)?;
            conn.execute("INSERT INTO meta VALUES ('timezone', ?1)", [zone])?;
            return Ok(());
        }
        let version: i32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let tz: Option<String> = conn.query_row("SELECT value FROM meta WHERE key = 'timezone'", [], |r| r.get(0)).ok();
        if version != schema::VERSION || tz.as_deref() != Some(zone) {
            return Err(Unusable::Foreign);
        }
        Ok(())
    }

    /// A new mirror: every file is read, the walk feeding the readers as it goes. Each
    /// file's stat is taken with it open, as it is read.
    fn read_all(
        &self,
        tx: &Connection,
        kinds: &[Kind],
        tables: bool,
    ) -> std::result::Result<Vec<(Kind, Error)>, Unusable> {
        Ok(self.read_into(tx, tables, |send| {
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
        })?)
    }

    /// An existing mirror: each kind's walk merged with its rows (`merge_kind`), the rows
    /// of files changed or gone dropped, then the changed and new files read.
    fn refresh(
        &self,
        tx: &Connection,
        kinds: &[Kind],
        tables: bool,
    ) -> std::result::Result<Vec<(Kind, Error)>, Unusable> {
        let mut changed = Changed::default();
        let mut stale = Vec::new();
        let mut problems = Vec::new();
        {
            let mut stmt = tx.prepare(
                "SELECT id, path, size, mtime_ns, ctime_ns, inode FROM files \
                 WHERE kind = ?1 ORDER BY replace(path, '/', char(1))",
            )?;
            for &kind in kinds {
                let walked = self.merge_kind(&mut stmt, kind, &mut changed, &mut stale)?;
                problems.extend(walked.into_iter().map(|e| (kind, e)));
            }
        }
        for id in stale {
            forget(tx, id)?;
        }
        changed.read(|chunk| {
            problems.extend(self.read_into(tx, tables, |send| {
                for part in chunk.chunks(BATCH) {
                    send(part.to_vec());
                }
                Vec::new()
            })?);
            Ok(())
        })?;
        Ok(problems)
    }

    /// The walk of `kind`'s files merged with its rows of `files` (`stmt`, in path
    /// order): the files to read go to `changed`, the rows to drop to `stale`. Another
    /// thread walks and stats (on all cores) while this one merges; a batch is handed over
    /// only when this one takes it (a month of a big book is some 12 MB of paths: no more
    /// are held than are worked on). Returns what the walk could not read.
    fn merge_kind(
        &self,
        stmt: &mut rusqlite::Statement<'_>,
        kind: Kind,
        changed: &mut Changed,
        stale: &mut Vec<i64>,
    ) -> std::result::Result<Vec<Error>, Unusable> {
        let mut rows = stmt.query([kind.name()])?;
        let mut failed = None;
        let mut merge = Merge::new(|row: &mut Row| {
            next_row(&mut rows, row).unwrap_or_else(|e| {
                failed = Some(e);
                false
            })
        });
        let (walked, merged) = std::thread::scope(|s| {
            let (send, batches) = std::sync::mpsc::sync_channel::<Vec<Stated>>(0);
            let walker = s.spawn(move || {
                self.each_record_stat(kind.sub(), |batch| {
                    let _ = send.send(batch);
                })
            });
            let merged = (|| -> std::result::Result<(), Unusable> {
                for (path, key) in batches.into_iter().flatten() {
                    if merge.file(self.rel_bytes(&path), key, stale) {
                        changed.push(path, kind)?;
                    }
                }
                Ok(())
            })();
            (walker.join().unwrap_or_else(|p| std::panic::resume_unwind(p)), merged)
        });
        merged?;
        merge.finish(stale);
        if let Some(e) = failed {
            return Err(Unusable::Sql(e));
        }
        Ok(walked)
    }

    /// The files `produce` sends, read on all cores by another thread (each with the stat
    /// of the very file read) while this one writes those read before into the database:
    /// their `files` rows, and their rows in the other tables when `tables`. Returns what
    /// `produce` returns, then the files that could not be read.
    pub(super) fn read_into(
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
    pub(super) fn fill(&self, tx: &Connection) -> rusqlite::Result<Vec<(Kind, Error)>> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u64) -> Key {
        Key { size: n, mtime: 1, ctime: 1, ino: n }
    }

    /// The merge of `walk` (paths with their stats) with `rows` (id, path, stat) as the
    /// table gives them: the ids found stale and the paths to read, in order.
    fn merged(walk: &[(&str, Option<Key>)], rows: &[(i64, &str, Key)]) -> (Vec<i64>, Vec<String>) {
        let mut rows = rows.iter();
        let mut merge = Merge::new(|row: &mut Row| match rows.next() {
            Some(&(id, path, key)) => {
                row.id = id;
                row.path.clear();
                row.path.push_str(path);
                row.key = key;
                true
            }
            None => false,
        });
        let (mut stale, mut read) = (Vec::new(), Vec::new());
        for &(path, key) in walk {
            if merge.file(path.as_bytes(), key, &mut stale) {
                read.push(path.to_string());
            }
        }
        merge.finish(&mut stale);
        (stale, read)
    }

    #[test]
    fn unchanged_files_are_left_alone() {
        let walk = [("incidents/2026/01/a.yaml", Some(key(1))), ("incidents/2026/01/b.yaml", Some(key(2)))];
        let rows = [(7, "incidents/2026/01/a.yaml", key(1)), (8, "incidents/2026/01/b.yaml", key(2))];
        assert_eq!(merged(&walk, &rows), (vec![], vec![]));
    }

    #[test]
    fn a_new_file_is_read_and_a_changed_one_read_with_its_row_dropped() {
        let walk = [("c/a.yaml", Some(key(1))), ("c/b.yaml", Some(key(5))), ("c/c.yaml", Some(key(3)))];
        let rows = [(1, "c/a.yaml", key(1)), (2, "c/b.yaml", key(2))];
        assert_eq!(merged(&walk, &rows), (vec![2], vec!["c/b.yaml".into(), "c/c.yaml".into()]));
        // Any part of the stat moving is a change: a hand edit that restored the mtime
        // still moved the ctime, a file renamed over another has a new inode.
        for changed in [Key { ctime: 2, ..key(1) }, Key { ino: 9, ..key(1) }, Key { mtime: 0, ..key(1) }] {
            assert_eq!(
                merged(&[("c/a.yaml", Some(changed))], &[(1, "c/a.yaml", key(1))]),
                (vec![1], vec!["c/a.yaml".into()])
            );
        }
    }

    #[test]
    fn the_rows_of_files_gone_are_stale_before_between_and_after_the_walk() {
        let walk = [("c/b.yaml", Some(key(2))), ("c/d.yaml", Some(key(4)))];
        let rows = [
            (1, "c/a.yaml", key(1)),
            (2, "c/b.yaml", key(2)),
            (3, "c/c.yaml", key(3)),
            (4, "c/d.yaml", key(4)),
            (5, "c/e.yaml", key(5)),
        ];
        assert_eq!(merged(&walk, &rows), (vec![1, 3, 5], vec![]));
        assert_eq!(merged(&[], &rows[..2]), (vec![1, 2], vec![]));
        assert_eq!(merged(&walk, &[]), (vec![], vec!["c/b.yaml".into(), "c/d.yaml".into()]));
    }

    #[test]
    fn a_file_gone_between_the_walk_and_its_stat_drops_its_row_and_is_not_read() {
        let walk = [("c/a.yaml", None), ("c/b.yaml", None), ("c/c.yaml", Some(key(3)))];
        let rows = [(1, "c/a.yaml", key(1)), (3, "c/c.yaml", key(3))];
        assert_eq!(merged(&walk, &rows), (vec![1], vec![]));
    }

    #[test]
    fn the_merge_follows_the_walk_folder_by_folder_not_byte_order() {
        // The walk lists a folder's files before a sibling whose name sorts between them
        // by bytes (`-` is below `/`): the table's order index puts `/` first too.
        let walk = [
            ("incidents/2026/01/a.yaml", Some(key(1))),
            ("incidents/2026/01-x.yaml", Some(key(2))),
            ("incidents/2026/010.yaml", Some(key(3))),
        ];
        let rows = [
            (1, "incidents/2026/01/a.yaml", key(1)),
            (2, "incidents/2026/01-x.yaml", key(2)),
            (3, "incidents/2026/010.yaml", key(3)),
        ];
        assert_eq!(merged(&walk, &rows), (vec![], vec![]));
        let mut bytes: Vec<&str> = walk.iter().map(|(p, _)| *p).collect();
        bytes.sort_unstable();
        assert_ne!(bytes, walk.iter().map(|(p, _)| *p).collect::<Vec<_>>(), "the case differs from byte order");
        // A file added in the folder is read, and nothing else moves.
        let mut more = walk.to_vec();
        more.insert(1, ("incidents/2026/01/b.yaml", Some(key(9))));
        assert_eq!(merged(&more, &rows), (vec![], vec!["incidents/2026/01/b.yaml".into()]));
    }
}
