//! The `git` program, run as a child process. Never a git library: the user's own git,
//! with their config, hooks and credentials, is what works on their book, exactly as it
//! does when they type `git` themselves. Used by `care git setup`, by `care check` (is
//! the merge driver registered?), by `git.commit: true`, by `care sync` ([`sync`]), and
//! before a hook runs (is it the clone's own, or did it come with a pull?). For that last
//! question only a positive answer counts: `place` and `tracks` keep "git said no" apart
//! from "git could not say". Every call is bounded in time and never asks anything: cron
//! runs `care sync` with nobody to type a password or close an editor.

pub mod sync;

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a git call that stays on this machine may take.
const LOCAL: Duration = Duration::from_secs(60);

/// How long a call that talks to the remote (fetch, push) or merges may take: a slow
/// link or a large pull, but never a cron job that hangs for ever on a dead server.
const NETWORK: Duration = Duration::from_secs(300);

/// Run `git -C DIR ARGS...`; its stdout on success, else a message with git's own words.
fn run(dir: &Path, args: &[&str]) -> Result<String, String> {
    ask(dir, args, false).map_err(|failed| failed.message)
}

/// Why git gave no answer: a message for a person, and git's own words when it spoke
/// (none when it could not be started at all).
#[derive(Debug)]
struct Failed {
    message: String,
    said: Option<String>,
}

/// `run`, keeping what git said apart. `plain`: git speaks untranslated English, so
/// that what it says can be told apart (`no_repository`), whatever the user's locale.
fn ask(dir: &Path, args: &[&str], plain: bool) -> Result<String, Failed> {
    ask_within(dir, args, plain, LOCAL)
}

/// `ask` with its own time limit.
fn ask_within(dir: &Path, args: &[&str], plain: bool, limit: Duration) -> Result<String, Failed> {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let mut command = Command::new("git");
    command.arg("-C").arg(dir).args(args);
    if plain {
        command.env("LC_ALL", "C").env("LANGUAGE", "");
    }
    // Never a question: no password prompt, no editor for a merge message, nothing read
    // from our stdin.
    command.env("GIT_TERMINAL_PROMPT", "0").env("GIT_EDITOR", ":").env("GIT_MERGE_AUTOEDIT", "no").stdin(Stdio::null());
    let out = bounded(command, limit)
        .map_err(|e| Failed { message: format!("cannot run git ({e}); is it installed and on PATH?"), said: None })?;
    let Some((status, stdout, stderr)) = out else {
        return Err(Failed {
            message: format!("`git {}` did not finish within {limit:.0?} and was stopped", args.join(" ")),
            said: None,
        });
    };
    if status.success() {
        return Ok(String::from_utf8_lossy(&stdout).into_owned());
    }
    let said = printable(&String::from_utf8_lossy(&stderr));
    let shown = if said.is_empty() { status.to_string() } else { said.clone() };
    Err(Failed { message: format!("`git {}` failed: {shown}", args.join(" ")), said: Some(said) })
}

type Finished = (std::process::ExitStatus, Vec<u8>, Vec<u8>);

/// Run `command` to its end, or stop it (with everything it started: ssh, a merge driver,
/// a hook of the user's, all in its process group) after `limit`; `None` then. Its output
/// is read from threads, so a child that writes a lot never blocks on a full pipe.
fn bounded(mut command: Command, limit: Duration) -> std::io::Result<Option<Finished>> {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = command.spawn()?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < limit => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Ok(None) => {
                crate::process::stop(&mut child);
                return Ok(None);
            }
            Err(e) => {
                crate::process::stop(&mut child);
                return Err(e);
            }
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(Some((status, stdout, stderr)))
}

/// Git's words on one line with no control characters (a path in them is anyone's to
/// choose), and not without end.
fn printable(said: &str) -> String {
    let line: String = said.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut line: String = line.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
    if line.chars().count() > 400 {
        line = line.chars().take(400).chain(['…']).collect();
    }
    line
}

/// The top folder of the git work tree holding `dir`; `None` when it is in none (or git
/// is not installed).
pub fn work_tree(dir: &Path) -> Option<PathBuf> {
    let top = run(dir, &["rev-parse", "--show-toplevel"]).ok()?;
    Some(PathBuf::from(top.trim_end_matches(['\n', '\r'])))
}

