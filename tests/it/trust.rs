//! Trust in the book: `check`, the lexicon, `edit`, and hostile input everywhere.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{TestBook, csv_rows};

const FULL: &str =
    "staff: billy\nowner: joan\nproduct: entrees\nlocation: downtown\nbusyness: 80\ncircumstances: Dinner\n";

fn defect_book() -> TestBook {
    let book = TestBook::new();
    let mut config = book.read("care.yaml");
    config.push_str("staff: [joan, billy]\n");
    book.write("care.yaml", &config);
    book.add("Ada Lovelace");
    book.write("customers/broken.yaml", "id: broken\nname: [unclosed\n");
    book.write("customers/typed.yaml", "id: typed\nname: Typed\nlifetime_value: lots\n");
    book.write("customers/wrongname.yaml", "id: other-name\nname: Wrong\n");
    book.write("customers/vip/ada-lovelace.yaml", "id: ada-lovelace\nname: Ada Again\n");
    book.write("customers/Bad Id.yaml", "id: Bad Id\nname: Bad\n");
    let incident = |id: &str, body: &str| {
        book.write(&format!("incidents/2026/11/{id}.yaml"), &format!("id: {id}\n{body}"));
    };
    incident("20261101-nobody", &format!("customer: nobody\nopened: 2026-11-01T12:00:00-05:00\n{FULL}"));
    incident(
        "20261102-zedstf",
        "customer: ada-lovelace\nopened: 2026-11-02T12:00:00-05:00\nstaff: zed\nowner: joan\nproduct: x\nlocation: y\nbusyness: 5\ncircumstances: z\n",
    );
    incident("20261103-badtim", "customer: ada-lovelace\nopened: yesterday-ish\n");
    incident(
        "20261104-early1",
        &format!(
            "customer: ada-lovelace\nopened: 2026-11-04T12:00:00-05:00\n{FULL}followups:\n- kind: custom\n  due: 2026-11-03T12:00:00-05:00\n"
        ),
    );
    incident(
        "20261105-order1",
        &format!(
            "customer: ada-lovelace\nopened: 2026-11-05T12:00:00-05:00\n{FULL}recovery:\n  reviewed: {{at: 2026-11-05T12:01:00-05:00, by: joan}}\n  apologized: {{at: 2026-11-05T12:02:00-05:00, by: joan}}\n  fixed: {{at: 2026-11-05T11:00:00-05:00, by: billy}}\n"
        ),
    );
    incident("20261106-sparse", "customer: ada-lovelace\nopened: 2026-11-06T12:00:00-05:00\n");
    incident(
        "20261107-latedo",
        &format!(
            "customer: ada-lovelace\nopened: 2026-11-07T12:00:00-05:00\nrecorded: 2026-11-09T12:00:00-05:00\n{FULL}"
        ),
    );
    book
}

#[test]
fn check_finds_each_defect_where_it_is() {
    let book = defect_book();
    let out = book.fails(&["check"], 1);
    assert!(out.stderr.contains("check found"), "{}", out.stderr);
    let rows = csv_rows(&out.stdout);
    assert_eq!(rows[0], ["severity", "file", "line", "column", "code", "message"]);
    let find = |file: &str, code: &str| {
        rows.iter()
            .find(|r| r[1].ends_with(file) && r[4] == code)
            .unwrap_or_else(|| panic!("no {code} for {file} in\n{}", out.stdout))
            .clone()
    };
    let expect = |file: &str, code: &str, severity: &str, line: &str| {
        let r = find(file, code);
        assert_eq!((r[0].as_str(), r[2].as_str()), (severity, line), "{file} {code}: {r:?}");
        assert!(r[5].len() > 20, "a message that says how to fix it: {r:?}");
    };
    // Where the unclosed `[` is, not the end of the file where the parser noticed.
    expect("customers/broken.yaml", "syntax", "error", "2");
    expect("customers/typed.yaml", "invalid", "error", "3");
    expect("customers/wrongname.yaml", "id-mismatch", "error", "1");
    expect("customers/vip/ada-lovelace.yaml", "duplicate-id", "error", "1");
    expect("customers/Bad Id.yaml", "bad-id", "error", "1");
    expect("20261101-nobody.yaml", "unknown-customer", "error", "2");
    expect("20261102-zedstf.yaml", "unknown-staff", "warning", "4");
    expect("20261103-badtim.yaml", "bad-time", "error", "3");
    expect("20261104-early1.yaml", "followup-before-opened", "error", "12");
    expect("20261105-order1.yaml", "review-before-apology", "warning", "11");
    expect("20261105-order1.yaml", "step-before-opened", "error", "13");
    expect("20261106-sparse.yaml", "missing-deposition", "warning", "1");
    expect("20261107-latedo.yaml", "late-deposition", "warning", "4");
    // Other formats carry the same findings.
    let json: serde_json::Value =
        serde_json::from_str(&book.fails(&["check", "--format", "json"], 1).stdout).expect("json");
    assert_eq!(json.as_array().expect("array").len(), rows.len() - 1);
}

