//! Export for spreadsheets; import from them.

use crate::common;

use std::path::Path;

use common::{TestBook, copy_dir, csv_rows};

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
        ("followups", "incident,customer,owner,kind,due,done_at,done_by,how,missed_by,text,status,location", 0),
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

    // --update takes the spreadsheet's fields and keeps everything else; only Bob's
    // email differs from the book, so only his file is written.
    let out = book.ok(&["import", "customers", "guests.csv", "--update"]);
    assert_eq!(csv_rows(&out).iter().filter(|r| r[1] == "updated").count(), 1, "{out}");
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

/// Every file under `dir`, by path relative to it, with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("inside").display().to_string();
                files.push((rel, std::fs::read(&path).expect("read")));
            }
        }
    }
    files.sort();
    files
}

/// A spreadsheet round trip (export, edit nothing, import --update) changes no byte of any
/// record of any example book, rewrites no file, and exports the same bytes again.
#[test]
fn export_then_import_update_leaves_every_example_book_byte_identical() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut books: Vec<_> = std::fs::read_dir(&examples).expect("examples").flatten().map(|e| e.path()).collect();
    books.sort();
    assert!(books.len() >= 3, "{books:?}");
    for example in books.iter().filter(|b| b.join("care.yaml").is_file()) {
        let name = example.file_name().expect("name").to_string_lossy().into_owned();
        let dir = TestBook::bare();
        copy_dir(example, &dir.path(&name));
        let before = snapshot(&dir.path(&name));
        let mtimes: Vec<_> = before
            .iter()
            .map(|(rel, _)| std::fs::metadata(dir.path(&name).join(rel)).expect("stat").modified().expect("mtime"))
            .collect();
        let first = dir.ok(&["-C", &name, "export", "customers"]);
        assert!(first.contains(",'+"), "{name}: some phone is neutralised, so the test means something");
        dir.write("c.csv", &first);
        let dry = dir.ok(&["-C", &name, "import", "customers", "c.csv", "--update", "--dry-run"]);
        assert!(csv_rows(&dry).iter().skip(1).all(|r| r[1] == "unchanged"), "{name}: {dry}");
        let out = dir.ok(&["-C", &name, "import", "customers", "c.csv", "--update"]);
        assert!(csv_rows(&out).iter().skip(1).all(|r| r[1] == "unchanged"), "{name}: {out}");
        let after = snapshot(&dir.path(&name));
        for ((rel, old), (_, new)) in before.iter().zip(&after) {
            assert!(old == new, "{name}/{rel} changed:\n{}", String::from_utf8_lossy(new));
        }
        assert_eq!(before.len(), after.len(), "{name}: files added or removed");
        for ((rel, _), mtime) in before.iter().zip(&mtimes) {
            let now = std::fs::metadata(dir.path(&name).join(rel)).expect("stat").modified().expect("mtime");
            assert_eq!(&now, mtime, "{name}/{rel} was rewritten");
        }
        assert_eq!(dir.ok(&["-C", &name, "export", "customers"]), first, "{name}: second export");
    }
}

