//! One SQLite database in `.care/cache` is the index behind `trends`, `followup due`,
//! `customer list` and `winback`, and the tables of `care sql`. Whatever happens to the
//! files or to the database, every report answers as reading the files would.

use crate::common;

use std::path::{Path, PathBuf};

use common::{TestBook, csv_rows};

const DB: &str = ".care/cache/book.sqlite";

/// A generated book in `b/`, with visits and a reminder, the index built by one run.
fn sample() -> TestBook {
    let dir = TestBook::bare();
    dir.ok(&["demo", "b", "--customers", "40", "--incidents", "300", "--visits", "400", "--seed", "7"]);
    let someone = first(&dir.path("b/customers"));
    let id = someone.file_stem().expect("stem").to_string_lossy().into_owned();
    dir.ok(&["-C", "b", "remind", &id, "--due", "2026-11-24", "call about the birthday"]);
    let text = std::fs::read_to_string(&someone).expect("read");
    std::fs::write(&someone, format!("{text}tier: gold\n")).expect("write");
    dir
}

/// Every report the index serves, as CSV, with the cache on or off.
fn answers(dir: &TestBook, cache: bool) -> Vec<String> {
    let commands: [&[&str]; 6] = [
        &["trends", "--by", "staff,hour"],
        &["trends", "--by", "region,tag"],
        &["followup", "due", "--at", "in 30d"],
        &["customer", "list"],
        &["customer", "list", "--where", "tier=gold"],
        &["winback"],
    ];
    commands
        .iter()
        .map(|args| {
            let mut cmd = dir.cmd();
            cmd.env("CARE_NO_CACHE", if cache { "0" } else { "1" });
            let out = cmd.args(["-C", "b", "--format", "csv"]).args(*args).output().expect("run");
            assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
        .collect()
}

fn first(dir: &Path) -> PathBuf {
    let mut found = common::yaml_files(dir);
    found.sort();
    found.remove(0)
}

/// Replace `from` by `to` (same length) in a file, keeping its size and putting its old
/// modification time back: only the status-change time tells.
fn edit_keeping_size_and_mtime(file: &Path, from: &str, to: &str) {
    assert_eq!(from.len(), to.len());
    let text = std::fs::read_to_string(file).expect("read");
    assert!(text.contains(from), "{from} in {}", file.display());
    let mtime = std::fs::metadata(file).expect("meta").modified().expect("mtime");
    std::fs::write(file, text.replacen(from, to, 1)).expect("write");
    std::fs::File::options().write(true).open(file).expect("open").set_modified(mtime).expect("mtime");
    assert_eq!(std::fs::metadata(file).expect("meta").len() as usize, text.len());
}

#[test]
fn reports_through_the_index_equal_reading_every_file() {
    let dir = sample();
    let truth = answers(&dir, false);
    assert!(!dir.path("b").join(DB).exists(), "CARE_NO_CACHE writes no index");
    assert_eq!(answers(&dir, true), truth, "while building the index");
    assert!(dir.path("b").join(DB).exists());
    assert_eq!(answers(&dir, true), truth, "from the warm index");
    assert!(truth[2].contains("call about the birthday"), "the reminder is due: {}", truth[2]);
    assert!(!dir.path("b/.care/cache/incidents.idx").exists(), "no second index");
}

#[test]
fn a_customer_hand_edit_with_the_same_size_and_old_mtime_is_seen_by_customer_list() {
    let dir = sample();
    answers(&dir, true);
    let file = first(&dir.path("b/customers"));
    let text = std::fs::read_to_string(&file).expect("read");
    let name = text.lines().find_map(|l| l.strip_prefix("name: ")).expect("name").to_string();
    let renamed: String = name.chars().map(|c| if c.is_ascii_lowercase() { 'x' } else { c }).collect();
    edit_keeping_size_and_mtime(&file, &format!("name: {name}"), &format!("name: {renamed}"));
    let list = dir.ok(&["-C", "b", "--format", "csv", "customer", "list"]);
    assert!(list.contains(&renamed), "{list}");
    assert!(!list.contains(&format!(",{name},")), "{list}");
    assert_eq!(answers(&dir, true), answers(&dir, false));
}

#[test]
fn an_incident_renamed_over_another_and_a_deleted_one_are_seen() {
    let dir = sample();
    let by_staff = || dir.ok(&["-C", "b", "--format", "csv", "trends", "--by", "staff"]);
    let before = by_staff();
    let files = common::yaml_files(&dir.path("b/incidents"));
    let (a, b) = (&files[0], &files[1]);
    let b_id = b.file_stem().expect("stem").to_string_lossy().into_owned();
    let a_id = a.file_stem().expect("stem").to_string_lossy().into_owned();
    // A's text, made to be B, renamed over B: a new inode where B's was.
    let text = std::fs::read_to_string(a).expect("read").replacen(&format!("id: {a_id}"), &format!("id: {b_id}"), 1);
    let text = text.replacen("staff: ", "staff: renamed-", 1);
    let tmp = b.with_file_name(".tmp-rename");
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, b).expect("rename");
    let trends = by_staff();
    assert!(trends.contains("renamed-"), "{trends}");
    assert_eq!(answers(&dir, true), answers(&dir, false));

    std::fs::remove_file(a).expect("delete");
    let total = |csv: &str| csv_rows(csv).iter().skip(1).map(|r| r[1].parse::<u32>().expect("n")).sum::<u32>();
    assert_eq!(total(&by_staff()), total(&before) - 1, "the deleted incident is no longer counted");
    assert_eq!(answers(&dir, true), answers(&dir, false));
}

#[test]
fn a_damaged_truncated_or_foreign_database_is_rebuilt_with_the_right_answers() {
    let dir = sample();
    let truth = answers(&dir, false);
    answers(&dir, true);
    let db = dir.path("b").join(DB);
    let good = std::fs::read(&db).expect("db");
    let mut trampled = good.clone();
    let half = good.len() / 2;
    trampled[half..(half + 8192).min(good.len())].fill(0x5a);
    let foreign = |pragma: &str| {
        std::fs::write(&db, &good).expect("write");
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute_batch(pragma).expect("pragma");
        drop(conn);
        std::fs::read(&db).expect("read")
    };
    let damaged = [
        ("garbage", b"SQLite format 3\x00 but not really".repeat(200)),
        ("truncated", good[..good.len() / 3].to_vec()),
        ("trampled pages", trampled),
        ("another schema version", foreign("PRAGMA user_version = 1")),
        ("another timezone", foreign("UPDATE meta SET value = 'Asia/Tokyo' WHERE key = 'timezone'")),
        ("digests emptied", foreign("UPDATE files SET digest = 'x'")),
    ];
    for (what, bad) in damaged {
        std::fs::write(&db, &bad).expect("write");
        assert_eq!(answers(&dir, true), truth, "{what}");
    }
    std::fs::remove_file(&db).expect("delete");
    assert_eq!(answers(&dir, true), truth, "deleted: only speed is lost");
}

#[test]
fn one_database_serves_the_reports_and_care_sql() {
    let dir = sample();
    let trends = dir.ok(&["-C", "b", "--format", "csv", "trends", "--by", "staff"]);
    let built = std::fs::metadata(dir.path("b").join(DB)).expect("built by trends").modified().expect("mtime");
    let sql = dir.ok(&[
        "-C",
        "b",
        "--format",
        "csv",
        "sql",
        "SELECT coalesce(nullif(staff, ''), '(none)'), count(*) FROM incidents GROUP BY 1",
    ]);
    let count = |csv: &str| {
        let mut rows: Vec<(String, String)> =
            csv_rows(csv).into_iter().skip(1).map(|r| (r[0].clone(), r[1].clone())).collect();
        rows.sort();
        rows
    };
    assert_eq!(count(&trends), count(&sql));
    let filled = std::fs::metadata(dir.path("b").join(DB)).expect("db").modified().expect("mtime");
    assert_ne!(built, filled, "the report wrote what reports read; care sql filled its tables");
    dir.ok(&["-C", "b", "sql", "SELECT count(*) FROM incidents"]);
    let after = std::fs::metadata(dir.path("b").join(DB)).expect("db").modified().expect("mtime");
    assert_eq!(filled, after, "care sql found its tables fresh: nothing rewritten");
    let due = dir.ok(&["-C", "b", "--format", "csv", "followup", "due", "--at", "2026-11-25T00:00:00Z"]);
    let mut expected: Vec<String> = csv_rows(&due)
        .into_iter()
        .skip(1)
        .filter(|r| r[5] != "reminder")
        .map(|r| format!("{}|{}", r[2], r[5]))
        .collect();
    let sql = dir.ok(&[
        "-C",
        "b",
        "--format",
        "csv",
        "sql",
        "SELECT incident, kind FROM followups WHERE done_at IS NULL AND due <= '2026-11-25T00:00:00Z'",
    ]);
    let mut got: Vec<String> = csv_rows(&sql).into_iter().skip(1).map(|r| r.join("|")).collect();
    expected.sort();
    got.sort();
    assert!(!got.is_empty());
    assert_eq!(got, expected);
}

#[cfg(unix)]
#[test]
fn a_book_whose_cache_cannot_be_written_still_answers() {
    use std::os::unix::fs::PermissionsExt;
    let dir = sample();
    let truth = answers(&dir, false);
    let cache = dir.path("b/.care");
    std::fs::create_dir_all(&cache).expect("mkdir");
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o500)).expect("chmod");
    let writable = std::fs::create_dir(cache.join("probe")).is_ok();
    let got = answers(&dir, true);
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    assert_eq!(got, truth);
    if !writable {
        assert!(!dir.path("b").join(DB).exists());
    }
}