#[test]
fn check_is_clean_on_the_sample_book_and_strict_fails_on_warnings() {
    // A copy: in this repository the sample sits in a git work tree with no merge driver,
    // which `check` rightly warns about.
    let dir = TestBook::bare();
    common::copy_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/trattoria")), &dir.path("trattoria"));
    // After the story's evening: checked before, its later entries would be `future-time`.
    let run = dir.cmd().env("CARE_NOW", "2026-11-30T12:00:00-05:00").args(["-C", "trattoria", "check"]).output();
    let run = run.expect("runs");
    let out = common::Out {
        stdout: String::from_utf8_lossy(&run.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&run.stderr).into_owned(),
        code: run.status.code().unwrap_or(-1),
    };
    assert_eq!((out.code, out.stdout.as_str()), (0, "severity,file,line,column,code,message\n"), "{}", out.stderr);
    assert!(out.stderr.contains("The book is clean"));

    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.write(
        "incidents/2026/11/20261106-sparse.yaml",
        "id: 20261106-sparse\ncustomer: ada-lovelace\nopened: 2026-11-06T12:00:00-05:00\n",
    );
    book.ok(&["check"]);
    book.fails(&["check", "--strict"], 1);
}

#[test]
fn the_lexicon_catches_the_tv_story_and_not_a_sincere_apology() {
    let book = TestBook::new();
    book.write(
        "draft.txt",
        "Dear Tom,\nIf what you say is correct, I certainly apologize.\nWell… did you plug it in?\n",
    );
    let out = book.fails(&["lexicon", "check", "draft.txt"], 3);
    assert_eq!(out.stderr, "", "found phrases are data, not errors");
    let rows = csv_rows(&out.stdout);
    assert_eq!(rows[0], ["file", "line", "column", "phrase", "why", "instead"]);
    assert_eq!(rows[1][..4], ["draft.txt", "2", "1", "If what you say is correct, I certainly apologize"]);
    assert_eq!(rows[2][..4], ["draft.txt", "3", "7", "did you plug it in"]);
    let out = book
        .cmd()
        .args(["lexicon", "check"])
        .write_stdin("I am so sorry. Will you forgive us?\n")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    // The book's own phrases count too.
    let mut config = book.read("care.yaml");
    config.push_str(
        "lexicon:\n  - pattern: \"(?i)no worries\"\n    why: Brushes it off.\n    instead: Thank you for telling us.\n",
    );
    book.write("care.yaml", &config);
    let out = book.cmd().args(["lexicon", "check", "-"]).write_stdin("No worries!\n").output().expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Brushes it off."));
    assert!(book.ok(&["lexicon", "list"]).contains("no worries"));
}

#[test]
fn notes_on_steps_and_follow_ups_are_minded() {
    let book = TestBook::new();
    book.add("Tom Novak");
    let id = book.ok(&["recover", "open", "tom", "--what", "TV dead"]).trim().to_string();
    let out = book.care(&["recover", "apologize", &id, "Please accept my apology, it's our policy"]);
    assert_eq!(out.code, 0);
    assert!(out.stderr.contains("warning: \"Please accept my apology\""), "{}", out.stderr);
    assert!(out.stderr.contains("warning: \"it's our policy\""), "{}", out.stderr);
    let out = book.care(&["followup", "done", &id, "Told him to calm down"]);
    assert!(out.stderr.contains("\"calm down\""), "{}", out.stderr);
}

/// An editor script: the first save writes `first`, later saves write `then`.
fn editor(book: &TestBook, first: &str, then: &str) -> String {
    let script = book.path("editor.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ -f \"{count}\" ]; then printf '%s' \"{then}\" > \"$1\"; else touch \"{count}\"; printf '%s' \"{first}\" > \"$1\"; fi\n",
            count = book.path("edited-once").display()
        ),
    )
    .expect("write");
    std::process::Command::new("chmod").arg("+x").arg(&script).status().expect("chmod");
    script.display().to_string()
}

