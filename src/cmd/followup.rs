//! `care followup`: what is due (for people and for cron), and marking follow-ups done.

use std::collections::HashMap;
use std::io::Write;

use crate::cmd::{
    Ctx, FilterArgs, commit, mind_the_words, parse_next, parse_past, parse_time, report_problems, text_arg,
};
use crate::error::{Error, FOUND, Result};
use crate::model::incident::{Done, Followup};
use crate::model::recovery::{self, CUSTOM, Change, Plan};
use crate::model::{Customer, Incident};
use crate::output;
use crate::report::followups::{self, Window};
use crate::report::query::{self, IncidentView, Query};
use crate::report::{due, ics};
use crate::time::Span;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Every follow-up not yet done that is due, oldest first. Meant for people and for cron.
    #[command(after_help = "\
Examples:
  care followup due                       what is due now
  care followup due --within 2h --owner joan
  care followup due --at tomorrow --format json
  care followup due --where location=uptown --overdue      one site's (location, extra fields are columns too)
Corrective actions whose window has passed unverified are listed too (kind verify, owned by
the action's owner) until `care action verify ID` is run.
Cron (mails only when something is overdue: an empty table prints nothing at all):
  */10 * * * *  care -C /srv/book followup due --overdue --format table
Scripts (--exit-code: 0 nothing due, 3 something listed, 1 could not look, 2 bad usage):
  care followup due --overdue --exit-code > due.csv; status=$?
  case $status in 0) ;; 3) notify < due.csv ;; *) echo \"could not check\" >&2 ;; esac")]
    Due(DueArgs),
    /// Mark a follow-up done: the oldest pending one, or the oldest of --kind.
    #[command(
        after_help = "Examples:\n  care followup done k7f3qz --how in-person \"Told her the kitchen is on it\"\n  care followup done k7f3qz --kind check-in --how phone"
    )]
    Done(DoneArgs),
    /// Add a follow-up of your own to an incident.
    #[command(after_help = "Example:\n  care followup add k7f3qz --due \"2026-11-24 10:00\" \"Call about the refund\"")]
    Add(AddArgs),
}

#[derive(Debug, clap::Args)]
pub struct DueArgs {
    /// The moment to measure from (default: now).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// Also list what falls due within this span after --at, to act before a breach.
    #[arg(long, value_name = "DUR")]
    pub within: Option<Span>,
    /// Only follow-ups owned by this person (the incident's owner): --where owner=NAME.
    #[arg(long, value_name = "NAME")]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::staff))]
    pub owner: Option<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Only follow-ups already past due.
    #[arg(long, conflicts_with = "within")]
    pub overdue: bool,
    /// Exit 3 when anything is listed (0 when nothing is), so that a script can tell it
    /// from 1, could not look (no book, an unreadable file).
    #[arg(long)]
    pub exit_code: bool,
}

#[derive(Debug, clap::Args)]
pub struct DoneArgs {
    /// The incident: its id, a unique prefix, or the random part; or a customer, to mark
    /// their reminder that is due first (up to a week ahead), else (or with --kind) the
    /// follow-up of their one incident with one pending; or a reminder's own id,
    /// CUSTOMER/ID, as `followup due` shows it in the incident column.
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::incidents))]
    pub id: String,
    /// What was said.
    pub note: Option<String>,
    /// Which kind: progress, check-in, wrap-up or custom (default: the oldest pending).
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// How the customer was reached.
    #[arg(long, value_parser = ["phone", "note", "email", "in-person", "text", "handwritten"])]
    pub how: Option<String>,
    /// When it was done (default: now).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The incident: its id, a unique prefix, or the random part.
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::incidents))]
    pub id: String,
    /// What to do.
    pub text: String,
    /// When it is due.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub due: String,
}

pub fn run(ctx: &Ctx, command: &Command, out: &mut dyn Write) -> Result<()> {
    match command {
        Command::Due(args) => due(ctx, args, out),
        Command::Done(args) => done(ctx, args),
        Command::Add(args) => add(ctx, args),
    }
}

