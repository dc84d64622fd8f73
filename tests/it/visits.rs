//! Visits: `care visit`, and what they give the card, `show -` and `customer list`.

use crate::common;

use common::{TestBook, csv_rows};

fn ada(book: &TestBook) {
    book.ok(&["customer", "add", "Ada Lovelace", "--phone", "+1 555 0100", "--since", "2019-03-02"]);
}

#[test]
fn a_visit_is_stored_on_the_customer_record_and_the_same_visit_twice_is_one() {
    let book = TestBook::new();
    ada(&book);
    let args = ["visit", "ada", "--at", "yesterday 19:30", "--spend", "84", "--party", "2", "--location", "downtown"];
    book.ok(&args);
    let again = book.care(&args);
    assert_eq!(again.code, 0);
    assert!(again.stderr.contains("already has a visit"), "{}", again.stderr);
    let text = book.read("customers/ada-lovelace.yaml");
    assert!(
        text.ends_with(
            "visits:\n- at: 2026-11-21T19:30:00-05:00\n  by: joan\n  spend: 84\n  party: 2\n  location: downtown\n"
        ),
        "{text}"
    );
    // The future is refused: a visit already happened.
    book.fails(&["visit", "ada", "--at", "tomorrow"], 2);
    book.fails(&["visit", "ada", "--spend", "-3"], 2);
}

#[test]
fn the_card_shows_visits_and_a_computed_lifetime_value_when_none_is_typed() {
    let book = TestBook::new();
    ada(&book);
    book.ok(&["visit", "ada", "--at", "2026-11-01 19:00", "--spend", "100"]);
    book.ok(&["visit", "ada", "--at", "2026-11-15 20:00", "--spend", "60.5"]);
    let card = book.ok(&["show", "ada", "--format", "table"]);
    assert!(card.contains("lifetime value 160.50 (computed)"), "{card}");
    assert!(card.contains("2 visits, last 2026-11-15 20:00 (7 days ago), spend 160.50"), "{card}");
    let json = book.ok(&["show", "ada", "--format", "json"]);
    assert!(json.contains("\"lifetime_value_source\": \"computed\""), "{json}");

    // A typed value wins, and the card says which.
    let text = book
        .read("customers/ada-lovelace.yaml")
        .replace("since: 2019-03-02\n", "since: 2019-03-02\nlifetime_value: 12000\n");
    book.write("customers/ada-lovelace.yaml", &text);
    let card = book.ok(&["show", "ada", "--format", "table"]);
    assert!(card.contains("lifetime value 12000 (typed; visits add up to 160.50)"), "{card}");
}

#[test]
fn customer_list_has_last_visit_count_spend_and_the_value_with_its_source() {
    let book = TestBook::new();
    ada(&book);
    book.add("Bob Adams");
    book.ok(&["visit", "ada", "--at", "2026-11-15 20:00", "--spend", "60"]);
    let rows = csv_rows(&book.ok(&["customer", "list"]));
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("no {name}: {:?}", rows[0]));
    let ada = &rows[1];
    assert_eq!(ada[col("last_visit")], "2026-11-15T20:00:00-05:00");
    assert_eq!((ada[col("visits")].as_str(), ada[col("spend")].as_str()), ("1", "60"));
    assert_eq!((ada[col("value")].as_str(), ada[col("value_source")].as_str()), ("60", "computed"));
    let bob = &rows[2];
    assert_eq!(
        (bob[col("visits")].as_str(), bob[col("value")].as_str(), bob[col("value_source")].as_str()),
        ("0", "", "")
    );
}

#[test]
fn tonights_arrivals_show_days_since_the_last_visit_and_whether_it_went_wrong() {
    let book = TestBook::new();
    ada(&book);
    book.add("Bob Adams");
    book.add("Cy Young");
    book.ok(&["visit", "ada", "--at", "2026-11-20 19:00", "--spend", "80"]);
    book.ok(&["recover", "open", "ada", "--what", "Cold soup", "--at", "2026-11-20 19:40"]);
    book.ok(&["visit", "bob", "--at", "2026-11-02 19:00"]);
    let out = book.cmd().args(["show", "-"]).write_stdin("ada\nbob\ncy\n").output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = csv_rows(&String::from_utf8_lossy(&out.stdout));
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("no {name}"));
    let (d, w) = (col("days_since_visit"), col("last_visit_went_wrong"));
    assert_eq!(rows[1][d], "2");
    assert!(rows[1][w].starts_with("yes: 2026112"), "{:?}", rows[1]);
    assert_eq!((rows[2][d].as_str(), rows[2][w].as_str()), ("20", "no"));
    assert_eq!((rows[3][d].as_str(), rows[3][w].as_str()), ("", ""));
}

