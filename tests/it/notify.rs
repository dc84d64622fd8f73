//! `care notify` as cron runs it: each due follow-up told to the hook once per stage
//! (soon, overdue), again only after `--repeat`, never one that is not due; the memory is
//! the clone's `.care/notify-state`, and losing it only repeats a notice.

use crate::common;

use common::TestBook;
use serde_json::Value;

/// A book with Ada's incident opened at 19:30 (progress follow-up due 19:50) and Bob's at
/// 20:00 (due 20:20); both hooks append their stdin to `.care/told.log`.
fn setup() -> (TestBook, String, String) {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--phone", "+1 555 0100"]);
    book.add("Bob Marley");
    let ada = book.ok(&["recover", "open", "ada", "--what", "Entrées mixed up", "--at", "19:30"]).trim().to_string();
    let bob = book
        .cmd()
        .env("CARE_NOW", "2026-11-22T20:00:00-05:00")
        .args(["recover", "open", "bob", "--what", "Cold soup"])
        .output()
        .expect("runs");
    let bob = String::from_utf8_lossy(&bob.stdout).trim().to_string();
    for event in ["followup-overdue", "followup-soon"] {
        book.write(&format!(".care/hooks/{event}"), "#!/bin/sh\n{ cat; echo; } >> \"$PWD/.care/told.log\"\n");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(book.path(&format!(".care/hooks/{event}")), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }
    (book, ada, bob)
}

fn notify_at(book: &TestBook, at: &str, args: &[&str]) -> common::Out {
    let out = book.cmd().env("CARE_NOW", at).arg("notify").args(args).output().expect("runs");
    common::Out {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn told(book: &TestBook) -> Vec<Value> {
    let log = std::fs::read_to_string(book.path(".care/told.log")).unwrap_or_default();
    log.lines().filter(|l| !l.is_empty()).map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

#[test]
fn three_cron_runs_tell_each_due_follow_up_once_and_nothing_else() {
    let (book, ada, _) = setup();
    for at in ["2026-11-22T20:05:00-05:00", "2026-11-22T20:10:00-05:00", "2026-11-22T20:15:00-05:00"] {
        let out = notify_at(&book, at, &[]);
        assert_eq!(out.code, 0, "{out:?}");
    }
    let told = told(&book);
    assert_eq!(told.len(), 1, "{told:#?}");
    let n = &told[0];
    assert_eq!(n["schema"], 1);
    assert_eq!(n["event"], "followup-overdue");
    assert_eq!(n["incident"]["id"], ada.as_str());
    assert_eq!(n["customer"]["phone"], "+1 555 0100");
    assert_eq!(n["followup"]["kind"], "progress");
    assert_eq!(n["followup"]["due"], "2026-11-22T19:50:00-05:00");
    assert_eq!(n["followup"]["overdue_by"], 15);
    assert_eq!(n["notice"]["count"], 1);
    // The state is the clone's own, never in the shared files.
    assert!(book.read(".care/notify-state").contains(&ada));
}

#[test]
fn within_warns_before_the_breach_and_overdue_is_a_second_notice() {
    let (book, _, bob) = setup();
    notify_at(&book, "2026-11-22T20:10:00-05:00", &["--within", "15m"]);
    notify_at(&book, "2026-11-22T20:12:00-05:00", &["--within", "15m"]);
    let events: Vec<(String, String)> = told(&book)
        .iter()
        .map(|n| {
            (n["event"].as_str().unwrap_or("").to_string(), n["incident"]["id"].as_str().unwrap_or("").to_string())
        })
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.contains(&("followup-soon".into(), bob.clone())), "{events:?}");
    notify_at(&book, "2026-11-22T20:21:00-05:00", &["--within", "15m"]);
    let last = told(&book).pop().expect("a notice");
    assert_eq!(
        (last["event"].as_str(), last["incident"]["id"].as_str()),
        (Some("followup-overdue"), Some(bob.as_str()))
    );
}

#[test]
fn repeat_tells_again_only_after_the_interval_and_stops_when_done() {
    let (book, ada, _) = setup();
    notify_at(&book, "2026-11-22T20:00:00-05:00", &["--repeat", "30m"]);
    notify_at(&book, "2026-11-22T20:19:00-05:00", &["--repeat", "30m"]);
    assert_eq!(told(&book).len(), 1);
    let out = notify_at(&book, "2026-11-22T20:31:00-05:00", &["--repeat", "30m"]);
    assert!(out.stdout.contains(&ada), "what was told is printed: {out:?}");
    let told_now = told(&book);
    let ada_notices: Vec<&Value> = told_now.iter().filter(|n| n["incident"]["id"] == ada.as_str()).collect();
    assert_eq!(ada_notices.len(), 2);
    assert_eq!(ada_notices[1]["notice"]["count"], 2);
    assert_eq!(ada_notices[1]["notice"]["first"], "2026-11-22T20:00:00-05:00");

    book.cmd().env("CARE_NOW", "2026-11-22T20:40:00-05:00").args(["followup", "done", &ada]).assert().success();
    // The first progress follow-up is done (a new one is scheduled, the fix not being in).
    let first = |n: &&Value| n["incident"]["id"] == ada.as_str() && n["followup"]["index"] == 0;
    let before = told(&book).iter().filter(first).count();
    notify_at(&book, "2026-11-22T23:00:00-05:00", &["--repeat", "30m"]);
    let after = told(&book).iter().filter(first).count();
    assert_eq!(before, after, "a follow-up done is not told again");
}

#[test]
fn a_lost_state_repeats_a_notice_and_a_failed_hook_is_retried() {
    let (book, _, _) = setup();
    notify_at(&book, "2026-11-22T20:05:00-05:00", &[]);
    std::fs::remove_file(book.path(".care/notify-state")).expect("state");
    notify_at(&book, "2026-11-22T20:06:00-05:00", &[]);
    assert_eq!(told(&book).len(), 2, "lost state: the notice is repeated, not dropped");

    let (book, _, _) = setup();
    book.write(".care/hooks/followup-overdue", "#!/bin/sh\nexit 1\n");
    let out = notify_at(&book, "2026-11-22T20:05:00-05:00", &[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("tried again on the next run"), "{}", out.stderr);
    book.write(".care/hooks/followup-overdue", "#!/bin/sh\n{ cat; echo; } >> \"$PWD/.care/told.log\"\n");
    assert_eq!(notify_at(&book, "2026-11-22T20:06:00-05:00", &[]).code, 0);
    assert_eq!(told(&book).len(), 1, "the failed notice is given on the next run");
}

/// A book with only reminders on Ada: a one-off owned by joan due 2026-11-23 10:00, and a
/// call every 2 weeks owned by billy from 2026-11-24 09:00; both hooks log their stdin.
fn reminders() -> TestBook {
    let (book, _, _) = setup();
    // The incidents' follow-ups are done with, so only the reminders are due.
    for id in book.ok(&["recover", "list", "--format", "csv"]).lines().skip(1) {
        let id = id.split(',').next().unwrap_or_default().to_string();
        book.cmd().env("CARE_NOW", "2026-11-22T20:01:00-05:00").args(["recover", "close", &id]).assert().success();
    }
    book.ok(&["remind", "ada", "--due", "2026-11-23 10:00", "--owner", "joan", "Send the menu"]);
    book.ok(&[
        "remind",
        "ada",
        "--due",
        "2026-11-24 09:00",
        "--every",
        "2w",
        "--owner",
        "billy",
        "Call about the wine club",
    ]);
    book
}

fn reminder_notices(book: &TestBook) -> Vec<(String, String, String)> {
    told(book)
        .iter()
        .filter(|n| n["followup"]["kind"] == "reminder")
        .map(|n| {
            let s = |v: &Value| v.as_str().unwrap_or("").to_string();
            (s(&n["event"]), s(&n["followup"]["what"]), s(&n["followup"]["due"]))
        })
        .collect()
}

#[test]
fn a_due_reminder_reaches_its_owner_once_with_the_customer() {
    let book = reminders();
    assert!(reminder_notices(&book).is_empty());
    notify_at(&book, "2026-11-23T09:00:00-05:00", &[]);
    assert!(reminder_notices(&book).is_empty(), "not due yet: {:?}", reminder_notices(&book));
    let out = notify_at(&book, "2026-11-23T10:05:00-05:00", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("ada-lovelace") && out.stdout.contains("reminder"), "{}", out.stdout);
    notify_at(&book, "2026-11-23T10:10:00-05:00", &[]);
    assert_eq!(
        reminder_notices(&book),
        [("followup-overdue".to_string(), "Send the menu".to_string(), "2026-11-23T10:00:00-05:00".to_string())],
        "told once"
    );
    let n = told(&book).into_iter().find(|n| n["followup"]["kind"] == "reminder").expect("a notice");
    assert_eq!(n["incident"], Value::Null);
    assert_eq!(n["customer"]["id"], "ada-lovelace");
    assert_eq!(n["customer"]["phone"], "+1 555 0100");
    assert_eq!(n["reminder"]["owner"], "joan");
    assert_eq!(n["followup"]["overdue_by"], 5);
    assert_eq!(n["notice"]["count"], 1);
    assert!(book.read(".care/notify-state").contains("customer/ada-lovelace\t0\treminder"));

    // --owner selects by the reminder's owner; --within warns ahead.
    let out = notify_at(&book, "2026-11-23T10:20:00-05:00", &["--owner", "billy", "--within", "1d"]);
    assert_eq!(out.code, 0, "{out:?}");
    let last = reminder_notices(&book).pop().expect("soon");
    assert_eq!(last, ("followup-soon".into(), "Call about the wine club".into(), "2026-11-24T09:00:00-05:00".into()));
    assert_eq!(reminder_notices(&book).len(), 2, "joan's is not billy's");
}

#[test]
fn a_recurring_reminder_done_is_told_again_at_its_next_occurrence_and_not_before() {
    let book = reminders();
    book.ok(&["followup", "done", "ada"]);
    notify_at(&book, "2026-11-24T09:30:00-05:00", &["--owner", "billy"]);
    book.cmd().env("CARE_NOW", "2026-11-24T10:00:00-05:00").args(["followup", "done", "ada"]).assert().success();
    notify_at(&book, "2026-11-24T11:00:00-05:00", &["--owner", "billy"]);
    notify_at(&book, "2026-12-07T09:00:00-05:00", &["--owner", "billy"]);
    assert_eq!(reminder_notices(&book).len(), 1, "done: quiet until the next occurrence");
    notify_at(&book, "2026-12-08T09:05:00-05:00", &["--owner", "billy"]);
    notify_at(&book, "2026-12-08T09:10:00-05:00", &["--owner", "billy"]);
    let dues: Vec<String> = reminder_notices(&book).into_iter().map(|(_, _, due)| due).collect();
    assert_eq!(dues, ["2026-11-24T09:00:00-05:00", "2026-12-08T09:00:00-05:00"], "re-armed, told once more");
}

#[test]
fn a_corrective_actions_check_is_told_to_its_owner_once_and_not_after_it_is_verified() {
    let book = reminders();
    let fix = book
        .ok(&[
            "action",
            "open",
            "--for",
            "staff=billy",
            "--what",
            "Billy trained",
            "--owner",
            "billy",
            "--at",
            "2026-10-01",
        ])
        .trim()
        .to_string();
    let checks = |book: &TestBook| -> Vec<Value> {
        told(book).into_iter().filter(|n| n["followup"]["kind"] == "verify").collect()
    };
    // Joan owns no check: she is not told of Billy's.
    notify_at(&book, "2026-11-23T09:00:00-05:00", &["--owner", "joan"]);
    assert!(checks(&book).is_empty(), "{:?}", checks(&book));
    let out = notify_at(&book, "2026-11-23T09:05:00-05:00", &["--owner", "billy"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("verify"), "{}", out.stdout);
    notify_at(&book, "2026-11-23T09:10:00-05:00", &[]);
    let told = checks(&book);
    assert_eq!(told.len(), 1, "told once: {told:#?}");
    let n = &told[0];
    assert_eq!(n["event"], "followup-overdue");
    assert_eq!(n["customer"], Value::Null);
    assert_eq!(n["incident"], Value::Null);
    assert_eq!(n["action"]["id"], fix.as_str());
    assert_eq!(n["action"]["owner"], "billy");
    assert_eq!(n["action"]["for"][0], "staff=billy");
    assert_eq!(n["followup"]["due"], "2026-10-31T00:00:00-04:00", "30 days after the fix");
    assert!(n["followup"]["what"].as_str().is_some_and(|w| w.contains(&format!("care action verify {fix}"))), "{n}");
    assert!(book.read(".care/notify-state").contains(&format!("action/{fix}\t0\tverify")));

    book.ok(&["action", "verify", &fix, "--format", "csv"]);
    notify_at(&book, "2026-11-30T09:00:00-05:00", &["--repeat", "1h"]);
    assert_eq!(checks(&book).len(), 1, "verified: nothing more to tell");
    assert!(!book.read(".care/notify-state").contains("action/"), "its state is forgotten");
}

/// A book with `n` reminders on Ada, all overdue at `LATER`, and a `followup-overdue` hook
/// that says `start` and `end` on its stdout (care's stderr) around appending its event,
/// one line, to `log` (outside the book, so a reset of `.care` cannot touch it), pausing
/// `pause` seconds before it.
fn reminders_with_slow_hook(n: usize, log: &std::path::Path, pause: &str) -> TestBook {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    for k in 0..n {
        book.ok(&["remind", "ada", "--due", "2026-11-23 09:00", &format!("Call {k:02}")]);
    }
    let script = format!(
        "#!/bin/sh\necho start\nevent=$(cat)\nsleep {pause}\nprintf '%s\\n' \"$event\" >> '{}'\necho end\n",
        log.display()
    );
    book.write(".care/hooks/followup-overdue", &script);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(book.path(".care/hooks/followup-overdue"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    book
}

const LATER: &str = "2026-11-23T10:00:00-05:00";

/// What the hook was told, one `followup.what` per run of it (`?` for an event cut short:
/// the hook of a run killed while it was writing the event still ran).
fn whats(log: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(n) => n["followup"]["what"].as_str().unwrap_or_default().to_string(),
            Err(_) => format!("? {l}"),
        })
        .collect()
}

#[test]
fn a_run_killed_anywhere_tells_again_at_most_the_notice_in_flight() {
    use std::io::BufRead;
    const NOTICES: usize = 12;
    const KILLS: usize = 16;
    let out = tempfile::TempDir::new().expect("temp");
    let log = out.path().join("told.log");
    let book = reminders_with_slow_hook(NOTICES, &log, "0.05");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
    let mut killed = 0;
    for round in 0..KILLS {
        let mut child = book
            .process()
            .env("CARE_NOW", LATER)
            .arg("notify")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("starts");
        // Killed at varying points: as it starts (before any hook, or while it folds what
        // the last killed run journalled), while the 1st, 2nd or 3rd hook runs, or just as
        // one has finished, before or after care recorded it.
        let (mark, nth) = match round % 4 {
            0 => ("", 0),
            1 => ("start", 1 + round % 3),
            _ => ("end", 1 + round % 3),
        };
        let mut seen = 0;
        let mut lines = std::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
        while seen < nth {
            match lines.next() {
                Some(Ok(line)) if line == mark => seen += 1,
                Some(Ok(_)) => {}
                _ => break,
            }
        }
        if child.try_wait().expect("waits").is_none() {
            child.kill().expect("SIGKILL");
            killed += 1;
        }
        child.wait().expect("reaped");
        assert!(std::time::Instant::now() < deadline, "the kill loop ran out of time");
    }
    let finish = notify_at(&book, LATER, &[]);
    assert_eq!(finish.code, 0, "{finish:?}");
    // Finished, a run tells nothing more.
    let again = notify_at(&book, LATER, &[]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!((again.stdout.as_str(), again.stderr.as_str()), ("", ""), "all told: nothing is printed: {again:?}");

    let told = whats(&log);
    eprintln!("{} hook runs for {NOTICES} notices and {killed} kills", told.len());
    let mut distinct: Vec<String> = told.iter().filter(|w| !w.starts_with('?')).cloned().collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), NOTICES, "every notice told: {distinct:?}");
    assert!(
        told.len() <= NOTICES + killed,
        "{} hook runs for {NOTICES} notices and {killed} kills: more than one re-telling a kill",
        told.len()
    );
    assert!(killed >= KILLS / 2, "the loop must really kill runs: {killed} of {KILLS}");
    assert!(!book.path(".care/notify-journal").exists(), "the journal is folded into the state at the end");
    let state = book.read(".care/notify-state");
    assert_eq!(state.lines().filter(|l| l.starts_with("customer/ada-lovelace\t")).count(), NOTICES, "{state}");
}

/// Ada's incident told once, so that `.care/notify-state` holds an entry; the log path.
fn told_once() -> TestBook {
    let (book, _, _) = setup();
    assert_eq!(notify_at(&book, "2026-11-22T20:05:00-05:00", &[]).code, 0);
    assert_eq!(told(&book).len(), 1);
    book
}

/// Run notify on a damaged state or journal: it must stop before any hook, naming the file
/// and the way out.
fn refuses(book: &TestBook, file: &str, what: &str) {
    let before = told(book).len();
    let out = book
        .cmd()
        .env("CARE_NOW", "2026-11-22T20:30:00-05:00")
        .timeout(std::time::Duration::from_secs(60))
        .args(["notify", "--within", "1h"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
    assert!(stderr.contains(file), "{what}: names {file}: {stderr}");
    assert!(stderr.contains("care notify --reset-state"), "{what}: the way out: {stderr}");
    assert_eq!(told(book).len(), before, "{what}: a hook ran on a damaged state");
}

#[test]
fn a_damaged_state_stops_the_run_before_any_hook_and_reset_state_starts_over() {
    let book = told_once();
    let state = book.read(".care/notify-state");
    book.write(".care/notify-state", &state[..state.len() / 2]);
    refuses(&book, ".care/notify-state", "cut in the middle of a line");
    let whole_lines: String = state.lines().take(state.lines().count() - 1).map(|l| format!("{l}\n")).collect();
    book.write(".care/notify-state", &whole_lines);
    refuses(&book, ".care/notify-state", "cut after a whole line");
    book.write(".care/notify-state", "");
    refuses(&book, ".care/notify-state", "empty");
    book.write(".care/notify-state", "\u{1b}[2Jnot what care wrote\n");
    refuses(&book, ".care/notify-state", "garbage");

    // --reset-state starts over, says so, and tells what is due again, once.
    let out = book
        .cmd()
        .env("CARE_NOW", "2026-11-22T20:30:00-05:00")
        .args(["notify", "--within", "1h", "--reset-state"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("removed") && stderr.contains(".care/notify-state"), "says what it did: {stderr}");
    assert!(stderr.contains("told again"), "{stderr}");
    let after_reset = told(&book).len();
    assert_eq!(after_reset, 3, "Ada's told again, Bob's soon for the first time: {:#?}", told(&book));
    assert_eq!(notify_at(&book, "2026-11-22T20:31:00-05:00", &["--within", "1h"]).code, 0);
    assert_eq!(told(&book).len(), after_reset, "after the reset, once");
}

#[test]
fn a_folder_or_fifo_in_place_of_the_state_stops_the_run_and_reset_state_clears_only_what_is_cares() {
    let book = told_once();
    std::fs::remove_file(book.path(".care/notify-state")).expect("rm");
    std::fs::create_dir(book.path(".care/notify-state")).expect("mkdir");
    book.write(".care/notify-state/keep", "someone's file");
    refuses(&book, ".care/notify-state", "a directory");
    let out = notify_at(&book, "2026-11-22T20:30:00-05:00", &["--reset-state"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("move it out of the way yourself"), "{}", out.stderr);
    assert_eq!(book.read(".care/notify-state/keep"), "someone's file", "never removed");
    std::fs::remove_file(book.path(".care/notify-state/keep")).expect("rm");
    let out = notify_at(&book, "2026-11-22T20:30:00-05:00", &["--reset-state"]);
    assert_eq!(out.code, 0, "an empty folder goes: {out:?}");
    assert!(out.stderr.contains("a directory"), "{}", out.stderr);
    assert!(std::fs::symlink_metadata(book.path(".care/notify-state")).is_ok_and(|m| m.is_file()));

    std::fs::remove_file(book.path(".care/notify-state")).expect("rm");
    let fifo = std::process::Command::new("mkfifo").arg(book.path(".care/notify-state")).status().expect("mkfifo");
    assert!(fifo.success());
    refuses(&book, ".care/notify-state", "a FIFO (never opened: it would block)");

    std::fs::remove_file(book.path(".care/notify-state")).expect("rm");
    std::os::unix::fs::symlink("/etc/passwd", book.path(".care/notify-state")).expect("symlink");
    refuses(&book, ".care/notify-state", "a link");
    assert_eq!(notify_at(&book, "2026-11-22T20:30:00-05:00", &["--reset-state"]).code, 0);
    assert!(std::fs::symlink_metadata("/etc/passwd").is_ok_and(|m| m.is_file()), "the link, not its target, goes");
}

#[test]
fn a_journal_with_a_line_care_did_not_write_stops_the_run_but_a_torn_last_line_does_not() {
    let book = told_once();
    let entry = book.read(".care/notify-state").lines().nth(1).expect("an entry").to_string();
    // A machine that crashed mid-append leaves part of a line: its notice is told again.
    book.write(".care/notify-journal", &entry[..entry.len() / 2]);
    let out = notify_at(&book, "2026-11-22T20:06:00-05:00", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(told(&book).len(), 1, "the state still knows Ada's notice");
    assert!(!book.path(".care/notify-journal").exists(), "folded in and gone");

    book.write(".care/notify-journal", &format!("{entry}\nnot an entry\n"));
    refuses(&book, ".care/notify-journal", "a journal line that is not an entry");
}
