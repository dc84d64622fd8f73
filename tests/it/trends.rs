//! Trends: counts, shares and lift on hand-made and generated books, charts, and CSV that
//! other tools load as they are.

use crate::common;

use std::process::{Command, Stdio};

use common::{TestBook, csv_rows};

fn incident(book: &TestBook, id: &str, opened: &str, staff: &str, extra: &str) {
    let (y, m) = (&id[0..4], &id[4..6]);
    book.write(
        &format!("incidents/{y}/{m}/{id}.yaml"),
        &format!("id: {id}\ncustomer: ada-lovelace\nopened: {opened}\nstaff: {staff}\n{extra}"),
    );
}

/// Four incidents whose numbers are checked by hand below.
fn small_book() -> TestBook {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    incident(
        &book,
        "20261118-aaaaa1",
        "2026-11-18T15:10:00-05:00",
        "billy",
        "region: midwest\ntags: [kitchen, wait]\n",
    );
    incident(&book, "20261118-aaaaa2", "2026-11-18T15:40:00-05:00", "billy", "region: east\nbusyness: 95\n");
    incident(&book, "20261118-aaaaa3", "2026-11-18T15:50:00-05:00", "joan", "region: midwest\nbusyness: 100\n");
    incident(&book, "20261119-aaaaa4", "2026-11-19T09:00:00-05:00", "joan", "region: midwest\ntags: [kitchen]\n");
    book
}

#[test]
fn share_and_lift_are_computed_as_documented() {
    let book = small_book();
    // N = 4; Wed 3/4, Thu 1/4; billy 2/4, joan 2/4.
    // Wed·billy: 2 ÷ (4 × 3/4 × 2/4) = 1.3333; Wed·joan: 1 ÷ 1.5 = 0.6667; Thu·joan: 1 ÷ 0.5 = 2.
    // Expected 1.5, 1.5, 0.5; z = (count − expected) ÷ √expected; p = P(X ≥ count) for a
    // Poisson(expected): 1 − 2.5e^−1.5, 1 − e^−1.5, 1 − e^−0.5; q: Benjamini–Hochberg over
    // the 2 × 2 cells (the unseen Thu·billy has p = 1).
    assert_eq!(
        book.ok(&["trends", "--by", "weekday,staff"]),
        "weekday,staff,count,share,lift,expected,z,p,q\n\
         Wed,billy,2,0.5,1.3333,1.5,0.4082,0.442175,0.884349\n\
         Wed,joan,1,0.25,0.6667,1.5,-0.4082,0.77687,1\n\
         Thu,joan,1,0.25,2,0.5,0.7071,0.393469,0.884349\n"
    );
    assert_eq!(
        book.ok(&["trends", "--by", "weekday,staff", "--sort", "lift", "--no-header"]),
        "Thu,joan,1,0.25,2,0.5,0.7071,0.393469,0.884349\n\
         Wed,billy,2,0.5,1.3333,1.5,0.4082,0.442175,0.884349\n\
         Wed,joan,1,0.25,0.6667,1.5,-0.4082,0.77687,1\n"
    );
    // The table shows q alone of the statistics; JSON has them all, as numbers.
    let table = book.ok(&["trends", "--by", "weekday,staff", "--format", "table"]);
    let header: Vec<&str> = table.lines().next().expect("header").split_whitespace().collect();
    assert_eq!(header, ["weekday", "staff", "count", "share", "lift", "q"], "{table}");
    let json = book.ok(&["trends", "--by", "weekday,staff", "--format", "json"]);
    assert!(json.contains("\"p\": 0.442175,") && json.contains("\"q\": 1.0\n"), "{json}");
    // A Pareto column for one dimension, in the rows' order.
    assert_eq!(
        book.ok(&["trends", "--by", "hour", "--cumulative"]),
        "hour,count,share,cumulative\n15,3,0.75,0.75\n09,1,0.25,1\n"
    );
    book.fails(&["trends", "--by", "weekday,staff", "--cumulative"], 2);
    book.fails(&["trends", "--by", "staff", "--sort", "surprise"], 2);
    // One dimension: no lift column; ties in natural order.
    assert_eq!(book.ok(&["trends", "--by", "staff"]), "staff,count,share\nbilly,2,0.5\njoan,2,0.5\n");
    assert_eq!(book.ok(&["trends", "--by", "hour", "--sort", "key"]), "hour,count,share\n09,1,0.25\n15,3,0.75\n");
}

