//! Trends: group incidents by dimensions and count, to find the pattern behind the
//! failures ("around 3:30 pm on Wednesdays when Billy is on the job").
//!
//! For each group: `count`; `share` = count ÷ the number of incidents that passed the
//! filters; with two or more dimensions, `lift` = count ÷ the count expected if the
//! dimensions were independent, i.e. count ÷ (N × Π share of each value in its own
//! dimension). A lift well above 1 is a combination that happens more than chance says.
//! An incident with two tags counts once under each tag (so shares may add up past 100 %).
//! Missing values group under `(none)`.
//!
//! With two or more dimensions each group also gets how surprising its count is
//! (`report::stats`): `expected` (the independence count above, except that the cells
//! found at q 0.05 get their own term and the rest of the table is refitted without them,
//! `report::ipf`, so one strong cell does not bend its neighbours), `z` (Pearson residual),
//! `p` (one-sided Poisson upper tail: P(X ≥ count)) and `q` (Benjamini–Hochberg over every
//! cell of the table, the ones never seen included with p = 1). Lift alone ranks noise —
//! 13 incidents where 4 were expected has a lift of 3 and means little — so `--sort
//! surprise` orders by p (then z), and q says which rows would survive a false-discovery
//! rate. With one dimension, `--cumulative` adds the running share of the rows above (a
//! Pareto column: "these three products are 80 % of the failures"), over every row before
//! `--min-count` and `--top` hide any.
//!
//! With an exposure file (`model::exposure`) and `--per shift-hour` (or `cover`), each group
//! also gets its exposure (the shift-hours, or covers, worked in it) and a rate, for
//! dimensions the rota measures (`measures`): when, who and where, not what. Surprise is
//! then against exposure: the Poisson model with the group's exposure as its offset and
//! one rate per value of each dimension, fitted (`report::ipf`) so its expected counts add
//! up to the incidents of every value. With one value per dimension worked evenly this is
//! the independence count above; a person who simply works more Wednesday
//! afternoons gets a larger expectation there, not a pattern.
//!
//! Ordering, for ties too: `--sort count` (the default) is count descending, then the
//! dimension values in their natural order (weekdays Mon–Sun, hours, dates, busyness
//! bands, text alphabetically); `--sort lift` is lift descending, then the same;
//! `--sort key` is the natural order alone (for charts over time or over the day).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

use crate::model::Incident;
use crate::model::exposure::Shifts;
use crate::model::fields;
use crate::report::query::{self, IncidentView, Query};
use crate::report::{ipf, stats};
use crate::rows::{Cell, Rows};
use crate::time::{Clock, Stamp};
use chrono::{Datelike, Timelike};

pub const NONE: &str = "(none)";

/// The built-in dimensions' names, in the order `--help`, errors and completion give them;
/// those of the incident's own fields are the catalogue's (`model::fields`).
pub const DIMENSIONS: [&str; 13] = [
    "hour",
    "weekday",
    "date",
    "week",
    "month",
    fields::STAFF,
    fields::OWNER,
    fields::PRODUCT,
    fields::LOCATION,
    fields::CHANNEL,
    fields::CUSTOMER_ID,
    fields::BUSYNESS,
    "tag",
];

/// One way of grouping incidents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    Hour,
    Weekday,
    Date,
    Week,
    Month,
    Staff,
    Owner,
    Product,
    Location,
    Channel,
    Customer,
    Busyness,
    Tag,
    /// Any other top-level field of the incident (`region: midwest`).
    Field(String),
}

impl FromStr for Dim {
    type Err = String;

    fn from_str(s: &str) -> Result<Dim, String> {
        let s = s.trim();
        Ok(match s {
            "hour" => Dim::Hour,
            "weekday" => Dim::Weekday,
            "date" => Dim::Date,
            "week" => Dim::Week,
            "month" => Dim::Month,
            fields::STAFF => Dim::Staff,
            fields::OWNER => Dim::Owner,
            fields::PRODUCT => Dim::Product,
            fields::LOCATION => Dim::Location,
            fields::CHANNEL => Dim::Channel,
            fields::CUSTOMER_ID => Dim::Customer,
            fields::BUSYNESS => Dim::Busyness,
            "tag" | fields::TAGS => Dim::Tag,
            other if !other.is_empty() && other.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') => {
                Dim::Field(other.to_string())
            }
            other => {
                return Err(format!("{other:?} is not a dimension; use {}, or a field name", DIMENSIONS.join(", ")));
            }
        })
    }
}

