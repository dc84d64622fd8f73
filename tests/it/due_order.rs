//! `followup due` puts in order only keys (each incident at each second something of it is
//! due) and reads the rows back as it prints them: the list is the one every row held and
//! sorted gave, ties included, with the index and without, across read transactions.

use crate::common;

use common::{TestBook, csv_rows};

/// An incident file with the follow-ups given as (kind, due, text).
fn incident(book: &TestBook, id: &str, customer: &str, followups: &[(&str, &str, &str)]) {
    let mut text = format!(
        "id: {id}\ncustomer: {customer}\nopened: 2026-11-01T12:00:00-05:00\nstaff: billy\nowner: joan\n\
         location: downtown\nsummary: Case {id}\ntable: t-{id}\nfollowups:\n"
    );
    for (kind, due, what) in followups {
        text.push_str(&format!("- kind: {kind}\n  due: {due}\n"));
        if !what.is_empty() {
            text.push_str(&format!("  text: {what}\n"));
        }
    }
    book.write(&format!("incidents/2026/11/{id}.yaml"), &text);
}

/// (due, incident, kind, what) of each row.
fn listed(book: &TestBook, env: &[(&str, &str)], args: &[&str]) -> Vec<String> {
    let out = book.cmd().envs(env.iter().copied()).args(["followup", "due", "--format", "csv"]).args(args).output();
    let out = out.expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = csv_rows(&String::from_utf8_lossy(&out.stdout));
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("no {name}"));
    let (due, incident, kind, what) = (col("due"), col("incident"), col("kind"), col("what"));
    rows[1..].iter().map(|r| format!("{} {} {} {}", r[due], r[incident], r[kind], r[what])).collect()
}

#[test]
fn the_order_is_due_then_incident_then_kind_and_ties_keep_the_files_order() {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace"]);
    book.ok(&["note", "ada", "--pref", "--critical", "Shellfish allergy"]);
    book.ok(&["customer", "add", "Bob Stone"]);
    // The same instant written in two offsets, in incidents whose ids sort the other way
    // round from their files' order; one incident with two follow-ups of one kind due in
    // the same second (a tie: kept in the file's order); a customer with no record.
    incident(
        &book,
        "20261101-zzzzzz",
        "ada-lovelace",
        &[("custom", "2026-11-20T15:00:00Z", "Second of two"), ("check-in", "2026-11-20T10:00:00-05:00", "")],
    );
    incident(
        &book,
        "20261101-aaaaaa",
        "bob-stone",
        &[
            ("custom", "2026-11-20T10:00:00-05:00", "Call B1"),
            ("custom", "2026-11-20T10:00:00-05:00", "Call B2"),
            ("custom", "2026-11-19T08:00:00-05:00", "Earlier"),
            ("custom", "2026-11-21T08:00:00-05:00", "Later"),
        ],
    );
    incident(&book, "20261101-mmmmmm", "nobody-here", &[("custom", "2026-11-20T10:00:00-05:00", "Orphan")]);
    incident(&book, "20261101-dddddd", "bob-stone", &[("custom", "2026-11-22T09:00:00-05:00", "Done already")]);
    book.ok(&["followup", "done", "20261101-dddddd", "--at", "2026-11-22T09:30:00-05:00"]);
    // A reminder due in the same second as the incidents' follow-ups, and one after them all.
    book.ok(&["remind", "ada", "--due", "2026-11-20 10:00", "Same second", "--owner", "dale"]);
    book.ok(&["remind", "bob", "--due", "2026-11-22 19:00", "Last of all"]);

    let expected = [
        "2026-11-19T08:00:00-05:00 20261101-aaaaaa custom Earlier — Case 20261101-aaaaaa",
        "2026-11-20T10:00:00-05:00 20261101-aaaaaa custom Call B1 — Case 20261101-aaaaaa",
        "2026-11-20T10:00:00-05:00 20261101-aaaaaa custom Call B2 — Case 20261101-aaaaaa",
        "2026-11-20T10:00:00-05:00 20261101-mmmmmm custom Orphan — Case 20261101-mmmmmm",
        "2026-11-20T10:00:00-05:00 20261101-zzzzzz check-in",
        "2026-11-20T15:00:00+00:00 20261101-zzzzzz custom Second of two — Case 20261101-zzzzzz",
        "2026-11-20T10:00:00-05:00 ada-lovelace/",
        "2026-11-21T08:00:00-05:00 20261101-aaaaaa custom Later — Case 20261101-aaaaaa",
        "2026-11-22T19:00:00-05:00 bob-stone/",
    ];
    let got = listed(&book, &[], &[]);
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (row, want) in got.iter().zip(expected) {
        assert!(row.starts_with(want), "{row:?} should start with {want:?}\n{got:#?}");
    }
    // The same list from the index, warm, and with no index at all.
    assert_eq!(listed(&book, &[], &[]), got);
    assert_eq!(listed(&book, &[("CARE_NO_CACHE", "1")], &[]), got);
    // Every format is the same list, and the extra field is a column of each row.
    let json: serde_json::Value =
        serde_json::from_str(&book.ok(&["followup", "due", "--format", "json"])).expect("JSON parses");
    let rows = json.as_array().expect("an array");
    assert_eq!(rows.len(), expected.len());
    assert_eq!(rows[0]["table"], "t-20261101-aaaaaa");
    assert_eq!(rows[4]["remember"], "Shellfish allergy");
    assert_eq!(rows[3]["name"], serde_json::Value::Null, "a customer with no record: no name");
    assert_eq!(book.ok(&["followup", "due", "--format", "ndjson"]).lines().count(), expected.len());
    // Filters keep the order.
    let joan = listed(&book, &[], &["--owner", "joan"]);
    assert_eq!(joan.len(), expected.len() - 2, "the reminders are dale's and nobody's");
    assert!(joan.windows(2).all(|w| got.iter().position(|r| *r == w[0]) < got.iter().position(|r| *r == w[1])));
}

