//! `care export subject CUSTOMER`: everything the book holds about a person, as one JSON
//! document or a folder of CSV files — checked whole against the sample books' own files,
//! so nothing a record holds can be left out unnoticed.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{TestBook, csv_rows};
use serde_json::Value as Json;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

/// A copy of `examples/NAME` to work on (never the repository's own).
fn sample(name: &str) -> TestBook {
    let book = TestBook::bare();
    common::copy_dir(&example(name), book.root());
    book
}

fn export(book: &TestBook, who: &str) -> Json {
    let out = book.ok(&["export", "subject", who]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("export subject {who} is not one JSON document: {e}\n{out}"))
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    common::yaml_files(dir)
}

fn list_len(v: &serde_yaml::Value, key: &str) -> usize {
    v.get(key).and_then(|l| l.as_sequence()).map_or(0, Vec::len)
}

#[test]
fn every_customer_of_the_sample_books_is_exported_whole() {
    for name in ["trattoria", "hotel", "electronics"] {
        let book = sample(name);
        let config: serde_yaml::Value = book.yaml("care.yaml");
        let incidents: Vec<serde_yaml::Value> = yaml_files(&book.path("incidents"))
            .iter()
            .map(|p| serde_yaml::from_str(&std::fs::read_to_string(p).expect("read")).expect("an incident"))
            .collect();
        let customers = yaml_files(&book.path("customers"));
        assert!(customers.len() >= 3, "{name}: a sample book with customers");
        for file in customers {
            let stored: serde_yaml::Value =
                serde_yaml::from_str(&std::fs::read_to_string(&file).expect("read")).expect("a customer");
            let id = stored["id"].as_str().expect("id").to_string();
            let doc = export(&book, &id);
            let what = format!("{name}/{id}");
            assert_eq!(doc["book"], config["name"].as_str().expect("a named book"), "{what}");
            assert_eq!(doc["exported_at"], common::NOW, "{what}: the time of export is the book's clock");
            assert_eq!(doc["customer"], serde_json::to_value(&stored).expect("json"), "{what}: the record as stored");
            for (section, kind) in [
                ("preferences", "preference"),
                ("roles", "role"),
                ("goals", "goal"),
                ("notes", "note"),
                ("missteps", "misstep"),
            ] {
                let exported = doc["entries"].as_array().expect("entries").iter().filter(|e| e["kind"] == kind).count();
                assert_eq!(exported, list_len(&stored, section), "{what}: {section}");
            }
            for section in ["visits", "reminders", "flags"] {
                assert_eq!(
                    doc[section].as_array().expect(section).len(),
                    list_len(&stored, section),
                    "{what}: {section}"
                );
            }
            let theirs: BTreeSet<&str> = incidents
                .iter()
                .filter(|i| i["customer"].as_str() == Some(&id))
                .map(|i| i["id"].as_str().expect("incident id"))
                .collect();
            let exported: BTreeSet<&str> = doc["incidents"]
                .as_array()
                .expect("incidents")
                .iter()
                .map(|i| i["incident"]["id"].as_str().expect("an exported incident's id"))
                .collect();
            assert!(exported.is_superset(&theirs), "{what}: every incident about them: {theirs:?} in {exported:?}");
            for i in doc["incidents"].as_array().expect("incidents") {
                let stored =
                    incidents.iter().find(|s| s["id"] == i["incident"]["id"].as_str().unwrap_or("")).expect("on disk");
                assert_eq!(
                    i["incident"],
                    serde_json::to_value(stored).expect("json"),
                    "{what}: the incident as stored"
                );
                assert!(book.path(i["file"].as_str().expect("file")).is_file(), "{what}: the file named is the record");
            }
        }
    }
}

#[test]
fn fields_care_does_not_know_survive_and_text_goes_out_as_stored() {
    let book = TestBook::new();
    book.write(
        "customers/ada.yaml",
        "id: ada\nname: Ada Lovelace\ntier: gold\nfavourite: {wine: barolo, years: [2016, 2019]}\n\
         notes:\n- {text: \"=HYPERLINK(\\\"x\\\") \\e[31mred\", by: jeff, mood: calm}\n",
    );
    let out = book.ok(&["export", "subject", "ada"]);
    assert!(!out.contains('\u{1b}'), "no control character reaches stdout raw: {out}");
    let doc: Json = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["customer"]["tier"], "gold");
    assert_eq!(doc["customer"]["favourite"]["years"][1], 2019);
    assert_eq!(doc["entries"][0]["entry"]["mood"], "calm");
    assert_eq!(doc["entries"][0]["entry"]["text"], "=HYPERLINK(\"x\") \u{1b}[31mred", "exactly as stored");
}