/// A config value as git sees it for `dir` (any scope); `None` when unset.
pub fn config(dir: &Path, key: &str) -> Option<String> {
    run(dir, &["config", "--get", key]).ok().map(|v| v.trim_end_matches(['\n', '\r']).to_string())
}

/// A value in this clone's own config (`.git/config`); `None` when unset there.
pub fn local_config(dir: &Path, key: &str) -> Option<String> {
    run(dir, &["config", "--local", "--get", key]).ok().map(|v| v.trim_end_matches(['\n', '\r']).to_string())
}

/// Set a value in this clone's own config: settings that name a program on this machine
/// belong to the clone, not to everyone who shares the book.
pub fn set_local_config(dir: &Path, key: &str, value: &str) -> Result<(), String> {
    run(dir, &["config", "--local", key, value]).map(|_| ())
}

/// The `merge` attribute git gives `path` (relative to `dir`), e.g. `care`.
pub fn merge_attribute(dir: &Path, path: &str) -> Option<String> {
    let out = run(dir, &["check-attr", "merge", "--", path]).ok()?;
    let value = out.trim_end().rsplit(": ").next()?.to_string();
    (value != "unspecified" && value != "unset").then_some(value)
}

/// Where git puts a folder, as far as a hook's safety needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// In the work tree whose top folder is this.
    Tree(PathBuf),
    /// Git says, in as many words, that it is in no repository.
    Outside,
    /// Git is not there to ask (its message).
    NoGit(String),
    /// Git was asked and failed otherwise (dubious ownership, a `.git` file leading
    /// nowhere, a broken repository): its message, printable.
    Unknown(String),
}

/// Where `dir` is, by git's own positive answer: only "not a git repository (or any of
/// the parent directories)" means outside; any other failure is no answer at all.
pub fn place(dir: &Path) -> Place {
    match ask(dir, &["rev-parse", "--show-toplevel"], true) {
        Ok(top) => Place::Tree(PathBuf::from(top.trim_end_matches(['\n', '\r']))),
        Err(Failed { said: None, message }) => Place::NoGit(message),
        Err(Failed { said: Some(said), .. }) if no_repository(&said) => Place::Outside,
        Err(Failed { message, .. }) => Place::Unknown(message),
    }
}

/// Git's (untranslated) words for "no repository here or above". A `.git` file leading
/// nowhere says "not a git repository: PATH", which is not this: it names a repository.
fn no_repository(said: &str) -> bool {
    said.starts_with("fatal: not a git repository (or any ")
}

/// Whether git tracks `path` (as the book names it, relative to `dir`): a file that came
/// with a pull. `Err` with git's words when git could not say.
pub fn tracks(dir: &Path, path: &str) -> Result<bool, String> {
    let listed = ask(dir, &["--literal-pathspecs", "ls-files", "-z", "--", path], true).map_err(|f| f.message)?;
    Ok(!listed.is_empty())
}

/// Commit exactly `files` (as the book names them: under `root`) with `message`. Other
/// changes, staged or not, stay out of the commit. Returns false when the files held no
/// change, so there was nothing to commit.
pub fn commit(root: &Path, files: &[PathBuf], message: &str) -> Result<bool, String> {
    let paths: Vec<String> = files.iter().map(|f| relative(root, f)).collect();
    let with = |cmd: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = ["--literal-pathspecs"].iter().chain(cmd).map(|s| s.to_string()).collect();
        args.push("--".into());
        args.extend(paths.iter().cloned());
        args
    };
    let call = |args: Vec<String>| run(root, &args.iter().map(String::as_str).collect::<Vec<_>>());
    call(with(&["add"]))?;
    if call(with(&["diff", "--cached", "--quiet"])).is_ok() {
        return Ok(false);
    }
    call(with(&["commit", "-q", "-m", message]))?;
    Ok(true)
}

/// A book path as git under `git -C ROOT` must see it.
fn relative(root: &Path, file: &Path) -> String {
    match file.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
        _ => std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf()).to_string_lossy().into_owned(),
    }
}

