//! `care sync`, the git half: commit what is left, pull (fetch, then merge with the
//! clone's merge driver; never a rebase, which would rewrite commits other sites have),
//! settle what care knows how to settle, push, and pull again when another site pushed
//! first. What counts as the book's own files and as a forgotten customer's file is the
//! caller's to say (`Book`): this floor knows git, not records.
//!
//! A conflict care cannot settle is left exactly as git left it (no `merge --abort`): the
//! person who resolves it sees what `git status` shows them after any pull.

use std::path::{Path, PathBuf};

use super::{Failed, NETWORK, ask, ask_within, no_repository};

/// How many times a push rejected because another site pushed first is tried (pulling
/// again before each new try): two sites syncing on the same quarter hour settle within
/// it, and a remote that keeps moving does not keep a cron job for ever.
pub const TRIES: usize = 3;

/// What the caller knows about the book, for the paths git names (relative to the book's
/// root, `/`-separated).
#[derive(Clone, Copy)]
pub struct Book<'a> {
    /// Whether a changed file is the book's own, for sync to commit.
    pub commits: &'a dyn Fn(&str) -> bool,
    /// Whether a file deleted on one side and changed on the other belongs to a customer
    /// who was forgotten: it then stays deleted.
    pub forgotten: &'a dyn Fn(&str) -> bool,
}

impl std::fmt::Debug for Book<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sync::Book")
    }
}