/// Refuse a field dimension no incident has (`--by staf`, a typo, counted everything as
/// one "(none)" row): built in or extra in some incident (`seen`), as `--where` checks.
pub fn check_dims(dims: &[Dim], builtin: &[&str], seen: &BTreeSet<String>) -> crate::Result<()> {
    for dim in dims {
        let Dim::Field(name) = dim else { continue };
        if builtin.contains(&name.as_str()) || seen.contains(name) {
            continue;
        }
        let mut fields: Vec<&str> = builtin.iter().copied().chain(seen.iter().map(String::as_str)).collect();
        fields.sort_unstable();
        fields.dedup();
        return Err(crate::Error::Usage(format!(
            "--by {name}: no incident in this book has a field {name:?}; the dimensions are {}, and the fields: {}",
            DIMENSIONS.join(", "),
            fields.join(", ")
        )));
    }
    Ok(())
}

impl Dim {
    pub fn name(&self) -> &str {
        match self {
            Dim::Hour => "hour",
            Dim::Weekday => "weekday",
            Dim::Date => "date",
            Dim::Week => "week",
            Dim::Month => "month",
            Dim::Staff => fields::STAFF,
            Dim::Owner => fields::OWNER,
            Dim::Product => fields::PRODUCT,
            Dim::Location => fields::LOCATION,
            Dim::Channel => fields::CHANNEL,
            Dim::Customer => fields::CUSTOMER_ID,
            Dim::Busyness => fields::BUSYNESS,
            Dim::Tag => "tag",
            Dim::Field(f) => f,
        }
    }

    /// True when the value comes from a field the typed record does not hold.
    pub fn needs_fields(&self) -> bool {
        matches!(self, Dim::Field(_))
    }
}

/// A group's value in one dimension, with its place in the natural order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Value {
    rank: i64,
    pub label: String,
}

impl Value {
    fn text(label: impl Into<String>) -> Value {
        Value { rank: 0, label: label.into() }
    }

    /// The value of an incident that has none in a dimension.
    pub fn none() -> Value {
        Value::text(NONE)
    }

    fn ranked(rank: i64, label: String) -> Value {
        Value { rank, label }
    }
}

/// How an incident is seen by trends: the record and its other top-level scalar fields.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    pub incident: &'a Incident,
    pub fields: Option<&'a BTreeMap<String, String>>,
}

/// What to compute.
#[derive(Debug, Clone)]
pub struct Options {
    pub dims: Vec<Dim>,
    /// Slot length in minutes for the `hour` dimension (60: whole hours).
    pub bucket: u32,
    /// `--where`, `--since`, `--until`: which incidents count.
    pub query: Query,
    pub sort: Sort,
    pub top: Option<usize>,
    pub min_count: u64,
    /// Add the running share (Pareto) column.
    pub cumulative: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Sort {
    Count,
    Lift,
    Key,
    /// The most surprising first: p ascending, then z descending.
    Surprise,
    /// With `--per`: the highest rate first.
    Rate,
}

/// What a rate is per (`--per`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Per {
    /// Incidents per 100 hours worked on shift (each person's hours counted).
    ShiftHour,
    /// Incidents per 100 covers served.
    Cover,
}

impl Per {
    /// The exposure column's and the rate column's names.
    pub fn columns(self) -> (&'static str, &'static str) {
        match self {
            Per::ShiftHour => ("shift_hours", "per_100_shift_hours"),
            Per::Cover => ("covers", "per_100_covers"),
        }
    }

    /// The rate for a count on this much exposure, per 100 units: incidents are rare next
    /// to hours worked or covers served, and 0.17 reads where 0.0017 shows as 0.00.
    pub fn rate(self, count: u64, exposure: f64) -> Option<f64> {
        (exposure > 0.0).then(|| count as f64 / exposure * 100.0)
    }
}

/// Whether a rota measures a dimension: when a shift was, who worked it, where.
pub fn measures(dim: &Dim) -> bool {
    matches!(dim, Dim::Hour | Dim::Weekday | Dim::Date | Dim::Week | Dim::Month | Dim::Staff | Dim::Location)
}

/// The filter fields a shift has: a condition on any other (`product=wine`) is about
/// which incidents count, not about who was working, and leaves the exposure whole.
const SHIFT_FIELDS: [&str; 7] = [fields::STAFF, fields::LOCATION, "hour", "weekday", "date", "week", "month"];

