//! The book's hard edges (issue 15): links out of the book, aliases, FIFOs, permissions,
//! stopped lock holders, stale temporary files, `init` with -C/CARE_BOOK, a read-only book,
//! records `check` calls errors, duplicate incident ids. Each test drives the real binary
//! the way a user (or an attacker planting files through a pull) would.

use crate::common;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Out, TestBook, csv_rows};

/// Run a command, failing the test (instead of hanging the suite) if it takes longer
/// than `limit`.
fn run_within(mut cmd: Command, limit: Duration) -> Out {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    Out {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn care_within(book: &TestBook, args: &[&str], limit: Duration) -> Out {
    let mut cmd = book.process();
    cmd.args(args);
    run_within(cmd, limit)
}

/// Open an incident for `customer`; returns its id and its file, relative to the book.
fn open_incident(book: &TestBook, customer: &str) -> (String, String) {
    let id = book.ok(&["recover", "open", customer, "--what", "Entrées mixed up", "--staff", "billy"]);
    let id = id.trim().to_string();
    let file = format!("incidents/{}/{}/{id}.yaml", &id[0..4], &id[4..6]);
    assert!(book.path(&file).is_file(), "{file}");
    (id, file)
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            all.extend(snapshot(&path));
        } else {
            all.push((path.display().to_string(), std::fs::read(&path).expect("read")));
        }
    }
    all.sort();
    all
}

#[test]
fn customers_folder_linked_outside_the_book_is_never_read_or_written() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let outside = tempfile::TempDir::new().expect("temp");
    let elsewhere = outside.path().join("customers");
    std::fs::rename(book.path("customers"), &elsewhere).expect("move");
    symlink(&elsewhere, book.path("customers")).expect("symlink");
    let before = snapshot(outside.path());

    let out = book.fails(&["note", "ada-lovelace", "written outside?"], 1);
    assert!(out.stderr.contains("outside the book"), "{}", out.stderr);
    book.fails(&["flag", "ada-lovelace", "flagged outside?"], 1);
    book.fails(&["customer", "add", "Bob Adams"], 1);
    assert_eq!(snapshot(outside.path()), before, "nothing outside the book changed");

    let out = book.fails(&["check"], 1);
    assert!(out.stdout.contains("link-outside") && out.stdout.contains("outside the book"), "{}", out.stdout);
    let out = book.fails(&["customer", "list"], 1);
    assert!(!out.stdout.contains("ada-lovelace"), "read through the link: {}", out.stdout);
}

#[test]
fn incident_folders_linked_outside_the_book_at_any_depth_are_refused() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let (id, _) = open_incident(&book, "ada-lovelace");
    let outside = tempfile::TempDir::new().expect("temp");
    // incidents/2026 itself leads out of the book...
    let year = outside.path().join("2026");
    std::fs::rename(book.path(&format!("incidents/{}", &id[0..4])), &year).expect("move");
    symlink(&year, book.path(&format!("incidents/{}", &id[0..4]))).expect("symlink");
    // ...and so does a folder deeper down, beside a real one.
    let deep = outside.path().join("deep");
    std::fs::create_dir_all(&deep).expect("mkdir");
    std::fs::copy(year.join(&id[4..6]).join(format!("{id}.yaml")), deep.join("20261101-zzzzzz.yaml")).expect("copy");
    std::fs::create_dir_all(book.path("incidents/2025/01")).expect("mkdir");
    symlink(&deep, book.path("incidents/2025/01/archive")).expect("symlink");
    let before = snapshot(outside.path());

    for step in [&["recover", "fix", &id][..], &["recover", "apologize", &id], &["followup", "done", &id]] {
        let out = book.fails(step, 1);
        assert!(
            out.stderr.contains("outside the book") || out.stderr.contains("no incident"),
            "{step:?}: {}",
            out.stderr
        );
    }
    assert_eq!(snapshot(outside.path()), before, "nothing outside the book changed");

    let out = book.fails(&["check"], 1);
    assert!(out.stdout.contains("incidents/2025/01/archive"), "{}", out.stdout);
    assert!(out.stdout.contains(&format!("incidents/{}", &id[0..4])), "{}", out.stdout);
    assert_eq!(out.stdout.matches("link-outside").count(), 2, "{}", out.stdout);
    let out = book.fails(&["trends", "--by", "staff"], 1);
    assert!(!out.stdout.contains("billy"), "counted an incident outside the book: {}", out.stdout);
}

