//! `care serve token add|list|revoke` on real books: the link is printed once with a
//! 128-bit key, only the key's SHA-256 is kept (in `.care/serve-tokens`, private, never
//! tracked by git), a second link for a name replaces the first, `staff:` is honoured, and
//! a damaged store, a planted link or a hostile name is refused with the store untouched.

use crate::common;

use std::fs;

use common::TestBook;
use sha2::{Digest, Sha256};

const STORE: &str = ".care/serve-tokens";

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The key of the link `add` printed on its first line, checked to be 32 hex digits.
fn key_of(stdout: &str, host: &str) -> String {
    let first = stdout.lines().next().expect("a link");
    let prefix = format!("http://{host}/welcome?key=");
    let key = first.strip_prefix(&prefix).unwrap_or_else(|| panic!("not a link to {host}: {first:?}"));
    assert_eq!(key.len(), 32, "{key:?}");
    assert!(key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{key:?}");
    key.to_string()
}

/// The store's lines for people (not its comments), split at tabs.
fn entries(book: &TestBook) -> Vec<Vec<String>> {
    book.read(STORE)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn add(book: &TestBook, name: &str) -> String {
    let out = book.care(&["serve", "token", "add", name, "--host", "care.local"]);
    assert_eq!(out.code, 0, "{out:?}");
    key_of(&out.stdout, "care.local:8080")
}

#[test]
fn add_prints_a_link_once_and_keeps_only_its_hash() {
    let book = TestBook::new();
    let out = book.care(&["serve", "token", "add", "billy", "--host", "care.local", "--port", "8443"]);
    assert_eq!(out.code, 0, "{out:?}");
    let key = key_of(&out.stdout, "care.local:8443");
    // Not a terminal and no --qr: the link alone, so `link=$(care serve token add …)` works.
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(out.stderr.contains("billy") && out.stderr.contains("shown only now"), "{}", out.stderr);
    assert!(out.stderr.contains("--port 8443 --host care.local"), "{}", out.stderr);
    assert!(!out.stderr.contains(&key), "the secret is printed once, on stdout: {}", out.stderr);

    let text = book.read(STORE);
    assert!(!text.contains(&key), "the secret itself is kept: {text}");
    assert_eq!(entries(&book), vec![vec!["billy".to_string(), sha256(&key), common::NOW.to_string()]]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(book.path(STORE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // A second key is another key.
    assert_ne!(add(&book, "joan"), key);
}

#[test]
fn without_host_the_link_names_this_machine_on_its_network() {
    let book = TestBook::new();
    let out = book.care(&["serve", "token", "add", "billy"]);
    assert_eq!(out.code, 0, "{out:?}");
    let first = out.stdout.lines().next().unwrap();
    let (host, key) = first
        .strip_prefix("http://")
        .and_then(|rest| rest.split_once(":8080/welcome?key="))
        .unwrap_or_else(|| panic!("{first:?}"));
    assert!(!host.is_empty() && host != "0.0.0.0" && !host.contains('/'), "{first:?}");
    assert_eq!(key.len(), 32, "{first:?}");
}

#[test]
fn the_store_is_never_tracked_by_git() {
    let book = TestBook::new();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(book.root())
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", book.root())
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["init", "-q"]);
    add(&book, "billy");
    git(&["add", "-A"]);
    let staged = git(&["ls-files", "--cached"]);
    assert!(!staged.contains(".care"), "{staged}");
    assert!(staged.contains("care.yaml"), "{staged}");
    assert_eq!(git(&["check-ignore", STORE]).trim(), STORE);
}

#[test]
fn list_shows_names_and_times_never_secrets_or_hashes() {
    let book = TestBook::new();
    assert_eq!(book.ok(&["serve", "token", "list", "--format", "json"]).trim(), "[]");
    let keys = [add(&book, "billy"), add(&book, "Dale Cooper")];
    let listed = book.ok(&["serve", "token", "list", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([
            {"name": "billy", "created": common::NOW},
            {"name": "Dale Cooper", "created": common::NOW},
        ])
    );
    let csv = book.ok(&["serve", "token", "list"]);
    assert_eq!(csv.lines().next(), Some("name,created"), "{csv}");
    for key in &keys {
        for shown in [&listed, &csv] {
            assert!(!shown.contains(key.as_str()) && !shown.contains(&sha256(key)), "{shown}");
        }
    }
}

#[test]
fn revoke_removes_the_link_and_says_who_has_one_when_there_is_none() {
    let book = TestBook::new();
    let billy = add(&book, "billy");
    add(&book, "joan");
    let out = book.care(&["serve", "token", "revoke", "billy"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("billy's link no longer works"), "{}", out.stderr);
    assert!(!book.read(STORE).contains(&sha256(&billy)));
    assert_eq!(entries(&book).iter().map(|e| e[0].as_str()).collect::<Vec<_>>(), ["joan"]);

    let before = book.read(STORE);
    let out = book.fails(&["serve", "token", "revoke", "billy"], 1);
    assert!(out.stderr.contains("\"billy\" has no link") && out.stderr.contains("joan"), "{}", out.stderr);
    assert_eq!(book.read(STORE), before);

    book.ok(&["serve", "token", "revoke", "joan"]);
    let out = book.fails(&["serve", "token", "revoke", "joan"], 1);
    assert!(out.stderr.contains("nobody has one"), "{}", out.stderr);
}

#[test]
fn add_twice_replaces_the_first_link() {
    let book = TestBook::new();
    let first = add(&book, "billy");
    let out = book.care(&["serve", "token", "add", "  billy ", "--host", "care.local"]);
    assert_eq!(out.code, 0, "{out:?}");
    let second = key_of(&out.stdout, "care.local:8080");
    assert!(out.stderr.contains("billy's earlier link") && out.stderr.contains("no longer works"), "{}", out.stderr);
    let text = book.read(STORE);
    assert!(!text.contains(&sha256(&first)), "{text}");
    assert!(text.contains(&sha256(&second)), "{text}");
    assert_eq!(entries(&book).len(), 1, "{text}");
}

#[test]
fn a_book_that_lists_staff_takes_only_those_names() {
    let book = TestBook::new();
    let config = book.read("care.yaml");
    book.write("care.yaml", &format!("{config}staff: [joan, billy]\n"));
    let out = book.fails(&["serve", "token", "add", "mallory", "--host", "care.local"], 1);
    assert!(out.stdout.is_empty(), "no link for a refused name: {}", out.stdout);
    assert!(out.stderr.contains("`staff:` in care.yaml"), "{}", out.stderr);
    assert!(out.stderr.contains("joan, billy"), "{}", out.stderr);
    assert!(!book.path(STORE).exists());
    add(&book, "joan");
    // Someone no longer on staff can still lose their link.
    book.write("care.yaml", &format!("{config}staff: [billy]\n"));
    book.ok(&["serve", "token", "revoke", "joan"]);
}

#[test]
fn a_damaged_store_is_refused_and_left_as_it_is() {
    let book = TestBook::new();
    add(&book, "billy");
    let damaged = format!("{}joan\tnot-a-hash\t2026-11-22T19:42:00-05:00\n", book.read(STORE));
    book.write(STORE, &damaged);
    let line = damaged.lines().count();
    for args in [
        &["serve", "token", "add", "dale", "--host", "care.local"][..],
        &["serve", "token", "revoke", "billy"],
        &["serve", "token", "list"],
    ] {
        let out = book.fails(args, 1);
        assert!(out.stderr.contains(&format!(".care/serve-tokens:{line}")), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("hash"), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        assert_eq!(book.read(STORE), damaged, "{args:?} wrote over a damaged store");
    }
    // Not text at all.
    fs::write(book.path(STORE), b"billy\t\xff\xfe\n").unwrap();
    book.fails(&["serve", "token", "list"], 1);
    assert_eq!(fs::read(book.path(STORE)).unwrap(), b"billy\t\xff\xfe\n");
}

#[cfg(unix)]
#[test]
fn links_out_of_the_book_are_never_followed() {
    let book = TestBook::new();
    let outside = tempfile::TempDir::new().unwrap();
    // `.care` itself a link out of the book.
    fs::create_dir_all(book.path(".care")).unwrap();
    fs::remove_dir_all(book.path(".care")).unwrap();
    std::os::unix::fs::symlink(outside.path(), book.path(".care")).unwrap();
    for args in [&["serve", "token", "add", "billy", "--host", "care.local"][..], &["serve", "token", "list"]] {
        let out = book.fails(args, 1);
        assert!(out.stderr.contains("outside the book"), "{args:?}: {}", out.stderr);
    }
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0, "something was written outside the book");

    // The store a link to a file elsewhere: neither read nor replaced.
    fs::remove_file(book.path(".care")).unwrap();
    fs::create_dir(book.path(".care")).unwrap();
    let elsewhere = outside.path().join("tokens");
    fs::write(&elsewhere, "").unwrap();
    std::os::unix::fs::symlink(&elsewhere, book.path(STORE)).unwrap();
    for args in [&["serve", "token", "add", "billy", "--host", "care.local"][..], &["serve", "token", "list"]] {
        let out = book.fails(args, 1);
        assert!(out.stderr.contains("a link"), "{args:?}: {}", out.stderr);
    }
    assert!(fs::symlink_metadata(book.path(STORE)).unwrap().file_type().is_symlink());
    assert_eq!(fs::read_to_string(&elsewhere).unwrap(), "");
}

#[test]
fn hostile_names_and_hosts_are_refused_before_anything_is_written() {
    let book = TestBook::new();
    for name in ["", "   ", "bil\tly", "bil\nly", "\u{1b}]0;owned\u{7}", "#admin"] {
        let out = book.fails(&["serve", "token", "add", name, "--host", "care.local"], 2);
        assert!(!out.stderr.contains('\u{1b}'), "{name:?}: the escape was printed raw: {:?}", out.stderr);
        assert!(out.stdout.is_empty(), "{name:?}");
    }
    for host in ["care.local/evil", "a b", "x\"y"] {
        book.fails(&["serve", "token", "add", "billy", "--host", host], 2);
    }
    book.fails(&["serve", "token", "add", "billy", "--port", "0"], 2);
    assert!(!book.path(STORE).exists());
}

#[test]
fn the_qr_code_is_drawn_with_qr_and_not_into_a_pipe_without_it() {
    let book = TestBook::new();
    let out = book.care(&["serve", "token", "add", "billy", "--host", "care.local", "--qr"]);
    assert_eq!(out.code, 0, "{out:?}");
    key_of(&out.stdout, "care.local:8080");
    let code: Vec<&str> = out.stdout.lines().skip(1).collect();
    // A version 3 code and its quiet zone: 37 modules wide, two rows a line.
    assert!(code.len() >= 15, "{}", out.stdout);
    let width = code[0].chars().count();
    assert!(code.iter().all(|l| l.chars().count() == width), "{}", out.stdout);
    assert!(code.iter().all(|l| l.chars().all(|c| matches!(c, ' ' | '\u{2580}' | '\u{2584}' | '\u{2588}'))));
    // The quiet zone: a full line of blocks on top.
    assert!(code[0].chars().all(|c| c == '\u{2588}'), "{}", code[0]);

    let out = book.care(&["serve", "token", "add", "billy", "--host", "care.local"]);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(!out.stdout.contains('\u{2588}'));
}

#[test]
fn concurrent_adds_keep_every_link() {
    let book = TestBook::new();
    let names: Vec<String> = (0..8).map(|i| format!("staff{i}")).collect();
    let children: Vec<_> = names
        .iter()
        .map(|n| {
            book.process()
                .args(["serve", "token", "add", n, "--host", "care.local"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("starts")
        })
        .collect();
    let keys: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success());
            key_of(&String::from_utf8_lossy(&out.stdout), "care.local:8080")
        })
        .collect();
    let kept = entries(&book);
    assert_eq!(kept.len(), names.len(), "{kept:?}");
    for key in keys {
        assert!(kept.iter().any(|e| e[1] == sha256(&key)), "{key} lost");
    }
}