/// Exposure per group of `dims` (each a dimension the rota `measures`): the shift-hours,
/// or covers, of every piece of every shift inside the window, up to `now` (a rota
/// written ahead is not yet worked), that passes the conditions on shift fields.
pub fn exposure(
    shifts: &Shifts,
    dims: &[Dim],
    bucket: u32,
    query: &Query,
    now: Stamp,
    clock: &Clock,
    per: Per,
) -> HashMap<Vec<Value>, f64> {
    let on_shift = Query {
        conds: query.conds.iter().filter(|c| SHIFT_FIELDS.contains(&c.field.as_str())).cloned().collect(),
        ..Query::default()
    };
    let until = Some(query.until.map_or(now, |u| u.min(now)));
    let step = gcd(bucket.max(1), 60);
    let mut out: HashMap<Vec<Value>, f64> = HashMap::new();
    for shift in &shifts.shifts {
        let mut seen = Incident::new("", "", shift.start);
        seen.staff = Some(shift.staff.clone());
        seen.location = shift.location.clone();
        for piece in shift.pieces(clock, step, query.since, until) {
            seen.opened = piece.at;
            if !on_shift.matches(&IncidentView { incident: &seen, extras: None, tz: clock.tz }) {
                continue;
            }
            let key: Vec<Value> = dims
                .iter()
                .map(|d| values(d, Seen { incident: &seen, fields: None }, clock, bucket).remove(0))
                .collect();
            *out.entry(key).or_default() += if per == Per::Cover { piece.covers } else { piece.hours };
        }
    }
    out
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// An incident's values in one dimension (several for tags, `(none)` when missing).
pub fn values(dim: &Dim, seen: Seen<'_>, clock: &Clock, bucket: u32) -> Vec<Value> {
    let i = seen.incident;
    let local = i.opened.with_timezone(&clock.tz);
    let text = |v: &Option<String>| vec![Value::text(v.as_deref().filter(|s| !s.is_empty()).unwrap_or(NONE))];
    match dim {
        Dim::Hour => {
            let minute = i64::from(local.hour() * 60 + local.minute());
            let start = minute - minute % i64::from(bucket.max(1));
            let label = if bucket >= 60 && bucket.is_multiple_of(60) {
                format!("{:02}", start / 60)
            } else {
                format!("{:02}:{:02}", start / 60, start % 60)
            };
            vec![Value::ranked(start, label)]
        }
        Dim::Weekday => {
            let d = local.weekday().num_days_from_monday();
            vec![Value::ranked(i64::from(d), WEEKDAYS[d as usize].to_string())]
        }
        Dim::Date => vec![Value::text(local.format("%Y-%m-%d").to_string())],
        Dim::Week => {
            let w = local.iso_week();
            vec![Value::text(format!("{}-W{:02}", w.year(), w.week()))]
        }
        Dim::Month => vec![Value::text(local.format("%Y-%m").to_string())],
        Dim::Staff => text(&i.staff),
        Dim::Owner => text(&i.owner),
        Dim::Product => text(&i.product),
        Dim::Location => text(&i.location),
        Dim::Channel => text(&i.channel),
        Dim::Customer => vec![Value::text(i.customer.clone())],
        Dim::Busyness => match i.busyness {
            Some(b) => vec![Value::ranked(i64::from(b.min(100) - b.min(100) % 10), query::band(b))],
            None => vec![Value::ranked(-1, NONE.to_string())],
        },
        Dim::Tag if i.tags.is_empty() => vec![Value::text(NONE)],
        Dim::Tag => {
            let mut tags: Vec<Value> = i.tags.iter().map(|t| Value::text(t.clone())).collect();
            tags.sort();
            tags.dedup();
            tags
        }
        Dim::Field(name) => text(&seen.fields.and_then(|f| f.get(name)).cloned()),
    }
}

/// One group of the result.
#[derive(Debug, Clone)]
pub struct Group {
    pub values: Vec<Value>,
    pub count: u64,
    pub share: f64,
    pub lift: Option<f64>,
    /// With two or more dimensions: how surprising the count is (see the module comment).
    pub surprise: Option<Surprise>,
    /// With `--cumulative`: count of this row and every row above, ÷ all rows' counts.
    pub cumulative: Option<f64>,
    /// With `--per`: the group's exposure, and its rate (None without exposure).
    pub exposure: Option<f64>,
    pub rate: Option<f64>,
}

/// A count against the count expected if the dimensions were independent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Surprise {
    pub expected: f64,
    pub z: f64,
    pub p: f64,
    pub q: f64,
}

/// The result: the groups in order, and the number of incidents counted.
#[derive(Debug, Clone)]
pub struct Trend {
    pub dims: Vec<Dim>,
    pub total: u64,
    pub groups: Vec<Group>,
    /// With `--per`: what the rates are per.
    pub per: Option<Per>,
}

/// Counts so far: built incident by incident (on each core), merged, then finished.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    total: u64,
    counts: HashMap<Vec<Value>, u64>,
}

