//! `care trends`: group incidents and count, to find the pattern behind the failures.

use std::io::Write;

use crate::cmd::{Ctx, FilterArgs, parse_time, report_problems};
use crate::error::{Error, FOUND, Result};
use crate::model::Incident;
use crate::model::exposure::Shifts;
use crate::output::{self, Format};
use crate::report::computed::Computed;
use crate::report::control::{self, Window};
use crate::report::query;
use crate::report::query::Extras;
use crate::report::svg;
use crate::report::trends::{self, Dim, Options, Per, Seen, Sort, Trend};
use crate::time::Span;

/// Group incidents and count: when, who, what and where failures happen.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care trends --by weekday,hour,staff --sort surprise --top 5 the Wednesday-afternoon pattern
  care trends --by product --cumulative                         a Pareto: the few that matter
  care trends --by hour --bucket 30m --since \"90d ago\" --chart
  care trends --by weekday,hour --chart                         a heat map
  care trends --by weekday,hour --chart svg > heat.svg          the same, as a picture to mail
  care trends --by product,location --where region=midwest
  care trends --by staff --format csv | sqlite3 ...
  care trends --by week --control --since \"13w ago\" --exit-code   is this week a spike?
  care trends --by staff,weekday --per shift-hour --sort surprise    rates, from the rota

Filters (--where, --since, --until) are the same on every list; see docs/format.md.
Dimensions: hour, weekday, date, week, month, staff, owner, product, location, channel,
customer, busyness (10 % bands), tag, or any other field of the incidents.
Ordering: --sort count (default) is count descending, lift is lift descending, surprise is
the p-value ascending (then z), key is the natural order of the values (Mon..Sun, 00..23,
dates); ties always fall back to that order.
With two or more dimensions: expected (if the dimensions were independent, with the cells
found at q 0.05 given their own term so they do not bend the others), z, p (Poisson,
one-sided: P(count or more)) and q (Benjamini-Hochberg over every cell of the table) in
CSV/JSON; the table shows q. Rows with q < 0.05 are unlikely to be chance.
--cumulative runs over every row, before --min-count and --top hide any.
--control (one --by of date, week or month): every period of the window in time order,
empty ones too, with expected (the mean of the other complete periods), lcl and ucl
(expected -/+ 3 sigma; lcl only where above zero), z (the distance from expected, in
sigmas), sigma_z, signal and rule (which rule fired, e.g. \"above 3σ\", \"8 below centre\"),
and complete (the period in progress, or a first one the window cuts into, is judged but
kept out of the baseline). Sigma is the Poisson's, sqrt(expected), times sigma_z: when the
counts vary more than a Poisson's (Laney U', said on stderr), the limits widen. Rules
(Western Electric; --rules 1,2,4 is the default): 1 a point beyond 3 sigma, 2 two of three
beyond 2 sigma on one side, 3 four of five beyond 1 sigma on one side, 4 eight in a row on
one side. Rule 3 is left out by default: on weekly counts it adds more false alarms than
findings. Runs use complete periods only. Limits need --min-periods complete periods
(default 8). Incidents dated after now are left out, with a warning. --exit-code: 3 when
the latest complete period signals, or the one in progress is already above a whole
period's limit.
With an exposure file (care.yaml `exposure: shifts.csv`, see docs/format.md):
--per shift-hour (or cover) adds each group's shift_hours (covers) and its rate
(per_100_shift_hours, per_100_covers), for hour, weekday, date, week, month, staff and location;
groups worked without incidents show with --min-count 0; --sort rate orders by the rate;
expected, z, p and q are then against exposure (a person who simply works more is not
surprising). --control becomes a u-chart: each period's expected count is the other
periods' rate times its own shift-hours (covers with --per cover).")]
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
    /// Only groups with at least N incidents (default 1; 0 with --per lists every group
    /// worked, incidents or not).
    #[arg(long, value_name = "N")]
    pub min_count: Option<u64>,
    /// Rates from the book's exposure file: incidents per 100 shift-hours, or per 100 covers.
    #[arg(long, value_enum, value_name = "UNIT")]
    pub per: Option<Per>,
    /// With one dimension: add the running share of the rows so far (a Pareto column).
    #[arg(long)]
    pub cumulative: bool,
    /// Draw bars (or a weekday × hour heat map) instead of a table: in the terminal (`term`,
    /// the default), or as an SVG document on stdout (`svg`), e.g. for a weekly mail.
    #[arg(long, value_enum, value_name = "KIND", num_args = 0..=1, default_missing_value = "term")]
    #[arg(conflicts_with = "per")]
    pub chart: Option<Chart>,
    /// With one time dimension (date, week, month): every period with its expected count,
    /// control limits and the run rules that fired (`signal`, `rule`).
    #[arg(long, conflicts_with_all = ["cumulative", "top"])]
    pub control: bool,
    /// With --control: the Western Electric rules to apply, by number (1 beyond 3σ; 2 two of
    /// three beyond 2σ; 3 four of five beyond 1σ; 4 eight in a row on one side). Default
    /// 1,2,4: spikes, jumps and shifts, without rule 3's extra false alarms.
    #[arg(long, value_name = "LIST", value_delimiter = ',', requires = "control")]
    pub rules: Option<Vec<u8>>,
    /// With --control: the complete periods needed before limits are drawn (default 8).
    #[arg(long, value_name = "N", requires = "control")]
    pub min_periods: Option<usize>,
    /// With --control: exit 3 when the latest complete period signals (or the one in
    /// progress is already above a whole period's limit); 0 when not. For cron.
    #[arg(long, requires = "control")]
    pub exit_code: bool,
}

