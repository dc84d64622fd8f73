//! Reminders on a customer: `care remind`, listed by `followup due` as kind `reminder`,
//! marked with `followup done CUSTOMER`, recurring ones re-armed.

use crate::common;

use common::{TestBook, csv_rows};

fn due(book: &TestBook, args: &[&str]) -> Vec<Vec<String>> {
    let mut all = vec!["followup", "due"];
    all.extend_from_slice(args);
    csv_rows(&book.ok(&all))
}

#[test]
fn a_reminder_is_listed_when_due_with_contact_and_what_to_remember() {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--phone", "+1 555 0100"]);
    book.ok(&["note", "ada", "--pref", "--critical", "No phone calls before 11 am"]);
    book.ok(&["remind", "ada", "--due", "tomorrow 10am", "Ask how the album launch went", "--owner", "dale"]);
    let text = book.read("customers/ada-lovelace.yaml");
    // As written: an id that reads as a number (`041021`) is quoted.
    let written = text.split("reminders:\n- id: ").nth(1).and_then(|rest| rest.lines().next()).unwrap_or_default();
    let id = written.trim_matches(['\'', '"']);
    assert!(
        text.contains(&format!(
            "reminders:\n- id: {written}\n  text: Ask how the album launch went\n  due: 2026-11-23T10:00:00-05:00\n  owner: dale\n"
        )) && id.len() == 6
            && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "{text}"
    );
    assert_eq!(due(&book, &[]).len(), 1, "not due yet: the header only");
    let rows = due(&book, &["--within", "1d"]);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("no {name}"));
    let row = &rows[1];
    assert_eq!(row[col("kind")], "reminder");
    assert_eq!(row[col("incident")], format!("ada-lovelace/{id}"), "its own id, for followup done");
    assert_eq!(row[col("customer")], "ada-lovelace");
    assert_eq!(row[col("owner")], "dale");
    assert_eq!(row[col("contact")], "'+1 555 0100", "neutralised for spreadsheets, as every CSV cell");
    assert_eq!(row[col("remember")], "No phone calls before 11 am");
    assert_eq!(row[col("what")], "Ask how the album launch went");
    assert_eq!(due(&book, &["--within", "1d", "--owner", "joan"]).len(), 1, "someone else's");
    assert_eq!(due(&book, &["--within", "1d", "--where", "location=uptown"]).len(), 1, "no incident, no location");

    book.ok(&["followup", "done", "ada", "--how", "phone"]);
    assert_eq!(due(&book, &["--within", "1w"]).len(), 1, "done: gone");
    book.fails(&["followup", "done", "ada"], 1);
}

#[test]
fn a_birthday_comes_back_every_year_and_done_re_arms_it() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.ok(&["remind", "ada", "--birthday", "11-25"]);
    let rows = due(&book, &["--within", "7d"]);
    assert_eq!(rows[1][0], "2026-11-25T09:00:00-05:00", "{rows:?}");
    let done = book.care(&["followup", "done", "ada"]);
    assert!(done.stderr.contains("Next: due 2027-11-25 09:00"), "{}", done.stderr);
    assert_eq!(due(&book, &["--within", "7d"]).len(), 1);
    assert_eq!(due(&book, &["--at", "2027-11-25 10:00"])[1][0], "2027-11-25T09:00:00-05:00");
    book.fails(&["remind", "ada", "--birthday", "02-30"], 2);
    book.fails(&["remind", "ada", "--due", "tomorrow", "x", "--every", "2h"], 2);
}

#[test]
fn every_three_weeks_is_calendar_days() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.ok(&["remind", "ada", "--due", "2026-11-01 09:00", "--every", "3w", "Wine club call"]);
    // The 1 November occurrence (EDT) was missed; 22 November, 9 am EST, is the one owed.
    let rows = due(&book, &[]);
    assert_eq!(rows[1][0], "2026-11-22T09:00:00-05:00", "{rows:?}");
}

fn at(book: &TestBook, now: &str, args: &[&str]) -> String {
    let out = book.cmd().env("CARE_NOW", now).args(args).output().expect("runs");
    assert!(out.status.success(), "{args:?} at {now}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn whats(csv: &str) -> Vec<(String, String)> {
    let rows = csv_rows(csv);
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("no {name}"));
    rows[1..].iter().map(|r| (r[col("due")].clone(), r[col("what")].clone())).collect()
}

