//! `care completions` and `care man` come from the same definitions as `--help`: every
//! visible command must reach every shell's script and the manual, with no book needed.

use crate::common;

use clap::CommandFactory;
use common::TestBook;

/// Every visible subcommand, as paths of names (`["recover", "open"]`).
fn visible_paths(command: &clap::Command, prefix: &[String], into: &mut Vec<Vec<String>>) {
    for sub in command.get_subcommands().filter(|c| !c.is_hide_set()) {
        let mut path = prefix.to_vec();
        path.push(sub.get_name().to_string());
        into.push(path.clone());
        visible_paths(sub, &path, into);
    }
}

fn all_paths() -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    visible_paths(&care::cli::Cli::command(), &[], &mut paths);
    assert!(paths.len() > 20, "the walk found the commands: {paths:?}");
    paths
}

#[test]
fn each_shell_gets_a_script_that_calls_care_back() {
    let outside = TestBook::bare();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = outside.ok(&["completions", shell]);
        assert!(
            script.contains(&format!("\"{shell}\"")) || script.contains(&format!("={shell}")),
            "{shell}:\n{script}"
        );
        assert!(script.contains("care"), "{shell} script names care:\n{script}");
    }
}

#[test]
fn each_shell_gets_a_static_script_naming_every_visible_subcommand() {
    let outside = TestBook::bare();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = outside.ok(&["completions", shell, "--static"]);
        for path in all_paths() {
            let name = path.last().expect("a name");
            assert!(script.contains(name.as_str()), "{shell} script lacks {path:?}");
        }
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    for args in [["completions", "bash"], ["completions", "fish"], ["man", "trends"]] {
        let mut child =
            TestBook::bare().process().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("read");
        // The reader is dropped here, like `| head -1`.
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{args:?}: exit {:?}", out.status);
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}: nothing on stderr");
    }
}

#[test]
fn an_unknown_shell_is_bad_usage() {
    TestBook::bare().fails(&["completions", "cmd.exe"], 2);
}

#[test]
fn the_man_page_names_every_subcommand_and_each_has_its_own_page() {
    let outside = TestBook::bare();
    let page = outside.ok(&["man"]);
    assert!(page.contains(".TH care 1"), "a roff page for care(1):\n{page}");
    for path in all_paths().iter().filter(|p| p.len() == 1) {
        assert!(page.contains(&format!("care\\-{}(1)", path[0].replace('-', "\\-"))), "care(1) lacks {path:?}");
    }
    assert!(!page.contains("sample\\-book"));
    for path in all_paths() {
        let args: Vec<&str> = std::iter::once("man").chain(path.iter().map(String::as_str)).collect();
        let sub = outside.ok(&args);
        assert!(sub.contains(&format!(".TH care-{} 1", path.join("-"))), "page for {path:?}:\n{sub}");
    }
    outside.fails(&["man", "nope"], 2);
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let outside = TestBook::bare();
    outside.ok(&["man", "--dir", "pages"]);
    assert!(outside.path("pages/care.1").is_file());
    for path in all_paths() {
        let file = format!("pages/care-{}.1", path.join("-"));
        assert!(outside.path(&file).is_file(), "{file} missing");
    }
}

/// A book with two customers and two incidents, one of them closed.
fn book_with_incidents() -> (TestBook, String, String) {
    let book = TestBook::new();
    book.write("care.yaml", &format!("{}staff: [billy, dale]\n", book.read("care.yaml")));
    book.ok(&["customer", "add", "Ada Lovelace"]);
    book.ok(&["customer", "add", "Grace Hopper"]);
    let closed = book.ok(&["recover", "open", "grace", "--what", "Cold soup", "--staff", "dale", "--at", "1h ago"]);
    book.ok(&["recover", "close", closed.trim()]);
    let open = book.ok(&["recover", "open", "ada", "--what", "Entrées mixed up", "--staff", "billy"]);
    (book, open.trim().to_string(), closed.trim().to_string())
}

/// What clap's dynamic completion offers for the last of `words`, asked as bash asks.
fn offered(book: &TestBook, dir: &std::path::Path, words: &[&str]) -> Vec<String> {
    let out = book
        .process()
        .current_dir(dir)
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .args(words)
        .output()
        .expect("care");
    assert!(out.status.success(), "{words:?}: {out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{words:?}: completion is silent");
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.starts_with('-')).map(str::to_string).collect()
}

#[test]
fn completion_offers_the_books_customers_incidents_staff_and_fields() {
    let (book, open, closed) = book_with_incidents();
    let here = book.root();
    assert_eq!(offered(&book, here, &["care", "show", ""]), ["ada-lovelace", "grace-hopper"]);
    assert_eq!(offered(&book, here, &["care", "show", "gr"]), ["grace-hopper"]);
    assert_eq!(offered(&book, here, &["care", "note", "hop"]), ["grace-hopper"], "a word of the name");
    assert_eq!(offered(&book, here, &["care", "recover", "fix", ""]), [open.clone(), closed.clone()], "open first");
    assert_eq!(offered(&book, here, &["care", "edit", "ada"]), ["ada-lovelace"]);
    assert_eq!(offered(&book, here, &["care", "recover", "open", "ada", "--staff", ""]), ["billy", "dale", "joan"]);
    assert_eq!(offered(&book, here, &["care", "followup", "due", "--owner", "j"]), ["joan"]);
    assert!(offered(&book, here, &["care", "trends", "--by", "week"]).contains(&"weekday".to_string()));
    assert_eq!(offered(&book, here, &["care", "trends", "--by", "weekday,ho"]), ["weekday,hour"]);
    // A dimension already given is not offered again; the computed ones are.
    let next = offered(&book, here, &["care", "trends", "--by", "weekday,"]);
    assert!(next.contains(&"weekday,hour".to_string()) && !next.contains(&"weekday,weekday".to_string()), "{next:?}");
    assert!(next.contains(&"weekday,returned".to_string()), "{next:?}");
    let fields = offered(&book, here, &["care", "recover", "list", "--where", ""]);
    for field in ["returned=", "extra_given=", "staff="] {
        assert!(fields.contains(&field.to_string()), "{field} in {fields:?}");
    }
    assert_eq!(offered(&book, here, &["care", "trends", "--where", "sta"]), ["staff="]);
    assert_eq!(offered(&book, here, &["care", "trends", "--where", "staff=b"]), ["staff=billy"]);
}

