//! The findings one record's file gives on its own (customer, incident, action): its id,
//! its times, its steps in the playbook's order, its staff names, and the facts the checks
//! across files (`tables`) need of it.

use std::path::Path;

use chrono::{Datelike, Duration};

use crate::model::action::Action;
use crate::model::recovery::StepKind;
use crate::model::{Config, Customer, Incident, Section, fields, id, recovery};
use crate::time::Stamp;

use super::tables::{CustomerFacts, ENTRY, IncidentFacts, OPENING};
use super::{Finding, Findings, Read, Severity, locate};

pub fn locate_id(text: &str) -> (usize, usize) {
    locate(text, "id", None)
}

/// A customer file's findings that need no other file, and what the checks across files
/// need of it.
pub fn customer_file(config: &Config, r: &Read<Customer>, now: Stamp) -> (Vec<Finding>, CustomerFacts) {
    let mut f = Findings(Vec::new());
    let c = &r.record;
    let at_id = locate(&r.text, "id", None);
    let valid_id = own_id(&mut f, &r.path, at_id, &c.id, id::check_customer_id(&c.id));
    let entries = Section::ALL.iter().flat_map(|&s| c.entries(s)).filter_map(|e| e.at.map(|t| ("at", t)));
    let flags = c.flags.iter().flat_map(|fl| [fl.raised.map(|t| ("raised", t)), fl.cleared.map(|t| ("cleared", t))]);
    let happened: Vec<(&str, Stamp)> = entries.chain(flags.flatten()).collect();
    times(&mut f, r, &happened, &[], now);
    for section in Section::ALL {
        for e in c.entries(section).iter().filter(|e| !known_staff(config, &e.by)) {
            f.add(
                Severity::Warning,
                &r.path,
                locate(&r.text, "by", Some(&e.by)),
                "unknown-staff",
                format!("{:?} is not on the staff list; {STAFF_HINT}", e.by),
            );
        }
    }
    let mut links: Vec<(String, u8)> = Vec::new();
    for section in Section::ALL {
        for i in c.entries(section).iter().filter_map(|e| e.incident.as_deref()) {
            let opening = if section == Section::Misstep { OPENING } else { 0 };
            links.push((i.to_string(), ENTRY | opening));
        }
    }
    links.extend(c.flags.iter().filter_map(|fl| fl.incident.clone()).map(|i| (i, OPENING)));
    (f.0, CustomerFacts { id: c.id.clone(), valid_id, at_id, links })
}

/// An entry's link to an incident that is not in the book, found once every incident is
/// known (`known`): the customer's file is read again for it, which is rare.
pub fn unknown_incidents(r: &Read<Customer>, known: impl Fn(&str) -> bool) -> Vec<Finding> {
    let mut f = Findings(Vec::new());
    for section in Section::ALL {
        for i in r.record.entries(section).iter().filter_map(|e| e.incident.as_deref()).filter(|i| !known(i)) {
            f.add(
                Severity::Warning,
                &r.path,
                locate(&r.text, "incident", Some(i)),
                "unknown-incident",
                format!("{} links incident {i}, which is not in the book; check the id", section.label()),
            );
        }
    }
    f.0
}