impl Tally {
    /// Count one incident, if it passes the filters.
    pub fn add(&mut self, seen: Seen<'_>, opts: &Options, clock: &Clock) {
        if !opts.query.in_window(seen.incident.opened)
            || !opts.query.matches(&IncidentView { incident: seen.incident, extras: seen.fields, tz: clock.tz })
        {
            return;
        }
        self.total += 1;
        let per_dim: Vec<Vec<Value>> = opts.dims.iter().map(|d| values(d, seen, clock, opts.bucket)).collect();
        // This runs for every incident: values are moved, not cloned, when each dimension
        // has one (only tags can have several).
        if per_dim.iter().all(|v| v.len() == 1) {
            let key: Vec<Value> = per_dim.into_iter().flatten().collect();
            bump(&mut self.counts, &key);
        } else {
            for key in cross(&per_dim) {
                bump(&mut self.counts, &key);
            }
        }
    }

    /// Add another core's counts to these.
    pub fn merge(&mut self, other: Tally) {
        self.total += other.total;
        for (k, n) in other.counts {
            *self.counts.entry(k).or_default() += n;
        }
    }
}

/// Add one to a count, cloning the key only the first time it is seen.
fn bump<K: Clone + Eq + std::hash::Hash>(counts: &mut HashMap<K, u64>, key: &K) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => drop(counts.insert(key.clone(), 1)),
    }
}

/// Count incidents into groups.
pub fn compute<'a>(incidents: impl IntoIterator<Item = Seen<'a>>, opts: &Options, clock: &Clock) -> Trend {
    let mut tally = Tally::default();
    for seen in incidents {
        tally.add(seen, opts, clock);
    }
    finish(tally, opts)
}

/// Shares, lift, surprise, order, `--cumulative` and `--top` from the counts.
pub fn finish(tally: Tally, opts: &Options) -> Trend {
    finish_per(tally, opts, None)
}

/// `finish`, with rates and surprise against exposure when `per` gives each group's
/// exposure (see the module comment).
pub fn finish_per(tally: Tally, opts: &Options, per: Option<(Per, HashMap<Vec<Value>, f64>)>) -> Trend {
    let Tally { total, mut counts } = tally;
    let n = total as f64;
    let (unit, exposure) = match per {
        Some((unit, e)) => (Some(unit), Some(e)),
        None => (None, None),
    };
    // Every group worked is a group, incidents or not: a rate of 0 is an answer.
    for key in exposure.iter().flat_map(|e| e.keys()) {
        counts.entry(key.clone()).or_insert(0);
    }
    // Computed before `--min-count` and `--top` hide rows, so hiding rows never changes a q.
    let surprise = if opts.dims.len() >= 2 { surprises(&counts, exposure.as_ref()) } else { HashMap::new() };
    let mut groups: Vec<Group> = counts
        .into_iter()
        .map(|(values, count)| {
            let surprise = surprise.get(&values).copied();
            let lift = surprise.filter(|s| s.expected > 0.0).map(|s| count as f64 / s.expected);
            let worked = exposure.as_ref().map(|e| e.get(&values).copied().unwrap_or(0.0));
            let rate = unit.zip(worked).and_then(|(u, w)| u.rate(count, w));
            Group {
                values,
                count,
                share: count as f64 / n.max(1.0),
                lift,
                surprise,
                cumulative: None,
                exposure: worked,
                rate,
            }
        })
        .collect();
    groups.sort_by(|a, b| order(opts.sort, a, b));
    if opts.cumulative {
        pareto(&mut groups);
    }
    groups.retain(|g| g.count >= opts.min_count);
    if let Some(top) = opts.top {
        groups.truncate(top);
    }
    Trend { dims: opts.dims.clone(), total, groups, per: unit }
}

/// The running share of every row in order, over the same total as `share`'s when each
/// incident is one row (an incident with two tags is two rows: both then count rows).
fn pareto(groups: &mut [Group]) {
    let all: u64 = groups.iter().map(|g| g.count).sum();
    let mut running = 0;
    for g in groups {
        running += g.count;
        g.share = g.count as f64 / all.max(1) as f64;
        g.cumulative = Some(running as f64 / all.max(1) as f64);
    }
}

