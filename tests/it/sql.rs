//! `care sql` answers from a mirror that is never stale and never trusted blindly: its
//! answers equal the built-in reports', every kind of change to the files is seen, a
//! damaged, foreign or locked mirror is rebuilt, and nothing a query says can write.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{TestBook, csv_rows};

const MIRROR: &str = ".care/cache/book.sqlite";

/// A generated book in `b/`; commands run with `-C b`.
fn sample() -> TestBook {
    let dir = TestBook::bare();
    dir.ok(&["demo", "b", "--customers", "30", "--incidents", "300", "--seed", "5"]);
    dir
}

fn in_b<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["-C", "b", "--format", "csv"];
    all.extend_from_slice(args);
    all
}

/// CSV rows (header dropped) as a count per key: the first columns joined, then the count.
fn counts(text: &str, keys: usize, count_column: usize) -> BTreeMap<String, String> {
    csv_rows(text).into_iter().skip(1).map(|r| (r[..keys].join("|"), r[count_column].clone())).collect()
}

#[test]
fn group_by_answers_equal_trends() {
    let dir = sample();
    let trends = dir.ok(&in_b(&["trends", "--by", "staff"]));
    let sql = dir.ok(&in_b(&[
        "sql",
        "SELECT coalesce(nullif(staff, ''), '(none)') AS staff, count(*) AS n FROM incidents GROUP BY 1",
    ]));
    assert_eq!(counts(&trends, 1, 1), counts(&sql, 1, 1));
    assert!(counts(&sql, 1, 1).len() > 2, "{sql}");

    // The book's local weekday and hour, as trends groups them (across DST changes too).
    let trends = dir.ok(&in_b(&["trends", "--by", "weekday,hour"]));
    let sql = dir.ok(&in_b(&["sql", "SELECT weekday, hour, count(*) FROM incidents GROUP BY weekday, hour"]));
    assert_eq!(counts(&trends, 2, 2), counts(&sql, 2, 2));
}

#[test]
fn pending_followups_equal_followup_due() {
    let dir = sample();
    let due = dir.ok(&in_b(&["followup", "due", "--at", "2026-11-25T00:00:00Z"]));
    let mut expected: Vec<String> = csv_rows(&due).into_iter().skip(1).map(|r| format!("{}|{}", r[2], r[5])).collect();
    let sql = dir.ok(&in_b(&[
        "sql",
        "SELECT incident, kind FROM followups WHERE done_at IS NULL AND due <= '2026-11-25T00:00:00Z'",
    ]));
    let mut got: Vec<String> = csv_rows(&sql).into_iter().skip(1).map(|r| r.join("|")).collect();
    expected.sort();
    got.sort();
    assert!(!expected.is_empty());
    assert_eq!(expected, got);
}

/// A book with one incident, whose staff is `billy`; returns its file.
fn one_incident() -> (TestBook, String) {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let id = book.ok(&["recover", "open", "ada", "--what", "Soup was cold", "--staff", "billy"]).trim().to_string();
    (book, format!("incidents/{}/{}/{id}.yaml", &id[0..4], &id[4..6]))
}

fn staff(book: &TestBook) -> String {
    book.ok(&["--format", "csv", "--no-header", "sql", "SELECT staff FROM incidents"]).trim().to_string()
}

#[test]
fn a_hand_edit_with_the_same_size_and_the_old_mtime_is_seen() {
    let (book, file) = one_incident();
    assert_eq!(staff(&book), "billy");
    // An unchanged file is not read again: its row in `files` stays the same.
    let read_as = |book: &TestBook| {
        let q = "SELECT id FROM files WHERE kind = 'incident'";
        book.ok(&["--format", "csv", "--no-header", "sql", q]).trim().to_string()
    };
    let first = read_as(&book);
    assert_eq!(read_as(&book), first);
    let path = book.path(&file);
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let text = book.read(&file).replace("staff: billy", "staff: jimmy");
    std::fs::write(&path, text).unwrap();
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(mtime).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
    assert_eq!(staff(&book), "jimmy");
    assert_ne!(read_as(&book), first);
}

