//! The book on disk: finding it, reading its records, and writing them safely. This is the
//! only module that touches the filesystem, so every write goes through the same lock and
//! the same atomic rename.
//!
//! Safety rules, all enforced here:
//! - a write replaces a file by renaming a fully written and synced temporary file from
//!   the same folder over it, so a reader or a crash sees the old or the new file, never
//!   half of one;
//! - writers to one record are serialised by an advisory lock on a sidecar file
//!   (`.NAME.yaml.lock`): the rename replaces the record's inode, so the record itself
//!   cannot carry the lock;
//! - a record is read, parsed and edited under that lock, and a record that does not parse
//!   is never written;
//! - temporary and lock files start with a dot and do not end in `.yaml`, so they are
//!   never read as records.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use walkdir::WalkDir;

use crate::error::{Error, Result};
use crate::model::customer::{self, Pick};
use crate::model::{Config, Customer, Incident, id};
use crate::time::Clock;
use crate::yaml::{self, Doc};

mod index;
mod pending;

pub const CONFIG_FILE: &str = "care.yaml";
pub const CUSTOMERS: &str = "customers";
pub const INCIDENTS: &str = "incidents";

/// What git must not track in a book: lock, temporary and editor scratch files, the cache.
pub const IGNORED: [&str; 4] = [".*.lock", ".*.tmp-*", ".*.edit-*", ".care/"];

/// A record's top-level scalar fields as text.
pub type Fields = std::collections::BTreeMap<String, String>;

#[derive(Debug)]
pub struct Book {
    pub root: PathBuf,
    pub config: Config,
    pub clock: Clock,
    /// `--rewrite`: an edit that cannot keep a file's own layout may rewrite it in
    /// canonical form; without it such an edit is refused.
    pub rewrite: bool,
}

/// Records of one kind read from the book, and the files that could not be read.
#[derive(Debug)]
pub struct Loaded<T> {
    pub records: Vec<(PathBuf, T)>,
    pub problems: Vec<Error>,
}

/// Where the book is: the folder given (by `-C` or `CARE_BOOK`), else the first folder
/// from `start` upwards that holds `care.yaml`. The result is relative to `start` when it
/// is found by walking, so messages name files as the user would type them.
pub fn find_root(given: Option<&Path>, start: &Path) -> Result<PathBuf> {
    if let Some(dir) = given {
        if dir.join(CONFIG_FILE).is_file() {
            return Ok(dir.to_path_buf());
        }
        return Err(Error::Refused(format!(
            "{} is not a care book (it has no {CONFIG_FILE}); create one with `care init {}`",
            dir.display(),
            dir.display()
        )));
    }
    let mut relative = PathBuf::new();
    for dir in start.ancestors() {
        if dir.join(CONFIG_FILE).is_file() {
            return Ok(relative);
        }
        relative.push("..");
    }
    Err(Error::NoBook(start.to_path_buf()))
}

impl Book {
    /// Open the book at `root`: read its settings and set its clock.
    pub fn open(root: PathBuf) -> Result<Book> {
        let path = root.join(CONFIG_FILE);
        let text = read_text(&path)?;
        let config: Config = if text.trim().is_empty() { Config::default() } else { yaml::parse(&path, &text)? };
        let clock = Clock::from_env(config.timezone).map_err(Error::Usage)?;
        Ok(Book { root, config, clock, rewrite: false })
    }

    /// Create a new book in `dir`, which may exist but must not hold a book.
    pub fn init(dir: &Path, config_text: &str) -> Result<()> {
        let config = dir.join(CONFIG_FILE);
        if config.exists() {
            return Err(Error::Refused(format!(
                "{} already holds a book ({} exists); nothing was changed",
                dir.display(),
                config.display()
            )));
        }
        for sub in [CUSTOMERS, INCIDENTS] {
            fs::create_dir_all(dir.join(sub)).map_err(|e| Error::io(&dir.join(sub), e))?;
        }
        let ignore = dir.join(".gitignore");
        if !ignore.exists() {
            let mut text = String::from("# care's lock, temporary and cache files\n");
            IGNORED.iter().for_each(|p| text.push_str(&format!("{p}\n")));
            write_atomic(&ignore, &text)?;
        }
        create_new(&config, config_text)
    }