/// `text` as one word for `sh`, which is how git runs a merge driver.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// What is wrong with this clone's registered driver, when its program cannot be run
/// (care moved, reinstalled elsewhere or removed since `care git setup`): every merge of
/// a record would fail. `None` when it runs, or when no driver is registered.
pub fn driver_problem(dir: &Path, path: Option<&OsStr>) -> Option<String> {
    let command = config(dir, "merge.care.driver")?;
    let program = first_word(&command)?;
    let runs = if program.contains('/') { is_program(Path::new(&program)) } else { on_path(&program, path).is_some() };
    (!runs).then(|| {
        format!(
            "this clone's merge driver runs `{program}`, which {}, so every merge of a record will fail",
            if program.contains('/') { "does not exist (care was moved or reinstalled)" } else { "is not on PATH" }
        )
    })
}

/// The program a shell command line starts with, unquoted as `sh` would (the forms
/// `shell_quote` writes, and a bare word).
fn first_word(command: &str) -> Option<String> {
    let command = command.trim_start();
    let Some(mut rest) = command.strip_prefix('\'') else {
        return command.split_whitespace().next().map(str::to_string);
    };
    let mut word = String::new();
    loop {
        let end = rest.find('\'')?;
        word.push_str(&rest[..end]);
        rest = &rest[end + 1..];
        match rest.strip_prefix("\\''") {
            Some(more) => {
                word.push('\'');
                rest = more;
            }
            None => return Some(word),
        }
    }
}

/// Where `sh` would find a program named `name` on `path` (the PATH care was started
/// with, `Settings::path`).
pub fn on_path(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?).map(|dir| dir.join(name)).find(|p| is_program(p))
}

fn is_program(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    meta.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_given_to_git_relative_to_the_book() {
        assert_eq!(relative(Path::new("../.."), Path::new("../../customers/ada.yaml")), "customers/ada.yaml");
        assert_eq!(relative(Path::new(""), Path::new("customers/ada.yaml")), "customers/ada.yaml");
        assert_eq!(relative(Path::new("/b"), Path::new("/b/incidents/2026/11/x.yaml")), "incidents/2026/11/x.yaml");
    }

    #[test]
    fn only_git_saying_there_is_no_repository_at_all_means_outside() {
        assert!(no_repository("fatal: not a git repository (or any of the parent directories): .git"));
        assert!(no_repository("fatal: not a git repository (or any parent up to mount point /mnt)"));
        assert!(!no_repository("fatal: not a git repository: /nowhere/.git/modules/hooks"));
        assert!(!no_repository("fatal: detected dubious ownership in repository at '/srv/book'"));
    }

    #[test]
    fn what_git_says_is_shown_on_one_line_without_control_characters() {
        assert_eq!(
            printable("fatal: detected dubious ownership in repository at '/b\x1b[31m'\nTo add\tan exception"),
            "fatal: detected dubious ownership in repository at '/b?[31m' To add an exception"
        );
        assert_eq!(printable(&"x".repeat(1000)).chars().count(), 401);
    }

    #[test]
    fn a_child_that_hangs_is_stopped_at_its_limit_with_what_it_started() {
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 30 & echo started; sleep 30"]);
        let start = Instant::now();
        assert!(bounded(command, Duration::from_millis(200)).expect("sh runs").is_none());
        // The background sleep held the pipe open too: it was stopped with its group.
        assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
        let mut command = Command::new("sh");
        command.args(["-c", "echo out; echo err >&2; exit 3"]);
        let (status, out, err) = bounded(command, Duration::from_secs(10)).expect("sh runs").expect("in time");
        assert_eq!((status.code(), out, err), (Some(3), b"out\n".to_vec(), b"err\n".to_vec()));
    }

    #[test]
    fn a_path_with_quotes_and_spaces_stays_one_shell_word() {
        assert_eq!(shell_quote("/opt/my care/it's"), r"'/opt/my care/it'\''s'");
    }

    #[test]
    fn the_program_is_read_back_as_the_shell_reads_it() {
        let quoted = format!("{} merge-driver %O %A %B %P", shell_quote("/opt/my care/it's/care"));
        assert_eq!(first_word(&quoted).as_deref(), Some("/opt/my care/it's/care"));
        assert_eq!(first_word("care merge-driver %O %A %B %P").as_deref(), Some("care"));
        assert_eq!(first_word("'unclosed"), None);
    }

    #[test]
    fn a_driver_whose_program_is_gone_is_a_problem() {
        assert!(!is_program(Path::new("/nonexistent/care")));
        assert!(on_path("surely-no-such-program-here", Some(OsStr::new("/usr/bin:/bin"))).is_none());
        assert!(on_path("sh", None).is_none());
    }
}