/// Copies of incidents under names that are not their ids, and two files of one name: the
/// index and a read of every file count the same incidents and name the same copies.
#[test]
fn copies_of_an_incident_count_alike_with_and_without_the_index() {
    let dir = sample();
    let files = common::yaml_files(&dir.path("b/incidents"));
    let (a, b) = (&files[0], &files[1]);
    let text_of = |p: &PathBuf| std::fs::read_to_string(p).expect("read");
    let id_of = |p: &PathBuf| p.file_stem().expect("stem").to_string_lossy().into_owned();
    // A file named like `a` (in another month) that holds `b`'s record: a second name for `b`.
    let month = dir.path("b/incidents/2031/01");
    std::fs::create_dir_all(&month).expect("mkdir");
    std::fs::write(month.join(format!("{}.yaml", id_of(a))), text_of(b)).expect("write");
    // A record under a new name whose id no other file holds: it counts under its own id.
    let new_id = "20310102-zzzzzz";
    std::fs::write(month.join("20310102-other.yaml"), text_of(a).replace(&id_of(a), new_id)).expect("write");
    let run = |cache: bool| {
        let mut cmd = dir.cmd();
        cmd.env("CARE_NO_CACHE", if cache { "0" } else { "1" });
        let out = cmd.args(["-C", "b", "--format", "csv", "trends", "--by", "staff,hour"]).output().expect("run");
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (files_said, files_warned) = run(false);
    let (index_said, index_warned) = run(true);
    let (again_said, _) = run(true);
    assert_eq!(index_said, files_said, "the same counts");
    assert_eq!(again_said, files_said, "and from a warm index");
    assert_eq!(index_warned, files_warned, "the same copies named");
    assert!(files_warned.contains(&id_of(b)), "b's second copy is named: {files_warned}");
    assert!(!files_warned.contains(new_id), "a copy under an id of its own counts: {files_warned}");
    let total = |csv: &str| csv_rows(csv)[1..].iter().map(|r| r[2].parse::<u64>().expect("count")).sum::<u64>();
    assert_eq!(total(&files_said), 301, "300 incidents and the one under a new id");
}

/// How many rows the database on disk holds in `table` (read behind care's back).
fn rows_in(dir: &TestBook, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(dir.path("b").join(DB)).expect("open");
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).expect("count")
}

