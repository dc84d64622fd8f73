//! What care writes, another YAML reader reads back as written: known-tricky and random
//! text goes in through the commands people use (`customer add`, `note`, `flag`, `visit`,
//! `remind`, `recover open`, and a note on a hand-written flow-style file), and PyYAML —
//! a YAML 1.1 reader, the library most user scripts load a book with — must load every
//! file and give back exactly that text (as care keeps it: trimmed of surrounding space).
//! The tricky texts go through every command; random ones through notes.
//!
//! PyYAML is an independent implementation: `.ci/run` installs it when it can and then sets
//! CARE_REQUIRE_PYYAML=1, so that CI cannot skip this silently; elsewhere, a machine
//! without it skips with a message.

use crate::common;

use std::collections::BTreeMap;
use std::process::Command;

use common::TestBook;
use serde_json::Value;

/// Text a YAML reader could take for something else, or choke on.
const TRICKY: [&str; 74] = [
    "=",
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "n",
    "Y",
    "true",
    "False",
    "null",
    "NULL",
    "~",
    "<<",
    "<<: *a",
    "2026-01-01",
    "2026-1-1",
    "2026-01-01 10:00:00",
    "2026-11-22T19:42:00-05:00",
    "12:30",
    "1:20",
    "190:20:30.15",
    "0x1F",
    "0o17",
    "0b11",
    "1_000",
    "1e3",
    "6.8523015e+5",
    ".5",
    "+1",
    "-1",
    "+.inf",
    "-.inf",
    ".NaN",
    "123",
    "0123",
    "3.0",
    "a: b",
    "a #b",
    "#c",
    "- x",
    "-",
    "---",
    "...",
    "key:",
    "&a",
    "*a",
    "!tag",
    "!!str x",
    "|",
    ">",
    "%YAML 1.1",
    "@x",
    "`x",
    "'q",
    "\"q",
    "[a]",
    "{a: 1}",
    "a, b",
    "it's",
    "? x",
    "a\\b",
    "tab\there",
    "a\u{85}b",
    "line\u{2028}sep",
    "two\nlines",
    "trailing\n\n x",
    "\u{7f}del",
    "bell\u{7}",
    "é",
    "日本",
    "🙂",
    "=SUM(A1)",
    "+1 555 0100",
];

/// Pieces random text is made of: the tricky ones' ingredients.
const PIECES: [&str; 36] = [
    "yes",
    "no",
    "=",
    "<<",
    "~",
    "null",
    "2026",
    "-01-01",
    "T10:00:00",
    "0x",
    "1",
    "_",
    ".",
    ":",
    ": ",
    " #",
    "#",
    "- ",
    "'",
    "\"",
    "\\",
    "\n",
    "\t",
    "\u{85}",
    "\u{2028}",
    "\u{1}",
    "é",
    "🙂",
    " ",
    ",",
    "[",
    "}",
    "?",
    "&",
    "!",
    "word",
];

/// PyYAML, if this machine has it: `None` means skip (said on stderr), unless CI requires it.
fn pyyaml() -> Option<()> {
    let ok = Command::new("python3").args(["-c", "import yaml"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CARE_REQUIRE_PYYAML").as_deref() != Ok("1"),
            "CARE_REQUIRE_PYYAML=1 but python3 cannot import yaml"
        );
        eprintln!("skipped: python3 with PyYAML is not available (python3 -m pip install pyyaml)");
    }
    ok.then_some(())
}

/// Every record file of the book as PyYAML's `safe_load` gives it, as JSON (dates and times
/// as their text), by path relative to the book.
fn load_with_pyyaml(book: &TestBook) -> BTreeMap<String, Value> {
    const SCRIPT: &str = r#"
import glob, json, os, sys, yaml
out = {}
for path in sorted(glob.glob('customers/**/*.yaml', recursive=True) + glob.glob('incidents/**/*.yaml', recursive=True)):
    with open(path, encoding='utf-8') as f:
        out[path] = yaml.safe_load(f)
json.dump(out, sys.stdout, default=str)
"#;
    let out = Command::new("python3").args(["-c", SCRIPT]).current_dir(book.root()).output().expect("python3 runs");
    assert!(out.status.success(), "PyYAML could not load a file care wrote:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON from the script")
}

