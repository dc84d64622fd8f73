//! `care customer merge KEEP DROP`: two records of the same person become one, through the
//! real binary. What is checked is the promise of the command: every entry, visit, reminder
//! and unknown field of DROP ends up once in KEEP, a conflicting value survives as a note,
//! DROP's incidents follow, DROP's file goes, the book stays clean, and bad input changes
//! nothing. Two different values of one field are never settled silently: the merge is
//! refused, naming each, until `--prefer` or `--take` says which side to take.

use crate::common;

use common::TestBook;

/// Ada twice: `ada-lovelace` (the one to keep) and `ada-l` (typed again at another site),
/// sharing one note and differing in email; DROP has an incident, a visit, a reminder and a
/// field the tool does not know.
fn two_adas() -> (TestBook, String) {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--email", "ada@example.com", "--since", "2020-05-01"]);
    book.ok(&[
        "customer",
        "add",
        "A. Lovelace",
        "--id",
        "ada-l",
        "--email",
        "ada@work.example",
        "--phone",
        "+1 555 0100",
        "--since",
        "2019-03-02",
        "--value",
        "900",
    ]);
    let shared = "- {text: Likes the corner table, at: 2026-10-02T19:15:00-04:00, by: joan}\n";
    for id in ["ada-lovelace", "ada-l"] {
        let rel = format!("customers/{id}.yaml");
        let text = book.read(&rel) + "notes:\n" + shared;
        book.write(&rel, &text);
    }
    let rel = "customers/ada-l.yaml";
    book.write(rel, &(book.read(rel) + "allergies: peanuts\n"));
    book.ok(&["note", "ada-l", "--pref", "--critical", "Allergic to shellfish"]);
    book.ok(&["visit", "ada-l", "--at", "2026-11-01 19:00", "--spend", "80"]);
    book.ok(&["remind", "ada-l", "--due", "2026-12-01", "Call about the birthday"]);
    let incident = book.ok(&["recover", "open", "ada-l", "--what", "Entrées mixed up", "--staff", "billy"]);
    (book, incident.trim().to_string())
}

#[test]
fn everything_of_drop_ends_up_once_in_keep_and_drop_is_gone() {
    let (book, incident) = two_adas();
    book.ok(&["customer", "merge", "ada-lovelace", "ada-l", "--prefer", "keep"]);
    assert!(!book.path("customers/ada-l.yaml").exists(), "DROP's file is removed");
    let text = book.read("customers/ada-lovelace.yaml");
    assert_eq!(text.matches("Likes the corner table").count(), 1, "a shared entry is not doubled:\n{text}");
    for kept in [
        "Allergic to shellfish",
        "text: Entrées mixed up\n",
        "Call about the birthday",
        "spend: 80",
        "allergies: peanuts",
    ] {
        assert_eq!(text.matches(kept).count(), 1, "{kept} once:\n{text}");
    }
    let ada = book.yaml("customers/ada-lovelace.yaml");
    assert_eq!(ada["contact"]["email"].as_str(), Some("ada@example.com"), "KEEP's email stays");
    assert_eq!(ada["contact"]["phone"].as_str(), Some("+1 555 0100"), "DROP's phone fills the gap");
    assert_eq!(ada["since"].as_str(), Some("2019-03-02"), "the earlier since");
    assert_eq!(ada["lifetime_value"].as_u64(), Some(900));
    assert!(text.contains("merged from ada-l: email ada@work.example"), "{text}");
    assert!(text.contains("merged from ada-l: name A. Lovelace"), "{text}");
    assert_eq!(ada["flags"].as_sequence().map(Vec::len), Some(1), "{text}");
    assert_eq!(ada["visits"].as_sequence().map(Vec::len), Some(1), "{text}");
    assert_eq!(ada["reminders"].as_sequence().map(Vec::len), Some(1), "{text}");

    let listed = book.ok(&["recover", "list", "--where", "customer=ada-lovelace", "--format", "csv"]);
    assert!(listed.contains(&incident), "{listed}");
    assert!(book.ok(&["recover", "list", "--where", "customer=ada-l", "--format", "csv"]).lines().count() <= 1);
    book.ok(&["check"]);
}

