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
//!   never read as records;
//! - nothing outside the book is read or written: a symlink (to a file or a folder, at any
//!   depth, `customers/` and `incidents/` included) is followed only when it leads to a
//!   place inside the book, and a write never goes through a symlinked record (it would
//!   replace the link with a copy and split the record in two);
//! - only regular files are opened: a FIFO named `*.yaml` would block a reader forever;
//! - a writer waits for a lock only so long (`CARE_LOCK_TIMEOUT`), saying whom it waits for.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use walkdir::WalkDir;

use crate::error::{Error, Result};
use crate::model::customer::{self, Pick};
use crate::model::{Config, Customer, Incident, id};
use crate::time::Clock;
use crate::yaml::{self, Doc};

mod clone;
mod index;
mod pending;

pub use clone::Hook;

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
    /// The root with every link resolved, computed once: what "inside the book" means.
    real_root: OnceLock<PathBuf>,
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
        Ok(Book { root, config, clock, rewrite: false, real_root: OnceLock::new() })
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
        let mut problems = Vec::new();
        match fs::symlink_metadata(&dir) {
            Err(_) => return (Vec::new(), Vec::new()),
            Ok(m) if m.file_type().is_symlink() => {
                // `customers/` itself may be a link, but only to a folder in the book.
                if let Err(e) = self.inside(&dir) {
                    return (Vec::new(), vec![e]);
                }
            }
            Ok(_) => {}
        }
        // The folders two levels down (incidents/YYYY/MM) are walked on all cores; the
        // result is in the same order as one walk of the whole tree. The type each entry
        // has comes with the folder listing, so no file costs a `stat` of its own here.
        let mut units = Vec::new();
        for (top, kind) in sorted_children(&dir, &mut problems) {
            if kind.is_some_and(|k| k.is_dir()) && !is_record_name(top.as_os_str()) {
                units.extend(sorted_children(&top, &mut problems));
            } else {
                units.push((top, kind));
            }
        }
        let parts = par_fold(&units, Vec::new, |found: &mut Vec<(usize, Vec<PathBuf>, Vec<Error>)>, i, unit| {
            let (files, errors) = self.walk(&unit.0, unit.1, &[]);
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

    /// The record files at or under `start` (a file or a folder of type `kind`, when the
    /// listing told it), in name order. `links` are the folders reached through symlinks on
    /// the way here, so a link back to one of them is a loop, not an endless walk.
    fn walk(&self, start: &Path, kind: Option<fs::FileType>, links: &[PathBuf]) -> (Vec<PathBuf>, Vec<Error>) {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        let kind = match kind {
            Some(k) => k,
            None => match fs::symlink_metadata(start) {
                Ok(m) => m.file_type(),
                Err(e) => return (files, vec![Error::io(start, e)]),
            },
        };
        if kind.is_symlink() {
            self.follow(start, links, &mut files, &mut problems);
            files.sort_unstable_by(|a, b| path_order(a, b));
            return (files, problems);
        }
        if !kind.is_dir() {
            if is_record_name(start.as_os_str()) {
                if kind.is_file() {
                    files.push(start.to_path_buf());
                } else {
                    problems.push(Error::NotRegular { path: start.to_path_buf(), kind: kind_name(kind) });
                }
            }
            return (files, problems);
        }
        let mut skip: Vec<PathBuf> = Vec::new();
        // Unsorted here; sorted once below by bytes (walkdir's own sort re-parses each
        // path's name for every comparison, a tenth of a whole run on a big book). Links are
        // not followed by walkdir: each is checked below, once, before anything behind it
        // is read.
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
                Ok(e) if e.file_type().is_symlink() => self.follow(e.path(), links, &mut files, &mut problems),
                Ok(e) if is_record_name(e.file_name()) && e.file_type().is_file() => files.push(e.into_path()),
                Ok(e) if is_record_name(e.file_name()) => {
                    problems.push(Error::NotRegular { path: e.path().to_path_buf(), kind: kind_name(e.file_type()) })
                }
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

    /// A symlink met while walking: a record file or a folder inside the book is read
    /// through it; one leading out of the book, to nothing, or back into itself is a
    /// problem, and nothing behind it is read. Links are rare, so resolving each is cheap.
    fn follow(&self, link: &Path, links: &[PathBuf], files: &mut Vec<PathBuf>, problems: &mut Vec<Error>) {
        let record = is_record_name(link.as_os_str());
        let target = match self.inside(link) {
            Ok(t) => t,
            // A dangling link not named like a record may be anything; it is not ours.
            Err(Error::Dangling { .. }) if !record => return,
            Err(e) => return problems.push(e),
        };
        let kind = match fs::metadata(&target) {
            Ok(m) => m.file_type(),
            Err(e) => return problems.push(Error::io(link, e)),
        };
        if kind.is_dir() {
            let here = link.parent().and_then(|p| fs::canonicalize(p).ok());
            if links.contains(&target) || here.is_some_and(|h| h.starts_with(&target)) {
                return problems.push(Error::data(
                    link,
                    1,
                    1,
                    "a symlink to a folder that contains it (a loop); remove the link",
                ));
            }
            let mut chain = links.to_vec();
            chain.push(target);
            let (found, errors) = self.walk_linked(link, &chain);
            files.extend(found);
            problems.extend(errors);
        } else if !record {
        } else if kind.is_file() {
            files.push(link.to_path_buf());
        } else {
            problems.push(Error::NotRegular { path: link.to_path_buf(), kind: kind_name(kind) });
        }
    }

    /// Walk a folder reached through a checked link (walkdir follows its start).
    fn walk_linked(&self, link: &Path, links: &[PathBuf]) -> (Vec<PathBuf>, Vec<Error>) {
        match fs::metadata(link) {
            Ok(m) => self.walk(link, Some(m.file_type()), links),
            Err(e) => (Vec::new(), vec![Error::io(link, e)]),
        }
    }

    /// The book's root with every link resolved.
    fn real_root(&self) -> Result<&Path> {
        if let Some(real) = self.real_root.get() {
            return Ok(real);
        }
        let root = if self.root.as_os_str().is_empty() { Path::new(".") } else { &self.root };
        let real = fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
        Ok(self.real_root.get_or_init(|| real))
    }

    /// Where a symlink leads, if that is inside the book: a link may organise the book,
    /// but never make it read (or later overwrite) a file elsewhere.
    fn inside(&self, link: &Path) -> Result<PathBuf> {
        let target = fs::canonicalize(link).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::Dangling { path: link.to_path_buf() },
            _ => Error::io(link, e),
        })?;
        if target.starts_with(self.real_root()?) {
            Ok(target)
        } else {
            Err(Error::Outside { path: link.to_path_buf(), target })
        }
    }

    /// Check that no folder between the book's root and `path` is a symlink leading out of
    /// the book. A few `lstat`s: done for every single-record read and every write, never
    /// per file of a walk (the walk checks each link it meets instead).
    fn within(&self, path: &Path) -> Result<()> {
        let Ok(rel) = path.strip_prefix(&self.root) else { return Ok(()) };
        let parts: Vec<_> = rel.components().collect();
        let mut at = self.root.clone();
        for part in &parts[..parts.len().saturating_sub(1)] {
            at.push(part);
            if fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
                self.inside(&at)?;
            }
        }
        Ok(())
    }

    /// A record about to be rewritten must be a regular file of its own, reached without
    /// leaving the book. A symlink to another record is refused, not followed: `check`
    /// already calls such an alias an error (its id is not its file name, and the id is
    /// used twice), and a record written through two names would be locked under two
    /// names, so two writers could miss each other.
    fn rewritable(&self, path: &Path) -> Result<()> {
        self.within(path)?;
        let kind = fs::symlink_metadata(path).map_err(|e| Error::io(path, e))?.file_type();
        if kind.is_symlink() {
            let target = self.inside(path)?;
            let shown = match target.strip_prefix(self.real_root()?) {
                Ok(rel) => rel.display().to_string(),
                Err(_) => target.display().to_string(),
            };
            let id = target.file_stem().unwrap_or_default().to_string_lossy();
            return Err(Error::Refused(format!(
                "{} is a symlink to {shown}; care writes a record only through its own file, never through a \
                 link (the link would be replaced by a copy and the record split in two); nothing was changed. \
                 Name the record itself ({id}), or replace the link with the file",
                path.display()
            )));
        }
        if !kind.is_file() {
            return Err(Error::NotRegular { path: path.to_path_buf(), kind: kind_name(kind) });
        }
        Ok(())
    }

    /// A customer record that `check` calls an error is not written to: its id must be
    /// its file name, and no other customer file may have that name. Same messages as
    /// `check`, so the two never disagree.
    fn same_id(&self, path: &Path, text: &str) -> Result<()> {
        if !path.starts_with(self.path(CUSTOMERS)) {
            return Ok(());
        }
        #[derive(serde::Deserialize)]
        struct Id {
            id: Option<String>,
        }
        let Some(id) = yaml::parse::<Id>(path, text)?.id else { return Ok(()) };
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let line = text.lines().position(|l| l.starts_with("id:")).map_or(1, |n| n + 1);
        if id != stem {
            return Err(Error::data(path, line, 1, id::mismatch_message(&id, &stem)));
        }
        if let Some(other) = self.another_customer_file(path, &id) {
            return Err(Error::data(path, line, 1, id::duplicate_message(&id, &other)));
        }
        Ok(())
    }

    /// Another file under `customers/` named `id` (`.yaml` or `.yml`), besides `path`. One
    /// listing of `customers/` (types from the listing, no stat, no path built per file);
    /// only sub-folders, rare, are walked: a single-record write stays fast on a big book.
    fn another_customer_file(&self, path: &Path, id: &str) -> Option<PathBuf> {
        let dir = self.path(CUSTOMERS);
        let named = |p: &Path| p != path && is_record_name(p.as_os_str()) && stem_bytes(p) == id.as_bytes();
        let mut found: Vec<PathBuf> = Vec::new();
        for entry in fs::read_dir(&dir).ok()?.flatten() {
            let name = entry.file_name();
            let Ok(kind) = entry.file_type() else { continue };
            if is_hidden(&name) {
                continue;
            }
            if kind.is_dir() || kind.is_symlink() {
                let (files, _) = self.walk(&entry.path(), Some(kind), &[]);
                found.extend(files.into_iter().filter(|p| named(p)));
            } else if named(&dir.join(&name)) {
                found.push(dir.join(name));
            }
        }
        found.sort_unstable_by(|a, b| path_order(a, b));
        found.into_iter().next()
    }

    /// Remove the temporary files that killed writers left under `customers/` and
    /// `incidents/`: only a file whose writer is gone (or that is older than a few
    /// minutes), and only while holding its record's lock, so no live write can lose its
    /// file. Returns what was removed. Folders reached through links are left alone.
    pub fn remove_stale_temps(&self) -> Vec<PathBuf> {
        let mut removed = Vec::new();
        for sub in [CUSTOMERS, INCIDENTS] {
            let dir = self.path(sub);
            if !fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            let walk = WalkDir::new(&dir).into_iter().filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
            for entry in walk.flatten().filter(|e| e.file_type().is_dir()) {
                removed.extend(sweep_temps(entry.path(), None));
            }
        }
        removed
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
        // An incident id used twice is counted once: the copy whose file name is the id,
        // the first in path order; every other copy is a problem, as `check` says. Names
        // are compared up front (a hash of each name: a few ms on 100,000 files); a file
        // whose id is not its name is rare and set aside until all names are known.
        let mut first: HashMap<&[u8], usize> = HashMap::with_capacity(files.len());
        let mut duplicate = vec![false; files.len()];
        for (i, path) in files.iter().enumerate() {
            if let Some(&j) = first.get(stem_bytes(path)) {
                duplicate[i] = true;
                let id = String::from_utf8_lossy(stem_bytes(path));
                problems.push(Error::data(path, 1, 1, id::duplicate_message(&id, &files[j])));
            } else {
                first.insert(stem_bytes(path), i);
            }
        }
        let index = index::Index::open(self);
        let parts = par_fold(
            &files,
            || (init(), index.run(), Vec::new(), Vec::new()),
            |(acc, run, errors, aside), i, path| {
                if duplicate[i] {
                    return;
                }
                let own_name = |d: &index::Digest| d.incident.id.as_bytes() == stem_bytes(path);
                if let Some(digest) = index.lookup(path, run) {
                    return if own_name(&digest) {
                        fold(acc, &digest.incident, &digest.fields)
                    } else {
                        aside.push((i, digest))
                    };
                }
                match read_text(path)
                    .and_then(|text| yaml::parse_with_fields::<Incident>(path, &text, &Incident::FIELDS))
                {
                    Ok((incident, fields)) => {
                        let digest = index::Digest { incident: incident.digest(), fields };
                        run.push(&index, path, &digest);
                        if own_name(&digest) {
                            fold(acc, &digest.incident, &digest.fields);
                        } else {
                            aside.push((i, digest));
                        }
                    }
                    Err(e) => errors.push((i, e)),
                }
            },
        );
        let mut accumulators = Vec::new();
        let mut runs = Vec::new();
        let mut errors = Vec::new();
        let mut aside = Vec::new();
        for (acc, run, e, a) in parts {
            accumulators.push(acc);
            runs.push(run);
            errors.extend(e);
            aside.extend(a);
        }
        aside.sort_by_key(|(i, _)| *i);
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, digest) in aside {
            let id = &digest.incident.id;
            match first.get(id.as_bytes()).or(seen.get(id)) {
                Some(&j) => errors.push((i, Error::data(&files[i], 1, 1, id::duplicate_message(id, &files[j])))),
                None => {
                    seen.insert(id.clone(), i);
                    fold(&mut accumulators[0], &digest.incident, &digest.fields);
                }
            }
        }
        errors.sort_by_key(|(i, _)| *i);
        problems.extend(errors.into_iter().map(|(_, e)| e));
        index.refresh(self, runs);
        (accumulators, problems)
    }

    pub fn customers(&self) -> Loaded<Customer> {
        self.load(CUSTOMERS)
    }

    /// Every incident, each id once, by the rule `fold_incidents` keeps: the copy whose
    /// file name is its id, the first in path order; other copies are problems.
    pub fn incidents(&self) -> Loaded<Incident> {
        let Loaded { records, mut problems } = self.load::<Incident>(INCIDENTS);
        let own_name = |(path, i): &(PathBuf, Incident)| i.id.as_bytes() == stem_bytes(path);
        let mut first: HashMap<&str, &Path> = HashMap::with_capacity(records.len());
        let mut keep = vec![true; records.len()];
        for pass_own_name in [true, false] {
            for (n, record) in records.iter().enumerate().filter(|(_, r)| own_name(r) == pass_own_name) {
                let (path, incident) = record;
                match first.get(incident.id.as_str()) {
                    Some(earlier) => {
                        keep[n] = false;
                        problems.push(Error::data(path, 1, 1, id::duplicate_message(&incident.id, earlier)));
                    }
                    None => {
                        first.insert(&incident.id, path);
                    }
                }
            }
        }
        drop(first);
        let records = records.into_iter().zip(keep).filter_map(|(r, k)| k.then_some(r)).collect();
        Loaded { records, problems }
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

    /// A record's text, refusing a symlink (to the file or a folder above it) that leads
    /// out of the book.
    pub fn read_text(&self, path: &Path) -> Result<String> {
        self.within(path)?;
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
        self.rewritable(path)?;
        let _lock = Lock::acquire(path)?;
        sweep_temps_beside(path);
        let text = self.read_text(path)?;
        let record: R = yaml::parse(path, &text)?;
        self.same_id(path, &text)?;
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
        // Made anew, never opened through a link planted under its name.
        let _ = fs::remove_file(&scratch);
        let mut file =
            OpenOptions::new().write(true).create_new(true).open(&scratch).map_err(|e| write_error(&scratch, e))?;
        file.write_all(text.as_bytes()).map_err(|e| Error::io(&scratch, e))?;
        Ok(scratch)
    }

    pub fn remove_scratch(&self, scratch: &Path) {
        let _ = fs::remove_file(scratch);
    }

    /// Replace a record with `new`, under its lock, only if it still holds `old`: an edit
    /// made in an editor must not overwrite a note someone added meanwhile.
    pub fn replace_if_unchanged(&self, path: &Path, old: &str, new: &str) -> Result<()> {
        self.rewritable(path)?;
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
        // Checked before and after making the folders: a folder made through a link out
        // of the book would already be a write outside it.
        self.within(path)?;
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| write_error(&dir.join("."), e))?;
        }
        self.within(path)?;
        let _lock = Lock::acquire(path)?;
        sweep_temps_beside(path);
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
    // lstat: a link, even one to nothing, is something that exists.
    if fs::symlink_metadata(path).is_ok() {
        return Err(Error::Refused(format!("{} already exists; nothing was changed", path.display())));
    }
    write_atomic(path, text)
}

