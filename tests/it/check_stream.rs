//! `care check` streams the book and keeps only compact facts across files; the findings
//! that need other files are still told at the right file, line and column: an entry
//! linking an incident not in the book, an incident whose customer is not, an incident id
//! used three times (each copy naming the one before it), a customer id used twice.

use crate::common;

use common::{TestBook, csv_rows};

const INCIDENT: &str = "id: 20261101-aaaaaa\ncustomer: ada\nopened: 2026-11-01T12:00:00-04:00\nstaff: joan\n";

#[test]
fn findings_across_files_are_told_where_they_are() {
    let book = TestBook::new();
    let customer = "id: ada\nname: Ada\nmissteps:\n- text: soup\n  by: joan\n  incident: 20261101-aaaaaa\n\
                    notes:\n- text: asked about 20261101-gone\n  by: joan\n  incident: 20261101-gone00\n";
    book.write("customers/ada.yaml", customer);
    book.write("customers/zz-ada.yaml", "id: ada\nname: Ada again\n");
    book.write("incidents/2026/11/20261101-aaaaaa.yaml", INCIDENT);
    book.write("incidents/2026/11/copy-1.yaml", INCIDENT);
    book.write("incidents/old/copy-2.yaml", INCIDENT);
    book.write(
        "incidents/2026/11/20261102-bbbbbb.yaml",
        &INCIDENT.replace("aaaaaa", "bbbbbb").replace("ada", "nobody"),
    );
    let out = book.fails(&["check", "--format", "csv"], 1);
    let rows: Vec<Vec<String>> = csv_rows(&out.stdout).into_iter().skip(1).collect();
    let find = |file: &str, code: &str| {
        rows.iter()
            .find(|r| r[1].ends_with(file) && r[4] == code)
            .unwrap_or_else(|| panic!("no {code} at {file} in\n{}", out.stdout))
            .clone()
    };
    let unknown = find("customers/ada.yaml", "unknown-incident");
    assert_eq!((unknown[2].as_str(), unknown[3].as_str()), ("10", "3"), "{unknown:?}");
    assert!(unknown[5].starts_with("note links incident 20261101-gone00"), "{unknown:?}");
    let twice = find("customers/zz-ada.yaml", "duplicate-id");
    assert!(twice[5].contains("customers/ada.yaml"), "{twice:?}");
    let nobody = find("20261102-bbbbbb.yaml", "unknown-customer");
    assert_eq!((nobody[0].as_str(), nobody[2].as_str(), nobody[3].as_str()), ("error", "2", "1"), "{nobody:?}");
    // The walk's order: incidents/2026/11/{20261101-aaaaaa, copy-1}, then incidents/old/copy-2.
    let first = find("2026/11/copy-1.yaml", "duplicate-id");
    assert!(first[5].contains("2026/11/20261101-aaaaaa.yaml"), "{first:?}");
    let second = find("old/copy-2.yaml", "duplicate-id");
    assert!(second[5].contains("2026/11/copy-1.yaml"), "the copy before it: {second:?}");
    assert!(!rows.iter().any(|r| r[1].ends_with("20261101-aaaaaa.yaml") && r[4] == "duplicate-id"), "{rows:?}");
    // The misstep links the first incident: it is not unlinked; the copies are its own id too.
    assert!(!rows.iter().any(|r| r[1].ends_with("20261101-aaaaaa.yaml") && r[4] == "unlinked-incident"), "{rows:?}");
}

/// Findings are printed in file, line and column order, those told only at the end (an
/// entry linking an incident not in the book, a duplicate id) merged in among those each
/// file gave as it was read.
#[test]
fn findings_told_at_the_end_are_merged_in_file_line_and_column_order() {
    let book = TestBook::new();
    let customer = "id: ada\nname: Ada\nnotes:\n- text: asked\n  by: nobody-we-know\n  incident: 20261101-gone00\n\
                    - text: again\n  by: nobody-we-know\n";
    book.write("customers/ada.yaml", customer);
    book.write("incidents/2026/11/20261101-aaaaaa.yaml", INCIDENT);
    book.write("incidents/2026/11/copy-1.yaml", &INCIDENT.replace("joan", "someone-else"));
    let out = book.fails(&["check", "--format", "csv"], 1);
    let rows: Vec<Vec<String>> = csv_rows(&out.stdout).into_iter().skip(1).collect();
    let place = |r: &Vec<String>| {
        let n = |s: &str| s.parse::<usize>().unwrap_or_else(|_| panic!("a number: {s}"));
        (r[1].clone(), n(&r[2]), n(&r[3]))
    };
    assert!(rows.windows(2).all(|w| place(&w[0]) <= place(&w[1])), "in order:\n{}", out.stdout);
    let at = |file: &str, code: &str| {
        rows.iter().position(|r| r[1].ends_with(file) && r[4] == code).unwrap_or_else(|| panic!("{code} at {file}"))
    };
    // Told at the end, printed among ada's own findings and before bob's.
    // Told at the end, printed after ada's file's own and before the incidents'; at one
    // place, the checks by code, whichever was found first.
    let late = at("customers/ada.yaml", "unknown-incident");
    assert!(late < at("20261101-aaaaaa.yaml", "missing-deposition"), "{}", out.stdout);
    assert_eq!(at("copy-1.yaml", "duplicate-id") + 1, at("copy-1.yaml", "id-mismatch"), "{}", out.stdout);
    assert_eq!(rows.iter().filter(|r| r[4] == "duplicate-id").count(), 1, "{}", out.stdout);
}
