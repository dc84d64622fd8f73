//! What belongs to one clone of a book and never travels through git: the hooks in
//! `.care/hooks/` and the notification state in `.care/notify-state`. A shared book must
//! never run code that arrived through a pull, so a hook is runnable only when it is a
//! regular executable file reached without leaving `.care/hooks`; what git makes of it
//! (tracked? in a submodule?) is asked by the caller through `git.rs`, with the `.git`
//! entries on its way found here. The notification state is held under a lock for a whole
//! run, so two cron runs never both notify, and each notice is journalled as it is told.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Book, Lock, write_atomic};
use crate::error::{Error, Result};

const HOOKS: &str = ".care/hooks";
const NOTIFY_STATE: &str = ".care/notify-state";
/// One line per notice told since the state was last written whole (`NotifyState`).
const NOTIFY_JOURNAL: &str = ".care/notify-journal";
/// Written when a write last swept its folder of what killed writers left (`sweep_due`).
const SWEPT: &str = ".care/swept";

/// What is found at `.care/hooks/<event>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hook {
    /// Nothing there: the event runs nothing, silently.
    Absent,
    /// A file this clone may run: the path to run, the path as the book names it
    /// (`.care/hooks/<event>`, for git and for messages), and, book-relative, the file a
    /// link there leads to (git must not track that one either).
    Runnable { path: PathBuf, name: String, target: String },
    /// Something there that must not run, and why (for a warning).
    Refused(String),
}

impl Book {
    /// The hook for `event`, checked to be a regular, executable file inside
    /// `.care/hooks` (a symlink is followed only when it stays there).
    pub fn hook(&self, event: &str) -> Hook {
        let name = format!("{HOOKS}/{event}");
        let path = self.path(&name);
        let Ok(meta) = fs::symlink_metadata(&path) else { return Hook::Absent };
        let hooks = self.path(HOOKS);
        let (Ok(real), Ok(real_dir), Ok(real_root)) =
            (fs::canonicalize(&path), fs::canonicalize(&hooks), self.real_root().map(Path::to_path_buf))
        else {
            return Hook::Refused(format!("{name} is a link to nothing; remove it or restore its target"));
        };
        // `.care` or `.care/hooks` itself may not lead out of the book either.
        if !real_dir.starts_with(&real_root) || !real.starts_with(&real_dir) {
            return Hook::Refused(format!(
                "{name} leads to {}, outside .care/hooks; only files inside the clone's own .care/hooks run. \
                 Put the script itself there",
                real.display()
            ));
        }
        if meta.file_type().is_symlink() && fs::symlink_metadata(&real).is_err() {
            return Hook::Refused(format!("{name} is a link to nothing; remove it or restore its target"));
        }
        match fs::metadata(&real) {
            Ok(m) if !m.is_file() => Hook::Refused(format!("{name} is not a regular file; make it a script")),
            Ok(m) if !executable(&m) => {
                Hook::Refused(format!("{name} is not executable; make it so with `chmod +x {name}`"))
            }
            Ok(_) => {
                let target =
                    real.strip_prefix(&real_root).map(|r| r.to_string_lossy().into_owned()).unwrap_or_default();
                Hook::Runnable { path: real, name, target }
            }
            Err(e) => Hook::Refused(format!("{name} cannot be read: {e}")),
        }
    }

    /// The book's folder as an absolute, resolved path, for a program run from elsewhere.
    pub fn location(&self) -> String {
        match self.real_root() {
            Ok(real) => real.to_string_lossy().into_owned(),
            Err(_) => {
                std::path::absolute(&self.root).unwrap_or_else(|_| self.root.clone()).to_string_lossy().into_owned()
            }
        }
    }

    /// The `.git` entries (a repository's folder, or the file a submodule or worktree has
    /// in its place) on the way from `folder` (a hook's real folder, inside the book) up to
    /// the filesystem's root: those below the book's own folder are nested repositories, the
    /// first at or above it is where the book's own repository may be. Anything at a `.git`
    /// name that cannot be looked at counts as there.
    pub fn git_entries(&self, folder: &Path) -> GitEntries {
        let mut found = GitEntries::default();
        let Ok(root) = self.real_root() else { return found };
        for dir in folder.ancestors() {
            let git = dir.join(".git");
            let there = !matches!(fs::symlink_metadata(&git), Err(e) if e.kind() == std::io::ErrorKind::NotFound);
            if !there {
                continue;
            }
            if dir != root && dir.starts_with(root) {
                found.nested.get_or_insert(git);
            } else {
                found.above.get_or_insert(git);
                break;
            }
        }
        found
    }

    /// Which part of the way to `.care/hooks/<event>` is a link (`.care`, `.care/hooks` or
    /// the hook itself), as the book names it; `None` when none is.
    pub fn hook_link(&self, event: &str) -> Option<String> {
        [".care".to_string(), HOOKS.to_string(), format!("{HOOKS}/{event}")]
            .into_iter()
            .find(|part| fs::symlink_metadata(self.path(part)).is_ok_and(|m| m.file_type().is_symlink()))
    }
}

/// What `Book::git_entries` found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GitEntries {
    /// The first `.git` in a folder inside the book (the hook's own folder included, the
    /// book's own folder not): the hook belongs to a submodule or a nested repository.
    pub nested: Option<PathBuf>,
    /// The first `.git` at the book's folder or above.
    pub above: Option<PathBuf>,
}