#[test]
fn a_folder_linked_inside_the_book_is_read_and_a_loop_is_reported() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    std::fs::create_dir_all(book.path("archive/vip")).expect("mkdir");
    book.write("archive/vip/bob-adams.yaml", "id: bob-adams\nname: Bob Adams\n");
    symlink("../archive/vip", book.path("customers/vip")).expect("symlink");
    symlink("..", book.path("customers/vip-loop")).expect("symlink");
    let out = book.fails(&["customer", "list"], 1);
    assert!(out.stdout.contains("bob-adams"), "{}", out.stdout);
    assert!(out.stderr.contains("customers/vip-loop") && out.stderr.contains("loop"), "{}", out.stderr);
}

#[test]
fn a_symlink_alias_to_a_record_is_refused_for_writes_never_replaced() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    symlink("ada-lovelace.yaml", book.path("customers/alias.yaml")).expect("symlink");
    let before = book.read("customers/ada-lovelace.yaml");

    let out = book.fails(&["note", "alias", "through the alias"], 1);
    assert!(out.stderr.contains("symlink") && out.stderr.contains("ada-lovelace"), "{}", out.stderr);
    let link = std::fs::symlink_metadata(book.path("customers/alias.yaml")).expect("lstat");
    assert!(link.file_type().is_symlink(), "the alias was replaced by a file");
    assert_eq!(book.read("customers/ada-lovelace.yaml"), before);

    // The record itself is written as usual, and the alias (which check calls an error)
    // is still reported, not silently tolerated.
    book.ok(&["note", "ada-lovelace", "through the record"]);
    assert!(book.read("customers/ada-lovelace.yaml").contains("through the record"));
    let out = book.fails(&["check"], 1);
    assert!(out.stdout.contains("alias.yaml"), "{}", out.stdout);
}

#[test]
fn a_fifo_named_like_a_record_is_reported_and_never_opened() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    std::fs::create_dir_all(book.path("incidents/2026/11")).expect("mkdir");
    for fifo in ["customers/pipe.yaml", "incidents/2026/11/pipe.yaml"] {
        let made = Command::new("mkfifo").arg(book.path(fifo)).status().expect("mkfifo");
        assert!(made.success());
    }
    let limit = Duration::from_secs(20);
    for args in [
        &["check"][..],
        &["customer", "list"],
        &["trends", "--by", "staff"],
        &["followup", "due"],
        &["recover", "list"],
        &["show", "pipe"],
        &["note", "pipe", "into the pipe"],
    ] {
        let out = care_within(&book, args, limit);
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        let said = format!("{}{}", out.stdout, out.stderr);
        assert!(said.contains("pipe.yaml") || said.contains("no customer matches"), "{args:?}: {said}");
    }
    let out = care_within(&book, &["check"], limit);
    assert!(out.stdout.contains("not-regular") && out.stdout.contains("FIFO"), "{}", out.stdout);
}

#[test]
fn a_private_record_stays_private_after_a_write() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let path = book.path("customers/ada-lovelace.yaml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    book.ok(&["note", "ada-lovelace", "Prefers discretion"]);
    book.ok(&["flag", "ada-lovelace", "Handle with care"]);
    let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "permissions were reset to {mode:o}");
    assert!(book.read("customers/ada-lovelace.yaml").contains("Prefers discretion"));
}

