//! Hostile record files (deep nesting, alias bombs, a byte-order mark, an unclosed
//! bracket) are refused quickly and alike by every command: what `check` reports is what
//! a writer refuses, with the same message, and book-wide reports skip the file as a
//! reported problem instead of hanging or silently dropping it.
//!
//! Every run is killed after 10 s: a regression fails the test instead of hanging it.
//! (The time to refuse, well under a second, is measured in the issue, not asserted here.)

use crate::common;

use std::time::Duration;

use common::{Out, TestBook, csv_rows};

/// `care ARGS`, killed if it has not finished within 10 s.
fn run(book: &TestBook, args: &[&str]) -> Out {
    let out = book
        .cmd()
        .args(args)
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap_or_else(|e| panic!("care {args:?} did not finish: {e}"));
    assert!(out.status.code().is_some(), "care {args:?} was killed after 10 s");
    Out {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// The line of stderr that names `file` (the refusal), without the `error: ` prefix.
fn refusal<'a>(out: &'a Out, file: &str) -> &'a str {
    out.stderr
        .lines()
        .find(|l| l.contains(file))
        .map(|l| l.trim_start_matches("error: ").trim_start_matches("skipped: "))
        .unwrap_or_else(|| panic!("no message about {file} in {out:?}"))
}

/// `check`'s finding about `file`: code, and the message as a writer would print it.
fn finding(book: &TestBook, file: &str) -> (String, String) {
    let out = run(book, &["check"]);
    assert_eq!(out.code, 1, "{out:?}");
    let rows = csv_rows(&out.stdout);
    let r = rows.iter().find(|r| r[1].ends_with(file)).unwrap_or_else(|| panic!("no finding for {file}: {out:?}"));
    (r[4].clone(), format!("{}:{}:{}: {}", r[1], r[2], r[3], r[5]))
}

const ADA: &str = "customers/ada-lovelace.yaml";

fn book_with_ada(extra: &str) -> TestBook {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let text = book.read(ADA);
    book.write(ADA, &format!("{text}{extra}"));
    book
}

fn deep_flow(depth: usize) -> String {
    format!("odd: {}{}\n", "[".repeat(depth), "]".repeat(depth))
}

fn alias_bomb() -> String {
    let mut text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_string();
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    text
}

#[test]
fn forty_thousand_deep_nesting_is_refused_by_every_command_with_one_message() {
    let book = book_with_ada(&deep_flow(40_000));
    let note = run(&book, &["note", "ada-lovelace", "hello"]);
    assert_eq!(note.code, 1, "{note:?}");
    let message = refusal(&note, ADA);
    assert!(message.contains("nested 40001 levels deep") && message.contains("limited to 64"), "{message}");
    // The line and column of the bracket that went past the limit.
    let line = book.read(ADA).lines().count();
    assert!(message.starts_with(&format!("{ADA}:{line}:")), "{message}");

    let show = run(&book, &["show", "ada-lovelace"]);
    assert_eq!((show.code, refusal(&show, ADA)), (1, message), "{show:?}");
    assert_eq!(finding(&book, ADA), ("too-deep".to_string(), message.to_string()));

    // The same text in an incident: the book-wide reports skip it, and say so.
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let id = run(&book, &["recover", "open", "ada-lovelace", "--what", "cold soup"]).stdout.trim().to_string();
    let file = format!("incidents/2026/11/{id}.yaml");
    let text = book.read(&file);
    book.write(&file, &format!("{text}{}", deep_flow(40_000)));
    let (code, message) = finding(&book, &file);
    assert_eq!(code, "too-deep");
    for args in [&["trends", "--by", "staff"][..], &["followup", "due"]] {
        let out = run(&book, args);
        assert_eq!((out.code, refusal(&out, &file)), (1, message.as_str()), "{args:?}: {out:?}");
        assert!(out.stderr.contains("1 file could not be read and was skipped"), "{out:?}");
    }
}

