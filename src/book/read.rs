//! Reading records: one by path, or every record of a kind in parallel, and incidents and
//! customers through the index (`index/`) so book-wide reports keep no record in memory
//! and parse only the files that changed.

use std::collections::HashSet;

use super::stream::hash;
use super::*;

/// Incidents picked by `Book::pick_incidents`, waiting for `Book::each_picked`.
#[derive(Debug)]
pub struct Picked(Picks);

#[derive(Debug)]
enum Picks {
    Rows(super::index::PickedRows),
    /// Without the index: the incidents picked, and each key with the incident's place.
    Held(Vec<(i64, usize)>, Vec<(Incident, Extras)>),
}

/// The incidents picked under one key, with their fields.
type Run<'a> = [(&'a Incident, &'a Extras)];

impl Book {
    /// Read and parse every record of a kind. Broken files are collected, not fatal.
    pub fn load<T: DeserializeOwned + Send>(&self, sub: &str) -> Loaded<T> {
        self.load_with(sub, yaml::parse::<T>)
    }

    /// Read every record of a kind and turn each file's text into a `T` with `parse`, on
    /// all cores; the records come back in the book's order.
    pub fn load_with<T: Send>(&self, sub: &str, parse: impl Fn(&Path, &str) -> Result<T> + Sync) -> Loaded<T> {
        self.load_some(sub, |path, text| parse(path, text).map(Some))
    }

    /// `load_with` keeping only the records `parse` makes something of (Some): the rest
    /// are let go as they are read, so picking the few customers with reminders out of a
    /// hundred thousand holds those few. The walk's problems come first, then the files'.
    pub fn load_some<T: Send>(&self, sub: &str, parse: impl Fn(&Path, &str) -> Result<Option<T>> + Sync) -> Loaded<T> {
        let (mut records, mut unread) = (Vec::new(), Vec::new());
        let mut problems = self.each_record(sub, parse, |path, parsed| match parsed {
            Ok(Some(record)) => records.push((path.to_path_buf(), record)),
            Ok(None) => {}
            Err(e) => unread.push(e),
        });
        problems.extend(unread);
        Loaded { records, problems }
    }

    /// Fold every incident, as reports see it (`Incident::digest`), into per-core
    /// accumulators: through the index in `.care/cache` (`index/`), made true of every
    /// file first, else (`CARE_NO_CACHE`, a cache that cannot be kept) by reading every
    /// file. Memory stays small: no incident is kept. An id used twice counts once: the
    /// copy whose file name is the id, the first in path order; other copies are problems.
    pub fn fold_incidents<A: Send>(
        &self,
        init: impl Fn() -> A + Sync,
        fold: impl Fn(&mut A, &Incident, &Extras) + Sync,
    ) -> (Vec<A>, Vec<Error>) {
        if let Some(folded) = self.fold_incident_digests(&init, &fold) {
            return folded;
        }
        self.fold_incident_files(init, fold)
    }

    /// The incidents `pick` keeps, to be given again by opening, then id (`each_picked`),
    /// with what `pick` gathered of every incident in per-core accumulators: `recover
    /// list` learns every extra field name before it prints, then prints a million
    /// incidents, oldest first, without holding them. Through the index a picked incident
    /// costs sixteen bytes until its turn; without it, its digest.
    pub fn pick_incidents<A: Send>(
        &self,
        init: impl Fn() -> A + Sync,
        pick: impl Fn(&mut A, &Incident, &Extras) -> bool + Sync,
    ) -> (Vec<A>, Picked, Vec<Error>) {
        self.pick_incidents_keyed(init, |acc, i, f, keys| {
            if pick(acc, i, f) {
                keys.push(i.opened.timestamp());
            }
        })
    }

    /// `pick_incidents` with the sort keys `pick` pushes for each incident (none: not
    /// picked; several: given again at each), for lists in another order than opening:
    /// `followup due` keys an incident by the second each of its follow-ups is due.
    pub fn pick_incidents_keyed<A: Send>(
        &self,
        init: impl Fn() -> A + Sync,
        pick: impl Fn(&mut A, &Incident, &Extras, &mut Vec<i64>) + Sync,
    ) -> (Vec<A>, Picked, Vec<Error>) {
        if let Some((accumulators, rows, problems)) = self.pick_incident_rows(&init, &pick) {
            return (accumulators, Picked(Picks::Rows(rows)), problems);
        }
        type Part<A> = (A, Vec<(Vec<i64>, Incident, Extras)>);
        let (parts, problems) = self.fold_incident_files(
            || (init(), Vec::new()),
            |(acc, held): &mut Part<A>, i, f| {
                let mut keys = Vec::new();
                pick(acc, i, f, &mut keys);
                if !keys.is_empty() {
                    held.push((keys, i.clone(), f.clone()));
                }
            },
        );
        let (mut accumulators, mut keys, mut held) = (Vec::new(), Vec::new(), Vec::new());
        for (acc, part) in parts {
            accumulators.push(acc);
            for (given, i, f) in part {
                keys.extend(given.into_iter().map(|k| (k, held.len())));
                held.push((i, f));
            }
        }
        keys.sort_unstable();
        keys.dedup();
        (accumulators, Picked(Picks::Held(keys, held)), problems)
    }

