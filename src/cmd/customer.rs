//! `care customer add|list|merge`: create customer records, list them, and join two records
//! of the same person (the rules of the join are in `model::merge_customers`).

use std::io::Write;

use crate::book::refuse_unsettled;
use crate::cmd::{Ctx, FilterArgs, commit, parse_date, parse_time, report_problems, text_arg};
use crate::error::{Error, Result};
use crate::model::Customer;
use crate::model::customer::Contact;
use crate::model::forgotten;
use crate::model::merge_customers::{self, Change, Side};
use crate::report::query;
use crate::{output, report, yaml};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a customer record and print its id.
    #[command(
        after_help = "Example:\n  care customer add \"Ada Lovelace\" --phone \"+1 555 0100\" --since 2019-03-02 --value 12000"
    )]
    Add(AddArgs),
    /// One row per customer: id, name, since, lifetime value, open incidents, active flags, last incident.
    #[command(
        after_help = "Examples:\n  care customer list --flagged\n  care customer list --grep '(?i)shellfish' --format csv\n  care customer list --where lifetime_value~'^[0-9]{5,}$' --since 2025-01-01"
    )]
    List(ListArgs),
    /// Join two records of the same person: DROP's entries, visits, reminders and incidents go
    /// to KEEP, and DROP's file is removed. Where both hold a different value of one field (a
    /// name, an email, a lifetime value, an imported field) the merge is refused until you say
    /// which to keep; the value not taken is written down as a note, so nothing is lost.
    #[command(after_help = "\
Lists (notes, preferences, flags, visits, reminders, any unknown list) are joined, each entry
once; a field only one side has is kept; `since` becomes the earlier date. A field both hold
with different values is a conflict: the merge names each one and changes nothing until
--prefer or --take settles it.

Examples:
  care customer merge ada-lovelace ada-2 --dry-run
  care customer merge ada-lovelace ada-2
  care customer merge ada-lovelace ada-2 --prefer keep --take email=drop")]
    Merge(MergeArgs),
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The record that stays: an id or a unique part of the name.
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::customers))]
    pub keep: String,
    /// The record joined into KEEP and then removed.
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::customers))]
    pub drop: String,
    /// Print what would change, and change nothing (exit status 1 while a conflict is unsettled).
    #[arg(long)]
    pub dry_run: bool,
    /// Where the two disagree, take this side's value for every field not named by --take.
    #[arg(long, value_name = "keep|drop")]
    pub prefer: Option<Side>,
    /// Where the two disagree on FIELD, take this side's value (repeatable): name, email,
    /// phone, lifetime_value, or any other field, e.g. --take email=drop.
    #[arg(long, value_name = "FIELD=keep|drop", value_parser = take)]
    pub take: Vec<(String, Side)>,
}

/// `--take FIELD=keep|drop`.
fn take(s: &str) -> std::result::Result<(String, Side), String> {
    let (field, side) = s.split_once('=').ok_or_else(|| format!("{s:?}: use FIELD=keep or FIELD=drop"))?;
    let field = field.trim();
    if field.is_empty() {
        return Err(format!("{s:?}: name the field, e.g. email=drop"));
    }
    Ok((field.to_string(), side.parse()?))
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The customer's name, as staff say it.
    pub name: String,
    /// The id (and file name); default: made from the name, e.g. ada-lovelace.
    #[arg(long)]
    pub id: Option<String>,
    /// Email address, shown with follow-ups so the owner can write.
    #[arg(long)]
    pub email: Option<String>,
    /// Phone number, shown with follow-ups so the owner can call (mind their preferences).
    #[arg(long)]
    pub phone: Option<String>,
    /// Customer since this date (default: today).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Lifetime value: what this customer is worth to the business over the years.
    #[arg(long, value_name = "N")]
    pub value: Option<f64>,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only customers with an active flag.
    #[arg(long)]
    pub flagged: bool,
    /// Only customers whose id, name, contact or any entry matches this regex (use (?i) to
    /// ignore case): --where text~REGEX.
    #[arg(long, value_name = "REGEX")]
    pub grep: Option<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
}