/// The clone's notification state, held under its lock for one run of `care notify`:
/// the state file as last written whole, and the journal of notices told since, one line
/// each, appended and synced right after each hook succeeded. So a run killed anywhere
/// tells again at most the notice whose hook was running, and recording a notice costs one
/// short append however many there are; the journal is folded into the state (written
/// atomically) at the end of a run, or at the start of the next one after a kill.
#[derive(Debug)]
pub struct NotifyState {
    /// The state file's text; `None` when there is none (a first run, or after a reset).
    pub state: Option<String>,
    /// The journal a killed run left; `None` when there is none.
    pub journal: Option<String>,
    state_path: PathBuf,
    journal_path: PathBuf,
    appending: Option<fs::File>,
    _lock: Lock,
}

impl Book {
    /// Take the clone's notification state for a run, after removing it when `reset` (what
    /// was removed is returned, in words). A state or journal that is not a regular file or
    /// cannot be read is an error naming it and the way out (`care notify --reset-state`),
    /// never an empty state: that would tell every notice again, silently.
    pub fn notify_state(&self, reset: bool) -> Result<(NotifyState, Vec<String>)> {
        let (state_path, journal_path) = (self.path(NOTIFY_STATE), self.path(NOTIFY_JOURNAL));
        self.within(&state_path)?;
        let dir = self.path(".care");
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let lock = Lock::acquire(&state_path, self.settings.lock_timeout, &self.warner)?;
        let mut removed = Vec::new();
        if reset {
            for path in [&state_path, &journal_path] {
                if let Some(what) = remove_damaged(path)? {
                    removed.push(format!("removed {} ({what})", path.display()));
                }
            }
        }
        let state = read_notify_file(&state_path)?;
        let journal = read_notify_file(&journal_path)?;
        let held = NotifyState { state, journal, state_path, journal_path, appending: None, _lock: lock };
        Ok((held, removed))
    }
}

impl NotifyState {
    /// The error for a state (or, with `journal`, a journal) that holds what no care wrote.
    pub fn damaged(&self, journal: bool, why: &str) -> Error {
        damaged(if journal { &self.journal_path } else { &self.state_path }, why)
    }

    /// Record one notice as told: `line` appended to the journal and synced before the
    /// next hook runs.
    pub fn record(&mut self, line: &str) -> Result<()> {
        let path = &self.journal_path;
        let mut file = match self.appending.take() {
            Some(file) => file,
            None => {
                let mut options = fs::OpenOptions::new();
                options.append(true).create(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
                }
                let file = options.open(path).map_err(|e| Error::io(path, e))?;
                // The journal's name must outlive a crash as much as its lines.
                if let Some(dir) = path.parent().and_then(|d| fs::File::open(d).ok()) {
                    let _ = dir.sync_all();
                }
                file
            }
        };
        let mut bytes = line.replace('\n', " ").into_bytes();
        bytes.push(b'\n');
        // One write of one line: a kill leaves the line whole or absent (a crash of the
        // machine may leave part of it, which reading ignores).
        file.write_all(&bytes).and_then(|()| file.sync_data()).map_err(|e| Error::io(path, e))?;
        self.appending = Some(file);
        Ok(())
    }

    /// Write the whole state (`text`) atomically, then drop the journal it now holds.
    pub fn save(&mut self, text: &str) -> Result<()> {
        write_atomic(&self.state_path, text)?;
        self.appending = None;
        match fs::remove_file(&self.journal_path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&self.journal_path, e)),
        }
        self.state = Some(text.to_string());
        self.journal = None;
        Ok(())
    }
}

/// A state file as care wrote it, or `None` when there is none; anything else at its name
/// (a directory, a link, a FIFO, bytes that are not text) is damage.
fn read_notify_file(path: &Path) -> Result<Option<String>> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(damaged(path, &format!("it cannot be looked at: {e}"))),
    };
    if !meta.is_file() {
        return Err(damaged(path, &format!("it is {}, not a file care wrote", kind(&meta))));
    }
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| damaged(path, "it is not text")),
        Err(e) => Err(damaged(path, &format!("it cannot be read: {e}"))),
    }
}

fn damaged(path: &Path, why: &str) -> Error {
    Error::Refused(format!(
        "{} is damaged: {why}. care notify stopped before running any hook, since without it every notice \
         would be told again. Run `care notify --reset-state` to start over (every notice due now is then \
         told again, once)",
        path.display()
    ))
}

/// Remove what is at `path` for a reset, saying what it was; a folder only when empty
/// (what someone put in it is not care's to delete).
fn remove_damaged(path: &Path) -> Result<Option<String>> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let what = kind(&meta);
    let removed = if meta.is_dir() { fs::remove_dir(path) } else { fs::remove_file(path) };
    removed.map_err(|e| {
        Error::Refused(format!(
            "{} ({what}) could not be removed ({e}); move it out of the way yourself, then run \
             `care notify` again",
            path.display()
        ))
    })?;
    Ok(Some(what))
}

fn kind(meta: &fs::Metadata) -> String {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory".into()
    } else if t.is_symlink() {
        "a link".into()
    } else if t.is_file() {
        format!("a file of {} bytes", meta.len())
    } else {
        "not a regular file (a FIFO, socket or device)".into()
    }
}

#[cfg(unix)]
fn executable(m: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn executable(_: &fs::Metadata) -> bool {
    true
}

impl Book {
    /// Whether a write should sweep its folder for the temporary files of other records
    /// that killed writers left: in a clone, once every `STALE_AGE` (what makes such a
    /// file stale by age), told by when `.care/swept` was last written, and written now.
    /// Where `.care` cannot be written, every write sweeps, as it did before.
    pub(super) fn sweep_due(&self) -> bool {
        let path = self.path(SWEPT);
        let recent = fs::symlink_metadata(&path)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age < super::write::STALE_AGE));
        if recent {
            return false;
        }
        if self.within(&path).is_ok() && fs::create_dir_all(self.path(".care")).is_ok() {
            let _ = write_atomic(&path, "");
        }
        true
    }
}
