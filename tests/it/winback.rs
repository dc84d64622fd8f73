//! `care winback`: customers who had a failure and have not come back since, by value at risk.

use crate::common;

use common::{TestBook, csv_rows};

fn scenario() -> TestBook {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--value", "12000", "--phone", "+1 555 0100"]);
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish"]);
    book.add("Bob Adams");
    book.add("Cy Young");
    book.add("Dee Dee");
    book.ok(&["visit", "ada", "--at", "2026-11-01 19:00", "--spend", "90"]);
    let ada =
        book.ok(&["recover", "open", "ada", "--what", "Cold soup", "--at", "2026-11-10 20:00", "--owner", "dale"]);
    let ada = ada.trim();
    for step in ["apologize", "review", "fix", "close"] {
        book.ok(&["recover", step, ada, "--at", "2026-11-10 21:00"]);
    }
    book.ok(&["recover", "open", "bob", "--what", "Wrong wine", "--at", "2026-11-05 20:00"]);
    book.ok(&["visit", "bob", "--at", "2026-11-12 19:00", "--spend", "500"]);
    book.ok(&["visit", "cy", "--at", "2026-11-02 19:00", "--spend", "200"]);
    book.ok(&["recover", "open", "cy", "--what", "Long wait", "--at", "2026-11-20 19:40", "--owner", "joan"]);
    // Recorded at checkout, the evening it went wrong: not a return.
    book.ok(&["visit", "cy", "--at", "2026-11-20 21:00", "--spend", "100"]);
    book.ok(&["visit", "dee", "--at", "2026-11-20 21:00", "--spend", "1000"]);
    book
}

#[test]
fn winback_lists_who_has_not_come_back_since_a_failure_most_value_first() {
    let book = scenario();
    let rows = csv_rows(&book.ok(&["winback"]));
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("no {name}"));
    let ids: Vec<&str> = rows[1..].iter().map(|r| r[col("customer")].as_str()).collect();
    assert_eq!(ids, ["ada-lovelace", "cy-young"], "Bob came back; Dee never had a failure");
    let ada = &rows[1];
    assert_eq!((ada[col("value")].as_str(), ada[col("value_source")].as_str()), ("12000", "typed"));
    assert_eq!(ada[col("owner")], "dale");
    assert_eq!(ada[col("recovery")], "no extra");
    assert_eq!(ada[col("remember")], "Allergic to shellfish");
    assert_eq!(ada[col("last_visit")], "2026-11-01T19:00:00-05:00");
    assert_eq!(ada[col("days_since")], "12");
    let cy = &rows[2];
    assert_eq!((cy[col("value")].as_str(), cy[col("value_source")].as_str()), ("300", "computed"));
    assert_eq!((cy[col("recovery")].as_str(), cy[col("owner")].as_str()), ("open", "joan"));
}

#[test]
fn winback_takes_the_shared_filter_and_prints_nothing_in_a_table_when_empty() {
    let book = scenario();
    let rows = csv_rows(&book.ok(&["winback", "--since", "2026-11-15"]));
    assert_eq!(rows.len(), 2, "only Cy's failure is that recent: {rows:?}");
    let rows = csv_rows(&book.ok(&["winback", "--where", "owner=dale"]));
    assert_eq!((rows.len(), rows[1][0].as_str()), (2, "ada-lovelace"));
    let rows = csv_rows(&book.ok(&["winback", "--where", "name~Ada"]));
    assert_eq!(rows.len(), 2);
    // A condition on any entry's text, critical or not (the misstep `recover open` wrote).
    let rows = csv_rows(&book.ok(&["winback", "--where", "text~wait"]));
    assert_eq!((rows.len(), rows[1][0].as_str()), (2, "cy-young"), "{rows:?}");
    assert_eq!(book.ok(&["winback", "--where", "owner=nobody", "--format", "table"]), "");
    book.fails(&["winback", "--where", "colour=red"], 2);
}

#[test]
fn a_customer_who_came_back_once_and_is_now_past_twice_their_usual_gap_is_listed_again() {
    let book = TestBook::new();
    for name in ["Eve Weekly", "Fay Weekly"] {
        book.add(name);
    }
    // Eve comes every week, fails on 1 Nov, comes back on the 3rd, then not for 19 days
    // (past twice her 7-day habit on the 22nd): listed. Fay's last visit is on the 15th.
    for (who, days) in [("eve", &["10-13", "10-20", "10-27", "11-03"]), ("fay", &["10-25", "11-01", "11-08", "11-15"])]
    {
        for day in days.iter() {
            book.ok(&["visit", who, "--at", &format!("2026-{day} 19:00"), "--spend", "50"]);
        }
    }
    book.ok(&["recover", "open", "eve", "--what", "Cold soup", "--at", "2026-11-01 20:00"]);
    book.ok(&["recover", "open", "fay", "--what", "Cold soup", "--at", "2026-11-10 20:00"]);
    let rows = csv_rows(&book.ok(&["winback"]));
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("no {name}"));
    let ids: Vec<&str> = rows[1..].iter().map(|r| r[col("customer")].as_str()).collect();
    assert_eq!(ids, ["eve-weekly"], "Fay came back and is within her habit: {rows:?}");
    assert_eq!(rows[1][col("usual_gap")], "7");
    assert_eq!(rows[1][col("days_since")], "19");
}
