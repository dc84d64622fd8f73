//! Hooks as a user meets them: a script in `.care/hooks/<event>` hears of each change with
//! the documented JSON on stdin (docs/hooks.md); a failing or hanging hook never costs the
//! write; a hook that git tracks (it may have come with a pull), that sits in a submodule
//! or a nested repository, or that leads out of `.care/hooks` never runs, and neither does
//! any hook when git cannot say which is which (not on PATH, dubious ownership, a `.git`
//! file leading nowhere); `care check` reports each of them.

use crate::common;

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

/// `git ARGS` in `dir` with no user or system config of the machine's, as a clone would.
fn git_in(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A book in git whose `flag-cleared` hook git tracks (as if it came with a pull), with two
/// flags on Ada, so one command fires the hook twice. The hook leaves `ran` in the book.
fn tracked_flag_hook() -> TestBook {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.ok(&["flag", "ada", "Recheck every order"]);
    book.ok(&["flag", "ada", "No calls before 11"]);
    hook(&book, "flag-cleared", "echo x >> \"$PWD/ran\"");
    git_in(book.root(), &["init", "-q"]);
    git_in(book.root(), &["add", "-f", ".care/hooks/flag-cleared"]);
    book
}

/// A folder for PATH holding no git: the hooks run by `#!/bin/sh` and need nothing else.
fn path_without_git() -> tempfile::TempDir {
    let dir = tempfile::TempDir::new().expect("temp");
    assert!(!dir.path().join("git").exists());
    dir
}

#[test]
fn a_tracked_hook_never_runs_when_git_is_not_on_the_path_and_care_says_why_once() {
    let book = tracked_flag_hook();
    let bin = path_without_git();
    let out = book.cmd().env("PATH", bin.path()).args(["flag", "--clear", "ada"]).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the write stands: {stderr}");
    assert!(!book.path("ran").exists(), "a tracked hook ran without git to ask");
    assert!(stderr.contains("cannot run git"), "names why: {stderr}");
    assert!(stderr.contains(".git says there is a repository to ask"), "{stderr}");
    assert_eq!(stderr.matches("no hook runs").count(), 1, "told once for two deliveries: {stderr}");
    assert!(book.read("customers/ada-lovelace.yaml").contains("cleared_by: joan"));
}

#[test]
fn without_git_a_hook_runs_only_where_no_repository_can_be() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    hook(&book, "note-added", "echo x >> \"$PWD/ran\"");
    let bin = path_without_git();
    let out = book.cmd().env("PATH", bin.path()).args(["note", "ada", "Wife is ill"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(book.path("ran").exists(), "no .git anywhere above: nothing can have been pulled, so it runs");

    // A .git in the book (even an empty one git itself would pass over) is a repository
    // nobody could ask.
    std::fs::remove_file(book.path("ran")).expect("rm");
    std::fs::create_dir(book.path(".git")).expect("mkdir");
    let out = book.cmd().env("PATH", bin.path()).args(["note", "ada", "Again"]).output().expect("runs");
    assert!(out.status.success());
    assert!(!book.path("ran").exists(), "a .git there, and no git to ask");
    let out = book.care(&["note", "ada", "With git"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!book.path("ran").exists(), "git says no repository, yet .git is there: {out:?}");
    assert!(out.stderr.contains("yet") && out.stderr.contains(".git exists"), "{}", out.stderr);
}

#[test]
fn a_tracked_hook_never_runs_when_git_distrusts_the_repository() {
    let book = tracked_flag_hook();
    // Git's own switch for "this repository belongs to someone else" (its test suite's).
    let out =
        book.cmd().env("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1").args(["flag", "--clear", "ada"]).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!book.path("ran").exists(), "a tracked hook ran under dubious ownership");
    assert!(stderr.contains("dubious ownership"), "git's own words: {stderr}");
    assert_eq!(stderr.matches("no hook runs").count(), 1, "{stderr}");
    assert!(!stderr.chars().any(|c| c.is_control() && c != '\n'), "printable: {stderr:?}");

    let out = book.cmd().env("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1").args(["check"]).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("hook-unverified") && stdout.contains(".care/hooks/flag-cleared"), "{stdout}");
}

#[test]
fn a_tracked_hook_never_runs_when_the_git_file_leads_nowhere() {
    let book = tracked_flag_hook();
    std::fs::rename(book.path(".git"), book.path("moved.git")).expect("mv");
    book.write(".git", "gitdir: /nowhere/at/all\n");
    let out = book.care(&["flag", "--clear", "ada"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!book.path("ran").exists(), "a tracked hook ran while git could not find its repository");
    assert!(out.stderr.contains("not a git repository: /nowhere/at/all"), "{}", out.stderr);
}

#[test]
fn a_hook_from_a_submodule_never_runs_after_a_recursive_clone_and_check_reports_it() {
    let hooks = tempfile::TempDir::new().expect("temp");
    std::fs::write(hooks.path().join("note-added"), "#!/bin/sh\necho x >> \"$PWD/ran\"\n").expect("write");
    set_executable(&hooks.path().join("note-added"));
    git_in(hooks.path(), &["init", "-q"]);
    git_in(hooks.path(), &["add", "."]);
    git_in(hooks.path(), &["commit", "-qm", "hooks"]);

    let origin = TestBook::new();
    origin.add("Ada Lovelace");
    git_in(origin.root(), &["init", "-q"]);
    git_in(origin.root(), &["add", "-A"]);
    let hooks_url = hooks.path().to_str().expect("utf-8 path");
    git_in(
        origin.root(),
        &["-c", "protocol.file.allow=always", "submodule", "add", "-f", "-q", hooks_url, ".care/hooks"],
    );
    git_in(origin.root(), &["commit", "-qm", "a book with hooks"]);

    let clone = TestBook::bare();
    let from = origin.root().to_str().expect("utf-8 path");
    git_in(clone.root(), &["-c", "protocol.file.allow=always", "clone", "-q", "--recurse-submodules", from, "."]);
    assert!(clone.path(".care/hooks/note-added").exists(), "the submodule's hook came with the clone");

    let out = clone.care(&["note", "ada", "Wife is ill"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!clone.path("ran").exists(), "a hook from a submodule ran");
    assert!(out.stderr.contains("inside a submodule or another repository"), "{}", out.stderr);
    assert!(out.stderr.contains("(.care/hooks/.git)"), "names it within the book: {}", out.stderr);

    let out = clone.care(&["check", "--format", "csv"]);
    assert_eq!(out.code, 1, "{out:?}");
    let rows = common::csv_rows(&out.stdout);
    let hook_rows: Vec<&Vec<String>> = rows.iter().filter(|r| r[4].starts_with("hook-")).collect();
    assert_eq!(hook_rows.len(), 1, "{rows:?}");
    assert_eq!((hook_rows[0][0].as_str(), hook_rows[0][1].as_str()), ("error", ".care/hooks/note-added"));
    assert_eq!(hook_rows[0][4], "hook-nested");
}

#[test]
fn a_hook_in_a_repository_nested_in_the_book_never_runs_even_outside_git() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    hook(&book, "note-added", "echo x >> \"$PWD/ran\"");
    git_in(&book.path(".care"), &["init", "-q"]);
    let out = book.care(&["note", "ada", "Wife is ill"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!book.path("ran").exists(), "a hook inside a repository in .care ran");
    assert!(out.stderr.contains("(.care/.git)"), "{}", out.stderr);
}

#[test]
fn check_reports_tracked_and_linked_hooks_and_is_quiet_about_the_clones_own() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    hook(&book, "note-added", "true");
    hook(&book, "script", "true");
    std::os::unix::fs::symlink("script", book.path(".care/hooks/flag-raised")).expect("symlink");
    git_in(book.root(), &["init", "-q"]);
    let codes = |book: &TestBook| -> Vec<(String, String, String)> {
        let out = book.care(&["check", "--format", "csv"]);
        common::csv_rows(&out.stdout)
            .into_iter()
            .skip(1)
            .filter(|r| r[4].starts_with("hook-"))
            .map(|r| (r[0].clone(), r[1].clone(), r[4].clone()))
            .collect()
    };
    let linked = ("warning".to_string(), ".care/hooks/flag-raised".to_string(), "hook-linked".to_string());
    assert_eq!(codes(&book), std::slice::from_ref(&linked), "the clone's own untracked hook is no finding");

    git_in(book.root(), &["add", "-f", ".care/hooks/script"]);
    let tracked = ("error".to_string(), ".care/hooks/flag-raised".to_string(), "hook-tracked".to_string());
    assert_eq!(codes(&book), [linked, tracked], "the link leads to a tracked file");
    let out = book.care(&["check"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("git rm --cached .care/hooks/script"), "{}", out.stdout);
}

#[test]
fn a_hooks_folder_that_is_a_link_is_reported_once_per_hook_there() {
    let book = TestBook::new();
    book.write("tools/note-added", "#!/bin/sh\ntrue\n");
    set_executable(&book.path("tools/note-added"));
    std::fs::create_dir_all(book.path(".care")).expect("mkdir");
    std::os::unix::fs::symlink("../tools", book.path(".care/hooks")).expect("symlink");
    let out = book.care(&["check", "--format", "csv"]);
    let hooks: Vec<Vec<String>> =
        common::csv_rows(&out.stdout).into_iter().filter(|r| r[4].starts_with("hook-")).collect();
    assert_eq!(hooks.len(), 1, "only the hook that is there: {hooks:?}");
    assert_eq!((hooks[0][1].as_str(), hooks[0][4].as_str()), (".care/hooks/note-added", "hook-linked"));
    assert!(hooks[0][5].starts_with(".care/hooks is a link"), "{:?}", hooks[0]);
}
