//! Nothing is lost: concurrent writers, writers killed mid-write, broken files.

use crate::common;

use std::thread;
use std::time::Duration;

use common::{TestBook, csv_rows};

fn notes(book: &TestBook, id: &str) -> usize {
    let v = book.yaml(&format!("customers/{id}.yaml"));
    v["notes"].as_sequence().map_or(0, Vec::len)
}

#[test]
fn eight_writers_adding_fifty_notes_each_lose_nothing() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    thread::scope(|s| {
        for writer in 0..8 {
            let book = &book;
            s.spawn(move || {
                for n in 0..50 {
                    let text = format!("writer {writer} note {n}");
                    let out = book.process().args(["note", "ada-lovelace", &text]).output().expect("run");
                    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                }
            });
        }
    });
    let v = book.yaml("customers/ada-lovelace.yaml");
    let texts: std::collections::HashSet<&str> =
        v["notes"].as_sequence().expect("notes").iter().map(|n| n["text"].as_str().expect("text")).collect();
    assert_eq!(texts.len(), 400);
    for writer in 0..8 {
        for n in 0..50 {
            assert!(texts.contains(format!("writer {writer} note {n}").as_str()));
        }
    }
}

#[test]
fn a_writer_killed_at_any_moment_leaves_the_old_or_the_new_record() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    // A large record, so that a write takes long enough to be interrupted.
    let mut text = book.read("customers/ada-lovelace.yaml");
    text.push_str("notes:\n");
    for i in 0..3000 {
        text.push_str(&format!("- text: Earlier note {i} about the customer's evening and preferences\n  by: dale\n"));
    }
    book.write("customers/ada-lovelace.yaml", &text);
    let mut expected = 3000;
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for round in 0..50 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child =
            book.process().args(["note", "ada-lovelace", &format!("round {round}")]).spawn().expect("spawn");
        // Kill timing only: the clock the tool sees is CARE_NOW.
        thread::sleep(Duration::from_micros(seed % 40_000));
        let _ = child.kill();
        let _ = child.wait();
        let count = notes(&book, "ada-lovelace");
        assert!(
            count == expected || count == expected + 1,
            "round {round}: {count} notes, expected {expected} or one more"
        );
        expected = count;
    }
    // Leftover temporary files are never read as records, and the next write clears them.
    let rows = csv_rows(&book.ok(&["customer", "list"]));
    assert_eq!(rows.len(), 2, "{rows:?}");
    book.ok(&["note", "ada-lovelace", "after the storm"]);
    let leftovers: Vec<_> = std::fs::read_dir(book.path("customers"))
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(notes(&book, "ada-lovelace"), expected + 1);
}

#[test]
fn a_broken_record_is_never_overwritten_and_does_not_stop_reports() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.add("Bob Adams");
    let broken = "id: bob-adams\nname: Bob Adams\nnotes:\n- text: fine\n  at: [unclosed\n";
    book.write("customers/bob-adams.yaml", broken);

    let out = book.fails(&["note", "bob-adams", "hello"], 1);
    assert!(
        out.stderr.contains("customers/bob-adams.yaml:6:1:") || out.stderr.contains("customers/bob-adams.yaml:5:"),
        "{}",
        out.stderr
    );
    assert_eq!(book.read("customers/bob-adams.yaml"), broken, "byte for byte unchanged");

    let out = book.fails(&["customer", "list"], 1);
    let rows = csv_rows(&out.stdout);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], "ada-lovelace");
    assert!(out.stderr.contains("skipped: customers/bob-adams.yaml:"), "{}", out.stderr);
    assert!(out.stderr.contains("1 file could not be read"), "{}", out.stderr);

    // A wrong type is located too.
    book.write("customers/bob-adams.yaml", "id: bob-adams\nname: Bob Adams\nlifetime_value: lots\n");
    let out = book.fails(&["note", "bob-adams", "hello"], 1);
    assert!(out.stderr.contains("customers/bob-adams.yaml:3:17:"), "{}", out.stderr);
}

#[test]
fn hostile_files_are_refused_quickly_with_a_clear_error() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let big = format!(
        "id: big\nname: Big\nnotes:\n{}",
        "- text: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n".repeat(40_000)
    );
    book.write("customers/big.yaml", &big);
    let bomb = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
                d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n\
                g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\nid: bomb\nname: Bomb\n";
    book.write("customers/bomb.yaml", bomb);
    book.write("customers/deep.yaml", &format!("id: deep\nname: {}x{}\n", "[".repeat(10_000), "]".repeat(10_000)));
    std::fs::write(book.path("customers/binary.yaml"), b"id: \xff\xfe\x00garbage\n").expect("write");
    book.write("customers/empty.yaml", "");
    let started = std::time::Instant::now();
    let out = book.fails(&["customer", "list"], 1);
    assert!(started.elapsed() < Duration::from_secs(10));
    // The alias bomb sits in fields a report never reads, yet it is refused there too, as
    // `check` and every writer refuse it: one notion of a readable record.
    let listed: Vec<String> = csv_rows(&out.stdout).into_iter().skip(1).map(|r| r[0].clone()).collect();
    assert_eq!(listed, ["ada-lovelace"]);
    for name in ["big", "deep", "binary", "empty", "bomb"] {
        assert!(out.stderr.contains(&format!("customers/{name}.yaml")), "{name} not reported:\n{}", out.stderr);
    }
    assert!(out.stderr.contains("aliases expand to too much"), "{}", out.stderr);
    assert!(out.stderr.contains("5 files could not be read"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"));
    // Editing it is refused quickly, the file untouched.
    let started = std::time::Instant::now();
    let out = book.fails(&["note", "bomb", "hi"], 1);
    assert!(out.stderr.contains("customers/bomb.yaml"), "{}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(book.read("customers/bomb.yaml"), bomb);
}