/// Run `work` on every file on all cores. Files are handed out in small chunks from a
/// shared counter, so a slow file does not leave a core idle; each thread folds into its
/// own accumulator, and the caller merges them (order-independent by construction).
fn par_fold<A: Send, F: Sync>(
    files: &[F],
    init: impl Fn() -> A + Sync,
    work: impl Fn(&mut A, usize, &F) + Sync,
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
    // Opened without blocking, then asked what it is: opening a FIFO for reading would
    // otherwise wait forever for a writer. Nothing but a regular file is read.
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = options.open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::data(path, 1, 1, "is a folder, not a record file"));
    }
    if !meta.is_file() {
        return Err(Error::NotRegular { path: path.to_path_buf(), kind: kind_name(meta.file_type()) });
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
    // The new file keeps the old one's permissions: a private (0600) record stays private.
    let keep = fs::metadata(path).ok().map(|m| m.permissions());
    let result = (|| {
        // A leftover of a dead process with this pid, or a link planted in its place:
        // removed, and the temporary file made anew (never opened through a link).
        let _ = fs::remove_file(&tmp);
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        if let Some(permissions) = keep {
            file.set_permissions(permissions)?;
        }
        let mut file = std::io::BufWriter::new(file);
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
        write_error(path, e)
    })
}

