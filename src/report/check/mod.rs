//! `care check`: everything that can be wrong in a book, one finding per problem, each
//! with the file, line and column and a message that says how to fix it.
//!
//! Errors make the book untrustworthy (a file that does not parse, an id that is not its
//! file name, an incident about nobody, a time before the incident); warnings are lapses
//! of the playbook (a missing deposition field, a review before the apology, a
//! deposition written more than a day late, an unknown staff name).
//!
//! One file a job: `rules` holds the findings a single file gives (customer, incident,
//! action), `tables` the compact tables that find what only the whole book shows
//! (duplicate ids, links to incidents that are not there) while it streams past, and
//! `codec` a finding set aside as bytes (spilled to disk, then told in the book's order).

use std::path::{Path, PathBuf};

use crate::error::{DataKind, Error};
use crate::model::id;
use crate::rows::Cell;

mod codec;
mod rules;
mod tables;

pub use codec::{decode, encode, order_key};
pub use rules::{ActionFacts, action_file, customer_file, incident_file, locate_id, unknown_incidents};
pub use tables::{Cross, CustomerFacts, Ending, IncidentFacts};

/// The code of an incident its customer's file does not link; `care check --fix` links it.
pub const UNLINKED: &str = "unlinked-incident";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub severity: Severity,
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub code: &'static str,
    pub message: String,
}

/// A record file as `check` read it: its text and what parsing made of it.
#[derive(Debug)]
pub struct Read<T> {
    pub path: PathBuf,
    pub text: String,
    pub record: T,
}

/// A file that could not be read or parsed, classified: by the kind the error carries
/// (set where it was found: the YAML reader, the book's file checks), else by whether the
/// text was YAML at all (`syntax_ok`: it parsed as a tree but not as the record).
pub fn unreadable(e: &Error, syntax_ok: bool) -> Finding {
    if let Some((file, code, message)) = e.file_problem() {
        return Finding { severity: Severity::Error, file: file.to_path_buf(), line: 1, column: 1, code, message };
    }
    let (file, line, column, message) = match e.cause() {
        Error::Data { path, line, column, message, .. } => (path.clone(), *line, *column, message.clone()),
        Error::Io { path, source } => (path.clone(), 1, 1, source.to_string()),
        other => (PathBuf::new(), 1, 1, with_hint(other, e)),
    };
    let code = match e.data_kind() {
        Some(kind) if !matches!(kind, DataKind::Other | DataKind::Syntax) => kind.code(),
        Some(DataKind::Syntax) if !syntax_ok => "syntax",
        _ if !syntax_ok => "unreadable",
        _ => "invalid",
    };
    let hint = match code {
        "merge-conflict" => "see docs/sharing.md",
        "syntax" => "fix the YAML there (`care edit` checks it as you save)",
        "bad-time" => "times are RFC 3339 with an offset, e.g. 2026-11-22T19:42:00-05:00",
        "invalid" => "the field has the wrong kind of value (see docs/format.md)",
        // Their messages say what to do.
        "too-deep" | "alias-expansion" | "too-big" | "not-utf8" => "",
        _ => "remove or replace the file",
    };
    let message = if hint.is_empty() { message } else { format!("{message}; {hint}") };
    Finding { severity: Severity::Error, file, line, column, code, message }
}

/// An error's message with its hint, on one line as a finding's message is.
fn with_hint(cause: &Error, e: &Error) -> String {
    match e.hint() {
        Some(hint) => format!("{cause}; {hint}"),
        None => cause.to_string(),
    }
}

/// The exposure file (`exposure:` in care.yaml) that `trends --per` and `patterns` would
/// refuse, said where its problem is: a row of the file, else care.yaml naming it.
pub fn bad_exposure(e: &Error, config: &Path) -> Finding {
    let (file, line, column, message) = match e.cause() {
        Error::Data { path, line, column, message, .. } => (path.clone(), *line, *column, message.clone()),
        Error::Io { path, source } => (path.clone(), 1, 1, source.to_string()),
        other => (config.to_path_buf(), 1, 1, with_hint(other, e)),
    };
    let message = format!("{message}; rates per shift-hour cannot be worked out until it is fixed (docs/format.md)");
    Finding { severity: Severity::Error, file, line, column, code: "bad-exposure", message }
}

/// Line and column of `key:` (holding `value`, if given) in a record's text; 1:1 if absent.
fn locate(text: &str, key: &str, value: Option<&str>) -> (usize, usize) {
    let needle = format!("{key}:");
    for (n, line) in text.lines().enumerate() {
        if let Some(col) = line.find(&needle) {
            let boundary =
                col == 0 || !line.as_bytes()[col - 1].is_ascii_alphanumeric() && line.as_bytes()[col - 1] != b'_';
            if boundary && value.is_none_or(|v| line.contains(v)) {
                return (n + 1, col + 1);
            }
        }
    }
    (1, 1)
}

struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, severity: Severity, path: &Path, at: (usize, usize), code: &'static str, message: String) {
        self.0.push(Finding { severity, file: path.to_path_buf(), line: at.0, column: at.1, code, message });
    }
}

