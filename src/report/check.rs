//! `care check`: everything that can be wrong in a book, one finding per problem, each
//! with the file, line and column and a message that says how to fix it.
//!
//! Errors make the book untrustworthy (a file that does not parse, an id that is not its
//! file name, an incident about nobody, a time before the incident); warnings are lapses
//! of the playbook (a missing deposition field, a review before the apology, a
//! deposition written more than a day late, an unknown staff name).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration};

use crate::error::{DataKind, Error};
use crate::model::recovery::StepKind;
use crate::model::{Config, Customer, Incident, Section, id, recovery};
use crate::rows::{Cell, Rows};
use crate::time::Stamp;

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
    let (file, line, column, message) = match e {
        Error::Data { path, line, column, message, .. } => (path.clone(), *line, *column, message.clone()),
        Error::Io { path, source } => (path.clone(), 1, 1, source.to_string()),
        other => (PathBuf::new(), 1, 1, other.to_string()),
    };
    let time_words = [
        "input contains invalid characters",
        "premature end of input",
        "trailing input",
        "input is out of range",
        "no possible date",
    ];
    let code = match e.data_kind() {
        Some(kind) if !matches!(kind, DataKind::Other | DataKind::Syntax) => kind.code(),
        Some(DataKind::Syntax) if !syntax_ok => "syntax",
        _ if !syntax_ok => "unreadable",
        _ if time_words.iter().any(|w| message.contains(w)) => "bad-time",
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

/// Every finding about the parsed records of a book.
pub fn check(config: &Config, customers: &[Read<Customer>], incidents: &[Read<Incident>], now: Stamp) -> Vec<Finding> {
    use Severity::{Error as E, Warning as W};
    let mut f = Findings(Vec::new());
    let staff: Option<HashSet<&str>> = config.staff.as_ref().map(|s| s.iter().map(String::as_str).collect());
    let known_staff = |name: &str| name.is_empty() || staff.as_ref().is_none_or(|s| s.contains(name));
    let staff_hint = "add them to `staff:` in care.yaml, or correct the name";

    let mut customer_ids: HashMap<&str, &Path> = HashMap::new();
    let incident_ids: HashSet<&str> = incidents.iter().map(|r| r.record.id.as_str()).collect();
    for r in customers {
        let c = &r.record;
        let at_id = locate(&r.text, "id", None);
        ids(&mut f, &r.path, at_id, &c.id, id::check_customer_id(&c.id), &mut customer_ids);
        let entries = Section::ALL.iter().flat_map(|&s| c.entries(s)).filter_map(|e| e.at.map(|t| ("at", t)));
        let flags =
            c.flags.iter().flat_map(|fl| [fl.raised.map(|t| ("raised", t)), fl.cleared.map(|t| ("cleared", t))]);
        let happened: Vec<(&str, Stamp)> = entries.chain(flags.flatten()).collect();
        times(&mut f, r, &happened, &[], now);
        for section in Section::ALL {
            for e in c.entries(section) {
                if let Some(i) = e.incident.as_deref().filter(|i| !incident_ids.contains(i)) {
                    f.add(
                        W,
                        &r.path,
                        locate(&r.text, "incident", Some(i)),
                        "unknown-incident",
                        format!("{} links incident {i}, which is not in the book; check the id", section.label()),
                    );
                }
                if !known_staff(&e.by) {
                    f.add(
                        W,
                        &r.path,
                        locate(&r.text, "by", Some(&e.by)),
                        "unknown-staff",
                        format!("{:?} is not on the staff list; {staff_hint}", e.by),
                    );
                }
            }
        }
    }

    let by_id: HashMap<&str, &Customer> = customers.iter().map(|r| (r.record.id.as_str(), &r.record)).collect();
    let mut seen_incidents: HashMap<&str, &Path> = HashMap::new();
    for r in incidents {
        let i = &r.record;
        let at_id = locate(&r.text, "id", None);
        ids(&mut f, &r.path, at_id, &i.id, id::check_incident_id(&i.id), &mut seen_incidents);
        if !customer_ids.contains_key(i.customer.as_str()) {
            f.add(
                E,
                &r.path,
                locate(&r.text, "customer", None),
                "unknown-customer",
                format!(
                    "customer {:?} is not in the book; add them with `care customer add` or correct the id",
                    i.customer
                ),
            );
        }
        if by_id.get(i.customer.as_str()).is_some_and(|c| !c.links(&i.id)) {
            f.add(
                W,
                &r.path,
                locate(&r.text, "customer", None),
                UNLINKED,
                format!(
                    "{}'s file has no misstep or flag for this incident (was `recover open` stopped half way?), \
                     so nobody greeting them knows of it; `care check --fix` adds them",
                    i.customer
                ),
            );
        }
        for (key, name) in [("staff", &i.staff), ("owner", &i.owner)] {
            if let Some(name) = name.as_deref().filter(|n| !known_staff(n)) {
                f.add(
                    W,
                    &r.path,
                    locate(&r.text, key, Some(name)),
                    "unknown-staff",
                    format!("{key} {name:?} is not on the staff list; {staff_hint}"),
                );
            }
        }
        steps(&mut f, r);
        let step_times = [StepKind::Apologize, StepKind::Review, StepKind::Fix, StepKind::Extra, StepKind::Close]
            .into_iter()
            .filter_map(|k| k.get(i).map(|s| (k.field(), s.at)));
        let done = i.followups.iter().filter_map(|fu| fu.done.as_ref().map(|d| ("at", d.at)));
        let happened: Vec<(&str, Stamp)> = [("opened", i.opened)].into_iter().chain(step_times).chain(done).collect();
        let scheduled: Vec<(&str, Stamp)> = i.followups.iter().map(|fu| ("due", fu.due)).collect();
        times(&mut f, r, &happened, &scheduled, now);
        missed_by(&mut f, r);
        for fu in &i.followups {
            if fu.due < i.opened {
                let due = crate::time::rfc3339(&fu.due);
                f.add(
                    E,
                    &r.path,
                    locate(&r.text, "due", Some(&due)),
                    "followup-before-opened",
                    format!(
                        "the {} follow-up is due before the incident was opened; correct `due` or `opened`",
                        fu.kind
                    ),
                );
            }
        }
        if i.is_open() && recovery::pending(i).next().is_none() {
            let what = if i.followups.is_empty() {
                "schedules no follow-up at all; `followup due` shows the progress clock from `opened` meanwhile"
            } else {
                "has no follow-up pending, so nobody is reminded of it"
            };
            f.add(
                W,
                &r.path,
                locate(&r.text, "followups", None),
                "no-followups",
                format!(
                    "this open incident {what}; add one with `care followup add`, or close it with `care recover close`"
                ),
            );
        }
        let missing = recovery::missing_deposition(i);
        if !missing.is_empty() {
            f.add(
                W,
                &r.path,
                (1, 1),
                "missing-deposition",
                format!("the deposition lacks {}; document it while memory is fresh", missing.join(", ")),
            );
        }
        if let Some(recorded) = i.recorded.filter(|rec| *rec - i.opened > Duration::days(1)) {
            let late = crate::time::human_minutes((recorded - i.opened).num_minutes());
            f.add(
                W,
                &r.path,
                locate(&r.text, "recorded", None),
                "late-deposition",
                format!("documented {late} after it happened; write depositions the same day"),
            );
        }
    }
    let mut all = f.0;
    all.sort_by(|a, b| (&a.file, a.line, a.column, a.code).cmp(&(&b.file, b.line, b.column, b.code)));
    all
}

fn ids<'a>(
    f: &mut Findings,
    path: &'a Path,
    at: (usize, usize),
    id: &'a str,
    valid: Result<(), String>,
    seen: &mut HashMap<&'a str, &'a Path>,
) {
    if let Err(e) = valid {
        f.add(Severity::Error, path, at, "bad-id", e);
        return;
    }
    if path.file_stem().is_some_and(|s| s != id) {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        f.add(Severity::Error, path, at, "id-mismatch", id::mismatch_message(id, &stem));
    }
    if let Some(first) = seen.insert(id, path) {
        f.add(Severity::Error, path, at, "duplicate-id", id::duplicate_message(id, first));
    }
}

