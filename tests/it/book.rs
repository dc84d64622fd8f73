//! Creating and finding a book.

use crate::common;

use common::{TestBook, csv_rows};

#[test]
fn init_creates_a_book_and_refuses_to_overwrite_one() {
    let book = TestBook::new();
    assert!(book.path("customers").is_dir());
    assert!(book.path("incidents").is_dir());
    let config = book.read("care.yaml");
    assert!(config.contains("name: Test Bistro"), "{config}");
    assert!(config.contains("timezone: America/New_York"));
    assert!(config.contains("progress: 20m"));
    assert!(book.read(".gitignore").contains(".*.lock"));

    let before = book.read("care.yaml");
    let out = book.fails(&["init", "."], 1);
    assert!(out.stderr.contains("already holds a book"), "{}", out.stderr);
    assert_eq!(book.read("care.yaml"), before);
}

#[test]
fn init_rejects_an_unknown_timezone() {
    let dir = TestBook::bare();
    let out = dir.fails(&["init", "b", "--timezone", "Mars/Olympus"], 2);
    assert!(out.stderr.contains("Mars/Olympus"), "{}", out.stderr);
    assert!(!dir.path("b/care.yaml").exists());
}

#[test]
fn the_book_is_found_by_flag_env_or_walking_up() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    std::fs::create_dir_all(book.path("customers/deep/er")).expect("mkdir");

    // Walking up from a sub-folder.
    let out = book.cmd().current_dir(book.path("customers/deep/er")).args(["customer", "list"]).output().expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("ada-lovelace"));

    // -C and CARE_BOOK from elsewhere.
    let elsewhere = TestBook::bare();
    let root = book.root().to_str().expect("utf8 path");
    let out = elsewhere.ok(&["-C", root, "customer", "list"]);
    assert_eq!(csv_rows(&out).len(), 2);
    let out = elsewhere.cmd().env("CARE_BOOK", root).args(["customer", "list"]).output().expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("ada-lovelace"));
}

#[test]
fn no_book_is_a_clear_error_that_says_how_to_make_one() {
    let dir = TestBook::bare();
    let out = dir.fails(&["customer", "list"], 1);
    assert!(out.stderr.starts_with("error: no book found"), "{}", out.stderr);
    assert!(out.stderr.contains("care init"), "{}", out.stderr);
    let out = dir.fails(&["-C", "nowhere", "flags"], 1);
    assert!(out.stderr.contains("care init nowhere"), "{}", out.stderr);
}

#[test]
fn a_broken_care_yaml_names_its_line_and_column() {
    let book = TestBook::new();
    book.write("care.yaml", "name: x\ntimezone: Mars/Olympus\n");
    let out = book.fails(&["customer", "list"], 1);
    assert!(out.stderr.contains("care.yaml:2:11"), "{}", out.stderr);
    assert!(out.stderr.contains("unknown timezone"), "{}", out.stderr);
    book.write("care.yaml", "name: [x\n");
    let out = book.fails(&["customer", "list"], 1);
    assert!(out.stderr.contains("care.yaml:"), "{}", out.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let book = TestBook::new();
    book.fails(&["note"], 2);
    book.fails(&["customer", "list", "--format", "xml"], 2);
    let out = book.fails(&["note", "ada", "x", "--at", "banana"], 2);
    assert!(out.stderr.contains("--at"), "{}", out.stderr);
}

#[test]
fn a_bad_care_now_is_named() {
    let book = TestBook::new();
    let out = book.cmd().env("CARE_NOW", "yesterday-ish").args(["flags"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CARE_NOW"));
}

#[test]
fn help_reads_like_a_finished_tool() {
    let book = TestBook::bare();
    let top = book.ok(&["--help"]);
    for command in ["init", "customer", "show", "note", "flag", "flags"] {
        assert!(top.contains(command), "{command} missing from --help");
        let help = book.ok(&[command, "--help"]);
        assert!(help.contains("Example"), "care {command} --help has no example:\n{help}");
    }
    for sub in ["add", "list"] {
        assert!(book.ok(&["customer", sub, "--help"]).contains("Example"));
    }
}