/// One value `care sql` answers, as text.
fn sql_one(dir: &TestBook, query: &str) -> String {
    let csv = dir.ok(&["-C", "b", "--format", "csv", "--no-header", "sql", query]);
    csv.trim_end().to_string()
}

/// A report's first run writes only what reports read (a `files` row for each record of
/// its kind, none of the other tables); `care sql` fills those tables when it first runs,
/// once.
#[test]
fn a_report_builds_only_the_files_table_and_care_sql_fills_the_rest() {
    let dir = sample();
    dir.ok(&["-C", "b", "trends", "--by", "staff"]);
    assert_eq!(rows_in(&dir, "files"), 300, "the 300 incidents trends reads");
    dir.ok(&["-C", "b", "customer", "list"]);
    assert_eq!(rows_in(&dir, "files"), 340, "and the 40 customers customer list reads");
    assert_eq!(rows_in(&dir, "files WHERE tables = 0"), 340);
    assert_eq!(rows_in(&dir, "incidents"), 0, "no SQL rows written by a report");
    assert_eq!(rows_in(&dir, "entries"), 0);
    assert_eq!(sql_one(&dir, "SELECT count(*) FROM incidents"), "300");
    assert_eq!(sql_one(&dir, "SELECT count(*) FROM customers"), "40");
    assert_eq!(rows_in(&dir, "files WHERE tables = 0"), 0, "every file's rows are in");
    let indexes = rows_in(&dir, "sqlite_master WHERE type = 'index' AND name = 'incidents_customer'");
    assert_eq!(indexes, 1, "the tables are indexed once filled");
    assert_eq!(sql_one(&dir, "SELECT count(*) FROM incidents"), "300", "filled once, not twice");
    assert_eq!(answers(&dir, true), answers(&dir, false));
}

