//! `returned`, the computed dimension of an incident (issue 11, item 5): `yes` when the
//! customer visited within `returned_days` (care.yaml, default 90) after it closed, `no`
//! after the window, `pending` before it ends; counted exactly by `trends` and selected by
//! `--where` in `trends` and `recover list`.

use crate::common;

use common::{TestBook, csv_rows};

/// Four closed incidents and one open: Ada came back on day 30 (yes), Bob on day 120 (no),
/// Cy never, closed long ago (no), Dee's closed 10 days ago without a visit (pending),
/// Eve's is open (pending). Owned by joan, but Bob's (dale).
fn book() -> TestBook {
    let book = TestBook::new();
    for name in ["Ada Lovelace", "Bob Adams", "Cy Young", "Dee Dee", "Eve Early"] {
        book.add(name);
    }
    let close = |who: &str, at: &str, owner: &str| {
        let id = book.ok(&["recover", "open", who, "--what", "Cold soup", "--at", at, "--owner", owner]);
        book.ok(&["recover", "close", id.trim(), "--at", at]);
    };
    close("ada", "2026-06-01 20:00", "joan");
    close("bob", "2026-06-01 20:00", "dale");
    close("cy", "2026-03-01 20:00", "joan");
    close("dee", "2026-11-12 20:00", "joan");
    book.ok(&["recover", "open", "eve", "--what", "Cold soup", "--at", "2026-11-20 20:00"]);
    book.ok(&["visit", "ada", "--at", "2026-07-01 19:00"]);
    book.ok(&["visit", "bob", "--at", "2026-09-29 19:00"]);
    // The evening it went wrong, recorded at checkout: not a return.
    book.ok(&["visit", "dee", "--at", "2026-11-12 21:00"]);
    book
}

fn counts(book: &TestBook, args: &[&str]) -> Vec<(String, String)> {
    let mut all = vec!["trends"];
    all.extend_from_slice(args);
    csv_rows(&book.ok(&all))[1..].iter().map(|r| (r[..r.len() - 2].join("/"), r[r.len() - 2].clone())).collect()
}

#[test]
fn trends_count_returned_exactly_and_by_owner() {
    let book = book();
    let by = counts(&book, &["--by", "returned"]);
    let get = |k: &str| by.iter().find(|(key, _)| key == k).map(|(_, n)| n.as_str());
    assert_eq!((get("yes"), get("no"), get("pending")), (Some("1"), Some("2"), Some("2")), "{by:?}");
    let rows = csv_rows(&book.ok(&["trends", "--by", "owner,returned"]));
    let pairs: Vec<String> = rows[1..].iter().map(|r| format!("{} {} {}", r[0], r[1], r[2])).collect();
    // Eve's open incident is owned by whoever opened it: joan.
    for expected in ["joan yes 1", "dale no 1", "joan no 1", "joan pending 2"] {
        assert!(pairs.contains(&expected.to_string()), "{expected} in {pairs:?}");
    }
}

#[test]
fn where_returned_selects_incidents_and_the_window_is_set_in_care_yaml() {
    let book = book();
    let rows = csv_rows(&book.ok(&["recover", "list", "--where", "returned=no"]));
    let customers: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(customers, ["cy-young", "bob-adams"], "{rows:?}");
    // The header never depends on the filter: a script reads the same columns either way.
    let all = csv_rows(&book.ok(&["recover", "list"]));
    assert_eq!(rows[0], all[0], "the filter adds no column");
    assert!(!rows[0].contains(&"returned".to_string()));
    // A window of 150 days: Bob's visit on day 120 is a return.
    let config = book.read("care.yaml").replace("returned_days: 90", "returned_days: 150");
    assert!(config.contains("returned_days: 150"), "care init writes the setting");
    book.write("care.yaml", &config);
    let by = counts(&book, &["--by", "returned", "--where", "owner=dale"]);
    assert_eq!(by, [("yes".to_string(), "1".to_string())]);
}

#[test]
fn extra_given_beside_returned_says_which_recoveries_bring_people_back() {
    let book = book();
    let ada = book.ok(&["recover", "list", "--customer", "ada", "--format", "csv"]);
    let id = csv_rows(&ada)[1][0].clone();
    book.ok(&["recover", "extra", &id, "--what", "Dessert on the house", "--value", "12", "--at", "2026-06-01 20:00"]);
    // Twice: the second run reads the index the first one wrote.
    for _ in 0..2 {
        let rows = csv_rows(&book.ok(&["trends", "--by", "extra_given,returned"]));
        let pairs: Vec<String> = rows[1..].iter().map(|r| format!("{} {} {}", r[0], r[1], r[2])).collect();
        for expected in ["yes yes 1", "no no 2", "no pending 2"] {
            assert!(pairs.contains(&expected.to_string()), "{expected} in {pairs:?}");
        }
    }
    let rows = csv_rows(&book.ok(&["recover", "list", "--where", "extra_given=yes"]));
    assert_eq!(rows.len(), 2, "{rows:?}");
}
