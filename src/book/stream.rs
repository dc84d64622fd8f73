//! Reading records as a stream: every record of a kind parsed on all cores, handed over
//! in the book's order one at a time, so a book-wide command (`check`, `export`) keeps
//! what it makes of each record (a finding, a printed row) and never the records.
//!
//! Memory is bounded by two batches of parsed records (the one being handed over and the
//! one being parsed meanwhile), whatever the size of the book.

use std::collections::HashSet;

use super::*;

/// Records parsed at a time; two batches are alive at once.
const BATCH: usize = 1024;

impl Book {
    /// Every record file of `sub` (`customers`, `incidents`, `actions`), read and turned
    /// into a `T` by `parse` on all cores, then given to `each` with its path in the book's
    /// order (the order of `load_with`), a file that cannot be read or parsed as its
    /// `Err`. Returns what the walk could not list (links out of the book, FIFOs, ...),
    /// which `load_with` reports before the files' own problems.
    pub fn each_record<T: Send>(
        &self,
        sub: &str,
        parse: impl Fn(&Path, &str) -> Result<T> + Sync,
        mut each: impl FnMut(&Path, Result<T>),
    ) -> Vec<Error> {
        self.each_record_file(sub, |batch| each_file(batch, &parse, &mut each))
    }

    /// Every incident as `incidents_with` keeps them, streamed: each id once, the copy whose
    /// file is named by its id (the first in path order) counting; every other copy, and
    /// every file that cannot be read, is a problem, returned in `incidents_with`'s order.
    pub fn each_incident<T: Send>(
        &self,
        parse: impl Fn(&Path, &str) -> Result<T> + Sync,
        id_of: impl Fn(&T) -> &str,
        mut each: impl FnMut(&Path, T),
    ) -> Vec<Error> {
        // Names used by more than one file, and every name (hashed, sorted: eight bytes a
        // file), so that a copy named by its id is known to be the first without keeping ids:
        // a first walk that keeps only those hashes, then a second that reads.
        let mut stems: Vec<u64> = Vec::new();
        let mut problems =
            self.each_record_file(INCIDENTS, |batch| stems.extend(batch.iter().map(|p| hash(stem_bytes(p)))));
        stems.sort_unstable();
        let shared: HashSet<u64> = stems.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
        stems.dedup();
        let mut own: HashMap<String, PathBuf> = HashMap::new();
        let mut other: HashMap<String, PathBuf> = HashMap::new();
        let (mut own_dups, mut other_dups, mut errors) = (Vec::new(), Vec::new(), Vec::new());
        let mut handle = |path: &Path, parsed: Result<T>| {
            let record = match parsed {
                Ok(r) => r,
                Err(e) => return errors.push(e),
            };
            let id = id_of(&record);
            if id.as_bytes() == stem_bytes(path) {
                if shared.contains(&hash(id.as_bytes())) {
                    if let Some(first) = own.get(id) {
                        return own_dups.push(Error::data(path, 1, 1, id::duplicate_message(id, first)));
                    }
                    own.insert(id.to_string(), path.to_path_buf());
                }
                return each(path, record);
            }
            // A copy whose id is not its name (rare): it loses to a file named by that id
            // anywhere in the book, read again here to be sure, and to an earlier such copy.
            let named = stems.binary_search(&hash(id.as_bytes())).is_ok().then(|| self.owner_of(id, &parse, &id_of));
            let earlier = named.flatten().or_else(|| other.get(id).cloned());
            match earlier {
                Some(first) => other_dups.push(Error::data(path, 1, 1, id::duplicate_message(id, &first))),
                None => {
                    other.insert(id.to_string(), path.to_path_buf());
                    each(path, record);
                }
            }
        };
        self.each_record_file(INCIDENTS, |batch| each_file(batch, &parse, &mut handle));
        problems.extend(errors);
        problems.extend(own_dups);
        problems.extend(other_dups);
        problems
    }
}

impl Book {
    /// The first incident file named `id` whose record has that id, if any: a walk of its
    /// own, for the rare copy whose id is not its file name.
    fn owner_of<T>(
        &self,
        id: &str,
        parse: &impl Fn(&Path, &str) -> Result<T>,
        id_of: &impl Fn(&T) -> &str,
    ) -> Option<PathBuf> {
        let mut found = None;
        self.each_record_file(INCIDENTS, |batch| {
            if found.is_some() {
                return;
            }
            found = batch.iter().filter(|p| stem_bytes(p) == id.as_bytes()).find_map(|p| {
                let record = read_text(p).and_then(|text| parse(p, &text)).ok()?;
                (id_of(&record) == id).then(|| p.clone())
            });
        });
        found
    }
}

/// Byte records set aside on disk while a book streams past, to be read back in the
/// order they were written (`check` keeps a million incidents' findings here, not in
/// memory, until the findings that can only be told at the end are known). The file is
/// in the system's temporary folder, never in the book, and is gone when the spill is:
/// removed as soon as it is open where the system allows, else when dropped.
#[derive(Debug)]
pub struct Spill {
    file: std::io::BufWriter<File>,
    path: PathBuf,
    len: u64,
}