/// An incident file's findings that need no other file, and what the checks across files
/// need of it.
pub fn incident_file(config: &Config, r: &Read<Incident>, now: Stamp) -> (Vec<Finding>, IncidentFacts) {
    use Severity::{Error as E, Warning as W};
    let mut f = Findings(Vec::new());
    let i = &r.record;
    let at_id = locate(&r.text, "id", None);
    let valid_id = own_id(&mut f, &r.path, at_id, &i.id, id::check_incident_id(&i.id));
    for (key, name) in [(fields::STAFF, &i.staff), (fields::OWNER, &i.owner)] {
        if let Some(name) = name.as_deref().filter(|n| !known_staff(config, n)) {
            f.add(
                W,
                &r.path,
                locate(&r.text, key, Some(name)),
                "unknown-staff",
                format!("{key} {name:?} is not on the staff list; {STAFF_HINT}"),
            );
        }
    }
    steps(&mut f, r);
    let step_times = StepKind::ALL.into_iter().filter_map(|k| k.get(i).map(|s| (k.field(), s.at)));
    let done = i.followups.iter().filter_map(|fu| fu.done.as_ref().map(|d| ("at", d.at)));
    let happened: Vec<(&str, Stamp)> = [(fields::OPENED, i.opened)].into_iter().chain(step_times).chain(done).collect();
    let scheduled: Vec<(&str, Stamp)> = i.followups.iter().map(|fu| ("due", fu.due)).collect();
    times(&mut f, r, &happened, &scheduled, now);
    missed_by(&mut f, r);
    for c in recovery::contradictions(i) {
        let shown = crate::time::rfc3339(&c.at);
        f.add(E, &r.path, locate(&r.text, c.key, Some(&shown)), c.code, c.message);
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
    let facts = IncidentFacts {
        id: i.id.clone(),
        valid_id,
        at_id,
        customer: i.customer.clone(),
        at_customer: locate(&r.text, "customer", None),
    };
    (f.0, facts)
}

/// What one action's file tells the checks across files.
#[derive(Debug)]
pub struct ActionFacts {
    pub id: String,
    pub valid_id: bool,
    pub at_id: (usize, usize),
    /// Each condition of `for:` that reads, with where it is: its field must be one an
    /// incident has, which only the incidents can tell.
    pub conds: Vec<(crate::report::query::Cond, String, (usize, usize))>,
}

/// A corrective action's findings that need no other file: its id, who recorded and owns
/// it, its time, and conditions the filter language rejects (with `--where`'s message).
pub fn action_file(config: &Config, r: &Read<Action>, now: Stamp) -> (Vec<Finding>, ActionFacts) {
    let mut f = Findings(Vec::new());
    let a = &r.record;
    let at_id = locate(&r.text, "id", None);
    let valid = id::check_customer_id(&a.id)
        .map_err(|_| format!("{:?} is not a valid action id: action ids look like 20261122-k7f3qz", a.id));
    let valid_id = own_id(&mut f, &r.path, at_id, &a.id, valid);
    for (key, name) in [("by", Some(&a.by)), ("owner", a.owner.as_ref())] {
        if let Some(name) = name.filter(|n| !known_staff(config, n)) {
            f.add(
                Severity::Warning,
                &r.path,
                locate(&r.text, key, Some(name)),
                "unknown-staff",
                format!("{key} {name:?} is not on the staff list; {STAFF_HINT}"),
            );
        }
    }
    times(&mut f, r, &[("at", a.at)], &[], now);
    // Kept by every rewrite, but read by nothing: most likely a misspelt field.
    for (n, line) in r.text.lines().enumerate() {
        let key = line.split_once(':').map(|(k, _)| k).filter(|k| {
            k.starts_with(|c: char| c.is_ascii_alphabetic())
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
        if let Some(key) = key.filter(|k| !Action::FIELDS.contains(k)) {
            f.add(
                Severity::Warning,
                &r.path,
                (n + 1, 1),
                "unknown-field",
                format!(
                    "unknown field `{key}`, expected one of {}; it is kept, but nothing reads it",
                    Action::FIELDS.join(", ")
                ),
            );
        }
    }
    let mut conds = Vec::new();
    for c in &a.filter {
        let at = locate_item(&r.text, "for", c);
        match c.parse::<crate::report::query::Cond>() {
            Ok(cond) => conds.push((cond, c.clone(), at)),
            Err(e) => f.add(Severity::Error, &r.path, at, "bad-filter", format!("for: {e}")),
        }
    }
    if a.filter.is_empty() {
        f.add(
            Severity::Error,
            &r.path,
            locate(&r.text, "for", None),
            "bad-filter",
            "for: names no condition, so the action is for no pattern; add FIELD=VALUE conditions".into(),
        );
    }
    (f.0, ActionFacts { id: a.id.clone(), valid_id, at_id, conds })
}

/// Where an item of a list under `key:` is: the first line after `key:` that holds it
/// (block style), else the `key:` line itself (`for: [a=b]`).
fn locate_item(text: &str, key: &str, item: &str) -> (usize, usize) {
    let (key_line, key_column) = locate(text, key, None);
    let lines = || text.lines().enumerate().skip(key_line.saturating_sub(1));
    let unquoted = |l: &str| l.trim().trim_start_matches("- ").trim().trim_matches(['"', '\'']).to_string();
    let exact = lines().find(|(_, l)| unquoted(l) == item.trim());
    match exact.or_else(|| lines().find(|(_, l)| l.contains(item))) {
        Some((n, line)) => (n + 1, line.find(item.trim()).map_or(1, |c| c + 1)),
        None => (key_line, key_column),
    }
}

const STAFF_HINT: &str = "add them to `staff:` in care.yaml, or correct the name";

fn known_staff(config: &Config, name: &str) -> bool {
    name.is_empty() || config.staff.as_ref().is_none_or(|s| s.iter().any(|n| n == name))
}

/// The id's own faults (not one, or not the file's name); true when it is an id at all,
/// so that it takes part in the search for duplicates.
fn own_id(f: &mut Findings, path: &Path, at: (usize, usize), id: &str, valid: Result<(), String>) -> bool {
    if let Err(e) = valid {
        f.add(Severity::Error, path, at, "bad-id", e);
        return false;
    }
    if path.file_stem().is_some_and(|s| s != id) {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        f.add(Severity::Error, path, at, "id-mismatch", id::mismatch_message(id, &stem));
    }
    true
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
