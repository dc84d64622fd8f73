//! The recovery playbook as rules: what recording a step or a follow-up changes in an
//! incident, and what it should warn about. Pure: each function looks at the incident as
//! it is and returns a `Plan` — the changes to make and the warnings to print — which the
//! command applies to the file. So the rules are tested without files, and the file is
//! edited in place (its other fields and layout untouched).
//!
//! The rules (PRODUCT.md §1 and §2):
//! - opening schedules a progress follow-up `followup.progress` after the failure;
//! - each progress follow-up done before the fix schedules the next one, until the fix;
//! - the fix closes any progress follow-up still open (a late one keeps `missed_by`) and
//!   schedules the check-in `followup.check_in` after the fix;
//! - closing schedules the wrap-up `followup.wrap_up` after the close;
//! - a follow-up done after its due time keeps its breach on record (`missed_by`,
//!   minutes), and nothing ever erases it;
//! - a review before the apology is recorded, with a warning; so is an extra above the
//!   staff's discretion; a step already recorded needs `--amend`.

use super::config::Followup as Policy;
use super::customer::{Entry, Flag};
use super::fields;
use super::incident::{Done, Followup, Incident, Step};
use crate::time::{Clock, Stamp};

/// The four steps and the close, as typed on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Apologize,
    Review,
    Fix,
    Extra,
    Close,
}

impl StepKind {
    /// Every step, in the order of the playbook.
    pub const ALL: [StepKind; 5] =
        [StepKind::Apologize, StepKind::Review, StepKind::Fix, StepKind::Extra, StepKind::Close];

    /// The field under `recovery:` that records this step.
    /// The command that records the step, as people type it (`care recover fix`), and
    /// the page's endpoint for it.
    pub fn verb(self) -> &'static str {
        match self {
            StepKind::Apologize => "apologize",
            StepKind::Review => "review",
            StepKind::Fix => "fix",
            StepKind::Extra => "extra",
            StepKind::Close => "close",
        }
    }

    pub fn field(self) -> &'static str {
        match self {
            StepKind::Apologize => "apologized",
            StepKind::Review => "reviewed",
            StepKind::Fix => "fixed",
            StepKind::Extra => "extra",
            StepKind::Close => "closed",
        }
    }

    fn slot(self, incident: &mut Incident) -> &mut Option<Step> {
        let r = &mut incident.recovery;
        match self {
            StepKind::Apologize => &mut r.apologized,
            StepKind::Review => &mut r.reviewed,
            StepKind::Fix => &mut r.fixed,
            StepKind::Extra => &mut r.extra,
            StepKind::Close => &mut r.closed,
        }
    }

    pub fn get(self, incident: &Incident) -> Option<&Step> {
        let r = &incident.recovery;
        match self {
            StepKind::Apologize => r.apologized.as_ref(),
            StepKind::Review => r.reviewed.as_ref(),
            StepKind::Fix => r.fixed.as_ref(),
            StepKind::Extra => r.extra.as_ref(),
            StepKind::Close => r.closed.as_ref(),
        }
    }
}

pub const PROGRESS: &str = "progress";
pub const CHECK_IN: &str = "check-in";
pub const WRAP_UP: &str = "wrap-up";
pub const CUSTOM: &str = "custom";

/// One change to an incident file.
#[derive(Debug, Clone)]
pub enum Change {
    /// Record a step under `recovery:`.
    Step(StepKind, Step),
    /// Mark follow-up `index` done; `missed_by` when it was late.
    Done { index: usize, done: Done, missed_by: Option<i64> },
    /// Add a follow-up.
    Schedule(Followup),
}

/// What to change, and what to tell the person recording it.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
}

/// A time in an incident that cannot be true of it: `care check` reports each as an error,
/// and every writer refuses a change that would make one (`Plan::refusal`), so what care
/// writes, `check` accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contradiction {
    /// `check`'s code for it.
    pub code: &'static str,
    /// The key of the time at fault, and the time as written (to point at its line).
    pub key: &'static str,
    pub at: Stamp,
    pub message: String,
}