/// A hand edit (same size, old mtime) and a deleted file between the report that built the
/// index and the first `care sql` are seen by the query.
#[test]
fn a_hand_edit_between_the_report_and_the_first_care_sql_is_seen() {
    let dir = sample();
    dir.ok(&["-C", "b", "trends", "--by", "staff"]);
    let files = common::yaml_files(&dir.path("b/incidents"));
    let (edited, deleted) = (&files[0], &files[1]);
    let text = std::fs::read_to_string(edited).expect("read");
    let staff = text.lines().find_map(|l| l.strip_prefix("staff: ")).expect("staff").to_string();
    let other: String = staff.chars().map(|c| if c.is_ascii_lowercase() { 'q' } else { c }).collect();
    edit_keeping_size_and_mtime(edited, &format!("staff: {staff}"), &format!("staff: {other}"));
    std::fs::remove_file(deleted).expect("delete");
    let id = |p: &Path| p.file_stem().expect("stem").to_string_lossy().into_owned();
    let asked = format!("SELECT staff FROM incidents WHERE id = '{}'", id(edited));
    assert_eq!(sql_one(&dir, &asked), other);
    assert_eq!(sql_one(&dir, &format!("SELECT count(*) FROM incidents WHERE id = '{}'", id(deleted))), "0");
    assert_eq!(sql_one(&dir, "SELECT count(*) FROM incidents"), "299");
    assert_eq!(sql_one(&dir, "SELECT count(*) FROM files WHERE kind = 'incident'"), "299");
    assert_eq!(answers(&dir, true), answers(&dir, false));
}

