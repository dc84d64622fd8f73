//! Errors and the exit status each one maps to.
//!
//! PRODUCT.md promises three exit statuses: 0 success, 1 the command could not do its job,
//! 2 bad usage. A command that answers a question by its status (`followup due
//! --exit-code`, `lexicon check`) adds a fourth, `FOUND`, so that a script can always tell
//! "something was listed" from "could not look" (a missing book, an unreadable file).
//! Every failure is one variant here, so the mapping is made in one place and every
//! message says what is wrong and where. What to do about it is the error's hint, kept
//! apart from the message (`Error::hint`, printed as its own `hint: …` line), so that a
//! script, `care check` or the page can show the fault and the advice each in its place.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The status of a command that did its job and found something to report: 3, because 1
/// (could not do the job) and 2 (bad usage) are taken. `git diff --exit-code` and `grep`
/// use 1 for this, and so cannot tell a finding from a failure without reading stderr.
pub const FOUND: i32 = 3;

#[derive(Debug)]
pub enum Error {
    /// A bad argument or option value: the user should change the command line.
    Usage(String),
    /// No `care.yaml` above the starting folder.
    NoBook(PathBuf),
    /// Nothing matched a customer name, id or incident id.
    NotFound(String),
    /// More than one record matched; the candidates are listed.
    Ambiguous { what: &'static str, input: String, candidates: Vec<String> },
    /// A file that does not parse or holds a wrong value: file, line and column, and what
    /// kind of problem it is (so `care check` can file it under a code without reading
    /// the message).
    Data { path: PathBuf, line: usize, column: usize, message: String, kind: DataKind },
    /// A file we could not read or write.
    Io { path: PathBuf, source: io::Error },
    /// Writing the command's output (stdout, or a message on stderr) failed.
    Output(io::Error),
    /// A request the book refuses (an existing book, a taken id, ...).
    Refused(String),
    /// A new record's file is already there (another process took the id first).
    Exists(PathBuf),
    /// Output was produced, but some files could not be read; they were reported as they came.
    Skipped(usize),
    /// Nothing wrong, but the status must say something: `FOUND` (`followup due --exit-code`).
    Quiet(i32),
    /// A symlink in the book that leads out of it: care never reads or writes through it.
    Outside { path: PathBuf, target: PathBuf },
    /// A symlink in the book that leads nowhere.
    Dangling { path: PathBuf },
    /// A FIFO, socket or device named like a record: opening it could block forever.
    NotRegular { path: PathBuf, kind: &'static str },
    /// The book, or one of its folders, cannot be written by this user.
    ReadOnly { path: PathBuf, source: io::Error },
    /// Another process held a record's lock for longer than the lock timeout.
    LockTimeout { lock: PathBuf, holder: Option<String>, waited: std::time::Duration },
    /// Any of the above with advice on what to do about it (see `Error::with_hint`).
    Hinted { error: Box<Error>, hint: String },
}

/// The kinds of unreadable record `care check` reports under their own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataKind {
    /// Anything not classified more precisely (a wrong field value, an empty file, ...).
    #[default]
    Other,
    /// Not YAML: the parser's own error.
    Syntax,
    /// Nested deeper than any record could be.
    TooDeep,
    /// Aliases (`*a`) that would expand to far more than the file holds.
    Aliases,
    /// Larger than the size cap.
    TooBig,
    /// Bytes that are not UTF-8.
    NotUtf8,
    /// git's conflict markers.
    MergeConflict,
    /// A time that is not RFC 3339 with an offset.
    BadTime,
}

impl DataKind {
    /// The code `care check` prints for it.
    pub fn code(self) -> &'static str {
        match self {
            DataKind::Other => "invalid",
            DataKind::Syntax => "syntax",
            DataKind::TooDeep => "too-deep",
            DataKind::Aliases => "alias-expansion",
            DataKind::TooBig => "too-big",
            DataKind::NotUtf8 => "not-utf8",
            DataKind::MergeConflict => "merge-conflict",
            DataKind::BadTime => "bad-time",
        }
    }
}