    pub fn path(&self, sub: &str) -> PathBuf {
        self.root.join(sub)
    }

    /// Where a new customer record goes.
    pub fn customer_path(&self, id: &str) -> PathBuf {
        self.path(CUSTOMERS).join(format!("{id}.yaml"))
    }

    /// Where an incident's record goes: `incidents/YYYY/MM/<id>.yaml`, from the id's date.
    pub fn incident_path(&self, id: &str) -> PathBuf {
        let (year, month) = (id.get(0..4).unwrap_or("0000"), id.get(4..6).unwrap_or("00"));
        self.path(INCIDENTS).join(year).join(month).join(format!("{id}.yaml"))
    }

    /// Every record file under `customers/` or `incidents/`, in a stable order.
    pub fn record_files(&self, sub: &str) -> (Vec<PathBuf>, Vec<Error>) {
        let dir = self.path(sub);
        if !dir.exists() {
            return (Vec::new(), Vec::new());
        }
        // The folders two levels down (incidents/YYYY/MM) are walked on all cores; the
        // result is in the same order as one walk of the whole tree.
        let mut units = Vec::new();
        let mut problems = Vec::new();
        for top in sorted_children(&dir, &mut problems) {
            let real_dir = fs::symlink_metadata(&top).is_ok_and(|m| m.is_dir());
            if real_dir && !is_record_name(top.as_os_str()) {
                units.extend(sorted_children(&top, &mut problems));
            } else {
                units.push(top);
            }
        }
        let parts = par_fold(&units, Vec::new, |found: &mut Vec<(usize, Vec<PathBuf>, Vec<Error>)>, i, unit| {
            let (files, errors) = self.walk(unit);
            found.push((i, files, errors));
        });
        let mut parts: Vec<_> = parts.into_iter().flatten().collect();
        parts.sort_by_key(|(i, _, _)| *i);
        let mut files = Vec::with_capacity(parts.iter().map(|(_, f, _)| f.len()).sum());
        for (_, f, e) in parts {
            files.extend(f);
            problems.extend(e);
        }
        (files, problems)
    }

