//! The index in `.care/cache` never changes an answer: it is re-validated against every
//! file on each run, and a damaged index is rebuilt, not trusted.

use crate::common;

use std::process::Command;

use common::TestBook;

const INDEX: &str = ".care/cache/book.sqlite";

fn sample() -> (TestBook, String) {
    let dir = TestBook::bare();
    dir.ok(&["sample-book", "b", "--customers", "30", "--incidents", "300", "--seed", "5"]);
    let root = dir.path("b").to_str().expect("utf8").to_string();
    (dir, root)
}

/// The answers that depend on every incident.
fn answers(dir: &TestBook, root: &str, no_cache: bool) -> Vec<String> {
    let commands: [&[&str]; 7] = [
        &["trends", "--by", "weekday,hour,staff", "--sort", "lift"],
        &["trends", "--by", "region,tag"],
        &["trends", "--by", "staff", "--where", "circumstances~birthday"],
        &["followup", "due", "--at", "in 30d"],
        &["customer", "list"],
        &["recover", "list", "--format", "json"],
        &["recover", "list", "--where", "status=closed", "--where", "circumstances!~birthday", "--since", "2026-01-01"],
    ];
    commands
        .iter()
        .map(|args| {
            let mut cmd = dir.cmd();
            if no_cache {
                cmd.env("CARE_NO_CACHE", "1");
            } else {
                cmd.env_remove("CARE_NO_CACHE");
            }
            let out = cmd.args(["-C", root]).args(*args).output().expect("run");
            assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
        .collect()
}

fn first_incident(root: &str) -> std::path::PathBuf {
    let mut found: Vec<_> = common::yaml_files(&std::path::Path::new(root).join("incidents"));
    found.sort();
    found.remove(0)
}

#[test]
fn the_index_gives_the_same_answers_built_warm_off_and_damaged() {
    let (dir, root) = sample();
    let truth = answers(&dir, &root, true);
    // Every field a filter names is in the index: a third of these incidents were opened
    // on a birthday, and the steps taken are listed.
    let birthdays: usize = truth[2].lines().skip(1).filter_map(|l| l.split(',').nth(1)?.parse::<usize>().ok()).sum();
    assert!((60..=240).contains(&birthdays), "{}", truth[2]);
    assert!(truth[5].contains("\"apologized\"") && truth[5].contains("\"fixed\""), "{}", &truth[5][..400]);
    assert!(!std::path::Path::new(&root).join(INDEX).exists(), "CARE_NO_CACHE writes no index");
    assert_eq!(answers(&dir, &root, false), truth, "while building the index");
    assert!(std::path::Path::new(&root).join(INDEX).exists());
    assert_eq!(answers(&dir, &root, false), truth, "from the warm index");

    let index = std::path::Path::new(&root).join(INDEX);
    let good = std::fs::read(&index).expect("index");
    // Truncated, garbage, garbage over its pages, a foreign schema version: never trusted.
    let mut trampled = good.clone();
    let half = good.len() / 2;
    trampled[half..half + 4096.min(good.len() - half)].fill(0xa5);
    let foreign = {
        std::fs::write(&index, &good).expect("write");
        let conn = rusqlite::Connection::open(&index).expect("open");
        conn.pragma_update(None, "user_version", 99).expect("set version");
        drop(conn);
        std::fs::read(&index).expect("read")
    };
    // Pages no report reads may stay damaged (`care sql` rebuilds when a query meets
    // them); everything else is rebuilt at once.
    let damaged = [
        (good[..good.len() / 3].to_vec(), true),
        (b"\x00\xffgarbage\n".to_vec(), true),
        (trampled, false),
        (foreign, true),
    ];
    for (bad, rebuilt) in damaged {
        std::fs::write(&index, &bad).expect("write");
        assert_eq!(answers(&dir, &root, false), truth);
        if rebuilt {
            assert!(std::fs::read(&index).expect("rebuilt") != bad, "rebuilt, not kept");
        }
    }
}

#[test]
fn hand_edits_new_deleted_and_checked_out_files_are_seen_at_once() {
    let (dir, root) = sample();
    let trends = |dir: &TestBook| {
        let out = dir
            .cmd()
            .env_remove("CARE_NO_CACHE")
            .args(["-C", &root, "trends", "--by", "staff", "--sort", "key"])
            .output()
            .expect("run");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-C", &root])
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("git")
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "sample"]);
    let before = trends(&dir); // builds the index

    // A hand edit that keeps the size and puts the old modification time back.
    let file = first_incident(&root);
    let text = std::fs::read_to_string(&file).expect("read");
    let staff = text.lines().find_map(|l| l.strip_prefix("staff: ")).expect("staff").to_string();
    // Another staff name of the same length, so the file keeps its size.
    let other = ["joan", "dale", "jeff", "ivan", "billy", "maria"]
        .into_iter()
        .find(|o| o.len() == staff.len() && *o != staff)
        .expect("a same-length name");
    let mtime = std::fs::metadata(&file).expect("meta").modified().expect("mtime");
    std::fs::write(&file, text.replacen(&format!("staff: {staff}"), &format!("staff: {other}"), 1)).expect("write");
    std::fs::File::options().write(true).open(&file).expect("open").set_modified(mtime).expect("restore mtime");
    let edited = trends(&dir);
    assert_ne!(edited, before, "the edit is seen although size and mtime are the old ones");
    assert_eq!(
        edited,
        String::from_utf8_lossy(
            &dir.cmd()
                .env("CARE_NO_CACHE", "1")
                .args(["-C", &root, "trends", "--by", "staff", "--sort", "key"])
                .output()
                .expect("run")
                .stdout
        )
    );

    // `git checkout` of the committed version puts the old answer back.
    git(&["checkout", "--", "."]);
    assert_eq!(trends(&dir), before);

    // A new incident and a deleted one.
    let new = std::path::Path::new(&root).join("incidents/2026/11/20261122-zzzzzz.yaml");
    std::fs::write(&new, "id: 20261122-zzzzzz\ncustomer: x\nopened: 2026-11-22T10:00:00-05:00\nstaff: newbie\n")
        .expect("write");
    assert!(trends(&dir).contains("newbie,1,"));
    std::fs::remove_file(&new).expect("delete");
    std::fs::remove_file(first_incident(&root)).expect("delete");
    let after = trends(&dir);
    assert!(!after.contains("newbie"));
    let total = |s: &str| {
        s.lines().skip(1).map(|l| l.split(',').nth(1).expect("count").parse::<u32>().expect("n")).sum::<u32>()
    };
    assert_eq!(total(&after), total(&before) - 1);

    // Follow-ups too: a follow-up added to a file is listed by the next run.
    let due_before =
        dir.cmd().args(["-C", &root, "followup", "due", "--at", "2027-01-01"]).output().expect("run").stdout.len();
    let file = first_incident(&root);
    let id = file.file_stem().expect("stem").to_string_lossy().into_owned();
    dir.ok(&["-C", &root, "followup", "add", &id, "--due", "2026-12-01", "Index test call"]);
    let due = dir.cmd().args(["-C", &root, "followup", "due", "--at", "2027-01-01"]).output().expect("run");
    assert!(String::from_utf8_lossy(&due.stdout).contains("Index test call"));
    assert!(due.stdout.len() > due_before);
}

#[test]
fn readers_and_a_writer_at_once_never_see_wrong_counts() {
    let (dir, root) = sample();
    let count = |dir: &TestBook| {
        let out = dir
            .process()
            .env_remove("CARE_NO_CACHE")
            .args(["-C", &root, "trends", "--by", "staff"])
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let expected = count(&dir);
    let ids: Vec<String> = common::yaml_files(&std::path::Path::new(&root).join("incidents"))
        .iter()
        .take(20)
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    std::thread::scope(|s| {
        for _ in 0..2 {
            let dir = &dir;
            let expected = &expected;
            s.spawn(move || {
                for _ in 0..15 {
                    assert_eq!(&count(dir), expected);
                }
            });
        }
        s.spawn(|| {
            for id in &ids {
                let out = dir
                    .process()
                    .args(["-C", &root, "followup", "add", id, "--due", "2026-12-01", "call"])
                    .output()
                    .expect("run");
                assert!(out.status.success());
                let out = dir.process().args(["-C", &root, "note", "ada", "x"]).output().expect("run");
                assert!(out.status.code().is_some());
            }
        });
    });
    assert_eq!(count(&dir), expected);
}

#[test]
fn folders_in_months_odd_names_and_links_are_walked_as_the_index_is_ordered() {
    let (dir, root) = sample();
    let book = std::path::Path::new(&root);
    let incident =
        |id: &str, staff: &str| format!("id: {id}\ncustomer: x\nopened: 2026-11-22T10:00:00-05:00\nstaff: {staff}\n");
    // A folder inside a month, a file whose name sorts just after the folder's (`/` first
    // in the index's order, as the walk goes folder by folder), a link to a file kept
    // elsewhere in the book.
    let month = book.join("incidents/2026/11");
    std::fs::create_dir_all(month.join("a/b")).expect("mkdir");
    std::fs::write(month.join("a/b/20261122-nest01.yaml"), incident("20261122-nest01", "nested")).expect("write");
    std::fs::write(month.join("a-20261122-side01.yaml"), incident("20261122-side01", "beside")).expect("write");
    std::fs::write(month.join("a.yaml"), incident("20261122-dot001", "dotted")).expect("write");
    std::fs::create_dir_all(book.join("archive")).expect("mkdir");
    let target = book.join("archive/20261122-link01.yaml");
    std::fs::write(&target, incident("20261122-link01", "linkee")).expect("write");
    std::os::unix::fs::symlink("../../../archive/20261122-link01.yaml", month.join("20261122-link01.yaml"))
        .expect("symlink");

    let truth = answers(&dir, &root, true);
    assert!(truth[0].contains("nested") && truth[0].contains("beside") && truth[0].contains("linkee"));
    assert_eq!(answers(&dir, &root, false), truth, "while building the index");
    assert_eq!(answers(&dir, &root, false), truth, "warm");
    // A warm run that finds nothing changed writes nothing: the walk met every row of the
    // index in its own order, so no file was taken for new and no row for gone.
    let index = book.join(INDEX);
    let (bytes, modified) = (std::fs::read(&index).expect("index"), std::fs::metadata(&index).expect("m").modified());
    assert_eq!(answers(&dir, &root, false), truth, "warm again");
    assert_eq!(std::fs::metadata(&index).expect("m").modified().ok(), modified.ok(), "the index was not written");
    assert!(std::fs::read(&index).expect("index") == bytes);

    // The linked file edited in place, same size, its modification time put back: seen.
    let mtime = std::fs::metadata(&target).expect("meta").modified().expect("mtime");
    std::fs::write(&target, incident("20261122-link01", "linkex")).expect("write");
    std::fs::File::options().write(true).open(&target).expect("open").set_modified(mtime).expect("restore mtime");
    let edited = answers(&dir, &root, true);
    assert!(edited[0].contains("linkex") && !edited[0].contains("linkee"));
    assert_eq!(answers(&dir, &root, false), edited);

    // The folder inside the month removed: its file is gone from the answers.
    std::fs::remove_dir_all(month.join("a")).expect("rm");
    let removed = answers(&dir, &root, true);
    assert!(!removed[0].contains("nested") && removed[0].contains("beside"));
    assert_eq!(answers(&dir, &root, false), removed);
}
