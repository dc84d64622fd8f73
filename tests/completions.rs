//! `care completions` and `care man` come from the same definitions as `--help`: every
//! visible command must reach every shell's script and the manual, with no book needed.

mod common;

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
fn each_shell_gets_a_script_naming_every_visible_subcommand() {
    let outside = TestBook::bare();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = outside.ok(&["completions", shell]);
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