/// How surprising each cell of a table of two or more dimensions is, against the
/// quasi-independence model (`report::ipf`): the cells found at `ipf::HOLD_Q` get their own
/// term, refitted until the findings are stable. Each cell's expectation comes from the
/// table's own margins (an incident with two tags is in two cells); with exposure, the
/// hours worked in a cell are its weight, and a cell where nobody worked has none. q is
/// Benjamini–Hochberg over the cells that can exist: every combination of the values seen,
/// or with exposure every cell worked.
fn surprises(
    counts: &HashMap<Vec<Value>, u64>,
    exposure: Option<&HashMap<Vec<Value>, f64>>,
) -> HashMap<Vec<Value>, Surprise> {
    let table = Indexed::new(counts, exposure);
    let weight = |key: &[Value]| exposure.map_or(Some(1.0), |e| e.get(key).copied().filter(|w| *w > 0.0));
    let cells = match &table.weighted {
        Some(w) => ipf::Cells::Weighted(w),
        None => ipf::Cells::Every,
    };
    let family = match &table.weighted {
        Some(w) => w.len(),
        None => table.levels.iter().map(|l| l.len().max(1)).fold(1usize, usize::saturating_mul),
    };
    let keys: Vec<(&Vec<Value>, u64, Vec<u32>, f64)> =
        counts.iter().filter_map(|(key, &n)| Some((key, n, table.at(key)?, weight(key)?))).collect();
    let score = |held: &[usize]| {
        let held: Vec<ipf::Held> = held
            .iter()
            .map(|&i| ipf::Held { cell: keys[i].2.clone(), count: keys[i].1 as f64, weight: keys[i].3 })
            .collect();
        let model = ipf::fit(&table.observed, &cells, &held);
        let mut scored: Vec<Surprise> = keys
            .iter()
            .map(|(_, n, cell, w)| {
                let expected = model.expected(cell, *w);
                Surprise { expected, z: stats::z(*n, expected), p: stats::poisson_excess(*n, expected), q: 1.0 }
            })
            .collect();
        let ps: Vec<f64> = scored.iter().map(|s| s.p).collect();
        for (s, q) in scored.iter_mut().zip(stats::bh(&ps, family)) {
            s.q = q;
        }
        scored
    };
    let found = |scored: &Vec<Surprise>| (0..keys.len()).filter(|&i| scored[i].q <= ipf::HOLD_Q).collect();
    let scored = ipf::settle(score, found);
    keys.iter().zip(scored).map(|((key, ..), s)| ((*key).clone(), s)).collect()
}

/// A table's cells by level number, for the fit: each dimension's values (those with
/// incidents, or with hours worked), the observed margins over the cells that can hold
/// incidents, and with exposure the cells worked with their hours.
struct Indexed {
    levels: Vec<Vec<Value>>,
    ids: Vec<HashMap<Value, u32>>,
    observed: Vec<Vec<f64>>,
    weighted: Option<Vec<(Vec<u32>, f64)>>,
}

impl Indexed {
    fn new(counts: &HashMap<Vec<Value>, u64>, exposure: Option<&HashMap<Vec<Value>, f64>>) -> Indexed {
        let dims = counts.keys().chain(exposure.iter().flat_map(|e| e.keys())).map(Vec::len).max().unwrap_or(0);
        let mut table = Indexed {
            levels: vec![Vec::new(); dims],
            ids: vec![HashMap::new(); dims],
            observed: Vec::new(),
            weighted: None,
        };
        let mut keys: Vec<&Vec<Value>> = counts.keys().chain(exposure.iter().flat_map(|e| e.keys())).collect();
        keys.sort();
        for key in keys {
            for ((levels, ids), v) in table.levels.iter_mut().zip(&mut table.ids).zip(key) {
                if !ids.contains_key(v) {
                    ids.insert(v.clone(), levels.len() as u32);
                    levels.push(v.clone());
                }
            }
        }
        table.observed = table.levels.iter().map(|l| vec![0.0; l.len()]).collect();
        let worked = |key: &Vec<Value>| exposure.is_none_or(|e| e.get(key).is_some_and(|w| *w > 0.0));
        for (key, &n) in counts.iter().filter(|(key, _)| worked(key)) {
            for ((m, ids), v) in table.observed.iter_mut().zip(&table.ids).zip(key) {
                m[ids[v] as usize] += n as f64;
            }
        }
        table.weighted = exposure.map(|e| {
            let mut cells: Vec<(Vec<u32>, f64)> =
                e.iter().filter(|(_, w)| **w > 0.0).filter_map(|(k, w)| Some((table.at(k)?, *w))).collect();
            cells.sort_by(|a, b| a.0.cmp(&b.0));
            cells
        });
        table
    }

    fn at(&self, key: &[Value]) -> Option<Vec<u32>> {
        key.iter().zip(&self.ids).map(|(v, ids)| ids.get(v).copied()).collect()
    }
}

