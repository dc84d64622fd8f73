//! One book, several sites: the real `git` program and the real binary, with a bare remote
//! and clones in temporary folders, as two sites of a business would have them.
//!
//! Git runs hermetically here: its identity comes from the environment and each clone's
//! own config, HOME points into the test's folder, and the system and global config files
//! are not read, so the machine's own git setup cannot change the outcome.

use crate::common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Out, TestBook};
use tempfile::TempDir;

/// Git's environment for every process a test starts (git itself, and care, which runs
/// git for `git.commit` and as the merge driver git runs).
fn hermetic(cmd: &mut Command, home: &Path) {
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join("gitconfig"))
        .env("GIT_AUTHOR_NAME", "Test Site")
        .env("GIT_AUTHOR_EMAIL", "site@example.com")
        .env("GIT_COMMITTER_NAME", "Test Site")
        .env("GIT_COMMITTER_EMAIL", "site@example.com")
        .env("GIT_MERGE_AUTOEDIT", "no")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("CARE_BOOK")
        .env_remove("NO_COLOR");
}

fn finished(out: std::process::Output) -> Out {
    Out {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// A folder holding the shared remote (`remote.git`) and the sites' clones.
pub(crate) struct World {
    dir: TempDir,
}

/// One clone of the book: a site of the business.
pub(crate) struct Site {
    pub(crate) path: PathBuf,
    home: PathBuf,
    /// Who writes at this site (`CARE_STAFF`).
    staff: &'static str,
}

impl World {
    pub(crate) fn new() -> World {
        let world = World { dir: TempDir::new().expect("temp dir") };
        std::fs::create_dir(world.home()).expect("home");
        let out = world.git_in(world.dir.path(), &["init", "-q", "--bare", "-b", "main", "remote.git"]);
        assert_eq!(out.code, 0, "{out:?}");
        world
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn git_in(&self, dir: &Path, args: &[&str]) -> Out {
        let mut cmd = Command::new("git");
        hermetic(&mut cmd, &self.home());
        finished(cmd.current_dir(dir).args(args).output().expect("git runs"))
    }

    /// A new clone of the remote, with its own identity in its own config.
    pub(crate) fn clone(&self, name: &str) -> Site {
        let out = self.git_in(self.dir.path(), &["clone", "-q", "remote.git", name]);
        assert_eq!(out.code, 0, "{out:?}");
        let site = Site { path: self.dir.path().join(name), home: self.home(), staff: "joan" };
        site.git_ok(&["config", "user.name", &format!("Site {name}")]);
        site.git_ok(&["config", "user.email", &format!("{name}@example.com")]);
        site
    }

    /// Site A starts the shared book: Ada, an incident opened on a busy afternoon, the
    /// merge driver set up and `git.commit: true`, all pushed. Returns site A and the id.
    pub(crate) fn seed(&self) -> (Site, String) {
        let a = self.clone("a");
        a.ok(NOON, &["init", ".", "--name", "Trattoria Sol", "--timezone", "America/New_York"]);
        let config = a.read("care.yaml").replace("commit: false", "commit: true");
        a.write("care.yaml", &config);
        a.git_ok(&["add", "-A"]);
        a.git_ok(&["commit", "-q", "-m", "A new book"]);
        a.ok(NOON, &["git", "setup"]);
        a.ok(NOON, &["customer", "add", "Ada Lovelace", "--phone", "+1 555 0100"]);
        let id = a.open(NOON, "ada", "Entrées mixed up");
        a.git_ok(&["push", "-q", "origin", "main"]);
        (a, id)
    }
}

/// The morning the book is started.
pub(crate) const NOON: &str = "2026-11-22T12:00:00-05:00";

impl Site {
    fn process(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        hermetic(&mut cmd, &self.home);
        cmd.current_dir(&self.path);
        cmd
    }

    /// `care ARGS` at this site, at the given moment, written by the site's staff.
    pub(crate) fn care(&self, now: &str, args: &[&str]) -> Out {
        let mut cmd = self.process(assert_cmd::cargo::cargo_bin("care").to_str().expect("utf-8 path"));
        finished(cmd.env("CARE_NOW", now).env("CARE_STAFF", self.staff).args(args).output().expect("care runs"))
    }

    pub(crate) fn ok(&self, now: &str, args: &[&str]) -> String {
        let out = self.care(now, args);
        assert_eq!(out.code, 0, "care {args:?} at {}:\n{}", self.path.display(), out.stderr);
        out.stdout
    }

    pub(crate) fn git(&self, args: &[&str]) -> Out {
        finished(self.process("git").args(args).output().expect("git runs"))
    }

    pub(crate) fn git_ok(&self, args: &[&str]) -> String {
        let out = self.git(args);
        assert_eq!(out.code, 0, "git {args:?} at {}:\n{}{}", self.path.display(), out.stdout, out.stderr);
        out.stdout
    }

    fn pull(&self) -> Out {
        self.git(&["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"])
    }

    fn sync(&self) {
        let out = self.pull();
        assert_eq!(out.code, 0, "pull at {}:\n{}{}", self.path.display(), out.stdout, out.stderr);
        self.git_ok(&["push", "-q", "origin", "main"]);
    }

    pub(crate) fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub(crate) fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path.join(rel), text).expect("write");
    }

    pub(crate) fn yaml(&self, rel: &str) -> serde_yaml::Value {
        serde_yaml::from_str(&self.read(rel)).unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"))
    }

    /// Open an incident with a complete deposition; returns its id.
    fn open(&self, now: &str, customer: &str, what: &str) -> String {
        let args = [
            "recover",
            "open",
            customer,
            "--what",
            what,
            "--product",
            "entrees",
            "--staff",
            "billy",
            "--location",
            "downtown",
            "--busyness",
            "95",
            "--circumstances",
            "A birthday lunch",
        ];
        self.ok(now, &args).trim().to_string()
    }
}

fn incident_file(id: &str) -> String {
    format!("incidents/{}/{}/{id}.yaml", &id[0..4], &id[4..6])
}

pub(crate) const ADA: &str = "customers/ada-lovelace.yaml";

/// The texts of a list's entries, in order.
pub(crate) fn texts(record: &serde_yaml::Value, key: &str) -> Vec<String> {
    let list = record.get(key).and_then(|v| v.as_sequence()).cloned().unwrap_or_default();
    list.iter().map(|e| e["text"].as_str().unwrap_or_default().to_string()).collect()
}

/// Story 5, the afternoon: each site notes Ada and records steps and follow-ups on the
/// same incident; A pushes first, then B pulls. Returns B's pull.
fn same_afternoon(world: &World, a: &Site, id: &str, register_driver_on_b: bool) -> (Site, Out) {
    let b = world.clone("b");
    if register_driver_on_b {
        let said = b.care(NOON, &["git", "setup"]);
        assert_eq!(said.code, 0, "{}", said.stderr);
        assert!(said.stderr.contains("merge.care.driver"), "{}", said.stderr);
    }
    a.ok("2026-11-22T15:05:00-05:00", &["recover", "apologize", id, "Apologized at the table"]);
    a.ok("2026-11-22T15:10:00-05:00", &["note", "ada", "Asked for the quiet corner next time"]);
    a.ok("2026-11-22T15:12:00-05:00", &["followup", "done", id, "--how", "in-person"]);
    b.ok("2026-11-22T15:07:00-05:00", &["recover", "review", id, "Ticket printed for table 12"]);
    b.ok("2026-11-22T15:20:00-05:00", &["note", "ada", "--pref", "Prefers sparkling water"]);
    b.ok("2026-11-22T15:21:00-05:00", &["note", "ada", "Birthday is in March"]);
    b.ok("2026-11-22T15:22:00-05:00", &["followup", "add", id, "--due", "2026-11-24 10:00", "Call about the refund"]);
    a.git_ok(&["push", "-q", "origin", "main"]);
    let pulled = b.pull();
    (b, pulled)
}

#[test]
fn story_5_two_sites_note_the_same_customer_and_the_pull_merges_without_conflict() {
    let world = World::new();
    let (a, id) = world.seed();
    let (b, pulled) = same_afternoon(&world, &a, &id, true);
    assert_eq!(pulled.code, 0, "the pull merges cleanly:\n{}{}", pulled.stdout, pulled.stderr);

    let ada = b.yaml(ADA);
    assert_eq!(texts(&ada, "notes"), ["Asked for the quiet corner next time", "Birthday is in March"]);
    assert_eq!(texts(&ada, "preferences"), ["Prefers sparkling water"]);
    assert_eq!(texts(&ada, "flags").len(), 1, "the incident's flag, once");
    let incident = b.yaml(&incident_file(&id));
    assert_eq!(incident["recovery"]["apologized"]["note"].as_str(), Some("Apologized at the table"));
    assert_eq!(incident["recovery"]["reviewed"]["note"].as_str(), Some("Ticket printed for table 12"));
    let followups = incident["followups"].as_sequence().expect("followups");
    let kinds: Vec<&str> = followups.iter().map(|f| f["kind"].as_str().unwrap_or_default()).collect();
    assert_eq!(kinds, ["progress", "progress", "custom"], "A's done progress and the next one it armed, then B's");
    assert_eq!(followups[0]["done"]["how"].as_str(), Some("in-person"));
    assert_eq!(followups[2]["text"].as_str(), Some("Call about the refund"));

    let check = b.care("2026-11-22T18:00:00-05:00", &["check"]);
    assert_eq!(
        (check.code, check.stdout.as_str()),
        (0, "severity,file,line,column,code,message\n"),
        "{}",
        check.stderr
    );
    assert!(check.stderr.contains("The book is clean"), "{}", check.stderr);

    // B pushes the merge; A fast-forwards to the very same files.
    b.git_ok(&["push", "-q", "origin", "main"]);
    a.sync();
    assert_eq!(a.read(ADA), b.read(ADA));
    assert_eq!(a.read(&incident_file(&id)), b.read(&incident_file(&id)));
}

#[test]
fn story_5_without_the_driver_plain_git_conflicts() {
    let world = World::new();
    let (a, id) = world.seed();
    let (b, pulled) = same_afternoon(&world, &a, &id, false);
    assert_ne!(pulled.code, 0, "plain git cannot merge two notes added at the same spot");
    assert!(pulled.stdout.contains("CONFLICT"), "{}", pulled.stdout);
    assert!(b.read(ADA).contains("<<<<<<<"), "{}", b.read(ADA));

    // And `care check` says why: this clone never ran `care git setup`.
    b.git_ok(&["merge", "--abort"]);
    let check = b.care("2026-11-22T18:00:00-05:00", &["check"]);
    assert_eq!(check.code, 0, "a warning, not an error: {}", check.stderr);
    assert!(check.stdout.contains("merge-driver") && check.stdout.contains("care git setup"), "{}", check.stdout);
}

#[test]
fn a_scalar_changed_differently_on_both_sites_is_a_conflict_and_nothing_is_lost() {
    let world = World::new();
    let (a, _) = world.seed();
    let b = world.clone("b");
    b.ok(NOON, &["git", "setup"]);
    let rephone = |site: &Site, phone: &str| {
        let text = site.read(ADA).replace("phone: +1 555 0100", &format!("phone: {phone}"));
        assert!(text.contains(phone), "{text}");
        site.write(ADA, &text);
        site.git_ok(&["commit", "-q", "-am", "new phone"]);
    };
    rephone(&a, "+1 555 0101");
    a.ok("2026-11-22T15:10:00-05:00", &["note", "ada", "Note from A"]);
    rephone(&b, "+1 555 0199");
    b.ok("2026-11-22T15:20:00-05:00", &["note", "ada", "Note from B"]);
    a.git_ok(&["push", "-q", "origin", "main"]);

    let pulled = b.pull();
    assert_ne!(pulled.code, 0, "a conflict, never a silent pick");
    assert!(pulled.stderr.contains("contact.phone"), "the driver names the field:\n{}", pulled.stderr);
    let text = b.read(ADA);
    let markers = "<<<<<<< ours\n  phone: +1 555 0199\n=======\n  phone: +1 555 0101\n>>>>>>> theirs\n";
    assert!(text.contains(markers), "{text}");
    assert!(text.contains("Note from A") && text.contains("Note from B"), "both notes are kept:\n{text}");
    let check = b.care("2026-11-22T18:00:00-05:00", &["check"]);
    assert_eq!(check.code, 1, "the conflicted file is reported: {}", check.stdout);
    assert!(check.stdout.contains(&format!("{ADA},5,1,merge-conflict,")), "{}", check.stdout);
    let noted = b.care(NOON, &["note", "ada", "One more"]);
    assert_eq!(noted.code, 1, "a conflicted file is never written");

    // Resolving it: keep one value, drop the markers, commit.
    b.write(ADA, &text.replace(markers, "  phone: +1 555 0101\n"));
    b.git_ok(&["commit", "-q", "-am", "Ada's phone is A's"]);
    let check = b.care("2026-11-22T18:00:00-05:00", &["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

#[test]
fn the_driver_leaves_ours_untouched_when_a_side_does_not_parse() {
    let book = TestBook::bare();
    book.write("o.yaml", "id: ada\nname: Ada\n");
    book.write("a.yaml", "id: ada\nname: Ada\nnotes:\n- text: a\n");
    book.write("b.yaml", "id: ada\nname: [Ada\n");
    let out = book.fails(&["merge-driver", "o.yaml", "a.yaml", "b.yaml", "customers/ada.yaml"], 1);
    assert!(out.stderr.contains("customers/ada.yaml (theirs):"), "{}", out.stderr);
    assert_eq!(book.read("a.yaml"), "id: ada\nname: Ada\nnotes:\n- text: a\n");

    // Added on both sides: git hands over an empty ancestor.
    book.write("o.yaml", "");
    book.write("b.yaml", "id: ada\nname: Ada\nnotes:\n- text: b\n");
    book.ok(&["merge-driver", "o.yaml", "a.yaml", "b.yaml", "customers/ada.yaml"]);
    assert_eq!(book.read("a.yaml"), "id: ada\nname: Ada\nnotes:\n- text: a\n- text: b\n");
    assert!(!book.care(&["--help"]).stdout.contains("merge-driver"), "hidden from --help");
}

/// A customer file as a person writes it: comments, their own key order, flow-style
/// entries, a multi-line flag.
const HAND_WRITTEN: &str = "\
# Ada — regular since 2019. Ask Joan before changing anything here.
name: Ada Lovelace   # as she signs
id: ada-lovelace
contact: {phone: \"+1 555 0100\", email: ada@example.com}
notes:
  - {text: Wife is ill; be gentle with scheduling, at: 2026-11-05T12:00:00-05:00, by: jeff}
  # (older notes are in the paper book)
preferences:
  - {text: No phone calls before 11 am, at: 2026-11-02T10:15:00-05:00, by: dale, critical: true}
flags:
  - {text: \"Rough evening 22 Nov — recheck every order\", raised: 2026-11-22T15:33:00-05:00,
     by: joan, until: 2027-02-20}
  - {text: Owes us a review, raised: 2026-11-01T10:00:00-05:00, by: dale}
since: 2019-03-02   # first visit
";

/// Git's count of added and deleted lines in the work tree, per file.
fn numstat(site: &Site) -> String {
    site.git_ok(&["diff", "--numstat"])
}

fn hand_written_book() -> (World, Site) {
    let world = World::new();
    let site = world.clone("a");
    site.ok(NOON, &["init", ".", "--name", "T", "--timezone", "America/New_York"]);
    std::fs::create_dir_all(site.path.join("customers")).expect("mkdir");
    site.write(ADA, HAND_WRITTEN);
    site.git_ok(&["add", "-A"]);
    site.git_ok(&["commit", "-q", "-m", "Ada, by hand"]);
    (world, site)
}

#[test]
fn a_note_on_a_hand_written_file_only_adds_its_own_line() {
    let (_world, site) = hand_written_book();
    site.ok(NOON, &["note", "ada", "Birthday, with a comma: in March"]);
    site.ok(NOON, &["note", "ada", "--pref", "Likes the corner table"]);
    assert_eq!(numstat(&site), format!("2\t0\t{ADA}\n"), "only added lines:\n{}", site.git_ok(&["diff"]));
    let diff = site.git_ok(&["diff", "-U0"]);
    assert!(
        diff.contains("+  - {text: \"Birthday, with a comma: in March\", at: 2026-11-22T12:00:00-05:00, by: joan}\n"),
        "a new entry looks like its neighbours:\n{diff}"
    );
    let text = site.read(ADA);
    let kept: Vec<&str> = text.lines().filter(|l| !l.contains("in March") && !l.contains("corner table")).collect();
    assert_eq!(kept.join("\n") + "\n", HAND_WRITTEN, "every other byte as it was");

    // Clearing the second flag rewrites that entry's line and nothing else.
    site.git_ok(&["commit", "-q", "-am", "notes"]);
    site.ok(NOON, &["flag", "--clear", "ada", "2"]);
    assert_eq!(numstat(&site), format!("1\t1\t{ADA}\n"), "{}", site.git_ok(&["diff"]));
}

#[test]
fn a_merge_that_only_adds_keeps_a_hand_written_file_as_it_was_written() {
    let (world, a) = hand_written_book();
    a.ok(NOON, &["git", "setup"]);
    a.git_ok(&["add", "-A"]);
    a.git_ok(&["commit", "-q", "-m", "setup"]);
    a.git_ok(&["push", "-q", "origin", "main"]);
    let b = world.clone("b");
    b.ok(NOON, &["git", "setup"]);
    b.ok("2026-11-22T15:10:00-05:00", &["note", "ada", "From B"]);
    b.git_ok(&["commit", "-q", "-am", "B"]);
    a.ok("2026-11-22T15:20:00-05:00", &["note", "ada", "From A"]);
    a.ok("2026-11-22T15:21:00-05:00", &["flag", "--clear", "ada", "2"]);
    a.git_ok(&["commit", "-q", "-am", "A"]);
    a.git_ok(&["push", "-q", "origin", "main"]);
    let pulled = b.pull();
    assert_eq!(pulled.code, 0, "{}", pulled.stderr);
    let text = b.read(ADA);
    assert!(text.starts_with(HAND_WRITTEN.lines().next().expect("line")), "{text}");
    assert!(text.contains("# (older notes are in the paper book)") && text.contains("# as she signs"), "{text}");
    assert_eq!(texts(&b.yaml(ADA), "notes"), ["Wife is ill; be gentle with scheduling", "From B", "From A"]);
    assert!(text.contains("{text: Owes us a review, raised: 2026-11-01T10:00:00-05:00, by: dale, cleared: "), "{text}");
}

#[test]
fn an_edit_that_cannot_keep_the_layout_is_refused_unless_rewrite() {
    let (_world, site) = hand_written_book();
    let odd = "{id: ada-lovelace, name: Ada Lovelace, notes: [{text: one}]}   # all on one line\n";
    site.write(ADA, odd);
    let out = site.care(NOON, &["note", "ada", "Two"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("--rewrite") && out.stderr.contains(ADA), "{}", out.stderr);
    assert_eq!(site.read(ADA), odd, "nothing was written");

    let out = site.care(NOON, &["note", "ada", "Two", "--rewrite"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("comments dropped"), "{}", out.stderr);
    assert_eq!(texts(&site.yaml(ADA), "notes"), ["one", "Two"]);
}

#[test]
fn git_setup_is_idempotent_and_refuses_outside_git() {
    let (_world, site) = hand_written_book();
    std::fs::write(site.path.join(".gitattributes"), "*.png binary").expect("write");
    let first = site.care(NOON, &["git", "setup"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains(".gitattributes") && first.stderr.contains("merge.care.driver"), "{}", first.stderr);
    let attributes = site.read(".gitattributes");
    assert!(attributes.starts_with("*.png binary\n"), "what was there stays:\n{attributes}");
    for line in ["customers/**/*.yaml merge=care", "incidents/**/*.yml merge=care"] {
        assert!(attributes.lines().any(|l| l == line), "{attributes}");
    }
    let ignore = site.read(".gitignore");
    assert!(ignore.lines().any(|l| l == ".*.edit-*"), "{ignore}");
    let driver = site.git_ok(&["config", "--local", "merge.care.driver"]);
    let exe = assert_cmd::cargo::cargo_bin("care");
    assert_eq!(driver.trim(), format!("'{}' merge-driver %O %A %B %P", exe.display()));
    let attr = site.git_ok(&["check-attr", "merge", "--", "incidents/2026/11/x.yaml"]);
    assert_eq!(attr.trim(), "incidents/2026/11/x.yaml: merge: care");

    let (before_attributes, before_ignore) = (site.read(".gitattributes"), site.read(".gitignore"));
    let second = site.care(NOON, &["git", "setup"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.stderr.contains("Nothing to do"), "{}", second.stderr);
    assert_eq!((site.read(".gitattributes"), site.read(".gitignore")), (before_attributes, before_ignore));

    let outside = TestBook::new();
    let out = outside.fails(&["git", "setup"], 1);
    assert!(out.stderr.contains("not in a git work tree") && out.stderr.contains("git init"), "{}", out.stderr);
}

#[test]
fn git_commit_true_commits_exactly_the_changed_file_with_a_message_that_says_what() {
    let (_world, site) = hand_written_book();
    let config = site.read("care.yaml").replace("commit: false", "commit: true");
    site.write("care.yaml", &config);
    site.git_ok(&["commit", "-q", "-am", "commit every change"]);
    site.write("unrelated.txt", "not care's business\n");
    site.git_ok(&["add", "unrelated.txt"]);

    site.ok(NOON, &["note", "ada", "Allergic to shellfish", "--pref", "--critical"]);
    let shown = site.git_ok(&["show", "--name-only", "--format=%s", "HEAD"]);
    assert_eq!(shown, format!("note ada-lovelace: preference\n\n{ADA}\n"));
    assert_eq!(site.git_ok(&["status", "--porcelain"]), "A  unrelated.txt\n", "what was staged stays staged");

    site.ok(NOON, &["flag", "ada", "Recheck every order"]);
    assert_eq!(site.git_ok(&["log", "-1", "--format=%s"]), "flag ada-lovelace: raised\n");
    let id = site.open(NOON, "ada", "Soup cold");
    let shown = site.git_ok(&["show", "--name-only", "--format=%s", "HEAD"]);
    assert_eq!(shown, format!("recover open {id}: ada-lovelace\n\n{ADA}\n{}\n", incident_file(&id)));
    site.ok(NOON, &["recover", "fix", &id, "Re-heated"]);
    assert_eq!(site.git_ok(&["log", "-1", "--format=%s"]), format!("recover fix {id}\n"));

    // Git failing never loses the write: the note is saved, the status stays 0.
    std::fs::write(site.path.join(".git/index.lock"), "").expect("lock");
    let out = site.care(NOON, &["note", "ada", "Saved anyway"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("warning: the change is saved but was not committed"), "{}", out.stderr);
    assert!(site.read(ADA).contains("Saved anyway"));
}

/// A small deterministic generator (xorshift), so the run is the same every time.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn two_hundred_interleaved_operations_merged_back_and_forth_lose_and_duplicate_nothing() {
    let world = World::new();
    let (a, ada_incident) = world.seed();
    a.ok(NOON, &["customer", "add", "Bob Adams"]);
    a.ok(NOON, &["customer", "add", "Cy Young"]);
    let bob_incident = a.open(NOON, "bob", "Wrong wine");
    a.git_ok(&["push", "-q", "origin", "main"]);
    let b = world.clone("b");
    b.ok(NOON, &["git", "setup"]);
    let sites = [("a", &a), ("b", &b)];
    let customers = ["ada-lovelace", "bob-adams", "cy-young"];
    let incidents = [&ada_incident, &bob_incident];

    // What each entry's text must end up as: the list it is in, and whether cleared.
    let mut expected: HashMap<String, (&str, &str)> = HashMap::new();
    let mut cleared: Vec<String> = Vec::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for op in 0..200u64 {
        let now = format!("2026-11-22T{:02}:{:02}:00-05:00", 13 + op / 60, op % 60);
        let (name, site) = sites[rng.below(2) as usize];
        let customer = customers[rng.below(3) as usize];
        let file = format!("customers/{customer}.yaml");
        let text = format!("{name}-{op}");
        match rng.below(4) {
            0 => {
                site.ok(&now, &["note", customer, &text]);
                expected.insert(text, (customer, "notes"));
            }
            1 => {
                site.ok(&now, &["flag", customer, &text]);
                expected.insert(text, (customer, "flags"));
            }
            2 => {
                // A site clears only flags it raised itself, so no flag is cleared on both.
                let record = site.yaml(&file);
                let flags = record["flags"].as_sequence().cloned().unwrap_or_default();
                let mine = flags.iter().position(|f| {
                    f["text"].as_str().is_some_and(|t| t.starts_with(&format!("{name}-"))) && f.get("cleared").is_none()
                });
                if let Some(i) = mine {
                    site.ok(&now, &["flag", "--clear", customer, &(i + 1).to_string()]);
                    cleared.push(flags[i]["text"].as_str().expect("text").to_string());
                } else {
                    site.ok(&now, &["note", customer, &text]);
                    expected.insert(text, (customer, "notes"));
                }
            }
            _ => {
                let incident = incidents[rng.below(2) as usize];
                let due = format!("2026-11-25T{:02}:{:02}:00-05:00", 9 + op / 60, op % 60);
                site.ok(&now, &["followup", "add", incident, "--due", &due, &text]);
                expected.insert(text, (incident.as_str(), "followups"));
            }
        }
        if op % 20 == 19 {
            // Back and forth: A gives its work, B merges it and gives back, A catches up.
            a.sync();
            b.sync();
            a.sync();
        }
    }

    for site in [&a, &b] {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for customer in customers {
            let record = site.yaml(&format!("customers/{customer}.yaml"));
            for key in ["notes", "flags"] {
                for text in texts(&record, key) {
                    if expected.contains_key(&text) {
                        assert_eq!(expected[&text], (customer, key), "{text} is where it was put");
                    }
                    *seen.entry(text).or_default() += 1;
                }
            }
            for flag in record["flags"].as_sequence().cloned().unwrap_or_default() {
                let text = flag["text"].as_str().expect("text").to_string();
                assert_eq!(flag.get("cleared").is_some(), cleared.contains(&text), "flag {text}");
            }
        }
        for incident in incidents {
            let record = site.yaml(&incident_file(incident));
            for followup in record["followups"].as_sequence().expect("followups") {
                if let Some(text) = followup["text"].as_str() {
                    assert_eq!(expected[text], (incident.as_str(), "followups"));
                    *seen.entry(text.to_string()).or_default() += 1;
                }
            }
        }
        for text in expected.keys() {
            assert_eq!(seen.get(text), Some(&1), "{text}: kept exactly once at site {}", site.path.display());
        }
        let check = site.care(NOON, &["check"]);
        assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    }
    assert!(!cleared.is_empty() && expected.len() > 120, "the sequence exercised every kind of change");
    let merges = a.git_ok(&["log", "--merges", "--oneline"]).lines().count();
    assert!(merges >= 8, "the driver merged concurrent work in most rounds ({merges} merges)");
    for file in ["customers/ada-lovelace.yaml", "customers/bob-adams.yaml", &incident_file(&ada_incident)] {
        assert_eq!(a.read(file), b.read(file), "both sites hold the same {file}");
    }
}

/// Both sites set up to share the seeded book, B cloned after A's seed.
pub(crate) fn two_sites() -> (World, Site, Site, String) {
    let world = World::new();
    let (a, id) = world.seed();
    let b = world.clone("b");
    b.ok(NOON, &["git", "setup"]);
    (world, a, b, id)
}

/// A pull that needed nobody: exit 0 and no conflict markers anywhere in the book.
fn pulled_cleanly(site: &Site) {
    let out = site.pull();
    assert_eq!(out.code, 0, "a pull needed a person at {}:\n{}{}", site.path.display(), out.stdout, out.stderr);
    let grep = site.git(&["grep", "-l", "^<<<<<<<"]);
    assert_eq!(grep.stdout, "", "conflict markers left in the book");
}

#[test]
fn a_step_both_sites_recorded_is_one_step_with_the_later_one_as_history() {
    let (_world, a, b, id) = two_sites();
    a.ok("2026-11-22T15:05:00-05:00", &["recover", "apologize", &id, "Sorry, from A"]);
    a.ok("2026-11-22T15:50:00-05:00", &["recover", "fix", &id, "Re-fired at A"]);
    b.ok("2026-11-22T15:07:00-05:00", &["recover", "apologize", &id, "Sorry, from B"]);
    b.ok("2026-11-22T15:40:00-05:00", &["recover", "fix", &id, "Re-fired at B"]);
    b.ok("2026-11-23T16:00:00-05:00", &["followup", "done", &id, "--kind", "check-in"]);
    a.git_ok(&["push", "-q", "origin", "main"]);
    pulled_cleanly(&b);

    let incident = b.yaml(&incident_file(&id));
    let recovery = &incident["recovery"];
    assert_eq!(recovery["apologized"]["note"].as_str(), Some("Sorry, from A"), "the earliest apology");
    assert_eq!(recovery["apologized"]["history"][0]["note"].as_str(), Some("Sorry, from B"));
    assert_eq!(recovery["fixed"]["note"].as_str(), Some("Re-fired at B"), "the earliest fix");
    assert_eq!(recovery["fixed"]["history"][0]["note"].as_str(), Some("Re-fired at A"));
    let followups = incident["followups"].as_sequence().expect("followups");
    let kinds: Vec<&str> = followups.iter().map(|f| f["kind"].as_str().unwrap_or_default()).collect();
    assert_eq!(kinds, ["progress", "check-in"], "one check-in, not one per site: {followups:?}");
    assert_eq!(followups[0]["done"]["at"].as_str(), Some("2026-11-22T15:40:00-05:00"));
    assert_eq!(followups[1]["due"].as_str(), Some("2026-11-23T15:40:00-05:00"), "scheduled by the winning fix");
    assert_eq!(followups[1]["done"]["at"].as_str(), Some("2026-11-23T16:00:00-05:00"), "B's done survives");
    assert_eq!(followups[1]["missed_by"].as_i64(), Some(20));
    let check = b.care("2026-11-22T18:00:00-05:00", &["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    let shown = b.ok(NOON, &["recover", "show", &id, "--format", "json"]);
    assert!(shown.contains("Sorry, from A"), "the model reads past history: {shown}");

    // B pushes; A fast-forwards; the next step at A rewrites the file and keeps the history.
    b.git_ok(&["push", "-q", "origin", "main"]);
    a.sync();
    a.ok("2026-11-23T17:00:00-05:00", &["recover", "close", &id]);
    let incident = a.yaml(&incident_file(&id));
    assert_eq!(incident["recovery"]["fixed"]["history"][0]["note"].as_str(), Some("Re-fired at A"));
}

#[test]
fn an_entry_edited_differently_at_both_sites_conflicts_on_its_text_alone() {
    let (_world, a, b, _) = two_sites();
    a.ok("2026-11-22T13:00:00-05:00", &["note", "ada", "Likes the corner table"]);
    a.sync();
    b.sync();
    let edit = |site: &Site, from: &str, to: &str| {
        let text = site.read(ADA).replace(from, to);
        site.write(ADA, &text);
        site.git_ok(&["commit", "-q", "-am", "edited the note"]);
    };
    edit(&a, "Likes the corner table", "Likes the corner table by the window");
    b.ok("2026-11-22T15:00:00-05:00", &["note", "ada", "Brings her own cake"]);
    a.git_ok(&["push", "-q", "origin", "main"]);
    pulled_cleanly(&b);
    let notes = texts(&b.yaml(ADA), "notes");
    assert_eq!(notes, ["Likes the corner table by the window", "Brings her own cake"], "an edit on one side is taken");
    b.git_ok(&["push", "-q", "origin", "main"]);
    a.sync();

    edit(&a, "Likes the corner table by the window", "Corner table, A says");
    edit(&b, "Likes the corner table by the window", "Corner table, B says");
    a.git_ok(&["push", "-q", "origin", "main"]);
    let out = b.pull();
    assert_ne!(out.code, 0, "two different edits are for a person to settle");
    assert!(out.stderr.contains("notes[1].text"), "{}", out.stderr);
    let text = b.read(ADA);
    assert_eq!(text.matches("at: 2026-11-22T13:00:00-05:00").count(), 1, "one entry, not two copies:\n{text}");
    assert!(
        text.contains("<<<<<<< ours\n")
            && text.contains("- text: Corner table, B says\n=======\n- text: Corner table, A says\n>>>>>>> theirs\n"),
        "{text}"
    );
}

#[test]
fn deleting_the_only_note_never_turns_the_next_union_into_a_conflict() {
    let (_world, a, b, _) = two_sites();
    a.ok("2026-11-22T13:00:00-05:00", &["note", "ada", "The only note"]);
    a.sync();
    b.sync();
    let mut ada = a.yaml(ADA);
    ada.as_mapping_mut().expect("record").remove("notes");
    a.write(ADA, &serde_yaml::to_string(&ada).expect("yaml"));
    a.git_ok(&["commit", "-q", "-am", "removed the note"]);
    b.ok("2026-11-22T15:00:00-05:00", &["note", "ada", "A new note"]);
    a.git_ok(&["push", "-q", "origin", "main"]);
    pulled_cleanly(&b);
    assert_eq!(texts(&b.yaml(ADA), "notes"), ["A new note"]);
    b.git_ok(&["push", "-q", "origin", "main"]);
    // And the other way round: the side that deleted merges the other's addition.
    b.ok("2026-11-22T16:00:00-05:00", &["note", "ada", "Another"]);
    let mut ada = a.yaml(ADA);
    ada["name"] = "Ada L.".into();
    a.write(ADA, &serde_yaml::to_string(&ada).expect("yaml"));
    a.git_ok(&["commit", "-q", "-am", "renamed"]);
    b.git_ok(&["push", "-q", "origin", "main"]);
    pulled_cleanly(&a);
    assert_eq!(texts(&a.yaml(ADA), "notes"), ["A new note", "Another"]);
}

/// One simulated month of two sites sharing a book (issue 15): every day each site adds
/// notes, preferences and flags, clears flags, opens incidents, records recovery steps on
/// the incidents both sites have (often the same step at both), marks follow-ups done and
/// adds its own; every evening A pulls and pushes, B pulls and pushes, A pulls. No pull
/// may need a person, and every entry either site wrote is there once at the end.
fn a_month_of_two_sites(seed: u64) {
    let world = World::new();
    let (a, first) = world.seed();
    for name in ["Bob Adams", "Cy Young", "Di Prince"] {
        a.ok(NOON, &["customer", "add", name]);
    }
    a.git_ok(&["push", "-q", "origin", "main"]);
    let mut b = world.clone("b");
    b.staff = "dale";
    b.ok(NOON, &["git", "setup"]);
    let sites = [("a", &a), ("b", &b)];
    let customers = ["ada-lovelace", "bob-adams", "cy-young", "di-prince"];
    let mut shared: Vec<String> = vec![first];
    let mut expected: Vec<(String, &str, String)> = Vec::new();
    let mut rng = Rng(seed);
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    for day in 0..30u64 {
        let date = start + chrono::Days::new(day);
        let mut opened: Vec<String> = Vec::new();
        for (name, site) in sites {
            for n in 0..2 + rng.below(4) {
                let now = format!("{date}T{:02}:{:02}:00-05:00", 9 + 2 * n, rng.below(60));
                let text = format!("{name}-{day}-{n}");
                let customer = customers[rng.below(4) as usize];
                let file = format!("customers/{customer}.yaml");
                let incident = shared[shared.len() - 1 - rng.below(shared.len().min(3) as u64) as usize].clone();
                match rng.below(10) {
                    0..=2 => {
                        let (flag, list) = [
                            ("--pref", "preferences"),
                            ("--goal", "goals"),
                            ("--role", "roles"),
                            ("--misstep", "missteps"),
                        ][rng.below(4) as usize];
                        let plain = rng.below(2) == 0;
                        site.ok(
                            &now,
                            &if plain { vec!["note", customer, &text] } else { vec!["note", customer, flag, &text] },
                        );
                        expected.push((file, if plain { "notes" } else { list }, text));
                    }
                    3 => {
                        site.ok(&now, &["flag", customer, &text]);
                        expected.push((file, "flags", text));
                    }
                    4 => drop(site.ok(&now, &["flag", "--clear", customer])),
                    5 => {
                        let id = site.open(&now, customer, &text);
                        expected.push((file, "missteps", text));
                        opened.push(id);
                    }
                    6 | 7 => {
                        let record = site.yaml(&incident_file(&incident));
                        let steps = [
                            ("apologize", "apologized"),
                            ("review", "reviewed"),
                            ("fix", "fixed"),
                            ("extra", "extra"),
                            ("close", "closed"),
                        ];
                        if let Some((step, _)) = steps.iter().find(|(_, field)| record["recovery"].get(field).is_none())
                        {
                            let mut args = vec!["recover", step, &incident, &text];
                            if *step == "extra" {
                                args.extend(["--what", "Dessert on the house", "--value", "12"]);
                            }
                            site.ok(&now, &args);
                        }
                    }
                    8 => {
                        let record = site.yaml(&incident_file(&incident));
                        let pending = record["followups"]
                            .as_sequence()
                            .is_some_and(|f| f.iter().any(|f| f.get("done").is_none()));
                        if pending {
                            site.ok(&now, &["followup", "done", &incident, "--how", "phone"]);
                        }
                    }
                    _ => {
                        let due = format!("{} 10:00", date + chrono::Days::new(2));
                        site.ok(&now, &["followup", "add", &incident, "--due", &due, &text]);
                        expected.push((incident_file(&incident), "followups", text));
                    }
                }
            }
        }
        for site in [&a, &b, &a] {
            pulled_cleanly(site);
            site.git_ok(&["push", "-q", "origin", "main"]);
        }
        shared.extend(opened);
    }

    assert_eq!(a.git_ok(&["rev-parse", "HEAD"]), b.git_ok(&["rev-parse", "HEAD"]), "both sites end on one history");
    let mut histories = 0;
    for site in [&a, &b] {
        assert_eq!(site.git_ok(&["status", "--porcelain"]), "", "nothing left uncommitted");
        for (file, list, text) in &expected {
            let record = site.yaml(file);
            let entries = record.get(*list).and_then(|l| l.as_sequence()).cloned().unwrap_or_default();
            let n = entries.iter().filter(|e| e["text"].as_str() == Some(text)).count();
            assert_eq!(n, 1, "seed {seed:#x}: {text} in {file} `{list}` at {}", site.path.display());
        }
        for id in &shared {
            let record = site.yaml(&incident_file(id));
            let followups = record["followups"].as_sequence().cloned().unwrap_or_default();
            for kind in ["check-in", "wrap-up"] {
                let n = followups.iter().filter(|f| f["kind"].as_str() == Some(kind)).count();
                assert!(n <= 1, "seed {seed:#x}: {id} has {n} {kind} follow-ups: {followups:?}");
            }
            let steps = record["recovery"].as_mapping().cloned().unwrap_or_default();
            histories += steps.values().filter(|s| s.get("history").is_some()).count();
        }
        let check = site.care(NOON, &["check"]);
        assert_eq!(check.code, 0, "seed {seed:#x}: {}{}", check.stdout, check.stderr);
        assert!(!check.stdout.contains(",error,") && !check.stdout.contains("merge-conflict"), "{}", check.stdout);
    }
    let merges = a.git_ok(&["log", "--merges", "--oneline"]).lines().count();
    assert!(
        merges >= 20 && histories >= 2,
        "seed {seed:#x}: the month merged ({merges}) and met twice-recorded steps ({histories})"
    );
    assert!(expected.len() >= 100, "seed {seed:#x}: {} entries", expected.len());
}

#[test]
fn a_month_of_two_sites_needs_no_person_seed_1() {
    a_month_of_two_sites(0x9e37_79b9_7f4a_7c15);
}

#[test]
fn a_month_of_two_sites_needs_no_person_seed_2() {
    a_month_of_two_sites(0x2545_f491_4f6c_dd1d);
}

#[test]
fn a_month_of_two_sites_needs_no_person_seed_3() {
    a_month_of_two_sites(0xdead_beef_cafe_f00d);
}

/// `care ARGS` at `site` run as the program at `program`, with `path` first on PATH.
fn care_as(site: &Site, program: &Path, path: &Path, args: &[&str]) -> Out {
    let mut cmd = site.process(program.to_str().expect("utf-8 path"));
    let old = std::env::var_os("PATH").unwrap_or_default();
    let joined =
        std::env::join_paths(std::iter::once(path.to_path_buf()).chain(std::env::split_paths(&old))).expect("PATH");
    finished(cmd.env("PATH", joined).env("CARE_NOW", NOON).args(args).output().expect("care runs"))
}

#[test]
fn the_driver_is_registered_by_name_when_care_on_path_is_this_program() {
    let (world, site) = hand_written_book();
    let bin = world.dir.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("care"), bin.join("care")).expect("link");
    let out = care_as(&site, &bin.join("care"), &bin, &["git", "setup"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(site.git_ok(&["config", "--local", "merge.care.driver"]), "care merge-driver %O %A %B %P\n");
    let check = care_as(&site, &bin.join("care"), &bin, &["check"]);
    assert!(!check.stdout.contains("merge-driver"), "{}", check.stdout);
    // Where `care` is not on PATH, check says the driver cannot run.
    let check = site.care(NOON, &["check"]);
    assert!(check.stdout.contains("merge-driver") && check.stdout.contains("is not on PATH"), "{}", check.stdout);
}

#[test]
fn a_moved_care_is_noticed_by_check_and_registered_again_by_setup() {
    let (world, site) = hand_written_book();
    let old = world.dir.path().join("old");
    std::fs::create_dir(&old).expect("old");
    std::fs::copy(assert_cmd::cargo::cargo_bin("care"), old.join("care")).expect("copy");
    let out = care_as(&site, &old.join("care"), world.dir.path(), &["git", "setup"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let registered = site.git_ok(&["config", "--local", "merge.care.driver"]);
    assert!(registered.starts_with(&format!("'{}' merge-driver", old.join("care").display())), "{registered}");
    let check = site.care(NOON, &["check"]);
    assert!(!check.stdout.contains("merge-driver"), "it runs: {}", check.stdout);

    std::fs::remove_dir_all(&old).expect("uninstalled");
    let check = site.care(NOON, &["check"]);
    assert_eq!(check.code, 0, "a warning, not an error: {}", check.stderr);
    assert!(
        check.stdout.contains("merge-driver")
            && check.stdout.contains("does not exist")
            && check.stdout.contains("care git setup"),
        "{}",
        check.stdout
    );
    let setup = site.care(NOON, &["git", "setup"]);
    assert!(setup.stderr.contains("merge.care.driver updated"), "{}", setup.stderr);
    let check = site.care(NOON, &["check"]);
    assert!(!check.stdout.contains("merge-driver"), "{}", check.stdout);
}

#[test]
fn two_sites_recording_visits_for_the_same_customer_the_same_day_merge_without_conflict() {
    let world = World::new();
    let (a, _) = world.seed();
    let b = world.clone("b");
    b.ok(NOON, &["git", "setup"]);
    a.ok("2026-11-22T13:05:00-05:00", &["visit", "ada", "--spend", "40", "--location", "downtown"]);
    a.ok("2026-11-22T19:30:00-05:00", &["visit", "ada", "--spend", "120", "--party", "2", "--location", "downtown"]);
    b.ok("2026-11-22T14:00:00-05:00", &["visit", "ada", "--spend", "15", "--location", "airport"]);
    a.git_ok(&["push", "-q", "origin", "main"]);
    let pulled = b.pull();
    assert_eq!(pulled.code, 0, "the pull merges cleanly:\n{}{}", pulled.stdout, pulled.stderr);
    let ada = b.yaml(ADA);
    let visits = ada["visits"].as_sequence().expect("visits");
    let spends: Vec<i64> = visits.iter().map(|v| v["spend"].as_i64().unwrap_or_default()).collect();
    assert_eq!(spends, [40, 15, 120], "every visit of both sites, once, in time order");
    let list = b.ok(NOON, &["customer", "list", "--format", "json"]);
    assert!(list.contains("\"visits\": 3") && list.contains("\"spend\": 175"), "{list}");
    b.git_ok(&["push", "-q", "origin", "main"]);
    a.sync();
    assert_eq!(a.read(ADA), b.read(ADA));
}

#[test]
fn two_sites_adding_and_marking_reminders_on_the_same_customer_merge_without_conflict() {
    let world = World::new();
    let (a, _) = world.seed();
    a.ok(NOON, &["remind", "ada", "--due", "2026-11-23 10:00", "--every", "2w", "Call about the wine club"]);
    a.git_ok(&["push", "-q", "origin", "main"]);
    let b = world.clone("b");
    b.ok(NOON, &["git", "setup"]);
    // Site A adds a birthday and marks the wine-club call; site B adds its own reminder and
    // marks the same call done too (two people made it).
    a.ok(NOON, &["remind", "ada", "--birthday", "03-14"]);
    a.ok("2026-11-23T11:00:00-05:00", &["followup", "done", "ada", "--how", "phone"]);
    b.ok(NOON, &["remind", "ada", "--due", "2026-12-01", "Send the new menu", "--owner", "jeff"]);
    b.ok("2026-11-23T11:30:00-05:00", &["followup", "done", "ada", "--how", "email"]);
    a.git_ok(&["push", "-q", "origin", "main"]);
    let pulled = b.pull();
    assert_eq!(pulled.code, 0, "the pull merges cleanly:\n{}{}", pulled.stdout, pulled.stderr);
    let ada = b.yaml(ADA);
    let reminders = ada["reminders"].as_sequence().expect("reminders");
    let texts: Vec<&str> = reminders.iter().filter_map(|r| r["text"].as_str()).collect();
    assert_eq!(texts.len(), 3, "every reminder of both sites, once: {texts:?}");
    for t in ["Call about the wine club", "Birthday", "Send the new menu"] {
        assert!(texts.contains(&t), "{t} in {texts:?}");
    }
    let due = b.ok("2026-11-23T12:00:00-05:00", &["followup", "due", "--format", "csv"]);
    assert!(!due.contains("wine club"), "the occurrence done at both sites is done once merged:\n{due}");
    b.ok(NOON, &["check"]);
    b.git_ok(&["push", "-q", "origin", "main"]);
    a.sync();
    assert_eq!(a.read(ADA), b.read(ADA));
}
