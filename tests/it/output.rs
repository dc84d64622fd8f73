//! The output conventions every command shares (PRODUCT.md §3): formats, headers, empty
//! results, formula neutralising, Excel CSV, closed pipes and colour.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{TestBook, csv_rows};

fn book_with_ada() -> TestBook {
    let book = TestBook::new();
    book.ok(&[
        "customer",
        "add",
        "Ada Lovelace",
        "--phone",
        "+1 555 0100",
        "--value",
        "12000",
        "--since",
        "2019-03-02",
    ]);
    book.ok(&["flag", "ada", "=HYPERLINK(\"http://evil\",\"x\")", "--until", "2027-02-20"]);
    book
}

#[test]
fn every_format_prints_the_same_rows() {
    let book = book_with_ada();
    let csv = book.ok(&["customer", "list", "--format", "csv"]);
    assert_eq!(
        csv,
        "id,name,since,lifetime_value,open_incidents,active_flags,last_incident,last_visit,visits,spend,value,value_source\nada-lovelace,Ada Lovelace,2019-03-02,12000,0,1,,,0,0,12000,typed\n"
    );
    let tsv = book.ok(&["customer", "list", "--format", "tsv"]);
    assert_eq!(tsv.lines().nth(1), Some("ada-lovelace\tAda Lovelace\t2019-03-02\t12000\t0\t1\t\t\t0\t0\t12000\ttyped"));
    let json: serde_json::Value =
        serde_json::from_str(&book.ok(&["customer", "list", "--format", "json"])).expect("json");
    assert_eq!(json[0]["lifetime_value"], 12000);
    assert_eq!(json[0]["open_incidents"], 0);
    assert_eq!(json[0]["last_incident"], serde_json::Value::Null);
    let ndjson = book.ok(&["customer", "list", "--format", "ndjson"]);
    assert_eq!(ndjson.lines().count(), 1);
    let one: serde_json::Value = serde_json::from_str(ndjson.trim()).expect("ndjson line");
    assert_eq!(one["id"], "ada-lovelace");
    let table = book.ok(&["customer", "list", "--format", "table"]);
    assert!(table.lines().next().expect("header").contains("lifetime_value"));
    assert!(table.contains("Ada Lovelace"));
    // Piped stdout defaults to CSV.
    assert_eq!(book.ok(&["customer", "list"]), csv);
}

#[test]
fn no_header_drops_the_header_row() {
    let book = book_with_ada();
    assert_eq!(
        book.ok(&["customer", "list", "--no-header"]),
        "ada-lovelace,Ada Lovelace,2019-03-02,12000,0,1,,,0,0,12000,typed\n"
    );
    let table = book.ok(&["customer", "list", "--no-header", "--format", "table"]);
    assert!(!table.contains("lifetime_value"));
}

#[test]
fn empty_results_print_a_header_or_brackets_or_nothing() {
    let book = TestBook::new();
    for args in [&["customer", "list"][..], &["flags"]] {
        let csv = book.ok(&[args, &["--format", "csv"]].concat());
        assert_eq!(csv.lines().count(), 1, "{args:?}: only the header");
        assert_eq!(book.ok(&[args, &["--format", "tsv"]].concat()).lines().count(), 1);
        assert_eq!(book.ok(&[args, &["--format", "json"]].concat()), "[]\n");
        assert_eq!(book.ok(&[args, &["--format", "ndjson"]].concat()), "");
        assert_eq!(book.ok(&[args, &["--format", "table"]].concat()), "", "{args:?}: nothing at all");
    }
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_neutralised_unless_raw() {
    let book = book_with_ada();
    let rows = csv_rows(&book.ok(&["flags"]));
    assert_eq!(rows[1][3], "'=HYPERLINK(\"http://evil\",\"x\")");
    let rows = csv_rows(&book.ok(&["flags", "--raw"]));
    assert_eq!(rows[1][3], "=HYPERLINK(\"http://evil\",\"x\")");
}

#[test]
fn excel_csv_has_a_bom_and_crlf() {
    let book = book_with_ada();
    let out = book.ok(&["customer", "list", "--excel"]);
    assert!(out.starts_with('\u{feff}'), "BOM first");
    assert!(out.contains("value_source\r\nada-lovelace"));
    assert!(!book.ok(&["customer", "list"]).starts_with('\u{feff}'), "no BOM by default");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let book = TestBook::new();
    for i in 0..1500 {
        book.write(&format!("customers/c{i}.yaml"), &format!("id: c{i}\nname: Customer number {i} with a long name\n"));
    }
    let mut child =
        book.process().args(["customer", "list"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("read");
    // The reader is dropped here, like `| head -1`.
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        first,
        "id,name,since,lifetime_value,open_incidents,active_flags,last_incident,last_visit,visits,spend,value,value_source\n"
    );
    assert!(out.status.success(), "exit {:?}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "nothing on stderr");
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let book = book_with_ada();
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish"]);
    let piped = book.ok(&["show", "ada", "--format", "table"]);
    assert!(piped.contains("! Allergic to shellfish") && !piped.contains('\x1b'));
    // `script` gives the command a real terminal, where it is available.
    if std::process::Command::new("script").arg("--version").output().is_err() {
        return;
    }
    let shown = format!("{} show ada", assert_cmd::cargo::cargo_bin("care").display());
    let run = |no_color: bool| {
        let mut script = std::process::Command::new("script");
        script.current_dir(book.root()).env("CARE_NOW", common::NOW).env("TERM", "xterm").env_remove("NO_COLOR");
        if no_color {
            script.env("NO_COLOR", "1");
        }
        let out = script.args(["-q", "-e", "-c", &shown, "/dev/null"]).output().expect("script");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = run(false);
    assert!(coloured.contains("\x1b[1;31m! Allergic to shellfish"), "{coloured:?}");
    assert!(!run(true).contains('\x1b'));
}
