//! `care sync` between two sites of one book, with a bare remote (the world of
//! tests/it/git.rs): what cron sees (nothing when nothing happened), notes that travel both
//! ways, the merge driver at work, a forgotten customer who stays forgotten while the other
//! site kept writing about them, a conflict left for a person, and a push that lost a race.

use crate::common::{Out, TestBook};
use crate::git::{ADA, NOON, Site, World, texts, two_sites};

const BOB: &str = "customers/bob-adams.yaml";

fn sync(site: &Site) -> Out {
    site.care("2026-11-22T18:00:00-05:00", &["sync"])
}

/// A sync that worked: status 0, nothing on stdout; what it said on stderr.
fn synced(site: &Site) -> String {
    let out = sync(site);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "care sync at {}:\n{}", site.path.display(), out.stderr);
    out.stderr
}

/// Nothing was left for a person: no merge under way, no unmerged file, no marker.
fn settled(site: &Site) {
    assert_eq!(site.git(&["rev-parse", "-q", "--verify", "MERGE_HEAD"]).code, 1, "no merge left under way");
    assert_eq!(site.git_ok(&["ls-files", "-u"]), "");
    assert_eq!(site.git(&["grep", "-l", "^<<<<<<<"]).stdout, "");
}

/// Both sites hold exactly the same commit's files, and nothing uncommitted of the book.
fn same_everywhere(a: &Site, b: &Site) {
    settled(a);
    settled(b);
    assert_eq!(a.git_ok(&["rev-parse", "HEAD^{tree}"]), b.git_ok(&["rev-parse", "HEAD^{tree}"]));
    for site in [a, b] {
        assert_eq!(site.git_ok(&["status", "--porcelain"]), "", "all committed at {}", site.path.display());
    }
}

/// Two sites that both know Ada (seeded) and Bob (added at A, synced to B).
fn with_bob() -> (World, Site, Site) {
    let (world, a, b, _) = two_sites();
    a.ok(NOON, &["customer", "add", "Bob Adams"]);
    synced(&a);
    synced(&b);
    assert!(b.path.join(BOB).is_file());
    (world, a, b)
}

/// Forget Ada at `site` as `care forget` will: her file removed, the tombstone written,
/// left for sync to commit. (The one place to switch to `care forget` once it is merged.)
fn forget_ada(site: &Site) {
    site.ok("2026-11-22T15:15:00-05:00", &["forget", "ada-lovelace", "--reason", "asked to be forgotten"]);
}

#[test]
fn nothing_to_do_prints_nothing_and_a_second_sync_after_work_is_silent_too() {
    let (_world, a, b, _) = two_sites();
    assert_eq!(synced(&a), "", "A pushed its seed itself: nothing to do");
    assert_eq!(synced(&b), "");
    a.ok("2026-11-22T15:10:00-05:00", &["note", "ada", "Asked for the quiet corner"]);
    assert_eq!(synced(&a), "pushed 1 commit to origin/main\n");
    assert_eq!(synced(&a), "", "the remote-tracking branch followed the push");
    assert_eq!(synced(&b), "merged 1 commit from origin/main\n");
    assert_eq!(synced(&b), "");
    assert_eq!(texts(&b.yaml(ADA), "notes"), ["Asked for the quiet corner"]);
}

#[test]
fn what_git_commit_left_uncommitted_is_committed_alone_with_a_message_naming_no_one() {
    let (_world, a, b, _) = two_sites();
    // A hand edit of Ada's file, care.yaml changed, and a stray file that is not the book's.
    let text = a.read(ADA).replace("phone: +1 555 0100", "phone: +1 555 0101");
    a.write(ADA, &text);
    a.write("care.yaml", &a.read("care.yaml").replace("Trattoria Sol", "Trattoria Sol Downtown"));
    a.write("customers/scratch.txt", "my own notes");
    a.write("todo.txt", "staged by hand, not the book's");
    a.git_ok(&["add", "todo.txt"]);
    let said = synced(&a);
    assert_eq!(said, "committed 2 changed files (care sync: 2 files)\npushed 1 commit to origin/main\n");
    let message = a.git_ok(&["log", "-1", "--format=%B"]);
    assert_eq!(message.trim(), "care sync: 2 files");
    let files = a.git_ok(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files, format!("care.yaml\n{ADA}\n"));
    assert_eq!(a.git_ok(&["status", "--porcelain"]), "A  todo.txt\n?? customers/scratch.txt\n", "the rest as it was");
    synced(&b);
    assert!(b.read(ADA).contains("+1 555 0101"));
}

