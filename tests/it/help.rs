//! `--help` is the manual people read first: every visible command must say what it is
//! for, show one real example, and explain every argument and option it takes.

use clap::CommandFactory;

/// Problems with one command and, recursively, its visible subcommands.
fn problems(command: &clap::Command, path: &str, found: &mut Vec<String>) {
    if command.get_about().is_none() {
        found.push(format!("{path}: no purpose line (a doc comment on the command)"));
    }
    let example = command.get_after_help().or(command.get_after_long_help()).map(|h| h.to_string());
    if !example.is_some_and(|h| h.contains("Example")) {
        found.push(format!("{path}: no after_help with an Example"));
    }
    for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
        let id = arg.get_id().as_str();
        if id == "help" || id == "version" {
            continue;
        }
        if arg.get_help().is_none() && arg.get_long_help().is_none() {
            found.push(format!("{path}: argument {id:?} has no help text (a doc comment on it)"));
        }
    }
    // clap's own `help` subcommand only prints the help of the others.
    for sub in command.get_subcommands().filter(|c| !c.is_hide_set() && c.get_name() != "help") {
        problems(sub, &format!("{path} {}", sub.get_name()), found);
    }
}

#[test]
fn every_visible_command_has_a_purpose_an_example_and_explained_options() {
    let mut command = care::cli::Cli::command();
    // Built, so the global options appear on every subcommand as users see them.
    command.build();
    let mut found = Vec::new();
    problems(&command, "care", &mut found);
    assert!(found.is_empty(), "incomplete --help:\n{}", found.join("\n"));
}

/// The help text of a command line, as a person reads it.
fn help_of(args: &[&str]) -> String {
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("care")).args(args).output().expect("care");
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn global_options_sit_under_their_own_heading_after_the_commands_own() {
    for args in [vec!["--help"], vec!["recover", "open", "--help"], vec!["trends", "--help"], vec!["show", "-h"]] {
        let help = help_of(&args);
        let heading = help.find("Global options:").unwrap_or_else(|| panic!("{args:?}: no heading:\n{help}"));
        for global in ["--book", "--format", "--no-header", "--raw", "--excel", "--as", "--rewrite", "--wide"] {
            let at = help.find(&format!("{global} ")).or_else(|| help.find(&format!("{global}\n")));
            assert!(at.is_some_and(|at| at > heading), "{args:?}: {global} not under the heading:\n{help}");
        }
    }
    let open = help_of(&["recover", "open", "--help"]);
    let (own, _) = open.split_once("Global options:").expect("heading");
    assert!(own.contains("--what") && own.contains("--product") && !own.contains("--format"), "{open}");
}

#[test]
fn the_demo_book_is_listed_and_sample_book_still_works() {
    let help = help_of(&["--help"]);
    assert!(help.lines().any(|l| l.trim_start().starts_with("demo ")), "care --help lists demo:\n{help}");
    assert!(!help.contains("sample-book"));
    let dir = tempfile::TempDir::new().expect("temp dir");
    for (name, folder) in [("demo", "a"), ("sample-book", "b")] {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("care"))
            .args([name, folder, "--customers", "3", "--incidents", "5"])
            .current_dir(dir.path())
            .output()
            .expect("care");
        assert!(out.status.success(), "{name}: {out:?}");
        assert!(dir.path().join(folder).join("care.yaml").is_file());
    }
}
