//! A small fluent harness over a temporary book: `TestBook::new()` makes one with
//! `care init`, `book.run(&[...])` runs the real binary in it as a user would (clock fixed
//! with CARE_NOW, writer fixed with CARE_STAFF, stdout a pipe), and checks the exit status.

#![allow(dead_code)] // each test file uses its own part of the harness

pub mod http;
pub mod webdriver;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// The clock every test starts at: the evening of story 1.
pub const NOW: &str = "2026-11-22T19:42:00-05:00";

pub struct TestBook {
    pub dir: TempDir,
}

/// What a finished run printed.
#[derive(Debug)]
pub struct Out {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl TestBook {
    /// A fresh book in New York time.
    pub fn new() -> TestBook {
        let book = TestBook { dir: TempDir::new().expect("temp dir") };
        let out = book.care_in(book.root(), &["init", ".", "--name", "Test Bistro", "--timezone", "America/New_York"]);
        assert_eq!(out.code, 0, "init failed: {out:?}");
        book
    }

    /// A temporary folder that is not a book.
    pub fn bare() -> TestBook {
        TestBook { dir: TempDir::new().expect("temp dir") }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// The binary, configured as a test user: in the book, fixed clock and staff, no colour.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.process())
    }

    /// The binary as a plain process to spawn and steer (pipes, signals).
    pub fn process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("care"));
        cmd.current_dir(self.root())
            .env("CARE_NOW", NOW)
            .env("CARE_STAFF", "joan")
            .env_remove("CARE_BOOK")
            .env_remove("NO_COLOR");
        cmd
    }

    /// Run `care ARGS` in the book and return what it printed, whatever the status.
    pub fn care(&self, args: &[&str]) -> Out {
        self.care_in(self.root(), args)
    }

    fn care_in(&self, dir: &Path, args: &[&str]) -> Out {
        let out = self.cmd().current_dir(dir).args(args).output().expect("runs");
        Out {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }

    /// Run and insist on success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.care(args);
        assert_eq!(out.code, 0, "care {args:?} failed:\n{}", out.stderr);
        out.stdout
    }

    /// Run and insist on failure with `code`; returns what was printed.
    pub fn fails(&self, args: &[&str], code: i32) -> Out {
        let out = self.care(args);
        assert_eq!(out.code, code, "care {args:?}: expected exit {code}, got {out:?}");
        out
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    /// Add a customer the way a user would; returns the id printed.
    pub fn add(&self, name: &str) -> String {
        self.ok(&["customer", "add", name]).trim().to_string()
    }

    /// A customer record parsed as YAML, for checking what was written.
    pub fn yaml(&self, rel: &str) -> serde_yaml::Value {
        serde_yaml::from_str(&self.read(rel)).unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"))
    }
}

/// Copy a folder tree (a sample book) somewhere else.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Parse CSV output into rows of strings (header included).
pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("valid CSV").iter().map(str::to_string).collect())
        .collect()
}

/// How long a `care serve` may take to print its address: a cold start on a loaded 2-core
/// machine, with a hang still seen well inside CI's limit.
pub const SERVE_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

pub use http::serve;

/// Every `.yaml` file under `dir`, at any depth, sorted; hidden files (`.x.yaml`) left out.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let (path, name) = (entry.path(), entry.file_name().to_string_lossy().into_owned());
        if path.is_dir() {
            files.extend(yaml_files(&path));
        } else if name.ends_with(".yaml") && !name.starts_with('.') {
            files.push(path);
        }
    }
    files.sort();
    files
}
