//! Writers and `care check` agree: no command stores what `check` calls an error. Every
//! error code docs/format.md lists is either tried through the writers that could
//! produce it (each refuses, with check's own words, and writes nothing), or named here
//! with the reason no writer can produce it. A new error code fails this test until it is
//! given one or the other.

use crate::common;

use std::path::Path;

use common::{NOW, TestBook};

/// The error codes of check's table in docs/format.md.
fn documented_error_codes() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/format.md")).expect("format");
    text.lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells.len() > 3 && cells[2] == "error").then(|| cells[1].trim_matches('`').to_string())
        })
        .collect()
}

/// Codes only the filesystem, git, a hand edit or a kill can produce, never a writer.
const NOT_WRITTEN: [(&str, &str); 19] = [
    ("syntax", "care renders every record through its YAML emitter"),
    ("too-deep", "care's records nest three levels at most"),
    ("alias-expansion", "care writes no anchors or aliases"),
    ("not-utf8", "care writes Rust strings, UTF-8 by construction"),
    ("link-outside", "care never makes links"),
    ("dangling-link", "care never makes links"),
    ("not-regular", "care writes regular files"),
    ("unreadable", "care writes what it can read back"),
    ("invalid", "care serialises typed records: a value of the wrong kind cannot be written"),
    ("bad-time", "care writes every time as RFC 3339 with its offset"),
    ("id-mismatch", "a record's file is named from its id when created, and ids are never edited"),
    ("bad-lexicon", "care has no writer for care.yaml's lexicon"),
    ("bad-exposure", "care has no writer for care.yaml's exposure"),
    ("hook-tracked", "hooks are the clone's own files; care writes none"),
    ("hook-nested", "hooks are the clone's own files; care writes none"),
    ("hook-unverified", "hooks are the clone's own files; care writes none"),
    ("merge-stopped", "only a killed merge leaves it, and check --fix or the merge again completes it"),
    ("duplicate-id", "a record is created only where no file is (tried below with customer add)"),
    ("bad-tombstone", "care writes forgotten.yaml only through its own serialiser, from a parsed tombstone"),
];

/// The codes tried below through the writers.
const TRIED: [&str; 7] = [
    "followup-before-opened",
    "step-before-opened",
    "absurd-time",
    "unknown-customer",
    "bad-id",
    "too-big",
    "forgotten-back",
];

#[test]
fn every_error_code_is_either_refused_by_the_writers_or_out_of_their_reach() {
    let documented = documented_error_codes();
    assert!(documented.len() > 20, "the table was read: {documented:?}");
    for code in &documented {
        let placed = NOT_WRITTEN.iter().any(|(c, _)| c == code) || TRIED.contains(&code.as_str());
        assert!(placed, "check's error `{code}` must be tried through the writers or said to be out of their reach");
    }
    for code in NOT_WRITTEN.iter().map(|(c, _)| *c).chain(TRIED) {
        assert!(documented.iter().any(|d| d == code), "`{code}` is not in docs/format.md any more");
    }
}

/// The book with Ada and an incident opened at 19:00 on the evening of `NOW`.
fn book_with_incident() -> (TestBook, String, String) {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let id = book.ok(&["recover", "open", "ada", "--what", "Cold soup", "--at", "19:00"]).trim().to_string();
    let file = format!("incidents/2026/11/{id}.yaml");
    (book, id, file)
}

/// A refused write: exit 2 naming why, the file as it was, and `check` still clean.
fn refused(book: &TestBook, args: &[&str], file: &str, words: &str) {
    let before = book.read(file);
    let out = book.fails(args, 2);
    assert!(out.stderr.contains(words), "{args:?}: {}", out.stderr);
    assert!(out.stderr.contains("nothing was written"), "{args:?}: {}", out.stderr);
    assert_eq!(book.read(file), before, "{args:?} wrote nothing");
    let check = book.care(&["check"]);
    assert_eq!(check.code, 0, "{args:?}: check finds no error after it:\n{}{}", check.stdout, check.stderr);
}