/// Why a sync stopped.
#[derive(Debug)]
pub enum Stopped {
    /// It could not do its job (no repository, no remote, git failed or timed out): what
    /// is wrong, and what to do.
    Failed(String, String),
    /// A merge met conflicts care cannot settle, left as git left them: the branch it
    /// pulled, and each file with what happened to it on each side.
    Conflicts { upstream: String, paths: Vec<(String, &'static str)> },
}

/// The repository as sync needs it.
#[derive(Debug)]
struct Repo {
    /// The work tree's top folder: every git call runs there, every path git names is
    /// relative to it.
    top: PathBuf,
    /// The book's folder inside the work tree (`""`, or `book/`).
    prefix: String,
    remote: String,
    /// The branch on the remote (`refs/heads/main`).
    remote_ref: String,
    /// Its remote-tracking name here (`origin/main`).
    upstream: String,
}

/// Commit, pull, settle, push. `say` is told one line per thing done; nothing when
/// nothing was.
pub fn sync(root: &Path, book: Book, say: &mut dyn FnMut(&str)) -> Result<(), Stopped> {
    let repo = open(root)?;
    commit_left_over(&repo, book, say)?;
    for attempt in 1..=TRIES {
        pull(&repo, book, say)?;
        match push(&repo, say)? {
            Pushed::Done => return Ok(()),
            Pushed::Rejected if attempt < TRIES => {
                say(&format!("push to {} rejected: another site pushed first; pulling again", repo.upstream))
            }
            Pushed::Rejected => {
                return Err(failed(
                    format!("the push to {} was rejected {TRIES} times: other sites kept pushing first", repo.upstream),
                    "run `care sync` again in a moment",
                ));
            }
        }
    }
    Ok(())
}

fn failed(what: impl Into<String>, hint: impl Into<String>) -> Stopped {
    Stopped::Failed(what.into(), hint.into())
}

/// A git call at the top of the work tree (untranslated, so its words can be read).
fn git(repo: &Path, args: &[&str]) -> Result<String, Stopped> {
    ask(repo, args, true).map_err(|f| failed(f.message, "see git's words above; `git status` shows where the book is"))
}

fn line(out: String) -> String {
    out.trim_end_matches(['\n', '\r']).to_string()
}

fn open(root: &Path) -> Result<Repo, Stopped> {
    let shown = if root.as_os_str().is_empty() { ".".into() } else { root.display().to_string() };
    let top = match ask(root, &["rev-parse", "--show-toplevel"], true) {
        Ok(top) => PathBuf::from(line(top)),
        Err(Failed { said: Some(said), .. }) if no_repository(&said) => {
            return Err(failed(
                format!("the book in {shown} is not in a git repository, so there is nothing to sync with"),
                "share it through git first (docs/sharing.md: `git init`, `care git setup`, a remote), \
                 or clone the shared book and run care sync there",
            ));
        }
        Err(f) => return Err(failed(f.message, "`git status` in the book says what git needs")),
    };
    let prefix = line(git(root, &["rev-parse", "--show-prefix"])?);
    if ask(&top, &["rev-parse", "-q", "--verify", "MERGE_HEAD"], true).is_ok() {
        let paths = unmerged(&top)?.into_iter().map(|(path, stages)| (shown_path(&path, &prefix), kind(stages)));
        let paths: Vec<_> = paths.collect();
        if !paths.is_empty() {
            return Err(Stopped::Conflicts { upstream: "an earlier pull".into(), paths });
        }
        return Err(failed(
            "a merge is still in progress here (an earlier pull stopped and was resolved but not committed)",
            "finish it with `git commit --no-edit` (or undo it with `git merge --abort`), then run care sync again",
        ));
    }
    let branch = ask(&top, &["symbolic-ref", "-q", "--short", "HEAD"], true).map(line).map_err(|_| {
        failed(
            "HEAD is detached: no branch is checked out, so there is nothing to sync",
            "check out the book's branch (`git switch main`), then run care sync again",
        )
    })?;
    let setting = |key: &str| ask(&top, &["config", "--get", &format!("branch.{branch}.{key}")], true).map(line).ok();
    let (Some(remote), Some(remote_ref)) = (setting("remote"), setting("merge")) else {
        let remotes = git(&top, &["remote"])?;
        return Err(match remotes.lines().next() {
            None => failed(
                "this clone has no remote: there is no other site to sync with",
                format!(
                    "add the shared repository (`git remote add origin URL`) and push once with \
                     `git push -u origin {branch}`; docs/sharing.md shows the whole setup"
                ),
            ),
            Some(first) => failed(
                format!("branch {branch} has no upstream: care sync does not know where to pull from and push to"),
                format!("push once with `git push -u {first} {branch}`, then run care sync again"),
            ),
        });
    };
    let upstream = line(git(&top, &["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}"])?);
    Ok(Repo { top, prefix, remote, remote_ref, upstream })
}

/// A path as git names it (from the top), relative to the book when it is inside it.
fn shown_path(path: &str, prefix: &str) -> String {
    path.strip_prefix(prefix).unwrap_or(path).to_string()
}

/// The book's own files that changed and are not committed (what `git.commit: false`, a
/// hand edit or a failed commit left), committed alone: anything else the person has
/// staged or changed stays as it is.
fn commit_left_over(repo: &Repo, book: Book, say: &mut dyn FnMut(&str)) -> Result<(), Stopped> {
    let spec = if repo.prefix.is_empty() { "." } else { repo.prefix.as_str() };
    let status = git(
        &repo.top,
        &["--literal-pathspecs", "status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=all", "--", spec],
    )?;
    // `XY path`: X the index against HEAD, Y the work tree against the index.
    let changed: Vec<(bool, &str)> = status
        .split('\0')
        .filter_map(|entry| Some((entry.get(1..2)? != " ", entry.get(3..)?)))
        .filter(|(_, path)| path.strip_prefix(repo.prefix.as_str()).is_some_and(|rel| (book.commits)(rel)))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let message = format!("care sync: {}", count(changed.len(), "file"));
    let with = |command: &[&str], in_tree: bool| -> Vec<String> {
        let mut args: Vec<String> = ["--literal-pathspecs"].iter().chain(command).map(|s| s.to_string()).collect();
        args.push("--".into());
        // A file already staged as it is (a `git rm`) is no longer in the work tree to add.
        args.extend(changed.iter().filter(|(tree, _)| *tree || !in_tree).map(|(_, p)| p.to_string()));
        args
    };
    let call = |args: Vec<String>| git(&repo.top, &args.iter().map(String::as_str).collect::<Vec<_>>());
    if changed.iter().any(|(tree, _)| *tree) {
        call(with(&["add", "-A"], true))?;
    }
    call(with(&["commit", "-q", "-m", &message], false))?;
    say(&format!("committed {} ({message})", count(changed.len(), "changed file")));
    Ok(())
}

fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// How many commits `range` holds (`HEAD..origin/main`).
fn commits(repo: &Repo, range: &str) -> Result<usize, Stopped> {
    let n = line(git(&repo.top, &["rev-list", "--count", range, "--"])?);
    n.parse().map_err(|_| failed(format!("git counted {n:?} commits in {range}"), "run `git log` to see why"))
}

/// Fetch, then merge what came, settling a forgotten customer's file deleted on one side.
fn pull(repo: &Repo, book: Book, say: &mut dyn FnMut(&str)) -> Result<(), Stopped> {
    fetch(repo)?;
    let behind = commits(repo, &format!("HEAD..{}", repo.upstream))?;
    if behind == 0 {
        return Ok(());
    }
    let merged = format!("merged {} from {}", count(behind, "commit"), repo.upstream);
    // `--ff` whatever `merge.ff` says: a fast-forward is the common, simplest case.
    let merge = ask_within(&repo.top, &["merge", "-q", "--no-edit", "--ff", &repo.upstream], true, NETWORK);
    let Err(stopped) = merge else {
        say(&merged);
        return Ok(());
    };
    let conflicts = unmerged(&repo.top)?;
    if conflicts.is_empty() {
        // Git refused before merging (a changed file in the way): nothing was touched.
        return Err(failed(
            format!("could not merge {}: {}", repo.upstream, stopped.message),
            "commit or put aside the files git names, then run care sync again",
        ));
    }
    let settles = |path: &str, stages: [bool; 3]| {
        let deleted_on_one_side = stages[0] && stages[1] != stages[2];
        deleted_on_one_side && path.strip_prefix(repo.prefix.as_str()).is_some_and(|rel| (book.forgotten)(rel))
    };
    if conflicts.iter().any(|(path, stages)| !settles(path, *stages)) {
        let paths = conflicts.iter().map(|(path, stages)| {
            let what = if settles(path, *stages) { FORGOTTEN } else { kind(*stages) };
            (shown_path(path, &repo.prefix), what)
        });
        return Err(Stopped::Conflicts { upstream: repo.upstream.clone(), paths: paths.collect() });
    }
    for (path, _) in &conflicts {
        git(&repo.top, &["--literal-pathspecs", "rm", "-q", "--", path])?;
    }
    // `strip`: git lists the conflicted files in the message as comments, and their
    // names are the forgotten people's ids.
    git(&repo.top, &["commit", "-q", "--no-edit", "--cleanup=strip"])?;
    say(&format!("{merged}; {} forgotten stayed deleted", count(conflicts.len(), "customer file")));
    Ok(())
}

/// What a settled file says when other conflicts keep the merge for a person.
const FORGOTTEN: &str = "deleted on one side, changed on the other; its customer was forgotten, \
                         so keep it deleted (`git rm` it)";

fn fetch(repo: &Repo) -> Result<(), Stopped> {
    ask_within(&repo.top, &["fetch", "-q", &repo.remote], true, NETWORK).map(|_| ()).map_err(|f| {
        failed(
            format!("could not fetch from {}: {}", repo.remote, f.message),
            "check that the remote is reachable (`git fetch` by hand says why); nothing was changed",
        )
    })
}

/// The files git left unmerged, each with the stages it holds: the common ancestor's,
/// ours, theirs (a missing one: the file was deleted, or not there, on that side).
fn unmerged(top: &Path) -> Result<Vec<(String, [bool; 3])>, Stopped> {
    let listed = git(top, &["ls-files", "-u", "-z"])?;
    let mut found: Vec<(String, [bool; 3])> = Vec::new();
    for entry in listed.split('\0').filter(|e| !e.is_empty()) {
        let Some((info, path)) = entry.split_once('\t') else { continue };
        let stage: usize = info.rsplit(' ').next().and_then(|s| s.parse().ok()).unwrap_or(0);
        if !(1..=3).contains(&stage) {
            continue;
        }
        match found.last_mut() {
            Some((last, stages)) if last == path => stages[stage - 1] = true,
            _ => {
                let mut stages = [false; 3];
                stages[stage - 1] = true;
                found.push((path.to_string(), stages));
            }
        }
    }
    Ok(found)
}

/// What happened to a conflicted file, from the stages git kept.
fn kind(stages: [bool; 3]) -> &'static str {
    match stages {
        [true, true, false] => "changed here, deleted at the other site",
        [true, false, true] => "deleted here, changed at the other site",
        [false, _, _] => "added on both sides with different contents",
        _ => "changed on both sides where care cannot merge it",
    }
}

#[derive(Debug)]
enum Pushed {
    Done,
    Rejected,
}

/// Push what the remote lacks. A refused push is a rejection to retry only when the
/// remote moved on since we fetched (another site pushed first), whatever words git used
/// (`fetch first`, `non-fast-forward`, a ref that moved under the server's lock).
fn push(repo: &Repo, say: &mut dyn FnMut(&str)) -> Result<Pushed, Stopped> {
    let ahead = commits(repo, &format!("{}..HEAD", repo.upstream))?;
    if ahead == 0 {
        return Ok(Pushed::Done);
    }
    let target = format!("HEAD:{}", repo.remote_ref);
    match ask_within(&repo.top, &["push", "-q", &repo.remote, &target], true, NETWORK) {
        Ok(_) => {
            say(&format!("pushed {} to {}", count(ahead, "commit"), repo.upstream));
            Ok(Pushed::Done)
        }
        Err(refused) => {
            let before = line(git(&repo.top, &["rev-parse", &repo.upstream])?);
            fetch(repo)?;
            let after = line(git(&repo.top, &["rev-parse", &repo.upstream])?);
            if before != after {
                return Ok(Pushed::Rejected);
            }
            Err(failed(
                format!("could not push to {}: {}", repo.remote, refused.message),
                "your commits are kept here; fix what git names, then run care sync again",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_is_told_by_the_sides_that_still_have_the_file() {
        assert_eq!(kind([true, true, false]), "changed here, deleted at the other site");
        assert_eq!(kind([true, false, true]), "deleted here, changed at the other site");
        assert_eq!(kind([false, true, true]), "added on both sides with different contents");
        assert_eq!(kind([true, true, true]), "changed on both sides where care cannot merge it");
    }

    #[test]
    fn counts_read_as_words() {
        assert_eq!(count(1, "file"), "1 file");
        assert_eq!(count(3, "commit"), "3 commits");
    }
}