/// `care sql` first builds everything; a report after a hand edit rewrites only that
/// file's `files` row, and the next `care sql` replaces its old rows, never doubling them.
#[test]
fn care_sql_first_then_a_report_after_an_edit_then_care_sql_again() {
    let dir = sample();
    assert_eq!(sql_one(&dir, "SELECT count(*) FROM incidents"), "300");
    assert_eq!(rows_in(&dir, "files WHERE tables = 0"), 0);
    assert_eq!(answers(&dir, true), answers(&dir, false), "reports read what care sql built");
    let file = first(&dir.path("b/incidents"));
    let text = std::fs::read_to_string(&file).expect("read");
    let staff = text.lines().find_map(|l| l.strip_prefix("staff: ")).expect("staff").to_string();
    let other: String = staff.chars().map(|c| if c.is_ascii_lowercase() { 'z' } else { c }).collect();
    edit_keeping_size_and_mtime(&file, &format!("staff: {staff}"), &format!("staff: {other}"));
    let trends = dir.ok(&["-C", "b", "--format", "csv", "trends", "--by", "staff"]);
    assert!(trends.contains(&other), "{trends}");
    assert_eq!(rows_in(&dir, "files WHERE tables = 0"), 1, "the report read the one edited file");
    let id = file.file_stem().expect("stem").to_string_lossy().into_owned();
    assert_eq!(sql_one(&dir, &format!("SELECT staff FROM incidents WHERE id = '{id}'")), other);
    assert_eq!(sql_one(&dir, "SELECT count(*) FROM incidents"), "300");
    assert_eq!(sql_one(&dir, "SELECT count(*) FROM incidents i JOIN files f ON f.id = i.file_id"), "300");
    assert_eq!(rows_in(&dir, "files WHERE tables = 0"), 0);
    assert_eq!(answers(&dir, true), answers(&dir, false));
}

/// `care export --format sqlite` after a report gets every table filled.
#[test]
fn an_export_after_a_report_has_every_table() {
    let dir = sample();
    dir.ok(&["-C", "b", "customer", "list"]);
    let out = dir.path("out.sqlite");
    dir.ok(&["-C", "b", "export", "sqlite", out.to_str().expect("utf-8")]);
    let conn = rusqlite::Connection::open(&out).expect("open");
    let count = |t: &str| conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get::<_, i64>(0)).expect("n");
    assert_eq!(count("incidents"), 300);
    assert_eq!(count("customers"), 40);
    assert!(count("followups") > 0);
}

/// A refresh that finds more changed files than it holds (the first `customer list` after
/// a `trends` built only the incidents' rows, on a book of 9,000 customers) sets the rest
/// aside and reads them all, each once; a second such refresh (a pull that touched them
/// all) replaces every row.
#[test]
fn a_refresh_of_thousands_of_changed_files_reads_each_once() {
    let dir = TestBook::bare();
    dir.ok(&["demo", "b", "--customers", "9000", "--incidents", "60", "--seed", "3"]);
    dir.ok(&["-C", "b", "trends", "--by", "staff"]);
    assert_eq!(rows_in(&dir, "files"), 60, "the incidents only");
    let list = |cache: &str| {
        let out =
            dir.cmd().env("CARE_NO_CACHE", cache).args(["-C", "b", "--format", "csv", "customer", "list"]).output();
        String::from_utf8_lossy(&out.expect("runs").stdout).into_owned()
    };
    let read = list("1");
    assert_eq!(read.lines().count(), 9001);
    assert_eq!(list("0"), read, "through the refresh");
    assert_eq!(sql_one(&dir, "SELECT count(*), count(DISTINCT path) FROM files WHERE kind = 'customer'"), "9000,9000");
    for file in std::fs::read_dir(dir.path("b/customers")).expect("folder").flatten().map(|e| e.path()) {
        let text = std::fs::read_to_string(&file).expect("read");
        std::fs::write(&file, text.replacen("name: ", "name: Dr ", 1)).expect("write");
    }
    let renamed = list("0");
    assert_eq!(renamed, list("1"));
    assert_eq!(renamed.matches(",Dr ").count(), 9000, "every record read again");
    assert_eq!(sql_one(&dir, "SELECT count(*), count(DISTINCT path) FROM files WHERE kind = 'customer'"), "9000,9000");
}