#[test]
fn a_file_renamed_over_another_and_a_deleted_file_are_seen() {
    let (book, file) = one_incident();
    assert_eq!(staff(&book), "billy");
    let path = book.path(&file);
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let tmp = path.with_file_name(".new.tmp");
    std::fs::write(&tmp, book.read(&file).replace("staff: billy", "staff: sally")).unwrap();
    std::fs::File::options().write(true).open(&tmp).unwrap().set_modified(mtime).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    assert_eq!(staff(&book), "sally");

    std::fs::remove_file(&path).unwrap();
    assert_eq!(staff(&book), "");
    assert_eq!(book.ok(&["--format", "csv", "--no-header", "sql", "SELECT count(*) FROM followups"]).trim(), "0");
}

#[test]
fn a_damaged_or_foreign_mirror_is_rebuilt_not_trusted() {
    let (book, _) = one_incident();
    assert_eq!(staff(&book), "billy");
    std::fs::write(book.path(MIRROR), "this is not a database, just a damaged file, long enough to look like one")
        .unwrap();
    assert_eq!(staff(&book), "billy");

    // A mirror of another schema version, holding a row no file has.
    let conn = rusqlite::Connection::open(book.path(MIRROR)).unwrap();
    conn.execute_batch("PRAGMA user_version = 99; INSERT INTO incidents (id, staff) VALUES ('x', 'ghost');").unwrap();
    drop(conn);
    assert_eq!(staff(&book), "billy");

    // Deleting the mirror costs only speed.
    std::fs::remove_file(book.path(MIRROR)).unwrap();
    assert_eq!(staff(&book), "billy");
    assert!(book.path(MIRROR).is_file());
}

#[test]
fn a_locked_mirror_is_rebuilt_rather_than_waited_for_forever() {
    let (book, _) = one_incident();
    assert_eq!(staff(&book), "billy");
    let conn = rusqlite::Connection::open(book.path(MIRROR)).unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE; DELETE FROM incidents;").unwrap();
    let started = std::time::Instant::now();
    assert_eq!(staff(&book), "billy");
    assert!(started.elapsed() < Duration::from_secs(20));
    drop(conn);
    assert_eq!(staff(&book), "billy");
}

#[test]
fn write_statements_and_other_databases_are_refused() {
    let (book, _) = one_incident();
    for sql in [
        "DELETE FROM incidents",
        "UPDATE incidents SET staff = 'x'",
        "INSERT INTO tags VALUES ('a', 'b', 1)",
        "DROP TABLE incidents",
        "CREATE TABLE t (x)",
    ] {
        let out = book.fails(&["sql", sql], 2);
        assert!(out.stderr.contains("care sql only reads"), "{sql}: {}", out.stderr);
    }
    let out = book.fails(&["sql", "ATTACH 'elsewhere.db' AS e"], 2);
    assert!(out.stderr.contains("ATTACH"), "{}", out.stderr);
    assert!(!book.path("elsewhere.db").exists());
    let out = book.fails(&["sql", "SELECT 1; DELETE FROM incidents"], 2);
    assert!(out.stderr.contains("one statement"), "{}", out.stderr);
    assert_eq!(staff(&book), "billy");
}

#[test]
fn a_syntax_error_says_where() {
    let (book, _) = one_incident();
    let out = book.fails(&["sql", "SELECT id\nFROM incidents\nWHERE staff = = 'billy'"], 2);
    assert!(out.stderr.contains("line 3, column"), "{}", out.stderr);
    assert!(out.stderr.contains("WHERE staff = = 'billy'"), "{}", out.stderr);
    let out = book.fails(&["sql", "SELECT nope FROM incidents"], 2);
    assert!(out.stderr.contains("no such column: nope") && out.stderr.contains("--schema"), "{}", out.stderr);
}

