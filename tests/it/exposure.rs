//! The exposure file (`exposure: shifts.csv`): rates per shift-hour in `trends`, the hours
//! worked as the baseline of `patterns` (the decoy: a person who simply works more is not
//! a pattern with it, is without it; a real excess still is), a u-chart for `--control`,
//! and the refusals: no file, a dimension a rota cannot measure, a bad row, a path out of
//! the book.

use crate::common;

use common::{TestBook, csv_rows};

/// A small deterministic generator (an LCG), so every seed makes the same book.
struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A Poisson draw (Knuth), for the small means used here.
    fn poisson(&mut self, mean: f64) -> u32 {
        let limit = (-mean).exp();
        let (mut k, mut p) = (0, 1.0);
        loop {
            p *= self.unit();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }
}

/// Who works the two 11:00–23:00 shifts of each weekday (Mon first): xavi works four
/// days, Wednesday to Saturday, everyone else two.
const ROTA: [[&str; 2]; 7] =
    [["ann", "bob"], ["cy", "dee"], ["xavi", "eve"], ["xavi", "ann"], ["xavi", "bob"], ["xavi", "cy"], ["dee", "eve"]];

/// A book of 26 weeks (2026-05-18 to 2026-11-15) run on `ROTA`, every shift-hour failing
/// at the same rate, except (with `plant`) xavi at 15:00, three times as often. Writes
/// shifts.csv and names it in care.yaml.
fn rota_book(seed: u64, plant: bool) -> TestBook {
    let book = TestBook::new();
    let mut rng = Lcg(seed);
    let mut shifts = String::from("date,start,end,staff,location\n");
    let mut n = 0;
    let first = chrono::NaiveDate::from_ymd_opt(2026, 5, 18).expect("date");
    for day in 0..26 * 7 {
        let date = first + chrono::Duration::days(day);
        let d = date.format("%Y-%m-%d").to_string();
        let offset = if d.as_str() >= "2026-11-01" { "-05:00" } else { "-04:00" };
        for staff in ROTA[day as usize % 7] {
            shifts.push_str(&format!("{d},11:00,23:00,{staff},main\n"));
            for hour in 11..23 {
                let rate = if plant && staff == "xavi" && hour == 15 { 1.2 } else { 0.4 };
                for _ in 0..rng.poisson(rate) {
                    n += 1;
                    let minute = (rng.unit() * 60.0) as u32;
                    let opened = format!("{d}T{hour:02}:{minute:02}:00{offset}");
                    let id = format!("{}-x{n:05}", d.replace('-', ""));
                    let text = format!("id: {id}\ncustomer: ada\nopened: {opened}\nstaff: {staff}\nlocation: main\n");
                    book.write(&format!("incidents/{}/{}/{id}.yaml", &d[..4], &d[5..7]), &text);
                }
            }
        }
    }
    book.write("shifts.csv", &shifts);
    let config = book.read("care.yaml");
    book.write("care.yaml", &format!("{config}exposure: shifts.csv\n"));
    book
}

/// The cells `patterns` lists, as `dim=value;...`.
fn patterns(book: &TestBook, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["patterns", "--no-header"];
    args.extend_from_slice(extra);
    csv_rows(&book.ok(&args)).into_iter().map(|r| r[0].clone()).collect()
}

#[test]
fn the_decoy_who_simply_works_more_is_a_pattern_without_exposure_and_not_with_it() {
    let book = rota_book(11, false);
    let without = patterns(&book, &["--no-exposure"]);
    assert!(without.iter().any(|p| p.contains("staff=xavi")), "xavi works Wed-Sat; by margins alone: {without:?}");
    let with = patterns(&book, &[]);
    assert!(with.iter().all(|p| !p.contains("staff=xavi")), "xavi's incidents are in proportion: {with:?}");
    // Taking the exposure out of care.yaml is the same as --no-exposure.
    let config = book.read("care.yaml").replace("exposure: shifts.csv\n", "");
    book.write("care.yaml", &config);
    assert_eq!(patterns(&book, &[]), without);
}

