//! `care action`: record a corrective action for a pattern, list them, and verify whether
//! the defect went down after it. The record is `model::action`, the files `book::actions`,
//! the test `report::actions`; this connects them.

use std::io::Write;

use crate::cmd::{Ctx, commit, parse_past, report_problems, text_arg};
use crate::error::{Error, Result};
use crate::model::action::{Action, Verified};
use crate::output;
use crate::report::actions::{self, Counts, Windows};
use crate::report::query::{self, Cond, IncidentView, Query};
use crate::report::trends::{self, Per};
use crate::time::Span;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Record a fix for a pattern; prints its id alone on stdout.
    #[command(after_help = "\
Examples:
  id=$(care action open --for weekday=wed --for staff=billy --what \"Billy paired with Joan on Wednesdays\")
  care action open --for product=rear-wiper-blades --for region~east|midwest --what \"New supplier\" --at 2026-10-01")]
    Open(OpenArgs),
    /// Every corrective action, oldest first.
    #[command(after_help = "Examples:\n  care action list\n  care action list --format csv > actions.csv")]
    List,
    /// Did it work? The matching incidents in equal windows before and after, tested.
    #[command(after_help = "\
Counts the incidents matching the action's --for in a window before it took effect and in
a window of the same length after (--window, else the action's own, else 30d), and tests
whether the rate went down (exact conditional test for two Poisson rates; per shift-hour,
weighing each window by the hours worked in it, when the book has an exposure file).
Verdicts: worked (down, p < 0.05), worse (up, p < 0.05), no change, too early (the
after-window has not passed, or fewer than 5 incidents before: then nothing after could
show a change). Once the after-window has passed, the verdict is logged on the action's
file, which ends its `verify` row in `followup due`.
Example:
  care action verify 20261001-k7f3qz --window 8w")]
    Verify(VerifyArgs),
}

#[derive(Debug, clap::Args)]
pub struct OpenArgs {
    /// The incidents the fix is for: FIELD=VALUE, FIELD!=VALUE, FIELD~REGEX, as --where;
    /// repeatable, all must hold.
    #[arg(long = "for", value_name = "FIELD=VALUE", required = true)]
    pub filter: Vec<String>,
    /// What was done.
    #[arg(long, value_name = "TEXT")]
    pub what: String,
    /// Who checks that it worked (default: whoever records it).
    #[arg(long, value_name = "STAFF")]
    pub owner: Option<String>,
    /// When the fix took effect (default: now).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// How long after the fix to check it (default 30d): then `followup due` lists the
    /// check, owned by --owner, until `action verify` is run.
    #[arg(long, value_name = "DUR")]
    pub window: Option<Span>,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The action's id (or its random part).
    pub id: String,
    /// The length of each window, before and after (default: the action's, else 30d).
    #[arg(long, value_name = "DUR")]
    pub window: Option<Span>,
}

pub fn run(ctx: &Ctx, command: &Command, out: &mut dyn Write) -> Result<()> {
    match command {
        Command::Open(args) => open(ctx, args, out),
        Command::List => {
            let loaded = ctx.book.actions();
            let list: Vec<Action> = loaded.records.into_iter().map(|(_, a)| a).collect();
            output::print(out, &ctx.style, &actions::list_rows(&list))?;
            report_problems(ctx, &loaded.problems)
        }
        Command::Verify(args) => verify(ctx, args, out),
    }
}

fn open(ctx: &Ctx, args: &OpenArgs, out: &mut dyn Write) -> Result<()> {
    for c in &args.filter {
        c.parse::<Cond>().map_err(|e| Error::Usage(format!("--for {c:?}: {e}")))?;
    }
    let at = match &args.at {
        Some(t) => parse_past(ctx, "--at", t)?,
        None => ctx.book.clock.now(),
    };
    let by = ctx.by()?.to_string();
    let mut action = Action {
        id: String::new(),
        at,
        owner: Some(args.owner.clone().unwrap_or_else(|| by.clone())),
        by,
        what: text_arg("--what", &args.what)?,
        filter: args.filter.iter().map(|c| c.trim().to_string()).collect(),
        window: args.window.map(usable_window).transpose()?,
        verified: Vec::new(),
    };
    ctx.book.create_action(&mut action)?;
    writeln!(out, "{}", action.id).map_err(Error::Output)?;
    ctx.ui.say(&format!(
        "Recorded. Verify it once the window has passed: care action verify {} (incidents matching {})",
        action.id,
        action.filter.join(" and ")
    ));
    Ok(())
}

