//! The customer's permanent record: add, list, show, note, flag, flags.

use crate::common;

use common::{TestBook, csv_rows};

fn ada(book: &TestBook) -> String {
    book.ok(&[
        "customer",
        "add",
        "Ada Lovelace",
        "--email",
        "ada@example.com",
        "--phone",
        "+1 555 0100",
        "--since",
        "2019-03-02",
        "--value",
        "12000",
    ])
}

#[test]
fn customer_add_prints_the_id_and_writes_the_record() {
    let book = TestBook::new();
    assert_eq!(ada(&book), "ada-lovelace\n");
    let text = book.read("customers/ada-lovelace.yaml");
    assert_eq!(
        text,
        "id: ada-lovelace\nname: Ada Lovelace\nsince: 2019-03-02\ncontact:\n  email: ada@example.com\n  phone: +1 555 0100\nlifetime_value: 12000\n"
    );
    // Same name again: a numbered id, never an overwrite.
    assert_eq!(book.add("Ada Lovelace"), "ada-lovelace-2");
    assert!(book.read("customers/ada-lovelace-2.yaml").contains("since: 2026-11-22"));
    // An explicit id that is taken is refused.
    let out = book.fails(&["customer", "add", "Someone", "--id", "ada-lovelace"], 1);
    assert!(out.stderr.contains("taken"), "{}", out.stderr);
}

#[test]
fn ids_that_could_leave_the_book_are_refused() {
    let book = TestBook::new();
    for bad in ["../x", "/etc/passwd", "A B", "Ada", "a/b", ".hidden"] {
        let out = book.fails(&["customer", "add", "X", "--id", bad], 2);
        assert!(out.stderr.contains("not a valid customer id"), "{bad}: {}", out.stderr);
    }
    assert_eq!(std::fs::read_dir(book.path("customers")).expect("dir").count(), 0);
    assert!(!book.root().parent().expect("parent").join("x.yaml").exists());
    // Looking one up by such a name finds nothing and touches nothing.
    book.fails(&["note", "../x", "hello"], 1);
}

#[test]
fn notes_of_every_kind_land_in_their_list() {
    let book = TestBook::new();
    ada(&book);
    book.ok(&["note", "ada", "Wife is ill; be gentle with scheduling"]);
    book.ok(&["note", "ada", "--role", "Drummer in The Analytical Engines"]);
    book.ok(&["note", "ada", "--goal", "Releasing the band's first album in spring"]);
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish", "--at", "15:40"]);
    book.ok(&["note", "lovelace", "--preference", "Likes the corner table", "--as", "dale"]);
    book.ok(&["note", "ada", "--misstep", "Entrées mixed up"]);
    let v = book.yaml("customers/ada-lovelace.yaml");
    assert_eq!(v["notes"][0]["text"], "Wife is ill; be gentle with scheduling");
    assert_eq!(v["notes"][0]["by"], "joan");
    assert_eq!(v["notes"][0]["at"], "2026-11-22T19:42:00-05:00");
    assert_eq!(v["roles"][0]["text"], "Drummer in The Analytical Engines");
    assert_eq!(v["goals"][0]["text"], "Releasing the band's first album in spring");
    assert_eq!(v["preferences"][0]["critical"], true);
    assert_eq!(v["preferences"][0]["at"], "2026-11-22T15:40:00-05:00");
    assert_eq!(v["preferences"][1]["by"], "dale");
    assert_eq!(v["missteps"][0]["text"], "Entrées mixed up");

    // Only one kind at a time, and never an empty note.
    book.fails(&["note", "ada", "--role", "--goal", "x"], 2);
    book.fails(&["note", "ada", "  "], 2);
}

#[test]
fn a_note_adds_only_its_own_lines_and_keeps_hand_added_fields() {
    let book = TestBook::new();
    ada(&book);
    book.ok(&["note", "ada", "first"]);
    let mut text = book.read("customers/ada-lovelace.yaml");
    text.push_str("birthday: 1815-12-10  # added by hand\nhobbies: [chess, poetry]\n");
    book.write("customers/ada-lovelace.yaml", &text);
    book.ok(&["note", "ada", "second"]);
    let after = book.read("customers/ada-lovelace.yaml");
    let added = "- text: second\n  at: 2026-11-22T19:42:00-05:00\n  by: joan\n";
    let expected = text.replace("  by: joan\nbirthday", &format!("  by: joan\n{added}birthday"));
    assert_eq!(after, expected);
}