#[test]
fn a_real_excess_is_still_found_with_exposure_and_first() {
    let book = rota_book(5, true);
    let found = patterns(&book, &[]);
    let first = found.first().expect("the planted cell is found");
    assert!(first.contains("hour=15") && first.contains("staff=xavi"), "{found:?}");
    // ... and xavi's weekdays are still no pattern of their own.
    assert!(found.iter().all(|p| !p.contains("staff=xavi") || p.contains("hour=15")), "{found:?}");
}

#[test]
fn a_rota_without_a_planted_pattern_reports_nothing_for_most_seeds() {
    let mut noisy = Vec::new();
    for seed in 1..=8 {
        let found = patterns(&rota_book(seed, false), &[]);
        if !found.is_empty() {
            noisy.push((seed, found));
        }
    }
    assert!(noisy.len() <= 1, "{noisy:?}");
}

#[test]
fn trends_per_shift_hour_gives_exposure_and_rate() {
    let book = rota_book(3, false);
    let out = book.ok(&["trends", "--by", "staff", "--per", "shift-hour", "--sort", "key"]);
    let rows = csv_rows(&out);
    assert_eq!(rows[0], ["staff", "count", "share", "shift_hours", "per_100_shift_hours"]);
    let xavi = rows.iter().find(|r| r[0] == "xavi").expect("xavi");
    let ann = rows.iter().find(|r| r[0] == "ann").expect("ann");
    // Four twelve-hour shifts a week for 26 weeks, and two for everyone else.
    assert_eq!(xavi[3].parse::<f64>().expect("hours"), 4.0 * 12.0 * 26.0, "{out}");
    assert_eq!(ann[3].parse::<f64>().expect("hours"), 2.0 * 12.0 * 26.0, "{out}");
    let rate = |r: &Vec<String>| r[4].parse::<f64>().expect("rate");
    let count = |r: &Vec<String>| r[1].parse::<f64>().expect("count");
    assert!((rate(xavi) - count(xavi) / 1248.0 * 100.0).abs() < 1e-3, "{out}");
    // Every one fails at 0.4 an hour: 40 per 100 shift-hours, within chance.
    for r in &rows[1..] {
        assert!((rate(r) - 40.0).abs() < 6.0, "{out}");
    }
    // Two dimensions: expected, z, p and q against exposure, with xavi's Wednesdays ordinary.
    let out = book.ok(&["trends", "--by", "staff,weekday", "--per", "shift-hour", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&out).expect("json");
    let wed =
        rows.as_array().expect("rows").iter().find(|r| r["staff"] == "xavi" && r["weekday"] == "Wed").expect("row");
    let expected = wed["expected"].as_f64().expect("expected");
    assert!((expected - 12.0 * 26.0 * 0.4).abs() < 15.0, "{wed}");
    assert!(wed["q"].as_f64().expect("q") > 0.05, "{wed}");
    // A group worked without incidents is listed (rate 0), a dimension a rota cannot measure
    // is named, and a filter on a shift field narrows the hours too.
    let out = book.ok(&["trends", "--by", "hour", "--per", "shift-hour", "--sort", "key", "--no-header"]);
    assert_eq!(csv_rows(&out).len(), 12, "11:00 to 22:00: {out}");
    let err = book.fails(&["trends", "--by", "staff,product", "--per", "shift-hour"], 2);
    assert!(err.stderr.contains("not product"), "{err:?}");
    let out = book.ok(&["trends", "--by", "staff", "--per", "shift-hour", "--where", "weekday=Wed", "--no-header"]);
    let hours: Vec<(String, String)> = csv_rows(&out).into_iter().map(|r| (r[0].clone(), r[3].clone())).collect();
    assert_eq!(hours.len(), 2, "only xavi and eve work Wednesdays: {out}");
    assert!(hours.iter().all(|(_, h)| h == "312"), "{out}");
    book.fails(&["trends", "--by", "staff", "--per", "cover"], 2);
}

#[test]
fn refusals_name_what_is_wrong() {
    let book = TestBook::new();
    let out = book.fails(&["trends", "--by", "staff", "--per", "shift-hour"], 2);
    assert!(out.stderr.contains("exposure: shifts.csv"), "{out:?}");
    let config = book.read("care.yaml");
    book.write("care.yaml", &format!("{config}exposure: shifts.csv\n"));
    book.write(
        "shifts.csv",
        "date,start,end,staff,location\n2026-11-18,09:00,17:00,joan,x\n2026-11-18,9,17:00,joan,x\n",
    );
    let out = book.fails(&["trends", "--by", "staff", "--per", "shift-hour"], 1);
    assert!(out.stderr.contains("shifts.csv:3:12") && out.stderr.contains("HH:MM"), "{out:?}");
    book.write("care.yaml", &format!("{config}exposure: ../shifts.csv\n"));
    let out = book.fails(&["trends", "--by", "staff", "--per", "shift-hour"], 1);
    assert!(out.stderr.contains("leaves the book"), "{out:?}");
    #[cfg(unix)]
    {
        let outside = TestBook::bare();
        outside.write("elsewhere.csv", "date,start,end,staff,location\n");
        std::os::unix::fs::symlink(outside.path("elsewhere.csv"), book.path("linked.csv")).expect("link");
        book.write("care.yaml", &format!("{config}exposure: linked.csv\n"));
        let out = book.fails(&["patterns"], 1);
        assert!(out.stderr.contains("linked.csv"), "{out:?}");
        std::fs::create_dir(book.path("rota")).expect("mkdir");
        book.write("care.yaml", &format!("{config}exposure: rota\n"));
        book.fails(&["patterns"], 1);
    }
}

#[test]
fn every_trattoria_incident_falls_inside_a_shift_of_its_staff_at_its_location() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/trattoria");
    let dir = TestBook::bare();
    common::copy_dir(&root, &dir.path("trattoria"));
    let out = dir.ok(&[
        "-C",
        "trattoria",
        "trends",
        "--by",
        "date,hour,staff,location",
        "--per",
        "shift-hour",
        "--min-count",
        "1",
        "--no-header",
    ]);
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 7, "{out}");
    for r in &rows {
        assert!(r[6].parse::<f64>().is_ok_and(|h| h > 0.0), "an incident nobody was on shift for: {r:?}");
    }
    // The rota covers the whole story, from the first incident's month.
    let csv = std::fs::read_to_string(root.join("shifts.csv")).expect("shifts.csv");
    assert!(csv.starts_with("date,start,end,staff,location,covers\n2025-12-01,"), "{}", &csv[..80]);
}