/// Entries cannot come from a cell: a spreadsheet with text under `notes`, or a `flags`
/// column, is refused before anything is written, naming the column and what to do.
#[test]
fn columns_that_would_replace_entries_are_refused_and_nothing_is_written() {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--phone", "+1 555 0100"]);
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish"]);
    book.ok(&["flag", "ada", "Rough evening"]);
    let before = snapshot(&book.path("customers"));
    let sheets = [
        ("notes.csv", "name,notes\nAda Lovelace,Wife is ill\nBob Adams,\n", "column `notes`", "care note"),
        ("prefs.csv", "name,preferences\nBob Adams,Window seat\n", "column `preferences`", "--pref"),
        ("flags.csv", "name,flags\nAda Lovelace,\nBob Adams,Rude\n", "column `flags`", "care flag"),
        ("contact.csv", "name,contact\nBob Adams,bob@example.com\n", "column `contact`", "email"),
        ("remember.csv", "name,remember\nBob Adams,Vegan\n", "column `remember`", "--critical"),
        ("ada.csv", "name,remember\nAda Lovelace,Vegan\n", "column `remember`", "--critical"),
    ];
    for (file, text, names, what) in sheets {
        book.write(file, text);
        for update in [false, true] {
            let mut args = vec!["import", "customers", file];
            if update {
                args.push("--update");
            }
            if file == "ada.csv" && !update {
                continue; // without --update, Ada's row is left alone anyway
            }
            let out = book.fails(&args, 1);
            assert!(out.stderr.contains(names), "{file}: {}", out.stderr);
            assert!(out.stderr.contains(what), "{file}: {}", out.stderr);
            assert!(out.stderr.contains("nothing was imported"), "{file}: {}", out.stderr);
            assert_eq!(snapshot(&book.path("customers")), before, "{file}: something was written");
        }
    }
    // The export's own counts read back as no change, and a plain extra column is a field.
    book.write("ok.csv", "name,notes,preferences,active_flags,table\nAda Lovelace,0,1,1,corner\n");
    book.ok(&["import", "customers", "ok.csv", "--update"]);
    let ada = book.yaml("customers/ada-lovelace.yaml");
    assert_eq!(ada["table"], "corner");
    assert_eq!(ada["preferences"][0]["text"], "Allergic to shellfish");
    assert_eq!(ada["flags"][0]["text"], "Rough evening");
}

#[test]
fn dry_run_shows_each_change_and_writes_nothing() {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--phone", "+1 555 0100", "--since", "2019-03-02"]);
    let before = snapshot(book.root());
    book.write(
        "c.csv",
        "id,name,phone,email,lifetime_value\nada-lovelace,Ada Lovelace,+1 555 0199,ada@example.com,\n,Bob Adams,,,50\n",
    );
    let before_csv = snapshot(book.root());
    let out = book.care(&["import", "customers", "c.csv", "--update", "--dry-run"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "id,action,line,field,old,new\n\
         ada-lovelace,update,2,contact.email,,ada@example.com\n\
         ada-lovelace,update,2,contact.phone,'+1 555 0100,'+1 555 0199\n\
         bob-adams,create,3,,,\n"
    );
    assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
    assert_eq!(snapshot(book.root()), before_csv);
    assert_eq!(before.len() + 1, before_csv.len());
    book.ok(&["import", "customers", "c.csv", "--update"]);
    let ada = book.yaml("customers/ada-lovelace.yaml");
    assert_eq!(ada["contact"]["phone"], "+1 555 0199");
    assert_eq!(ada["since"], "2019-03-02", "an empty or missing cell changes nothing");
}

/// A phone starting with `+` is neutralised on export and restored on import, however many
/// times the spreadsheet goes round; a `'` that is the text's own stays.
#[test]
fn a_phone_with_a_leading_plus_survives_round_trips() {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--phone", "+1 303 555 0100"]);
    book.ok(&["customer", "add", "Bob Adams", "--phone", "'=not a formula"]);
    let record = book.read("customers/ada-lovelace.yaml");
    let first = book.ok(&["export", "customers"]);
    assert!(first.contains(",'+1 303 555 0100,"), "{first}");
    for _ in 0..3 {
        book.write("c.csv", &book.ok(&["export", "customers"]));
        book.ok(&["import", "customers", "c.csv", "--update"]);
    }
    assert_eq!(book.read("customers/ada-lovelace.yaml"), record);
    assert_eq!(book.yaml("customers/bob-adams.yaml")["contact"]["phone"], "'=not a formula");
    assert_eq!(book.ok(&["export", "customers"]), first);
    // An edit made in the spreadsheet comes through without the quote.
    book.write("c.csv", &first.replace("'+1 303 555 0100", "'+1 303 555 0199"));
    book.ok(&["import", "customers", "c.csv", "--update"]);
    assert_eq!(book.yaml("customers/ada-lovelace.yaml")["contact"]["phone"], "+1 303 555 0199");
}