#[test]
fn a_29_february_birthday_is_reminded_on_the_28th_in_other_years_and_the_29th_in_a_leap_year() {
    let book = TestBook::new();
    book.add("Leap Person");
    book.ok(&["remind", "leap", "--birthday", "02-29"]);
    assert!(book.read("customers/leap-person.yaml").contains("day: 02-29"), "the date itself is kept");
    let due = whats(&at(&book, "2027-02-28T10:00:00-05:00", &["followup", "due"]));
    assert_eq!(due, [("2027-02-28T09:00:00-05:00".to_string(), "Birthday".to_string())], "not skipped to 2028");
    at(&book, "2027-02-28T10:00:00-05:00", &["followup", "done", "leap"]);
    let due = whats(&at(&book, "2028-02-29T10:00:00-05:00", &["followup", "due"]));
    assert_eq!(due, [("2028-02-29T09:00:00-05:00".to_string(), "Birthday".to_string())], "the 29th in a leap year");
    assert!(whats(&at(&book, "2028-02-28T23:59:00-05:00", &["followup", "due"])).is_empty(), "not a day early");
}

#[test]
fn just_after_midnight_a_birthday_today_is_due_today_and_a_daily_one_keeps_its_hour_over_dst() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    at(&book, "2026-11-23T00:05:00-05:00", &["remind", "ada", "--birthday", "11-23"]);
    let due = whats(&at(&book, "2026-11-23T00:06:00-05:00", &["followup", "due", "--within", "12h"]));
    assert_eq!(due, [("2026-11-23T09:00:00-05:00".to_string(), "Birthday".to_string())], "today, not next year");
    // Every day at 02:30, set the evening before the spring-forward night (no 02:30 on 8 March).
    at(
        &book,
        "2026-03-07T20:00:00-05:00",
        &["remind", "ada", "--due", "2026-03-07 02:30", "--every", "1d", "Count the cellar"],
    );
    let cellar = |now: &str| {
        whats(&at(&book, now, &["followup", "due"])).into_iter().find(|(_, w)| w == "Count the cellar").map(|(d, _)| d)
    };
    assert_eq!(
        cellar("2026-03-08T12:00:00-04:00").as_deref(),
        Some("2026-03-08T03:30:00-04:00"),
        "the gap: an hour later"
    );
    assert_eq!(cellar("2026-03-09T12:00:00-04:00").as_deref(), Some("2026-03-09T02:30:00-04:00"), "then 02:30 again");
}

#[test]
fn every_goes_with_due_only() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let out = book.fails(&["remind", "ada", "--birthday", "03-14", "--every", "2y"], 2);
    assert!(out.stderr.contains("'--birthday <MM-DD>' cannot be used with '--every <EVERY>'"), "{}", out.stderr);
    assert!(!book.read("customers/ada-lovelace.yaml").contains("reminders"));
}

#[test]
fn reminders_export_like_any_follow_up_each_occurrence_done_and_the_one_pending() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.ok(&[
        "remind",
        "ada",
        "--due",
        "2026-11-23 10:00",
        "--every",
        "2w",
        "--owner",
        "dale",
        "Call about the wine club",
    ]);
    at(&book, "2026-11-23T11:00:00-05:00", &["followup", "done", "ada", "--how", "phone"]);
    let rows = csv_rows(&at(&book, "2026-11-23T12:00:00-05:00", &["export", "followups"]));
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("no {name}"));
    let got: Vec<(&str, &str, &str, &str, &str)> = rows[1..]
        .iter()
        .map(|r| {
            (
                r[col("customer")].as_str(),
                r[col("kind")].as_str(),
                r[col("due")].as_str(),
                r[col("status")].as_str(),
                r[col("how")].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("ada-lovelace", "reminder", "2026-11-23T10:00:00-05:00", "done", "phone"),
            ("ada-lovelace", "reminder", "2026-12-07T10:00:00-05:00", "pending", ""),
        ]
    );
    assert_eq!(rows[1][col("owner")], "dale");
    assert_eq!(rows[1][col("text")], "Call about the wine club");
    assert!(rows[1][col("incident")].starts_with("ada-lovelace/"), "the reminder's own id: {rows:?}");
    let by_owner = csv_rows(&at(&book, "2026-11-23T12:00:00-05:00", &["export", "followups", "--where", "owner=joan"]));
    assert_eq!(by_owner.len(), 1, "the filter sees the reminder's owner: {by_owner:?}");
    let since = csv_rows(&at(&book, "2026-11-23T12:00:00-05:00", &["export", "followups", "--since", "2026-12-01"]));
    assert_eq!(since.len(), 2, "--since on the occurrence: {since:?}");
}