#[test]
fn every_dimension_filter_and_option() {
    let book = small_book();
    let labels = |args: &[&str]| -> Vec<String> {
        csv_rows(&book.ok(&[&["trends", "--no-header"], args].concat())).into_iter().map(|r| r[0].clone()).collect()
    };
    assert_eq!(labels(&["--by", "hour", "--bucket", "30m", "--sort", "key"]), ["09:00", "15:00", "15:30"]);
    assert_eq!(labels(&["--by", "date", "--sort", "key"]), ["2026-11-18", "2026-11-19"]);
    assert_eq!(labels(&["--by", "week"]), ["2026-W47"]);
    assert_eq!(labels(&["--by", "month"]), ["2026-11"]);
    assert_eq!(labels(&["--by", "customer"]), ["ada-lovelace"]);
    assert_eq!(labels(&["--by", "busyness", "--sort", "key"]), ["(none)", "90-99", "100"]);
    assert_eq!(labels(&["--by", "tag"]), ["(none)", "kitchen", "wait"]);
    assert_eq!(labels(&["--by", "region"]), ["midwest", "east"]);
    assert_eq!(labels(&["--by", "product"]), ["(none)"]);
    assert_eq!(labels(&["--by", "staff", "--where", "region=EAST"]), ["billy"]);
    assert_eq!(labels(&["--by", "staff", "--where", "weekday=Thu"]), ["joan"]);
    assert_eq!(labels(&["--by", "staff", "--where", "staff~^j", "--where", "weekday=Wed"]), ["joan"]);
    assert_eq!(labels(&["--by", "staff", "--since", "2026-11-19"]), ["joan"]);
    assert_eq!(labels(&["--by", "staff", "--until", "2026-11-19"]), ["billy", "joan"]);
    assert_eq!(labels(&["--by", "staff", "--min-count", "3"]), Vec::<String>::new());
    assert_eq!(labels(&["--by", "weekday", "--top", "1"]), ["Wed"]);
    // Shares of tags are of incidents, so an incident with two tags counts under each.
    let tags = csv_rows(&book.ok(&["trends", "--by", "tag"]));
    assert_eq!(tags[2], ["kitchen", "2", "0.5"]);

    book.fails(&["trends", "--by", "weekday", "--sort", "lift"], 2);
    book.fails(&["trends", "--by", "hour", "--bucket", "7m"], 2);
    book.fails(&["trends", "--by", "staff", "--where", "nonsense"], 2);
    book.fails(&["trends", "--by", "no such dim!"], 2);
    // A typo of a dimension names the field and lists what there is, not one "(none)" row.
    let typo = book.fails(&["trends", "--by", "weekday,staf"], 2);
    assert!(typo.stderr.contains("--by staf: no incident in this book has a field \"staf\""), "{}", typo.stderr);
    assert!(typo.stderr.contains("staff") && typo.stdout.is_empty(), "{}", typo.stderr);
    book.fails(&["trends", "--by", "staff", "--chart", "--format", "csv"], 2);
}

#[test]
fn story_3_billy_on_wednesdays_comes_first() {
    let dir = TestBook::bare();
    dir.ok(&["sample-book", "gen", "--customers", "100", "--incidents", "2500", "--seed", "3"]);
    let generated = dir.path("gen");
    let out = dir.ok(&[
        "-C",
        generated.to_str().expect("utf8"),
        "trends",
        "--by",
        "weekday,hour,staff",
        "--sort",
        "lift",
        "--top",
        "1",
    ]);
    let rows = csv_rows(&out);
    assert_eq!(rows[1][..3], ["Wed", "15", "billy"], "{out}");
    let lift: f64 = rows[1][5].parse().expect("lift");
    assert!(lift > 3.0, "{out}");
    // The generated book is valid for every other command too.
    let out = dir.ok(&["-C", generated.to_str().expect("utf8"), "customer", "list"]);
    assert_eq!(csv_rows(&out).len(), 101);
}

/// Story 3, judged by significance rather than lift: the planted cell is the most
/// surprising by far, and a random-looking cell does not pass a 5 % false discovery rate.
#[test]
fn story_3_the_planted_cell_has_the_smallest_q_and_noise_does_not_pass() {
    let dir = TestBook::bare();
    dir.ok(&["demo", "gen", "--customers", "100", "--incidents", "2500", "--seed", "3"]);
    let generated = dir.path("gen");
    let book = generated.to_str().expect("utf8");
    let out = dir.ok(&["-C", book, "trends", "--by", "weekday,hour,staff", "--sort", "surprise"]);
    let rows = csv_rows(&out);
    assert_eq!(rows[0][5..], ["lift", "expected", "z", "p", "q"]);
    let q = |r: &Vec<String>| r[9].parse::<f64>().expect("q");
    assert_eq!(rows[1][..3], ["Wed", "15", "billy"], "{out}");
    assert!(q(&rows[1]) < 1e-20, "{out}");
    assert!(rows[2..].iter().all(|r| q(r) > q(&rows[1])), "{out}");
    let joan = rows.iter().find(|r| r[..3] == ["Thu", "12", "joan"]).expect("Thu 12 joan");
    assert!(q(joan) >= 0.05, "{joan:?}");
    // Nothing but the planted cell passes.
    assert_eq!(rows[1..].iter().filter(|r| q(r) < 0.05).count(), 1, "{out}");
}

#[test]
fn charts_draw_bars_and_a_heat_map_but_never_in_csv() {
    let book = small_book();
    let bars = book.ok(&["trends", "--by", "staff", "--chart"]);
    assert!(bars.lines().next().expect("a bar").starts_with("billy █"), "{bars}");
    assert!(bars.contains("2 (50.0%)"));
    let heat = book.ok(&["trends", "--by", "weekday,hour", "--chart"]);
    let lines: Vec<&str> = heat.lines().collect();
    assert!(lines[0].trim_start().starts_with("00 01 02 03"), "{heat}");
    assert!(lines[3].starts_with("Wed") && lines[3].contains('█'), "{heat}");
    assert!(lines[4].starts_with("Thu"), "{heat}");
    assert!(!book.ok(&["trends", "--by", "staff"]).contains('█'));
}

#[test]
fn trends_csv_loads_into_python_and_sqlite_with_its_types() {
    if Command::new("python3").arg("--version").output().is_err() {
        return;
    }
    let book = small_book();
    let csv = book.ok(&["trends", "--by", "weekday,staff"]);
    let script = "import csv, sqlite3, sys\n\
        rows = list(csv.DictReader(sys.stdin))\n\
        db = sqlite3.connect(':memory:')\n\
        db.execute('create table t (weekday text, staff text, count integer, share real, lift real)')\n\
        db.executemany('insert into t values (:weekday, :staff, :count, :share, :lift)', rows)\n\
        print(db.execute('select count(*), sum(count), sum(share), max(lift), typeof(count), typeof(lift) from t').fetchone())\n";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), csv.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("python3");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "(3, 4, 1.0, 2.0, 'integer', 'real')");
}