#[test]
fn fields_care_does_not_know_are_shown_on_the_card() {
    let book = TestBook::new();
    ada(&book);
    let text = book.read("customers/ada-lovelace.yaml") + "allergies: peanuts\n";
    book.write("customers/ada-lovelace.yaml", &text);
    let card = book.ok(&["show", "ada", "--format", "table"]);
    assert!(card.contains("Also on file\n  allergies: peanuts"), "{card}");
}

#[test]
fn import_visits_matches_by_id_email_phone_or_name_reports_unmatched_and_never_duplicates() {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--email", "ada@example.com", "--phone", "+1 555 0100"]);
    book.add("Bob Adams");
    book.write(
        "bookings.csv",
        "Visit Date,Guest,E-mail,Phone,Total,Covers,Site\n\
         2026-11-01 19:00,Somebody Else,ada@example.com,,80,2,downtown\n\
         2026-11-02 20:00,,,(555) 0100,\"$1,200.50\",4,downtown\n\
         2026-11-03 19:30,bob adams,,,30,1,uptown\n\
         2026-11-04 19:30,Zed Nobody,,,10,1,uptown\n",
    );
    let map = "date=Visit Date,name=Guest,email=E-mail,phone=Phone,spend=Total,party=Covers,location=Site";
    let out = book.care(&["import", "visits", "bookings.csv", "--map", map]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("no customer matches \"Zed Nobody\""), "{}", out.stderr);
    let rows = csv_rows(&out.stdout);
    let actions: Vec<(&str, &str)> = rows[1..].iter().map(|r| (r[1].as_str(), r[3].as_str())).collect();
    assert_eq!(
        actions,
        [("ada-lovelace", "added"), ("ada-lovelace", "added"), ("bob-adams", "added"), ("", "unmatched")]
    );
    let ada = book.yaml("customers/ada-lovelace.yaml");
    assert_eq!(ada["visits"].as_sequence().map(Vec::len), Some(2));
    assert_eq!(ada["visits"][1]["spend"].as_f64(), Some(1200.5));
    // Again: nothing new.
    let again = csv_rows(&book.ok(&["import", "visits", "bookings.csv", "--map", map]));
    assert!(again[1..3].iter().all(|r| r[3] == "already there"), "{again:?}");
    assert_eq!(book.yaml("customers/ada-lovelace.yaml")["visits"].as_sequence().map(Vec::len), Some(2));
    book.fails(&["import", "visits", "bookings.csv", "--map", "colour=Site"], 2);
    book.fails(&["import", "visits", "bookings.csv"], 2);
}

#[test]
fn a_crlf_export_with_a_bom_names_the_right_lines_and_a_dry_run_says_it_wrote_nothing() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.write(
        "bookings.csv",
        "\u{feff}Visit Date,Guest,Total\r\n2026-11-15 19:00,Ada Lovelace,\"$1,200.50\"\r\n2026-11-16 20:00,Nobody \u{7}Here,40\r\n",
    );
    let map = ["--map", "date=Visit Date,name=Guest,spend=Total"];
    let mut args = vec!["import", "visits", "bookings.csv"];
    args.extend(map);
    args.push("--dry-run");
    let out = book.care(&args);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("2,ada-lovelace,2026-11-15T19:00:00-05:00,would add"), "{}", out.stdout);
    assert!(out.stdout.contains("3,,2026-11-16T20:00:00-05:00,unmatched"), "{}", out.stdout);
    assert!(out.stderr.contains("bookings.csv:3: no customer matches \"Nobody \\u{7}Here\""), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
    assert!(!book.read("customers/ada-lovelace.yaml").contains("visits"));
    args.pop();
    book.ok(&args);
    assert!(book.read("customers/ada-lovelace.yaml").contains("spend: 1200.5"));
}

#[test]
fn a_party_that_is_not_a_whole_number_refuses_the_file() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.write("bookings.csv", "date,name,party\n2026-11-15 19:00,Ada Lovelace,2.7\n2026-11-16 19:00,Ada Lovelace,2\n");
    let out = book.fails(&["import", "visits", "bookings.csv"], 1);
    assert!(out.stderr.contains("bookings.csv:2: party \"2.7\" is not a whole number"), "{}", out.stderr);
    assert!(!book.read("customers/ada-lovelace.yaml").contains("visits"), "nothing imported");
}

#[test]
fn a_party_of_nobody_is_refused() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let out = book.fails(&["visit", "ada", "--party", "0"], 2);
    assert!(out.stderr.contains("--party"), "{}", out.stderr);
    assert!(!book.read("customers/ada-lovelace.yaml").contains("visits"));
}

