//! Writing records: atomically (a synced temporary file renamed over the record), under the
//! record's lock, never through a link, never over a file that does not parse, keeping the
//! file's permissions; and sweeping the temporary files that killed writers left behind.

use super::*;

impl Book {
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

    /// Edit one record under its lock: read, parse (typed and as a document), let `edit`
    /// change the document, and write it back atomically. If the file does not parse,
    /// `edit` is not called and nothing is written.
    pub fn edit<R, T>(&self, path: &Path, edit: impl FnOnce(&R, &mut Doc) -> Result<T>) -> Result<T>
    where
        R: DeserializeOwned,
    {
        self.edit_listed(path, None, edit)
    }

    /// `edit` for one of many customers written by one command: `listed` (from the
    /// customers it read) tells which files share a name, instead of a listing per write.
    pub fn edit_listed<R, T>(
        &self,
        path: &Path,
        listed: Option<&Listed>,
        edit: impl FnOnce(&R, &mut Doc) -> Result<T>,
    ) -> Result<T>
    where
        R: DeserializeOwned,
    {
        self.rewritable(path)?;
        let _lock = Lock::acquire(path, self.settings.lock_timeout, &self.warner)?;
        self.sweep_beside(path);
        let text = self.read_text(path)?;
        let record: R = yaml::parse(path, &text)?;
        let seen = self.same_id(path, &text, listed)?;
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
            self.warner.warn(&format!(
                "{}: its layout could not be kept, so it was rewritten in canonical form (comments dropped)",
                path.display()
            ));
        }
        write_record(path, &rendered.text)?;
        self.restamp(seen);
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
        let _lock = Lock::acquire(path, self.settings.lock_timeout, &self.warner)?;
        if self.read_text(path)? != old {
            return Err(Error::Refused(format!(
                "{} changed while you were editing it; nothing was written",
                path.display()
            )));
        }
        write_record(path, new)
    }

    /// Remove a record (the dropped half of `customer merge`), under its lock, only if it is a
    /// regular file of its own (never through a link, like every writer) and still holds
    /// `expected`: what someone added to it meanwhile must not vanish with it.
    pub fn remove_record(&self, path: &Path, expected: &str) -> Result<()> {
        self.rewritable(path)?;
        let _lock = Lock::acquire(path, self.settings.lock_timeout, &self.warner)?;
        self.sweep_beside(path);
        if self.read_text(path)? != expected {
            return Err(Error::Refused(format!(
                "{} changed while it was being merged; it was not removed. Run the merge again to carry the change over",
                path.display()
            )));
        }
        fs::remove_file(path).map_err(|e| write_error(path, e))?;
        if let Some(dir) = path.parent().and_then(|d| File::open(d).ok()) {
            let _ = dir.sync_all();
        }
        Ok(())
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
        let _lock = Lock::acquire(path, self.settings.lock_timeout, &self.warner)?;
        self.sweep_beside(path);
        refuse_existing(path)?;
        write_record(path, text)
    }

    /// The sweep a write makes under its record's lock: the record's own leftover (its
    /// fixed temporary name) at once; the folder's other leftovers when a sweep is due
    /// (`sweep_due`), as listing a folder of 100,000 customers takes longer than the
    /// rest of the write. A leftover is hidden from every reader, so one that waits a few
    /// minutes, or for `care check`, harms nothing.
    fn sweep_beside(&self, path: &Path) {
        let _ = fs::remove_file(record_temp(path));
        if self.sweep_due() {
            sweep_temps_beside(path);
        }
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

pub(super) fn create_new(path: &Path, text: &str) -> Result<()> {
    refuse_existing(path)?;
    write_atomic(path, text)
}

fn refuse_existing(path: &Path) -> Result<()> {
    // lstat: a link, even one to nothing, is something that exists.
    if fs::symlink_metadata(path).is_ok() {
        return Err(Error::Exists(path.to_path_buf()));
    }
    Ok(())
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

/// Replace `path` with `text` atomically: write a sibling temporary file, sync it, rename.
pub(super) fn write_atomic(path: &Path, text: &str) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(text.as_bytes()))
}

/// The same, with the content streamed by `write` (a large cache need not sit in memory).
pub(super) fn write_atomic_with(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    write_through(path, &sidecar(path, &format!("tmp-{}", std::process::id())), write)
}

