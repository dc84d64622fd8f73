//! `care patterns` on generated books: story 3's planted cell first and alone, and
//! (almost) nothing on books without a planted pattern, over many seeds.

use crate::common;

use common::{TestBook, csv_rows};

fn generated(dir: &TestBook, name: &str, seed: &str, planted: &str) -> String {
    dir.ok(&["demo", name, "--customers", "40", "--incidents", "2500", "--seed", seed, "--planted", planted]);
    dir.path(name).to_str().expect("utf8").to_string()
}

#[test]
fn story_3_the_planted_cell_comes_first_at_its_own_granularity() {
    let dir = TestBook::bare();
    let book = generated(&dir, "gen", "3", "8");
    let out = dir.ok(&["-C", &book, "patterns"]);
    let rows = csv_rows(&out);
    assert_eq!(rows[0], ["pattern", "count", "expected", "lift", "p", "q", "sentence"]);
    assert_eq!(rows[1][0], "weekday=Wed;hour=15;staff=billy", "{out}");
    assert!(rows[1][6].starts_with("Wednesday × 15:00 × billy: "), "{out}");
    // Not also as its sub-cells (Wed × 15, Wed × billy, 15 × billy) nor as its extensions.
    for row in &rows[2..] {
        let cell = &row[0];
        assert!(!(cell.contains("weekday=Wed") && cell.contains("staff=billy")), "{out}");
        assert!(!(cell.contains("hour=15") && (cell.contains("staff=billy") || cell.contains("weekday=Wed"))), "{out}");
    }
    // --where narrows the incidents searched; --top the rows.
    assert_eq!(csv_rows(&dir.ok(&["-C", &book, "patterns", "--top", "1", "--no-header"])).len(), 1);
    assert_eq!(dir.ok(&["-C", &book, "patterns", "--where", "staff!=billy", "--no-header"]), "");
    dir.fails(&["-C", &book, "patterns", "--q", "2"], 2);
    dir.fails(&["-C", &book, "patterns", "--where", "nosuchfield=x"], 2);
}

#[test]
fn books_without_a_planted_pattern_report_nothing_for_most_seeds() {
    let dir = TestBook::bare();
    let mut noisy = Vec::new();
    for seed in 1..=10 {
        let book = generated(&dir, &format!("s{seed}"), &seed.to_string(), "0");
        let out = dir.ok(&["-C", &book, "patterns", "--no-header"]);
        if !out.is_empty() {
            noisy.push((seed, out));
        }
    }
    // At q < 0.05 a false finding in a book of pure noise should be rare: at most one of ten.
    assert!(noisy.len() <= 1, "{noisy:?}");
}

#[test]
fn focus_names_what_is_wrong_with_it_and_shows_record_text_escaped() {
    let dir = TestBook::bare();
    let book = generated(&dir, "gen", "3", "8");
    let focused =
        csv_rows(&dir.ok(&["-C", &book, "patterns", "--focus", "weekday=wednesday", "--focus", "hour=15:00"]));
    assert_eq!(focused[1][0], "weekday=Wed;hour=15;staff=billy", "{focused:?}");
    assert!(focused[1..].iter().all(|r| r[0].contains("weekday=Wed") && r[0].contains("hour=15")), "{focused:?}");
    let none = dir.fails(&["-C", &book, "patterns", "--focus", "staff=bi\u{1b}[31mlly"], 2);
    assert!(none.stderr.contains("no incident searched has that staff; it has:"), "{}", none.stderr);
    assert!(none.stderr.contains("billy") && none.stderr.contains("\\u{1b}[31m") && !none.stderr.contains('\u{1b}'));
    let twice = dir.fails(&["-C", &book, "patterns", "--focus", "staff=billy", "--focus", "staff=joan"], 2);
    assert!(twice.stderr.contains("give each dimension once"), "{}", twice.stderr);
    let unsearched = dir.fails(&["-C", &book, "patterns", "--focus", "customer=x"], 2);
    assert!(
        unsearched.stderr.contains("not searched") && unsearched.stderr.contains("searched: "),
        "{}",
        unsearched.stderr
    );
    dir.fails(&["-C", &book, "patterns", "--focus", "staff"], 2);
}
