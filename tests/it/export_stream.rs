//! `care export` prints rows as it reads the book; what it prints must be byte for byte
//! what it printed when it held every row first. `tests/it/data/export_golden.txt` holds
//! the hash and length of that output (made by the binary before the change) for every
//! example book and a generated one, every kind and every format.
//!
//! A deliberate change to an export or to an example book changes these: regenerate the
//! file by running this test with `CARE_BLESS=1` and review the diff.

use crate::common;

use std::path::{Path, PathBuf};

use common::TestBook;

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3))
}

#[test]
fn every_kind_in_every_format_is_what_it_was_before_export_streamed() {
    let scratch = TestBook::bare();
    let demo = scratch.path("demo");
    let made =
        scratch.care(&["demo", demo.to_str().expect("path"), "--seed", "1", "--customers", "30", "--incidents", "300"]);
    assert_eq!(made.code, 0, "{made:?}");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let book = |name: &str| -> PathBuf { if name == "demo" { demo.clone() } else { examples.join(name) } };
    let golden_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/data/export_golden.txt");
    let golden = std::fs::read_to_string(&golden_path).expect("golden");
    let mut now = String::new();
    let mut differ = Vec::new();
    for line in golden.lines() {
        if line.starts_with('#') {
            now.push_str(line);
            now.push('\n');
            continue;
        }
        let parts: Vec<&str> = line.split(' ').collect();
        let [name, kind, format, _, _] = parts[..] else { panic!("bad golden line {line:?}") };
        let path = book(name);
        let out = scratch.cmd().args(["-C", path.to_str().expect("path"), "export", kind, "--format", format]).output();
        let out = out.expect("runs");
        assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
        let got = format!("{name} {kind} {format} {:016x} {}", fnv(&out.stdout), out.stdout.len());
        if got != line {
            differ.push(format!("want {line}\n got {got}"));
        }
        now.push_str(&got);
        now.push('\n');
    }
    assert!(golden.lines().filter(|l| !l.starts_with('#')).count() >= 80, "every book, kind and format");
    if std::env::var_os("CARE_BLESS").is_some() {
        std::fs::write(&golden_path, now).expect("bless");
        return;
    }
    assert!(differ.is_empty(), "export output changed:\n{}", differ.join("\n"));
}