#[test]
fn a_dry_run_tells_what_would_change_and_changes_nothing() {
    let (book, incident) = two_adas();
    let before = (book.read("customers/ada-lovelace.yaml"), book.read("customers/ada-l.yaml"));
    let plan = book.ok(&["customer", "merge", "ada-lovelace", "ada-l", "--dry-run", "--prefer", "keep"]);
    assert!(plan.contains("ada-lovelace: add to notes: merged from ada-l: email ada@work.example"), "{plan}");
    assert!(plan.contains("ada-lovelace: add to visits:"), "{plan}");
    assert!(plan.contains(&format!("{incident}: customer ada-l -> ada-lovelace")), "{plan}");
    assert!(!plan.contains("Likes the corner table"), "a shared entry is not added again:\n{plan}");
    assert_eq!(before, (book.read("customers/ada-lovelace.yaml"), book.read("customers/ada-l.yaml")));
}

#[test]
fn bad_input_is_refused_with_a_clear_message_and_changes_nothing() {
    let (book, _) = two_adas();
    let before = (book.read("customers/ada-lovelace.yaml"), book.read("customers/ada-l.yaml"));
    let same = book.fails(&["customer", "merge", "ada-l", "ada-l"], 2);
    assert!(same.stderr.contains("name two different customers"), "{}", same.stderr);
    let unknown = book.fails(&["customer", "merge", "ada-lovelace", "zed"], 1);
    assert!(unknown.stderr.contains("no customer matches \"zed\""), "{}", unknown.stderr);
    assert_eq!(before, (book.read("customers/ada-lovelace.yaml"), book.read("customers/ada-l.yaml")));
}

#[test]
fn conflicting_values_are_refused_by_name_with_both_values_and_nothing_is_written() {
    let (book, _) = two_adas();
    let rel = "customers/ada-lovelace.yaml";
    book.write(rel, &(book.read(rel) + "lifetime_value: 12000\nallergies: shellfish\n"));
    let before = (book.read(rel), book.read("customers/ada-l.yaml"));
    let refused = book.fails(&["customer", "merge", "ada-lovelace", "ada-l"], 1);
    for line in [
        "ada-lovelace and ada-l disagree on 4 field(s); nothing was changed",
        "name: \"Ada Lovelace\" (ada-lovelace) vs \"A. Lovelace\" (ada-l)",
        "lifetime_value: 12000 (ada-lovelace) vs 900 (ada-l)",
        "email: \"ada@example.com\" (ada-lovelace) vs \"ada@work.example\" (ada-l)",
        "allergies: \"shellfish\" (ada-lovelace) vs \"peanuts\" (ada-l)",
        "--prefer keep|drop",
        "--take FIELD=keep|drop",
    ] {
        assert!(refused.stderr.contains(line), "{line:?} in:\n{}", refused.stderr);
    }
    assert!(!refused.stderr.contains("phone"), "a value on one side only is no conflict: {}", refused.stderr);
    assert_eq!(before, (book.read(rel), book.read("customers/ada-l.yaml")), "nothing written");

    // Settling some but not all still refuses, naming only what is left.
    let partly =
        book.fails(&["customer", "merge", "ada-lovelace", "ada-l", "--take", "name=keep", "--take", "email=drop"], 1);
    assert!(partly.stderr.contains("disagree on 2 field(s)"), "{}", partly.stderr);
    assert!(!partly.stderr.contains("A. Lovelace"), "{}", partly.stderr);
    assert_eq!(before, (book.read(rel), book.read("customers/ada-l.yaml")), "nothing written");

    // A dry run shows the conflicts and fails as the real run would.
    let dry = book.fails(&["customer", "merge", "ada-lovelace", "ada-l", "--dry-run"], 1);
    assert!(dry.stdout.contains("conflict email:") && dry.stdout.contains("unsettled"), "{}", dry.stdout);
    assert_eq!(before, (book.read(rel), book.read("customers/ada-l.yaml")), "nothing written");
}

#[test]
fn take_and_prefer_settle_each_field_and_the_value_not_taken_is_a_note() {
    let (book, _) = two_adas();
    let rel = "customers/ada-lovelace.yaml";
    book.write(rel, &(book.read(rel) + "lifetime_value: 12000\nallergies: shellfish\n"));
    let plan = book.ok(&[
        "customer",
        "merge",
        "ada-lovelace",
        "ada-l",
        "--dry-run",
        "--prefer",
        "drop",
        "--take",
        "name=keep",
    ]);
    assert!(
        plan.contains(
            "conflict name: \"Ada Lovelace\" (ada-lovelace) vs \"A. Lovelace\" (ada-l) — ada-lovelace's kept"
        ),
        "{plan}"
    );
    assert!(plan.contains("ada-lovelace: set contact.email: ada@work.example"), "{plan}");
    book.ok(&["customer", "merge", "ada-lovelace", "ada-l", "--prefer", "drop", "--take", "name=keep"]);
    let ada = book.yaml(rel);
    assert_eq!(ada["name"].as_str(), Some("Ada Lovelace"), "--take name=keep");
    assert_eq!(ada["contact"]["email"].as_str(), Some("ada@work.example"), "--prefer drop");
    assert_eq!(ada["lifetime_value"].as_u64(), Some(900));
    assert_eq!(ada["allergies"].as_str(), Some("peanuts"));
    let text = book.read(rel);
    for note in [
        "merged from ada-l: name A. Lovelace",
        "merged from ada-l: email ada@work.example (was ada@example.com)",
        "merged from ada-l: lifetime_value 900 (was 12000)",
        "merged from ada-l: allergies peanuts (was shellfish)",
    ] {
        assert_eq!(text.matches(note).count(), 1, "{note:?} once:\n{text}");
    }
    book.ok(&["check"]);
}