/// More incidents due than one read transaction takes (4,096), many in the same second:
/// each listed once, in order, with and without the index.
#[test]
fn thousands_due_are_each_listed_once_in_order() {
    let dir = TestBook::bare();
    dir.ok(&["demo", "b", "--customers", "200", "--incidents", "300", "--seed", "3"]);
    let b = |rel: &str| format!("b/{rel}");
    for n in 0..5000 {
        let id = format!("20261102-{n:06}");
        let due = format!("2026-11-{:02}T{:02}:00:00-05:00", 10 + n % 7, n % 3);
        let text = format!(
            "id: {id}\ncustomer: customer-{}\nopened: 2026-11-02T12:00:00-05:00\nowner: joan\n\
             followups:\n- kind: custom\n  due: {due}\n  text: n{n}\n",
            n % 50
        );
        dir.write(&b(&format!("incidents/2026/11/{id}.yaml")), &text);
    }
    let run = |env: &[(&str, &str)]| listed_in(&dir, env);
    let warm_first = run(&[]);
    let rows: Vec<&String> = warm_first.iter().filter(|r| r.contains("20261102-")).collect();
    assert_eq!(rows.len(), 5000);
    let keys: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            let mut parts = r.split(' ');
            (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string())
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "by due, then incident, each once");
    assert_eq!(run(&[]), warm_first);
    assert_eq!(run(&[("CARE_NO_CACHE", "1")]), warm_first);
}

fn listed_in(dir: &TestBook, env: &[(&str, &str)]) -> Vec<String> {
    let out = dir.cmd().envs(env.iter().copied()).args(["-C", "b", "followup", "due", "--format", "csv"]).output();
    let out = out.expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = csv_rows(&String::from_utf8_lossy(&out.stdout));
    rows[1..].iter().map(|r| format!("{} {} {} {}", r[0], r[2], r[5], r[9])).collect()
}