#[test]
fn a_writer_behind_a_stopped_lock_holder_says_so_and_gives_up() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    // The holder: this test process, as good as stopped (it never lets go while care waits).
    let lock = book.path("customers/.ada-lovelace.yaml.lock");
    let held = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock).expect("open");
    held.lock().expect("lock");
    std::fs::write(&lock, "pid 4242 on test-host: care note ada-lovelace stuck\n").expect("holder");

    let started = Instant::now();
    let mut cmd = book.process();
    cmd.args(["note", "ada-lovelace", "waiting"]).env("CARE_LOCK_TIMEOUT", "2s");
    let out = run_within(cmd, Duration::from_secs(30));
    let took = started.elapsed();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(15), "gave up after {took:?}");
    assert!(out.stderr.contains("waiting for the lock"), "{}", out.stderr);
    assert!(out.stderr.contains("pid 4242 on test-host"), "names the holder: {}", out.stderr);
    assert!(out.stderr.contains("gave up") && out.stderr.contains("CARE_LOCK_TIMEOUT"), "{}", out.stderr);
    assert!(!book.read("customers/ada-lovelace.yaml").contains("waiting"));

    // Once the holder lets go, the same write goes through and names itself in the lock.
    held.unlock().expect("unlock");
    drop(held);
    book.ok(&["note", "ada-lovelace", "after the wait"]);
    assert!(std::fs::read_to_string(&lock).expect("lock").contains("note ada-lovelace after the wait"));
}

#[test]
fn a_lock_held_by_a_stopped_care_process_is_reported() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    // A real process holding the lock (flock(1) takes the same kind of lock), then stopped.
    let lock = book.path("customers/.ada-lovelace.yaml.lock");
    let mut flock = Command::new("flock");
    flock.arg(&lock).args(["sleep", "60"]);
    let Ok(mut stopped) = flock.stdout(Stdio::null()).stderr(Stdio::null()).spawn() else {
        eprintln!("flock(1) is not installed; the in-process holder test covers this");
        return;
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let probe = std::fs::OpenOptions::new().write(true).open(&lock);
        if probe.is_ok_and(|f| f.try_lock().is_err()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = Command::new("kill").args(["-STOP", &stopped.id().to_string()]).status();
    let mut cmd = book.process();
    cmd.args(["note", "ada-lovelace", "behind a stopped process"]).env("CARE_LOCK_TIMEOUT", "1500ms");
    let out = run_within(cmd, Duration::from_secs(30));
    let _ = Command::new("kill").args(["-CONT", &stopped.id().to_string()]).status();
    let _ = stopped.kill();
    let _ = stopped.wait();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains(".ada-lovelace.yaml.lock") && out.stderr.contains("gave up"), "{}", out.stderr);
}

/// A pid that belonged to a process that has ended.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("spawn true");
    let pid = child.id();
    child.wait().expect("wait");
    pid
}

#[test]
fn stale_temporary_files_are_cleaned_by_writes_and_by_check() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    book.add("Bob Adams");
    book.add("Cy Twombly");
    let (_, incident) = open_incident(&book, "bob-adams");
    let dead = dead_pid();
    let live = std::process::id();
    // A killed write of Ada's file (a record is written through its one fixed name, under
    // its lock); others' leftovers: a dead writer's, a live one's, a killed write of Cy's.
    book.write("customers/.ada-lovelace.yaml.tmp", "id: ada-lo");
    book.write(&format!("customers/.bob-adams.yaml.tmp-{dead}"), "id: bob");
    book.write(&format!("customers/.bob-adams.yaml.tmp-{live}"), "a write in progress");
    book.write("customers/.cy-twombly.yaml.tmp", "id: cy");
    let (folder, name) = incident.rsplit_once('/').expect("a folder");
    let incident_temp = format!("{folder}/.{name}.tmp-{dead}");
    book.write(&incident_temp, "id: 2026");
    let exists = |rel: &str| book.path(rel).exists();

    // The record's own leftover goes with its next write, found by name; the folder was
    // swept by the first write in this clone moments ago, so the others wait.
    book.ok(&["note", "ada-lovelace", "a write in the folder"]);
    assert!(!exists("customers/.ada-lovelace.yaml.tmp"));
    assert!(exists(&format!("customers/.bob-adams.yaml.tmp-{dead}")), "no listing of the folder on every write");
    // A sweep falls due STALE_AGE after the last: the folder's stale leftovers go then.
    let swept = std::fs::File::options().write(true).open(book.path(".care/swept")).expect("swept marker");
    swept.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(11 * 60)).expect("age it");
    book.ok(&["note", "ada-lovelace", "a write ten minutes later"]);
    assert!(!exists(&format!("customers/.bob-adams.yaml.tmp-{dead}")), "other records' stale temps too");
    assert!(!exists("customers/.cy-twombly.yaml.tmp"), "no writer holds Cy's lock: the leftover is stale");
    assert!(exists(&format!("customers/.bob-adams.yaml.tmp-{live}")), "a live writer's temp is kept");
    assert!(exists(&incident_temp), "another folder");

    let out = book.care(&["check"]);
    assert!(out.stderr.contains("removed") && out.stderr.contains(&incident_temp), "{}", out.stderr);
    assert!(!exists(&incident_temp));
    assert!(exists(&format!("customers/.bob-adams.yaml.tmp-{live}")));
}

