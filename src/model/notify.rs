//! The rules of `care notify`: which follow-ups (and customers' reminders) to notify now,
//! given what this clone already told its hooks. A follow-up is notified when it enters a stage (due soon, then
//! overdue), again every `--repeat` while it stays there, and never twice for the same
//! stage otherwise. The memory of what was told (`.care/notify-state`) is only an
//! optimisation against repeats: whatever is due is computed afresh from the records, so
//! a lost or damaged state repeats a notice and never drops one; an entry is written only
//! after its hook succeeded.

use std::collections::HashMap;

use crate::time::{Clock, Span, Stamp, rfc3339};

const HEADER: &str = "# care notify-state 1: what `care notify` told this clone's hooks. \
Safe to delete (notices then repeat once).";

/// Where a follow-up stands for notifying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Due within `--within`, not yet past due.
    Soon,
    Overdue,
}

impl Stage {
    pub fn of(due: Stamp, now: Stamp) -> Stage {
        if due <= now { Stage::Overdue } else { Stage::Soon }
    }

    pub fn name(self) -> &'static str {
        match self {
            Stage::Soon => "soon",
            Stage::Overdue => "overdue",
        }
    }
}

/// A follow-up is itself by its incident, its place in the list and its due time: a
/// rescheduled follow-up is a new one to notify. A customer's reminder is itself the same
/// way, by `customer/ID`, its place in their `reminders:` list and the occurrence, so the
/// next occurrence of a recurring one (re-armed when done) is notified afresh.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The incident's id, or `customer/ID` (`reminder_subject`) for a reminder.
    pub subject: String,
    pub index: usize,
    pub due: Stamp,
}

/// A follow-up due now (or soon), as found in the records.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub key: Key,
    pub kind: String,
    pub stage: Stage,
}

/// What was told about one follow-up.
#[derive(Debug, Clone, PartialEq)]
pub struct Told {
    pub kind: String,
    pub stage: Stage,
    pub first: Stamp,
    pub last: Stamp,
    pub count: u32,
}

/// A notice to give now: the count it will be (1 the first time in its stage) and since when.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub count: u32,
    pub first: Stamp,
}

pub type State = HashMap<Key, Told>;

/// The `Key::subject` of a corrective action's check (`action/ID`).
pub fn action_subject(action: &str) -> String {
    format!("action/{action}")
}

/// The `Key::subject` of a customer's reminder: no incident id holds a `/`.
pub fn reminder_subject(customer: &str) -> String {
    format!("customer/{customer}")
}

/// The notice for a candidate now, if one is owed: none told in this stage yet, or the
/// last one is `repeat` old.
pub fn owed(state: &State, c: &Candidate, now: Stamp, repeat: Option<Span>, clock: &Clock) -> Option<Notice> {
    match state.get(&c.key) {
        Some(t) if t.stage == c.stage => {
            let again = repeat.filter(|r| *r != Span::default()).is_some_and(|r| clock.add(t.last, r) <= now);
            again.then(|| Notice { count: t.count + 1, first: t.first })
        }
        _ => Some(Notice { count: 1, first: now }),
    }
}

/// The state after a run: what was told now, what was told before about follow-ups still
/// due, and nothing about follow-ups no longer due (done, or rescheduled).
pub fn after(old: &State, due: &[Candidate], told: &[(&Candidate, Notice)], now: Stamp) -> State {
    let mut new: State = due.iter().filter_map(|c| old.get(&c.key).map(|t| (c.key.clone(), t.clone()))).collect();
    for (c, n) in told {
        let t = Told { kind: c.kind.clone(), stage: c.stage, first: n.first, last: now, count: n.count };
        new.insert(c.key.clone(), t);
    }
    new
}

/// Read the state file; lines that do not parse are skipped (they only cost a repeat).
pub fn parse(text: &str) -> State {
    let mut state = State::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let [subject, index, kind, due, stage, first, last, count] = f.as_slice() else { continue };
        let time = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
        let stage = match *stage {
            "soon" => Stage::Soon,
            "overdue" => Stage::Overdue,
            _ => continue,
        };
        let (Ok(index), Some(due), Some(first), Some(last), Ok(count)) =
            (index.parse(), time(due), time(first), time(last), count.parse())
        else {
            continue;
        };
        let key = Key { subject: subject.to_string(), index, due };
        state.insert(key, Told { kind: kind.to_string(), stage, first, last, count });
    }
    state
}

