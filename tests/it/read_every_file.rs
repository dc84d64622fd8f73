//! Reading every file with no index (`CARE_NO_CACHE=1`) streams the walk a batch of
//! files at a time; copies of an incident in different batches must still count, and be
//! named, exactly as the index counts and names them.

use crate::common;

use std::path::PathBuf;

use common::{TestBook, csv_rows};

#[test]
fn copies_in_different_batches_of_the_walk_count_as_the_index_counts_them() {
    let dir = TestBook::bare();
    // More incidents than one batch of the walk (4,096 files) holds.
    dir.ok(&["demo", "b", "--customers", "40", "--incidents", "5000", "--seed", "3"]);
    let files = common::yaml_files(&dir.path("b/incidents"));
    assert!(files.len() > 4096 + 100, "{}", files.len());
    let text_of = |p: &PathBuf| std::fs::read_to_string(p).expect("read");
    let id_of = |p: &PathBuf| p.file_stem().expect("stem").to_string_lossy().into_owned();
    let (early_a, early_b, early_c) = (&files[0], &files[1], &files[2]);
    let late = &files[files.len() - 1];
    // A month after every other, so in the last batch; and one before every other.
    let after = dir.path("b/incidents/2099/01");
    let before = dir.path("b/incidents/0001/01");
    std::fs::create_dir_all(&after).expect("mkdir");
    std::fs::create_dir_all(&before).expect("mkdir");
    // The same file again, under its own name, far behind the first: the second copy is named.
    std::fs::write(after.join(format!("{}.yaml", id_of(early_c))), text_of(early_c)).expect("write");
    // `a`'s name holding `b`'s record, in the last batch: a second copy of `b`.
    std::fs::write(after.join(format!("{}.yaml", id_of(early_a))), text_of(early_b)).expect("write");
    // A copy of the last incident under another name, ahead of every file: the file named
    // by its id, read last, still holds it.
    std::fs::write(before.join("copy.yaml"), text_of(late)).expect("write");
    // A record under a new name and a new id: it counts.
    std::fs::write(after.join("other.yaml"), text_of(early_a).replace(&id_of(early_a), "20990101-zzzzzz"))
        .expect("write");
    let run = |cache: bool| {
        let mut cmd = dir.cmd();
        cmd.env("CARE_NO_CACHE", if cache { "0" } else { "1" });
        let out = cmd.args(["-C", "b", "--format", "csv", "trends", "--by", "staff"]).output().expect("run");
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (files_said, files_warned) = run(false);
    let (index_said, index_warned) = run(true);
    assert_eq!(files_said, index_said, "the same counts");
    // The same copies named (the index lists them by id, reading the files by path).
    let sorted = |s: &str| {
        let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(&files_warned), sorted(&index_warned), "the same copies named");
    for (copy, of) in [(id_of(early_c), id_of(early_c)), (id_of(early_a), id_of(early_b)), ("copy".into(), id_of(late))]
    {
        assert!(
            files_warned.lines().any(|l| l.contains(&format!("{copy}.yaml")) && l.contains(&of)),
            "{copy} named as a copy of {of}: {files_warned}"
        );
    }
    assert!(!files_warned.contains("other.yaml"), "{files_warned}");
    let total = |csv: &str| csv_rows(csv)[1..].iter().map(|r| r[1].parse::<u64>().expect("count")).sum::<u64>();
    assert_eq!(total(&files_said), files.len() as u64 + 1, "every incident once, and the new one");
}