fn verify(ctx: &Ctx, args: &VerifyArgs, out: &mut dyn Write) -> Result<()> {
    let action = ctx.book.action(&args.id)?;
    let conds = action.conds().map_err(Error::Refused)?;
    let window = usable_window(args.window.unwrap_or(action.window()))?;
    let clock = ctx.book.clock;
    let windows = Windows {
        before_start: clock.add(action.at, window.negate()),
        at: action.at,
        after_end: clock.add(action.at, window),
    };
    let query = Query { conds, since: None, until: None };
    let (parts, problems) =
        ctx.book.fold_incidents(Default::default, |(counts, seen): &mut (Counts, query::Seen), incident, fields| {
            seen.add(fields);
            if query.matches(&IncidentView { incident, extras: Some(fields), tz: clock.tz }) {
                counts.add(incident.opened, &windows);
            }
        });
    let mut counts = Counts::default();
    let mut seen = query::Seen::default();
    for (c, s) in parts {
        counts.merge(c);
        seen.merge(s);
    }
    query.check("incident", &query::INCIDENT_FIELDS, &seen.0)?;
    let mut before = (windows.at - windows.before_start).num_seconds() as f64;
    let mut after = (windows.after_end - windows.at).num_seconds() as f64;
    let hours = worked(ctx, &query, &windows)?;
    if let Some((b, a)) = hours {
        (before, after) = (b, a);
    }
    let result = actions::verify(counts, clock.now() >= windows.after_end, after / (before + after));
    let days = (windows.after_end - windows.at).num_hours().div_euclid(24).max(1);
    output::print(out, &ctx.style, &actions::verify_rows(&action, &result, days, hours))?;
    // Logged once the after-window has passed: that closes the check in `followup due`.
    if clock.now() >= windows.after_end {
        let verified = Verified {
            at: clock.now(),
            by: ctx.by()?.to_string(),
            window,
            before: result.counts.before,
            after: result.counts.after,
            verdict: result.verdict.name().to_string(),
        };
        let path = ctx.book.record_verification(&action.id, &verified)?;
        commit(ctx, &[path], &format!("action verify {}: {}", action.id, verified.verdict));
    }
    report_problems(ctx, &problems)
}

/// A window is a positive length.
fn usable_window(window: Span) -> Result<Span> {
    if window.minutes < 0 || window.days < 0 || window == Span::default() {
        return Err(Error::Usage(format!("--window {window}: give a length such as 30d or 8w")));
    }
    Ok(window)
}

/// The shift-hours worked in each window (of the staff, places and times the action names),
/// when the book has shifts; None, with a warning, when a window has none to weigh by.
fn worked(ctx: &Ctx, query: &Query, w: &Windows) -> Result<Option<(f64, f64)>> {
    let Some(shifts) = ctx.book.exposure()? else { return Ok(None) };
    let clock = &ctx.book.clock;
    let hours = |since, until| {
        let q = Query { conds: query.conds.clone(), since: Some(since), until: Some(until) };
        trends::exposure(&shifts, &[], 60, &q, clock.now(), clock, Per::ShiftHour).values().sum::<f64>()
    };
    let (before, after) = (hours(w.before_start, w.at), hours(w.at, w.after_end));
    if before > 0.0 && after > 0.0 {
        return Ok(Some((before, after)));
    }
    ctx.ui.warn(&format!(
        "the exposure file has no shifts {} the fix for these incidents: compared per day instead",
        if before > 0.0 { "after" } else { "before" }
    ));
    Ok(None)
}