fn due(ctx: &Ctx, args: &DueArgs, out: &mut dyn Write) -> Result<()> {
    let at = match &args.at {
        Some(t) => parse_time(ctx, "--at", t)?,
        None => ctx.book.clock.now(),
    };
    let until = ctx.book.clock.add(at, args.within.unwrap_or_default());
    let window =
        Window { at, until, overdue_only: args.overdue, policy: Some((ctx.book.config.followup, ctx.book.clock)) };
    let mut query = args.filter.query(|option, s| parse_time(ctx, option, s))?;
    if let Some(owner) = &args.owner {
        query.conds.push(format!("owner={owner}").parse().map_err(Error::Usage)?);
    }
    if ctx.style.format == output::Format::Ics {
        return calendar(ctx, &window, &query, out);
    }
    let tz = ctx.book.clock.tz;
    // Reminders and corrective actions' checks are few: found whole, and merged in. They
    // are read first: reading them refreshes the index, which must not wait on the read
    // transaction the pick below keeps open until its rows are read back.
    let (book, clock) = (&ctx.book, &ctx.book.clock);
    let (with_reminders, mut problems) = book.customers_folded_values(true, |c, _| Some(c));
    let (mut others, with_reminders) = due::reminders(with_reminders, &window, &query, clock);
    let actions = book.actions();
    let checks = due::verifications(actions.records.into_iter().map(|(_, a)| a), &window, &query, clock);
    others.extend(checks.into_iter().map(|(_, d)| d));
    problems.extend(actions.problems);
    // First the keys: every incident with something listed, at each second it is due
    // (a million-incident book with 100,000 due holds 1.6 MB of keys, not the rows);
    // then each read again in that order and its rows printed as they come.
    let (parts, picked, pick_problems) =
        ctx.book.pick_incidents_keyed(query::Seen::default, |seen: &mut query::Seen, incident, extras, keys| {
            seen.add(extras);
            let view = IncidentView { incident, extras: Some(extras), tz };
            keys.extend(followups::due_in(view, &window, &query).iter().map(|d| d.followup.due.timestamp()));
        });
    problems.extend(pick_problems);
    let mut seen = query::Seen::default();
    parts.into_iter().for_each(|s| seen.merge(s));
    query.check("incident", &query::INCIDENT_FIELDS, &seen.0)?;
    let extra = seen.columns(&followups::columns(&[]));
    let mut printer = Printer::new(ctx, out, with_reminders, &window, &extra)?;
    let mut list = followups::InOrder::new(others);
    let reread = ctx.book.each_picked_keyed(picked, |key, incident, extras| {
        list.to(Some(key), &mut |d| printer.row(d))?;
        // An incident is given at each second one of its follow-ups is due: those here.
        let view = IncidentView { incident, extras: Some(extras), tz };
        list.extend(followups::due_in(view, &window, &query).into_iter().filter(|d| d.followup.due.timestamp() == key));
        Ok(())
    })?;
    problems.extend(reread);
    list.to(None, &mut |d| printer.row(d))?;
    let (listed, customer_problems) = printer.finish()?;
    problems.extend(customer_problems);
    report_problems(ctx, &problems)?;
    if args.exit_code && listed > 0 {
        return Err(Error::Quiet(FOUND));
    }
    Ok(())
}

