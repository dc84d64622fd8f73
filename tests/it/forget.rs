//! `care forget`: a person asks to be erased. Through the real binary: afterwards no file of
//! the book (outside `.git`) holds their name, phone or email — notes on other customers,
//! incident summaries and step notes, the index included — while `trends` counts exactly
//! what it counted before; the tombstone holds no personal data; `--dry-run` changes
//! nothing; a damaged file anywhere stops it before any change; the tombstone is honoured
//! by every writer that could bring the person back, and by `care check`.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use common::TestBook;

const NAME: &str = "Ada Lovelace";
const PHONE: &str = "+1 555 0100";
const EMAIL: &str = "ada@example.com";

/// Every file of the book outside `.git`, with its bytes.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (e.path().strip_prefix(root).expect("in").display().to_string(), std::fs::read(e.path()).expect("read"))
        })
        .collect()
}

/// The files that still hold the person, in any of the spellings staff use.
fn traces(root: &Path) -> Vec<String> {
    let needles = ["ada lovelace", "lovelace", "555 0100", "555-0100", "5550100", "ada@example.com"];
    files(root)
        .into_iter()
        .filter(|(_, bytes)| {
            let text = String::from_utf8_lossy(bytes).to_lowercase();
            needles.iter().any(|n| text.contains(n))
        })
        .map(|(path, _)| path)
        .collect()
}

/// Ada with a phone, an email, a note, a visit and a reminder; two incidents of hers (one
/// with a step note naming her email), one of Bob's naming her; Bob's notes naming her and
/// not; the index built by a report.
fn book_with_ada() -> (TestBook, Vec<String>) {
    let book = TestBook::new();
    book.ok(&["customer", "add", NAME, "--phone", PHONE, "--email", EMAIL, "--value", "900"]);
    book.add("Bob Byron");
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish"]);
    book.ok(&["visit", "ada", "--spend", "80"]);
    book.ok(&["remind", "ada", "--birthday", "12-10", "Birthday: call her"]);
    book.ok(&["note", "bob", "Came with Ada Lovelace; her number is 555-0100"]);
    book.ok(&["note", "bob", "Likes the window table"]);
    let mut ids = Vec::new();
    for (who, what, product) in [
        ("ada", "Ada Lovelace's soup was cold", "soup"),
        ("ada", "Wrong wine", "wine"),
        ("bob", "Bob waited while we served ada lovelace first", "soup"),
    ] {
        let id = book.ok(&[
            "recover",
            "open",
            who,
            "--what",
            what,
            "--product",
            product,
            "--staff",
            "billy",
            "--at",
            "19:00",
        ]);
        ids.push(id.trim().to_string());
    }
    book.ok(&["recover", "apologize", &ids[0], &format!("Wrote to {EMAIL} at once"), "--at", "19:30"]);
    (book, ids)
}

fn trends(book: &TestBook) -> Vec<String> {
    ["product", "staff", "weekday"].iter().map(|by| book.ok(&["trends", "--by", by, "--format", "csv"])).collect()
}

