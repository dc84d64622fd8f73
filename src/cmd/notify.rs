//! `care notify`: for cron. Runs the clone's `followup-overdue` hook (and `followup-soon`
//! with `--within`) once per follow-up as it falls due, again every `--repeat` until it is
//! done; a customer's reminder (kind `reminder` in `followup due`) is told the same way,
//! each occurrence of a recurring one afresh, and so is a corrective action's check (kind
//! `verify`) once its window has passed. What is due comes from the same computation
//! as `followup due`; what was already told lives in the clone's `.care/notify-state`,
//! never in the shared files, each notice recorded as soon as its hook succeeded, so a
//! killed run tells again at most the one it was telling. A state that does not read back
//! whole stops the run before any hook (`--reset-state` starts over): never a silent
//! re-telling of everything.

use std::collections::HashMap;
use std::io::Write;

use crate::book::NotifyState;
use crate::cmd::{Ctx, report_problems};
use crate::error::{Error, Result};
use crate::hooks::{self, Delivery};
use crate::model::action::Action;
use crate::model::incident::Followup;
use crate::model::notify::{self, Candidate, Key, Stage};
use crate::model::reminder;
use crate::model::{Customer, Incident};
use crate::output::{self, Cell, Rows};
use crate::report::event;
use crate::report::followups::{REMINDER, VERIFY, Window, due_in};
use crate::report::query::{IncidentView, Query};
use crate::time::{Span, Stamp};

/// Tell the clone's hooks about follow-ups as they fall due (for cron).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Runs .care/hooks/followup-overdue (and followup-soon with --within) once per follow-up
and per customer reminder as it falls due (a recurring reminder again at each occurrence),
and per corrective action whose effect is due to be verified (kind verify),
with the event as JSON on stdin (see docs/hooks.md); prints what it told,
and nothing at all (no header) when it told nothing, so its cron line mails only then.

What was told is kept in .care/notify-state, each notice recorded as its hook succeeds;
if that file is damaged, notify stops before any hook: --reset-state starts over.

Examples:
  care notify                          each overdue follow-up, once
  care notify --within 1h --repeat 2h  an hour ahead too, and again every 2 hours until done
Cron:
  */5 * * * *  care -C /srv/book notify --within 30m --repeat 1h")]
pub struct Args {
    /// Also tell `followup-soon` about what falls due within this span.
    #[arg(long, value_name = "DUR")]
    pub within: Option<Span>,
    /// Tell again every DUR while a follow-up stays due (default: once per stage).
    #[arg(long, value_name = "DUR")]
    pub repeat: Option<Span>,
    /// Only follow-ups owned by this person (the incident's owner, a reminder's --owner).
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
    /// Start over: remove the clone's record of what was told (.care/notify-state, damaged
    /// or not) first, so every notice due now is told again, once.
    #[arg(long)]
    pub reset_state: bool,
}

/// The customers the notices speak of, by id.
type Customers = HashMap<String, Customer>;

/// A follow-up or reminder due, with the records its notice speaks of.
struct Found {
    candidate: Candidate,
    about: About,
}

enum About {
    Followup(Box<Incident>),
    /// The customer's id and the reminder's index in their list.
    Reminder(String, usize),
    /// A corrective action whose effect is due to be verified, and its row.
    Verify(Box<Action>, Box<Followup>),
}