/// `dir/.NAME.suffix` beside `dir/NAME`.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{suffix}"))
}

/// A failed write, told as "read-only" when that is what it is: a user without write
/// access should hear that, not a raw "Permission denied" on a lock file.
fn write_error(path: &Path, e: std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            Error::ReadOnly { path: path.to_path_buf(), source: e }
        }
        _ => Error::io(path, e),
    }
}

/// How old a temporary file must be before it is taken as left behind even when a
/// process with its pid is alive (the pid may have been reused).
const STALE_AGE: Duration = Duration::from_secs(10 * 60);

/// The record and the pid of a temporary file's name, `.NAME.yaml.tmp-PID`.
fn temp_of(name: &str) -> Option<(&str, u32)> {
    let (record, pid) = name.strip_prefix('.')?.rsplit_once(".tmp-")?;
    is_record_name(OsStr::new(record)).then_some(())?;
    Some((record, pid.parse().ok()?))
}

/// Whether a process with this pid exists, where the system tells (Linux's /proc).
fn pid_alive(pid: u32) -> Option<bool> {
    if cfg!(target_os = "linux") { Some(Path::new("/proc").join(pid.to_string()).exists()) } else { None }
}

/// Temporary files in `dir` that killed writers left. The temporary files of `holding`
/// (a record whose lock the caller holds) are stale whatever their age: every write of
/// a record happens under its lock. Any other record's are removed only when stale (its
/// writer is gone, or the file is old) and only while holding that record's lock, taken
/// without waiting: a record being written now is simply left for next time.
fn sweep_temps(dir: &Path, holding: Option<&OsStr>) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }) else {
        return removed;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((record, pid)) = name.to_str().and_then(temp_of) else { continue };
        let path = entry.path();
        let mine = holding == Some(OsStr::new(record));
        if !mine {
            let old = fs::symlink_metadata(&path)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE_AGE));
            let gone = pid != std::process::id() && pid_alive(pid) == Some(false);
            if !(old || gone) {
                continue;
            }
            let Some(_lock) = Lock::try_acquire(&dir.join(record)) else { continue };
            if fs::remove_file(&path).is_ok() {
                removed.push(path);
            }
            continue;
        }
        if fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// The sweep done by every write, in the folder it writes to, under the record's lock.
