//! README.md executed: every `sh` block after the first (the two commands that build and
//! test) runs, in order, in one shell in a temporary folder with `care` on the PATH, so
//! the documentation cannot rot. `text` blocks (crontab lines) are shown, not run.

use std::process::Command;

fn sh_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn every_shell_example_in_the_readme_runs() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let blocks = sh_blocks(&readme);
    assert!(blocks[0].contains("cargo test"), "the first block is the two commands");
    let script = format!("set -euo pipefail\n{}", blocks[1..].join("\n"));

    let dir = tempfile::TempDir::new().expect("temp dir");
    // The sample books, where the README's `-C examples/...` commands expect them.
    copy_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"), &dir.path().join("examples"));
    // The tour's reservations list, as a booking system would export it.
    std::fs::create_dir(dir.path().join("trattoria")).expect("mkdir");
    std::fs::write(dir.path().join("trattoria/reservations.csv"), "19:00,ada-lovelace\n").expect("write");
    let bin = assert_cmd::cargo::cargo_bin("care");
    let path = format!("{}:{}", bin.parent().expect("bin dir").display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("PATH", path)
        .env("CARE_NOW", "2026-11-22T18:00:00-05:00")
        .env_remove("CARE_BOOK")
        .env_remove("CARE_STAFF")
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "README example failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    // What the story promises is what the commands print.
    assert!(stdout.contains("ada-lovelace"));
    assert!(stdout.contains("check-in"), "the next day's check-in is listed:\n{stdout}");
    assert!(stdout.contains("wrap-up"), "three days later, the wrap-up:\n{stdout}");
    assert!(stderr.contains("Still to do"));
    assert!(stdout.contains("█"), "the chart is drawn");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
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