/// `write_atomic` for a record, under its lock: the temporary file has the record's one
/// fixed name (`.NAME.yaml.tmp`), as only the lock's holder writes it, so what a killed
/// writer left is replaced by the next write of the record, found without a listing.
fn write_record(path: &Path, text: &str) -> Result<()> {
    // What no reader would take back (`check`'s `too-big`) is never written.
    if text.len() > yaml::MAX_BYTES {
        return Err(Error::Usage(format!(
            "{}: this change would make the record {} bytes, over the 1 MiB ({} bytes) a record may hold; \
             nothing was written. Keep long texts outside the book and note where they are",
            path.display(),
            text.len(),
            yaml::MAX_BYTES
        )));
    }
    write_through(path, &record_temp(path), |w| w.write_all(text.as_bytes()))
}

/// A record's temporary file while it is written under its lock.
fn record_temp(path: &Path) -> PathBuf {
    sidecar(path, "tmp")
}

/// Write `path` through the temporary file `tmp`: written, synced, renamed over it.
fn write_through(path: &Path, tmp: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // The new file keeps the old one's permissions: a private (0600) record stays private.
    let keep = fs::metadata(path).ok().map(|m| m.permissions());
    let result = (|| {
        // A leftover of a dead writer, or a link planted in its place: removed, and the
        // temporary file made anew (never opened through a link).
        let _ = fs::remove_file(tmp);
        let file = OpenOptions::new().write(true).create_new(true).open(tmp)?;
        if let Some(permissions) = keep {
            file.set_permissions(permissions)?;
        }
        let mut file = std::io::BufWriter::new(file);
        write(&mut file)?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(tmp, path)?;
        // Make the rename itself durable; not every platform lets a folder be synced.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e: std::io::Error| {
        let _ = fs::remove_file(tmp);
        write_error(path, e)
    })
}

/// `dir/.NAME.suffix` beside `dir/NAME`.
pub(super) fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{suffix}"))
}

/// A failed write, told as "read-only" when that is what it is: a user without write
/// access should hear that, not a raw "Permission denied" on a lock file.
pub(super) fn write_error(path: &Path, e: std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            Error::ReadOnly { path: path.to_path_buf(), source: e }
        }
        _ => Error::io(path, e),
    }
}

/// How old a temporary file must be before it is taken as left behind even when a
/// process with its pid is alive (the pid may have been reused).
pub(super) const STALE_AGE: Duration = Duration::from_secs(10 * 60);

/// The record and the writer's pid of a temporary file's name: `.NAME.yaml.tmp-PID`, or
/// `.NAME.yaml.tmp` (a record written under its lock, no pid).
pub(super) fn temp_of(name: &str) -> Option<(&str, Option<u32>)> {
    let name = name.strip_prefix('.')?;
    let (record, pid) = match name.strip_suffix(".tmp") {
        Some(record) => (record, None),
        None => name.rsplit_once(".tmp-").and_then(|(record, pid)| Some((record, Some(pid.parse().ok()?))))?,
    };
    is_record_name(OsStr::new(record)).then_some(())?;
    Some((record, pid))
}

/// Whether a process with this pid exists, where the system tells (Linux's /proc).
pub(super) fn pid_alive(pid: u32) -> Option<bool> {
    if cfg!(target_os = "linux") { Some(Path::new("/proc").join(pid.to_string()).exists()) } else { None }
}

/// Temporary files in `dir` that killed writers left. The temporary files of `holding`
/// (a record whose lock the caller holds) are stale whatever their age: every write of
/// a record happens under its lock. Any other record's are removed only when stale (its
/// writer is gone, or the file is old, or it has the record's fixed name) and only while
/// holding that record's lock, taken without waiting: a record being written now is
/// simply left for next time.
pub(super) fn sweep_temps(dir: &Path, holding: Option<&OsStr>) -> Vec<PathBuf> {
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
            // A record's fixed-name temporary file is written only under its lock: if the
            // lock can be had below, its writer is gone.
            let gone = pid.is_none_or(|pid| pid != std::process::id() && pid_alive(pid) == Some(false));
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
pub(super) fn sweep_temps_beside(path: &Path) {
    if let (Some(dir), Some(name)) = (path.parent(), path.file_name()) {
        sweep_temps(dir, Some(name));
    }
}
