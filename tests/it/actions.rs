//! `care action`: a fix is recorded as its own file and prints its id; `verify` says
//! "worked" for a pattern that stops after the fix, "no change" for one that goes on, and
//! "too early" before the window has passed.

use crate::common;

use common::TestBook;

/// A minimal incident file.
fn incident(book: &TestBook, n: usize, opened: &str, staff: &str, product: &str) {
    let id = format!("{}-t{n:05}", opened[..10].replace('-', ""));
    let text = format!("id: {id}\ncustomer: ada\nopened: {opened}\nstaff: {staff}\nproduct: {product}\n");
    book.write(&format!("incidents/{}/{}/{id}.yaml", &opened[..4], &opened[5..7]), &text);
}

/// 2026-06-01 to 2026-11-21: every day one incident by joan (noise); every Wednesday two
/// wrong-wine incidents by billy until 2026-09-15 (then Billy was trained); every Friday
/// two cold-soup incidents all along (nobody fixed the soup).
fn book_with_patterns() -> TestBook {
    let book = TestBook::new();
    let mut n = 0;
    let mut day = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    let fixed = chrono::NaiveDate::from_ymd_opt(2026, 9, 15).expect("date");
    let last = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
    use chrono::Datelike;
    while day <= last {
        let d = day.format("%Y-%m-%d");
        n += 1;
        incident(&book, n, &format!("{d}T12:00:00-04:00"), "joan", "pasta");
        if day.weekday() == chrono::Weekday::Wed && day < fixed {
            for h in [15, 16] {
                n += 1;
                incident(&book, n, &format!("{d}T{h}:30:00-04:00"), "billy", "wine");
            }
        }
        if day.weekday() == chrono::Weekday::Fri {
            for h in [19, 20] {
                n += 1;
                incident(&book, n, &format!("{d}T{h}:10:00-04:00"), "dale", "soup");
            }
        }
        day = day.succ_opt().expect("next day");
    }
    book
}

fn verdict(book: &TestBook, id: &str, window: &str) -> serde_json::Value {
    let out = book.ok(&["action", "verify", id, "--window", window, "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&out).expect("json");
    rows[0].clone()
}

#[test]
fn a_fix_that_stopped_the_pattern_worked_and_one_that_did_not_shows_no_change() {
    let book = book_with_patterns();
    let wine = book.ok(&[
        "action",
        "open",
        "--for",
        "staff=billy",
        "--for",
        "weekday=wed",
        "--what",
        "Billy trained on the wine list",
        "--at",
        "2026-09-15",
    ]);
    let wine = wine.trim();
    assert!(wine.starts_with("20260915-") && !wine.contains('\n'), "the id alone: {wine:?}");
    let file = book.yaml(&format!("actions/{wine}.yaml"));
    assert_eq!(file["for"][0], "staff=billy");
    assert_eq!(file["what"], "Billy trained on the wine list");
    assert_eq!(file["owner"], "joan");

    let v = verdict(&book, wine, "8w");
    assert_eq!(v["verdict"], "worked", "{v}");
    assert_eq!(v["before"], 16, "two a Wednesday for eight Wednesdays: {v}");
    assert_eq!(v["after"], 0);
    assert!(v["p"].as_f64().expect("p") < 1e-4, "{v}");

    let soup = book.ok(&["action", "open", "--for", "product=soup", "--what", "New soup warmer", "--at", "2026-09-15"]);
    let v = verdict(&book, soup.trim(), "8w");
    assert_eq!(v["verdict"], "no change", "{v}");
    assert_eq!(v["before"], v["after"], "{v}");

    // The after-window of a fix made three weeks ago has not passed.
    let late =
        book.ok(&["action", "open", "--for", "product=soup", "--what", "Lids on the tureens", "--at", "2026-11-01"]);
    let v = verdict(&book, late.trim(), "30d");
    assert_eq!(v["verdict"], "too early", "{v}");
    // ... but one of three weeks has (six before, six after), and the soup goes on; two
    // weeks hold four before, too few for any count after to show a change.
    assert_eq!(verdict(&book, late.trim(), "3w")["verdict"], "no change");
    assert_eq!(verdict(&book, late.trim(), "2w")["verdict"], "too early");

    let list = book.ok(&["action", "list", "--format", "csv"]);
    assert_eq!(list.lines().count(), 4, "{list}");
    assert!(list.starts_with("id,at,what,for,owner,by\n"), "{list}");
    assert!(list.contains("staff=billy;weekday=wed"), "{list}");
}

#[test]
fn bad_filters_unknown_fields_and_unknown_actions_are_refused() {
    let book = book_with_patterns();
    book.fails(&["action", "open", "--for", "staff", "--what", "x"], 2);
    book.fails(&["action", "open", "--what", "x"], 2);
    let id = book.ok(&["action", "open", "--for", "stafff=billy", "--what", "typo in the field"]);
    let out = book.fails(&["action", "verify", id.trim()], 2);
    assert!(out.stderr.contains("stafff"), "{out:?}");
    book.fails(&["action", "verify", "nosuch"], 1);
    // The random part alone finds it, as incidents' do.
    let part = id.trim().split_once('-').expect("dash").1;
    book.fails(&["action", "verify", part], 2);
}

/// With the book's shifts, the windows are weighed by the hours worked: Dale's soup
/// incidents halve after the fix, but so do his shifts (Friday and Saturday before, Friday
/// alone after): per day that is "worked", per shift-hour "no change".
#[test]
fn with_exposure_a_drop_in_hours_worked_is_not_a_fix() {
    use chrono::Datelike;
    let book = TestBook::new();
    let fixed = chrono::NaiveDate::from_ymd_opt(2026, 9, 15).expect("date");
    let mut shifts = String::from("date,start,end,staff,location\n");
    let (mut n, mut day) = (0, chrono::NaiveDate::from_ymd_opt(2026, 7, 1).expect("date"));
    while day <= chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("date") {
        let d = day.format("%Y-%m-%d");
        let works = day.weekday() == chrono::Weekday::Fri || (day.weekday() == chrono::Weekday::Sat && day < fixed);
        if works {
            shifts.push_str(&format!("{d},17:00,23:00,dale,main\n"));
            for h in [18, 20] {
                n += 1;
                incident(&book, n, &format!("{d}T{h}:10:00-04:00"), "dale", "soup");
            }
        }
        day = day.succ_opt().expect("next day");
    }
    let id = book.ok(&[
        "action",
        "open",
        "--for",
        "staff=dale",
        "--for",
        "product=soup",
        "--what",
        "x",
        "--at",
        "2026-09-15",
    ]);
    let per_day = verdict(&book, id.trim(), "8w");
    assert_eq!(per_day["verdict"], "worked", "{per_day}");
    assert_eq!((per_day["before"].as_u64(), per_day["after"].as_u64()), (Some(32), Some(16)), "{per_day}");
    book.write("shifts.csv", &shifts);
    let config = book.read("care.yaml");
    book.write("care.yaml", &format!("{config}exposure: shifts.csv\n"));
    let v = verdict(&book, id.trim(), "8w");
    assert_eq!(v["verdict"], "no change", "{v}");
    assert_eq!((v["before_shift_hours"].as_f64(), v["after_shift_hours"].as_f64()), (Some(96.0), Some(48.0)), "{v}");
    assert!(v["sentence"].as_str().expect("sentence").contains("per shift-hour"), "{v}");
}
