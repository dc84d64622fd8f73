//! Commands that write two records (`recover open`: the incident, then the misstep and flag
//! on the customer's file) leave, when stopped between the writes, a state that `check`
//! reports, that the customer's card still shows, and that `check --fix` or the next
//! `recover open` completes — never a duplicate misstep or flag.

use crate::common;

use std::thread;
use std::time::Duration;

use common::{TestBook, csv_rows};

fn incident_ids(book: &TestBook) -> Vec<String> {
    let rows = csv_rows(&book.ok(&["recover", "list"]));
    rows.iter().skip(1).map(|r| r[0].clone()).collect()
}

/// How many missteps and flags of Ada's file name `incident`.
fn links(book: &TestBook, incident: &str) -> (usize, usize) {
    let v = book.yaml("customers/ada-lovelace.yaml");
    let count = |key: &str| {
        v[key].as_sequence().map_or(0, |s| s.iter().filter(|e| e["incident"].as_str() == Some(incident)).count())
    };
    (count("missteps"), count("flags"))
}

fn codes(book: &TestBook) -> Vec<String> {
    let out = book.care(&["check"]);
    csv_rows(&out.stdout).iter().skip(1).map(|r| r[4].clone()).collect()
}

#[test]
fn an_opening_whose_second_write_failed_is_reported_shown_and_fixed() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    // A folder where the customer's lock file goes: the second write fails, even for root.
    let _ = std::fs::remove_file(book.path("customers/.ada-lovelace.yaml.lock"));
    std::fs::create_dir(book.path("customers/.ada-lovelace.yaml.lock")).expect("mkdir");
    let out = book.fails(&["recover", "open", "ada", "--what", "Cold soup"], 1);
    assert!(out.stderr.contains("is opened (do not open it again)"), "{}", out.stderr);
    assert!(out.stderr.contains("care check --fix"), "{}", out.stderr);
    std::fs::remove_dir(book.path("customers/.ada-lovelace.yaml.lock")).expect("rmdir");
    let ids = incident_ids(&book);
    assert_eq!(ids.len(), 1);
    assert_eq!(links(&book, &ids[0]), (0, 0));

    // The card still shows the open incident, through the clone's journal.
    let card = book.ok(&["--format", "table", "show", "ada"]);
    assert!(card.contains("Open incidents") && card.contains(&ids[0]), "{card}");
    // check says what is wrong and how to mend it; warnings keep the status 0.
    assert!(codes(&book).contains(&"unlinked-incident".to_string()));

    let out = book.care(&["check", "--fix"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains(&format!("linked incident {}", ids[0])), "{}", out.stderr);
    assert_eq!(links(&book, &ids[0]), (1, 1));
    assert!(!codes(&book).contains(&"unlinked-incident".to_string()));
    // A second fix finds nothing to do and adds nothing.
    book.ok(&["check", "--fix"]);
    assert_eq!(links(&book, &ids[0]), (1, 1));
    assert_eq!(std::fs::read_dir(book.path(".care/pending")).expect("journal").count(), 0);
}

#[test]
fn a_hand_written_incident_without_links_is_fixed_by_check() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.write(
        "incidents/2026/11/20261121-abcdef.yaml",
        "id: 20261121-abcdef\ncustomer: ada-lovelace\nopened: 2026-11-21T12:00:00-05:00\nsummary: Lost coat\n",
    );
    assert!(codes(&book).contains(&"unlinked-incident".to_string()));
    book.ok(&["check", "--fix"]);
    assert_eq!(links(&book, "20261121-abcdef"), (1, 1));
    let v = book.yaml("customers/ada-lovelace.yaml");
    assert_eq!(v["missteps"][0]["text"].as_str(), Some("Lost coat"));
}

#[test]
fn openings_killed_at_any_moment_are_completed_once_each() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..40 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = book
            .process()
            .args(["recover", "open", "ada", "--what", &format!("round {round}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        // Kill timing only: the clock the tool sees is CARE_NOW.
        thread::sleep(Duration::from_micros(seed % 25_000));
        let _ = child.kill();
        let _ = child.wait();
    }
    // The next opening completes what the killed ones left half done.
    book.ok(&["recover", "open", "ada", "--what", "after the storm"]);
    for id in incident_ids(&book) {
        assert_eq!(links(&book, &id), (1, 1), "incident {id}");
    }
    assert!(!codes(&book).contains(&"unlinked-incident".to_string()));
    let leftovers: Vec<_> = std::fs::read_dir(book.path("customers"))
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn an_open_incident_with_nothing_scheduled_is_still_due_and_checked() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    // Written by hand (or imported): open, and no follow-ups at all.
    book.write(
        "incidents/2026/11/20261122-handmd.yaml",
        "id: 20261122-handmd\ncustomer: ada-lovelace\nopened: 2026-11-22T19:00:00-05:00\nsummary: Lost coat\n",
    );
    let due = csv_rows(&book.ok(&["followup", "due"]));
    assert_eq!(due.len(), 2, "{due:?}");
    assert_eq!(due[1][0], "2026-11-22T19:20:00-05:00", "the progress clock from `opened`: {due:?}");
    assert_eq!((due[1][1].as_str(), due[1][2].as_str(), due[1][5].as_str()), ("22", "20261122-handmd", "progress"));
    assert!(codes(&book).contains(&"no-followups".to_string()));
    // Closed, it owes nothing.
    book.ok(&["recover", "close", "handmd"]);
    let due = csv_rows(&book.ok(&["followup", "due", "--within", "1d"]));
    assert!(due.iter().all(|r| r[5] != "progress"), "{due:?}");
}