/// The contradictions in `incident`: a step, a follow-up's due time or its done time
/// before the incident was opened.
pub fn contradictions(incident: &Incident) -> Vec<Contradiction> {
    let opened = incident.opened;
    let mut found = Vec::new();
    for kind in StepKind::ALL {
        if let Some(step) = kind.get(incident).filter(|s| s.at < opened) {
            found.push(Contradiction {
                code: "step-before-opened",
                key: kind.field(),
                at: step.at,
                message: format!(
                    "`{}` is dated before the incident was opened; correct its time or `opened`",
                    kind.field()
                ),
            });
        }
    }
    for f in &incident.followups {
        if f.due < opened {
            found.push(Contradiction {
                code: "followup-before-opened",
                key: "due",
                at: f.due,
                message: format!(
                    "the {} follow-up is due before the incident was opened; correct `due` or `opened`",
                    f.kind
                ),
            });
        }
        if let Some(done) = f.done.as_ref().filter(|d| d.at < opened) {
            found.push(Contradiction {
                code: "followup-before-opened",
                key: "at",
                at: done.at,
                message: format!(
                    "the {} follow-up is marked done before the incident was opened; correct its `at` or `opened`",
                    f.kind
                ),
            });
        }
    }
    found
}

impl Plan {
    /// The incident as it is once the plan is carried out.
    pub fn applied(&self, incident: &Incident) -> Incident {
        let mut after = incident.clone();
        for change in &self.changes {
            match change {
                Change::Step(kind, step) => *kind.slot(&mut after) = Some(step.clone()),
                Change::Done { index, done, missed_by } => {
                    if let Some(f) = after.followups.get_mut(*index) {
                        f.done = Some(done.clone());
                        f.missed_by = missed_by.or(f.missed_by);
                    }
                }
                Change::Schedule(f) => after.followups.push(f.clone()),
            }
        }
        after
    }

    /// Why the plan may not be written: the first contradiction it would add to
    /// `incident` (one already there is `check`'s to report, not this change's).
    pub fn refusal(&self, incident: &Incident) -> Option<String> {
        let before = contradictions(incident);
        let after = contradictions(&self.applied(incident));
        after.into_iter().find(|c| !before.contains(c)).map(|c| {
            let (at, opened) = (crate::time::rfc3339(&c.at), crate::time::rfc3339(&incident.opened));
            format!("{}: {} ({at}, opened {opened}); nothing was written", incident.id, c.message)
        })
    }
}

/// What opening an incident writes on its customer's file (the internal follow-up): the
/// misstep, so the permanent record remembers, and a flag, so every colleague knows what
/// the customer went through before greeting them.
#[derive(Debug, Clone)]
pub struct Opening {
    pub misstep: Entry,
    pub flag: Flag,
}

/// The misstep and flag for `incident`, made from the incident alone: `recover open`
/// writes them, and `care check --fix` writes the same ones when a run stopped before it
/// could. The flag is raised when the incident was recorded and lasts `flag_days`.
pub fn opening(incident: &Incident, by: &str, flag_days: u32, clock: &Clock) -> Opening {
    let what = incident.summary.clone().unwrap_or_else(|| "a service failure".to_string());
    let raised = incident.recorded.unwrap_or(incident.opened);
    let local_day = incident.opened.with_timezone(&clock.tz).format("%-d %b");
    let misstep = Entry {
        text: what.clone(),
        at: Some(incident.opened),
        by: by.to_string(),
        incident: Some(incident.id.clone()),
        critical: false,
        retired: None,
    };
    let flag = Flag {
        text: format!("Service failure {local_day}: {what} — know what they went through before greeting them"),
        raised: Some(raised),
        by: by.to_string(),
        incident: Some(incident.id.clone()),
        until: Some(raised.with_timezone(&clock.tz).date_naive() + chrono::Days::new(u64::from(flag_days))),
        cleared: None,
        cleared_by: None,
    };
    Opening { misstep, flag }
}