fn sweep_temps_beside(path: &Path) {
    if let (Some(dir), Some(name)) = (path.parent(), path.file_name()) {
        sweep_temps(dir, Some(name));
    }
}

/// How long a writer waits for a record's lock: `CARE_LOCK_TIMEOUT` (`10s`, `500ms`,
/// `2m`, or seconds), else 10 seconds — long enough for any real write to finish, short
/// enough that a cron job behind a stopped process fails instead of hanging.
fn lock_timeout() -> Duration {
    const DEFAULT: Duration = Duration::from_secs(10);
    let Some(value) = std::env::var_os("CARE_LOCK_TIMEOUT") else { return DEFAULT };
    let text = value.to_string_lossy().trim().to_ascii_lowercase();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text.as_str(), 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n >= 0.0 && n.is_finite() => Duration::from_secs_f64((n * scale).min(86_400.0)),
        _ => {
            crate::output::warn(&format!(
                "CARE_LOCK_TIMEOUT={text:?} is not a duration (e.g. 10s, 500ms, 2m); waiting the default 10s"
            ));
            DEFAULT
        }
    }
}

/// Who this process is, written into a lock it holds so that a writer left waiting can
/// name it: pid, host and command line.
fn holder_line() -> String {
    let host = fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this machine".into());
    let command: Vec<String> = std::env::args().collect();
    let mut command = command.join(" ");
    if command.len() > 200 {
        let mut end = 200;
        while !command.is_char_boundary(end) {
            end -= 1;
        }
        command.truncate(end);
        command.push('…');
    }
    format!("pid {} on {host}: {command}\n", std::process::id())
}