    /// The record files at or under `start` (a file or a folder), in name order.
    fn walk(&self, start: &Path) -> (Vec<PathBuf>, Vec<Error>) {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        let mut skip: Vec<PathBuf> = Vec::new();
        // Unsorted here; sorted once below by bytes (walkdir's own sort re-parses each
        // path's name for every comparison, a tenth of a whole run on a big book).
        let walk = WalkDir::new(start).into_iter().filter_entry(|e| !is_hidden(e.file_name()));
        for entry in walk {
            if entry.as_ref().is_ok_and(|e| skip.iter().any(|s| e.path().starts_with(s))) {
                continue;
            }
            match entry {
                Ok(e) if e.file_type().is_dir() && is_record_name(e.file_name()) => {
                    problems.push(Error::data(e.path(), 1, 1, "is a folder named like a record; rename it"));
                    skip.push(e.into_path());
                }
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) if is_record_name(e.file_name()) && e.path_is_symlink() => match self.inside(e.path()) {
                    Ok(()) => files.push(e.into_path()),
                    Err(problem) => problems.push(problem),
                },
                Ok(e) if is_record_name(e.file_name()) => files.push(e.into_path()),
                Ok(_) => {}
                Err(e) => {
                    let path = e.path().unwrap_or(start).to_path_buf();
                    problems.push(Error::io(&path, e.into_io_error().unwrap_or_else(|| std::io::Error::other("loop"))));
                }
            }
        }
        files.sort_unstable_by(|a, b| path_order(a, b));
        (files, problems)
    }

    /// A symlinked record must lead to a file inside the book: a link may organise the
    /// book, but never make it read (or later overwrite) a file elsewhere.
    fn inside(&self, link: &Path) -> Result<()> {
        let target = fs::canonicalize(link).map_err(|e| {
            Error::data(link, 1, 1, format!("a symlink to nothing ({e}); remove it or restore its target"))
        })?;
        let root = if self.root.as_os_str().is_empty() { Path::new(".") } else { &self.root };
        let root = fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
        if target.starts_with(&root) {
            Ok(())
        } else {
            Err(Error::data(
                link,
                1,
                1,
                format!("a symlink to {}, outside the book; records must live in the book", target.display()),
            ))
        }
    }

    /// Read and parse every record of a kind. Broken files are collected, not fatal.
    pub fn load<T: DeserializeOwned + Send>(&self, sub: &str) -> Loaded<T> {
        self.load_with(sub, yaml::parse::<T>)
    }

    /// Read every record of a kind and turn each file's text into a `T` with `parse`, on
    /// all cores; the records come back in the book's order.
    pub fn load_with<T: Send>(&self, sub: &str, parse: impl Fn(&Path, &str) -> Result<T> + Sync) -> Loaded<T> {
        let (files, mut problems) = self.record_files(sub);
        let parts = par_fold(&files, Vec::new, |found: &mut Vec<(usize, Result<T>)>, i, path| {
            found.push((i, read_text(path).and_then(|text| parse(path, &text))));
        });
        let mut all: Vec<(usize, Result<T>)> = parts.into_iter().flatten().collect();
        all.sort_by_key(|(i, _)| *i);
        let mut records = Vec::with_capacity(files.len());
        for ((_, result), path) in all.into_iter().zip(files) {
            match result {
                Ok(record) => records.push((path, record)),
                Err(e) => problems.push(e),
            }
        }
        Loaded { records, problems }
    }

    /// Fold every incident, as reports see it, into per-core accumulators: through the
    /// index in `.care/cache` where it is still true of the file, else by reading the file
    /// (and then refreshing the index). Memory stays small: no incident is kept.
    pub fn fold_incidents<A: Send>(
        &self,
        init: impl Fn() -> A + Sync,
        fold: impl Fn(&mut A, &Incident, &Fields) + Sync,
    ) -> (Vec<A>, Vec<Error>) {
        let (files, mut problems) = self.record_files(INCIDENTS);
        let index = index::Index::open(self);
        let parts = par_fold(
            &files,
            || (init(), index.run(), Vec::new()),
            |(acc, run, errors), i, path| {
                if let Some(digest) = index.lookup(path, run) {
                    return fold(acc, &digest.incident, &digest.fields);
                }
                match read_text(path)
                    .and_then(|text| yaml::parse_with_fields::<Incident>(path, &text, &Incident::FIELDS))
                {
                    Ok((incident, fields)) => {
                        let digest = index::Digest { incident: incident.digest(), fields };
                        fold(acc, &digest.incident, &digest.fields);
                        run.push(&index, path, &digest);
                    }
                    Err(e) => errors.push((i, e)),
                }
            },
        );
        let mut accumulators = Vec::new();
        let mut runs = Vec::new();
        let mut errors = Vec::new();
        for (acc, run, e) in parts {
            accumulators.push(acc);
            runs.push(run);
            errors.extend(e);
        }
        errors.sort_by_key(|(i, _)| *i);
        problems.extend(errors.into_iter().map(|(_, e)| e));
        index.refresh(self, runs);
        (accumulators, problems)
    }

    pub fn customers(&self) -> Loaded<Customer> {
        self.load(CUSTOMERS)
    }

    pub fn incidents(&self) -> Loaded<Incident> {
        self.load(INCIDENTS)
    }

    /// The file of the customer with this id, wherever under `customers/` it is.
    pub fn customer_file(&self, id: &str) -> Option<PathBuf> {
        id::check_customer_id(id).ok()?;
        let direct = self.customer_path(id);
        if direct.is_file() {
            return Some(direct);
        }
        let (files, _) = self.record_files(CUSTOMERS);
        files.into_iter().find(|p| p.file_stem().is_some_and(|s| s == id))
    }

    /// The customer named by `query`: an id, or a unique case-insensitive part of a name.
    /// An id whose file sits where new records go is read without loading the book.
    pub fn find_customer(&self, query: &str) -> Result<(PathBuf, Customer)> {
        let query = query.trim();
        if query.is_empty() {
            return Err(Error::Usage("a customer id or name is needed".into()));
        }
        if id::check_customer_id(query).is_ok() {
            let direct = self.customer_path(query);
            if direct.is_file() {
                return Ok((direct.clone(), self.read(&direct)?));
            }
        }
        let loaded = self.customers();
        let customers: Vec<&Customer> = loaded.records.iter().map(|(_, c)| c).collect();
        match customer::pick(query, &customers) {
            Pick::One(i) => Ok(loaded.records.into_iter().nth(i).expect("pick returns an index into the list")),
            Pick::Many(found) => Err(Error::Ambiguous {
                what: "customer",
                input: query.to_string(),
                candidates: found.iter().map(|&i| format!("{}  ({})", customers[i].id, customers[i].name)).collect(),
            }),
            Pick::None => {
                let unread = loaded.problems.len();
                let also = if unread > 0 {
                    format!(" ({unread} customer files could not be read; run `care check`)")
                } else {
                    String::new()
                };
                Err(Error::NotFound(format!(
                    "no customer matches {query:?}{also}; `care customer list` shows them all, `care customer add` adds one"
                )))
            }
        }
    }

    /// The incident named by `query`: its id, a unique prefix of it, or of its random part.
    pub fn find_incident(&self, query: &str) -> Result<(PathBuf, Incident)> {
        let query = query.trim().to_ascii_lowercase();
        id::check_incident_id(&query).map_err(Error::Usage)?;
        if query.len() > 9 {
            let direct = self.incident_path(&query);
            if direct.is_file() {
                return Ok((direct.clone(), self.read(&direct)?));
            }
        }
        let (files, _) = self.record_files(INCIDENTS);
        let found: Vec<PathBuf> = files
            .into_iter()
            .filter(|p| {
                let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                stem.starts_with(&query) || stem.split_once('-').is_some_and(|(_, random)| random.starts_with(&query))
            })
            .collect();
        match found.as_slice() {
            [one] => Ok((one.clone(), self.read(one)?)),
            [] => Err(Error::NotFound(format!("no incident matches {query:?}; `care recover list` shows them"))),
            many => Err(Error::Ambiguous {
                what: "incident",
                input: query,
                candidates: many
                    .iter()
                    .map(|p| p.file_stem().unwrap_or_default().to_string_lossy().into_owned())
                    .collect(),
            }),
        }
    }

    /// The customer with exactly this id, if there is one (no name matching, no full load
    /// unless the file is not where new records go).
    pub fn customer_by_id(&self, id: &str) -> Result<Option<Customer>> {
        match self.customer_file(id) {
            Some(path) => self.read(&path).map(Some),
            None => Ok(None),
        }
    }

    /// The incidents a customer's record links to (every `recover open` adds a misstep and
    /// a flag naming its incident), read by id without walking the book.
    pub fn linked_incidents(&self, customer: &Customer) -> (Vec<Incident>, Vec<Error>) {
        let mut ids: Vec<&str> = crate::model::Section::ALL
            .iter()
            .flat_map(|&s| customer.entries(s))
            .filter_map(|e| e.incident.as_deref())
            .chain(customer.flags.iter().filter_map(|f| f.incident.as_deref()))
            .collect();
        // An opening whose second write has not happened yet is still this customer's.
        let pending = self.pending_incidents_of(&customer.id);
        ids.extend(pending.iter().map(String::as_str));
        ids.sort_unstable();
        ids.dedup();
        let (mut found, mut problems) = (Vec::new(), Vec::new());
        for id in ids {
            let path = self.incident_path(id);
            if id::check_incident_id(id).is_err() || !path.is_file() {
                continue;
            }
            match self.read::<Incident>(&path) {
                Ok(i) => found.push(i),
                Err(e) => problems.push(e),
            }
        }
        (found, problems)
    }

    /// Read one record by path.
    pub fn read<T: DeserializeOwned>(&self, path: &Path) -> Result<T> {
        yaml::parse(path, &self.read_text(path)?)
    }

    /// A record's text, refusing a symlink that leads out of the book.
    pub fn read_text(&self, path: &Path) -> Result<String> {
        if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            self.inside(path)?;
        }
        read_text(path)
    }

    /// Edit one record under its lock: read, parse (typed and as a document), let `edit`
    /// change the document, and write it back atomically. If the file does not parse,
    /// `edit` is not called and nothing is written.
    pub fn edit<R, T>(&self, path: &Path, edit: impl FnOnce(&R, &mut Doc) -> Result<T>) -> Result<T>
    where
        R: DeserializeOwned,
    {
        let _lock = Lock::acquire(path)?;
        remove_stale_temps(path);
        let text = self.read_text(path)?;
        let record: R = yaml::parse(path, &text)?;
        let mut doc = Doc::parse(path, &text)?;
        let out = edit(&record, &mut doc)?;
        let rendered = doc.rendered()?;
        if rendered.relayout && !self.rewrite {
            let comments = if rendered.loses_comments { ", dropping its comments" } else { "" };
            return Err(Error::Refused(format!(
                "{}: this change cannot be made without rewriting the whole file (its layout is not one care \
                 can edit line by line); nothing was changed. Run the command again with --rewrite to rewrite \
                 it in canonical form{comments}, or make the change by hand with `care edit`",
                path.display()
            )));
        }
        if rendered.relayout && rendered.loses_comments {
            crate::output::warn(&format!(
                "{}: its layout could not be kept, so it was rewritten in canonical form (comments dropped)",
                path.display()
            ));
        }
        write_atomic(path, &rendered.text)?;
        Ok(out)
    }

    /// A private copy of a record for an editor: hidden, beside it, ending in `.yaml` so
    /// editors highlight it, never read as a record.
    pub fn scratch_copy(&self, path: &Path, text: &str) -> Result<PathBuf> {
        let scratch = sidecar(path, &format!("edit-{}.yaml", std::process::id()));
        fs::write(&scratch, text).map_err(|e| Error::io(&scratch, e))?;
        Ok(scratch)
    }

    pub fn remove_scratch(&self, scratch: &Path) {
        let _ = fs::remove_file(scratch);
    }

    /// Replace a record with `new`, under its lock, only if it still holds `old`: an edit
    /// made in an editor must not overwrite a note someone added meanwhile.
    pub fn replace_if_unchanged(&self, path: &Path, old: &str, new: &str) -> Result<()> {
        let _lock = Lock::acquire(path)?;
        if self.read_text(path)? != old {
            return Err(Error::Refused(format!(
                "{} changed while you were editing it; nothing was written",
                path.display()
            )));
        }
        write_atomic(path, new)
    }

    /// Write a new record; refuses to replace an existing file.
    pub fn create(&self, path: &Path, text: &str) -> Result<()> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let _lock = Lock::acquire(path)?;
        create_new(path, text)
    }
}

