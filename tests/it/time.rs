//! Times typed on the command line, read in the book's timezone with a clock fixed by
//! CARE_NOW, across daylight-saving changes.

use crate::common;

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
    // 02:30 did not exist in New York that night: refused, naming the gap and what to type.
    let out = book.cmd().env("CARE_NOW", now).args(["note", "ada", "x", "--at", "02:30"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2026-03-08 02:30 does not exist in America/New_York"), "{err}");
    assert!(err.contains("from 02:00 to 03:00") && err.contains("type 01:59"), "{err}");
    assert_eq!(stored_at(&book, now, "01:59"), "2026-03-08T01:59:00-05:00");
    assert_eq!(stored_at(&book, now, "03:00"), "2026-03-08T03:00:00-04:00");
}

#[test]
fn a_time_that_happens_twice_warns_which_was_taken() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let out = book
        .cmd()
        .env("CARE_NOW", "2026-11-01T12:00:00-05:00")
        .args(["note", "ada", "x", "--at", "01:30"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: --at: 2026-11-01 01:30 happens twice"), "{err}");
    assert!(err.contains("for the second type 2026-11-01T01:30:00-05:00"), "{err}");
}

#[test]
fn just_after_midnight_a_bare_clock_time_is_last_night() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let late = |now: &str, args: &[&str]| book.cmd().env("CARE_NOW", now).args(args).output().expect("run");
    let opened = late("2026-11-22T23:50:00-05:00", &["recover", "open", "ada", "--what", "Cold soup", "--at", "23:40"]);
    let id = String::from_utf8_lossy(&opened.stdout).trim().to_string();
    let id = id.as_str();
    let run = |args: &[&str]| late("2026-11-23T00:10:00-05:00", args);
    assert!(run(&["recover", "apologize", id, "--at", "23:45"]).status.success());
    let file = format!("incidents/2026/11/{id}.yaml");
    let v = book.yaml(&file);
    assert_eq!(v["recovery"]["apologized"]["at"], "2026-11-22T23:45:00-05:00");
    // Past events are never in the future: "today 23:45" is refused, exit 2 (a bad
    // argument), with advice.
    let out = run(&["recover", "review", id, "--at", "today 23:45"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already happened") && err.contains("yesterday 23:45"), "{err}");
    assert!(book.yaml(&file)["recovery"]["reviewed"].is_null());
    // The fix at 00:05 is 25 minutes after 23:40: the progress follow-up's breach is 5 minutes, not a day.
    assert!(run(&["recover", "fix", id, "--at", "00:05"]).status.success());
    let v = book.yaml(&file);
    assert_eq!(v["followups"][0]["missed_by"].as_i64(), Some(5), "{v:?}");
}

#[test]
fn times_as_people_say_them_reach_the_records() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let now = common::NOW; // Sunday 2026-11-22 19:42
    assert_eq!(stored_at(&book, now, "yesterday 19:42"), "2026-11-21T19:42:00-05:00");
    assert_eq!(stored_at(&book, now, "3pm"), "2026-11-22T15:00:00-05:00");
    assert_eq!(stored_at(&book, now, "last fri 9:30pm"), "2026-11-20T21:30:00-05:00");
    assert_eq!(stored_at(&book, now, "noon"), "2026-11-22T12:00:00-05:00");
    let id = book.ok(&["recover", "open", "ada", "--what", "x"]);
    // Something scheduled: a bare clock time or weekday is the next one.
    book.ok(&["followup", "add", id.trim(), "--due", "9am", "Call about the refund"]);
    book.ok(&["followup", "add", id.trim(), "--due", "fri", "Send the voucher"]);
    let v = book.yaml(&format!("incidents/2026/11/{}.yaml", id.trim()));
    let dues: Vec<&str> = v["followups"].as_sequence().expect("f").iter().filter_map(|f| f["due"].as_str()).collect();
    assert!(dues.contains(&"2026-11-23T09:00:00-05:00"), "{dues:?}");
    assert!(dues.contains(&"2026-11-27T00:00:00-05:00"), "{dues:?}");
}

#[test]
fn absurd_times_and_expired_flags_are_refused_not_stored() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    for at in ["0001-01-01", "9999-12-31"] {
        let out = book.fails(&["recover", "open", "ada", "--what", "x", "--at", at], 2);
        assert!(out.stderr.contains("between 1900 and 2199"), "{}", out.stderr);
    }
    assert!(!book.path("incidents/0000").exists() && !book.path("incidents/9999").exists());
    let out = book.fails(&["flag", "ada", "x", "--until", "2000-01-01"], 1);
    assert!(out.stderr.contains("already expired"), "{}", out.stderr);
    assert!(book.yaml("customers/ada-lovelace.yaml")["flags"].is_null());
    let out = book.fails(&["note", "ada", "x", "--at", "banana"], 2);
    assert!(out.stderr.contains("\"last fri\""), "{}", out.stderr);
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

#[test]
fn check_reports_times_that_cannot_be_true() {
    let book = TestBook::new();
    book.write(
        "customers/ada-lovelace.yaml",
        "id: ada-lovelace\nname: Ada Lovelace\nnotes:\n- {text: Written tomorrow, at: 2026-11-23T23:45:00-05:00, by: joan}\n\
         - {text: A typo, at: 0001-01-01T00:00:00-04:56, by: joan}\n",
    );
    book.write(
        "incidents/2026/11/20261122-abcdef.yaml",
        "id: 20261122-abcdef\ncustomer: ada-lovelace\nopened: 2026-11-22T19:00:00-05:00\n\
         followups:\n- {kind: progress, due: 2026-11-22T19:20:00-05:00, done: {at: 2026-11-22T19:10:00-05:00, by: joan}, missed_by: 1430}\n",
    );
    let out = book.care(&["check"]);
    assert_eq!(out.code, 1, "an absurd year is an error: {out:?}");
    let codes: Vec<String> = common::csv_rows(&out.stdout).iter().skip(1).map(|r| r[4].clone()).collect();
    for code in ["future-time", "absurd-time", "impossible-missed-by"] {
        assert!(codes.contains(&code.to_string()), "{code} missing from {codes:?}");
    }
    assert!(out.stdout.contains("it was done in time"), "{}", out.stdout);
}
