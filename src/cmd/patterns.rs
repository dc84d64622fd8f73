//! `care patterns`: every combination of two or three dimensions that fails significantly
//! more often than its margins predict, each once, as a sentence. The search and its
//! statistics live in `report::patterns`; this only reads the book (once) and prints.

use std::io::Write;

use crate::cmd::{Ctx, FilterArgs, parse_time, report_problems};
use crate::error::{Error, Result};
use crate::output::{self, Format};
use crate::report::patterns::{self, Collect, Options};
use crate::report::query;
use crate::report::trends::{self, Dim, Per, Seen};

/// Find the patterns behind the failures, without guessing which dimensions to cross.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care patterns                                  what stands out, most surprising first
  care patterns --since \"90d ago\" --q 0.01      this quarter, stricter
  care patterns --where location=uptown --format csv

  care patterns --focus staff=billy             only cells with billy: more power

Searches hour, weekday, staff, owner, product, location, channel, busyness (10 % bands),
tags and the book's own fields, two and three at a time. A cell is listed when its count
is significantly above what its margins predict (Poisson, one-sided), at a false discovery
rate (Benjamini-Hochberg q over every cell that can exist), and only at its own
granularity: not also as every sub- or super-combination it explains. Cells found at
q 0.05 get their own term and the rest is refitted without them (quasi-independence), so
one strong pattern does not make its neighbours look significant; a three-way cell counts
only beyond the two-way findings it lies in. Only a finding hides a cell, and --q never
changes what is shown below q 0.05. Dimensions that determine each other (a location
always in the same region) are a hierarchy and are never crossed. Columns: pattern,
count, expected, lift, p (CSV/JSON), q, sentence.
With an exposure file (care.yaml `exposure: shifts.csv`), the baseline of weekday, hour,
staff and location is the hours worked, not independence: a person who simply works most
Wednesday afternoons is not a Wednesday pattern. --no-exposure compares with margins alone.")]
pub struct Args {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// The false discovery rate: list cells with q at or below this.
    #[arg(long = "q", value_name = "Q", default_value = "0.05")]
    pub q: f64,
    /// Only cells with at least N incidents.
    #[arg(long, value_name = "N", default_value = "5")]
    pub min_count: u64,
    /// Only the first N patterns.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Ignore the book's exposure file: expect counts from their margins alone.
    #[arg(long)]
    pub no_exposure: bool,
    /// Only combinations holding this value (repeatable): the question "what about billy?"
    /// asked of fewer cells, so a smaller excess stands out.
    #[arg(long, value_name = "DIM=VALUE", value_parser = focus)]
    pub focus: Vec<(Dim, String)>,
}

fn focus(s: &str) -> std::result::Result<(Dim, String), String> {
    let (dim, value) = s.split_once('=').ok_or_else(|| format!("{s:?}: give DIM=VALUE, such as staff=billy"))?;
    Ok((dim.parse()?, value.trim().to_string()))
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    if !(args.q > 0.0 && args.q < 1.0) {
        return Err(Error::Usage(format!("--q {}: give a false discovery rate between 0 and 1, such as 0.05", args.q)));
    }
    let mut opts = Options {
        query: args.filter.query(|option, s| parse_time(ctx, option, s))?,
        q: args.q,
        min_count: args.min_count,
        exposure: None,
        focus: args.focus.clone(),
    };
    if !args.no_exposure
        && let Some(shifts) = ctx.book.exposure()?
    {
        let clock = &ctx.book.clock;
        let dims = patterns::exposure_dims();
        opts.exposure = Some(trends::exposure(&shifts, &dims, 60, &opts.query, clock.now(), clock, Per::ShiftHour));
    }
    let clock = ctx.book.clock;
    let (parts, problems) =
        ctx.book.fold_incidents(Default::default, |(found, seen): &mut (Collect, query::Seen), incident, fields| {
            seen.add(fields);
            found.add(Seen { incident, fields: Some(fields) }, &opts, &clock);
        });
    let mut found = Collect::default();
    let mut seen = query::Seen::default();
    for (f, s) in parts {
        found.merge(f);
        seen.merge(s);
    }
    opts.query.check("incident", &query::INCIDENT_FIELDS, &seen.0)?;
    let mut list = patterns::find(found, &opts)?;
    if let Some(top) = args.top {
        list.truncate(top);
    }
    output::print(out, &ctx.style, &patterns::rows(&list, ctx.style.format != Format::Table))?;
    report_problems(ctx, &problems)
}