#[test]
fn every_format_prints_the_answer() {
    let book = TestBook::new();
    book.ok(&["customer", "add", "=HYPERLINK(\"http://x\")", "--id", "eve", "--value", "1200"]);
    let q = "SELECT id, name, lifetime_value AS value, 2.5 AS half, -5 AS minus FROM customers";
    let csv = book.ok(&["--format", "csv", "sql", q]);
    assert_eq!(csv, "id,name,value,half,minus\neve,\"'=HYPERLINK(\"\"http://x\"\")\",1200,2.5,-5\n");
    let raw = book.ok(&["--format", "csv", "--raw", "sql", q]);
    assert!(raw.contains("\"=HYPERLINK"), "{raw}");
    let tsv = book.ok(&["--format", "tsv", "sql", q]);
    assert!(tsv.starts_with("id\tname\tvalue\thalf\tminus\n"), "{tsv}");
    let json: serde_json::Value = serde_json::from_str(&book.ok(&["--format", "json", "sql", q])).unwrap();
    assert_eq!(json[0]["value"].as_f64(), Some(1200.0));
    assert_eq!(json[0]["half"], 2.5);
    assert_eq!(json[0]["name"], "=HYPERLINK(\"http://x\")");
    let ndjson = book.ok(&["--format", "ndjson", "sql", q]);
    assert_eq!(ndjson.lines().count(), 1);
    let table = book.ok(&["--format", "table", "sql", q]);
    assert!(table.contains("eve") && table.contains("HYPERLINK"), "{table}");
    // An empty answer: only the header in CSV, [] in JSON, nothing in a table.
    let none = "SELECT id FROM customers WHERE id = 'nobody'";
    assert_eq!(book.ok(&["--format", "csv", "sql", none]), "id\n");
    assert_eq!(book.ok(&["--format", "json", "sql", none]).trim(), "[]");
    assert_eq!(book.ok(&["--format", "table", "sql", none]), "");
}

#[test]
fn the_schema_is_printed_and_is_what_queries_see() {
    let book = TestBook::new();
    let schema = book.ok(&["--format", "csv", "sql", "--schema"]);
    let rows = csv_rows(&schema);
    assert_eq!(rows[0], ["table", "column", "type", "meaning"]);
    for table in ["customers", "entries", "flags", "incidents", "incident_fields", "followups", "steps", "tags"] {
        let documented: Vec<&str> = rows.iter().filter(|r| r[0] == table).map(|r| r[1].as_str()).collect();
        assert!(!documented.is_empty(), "{table} is not documented");
        let q = format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid");
        let actual = book.ok(&["--format", "csv", "--no-header", "sql", &q]);
        assert_eq!(actual.lines().collect::<Vec<_>>(), documented, "{table}");
    }
}

#[test]
fn entries_flags_steps_and_extra_fields_are_mirrored() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.ok(&["note", "ada", "Allergic to shellfish", "--pref", "--critical"]);
    let id = book.ok(&["recover", "open", "ada", "--what", "Entrées mixed up", "--staff", "billy"]).trim().to_string();
    book.ok(&["recover", "apologize", &id, "Sorry"]);
    book.ok(&["recover", "fix", &id]);
    let file = format!("incidents/{}/{}/{id}.yaml", &id[0..4], &id[4..6]);
    let text = book.read(&file);
    book.write(&file, &format!("{text}region: midwest\n"));
    let q = |sql: &str| book.ok(&["--format", "csv", "--no-header", "sql", sql]);
    assert_eq!(q("SELECT section, critical FROM entries WHERE text LIKE 'Allergic%'").trim(), "preference,1");
    assert_eq!(q("SELECT count(*) FROM entries WHERE section = 'misstep'").trim(), "1");
    assert_eq!(q("SELECT count(*) FROM flags WHERE incident IS NOT NULL").trim(), "1");
    assert_eq!(q("SELECT step FROM steps ORDER BY at").trim(), "apologized\nfixed");
    assert_eq!(q("SELECT value FROM incident_fields WHERE key = 'region'").trim(), "midwest");
    assert!(q("SELECT kind FROM followups").contains("check-in"));
}