    /// Give the incidents picked to `each`, by opening then id, until `each` fails. Each
    /// is read again as it is now: one changed since the pick may no longer be what was
    /// picked, and one gone is left out. Returns the files that could not be read again.
    pub fn each_picked(
        &self,
        picked: Picked,
        mut each: impl FnMut(&Incident, &Extras) -> Result<()>,
    ) -> Result<Vec<Error>> {
        // Incidents opened in the same second are put in order of id.
        self.each_picked_run(picked, &mut |_, run| {
            run.sort_by(|a, b| a.0.opened.cmp(&b.0.opened).then(a.0.id.cmp(&b.0.id)));
            run.iter().try_for_each(|(i, f)| each(i, f))
        })
    }

    /// Give the incidents picked (`pick_incidents_keyed`) to `each` with their key, keys
    /// in order (an incident once at each of its keys), those of one key in no particular
    /// order, until `each` fails; as `each_picked`, each is read again as it is now.
    pub fn each_picked_keyed(
        &self,
        picked: Picked,
        mut each: impl FnMut(i64, &Incident, &Extras) -> Result<()>,
    ) -> Result<Vec<Error>> {
        self.each_picked_run(picked, &mut |key, run| run.iter().try_for_each(|(i, f)| each(key, i, f)))
    }