/// Whether the work tree holding `dir` has nothing uncommitted (tracked or not ignored).
pub fn clean(dir: &Path) -> Result<bool, String> {
    Ok(run(dir, &["status", "--porcelain"])?.trim().is_empty())
}

/// How long git filter-repo may take to rewrite this clone's history.
const REWRITE_LIMIT: Duration = Duration::from_secs(30 * 60);

/// What `purge_history` did, for the person to finish the job elsewhere.
#[derive(Debug)]
pub struct Purged {
    /// The remotes git filter-repo removed (name and URL), so that the old history is
    /// not pulled back in by accident.
    pub remotes: Vec<(String, String)>,
}

/// Rewrite this clone's history without a person (`care forget --purge-history`): every
/// commit loses `paths` (book-relative), every file and commit message has each match of a
/// rule's regular expression (Python's syntax) replaced by its replacement, and the reflog
/// is expired, so no old commit stays reachable here.
/// Done by git filter-repo (the tool git's own documentation recommends for this), which
/// must be installed; without it nothing is changed and the error says how to get it.
/// `path`: the PATH to look for it on (`Settings::path`).
pub fn purge_history(
    root: &Path,
    paths: &[String],
    replace: &[(String, String)],
    path: Option<&OsStr>,
) -> Result<Purged, String> {
    if on_path("git-filter-repo", path).is_none() {
        return Err("git filter-repo is not installed, so the history was not rewritten (the book itself is \
                    forgotten); install it (pip install git-filter-repo, or your system's git-filter-repo \
                    package) and run the command again"
            .into());
    }
    let top = work_tree(root).ok_or_else(|| "the book is not in a git repository: it has no history".to_string())?;
    let prefix = run(root, &["rev-parse", "--show-prefix"])?.trim_end_matches(['\n', '\r']).to_string();
    // The replacements as filter-repo reads them: `regex:PATTERN==>REPLACEMENT`, one a
    // line; a rule with a line break or the arrow itself cannot be said that way and is
    // skipped (the needles of a name, a phone, an email never hold one).
    let rules: String = replace
        .iter()
        .filter(|(from, to)| !from.is_empty() && !format!("{from}{to}").contains(['\n', '\r']) && !from.contains("==>"))
        .map(|(from, to)| format!("regex:{from}==>{to}\n"))
        .collect();
    // Inside the repository's own folder, never the book: it names the person.
    let git_dir = run(&top, &["rev-parse", "--absolute-git-dir"])?.trim_end_matches(['\n', '\r']).to_string();
    let rules_file = Path::new(&git_dir).join("care-purge-rules");
    std::fs::write(&rules_file, rules).map_err(|e| format!("cannot write the list of what to replace: {e}"))?;
    let remotes: Vec<(String, String)> = run(&top, &["remote"])?
        .lines()
        .filter(|r| !r.is_empty())
        .map(|r| (r.to_string(), run(&top, &["remote", "get-url", r]).unwrap_or_default().trim().to_string()))
        .collect();
    let rules_path = rules_file.to_string_lossy().into_owned();
    let mut args: Vec<String> = vec!["filter-repo".into(), "--force".into(), "--invert-paths".into()];
    for p in paths {
        args.extend(["--path".into(), format!("{prefix}{p}")]);
    }
    args.extend(["--replace-text".into(), rules_path.clone(), "--replace-message".into(), rules_path]);
    // Rewriting a long history takes its time; a hang is still cut short.
    let rewritten = ask_within(&top, &args.iter().map(String::as_str).collect::<Vec<_>>(), false, REWRITE_LIMIT)
        .map_err(|f| f.message);
    let _ = std::fs::remove_file(&rules_file);
    rewritten?;
    let left: Vec<String> = run(&top, &["remote"])?.lines().map(str::to_string).collect();
    let removed = remotes.into_iter().filter(|(name, _)| !left.contains(name)).collect();
    Ok(Purged { remotes: removed })
}
