//! Text from records reaches people's terminals made visible: a note that arrived through a
//! pull, an import or a hand edit must not be able to retitle the window, clear the screen
//! or reorder what follows. Data formats keep the exact text.

use crate::common;

use common::{TestBook, csv_rows};

/// Retitle the window, clear the screen, ring the bell, then a right-to-left override.
const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}evil";

fn raw_control(text: &str) -> Option<char> {
    text.chars().find(|&c| (c.is_control() && c != '\n') || c == '\u{202e}')
}

fn hostile_book() -> TestBook {
    let book = TestBook::new();
    book.write(
        "customers/ada-lovelace.yaml",
        "id: ada-lovelace\nname: \"Ada\\e[31m Lovelace\"\nphone: \"+1 555\\t0100\"\n\
         preferences:\n- {text: \"\\e]0;pwned\\a no calls\", by: joan, critical: true}\n",
    );
    book.ok(&["note", "ada-lovelace", HOSTILE]);
    book
}

#[test]
fn cards_tables_and_briefings_show_control_characters_escaped() {
    let book = hostile_book();
    for args in [
        &["--format", "table", "show", "ada-lovelace"][..],
        &["--format", "table", "customer", "list"],
        &["--format", "table", "export", "notes"],
    ] {
        let out = book.care(args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert_eq!(raw_control(&out.stdout), None, "{args:?} printed a raw control character:\n{}", out.stdout);
        assert_eq!(raw_control(&out.stderr), None, "{args:?} printed a raw control character on stderr");
    }
    let card = book.ok(&["--format", "table", "show", "ada-lovelace"]);
    assert!(card.contains(r"\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}evil"), "{card}");
    assert!(card.contains(r"Ada\u{1b}[31m Lovelace"), "{card}");

    // The briefing `recover open` prints on stderr is a card too.
    let out = book.care(&["recover", "open", "ada-lovelace", "--what", "Cold soup"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(raw_control(&out.stderr), None, "stderr: {}", out.stderr);
    assert!(out.stderr.contains(r"\u{1b}]0;pwned"), "{}", out.stderr);
}

#[test]
fn data_formats_keep_the_exact_text() {
    let book = hostile_book();
    let csv = book.ok(&["--format", "csv", "export", "notes"]);
    let rows = csv_rows(&csv);
    assert!(rows.iter().any(|r| r.iter().any(|c| c == HOSTILE)), "{csv:?}");
    let json = book.ok(&["--format", "json", "show", "ada-lovelace"]);
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    let notes = value[0]["notes"].as_array().expect("notes");
    assert_eq!(notes[0]["text"], HOSTILE);
}

#[test]
fn errors_and_warnings_naming_record_text_are_escaped_too() {
    let book = TestBook::new();
    let out = book.care(&["show", "no\u{1b}[2Jbody"]);
    assert_eq!(out.code, 1);
    assert_eq!(raw_control(&out.stderr), None, "{}", out.stderr);
}