/// `followup due --format ics`: the follow-ups `query` lists, as calendar events, with the
/// reminders and checks due.
fn calendar(ctx: &Ctx, window: &Window, query: &Query, out: &mut dyn Write) -> Result<()> {
    let (book, clock) = (&ctx.book, &ctx.book.clock);
    let (parts, mut problems) = book.fold_incidents(Vec::new, |items: &mut Vec<ics::Item>, incident, extras| {
        items.extend(due::incident_events(incident, extras, clock.tz, window, query));
    });
    let (with_reminders, reminder_problems) = book.customers_folded_values(true, |c, _| Some(c));
    problems.extend(reminder_problems);
    let (reminders, _) = due::reminders(with_reminders, window, query, clock);
    let actions = book.actions();
    let checks = due::verifications(actions.records.into_iter().map(|(_, a)| a), window, query, clock);
    problems.extend(actions.problems);
    let items = due::events(parts.into_iter().flatten().collect(), &reminders, &checks);
    let (customers, more) = book.customers_by_id(items.iter().map(|i| i.customer.as_str()), []);
    problems.extend(more);
    let name = book.config.name.as_deref().unwrap_or("care");
    let text = ics::calendar(&format!("{name} follow-ups"), clock.tz.name(), &items, &customers, clock.now());
    output::print_calendar(out, &text)?;
    report_problems(ctx, &problems)
}

/// Customers looked up at a time for `followup due`'s rows before the oldest are let go.
const CUSTOMERS_HELD: usize = 4096;

/// `followup due`'s rows printed as they come, each with its customer's name, contact and
/// what to remember, read by id when needed: the last few thousand are kept, not one per
/// row (a hundred thousand rows due name nearly as many customers).
struct Printer<'c, 'w> {
    ctx: &'c Ctx,
    stream: output::Stream<'w>,
    window: &'c Window,
    extra: &'c [String],
    /// The customers with reminders due, read already.
    known: HashMap<String, Customer>,
    /// Customers read for earlier rows (None: no such customer, or unreadable).
    recent: HashMap<String, Option<Customer>>,
    problems: Vec<Error>,
    listed: usize,
}

impl<'c, 'w> Printer<'c, 'w> {
    fn new(
        ctx: &'c Ctx,
        out: &'w mut dyn Write,
        known: Vec<(String, Customer)>,
        window: &'c Window,
        extra: &'c [String],
    ) -> Result<Printer<'c, 'w>> {
        let stream = output::Stream::new(out, &ctx.style, &followups::columns(extra))?;
        let known = known.into_iter().collect();
        Ok(Printer { ctx, stream, window, extra, known, recent: HashMap::new(), problems: Vec::new(), listed: 0 })
    }

    fn row(&mut self, d: &followups::Due) -> Result<()> {
        let (window, extra) = (self.window, self.extra);
        let cells = followups::row(d, self.customer(&d.customer), window, extra);
        self.listed += 1;
        self.stream.row(cells)
    }

    fn customer(&mut self, id: &str) -> Option<&Customer> {
        if id.is_empty() {
            return None;
        }
        if self.known.contains_key(id) {
            return self.known.get(id);
        }
        if !self.recent.contains_key(id) {
            if self.recent.len() >= CUSTOMERS_HELD {
                self.recent.clear();
            }
            let found = self.ctx.book.customer_by_id(id).unwrap_or_else(|e| {
                self.problems.push(e);
                None
            });
            self.recent.insert(id.to_string(), found);
        }
        self.recent.get(id).and_then(Option::as_ref)
    }

    /// The end of the list: how many rows it had, and the customers that could not be read.
    fn finish(self) -> Result<(usize, Vec<Error>)> {
        super::finish_stream(self.ctx, self.stream)?;
        Ok((self.listed, self.problems))
    }
}