/// Times that cannot be true: something that happened dated in the future (a bare clock
/// time typed just after midnight once meant tomorrow), or any time in a year no service
/// history has (`0001-01-01`, `9999-12-31`: typos).
fn times<T>(f: &mut Findings, r: &Read<T>, happened: &[(&str, Stamp)], scheduled: &[(&str, Stamp)], now: Stamp) {
    let slack = Duration::minutes(crate::time::FUTURE_SLACK_MINUTES);
    for &(key, t) in happened.iter().chain(scheduled) {
        let shown = crate::time::rfc3339(&t);
        if !crate::time::YEARS.contains(&t.year()) {
            f.add(
                Severity::Error,
                &r.path,
                locate(&r.text, key, Some(&shown)),
                "absurd-time",
                format!("`{key}: {shown}` is in the year {}; correct the date", t.year()),
            );
        }
    }
    for &(key, t) in happened {
        if t > now + slack {
            let shown = crate::time::rfc3339(&t);
            f.add(
                Severity::Warning,
                &r.path,
                locate(&r.text, key, Some(&shown)),
                "future-time",
                format!("`{key}: {shown}` records something that happened, but is in the future; correct the time"),
            );
        }
    }
}

/// A breach on record must be what the times say: done after due, by that many minutes.
fn missed_by(f: &mut Findings, r: &Read<Incident>) {
    for fu in &r.record.followups {
        let Some(m) = fu.missed_by else { continue };
        let actual = fu.done.as_ref().map(|d| (d.at - fu.due).num_minutes());
        if actual.is_none_or(|a| m <= 0 || (a - m).abs() > 1) {
            let says = match actual {
                Some(a) if a > 0 => format!("the times say {a}"),
                Some(_) => "it was done in time".to_string(),
                None => "it is not done".to_string(),
            };
            f.add(
                Severity::Warning,
                &r.path,
                locate(&r.text, "missed_by", Some(&m.to_string())),
                "impossible-missed-by",
                format!(
                    "the {} follow-up is `missed_by: {m}` minutes, but {says}; correct `missed_by` or the times",
                    fu.kind
                ),
            );
        }
    }
}