/// Where `--chart` draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Chart {
    /// Bars and shades in the terminal.
    Term,
    /// A standalone SVG document on stdout.
    Svg,
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write, format_given: bool) -> Result<()> {
    let opts = options(ctx, args)?;
    if args.chart.is_some() && format_given && ctx.style.format != Format::Table {
        return Err(Error::Usage("--chart draws for people; it cannot be combined with --format csv/tsv/json".into()));
    }
    if args.control {
        return control(ctx, args, out, &opts);
    }
    let clock = ctx.book.clock;
    // `returned` is computed from the customers' visits, read only when it is asked for.
    let add = |tally: &mut trends::Tally, incident: &Incident, fields: &Extras| {
        tally.add(Seen { incident, fields: Some(fields) }, &opts, &clock)
    };
    let (tally, seen, problems) = fold(ctx, args, &opts, add, trends::Tally::merge)?;
    trends::check_dims(&opts.dims, &query::INCIDENT_FIELDS, &seen.0)?;
    let shifts = exposure(ctx, args)?;
    let per = match (args.per, &shifts) {
        (Some(per), Some(shifts)) => {
            let now = ctx.book.clock.now();
            Some((per, trends::exposure(shifts, &opts.dims, opts.bucket, &opts.query, now, &ctx.book.clock, per)))
        }
        _ => None,
    };
    let trend = trends::finish_per(tally, &opts, per);
    let off_rota: u64 = trend.groups.iter().filter(|g| g.exposure == Some(0.0)).map(|g| g.count).sum();
    if off_rota > 0 {
        ctx.ui.warn(&format!(
            "{off_rota} incident(s) listed fall where nobody worked according to the exposure file (another staff name, a day it does not cover?): they have no rate"
        ));
    }
    if let Some(kind) = args.chart {
        chart(out, kind, &trend, &opts, output::terminal_width(ctx.book.settings.columns))?;
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
    if args.sort == Sort::Rate && args.per.is_none() {
        return Err(Error::Usage("--sort rate needs --per shift-hour or --per cover".into()));
    }
    if let (Some(per), Some(dim)) = (args.per, args.by.iter().find(|d| !trends::measures(d))) {
        let (_, rate) = per.columns();
        return Err(Error::Usage(format!(
            "--per: shifts measure when, who and where, not {}: a rate {rate} by {} has no exposure; group by hour, weekday, date, week, month, staff or location",
            dim.name(),
            dim.name()
        )));
    }
    if matches!(args.sort, Sort::Lift | Sort::Surprise) && args.by.len() < 2 {
        return Err(Error::Usage("--sort lift and --sort surprise need two or more --by dimensions".into()));
    }
    if args.control && !(args.by.len() == 1 && control::is_time(&args.by[0])) {
        return Err(Error::Usage(
            "--control charts counts over time: give one --by dimension, date, week or month".into(),
        ));
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
        min_count: args.min_count.unwrap_or(if args.per.is_some() { 0 } else { 1 }),
        cumulative: args.cumulative,
    })
}

