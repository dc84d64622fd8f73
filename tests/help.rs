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