#[test]
fn edit_offers_an_invalid_save_back_and_keeps_only_a_valid_one() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let valid = "id: ada-lovelace\nname: Ada King\n";
    let script = editor(&book, "id: ada-lovelace\nname: [broken\n", valid);
    let out = book.cmd().env("EDITOR", &script).args(["edit", "ada"]).write_stdin("y\n").output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("customers/ada-lovelace.yaml:") && stderr.contains("Edit again?"), "{stderr}");
    assert_eq!(book.read("customers/ada-lovelace.yaml"), valid);
    let leftovers = std::fs::read_dir(book.path("customers"))
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".edit-"))
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn edit_given_up_leaves_the_record_untouched() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let before = book.read("customers/ada-lovelace.yaml");
    let script = editor(&book, "id: ada-lovelace\nname: [broken\n", "still: [broken\n");
    let out =
        book.cmd().env("EDITOR", &script).args(["edit", "ada-lovelace"]).write_stdin("n\n").output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(book.read("customers/ada-lovelace.yaml"), before);
    // An id changed away from the file name is refused the same way.
    std::fs::remove_file(book.path("edited-once")).expect("reset");
    let script = editor(&book, "id: someone-else\nname: X\n", "");
    let out = book.cmd().env("EDITOR", &script).args(["edit", "ada"]).write_stdin("").output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must stay"));
    assert_eq!(book.read("customers/ada-lovelace.yaml"), before);
    // An editor that fails changes nothing either.
    let out = book.cmd().env("EDITOR", "false").args(["edit", "ada"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(book.read("customers/ada-lovelace.yaml"), before);
}

#[test]
fn edit_opens_incidents_too() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let id = book.ok(&["recover", "open", "ada", "--what", "x"]).trim().to_string();
    let path = format!("incidents/2026/11/{id}.yaml");
    let edited = book.read(&path).replace("summary: x", "summary: Soup was cold");
    let script = editor(&book, &edited, "");
    let out = book.cmd().env("EDITOR", &script).args(["edit", &id[9..]]).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(book.read(&path).contains("summary: Soup was cold"));
}