/// The book's shifts when they are needed: for `--per` (which refuses to go without them)
/// and for `--control` (a u-chart when there are any).
fn exposure(ctx: &Ctx, args: &Args) -> Result<Option<Shifts>> {
    if args.per.is_none() && !args.control {
        return Ok(None);
    }
    let shifts = ctx.book.exposure()?;
    match (args.per, &shifts) {
        (Some(Per::ShiftHour | Per::Cover), None) => Err(Error::Usage(
            "--per needs an exposure file: name a CSV of shifts in care.yaml (exposure: shifts.csv; see docs/format.md)"
                .into(),
        )),
        (Some(Per::Cover), Some(s)) if !s.has_covers => Err(Error::Usage(
            "--per cover: the exposure file has no covers column; add one, or use --per shift-hour".into(),
        )),
        _ => Ok(shifts),
    }
}

/// `--control`: every period of the window with its limits and run rules (a u-chart on
/// the book's shifts when it has them); `--exit-code` answers whether the latest one is
/// out of control. It counts by day itself, to know the first incident's day and which
/// incidents are dated after now.
fn control(ctx: &Ctx, args: &Args, out: &mut dyn Write, opts: &Options) -> Result<()> {
    let settings = control_settings(args)?;
    let clock = ctx.book.clock;
    let add = |tally: &mut control::Tally, incident: &Incident, fields: &Extras| {
        tally.add(incident, fields, &opts.query, &clock)
    };
    let (tally, _, problems) = fold(ctx, args, opts, add, control::Tally::merge)?;
    let shifts = exposure(ctx, args)?;
    if tally.future > 0 {
        ctx.ui.warn(&format!(
            "{} incident(s) dated after now are left out of the chart (a wrong clock or a typo in `opened`?)",
            tally.future
        ));
    }
    let dim = &opts.dims[0];
    let counts = tally.by_period(dim);
    let local = |t: crate::time::Stamp| t.with_timezone(&clock.tz).naive_local();
    let end = local(opts.query.until.map_or(clock.now(), |u| u.min(clock.now())));
    let start = opts.query.since.map(local).or(tally.first_day());
    let periods = match start {
        Some(start) if start < end => control::periods(dim, Window { start, end }),
        _ => Vec::new(),
    };
    let per = args.per.unwrap_or(Per::ShiftHour);
    let worked: Option<std::collections::HashMap<String, f64>> = shifts.as_ref().map(|s| {
        let by_period = trends::exposure(s, &opts.dims, opts.bucket, &opts.query, clock.now(), &clock, per);
        by_period.into_iter().map(|(k, e)| (k[0].label.clone(), e)).collect()
    });
    let exposure = |l: &str| worked.as_ref().map_or(1.0, |w| w.get(l).copied().unwrap_or(0.0));
    let chart = control::chart(dim, &periods, |l| counts.get(l).copied().unwrap_or(0), exposure, &settings);
    match chart.sigma_z {
        None if !periods.is_empty() => ctx.ui.warn(&format!(
            "only {} complete period(s) in the window: at least {} are needed for control limits (--min-periods)",
            periods.iter().filter(|(_, complete)| *complete).count(),
            settings.min_periods
        )),
        // Under half a percent wider is no news (and would read "1.00×").
        Some(s) if s >= 1.005 => ctx.ui.say(&format!(
            "note: counts vary {s:.2}× more than a Poisson chart allows: limits widened (Laney U′, sigma_z)"
        )),
        _ => {}
    }
    if args.chart == Some(Chart::Svg) {
        let points: Vec<svg::Point> = chart
            .periods
            .iter()
            .map(|p| svg::Point {
                label: p.label.clone(),
                value: p.count as f64,
                centre: p.expected,
                lcl: p.lcl,
                ucl: p.ucl,
                signal: p.signal,
                complete: p.complete,
            })
            .collect();
        let title = format!("{}: control chart", title(opts));
        let axes = svg::Axes { title: &title, x: dim.name(), y: "incidents" };
        output::print_svg(out, &svg::control(axes, &points))?;
    } else if args.chart.is_some() {
        let total = chart.periods.iter().map(|p| p.count).sum::<u64>().max(1) as f64;
        let bars: Vec<(String, u64, f64)> = chart
            .periods
            .iter()
            .map(|p| (format!("{}{}", p.label, if p.signal { " !" } else { "" }), p.count, p.count as f64 / total))
            .collect();
        output::print_bars(out, &bars, output::terminal_width(ctx.book.settings.columns))?;
    } else {
        output::print(out, &ctx.style, &control::rows(&chart, worked.as_ref().map(|_| per)))?;
    }
    report_problems(ctx, &problems)?;
    if args.exit_code && chart.latest_out_of_control() {
        return Err(Error::Quiet(FOUND));
    }
    Ok(())
}