/// `--sort`, with the natural order of the values breaking every tie.
fn order(sort: Sort, a: &Group, b: &Group) -> std::cmp::Ordering {
    let by_key = a.values.cmp(&b.values);
    let lift = |g: &Group| g.lift.unwrap_or(0.0);
    match sort {
        Sort::Count => b.count.cmp(&a.count).then(by_key),
        Sort::Lift => lift(b).total_cmp(&lift(a)).then(b.count.cmp(&a.count)).then(by_key),
        Sort::Surprise => {
            let (p, z) = (|g: &Group| g.surprise.map_or(1.0, |s| s.p), |g: &Group| g.surprise.map_or(0.0, |s| s.z));
            p(a).total_cmp(&p(b)).then(z(b).total_cmp(&z(a))).then(b.count.cmp(&a.count)).then(by_key)
        }
        Sort::Rate => {
            let rate = |g: &Group| g.rate.unwrap_or(f64::INFINITY);
            rate(b).total_cmp(&rate(a)).then(b.count.cmp(&a.count)).then(by_key)
        }
        Sort::Key => by_key,
    }
}

/// Every combination of one value per dimension.
fn cross(per_dim: &[Vec<Value>]) -> Vec<Vec<Value>> {
    per_dim.iter().fold(vec![Vec::new()], |acc, vals| {
        acc.iter()
            .flat_map(|prefix| {
                vals.iter().map(move |v| {
                    let mut key = prefix.clone();
                    key.push(v.clone());
                    key
                })
            })
            .collect()
    })
}

