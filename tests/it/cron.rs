//! The crontab lines the documentation shows, run the way cron runs them: an empty
//! environment but `PATH=/usr/bin:/bin`, `HOME` and `SHELL=/bin/sh`, the command given to
//! `sh -c`. A user who copied a line once got `care: not found` (exit 127) in the mail:
//! cargo installs into ~/.cargo/bin, which cron's PATH lacks. So care is put where
//! `cargo install` puts it, in a temporary HOME, and each line is taken from the page as
//! written: only the book's folder (`/srv/NAME`) is swapped for a temporary copy.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::copy_dir;

const PAGES: [&str; 3] = ["README.md", "docs/recipes.md", "docs/guide.md"];
const NOW: &str = "2026-11-22T18:00:00-05:00";

/// The commands of the crontab lines in a page's ```text blocks (five time fields, then
/// the command), with the `NAME=value` settings above them.
fn crontab_lines(markdown: &str) -> Vec<(Vec<(String, String)>, String)> {
    let mut found = Vec::new();
    let mut settings = Vec::new();
    let mut in_text = false;
    for line in markdown.lines() {
        let trimmed = line.trim();
        if let Some(info) = trimmed.strip_prefix("```") {
            in_text = !in_text && info == "text";
            settings.clear();
            continue;
        }
        if !in_text || trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        let is_schedule = |f: &str| f.chars().all(|c| c.is_ascii_digit() || "*/,-".contains(c));
        if fields.len() > 5 && fields[..5].iter().all(|f| is_schedule(f)) {
            let mut rest = trimmed;
            for _ in 0..5 {
                rest = rest.trim_start().split_once(char::is_whitespace).map_or("", |(_, r)| r);
            }
            found.push((settings.clone(), rest.trim().to_string()));
        } else if let Some((name, value)) = trimmed.split_once('=').filter(|(n, _)| !n.contains(' ')) {
            settings.push((name.to_string(), value.to_string()));
        }
    }
    found
}

/// A place for each `/srv/NAME` book the line names: a copy of examples/NAME, else (or
/// when `empty`) a new book, with nothing to tell.
fn books_for(command: &str, home: &Path, empty: bool) -> String {
    let mut command = command.to_string();
    while let Some(at) = command.find("/srv/") {
        let name: String = command[at + 5..].chars().take_while(|c| c.is_alphanumeric() || *c == '-').collect();
        let place = home.join("books").join(&name);
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(&name);
        if example.is_dir() && !empty {
            copy_dir(&example, &place);
        } else {
            let out = Command::new(assert_cmd::cargo::cargo_bin("care"))
                .args(["init", place.to_str().expect("utf-8"), "--timezone", "America/New_York"])
                .output()
                .expect("init");
            assert!(out.status.success(), "init {name}: {out:?}");
        }
        command.replace_range(at..at + 5 + name.len(), place.to_str().expect("utf-8"));
    }
    command
}

/// Run a crontab command as cron would, with care installed as `cargo install` installs it.
fn as_cron(settings: &[(String, String)], command: &str, home: &Path) -> std::process::Output {
    let mut cron = Command::new("/usr/bin/env");
    cron.arg("-i").arg("PATH=/usr/bin:/bin").arg(format!("HOME={}", home.display())).arg("SHELL=/bin/sh");
    cron.arg("LOGNAME=nina").arg(format!("CARE_NOW={NOW}"));
    for (name, value) in settings {
        cron.arg(format!("{name}={value}"));
    }
    cron.args(["/bin/sh", "-c", command]).current_dir(home).output().expect("sh")
}

fn install(home: &Path) {
    let bin = home.join(".cargo/bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    std::fs::copy(assert_cmd::cargo::cargo_bin("care"), bin.join("care")).expect("install care");
}

/// Each documented crontab line that runs care, run as cron would on its books (`empty`:
/// new books with nothing to tell), with the page and line it came from.
fn run_documented_lines(empty: bool) -> Vec<(String, String, std::process::Output)> {
    let mut ran = Vec::new();
    for page in PAGES {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(page)).expect(page);
        for (settings, line) in crontab_lines(&text).into_iter().filter(|(_, l)| l.contains("care")) {
            let home = tempfile::TempDir::new().expect("temp dir");
            install(home.path());
            let out = as_cron(&settings, &books_for(&line, home.path(), empty), home.path());
            ran.push((page.to_string(), line, out));
        }
    }
    ran
}

#[test]
fn every_documented_crontab_line_runs_under_crons_environment() {
    let ran = run_documented_lines(false);
    for (page, line, out) in &ran {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{page}: {line}\nexit {:?}, stderr:\n{stderr}", out.status);
        assert_eq!(stderr, "", "{page}: {line}: cron would mail this");
    }
    assert!(ran.len() >= 4, "the pages show their crontab lines ({} found)", ran.len());
}

/// With nothing to tell, every line is silent: cron mails whatever a run prints, so a
/// header or a warning every five minutes would be mail about nothing.
#[test]
fn every_documented_crontab_line_is_silent_with_nothing_to_tell() {
    let ran = run_documented_lines(true);
    for (page, line, out) in &ran {
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{page}: {line}\nexit {:?}, stderr:\n{stderr}", out.status);
        assert_eq!((stdout.as_ref(), stderr.as_ref()), ("", ""), "{page}: {line}: cron would mail this");
    }
    assert!(ran.len() >= 9, "the pages show their crontab lines ({} found)", ran.len());
}

#[test]
fn the_hotel_line_mails_nina_her_overdue_check_in() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/recipes.md")).expect("recipes");
    let (settings, line) =
        crontab_lines(&text).into_iter().find(|(_, l)| l.contains("--owner nina")).expect("nina's line");
    assert!(settings.iter().any(|(n, v)| n == "MAILTO" && v.starts_with("nina@")), "{settings:?}");
    let home = tempfile::TempDir::new().expect("temp dir");
    install(home.path());
    let out = as_cron(&settings, &books_for(&line, home.path(), false), home.path());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Margaret Delaney"), "{out:?}");
}

#[test]
fn a_bare_care_is_what_cron_cannot_find() {
    // Why the lines name the full path: the same command with a bare `care` fails.
    let home = tempfile::TempDir::new().expect("temp dir");
    install(home.path());
    let out = as_cron(&[], "care --version", home.path());
    assert_eq!(out.status.code(), Some(127), "{out:?}");
}