#[test]
fn equal_values_and_values_on_one_side_only_merge_without_being_asked() {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Grace Hopper", "--email", "grace@navy.example", "--value", "500"]);
    book.ok(&[
        "customer",
        "add",
        "Grace Hopper ",
        "--id",
        "grace-2",
        "--email",
        "GRACE@navy.example",
        "--phone",
        "+1 555 0199",
    ]);
    let rel = "customers/grace-2.yaml";
    book.write(rel, &(book.read(rel) + "lifetime_value: 500.0\ntier: gold\n"));
    let out = book.care(&["customer", "merge", "grace-hopper", "grace-2", "--take", "tier=drop"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("--take tier: grace-hopper and grace-2 do not disagree on tier"), "{}", out.stderr);
    let grace = book.yaml("customers/grace-hopper.yaml");
    assert_eq!(grace["contact"]["phone"].as_str(), Some("+1 555 0199"));
    assert_eq!(grace["tier"].as_str(), Some("gold"));
    assert!(!book.read("customers/grace-hopper.yaml").contains("merged from"), "no conflict, no note");
}

#[test]
fn a_badly_written_choice_is_a_usage_error() {
    let (book, _) = two_adas();
    for bad in [&["--take", "email"][..], &["--take", "email=mine"], &["--take", "=keep"], &["--prefer", "both"]] {
        let mut args = vec!["customer", "merge", "ada-lovelace", "ada-l"];
        args.extend_from_slice(bad);
        let out = book.fails(&args, 2);
        assert!(out.stderr.contains("keep") || out.stderr.contains("field"), "{bad:?}: {}", out.stderr);
    }
    assert!(book.path("customers/ada-l.yaml").exists());
}

/// The codes `care check` reports, with their messages.
fn findings(book: &TestBook) -> Vec<(String, String)> {
    let out = book.care(&["check", "--format", "csv"]);
    common::csv_rows(&out.stdout).into_iter().skip(1).map(|r| (r[4].clone(), r[5].clone())).collect()
}

/// How many of each kind of entry a customer's file holds, and its every entry's text once
/// (duplicates show as a count above one).
fn entries(book: &TestBook, rel: &str) -> std::collections::BTreeMap<String, usize> {
    let v = book.yaml(rel);
    let mut counts = std::collections::BTreeMap::new();
    for list in ["notes", "flags", "missteps", "reminders", "visits"] {
        for e in v[list].as_sequence().into_iter().flatten() {
            let said = e["text"].as_str().map_or_else(|| format!("{:?}", e["at"]), str::to_string);
            *counts.entry(format!("{list}: {said}")).or_insert(0) += 1;
        }
    }
    counts
}

#[test]
fn a_merge_stopped_after_keep_was_written_is_reported_naming_both_and_completed_by_running_it_again() {
    let (book, incident) = two_adas();
    let keep_before = entries(&book, "customers/ada-lovelace.yaml");
    let drop_before = entries(&book, "customers/ada-l.yaml");
    // Another process holds the incident's lock: the merge writes KEEP, then cannot move the
    // incident and stops, as a kill there would leave it.
    let path = book.path(&format!("incidents/2026/11/{incident}.yaml"));
    assert!(path.exists(), "{path:?}");
    let lock = path.with_file_name(format!(".{incident}.yaml.lock"));
    let held = std::fs::File::create(&lock).expect("lock file");
    held.lock().expect("lock");
    let out = book
        .cmd()
        .env("CARE_LOCK_TIMEOUT", "1s")
        .args(["customer", "merge", "ada-lovelace", "ada-l", "--prefer", "keep"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    drop(held);
    assert!(book.path("customers/ada-l.yaml").exists());
    assert!(book.read("customers/ada-lovelace.yaml").contains("Call about the birthday"), "KEEP was written");

    let found = findings(&book);
    let stopped: Vec<&(String, String)> = found.iter().filter(|(code, _)| code == "merge-stopped").collect();
    assert_eq!(stopped.len(), 1, "{found:?}");
    assert!(stopped[0].1.contains("care customer merge ada-lovelace ada-l"), "{}", stopped[0].1);
    assert_eq!(book.care(&["check"]).code, 1, "an error, not silence");

    // DROP cannot be merged into a third customer meanwhile: its entries would be in both.
    book.ok(&["customer", "add", "Ada Byron"]);
    let elsewhere = book.fails(&["customer", "merge", "ada-byron", "ada-l", "--prefer", "keep"], 1);
    assert!(elsewhere.stderr.contains("a merge of ada-l into ada-lovelace was stopped"), "{}", elsewhere.stderr);

    // The same merge again (its choices remembered) completes it, adding nothing twice.
    book.ok(&["customer", "merge", "ada-lovelace", "ada-l"]);
    assert!(!book.path("customers/ada-l.yaml").exists());
    let after = entries(&book, "customers/ada-lovelace.yaml");
    assert!(after.values().all(|&n| n == 1), "nothing doubled: {after:?}");
    for entry in keep_before.keys().chain(drop_before.keys()) {
        assert!(after.contains_key(entry), "{entry} kept: {after:?}");
    }
    let listed = book.ok(&["recover", "list", "--where", "customer=ada-lovelace", "--format", "csv"]);
    assert!(listed.contains(&incident), "{listed}");
    assert!(findings(&book).iter().all(|(code, _)| code != "merge-stopped"));
    assert!(!book.path(".care/pending/merges/ada-l").exists(), "the journal entry is gone");
}

#[test]
fn check_fix_completes_a_stopped_merge_with_the_choices_it_was_begun_with() {
    let (book, incident) = two_adas();
    let path = book.path(&format!("incidents/2026/11/{incident}.yaml"));
    assert!(path.exists(), "{path:?}");
    let lock = path.with_file_name(format!(".{incident}.yaml.lock"));
    let held = std::fs::File::create(&lock).expect("lock file");
    held.lock().expect("lock");
    let stopped = book
        .cmd()
        .env("CARE_LOCK_TIMEOUT", "1s")
        .args(["customer", "merge", "ada-lovelace", "ada-l", "--prefer", "drop", "--take", "name=keep"])
        .output()
        .expect("runs");
    assert_eq!(stopped.status.code(), Some(1));
    drop(held);
    let fixed = book.care(&["check", "--fix"]);
    assert_eq!(fixed.code, 0, "{fixed:?}");
    assert!(fixed.stderr.contains("fixed: completed the merge of ada-l into ada-lovelace"), "{}", fixed.stderr);
    let ada = book.yaml("customers/ada-lovelace.yaml");
    assert_eq!(ada["name"].as_str(), Some("Ada Lovelace"), "--take name=keep, remembered");
    assert_eq!(ada["contact"]["email"].as_str(), Some("ada@work.example"), "--prefer drop, remembered");
    let text = book.read("customers/ada-lovelace.yaml");
    assert_eq!(text.matches("merged from ada-l: name A. Lovelace").count(), 1, "{text}");
    assert!(!book.path("customers/ada-l.yaml").exists());
    assert!(entries(&book, "customers/ada-lovelace.yaml").values().all(|&n| n == 1));
}

/// A KEEP and a DROP whose merge takes a while: DROP has `n` incidents (each linked by a
/// misstep and a flag, as `recover open` writes them), notes and reminders; the two
/// disagree on the name (settled by `--prefer keep`). Written as files, from one made by
/// `recover open`, to be quick.
fn a_long_merge(n: usize) -> TestBook {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Grace Hopper", "--id", "grace"]);
    book.ok(&["customer", "add", "G. Hopper", "--id", "grace-2"]);
    let first = book.ok(&["recover", "open", "grace-2", "--what", "Cold soup"]).trim().to_string();
    let (day, random) = first.split_once('-').expect("an incident id");
    let template = book.read(&format!("incidents/2026/11/{first}.yaml"));
    let drop = book.read("customers/grace-2.yaml");
    let (head, links) = drop.split_once("missteps:\n").expect("missteps");
    let (misstep, flag) = links.split_once("flags:\n").expect("flags");
    let (mut missteps, mut flags) = (misstep.to_string(), flag.to_string());
    for k in 1..n {
        let id = format!("{day}-{:0>6}", format!("m{k}"));
        book.write(&format!("incidents/2026/11/{id}.yaml"), &template.replace(random, &id[9..]));
        missteps += &misstep.replace(random, &id[9..]).replace("Cold soup", &format!("Cold soup {k}"));
        flags += &flag.replace(random, &id[9..]).replace("Cold soup", &format!("Cold soup {k}"));
    }
    let mut notes = String::from("notes:\n");
    let mut reminders = String::from("reminders:\n");
    for k in 0..40 {
        notes += &format!("- text: Note {k}\n  at: 2026-11-0{}T12:00:00-05:00\n  by: joan\n", 1 + k % 9);
        reminders += &format!("- text: Call {k}\n  due: 2026-12-{:02}T09:00:00-05:00\n  by: joan\n", 1 + k % 28);
    }
    book.write("customers/grace-2.yaml", &format!("{head}missteps:\n{missteps}flags:\n{flags}{notes}{reminders}"));
    let keep = book.read("customers/grace.yaml");
    book.write(
        "customers/grace.yaml",
        &format!("{keep}notes:\n- text: Keep's own\n  at: 2026-10-01T12:00:00-04:00\n  by: joan\n"),
    );
    let found = findings(&book);
    assert!(found.iter().all(|(code, _)| code == "missing-deposition"), "a clean book to start: {found:?}");
    book
}

#[test]
fn merges_killed_at_random_moments_are_reported_and_completed_without_losing_or_doubling_anything() {
    use std::time::{Duration, Instant};
    const INCIDENTS: usize = 150;
    let template = a_long_merge(INCIDENTS);
    let expected = {
        let mut all = entries(&template, "customers/grace.yaml");
        all.extend(entries(&template, "customers/grace-2.yaml"));
        all.insert("notes: merged from grace-2: name G. Hopper".into(), 1);
        all
    };
    assert!(expected.values().all(|&n| n == 1));
    let merge = ["customer", "merge", "grace", "grace-2", "--prefer", "keep"];

    // How long a whole merge takes here, so that kills land all through it.
    let timed = TestBook::bare();
    common::copy_dir(template.root(), timed.root());
    let start = Instant::now();
    timed.ok(&merge);
    let whole = start.elapsed();
    assert_eq!(entries(&timed, "customers/grace.yaml"), expected);

    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let (mut reported, mut rounds) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(90);
    while rounds < 12 && Instant::now() < deadline {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let book = TestBook::bare();
        common::copy_dir(template.root(), book.root());
        let mut child = book
            .process()
            .args(merge)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        // Kill timing only (a real SIGKILL, anywhere from the start to just past the end).
        std::thread::sleep(whole.mul_f64((seed % 1000) as f64 / 900.0));
        let _ = child.kill();
        let _ = child.wait();

        let drop_left = book.path("customers/grace-2.yaml").exists();
        let touched = drop_left && entries(&book, "customers/grace.yaml").len() > 1
            || book.ok(&["recover", "list", "--where", "customer=grace", "--format", "csv"]).lines().count() > 1;
        let found = findings(&book);
        let stopped = found.iter().filter(|(code, _)| code == "merge-stopped").count();
        if drop_left && touched {
            assert_eq!(stopped, 1, "round {rounds}: a half-done merge must be reported: {found:?}");
            reported += 1;
        }
        assert!(
            found.iter().all(|(code, _)| code == "missing-deposition" || code == "merge-stopped"),
            "round {rounds}: {found:?}"
        );
        // Then it is completed: by the same merge, or by `check --fix`.
        if drop_left {
            if rounds % 2 == 0 || stopped == 0 {
                book.ok(&merge);
            } else {
                book.ok(&["check", "--fix"]);
            }
        }
        assert!(!book.path("customers/grace-2.yaml").exists(), "round {rounds}");
        assert_eq!(entries(&book, "customers/grace.yaml"), expected, "round {rounds}: every entry once");
        let moved = book.ok(&["recover", "list", "--where", "customer=grace", "--format", "csv"]).lines().count() - 1;
        assert_eq!(moved, INCIDENTS, "round {rounds}: every incident moved");
        assert!(findings(&book).iter().all(|(code, _)| code == "missing-deposition"), "round {rounds}");
        rounds += 1;
    }
    assert!(rounds >= 4, "only {rounds} rounds in the time allowed");
    eprintln!("{rounds} merges killed at random ({whole:?} each, {INCIDENTS} incidents): {reported} left half done");
}
