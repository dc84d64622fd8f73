//! One filter language on every list (issue 14): per-site lists in every format with the
//! same `--where` syntax, clear errors for bad filters and unknown fields, extra fields as
//! columns, and JSON that keeps its types.

use crate::common;

use common::{TestBook, csv_rows};
use serde_json::Value;

const FORMATS: [&str; 4] = ["csv", "tsv", "json", "ndjson"];

fn electronics() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/examples/electronics").to_string()
}

/// Open an incident for a new customer at a site; returns its id. `region` is written as
/// an extra top-level field, as a person would add it by hand.
fn open_at(book: &TestBook, name: &str, location: &str, region: Option<&str>) -> String {
    let customer = book.add(name);
    let id = book.ok(&["recover", "open", &customer, "--what", "Cold soup", "--location", location, "--at", "19:00"]);
    let id = id.trim().to_string();
    if let Some(region) = region {
        let path = walk(&book.path("incidents")).into_iter().find(|p| p.ends_with(format!("{id}.yaml"))).expect("file");
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str(&format!("region: {region}\n"));
        std::fs::write(&path, text).expect("write");
    }
    id
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = entry.path();
        if p.is_dir() { found.extend(walk(&p)) } else { found.push(p) }
    }
    found
}

/// A book with three incidents at two sites, two of them with a region.
fn two_sites() -> (TestBook, Vec<String>) {
    let book = TestBook::new();
    let ids = vec![
        open_at(&book, "Ada Lovelace", "uptown", Some("east")),
        open_at(&book, "Bob Adams", "downtown", Some("west")),
        open_at(&book, "Cy Young", "Uptown", None),
    ];
    (book, ids)
}

/// Rows of a list in a format, as JSON objects (CSV/TSV parsed by their header).
fn objects(book: &TestBook, args: &[&str], format: &str) -> Vec<serde_json::Map<String, Value>> {
    let mut all = args.to_vec();
    all.extend(["--format", format]);
    let out = book.ok(&all);
    match format {
        "json" => serde_json::from_str::<Vec<Value>>(&out).expect("json").into_iter().map(obj).collect(),
        "ndjson" => out.lines().map(|l| obj(serde_json::from_str(l).expect("ndjson"))).collect(),
        _ => {
            let rows: Vec<Vec<String>> = if format == "tsv" {
                out.lines().map(|l| l.split('\t').map(str::to_string).collect()).collect()
            } else {
                csv_rows(&out)
            };
            let (header, body) = rows.split_first().expect("header");
            body.iter()
                .map(|r| header.iter().cloned().zip(r.iter().map(|c| Value::String(c.clone()))).collect())
                .collect()
        }
    }
}

fn obj(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().expect("object").clone()
}

fn text(v: &Value) -> String {
    v.as_str().map(str::to_lowercase).unwrap_or_default()
}

#[test]
fn each_site_gets_its_own_list_in_every_format_with_the_same_syntax() {
    let (book, ids) = two_sites();
    let lists: [&[&str]; 4] = [
        &["followup", "due", "--within", "1h"],
        &["recover", "list"],
        &["export", "followups"],
        &["export", "incidents"],
    ];
    for list in lists {
        for format in FORMATS {
            let mut args = list.to_vec();
            args.extend(["--where", "location=uptown"]);
            let rows = objects(&book, &args, format);
            assert_eq!(rows.len(), 2, "{list:?} {format}: {rows:?}");
            assert!(rows.iter().all(|r| text(&r["location"]) == "uptown"), "{list:?} {format}");
            let id = if list[0] == "recover" || list[1] == "incidents" { "id" } else { "incident" };
            assert!(rows.iter().all(|r| r[id] != Value::String(ids[1].clone())), "{list:?} {format}");
            // The extra field is a column, empty where an incident lacks it.
            let regions: Vec<String> = rows.iter().map(|r| text(&r["region"])).collect();
            assert!(regions.contains(&"east".to_string()) && regions.contains(&String::new()), "{regions:?}");
        }
    }
    // The same filter on flags reaches the incident that raised each flag.
    let flags = objects(&book, &["flags", "--where", "location=downtown"], "json");
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0]["customer"], "bob-adams");
    // Trends counts the same incidents.
    assert_eq!(
        book.ok(&["trends", "--by", "location", "--where", "region=east"]),
        "location,count,share\nuptown,1,1\n"
    );
}

#[test]
fn conditions_add_up_and_the_old_flags_are_shorthands() {
    let (book, _) = two_sites();
    let due = |extra: &[&str]| {
        let mut args = vec!["followup", "due", "--within", "1h"];
        args.extend(extra);
        csv_rows(&book.ok(&args)).len() - 1
    };
    assert_eq!(due(&[]), 3);
    assert_eq!(due(&["--where", "location=uptown", "--where", "region=east"]), 1);
    assert_eq!(due(&["--where", "location!=uptown"]), 1);
    assert_eq!(due(&["--where", "region!=east"]), 2, "a missing field reads as empty");
    assert_eq!(due(&["--where", "customer~^(ada|bob)"]), 2);
    assert_eq!(due(&["--owner", "joan"]), 3);
    assert_eq!(due(&["--owner", "JOAN", "--where", "location=downtown"]), 1);
    let list = |extra: &[&str]| {
        let mut args = vec!["recover", "list"];
        args.extend(extra);
        csv_rows(&book.ok(&args)).len() - 1
    };
    assert_eq!(list(&["--open"]), 3);
    assert_eq!(list(&["--customer", "bob", "--where", "status=open"]), 1);
    assert_eq!(list(&["--since", "2026-11-23"]), 0);
    let customers = |extra: &[&str]| {
        let mut args = vec!["customer", "list"];
        args.extend(extra);
        csv_rows(&book.ok(&args)).len() - 1
    };
    assert_eq!(customers(&["--grep", "Lovelace"]), 1);
    assert_eq!(customers(&["--where", "text~Lovelace"]), 1);
    assert_eq!(customers(&["--where", "name!=ada lovelace"]), 2);
}