impl Found {
    fn customer(&self) -> &str {
        match &self.about {
            About::Followup(incident) => &incident.customer,
            About::Reminder(customer, _) => customer,
            About::Verify(..) => "",
        }
    }
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    let book = &ctx.book;
    let now = book.clock.now();
    let (found, customers, problems) = due(ctx, args, now)?;
    let (mut held, old) = what_was_told(ctx, args.reset_state)?;
    let mut told = Vec::new();
    let mut failed = 0;
    let mut absent = HashMap::new();
    let mut rows = Rows::new(&["event", "due", "overdue_by", "incident", "customer", "kind", "count"]);
    for f in &found {
        let c = &f.candidate;
        let Some(notice) = notify::owed(&old, c, now, args.repeat, &book.clock) else { continue };
        let name = if c.stage == Stage::Overdue { hooks::FOLLOWUP_OVERDUE } else { hooks::FOLLOWUP_SOON };
        let Some((payload, incident)) = payload(ctx, name, f, &customers, &notice) else { continue };
        match hooks::deliver(book, &ctx.ui, name, &payload, "it will be tried again on the next run") {
            Delivery::Delivered => {
                // Recorded before the next hook runs: a kill from here on tells it no more.
                held.record(&notify::line(&c.key, &notify::told(c, &notice, now)))?;
                rows.push(vec![
                    name.into(),
                    c.key.due.into(),
                    Cell::Minutes((now - c.key.due).num_minutes()),
                    incident.into(),
                    f.customer().into(),
                    c.kind.as_str().into(),
                    Cell::Int(i64::from(notice.count)),
                ]);
                told.push((c, notice));
            }
            Delivery::Failed => failed += 1,
            Delivery::Absent => *absent.entry(name).or_insert(0) += 1,
        }
    }
    for (name, n) in absent {
        ctx.ui.warn(&format!(
            "no hook .care/hooks/{name}: {n} follow-up(s) or reminder(s) not told; add an executable script there (see docs/hooks.md)"
        ));
    }
    let candidates: Vec<Candidate> = found.iter().map(|f| f.candidate.clone()).collect();
    let new = notify::render(&notify::after(&old, &candidates, &told, now));
    if held.state.as_deref() != Some(new.as_str()) || !told.is_empty() {
        held.save(&new)?;
    }
    drop(held);
    // Meant for cron: a run that told nothing prints nothing (not even a header), so cron
    // mails only when something was told; JSON still answers `[]`, a complete document.
    if !rows.rows.is_empty() || ctx.style.format == output::Format::Json {
        output::print(out, &ctx.style, &rows)?;
    }
    report_problems(ctx, &problems)?;
    if failed > 0 {
        return Err(Error::Refused(format!(
            "{failed} notice(s) could not be given (see the warnings above); they will be tried again on the next run"
        )));
    }
    Ok(())
}

/// Every follow-up, reminder and action check due by the end of the window (`--within`),
/// oldest first, with the customers they speak of, and the files that could not be read.
fn due(ctx: &Ctx, args: &Args, now: Stamp) -> Result<(Vec<Found>, Customers, Vec<Error>)> {
    let book = &ctx.book;
    let until = book.clock.add(now, args.within.unwrap_or_default());
    let window = Window { at: now, until, overdue_only: false, policy: None };
    let mut query = Query::default();
    if let Some(owner) = &args.owner {
        query.conds.push(format!("owner={owner}").parse().map_err(crate::Error::Usage)?);
    }
    let tz = book.clock.tz;
    let (parts, mut problems) = book.fold_incidents(Vec::new, |found: &mut Vec<Found>, incident, extras| {
        for d in due_in(IncidentView { incident, extras: Some(extras), tz }, &window, &query) {
            let Some(index) = incident.followups.iter().position(|f| *f == d.followup) else { continue };
            let key = Key { subject: incident.id.clone(), index, due: d.followup.due };
            let candidate = Candidate { key, kind: d.followup.kind.clone(), stage: Stage::of(d.followup.due, now) };
            found.push(Found { candidate, about: About::Followup(Box::new(incident.clone())) });
        }
    });
    let mut found: Vec<Found> = parts.into_iter().flatten().collect();
    let mut customers = Customers::new();
    let (due, mut reminder_problems) = reminders_due(ctx, &window, args.owner.as_deref());
    problems.append(&mut reminder_problems);
    for (customer, due) in due {
        found.extend(due);
        customers.insert(customer.id.clone(), customer);
    }
    let actions = book.actions();
    let checks =
        crate::report::due::verifications(actions.records.into_iter().map(|(_, a)| a), &window, &query, &book.clock);
    problems.extend(actions.problems);
    found.extend(checks.into_iter().map(|(action, d)| {
        let key = Key { subject: notify::action_subject(&action.id), index: 0, due: d.followup.due };
        let candidate = Candidate { key, kind: VERIFY.into(), stage: Stage::of(d.followup.due, now) };
        Found { candidate, about: About::Verify(Box::new(action), Box::new(d.followup)) }
    }));
    found.sort_by(|a, b| {
        (a.candidate.key.due, &a.candidate.key.subject).cmp(&(b.candidate.key.due, &b.candidate.key.subject))
    });
    for f in &found {
        if !f.customer().is_empty() && !customers.contains_key(f.customer()) {
            match book.customer_by_id(f.customer()) {
                Ok(Some(c)) => drop(customers.insert(c.id.clone(), c)),
                Ok(None) => {}
                Err(e) => problems.push(e),
            }
        }
    }
    Ok((found, customers, problems))
}

