//! `care recover`: open an incident and record the four steps of the recovery
//! (apologize, review, fix with something extra, close), list incidents, show one.

use std::io::Write;

use crate::cmd::{Ctx, FilterArgs, commit, mind_the_words, parse_past, parse_time, report_problems, text_arg};
use crate::error::{Error, Result};
use crate::model::Customer;
use crate::model::incident::{Incident, Recovery, Step};
use crate::model::recovery::{self, Change, StepKind};
use crate::output::{self, Format, Stream, Style};
use crate::report::query::{self, Seen};
use crate::report::{briefing, incidents};
use crate::rows::Rows;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Open an incident: prints its id; briefs you on the customer on stderr.
    #[command(
        after_help = "Example:\n  id=$(care recover open ada --what \"Entrées mixed up\" --product entrees --staff billy \\\n      --location downtown --busyness 95 --circumstances \"Anniversary dinner\" --tag kitchen)"
    )]
    Open(OpenArgs),
    /// Step 1: record the apology (sincere, and first).
    #[command(after_help = "Example:\n  care recover apologize k7f3qz \"Apologized at the table\"")]
    Apologize(StepArgs),
    /// Step 2: record the review of the complaint with the customer (after the apology).
    #[command(after_help = "Example:\n  care recover review k7f3qz \"Ticket printed for table 12\"")]
    Review(StepArgs),
    /// Step 3: record the fix; schedules the check-in.
    #[command(after_help = "Example:\n  care recover fix k7f3qz \"Re-fired both entrées\" --as billy --at 20:10")]
    Fix(StepArgs),
    /// Step 3: record the something extra given (restoring what should have been is not enough).
    #[command(after_help = "Example:\n  care recover extra k7f3qz --what \"Dessert and wine on the house\" --value 24")]
    Extra(ExtraArgs),
    /// Close the incident; schedules the wrap-up (a handwritten note or a call).
    #[command(after_help = "Example:\n  care recover close k7f3qz")]
    Close(StepArgs),
    /// Incidents, one row each, oldest first.
    #[command(
        after_help = "Examples:\n  care recover list --open\n  care recover list --customer ada --since \"30d ago\"\n  care recover list --where location=uptown --where tags=kitchen --format json"
    )]
    List(ListArgs),
    /// One incident in full, with the customer's briefing.
    #[command(after_help = "Example:\n  care recover show k7f3qz")]
    Show(ShowArgs),
}

#[derive(Debug, clap::Args)]
pub struct OpenArgs {
    /// The customer: an id or a unique part of the name.
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::customers))]
    pub customer: String,
    /// What went wrong, in a sentence.
    #[arg(long, value_name = "TEXT")]
    pub what: String,
    /// The product or service that failed.
    #[arg(long)]
    pub product: Option<String>,
    /// Who was on duty or involved.
    #[arg(long)]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::staff))]
    pub staff: Option<String>,
    /// Who took the complaint: the customer's ally, who owns the follow-ups (default: --as).
    #[arg(long)]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::staff))]
    pub owner: Option<String>,
    /// Site, store, franchise or region.
    #[arg(long)]
    pub location: Option<String>,
    /// How the complaint came: in-person, phone, email, web, ...
    #[arg(long)]
    pub channel: Option<String>,
    /// How busy the business was, in % of capacity.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub busyness: Option<u32>,
    /// The customer's circumstances (an anniversary dinner, a deadline, ...).
    #[arg(long, value_name = "TEXT")]
    pub circumstances: Option<String>,
    /// A tag for later analysis (repeatable).
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,
    /// When the failure happened (default: now).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct StepArgs {
    /// The incident: its id, a unique prefix, or the random part (`k7f3qz`).
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::incidents))]
    pub id: String,
    /// What was said or done.
    pub note: Option<String>,
    /// When (default: now).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// Replace a step already recorded.
    #[arg(long)]
    pub amend: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExtraArgs {
    #[command(flatten)]
    pub step: StepArgs,
    /// What was given.
    #[arg(long, value_name = "TEXT")]
    pub what: String,
    /// What it cost (warned about above `discretion` in care.yaml; never refused).
    #[arg(long, value_name = "N")]
    pub value: Option<f64>,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only incidents not yet closed: --where status=open.
    #[arg(long)]
    pub open: bool,
    /// Only this customer's incidents (an id or a unique part of the name).
    #[arg(long, value_name = "C")]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::customers))]
    pub customer: Option<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The incident: its id, a unique prefix, or the random part.
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::incidents))]
    pub id: String,
}

