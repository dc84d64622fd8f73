//! `care trends`: group incidents and count, to find the pattern behind the failures.

use std::io::Write;

use crate::cmd::{Ctx, FilterArgs, parse_time, report_problems};
use crate::error::{Error, Result};
use crate::output::{self, Format};
use crate::report::query;
use crate::report::trends::{self, Dim, Options, Seen, Sort, Trend};
use crate::time::Span;

/// Group incidents and count: when, who, what and where failures happen.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care trends --by weekday,hour,staff --sort surprise --top 5 the Wednesday-afternoon pattern
  care trends --by product --cumulative                         a Pareto: the few that matter
  care trends --by hour --bucket 30m --since \"90d ago\" --chart
  care trends --by weekday,hour --chart                         a heat map
  care trends --by product,location --where region=midwest
  care trends --by staff --format csv | sqlite3 ...

Filters (--where, --since, --until) are the same on every list; see docs/format.md.
Dimensions: hour, weekday, date, week, month, staff, owner, product, location, channel,
customer, busyness (10 % bands), tag, or any other field of the incidents.
Ordering: --sort count (default) is count descending, lift is lift descending, surprise is
the p-value ascending (then z), key is the natural order of the values (Mon..Sun, 00..23,
dates); ties always fall back to that order.
With two or more dimensions: expected (if the dimensions were independent), z, p (Poisson,
one-sided: P(count or more)) and q (Benjamini-Hochberg over every cell of the table) in
CSV/JSON; the table shows q. Rows with q < 0.05 are unlikely to be chance.")]
pub struct Args {
    /// Dimensions to group by, comma-separated.
    #[arg(long, value_name = "DIM[,DIM...]", value_delimiter = ',', required = true)]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::dimensions))]
    pub by: Vec<Dim>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Slots of this length for the hour dimension (e.g. 30m gives 15:00, 15:30).
    #[arg(long, value_name = "DUR")]
    pub bucket: Option<Span>,
    /// Only the first N groups.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Order of the groups.
    #[arg(long, value_enum, default_value = "count")]
    pub sort: Sort,
    /// Only groups with at least N incidents.
    #[arg(long, value_name = "N", default_value = "1")]
    pub min_count: u64,
    /// With one dimension: add the running share of the rows so far (a Pareto column).
    #[arg(long)]
    pub cumulative: bool,
    /// Draw bars (or a weekday × hour heat map) in the terminal instead of a table.
    #[arg(long)]
    pub chart: bool,
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write, format_given: bool) -> Result<()> {
    let opts = options(ctx, args)?;
    if args.chart && format_given && ctx.style.format != Format::Table {
        return Err(Error::Usage("--chart draws for people; it cannot be combined with --format csv/tsv/json".into()));
    }
    let clock = ctx.book.clock;
    let (tallies, problems) = ctx.book.fold_incidents(
        Default::default,
        |(tally, seen): &mut (trends::Tally, query::Seen), incident, fields| {
            seen.add(fields);
            tally.add(Seen { incident, fields: Some(fields) }, &opts, &clock);
        },
    );
    let mut tally = trends::Tally::default();
    let mut seen = query::Seen::default();
    for (t, s) in tallies {
        tally.merge(t);
        seen.merge(s);
    }
    opts.query.check("incident", &query::INCIDENT_FIELDS, &seen.0)?;
    let trend = trends::finish(tally, &opts);
    if args.chart {
        chart(out, &trend, &opts)?;
    } else {
        output::print(out, &ctx.style, &trends::rows(&trend, ctx.style.format != Format::Table))?;
    }
    report_problems(ctx, &problems)
}

fn options(ctx: &Ctx, args: &Args) -> Result<Options> {
    let bucket = match args.bucket {
        None => 60,
        Some(Span { days: 0, minutes }) if minutes > 0 && minutes <= 1440 && 1440 % minutes == 0 => minutes as u32,
        Some(span) => {
            return Err(Error::Usage(format!(
                "--bucket {span}: use a slot that divides the day, such as 15m, 30m, 1h or 2h"
            )));
        }
    };
    if matches!(args.sort, Sort::Lift | Sort::Surprise) && args.by.len() < 2 {
        return Err(Error::Usage("--sort lift and --sort surprise need two or more --by dimensions".into()));
    }
    if args.cumulative && args.by.len() != 1 {
        return Err(Error::Usage("--cumulative is a Pareto of one dimension; give one --by dimension".into()));
    }
    Ok(Options {
        dims: args.by.clone(),
        bucket,
        query: args.filter.query(|option, s| parse_time(ctx, option, s))?,
        sort: args.sort,
        top: args.top,
        min_count: args.min_count,
        cumulative: args.cumulative,
    })
}

/// Bars, or a heat map when the dimensions are exactly weekday and hour.
fn chart(out: &mut dyn Write, trend: &Trend, opts: &Options) -> Result<()> {
    let weekday_hour = match opts.dims.as_slice() {
        [Dim::Weekday, Dim::Hour] => Some((0, 1)),
        [Dim::Hour, Dim::Weekday] => Some((1, 0)),
        _ => None,
    };
    if let (Some((day, hour)), 60) = (weekday_hour, opts.bucket) {
        let days: Vec<String> = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map(String::from).to_vec();
        let hours: Vec<String> = (0..24).map(|h| format!("{h:02}")).collect();
        let mut counts = vec![vec![0u64; 24]; 7];
        for g in &trend.groups {
            let d = days.iter().position(|x| *x == g.values[day].label);
            let h = g.values[hour].label.parse::<usize>().ok();
            if let (Some(d), Some(h)) = (d, h.filter(|&h| h < 24)) {
                counts[d][h] += g.count;
            }
        }
        output::print_heatmap(out, &days, &hours, &counts)?;
        return Ok(());
    }
    let bars: Vec<(String, u64, f64)> = trend
        .groups
        .iter()
        .map(|g| (g.values.iter().map(|v| v.label.as_str()).collect::<Vec<_>>().join(" · "), g.count, g.share))
        .collect();
    output::print_bars(out, &bars)?;
    Ok(())
}
