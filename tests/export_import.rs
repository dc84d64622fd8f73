//! Export for spreadsheets; import from them.

mod common;

use common::{TestBook, csv_rows};

fn trattoria() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/examples/trattoria").to_string()
}

#[test]
fn export_every_kind_of_the_sample_book_in_every_format() {
    let dir = TestBook::bare();
    let book = trattoria();
    let expected = [
        (
            "customers",
            "id,name,since,email,phone,lifetime_value,remember,roles,goals,preferences,notes,missteps,active_flags",
            12,
        ),
        (
            "incidents",
            "id,customer,opened,staff,owner,product,location,channel,busyness,summary,circumstances,tags,apologized,reviewed,fixed,extra,extra_value,closed,minutes_to_fix,status",
            7,
        ),
        ("notes", "customer,name,kind,text,at,by,critical,incident,retired", 0),
        ("followups", "incident,customer,owner,kind,due,done_at,done_by,how,missed_by,text,status", 0),
        ("flags", "customer,name,n,text,raised,by,until,incident,status", 0),
    ];
    for (kind, header, count) in expected {
        let csv = dir.ok(&["-C", &book, "export", kind]);
        let rows = csv_rows(&csv);
        assert_eq!(rows[0].join(","), header, "{kind}");
        assert!(rows.len() > 1, "{kind} is empty");
        if count > 0 {
            assert_eq!(rows.len() - 1, count, "{kind}");
        }
        assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{kind}: ragged rows");
        let json: serde_json::Value =
            serde_json::from_str(&dir.ok(&["-C", &book, "export", kind, "--format", "json"])).expect("json");
        assert_eq!(json.as_array().expect("array").len(), rows.len() - 1, "{kind}");
        let ndjson = dir.ok(&["-C", &book, "export", kind, "--format", "ndjson"]);
        assert_eq!(ndjson.lines().count(), rows.len() - 1, "{kind}");
        let tsv = dir.ok(&["-C", &book, "export", kind, "--format", "tsv"]);
        assert_eq!(tsv.lines().count(), rows.len(), "{kind}: one TSV line per row");
        assert!(!dir.ok(&["-C", &book, "export", kind, "--format", "table"]).is_empty());
    }
    // Ada's open incident has a pending progress follow-up.
    let followups = csv_rows(&dir.ok(&["-C", &book, "export", "followups"]));
    assert!(followups.iter().any(|r| r[1] == "ada-lovelace" && r[3] == "progress" && r[10] == "pending"));
    let notes = csv_rows(&dir.ok(&["-C", &book, "export", "notes"]));
    assert!(notes.iter().any(|r| r[3] == "Allergic to shellfish" && r[6] == "yes"));
}

const GUESTS: &str = "\u{feff}name,email,phone,since,lifetime_value,table\r\n\
\"Lovelace, Ada\",ada@example.com,+1 555 0100,2019-03-02,12000,\"corner,\r\nby the window\"\r\n\
Bob Adams,bob@example.com,,,,\r\n\
\"Cy \"\"The Chef\"\" Young\",,,,350.5,7\r\n";

#[test]
fn import_reads_quotes_commas_newlines_and_a_bom_and_does_not_duplicate() {
    let book = TestBook::new();
    book.write("guests.csv", GUESTS);
    let out = book.ok(&["import", "customers", "guests.csv"]);
    assert_eq!(out, "id,action,line\nlovelace-ada,created,2\nbob-adams,created,4\ncy-the-chef-young,created,5\n");
    let ada = book.yaml("customers/lovelace-ada.yaml");
    assert_eq!(ada["name"], "Lovelace, Ada");
    assert_eq!(ada["contact"]["phone"], "+1 555 0100");
    assert_eq!(ada["lifetime_value"], 12000);
    assert_eq!(ada["table"], "corner,\r\nby the window", "a cell is kept exactly");
    assert_eq!(book.yaml("customers/bob-adams.yaml")["since"], "2026-11-22");
    assert_eq!(book.yaml("customers/cy-the-chef-young.yaml")["lifetime_value"], 350.5);

    // A hand edit since the import survives a re-run, and nothing is duplicated.
    book.ok(&["note", "bob", "Regular on Fridays"]);
    let mut bob = book.read("customers/bob-adams.yaml");
    bob = bob.replace("email: bob@example.com", "email: bob@adams.example");
    book.write("customers/bob-adams.yaml", &bob);
    let out = book.ok(&["import", "customers", "guests.csv"]);
    assert_eq!(csv_rows(&out).iter().filter(|r| r[1] == "unchanged").count(), 3);
    assert_eq!(
        std::fs::read_dir(book.path("customers"))
            .expect("dir")
            .filter(|e| e.as_ref().is_ok_and(|e| !e.file_name().to_string_lossy().starts_with('.')))
            .count(),
        3
    );
    assert_eq!(book.read("customers/bob-adams.yaml"), bob);

    // --update takes the spreadsheet's fields and keeps everything else.
    let out = book.ok(&["import", "customers", "guests.csv", "--update"]);
    assert_eq!(csv_rows(&out).iter().filter(|r| r[1] == "updated").count(), 3);
    let bob = book.yaml("customers/bob-adams.yaml");
    assert_eq!(bob["contact"]["email"], "bob@example.com");
    assert_eq!(bob["notes"][0]["text"], "Regular on Fridays");
}

#[test]
fn a_bad_row_is_named_by_line_and_nothing_is_written() {
    let book = TestBook::new();
    book.write("guests.csv", &format!("{GUESTS}Dee,,,someday,,\r\n,,,,,\r\n"));
    let out = book.fails(&["import", "customers", "guests.csv"], 1);
    assert!(out.stderr.contains("guests.csv:6:") && out.stderr.contains("someday"), "{}", out.stderr);
    assert!(out.stderr.contains("guests.csv:7:") && out.stderr.contains("name"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was imported"));
    assert_eq!(std::fs::read_dir(book.path("customers")).expect("dir").count(), 0);

    book.write("bad.csv", "name,id\nAda,../x\n");
    let out = book.fails(&["import", "customers", "bad.csv"], 1);
    assert!(out.stderr.contains("bad.csv:2:") && out.stderr.contains("not a valid customer id"), "{}", out.stderr);
    book.write("noname.csv", "who,email\nAda,a@b\n");
    assert!(book.fails(&["import", "customers", "noname.csv"], 1).stderr.contains("no `name` column"));
    std::fs::write(book.path("latin1.csv"), b"name\nJos\xe9\n").expect("write");
    assert!(book.fails(&["import", "customers", "latin1.csv"], 1).stderr.contains("UTF-8"));
    book.fails(&["import", "customers", "missing.csv"], 1);
}

#[test]
fn import_reads_stdin() {
    let book = TestBook::new();
    let out =
        book.cmd().args(["import", "customers", "-"]).write_stdin("name,id\nAda Lovelace,ada\n").output().expect("run");
    assert!(out.status.success());
    assert_eq!(book.yaml("customers/ada.yaml")["name"], "Ada Lovelace");
}