/// What a lock file says about its holder, made safe to print (it is a file in the book,
/// which anyone with write access could have filled with escape sequences).
fn holder_of(lock: &Path) -> Option<String> {
    let text = fs::read_to_string(lock).ok()?;
    let line: String = text.lines().next()?.chars().take(300).map(|c| if c.is_control() { '?' } else { c }).collect();
    (!line.trim().is_empty()).then_some(line)
}

/// An exclusive advisory lock on a record's sidecar lock file, released on drop.
#[derive(Debug)]
struct Lock(File);

impl Lock {
    fn open(path: &Path) -> Result<(PathBuf, File)> {
        let lock_path = sidecar(path, "lock");
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        // Never through a link: a planted `.NAME.yaml.lock` link must not make the holder
        // line land in a file elsewhere.
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
        }
        let file = options.open(&lock_path).map_err(|e| write_error(&lock_path, e))?;
        Ok((lock_path, file))
    }

    /// Wait for the lock, like git's `index.lock` or SQLite's busy timeout: after a second
    /// say on stderr whom we wait for, and give up after the lock timeout.
    fn acquire(path: &Path) -> Result<Lock> {
        let (lock_path, file) = Lock::open(path)?;
        let timeout = lock_timeout();
        let start = Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&lock_path, e)),
            }
            let waited = start.elapsed();
            if waited >= timeout {
                return Err(Error::LockTimeout { lock: lock_path.clone(), holder: holder_of(&lock_path), waited });
            }
            if !told && waited >= Duration::from_secs(1) {
                told = true;
                let by = holder_of(&lock_path).map(|h| format!(", held by {h}")).unwrap_or_default();
                crate::output::warn(&format!(
                    "waiting for the lock {}{by}; giving up after {:.0?} (CARE_LOCK_TIMEOUT)",
                    lock_path.display(),
                    timeout
                ));
            }
            std::thread::sleep(Duration::from_millis(20).min(timeout - waited));
        }
        // Whoever waits next can name us. A failure here only costs that message.
        let _ = file.set_len(0);
        let _ = (&file).write_all(holder_line().as_bytes());
        Ok(Lock(file))
    }

    /// The lock if it is free right now, else `None` (for cleaning up, never worth a wait).
    fn try_acquire(path: &Path) -> Option<Lock> {
        let (_, file) = Lock::open(path).ok()?;
        file.try_lock().ok()?;
        Some(Lock(file))
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
fn sorted_children(dir: &Path, problems: &mut Vec<Error>) -> Vec<(PathBuf, Option<fs::FileType>)> {
    match fs::read_dir(dir) {
        Ok(entries) => {
            let mut children: Vec<(PathBuf, Option<fs::FileType>)> = entries
                .flatten()
                .filter(|e| !is_hidden(&e.file_name()))
                .map(|e| (e.path(), e.file_type().ok()))
                .collect();
            children.sort_by(|a, b| a.0.file_name().cmp(&b.0.file_name()));
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

/// A file name without its `.yaml`/`.yml`, as bytes: an incident's id when it is named
/// as the book names it.
fn stem_bytes(path: &Path) -> &[u8] {
    let bytes = path.as_os_str().as_encoded_bytes();
    let name = bytes.rsplit(|&b| b == b'/').next().unwrap_or(bytes);
    name.strip_suffix(b".yaml").or_else(|| name.strip_suffix(b".yml")).unwrap_or(name)
}

/// What a file that is not a regular file or a folder is, for messages.
fn kind_name(kind: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "device";
        }
    }
    if kind.is_dir() { "folder" } else { "special file" }
}