/// The state file's text: a header, then one tab-separated line per follow-up, sorted so
/// that the file changes only where the state does.
pub fn render(state: &State) -> String {
    let mut lines: Vec<String> = state
        .iter()
        .map(|(k, t)| {
            let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                clean(&k.subject),
                k.index,
                clean(&t.kind),
                rfc3339(&k.due),
                t.stage.name(),
                rfc3339(&t.first),
                rfc3339(&t.last),
                t.count
            )
        })
        .collect();
    lines.sort();
    let mut text = format!("{HEADER}\n");
    lines.iter().for_each(|l| text.push_str(&format!("{l}\n")));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Stamp {
        chrono::DateTime::parse_from_rfc3339(s).expect("time")
    }

    fn candidate(due: &str, now: &str) -> Candidate {
        Candidate {
            key: Key { subject: "20261122-k7f3qz".into(), index: 1, due: t(due) },
            kind: "check-in".into(),
            stage: Stage::of(t(due), t(now)),
        }
    }

    #[test]
    fn a_follow_up_is_told_once_per_stage_and_again_only_after_repeat() {
        let clock = Clock::at("2026-11-23T21:00:00-05:00", "America/New_York");
        let due = "2026-11-23T20:00:00-05:00";
        let c = candidate(due, "2026-11-23T20:30:00-05:00");
        let state = State::new();
        let first = owed(&state, &c, t("2026-11-23T20:30:00-05:00"), None, &clock).expect("first notice");
        assert_eq!(first.count, 1);
        let state = after(&state, std::slice::from_ref(&c), &[(&c, first)], t("2026-11-23T20:30:00-05:00"));
        assert_eq!(owed(&state, &c, t("2026-11-23T20:40:00-05:00"), None, &clock), None);
        let hour = Some(Span::minutes(60));
        assert_eq!(owed(&state, &c, t("2026-11-23T21:00:00-05:00"), hour, &clock), None);
        let again = owed(&state, &c, t("2026-11-23T21:30:00-05:00"), hour, &clock).expect("repeated");
        assert_eq!((again.count, again.first), (2, t("2026-11-23T20:30:00-05:00")));
    }

    #[test]
    fn soon_then_overdue_are_two_notices() {
        let clock = Clock::at("2026-11-23T21:00:00-05:00", "America/New_York");
        let due = "2026-11-23T20:00:00-05:00";
        let soon = candidate(due, "2026-11-23T19:30:00-05:00");
        assert_eq!(soon.stage, Stage::Soon);
        let n = owed(&State::new(), &soon, t("2026-11-23T19:30:00-05:00"), None, &clock).expect("soon");
        let state = after(&State::new(), std::slice::from_ref(&soon), &[(&soon, n)], t("2026-11-23T19:30:00-05:00"));
        let overdue = candidate(due, "2026-11-23T20:01:00-05:00");
        assert!(owed(&state, &overdue, t("2026-11-23T20:01:00-05:00"), None, &clock).is_some());
    }

    #[test]
    fn the_state_survives_its_file_and_forgets_what_is_no_longer_due() {
        let c = candidate("2026-11-23T20:00:00-05:00", "2026-11-23T20:30:00-05:00");
        let n = Notice { count: 3, first: t("2026-11-23T20:05:00-05:00") };
        let state = after(&State::new(), std::slice::from_ref(&c), &[(&c, n)], t("2026-11-23T20:30:00-05:00"));
        assert_eq!(parse(&render(&state)), state);
        assert!(after(&state, &[], &[], t("2026-11-23T21:00:00-05:00")).is_empty());
        assert!(parse("garbage\tline\n").is_empty());
    }

    #[test]
    fn a_reminder_is_kept_apart_from_incidents_and_each_occurrence_is_its_own() {
        let due = t("2026-11-23T09:00:00-05:00");
        let key = |due| Key { subject: reminder_subject("ada-lovelace"), index: 0, due };
        let c = Candidate { key: key(due), kind: "reminder".into(), stage: Stage::Overdue };
        let n = Notice { count: 1, first: due };
        let state = after(&State::new(), std::slice::from_ref(&c), &[(&c, n)], due);
        assert_eq!(parse(&render(&state)), state);
        assert!(render(&state).contains("customer/ada-lovelace\t0\treminder\t"), "{}", render(&state));
        let clock = Clock::at("2027-11-23T10:00:00-05:00", "America/New_York");
        let next_year = Candidate { key: key(t("2027-11-23T09:00:00-05:00")), ..c.clone() };
        assert_eq!(owed(&state, &c, clock.now(), None, &clock), None, "told once");
        assert!(owed(&state, &next_year, clock.now(), None, &clock).is_some(), "the re-armed occurrence is new");
    }
}
