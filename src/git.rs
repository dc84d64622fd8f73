//! The `git` program, run as a child process. Never a git library: the user's own git,
//! with their config, hooks and credentials, is what works on their book, exactly as it
//! does when they type `git` themselves. Used by `care git setup`, by `care check` (is
//! the merge driver registered?) and by `git.commit: true`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Run `git -C DIR ARGS...`; its stdout on success, else a message with git's own words.
fn run(dir: &Path, args: &[&str]) -> Result<String, String> {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git ({e}); is it installed and on PATH?"))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let said = String::from_utf8_lossy(&out.stderr).trim().replace('\n', " ");
    let said = if said.is_empty() { out.status.to_string() } else { said };
    Err(format!("`git {}` failed: {said}", args.join(" ")))
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

/// Whether git tracks `path` (as the book names it, relative to `dir`): a file that came
/// with a pull. False outside a work tree or without git, where nothing can be pulled.
pub fn tracked(dir: &Path, path: &str) -> bool {
    run(dir, &["--literal-pathspecs", "ls-files", "--error-unmatch", "--", path]).is_ok()
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
    fn a_path_with_quotes_and_spaces_stays_one_shell_word() {
        assert_eq!(shell_quote("/opt/my care/it's"), r"'/opt/my care/it'\''s'");
    }
}