#[test]
fn notes_on_different_customers_at_both_sites_are_kept_at_both() {
    let (_world, a, b) = with_bob();
    a.ok("2026-11-22T15:10:00-05:00", &["note", "bob", "Note from A on Bob"]);
    b.ok("2026-11-22T15:20:00-05:00", &["note", "ada", "Note from B on Ada"]);
    assert_eq!(synced(&a), "pushed 1 commit to origin/main\n");
    assert_eq!(synced(&b), "merged 1 commit from origin/main\npushed 2 commits to origin/main\n");
    assert_eq!(synced(&a), "merged 2 commits from origin/main\n");
    for site in [&a, &b] {
        assert_eq!(texts(&site.yaml(BOB), "notes"), ["Note from A on Bob"]);
        assert_eq!(texts(&site.yaml(ADA), "notes"), ["Note from B on Ada"]);
    }
    same_everywhere(&a, &b);
}

#[test]
fn notes_on_the_same_customer_at_both_sites_are_merged_by_the_driver() {
    let (_world, a, b, _) = two_sites();
    a.ok("2026-11-22T15:10:00-05:00", &["note", "ada", "Note from A"]);
    b.ok("2026-11-22T15:20:00-05:00", &["note", "ada", "Note from B"]);
    synced(&a);
    assert_eq!(synced(&b), "merged 1 commit from origin/main\npushed 2 commits to origin/main\n");
    synced(&a);
    for site in [&a, &b] {
        assert_eq!(texts(&site.yaml(ADA), "notes"), ["Note from A", "Note from B"]);
    }
    same_everywhere(&a, &b);
}

/// A forgets Ada while B writes notes on Ada and on Bob; `forgetting_syncs_first` says who
/// syncs first (the other then meets the modify/delete conflict on its own side).
fn forgotten_while_the_other_site_wrote(forgetting_syncs_first: bool) {
    let (_world, a, b) = with_bob();
    forget_ada(&a);
    b.ok("2026-11-22T15:20:00-05:00", &["note", "ada", "Birthday is in March"]);
    b.ok("2026-11-22T15:21:00-05:00", &["note", "bob", "Likes the window seat"]);
    let (first, second) = if forgetting_syncs_first { (&a, &b) } else { (&b, &a) };
    synced(first);
    let said = synced(second);
    assert!(said.contains(" from origin/main; 1 customer file forgotten stayed deleted\n"), "{said}");
    assert!(!said.contains("ada"), "the forgotten person is not named: {said}");
    let merge = second.git_ok(&["log", "-1", "--format=%B"]);
    assert!(!merge.contains("ada"), "nor in the merge's message: {merge}");
    synced(first);
    for site in [&a, &b] {
        assert!(!site.path.join(ADA).exists(), "Ada is gone at {}", site.path.display());
        assert_eq!(texts(&site.yaml(BOB), "notes"), ["Likes the window seat"]);
        let tombstone = site.read("forgotten.yaml");
        assert!(
            // Words no lowercase hex digest can hold (a salt may well contain "ada").
            tombstone.contains("asked to be forgotten")
                && !tombstone.contains("Ada")
                && !tombstone.contains("lovelace"),
            "{tombstone}"
        );
    }
    same_everywhere(&a, &b);
    assert_eq!(synced(&a), "");
    assert_eq!(synced(&b), "");
}

#[test]
fn a_forgotten_customer_stays_forgotten_when_the_forgetting_site_syncs_first() {
    forgotten_while_the_other_site_wrote(true);
}

#[test]
fn a_forgotten_customer_stays_forgotten_when_the_writing_site_syncs_first() {
    forgotten_while_the_other_site_wrote(false);
}

#[test]
fn a_file_deleted_at_one_site_for_no_recorded_reason_is_left_for_a_person() {
    let (_world, a, b) = with_bob();
    a.git_ok(&["rm", "-q", BOB]);
    b.ok("2026-11-22T15:21:00-05:00", &["note", "bob", "Likes the window seat"]);
    synced(&a);
    let out = sync(&b);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("CONFLICT: {BOB}: changed here, deleted at the other site")),
        "{}",
        out.stderr
    );
    assert!(b.path.join(BOB).is_file(), "git left B's version in place");
    let again = sync(&b);
    assert_eq!(again.code, 1, "cron again before anyone looked: {}", again.stderr);
    assert!(again.stderr.contains(&format!("CONFLICT: {BOB}: changed here")), "{}", again.stderr);
    assert!(again.stderr.contains("the merge of an earlier pull stopped on a conflict"), "{}", again.stderr);
}

