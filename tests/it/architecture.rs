//! docs/architecture.md draws the house: arrows run down from the command line to the
//! records (main → cli → cmd → report, book → output → model → yaml → time), commands do
//! not import each other, only `ui.rs` speaks on stderr, and no file grows past what one
//! person reads in a sitting. A map nobody checks drifts from the code, so this test reads
//! the sources (not the binary) and holds them to it. Test code is exempt: a unit test may
//! build its fixtures from any layer.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The floor of each top-level module of `src/`: a module may use only modules on lower
/// floors (and its own). `cli` and `cmd` share a floor: clap's derive ties the command
/// list to each command's arguments both ways, the one loop the house allows.
const FLOORS: &[(&str, u32)] = &[
    ("cli", 9),
    ("cmd", 9),
    ("web", 8),
    ("complete", 8),
    ("hooks", 8),
    // Neither knows the other: a report is pure, the book is the disk.
    ("book", 7),
    ("report", 7),
    ("output", 6),
    ("rows", 5),
    ("sample", 5),
    ("model", 4),
    ("ui", 3),
    ("yaml", 3),
    ("settings", 2),
    ("git", 2),
    ("time", 1),
    ("error", 1),
    ("text", 0),
    ("process", 0),
];

/// No source file is longer than this before its tests: past it, a file holds more than
/// one job and wants splitting along them.
const MOST_LINES: usize = 800;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, as (path relative to the crate, text), in path order.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).expect("under the crate");
                let text = fs::read_to_string(&path).expect("a source file is UTF-8");
                found.push((name.to_string_lossy().replace('\\', "/"), text));
            }
        }
    }
    found.sort();
    found
}

/// The lines of a file that are not test code: every item under `#[cfg(test)]` (the
/// `mod tests` at the end, a test-only constructor) is left out, and so are comments.
/// Each kept line comes with its number (from 1).
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut kept = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        if line.trim() == "#[cfg(test)]" {
            skip_item(&mut lines);
            continue;
        }
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        if !code.trim().is_empty() {
            kept.push((n + 1, code.to_string()));
        }
    }
    kept
}

