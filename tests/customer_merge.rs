//! `care customer merge KEEP DROP`: two records of the same person become one, through the
//! real binary. What is checked is the promise of the command: every entry, visit, reminder
//! and unknown field of DROP ends up once in KEEP, a conflicting value survives as a note,
//! DROP's incidents follow, DROP's file goes, the book stays clean, and bad input changes
//! nothing. Two different values of one field are never settled silently: the merge is
//! refused, naming each, until `--prefer` or `--take` says which side to take.

mod common;

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