/// The trend as rows: the dimensions, count, share; with two or more dimensions lift,
/// and (`detail`, for programs) expected, z and p, then q; `cumulative` when asked. A
/// person's table shows q alone of the statistics: it is the one that answers "is this real?".
pub fn rows(trend: &Trend, detail: bool) -> Rows {
    let mut columns: Vec<String> = trend.dims.iter().map(|d| d.name().to_string()).collect();
    columns.extend(["count".to_string(), "share".to_string()]);
    if let Some(per) = trend.per {
        let (exposure, rate) = per.columns();
        columns.extend([exposure.to_string(), rate.to_string()]);
    }
    let multi = trend.dims.len() >= 2;
    if multi {
        columns.push("lift".to_string());
        if detail {
            columns.extend(["expected", "z", "p"].map(String::from));
        }
        columns.push("q".to_string());
    }
    let cumulative = trend.groups.iter().any(|g| g.cumulative.is_some());
    if cumulative {
        columns.push("cumulative".to_string());
    }
    let mut rows = Rows { columns, rows: Vec::new() };
    for g in &trend.groups {
        let mut row: Vec<Cell> = g.values.iter().map(|v| Cell::Text(v.label.clone())).collect();
        row.push(Cell::Int(g.count as i64));
        row.push(Cell::Share(g.share));
        if trend.per.is_some() {
            row.push(g.exposure.map_or(Cell::Empty, Cell::Ratio));
            row.push(g.rate.map_or(Cell::Empty, Cell::Ratio));
        }
        match (multi, g.surprise) {
            (true, Some(s)) => {
                row.push(Cell::Ratio(g.lift.unwrap_or(0.0)));
                if detail {
                    row.extend([Cell::Ratio(s.expected), Cell::Ratio(s.z), Cell::Prob(s.p)]);
                }
                row.push(Cell::Prob(s.q));
            }
            // A group where nothing was worked has no expectation to be surprised by.
            (true, None) => row.extend(std::iter::repeat_n(Cell::Empty, if detail { 5 } else { 2 })),
            (false, _) => {}
        }
        if cumulative {
            row.push(Cell::opt(g.cumulative.map(Cell::Share)));
        }
        rows.rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn clock() -> Clock {
        Clock::at("2026-12-01T12:00:00Z", "America/New_York")
    }

    fn incident(opened: &str, staff: &str, tags: &[&str]) -> Incident {
        Incident {
            staff: Some(staff.into()),
            busyness: Some(95),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..Incident::new("x", "c", DateTime::parse_from_rfc3339(opened).expect("time"))
        }
    }

    fn opts(dims: &[&str]) -> Options {
        Options {
            dims: dims.iter().map(|d| d.parse().expect("dim")).collect(),
            bucket: 60,
            query: Query::default(),
            sort: Sort::Count,
            top: None,
            min_count: 1,
            cumulative: false,
        }
    }

    fn run(incidents: &[Incident], o: &Options) -> Trend {
        compute(incidents.iter().map(|incident| Seen { incident, fields: None }), o, &clock())
    }

    #[test]
    fn share_and_lift_by_hand() {
        // Wed 2026-11-18 15:10 EST twice with billy, once with joan; Thu with joan once.
        let data = [
            incident("2026-11-18T15:10:00-05:00", "billy", &[]),
            incident("2026-11-18T15:40:00-05:00", "billy", &[]),
            incident("2026-11-18T15:50:00-05:00", "joan", &[]),
            incident("2026-11-19T09:00:00-05:00", "joan", &[]),
        ];
        let t = run(&data, &opts(&["weekday", fields::STAFF]));
        assert_eq!(t.total, 4);
        let first = &t.groups[0];
        assert_eq!(first.values.iter().map(|v| v.label.as_str()).collect::<Vec<_>>(), ["Wed", "billy"]);
        assert_eq!(first.count, 2);
        assert!((first.share - 0.5).abs() < 1e-9);
        // Wed has 3/4, billy 2/4: expected 4 × 3/4 × 2/4 = 1.5, lift 2 / 1.5.
        assert!((first.lift.expect("lift") - 4.0 / 3.0).abs() < 1e-9);
        // Thu × joan: expected 4 × 1/4 × 2/4 = 0.5, lift 2.
        let thu = t.groups.iter().find(|g| g.values[0].label == "Thu").expect("thu");
        assert!((thu.lift.expect("lift") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn surprise_by_hand() {
        // The same four incidents: N = 4, Wed 3, Thu 1, billy 2, joan 2; 2 × 2 = 4 cells.
        let data = [
            incident("2026-11-18T15:10:00-05:00", "billy", &[]),
            incident("2026-11-18T15:40:00-05:00", "billy", &[]),
            incident("2026-11-18T15:50:00-05:00", "joan", &[]),
            incident("2026-11-19T09:00:00-05:00", "joan", &[]),
        ];
        let mut o = opts(&["weekday", fields::STAFF]);
        o.sort = Sort::Surprise;
        let t = run(&data, &o);
        let got: Vec<(&str, &str, Surprise)> = t
            .groups
            .iter()
            .map(|g| (g.values[0].label.as_str(), g.values[1].label.as_str(), g.surprise.expect("surprise")))
            .collect();
        // p: Thu·joan P(X ≥ 1 | 0.5) = 1 − e^−0.5 = 0.393469; Wed·billy P(X ≥ 2 | 1.5) =
        // 1 − 2.5 e^−1.5 = 0.442175; Wed·joan P(X ≥ 1 | 1.5) = 1 − e^−1.5 = 0.776870; the
        // unseen Thu·billy has p = 1. BH over 4: 4p/rank = 1.5739, 0.8843, 1.0358, 1 →
        // q = 0.8843, 0.8843, 1, 1.
        assert_eq!(
            got.iter().map(|(d, s, _)| (*d, *s)).collect::<Vec<_>>(),
            [("Thu", "joan"), ("Wed", "billy"), ("Wed", "joan")]
        );
        let want = [
            (0.5, std::f64::consts::FRAC_1_SQRT_2, 0.393469, 0.884349),
            (1.5, 0.408248, 0.442175, 0.884349),
            (1.5, -0.408248, 0.776870, 1.0),
        ];
        for ((_, _, s), (e, z, p, q)) in got.iter().zip(want) {
            assert!((s.expected - e).abs() < 1e-6 && (s.z - z).abs() < 1e-6, "{s:?}");
            assert!((s.p - p).abs() < 1e-6 && (s.q - q).abs() < 1e-6, "{s:?}");
        }
        // One dimension: no surprise, but a Pareto column on request, in the rows' order.
        let mut o = opts(&[fields::STAFF]);
        o.cumulative = true;
        let t = run(&data, &o);
        assert!(t.groups.iter().all(|g| g.surprise.is_none()));
        assert_eq!(t.groups.iter().map(|g| g.cumulative.expect("cumulative")).collect::<Vec<_>>(), [0.5, 1.0]);
    }

    #[test]
    fn rates_and_surprise_against_exposure_by_hand() {
        let text = "date,start,end,staff,location,covers\n\
                    2026-11-18,10:00,14:00,billy,,40\n2026-11-18,10:00,12:00,joan,,10\n\
                    2026-11-19,10:00,14:00,joan,,30\n2026-11-19,10:00,12:00,billy,,20\n";
        let shifts = crate::model::exposure::parse(std::path::Path::new("s.csv"), text, &clock()).expect("shifts");
        let data = [
            incident("2026-11-18T10:10:00-05:00", "billy", &[]),
            incident("2026-11-18T13:40:00-05:00", "billy", &[]),
            incident("2026-11-18T11:50:00-05:00", "joan", &[]),
            incident("2026-11-19T12:00:00-05:00", "joan", &[]),
        ];
        let mut o = opts(&[fields::STAFF, "weekday"]);
        o.min_count = 0;
        let now = clock().now();
        let worked = exposure(&shifts, &o.dims, 60, &o.query, now, &clock(), Per::ShiftHour);
        let mut tally = Tally::default();
        data.iter().for_each(|incident| tally.add(Seen { incident, fields: None }, &o, &clock()));
        let t = finish_per(tally, &o, Some((Per::ShiftHour, worked)));
        let get = |s: &str, d: &str| {
            t.groups.iter().find(|g| g.values[0].label == s && g.values[1].label == d).expect("group").clone()
        };
        let expected = |s: &str, d: &str| get(s, d).surprise.expect("surprise").expected;
        // Hours: billy Wed 4, Thu 2; joan Wed 2, Thu 4. Incidents: billy 2 (both Wed), joan
        // 2 (Wed, Thu). The Poisson model with hours as offset, fitted: its counts add up to
        // every margin (billy·Wed = x, billy·Thu = 2 − x, joan·Wed = 3 − x, joan·Thu = x − 1)
        // and keep the hours' cross ratio, x (x − 1) = (4·4 ÷ 2·2) (2 − x)(3 − x), so
        // 3x² − 19x + 24 = 0: x = (19 − √73) ÷ 6 = 1.7427.
        let billy = get("billy", "Wed");
        assert_eq!((billy.exposure, billy.rate), (Some(4.0), Some(50.0)));
        let x = (19.0 - 73f64.sqrt()) / 6.0;
        for (s, d, want) in
            [("billy", "Wed", x), ("billy", "Thu", 2.0 - x), ("joan", "Wed", 3.0 - x), ("joan", "Thu", x - 1.0)]
        {
            assert!((expected(s, d) - want).abs() < 1e-9, "{s}·{d}: {} vs {want}", expected(s, d));
        }
        assert_eq!(get("billy", "Thu").count, 0, "a group worked without incidents is a group");
        // Covers are per 100; a filter on a shift field narrows the hours, one on another
        // field (product) does not.
        let covers = exposure(&shifts, &o.dims, 60, &o.query, now, &clock(), Per::Cover);
        assert_eq!(covers.values().sum::<f64>(), 100.0);
        let q = Query {
            conds: vec!["staff=joan".parse().expect("cond"), "product=wine".parse().expect("cond")],
            ..Query::default()
        };
        let joan = exposure(&shifts, &[], 60, &q, now, &clock(), Per::ShiftHour);
        assert_eq!(joan.values().sum::<f64>(), 6.0);
    }

    #[test]
    fn hours_buckets_and_weekdays_are_local_and_in_natural_order() {
        let data = [
            incident("2026-11-18T20:40:00Z", "a", &[]), // 15:40 EST, Wednesday
            incident("2026-11-16T14:05:00Z", "a", &[]), // 09:05 EST, Monday
        ];
        let mut o = opts(&["weekday"]);
        o.sort = Sort::Key;
        let labels: Vec<String> = run(&data, &o).groups.iter().map(|g| g.values[0].label.clone()).collect();
        assert_eq!(labels, ["Mon", "Wed"]);
        let mut o = opts(&["hour"]);
        o.bucket = 30;
        let labels: Vec<String> = run(&data, &o).groups.iter().map(|g| g.values[0].label.clone()).collect();
        assert_eq!(labels, ["09:00", "15:30"]);
        assert_eq!(run(&data, &opts(&[fields::BUSYNESS])).groups[0].values[0].label, "90-99");
        assert_eq!(run(&data, &opts(&["week"])).groups[0].values[0].label, "2026-W47");
    }

    #[test]
    fn an_incident_with_two_tags_counts_under_each_and_filters_apply() {
        let data = [
            incident("2026-11-18T15:10:00-05:00", "billy", &["kitchen", "wait"]),
            incident("2026-11-19T15:10:00-05:00", "joan", &[]),
        ];
        let t = run(&data, &opts(&["tag"]));
        let got: Vec<(String, u64)> = t.groups.iter().map(|g| (g.values[0].label.clone(), g.count)).collect();
        assert_eq!(got, [("(none)".to_string(), 1), ("kitchen".to_string(), 1), ("wait".to_string(), 1)]);
        let mut o = opts(&[fields::STAFF]);
        o.query.conds = vec!["weekday=wed".parse().expect("filter")];
        assert_eq!(run(&data, &o).total, 1);
        o.query.conds = vec!["staff~^j".parse().expect("filter")];
        assert_eq!(run(&data, &o).groups[0].values[0].label, "joan");
    }
}