#[test]
fn completion_finds_the_book_by_c_and_offers_nothing_without_one() {
    let (book, _, _) = book_with_incidents();
    let outside = TestBook::bare();
    let dir = book.root().to_str().expect("utf-8");
    assert_eq!(offered(&outside, outside.root(), &["care", "-C", dir, "show", "a"]), ["ada-lovelace"]);
    assert_eq!(offered(&outside, outside.root(), &["care", "show", "a"]), Vec::<String>::new());
    assert_eq!(offered(&outside, outside.root(), &["care", "recover", "fix", ""]), Vec::<String>::new());
    assert!(!outside.path(".care").exists());
    // Completion writes nothing, not even the report index.
    let before = files_in(book.root());
    offered(&book, book.root(), &["care", "recover", "fix", ""]);
    assert_eq!(files_in(book.root()), before);
}

fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut all: Vec<_> = walkdir::WalkDir::new(dir).into_iter().flatten().map(|e| e.into_path()).collect();
    all.sort();
    all
}

#[test]
fn bash_itself_completes_show_with_the_generated_script() {
    let (book, open, _) = book_with_incidents();
    let bin = assert_cmd::cargo::cargo_bin("care");
    let script = r#"source <(care completions bash)
complete -p care >/dev/null
COMP_WORDS=(care show ""); COMP_CWORD=2; COMP_TYPE=9
_clap_complete_care care "" show
printf '%s\n' "${COMPREPLY[@]}" | grep -v '^-'
COMP_WORDS=(care recover fix ""); COMP_CWORD=3
_clap_complete_care care "" fix
printf '%s\n' "${COMPREPLY[@]}" | grep -v '^-' | head -1
"#;
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(book.root())
        .env("PATH", format!("{}:/usr/bin:/bin", bin.parent().expect("bin dir").display()))
        .env_remove("COMPLETE")
        .env("CARE_NOW", "2026-11-22T18:00:00-05:00")
        .env_remove("CARE_BOOK")
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout, format!("ada-lovelace\ngrace-hopper\n{open}\n"));
}

#[test]
fn every_man_page_has_examples_environment_and_exit_status() {
    let outside = TestBook::bare();
    for path in std::iter::once(Vec::new()).chain(all_paths()) {
        let args: Vec<&str> = std::iter::once("man").chain(path.iter().map(String::as_str)).collect();
        let page = outside.ok(&args);
        for section in [".SH EXAMPLES", ".SH ENVIRONMENT", ".SH \"EXIT STATUS\"", ".SH \"GLOBAL OPTIONS\""] {
            assert!(page.contains(section), "{path:?} lacks {section}");
        }
        for name in [
            "CARE_BOOK",
            "CARE_NOW",
            "CARE_STAFF",
            "CARE_LOCK_TIMEOUT",
            "CARE_HOOK_TIMEOUT",
            "CARE_NO_CACHE",
            "NO_COLOR",
            "COLUMNS",
        ] {
            assert!(page.contains(name), "{path:?}: ENVIRONMENT lacks {name}");
        }
        assert!(!page.contains(".SH EXTRA"), "{path:?}: the examples are EXAMPLES");
    }
    let due = outside.ok(&["man", "followup", "due"]);
    assert!(due.contains("\\-\\-exit\\-code"), "EXIT STATUS explains 3:\n{due}");
}

/// troff reads bytes: a page with `—` or `×` in it draws garbage and `groff -ww` warns.
#[test]
fn every_man_page_is_plain_ascii_and_clean_under_groff() {
    let outside = TestBook::bare();
    outside.ok(&["man", "--dir", "pages"]);
    let dir = outside.path("pages");
    let groff = std::process::Command::new("groff").arg("--version").output().is_ok_and(|o| o.status.success());
    let mut pages = 0;
    for entry in std::fs::read_dir(&dir).expect("pages") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("page");
        assert!(bytes.is_ascii(), "{} has bytes troff cannot read", path.display());
        if groff {
            let out = std::process::Command::new("groff")
                .args(["-man", "-ww", "-z"])
                .arg(&path)
                .output()
                .expect("groff runs");
            assert!(out.stderr.is_empty(), "{}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
        }
        pages += 1;
    }
    assert!(pages > 30, "{pages} pages");
    // The escapes still say what the help says.
    assert!(outside.ok(&["man", "trends"]).contains("\\[u00D7]"), "× is written as troff's escape");
}