/// The second (or later) incident with an id: `earlier` is the one before it.
pub fn duplicate(path: &Path, at: (usize, usize), incident: &str, earlier: &Path) -> Finding {
    let message = id::duplicate_message(incident, earlier);
    Finding {
        severity: Severity::Error,
        file: path.to_path_buf(),
        line: at.0,
        column: at.1,
        code: "duplicate-id",
        message,
    }
}

/// A customer file that brings back a person the book forgot (`care forget`): its id, email
/// or phone is in the tombstone. Told without the person, like every refusal of them.
pub fn forgotten_back(
    tombstone: &crate::model::forgotten::Tombstone,
    r: &Read<crate::model::Customer>,
) -> Option<Finding> {
    let c = &r.record;
    let gone = tombstone.knows(Some(&c.id), c.contact.email.as_deref(), c.contact.phone.as_deref())?;
    let (line, column) = locate_id(&r.text);
    Some(Finding {
        severity: Severity::Error,
        file: r.path.clone(),
        line,
        column,
        code: "forgotten-back",
        message: format!(
            "this file brings back a person the book forgot: {}; remove it (`care forget {}` again, or delete it)",
            crate::model::forgotten::refusal(gone),
            c.id
        ),
    })
}

/// `forgotten.yaml` that cannot be read: nothing can be checked against it.
pub fn bad_tombstone(e: &Error) -> Finding {
    let (file, line, column) = match e.cause() {
        Error::Data { path, line, column, .. } => (path.clone(), *line, *column),
        _ => (PathBuf::from(crate::model::forgotten::FILE), 1, 1),
    };
    Finding { severity: Severity::Error, file, line, column, code: "bad-tombstone", message: e.to_string() }
}

/// A `care customer merge KEEP DROP` that did not finish (its journal entry is still there
/// and DROP's file too): KEEP may already hold DROP's entries, so each flag, reminder and
/// visit of DROP would show twice. Told at DROP's file, naming both.
pub fn stopped_merge(drop_file: &Path, keep: &str, drop: &str) -> Finding {
    Finding {
        severity: Severity::Error,
        file: drop_file.to_path_buf(),
        line: 1,
        column: 1,
        code: "merge-stopped",
        message: format!(
            "`care customer merge {keep} {drop}` did not finish (it was stopped, or is running now): {keep} may \
             already hold {drop}'s entries while {drop} still exists, so they would show twice; run \
             `care customer merge {keep} {drop}` again or `care check --fix` to complete it"
        ),
    }
}
/// A condition of an action no incident can meet, because no incident has its field: the
/// message `--where` gives (`problem`), at the condition.
pub fn unknown_field(path: &Path, at: (usize, usize), problem: &str) -> Finding {
    Finding {
        severity: Severity::Error,
        file: path.to_path_buf(),
        line: at.0,
        column: at.1,
        code: "bad-filter",
        message: format!("for: {problem}"),
    }
}

/// What keeps one of the clone's hooks (`.care/hooks/<event>`) from being plainly its own,
/// as `hooks::audit` found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookProblem {
    /// Git tracks it: it may have come with a pull. It never runs.
    Tracked,
    /// It sits in a submodule or a repository nested in the book. It never runs.
    Nested,
    /// Git cannot say whether it is the clone's own, so no hook runs.
    Unverified,
    /// It is reached through a link.
    Linked,
    /// It is no executable file inside `.care/hooks`. It never runs.
    Refused,
}

/// The finding for a hook: errors where a hook the clone set up is kept from running, or
/// arrived from elsewhere; a warning where it only leans on a link or is not runnable.
pub fn hook(file: &Path, problem: HookProblem, message: String) -> Finding {
    let (severity, code) = match problem {
        HookProblem::Tracked => (Severity::Error, "hook-tracked"),
        HookProblem::Nested => (Severity::Error, "hook-nested"),
        HookProblem::Unverified => (Severity::Error, "hook-unverified"),
        HookProblem::Linked => (Severity::Warning, "hook-linked"),
        HookProblem::Refused => (Severity::Warning, "hook-refused"),
    };
    Finding { severity, file: file.to_path_buf(), line: 1, column: 1, code, message }
}
pub const COLUMNS: [&str; 6] = ["severity", "file", "line", "column", "code", "message"];

