//! What book-wide reports fold over: every incident's digest (`fold_incident_digests`),
//! the incidents a report picks and reads back in order (`pick_incident_rows`,
//! `each_picked_row`), every customer (`customer_digests`), and, for shell completion, the
//! digests read without writing the index (`peek_incidents`). Rows are decoded on all
//! cores as one thread reads them; neither the rows nor the records are held.

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::*;

/// The cores' parts as one: the largest grows to hold the others, each freed once
/// moved, so a part is never copied whole while every part is still held.
pub(super) fn concat<T>(mut parts: Vec<Vec<T>>) -> Vec<T> {
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

impl Book {
    /// Fold the rows of `files` that `rows` selects (`NOT INDEXED WHERE kind = …`), as the
    /// fresh index open at `conn` digests them, on all cores: this thread reads the rows in
    /// batches, the others decode and fold them, so neither the rows nor the records are
    /// held. `work` gets the row's id, path and digest. A whole kind is best read in the
    /// table's own order (a scan, not a walk of an index with a lookup of each row), each
    /// batch's text in one buffer rather than two strings a row.
    pub(super) fn fold_rows<A: Send>(
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
    pub(super) fn duplicates(
        &self,
        conn: &Connection,
    ) -> rusqlite::Result<(std::collections::HashSet<String>, Vec<Error>)> {
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
    pub(in crate::book) fn fold_incident_digests<A: Send>(
        &self,
        init: &(impl Fn() -> A + Sync),
        fold: &(impl Fn(&mut A, &Incident, &Extras) + Sync),
    ) -> Option<(Vec<A>, Vec<Error>)> {
        let (accumulators, _, problems) = self.fold_incident_rows(init, &|acc, _, i, f| fold(acc, i, f))?;
        Some((accumulators, problems))
    }

    /// `fold_incident_digests`, giving `fold` each incident's row in `files` too, with the
    /// connection that read them, still in the read transaction that read the copies of an
    /// id and the rows as one snapshot: the rows can be read again through it.
    pub(super) fn fold_incident_rows<A: Send>(
        &self,
        init: &(impl Fn() -> A + Sync),
        fold: &(impl Fn(&mut A, i64, &Incident, &Extras) + Sync),
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
    pub(super) fn fold_incidents_at<A: Send>(
        &self,
        db: &Path,
        init: &(impl Fn() -> A + Sync),
        fold: &(impl Fn(&mut A, i64, &Incident, &Extras) + Sync),
    ) -> rusqlite::Result<(Vec<A>, Connection, Vec<Error>)> {
        let conn = open_read_only(db)?;
        conn.execute_batch("BEGIN")?;
        let mut problems = Vec::new();
        let (losers, duplicates) = self.duplicates(&conn)?;
        let parts = self.fold_rows(
            &conn,
            "NOT INDEXED WHERE kind = 'incident'",
            || (init(), Vec::new(), digest::Digest::empty()),
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
    pub(super) fn digest_or_file(&self, path: &str, digest: &str, into: &mut digest::Digest) -> Result<()> {
        if digest::decode_into(digest, into).is_some() {
            return Ok(());
        }
        let path = self.root.join(path);
        match read_record(&path, Kind::Incident)? {
            Record::Incident(i, fields) => {
                *into = digest::Digest { incident: i.into_digest(), fields };
                Ok(())
            }
            Record::Customer(..) | Record::Action(_) => Err(Error::data(&path, 1, 1, "not an incident record")),
        }
    }

    /// The incidents `pick` keeps, through the index, under the sort keys it gives each
    /// (none: not kept; several: listed at each): each key and the incident's row are held
    /// (sixteen bytes), sorted, and the incident read again when its turn comes. None when
    /// the index is off or cannot be trusted.
    pub(in crate::book) fn pick_incident_rows<A: Send>(
        &self,
        init: &(impl Fn() -> A + Sync),
        pick: &(impl Fn(&mut A, &Incident, &Extras, &mut Vec<i64>) + Sync),
    ) -> Option<(Vec<A>, PickedRows, Vec<Error>)> {
        type Part<A> = (A, Vec<(i64, i64)>, Vec<i64>);
        let keep = |(acc, keys, given): &mut Part<A>, row, i: &Incident, f: &Extras| {
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
    pub(in crate::book) fn each_picked_row(
        &self,
        picked: PickedRows,
        each: &mut dyn FnMut(i64, &mut [digest::Digest]) -> Result<()>,
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
        let mut read = |row: i64, into: &mut digest::Digest| -> Result<bool> {
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
        let mut one = digest::Digest::empty();
        let mut same: Vec<digest::Digest> = Vec::new();
        for run in keys.chunk_by(|a, b| a.0 == b.0) {
            if let [(key, row)] = run {
                if read(*row, &mut one)? {
                    each(*key, std::slice::from_mut(&mut one))?;
                }
                continue;
            }
            same.clear();
            for (_, row) in run {
                let mut d = digest::Digest::empty();
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
    pub(in crate::book) fn customer_digests<T: Send>(
        &self,
        reminders: bool,
        map: &(impl Fn(Customer, Extras) -> Option<T> + Sync),
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

    pub(super) fn customers_at<T: Send>(
        &self,
        db: &Path,
        reminders: bool,
        map: &(impl Fn(Customer, Extras) -> Option<T> + Sync),
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
            let record = match digest::decode_customer(digest) {
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

    /// Every incident's digest as it is now, through the index where it is still true
    /// of a file, else read from the file; the index is read, never written (for shell
    /// completion, which must not change the book's cache).
    pub(in crate::book) fn peek_incidents(&self) -> Vec<(Incident, Extras)> {
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
                .then(|| digest::decode(&known[at].2))
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
