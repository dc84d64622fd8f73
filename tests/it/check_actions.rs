//! `care check` reads `actions/*.yaml` as it reads every record: a file that does not
//! parse, an unknown or missing field, an id that is not its name or is used twice, a
//! `for:` condition `--where` would refuse, an owner off the staff list, a time in the
//! future, and links and special files, each a finding at its file, line and column.

use crate::common;

use std::os::unix::fs::symlink;

use common::{TestBook, csv_rows};

/// A book with a staff list, one customer, one incident and one good action.
fn book() -> (TestBook, String) {
    let book = TestBook::new();
    let config = book.read("care.yaml");
    book.write("care.yaml", &format!("{config}staff: [joan, billy]\n"));
    book.add("Ada Lovelace");
    book.ok(&["recover", "open", "ada", "--what", "Cold soup", "--staff", "billy", "--at", "1h ago"]);
    let id = book.ok(&["action", "open", "--for", "staff=billy", "--what", "Billy trained"]).trim().to_string();
    (book, id)
}

/// Every finding as (file, line, column, code, message).
fn findings(book: &TestBook) -> Vec<(String, String, String, String, String)> {
    let out = book.care(&["check", "--format", "csv"]);
    csv_rows(&out.stdout)
        .into_iter()
        .skip(1)
        .map(|r| (r[1].clone(), r[2].clone(), r[3].clone(), r[4].clone(), r[5].clone()))
        .collect()
}

fn action(id: &str, body: &str) -> String {
    format!("id: {id}\nat: 2026-11-01T10:00:00-04:00\nby: joan\nowner: joan\nwhat: Billy trained\n{body}")
}

#[test]
fn a_book_with_a_good_action_is_clean() {
    let (book, id) = book();
    assert!(book.path(&format!("actions/{id}.yaml")).is_file());
    let found = findings(&book);
    assert!(!found.iter().any(|f| f.0.contains("actions")), "{found:?}");
    book.ok(&["check"]);
}

#[test]
fn an_action_that_does_not_parse_is_told_where() {
    let (book, _) = book();
    book.write("actions/20261101-broken.yaml", "id: 20261101-broken\nfor: [staff=billy\nwhat: x\n");
    book.write("actions/20261101-typed.yaml", &action("20261101-typed", "for: [staff=billy]\nvotes: 3\n"));
    book.write(
        "actions/20261101-nowhat.yaml",
        "id: 20261101-nowhat\nat: 2026-11-01T10:00:00-04:00\nby: joan\nfor: [a=b]\n",
    );
    let found = findings(&book);
    let at = |file: &str| found.iter().find(|f| f.0.ends_with(file)).unwrap_or_else(|| panic!("{file}: {found:?}"));
    let broken = at("actions/20261101-broken.yaml");
    assert_eq!((broken.1.as_str(), broken.3.as_str()), ("3", "syntax"), "{broken:?}");
    let typed = at("actions/20261101-typed.yaml");
    // Kept by a rewrite (unknown fields survive), so a warning, not an error.
    assert_eq!((typed.1.as_str(), typed.3.as_str()), ("7", "unknown-field"), "{typed:?}");
    assert!(typed.4.contains("unknown field `votes`"), "{typed:?}");
    let nowhat = at("actions/20261101-nowhat.yaml");
    assert!(nowhat.4.contains("missing field `what`"), "{nowhat:?}");
    book.fails(&["check"], 1);
}

#[test]
fn an_action_id_must_be_its_file_name_and_used_once() {
    let (book, id) = book();
    book.write("actions/20261101-other.yaml", &action("20261101-wrong", "for: [staff=billy]\n"));
    book.write("actions/20261130-zzcopy.yaml", &action(&id, "for: [staff=billy]\n"));
    book.write("actions/20261101-notanid.yaml", &action("Not An Id!", "for: [staff=billy]\n"));
    let found = findings(&book);
    let code = |file: &str| found.iter().filter(|f| f.0.ends_with(file)).map(|f| f.3.clone()).collect::<Vec<_>>();
    assert_eq!(code("actions/20261101-other.yaml"), ["id-mismatch"]);
    assert_eq!(code("actions/20261101-notanid.yaml"), ["bad-id"]);
    let copy: Vec<_> = found.iter().filter(|f| f.0.ends_with("actions/20261130-zzcopy.yaml")).collect();
    assert_eq!(copy.len(), 2, "{found:?}");
    let duplicate = copy.iter().find(|f| f.3 == "duplicate-id").expect("duplicate");
    assert!(duplicate.4.contains(&format!("{id}.yaml")), "names the first: {duplicate:?}");
    assert_eq!(&duplicate.1, "1");
}