#[test]
fn followup_done_takes_a_reminders_own_id_to_mark_that_one() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.ok(&["remind", "ada", "--due", "2026-11-23 10:00", "Send the menu"]);
    book.ok(&["remind", "ada", "--due", "2026-11-24 10:00", "Call about the wine club"]);
    let rows = due(&book, &["--within", "3d"]);
    let wine = rows.iter().find(|r| r.contains(&"Call about the wine club".to_string())).expect("listed");
    let id = wine[2].clone();
    assert!(id.starts_with("ada-lovelace/"), "{rows:?}");
    // The later one, by its id, though the menu is due first.
    let out = book.care(&["followup", "done", &id, "--how", "phone"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("Call about the wine club"), "{}", out.stderr);
    let left: Vec<String> = due(&book, &["--within", "3d"])[1..].iter().map(|r| r[9].clone()).collect();
    assert_eq!(left, ["Send the menu"]);
    let again = book.fails(&["followup", "done", &id], 1);
    assert!(again.stderr.contains("no occurrence pending"), "{}", again.stderr);
    let unknown = book.fails(&["followup", "done", "ada-lovelace/zzzzzz"], 1);
    assert!(unknown.stderr.contains("has no reminder \"zzzzzz\""), "{}", unknown.stderr);
}

/// On 7 December, a birthday of 24 November set today is first due next year: `followup
/// done lena` does not mark it a year early; naming it does.
#[test]
fn a_reminder_a_year_off_is_not_done_by_the_customers_name() {
    let book = TestBook::new();
    book.add("Lena Park");
    let dec7 = "2026-12-07T12:00:00-05:00";
    at(&book, dec7, &["remind", "lena", "--birthday", "11-24"]);
    let before = book.read("customers/lena-park.yaml");
    let out = book.cmd().env("CARE_NOW", dec7).args(["followup", "done", "lena"]).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not due until 2027-11-24") && stderr.contains("care followup done lena-park/"),
        "{stderr}"
    );
    assert_eq!(book.read("customers/lena-park.yaml"), before, "nothing was written");
    // An id that reads as a number (`041021`, `4e1021`) is written quoted.
    let id = before.split("- id: ").nth(1).map(|r| r.trim_start_matches(['\'', '"'])).and_then(|r| r.get(..6));
    let id = id.expect("an id").to_string();
    at(&book, dec7, &["followup", "done", &format!("lena/{id}")]);
    let after = book.read("customers/lena-park.yaml");
    assert!(after.contains("- for: 2027-11-24"), "{after}");
}

/// `followup done CUSTOMER --kind KIND` marks the follow-up of the customer's one incident
/// with that kind pending; several such incidents are refused, listing them.
#[test]
fn followup_done_by_customer_and_kind_finds_their_incident() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let id = book.ok(&["recover", "open", "ada", "--what", "Cold soup", "--at", "19:00"]).trim().to_string();
    book.ok(&["recover", "fix", &id, "--at", "19:20"]);
    let file = format!("incidents/2026/11/{id}.yaml");
    assert!(book.read(&file).contains("kind: check-in"));
    let second = book.ok(&["recover", "open", "ada", "--what", "Wrong wine", "--at", "19:30"]).trim().to_string();
    let out = book.care(&["followup", "done", "ada"]);
    assert_eq!(out.code, 1, "two incidents pending: which one? {}", out.stderr);
    assert!(out.stderr.contains(&id) && out.stderr.contains(&second), "{}", out.stderr);
    let out = book.care(&["followup", "done", "ada", "--kind", "check-in", "Called her"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains(&format!("Done: check-in follow-up on {id}")), "{}", out.stderr);
    let out = book.care(&["followup", "done", "ada", "--kind", "check-in"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("no incident with a check-in follow-up pending"), "{}", out.stderr);
}