#[test]
fn names_resolve_to_one_customer_or_list_the_candidates() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.add("Ada Byron");
    book.add("Bob Adams");
    let out = book.fails(&["note", "ada", "x"], 1);
    assert!(out.stderr.contains("ada-byron  (Ada Byron)"), "{}", out.stderr);
    assert!(out.stderr.contains("ada-lovelace  (Ada Lovelace)"));
    assert!(!out.stderr.contains("Bob Adams"), "ids starting with 'ada' come before names containing it");
    book.ok(&["note", "adams", "x"]);
    book.ok(&["note", "BYRON", "x"]);
    book.ok(&["note", "ada-lovelace", "x"]);
    let out = book.fails(&["note", "zed", "x"], 1);
    assert!(out.stderr.contains("no customer matches \"zed\""), "{}", out.stderr);
}

#[test]
fn customer_list_counts_flags_and_incidents_and_filters() {
    let book = TestBook::new();
    ada(&book);
    book.add("Bob Adams");
    book.ok(&["flag", "ada", "Rough evening"]);
    book.ok(&["note", "bob", "--pref", "Shellfish is fine"]);
    book.write(
        "incidents/2026/11/20261120-abc123.yaml",
        "id: 20261120-abc123\ncustomer: ada-lovelace\nopened: 2026-11-20T12:00:00-05:00\nsummary: Cold soup\n",
    );
    let rows = csv_rows(&book.ok(&["customer", "list"]));
    let visit_columns = ["last_visit", "visits", "spend", "value", "value_source"];
    let first = ["id", "name", "since", "lifetime_value", "open_incidents", "active_flags", "last_incident"];
    assert_eq!(rows[0], [&first[..], &visit_columns[..]].concat());
    assert_eq!(
        rows[1],
        [
            "ada-lovelace",
            "Ada Lovelace",
            "2019-03-02",
            "12000",
            "1",
            "1",
            "2026-11-20T12:00:00-05:00",
            "",
            "0",
            "0",
            "12000",
            "typed"
        ]
    );
    assert_eq!(rows[2], ["bob-adams", "Bob Adams", "2026-11-22", "", "0", "0", "", "", "0", "0", "", ""]);

    let flagged = csv_rows(&book.ok(&["customer", "list", "--flagged"]));
    assert_eq!(flagged.len(), 2);
    let grepped = csv_rows(&book.ok(&["customer", "list", "--grep", "(?i)SHELLFISH"]));
    assert_eq!(grepped.len(), 2);
    assert_eq!(grepped[1][0], "bob-adams");
    book.fails(&["customer", "list", "--grep", "("], 2);
}

#[test]
fn show_puts_what_nobody_may_miss_first() {
    let book = TestBook::new();
    ada(&book);
    book.ok(&["note", "ada", "--pref", "Likes the corner table"]);
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish"]);
    book.ok(&["note", "ada", "--role", "Drummer"]);
    book.ok(&["flag", "ada", "Rough evening — recheck every order", "--until", "2027-02-20"]);
    let card = book.ok(&["show", "ada", "--format", "table"]);
    let lines: Vec<&str> = card.lines().collect();
    assert_eq!(lines[0], "Ada Lovelace  (ada-lovelace)");
    assert!(lines[1].contains("lifetime value 12000"), "{card}");
    assert_eq!(lines[2], "! Allergic to shellfish", "{card}");
    let flags = card.find("[1] Rough evening").expect("flag shown");
    let prefs = card.find("Likes the corner table").expect("preference shown");
    assert!(flags < prefs, "{card}");
    assert!(!card.contains("\x1b["), "no colour off a terminal");

    let json: serde_json::Value = serde_json::from_str(&book.ok(&["show", "ada", "--format", "json"])).expect("json");
    assert_eq!(json[0]["remember"][0]["text"], "Allergic to shellfish");
    assert_eq!(json[0]["lifetime_value"].to_string(), "12000");
    assert_eq!(json[0]["flags"][0]["until"], "2027-02-20");
    assert_eq!(json[0]["preferences"][0]["text"], "Likes the corner table");
}

#[test]
fn show_reads_arrivals_from_stdin_one_row_each() {
    let book = TestBook::new();
    ada(&book);
    book.add("Bob Adams");
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish"]);
    let out = book.cmd().args(["show", "-"]).write_stdin("ada-lovelace\n\n# walk-ins\nbob\n").output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = csv_rows(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][0], "ada-lovelace");
    assert_eq!(rows[1][2], "Allergic to shellfish");
    assert_eq!(rows[2][0], "bob-adams");

    // An unknown guest is reported; the others are still briefed; exit 1.
    let out = book.cmd().args(["show", "-", "--format", "table"]).write_stdin("ada\nzed\n").output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("! Allergic to shellfish"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"zed\""));
}