pub fn run(ctx: &Ctx, command: &Command, out: &mut dyn Write) -> Result<()> {
    match command {
        Command::Open(args) => open(ctx, args, out),
        Command::Apologize(args) => record(ctx, StepKind::Apologize, args, None),
        Command::Review(args) => record(ctx, StepKind::Review, args, None),
        Command::Fix(args) => record(ctx, StepKind::Fix, args, None),
        Command::Extra(args) => record(ctx, StepKind::Extra, &args.step, Some(args)),
        Command::Close(args) => record(ctx, StepKind::Close, args, None),
        Command::List(args) => list(ctx, args, out),
        Command::Show(args) => show(ctx, args, out),
    }
}

fn open(ctx: &Ctx, args: &OpenArgs, out: &mut dyn Write) -> Result<()> {
    let what = text_arg("--what", &args.what)?;
    let by = ctx.by()?;
    let book = &ctx.book;
    let opened = match &args.at {
        Some(t) => parse_past(ctx, "--at", t)?,
        None => book.clock.now(),
    };
    let (customer_path, customer) = book.find_customer(&args.customer)?;
    let clean = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let mut incident = Incident {
        id: String::new(),
        customer: customer.id.clone(),
        opened,
        recorded: Some(book.clock.now()),
        staff: clean(&args.staff),
        owner: clean(&args.owner).or_else(|| Some(by.to_string())),
        product: clean(&args.product),
        location: clean(&args.location),
        channel: clean(&args.channel),
        busyness: args.busyness,
        summary: Some(what.clone()),
        circumstances: clean(&args.circumstances),
        tags: args.tags.iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect(),
        recovery: Recovery::default(),
        followups: vec![recovery::first_progress(opened, &book.config.followup, &book.clock)],
    };
    // Two files change: the incident, then the customer's. A journal entry in the clone's
    // `.care/` names both until the second write is done, so a run that stops in between
    // is completed by the next `recover open` or `care check --fix`, and the customer's
    // card shows the incident meanwhile.
    book.complete_openings(by);
    book.create_incident(&mut incident)?;
    let opening = recovery::opening(&incident, by, book.config.flag_days, &book.clock);
    book.add_opening(&customer_path, &opening).map_err(|e| {
        let (c, i) = (&customer.id, &incident.id);
        Error::Refused(format!(
            "incident {i} is opened (do not open it again), but its flag and misstep are not on {c}'s file: {e}. \
             Fix the file and run `care check --fix`, or add them with `care flag {c} TEXT --incident {i}` and \
             `care note {c} --misstep TEXT --incident {i}`"
        ))
    })?;
    book.end_opening(&incident.id);
    let files = [book.incident_path(&incident.id), customer_path];
    commit(ctx, &files, &format!("recover open {}: {}", incident.id, customer.id));
    writeln!(out, "{}", incident.id).map_err(Error::Output)?;
    out.flush().map_err(Error::Output)?;
    super::emit(ctx, crate::hooks::Event::Opened { incident: &incident.id });

    let (_, customer) = book.find_customer(&customer.id)?;
    brief(ctx, &customer, &incident)
}

/// The briefing on stderr while the customer is still in front of you: what to remember
/// (so the extra suits them) and the steps still to do.
fn brief(ctx: &Ctx, customer: &Customer, incident: &Incident) -> Result<()> {
    let mut err = ctx.ui.err();
    let style = Style { color: ctx.style.color && ctx.ui.err_terminal, ..ctx.style };
    let incidents = [incident.clone()];
    let card = briefing::card(customer, incidents.iter(), ctx.book.clock.today());
    writeln!(err).map_err(Error::Output)?;
    output::print_card(&mut **err, &style, &card)?;
    writeln!(err, "\nStill to do for {}:", incident.id).map_err(Error::Output)?;
    for line in recovery::still_to_do(incident, &ctx.book.clock) {
        writeln!(err, "  {}", line.replace(" ID", &format!(" {}", short(&incident.id)))).map_err(Error::Output)?;
    }
    Ok(())
}

/// The random part of an incident id: what people type.
fn short(id: &str) -> &str {
    id.split_once('-').map_or(id, |(_, r)| r)
}