#[test]
fn a_bad_filter_is_a_usage_error_that_says_how_to_write_one() {
    let (book, _) = two_sites();
    let lists: [&[&str]; 7] = [
        &["customer", "list"],
        &["flags"],
        &["recover", "list"],
        &["followup", "due"],
        &["export", "incidents"],
        &["export", "notes"],
        &["trends", "--by", "staff"],
    ];
    for list in lists {
        for bad in ["location", "=uptown", "staff~(unclosed"] {
            let mut args = list.to_vec();
            args.extend(["--where", bad]);
            let out = book.fails(&args, 2);
            assert!(
                out.stderr.contains("FIELD=VALUE") || out.stderr.contains("not a valid regex"),
                "{args:?}: {}",
                out.stderr
            );
        }
        let mut args = list.to_vec();
        args.extend(["--where", "regoin=east"]);
        let out = book.fails(&args, 2);
        assert!(out.stderr.contains("\"regoin\""), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("name") || out.stderr.contains("location"), "{args:?}: lists the fields");
        assert!(out.stdout.is_empty(), "{args:?}: no partial output");
    }
    // The extra field exists in the book, so it is not an error even where rows lack it.
    book.ok(&["recover", "list", "--where", "region=north"]);
}

#[test]
fn per_site_lists_on_the_example_chain_agree_across_commands() {
    let dir = TestBook::bare();
    let book = electronics();
    let sites = csv_rows(&dir.ok(&["-C", &book, "trends", "--by", "location"]));
    assert!(sites.len() > 3, "the chain has several sites");
    for site in &sites[1..] {
        let (location, count) = (&site[0], site[1].parse::<usize>().expect("count"));
        let filter = format!("location={location}");
        let listed = csv_rows(&dir.ok(&["-C", &book, "recover", "list", "--where", &filter]));
        assert_eq!(listed.len() - 1, count, "{location}");
        let exported = csv_rows(&dir.ok(&["-C", &book, "export", "incidents", "--where", &filter]));
        assert_eq!(exported.len() - 1, count, "{location}");
        let region = exported[0].iter().position(|c| c == "region").expect("region column");
        assert!(exported[1..].iter().all(|r| !r[region].is_empty()), "{location}: region filled");
    }
}

#[test]
fn a_generated_multi_site_book_splits_by_site_and_region() {
    let dir = TestBook::bare();
    let out = dir.care(&["sample-book", "book", "--customers", "20", "--incidents", "200", "--seed", "7"]);
    assert_eq!(out.code, 0, "{out:?}");
    let book = dir.path("book");
    let book = book.to_str().expect("utf-8 path");
    let total = csv_rows(&dir.ok(&["-C", book, "recover", "list"])).len() - 1;
    let mut sum = 0;
    for site in ["downtown", "uptown", "airport"] {
        for region in ["east", "midwest"] {
            let filters = ["--where", &format!("location={site}"), "--where", &format!("region={region}")];
            let mut args = vec!["-C", book, "recover", "list"];
            args.extend(filters);
            let listed = csv_rows(&dir.ok(&args)).len() - 1;
            let mut args = vec!["-C", book, "trends", "--by", "location,region"];
            args.extend(filters);
            let counted = csv_rows(&dir.ok(&args));
            let count = counted.get(1).map_or(0, |r| r[2].parse::<usize>().expect("count"));
            assert_eq!(listed, count, "{site} {region}");
            let mut args = vec!["-C", book, "export", "followups", "--format", "json"];
            args.extend(filters);
            let rows: Vec<Value> = serde_json::from_str(&dir.ok(&args)).expect("json");
            assert!(rows.iter().all(|r| r["location"] == site && r["region"] == region), "{site} {region}");
            sum += listed;
        }
    }
    assert_eq!(sum, total, "every incident is at one site in one region");
}

#[test]
fn json_keeps_one_type_per_column() {
    let (book, _) = two_sites();
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish"]);
    book.ok(&["note", "ada", "Likes the corner table"]);
    let notes = objects(&book, &["export", "notes"], "json");
    assert!(notes.iter().any(|n| n["critical"] == Value::Bool(true)));
    assert!(notes.iter().any(|n| n["critical"] == Value::Bool(false)));
    let csv = csv_rows(&book.ok(&["export", "notes"]));
    assert!(csv[1..].iter().all(|r| r[6] == "yes" || r[6].is_empty()), "CSV keeps yes/empty");

    let id = book.ok(&["recover", "list", "--customer", "ada"]);
    let id = csv_rows(&id)[1][0].clone();
    book.ok(&["recover", "apologize", &id, "Sorry"]);
    let incidents = objects(&book, &["export", "incidents"], "ndjson");
    assert!(incidents.iter().all(|i| i["tags"].is_array()), "tags are arrays, [] when none");
    let listed = objects(&book, &["recover", "list"], "json");
    assert!(listed.iter().all(|i| i["steps"].is_array() && (i["region"].is_string() || i["region"].is_null())));
    assert!(listed.iter().any(|i| i["steps"] == serde_json::json!(["apologized"])));
    let due = objects(&book, &["followup", "due", "--within", "1h"], "json");
    assert!(due.iter().all(|d| d["overdue_by"].is_i64() && d["location"].is_string()));
    // hour is text in every format: "09", or "09:30" with --bucket.
    let hours = objects(&book, &["trends", "--by", "hour"], "json");
    assert!(hours.iter().all(|h| h["hour"].as_str().is_some_and(|s| s.len() == 2) && h["count"].is_u64()));
}