/// The clone's notification state, held for the run (reset first with `--reset-state`,
/// saying what was removed), and what it says was told, with what a killed run journalled
/// folded in. A state that does not read back whole stops the run here, before any hook.
fn what_was_told(ctx: &Ctx, reset: bool) -> Result<(NotifyState, notify::State)> {
    let (mut held, removed) = ctx.book.notify_state(reset)?;
    for what in &removed {
        ctx.ui.say(&format!("{what}: every notice due now is told again, once"));
    }
    if reset && removed.is_empty() {
        ctx.ui.say("there was no notify state to reset: every notice due now is told");
    }
    let mut old = match held.state.as_deref() {
        Some(text) => notify::parse(text).map_err(|why| held.damaged(false, &why))?,
        None => notify::State::new(),
    };
    if let Some(journal) = held.journal.take() {
        notify::replay(&mut old, &journal).map_err(|why| held.damaged(true, &why))?;
        held.save(&notify::render(&old))?;
    }
    Ok((held, old))
}

/// The event object for one notice, and the id of the incident it is about ("" for none);
/// `None` when its reminder is no longer there to speak of.
fn payload<'f>(
    ctx: &Ctx,
    name: &str,
    f: &'f Found,
    customers: &Customers,
    notice: &notify::Notice,
) -> Option<(serde_json::Value, &'f str)> {
    let (c, now) = (&f.candidate, ctx.book.clock.now());
    let customer = customers.get(f.customer());
    let (incident, mut extra) = match &f.about {
        About::Followup(incident) => {
            (Some(&**incident), event::followup(c.key.index, incident.followups.get(c.key.index)?, now))
        }
        About::Reminder(_, index) => {
            let r = customer.and_then(|cu| cu.reminders.get(*index))?;
            let mut extra = event::reminder_followup(*index, r, c.key.due, now);
            extra.extend(event::reminder(*index, r, Some(c.key.due)));
            (None, extra)
        }
        About::Verify(action, followup) => {
            let mut extra = event::followup(0, followup, now);
            extra.extend(event::action_check(action));
            (None, extra)
        }
    };
    extra.extend(event::notice(notice.count, notice.first));
    let payload = event::object(&hooks::envelope(&ctx.book, name, &ctx.staff), customer, incident, extra);
    Some((payload, incident.map_or("", |i| i.id.as_str())))
}

/// The customers' reminders pending by the end of the window (and owned by `owner`, as
/// `followup due --where owner=` selects them), each with the customer it is on.
fn reminders_due(ctx: &Ctx, window: &Window, owner: Option<&str>) -> (Vec<(Customer, Vec<Found>)>, Vec<Error>) {
    let clock = &ctx.book.clock;
    let loaded = ctx.book.load_some(crate::book::CUSTOMERS, |path, text| {
        // Only a record with reminders is parsed whole (the book may hold many customers).
        if text.contains("reminders:") { crate::yaml::parse::<Customer>(path, text).map(Some) } else { Ok(None) }
    });
    let mut out = Vec::new();
    for (_, c) in loaded.records {
        let found: Vec<Found> = c
            .reminders
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                owner.is_none_or(|o| r.owner.as_deref().is_some_and(|ro| ro.eq_ignore_ascii_case(o.trim())))
            })
            .filter_map(|(index, r)| {
                let due = reminder::pending(r, window.at, clock).filter(|due| *due <= window.until)?;
                let key = Key { subject: notify::reminder_subject(&c.id), index, due };
                let candidate = Candidate { key, kind: REMINDER.into(), stage: Stage::of(due, window.at) };
                Some(Found { candidate, about: About::Reminder(c.id.clone(), index) })
            })
            .collect();
        if !found.is_empty() {
            out.push((c, found));
        }
    }
    (out, loaded.problems)
}