#[test]
fn rows_after_a_cell_of_several_lines_are_named_by_their_own_lines() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.write(
        "bookings.csv",
        "date,name,note\r\n\
         2026-11-01 19:00,Ada Lovelace,\"allergic to nuts\r\nask the chef\"\r\n\
         \r\n\
         2026-11-02 19:00,Zed Nobody,\r\n\
         2026-11-03 19:00,Ada Lovelace,\"three\nlines\nhere\"\r\n\
         someday,Ada Lovelace,\r\n",
    );
    let out = book.fails(&["import", "visits", "bookings.csv"], 1);
    assert!(out.stderr.contains("bookings.csv:9: date: "), "{}", out.stderr);
    assert!(out.stderr.contains("1 problem(s) in bookings.csv"), "{}", out.stderr);
    assert!(!book.read("customers/ada-lovelace.yaml").contains("visits"), "nothing imported");

    let text = book.read("bookings.csv").replace("someday", "2026-11-04 19:00");
    book.write("bookings.csv", &text);
    let out = book.care(&["import", "visits", "bookings.csv"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("bookings.csv:5: no customer matches \"Zed Nobody\""), "{}", out.stderr);
    let lines: Vec<(String, String)> =
        csv_rows(&out.stdout)[1..].iter().map(|r| (r[0].clone(), r[3].clone())).collect();
    let want = [("2", "added"), ("5", "unmatched"), ("6", "added"), ("9", "added")];
    assert_eq!(lines, want.map(|(l, a)| (l.to_string(), a.to_string())));
    let ada = book.yaml("customers/ada-lovelace.yaml");
    assert_eq!(ada["visits"][0]["note"].as_str(), Some("allergic to nuts\r\nask the chef"));
}

#[test]
fn a_row_twice_in_one_export_is_one_visit_and_a_re_run_writes_nothing() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.add("Bob Adams");
    let export = "date,name,location,spend\n\
                  2026-11-01 19:00,Bob Adams,downtown,10\n\
                  2026-11-01 19:00,Ada Lovelace,downtown,20\n\
                  2026-11-01 19:00,Ada Lovelace,uptown,30\n\
                  2026-11-01 19:00,ada lovelace,downtown,20\n";
    book.write("bookings.csv", export);
    let out = book.care(&["import", "visits", "bookings.csv"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let actions: Vec<String> = csv_rows(&out.stdout)[1..].iter().map(|r| r[3].clone()).collect();
    assert_eq!(actions, ["added", "added", "added", "already there"], "the same time and place twice is one visit");
    assert!(out.stderr.contains("3 visits added, 1 already there, 0 unmatched"), "{}", out.stderr);
    assert_eq!(book.yaml("customers/ada-lovelace.yaml")["visits"].as_sequence().map(Vec::len), Some(2));

    let before = std::fs::metadata(book.path("customers/ada-lovelace.yaml")).and_then(|m| m.modified()).expect("mtime");
    let text = book.read("customers/ada-lovelace.yaml");
    let again = book.cmd().args(["import", "visits", "-"]).write_stdin(export).output().expect("runs");
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let rows = csv_rows(&String::from_utf8_lossy(&again.stdout));
    assert!(rows[1..].iter().all(|r| r[3] == "already there"), "{rows:?}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("Imported -: 0 visits added, 4 already there"));
    assert_eq!(book.read("customers/ada-lovelace.yaml"), text);
    let after = std::fs::metadata(book.path("customers/ada-lovelace.yaml")).and_then(|m| m.modified()).expect("mtime");
    assert_eq!(before, after, "a re-run that adds nothing does not rewrite the file");
}

#[test]
fn an_export_of_many_rows_prints_every_row_in_the_files_order() {
    let book = TestBook::new();
    let names = ["Ada Lovelace", "Bob Adams", "Cy Young"];
    names.iter().for_each(|n| drop(book.add(n)));
    let mut export = String::from("date,name,spend\n");
    for n in 0..3000 {
        export.push_str(&format!("2026-{:02}-{:02} 19:{:02},{},{n}\n", 1 + n % 10, 1 + n % 28, n % 60, names[n % 3]));
    }
    book.write("bookings.csv", &export);
    let out = book.ok(&["import", "visits", "bookings.csv", "--format", "csv"]);
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 3001);
    for (n, row) in rows[1..].iter().enumerate() {
        assert_eq!(row[0], (n + 2).to_string());
        assert_eq!(row[1], ["ada-lovelace", "bob-adams", "cy-young"][n % 3]);
    }
    let times: std::collections::HashSet<_> = (1..3000).step_by(3).map(|n| (n % 10, n % 28, n % 60)).collect();
    let bob = book.yaml("customers/bob-adams.yaml");
    assert_eq!(bob["visits"].as_sequence().map(Vec::len), Some(times.len()), "a visit per time, once");
}