/// The follow-up scheduled when an incident is opened.
pub fn first_progress(opened: Stamp, policy: &Policy, clock: &Clock) -> Followup {
    followup(PROGRESS, clock.add(opened, policy.progress))
}

fn followup(kind: &str, due: Stamp) -> Followup {
    Followup {
        kind: kind.to_string(),
        due,
        how: (kind == WRAP_UP).then(|| "handwritten".to_string()),
        text: None,
        done: None,
        missed_by: None,
    }
}

/// Minutes late, when `at` is after `due`.
fn late(due: Stamp, at: Stamp) -> Option<i64> {
    let minutes = (at - due).num_minutes();
    (minutes > 0).then_some(minutes)
}

/// Record one step of the recovery.
pub fn step(
    incident: &Incident,
    kind: StepKind,
    step: Step,
    amend: bool,
    policy: &Policy,
    discretion: f64,
    clock: &Clock,
) -> Result<Plan, String> {
    if let Some(before) = kind.get(incident).filter(|_| !amend) {
        return Err(format!(
            "{} already has `{}` recorded ({} by {}); add --amend to replace it",
            incident.id,
            kind.field(),
            clock.show(&before.at),
            if before.by.is_empty() { "someone" } else { &before.by }
        ));
    }
    let mut plan = Plan::default();
    let first_time = kind.get(incident).is_none();
    let r = &incident.recovery;
    match kind {
        StepKind::Apologize => {}
        StepKind::Review if r.apologized.as_ref().is_none_or(|a| a.at > step.at) => plan.warnings.push(
            "the complaint was reviewed before the apology: questions asked before an apology offend. \
             Apologize first, sincerely, then review (recorded anyway)"
                .to_string(),
        ),
        StepKind::Review => {}
        StepKind::Fix if first_time => {
            for (index, f) in incident.followups.iter().enumerate() {
                if f.kind == PROGRESS && f.done.is_none() {
                    let done = Done { at: step.at, by: step.by.clone(), how: Some("fixed".into()), note: None };
                    plan.changes.push(Change::Done { index, done, missed_by: late(f.due, step.at) });
                }
            }
            plan.changes.push(Change::Schedule(followup(CHECK_IN, clock.add(step.at, policy.check_in))));
        }
        StepKind::Fix => {}
        StepKind::Extra => {
            if let Some(value) = step.value.filter(|&v| v > discretion) {
                plan.warnings.push(format!(
                    "the extra ({}) is above the discretion of {} set in care.yaml; recorded — make sure a manager knows",
                    super::amount::show(value),
                    super::amount::show(discretion)
                ));
            }
            if r.fixed.is_none() {
                plan.warnings.push("restoring what should have been is not enough, but fix the problem too".into());
            }
        }
        StepKind::Close => {
            if r.fixed.is_none() {
                plan.warnings.push("closing an incident that was never fixed".into());
            }
            if first_time {
                plan.changes.push(Change::Schedule(followup(WRAP_UP, clock.add(step.at, policy.wrap_up))));
            }
        }
    }
    plan.changes.insert(0, Change::Step(kind, step));
    Ok(plan)
}

