//! `care winback`: who had a service failure and has not come back since, by the
//! lifetime value at risk — the calls worth making first.

use std::io::Write;

use std::collections::{HashMap, HashSet};

use crate::cmd::{Ctx, FilterArgs, parse_time, report_problems};
use crate::error::Result;
use crate::model::Incident;
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
    let (tz, today) = (ctx.book.clock.tz, ctx.book.clock.today());
    // Each record is cut down to what its row shows, with which conditions it meets, on
    // the core that read it; only the names of extra fields are kept besides.
    let names = std::sync::Mutex::new(query::Seen::default());
    let (mut candidates, customer_problems) = ctx.book.customers_folded_values(false, |c, extras| {
        if !extras.is_empty() {
            names.lock().unwrap_or_else(|p| p.into_inner()).add(&extras);
        }
        Some(winback::Candidate::new(&c, &extras, &q))
    });
    let customer_seen = names.into_inner().unwrap_or_else(|p| p.into_inner());
    let (_, on_incident) = winback::split(&q, &customer_seen.0);
    candidates.retain(|c| c.selected(&q, &customer_seen.0));
    candidates.shrink_to_fit();
    let places = winback::Places::new(&candidates);
    let gathering = places.gathering(candidates.len());
    // `--since/--until` select on the incident's opening.
    let (parts, incident_problems) = ctx.book.fold_incidents(query::Seen::default, |seen, incident, extras| {
        seen.add(extras);
        if on_incident.in_window(incident.opened)
            && on_incident.matches(&IncidentView { incident, extras: Some(extras), tz })
        {
            gathering.add(&places, incident);
        }
    });
    let latest = gathering.done();
    let mut seen = customer_seen;
    for s in parts {
        seen.merge(s);
    }
    let builtin: Vec<&str> = query::CUSTOMER_FIELDS.iter().chain(&query::INCIDENT_FIELDS).copied().collect();
    q.check("customer or incident", &builtin, &seen.0)?;
    let lost = winback::select(&candidates, &latest, today);
    let mut problems = customer_problems;
    problems.extend(incident_problems);
    // The index keeps only what book-wide reports need: each row's incident is read in
    // full for its recovery steps as the row prints; one not where its id puts it is
    // taken from the index (a second fold, for those only, which is rare).
    let elsewhere: HashSet<&str> =
        lost.iter().map(|l| &*latest.of(l).id).filter(|id| !ctx.book.incident_path(id).is_file()).collect();
    let digests = digests_of(ctx, &elsewhere);
    let columns: Vec<String> = winback::COLUMNS.iter().map(|c| c.to_string()).collect();
    let mut printed = output::Stream::new(out, &ctx.style, &columns)?;
    for l in &lost {
        let failure = latest.of(l);
        let incident = match digests.get(&*failure.id) {
            Some(digest) => digest.clone(),
            None => match ctx.book.read::<Incident>(&ctx.book.incident_path(&failure.id)) {
                Ok(full) => full,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            },
        };
        printed.row(winback::row(&candidates, failure, l, &incident, today))?;
    }
    printed.finish()?;
    report_problems(ctx, &problems)
}

/// The index's digests of the incidents `ids` names.
fn digests_of(ctx: &Ctx, ids: &HashSet<&str>) -> HashMap<String, Incident> {
    if ids.is_empty() {
        return HashMap::new();
    }
    let (parts, _) = ctx.book.fold_incidents(HashMap::new, |found: &mut HashMap<String, Incident>, incident, _| {
        if ids.contains(incident.id.as_str()) {
            found.insert(incident.id.clone(), incident.clone());
        }
    });
    parts.into_iter().flatten().collect()
}