impl Error {
    pub fn io(path: &Path, source: io::Error) -> Error {
        Error::Io { path: path.to_path_buf(), source }
    }

    pub fn data(path: &Path, line: usize, column: usize, message: impl Into<String>) -> Error {
        Error::Data { path: path.to_path_buf(), line, column, message: message.into(), kind: DataKind::Other }
    }

    /// The same error filed under `kind` (only `Data` errors have one).
    pub fn with_kind(mut self, new: DataKind) -> Error {
        if let Error::Data { kind, .. } = &mut self {
            *kind = new;
        }
        self
    }

    /// The kind of a `Data` error.
    pub fn data_kind(&self) -> Option<DataKind> {
        match self.cause() {
            Error::Data { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// The same error with advice on what to do: printed after it as `hint: …`.
    pub fn with_hint(self, hint: impl Into<String>) -> Error {
        Error::Hinted { error: Box::new(self.cause_owned()), hint: hint.into() }
    }

    /// The error itself, without the hint wrapped around it: what code branches on.
    pub fn cause(&self) -> &Error {
        match self {
            Error::Hinted { error, .. } => error.cause(),
            other => other,
        }
    }

    fn cause_owned(self) -> Error {
        match self {
            Error::Hinted { error, .. } => error.cause_owned(),
            other => other,
        }
    }

    /// What to do about it, when care knows: given with `with_hint`, or implied by the kind
    /// of failure.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Hinted { hint, .. } => Some(hint.clone()),
            Error::NoBook(_) => Some("create one with `care init`, or name one with -C DIR or CARE_BOOK".into()),
            Error::ReadOnly { .. } => Some(
                "ask the book's owner for write access (e.g. `chmod -R u+w` on the book), or work in a copy you own"
                    .into(),
            ),
            Error::LockTimeout { .. } => Some(
                "if that process is stopped or hung, end it (or resume it with `fg`) and run the command again; \
                 CARE_LOCK_TIMEOUT (e.g. 60s) waits longer"
                    .into(),
            ),
            Error::Skipped(_) => Some("`care check` lists every problem".into()),
            _ => None,
        }
    }

    /// The message and, on a line of its own, its hint: what a person reads after `error: `.
    pub fn report(&self) -> String {
        match self.hint() {
            Some(hint) => format!("{self}\nhint: {hint}"),
            None => self.to_string(),
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self.cause() {
            Error::Usage(_) => 2,
            Error::Quiet(code) => *code,
            _ => 1,
        }
    }

    /// For a file that is not a readable record because of what it is on disk (a link
    /// out of the book, a dangling link, a FIFO): its path, a stable code for `care check`
    /// and the message without the path, so `check` and the writers say the same thing.
    pub fn file_problem(&self) -> Option<(&Path, &'static str, String)> {
        match self.cause() {
            Error::Outside { path, target } => Some((
                path,
                "link-outside",
                format!(
                    "a symlink to {}, outside the book; care never reads or writes outside the book: \
                     replace the link with the file or folder itself, or remove it",
                    target.display()
                ),
            )),
            Error::Dangling { path } => Some((
                path,
                "dangling-link",
                "a symlink to nothing (its target does not exist); remove it or restore its target".into(),
            )),
            Error::NotRegular { path, kind } => Some((
                path,
                "not-regular",
                format!(
                    "is a {kind}, not a regular file, so it was not opened; remove it or replace it with a record file"
                ),
            )),
            _ => None,
        }
    }

    /// True when this is a write to a reader that went away (`care ... | head -1`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self.cause(), Error::Output(source) if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) | Error::NotFound(msg) | Error::Refused(msg) => f.write_str(msg),
            Error::Exists(path) => write!(f, "{} already exists; nothing was changed", path.display()),
            Error::NoBook(start) => {
                write!(f, "no book found in {} or any folder above it (no care.yaml)", start.display())
            }
            Error::Ambiguous { what, input, candidates } => {
                write!(f, "{input:?} matches {} {what}s; be more specific:", candidates.len())?;
                // Every candidate, as git lists them, but not a wall of a whole book.
                const SHOWN: usize = 30;
                for c in candidates.iter().take(SHOWN) {
                    write!(f, "\n  {c}")?;
                }
                if candidates.len() > SHOWN {
                    write!(f, "\n  … and {} more", candidates.len() - SHOWN)?;
                }
                Ok(())
            }
            Error::Data { path, line, column, message, .. } => {
                write!(f, "{}:{line}:{column}: {message}", path.display())
            }
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Output(source) => write!(f, "cannot write the output: {source}"),
            Error::Quiet(_) => Ok(()),
            Error::Hinted { error, .. } => error.fmt(f),
            Error::Outside { .. } | Error::Dangling { .. } | Error::NotRegular { .. } => {
                let (path, _, message) = self.file_problem().expect("a file problem");
                write!(f, "{}: {message}", path.display())
            }
            Error::ReadOnly { path, source } => {
                let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                write!(
                    f,
                    "cannot write in {}: the book (or that folder) is read-only for you ({source}, on {}); \
                     nothing was changed",
                    folder.display(),
                    path.display()
                )
            }
            Error::LockTimeout { lock, holder, waited } => {
                let by = holder.as_deref().map(|h| format!(", held by {h}")).unwrap_or_default();
                write!(
                    f,
                    "gave up after waiting {:.1}s for the lock {}{by}; nothing was changed",
                    waited.as_secs_f64(),
                    lock.display()
                )
            }
            Error::Skipped(n) => {
                let (files, were) = if *n == 1 { ("file", "was") } else { ("files", "were") };
                write!(f, "{n} {files} could not be read and {were} skipped (see above)")
            }
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hint_is_its_own_line_and_changes_nothing_a_caller_branches_on() {
        let bare = Error::Usage("--q must lie between 0 and 1, not 7".into());
        assert_eq!(bare.hint(), None);
        assert_eq!(bare.report(), "--q must lie between 0 and 1, not 7");
        let hinted = Error::Usage("--q must lie between 0 and 1, not 7".into()).with_hint("try --q 0.05");
        assert_eq!(hinted.to_string(), "--q must lie between 0 and 1, not 7");
        assert_eq!(hinted.report(), "--q must lie between 0 and 1, not 7\nhint: try --q 0.05");
        assert_eq!(hinted.exit_code(), 2);
        assert!(matches!(hinted.cause(), Error::Usage(_)));
        // A second hint replaces the first rather than nesting.
        let again = hinted.with_hint("try --q 0.1");
        assert_eq!(again.hint().as_deref(), Some("try --q 0.1"));
        assert!(matches!(again, Error::Hinted { ref error, .. } if matches!(**error, Error::Usage(_))));
    }

    #[test]
    fn kinds_and_statuses_pass_through_a_hint() {
        let data = Error::data(Path::new("a.yaml"), 3, 4, "x").with_kind(DataKind::TooBig).with_hint("split it");
        assert_eq!(data.data_kind(), Some(DataKind::TooBig));
        assert_eq!(data.exit_code(), 1);
        assert_eq!(Error::Quiet(FOUND).with_hint("h").exit_code(), FOUND);
        let pipe = Error::Output(io::Error::from(io::ErrorKind::BrokenPipe)).with_hint("h");
        assert!(pipe.is_broken_pipe());
        let fifo = Error::NotRegular { path: "c/x.yaml".into(), kind: "FIFO" }.with_hint("h");
        assert_eq!(fifo.file_problem().map(|p| p.1), Some("not-regular"));
    }

    #[test]
    fn the_advice_of_a_typed_failure_is_its_hint_not_its_message() {
        let none = Error::NoBook("/tmp/x".into());
        assert!(!none.to_string().contains("care init"), "{none}");
        assert!(none.hint().is_some_and(|h| h.contains("care init")));
        let lock =
            Error::LockTimeout { lock: "c/.a.lock".into(), holder: None, waited: std::time::Duration::from_secs(2) };
        assert!(lock.to_string().ends_with("nothing was changed"), "{lock}");
        assert!(lock.report().contains("\nhint: ") && lock.report().contains("CARE_LOCK_TIMEOUT"));
    }
}