/// Mark the oldest pending follow-up (of `kind`, if given) done. A progress update before
/// the fix re-arms the progress clock.
pub fn done(
    incident: &Incident,
    kind: Option<&str>,
    done: Done,
    policy: &Policy,
    clock: &Clock,
) -> Result<Plan, String> {
    let pending = incident
        .followups
        .iter()
        .enumerate()
        .filter(|(_, f)| f.done.is_none() && kind.is_none_or(|k| f.kind == k))
        .min_by_key(|(_, f)| f.due);
    let Some((index, f)) = pending else {
        let which = kind.map(|k| format!("{k} ")).unwrap_or_default();
        return Err(format!(
            "{} has no pending {which}follow-up; `care recover show {}` lists them",
            incident.id, incident.id
        ));
    };
    let mut plan = Plan::default();
    let missed_by = late(f.due, done.at);
    if let Some(m) = missed_by {
        plan.warnings.push(format!(
            "this {} follow-up was due {} ago; the breach stays on record (missed_by: {m})",
            f.kind,
            crate::time::human_minutes(m)
        ));
    }
    if f.kind == PROGRESS && incident.recovery.fixed.is_none() {
        plan.changes.push(Change::Schedule(followup(PROGRESS, clock.add(done.at, policy.progress))));
    }
    plan.changes.insert(0, Change::Done { index, done, missed_by });
    Ok(plan)
}

/// A follow-up that is not done, and whether `at` is past its due time.
pub fn pending(incident: &Incident) -> impl Iterator<Item = &Followup> {
    incident.followups.iter().filter(|f| f.done.is_none())
}

/// The progress follow-up an open incident is owed when its file schedules nothing at all
/// (written by hand, imported, generated): the one `recover open` would have scheduled.
pub fn unscheduled(incident: &Incident, policy: &Policy, clock: &Clock) -> Option<Followup> {
    (incident.is_open() && incident.followups.is_empty()).then(|| first_progress(incident.opened, policy, clock))
}

/// What the follow-up asks of its owner.
pub fn action(f: &Followup) -> String {
    match f.kind.as_str() {
        PROGRESS => "Tell the customer what has been done so far".to_string(),
        CHECK_IN => "Check in: is everything right now?".to_string(),
        WRAP_UP => format!("Wrap up: a {} note or a call", f.how.as_deref().unwrap_or("handwritten")),
        _ => f.text.clone().unwrap_or_else(|| f.kind.clone()),
    }
}

/// The steps not yet recorded, as a person would read them.
pub fn still_to_do(incident: &Incident, clock: &Clock) -> Vec<String> {
    let r = &incident.recovery;
    let mut todo = Vec::new();
    if r.apologized.is_none() {
        todo.push("1. Apologize, sincerely, and ask for forgiveness   care recover apologize ID".to_string());
    }
    if r.reviewed.is_none() {
        todo.push("2. Review the complaint with the customer (after the apology)   care recover review ID".to_string());
    }
    if r.fixed.is_none() {
        let due = pending(incident).filter(|f| f.kind == PROGRESS).map(|f| f.due).min();
        let by = due.map(|d| format!(" — or tell them the progress by {}", clock.show(&d))).unwrap_or_default();
        todo.push(format!("3a. Fix it{by}   care recover fix ID"));
    }
    if r.extra.is_none() {
        todo.push("3b. Give something extra   care recover extra ID --what TEXT --value N".to_string());
    }
    let missing = missing_deposition(incident);
    if !missing.is_empty() {
        todo.push(format!("4. Document it while memory is fresh: {} missing", missing.join(", ")));
    }
    todo
}

/// The deposition: what the playbook asks to document while memory is fresh, in the
/// order it asks for them.
const DEPOSITION: [&str; 5] =
    [fields::PRODUCT, fields::STAFF, fields::BUSYNESS, fields::LOCATION, fields::CIRCUMSTANCES];