/// A book holding one of each hostile file, next to a good customer and incident.
fn hostile_book() -> TestBook {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let id = book.ok(&["recover", "open", "ada", "--what", "x"]).trim().to_string();
    assert!(!id.is_empty());
    let bomb = (1..9).fold("a0: &a0 [x, x, x, x, x, x, x, x, x]\n".to_string(), |acc, n| {
        let refs = vec![format!("*a{}", n - 1); 9].join(", ");
        format!("{acc}a{n}: &a{n} [{refs}]\n")
    });
    for dir in ["customers", "incidents/2026/11"] {
        book.write(
            &format!("{dir}/bomb.yaml"),
            &format!("{bomb}id: bomb\nname: Bomb\ncustomer: ada-lovelace\nopened: [*a8]\n"),
        );
        book.write(&format!("{dir}/deep.yaml"), &format!("id: {}x{}\n", "[".repeat(10_000), "]".repeat(10_000)));
        std::fs::write(
            book.path(&format!("{dir}/garbage.yaml")),
            (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<_>>(),
        )
        .expect("write");
        std::fs::write(book.path(&format!("{dir}/latin1.yaml")), b"id: caf\xe9\nname: x\n").expect("write");
        std::fs::create_dir_all(book.path(&format!("{dir}/folder.yaml"))).expect("mkdir");
        std::os::unix::fs::symlink(book.path("nowhere.yaml"), book.path(&format!("{dir}/dangling.yaml")))
            .expect("symlink");
        std::os::unix::fs::symlink("/etc/hostname", book.path(&format!("{dir}/outside.yaml"))).expect("symlink");
        book.write(&format!("{dir}/empty.yaml"), "");
    }
    // 50 MB, refused by its size before it is read.
    let big = std::fs::File::create(book.path("incidents/2026/11/big.yaml")).expect("create");
    big.set_len(50 * 1024 * 1024).expect("sparse file");
    book
}

#[test]
fn hostile_files_get_a_clear_error_quickly_on_every_reading_command() {
    let book = hostile_book();
    for args in [
        &["check"][..],
        &["show", "ada"],
        &["trends", "--by", "staff"],
        &["followup", "due", "--at", "in 1h"],
        &["customer", "list"],
        &["recover", "list"],
    ] {
        let started = Instant::now();
        let out = book.care(args);
        assert!(started.elapsed() < Duration::from_secs(5), "{args:?} took {:?}", started.elapsed());
        assert!(!out.stderr.contains("panicked") && !out.stderr.contains("internal error"), "{args:?}: {}", out.stderr);
        assert!(out.code == 0 || out.code == 1, "{args:?}: exit {}", out.code);
        if args[0] == "show" {
            assert!(out.stdout.contains("Ada Lovelace"), "{args:?}");
            continue;
        }
        assert_eq!(out.code, 1, "{args:?} must say that something was skipped");
        for name in ["deep", "garbage", "latin1", "folder", "dangling", "outside", "empty"] {
            assert!(
                out.stderr.contains(&format!("{name}.yaml")) || out.stdout.contains(&format!("{name}.yaml")),
                "{args:?}: {name} not reported\n{}",
                out.stderr
            );
        }
    }
    let out = book.care(&["check"]);
    assert!(out.stdout.contains("outside the book"), "{}", out.stdout);
    assert!(out.stdout.contains("limited to"), "the 50 MB file: {}", out.stdout);
}

/// Every CARE_ variable swept with values no person means: a value care cannot use is a
/// usage error before anything is written (a retry must not write twice), an empty one
/// counts as unset, and no value reaches a panic.
#[test]
fn every_setting_is_checked_before_anything_is_written() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.write(".care/hooks/note-added", "#!/bin/sh\ncat > /dev/null\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(book.path(".care/hooks/note-added"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }
    let absurd = ["1e30", "-1", "NaN", "99999999999999999999", "text", "0x10", "1.5s", "25h", "\u{1b}[31m"];
    for name in ["CARE_NOW", "CARE_LOCK_TIMEOUT", "CARE_HOOK_TIMEOUT", "CARE_NO_CACHE"] {
        for value in absurd {
            let before = book.read("customers/ada-lovelace.yaml");
            let out = book.cmd().env(name, value).args(["note", "ada", "x"]).output().expect("runs");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name}={value:?}: {stderr}");
            assert!(stderr.starts_with(&format!("error: {name}")), "{name}={value:?} is named: {stderr}");
            assert!(!stderr.contains("internal error") && !stderr.contains('\u{1b}'), "{stderr}");
            assert_eq!(book.read("customers/ada-lovelace.yaml"), before, "{name}={value:?} wrote nothing");
            // Reports refuse it too, before reading anything.
            let out = book.cmd().env(name, value).args(["trends", "--by", "staff"]).output().expect("runs");
            assert_eq!(out.status.code(), Some(2), "{name}={value:?} on a report");
        }
        let out = book.cmd().env(name, "").args(["note", "ada", &format!("with {name} empty")]).output().expect("runs");
        assert_eq!(out.status.code(), Some(0), "{name} empty is unset: {}", String::from_utf8_lossy(&out.stderr));
    }
    // The values clap takes as given: a book that is not one, a writer's name.
    for value in absurd {
        let out = book.cmd().env("CARE_BOOK", value).current_dir("/").args(["flags"]).output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "CARE_BOOK={value:?}: {stderr}");
        assert!(stderr.contains("is not a care book") && !stderr.contains("internal error"), "{stderr}");
        let out = book.cmd().env("CARE_STAFF", value).args(["flags"]).output().expect("runs");
        assert_eq!(out.status.code(), Some(0), "CARE_STAFF={value:?}");
    }
    let notes = book.read("customers/ada-lovelace.yaml");
    for name in ["CARE_NOW", "CARE_LOCK_TIMEOUT", "CARE_HOOK_TIMEOUT", "CARE_NO_CACHE"] {
        assert_eq!(notes.matches(&format!("with {name} empty")).count(), 1, "{notes}");
    }
    assert!(!notes.contains("text: x\n"), "no refused run wrote its note:\n{notes}");
    // The documented forms still work, through the one grammar of time.rs.
    for (name, value) in [("CARE_LOCK_TIMEOUT", "500ms"), ("CARE_LOCK_TIMEOUT", "10"), ("CARE_HOOK_TIMEOUT", "2s")] {
        let out = book.cmd().env(name, value).args(["flags"]).output().expect("runs");
        assert_eq!(out.status.code(), Some(0), "{name}={value}");
    }
}