#[test]
fn a_condition_where_would_refuse_is_an_error_with_where_s_message() {
    let (book, _) = book();
    book.write("actions/20261101-noop.yaml", &action("20261101-noop", "for:\n- staff=billy\n- staff\n"));
    book.write("actions/20261101-regex.yaml", &action("20261101-regex", "for:\n- summary~(unclosed\n"));
    book.write("actions/20261101-typo.yaml", &action("20261101-typo", "for:\n- stafff=billy\n"));
    let found = findings(&book);
    let at = |file: &str| found.iter().find(|f| f.0.ends_with(file)).unwrap_or_else(|| panic!("{file}: {found:?}"));
    let noop = at("20261101-noop.yaml");
    assert_eq!((noop.1.as_str(), noop.2.as_str(), noop.3.as_str()), ("8", "3", "bad-filter"), "{noop:?}");
    let where_says = book.fails(&["export", "incidents", "--where", "staff"], 2).stderr;
    let message = noop.4.trim_start_matches("for: ");
    assert!(message.starts_with("\"staff\" has no operator; use FIELD=VALUE"), "{message:?}");
    assert!(where_says.contains("has no operator; use FIELD=VALUE"), "{where_says:?}");
    assert!(at("20261101-regex.yaml").4.contains("not a valid regex"));
    let typo = at("20261101-typo.yaml");
    assert_eq!((typo.1.as_str(), typo.3.as_str()), ("7", "bad-filter"), "{typo:?}");
    let where_says = book.fails(&["export", "incidents", "--where", "stafff=billy"], 2).stderr;
    assert!(where_says.contains(typo.4.trim_start_matches("for: ")), "{typo:?} vs {where_says:?}");
    // A field only some incident has is a field all the same.
    let incident = std::fs::read_dir(book.path("incidents")).expect("incidents").count();
    assert!(incident > 0);
    book.write("actions/20261101-typo.yaml", &action("20261101-typo", "for:\n- region=east\n"));
    assert!(findings(&book).iter().any(|f| f.0.ends_with("20261101-typo.yaml")));
    let open = common::yaml_files(&book.path("incidents"));
    let text = std::fs::read_to_string(&open[0]).expect("incident");
    std::fs::write(&open[0], format!("{text}region: east\n")).expect("write");
    assert!(!findings(&book).iter().any(|f| f.0.ends_with("20261101-typo.yaml")), "{:?}", findings(&book));
}

#[test]
fn owners_off_the_staff_list_and_future_times_are_warnings() {
    let (book, _) = book();
    let text = "id: 20261120-later\nat: 2026-12-25T10:00:00-05:00\nby: joan\nowner: zed\nwhat: x\nfor: [staff=billy]\n";
    book.write("actions/20261120-later.yaml", text);
    let found = findings(&book);
    let codes: Vec<(&str, &str, &str)> = found
        .iter()
        .filter(|f| f.0.ends_with("20261120-later.yaml"))
        .map(|f| (f.1.as_str(), f.2.as_str(), f.3.as_str()))
        .collect();
    assert_eq!(codes, [("2", "1", "future-time"), ("4", "1", "unknown-staff")], "{found:?}");
    let out = book.care(&["check"]);
    assert_eq!(out.code, 0, "warnings only: {out:?}");
    book.fails(&["check", "--strict"], 1);
}

#[test]
fn links_out_of_the_book_and_special_files_among_actions_are_findings() {
    let (book, _) = book();
    let outside = tempfile::TempDir::new().expect("dir");
    std::fs::write(outside.path().join("a.yaml"), action("20261101-away", "for: [staff=billy]\n")).expect("write");
    symlink(outside.path().join("a.yaml"), book.path("actions/20261101-away.yaml")).expect("symlink");
    let fifo = book.path("actions/20261101-fifo.yaml");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let found = findings(&book);
    let code = |file: &str| found.iter().find(|f| f.0.ends_with(file)).map(|f| f.3.clone());
    assert_eq!(code("20261101-away.yaml").as_deref(), Some("link-outside"), "{found:?}");
    assert_eq!(code("20261101-fifo.yaml").as_deref(), Some("not-regular"), "{found:?}");
}