/// Skip the item after an attribute: up to the `}` that closes its first `{`, or to the
/// `;` that ends it when it has no body.
fn skip_item<'a>(lines: &mut impl Iterator<Item = (usize, &'a str)>) {
    let mut depth = 0i64;
    let mut opened = false;
    for (_, line) in lines {
        let code = line.split("//").next().unwrap_or("");
        for c in code.chars() {
            match c {
                '{' => {
                    depth += 1;
                    opened = true;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        if (opened && depth <= 0) || (!opened && code.trim_end().ends_with(';')) {
            return;
        }
    }
}

/// The number of lines before a file's tests: its own length when it has none.
fn lines_before_tests(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    for (n, line) in lines.iter().enumerate() {
        let next = lines[n + 1..].iter().find(|l| !l.trim().is_empty() && !l.trim().starts_with("#["));
        if line.trim() == "#[cfg(test)]" && next.is_some_and(|l| l.trim_start().starts_with("mod ")) {
            return n;
        }
    }
    lines.len()
}

/// The top-level modules a file's code names: `crate::book::…`, each name in
/// `use crate::{book, model::Incident}`, with the line each is first named on.
fn modules_used(code: &[(usize, String)]) -> Vec<(String, usize)> {
    let joined: Vec<(usize, char)> =
        code.iter().flat_map(|(n, line)| line.chars().chain(['\n']).map(move |c| (*n, c))).collect();
    let text: String = joined.iter().map(|(_, c)| c).collect();
    let chars: Vec<char> = text.chars().collect();
    let mut used: Vec<(String, usize)> = Vec::new();
    let mut add = |name: String, line: usize| {
        if !name.is_empty() && !used.iter().any(|(m, _)| *m == name) {
            used.push((name, line));
        }
    };
    let mut from = 0;
    while let Some(at) = text[from..].find("crate::").map(|i| from + i) {
        from = at + "crate::".len();
        // `$crate::` in a macro and `care::` are not this; a word before it (`my_crate::`) neither.
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let start = text[..from].chars().count();
        let line = joined[start.min(joined.len() - 1)].0;
        if chars.get(start) == Some(&'{') {
            // A group: the names at its top level.
            let (mut depth, mut name, mut expecting) = (0, String::new(), true);
            for &c in &chars[start..] {
                match c {
                    '{' => {
                        depth += 1;
                        if depth == 1 {
                            expecting = true;
                            continue;
                        }
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                if depth == 1 {
                    if c == ',' {
                        expecting = true;
                    } else if expecting && (c.is_alphanumeric() || c == '_') {
                        name.push(c);
                    } else if expecting && !name.is_empty() {
                        add(std::mem::take(&mut name), line);
                        expecting = false;
                    }
                }
            }
            add(name, line);
        } else {
            let name: String = chars[start..].iter().take_while(|c| c.is_alphanumeric() || **c == '_').collect();
            add(name, line);
        }
    }
    used
}

/// The top-level module a file of `src/` belongs to: `src/book/lock.rs` → `book`.
fn module_of(path: &str) -> &str {
    let rest = path.strip_prefix("src/").expect("a file under src/");
    let first = rest.split('/').next().expect("a name");
    first.strip_suffix(".rs").unwrap_or(first)
}

fn floor(module: &str) -> Option<u32> {
    FLOORS.iter().find(|(m, _)| *m == module).map(|(_, f)| *f)
}

#[test]
fn every_arrow_runs_down() {
    let mut wrong = Vec::new();
    for (path, text) in sources(&src()) {
        let module = module_of(&path);
        if ["main", "lib"].contains(&module) {
            continue;
        }
        let Some(own) = floor(module) else {
            wrong.push(format!(
                "{path}: module `{module}` has no floor in FLOORS; place it (and in docs/architecture.md)"
            ));
            continue;
        };
        for (used, line) in modules_used(&code_lines(&text)) {
            if used == module || ["crate", "self", "super", "Result", "Error"].contains(&used.as_str()) {
                continue;
            }
            match floor(&used) {
                Some(f) if f < own || (f == own && module_of_pair(module, &used)) => {}
                Some(f) => wrong.push(format!(
                    "{path}:{line}: `{module}` (floor {own}) uses `{used}` (floor {f}): {}; \
                     move what both need down, or hand it in from above",
                    if f == own { "an arrow between rooms of one floor" } else { "an arrow running back up" }
                )),
                None => wrong.push(format!("{path}:{line}: uses `crate::{used}`, which has no floor in FLOORS")),
            }
        }
    }
    assert!(wrong.is_empty(), "arrows that run back up:\n{}", wrong.join("\n"));
}

/// The one loop the house allows: clap's, between the command list and the commands.
fn module_of_pair(a: &str, b: &str) -> bool {
    matches!((a, b), ("cli", "cmd") | ("cmd", "cli"))
}

#[test]
fn records_and_the_disk_know_nothing_of_reports_or_printing() {
    // Implied by the floors, and said apart because it is the rule most worth keeping:
    // `model` is pure rules, `book` the disk; a report or a printer is what uses them.
    let mut wrong = Vec::new();
    for (path, text) in sources(&src()) {
        if !["model", "book"].contains(&module_of(&path)) {
            continue;
        }
        for (used, line) in modules_used(&code_lines(&text)) {
            if ["report", "output", "rows", "cmd", "web", "hooks"].contains(&used.as_str()) {
                wrong.push(format!("{path}:{line}: uses crate::{used}"));
            }
        }
    }
    assert!(wrong.is_empty(), "model/ and book/ must not reach up:\n{}", wrong.join("\n"));
}

#[test]
fn no_command_imports_another() {
    let dir = src().join("cmd");
    let commands: BTreeSet<String> = sources(&dir)
        .iter()
        .filter_map(|(p, _)| p.strip_prefix("src/cmd/")?.strip_suffix(".rs").map(str::to_string))
        .filter(|name| name != "mod")
        .collect();
    let mut wrong = Vec::new();
    for (path, text) in sources(&dir) {
        let own = path.trim_start_matches("src/cmd/").trim_end_matches(".rs");
        if own == "mod" {
            continue;
        }
        for (n, line) in code_lines(&text) {
            for other in &commands {
                let named = [format!("crate::cmd::{other}::"), format!("super::{other}::")]
                    .iter()
                    .any(|p| line.contains(p.as_str()))
                    || group_names(&line, "crate::cmd::{").contains(other)
                    || group_names(&line, "super::{").contains(other);
                if other != own && named {
                    wrong.push(format!(
                        "{path}:{n}: uses the command `{other}`; share through model/, book/ or report/"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "commands importing commands:\n{}", wrong.join("\n"));
}

/// The names in a one-line group after `prefix` (`crate::cmd::{Ctx, git}` → Ctx, git).
fn group_names(line: &str, prefix: &str) -> Vec<String> {
    let Some(at) = line.find(prefix) else { return Vec::new() };
    let rest = &line[at + prefix.len()..];
    let group = rest.split('}').next().unwrap_or("");
    group.split(',').map(|n| n.trim().split("::").next().unwrap_or("").to_string()).collect()
}

#[test]
fn only_the_ui_speaks_on_stderr() {
    // The Ui is passed in, so a test running a command in-process sees every warning;
    // main.rs alone prints the last error, after the command and its Ui are gone.
    let allowed = ["src/ui.rs", "src/main.rs"];
    let mut wrong = Vec::new();
    for (path, text) in sources(&src()) {
        if allowed.contains(&path.as_str()) {
            continue;
        }
        for (n, line) in code_lines(&text) {
            for what in ["eprintln!", "eprint!", "io::stderr", "dbg!"] {
                if line.contains(what) {
                    wrong.push(format!("{path}:{n}: {what}; say it through the Ui (ctx.ui) or return it"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "stderr written outside ui.rs:\n{}", wrong.join("\n"));
}

#[test]
fn the_environment_is_read_once_at_start() {
    // Every setting is read and checked in settings.rs before anything is written, and
    // passed down, so a command run in-process sees the settings it is given. The lock's
    // holder line names this process by its own command line, which no setting replaces.
    let allowed = ["src/settings.rs", "src/book/lock.rs"];
    let mut wrong = Vec::new();
    for (path, text) in sources(&src()) {
        if allowed.contains(&path.as_str()) {
            continue;
        }
        for (n, line) in code_lines(&text) {
            for what in ["env::var", "env::args", "env::vars"] {
                if line.contains(what) {
                    wrong.push(format!("{path}:{n}: {what}; read it in settings.rs and pass it down"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "the environment read outside settings.rs:\n{}", wrong.join("\n"));
}

#[test]
fn no_file_is_longer_than_a_sitting() {
    let mut wrong = Vec::new();
    for (path, text) in sources(&src()) {
        let lines = lines_before_tests(&text);
        if lines > MOST_LINES {
            wrong.push(format!("{path}: {lines} lines before its tests; split it along its jobs"));
        }
    }
    assert!(wrong.is_empty(), "files over {MOST_LINES} lines:\n{}", wrong.join("\n"));
}

#[test]
fn the_reader_sees_what_the_rules_are_about() {
    // The readers above must find what they look for, or every rule passes vacuously.
    let code = code_lines(
        "use crate::{book::Book, model};\nuse crate::report::query::Cond; // crate::cmd\n#[cfg(test)]\nmod tests {\n    use crate::web;\n}\n",
    );
    let used: Vec<String> = modules_used(&code).into_iter().map(|(m, _)| m).collect();
    assert_eq!(used, ["book", "model", "report"]);
    assert_eq!(lines_before_tests("a\nb\n#[cfg(test)]\nmod tests {\n}\n"), 2);
    assert_eq!(group_names("use crate::cmd::{Ctx, git::x};", "crate::cmd::{"), ["Ctx", "git"]);
    assert_eq!(module_of("src/book/index/life.rs"), "book");
    assert_eq!(module_of("src/output.rs"), "output");
    assert!(sources(&src()).iter().any(|(p, _)| p == "src/cmd/check.rs"), "the sources are found");
    let settings = sources(&src()).into_iter().find(|(p, _)| p == "src/settings.rs").expect("settings.rs");
    assert!(code_lines(&settings.1).iter().any(|(_, l)| l.contains("env::var")), "settings.rs reads the environment");
}
