//! `care winback`: who had a service failure and has not come back since, by the
//! lifetime value at risk — the calls worth making first.

use std::io::Write;

use crate::cmd::{Ctx, FilterArgs, parse_time, report_problems};
use crate::error::Result;
use crate::output;
use crate::report::query::{self, IncidentView};
use crate::report::winback;

/// Customers who had a service failure and have not visited since (or are past twice their
/// usual gap between visits), most value at risk first.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Columns: customer, name, value (lifetime value at risk: typed, else the visits' spend),
value_source (typed or computed), incident (their latest), opened, summary, recovery (full,
open, or what a closed one lacked: no apology, no review, no fix, no extra), owner (their
ally: who should call), last_visit, visits, usual_gap (mean days between visits),
days_since (since the later of the last visit and the incident), contact, remember
(critical preferences). A customer who came back after the failure is listed again once
past twice their usual gap since their last visit.

Examples:
  care winback                                  everyone a failure may have cost us
  care winback --since 90d --where location=uptown
  care winback --where owner=joan --format csv  Joan's calls to make")]
pub struct Args {
    #[command(flatten)]
    pub filter: FilterArgs,
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    let q = args.filter.query(|option, s| parse_time(ctx, option, s))?;
    let tz = ctx.book.clock.tz;
    // Rows show a customer's critical entries only; the rest is needed just to match a
    // condition on `text`, so without one it is let go as each record is read.
    let (whole, today) = (q.conds.iter().any(|c| c.field == "text"), ctx.book.clock.today());
    let customers = ctx.book.customers_folded_map(false, |c, fields| (if whole { c } else { c.listed(today) }, fields));
    let mut customer_seen = query::Seen::default();
    for (_, (_, extras)) in &customers.records {
        customer_seen.add(extras);
    }
    let (on_customer, on_incident) = winback::split(&q, &customer_seen.0);
    // `--since/--until` select on the incident's opening.
    let (parts, incident_problems) = ctx.book.fold_incidents(
        Default::default,
        |(latest, seen): &mut (winback::Latest, query::Seen), incident, extras| {
            seen.add(extras);
            if on_incident.in_window(incident.opened)
                && on_incident.matches(&IncidentView { incident, extras: Some(extras), tz })
            {
                latest.add(incident);
            }
        },
    );
    let mut latest = winback::Latest::default();
    let mut seen = customer_seen;
    for (found, s) in parts {
        latest.merge(found);
        seen.merge(s);
    }
    let builtin: Vec<&str> = query::CUSTOMER_FIELDS.iter().chain(&query::INCIDENT_FIELDS).copied().collect();
    q.check("customer or incident", &builtin, &seen.0)?;
    let mut lost = winback::select(&customers.records, latest, &on_customer, ctx.book.clock.today());
    let mut problems = customers.problems;
    problems.extend(incident_problems);
    // The index keeps only what book-wide reports need; the rows' few incidents are read
    // in full for their recovery steps.
    for l in &mut lost {
        let path = ctx.book.incident_path(&l.incident.id);
        if path.is_file() {
            match ctx.book.read(&path) {
                Ok(full) => l.incident = full,
                Err(e) => problems.push(e),
            }
        }
    }
    let rows = winback::rows(&lost, ctx.book.clock.today());
    output::print(out, &ctx.style, &rows)?;
    report_problems(ctx, &problems)
}