#[test]
fn check_names_a_bad_exposure_file_where_trends_would_refuse_it() {
    let book = TestBook::new();
    let config = book.read("care.yaml");
    book.write("care.yaml", &format!("{config}exposure: shifts.csv\n"));
    book.write("shifts.csv", "date,start,end,staff,location\n2026-11-18,09:00,17:00,joan,x\n");
    book.ok(&["check"]);
    book.write(
        "shifts.csv",
        "date,start,end,staff,location\n2026-11-18,09:00,17:00,joan,x\n2026-11-18,9,17:00,joan,x\n",
    );
    let out = book.fails(&["--format", "csv", "check"], 1);
    let row = out.stdout.lines().find(|l| l.contains("bad-exposure")).unwrap_or_else(|| panic!("{out:?}"));
    assert!(row.contains("shifts.csv,3,12,bad-exposure") && row.contains("HH:MM"), "{row}");
    std::fs::remove_file(book.path("shifts.csv")).expect("removes");
    let out = book.fails(&["--format", "csv", "check"], 1);
    assert!(out.stdout.contains("shifts.csv") && out.stdout.contains("bad-exposure"), "a missing file: {out:?}");
    book.write("care.yaml", &format!("{config}exposure: ../shifts.csv\n"));
    let out = book.fails(&["--format", "csv", "check"], 1);
    let row = out.stdout.lines().find(|l| l.contains("bad-exposure")).unwrap_or_else(|| panic!("{out:?}"));
    assert!(row.contains("care.yaml") && row.contains("leaves the book"), "{row}");
}