/// Write a file of a book being generated (`care sample-book`): no lock, no rename — nobody
/// else can be using a book that does not exist yet, and 100,000 files must be quick.
pub fn write_fresh(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.exists()) {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    fs::write(path, text).map_err(|e| Error::io(path, e))
}

fn create_new(path: &Path, text: &str) -> Result<()> {
    if path.exists() {
        return Err(Error::Refused(format!("{} already exists; nothing was changed", path.display())));
    }
    write_atomic(path, text)
}

/// Run `work` on every file on all cores. Files are handed out in small chunks from a
/// shared counter, so a slow file does not leave a core idle; each thread folds into its
/// own accumulator, and the caller merges them (order-independent by construction).
fn par_fold<A: Send>(
    files: &[PathBuf],
    init: impl Fn() -> A + Sync,
    work: impl Fn(&mut A, usize, &Path) + Sync,
) -> Vec<A> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    // Small chunks for a few big jobs (folders), chunks of 64 for many small ones (files).
    let chunk = (files.len() / (cores * 8)).clamp(1, 64);
    let threads = cores.min(files.len().div_ceil(chunk)).max(1);
    let next = AtomicUsize::new(0);
    let run = || {
        let mut acc = init();
        loop {
            let start = next.fetch_add(chunk, Ordering::Relaxed);
            if start >= files.len() {
                return acc;
            }
            for (i, path) in files.iter().enumerate().skip(start).take(chunk) {
                work(&mut acc, i, path);
            }
        }
    };
    if threads == 1 {
        return vec![run()];
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(run)).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