#[test]
fn an_unreadable_record_is_reported_and_the_rest_answered() {
    let (book, _) = one_incident();
    book.write("customers/broken.yaml", "id: [unclosed\n");
    let out = book.fails(&["--format", "csv", "sql", "SELECT staff FROM incidents"], 1);
    assert_eq!(out.stdout, "staff\nbilly\n");
    assert!(out.stderr.contains("customers/broken.yaml"), "{}", out.stderr);
    // Still reported on the next run: a broken file is never recorded as read.
    let out = book.fails(&["--format", "csv", "sql", "SELECT count(*) FROM customers"], 1);
    assert!(out.stderr.contains("customers/broken.yaml"), "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn a_cache_linked_out_of_the_book_is_not_written_through() {
    let (book, _) = one_incident();
    let outside = tempfile::TempDir::new().unwrap();
    std::fs::remove_dir_all(book.path(".care")).ok();
    std::os::unix::fs::symlink(outside.path(), book.path(".care")).unwrap();
    let out = book.care(&["--format", "csv", "--no-header", "sql", "SELECT staff FROM incidents"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout.trim(), "billy");
    assert!(out.stderr.contains("in memory"), "{}", out.stderr);
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0, "nothing written outside the book");
}

#[test]
fn export_sqlite_writes_a_database_other_tools_open() {
    let dir = sample();
    dir.ok(&["-C", "b", "export", "sqlite", "copy.db"]);
    // Relative to where care runs, like any file named on the command line.
    let file = dir.path("copy.db");
    let conn = rusqlite::Connection::open(&file).unwrap();
    let n: i64 = conn.query_row("SELECT count(*) FROM incidents", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 300);
    drop(conn);
    // Written again: replaced, not refused.
    dir.ok(&["-C", "b", "export", "sqlite", "copy.db"]);
    if let Ok(out) = std::process::Command::new("sqlite3").arg(&file).arg("SELECT count(*) FROM customers;").output() {
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "30");
    }
    let out = dir.fails(&["-C", "b", "export", "sqlite"], 2);
    assert!(out.stderr.contains("needs a FILE"), "{}", out.stderr);
    let out = dir.fails(&["-C", "b", "export", "incidents", "x.csv"], 2);
    assert!(out.stderr.contains("only `export sqlite` writes a file"), "{}", out.stderr);
}

#[test]
fn docs_sql_md_documents_every_column() {
    let book = TestBook::new();
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sql.md")).unwrap();
    for row in csv_rows(&book.ok(&["--format", "csv", "sql", "--schema"])).into_iter().skip(1) {
        let section = doc.split(&format!("### {}\n", row[0])).nth(1).unwrap_or_else(|| panic!("no ### {}", row[0]));
        let section = section.split("\n### ").next().unwrap();
        assert!(section.contains(&format!("| `{}` | {} | {} |", row[1], row[2], row[3])), "{row:?}");
    }
}

#[test]
fn a_killed_rebuilds_temporary_file_is_swept() {
    let (book, _) = one_incident();
    book.write(".care/cache/.book.sqlite.tmp-999999999", "left by a rebuild that was killed");
    std::fs::write(book.path(MIRROR), "damaged").unwrap();
    assert_eq!(staff(&book), "billy");
    assert!(!book.path(".care/cache/.book.sqlite.tmp-999999999").exists());
}

/// The rows of `care sql QUERY` on `book` (header dropped), each joined with `|`.
fn answer(book: &TestBook, query: &str) -> Vec<String> {
    csv_rows(&book.ok(&["--format", "csv", "sql", query])).into_iter().skip(1).map(|r| r.join("|")).collect()
}

