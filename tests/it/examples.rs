//! The sample books in examples/ tell the playbook's stories, and the docs run against
//! them; so they must stay exactly as clean as their stories say, written the way care
//! writes files, and still show the patterns the guide points at.

use crate::common;

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Offset, TimeZone};
use common::{Out, TestBook, csv_rows};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

/// `care -C NAME ARGS` as CSV on a copy of `examples/NAME` outside this repository (in
/// place, `check` would rightly warn that the repository has no merge driver).
fn care(name: &str, args: &[&str]) -> Out {
    let dir = TestBook::bare();
    common::copy_dir(&example(name), &dir.path(name));
    let mut all = vec!["-C", name, "--format", "csv"];
    all.extend_from_slice(args);
    if args.first() == Some(&"check") {
        // The stories end in late November; checked before then, their later entries
        // would rightly be `future-time`.
        let out = dir.cmd().env("CARE_NOW", STORIES_END).args(&all).output().expect("runs");
        return Out {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        };
    }
    dir.care(&all)
}

/// A clock after every sample book's story has ended.
const STORIES_END: &str = "2026-11-30T12:00:00-05:00";

/// The codes of what `care check` found, one per finding.
fn finding_codes(out: &Out) -> Vec<String> {
    let rows = csv_rows(&out.stdout);
    assert_eq!(rows[0][4], "code", "check's header: {:?}", rows[0]);
    rows[1..].iter().map(|r| r[4].clone()).collect()
}

#[test]
fn the_restaurant_and_the_hotel_are_clean_even_under_strict() {
    for name in ["trattoria", "hotel"] {
        let out = care(name, &["check", "--strict"]);
        assert_eq!(out.code, 0, "{name}: {out:?}");
        assert!(finding_codes(&out).is_empty(), "{name} has findings:\n{}", out.stdout);
    }
}

#[test]
fn the_electronics_store_has_exactly_its_one_story_warning() {
    // The clerk asked "did you plug it in?" before anyone apologized: that is the story.
    let out = care("electronics", &["check"]);
    assert_eq!(out.code, 0, "warnings do not fail: {out:?}");
    assert_eq!(finding_codes(&out), ["review-before-apology"], "{}", out.stdout);
    assert_eq!(care("electronics", &["check", "--strict"]).code, 1);
}

#[test]
fn rear_wiper_blades_in_the_east_and_midwest_top_the_trends() {
    let out = care("electronics", &["trends", "--by", "product,region"]);
    assert_eq!(out.code, 0, "{out:?}");
    let rows = csv_rows(&out.stdout);
    assert_eq!(rows[0][..3], ["product", "region", "count"]);
    let top: Vec<(&str, &str)> = rows[1..3].iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    assert_eq!(top, [("rear-wiper-blades", "east"), ("rear-wiper-blades", "midwest")], "{}", out.stdout);
    // Only rear, only there: no rear blade failed in any other region.
    assert!(rows[3..].iter().all(|r| r[0] != "rear-wiper-blades"), "{}", out.stdout);
}

#[test]
fn the_hotel_briefs_tomorrows_arrivals_with_their_critical_needs_and_rough_days() {
    let arrivals = std::fs::read_to_string(example("hotel").join("arrivals.csv")).expect("arrivals.csv");
    let names: Vec<&str> = arrivals.lines().skip(1).filter_map(|l| l.split(',').nth(1)).collect();
    assert!(names.len() >= 5);
    let mut args = vec!["show"];
    args.extend(&names);
    let out = care("hotel", &args);
    assert_eq!(out.code, 0, "every arriving guest is in the book: {out:?}");
    let rows = csv_rows(&out.stdout);
    let column = |name: &str| rows[0].iter().position(|c| c == name).expect(name);
    let (remember, flags) = (column("remember"), column("flags"));
    assert!(rows[1..].iter().filter(|r| !r[remember].is_empty()).count() >= 4, "critical needs:\n{}", out.stdout);
    assert!(rows[1..].iter().filter(|r| !r[flags].is_empty()).count() >= 2, "rough days:\n{}", out.stdout);
}