#[test]
fn flags_are_raised_listed_and_cleared_never_deleted() {
    let book = TestBook::new();
    ada(&book);
    book.add("Bob Adams");
    book.ok(&["flag", "ada", "Rough evening", "--until", "2027-02-20"]);
    book.ok(&["flag", "ada", "Owes us a call back"]);
    // Raised in October to last until 1 November: expired by now.
    let october = book
        .cmd()
        .env("CARE_NOW", "2026-10-01T12:00:00-04:00")
        .args(["flag", "bob", "Expired already", "--until", "2026-11-01"])
        .output()
        .expect("run");
    assert!(october.status.success());
    let rows = csv_rows(&book.ok(&["flags"]));
    assert_eq!(rows[0], ["customer", "name", "n", "text", "raised", "by", "until", "incident", "status"]);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().all(|r| r[0] != "bob-adams"));

    book.ok(&["flag", "--clear", "ada", "1"]);
    let v = book.yaml("customers/ada-lovelace.yaml");
    assert_eq!(v["flags"][0]["text"], "Rough evening");
    assert_eq!(v["flags"][0]["cleared"], "2026-11-22T19:42:00-05:00");
    assert_eq!(v["flags"][0]["cleared_by"], "joan");
    let rows = csv_rows(&book.ok(&["flags"]));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][2], "2");

    let all = csv_rows(&book.ok(&["flags", "--all"]));
    let statuses: Vec<&str> = all[1..].iter().map(|r| r[8].as_str()).collect();
    assert_eq!(all.len(), 4);
    assert!(statuses.contains(&"cleared") && statuses.contains(&"expired") && statuses.contains(&"active"));

    book.fails(&["flag", "--clear", "ada", "1"], 1);
    book.fails(&["flag", "--clear", "ada", "one"], 2);
    book.fails(&["flag", "ada"], 2);
    book.ok(&["flag", "--clear", "ada"]);
    assert!(csv_rows(&book.ok(&["flags"])).len() == 1);
}

#[test]
fn a_flag_from_an_incident_lasts_flag_days() {
    let book = TestBook::new();
    ada(&book);
    book.write(
        "incidents/2026/11/20261122-k7f3qz.yaml",
        "id: 20261122-k7f3qz\ncustomer: ada-lovelace\nopened: 2026-11-22T19:42:00-05:00\n",
    );
    book.ok(&["flag", "ada", "Rough evening", "--incident", "k7f"]);
    book.ok(&["note", "ada", "--misstep", "Entrées mixed up", "--incident", "20261122"]);
    let v = book.yaml("customers/ada-lovelace.yaml");
    assert_eq!(v["flags"][0]["incident"], "20261122-k7f3qz");
    assert_eq!(v["flags"][0]["until"], "2027-02-20");
    assert_eq!(v["missteps"][0]["incident"], "20261122-k7f3qz");
    book.fails(&["note", "ada", "x", "--incident", "zzz"], 1);
}

#[test]
fn names_are_found_without_their_accents_and_an_ambiguous_part_names_every_candidate() {
    let book = TestBook::new();
    assert_eq!(book.ok(&["customer", "add", "Müller, Jürgen"]), "muller-jurgen\n");
    assert_eq!(book.ok(&["customer", "add", "José Núñez"]), "jose-nunez\n");
    assert_eq!(book.ok(&["customer", "add", "山田 太郎"]), "shan-tian-tai-lang\n");
    for query in ["jurgen", "JÜRGEN", "müller", "muller jurgen"] {
        let card = book.ok(&["show", query, "--format", "json"]);
        assert!(card.contains("\"muller-jurgen\""), "{query}: {card}");
    }
    assert!(book.ok(&["show", "山田", "--format", "json"]).contains("\"shan-tian-tai-lang\""));
    let before = book.read("customers/jose-nunez.yaml");
    let out = book.fails(&["note", "j", "Prefers the window"], 1);
    assert!(out.stderr.contains("\"j\" matches 2 customers"), "{}", out.stderr);
    assert!(out.stderr.contains("jose-nunez") && out.stderr.contains("muller-jurgen"), "{}", out.stderr);
    assert_eq!(book.read("customers/jose-nunez.yaml"), before, "an ambiguous name writes nothing");
    book.ok(&["note", "nunez", "Prefers the window"]);
    assert!(book.read("customers/jose-nunez.yaml").contains("Prefers the window"));
}

#[test]
fn json_numbers_are_never_negative_zero() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    for args in [&["show", "ada", "--format", "json"][..], &["customer", "list", "--format", "json"]] {
        let out = book.ok(args);
        assert!(!out.contains("-0"), "{args:?}: {out}");
    }
}