/// Ada with something in every section: a reminder, a cleared flag, an incident with steps
/// and follow-ups, an action naming her, and Bob's note that mentions her.
fn ada_everywhere() -> (TestBook, String) {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--email", "ada@example.com", "--phone", "+1 555 0100"]);
    book.ok(&["customer", "add", "Bob Friend"]);
    book.ok(&["customer", "add", "Carol Other"]);
    book.ok(&["note", "ada-lovelace", "Allergic to shellfish", "--pref", "--critical"]);
    book.ok(&["remind", "ada-lovelace", "--due", "tomorrow 10am", "Ask about the album"]);
    book.ok(&["flag", "ada-lovelace", "Old worry"]);
    book.ok(&["flag", "--clear", "ada-lovelace"]);
    let id =
        book.ok(&["recover", "open", "ada-lovelace", "--what", "Entrées mixed up", "--at", "19:30"]).trim().to_string();
    book.ok(&["recover", "apologize", &id, "Sorry", "--at", "19:35"]);
    book.ok(&["recover", "fix", &id, "Re-fired", "--at", "19:40"]);
    book.ok(&["action", "open", "--for", "customer=ada-lovelace", "--what", "Her table first", "--at", "2026-11-01"]);
    book.ok(&["action", "open", "--for", &format!("id={id}"), "--what", "Kitchen review", "--at", "2026-11-01"]);
    book.ok(&["action", "open", "--for", "customer!=bob-friend", "--what", "Everyone else", "--at", "2026-11-01"]);
    book.ok(&["note", "bob-friend", "Came with Ada Lovelace; call her on 555-0100"]);
    book.ok(&["note", "bob-friend", "Likes jazz"]);
    book.ok(&["flag", "carol-other", "Sister of ADA@example.com"]);
    (book, id)
}

#[test]
fn other_records_that_mention_the_person_are_found_and_named() {
    let (book, _) = ada_everywhere();
    let doc = export(&book, "ada");
    let mentions: Vec<(String, String, String)> = doc["mentions"]
        .as_array()
        .expect("mentions")
        .iter()
        .map(|m| {
            let matched: Vec<&str> =
                m["matched"].as_array().expect("matched").iter().filter_map(Json::as_str).collect();
            (m["file"].as_str().unwrap_or("").into(), m["field"].as_str().unwrap_or("").into(), matched.join("+"))
        })
        .collect();
    assert_eq!(
        mentions,
        [
            ("customers/bob-friend.yaml".into(), "notes[0].text".into(), "name+phone".into()),
            ("customers/carol-other.yaml".into(), "flags[0].text".into(), "email".into()),
        ]
    );
    assert_eq!(doc["mentions"][0]["customer"], "bob-friend");
    assert_eq!(doc["mentions"][0]["text"], "Came with Ada Lovelace; call her on 555-0100");
}

#[test]
fn actions_naming_them_or_their_incidents_are_exported_and_others_are_not() {
    let (book, id) = ada_everywhere();
    let doc = export(&book, "ada-lovelace");
    let actions = doc["actions"].as_array().expect("actions");
    let named: BTreeSet<(&str, &str)> = actions
        .iter()
        .map(|a| (a["action"]["what"].as_str().unwrap_or(""), a["named_by"][0].as_str().unwrap_or("")))
        .collect();
    let by_incident = format!("id={id}");
    let expected =
        BTreeSet::from([("Her table first", "customer=ada-lovelace"), ("Kitchen review", by_incident.as_str())]);
    assert_eq!(named, expected, "`customer!=bob-friend` lets her through but does not name her");
    assert_eq!(doc["flags"][0]["status"], "cleared", "cleared flags are hers too");
    assert_eq!(doc["reminders"].as_array().map(Vec::len), Some(1));
    let incident = &doc["incidents"][0]["incident"];
    assert_eq!(incident["recovery"]["fixed"]["note"], "Re-fired");
    assert!(!incident["followups"].as_array().expect("follow-ups").is_empty());
}