#[test]
fn a_conflict_care_cannot_settle_is_named_and_left_as_git_left_it() {
    let (_world, a, b) = with_bob();
    let rename =
        |site: &Site, name: &str| site.write("care.yaml", &site.read("care.yaml").replace("Trattoria Sol", name));
    rename(&a, "Trattoria Sol Uptown");
    forget_ada(&a);
    rename(&b, "Trattoria Sol Downtown");
    b.ok("2026-11-22T15:20:00-05:00", &["note", "ada", "Birthday is in March"]);
    b.ok("2026-11-22T15:21:00-05:00", &["note", "bob", "Likes the window seat"]);
    synced(&a);
    let pushed = a.git_ok(&["rev-parse", "HEAD"]);

    let out = sync(&b);
    assert_eq!((out.code, out.stdout.as_str()), (1, ""), "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines[0], "committed 1 changed file (care sync: 1 file)");
    assert!(lines.contains(&"CONFLICT: care.yaml: changed on both sides where care cannot merge it"), "{}", out.stderr);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("CONFLICT: {ADA}: deleted on one side")) && l.contains("forgotten")),
        "the settleable one is named too, with what to do: {}",
        out.stderr
    );
    assert!(out.stderr.contains("error: the merge of origin/main stopped on 2 conflicts care cannot settle"));
    assert!(out.stderr.contains("hint: "), "{}", out.stderr);
    // Exactly as git leaves it: the merge under way, both files unmerged, nothing settled.
    b.git_ok(&["rev-parse", "-q", "--verify", "MERGE_HEAD"]);
    assert_eq!(b.git_ok(&["diff", "--name-only", "--diff-filter=U"]), format!("care.yaml\n{ADA}\n"));
    assert!(b.read("care.yaml").contains("<<<<<<<"));
    assert!(b.path.join(ADA).is_file());
    assert_eq!(a.git_ok(&["ls-remote", "origin", "main"]).split('\t').next(), Some(pushed.trim()), "nothing pushed");

    // Run again by cron before anyone looked: the book's settings do not read, and say why.
    let again = sync(&b);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("care.yaml:2:1: an unresolved git merge conflict"), "{}", again.stderr);
    b.git_ok(&["rev-parse", "-q", "--verify", "MERGE_HEAD"]);

    // A person resolves it; the next sync pushes, and A gets everything.
    b.write("care.yaml", &a.read("care.yaml"));
    b.git_ok(&["add", "care.yaml"]);
    b.git_ok(&["rm", "-q", ADA]);
    b.git_ok(&["commit", "-q", "--no-edit"]);
    assert_eq!(synced(&b), "pushed 4 commits to origin/main\n");
    synced(&a);
    assert_eq!(texts(&a.yaml(BOB), "notes"), ["Likes the window seat"]);
    same_everywhere(&a, &b);
}

/// A pre-push hook at `site` that, the first `times` times it runs, lets `other` push a
/// commit first: the race two sites syncing at the same moment run.
fn other_pushes_first(site: &Site, other: &Site, times: u32) {
    let left = site.path.join(".git/races-left");
    std::fs::write(&left, times.to_string()).expect("counter");
    let hook = site.path.join(".git/hooks/pre-push");
    let script = format!(
        "#!/bin/sh\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\nn=$(cat '{left}')\n[ \"$n\" -gt 0 ] || exit 0\n\
         echo $((n - 1)) > '{left}'\ncd '{other}' && git commit -q --allow-empty -m 'other site' && git push -q origin main\n",
        left = left.display(),
        other = other.path.display(),
    );
    std::fs::write(&hook, script).expect("hook");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

#[test]
fn a_push_that_lost_the_race_is_pulled_again_and_pushed_and_gives_up_after_three_tries() {
    let (_world, a, b, _) = two_sites();
    b.ok("2026-11-22T15:20:00-05:00", &["note", "ada", "Note from B"]);
    other_pushes_first(&b, &a, 1);
    assert_eq!(
        synced(&b),
        "push to origin/main rejected: another site pushed first; pulling again\n\
         merged 1 commit from origin/main\npushed 2 commits to origin/main\n"
    );
    assert_eq!(synced(&a), "merged 2 commits from origin/main\n");
    same_everywhere(&a, &b);

    b.ok("2026-11-22T15:30:00-05:00", &["note", "ada", "Another from B"]);
    other_pushes_first(&b, &a, 10);
    let out = sync(&b);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr.matches("pulling again").count(), 2, "{}", out.stderr);
    assert!(out.stderr.contains("error: the push to origin/main was rejected 3 times"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(b.path.join(".git/races-left")).expect("counter").trim(), "7", "3 tries");
    settled(&b);
}

#[test]
fn no_repository_or_no_remote_is_a_clear_error() {
    let book = TestBook::new();
    let out = book.fails(&["sync"], 1);
    assert!(out.stderr.contains("is not in a git repository"), "{}", out.stderr);
    assert!(out.stderr.contains("hint: ") && out.stderr.contains("docs/sharing.md"), "{}", out.stderr);

    let (_world, a, _b, _) = two_sites();
    a.git_ok(&["remote", "remove", "origin"]);
    let out = sync(&a);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("this clone has no remote"), "{}", out.stderr);
    assert!(out.stderr.contains("git remote add origin"), "{}", out.stderr);
}