#[test]
fn a_follow_up_or_its_done_time_before_the_incident_is_refused_with_checks_words() {
    let (book, id, file) = book_with_incident();
    assert!(NOW.starts_with("2026-11-22T19:42"), "the times below are read at {NOW}");
    // The guide's own case: a follow-up due two days before the incident.
    let words = "the custom follow-up is due before the incident was opened";
    refused(&book, &["followup", "add", &id, "--due", "2026-11-20 09:00", "call her"], &file, words);
    // 19:50 typed at 19:42 is eight minutes ahead: not today's, so yesterday's, before the
    // incident opened at 19:00: refused, rather than stored a day early.
    let words = "the progress follow-up is marked done before the incident was opened";
    refused(&book, &["followup", "done", &id, "--at", "19:50"], &file, words);
    // A recovery step before the incident.
    let words = "`apologized` is dated before the incident was opened";
    refused(&book, &["recover", "apologize", &id, "--at", "2026-11-21 10:00"], &file, words);
    // A time a few minutes ahead is the watch running fast: today, after the incident.
    book.ok(&["followup", "done", &id, "--at", "19:45"]);
    book.ok(&["followup", "add", &id, "--due", "2026-11-23 09:00", "call her"]);
    let check = book.care(&["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

#[test]
fn the_other_writable_errors_are_refused_before_anything_is_written() {
    let (book, _, _) = book_with_incident();
    let customer = "customers/ada-lovelace.yaml";
    let before = book.read(customer);
    // absurd-time: a year no service history has.
    let out = book.fails(&["visit", "ada", "--at", "0001-01-01 12:00"], 2);
    assert!(out.stderr.contains("--at"), "{}", out.stderr);
    // unknown-customer: an incident is opened only for a customer in the book.
    let out = book.care(&["recover", "open", "nobody-at-all", "--what", "x"]);
    assert_ne!(out.code, 0, "{out:?}");
    // bad-id and duplicate-id: customer add refuses both.
    let out = book.care(&["customer", "add", "Bad", "--id", "Not An Id"]);
    assert_eq!(out.code, 2, "{out:?}");
    let out = book.care(&["customer", "add", "Ada Again", "--id", "ada-lovelace"]);
    assert_ne!(out.code, 0, "{out:?}");
    // too-big: a note that would take the file past check's 1 MiB limit.
    // (120 KiB a note: an argument may not be longer than 128 KiB.)
    let long = "x".repeat(120 * 1024);
    let mut kept = 0;
    let out = loop {
        let out = book.care(&["note", "ada", &long]);
        if out.code != 0 || kept > 10 {
            break out;
        }
        kept += 1;
    };
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(kept >= 7, "the notes up to the limit were kept: {kept}");
    assert!(out.stderr.contains("1 MiB") && out.stderr.contains("nothing was written"), "{}", out.stderr);
    assert!(book.read(customer).len() < 1024 * 1024);
    assert!(book.read(customer).starts_with(before.lines().next().unwrap_or("")));
    let check = book.care(&["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

#[test]
fn a_forgotten_person_is_not_brought_back_by_any_writer() {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--phone", "+1 555 0100", "--email", "ada@example.com"]);
    book.add("Bob Byron");
    book.ok(&["forget", "ada-lovelace", "--reason", "asked"]);
    book.write("guests.csv", "name,email\nCarla Diaz,carla@example.com\nA. L.,ADA@example.com\n");
    for args in [
        &["customer", "add", "Ada Lovelace"][..],
        &["customer", "add", "A. L.", "--phone", "+1 (555) 0100"],
        &["import", "customers", "guests.csv"],
    ] {
        let before = std::fs::read_dir(book.path("customers")).expect("customers").count();
        let out = book.care(args);
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert!(out.stderr.contains("forgotten"), "{args:?}: {}", out.stderr);
        assert_eq!(std::fs::read_dir(book.path("customers")).expect("customers").count(), before, "{args:?}");
    }
    let out = book.care(&["check"]);
    assert!(!out.stdout.contains("forgotten-back"), "{}", out.stdout);
}