    /// The picked incidents a key at a time, keys in order, as (incident, fields) pairs.
    fn each_picked_run(
        &self,
        picked: Picked,
        each: &mut dyn FnMut(i64, &mut Run<'_>) -> Result<()>,
    ) -> Result<Vec<Error>> {
        let mut pairs: Vec<(&Incident, &Extras)> = Vec::new();
        match picked.0 {
            Picks::Rows(rows) => self.each_picked_row(rows, &mut |key, run| {
                let mut pairs: Vec<(&Incident, &Extras)> = run.iter().map(|d| (&d.incident, &d.fields)).collect();
                each(key, &mut pairs)
            }),
            Picks::Held(keys, held) => {
                for run in keys.chunk_by(|a, b| a.0 == b.0) {
                    pairs.clear();
                    pairs.extend(run.iter().map(|&(_, n)| (&held[n].0, &held[n].1)));
                    each(run[0].0, &mut pairs)?;
                }
                Ok(Vec::new())
            }
        }
    }

    /// What `map` makes of each customer (visits folded into the summary lists show,
    /// `Customer::fold_visits`, with their other top-level fields), in the book's order,
    /// those it makes nothing of let go on the core that read them: for book-wide lists
    /// that keep a few bytes of each of 100,000 customers and no more. Through the index
    /// when it can be kept, else from the files. `reminders`: only the customers who
    /// have reminders (the rest may be left out).
    pub fn customers_folded_values<T: Send>(
        &self,
        reminders: bool,
        map: impl Fn(Customer, Extras) -> Option<T> + Sync,
    ) -> (Vec<T>, Vec<Error>) {
        if let Some(found) = self.customer_digests(reminders, &map) {
            return found;
        }
        let Loaded { records, problems } = self.customer_files_map(reminders, map);
        (records.into_iter().map(|(_, v)| v).collect(), problems)
    }

    /// Every customer file read and turned by `map` (None: every record when `reminders`
    /// is false, else only those with reminders).
    fn customer_files_map<T: Send>(
        &self,
        reminders: bool,
        map: impl Fn(Customer, Extras) -> Option<T> + Sync,
    ) -> Loaded<T> {
        self.load_some(CUSTOMERS, |path, text| {
            if reminders && !text.contains("reminders:") {
                return Ok(None);
            }
            let (c, fields) = yaml::parse_with_fields::<Customer>(path, text, &Customer::FIELDS)?;
            Ok(map(c.fold_visits(), fields))
        })
    }

    /// `fold_incidents` reading every file, with the index's rule for an id used twice
    /// (and `check`'s, `incidents_with`): the copy whose file name is its id counts, the
    /// first in path order; a copy named otherwise counts under its own id unless a file
    /// named by that id, or an earlier such copy, holds it.
    ///
    /// The walk streams (`each_record_file`): no path is held past its batch, only a hash
    /// of each file's name (eight bytes a file). A file whose name no earlier file had and
    /// whose id is its name is folded as it is read; the rest (a name used twice, an id
    /// that is not its name: rare) are set aside with their path until the end, when the
    /// rule above is applied to them, finding by one more walk which file was first to
    /// use a name they need.
    fn fold_incident_files<A: Send>(
        &self,
        init: impl Fn() -> A + Sync,
        fold: impl Fn(&mut A, &Incident, &Extras) + Sync,
    ) -> (Vec<A>, Vec<Error>) {
        let mut names = SortedHashes::default();
        // Each core's accumulator, what it set aside and its read buffer, kept from batch
        // to batch (so there are as many accumulators as cores, however long the walk).
        type Core<A> = (A, Vec<(usize, Error)>, Vec<(usize, PathBuf, Incident, Extras)>, Reader);
        let pool: std::sync::Mutex<Vec<Core<A>>> = std::sync::Mutex::new(Vec::new());
        let take = || {
            pool.lock()
                .ok()
                .and_then(|mut p| p.pop())
                .unwrap_or_else(|| (init(), Vec::new(), Vec::new(), Reader::default()))
        };
        let mut base = 0;
        let mut problems = self.each_record_file(INCIDENTS, |batch| {
            let hashes: Vec<u64> = batch.iter().map(|p| hash(stem_bytes(p))).collect();
            let mut shared = vec![false; batch.len()];
            let mut here: HashMap<u64, usize> = HashMap::with_capacity(batch.len());
            for (i, h) in hashes.iter().enumerate() {
                if names.contains(*h) {
                    shared[i] = true;
                }
                if let Some(&j) = here.get(h) {
                    (shared[i], shared[j]) = (true, true);
                } else {
                    here.insert(*h, i);
                }
            }
            let start = base;
            let parts = par_fold(batch, take, |(acc, errors, aside, reader), i, path| {
                match reader
                    .text(path)
                    .and_then(|text| yaml::parse_with_fields::<Incident>(path, text, &Incident::FIELDS))
                {
                    Ok((incident, fields)) if !shared[i] && incident.id.as_bytes() == stem_bytes(path) => {
                        fold(acc, &incident.into_digest(), &fields)
                    }
                    Ok((incident, fields)) => aside.push((start + i, path.clone(), incident.into_digest(), fields)),
                    Err(e) => errors.push((start + i, e)),
                }
            });
            if let Ok(mut p) = pool.lock() {
                p.extend(parts);
            }
            names.add(hashes);
            base += batch.len();
        });
        let mut accumulators = Vec::new();
        let mut aside = Vec::new();
        let mut errors = Vec::new();
        for (acc, e, a, _) in pool.into_inner().unwrap_or_else(|p| p.into_inner()) {
            accumulators.push(acc);
            errors.extend(e);
            aside.extend(a);
        }
        if accumulators.is_empty() {
            accumulators.push(init());
        }
        aside.sort_by_key(|(i, ..)| *i);
        // A file folded above is the first named by its id; what was set aside or failed is
        // not known to hold any id. Which file was first to take a name an aside copy needs
        // is found by walking again, only for names some file has.
        let unsure: HashSet<usize> = aside.iter().map(|(i, ..)| *i).chain(errors.iter().map(|(i, _)| *i)).collect();
        let wanted: HashSet<&[u8]> =
            aside.iter().map(|(_, _, d, _)| d.id.as_bytes()).filter(|id| names.contains(hash(id))).collect();
        drop(names);
        let mut first: HashMap<Vec<u8>, (usize, PathBuf)> = HashMap::new();
        if !wanted.is_empty() {
            let mut at = 0;
            // The walk's problems were told by the first walk.
            let _ = self.each_record_file(INCIDENTS, |batch| {
                for (i, path) in batch.iter().enumerate() {
                    let stem = stem_bytes(path);
                    if wanted.contains(stem) && !first.contains_key(stem) {
                        first.insert(stem.to_vec(), (at + i, path.clone()));
                    }
                }
                at += batch.len();
            });
        }
        let folded = |id: &str| first.get(id.as_bytes()).filter(|(j, _)| !unsure.contains(j)).map(|(_, p)| p.clone());
        let mut kept: HashMap<String, PathBuf> = HashMap::new();
        for pass_own_name in [true, false] {
            for (i, path, incident, fields) in
                aside.iter().filter(|(_, p, d, _)| (d.id.as_bytes() == stem_bytes(p)) == pass_own_name)
            {
                let id = &incident.id;
                match kept.get(id).cloned().or_else(|| folded(id)) {
                    Some(earlier) => errors.push((*i, Error::data(path, 1, 1, id::duplicate_message(id, &earlier)))),
                    None => {
                        kept.insert(id.clone(), path.clone());
                        fold(&mut accumulators[0], incident, fields);
                    }
                }
            }
        }
        errors.sort_by_key(|(i, _)| *i);
        problems.extend(errors.into_iter().map(|(_, e)| e));
        (accumulators, problems)
    }

    pub fn customers(&self) -> Loaded<Customer> {
        self.load(CUSTOMERS)
    }

    /// Every incident, each id once, by the rule `fold_incidents` keeps: the copy whose
    /// file name is its id, the first in path order; other copies are problems.
    pub fn incidents(&self) -> Loaded<Incident> {
        self.incidents_with(yaml::parse::<Incident>, |i| &i.id)
    }

    /// Every incident, turned into a `T` by `parse`, each id once: the copy whose file is
    /// named by its id, first in path order, counts; every other copy is reported.
    pub fn incidents_with<T: Send>(
        &self,
        parse: impl Fn(&Path, &str) -> Result<T> + Sync,
        id_of: impl Fn(&T) -> &str,
    ) -> Loaded<T> {
        let Loaded { records, mut problems } = self.load_with(INCIDENTS, parse);
        let own_name = |(path, r): &(PathBuf, T)| id_of(r).as_bytes() == stem_bytes(path);
        let mut first: HashMap<&str, &Path> = HashMap::with_capacity(records.len());
        let mut keep = vec![true; records.len()];
        for pass_own_name in [true, false] {
            for (n, record) in records.iter().enumerate().filter(|(_, r)| own_name(r) == pass_own_name) {
                let (path, r) = record;
                match first.get(id_of(r)) {
                    Some(earlier) => {
                        keep[n] = false;
                        problems.push(Error::data(path, 1, 1, id::duplicate_message(id_of(r), earlier)));
                    }
                    None => {
                        first.insert(id_of(r), path);
                    }
                }
            }
        }
        drop(first);
        let records = records.into_iter().zip(keep).filter_map(|(r, k)| k.then_some(r)).collect();
        Loaded { records, problems }
    }

    /// Read one record by path.
    pub fn read<T: DeserializeOwned>(&self, path: &Path) -> Result<T> {
        yaml::parse(path, &self.read_text(path)?)
    }

    /// A record's text, refusing a symlink (to the file or a folder above it) that leads
    /// out of the book.
    pub fn read_text(&self, path: &Path) -> Result<String> {
        self.within(path)?;
        if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            self.inside(path)?;
        }
        read_text(path)
    }
}