#[test]
fn check_reports_what_note_refuses_with_the_same_message() {
    let deep_block: String = (0..200).map(|k| format!("{}k{k}:\n", " ".repeat(k))).collect();
    let cases = [
        ("too-deep", format!("odd:\n{deep_block}")),
        ("too-deep", format!("odd:\n{}x\n", "- ".repeat(100_000))),
        ("too-deep", format!("odd: {}{}\n", "{a: ".repeat(10_000), "}".repeat(10_000))),
        ("alias-expansion", alias_bomb()),
        (
            "alias-expansion",
            format!("big: &a [{}]\nrefs: [{}]\n", vec!["x"; 2000].join(", "), vec!["*a"; 5000].join(", ")),
        ),
        // Duplicate keys in fields care does not know: a typed read skips them, a writer's
        // document does not.
        ("syntax", "region: a\nregion: b\n".to_string()),
    ];
    for (code, extra) in cases {
        let book = book_with_ada(&extra);
        let note = run(&book, &["note", "ada-lovelace", "hello"]);
        assert_eq!(note.code, 1, "{code}: {note:?}");
        let (found, message) = finding(&book, ADA);
        // `check` may add a hint after the writer's message.
        let refused = refusal(&note, ADA);
        assert!(found == code && message.starts_with(refused), "{extra:.80}\n{found}: {message}\nnote: {refused}");
    }
}

#[test]
fn an_alias_bomb_incident_is_reported_by_check_and_skipped_visibly_by_reports() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let open = |what: &str, at: &str| {
        run(&book, &["recover", "open", "ada-lovelace", "--what", what, "--at", at]).stdout.trim().to_string()
    };
    let good = open("cold soup", "2026-11-20T12:00:00-05:00");
    let bomb = open("warm wine", "2026-11-20T13:00:00-05:00");
    let file = format!("incidents/2026/11/{bomb}.yaml");
    let text = book.read(&file);
    book.write(&file, &format!("{text}{}", alias_bomb()));

    let (code, message) = finding(&book, &file);
    assert_eq!(code, "alias-expansion");
    assert!(message.contains("aliases expand to too much"), "{message}");
    let due = run(&book, &["followup", "due"]);
    // The readable incident's overdue follow-up is still listed; the other is a reported
    // problem, and the exit status says something was skipped.
    assert!(due.stdout.contains(&good) && !due.stdout.contains(&bomb), "{due:?}");
    assert_eq!((due.code, refusal(&due, &file)), (1, message.as_str()), "{due:?}");
    let trends = run(&book, &["trends", "--by", "staff"]);
    assert_eq!((trends.code, refusal(&trends, &file)), (1, message.as_str()), "{trends:?}");
}

#[test]
fn a_byte_order_mark_is_read_and_kept() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let text = book.read(ADA);
    book.write(ADA, &format!("\u{feff}{text}"));
    let out = run(&book, &["check"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(run(&book, &["show", "ada-lovelace"]).stdout.contains("Ada Lovelace"));
    assert_eq!(run(&book, &["note", "ada-lovelace", "hello"]).code, 0);
    let after = book.read(ADA);
    assert!(after.starts_with(&format!("\u{feff}{text}")) && after.contains("hello"), "{after}");
}

#[test]
fn an_unclosed_bracket_is_reported_where_it_opens() {
    let book = TestBook::new();
    book.write("customers/broken.yaml", "id: broken\nname: [unclosed\n");
    book.write("customers/quoted.yaml", "id: quoted\nname: 'unclosed\n\nnotes: []\n");
    let out = run(&book, &["check"]);
    let rows = csv_rows(&out.stdout);
    let at = |file: &str| {
        let r = rows.iter().find(|r| r[1].ends_with(file)).unwrap_or_else(|| panic!("{out:?}"));
        (r[2].clone(), r[3].clone(), r[4].clone())
    };
    assert_eq!(at("broken.yaml"), ("2".into(), "7".into(), "syntax".into()), "{out:?}");
    assert_eq!(at("quoted.yaml"), ("2".into(), "7".into(), "syntax".into()), "{out:?}");
    assert!(out.stdout.contains("never closed with `]`"), "{out:?}");
}