#[test]
fn visits_reminders_and_actions_are_tables_too_and_are_never_stale() {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--id", "ada"]);
    book.ok(&["visit", "ada", "--at", "2026-11-20 19:30", "--spend", "84", "--party", "2", "--location", "downtown"]);
    book.ok(&["visit", "ada", "--at", "2026-11-21 20:00", "--spend", "40"]);
    book.ok(&["remind", "ada", "--birthday", "03-14"]);
    book.ok(&["remind", "ada", "--due", "2026-11-22 09:00", "--owner", "billy", "Send the menu"]);
    book.ok(&["followup", "done", "ada"]);
    let fix = book
        .ok(&[
            "action",
            "open",
            "--for",
            "staff=billy",
            "--for",
            "weekday=wed",
            "--what",
            "Billy trained",
            "--at",
            "2026-10-01",
        ])
        .trim()
        .to_string();

    assert_eq!(
        answer(&book, "SELECT customer, position, at, spend, party, location FROM visits ORDER BY position"),
        ["ada|0|2026-11-21T00:30:00Z|84|2|downtown", "ada|1|2026-11-22T01:00:00Z|40||"]
    );
    assert_eq!(
        answer(&book, "SELECT customer, count(*), sum(spend) FROM visits GROUP BY customer"),
        ["ada|2|124"],
        "what `customer list` computes as the lifetime value"
    );
    let reminders = answer(&book, "SELECT position, text, every, day, owner FROM reminders ORDER BY position");
    assert_eq!(reminders.len(), 2, "{reminders:?}");
    assert!(reminders[0].starts_with("0|") && reminders[0].ends_with("|1y|03-14|"), "{reminders:?}");
    assert_eq!(reminders[1], "1|Send the menu|||billy");
    assert_eq!(
        answer(&book, "SELECT reminder, occurrence FROM reminder_marks"),
        ["1|2026-11-22T14:00:00Z"],
        "the overdue one was marked done"
    );
    assert_eq!(
        answer(&book, "SELECT id, what, window, verify_due FROM actions"),
        [format!("{fix}|Billy trained|30d|2026-10-31T04:00:00Z")]
    );
    assert_eq!(
        answer(&book, "SELECT position, condition FROM action_for ORDER BY position"),
        ["0|staff=billy", "1|weekday=wed"]
    );
    assert!(answer(&book, "SELECT * FROM verifications").is_empty());

    // Changes to any of them are seen on the next query, like any record's.
    book.ok(&["visit", "ada", "--at", "2026-11-22 12:00", "--spend", "10"]);
    book.ok(&["action", "verify", &fix, "--format", "csv"]);
    assert_eq!(answer(&book, "SELECT count(*), sum(spend) FROM visits"), ["3|134"]);
    assert_eq!(answer(&book, "SELECT action, by FROM verifications"), [format!("{fix}|joan")]);
    std::fs::remove_file(book.path(&format!("actions/{fix}.yaml"))).expect("removes");
    assert_eq!(answer(&book, "SELECT count(*) FROM actions"), ["0"]);
    assert_eq!(answer(&book, "SELECT count(*) FROM verifications"), ["0"]);
}

/// Numbers, a null, a blob, formula-looking text, quotes, a line break and a tab: what
/// every format printed when the whole answer was held before printing, byte for byte,
/// now that rows are printed as SQLite gives them.
#[test]
fn streamed_answers_print_the_same_bytes_in_every_format() {
    let book = TestBook::new();
    let query = "SELECT 1 AS n, 2.5 AS r, NULL AS empty, '=1+1' AS formula, 'Zoë, \"quoted\"' AS text \
                 UNION ALL SELECT -5, 0.125, x'00', 'line\nbreak', 'tab\there'";
    let expected = [
        (
            "csv",
            "n,r,empty,formula,text\n1,2.5,,'=1+1,\"Zoë, \"\"quoted\"\"\"\n-5,0.125,\"<blob, 1 bytes>\",\"line\nbreak\",tab\there\n",
        ),
        (
            "tsv",
            "n\tr\tempty\tformula\ttext\n1\t2.5\t\t'=1+1\tZoë, \"quoted\"\n-5\t0.125\t<blob, 1 bytes>\tline break\ttab here\n",
        ),
        (
            "json",
            "[\n  {\n    \"n\": 1,\n    \"r\": 2.5,\n    \"empty\": null,\n    \"formula\": \"=1+1\",\n    \"text\": \"Zoë, \\\"quoted\\\"\"\n  },\n  {\n    \"n\": -5,\n    \"r\": 0.125,\n    \"empty\": \"<blob, 1 bytes>\",\n    \"formula\": \"line\\nbreak\",\n    \"text\": \"tab\\there\"\n  }\n]\n",
        ),
        (
            "ndjson",
            "{\"n\":1,\"r\":2.5,\"empty\":null,\"formula\":\"=1+1\",\"text\":\"Zoë, \\\"quoted\\\"\"}\n{\"n\":-5,\"r\":0.125,\"empty\":\"<blob, 1 bytes>\",\"formula\":\"line\\nbreak\",\"text\":\"tab\\there\"}\n",
        ),
        (
            "table",
            " n    r      empty             formula   text\n 1    2.50                     =1+1      Zoë, \"quoted\"\n -5   0.12   <blob, 1 bytes>   line      tab\\there\n                               break\n",
        ),
    ];
    for (format, want) in expected {
        assert_eq!(book.ok(&["sql", query, "--format", format]), want, "{format}");
    }
    let excel = book.ok(&["sql", query, "--format", "csv", "--excel", "--no-header"]);
    assert_eq!(
        excel,
        "\u{feff}1,2.5,,'=1+1,\"Zoë, \"\"quoted\"\"\"\r\n-5,0.125,\"<blob, 1 bytes>\",\"line\nbreak\",tab\there\r\n"
    );
    // No rows: the header alone, `[]`, nothing at all.
    let none = "SELECT 1 AS a WHERE 0";
    assert_eq!(book.ok(&["sql", none, "--format", "csv"]), "a\n");
    assert_eq!(book.ok(&["sql", none, "--format", "json"]), "[]\n");
    assert_eq!(book.ok(&["sql", none, "--format", "ndjson"]), "");
    assert_eq!(book.ok(&["sql", none, "--format", "table"]), "");
}

