//! The life of the cache file: where it lives, whether it may be used (inside the book,
//! no link on the way, no journal planted beside it), the refresh in place or else a
//! rebuild into a temporary file renamed over it, or else a mirror built in memory for
//! the run; and the sweep of the temporaries of rebuilds killed mid-way.

use rusqlite::Connection;

use super::*;

/// Where this run's mirror lives.
pub(super) enum Mirror {
    Disk(PathBuf),
    /// Built for this run only; the reason is told to the user.
    Memory(Connection),
}

/// Why a mirror on disk cannot be refreshed in place, so it is rebuilt.
#[derive(Debug)]
pub(super) enum Unusable {
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

/// Temporary mirrors of rebuilds whose process is gone (killed mid-way), where /proc
/// tells; this run's own is removed too, before it starts anew.
pub(super) fn sweep_temporaries(file: &Path) {
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
pub(super) fn sidecar_of(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

impl Book {
    /// The index on disk made true of every record file of `kind`, for book-wide reports,
    /// with what could not be read added to `problems`; None when the cache is off
    /// (`CARE_NO_CACHE`) or cannot be kept in the book: the caller then reads the files.
    pub(super) fn fresh_index(&self, kind: Kind, problems: &mut Vec<Error>) -> Option<PathBuf> {
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
    pub(super) fn fresh_mirror(&self, answer: &mut Answer) -> Result<Mirror> {
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
    pub(super) fn cache_is_ours(&self, file: &Path) -> std::result::Result<(), String> {
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
    pub(super) fn rebuild(&self, file: &Path) -> Result<Vec<(Kind, Error)>> {
        self.rebuild_with(file, &Kind::ALL, false)
    }

    /// `rebuild` from the files of `kinds` only, with the SQL tables filled too when `tables`.
    pub(super) fn rebuild_with(&self, file: &Path, kinds: &[Kind], tables: bool) -> Result<Vec<(Kind, Error)>> {
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
}
