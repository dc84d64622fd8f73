//! The rules of `care notify`: which follow-ups (and customers' reminders) to notify now,
//! given what this clone already told its hooks. A follow-up is notified when it enters a stage (due soon, then
//! overdue), again every `--repeat` while it stays there, and never twice for the same
//! stage otherwise. The memory of what was told (`.care/notify-state`) guards against
//! repeats: whatever is due is computed afresh from the records, so a lost state repeats a
//! notice and never drops one. An entry is written only after its hook succeeded, one
//! journal line per notice (`line`) as it is told, folded into the state at the end. A
//! state that does not read back whole (cut short, edited into nonsense) is an error, never
//! taken for "nothing told": that would tell everything again without a word.

use std::collections::HashMap;

use crate::time::{Clock, Span, Stamp, rfc3339};

const HEADER: &str = "# care notify-state 2: what `care notify` told this clone's hooks. \
Safe to delete (notices then repeat once).";
/// The header of the first version, whose files had no end line: still read.
const HEADER_1: &str = "# care notify-state 1:";
/// The last line of a whole state file, with the number of entries above it: a file cut
/// short lacks it (or its count is wrong).
const END: &str = "# end, entries: ";

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
pub fn after(old: &State, due: &[Candidate], notices: &[(&Candidate, Notice)], now: Stamp) -> State {
    let mut new: State = due.iter().filter_map(|c| old.get(&c.key).map(|t| (c.key.clone(), t.clone()))).collect();
    for (c, n) in notices {
        new.insert(c.key.clone(), told(c, n, now));
    }
    new
}

/// What was told about `c` once `notice` has been given at `now`.
pub fn told(c: &Candidate, notice: &Notice, now: Stamp) -> Told {
    Told { kind: c.kind.clone(), stage: c.stage, first: notice.first, last: now, count: notice.count }
}

/// Read a state file as `render` wrote it, every line of it: a file cut short, or with a
/// line that is not an entry, is `Err` saying where.
pub fn parse(text: &str) -> Result<State, String> {
    let mut lines = text.lines().enumerate();
    let first = lines.next().map(|(_, l)| l).unwrap_or_default();
    let ends = if first == HEADER {
        true
    } else if first.starts_with(HEADER_1) {
        false
    } else if text.is_empty() {
        return Err("it is empty (a state file always has its header line)".into());
    } else {
        return Err("its first line is not the header `care notify` writes".into());
    };
    let mut state = State::new();
    let mut end = None;
    for (n, line) in lines {
        if end.is_some() {
            return Err(format!("line {} follows its end line", n + 1));
        }
        if let Some(count) = line.strip_prefix(END).filter(|_| ends) {
            end = Some(count.parse::<usize>().map_err(|_| format!("line {}: a broken end line", n + 1))?);
        } else if !line.trim().is_empty() {
            let (key, told) = entry(line).ok_or_else(|| format!("line {} is not an entry: {}", n + 1, shown(line)))?;
            state.insert(key, told);
        }
    }
    match end {
        Some(count) if count == state.len() => Ok(state),
        Some(count) => Err(format!("it ends saying {count} entries but holds {}", state.len())),
        None if ends => Err("it is cut short (its end line is missing)".into()),
        None => Ok(state),
    }
}

/// Fold a journal into `state`: each line an entry, the later winning. A last line
/// without its line end is a write a crash cut short (its notice is told again): left out.
/// A whole line that is not an entry is `Err` saying which.
pub fn replay(state: &mut State, journal: &str) -> Result<(), String> {
    let whole = journal.rfind('\n').map_or("", |end| &journal[..end]);
    for (n, line) in whole.split('\n').enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let (key, told) = entry(line).ok_or_else(|| format!("line {} is not an entry: {}", n + 1, shown(line)))?;
        state.insert(key, told);
    }
    Ok(())
}

/// A line of someone else's making, cut to a size a message can hold.
fn shown(line: &str) -> String {
    let mut cut: String = line.chars().take(80).collect();
    if cut.len() < line.len() {
        cut.push('…');
    }
    cut
}

/// One entry line, as `line` writes it.
fn entry(line: &str) -> Option<(Key, Told)> {
    let f: Vec<&str> = line.split('\t').collect();
    let [subject, index, kind, due, stage, first, last, count] = f.as_slice() else { return None };
    let time = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    let stage = match *stage {
        "soon" => Stage::Soon,
        "overdue" => Stage::Overdue,
        _ => return None,
    };
    let key = Key { subject: subject.to_string(), index: index.parse().ok()?, due: time(due)? };
    let told =
        Told { kind: kind.to_string(), stage, first: time(first)?, last: time(last)?, count: count.parse().ok()? };
    Some((key, told))
}