#[test]
fn the_csv_folder_holds_one_file_per_section_agreeing_with_the_json() {
    let (book, _) = ada_everywhere();
    let doc = export(&book, "ada");
    let out = book.care(&["export", "subject", "ada", "--format", "csv", "--to", "handover/ada"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.is_empty(), "the files hold the data: {}", out.stdout);
    assert!(out.stderr.contains("handover/ada"), "says where: {}", out.stderr);
    let len = |key: &str| doc[key].as_array().expect(key).len();
    let incidents = doc["incidents"].as_array().expect("incidents");
    let steps: usize = incidents.iter().map(|i| i["incident"]["recovery"].as_object().map_or(0, |r| r.len())).sum();
    let followups: usize = incidents.iter().map(|i| i["incident"]["followups"].as_array().map_or(0, Vec::len)).sum();
    let expected = [
        ("customer.csv", 1),
        ("entries.csv", len("entries")),
        ("visits.csv", len("visits")),
        ("reminders.csv", len("reminders")),
        ("flags.csv", len("flags")),
        ("incidents.csv", len("incidents")),
        ("steps.csv", steps),
        ("followups.csv", followups),
        ("actions.csv", len("actions")),
        ("mentions.csv", len("mentions")),
    ];
    let mut files: Vec<String> = std::fs::read_dir(book.path("handover/ada"))
        .expect("the folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut names: Vec<String> = expected.iter().map(|(n, _)| n.to_string()).collect();
    names.sort();
    assert_eq!(files, names, "one file per section, nothing else");
    for (file, rows) in expected {
        let table = csv_rows(&book.read(&format!("handover/ada/{file}")));
        assert!(!table.is_empty() && !table[0].is_empty(), "{file}: a header even when empty");
        assert_eq!(table.len() - 1, rows, "{file}: one row per item of the JSON");
    }
    assert!(steps >= 2 && followups >= 1 && len("visits") == 0, "the case covers steps, follow-ups and an empty file");
    let entries = csv_rows(&book.read("handover/ada/entries.csv"));
    let text = entries[0].iter().position(|c| c == "text").expect("text column");
    assert_eq!(entries[1][text], "Allergic to shellfish");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(book.path("handover/ada")).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "a folder of personal data is private to its owner");
    }
}

#[test]
fn a_folder_that_is_not_empty_is_refused_and_left_alone() {
    let (book, _) = ada_everywhere();
    book.write("out/keep.txt", "mine");
    for args in [vec!["--to", "out"], vec!["--format", "csv", "--to", "out"], vec!["--to", "out/keep.txt"]] {
        let mut all = vec!["export", "subject", "ada"];
        all.extend(args);
        let out = book.fails(&all, 1);
        assert!(out.stderr.contains("out"), "{}", out.stderr);
        assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
    }
    let left: Vec<_> = std::fs::read_dir(book.path("out")).expect("out").collect();
    assert_eq!(left.len(), 1);
    assert_eq!(book.read("out/keep.txt"), "mine");
    // An empty folder is fine; JSON goes to subject.json there, the same as on stdout.
    std::fs::create_dir(book.path("empty")).expect("mkdir");
    book.ok(&["export", "subject", "ada", "--to", "empty"]);
    assert_eq!(book.read("empty/subject.json"), book.ok(&["export", "subject", "ada"]));
}

#[test]
fn an_unknown_customer_or_a_wrong_use_is_an_error_that_says_so() {
    let (book, _) = ada_everywhere();
    let out = book.fails(&["export", "subject", "nobody-here"], 1);
    assert!(out.stderr.contains("nobody-here"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(book.fails(&["export", "subject"], 2).stderr.contains("needs the customer"));
    assert!(book.fails(&["export", "subject", "ada", "--format", "csv"], 2).stderr.contains("--to DIR"));
    assert!(book.fails(&["export", "subject", "ada", "--where", "staff=billy"], 2).stderr.contains("--where"));
    assert!(book.fails(&["export", "customers", "--to", "x"], 2).stderr.contains("only `export subject`"));
    assert!(!book.path("x").exists());
    // Ambiguous: "e" is in all three names.
    let out = book.fails(&["export", "subject", "e"], 1);
    assert!(out.stderr.contains("ada-lovelace") && out.stderr.contains("bob-friend"), "{}", out.stderr);
}