/// Every incident file of every example, as written by care: the id names the file and the
/// local day it happened, times carry New York's offset of the day, the deposition is
/// complete and written within a day, and the steps come in the playbook's order.
#[test]
fn every_example_incident_is_a_complete_deposition_in_care_s_own_format() {
    let ny = chrono_tz::America::New_York;
    let mut seen = 0;
    for name in ["trattoria", "electronics", "hotel"] {
        for path in common::yaml_files(&example(name).join("incidents")) {
            seen += 1;
            let where_ = path.display().to_string();
            let text = std::fs::read_to_string(&path).expect("read");
            let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
            let field = |k: &str| doc.get(k).unwrap_or_else(|| panic!("{where_}: no {k}"));
            let id = field("id").as_str().expect("id");
            let opened = stamp(field("opened"), &where_);
            let local = opened.with_timezone(&ny);
            assert_eq!(&id[..8], local.format("%Y%m%d").to_string(), "{where_}: id and local day of `opened`");
            assert!(id.len() == 15 && id.as_bytes()[8] == b'-', "{where_}: id shape YYYYMMDD-xxxxxx");
            let expected = format!("incidents/{}/{id}.yaml", local.format("%Y/%m"));
            assert!(where_.ends_with(&expected), "{where_}: expected at {expected}");
            for (key, value) in stamps(&doc, String::new()) {
                let t = stamp(&value, &where_);
                let offset = ny.offset_from_utc_datetime(&t.naive_utc()).fix();
                assert_eq!(*t.offset(), offset, "{where_}: {key} has the wrong New York offset");
            }
            let recorded = stamp(field("recorded"), &where_);
            assert!(recorded >= opened && recorded - opened <= chrono::Duration::days(1), "{where_}: recorded");
            for key in ["staff", "owner", "product", "location", "busyness", "circumstances", "channel", "summary"] {
                assert!(doc.get(key).is_some_and(|v| !v.is_null()), "{where_}: deposition lacks {key}");
            }
            // Review before apology is `care check`'s business (the one story allows it).
            let step = |k: &str| doc["recovery"].get(k).map(|s| stamp(&s["at"], &where_));
            let order: Vec<_> = ["apologized", "fixed", "extra", "closed"].iter().filter_map(|k| step(k)).collect();
            assert!(order.windows(2).all(|w| w[0] <= w[1]), "{where_}: steps out of order");
            if let (Some(review), Some(fixed)) = (step("reviewed"), step("fixed")) {
                assert!(review <= fixed, "{where_}: fixed before the review");
            }
        }
    }
    assert!(seen >= 30, "three books' worth of incidents, found {seen}");
}

fn stamp(value: &serde_yaml::Value, file: &str) -> DateTime<FixedOffset> {
    let s = value.as_str().unwrap_or_else(|| panic!("{file}: {value:?} is not a time"));
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{file}: {s}: {e}"))
}

/// Every value under a key named `at`, `due`, `opened`, `recorded`, `raised` or `cleared`.
fn stamps(value: &serde_yaml::Value, path: String) -> Vec<(String, serde_yaml::Value)> {
    const TIMES: [&str; 6] = ["at", "due", "opened", "recorded", "raised", "cleared"];
    match value {
        serde_yaml::Value::Mapping(m) => m
            .iter()
            .flat_map(|(k, v)| {
                let key = k.as_str().unwrap_or_default();
                let here = format!("{path}.{key}");
                if TIMES.contains(&key) { vec![(here, v.clone())] } else { stamps(v, here) }
            })
            .collect(),
        serde_yaml::Value::Sequence(items) => {
            items.iter().enumerate().flat_map(|(n, v)| stamps(v, format!("{path}[{n}]"))).collect()
        }
        _ => vec![],
    }
}

#[test]
fn every_example_customer_time_carries_new_york_s_offset_of_the_day() {
    let ny = chrono_tz::America::New_York;
    for name in ["trattoria", "electronics", "hotel"] {
        for path in common::yaml_files(&example(name).join("customers")) {
            let where_ = path.display().to_string();
            let doc: serde_yaml::Value =
                serde_yaml::from_str(&std::fs::read_to_string(&path).expect("read")).expect("YAML");
            let id = doc["id"].as_str().expect("id");
            assert!(where_.ends_with(&format!("customers/{id}.yaml")), "{where_}: the file is named by the id");
            for (key, value) in stamps(&doc, String::new()) {
                let t = stamp(&value, &where_);
                let offset = ny.offset_from_utc_datetime(&t.naive_utc()).fix();
                assert_eq!(*t.offset(), offset, "{where_}: {key} has the wrong New York offset");
            }
        }
    }
}

#[test]
fn the_restaurants_visits_say_exactly_which_recoveries_brought_the_customer_back() {
    let out = care("trattoria", &["trends", "--by", "customer,returned"]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut got: Vec<String> =
        csv_rows(&out.stdout).into_iter().skip(1).map(|r| format!("{}={}", r[0], r[1])).collect();
    got.sort();
    assert_eq!(
        got,
        [
            "ada-lovelace=pending",
            "alan-turing=yes",
            "charles-babbage=yes",
            "katherine-johnson=pending",
            "marcus-oyelaran=yes",
            "priya-raman=yes",
            "samuel-okafor=no",
        ]
    );
    let export = care("trattoria", &["export", "incidents", "--where", "returned=no"]);
    let rows = csv_rows(&export.stdout);
    assert_eq!(rows.len(), 2, "{export:?}");
    assert_eq!((rows[1][1].as_str(), rows[0].last().map(String::as_str)), ("samuel-okafor", Some("returned")));
    let winback = care("trattoria", &["winback"]);
    let listed: Vec<String> = csv_rows(&winback.stdout).into_iter().skip(1).map(|r| r[0].clone()).collect();
    assert_eq!(listed, ["katherine-johnson", "ada-lovelace", "samuel-okafor"], "by value at risk");
}