impl Spill {
    pub fn new() -> Result<Spill> {
        let (file, path) = temp_file("spill")?;
        Ok(Spill { file: std::io::BufWriter::with_capacity(1 << 16, file), path, len: 0 })
    }

    /// Set one record aside.
    pub fn push(&mut self, record: &[u8]) -> Result<()> {
        let len = u32::try_from(record.len()).unwrap_or(u32::MAX);
        let wrote = self.file.write_all(&len.to_le_bytes()).and_then(|()| self.file.write_all(&record[..len as usize]));
        wrote.map_err(|e| self.error(e))?;
        self.len += 1;
        Ok(())
    }

    /// How many records were set aside.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every record, in the order pushed, each handed to `each`.
    pub fn drain(mut self, mut each: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        use std::io::Seek;
        self.file.flush().map_err(|e| self.error(e))?;
        let mut file = self.file.get_ref().try_clone().map_err(|e| self.error(e))?;
        file.seek(std::io::SeekFrom::Start(0)).map_err(|e| self.error(e))?;
        let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
        let mut record = Vec::new();
        for _ in 0..self.len {
            let mut len = [0u8; 4];
            reader.read_exact(&mut len).map_err(|e| self.error(e))?;
            record.resize(u32::from_le_bytes(len) as usize, 0);
            reader.read_exact(&mut record).map_err(|e| self.error(e))?;
            each(&record)?;
        }
        Ok(())
    }

    fn error(&self, e: std::io::Error) -> Error {
        let shown = if self.path.as_os_str().is_empty() { std::env::temp_dir() } else { self.path.clone() };
        Error::io(&shown, e)
    }
}

/// A new file in the system's temporary folder, open to read and write, removed at once
/// where the system allows (the path returned is then empty), else left for the caller to
/// remove when done.
pub(super) fn temp_file(kind: &str) -> Result<(File, PathBuf)> {
    let dir = std::env::temp_dir();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mut tries = 0u32;
    loop {
        let path = dir.join(format!(".care-{kind}-{}-{nanos}-{tries}", std::process::id()));
        match OpenOptions::new().read(true).write(true).create_new(true).open(&path) {
            Ok(file) => {
                let removed = fs::remove_file(&path).is_ok();
                return Ok((file, if removed { PathBuf::new() } else { path }));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < 100 => tries += 1,
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// A hash of a name or an id, to remember it in eight bytes.
pub(super) fn hash(bytes: &[u8]) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(bytes)
}

/// Parse `files` on all cores a batch at a time, the next batch while `each` is given
/// the last one, in order.
fn each_file<T: Send>(
    files: &[PathBuf],
    parse: &(impl Fn(&Path, &str) -> Result<T> + Sync),
    each: &mut impl FnMut(&Path, Result<T>),
) {
    let parse_batch = |start: usize, batch: &[PathBuf]| {
        let parts = par_fold(batch, Vec::new, |found: &mut Vec<(usize, Result<T>)>, i, path| {
            found.push((start + i, read_text(path).and_then(|text| parse(path, &text))));
        });
        let mut all: Vec<(usize, Result<T>)> = parts.into_iter().flatten().collect();
        all.sort_unstable_by_key(|(i, _)| *i);
        all
    };
    let parse_batch = &parse_batch;
    std::thread::scope(|s| {
        let mut ready: Vec<(usize, Result<T>)> = Vec::new();
        for (n, batch) in files.chunks(BATCH).enumerate() {
            let next = s.spawn(move || parse_batch(n * BATCH, batch));
            for (i, parsed) in ready.drain(..) {
                each(&files[i], parsed);
            }
            ready = next.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        }
        for (i, parsed) in ready {
            each(&files[i], parsed);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spill_gives_back_its_records_in_order_and_leaves_no_file() {
        let before = spills();
        let mut spill = Spill::new().expect("a spill");
        let records: Vec<Vec<u8>> = (0..5000u32).map(|n| n.to_string().repeat(n as usize % 7).into_bytes()).collect();
        for r in &records {
            spill.push(r).expect("pushed");
        }
        assert_eq!(spill.len(), 5000);
        let mut back = Vec::new();
        spill
            .drain(|r| {
                back.push(r.to_vec());
                Ok(())
            })
            .expect("drained");
        assert_eq!(back, records);
        assert_eq!(spills(), before, "nothing left in the temporary folder");
    }

    fn spills() -> usize {
        let mine = format!(".care-spill-{}-", std::process::id());
        fs::read_dir(std::env::temp_dir())
            .map(|d| d.flatten().filter(|e| e.file_name().to_string_lossy().starts_with(&mine)).count())
            .unwrap_or(0)
    }

    #[test]
    fn hashes_of_equal_names_are_equal_and_of_different_names_differ() {
        assert_eq!(hash(b"20261122-k7f3qz"), hash(b"20261122-k7f3qz"));
        assert_ne!(hash(b"20261122-k7f3qz"), hash(b"20261122-k7f3qa"));
    }
}