pub fn run(ctx: &Ctx, command: &Command, out: &mut dyn Write) -> Result<()> {
    match command {
        Command::Add(args) => add(ctx, args, out),
        Command::List(args) => list(ctx, args, out),
        Command::Merge(args) => merge(ctx, args, out),
    }
}

fn add(ctx: &Ctx, args: &AddArgs, out: &mut dyn Write) -> Result<()> {
    let name = text_arg("the name", &args.name)?;
    let since = match &args.since {
        Some(s) => parse_date(ctx, "--since", s)?,
        None => ctx.book.clock.today(),
    };
    if args.value.is_some_and(|v| !v.is_finite() || v < 0.0) {
        return Err(Error::Usage("--value: a lifetime value is a number of zero or more".into()));
    }
    let tombstone = ctx.book.tombstone()?;
    let id = args.id.clone().unwrap_or_else(|| crate::model::id::slug(&name));
    if let Some(gone) = tombstone.knows(Some(&id), args.email.as_deref(), args.phone.as_deref()) {
        return Err(Error::Refused(format!("{}; nothing was added", forgotten::refusal(gone))).with_hint(
            "a person who asked to be forgotten is not added again unless they ask for it: see docs/guide.md",
        ));
    }
    let mut customer = Customer {
        since: Some(since),
        contact: Contact { email: args.email.clone(), phone: args.phone.clone() },
        lifetime_value: args.value,
        ..Customer::new("", name)
    };
    let path = ctx.book.create_customer(&mut customer, args.id.as_deref(), yaml::to_string)?;
    commit(ctx, &[path], &format!("customer add {}", customer.id));
    writeln!(out, "{}", customer.id).map_err(Error::Output)?;
    Ok(())
}

fn list(ctx: &Ctx, args: &ListArgs, out: &mut dyn Write) -> Result<()> {
    let mut query = args.filter.query(|option, s| parse_time(ctx, option, s))?;
    if let Some(re) = &args.grep {
        query.conds.push(format!("text~{re}").parse().map_err(|e| Error::Usage(format!("--grep: {e}")))?);
    }
    let (today, tz) = (ctx.book.clock.today(), ctx.book.clock.tz);
    // Each record is selected and cut down to its row's values on the core that read it;
    // only the names of extra fields are kept besides (to check the query's fields).
    let names = std::sync::Mutex::new(query::Seen::default());
    let (mut listed, customer_problems) = ctx.book.customers_folded_values(false, |c, extras| {
        if !extras.is_empty() {
            names.lock().unwrap_or_else(|p| p.into_inner()).add(&extras);
        }
        let wanted = report::customers::selected(&c, &extras, &query, tz)
            && (!args.flagged || !c.active_flags(today).is_empty());
        wanted.then(|| report::customers::Listed::new(&c, today))
    });
    let seen = names.into_inner().unwrap_or_else(|p| p.into_inner());
    query.check("customer", &query::CUSTOMER_FIELDS, &seen.0)?;
    // Stable: customers sharing an id stay in the book's order.
    listed.sort_by(|a, b| a.id.cmp(&b.id));
    let places = report::customers::Places::new(&listed);
    let (parts, incident_problems) = ctx.book.fold_incidents(|| places.histories(), |h, i, _| h.add(&places, i));
    let mut histories = places.histories();
    for part in parts {
        histories.merge(part);
    }
    let columns: Vec<String> = report::customers::COLUMNS.iter().map(|c| c.to_string()).collect();
    let mut printed = output::Stream::new(out, &ctx.style, &columns)?;
    for n in 0..listed.len() {
        printed.row(report::customers::row(&listed, n, &places, &histories))?;
    }
    printed.finish()?;
    let mut problems = customer_problems;
    problems.extend(incident_problems);
    report_problems(ctx, &problems)
}

