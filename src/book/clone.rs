//! What belongs to one clone of a book and never travels through git: the hooks in
//! `.care/hooks/` and the notification state in `.care/notify-state`. A shared book must
//! never run code that arrived through a pull, so a hook is runnable only when it is a
//! regular executable file reached without leaving `.care/hooks` (the git check, "is this
//! file tracked?", is made by the caller through `git.rs`). The notification state is
//! written atomically under a lock, like a record, so two cron runs never both notify.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Book, Lock, write_atomic};
use crate::error::{Error, Result};

const HOOKS: &str = ".care/hooks";
const NOTIFY_STATE: &str = ".care/notify-state";
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

    /// Run `work` on the clone's notification state (empty when there is none), holding its
    /// lock, and write back what `work` returns (when it is `Some`) atomically.
    pub fn with_notify_state<R>(&self, work: impl FnOnce(&str) -> (Option<String>, R)) -> Result<R> {
        let path = self.path(NOTIFY_STATE);
        self.within(&path)?;
        let dir = self.path(".care");
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let _lock = Lock::acquire(&path, self.settings.lock_timeout)?;
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            // A damaged state only makes notices repeat: start afresh, and say so.
            Err(e) => {
                crate::output::warn(&format!("{} cannot be read ({e}); notices may repeat", path.display()));
                String::new()
            }
        };
        let (new, result) = work(&text);
        if let Some(new) = new.filter(|n| *n != text) {
            write_atomic(&path, &new)?;
        }
        Ok(result)
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