#[test]
fn after_forget_no_file_holds_the_person_and_trends_count_the_same() {
    let (book, ids) = book_with_ada();
    book.write(".care/hooks/customer-forgotten", "#!/bin/sh\ncat > \"$PWD/.care/forgotten.json\"\n");
    {
        use std::os::unix::fs::PermissionsExt;
        let hook = book.path(".care/hooks/customer-forgotten");
        std::fs::set_permissions(hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let before = trends(&book);
    assert!(book.path(".care/cache/book.sqlite").exists(), "the index was built");
    assert!(!traces(book.root()).is_empty(), "the book names her before");

    let out = book.care(&["forget", NAME, "--reason", "asked in person"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stderr.to_lowercase().contains("ada lovelace"), "{}", out.stderr);
    let hook = book.read(".care/forgotten.json");
    assert_eq!(traces(book.root()), Vec::<String>::new(), "hook: {hook}");

    assert!(!book.path("customers/ada-lovelace.yaml").exists());
    let tombstone = book.read("forgotten.yaml");
    // Words no hex digest can hold (a digest may well contain "ada" or "555").
    for personal in ["Ada", "lovelace", "555 0100", "+1", "example", "@"] {
        assert!(!tombstone.contains(personal), "{personal} in {tombstone}");
    }
    let pseudonym = book.yaml("forgotten.yaml")["forgotten"][0]["pseudonym"].as_str().expect("pseudonym").to_string();
    assert!(pseudonym.starts_with("forgotten-"), "{pseudonym}");
    let incident = |id: &str| {
        let path = format!("incidents/{}/{}/{id}.yaml", &id[0..4], &id[4..6]);
        book.yaml(&path)
    };
    assert_eq!(incident(&ids[0])["customer"].as_str(), Some(pseudonym.as_str()));
    assert_eq!(incident(&ids[0])["summary"].as_str(), Some("[forgotten]'s soup was cold"));
    assert_eq!(incident(&ids[0])["staff"].as_str(), Some("billy"), "the facts stay");
    assert_eq!(incident(&ids[0])["recovery"]["apologized"]["note"].as_str(), Some("Wrote to [forgotten] at once"));
    assert_eq!(incident(&ids[2])["customer"].as_str(), Some("bob-byron"));
    assert_eq!(incident(&ids[2])["summary"].as_str(), Some("Bob waited while we served [forgotten] first"));
    let bob = book.yaml("customers/bob-byron.yaml");
    assert_eq!(bob["notes"][0]["text"].as_str(), Some("Came with [forgotten]; her number is [forgotten]"));
    assert_eq!(bob["notes"][1]["text"].as_str(), Some("Likes the window table"), "other notes kept");

    assert_eq!(trends(&book), before, "trends count the failures under the pseudonym");
    let by_customer = book.ok(&["trends", "--by", "customer", "--format", "csv"]);
    assert!(by_customer.contains(&format!("{pseudonym},2,")), "{by_customer}");
    book.ok(&["check"]);

    let event: serde_json::Value = serde_json::from_str(&hook).expect("json");
    assert_eq!(event["event"], "customer-forgotten");
    assert_eq!(event["customer"], serde_json::Value::Null);
    assert_eq!(event["forgotten"]["pseudonym"], pseudonym.as_str());
    assert_eq!(event["forgotten"]["reason"], "asked in person");
    assert_eq!(event["forgotten"]["on"], "2026-11-22");
}

#[test]
fn dry_run_names_every_file_and_field_and_changes_nothing() {
    let (book, ids) = book_with_ada();
    let before = files(book.root());
    let out = book.ok(&["forget", "ada-lovelace", "--reason", "asked", "--dry-run"]);
    assert_eq!(files(book.root()), before, "nothing changed");
    assert!(out.contains("customers/ada-lovelace.yaml: removed"), "{out}");
    assert!(out.contains("customers/bob-byron.yaml: notes[0].text, missteps[0].text, flags[0].text\n"), "{out}");
    assert!(out.contains(&format!("{id}.yaml: customer, summary, recovery.apologized.note", id = ids[0])), "{out}");
    assert!(out.contains(&format!("{id}.yaml: customer\n", id = ids[1])), "{out}");
    assert!(out.contains(&format!("{id}.yaml: summary\n", id = ids[2])), "{out}");
    assert!(out.contains("forgotten.yaml: add a new forgotten-… pseudonym"), "{out}");
    // Once the book has its salt, a dry run shows the very pseudonym the run then gives.
    book.ok(&["forget", "ada-lovelace", "--reason", "asked"]);
    let dry = book.ok(&["forget", "bob-byron", "--reason", "asked", "--dry-run"]);
    book.ok(&["forget", "bob-byron", "--reason", "asked"]);
    let made = book.yaml("forgotten.yaml")["forgotten"][1]["pseudonym"].as_str().expect("pseudonym").to_string();
    assert!(dry.contains(&format!("forgotten.yaml: add {made} (")), "{made}: {dry}");
}

#[test]
fn a_damaged_file_anywhere_stops_forget_before_any_change() {
    let (book, _) = book_with_ada();
    book.write("customers/zed.yaml", "id: zed\nname: [unclosed\n");
    let before = files(book.root());
    let out = book.fails(&["forget", "ada", "--reason", "asked"], 1);
    assert!(out.stderr.contains("customers/zed.yaml:2:"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    assert_eq!(files(book.root()), before);
}

#[test]
fn a_reason_that_names_the_person_is_refused_and_a_second_forget_says_when() {
    let (book, _) = book_with_ada();
    let out = book.fails(&["forget", "ada", "--reason", "Ada Lovelace asked"], 2);
    assert!(out.stderr.contains("--reason names the person"), "{}", out.stderr);
    assert!(!book.path("forgotten.yaml").exists());
    book.ok(&["forget", "ada-lovelace", "--reason", "asked"]);
    let out = book.fails(&["forget", "ada-lovelace", "--reason", "asked"], 1);
    assert!(out.stderr.contains("this person was forgotten on 2026-11-22 (asked)"), "{}", out.stderr);
}

#[test]
fn with_git_commit_the_forget_is_one_commit_that_names_no_one() {
    let (book, _) = book_with_ada();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(book.root())
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", book.root())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.org")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.org")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "start"]);
    book.write("care.yaml", &(book.read("care.yaml").replace("commit: false", "commit: true")));
    git(&["commit", "-qam", "commit on"]);
    let out = book.care(&["forget", "ada", "--reason", "asked"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(git(&["log", "-1", "--format=%s"]).trim(), "forget: a customer (asked)");
    assert_eq!(git(&["status", "--porcelain", "--untracked-files=no"]), "", "everything committed");
}

#[test]
fn a_forgotten_person_is_refused_by_add_import_and_merge_and_reported_by_check() {
    let (book, _) = book_with_ada();
    book.ok(&["forget", "ada", "--reason", "asked"]);
    let said = "this person was forgotten on 2026-11-22 (asked)";
    let refused = |args: &[&str]| {
        let out = book.fails(args, 1);
        assert!(out.stderr.contains(said), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("Lovelace") && !out.stderr.contains("0100"), "{}", out.stderr);
    };
    refused(&["customer", "add", NAME]);
    refused(&["customer", "add", "A. L.", "--email", " ADA@example.com"]);
    refused(&["customer", "add", "Someone", "--phone", "(1) 555-0100"]);
    assert!(!book.path("customers/ada-lovelace.yaml").exists());
    book.write("guests.csv", "name,email,phone\nCarla Diaz,carla@example.org,\nAda L,,+15550100\n");
    let out = book.fails(&["import", "customers", "guests.csv"], 1);
    assert!(out.stderr.contains(&format!("guests.csv:3: {said}")), "{}", out.stderr);
    assert!(!book.path("customers/carla-diaz.yaml").exists(), "nothing imported");
    book.ok(&["customer", "add", "Carla Diaz"]);

    // Brought back by hand (or by a pull): check reports it, and merge will not join it.
    book.write("customers/ada-l.yaml", "id: ada-l\nname: A L\ncontact: {email: ada@example.com}\n");
    let out = book.fails(&["check", "--format", "csv"], 1);
    assert!(out.stdout.contains("customers/ada-l.yaml,1,1,forgotten-back,"), "{}", out.stdout);
    assert!(out.stdout.contains(said), "{}", out.stdout);
    assert!(!out.stdout.contains("unknown-customer"), "a pseudonym is a known customer: {}", out.stdout);
    refused(&["customer", "merge", "carla-diaz", "ada-l"]);
    assert!(book.path("customers/ada-l.yaml").exists());

    book.write("forgotten.yaml", "salt: xyz\nforgotten: [{id: 1, pseudonym: p, on: 2026-01-01, reason: r}]\n");
    let out = book.fails(&["check", "--format", "csv"], 1);
    assert!(out.stdout.contains("forgotten.yaml,1,1,bad-tombstone,"), "{}", out.stdout);
    let out = book.fails(&["customer", "add", "Dora"], 1);
    assert!(out.stderr.contains("forgotten.yaml"), "{}", out.stderr);
}

#[test]
fn retention_lists_and_forgets_the_inactive_but_keeps_open_incidents_and_pending_reminders() {
    let book = TestBook::bare();
    let demo = book.root().join("demo");
    let out = book.cmd().args(["demo", "demo", "--customers", "20", "--incidents", "40", "--visits", "30"]).output();
    assert!(out.expect("runs").status.success());
    let run = |now: &str, args: &[&str]| {
        let out = book.cmd().current_dir(&demo).env("CARE_NOW", now).args(args).output().expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = run("2040-01-01T12:00:00Z", &["forget", "--due"]);
    assert_eq!(code, Some(2), "no retention set: {err}");
    assert!(err.contains("retention: {inactive: 3y}"), "{err}");
    let config = std::fs::read_to_string(demo.join("care.yaml")).expect("config");
    std::fs::write(demo.join("care.yaml"), config + "retention: {inactive: 3y}\n").expect("write");
    assert_eq!(run("2027-01-01T12:00:00Z", &["forget", "--due"]), (Some(0), String::new(), String::new()), "silent");

    let customers = |dir: &Path| common::yaml_files(&dir.join("customers")).len();
    let all = customers(&demo);
    let ids: Vec<String> = common::yaml_files(&demo.join("customers"))
        .iter()
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    let (open_one, reminded) = (&ids[0], &ids[1]);
    let (code, _, err) =
        run("2027-02-01T12:00:00Z", &["recover", "open", open_one, "--what", "Cold soup", "--at", "2027-01-05"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) =
        run("2027-02-01T12:00:00Z", &["remind", reminded, "--due", "2041-01-01", "Call about the event"]);
    assert_eq!(code, Some(0), "{err}");

    let (code, listed, err) = run("2040-01-01T12:00:00Z", &["forget", "--due", "--format", "csv"]);
    assert_eq!(code, Some(0), "{err}");
    let rows = common::csv_rows(&listed);
    assert_eq!(rows[0], ["id", "last_activity"]);
    assert_eq!(rows.len() - 1, all - 2, "every customer but the two kept: {listed}");
    assert!(!listed.contains(open_one.as_str()) && !listed.contains(reminded.as_str()), "{listed}");
    assert!(rows[1..].iter().all(|r| r[1].as_str() < "2037-01-01"), "{listed}");

    let before = run("2040-01-01T12:00:00Z", &["trends", "--by", "product", "--format", "csv"]).1;
    let (code, applied, err) = run("2040-01-01T12:00:00Z", &["forget", "--due", "--apply"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(applied.lines().count(), all - 1, "{applied}");
    assert_eq!(customers(&demo), 2);
    let tombstone = std::fs::read_to_string(demo.join("forgotten.yaml")).expect("tombstone");
    assert_eq!(tombstone.matches("reason: retention").count(), all - 2);
    assert_eq!(run("2040-01-01T12:00:00Z", &["trends", "--by", "product", "--format", "csv"]).1, before);
    assert_eq!(run("2040-01-01T12:00:00Z", &["forget", "--due"]), (Some(0), String::new(), String::new()));
    let (code, found, _) = run("2040-01-01T12:00:00Z", &["check", "--format", "csv"]);
    assert!(!found.contains("unknown-customer") && !found.contains(",error,"), "{code:?} {found}");
}

/// git filter-repo, or None when the history test should skip (a failure when
/// CARE_REQUIRE_FILTER_REPO=1, set by .ci/run once it has installed it).
fn filter_repo_or_skip() -> Option<()> {
    let runs =
        std::process::Command::new("git").args(["filter-repo", "--version"]).output().is_ok_and(|o| o.status.success());
    if !runs {
        if std::env::var("CARE_REQUIRE_FILTER_REPO").as_deref() == Ok("1") {
            panic!("git filter-repo does not run, and CARE_REQUIRE_FILTER_REPO=1 requires it");
        }
        eprintln!("skipping the history test: no git filter-repo (pip install git-filter-repo)");
    }
    runs.then_some(())
}

fn git(book: &TestBook, args: &[&str]) -> String {
    let out = std::process::Command::new("git").arg("-C").arg(book.root()).args(args).output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A book in git whose history names Ada in files, paths and commit messages.
fn book_in_git() -> TestBook {
    let (book, _) = book_with_ada();
    // As `care init` writes it: lock and temporary files are never committed.
    book.write(".gitignore", ".*.lock\n.*.tmp\n.*.tmp-*\n.*.edit-*\n.care/\n");
    git(&book, &["init", "-q", "-b", "main"]);
    git(&book, &["config", "user.email", "test@example.com"]);
    git(&book, &["config", "user.name", "Test"]);
    git(&book, &["add", "-A"]);
    git(&book, &["commit", "-q", "-m", "the book, with Ada Lovelace"]);
    book.ok(&["note", "ada", "Prefers a call on 555-0100 to an email"]);
    git(&book, &["add", "-A"]);
    git(&book, &["commit", "-q", "-m", "note ada-lovelace: a note"]);
    book
}

#[test]
fn purge_history_leaves_no_object_in_the_clone_that_holds_the_person() {
    let Some(()) = filter_repo_or_skip() else { return };
    let book = book_in_git();
    let out = book.care(&["forget", "ada-lovelace", "--reason", "asked in writing", "--purge-history"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("Rewrote this clone's history"), "{}", out.stderr);
    assert!(!out.stderr.to_lowercase().contains("ada lovelace"), "{}", out.stderr);
    assert_eq!(traces(book.root()), Vec::<String>::new(), "the work tree");
    assert_eq!(git(&book, &["status", "--porcelain"]), "", "the forget is committed");
    // Every object the repository holds, reachable or not: blobs, trees (paths), commits.
    let objects = std::process::Command::new("git")
        .arg("-C")
        .arg(book.root())
        .args(["cat-file", "--batch-all-objects", "--batch"])
        .output()
        .expect("git runs");
    let all = String::from_utf8_lossy(&objects.stdout).to_lowercase();
    assert!(all.len() > 1000, "the history is still there: {} bytes", all.len());
    for needle in ["ada lovelace", "lovelace", "555-0100", "555 0100", "ada@example.com", "ada-lovelace"] {
        let at = all.find(needle).map(|i| &all[i.saturating_sub(300)..(i + 100).min(all.len())]);
        assert!(at.is_none(), "{needle} is still in the repository: {at:?}");
    }
    let log = git(&book, &["log", "--format=%s"]);
    assert!(log.contains("forget: a customer (asked in writing)") && log.contains("[forgotten]"), "{log}");
    // The commit that changed only her file is left empty by the rewrite, and dropped.
    assert_eq!(log.lines().count(), 2, "every other commit kept, rewritten: {log}");
    // Bob's notes and the incidents' facts are still in the history.
    assert!(all.contains("likes the window table") && all.contains("billy"));
}

#[test]
fn purge_history_refuses_before_forgetting_when_it_cannot_finish() {
    let Some(()) = filter_repo_or_skip() else { return };
    let book = book_in_git();
    book.write("customers/bob-byron.yaml", &book.read("customers/bob-byron.yaml").replace("Bob Byron", "Bob B."));
    let records = |book: &TestBook| {
        let mut all = files(book.root());
        all.retain(|path, _| !path.starts_with(".care"));
        all
    };
    let before = records(&book);
    let out = book.care(&["forget", "ada-lovelace", "--reason", "asked", "--purge-history"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("uncommitted changes") && out.stderr.contains("nothing was changed"), "{}", out.stderr);
    assert_eq!(records(&book), before, "nothing forgotten, nothing rewritten");
    let out = book.care(&["forget", "ada-lovelace", "--reason", "asked", "--purge-history", "--dry-run"]);
    assert_eq!(out.code, 2, "a dry run rewrites nothing: {out:?}");
}
