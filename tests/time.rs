//! Times typed on the command line, read in the book's timezone with a clock fixed by
//! CARE_NOW, across daylight-saving changes.

mod common;

use common::TestBook;

/// The `at` stored for a note added with `--at WHEN` while the clock says `now`.
fn stored_at(book: &TestBook, now: &str, when: &str) -> String {
    let out = book.cmd().env("CARE_NOW", now).args(["note", "ada", "x", "--at", when]).output().expect("run");
    assert!(out.status.success(), "{when}: {}", String::from_utf8_lossy(&out.stderr));
    let v = book.yaml("customers/ada-lovelace.yaml");
    let notes = v["notes"].as_sequence().expect("notes");
    notes.last().expect("a note")["at"].as_str().expect("at").to_string()
}

#[test]
fn the_day_after_the_clocks_go_back() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let now = "2026-11-01T12:00:00-05:00"; // noon EST, the day New York falls back
    assert_eq!(stored_at(&book, now, "now"), "2026-11-01T12:00:00-05:00");
    assert_eq!(stored_at(&book, now, "yesterday"), "2026-10-31T00:00:00-04:00");
    assert_eq!(stored_at(&book, now, "today"), "2026-11-01T00:00:00-04:00");
    // Days are calendar days: noon yesterday, 25 hours ago; hours are elapsed time.
    assert_eq!(stored_at(&book, now, "1d ago"), "2026-10-31T12:00:00-04:00");
    assert_eq!(stored_at(&book, now, "-24h"), "2026-10-31T13:00:00-04:00");
    // 01:30 happened twice that night; the first (EDT) is meant.
    assert_eq!(stored_at(&book, now, "01:30"), "2026-11-01T01:30:00-04:00");
    assert_eq!(stored_at(&book, now, "2026-11-01 01:30"), "2026-11-01T01:30:00-04:00");
    // An explicit offset is kept as given.
    assert_eq!(stored_at(&book, now, "2026-11-01T01:30:00-05:00"), "2026-11-01T01:30:00-05:00");
}

#[test]
fn the_day_the_clocks_go_forward() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let now = "2026-03-08T12:00:00-04:00";
    // 02:30 did not exist in New York that night: it moves forward by the gap.
    assert_eq!(stored_at(&book, now, "02:30"), "2026-03-08T03:30:00-04:00");
    assert_eq!(stored_at(&book, now, "01:59"), "2026-03-08T01:59:00-05:00");
    assert_eq!(stored_at(&book, now, "in 1w"), "2026-03-15T12:00:00-04:00");
}

#[test]
fn the_same_instant_reads_in_each_books_own_zone() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let mut config = book.read("care.yaml");
    config = config.replace("timezone: America/New_York", "timezone: Europe/Rome");
    book.write("care.yaml", &config);
    assert_eq!(stored_at(&book, "2026-11-22T19:42:00-05:00", "now"), "2026-11-23T01:42:00+01:00");
    assert_eq!(stored_at(&book, "2026-11-22T19:42:00-05:00", "today"), "2026-11-23T00:00:00+01:00");
    // The flag's last day is counted in the book's local date too.
    book.ok(&["flag", "ada", "x", "--until", "tomorrow"]);
    assert_eq!(book.yaml("customers/ada-lovelace.yaml")["flags"][0]["until"], "2026-11-24");
}