/// Deposition fields not yet documented.
pub fn missing_deposition(incident: &Incident) -> Vec<&'static str> {
    DEPOSITION
        .into_iter()
        .filter(|&name| fields::named(fields::INCIDENT, name).is_some_and(|f| (f.get)(incident).is_none()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> Clock {
        Clock::at("2026-11-22T19:42:00-05:00", "America/New_York")
    }

    fn t(s: &str) -> Stamp {
        clock().parse_time(s).expect(s)
    }

    fn incident() -> Incident {
        let c = clock();
        Incident {
            owner: Some("joan".into()),
            followups: vec![first_progress(t("19:42"), &Policy::default(), &c)],
            ..Incident::new("20261122-abcdef", "ada", t("19:42"))
        }
    }

    fn at(s: &str, by: &str) -> Step {
        Step { at: t(s), by: by.into(), note: None, what: None, value: None }
    }

    #[test]
    fn opening_schedules_progress_twenty_minutes_later() {
        assert_eq!(incident().followups[0].due, t("20:02"));
    }

    #[test]
    fn a_late_fix_closes_the_progress_follow_up_as_missed_and_schedules_the_check_in() {
        let plan = step(&incident(), StepKind::Fix, at("20:10", "billy"), false, &Policy::default(), 2000.0, &clock())
            .expect("plan");
        match &plan.changes[1] {
            Change::Done { index: 0, done, missed_by: Some(8) } => assert_eq!(done.by, "billy"),
            other => panic!("{other:?}"),
        }
        match &plan.changes[2] {
            Change::Schedule(f) => assert_eq!((f.kind.as_str(), f.due), (CHECK_IN, t("2026-11-23 20:10"))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_progress_update_before_the_fix_re_arms_the_clock() {
        let d = Done { at: t("19:55"), by: "joan".into(), how: Some("in-person".into()), note: None };
        let plan = done(&incident(), None, d, &Policy::default(), &clock()).expect("plan");
        assert!(matches!(plan.changes[0], Change::Done { index: 0, missed_by: None, .. }));
        match &plan.changes[1] {
            Change::Schedule(f) => assert_eq!((f.kind.as_str(), f.due), (PROGRESS, t("20:15"))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn review_before_apology_warns_and_steps_are_not_recorded_twice() {
        let plan =
            step(&incident(), StepKind::Review, at("19:45", "joan"), false, &Policy::default(), 2000.0, &clock())
                .expect("plan");
        assert!(plan.warnings[0].contains("before the apology"));
        let mut i = incident();
        i.recovery.apologized = Some(at("19:44", "joan"));
        let again = step(&i, StepKind::Apologize, at("19:50", "joan"), false, &Policy::default(), 2000.0, &clock());
        assert!(again.expect_err("twice").contains("--amend"));
        assert!(step(&i, StepKind::Apologize, at("19:50", "joan"), true, &Policy::default(), 2000.0, &clock()).is_ok());
        let ok = step(&i, StepKind::Review, at("19:45", "joan"), false, &Policy::default(), 2000.0, &clock());
        assert!(ok.expect("plan").warnings.is_empty());
    }

    #[test]
    fn an_extra_above_discretion_warns_but_is_recorded() {
        let mut s = at("20:20", "joan");
        s.value = Some(2500.0);
        let plan = step(&incident(), StepKind::Extra, s, false, &Policy::default(), 2000.0, &clock()).expect("plan");
        assert!(plan.warnings.iter().any(|w| w.contains("above the discretion")));
        assert!(matches!(plan.changes[0], Change::Step(StepKind::Extra, _)));
    }

    #[test]
    fn closing_schedules_a_handwritten_wrap_up_in_calendar_days() {
        let plan = step(&incident(), StepKind::Close, at("22:00", "joan"), false, &Policy::default(), 2000.0, &clock())
            .expect("plan");
        match &plan.changes[1] {
            Change::Schedule(f) => {
                assert_eq!(f.kind, WRAP_UP);
                assert_eq!(f.how.as_deref(), Some("handwritten"));
                assert_eq!(f.due, t("2026-11-25 22:00"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_deposition_names_catalogued_fields_in_the_playbook_order() {
        let mut i = incident();
        use fields::{BUSYNESS, CIRCUMSTANCES, LOCATION, PRODUCT, STAFF};
        assert_eq!(missing_deposition(&i), [PRODUCT, STAFF, BUSYNESS, LOCATION, CIRCUMSTANCES]);
        i.busyness = Some(0);
        i.staff = Some(String::new());
        assert_eq!(missing_deposition(&i), [PRODUCT, LOCATION, CIRCUMSTANCES], "written down, even as 0 or empty");
    }
}
