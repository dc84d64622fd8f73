//! `care customer merge KEEP DROP`: two records of the same person become one, through the
//! real binary. What is checked is the promise of the command: every entry, visit, reminder
//! and unknown field of DROP ends up once in KEEP, a conflicting value survives as a note,
//! DROP's incidents follow, DROP's file goes, the book stays clean, and bad input changes
//! nothing.

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
    book.ok(&["customer", "merge", "ada-lovelace", "ada-l"]);
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
    let plan = book.ok(&["customer", "merge", "ada-lovelace", "ada-l", "--dry-run"]);
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