/// Read a file given on the command line, such as a spreadsheet to import (stdin, `-`,
/// is read by the command through its `Ui` and checked with `decode`).
pub fn read_input(path: &Path) -> Result<String> {
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    utf8(path, bytes)
}

/// Bytes from stdin or a file as text, or an error naming where they are not UTF-8.
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<String> {
    utf8(path, bytes)
}

/// Read a record's text: bounded in size, and valid UTF-8 or an error saying where not.
pub fn read_text(path: &Path) -> Result<String> {
    read_text_stat(path).map(|(text, _)| text)
}

/// `read_text`, with what `fstat` said of the file it read: the stat comes with the open
/// file, so it is of the very file read (the index records it) and costs no path lookup.
pub(super) fn read_text_stat(path: &Path) -> Result<(String, fs::Metadata)> {
    let mut bytes = Vec::new();
    let meta = read_bytes_into(path, None, &mut bytes)?;
    Ok((utf8(path, bytes)?, meta))
}

/// Reads record files one after another as `read_text` does, the same text or the same
/// errors, for a core reading a whole book: one buffer for every file (no allocation per
/// file), and each file opened relative to its folder, kept open while the files come from
/// it (the kernel then looks up one name, not every folder of the path, per file).
#[derive(Debug, Default)]
pub(super) struct Reader {
    buf: Vec<u8>,
    #[cfg(unix)]
    folder: Option<(PathBuf, rustix::fd::OwnedFd)>,
}

