//! A corrective action's check is work like a call: once its window has passed with no
//! verification logged, `followup due` lists it (kind `verify`, owned by the action's
//! owner, due at the window's end), filtered, exported and counted by `--exit-code` like any
//! follow-up, until `care action verify` logs a verdict on the action's file.

use crate::common;

use common::{TestBook, csv_rows};

/// An action through the command line; returns its id.
fn open(book: &TestBook, args: &[&str]) -> String {
    let mut all = vec!["action", "open"];
    all.extend_from_slice(args);
    book.ok(&all).trim().to_string()
}

/// The `verify` rows of `followup due ARGS`, as maps from column to cell.
fn verify_rows(book: &TestBook, args: &[&str]) -> Vec<std::collections::HashMap<String, String>> {
    let mut all = vec!["followup", "due", "--format", "csv"];
    all.extend_from_slice(args);
    let rows = csv_rows(&book.ok(&all));
    let header = rows.first().cloned().unwrap_or_default();
    rows.iter()
        .skip(1)
        .map(|r| header.iter().cloned().zip(r.iter().cloned()).collect::<std::collections::HashMap<_, _>>())
        .filter(|r| r["kind"] == "verify")
        .collect()
}

/// Two fixes: one of 2026-10-01 (default window, 30 days: due 2026-10-31) owned by billy;
/// one of 2026-11-01 with an eight-week window (due 2026-12-27) owned by the recorder, joan.
fn book() -> (TestBook, String, String) {
    let book = TestBook::new();
    let wine = open(
        &book,
        &[
            "--for",
            "staff=billy",
            "--for",
            "weekday=wed",
            "--what",
            "Billy trained",
            "--owner",
            "billy",
            "--at",
            "2026-10-01",
        ],
    );
    let soup = open(&book, &["--for", "product=soup", "--what", "New warmer", "--at", "2026-11-01", "--window", "8w"]);
    (book, wine, soup)
}