fn done(ctx: &Ctx, args: &DoneArgs) -> Result<()> {
    let book = &ctx.book;
    let at = match &args.at {
        Some(t) => parse_past(ctx, "--at", t)?,
        None => book.clock.now(),
    };
    let note = args.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
    mind_the_words(ctx, note.as_deref());
    let done = Done { at, by: ctx.by()?.to_string(), how: args.how.clone(), note };
    // `ada-lovelace/k7f3qz`: a reminder by its own id.
    if let Some((customer, reminder)) = args.id.trim().split_once('/') {
        let (path, customer) = book.find_customer(customer)?;
        return done_reminder(ctx, &path, &customer, done, Some(reminder.trim()));
    }
    let (path, incident) = match book.find_incident(&args.id) {
        Ok(found) => found,
        // Not an incident: a customer, whose reminder or incident's follow-up was done.
        Err(e) if matches!(e.cause(), Error::NotFound(_) | Error::Usage(_)) => match book.find_customer(&args.id) {
            Ok((path, customer)) => match customers_incident(ctx, &customer, args.kind.as_deref())? {
                Some(found) => found,
                None => return done_reminder(ctx, &path, &customer, done, None),
            },
            Err(_) => return Err(e),
        },
        Err(e) => return Err(e),
    };
    let plan = book.apply_plan(&path, |current| {
        recovery::done(current, args.kind.as_deref(), done, &book.config.followup, &book.clock).map_err(Error::Refused)
    })?;
    let kinds: Vec<&str> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Done { index, .. } => incident.followups.get(*index).map(|f| f.kind.as_str()),
            _ => None,
        })
        .collect();
    commit(ctx, &[path], &format!("followup done {}: {}", incident.id, kinds.join(", ")));
    super::emit(ctx, crate::hooks::Event::Plan { incident: &incident.id, plan: &plan });
    report(ctx, &incident, &plan);
    Ok(())
}

/// The incident whose follow-up `followup done CUSTOMER` means: with `--kind`, the one
/// incident of the customer's with a follow-up of that kind pending; without, the one
/// with any pending, when the customer has no reminder due. None: the customer's reminder
/// is meant. Several incidents are refused, listing them, as an ambiguous name is.
fn customers_incident(
    ctx: &Ctx,
    customer: &Customer,
    kind: Option<&str>,
) -> Result<Option<(std::path::PathBuf, Incident)>> {
    let clock = &ctx.book.clock;
    let reminder_due = customer
        .reminders
        .iter()
        .any(|r| crate::model::reminder::pending(r, clock.now(), clock).is_some_and(|due| due <= clock.now()));
    if kind.is_none() && reminder_due {
        return Ok(None);
    }
    let (incidents, _) = ctx.book.linked_incidents(customer);
    let mut pending: Vec<Incident> =
        incidents.into_iter().filter(|i| recovery::pending(i).any(|f| kind.is_none_or(|k| f.kind == k))).collect();
    match pending.len() {
        0 if kind.is_none() => Ok(None),
        0 => Err(Error::NotFound(format!(
            "{} has no incident with a {} follow-up pending; `care followup due --where customer={}` lists theirs",
            customer.id,
            kind.unwrap_or_default(),
            customer.id
        ))),
        1 => {
            let incident = pending.remove(0);
            let (path, _) = ctx.book.find_incident(&incident.id)?;
            Ok(Some((path, incident)))
        }
        _ => Err(Error::Ambiguous {
            what: "incident",
            input: customer.id.clone(),
            candidates: pending.iter().map(|i| format!("{}  ({})", i.id, i.summary.as_deref().unwrap_or(""))).collect(),
        }),
    }
}

/// How many days ahead a reminder's occurrence may be marked done without naming it.
const EARLY_DAYS: u64 = 7;

