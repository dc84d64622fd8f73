//! `care notify`: for cron. Runs the clone's `followup-overdue` hook (and `followup-soon`
//! with `--within`) once per follow-up as it falls due, again every `--repeat` until it is
//! done. What is due comes from the same computation as `followup due`; what was already
//! told lives in the clone's `.care/notify-state`, never in the shared files.

use std::collections::HashMap;
use std::io::Write;

use crate::cmd::{Ctx, report_problems};
use crate::error::{Error, Result};
use crate::hooks::{self, Delivery};
use crate::model::notify::{self, Candidate, Key, Stage};
use crate::model::{Customer, Incident};
use crate::output::{self, Cell, Rows};
use crate::report::event;
use crate::report::followups::{Window, due_in};
use crate::report::query::{IncidentView, Query};
use crate::time::Span;

/// Tell the clone's hooks about follow-ups as they fall due (for cron).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Runs .care/hooks/followup-overdue (and followup-soon with --within) once per follow-up,
with the event as JSON on stdin (see docs/hooks.md); prints what it told.

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
    /// Only follow-ups owned by this person (the incident's owner).
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
}

/// A follow-up due, with the records its notice speaks of.
struct Found {
    candidate: Candidate,
    incident: Incident,
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    let book = &ctx.book;
    let now = book.clock.now();
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
            let key = Key { incident: incident.id.clone(), index, due: d.followup.due };
            let candidate = Candidate { key, kind: d.followup.kind.clone(), stage: Stage::of(d.followup.due, now) };
            found.push(Found { candidate, incident: incident.clone() });
        }
    });
    let mut found: Vec<Found> = parts.into_iter().flatten().collect();
    found.sort_by(|a, b| {
        (a.candidate.key.due, &a.candidate.key.incident).cmp(&(b.candidate.key.due, &b.candidate.key.incident))
    });
    let mut customers: HashMap<String, Customer> = HashMap::new();
    for f in &found {
        if !customers.contains_key(&f.incident.customer) {
            match book.customer_by_id(&f.incident.customer) {
                Ok(Some(c)) => drop(customers.insert(c.id.clone(), c)),
                Ok(None) => {}
                Err(e) => problems.push(e),
            }
        }
    }
    let (rows, failed) = book.with_notify_state(|text| {
        let old = notify::parse(text);
        let mut told = Vec::new();
        let mut failed = 0;
        let mut absent = HashMap::new();
        let mut rows = Rows::new(&["event", "due", "overdue_by", "incident", "customer", "kind", "count"]);
        for f in &found {
            let c = &f.candidate;
            let Some(notice) = notify::owed(&old, c, now, args.repeat, &book.clock) else { continue };
            let name = if c.stage == Stage::Overdue { hooks::FOLLOWUP_OVERDUE } else { hooks::FOLLOWUP_SOON };
            let followup = &f.incident.followups[c.key.index];
            let mut extra = event::followup(c.key.index, followup, now);
            extra.extend(event::notice(notice.count, notice.first));
            let customer = customers.get(&f.incident.customer);
            let payload = event::object(&hooks::envelope(book, name, &ctx.staff), customer, Some(&f.incident), extra);
            match hooks::deliver(book, name, &payload, "it will be tried again on the next run") {
                Delivery::Delivered => {
                    rows.push(vec![
                        name.into(),
                        c.key.due.into(),
                        Cell::Minutes((now - c.key.due).num_minutes()),
                        c.key.incident.as_str().into(),
                        f.incident.customer.as_str().into(),
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
                "no hook .care/hooks/{name}: {n} follow-up(s) not told; add an executable script there (see docs/hooks.md)"
            ));
        }
        let candidates: Vec<Candidate> = found.iter().map(|f| f.candidate.clone()).collect();
        let new = notify::after(&old, &candidates, &told, now);
        (Some(notify::render(&new)), (rows, failed))
    })?;
    output::print(out, &ctx.style, &rows)?;
    report_problems(ctx, &problems)?;
    if failed > 0 {
        return Err(Error::Refused(format!(
            "{failed} notice(s) could not be given (see the warnings above); they will be tried again on the next run"
        )));
    }
    Ok(())
}