impl Reader {
    pub(super) fn text(&mut self, path: &Path) -> Result<&str> {
        let file = self.open(path);
        read_bytes_into(path, file, &mut self.buf)?;
        std::str::from_utf8(&self.buf).map_err(|e| not_utf8(path, &self.buf, e))
    }

    #[cfg(unix)]
    fn open(&mut self, path: &Path) -> Option<File> {
        use rustix::fs::{Mode, OFlags};
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else { return None };
        if self.folder.as_ref().is_none_or(|(p, _)| p != parent) {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            self.folder = rustix::fs::open(parent, flags, Mode::empty()).ok().map(|fd| (parent.to_path_buf(), fd));
        }
        let (_, folder) = self.folder.as_ref()?;
        let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
        // Any failure is left to the plain open, which says it as `read_text` would.
        rustix::fs::openat(folder, name, flags, Mode::empty()).ok().map(File::from)
    }

    #[cfg(not(unix))]
    fn open(&mut self, _: &Path) -> Option<File> {
        None
    }
}

/// A record file's bytes into `buf` (`file` if already open, else opened here), and what
/// `fstat` said of it.
fn read_bytes_into(path: &Path, file: Option<File>, buf: &mut Vec<u8>) -> Result<fs::Metadata> {
    let (file, meta) = checked(
        path,
        match file {
            Some(f) => f,
            None => open_nonblocking(path)?,
        },
    )?;
    buf.clear();
    // Room for the whole file and one byte more, so that the read that finds the end is
    // the second, not a probe and then a growth.
    let len = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    buf.reserve(len.saturating_add(1).min(yaml::MAX_BYTES + 1));
    (&file).take(yaml::MAX_BYTES as u64 + 1).read_to_end(buf).map_err(|e| Error::io(path, e))?;
    yaml::check_size(path, buf.len())?;
    Ok(meta)
}

/// Opened without blocking, to be asked what it is: opening a FIFO for reading would
/// otherwise wait forever for a writer.
fn open_nonblocking(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    options.open(path).map_err(|e| Error::io(path, e))
}

/// The file and its size if it is a regular file no larger than a record may be: nothing
/// else is read.
fn checked(path: &Path, file: File) -> Result<(File, fs::Metadata)> {
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::data(path, 1, 1, "is a folder, not a record file"));
    }
    if !meta.is_file() {
        return Err(Error::NotRegular { path: path.to_path_buf(), kind: kind_name(meta.file_type()) });
    }
    yaml::check_size(path, usize::try_from(meta.len()).unwrap_or(usize::MAX))?;
    Ok((file, meta))
}

/// Bytes as text, or an error naming the line and column of the first invalid byte.
pub(super) fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| not_utf8(path, e.as_bytes(), e.utf8_error()))
}

fn not_utf8(path: &Path, bytes: &[u8], e: std::str::Utf8Error) -> Error {
    let good = &bytes[..e.valid_up_to()];
    let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = good.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    Error::data(path, line, column, "not valid UTF-8 text; save the file as UTF-8 (in Excel: CSV UTF-8)")
        .with_kind(crate::error::DataKind::NotUtf8)
}

/// A set of hashes kept sorted in one vector, eight bytes each: a hash set of a million
/// names takes three times that, and half as much again while it grows.
#[derive(Debug, Default)]
struct SortedHashes(Vec<u64>);

impl SortedHashes {
    fn contains(&self, h: u64) -> bool {
        self.0.binary_search(&h).is_ok()
    }

    /// Add a batch: sorted, then merged in from the back, in place.
    fn add(&mut self, mut batch: Vec<u64>) {
        batch.sort_unstable();
        let old = self.0.len();
        self.0.reserve_exact(batch.len());
        self.0.extend_from_slice(&batch);
        let v = &mut self.0;
        let (mut i, mut k) = (old, v.len());
        for &h in batch.iter().rev() {
            while i > 0 && v[i - 1] > h {
                v[k - 1] = v[i - 1];
                (i, k) = (i - 1, k - 1);
            }
            v[k - 1] = h;
            k -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_hashes_hold_every_batch_in_order() {
        let mut set = SortedHashes::default();
        let mut all = Vec::new();
        let mut x = 7u64;
        for size in [0, 1, 5, 4096, 3, 1000] {
            let batch: Vec<u64> = (0..size)
                .map(|_| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    x % 5000
                })
                .collect();
            all.extend(&batch);
            set.add(batch);
            let mut want = all.clone();
            want.sort_unstable();
            assert_eq!(set.0, want);
        }
        assert!(all.iter().all(|&h| set.contains(h)));
        assert!(!set.contains(5000));
    }
}