/// `--rules` and `--min-periods`, checked.
fn control_settings(args: &Args) -> Result<control::Settings> {
    let mut settings = control::Settings::default();
    if let Some(numbers) = &args.rules {
        let mut rules = Vec::new();
        for &n in numbers {
            let rule = control::Rule::numbered(n).ok_or_else(|| {
                Error::Usage(format!(
                    "--rules {n}: the rules are numbered 1 to 4 (1 beyond 3σ, 2 two of three beyond 2σ, 3 four of five beyond 1σ, 4 eight on one side)"
                ))
            })?;
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
        settings.rules = rules;
    }
    if let Some(n) = args.min_periods {
        if n < 2 {
            return Err(Error::Usage(format!(
                "--min-periods {n}: limits need at least 2 complete periods (8, the default, is safer)"
            )));
        }
        settings.min_periods = n;
    }
    Ok(settings)
}

/// Every incident that passes the filters, with the fields computed for it (`returned`),
/// added to a `T` on every core and merged; the fields the filters name checked against
/// those seen.
fn fold<T: Default + Send>(
    ctx: &Ctx,
    args: &Args,
    opts: &Options,
    add: impl Fn(&mut T, &Incident, &Extras) + Sync,
    merge: impl Fn(&mut T, T),
) -> Result<(T, query::Seen, Vec<Error>)> {
    let dims = args.by.iter().map(|d| d.name());
    let (computed, mut problems) = Computed::asked(&opts.query, dims, || ctx.book.visit_returns());
    let (parts, incident_problems) =
        ctx.book.fold_incidents(Default::default, |(all, seen): &mut (T, query::Seen), incident, fields| {
            let fields = computed.with(incident, fields);
            seen.add(&fields);
            add(all, incident, &fields);
        });
    problems.extend(incident_problems);
    let (mut all, mut seen) = (T::default(), query::Seen::default());
    for (part, s) in parts {
        merge(&mut all, part);
        seen.merge(s);
    }
    opts.query.check("incident", &query::INCIDENT_FIELDS, &seen.0)?;
    Ok((all, seen, problems))
}

/// The heading of a picture: what was counted, by what, so a mailed chart explains itself.
fn title(opts: &Options) -> String {
    format!("Incidents by {}", opts.dims.iter().map(Dim::name).collect::<Vec<_>>().join(" × "))
}

/// Bars, or a heat map when the dimensions are exactly weekday and hour.
fn chart(out: &mut dyn Write, kind: Chart, trend: &Trend, opts: &Options, width: usize) -> Result<()> {
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
        return match kind {
            Chart::Term => output::print_heatmap(out, &days, &hours, &counts),
            Chart::Svg => output::print_svg(out, &svg::heatmap(&title(opts), &days, &hours, &counts)),
        };
    }
    let bars: Vec<(String, u64, f64)> = trend
        .groups
        .iter()
        .map(|g| (g.values.iter().map(|v| v.label.as_str()).collect::<Vec<_>>().join(" · "), g.count, g.share))
        .collect();
    match kind {
        Chart::Term => output::print_bars(out, &bars, width),
        Chart::Svg => {
            let bars: Vec<svg::Bar> =
                bars.into_iter().map(|(label, count, share)| svg::Bar { label, count, share }).collect();
            if opts.cumulative {
                let title = format!("{}: Pareto", title(opts));
                let axes = svg::Axes { title: &title, x: opts.dims[0].name(), y: "incidents" };
                return output::print_svg(out, &svg::pareto(axes, &bars));
            }
            output::print_svg(out, &svg::bars(&title(opts), &bars))
        }
    }
}
