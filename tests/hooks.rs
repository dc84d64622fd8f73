//! Hooks as a user meets them: a script in `.care/hooks/<event>` hears of each change with
//! the documented JSON on stdin (docs/hooks.md); a failing or hanging hook never costs the
//! write; a hook that git tracks (it may have come with a pull) or that leads out of
//! `.care/hooks` never runs.

mod common;

use std::time::{Duration, Instant};

use common::TestBook;
use serde_json::{Value, json};

/// Install an executable hook script.
fn hook(book: &TestBook, event: &str, script: &str) {
    book.write(&format!(".care/hooks/{event}"), &format!("#!/bin/sh\n{script}\n"));
    set_executable(&book.path(&format!(".care/hooks/{event}")));
}

fn set_executable(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A hook that saves its stdin as `.care/<event>.json`.
fn recording_hook(book: &TestBook, event: &str) {
    hook(book, event, &format!("cat > \"$PWD/.care/{event}.json\""));
}

fn received(book: &TestBook, event: &str) -> Value {
    serde_json::from_str(&book.read(&format!(".care/{event}.json"))).expect("the hook got one JSON object")
}

fn book_path(book: &TestBook) -> String {
    std::fs::canonicalize(book.root()).expect("root").to_string_lossy().into_owned()
}

#[test]
fn a_note_hook_receives_exactly_the_documented_json() {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--phone", "+1 555 0100", "--value", "12000"]);
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish"]);
    recording_hook(&book, "note-added");
    book.ok(&["note", "ada", "--pref", "Likes the corner table"]);
    let expected = json!({
        "schema": 1,
        "event": "note-added",
        "book": {"name": "Test Bistro", "path": book_path(&book)},
        "at": "2026-11-22T19:42:00-05:00",
        "by": "joan",
        "customer": {
            "id": "ada-lovelace",
            "name": "Ada Lovelace",
            "phone": "+1 555 0100",
            "email": null,
            "lifetime_value": 12000.0,
            "remember": ["Allergic to shellfish"],
            "flags": []
        },
        "incident": null,
        "note": {
            "kind": "preference",
            "text": "Likes the corner table",
            "critical": false,
            "at": "2026-11-22T19:42:00-05:00",
            "by": "joan",
            "incident": null
        }
    });
    assert_eq!(received(&book, "note-added"), expected);
}

#[test]
fn every_write_command_tells_its_hook() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    for event in ["incident-opened", "step-recorded", "followup-done", "flag-raised", "flag-cleared"] {
        recording_hook(&book, event);
    }
    let id = book.ok(&["recover", "open", "ada", "--what", "Entrées mixed up", "--at", "19:30"]).trim().to_string();
    let opened = received(&book, "incident-opened");
    assert_eq!(opened["incident"]["id"], json!(id));
    assert_eq!(opened["customer"]["id"], json!("ada-lovelace"));

    book.ok(&["recover", "fix", &id, "Re-fired both entrées"]);
    let step = received(&book, "step-recorded");
    assert_eq!(step["step"]["kind"], json!("fixed"));
    assert_eq!(step["step"]["note"], json!("Re-fired both entrées"));
    assert_eq!(step["scheduled"][0]["kind"], json!("check-in"));

    book.ok(&["followup", "done", &id, "--kind", "check-in", "--how", "phone"]);
    let done = received(&book, "followup-done");
    assert_eq!(done["followup"]["kind"], json!("check-in"));
    assert_eq!(done["followup"]["done"]["how"], json!("phone"));

    book.ok(&["flag", "ada", "Recheck every order"]);
    assert_eq!(received(&book, "flag-raised")["flag"]["text"], json!("Recheck every order"));
    book.ok(&["flag", "--clear", "ada", "2"]);
    let cleared = received(&book, "flag-cleared");
    assert_eq!(cleared["flag"]["n"], json!(2));
    assert_eq!(cleared["flag"]["cleared_by"], json!("joan"));
}

#[test]
fn a_visit_tells_its_hook_with_the_customer_and_the_visit() {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--phone", "+1 555 0100"]);
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish"]);
    recording_hook(&book, "visit-recorded");
    book.ok(&[
        "visit",
        "ada",
        "--at",
        "19:30",
        "--spend",
        "84.5",
        "--party",
        "2",
        "--location",
        "downtown",
        "--staff",
        "billy",
        "--note",
        "Anniversary",
    ]);
    let got = received(&book, "visit-recorded");
    assert_eq!(got["schema"], json!(1));
    assert_eq!(got["event"], json!("visit-recorded"));
    assert_eq!(got["by"], json!("joan"));
    assert_eq!(got["customer"]["id"], json!("ada-lovelace"));
    assert_eq!(got["customer"]["remember"], json!(["Allergic to shellfish"]));
    assert_eq!(got["incident"], Value::Null);
    assert_eq!(
        got["visit"],
        json!({
            "at": "2026-11-22T19:30:00-05:00",
            "by": "joan",
            "spend": 84.5,
            "party": 2,
            "location": "downtown",
            "staff": "billy",
            "note": "Anniversary"
        })
    );
    // The same visit typed again changes nothing, and tells nothing.
    std::fs::remove_file(book.path(".care/visit-recorded.json")).expect("rm");
    book.ok(&["visit", "ada", "--at", "19:30", "--location", "downtown"]);
    assert!(!book.path(".care/visit-recorded.json").exists(), "nothing saved, nothing told");
}