/// One follow-up's entry, tab-separated, on one line: in the state file and the journal.
pub fn line(k: &Key, t: &Told) -> String {
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
}

/// The state file's text: a header, one line per follow-up, sorted so that the file
/// changes only where the state does, and an end line that tells a whole file from a cut one.
pub fn render(state: &State) -> String {
    let mut lines: Vec<String> = state.iter().map(|(k, t)| line(k, t)).collect();
    lines.sort();
    let mut text = format!("{HEADER}\n");
    lines.iter().for_each(|l| text.push_str(&format!("{l}\n")));
    text.push_str(&format!("{END}{}\n", lines.len()));
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
        assert_eq!(parse(&render(&state)), Ok(state.clone()));
        assert!(after(&state, &[], &[], t("2026-11-23T21:00:00-05:00")).is_empty());
    }

    #[test]
    fn a_reminder_is_kept_apart_from_incidents_and_each_occurrence_is_its_own() {
        let due = t("2026-11-23T09:00:00-05:00");
        let key = |due| Key { subject: reminder_subject("ada-lovelace"), index: 0, due };
        let c = Candidate { key: key(due), kind: "reminder".into(), stage: Stage::Overdue };
        let n = Notice { count: 1, first: due };
        let state = after(&State::new(), std::slice::from_ref(&c), &[(&c, n)], due);
        assert_eq!(parse(&render(&state)), Ok(state.clone()));
        assert!(render(&state).contains("customer/ada-lovelace\t0\treminder\t"), "{}", render(&state));
        let clock = Clock::at("2027-11-23T10:00:00-05:00", "America/New_York");
        let next_year = Candidate { key: key(t("2027-11-23T09:00:00-05:00")), ..c.clone() };
        assert_eq!(owed(&state, &c, clock.now(), None, &clock), None, "told once");
        assert!(owed(&state, &next_year, clock.now(), None, &clock).is_some(), "the re-armed occurrence is new");
    }

    fn two() -> State {
        let a = candidate("2026-11-23T20:00:00-05:00", "2026-11-23T20:30:00-05:00");
        let b = Candidate { key: Key { index: 2, ..a.key.clone() }, ..a.clone() };
        let n = Notice { count: 1, first: t("2026-11-23T20:05:00-05:00") };
        after(&State::new(), &[a.clone(), b.clone()], &[(&a, n.clone()), (&b, n)], t("2026-11-23T20:30:00-05:00"))
    }

    #[test]
    fn a_state_cut_short_or_edited_into_nonsense_is_an_error_not_an_empty_state() {
        let text = render(&two());
        assert_eq!(parse(&text).map(|s| s.len()), Ok(2));
        for cut in [0, 10, text.len() / 2, text.len() - 3] {
            assert!(parse(&text[..cut]).is_err(), "cut at {cut} taken for whole: {:?}", &text[..cut]);
        }
        let without_an_entry: String =
            text.lines().filter(|l| !l.contains("\t2\t")).map(|l| format!("{l}\n")).collect();
        assert!(parse(&without_an_entry).unwrap_err().contains("holds 1"), "{without_an_entry}");
        assert!(parse("garbage\tline\n").is_err());
        let edited = text.replacen("\toverdue\t", "\tlate\t", 1);
        assert!(parse(&edited).unwrap_err().contains("line 2 is not an entry"), "{edited}");
        assert!(parse(&format!("{text}more\n")).is_err(), "something after the end");
    }

    #[test]
    fn a_first_version_state_is_still_read() {
        let v1 = render(&two()).replace("notify-state 2:", "notify-state 1:");
        let v1: String = v1.lines().filter(|l| !l.starts_with(END)).map(|l| format!("{l}\n")).collect();
        assert_eq!(parse(&v1), Ok(two()));
    }

    #[test]
    fn a_journal_replays_its_whole_lines_and_leaves_out_a_torn_last_one() {
        let full = two();
        let lines: Vec<String> = full.iter().map(|(k, t)| line(k, t)).collect();
        let mut state = State::new();
        replay(&mut state, &format!("{}\n{}", lines[0], &lines[1][..10])).expect("a torn last line is no damage");
        assert_eq!(state.len(), 1);
        replay(&mut state, &format!("{}\n{}\n", lines[0], lines[1])).expect("replays");
        assert_eq!(state, full);
        assert!(replay(&mut state, &format!("nonsense\n{}\n", lines[0])).unwrap_err().contains("line 1"));
    }
}
