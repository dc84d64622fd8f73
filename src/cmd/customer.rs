//! `care customer add|list`: create customer records and list them.

use std::io::Write;

use crate::cmd::{Ctx, FilterArgs, commit, parse_date, parse_time, report_problems, text_arg};
use crate::error::{Error, Result};
use crate::model::Customer;
use crate::model::customer::Contact;
use crate::report::query;
use crate::{book, output, report, yaml};

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
    let read = query::customer_reader(&query);
    let customers =
        ctx.book.load_with(book::CUSTOMERS, |path, text| read(path, text).map(|(c, e)| (c.fold_visits(), e)));
    let (selected, seen) = report::customers::select(&customers.records, &query, ctx.book.clock.tz);
    query.check("customer", &query::CUSTOMER_FIELDS, &seen.0)?;
    let (parts, incident_problems) =
        ctx.book.fold_incidents(report::customers::Histories::default, |h, incident, _| h.add(incident));
    let mut histories = report::customers::Histories::default();
    for part in parts {
        histories.merge(part);
    }
    let today = ctx.book.clock.today();
    let selected: Vec<&Customer> =
        selected.into_iter().filter(|c| !args.flagged || !c.active_flags(today).is_empty()).collect();
    let rows = report::customers::list(&selected, &histories, today);
    output::print(out, &ctx.style, &rows)?;
    let mut problems = customers.problems;
    problems.extend(incident_problems);
    report_problems(ctx, &problems)
}