fn merge(ctx: &Ctx, args: &MergeArgs, out: &mut dyn Write) -> Result<()> {
    let (keep_path, keep) = ctx.book.find_customer(&args.keep)?;
    let (drop_path, drop) = ctx.book.find_customer(&args.drop)?;
    if keep.id == drop.id {
        return Err(Error::Usage(format!("KEEP and DROP are both {}; name two different customers to merge", keep.id)));
    }
    let tombstone = ctx.book.tombstone()?;
    for c in [&keep, &drop] {
        if let Some(gone) = tombstone.knows(Some(&c.id), c.contact.email.as_deref(), c.contact.phone.as_deref()) {
            return Err(Error::Refused(format!(
                "{} holds a person the book forgot: {}; nothing was merged",
                c.id,
                forgotten::refusal(gone)
            ))
            .with_hint("forget that record again (`care forget ID --reason …`) instead of merging it"));
        }
    }
    // Run again after it was stopped, a merge keeps the choices it was begun with, unless
    // this run says otherwise.
    let mut choices = ctx.book.earlier_merge(&keep.id, &drop.id)?.map(|m| m.choices).unwrap_or_default();
    choices.prefer = args.prefer.or(choices.prefer);
    choices.take.extend(args.take.iter().cloned());
    let drop_text = ctx.book.read_text(&drop_path)?;
    let drop_doc = yaml::Doc::parse(&drop_path, &drop_text)?;
    let keep_doc = yaml::Doc::parse(&keep_path, &ctx.book.read_text(&keep_path)?)?;
    let plan = merge_customers::plan(keep_doc.value(), drop_doc.value(), &drop.id, &choices);
    for (field, _) in &args.take {
        let bare = field.strip_prefix("contact.").unwrap_or(field);
        if !plan.conflicts.iter().any(|(c, _)| c.field == bare) {
            ctx.ui.warn(&format!(
                "--take {field}: {} and {} do not disagree on {bare}; nothing to choose",
                keep.id, drop.id
            ));
        }
    }

    if args.dry_run {
        for change in &plan.changes {
            writeln!(out, "{}", output::visible(&describe(&keep.id, change))).map_err(Error::Output)?;
        }
        for (conflict, side) in &plan.conflicts {
            let taken = match side {
                Some(Side::Keep) => format!("{}'s kept", keep.id),
                Some(Side::Drop) => format!("{}'s taken", drop.id),
                None => "unsettled".to_string(),
            };
            let line = format!("{}: conflict {} — {taken}", keep.id, conflict.describe(&keep.id, &drop.id));
            writeln!(out, "{}", output::visible(&line)).map_err(Error::Output)?;
        }
        let incidents = ctx.book.incidents().records.into_iter().filter(|(_, i)| i.customer == drop.id);
        for (path, _) in incidents {
            let id = path.file_stem().unwrap_or_default().to_string_lossy();
            writeln!(out, "{id}: customer {} -> {}", drop.id, keep.id).map_err(Error::Output)?;
        }
        writeln!(out, "remove {}", drop_path.display()).map_err(Error::Output)?;
        refuse_unsettled(&plan, &keep.id, &drop.id)?;
        ctx.ui.say("Dry run: nothing was changed.");
        return Ok(());
    }
    refuse_unsettled(&plan, &keep.id, &drop.id)?;

    let merged = ctx.book.merge_customers(&keep.id, &drop.id, &choices, ctx.by()?, ctx.book.clock.now())?;
    commit(ctx, &merged.written, &format!("customer merge {} {}", keep.id, drop.id));
    ctx.ui.say(&format!(
        "Merged {} into {}: {} changes to its record, {} incidents re-pointed, {} removed.",
        drop.id,
        keep.id,
        merged.changes,
        merged.incidents,
        merged.drop_file.display()
    ));
    Ok(())
}

/// One line of `--dry-run`.
fn describe(keep: &str, change: &Change) -> String {
    let shown = |v: &yaml::Value| yaml::to_string(v).map(|s| s.trim().replace('\n', " ")).unwrap_or_default();
    match change {
        Change::Push { key, entry } => format!("{keep}: add to {key}: {}", shown(entry)),
        Change::Set { key, value } => format!("{keep}: set {key}: {}", shown(value)),
        Change::SetInMap { key, field, value } => format!("{keep}: set {key}.{field}: {}", shown(value)),
        Change::Note(text) => format!("{keep}: add to notes: {text}"),
    }
}
