//! Whether a hook file is the clone's own: the promise that a shared book never runs code
//! that arrived through a pull rests here. It holds only on git's positive word: the file
//! is untracked, and no submodule or other repository nested in the book holds it. When
//! git cannot be asked, or answers with an error (dubious ownership, a `.git` file leading
//! nowhere), nothing is known, and nothing runs: failing open here is how a tracked hook
//! ran whenever git was off the PATH.
//!
//! Without a repository there is nothing to pull from, so a hook may run: when git says
//! so in as many words, or when git is not installed and no `.git` is on the way from the
//! hook to the filesystem's root (so no repository could hold it, whichever git looked).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use crate::book::Book;
use crate::git::{self, Place};

/// What may be done with a hook file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    Runs,
    /// Git tracks it (the message says which file and how to untrack it).
    Tracked(String),
    /// It sits in a submodule or a repository nested in the book.
    Nested(String),
    /// Git could not say; why, in its own words.
    Unknown(String),
}

/// How long a verdict is kept for the same file: `care notify` telling a thousand
/// notices asks git twice, not two thousand times, and a long-lived process still sees
/// a `git add` within seconds. A file replaced (a pull writes a new one) is asked afresh.
const KEPT: Duration = Duration::from_secs(5);

type Seen = HashMap<(PathBuf, Option<SystemTime>, u64), (Instant, Trust)>;
static SEEN: Mutex<Option<Seen>> = Mutex::new(None);

/// The verdict on the hook at `real` (resolved), named `shown` by the book, which a link
/// there leads to `target` (book-relative; equal to `shown` when it is no link).
pub fn trust(book: &Book, real: &Path, shown: &str, target: &str) -> Trust {
    let meta = std::fs::metadata(real).ok();
    let key = (real.to_path_buf(), meta.as_ref().and_then(|m| m.modified().ok()), meta.map_or(0, |m| m.len()));
    let mut seen = SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((at, verdict)) = seen.as_ref().and_then(|s| s.get(&key))
        && at.elapsed() < KEPT
    {
        return verdict.clone();
    }
    let verdict = ask(book, real, shown, target);
    seen.get_or_insert_with(HashMap::new).insert(key, (Instant::now(), verdict.clone()));
    verdict
}

fn ask(book: &Book, real: &Path, shown: &str, target: &str) -> Trust {
    let folder = real.parent().unwrap_or(real);
    let entries = book.git_entries(folder);
    if let Some(git) = &entries.nested {
        let inside = Path::new(&book.location()).to_path_buf();
        return nested(shown, &git.strip_prefix(&inside).unwrap_or(git).display().to_string());
    }
    let place = git::place(&book.root);
    let top = match place {
        Place::Tree(top) => top,
        Place::Outside | Place::NoGit(_) if entries.above.is_none() => return Trust::Runs,
        Place::Outside => {
            return Trust::Unknown(format!(
                "git says the book is in no repository, yet {} exists (GIT_CEILING_DIRECTORIES, or a \
                 filesystem boundary, may hide it from git)",
                entries.above.as_ref().map_or(String::new(), |g| g.display().to_string())
            ));
        }
        Place::NoGit(why) => {
            let git = entries.above.as_ref().map_or(String::new(), |g| g.display().to_string());
            return Trust::Unknown(format!("{why}; {git} says there is a repository to ask"));
        }
        Place::Unknown(why) => return Trust::Unknown(why),
    };
    match git::place(folder) {
        Place::Tree(own) if same(&own, &top) => {}
        Place::Tree(own) => return nested(shown, &own.display().to_string()),
        Place::Outside => {
            return Trust::Unknown(format!(
                "git finds the book's repository ({}) but none from {}",
                top.display(),
                folder.display()
            ));
        }
        Place::NoGit(why) | Place::Unknown(why) => return Trust::Unknown(why),
    }
    for path in if target == shown { vec![shown] } else { vec![shown, target] } {
        match git::tracks(&book.root, path) {
            Ok(false) => {}
            Ok(true) => {
                return Trust::Tracked(format!(
                    "{path} is tracked by git, so it may have come with a pull, and a shared book never runs code \
                     from a pull. If it is yours, untrack it (`git rm --cached {path}`; .care/ is git-ignored)"
                ));
            }
            Err(why) => return Trust::Unknown(why),
        }
    }
    Trust::Runs
}

fn nested(shown: &str, repository: &str) -> Trust {
    Trust::Nested(format!(
        "{shown} is inside a submodule or another repository nested in the book ({repository}), so it came with \
         that repository, and a shared book never runs code that arrived that way. Put the script itself in \
         .care/hooks, outside any repository"
    ))
}

fn same(a: &Path, b: &Path) -> bool {
    let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    real(a) == real(b)
}