#[test]
fn a_reminder_tells_its_hook_when_set_and_when_done() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    recording_hook(&book, "reminder-added");
    recording_hook(&book, "followup-done");
    book.ok(&[
        "remind",
        "ada",
        "--due",
        "2026-11-24 10:00",
        "--every",
        "3w",
        "--owner",
        "joan",
        "Call about the wine club",
    ]);
    let mut added = received(&book, "reminder-added");
    let id = added["reminder"]["id"].as_str().unwrap_or_default().to_string();
    assert!(id.len() == 6 && id.chars().all(|c| c.is_ascii_alphanumeric()), "its own id: {id:?}");
    assert!(book.read("customers/ada-lovelace.yaml").contains(&format!("id: {id}")));
    added["reminder"].as_object_mut().expect("object").remove("id");
    assert_eq!(added["event"], json!("reminder-added"));
    assert_eq!(added["customer"]["id"], json!("ada-lovelace"));
    assert_eq!(added["incident"], Value::Null);
    assert_eq!(
        added["reminder"],
        json!({
            "index": 0,
            "text": "Call about the wine club",
            "due": "2026-11-24T10:00:00-05:00",
            "every": "3w",
            "owner": "joan",
            "at": "2026-11-22T19:42:00-05:00",
            "by": "joan",
            "next": "2026-11-24T10:00:00-05:00"
        })
    );
    book.ok(&["remind", "ada", "--birthday", "03-14"]);
    assert_eq!(received(&book, "reminder-added")["reminder"]["index"], json!(1), "the second reminder");
    assert_eq!(received(&book, "reminder-added")["reminder"]["every"], json!("1y"));

    book.cmd()
        .env("CARE_NOW", "2026-11-24T11:00:00-05:00")
        .args(["followup", "done", "ada", "--how", "phone"])
        .assert()
        .success();
    let done = received(&book, "followup-done");
    assert_eq!(done["incident"], Value::Null);
    assert_eq!(done["followup"]["kind"], json!("reminder"));
    assert_eq!(done["followup"]["index"], json!(0));
    assert_eq!(done["followup"]["due"], json!("2026-11-24T10:00:00-05:00"));
    assert_eq!(done["followup"]["what"], json!("Call about the wine club"));
    assert_eq!(done["followup"]["overdue_by"], json!(60));
    assert_eq!(done["followup"]["done"]["how"], json!("phone"));
    assert_eq!(done["reminder"]["next"], json!("2026-12-15T10:00:00-05:00"), "re-armed three weeks on");
}

#[test]
fn a_failing_hook_warns_and_keeps_the_write() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    hook(&book, "note-added", "echo 'mail server down' >&2; exit 3");
    let out = book.care(&["note", "ada", "Wife is ill; be gentle"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("hook .care/hooks/note-added failed"), "{}", out.stderr);
    assert!(out.stderr.contains("the change is saved"), "{}", out.stderr);
    assert!(book.read("customers/ada-lovelace.yaml").contains("Wife is ill"));
}

#[test]
fn a_hanging_hook_is_cut_off_in_bounded_time_and_keeps_the_write() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    // It also starts a child that would hold our stderr open if only the hook were killed.
    hook(&book, "note-added", "sleep 60 & sleep 60");
    let start = Instant::now();
    let out = book.cmd().env("CARE_HOOK_TIMEOUT", "1s").args(["note", "ada", "Wife is ill"]).output().expect("runs");
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(stderr.contains("did not finish within 1s and was stopped"), "{stderr}");
    assert!(book.read("customers/ada-lovelace.yaml").contains("Wife is ill"));
}

#[test]
fn the_id_of_a_new_incident_is_printed_alone_even_when_a_hook_talks() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    hook(&book, "incident-opened", "echo 'hello from the hook'");
    let out = book.care(&["recover", "open", "ada", "--what", "Cold soup"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout.lines().count(), 1, "{out:?}");
    assert!(out.stderr.contains("hello from the hook"));
}

fn git(book: &TestBook, args: &[&str]) {
    let status = std::process::Command::new("git")
        .current_dir(book.root())
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", book.root())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn a_hook_that_git_tracks_never_runs() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    hook(&book, "note-added", "touch \"$PWD/ran\"");
    git(&book, &["init", "-q"]);
    // As if it had come with a pull: forced past the .gitignore into the index.
    git(&book, &["add", "-f", ".care/hooks/note-added"]);
    let out = book.care(&["note", "ada", "Wife is ill"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!book.path("ran").exists(), "a tracked hook ran");
    assert!(out.stderr.contains("is tracked by git"), "{}", out.stderr);
    assert!(book.read("customers/ada-lovelace.yaml").contains("Wife is ill"));

    // Untracked again, it is the clone's own and runs.
    git(&book, &["rm", "-q", "--cached", ".care/hooks/note-added"]);
    book.ok(&["note", "ada", "Back to normal"]);
    assert!(book.path("ran").exists(), "the clone's own hook did not run");
}

#[test]
fn a_hook_linked_out_of_the_hooks_folder_never_runs() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let elsewhere = tempfile::TempDir::new().expect("temp");
    let script = elsewhere.path().join("script");
    std::fs::write(&script, format!("#!/bin/sh\ntouch '{}/ran'\n", book.root().display())).expect("write");
    set_executable(&script);
    std::fs::create_dir_all(book.path(".care/hooks")).expect("mkdir");
    std::os::unix::fs::symlink(&script, book.path(".care/hooks/note-added")).expect("symlink");
    let out = book.care(&["note", "ada", "Wife is ill"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!book.path("ran").exists(), "a hook outside .care/hooks ran");
    assert!(out.stderr.contains("outside .care/hooks"), "{}", out.stderr);
}

#[test]
fn a_hook_that_is_not_executable_says_how_to_fix_it() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.write(".care/hooks/note-added", "#!/bin/sh\ntrue\n");
    let out = book.care(&["note", "ada", "Wife is ill"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("chmod +x .care/hooks/note-added"), "{}", out.stderr);
}
