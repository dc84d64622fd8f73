//! The pictures in docs/pictures/ are drawn by care, so they cannot rot: each one the guide
//! shows is drawn again here with the exact command printed under it in docs/guide.md (in a
//! copy of examples/ and the guide's demo book, at the guide's clock), and must be the file
//! committed, byte for byte. After a deliberate change to the drawing, rewrite them with
//! `CARE_UPDATE_PICTURES=1 cargo test --test it pictures::` and look at the difference.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The guide's clock (tests/it/docs.rs runs the page at it), so its commands draw these pictures.
const NOW: &str = "2026-11-22T18:00:00-05:00";

/// How the guide makes its demo book, before any picture of it.
const DEMO: &str = "care demo demo --incidents 3000";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Each picture the guide shows, as (file name, the command under it): the first line after
/// `![…](pictures/NAME.svg)` that runs care and writes `> NAME.svg`.
fn pictures(guide: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = guide.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.split("](pictures/").nth(1) else { continue };
        let name = rest.split(')').next().expect("a closing parenthesis").to_string();
        let target = format!("> {name}");
        let command = lines[i + 1..]
            .iter()
            .find(|l| l.starts_with("care ") && l.trim_end().ends_with(&target))
            .unwrap_or_else(|| panic!("no `care … {target}` under the picture {name}"));
        found.push((name, command.to_string()));
    }
    found
}

/// Run a line of the guide with `care` on the PATH, in `dir`, at the guide's clock.
fn sh(dir: &Path, line: &str) {
    let bin = assert_cmd::cargo::cargo_bin("care");
    let path = format!("{}:{}", bin.parent().expect("bin dir").display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .args(["-c", &format!("set -euo pipefail\n{line}")])
        .current_dir(dir)
        .env("PATH", path)
        .env("CARE_NOW", NOW)
        .env("HOME", dir)
        .env_remove("CARE_BOOK")
        .env_remove("CARE_STAFF")
        .output()
        .expect("bash");
    assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn every_picture_in_the_guide_is_what_its_command_draws_today() {
    let guide = std::fs::read_to_string(root().join("docs/guide.md")).expect("the guide");
    assert!(guide.contains(DEMO), "the guide makes its demo book with `{DEMO}`");
    let shown = pictures(&guide);
    let names: Vec<&str> = shown.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["heatmap.svg", "bars.svg", "pareto.svg", "control.svg"], "one picture of each kind");

    let dir = tempfile::TempDir::new().expect("temp dir");
    common::copy_dir(&root().join("examples"), &dir.path().join("examples"));
    sh(dir.path(), DEMO);
    let update = std::env::var("CARE_UPDATE_PICTURES").as_deref() == Ok("1");
    let mut stale = Vec::new();
    for (name, command) in &shown {
        sh(dir.path(), command);
        let drawn = std::fs::read_to_string(dir.path().join(name)).expect("the picture drawn");
        roxmltree::Document::parse(&drawn).unwrap_or_else(|e| panic!("{name} is not well-formed XML: {e}"));
        let committed: PathBuf = root().join("docs/pictures").join(name);
        if update {
            std::fs::write(&committed, &drawn).expect("rewrite the picture");
        } else if std::fs::read_to_string(&committed).ok().as_deref() != Some(drawn.as_str()) {
            stale.push(format!("{name} (from: {command})"));
        }
    }
    assert!(
        stale.is_empty(),
        "docs/pictures differ from what care draws now: {stale:?}; if the change is meant, \
         rewrite them with CARE_UPDATE_PICTURES=1 cargo test --test it pictures::"
    );
    // Nothing in docs/pictures that the guide does not show (it would rot unseen).
    let mut files: Vec<String> = std::fs::read_dir(root().join("docs/pictures"))
        .expect("docs/pictures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    expected.sort();
    assert_eq!(files, expected, "every file in docs/pictures is shown in the guide");
}

#[test]
fn the_commands_are_read_from_under_each_picture() {
    let page = "![a](pictures/a.svg)\n\n```sh\ncare -C demo trends --by hour --chart svg > a.svg\n```\n";
    assert_eq!(
        pictures(page),
        [("a.svg".to_string(), "care -C demo trends --by hour --chart svg > a.svg".to_string())]
    );
    assert!(pictures("no pictures here").is_empty());
}