#[test]
fn init_honours_dash_c_and_care_book() {
    let cwd = TestBook::bare();
    let init = |env_book: Option<&str>, args: &[&str]| {
        let mut cmd = cwd.cmd();
        if let Some(b) = env_book {
            cmd.env("CARE_BOOK", b);
        }
        let out = cmd.args(args).args(["--timezone", "UTC"]).output().expect("runs");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    init(None, &["-C", "viac", "init"]);
    assert!(cwd.path("viac/care.yaml").is_file());
    assert!(!cwd.path("care.yaml").exists(), "created in the current folder instead");

    init(None, &["-C", "base", "init", "inner"]);
    assert!(cwd.path("base/inner/care.yaml").is_file(), "DIR is taken inside -C, as with git -C");

    init(Some("fromenv"), &["init"]);
    assert!(cwd.path("fromenv/care.yaml").is_file());

    init(Some("ignored"), &["init", "explicit"]);
    assert!(cwd.path("explicit/care.yaml").is_file(), "an explicit DIR wins over CARE_BOOK");
    assert!(!cwd.path("ignored").exists());
    assert!(!cwd.path("care.yaml").exists());

    // The books made are books: -C finds them.
    cwd.ok(&["-C", "viac", "customer", "add", "Ada Lovelace"]);
}

#[test]
fn a_read_only_book_says_so() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let before = book.read("customers/ada-lovelace.yaml");
    // Permission bits do not stop root, so as root the book is written by "nobody".
    let probe = book.path("probe");
    std::fs::write(&probe, "").expect("probe");
    let root = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&probe).expect("stat")) == 0;
    std::fs::remove_file(&probe).expect("rm");
    let mut cmd = book.process();
    if root {
        std::fs::set_permissions(book.root(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::os::unix::process::CommandExt::uid(&mut cmd, 65534);
    } else {
        for dir in ["customers", "incidents", "."] {
            std::fs::set_permissions(book.path(dir), std::fs::Permissions::from_mode(0o555)).expect("chmod");
        }
    }
    cmd.args(["note", "ada-lovelace", "cannot be written"]);
    let out = run_within(cmd, Duration::from_secs(30));
    if !root {
        for dir in ["customers", "incidents", "."] {
            std::fs::set_permissions(book.path(dir), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("read-only"), "{}", out.stderr);
    assert!(out.stderr.contains("customers"), "names the folder: {}", out.stderr);
    assert_eq!(book.read("customers/ada-lovelace.yaml"), before);
}

#[test]
fn writers_refuse_a_customer_that_check_calls_an_error_with_checks_message() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let text = book.read("customers/ada-lovelace.yaml").replace("id: ada-lovelace", "id: someone-else");
    book.write("customers/ada-lovelace.yaml", &text);
    let message = r#"id "someone-else" differs from the file name "ada-lovelace""#;
    let out = book.fails(&["check"], 1);
    let rows = csv_rows(&out.stdout);
    assert!(rows.iter().any(|r| r[4] == "id-mismatch" && r[5].contains(message)), "{rows:?}");
    for args in [&["note", "ada-lovelace", "hello"][..], &["flag", "ada-lovelace", "hello"]] {
        let out = book.fails(args, 1);
        assert!(out.stderr.contains(message), "{args:?}: {}", out.stderr);
    }
    assert_eq!(book.read("customers/ada-lovelace.yaml"), text, "not written");

    // A duplicated id: the same record name in a sub-folder.
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let record = book.read("customers/ada-lovelace.yaml");
    book.write("customers/old/ada-lovelace.yaml", &record);
    let out = book.fails(&["check"], 1);
    assert!(out.stdout.contains("duplicate-id") && out.stdout.contains("is also used by"), "{}", out.stdout);
    let out = book.fails(&["note", "ada-lovelace", "which one?"], 1);
    assert!(out.stderr.contains(r#"id "ada-lovelace" is also used by"#), "{}", out.stderr);
    assert_eq!(book.read("customers/ada-lovelace.yaml"), record);
}

/// Writes no longer list `customers/` each time (they remember its sub-folders and links in
/// `.care/cache/customer-folders`), so a second file with a customer's id made after the
/// last write, by another program or a `git pull`, must still be refused: in a sub-folder
/// made since, in one that was already there (the folder's own stat does not move), behind
/// a link, and as `ID.yml` beside the record; with the cache and without it.
#[test]
fn a_duplicate_id_made_after_the_last_write_is_still_refused() {
    for cache in ["1", "0"] {
        for case in ["new folder", "folder already there", "link", "yml beside"] {
            let book = TestBook::new();
            book.add("Ada Lovelace");
            book.write("customers/old/README.txt", "customers who moved away\n");
            let note = |text: &str| {
                let out = book.cmd().env("CARE_NO_CACHE", cache).args(["note", "ada-lovelace", text]).output();
                let out = out.expect("runs");
                (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
            };
            assert_eq!(note("before").0, Some(0), "{case}");
            let remembered = book.path(".care/cache/customer-folders").exists();
            assert_eq!(remembered, cache == "0", "{case}: remembered only with the cache on");
            let record = book.read("customers/ada-lovelace.yaml");
            match case {
                "new folder" => book.write("customers/2025/ada-lovelace.yaml", &record),
                "folder already there" => book.write("customers/old/ada-lovelace.yaml", &record),
                "link" => {
                    book.write("archive/ada-lovelace.yaml", &record);
                    symlink("../archive", book.path("customers/archive")).expect("symlink");
                }
                _ => book.write("customers/ada-lovelace.yml", &record),
            }
            let (code, stderr) = note("after");
            assert_eq!(code, Some(1), "{case}, CARE_NO_CACHE={cache}: {stderr}");
            assert!(stderr.contains(r#"id "ada-lovelace" is also used by"#), "{case}: {stderr}");
            assert_eq!(book.read("customers/ada-lovelace.yaml"), record, "{case}: not written");
        }
    }
}

#[test]
fn a_duplicated_incident_id_is_counted_once_by_trends() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let (id, file) = open_incident(&book, "ada-lovelace");
    let text = book.read(&file);
    book.write(&format!("incidents/copies/{id}.yaml"), &text);
    book.write("incidents/copies/renamed.yaml", &text);
    for cache in ["1", "0"] {
        for _ in 0..2 {
            let mut cmd = book.process();
            cmd.args(["trends", "--by", "staff", "--format", "csv"]).env("CARE_NO_CACHE", cache);
            let out = run_within(cmd, Duration::from_secs(30));
            assert_eq!(out.code, 1, "the duplicates are reported: {out:?}");
            let rows = csv_rows(&out.stdout);
            assert_eq!(rows[1][0], "billy", "{rows:?}");
            assert_eq!(rows[1][1], "1", "counted once, not three times: {rows:?}");
            assert_eq!(out.stderr.matches("is also used by").count(), 2, "{}", out.stderr);
            assert!(out.stderr.contains(&format!("incidents/copies/{id}.yaml")), "{}", out.stderr);
            assert!(out.stderr.contains("incidents/copies/renamed.yaml"), "{}", out.stderr);
        }
    }
    let out = book.fails(&["recover", "list"], 1);
    assert_eq!(csv_rows(&out.stdout).len(), 2, "one incident, listed once: {}", out.stdout);
}

#[test]
fn the_cache_folder_linked_outside_the_book_is_not_used() {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    open_incident(&book, "ada-lovelace");
    let outside = tempfile::TempDir::new().expect("temp");
    // `recover open` made the clone's own `.care/` (its journal); a pull cannot, but a hand can.
    let _ = std::fs::remove_dir_all(book.path(".care"));
    symlink(outside.path(), book.path(".care")).expect("symlink");
    let out = book.care(&["trends", "--by", "staff", "--format", "csv"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("billy"), "{}", out.stdout);
    assert!(snapshot(outside.path()).is_empty(), "the index was written outside the book");
}