#[test]
fn a_check_whose_window_has_passed_is_due_for_the_actions_owner() {
    let (book, wine, soup) = book();
    assert_eq!(book.yaml(&format!("actions/{soup}.yaml"))["window"], "8w", "the window is on the record");
    let rows = verify_rows(&book, &[]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(row["owner"], "billy");
    assert_eq!(row["due"], "2026-10-31T00:00:00-04:00", "thirty days after the fix");
    assert!(row["what"].contains("Billy trained") && row["what"].contains("staff=billy, weekday=wed"), "{row:?}");
    assert!(row["what"].contains(&format!("care action verify {wine}")), "{row:?}");
    assert_eq!((row["incident"].as_str(), row["customer"].as_str()), ("", ""));
    // --within warns ahead of the eight-week one; --overdue lists only what is past.
    let ahead = verify_rows(&book, &["--within", "40d"]);
    assert_eq!(
        ahead.iter().map(|r| r["due"].as_str()).collect::<Vec<_>>(),
        ["2026-10-31T00:00:00-04:00", "2026-12-27T00:00:00-05:00"]
    );
    assert_eq!(ahead[1]["owner"], "joan");
    assert_eq!(verify_rows(&book, &["--overdue"]).len(), 1);
    // Measured from another moment: before the first window ends, nothing; after both, both.
    assert_eq!(verify_rows(&book, &["--at", "2026-10-30"]).len(), 0);
    assert_eq!(verify_rows(&book, &["--at", "2027-01-01", "--overdue"]).len(), 2);
}

#[test]
fn filters_exit_codes_and_exports_treat_it_like_any_follow_up() {
    let (book, wine, _) = book();
    assert_eq!(verify_rows(&book, &["--where", "owner=billy"]).len(), 1);
    assert_eq!(verify_rows(&book, &["--owner", "billy"]).len(), 1);
    assert_eq!(verify_rows(&book, &["--where", "owner=joan"]).len(), 0);
    // No incident: a condition on an incident's field never holds for it.
    assert_eq!(verify_rows(&book, &["--where", "location=uptown"]).len(), 0);
    assert_eq!(verify_rows(&book, &["--since", "2026-11-01"]).len(), 0, "--since is on the due time");
    // The book has no incidents: the check alone makes --exit-code say "something listed".
    book.fails(&["followup", "due", "--exit-code"], 3);
    book.ok(&["followup", "due", "--exit-code", "--where", "owner=joan"]);
    let json: serde_json::Value =
        serde_json::from_str(&book.ok(&["followup", "due", "--format", "json"])).expect("json");
    assert_eq!(json[0]["kind"], "verify", "{json}");
    assert_eq!(json[0]["owner"], "billy");
    let ics = book.ok(&["followup", "due", "--format", "ics"]);
    let calendar = ical::IcalParser::new(ics.as_bytes()).next().expect("a calendar").expect("valid iCalendar");
    let event = &calendar.events[0];
    let prop = |name: &str| event.properties.iter().find(|p| p.name == name).and_then(|p| p.value.clone());
    assert_eq!(prop("UID").as_deref(), Some(format!("{wine}-verify@care").as_str()));
    assert!(prop("SUMMARY").is_some_and(|s| s.starts_with("Verify the fix \"Billy trained\"")), "{ics}");
    assert!(prop("DESCRIPTION").is_some_and(|d| d.contains("Owner: billy")), "{ics}");
}

#[test]
fn verifying_logs_the_verdict_and_closes_the_check_but_not_before_the_window_has_passed() {
    let (book, wine, soup) = book();
    book.ok(&["action", "verify", &wine, "--format", "csv"]);
    let file = book.yaml(&format!("actions/{wine}.yaml"));
    let logged = &file["verified"][0];
    assert_eq!(logged["verdict"], "too early", "no incidents before: {file:?}");
    assert_eq!((logged["before"].as_u64(), logged["after"].as_u64()), (Some(0), Some(0)));
    assert_eq!(logged["by"], "joan");
    assert_eq!(logged["window"], "30d");
    assert_eq!(logged["at"], "2026-11-22T19:42:00-05:00");
    assert!(verify_rows(&book, &["--within", "40d"]).iter().all(|r| !r["what"].contains(&wine)));
    book.ok(&["followup", "due", "--exit-code"]);
    // The soup's window has three weeks to go: a verify now logs nothing, and it stays due.
    book.ok(&["action", "verify", &soup, "--format", "csv"]);
    assert!(book.yaml(&format!("actions/{soup}.yaml")).get("verified").is_none());
    assert_eq!(verify_rows(&book, &["--within", "40d"]).len(), 1);
    // A shorter --window has passed: that verdict is logged, with the window it used.
    book.ok(&["action", "verify", &soup, "--window", "10d", "--format", "csv"]);
    assert_eq!(book.yaml(&format!("actions/{soup}.yaml"))["verified"][0]["window"], "10d");
    assert_eq!(verify_rows(&book, &["--within", "40d"]).len(), 0);
}

#[test]
fn a_hand_written_action_keeps_its_comments_and_unknown_fields_when_verified() {
    let book = TestBook::new();
    let text = "# the QA ticket is ours, not care's\nid: 20261001-hand01\nat: 2026-10-01T09:00:00-04:00\nby: joan\n\
                owner: dale\nwhat: Freezer door fixed\nfor: [product=ice-cream]\nticket: QA-12\n";
    book.write("actions/20261001-hand01.yaml", text);
    let rows = verify_rows(&book, &[]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["owner"], "dale");
    book.ok(&["action", "verify", "20261001-hand01", "--format", "csv"]);
    let after = book.read("actions/20261001-hand01.yaml");
    assert!(after.starts_with(text), "the file is appended to, not rewritten:\n{after}");
    assert!(after.contains("verified:"), "{after}");
    assert_eq!(verify_rows(&book, &[]).len(), 0);
}