/// Mark the customer's reminder that is due first (or the one with id `which`) as done for
/// that occurrence; a recurring one is then due at its next occurrence.
fn done_reminder(
    ctx: &Ctx,
    path: &std::path::Path,
    customer: &Customer,
    done: Done,
    which: Option<&str>,
) -> Result<()> {
    use crate::model::reminder::{self, Mark};
    let clock = &ctx.book.clock;
    let marked = ctx.book.edit(path, |c: &Customer, doc| {
        let first = c
            .reminders
            .iter()
            .enumerate()
            .filter(|(_, r)| which.is_none_or(|w| r.id.as_deref().is_some_and(|id| id.eq_ignore_ascii_case(w))))
            .filter_map(|(i, r)| reminder::pending(r, clock.now(), clock).map(|due| (due, i)))
            .min()
            .ok_or_else(|| match which {
                Some(w)
                    if !c.reminders.iter().any(|r| r.id.as_deref().is_some_and(|id| id.eq_ignore_ascii_case(w))) =>
                {
                    Error::NotFound(format!(
                        "{} has no reminder {w:?}; `care followup due` lists them with their ids",
                        c.id
                    ))
                }
                Some(w) => Error::NotFound(format!("{}/{w} has no occurrence pending: it is done", c.id)),
                None => Error::NotFound(format!(
                    "{} has no reminder pending and no incident matches {:?}",
                    c.id, customer.id
                )),
            })?;
        let (due, i) = first;
        // An occurrence up to a week ahead may be done early (the card sent on Monday for
        // Wednesday); one further off is marked only when the reminder is named: on 7
        // December, a birthday of 24 November set today is next year's, never done now.
        if which.is_none() && due.with_timezone(&clock.tz).date_naive() > clock.today() + chrono::Days::new(EARLY_DAYS)
        {
            let how = match c.reminders[i].id.as_deref() {
                Some(id) => format!("name it: care followup done {}/{id}", c.id),
                None => "give the reminder an id with `care edit` and name it".into(),
            };
            return Err(Error::NotFound(format!(
                "{}'s next reminder \"{}\" is not due until {}; nothing was written. To mark that one done \
                 ahead of time, {how}",
                c.id,
                c.reminders[i].text,
                clock.show(&due)
            )));
        }
        let mut r = c.reminders[i].clone();
        r.done.push(Mark {
            occurrence: due,
            at: done.at,
            by: done.by.clone(),
            how: done.how.clone(),
            note: done.note.clone(),
        });
        doc.set_in_item("reminders", i, "done", &r.done)?;
        Ok((i, r.text.clone(), due, reminder::pending(&r, due, clock).filter(|next| *next > due)))
    })?;
    let (index, text, due, next) = marked;
    commit(ctx, &[path.to_path_buf()], &format!("followup done {}: reminder", customer.id));
    super::emit(ctx, crate::hooks::Event::ReminderDone { customer: &customer.id, index, occurrence: due });
    ctx.ui.say(&format!("Done: reminder \"{text}\" due {} for {}.", clock.show(&due), customer.id));
    if let Some(next) = next {
        ctx.ui.say(&format!("Next: due {}.", clock.show(&next)));
    }
    Ok(())
}

fn add(ctx: &Ctx, args: &AddArgs) -> Result<()> {
    let text = text_arg("the follow-up", &args.text)?;
    let due = parse_next(ctx, "--due", &args.due)?;
    let followup = Followup { kind: CUSTOM.into(), due, how: None, text: Some(text), done: None, missed_by: None };
    let (path, incident) = ctx.book.find_incident(&args.id)?;
    let plan =
        ctx.book.apply_plan(&path, |_| Ok(Plan { changes: vec![Change::Schedule(followup)], warnings: vec![] }))?;
    commit(ctx, &[path], &format!("followup add {}: due {}", incident.id, crate::time::rfc3339(&due)));
    report(ctx, &incident, &plan);
    Ok(())
}

/// Tell the person what was recorded and what comes next.
fn report(ctx: &Ctx, incident: &Incident, plan: &Plan) {
    for w in &plan.warnings {
        ctx.ui.warn(w);
    }
    for change in &plan.changes {
        match change {
            Change::Done { index, .. } => {
                let kind = incident.followups.get(*index).map_or("follow-up", |f| f.kind.as_str());
                ctx.ui.say(&format!("Done: {kind} follow-up on {}.", incident.id));
            }
            Change::Schedule(f) => {
                ctx.ui.say(&format!("Next: {} follow-up due {}.", f.kind, ctx.book.clock.show(&f.due)));
            }
            Change::Step(..) => {}
        }
    }
}