/// Make sure `path` (a `.gitignore` or `.gitattributes`) holds each of `lines`, appending
/// the missing ones under `comment`; returns the lines it added. Other lines are left alone.
pub fn ensure_lines(path: &Path, comment: &str, lines: &[String]) -> Result<Vec<String>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(path, e)),
    };
    let have: Vec<&str> = text.lines().map(str::trim).collect();
    let missing: Vec<String> = lines.iter().filter(|l| !have.contains(&l.as_str())).cloned().collect();
    if missing.is_empty() {
        return Ok(missing);
    }
    let mut new = text.clone();
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    new.push_str(&format!("# {comment}\n"));
    missing.iter().for_each(|l| new.push_str(&format!("{l}\n")));
    write_atomic(path, &new)?;
    Ok(missing)
}

/// Replace a file that is not a record (such as the file git hands a merge driver) safely.
pub fn write_file(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, text)
}

/// Read a file given on the command line (`-`: stdin), such as a spreadsheet to import.
pub fn read_input(path: &Path) -> Result<String> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    } else {
        bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    }
    utf8(path, bytes)
}

/// Read a record's text: bounded in size, and valid UTF-8 or an error saying where not.
pub fn read_text(path: &Path) -> Result<String> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::data(path, 1, 1, "is a folder, not a record file"));
    }
    yaml::check_size(path, usize::try_from(meta.len()).unwrap_or(usize::MAX))?;
    let mut bytes = Vec::new();
    file.take(yaml::MAX_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    yaml::check_size(path, bytes.len())?;
    utf8(path, bytes)
}

