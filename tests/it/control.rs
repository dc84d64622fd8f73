//! `trends --control`: a spike week is flagged and `--exit-code` says so to cron (3), an
//! ordinary one is not (0), and a non-time dimension is a usage error.

use crate::common;

use common::TestBook;

/// A minimal incident file opened at `opened` (New York time), for a planted history.
fn incident(book: &TestBook, n: usize, opened: &str, staff: &str) {
    let id = format!("{}-t{n:05}", opened[..10].replace('-', ""));
    let text = format!("id: {id}\ncustomer: ada\nopened: {opened}\nstaff: {staff}\n");
    book.write(&format!("incidents/{}/{}/{id}.yaml", &opened[..4], &opened[5..7]), &text);
}

/// Twelve complete weeks (2026-08-24 to 2026-11-15, Mondays) with `per_week[i]` incidents
/// on the Tuesday at 12:00, and none yet in the week in progress (2026-W47).
fn weeks(book: &TestBook, per_week: &[usize]) {
    let mut n = 0;
    let start = chrono::NaiveDate::from_ymd_opt(2026, 8, 25).expect("date");
    for (w, &count) in per_week.iter().enumerate() {
        let day = start + chrono::Duration::days(7 * w as i64);
        for k in 0..count {
            n += 1;
            incident(book, n, &format!("{}T12:{:02}:00-04:00", day.format("%Y-%m-%d"), k % 60), "billy");
        }
    }
}

const SINCE: &str = "2026-08-24";

#[test]
fn a_spike_in_the_last_complete_week_is_flagged_and_exits_3() {
    let book = TestBook::new();
    weeks(&book, &[5, 4, 6, 5, 5, 3, 6, 4, 5, 5, 6, 19]);
    let out =
        book.fails(&["trends", "--by", "week", "--control", "--since", SINCE, "--exit-code", "--format", "json"], 3);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len(), 13, "twelve weeks and the one in progress: {rows:?}");
    let spike = rows.iter().find(|r| r["week"] == "2026-W46").expect("W46");
    assert_eq!(spike["count"], 19);
    assert_eq!(spike["signal"], true, "typed Bool: {spike}");
    assert_eq!(spike["complete"], true);
    // Against the other eleven weeks: 54 / 11 = 4.909 a week, limit 4.909 + 3·√4.909 = 11.56.
    let expected = spike["expected"].as_f64().expect("expected");
    assert!((expected - 54.0 / 11.0).abs() < 1e-3, "{spike}");
    assert!((spike["ucl"].as_f64().expect("ucl") - (expected + 3.0 * expected.sqrt())).abs() < 1e-3);
    assert!(rows.iter().filter(|r| r["week"] != "2026-W46").all(|r| r["signal"] == false), "{rows:?}");
    assert_eq!(rows.last().expect("last")["complete"], false, "the week in progress");
    // The CSV says yes where the signal is, as every Bool column does.
    let csv = book.ok(&["trends", "--by", "week", "--control", "--since", SINCE, "--format", "csv"]);
    assert!(csv.starts_with("week,count,expected,ucl,signal,complete\n"), "{csv}");
    assert!(csv.contains("2026-W46,19,"), "{csv}");
}

#[test]
fn an_ordinary_week_exits_0_and_an_earlier_spike_is_only_shown() {
    let book = TestBook::new();
    weeks(&book, &[5, 4, 19, 5, 5, 3, 6, 4, 5, 5, 6, 5]);
    let out = book.care(&["trends", "--by", "week", "--control", "--since", SINCE, "--exit-code", "--format", "csv"]);
    assert_eq!(out.code, 0, "{out:?}");
    let spike = out.stdout.lines().find(|l| l.starts_with("2026-W37,")).expect("W37");
    assert!(spike.starts_with("2026-W37,19,") && spike.contains(",yes,"), "{}", out.stdout);
    // Empty weeks are part of the baseline: a quiet month shows as zeros, not as nothing.
    let book = TestBook::new();
    weeks(&book, &[5, 0, 0, 5]);
    let csv =
        book.ok(&["trends", "--by", "week", "--control", "--since", SINCE, "--until", "2026-09-21", "--format", "csv"]);
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(csv.contains("2026-W36,0,"), "{csv}");
}

#[test]
fn control_needs_one_time_dimension_and_exit_code_needs_control() {
    let book = TestBook::new();
    weeks(&book, &[1, 1, 1]);
    let out = book.fails(&["trends", "--by", "staff", "--control"], 2);
    assert!(out.stderr.contains("date, week or month"), "{out:?}");
    book.fails(&["trends", "--by", "week,staff", "--control"], 2);
    book.fails(&["trends", "--by", "week", "--exit-code"], 2);
    // Too few complete periods: rows without limits, a warning, and never a signal.
    let out = book.care(&["trends", "--by", "month", "--control", "--since", SINCE, "--exit-code", "--format", "csv"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("at least 3"), "{out:?}");
}

/// Billy's shifts for the same twelve weeks: Tuesday 09:00–17:00, and `busy` more days
/// (Wednesday on) in the last week; named in care.yaml.
fn shifts(book: &TestBook, busy: usize) {
    let mut csv = String::from("date,start,end,staff,location\n");
    let start = chrono::NaiveDate::from_ymd_opt(2026, 8, 25).expect("date");
    for w in 0..12 {
        let extra = if w == 11 { busy } else { 0 };
        for d in 0..=extra {
            let day = start + chrono::Duration::days(7 * w + d as i64);
            csv.push_str(&format!("{},09:00,17:00,billy,\n", day.format("%Y-%m-%d")));
        }
    }
    book.write("shifts.csv", &csv);
    let config = book.read("care.yaml");
    book.write("care.yaml", &format!("{config}exposure: shifts.csv\n"));
}

#[test]
fn with_exposure_the_chart_is_a_u_chart_a_busy_week_is_no_spike_and_a_real_one_still_exits_3() {
    let book = TestBook::new();
    weeks(&book, &[5, 4, 6, 5, 5, 3, 6, 4, 5, 5, 6, 19]);
    shifts(&book, 0);
    let out =
        book.fails(&["trends", "--by", "week", "--control", "--since", SINCE, "--exit-code", "--format", "csv"], 3);
    assert!(
        out.stdout.starts_with("week,count,shift_hours,per_100_shift_hours,expected,ucl,signal,complete\n"),
        "{out:?}"
    );
    assert!(out.stdout.contains("2026-W46,19,8,237.5,"), "{}", out.stdout);
    // Billy worked four days that week, not one: nineteen is his ordinary rate.
    let book = TestBook::new();
    weeks(&book, &[5, 4, 6, 5, 5, 3, 6, 4, 5, 5, 6, 19]);
    shifts(&book, 3);
    let out = book.care(&["trends", "--by", "week", "--control", "--since", SINCE, "--exit-code", "--format", "json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let w46 = rows.as_array().expect("rows").iter().find(|r| r["week"] == "2026-W46").expect("W46").clone();
    assert_eq!(w46["shift_hours"], 32.0, "{w46}");
    // The other eleven weeks: 54 incidents in 88 hours; times 32 hours.
    assert!((w46["expected"].as_f64().expect("expected") - 54.0 / 88.0 * 32.0).abs() < 1e-3, "{w46}");
    assert_eq!(w46["signal"], false, "{w46}");
}