pub fn row(f: &Finding) -> Vec<Cell> {
    vec![
        if f.severity == Severity::Error { "error" } else { "warning" }.into(),
        f.file.display().to_string().into(),
        Cell::Int(f.line as i64),
        Cell::Int(f.column as i64),
        f.code.into(),
        f.message.as_str().into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::tables::{ENTRY, OPENING};
    use super::*;

    fn customer(id: &str, valid: bool, links: &[(&str, u8)]) -> CustomerFacts {
        let links = links.iter().map(|(i, k)| (i.to_string(), *k)).collect();
        CustomerFacts { id: id.into(), valid_id: valid, at_id: (1, 1), links }
    }

    fn incident(id: &str, valid: bool, customer: &str) -> IncidentFacts {
        IncidentFacts { id: id.into(), valid_id: valid, at_id: (1, 1), customer: customer.into(), at_customer: (2, 1) }
    }

    fn codes(found: &[Finding]) -> Vec<&'static str> {
        found.iter().map(|f| f.code).collect()
    }

    #[test]
    fn an_id_used_more_than_twice_is_one_group_in_the_books_order() {
        let mut cross = Cross::default();
        cross.customer(Path::new("b/customers/ada.yaml"), customer("ada", true, &[]));
        cross.customers_done();
        let path = Path::new("b/incidents/x.yaml");
        // 3 is a file that could not be read; 6 copies the id but is not an id at all.
        for (n, id, valid) in [(0, "a", true), (1, "b", true), (2, "a", true), (4, "a", true), (5, "b", true)] {
            cross.incident(n, path, &incident(id, valid, "ada"));
        }
        cross.incident(6, path, &incident("a", false, "ada"));
        cross.incident(7, path, &incident("c", true, "ada"));
        assert_eq!(cross.incidents(), 7);
        let ending = cross.finish();
        let mut groups = ending.duplicates.clone();
        groups.sort();
        assert_eq!(groups, vec![vec![0, 2, 4], vec![1, 5]]);
        assert!(["a", "b", "c"].iter().all(|i| ending.knows(i)) && !ending.knows("d"));
    }

    #[test]
    fn links_are_told_apart_by_customer_and_kind() {
        let mut cross = Cross::default();
        let (ada, bob) = (Path::new("b/customers/ada.yaml"), Path::new("b/customers/bob.yaml"));
        assert!(cross.customer(ada, customer("ada", true, &[("i1", ENTRY | OPENING), ("i3", OPENING)])).is_none());
        assert!(cross.customer(bob, customer("bob", true, &[("i2", ENTRY), ("gone", ENTRY), ("i1", ENTRY)])).is_none());
        cross.customers_done();
        let path = Path::new("b/incidents/i.yaml");
        assert_eq!(codes(&cross.incident(0, path, &incident("i1", true, "ada"))), Vec::<&str>::new());
        // A note is not what opening writes; ada's flag is not bob's.
        assert_eq!(codes(&cross.incident(1, path, &incident("i2", true, "bob"))), [UNLINKED]);
        assert_eq!(codes(&cross.incident(2, path, &incident("i3", true, "bob"))), [UNLINKED]);
        assert_eq!(codes(&cross.incident(3, path, &incident("i4", true, "eve"))), ["unknown-customer"]);
        let ending = cross.finish();
        assert_eq!(ending.unknown_links, vec![bob.to_path_buf()], "only bob's note links an incident not in the book");
    }

    #[test]
    fn customer_ids_are_compared_whole_and_answered_by_the_latest_valid_one() {
        let mut cross = Cross::default();
        let ids: Vec<String> = (0..5000).map(|i| format!("c{i}")).collect();
        for id in &ids {
            let path = PathBuf::from(format!("b/customers/{id}.yaml"));
            assert!(cross.customer(&path, customer(id, true, &[])).is_none(), "{id}");
        }
        // An id twice: the second names the first; a third copy names the second.
        let again = cross.customer(Path::new("b/customers/x.yaml"), customer("c42", true, &[]));
        assert_eq!(again.map(|f| (f.code, f.message.contains("b/customers/c42.yaml"))), Some(("duplicate-id", true)));
        let third = cross.customer(Path::new("b/customers/y.yaml"), customer("c42", true, &[]));
        assert!(third.is_some_and(|f| f.message.contains("b/customers/x.yaml")));
        // Not an id at all: no duplicate, and an incident naming only it has no customer.
        assert!(cross.customer(Path::new("b/customers/z.yaml"), customer("c42", false, &[])).is_none());
        assert!(cross.customer(Path::new("b/customers/bad.yaml"), customer("Not Valid", false, &[])).is_none());
        cross.customers_done();
        let path = Path::new("b/incidents/i.yaml");
        let told = |cross: &mut Cross, n, who| codes(&cross.incident(n, path, &incident("i", true, who)));
        assert_eq!(told(&mut cross, 0, "c4999"), [UNLINKED]);
        assert_eq!(told(&mut cross, 1, "c5000"), ["unknown-customer"]);
        assert_eq!(told(&mut cross, 2, "Not Valid"), ["unknown-customer", UNLINKED]);
        assert_eq!(told(&mut cross, 3, "c4"), [UNLINKED]);
    }

    #[test]
    fn a_finding_set_aside_reads_back_the_same() {
        let f = Finding {
            severity: Severity::Warning,
            file: PathBuf::from("incidents/2026/11/20261101-aaaaaa.yaml"),
            line: 12,
            column: 3,
            code: "unlinked-incident",
            message: "ada's file has no misstep — «é» ✓".into(),
        };
        let mut bytes = Vec::new();
        encode(&f, 1, &mut bytes);
        let (back, rank) = decode(&bytes).expect("decodes");
        assert_eq!(rank, 1);
        assert_eq!(row(&back), row(&f));
        assert_eq!(back.code, f.code);
        assert!(decode(&bytes[..bytes.len() - 1]).is_none(), "a cut record is not a finding");
    }
}