/// Bytes as text, or an error naming the line and column of the first invalid byte.
fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = good.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        Error::data(path, line, column, "not valid UTF-8 text; save the file as UTF-8 (in Excel: CSV UTF-8)")
    })
}

/// Replace `path` with `text` atomically: write a sibling temporary file, sync it, rename.
fn write_atomic(path: &Path, text: &str) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(text.as_bytes()))
}

/// The same, with the content streamed by `write` (a large cache need not sit in memory).
fn write_atomic_with(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = sidecar(path, &format!("tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::io::BufWriter::new(File::create(&tmp)?);
        write(&mut file)?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        // Make the rename itself durable; not every platform lets a folder be synced.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e: std::io::Error| {
        let _ = fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// `dir/.NAME.suffix` beside `dir/NAME`.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{suffix}"))
}

/// Temporary files left by a writer that was killed; only called under the record's lock,
/// when no other writer of that record can be running.
fn remove_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// An exclusive advisory lock on a record's sidecar lock file, released on drop.
struct Lock(File);

impl Lock {
    fn acquire(path: &Path) -> Result<Lock> {
        let lock_path = sidecar(path, "lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        file.lock().map_err(|e| Error::io(&lock_path, e))?;
        Ok(Lock(file))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// Paths in the order a walk sorted by name gives (folder by folder): bytes, with the
/// separator taken as the smallest of all.
fn path_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    let key = |c: &u8| if *c == b'/' { 0 } else { *c };
    a.as_os_str().as_encoded_bytes().iter().map(key).cmp(b.as_os_str().as_encoded_bytes().iter().map(key))
}

/// The entries of a folder that are not hidden, by name; a folder that cannot be read is
/// a problem, not a stop.
fn sorted_children(dir: &Path, problems: &mut Vec<Error>) -> Vec<PathBuf> {
    match fs::read_dir(dir) {
        Ok(entries) => {
            let mut children: Vec<PathBuf> =
                entries.flatten().filter(|e| !is_hidden(&e.file_name())).map(|e| e.path()).collect();
            children.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
            children
        }
        Err(e) => {
            problems.push(Error::io(dir, e));
            Vec::new()
        }
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

fn is_record_name(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.ends_with(".yaml") || name.ends_with(".yml")
}