/// Steps out of order: before the incident, review before apology, close before fix.
fn steps(f: &mut Findings, r: &Read<Incident>) {
    let i = &r.record;
    for kind in [StepKind::Apologize, StepKind::Review, StepKind::Fix, StepKind::Extra, StepKind::Close] {
        if kind.get(i).is_some_and(|s| s.at < i.opened) {
            f.add(
                Severity::Error,
                &r.path,
                locate(&r.text, kind.field(), None),
                "step-before-opened",
                format!("`{}` is dated before the incident was opened; correct its time or `opened`", kind.field()),
            );
        }
    }
    let rec = &i.recovery;
    let review_first =
        rec.reviewed.as_ref().is_some_and(|review| rec.apologized.as_ref().is_none_or(|a| a.at > review.at));
    if review_first {
        f.add(
            Severity::Warning,
            &r.path,
            locate(&r.text, "reviewed", None),
            "review-before-apology",
            "the complaint was reviewed before the apology: apologize first, then ask questions".into(),
        );
    }
    if rec.closed.is_some() && rec.fixed.is_none() {
        f.add(
            Severity::Warning,
            &r.path,
            locate(&r.text, "closed", None),
            "closed-unfixed",
            "closed without a recorded fix; record it with `care recover fix`".into(),
        );
    }
}

pub fn rows(findings: &[Finding]) -> Rows {
    let mut rows = Rows::new(&["severity", "file", "line", "column", "code", "message"]);
    for f in findings {
        rows.push(vec![
            if f.severity == Severity::Error { "error" } else { "warning" }.into(),
            f.file.display().to_string().into(),
            Cell::Int(f.line as i64),
            Cell::Int(f.column as i64),
            f.code.into(),
            f.message.as_str().into(),
        ]);
    }
    rows
}
