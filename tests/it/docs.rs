//! The documentation, executed: every ```sh block of README.md and of each docs/*.md runs,
//! in order, as one `bash` script per file (`set -euo pipefail`), in a fresh temporary
//! folder holding a copy of examples/, with `care` on the PATH and the clock fixed by
//! CARE_NOW. So no command shown to a reader can rot. What must not run here is shown in
//! ```text blocks: crontab lines and git sessions.
//!
//! One exception, by name: README's first block builds care and runs this very test
//! suite (`cargo run`, `cargo test`); running it here would recurse.

use std::path::Path;
use std::process::Command;

/// The clock every page is run at: the afternoon before the dinner mix-up.
const NOW: &str = "2026-11-22T18:00:00-05:00";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The fenced blocks of a page, as (info string, body).
fn blocks(markdown: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        match (&mut current, trimmed.strip_prefix("```")) {
            (None, Some(info)) => current = Some((info.trim().to_string(), String::new())),
            (Some(_), Some("")) => found.extend(current.take()),
            (Some((_, body)), _) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    found
}

fn sh_blocks(markdown: &str) -> Vec<String> {
    blocks(markdown).into_iter().filter(|(info, _)| info == "sh").map(|(_, body)| body).collect()
}

/// What one page's script printed.
struct Run {
    stdout: String,
    stderr: String,
}

/// Run the blocks as one script in a fresh folder with the example books beside it.
fn run(page: &str, blocks: &[String]) -> Run {
    run_at(page, blocks, Some(NOW))
}

/// Run the blocks at `now`, or at the machine's real clock (None).
fn run_at(page: &str, blocks: &[String], now: Option<&str>) -> Run {
    let dir = tempfile::TempDir::new().expect("temp dir");
    copy_dir(&root().join("examples"), &dir.path().join("examples"));
    // Aliases are part of a recipe; bash expands them only when asked to outside a terminal.
    let script = format!("set -euo pipefail\nshopt -s expand_aliases\n{}", blocks.join("\n"));
    let bin = assert_cmd::cargo::cargo_bin("care");
    let path = format!("{}:{}", bin.parent().expect("bin dir").display(), std::env::var("PATH").unwrap_or_default());
    let mut bash = Command::new("bash");
    match now {
        Some(now) => bash.env("CARE_NOW", now),
        None => bash.env_remove("CARE_NOW"),
    };
    let out = bash
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("PATH", path)
        .env("HOME", dir.path())
        .env_remove("CARE_BOOK")
        .env_remove("CARE_STAFF")
        .env_remove("EDITOR")
        .env_remove("VISUAL")
        .output()
        .expect("bash");
    let run = Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    let when = now.unwrap_or("the real clock");
    assert!(
        out.status.success(),
        "{page} at {when}: an example failed\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout,
        run.stderr
    );
    run
}

fn read(page: &str) -> String {
    std::fs::read_to_string(root().join(page)).unwrap_or_else(|e| panic!("{page}: {e}"))
}

/// Commands are shown only in blocks that run: no shell block under another name, and no
/// git in a ```sh block (a test must not touch the repository it runs in; git sessions
/// are shown in ```text).
fn check_fences(page: &str, text: &str) {
    for (info, body) in blocks(text) {
        assert!(
            !["bash", "shell", "console", "zsh", "shell-session"].contains(&info.as_str()),
            "{page}: a ```{info} block would not be run; use ```sh (or ```text for crontab and git)"
        );
        if info == "sh" {
            for line in body.lines() {
                assert!(!line.split_whitespace().any(|w| w == "git"), "{page}: git runs in a ```sh block: {line}");
            }
        }
    }
}

/// Run every ```sh block of a page.
fn run_page(page: &str) -> Run {
    let text = read(page);
    check_fences(page, &text);
    let blocks = sh_blocks(&text);
    assert!(!blocks.is_empty(), "{page} shows no commands");
    run(page, &blocks)
}

#[test]
fn every_shell_example_in_the_readme_runs() {
    let readme = read("README.md");
    check_fences("README.md", &readme);
    let blocks = sh_blocks(&readme);
    assert!(blocks[0].contains("cargo test"), "the first block builds and tests care");
    assert!(blocks[1..].iter().all(|b| !b.contains("cargo ")), "only the first block is skipped");
    let out = run("README.md", &blocks[1..]);
    // What the story promises is what the commands print.
    assert!(out.stdout.contains("ada-lovelace"));
    assert!(out.stdout.contains("check-in"), "the next day's check-in is listed:\n{}", out.stdout);
    assert!(out.stdout.contains("wrap-up"), "three days later, the wrap-up:\n{}", out.stdout);
    assert!(out.stderr.contains("Still to do"));
    assert!(out.stdout.contains("█"), "the chart is drawn");
}

#[test]
fn the_guide_runs_from_a_new_book_to_a_trends_chart() {
    let out = run_page("docs/guide.md");
    assert!(out.stderr.contains("Still to do"), "opening an incident briefs the owner");
    assert!(out.stderr.contains("reviewed before the apology"), "the review-first warning is shown");
    assert!(out.stdout.contains("rear-wiper-blades"), "the wiper-blade pattern is found");
    assert!(out.stdout.contains("█"), "a chart is drawn");
}

#[test]
fn the_recipes_run() {
    let out = run_page("docs/recipes.md");
    assert!(out.stdout.contains("margaret-delaney"), "the overdue check-in is found:\n{}", out.stdout);
    assert!(out.stdout.contains("Eleanor Vance"), "the arrivals are briefed:\n{}", out.stdout);
    assert!(out.stdout.contains("by: joan"), "the alias records who wrote:\n{}", out.stdout);
    assert!(out.stdout.contains("Fatima Haddad"), "the repeat customer is found in SQL:\n{}", out.stdout);
}

#[test]
fn every_page_in_docs_with_commands_runs() {
    let pages = doc_pages();
    assert!(pages.len() >= 4, "guide, recipes, format, architecture: {pages:?}");
    for name in pages {
        // The guide and the recipes have their own tests, with what they promise.
        if name == "docs/guide.md" || name == "docs/recipes.md" {
            continue;
        }
        let text = read(&name);
        check_fences(&name, &text);
        if !sh_blocks(&text).is_empty() {
            run_page(&name);
        }
    }
}

/// The pages read on another day than the one they were written for: every block still
/// runs at the machine's own clock (a follow-up typed for "2026-11-20" on a book made
/// today is before its incident, and refused, so the pages say "tomorrow", not a date).
#[test]
fn every_page_runs_at_the_real_clock_too() {
    let readme = read("README.md");
    run_at("README.md", &sh_blocks(&readme)[1..], None);
    let pages = doc_pages();
    for name in pages {
        let blocks = sh_blocks(&read(&name));
        if !blocks.is_empty() {
            run_at(&name, &blocks, None);
        }
    }
}

/// The pages of docs/, as `docs/NAME.md`, in order.
fn doc_pages() -> Vec<String> {
    let mut pages: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| format!("docs/{}", p.file_name().expect("name").to_string_lossy()))
        .collect();
    pages.sort();
    pages
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn blocks_are_read_with_their_info_strings() {
    let page = "text\n```sh\ncare flags\n```\n\n```text\n*/10 * * * * care\n```\n";
    assert_eq!(blocks(page), [("sh".into(), "care flags\n".into()), ("text".into(), "*/10 * * * * care\n".into())]);
    assert_eq!(sh_blocks(page), ["care flags\n"]);
}