fn texts(record: &Value, list: &str, field: &str) -> Vec<Value> {
    record[list].as_array().map(|l| l.iter().map(|e| e[field].clone()).collect()).unwrap_or_default()
}

fn random_texts(n: usize) -> Vec<String> {
    let mut rng = care::sample::Rng::new(24);
    let mut out = Vec::new();
    while out.len() < n {
        let s: String = (0..1 + rng.below(5)).map(|_| *rng.pick(&PIECES)).collect();
        if !s.trim().is_empty() {
            out.push(s);
        }
    }
    out
}

#[test]
fn pyyaml_reads_back_every_text_as_written_whichever_command_wrote_it() {
    if pyyaml().is_none() {
        return;
    }
    let book = TestBook::new();
    let mut given: Vec<String> = TRICKY.iter().map(|s| s.to_string()).collect();
    given.extend(random_texts(40));
    let want = |s: &str| Value::from(s.trim());

    // One customer per text, named by it, its email and phone the text too.
    book.ok(&["customer", "add", "Notes Holder", "--id", "holder"]);
    let hand = "id: flowy\nname: Flowy\nnotes:\n  - {text: seed, at: 2026-10-02T19:15:00-04:00, by: joan}\n";
    book.write("customers/flowy.yaml", hand);
    for (n, s) in given.iter().enumerate() {
        book.ok(&["note", "holder", "--", s]);
        book.ok(&["note", "flowy", "--", s]);
        if n < TRICKY.len() {
            let id = format!("c{n}");
            let (email, phone) = (format!("--email={s}"), format!("--phone={s}"));
            book.ok(&["customer", "add", "--id", &id, &email, &phone, "--", s]);
            book.ok(&["flag", &id, "--", s]);
            book.ok(&["remind", &id, "--due", "2026-12-01", "--", s]);
            book.ok(&["visit", &id, &format!("--location={s}"), &format!("--note={s}")]);
            book.ok(&["recover", "open", &id, &format!("--what={s}"), &format!("--location={s}")]);
        }
    }

    let files = load_with_pyyaml(&book);
    let holder = &files["customers/holder.yaml"];
    let expected: Vec<Value> = given.iter().map(|s| want(s)).collect();
    assert_eq!(texts(holder, "notes", "text"), expected, "notes on a block-style file");
    let flowy = &files["customers/flowy.yaml"];
    assert_eq!(texts(flowy, "notes", "text")[1..], expected[..], "notes on a flow-style file");
    assert!(book.read("customers/flowy.yaml").contains("\n  - {text: "), "entries kept in flow style");
    let mut summaries: Vec<(String, Value, Value)> = Vec::new();
    for (n, s) in TRICKY.iter().enumerate() {
        let c = &files[&format!("customers/c{n}.yaml")];
        assert_eq!(c["name"], want(s), "name {s:?}");
        assert_eq!(c["contact"]["email"], want(s), "email {s:?}");
        assert_eq!(c["contact"]["phone"], want(s), "phone {s:?}");
        {
            // The user's flag first, then the one opening the incident raised.
            assert_eq!(texts(c, "flags", "text").first(), Some(&want(s)), "flag {s:?}");
            assert_eq!(texts(c, "reminders", "text"), [want(s)], "reminder {s:?}");
            assert_eq!(texts(c, "visits", "location"), [want(s)], "visit location {s:?}");
            assert_eq!(texts(c, "visits", "note"), [want(s)], "visit note {s:?}");
            summaries.push((format!("c{n}"), want(s), want(s)));
        }
    }
    let mut incidents: Vec<(String, Value, Value)> = files
        .iter()
        .filter(|(path, _)| path.starts_with("incidents/"))
        .map(|(_, i)| {
            (i["customer"].as_str().unwrap_or_default().to_string(), i["summary"].clone(), i["location"].clone())
        })
        .collect();
    incidents.sort_by(|a, b| a.0.cmp(&b.0));
    summaries.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(incidents, summaries, "incident summaries and locations");
    // Care's own dates and times stay dates and times to a YAML 1.1 reader.
    assert!(holder["since"].as_str().is_some_and(|s| s == "2026-11-22"), "{}", holder["since"]);
    assert!(texts(holder, "notes", "at").iter().all(|at| at.as_str().is_some_and(|s| s.starts_with("2026-11-22 "))));
    // And care reads its own files as it wrote them.
    book.ok(&["check"]);
}