fn record(ctx: &Ctx, kind: StepKind, args: &StepArgs, extra: Option<&ExtraArgs>) -> Result<()> {
    let book = &ctx.book;
    let at = match &args.at {
        Some(t) => parse_past(ctx, "--at", t)?,
        None => book.clock.now(),
    };
    let mut step = Step {
        at,
        by: ctx.by()?.to_string(),
        note: args.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string),
        what: None,
        value: None,
    };
    if let Some(extra) = extra {
        step.what = Some(text_arg("--what", &extra.what)?);
        if extra.value.is_some_and(|v| !v.is_finite() || v < 0.0) {
            return Err(Error::Usage("--value: the extra's value is a number of zero or more".into()));
        }
        step.value = extra.value;
    }
    mind_the_words(ctx, step.note.as_deref());
    let (path, incident) = book.find_incident(&args.id)?;
    let warnings = book.apply_plan(&path, |current| {
        recovery::step(current, kind, step, args.amend, &book.config.followup, book.config.discretion, &book.clock)
            .map_err(Error::Refused)
    })?;
    commit(ctx, &[path], &format!("recover {} {}", kind.verb(), incident.id));
    super::emit(ctx, crate::hooks::Event::Plan { incident: &incident.id, plan: &warnings });
    for w in &warnings.warnings {
        ctx.ui.warn(w);
    }
    let scheduled: Vec<String> = warnings
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Schedule(f) => Some(format!("{} due {}", f.kind, book.clock.show(&f.due))),
            _ => None,
        })
        .collect();
    let then = if scheduled.is_empty() { String::new() } else { format!("; {}", scheduled.join(", ")) };
    ctx.ui.say(&format!("Recorded {} on {}{then}.", kind.field(), incident.id));
    Ok(())
}

fn list(ctx: &Ctx, args: &ListArgs, out: &mut dyn Write) -> Result<()> {
    let mut query = args.filter.query(|option, s| parse_time(ctx, option, s))?;
    if args.open {
        query.conds.push("status=open".parse().map_err(Error::Usage)?);
    }
    if let Some(c) = &args.customer {
        let (_, customer) = ctx.book.find_customer(c)?;
        query.conds.push(format!("customer={}", customer.id).parse().map_err(Error::Usage)?);
    }
    // A first pass learns every extra field name (the last columns) and picks the
    // incidents listed; the second gives them back oldest first as they are printed.
    // `--where returned=…` (computed from the customers' visits) and `extra_given=…` select
    // but add no column: the header never depends on the filter.
    let (computed, computed_problems) =
        crate::report::computed::Computed::asked(&query, [], || ctx.book.visit_returns());
    let tz = ctx.book.clock.tz;
    let (seen, picked, mut problems) = ctx.book.pick_incidents(Seen::default, |seen, incident, fields| {
        seen.add(fields);
        incidents::selected(incident, &computed.with(incident, fields), &query, tz)
    });
    problems.extend(computed_problems);
    let seen = seen.into_iter().fold(Seen::default(), |mut all, s| {
        all.merge(s);
        all
    });
    let known: Vec<&str> = query::INCIDENT_FIELDS.iter().chain(&query::COMPUTED).copied().collect();
    query.check("incident", &known, &seen.0)?;
    let base: Vec<String> = incidents::columns(&[]);
    let extra = seen.columns(&base);
    let mut stream = Stream::new(out, &ctx.style, &incidents::columns(&extra))?;
    // Read again, an incident changed since the pick is listed only if still selected.
    problems.extend(ctx.book.each_picked(picked, |incident, fields| {
        let extras = computed.with(incident, fields);
        if !incidents::selected(incident, &extras, &query, tz) {
            return Ok(());
        }
        stream.row(incidents::row(incident, Some(&extras), &extra))
    })?);
    super::finish_stream(ctx, stream)?;
    report_problems(ctx, &problems)
}

fn show(ctx: &Ctx, args: &ShowArgs, out: &mut dyn Write) -> Result<()> {
    let (_, incident) = ctx.book.find_incident(&args.id)?;
    let customer = ctx.book.find_customer(&incident.customer).ok().map(|(_, c)| c);
    let card = customer.as_ref().map(|c| briefing::card(c, [&incident], ctx.book.clock.today()));
    match ctx.style.format {
        Format::Table => {
            output::print_incident(out, &ctx.style, &incident)?;
            match &card {
                Some(card) => {
                    writeln!(out).map_err(Error::Output)?;
                    output::print_card(out, &ctx.style, card)?;
                }
                None => ctx.ui.warn(&format!("customer {} is not in the book", incident.customer)),
            }
            Ok(())
        }
        Format::Json | Format::Ndjson => {
            let doc = serde_json::json!({ "incident": incident, "customer": card });
            output::print_json(out, &ctx.style, &[doc])?;
            Ok(())
        }
        Format::Csv | Format::Tsv | Format::Ics => {
            let mut rows = Rows::new(&incidents::COLUMNS);
            rows.push(incidents::row(&incident, None, &[]));
            Ok(output::print(out, &ctx.style, &rows)?)
        }
    }
}
