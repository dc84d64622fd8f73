//! Tables and cards fit the terminal they are shown on: the widest text columns give way
//! (ending in `…`), the card wraps at word boundaries, `--wide` keeps everything, and piped
//! output is never cut.

use crate::common;

use common::TestBook;

fn busy_book() -> (TestBook, String) {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.ok(&[
        "note",
        "ada",
        "--pref",
        "--critical",
        "Allergic to shellfish, peanuts and sesame; ask the kitchen before any dessert",
    ]);
    let id = book.ok(&[
        "recover",
        "open",
        "ada",
        "--what",
        "Entrées mixed up on her anniversary; the table waited forty minutes and the wine never came",
        "--at",
        "19:00",
    ]);
    (book, id.trim().to_string())
}

/// Run `care ARGS` on a pseudo-terminal (through `script`) COLUMNS wide; None without `script`.
fn on_terminal(book: &TestBook, columns: &str, args: &str) -> Option<String> {
    std::process::Command::new("script").arg("--version").output().ok()?;
    let command = format!("{} {args}", assert_cmd::cargo::cargo_bin("care").display());
    let out = std::process::Command::new("script")
        .current_dir(book.root())
        .env("CARE_NOW", common::NOW)
        .env("CARE_STAFF", "joan")
        .env("COLUMNS", columns)
        .env("NO_COLOR", "1")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .output()
        .expect("script");
    assert!(out.status.success(), "{args}: {}", String::from_utf8_lossy(&out.stdout));
    Some(String::from_utf8_lossy(&out.stdout).replace('\r', ""))
}

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn an_80_column_terminal_gets_tables_and_cards_that_fit() {
    let (book, id) = busy_book();
    // Ten columns of follow-up at 160 columns: the prose gives way, one line a row.
    let Some(due) = on_terminal(&book, "160", "followup due --at 21:00") else { return };
    assert!(widest(&due) <= 160, "{due}");
    assert!(due.contains(&id) && due.contains('…'), "ids stay whole, long text is cut: {due}");
    assert_eq!(due.lines().count(), 2, "one line a row: {due}");
    // At 80 the ids and times alone leave no room: one record at a time, nothing lost.
    let narrow = on_terminal(&book, "80", "followup due --at 21:00").expect("script");
    assert!(widest(&narrow) <= 80, "{narrow}");
    assert!(narrow.contains(&format!("incident    {id}")) && !narrow.contains('…'), "{narrow}");
    assert!(narrow.contains("the wine never") || narrow.contains("wine never\n"), "{narrow}");

    let card = on_terminal(&book, "80", "show ada").expect("script");
    assert!(widest(&card) <= 80, "{card}");
    assert!(
        card.contains("Allergic to shellfish, peanuts") && !card.contains('…'),
        "the card wraps, never cuts: {card}"
    );

    let wide = on_terminal(&book, "80", "--wide followup due --at 21:00").expect("script");
    assert!(widest(&wide) > 80 && !wide.contains('…'), "{wide}");
}

#[test]
fn piped_tables_are_never_cut() {
    let (book, _) = busy_book();
    let out = book
        .cmd()
        .env("COLUMNS", "40")
        .args(["--format", "table", "followup", "due", "--at", "21:00"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("the wine never came") && !text.contains('…'), "{text}");
}