/// A long answer in every data format is the same rows; a table longer than a block is
/// printed in blocks, every row once, and says so.
#[test]
fn a_long_answer_is_whole_in_every_format_and_a_long_table_comes_in_blocks() {
    let book = TestBook::new();
    let query = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 25000) \
                 SELECT x, 'row ' || x AS t FROM c";
    let csv = book.ok(&["sql", query, "--format", "csv"]);
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 25_001);
    assert_eq!(rows[25_000], ["25000", "row 25000"]);
    let ndjson = book.ok(&["sql", query, "--format", "ndjson"]);
    assert_eq!(ndjson.lines().count(), 25_000);
    assert_eq!(ndjson.lines().last(), Some(r#"{"x":25000,"t":"row 25000"}"#));
    let json: serde_json::Value =
        serde_json::from_str(&book.ok(&["sql", query, "--format", "json"])).expect("the JSON array parses");
    assert_eq!(json.as_array().map(Vec::len), Some(25_000));
    let tsv = book.ok(&["sql", query, "--format", "tsv"]);
    assert_eq!(tsv.replace('\t', ","), csv);

    let table = book.care(&["sql", query, "--format", "table"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 25_001, "one header, every row once");
    assert_eq!(lines[0].split_whitespace().collect::<Vec<_>>(), ["x", "t"]);
    for (n, line) in lines[1..].iter().enumerate() {
        assert_eq!(
            line.split_whitespace().collect::<Vec<_>>(),
            [(n + 1).to_string(), "row".into(), (n + 1).to_string()]
        );
    }
    assert!(table.stderr.contains("blocks of up to 10000 rows"), "{}", table.stderr);
    // Up to a block, a table is what it always was, and nothing is said.
    let short = book.care(&["sql", "SELECT 1 AS a", "--format", "table"]);
    assert_eq!((short.stdout.as_str(), short.stderr.as_str()), (" a\n 1\n", ""));
}

/// An endless recursive query is stopped at its time limit: exit 1, naming the limit and
/// how to raise it.
#[test]
fn the_time_limit_stops_an_endless_recursive_query() {
    let book = TestBook::new();
    let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    let out = book.fails(&["sql", endless, "--timeout", "1500ms"], 1);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("stopped after running for 1500ms"), "{}", out.stderr);
    assert!(out.stderr.contains("--timeout 5m"), "{}", out.stderr);
}

/// A time limit that is no time, or not a duration, is a usage error before any query.
#[test]
fn a_time_limit_must_be_a_duration_up_to_a_day() {
    let book = TestBook::new();
    for bad in ["0m", "0", "-5m", "banana", "", "1e30", "99999999999999999999m", "25h", "1w"] {
        let out = book.fails(&["sql", "SELECT 1", &format!("--timeout={bad}")], 2);
        assert!(out.stderr.contains("--timeout"), "{bad}: {}", out.stderr);
    }
    assert_eq!(book.ok(&["sql", "SELECT 1 AS a", "--timeout", "2h", "--format", "csv"]), "a\n1\n");
    assert_eq!(book.ok(&["sql", "SELECT 1 AS a", "--timeout", "30", "--format", "csv"]), "a\n1\n");
}

/// A reader that goes away (`| head -1`) ends an endless answer quietly at once.
#[test]
fn an_endless_answer_ends_when_its_reader_goes_away() {
    use std::io::BufRead;
    let book = TestBook::new();
    let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c";
    let mut child = book
        .process()
        .args(["sql", endless, "--format", "csv"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    assert_eq!(lines.next().map(Result::ok), Some(Some("x".to_string())));
    assert_eq!(lines.next().map(Result::ok), Some(Some("1".to_string())));
    drop(lines);
    let out = child.wait_with_output().expect("ends");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
