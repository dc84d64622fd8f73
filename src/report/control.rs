//! Control limits over time (`trends --by week --control`): is this period's count of
//! incidents within what the others make ordinary, or news worth a look today? A pattern
//! found by `patterns` is a steady excess; a spike (a new cook, a broken freezer) or a drop
//! (a fix that worked) is a period that breaks from its neighbours, and only a chart over
//! time shows it.
//!
//! The chart is a c-chart: counts of rare events are Poisson, so a period's expected count
//! is the mean count of the other periods and its limits are expected ± 3·√expected
//! (Shewhart's three sigma, the Poisson's variance being its mean). With an exposure per
//! period (hours worked, covers served) it becomes a u-chart: expected = the others' rate ×
//! this period's exposure, and the same limits in counts.
//!
//! Choices, each for a reason:
//! - **Overdispersion (Laney's U′)**: incidents on a rota are not Poisson week to week (the
//!   crew changes), so their counts vary more than √expected, and a plain chart cries wolf.
//!   As Laney (2002) proposed, each baseline period's distance from the baseline's rate is
//!   put in Poisson sigmas, z = (count − rate·exposure) / √(rate·exposure), and the spread of
//!   those z from one period to the next, σ_z = mean moving range ÷ 1.128 (d₂ for pairs),
//!   widens the limits: expected ± 3·σ_z·√expected. Moving ranges above the range chart's own
//!   limit (3.267 × their mean, D₄ for pairs) are left out and the mean taken again, as on
//!   an XmR chart, so that one spike does not widen the limits that should flag it. σ_z is
//!   floored at 1: Laney widens a Poisson chart, never narrows it.
//! - **Run rules (Western Electric)** on each period's distance from its expected count in
//!   those widened sigmas: 1 one point beyond 3σ; 2 two of three beyond 2σ on one side; 3 four
//!   of five beyond 1σ on one side; 4 eight in a row on one side of the centre. A rule is
//!   reported at the period that completes it (which is itself beyond the line). Runs are
//!   drawn only from complete periods that expect at least one incident: a period cut short
//!   is low for want of days, and where less than one incident is expected a period without
//!   any is the likeliest outcome, so eight of them in a row would be no news.
//! - **Every period shows, empty ones too**: a week without incidents is part of the
//!   baseline; leaving it out would raise the centre line and hide the next spike.
//! - **Leave one out**: a period is judged against the *other* periods, so a spike does
//!   not raise its own limit (with twelve weeks, one week at three times the usual count
//!   would otherwise lift the centre line by a sixth).
//! - **Only complete periods make the baseline**: the week in progress, or a first week
//!   the window cuts into, holds fewer days, and would drag the centre line down. An
//!   incomplete period is judged by rule 1 on the high side only: one already above a full
//!   period's limit is above it for certain, while being below it proves nothing.
//! - **At least [`MIN_PERIODS`] complete periods** (or what `--min-periods` says), or no
//!   limits at all: a handful of points make no baseline, and σ_z needs moving ranges.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

use crate::model::Extras;
use crate::model::Incident;
use crate::report::query::{IncidentView, Query};
use crate::report::trends::{Dim, Per};
use crate::rows::{Cell, Rows};
use crate::time::Clock;

/// Fewer complete periods than this (by default) and no limits are drawn.
pub const MIN_PERIODS: usize = 8;

/// d₂ for moving ranges of two: the mean range of two normal draws is 1.128 σ.
const D2: f64 = 1.128;
/// D₄ for moving ranges of two: the upper limit of a range chart, 3.267 × the mean range.
const D4: f64 = 3.267;
/// Runs need this many incidents expected in each of their periods (see the module comment).
const RUN_MIN_EXPECTED: f64 = 1.0;

/// A Western Electric rule, by its number in the handbook's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// One point beyond 3σ.
    Beyond3,
    /// Two of three in a row beyond 2σ on the same side.
    TwoOfThree,
    /// Four of five in a row beyond 1σ on the same side.
    FourOfFive,
    /// Eight in a row on the same side of the centre.
    EightInARow,
}

impl Rule {
    pub const ALL: [Rule; 4] = [Rule::Beyond3, Rule::TwoOfThree, Rule::FourOfFive, Rule::EightInARow];

    /// The rule's number, as `--rules` names it.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The rule numbered `n` (1 to 4).
    pub fn numbered(n: u8) -> Option<Rule> {
        Rule::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    /// (points that must be beyond the line, out of a window of this many, the line in σ).
    fn shape(self) -> (usize, usize, f64) {
        match self {
            Rule::Beyond3 => (1, 1, 3.0),
            Rule::TwoOfThree => (2, 3, 2.0),
            Rule::FourOfFive => (4, 5, 1.0),
            Rule::EightInARow => (8, 8, 0.0),
        }
    }
}

/// Which side of the centre a rule fired on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Above,
    Below,
}

/// A rule that fired at a period, and on which side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fired {
    pub rule: Rule,
    pub side: Side,
}

impl Fired {
    /// In words a manager reads: "above 3σ", "2 of 3 below 2σ", "8 above centre".
    pub fn words(self) -> String {
        let side = match self.side {
            Side::Above => "above",
            Side::Below => "below",
        };
        match self.rule {
            Rule::Beyond3 => format!("{side} 3σ"),
            Rule::TwoOfThree => format!("2 of 3 {side} 2σ"),
            Rule::FourOfFive => format!("4 of 5 {side} 1σ"),
            Rule::EightInARow => format!("8 {side} centre"),
        }
    }
}

/// What the chart is asked to do: which rules to apply, and how many complete periods
/// make a baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub rules: Vec<Rule>,
    pub min_periods: usize,
}

impl Default for Settings {
    /// Rules 1, 2 and 4: a spike, a jump that holds for a few periods, and a shift of the
    /// level (a fix that worked). Rule 3 adds more false alarms than it finds on weekly
    /// counts (see docs/guide.md).
    fn default() -> Settings {
        Settings { rules: vec![Rule::Beyond3, Rule::TwoOfThree, Rule::EightInARow], min_periods: MIN_PERIODS }
    }
}

/// One period of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub label: String,
    pub count: u64,
    /// Its exposure (shift-hours or covers worked in it) for a u-chart; 1 for a c-chart.
    pub exposure: f64,
    /// Whether every day of the period lies inside the window (so it joins the baseline).
    pub complete: bool,
    /// From the other complete periods; None when there are too few of them.
    pub expected: Option<f64>,
    /// The lower limit, only where it is above zero (a count cannot fall below zero).
    pub lcl: Option<f64>,
    pub ucl: Option<f64>,
    /// Distance from the expected count in (widened) sigmas; None without limits, or where
    /// nothing at all is expected.
    pub z: Option<f64>,
    /// The rules that fired here, in rule order.
    pub fired: Vec<Fired>,
    /// Some rule fired.
    pub signal: bool,
}

/// The chart: every period of the window in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub dim: Dim,
    pub periods: Vec<Period>,
    /// Laney's σ_z (1 when the counts vary no more than a Poisson chart allows); None
    /// without limits.
    pub sigma_z: Option<f64>,
}

impl Chart {
    /// What `--exit-code` asks: is the latest complete period a signal, or the one in
    /// progress already above a whole period's limit?
    pub fn latest_out_of_control(&self) -> bool {
        let last_complete = self.periods.iter().rposition(|p| p.complete);
        let in_progress = self.periods.last().filter(|p| !p.complete);
        last_complete.is_some_and(|i| self.periods[i].signal) || in_progress.is_some_and(|p| p.signal)
    }

    /// Whether limits could be drawn at all.
    pub fn has_limits(&self) -> bool {
        self.sigma_z.is_some()
    }
}

/// The time dimensions a chart can run over.
pub fn is_time(dim: &Dim) -> bool {
    matches!(dim, Dim::Date | Dim::Week | Dim::Month)
}

/// A day's label in a time dimension, exactly as `trends` labels an incident's.
pub fn label(dim: &Dim, day: NaiveDate) -> String {
    match dim {
        Dim::Week => {
            let w = day.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        Dim::Month => day.format("%Y-%m").to_string(),
        _ => day.format("%Y-%m-%d").to_string(),
    }
}

/// The first day of the period a label names (None for a label of another shape).
pub fn first_day(dim: &Dim, label: &str) -> Option<NaiveDate> {
    match dim {
        Dim::Week => {
            let (year, week) = label.split_once("-W")?;
            NaiveDate::from_isoywd_opt(year.parse().ok()?, week.parse().ok()?, chrono::Weekday::Mon)
        }
        Dim::Month => NaiveDate::parse_from_str(&format!("{label}-01"), "%Y-%m-%d").ok(),
        _ => NaiveDate::parse_from_str(label, "%Y-%m-%d").ok(),
    }
}

/// The incidents a chart counts, by local day, built incident by incident (on each core)
/// and merged; those dated after now are counted apart, to be left out and said.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub days: BTreeMap<NaiveDate, u64>,
    /// Incidents that pass the filters but are dated after now.
    pub future: u64,
}

impl Tally {
    /// Count one incident, if it passes the filters.
    pub fn add(&mut self, incident: &Incident, extras: &Extras, query: &Query, clock: &Clock) {
        if !query.in_window(incident.opened)
            || !query.matches(&IncidentView { incident, extras: Some(extras), tz: clock.tz })
        {
            return;
        }
        if incident.opened > clock.now() {
            self.future += 1;
            return;
        }
        *self.days.entry(incident.opened.with_timezone(&clock.tz).date_naive()).or_default() += 1;
    }

    /// Add another core's counts to these.
    pub fn merge(&mut self, other: Tally) {
        self.future += other.future;
        for (day, n) in other.days {
            *self.days.entry(day).or_default() += n;
        }
    }

    /// The counts per period of `dim`.
    pub fn by_period(&self, dim: &Dim) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for (&day, &n) in &self.days {
            *out.entry(label(dim, day)).or_default() += n;
        }
        out
    }

    /// Where the window starts when `--since` does not say: at midnight of the first
    /// incident's day. The book may have been kept before it, quietly, but nothing says so;
    /// a first period that began before that day is then cut short, and kept out of the
    /// baseline (unless the first incident falls on its first day).
    pub fn first_day(&self) -> Option<NaiveDateTime> {
        self.days.keys().next().and_then(|d| d.and_hms_opt(0, 0, 0))
    }
}

/// The window the chart covers, in the book's local time: from `start` (inclusive) to
/// `end` (exclusive).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

/// Every period overlapping the window, in order, with whether it lies wholly inside.
pub fn periods(dim: &Dim, window: Window) -> Vec<(String, bool)> {
    let mut out: Vec<String> = Vec::new();
    let last_day = (window.end - Duration::seconds(1)).date();
    let mut day = window.start.date();
    while day <= last_day {
        let l = label(dim, day);
        if out.last() != Some(&l) {
            out.push(l);
        }
        day = day.succ_opt().unwrap_or(day + Duration::days(1));
    }
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
    out.into_iter()
        .map(|l| {
            let first = first_day(dim, &l).unwrap_or(window.start.date());
            let after = next_first_day(dim, first);
            let whole = midnight(first) >= window.start && midnight(after) <= window.end;
            (l, whole)
        })
        .collect()
}

/// The first day of the period after the one starting on `first`.
fn next_first_day(dim: &Dim, first: NaiveDate) -> NaiveDate {
    match dim {
        Dim::Week => first + Duration::days(7),
        Dim::Month => first.checked_add_months(chrono::Months::new(1)).unwrap_or(first + Duration::days(31)),
        _ => first + Duration::days(1),
    }
}

/// Laney's σ_z from the baseline's (count, exposure) in time order: the mean moving range
/// of their z against the baseline's rate, screened once against D₄ × that mean, ÷ d₂,
/// floored at 1. A period where nothing is expected has no z and is passed over.
pub fn sigma_z(base: &[(u64, f64)]) -> f64 {
    let (c, e) = base.iter().fold((0.0, 0.0), |(c, e), &(n, x)| (c + n as f64, e + x));
    if e <= 0.0 {
        return 1.0;
    }
    let z: Vec<f64> = base
        .iter()
        .filter(|&&(_, x)| c / e * x > 0.0)
        .map(|&(n, x)| (n as f64 - c / e * x) / (c / e * x).sqrt())
        .collect();
    let ranges: Vec<f64> = z.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    let mean = |r: &[f64]| if r.is_empty() { 0.0 } else { r.iter().sum::<f64>() / r.len() as f64 };
    let first = mean(&ranges);
    let screened: Vec<f64> = ranges.iter().copied().filter(|&r| r <= D4 * first).collect();
    (mean(&screened) / D2).max(1.0)
}

/// The chart from each period's count (and exposure, for a u-chart; 1 each otherwise).
/// Periods beyond 3σ are set aside from the others' baseline and the limits drawn again,
/// once (Montgomery's revised trial limits): one spike must not lift the centre line under
/// every other period, or they would all sit below it, a false run. Only once: repeating
/// would peel away, a few periods a round, a whole stretch at a higher level.
pub fn chart(
    dim: &Dim,
    periods: &[(String, bool)],
    count: impl Fn(&str) -> u64,
    exposure: impl Fn(&str) -> f64,
    settings: &Settings,
) -> Chart {
    let rows: Vec<(u64, f64)> = periods.iter().map(|(l, _)| (count(l), exposure(l))).collect();
    let mut base: Vec<bool> = periods.iter().map(|(_, complete)| *complete).collect();
    let (mut out, mut sigma_z) = limits(periods, &rows, &base, settings.min_periods);
    if sigma_z.is_some() {
        let beyond: Vec<usize> = (0..out.len()).filter(|&i| base[i] && distance(&out[i]).abs() > 3.0).collect();
        let left = base.iter().filter(|&&b| b).count() - beyond.len();
        if !beyond.is_empty() && left >= settings.min_periods.max(2) {
            for i in beyond {
                base[i] = false;
            }
            (out, sigma_z) = limits(periods, &rows, &base, settings.min_periods);
        }
    }
    if sigma_z.is_some() {
        judge(&mut out, &settings.rules);
    }
    Chart { dim: dim.clone(), periods: out, sigma_z }
}

/// Expected counts and limits against the periods in `base`: leaving a period of it out of
/// its own, and the whole of it for the others. No limits with fewer than `min` in it.
fn limits(periods: &[(String, bool)], rows: &[(u64, f64)], base: &[bool], min: usize) -> (Vec<Period>, Option<f64>) {
    let kept: Vec<(u64, f64)> = (0..rows.len()).filter(|&i| base[i]).map(|i| rows[i]).collect();
    let (sum_c, sum_e) = kept.iter().fold((0u64, 0.0), |(c, e), &(n, x)| (c + n, e + x));
    let sigma_z = (kept.len() >= min.max(2) && sum_e > 0.0).then(|| sigma_z(&kept));
    let out = periods
        .iter()
        .zip(rows)
        .zip(base)
        .map(|(((label, complete), &(count, exposure)), &in_base)| {
            // Leave this period out of its own baseline (see the module comment).
            let (c, e) = if in_base { (sum_c - count, sum_e - exposure) } else { (sum_c, sum_e) };
            let expected = sigma_z.map(|_| if e > 0.0 { c as f64 / e * exposure } else { 0.0 });
            let sigma = expected.zip(sigma_z).map(|(m, s)| m.sqrt() * s);
            let z = expected.zip(sigma).filter(|&(_, s)| s > 0.0).map(|(m, s)| (count as f64 - m) / s);
            Period {
                label: label.clone(),
                count,
                exposure,
                complete: *complete,
                expected,
                lcl: expected.zip(sigma).map(|(m, s)| m - 3.0 * s).filter(|&l| l > 0.0),
                ucl: expected.zip(sigma).map(|(m, s)| m + 3.0 * s),
                z,
                fired: Vec::new(),
                signal: false,
            }
        })
        .collect();
    (out, sigma_z)
}

/// A period's signed distance from its expected count in sigmas; where nothing is
/// expected, any incident is beyond every line.
fn distance(p: &Period) -> f64 {
    match (p.z, p.expected) {
        (Some(z), _) => z,
        (None, Some(_)) if p.count > 0 => f64::INFINITY,
        _ => 0.0,
    }
}

/// Apply the rules, marking each period where one fires.
fn judge(periods: &mut [Period], rules: &[Rule]) {
    let in_runs = |p: &Period| p.complete && p.expected.is_some_and(|m| m >= RUN_MIN_EXPECTED);
    for i in 0..periods.len() {
        let mut fired = Vec::new();
        for &rule in rules {
            let (need, window, line) = rule.shape();
            for side in [Side::Above, Side::Below] {
                let sign = if side == Side::Above { 1.0 } else { -1.0 };
                let beyond = |p: &Period| sign * distance(p) > line;
                let hit = if rule == Rule::Beyond3 {
                    // An incomplete period proves something only by being high already.
                    beyond(&periods[i]) && (periods[i].complete || side == Side::Above)
                } else {
                    i + 1 >= window
                        && periods[i + 1 - window..=i].iter().all(in_runs)
                        && beyond(&periods[i])
                        && periods[i + 1 - window..=i].iter().filter(|p| beyond(p)).count() >= need
                };
                if hit {
                    fired.push(Fired { rule, side });
                }
            }
        }
        fired.sort_by_key(|f| f.rule);
        periods[i].signal = !fired.is_empty();
        periods[i].fired = fired;
    }
}

/// The chart as rows: the period, count, (for a u-chart, `per`: its exposure and rate),
/// expected, lcl, ucl, sigma_z, z, signal, rule, complete.
pub fn rows(chart: &Chart, per: Option<Per>) -> Rows {
    let mut columns = vec![chart.dim.name(), "count"];
    if let Some(per) = per {
        let (exposure, rate) = per.columns();
        columns.extend([exposure, rate]);
    }
    columns.extend(["expected", "lcl", "ucl", "sigma_z", "z", "signal", "rule", "complete"]);
    let mut rows = Rows::new(&columns);
    let ratio = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Ratio);
    for p in &chart.periods {
        let mut row = vec![Cell::Text(p.label.clone()), Cell::Int(p.count as i64)];
        if let Some(per) = per {
            row.extend([Cell::Ratio(p.exposure), per.rate(p.count, p.exposure).map_or(Cell::Empty, Cell::Ratio)]);
        }
        let rule = p.fired.iter().map(|f| f.words()).collect::<Vec<_>>().join(", ");
        row.extend([
            ratio(p.expected),
            ratio(p.lcl),
            ratio(p.ucl),
            ratio(chart.sigma_z),
            ratio(p.z),
            Cell::Bool(p.signal),
            if rule.is_empty() { Cell::Empty } else { Cell::Text(rule) },
            Cell::Bool(p.complete),
        ]);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time")
    }

    /// A chart of complete weekly counts (a c-chart), then `open` in progress.
    fn weekly(counts: &[u64], open: Option<u64>, settings: &Settings) -> Chart {
        let mut all: Vec<u64> = counts.to_vec();
        all.extend(open);
        let periods: Vec<(String, bool)> = (0..all.len()).map(|i| (format!("w{i:02}"), i < counts.len())).collect();
        let count = |l: &str| all[l[1..].parse::<usize>().expect("index")];
        chart(&Dim::Week, &periods, count, |_| 1.0, settings)
    }

    fn words(p: &Period) -> Vec<String> {
        p.fired.iter().map(|f| f.words()).collect()
    }

    #[test]
    fn labels_round_trip_to_their_first_day() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        assert_eq!(label(&Dim::Week, d), "2026-W47");
        assert_eq!(first_day(&Dim::Week, "2026-W47"), NaiveDate::from_ymd_opt(2026, 11, 16));
        assert_eq!(first_day(&Dim::Month, "2026-11"), NaiveDate::from_ymd_opt(2026, 11, 1));
        assert_eq!(first_day(&Dim::Date, "2026-11-22"), Some(d));
        // ISO weeks cross years: 2027-01-01 is a Friday of 2026-W53.
        assert_eq!(label(&Dim::Week, NaiveDate::from_ymd_opt(2027, 1, 1).expect("date")), "2026-W53");
    }

    #[test]
    fn the_period_in_progress_and_a_cut_first_period_are_incomplete() {
        // From Wednesday 2026-11-04 12:00, now Sunday 2026-11-22 19:42.
        let w = Window { start: at("2026-11-04 12:00"), end: at("2026-11-22 19:42") };
        let got = periods(&Dim::Week, w);
        assert_eq!(got, [("2026-W45".into(), false), ("2026-W46".into(), true), ("2026-W47".into(), false)]);
        // A first incident on the Wednesday: the week began before the book shows it.
        let w = Window { start: at("2026-11-04 00:00"), end: at("2026-11-23 00:00") };
        let got = periods(&Dim::Week, w);
        assert_eq!(got, [("2026-W45".into(), false), ("2026-W46".into(), true), ("2026-W47".into(), true)]);
        // On the Monday, the week is whole; by date, every day is.
        let w = Window { start: at("2026-11-02 00:00"), end: at("2026-11-09 00:00") };
        assert_eq!(periods(&Dim::Week, w), [("2026-W45".into(), true)]);
        assert!(periods(&Dim::Date, w).iter().all(|(_, whole)| *whole));
        // The first of the month by month.
        let w = Window { start: at("2026-10-01 00:00"), end: at("2026-11-22 19:42") };
        assert_eq!(periods(&Dim::Month, w), [("2026-10".into(), true), ("2026-11".into(), false)]);
    }

    #[test]
    fn c_chart_by_hand_with_leave_one_out() {
        // Eight complete weeks: 4, 6, 5, 5, 5, 6, 4, 16, and one in progress with 3.
        let c = weekly(&[4, 6, 5, 5, 5, 6, 4, 16], Some(3), &Settings::default());
        // The counts vary little apart from the spike, whose moving range into it (4.75
        // against a mean of 1.02) is screened out: σ_z stays at its floor of 1.
        assert_eq!(c.sigma_z, Some(1.0));
        // The spike against the other seven: mean 35/7 = 5, UCL 5 + 3·√5 = 11.708; the LCL
        // 5 − 6.708 is below zero, so there is none.
        let spike = &c.periods[7];
        assert!((spike.expected.expect("expected") - 5.0).abs() < 1e-9);
        assert!((spike.ucl.expect("ucl") - (5.0 + 3.0 * 5.0f64.sqrt())).abs() < 1e-9);
        assert_eq!(spike.lcl, None);
        assert!((spike.z.expect("z") - 11.0 / 5.0f64.sqrt()).abs() < 1e-9);
        assert_eq!(words(spike), ["above 3σ"]);
        // Week 0 against the others: 47/7. The week in progress against all eight: 51/8.
        assert!((c.periods[0].expected.expect("expected") - 47.0 / 7.0).abs() < 1e-9);
        assert!(!c.periods[0].signal);
        assert!((c.periods[8].expected.expect("expected") - 51.0 / 8.0).abs() < 1e-9);
        assert!(!c.periods[8].signal);
        // The last complete week is the spike: that is what --exit-code reports.
        assert!(c.latest_out_of_control());
    }

    #[test]
    fn laney_sigma_z_by_hand() {
        // Counts 4, 16, 4, 16 on equal exposure: rate 10 a period, z = ∓6/√10, and every
        // moving range is 12/√10.
        let base = [(4, 10.0), (16, 10.0), (4, 10.0), (16, 10.0)];
        let want = 12.0 / 10.0f64.sqrt() / 1.128;
        assert!((sigma_z(&base) - want).abs() < 1e-12, "{}", sigma_z(&base));
        // Steady counts vary less than a Poisson: the floor holds σ_z at 1.
        assert_eq!(sigma_z(&[(10, 1.0), (10, 1.0), (11, 1.0)]), 1.0);
        // One spike among steady counts: its two moving ranges are screened out.
        let base = [(9, 1.0), (11, 1.0), (9, 1.0), (11, 1.0), (9, 1.0), (11, 1.0), (60, 1.0), (9, 1.0), (11, 1.0)];
        let mean = 140.0 / 9.0;
        let z: Vec<f64> = base.iter().map(|&(c, _)| (c as f64 - mean) / mean.sqrt()).collect();
        let ranges: Vec<f64> = z.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
        let kept: Vec<f64> = ranges.iter().copied().filter(|&r| r < 5.0).collect();
        assert_eq!(kept.len(), 6);
        let want = (kept.iter().sum::<f64>() / 6.0 / 1.128).max(1.0);
        assert!((sigma_z(&base) - want).abs() < 1e-12);
    }

    #[test]
    fn overdispersed_counts_widen_the_limits_and_a_lower_limit_appears_above_zero() {
        // Four hundred a week, swinging by ±70: far more than √400 = 20 allows.
        let counts: Vec<u64> = (0..12).map(|i| if i % 2 == 0 { 330 } else { 470 }).collect();
        let c = weekly(&counts, None, &Settings::default());
        let s = c.sigma_z.expect("limits");
        // z = ∓70/20 alternating: every moving range is 7.
        assert!((s - 7.0 / 1.128).abs() < 1e-9, "{s}");
        let p = &c.periods[0];
        let m = p.expected.expect("expected");
        assert!((m - (400.0 * 12.0 - 330.0) / 11.0).abs() < 1e-9);
        assert!((p.ucl.expect("ucl") - (m + 3.0 * s * m.sqrt())).abs() < 1e-9);
        assert!((p.lcl.expect("lcl") - (m - 3.0 * s * m.sqrt())).abs() < 1e-9);
        // Widened, nothing signals: swinging is this process's ordinary.
        assert!(c.periods.iter().all(|p| !p.signal), "{c:?}");
        // A plain Poisson chart would have put this week below its lower limit.
        assert!(330.0 < m - 3.0 * m.sqrt());
    }

    #[test]
    fn a_drop_below_the_lower_limit_is_a_signal_but_a_short_week_is_not() {
        let mut counts = vec![50u64; 10];
        counts[4] = 45;
        counts[5] = 55;
        counts.push(20);
        let c = weekly(&counts, Some(10), &Settings::default());
        let drop = &c.periods[10];
        assert!(drop.lcl.is_some_and(|l| 20.0 < l), "{drop:?}");
        assert_eq!(words(drop), ["below 3σ"]);
        assert!(c.latest_out_of_control(), "the latest complete week dropped");
        // The week in progress is low for want of days: no signal.
        assert!(!c.periods[11].signal, "{:?}", c.periods[11]);
    }

    #[test]
    fn two_of_three_and_four_of_five_fire_where_they_complete() {
        // Steady at 98 and 102 by turns (σ 10), with 121, 99, 122 (two of three above 2σ:
        // rule 2 at the third), and later 88, 89, 100, 87, 88 (four of five below 1σ: rule 3
        // at the last).
        let mut counts: Vec<u64> = (0..20).map(|i| if i % 2 == 0 { 98 } else { 102 }).collect();
        counts[3] = 121;
        counts[4] = 99;
        counts[5] = 122;
        for (i, n) in [(12, 88), (13, 89), (14, 100), (15, 87), (16, 88)] {
            counts[i] = n;
        }
        let all = Settings { rules: Rule::ALL.to_vec(), min_periods: 8 };
        let c = weekly(&counts, None, &all);
        assert_eq!(c.sigma_z, Some(1.0), "steady: no widening");
        let fired: Vec<(usize, Vec<String>)> =
            c.periods.iter().enumerate().filter(|(_, p)| p.signal).map(|(i, p)| (i, words(p))).collect();
        assert_eq!(fired, [(5, vec!["2 of 3 above 2σ".to_string()]), (16, vec!["4 of 5 below 1σ".to_string()])]);
        // Rule 3 is not in the default: the dip goes unreported.
        let c = weekly(&counts, None, &Settings::default());
        assert!(c.periods[16].fired.is_empty());
        assert_eq!(words(&c.periods[5]), ["2 of 3 above 2σ"]);
    }

    #[test]
    fn eight_in_a_row_below_the_centre_is_a_shift_and_incomplete_periods_break_no_run() {
        // Twenty weeks around 30, then eight at 26-28 (each within 1σ of ~29, yet all below).
        let mut counts: Vec<u64> = (0..20).map(|i| [28, 32, 30, 29, 31][i % 5]).collect();
        counts.extend([27, 28, 26, 27, 28, 27, 26, 27]);
        let c = weekly(&counts, Some(2), &Settings::default());
        let fired: Vec<usize> = c.periods.iter().enumerate().filter(|(_, p)| p.signal).map(|(i, _)| i).collect();
        assert_eq!(fired, [27], "the eighth completes the run");
        assert_eq!(words(&c.periods[27]), ["8 below centre"]);
        // The week in progress (2 so far) neither extends nor reports a run.
        assert!(!c.periods[28].signal);
        assert!(c.latest_out_of_control());
        // Only rule 1 asked: no run is looked for.
        let one = Settings { rules: vec![Rule::Beyond3], min_periods: 8 };
        assert!(weekly(&counts, Some(2), &one).periods.iter().all(|p| !p.signal));
    }

    #[test]
    fn runs_need_an_expected_incident_a_period() {
        // Half an incident a week: nine quiet weeks in a row are the likeliest thing.
        let counts = [1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let c = weekly(&counts, None, &Settings::default());
        assert!(c.periods.iter().all(|p| p.expected.expect("limits") < 1.0));
        assert!(c.periods.iter().all(|p| !p.signal), "{c:?}");
    }

    #[test]
    fn few_periods_draw_no_limits_and_the_latest_complete_period_decides() {
        let c = weekly(&[5, 5, 5, 5, 5, 5, 30], None, &Settings::default());
        assert!(!c.has_limits() && !c.latest_out_of_control());
        assert!(c.periods.iter().all(|p| p.expected.is_none() && p.ucl.is_none() && p.z.is_none()));
        let three = Settings { min_periods: 3, ..Settings::default() };
        let c = weekly(&[5, 5, 5, 5, 5, 5, 30], None, &three);
        assert!(c.latest_out_of_control());
        // A u-chart: the last week worked six times the hours, so thirty is ordinary for it.
        let periods: Vec<(String, bool)> = ["a", "b", "c", "d"].iter().map(|l| (l.to_string(), true)).collect();
        let counts = |l: &str| if l == "d" { 30 } else { 5 };
        let c = chart(&Dim::Week, &periods, counts, |l| if l == "d" { 6.0 } else { 1.0 }, &three);
        assert!(!c.latest_out_of_control());
        assert!((c.periods[3].expected.expect("expected") - 30.0).abs() < 1e-9);
    }

    #[test]
    fn where_nothing_is_expected_an_incident_is_a_signal_and_none_is_not() {
        let three = Settings { min_periods: 3, ..Settings::default() };
        let c = weekly(&[0, 0, 0, 0, 2], None, &three);
        assert_eq!(c.periods[4].expected, Some(0.0));
        assert_eq!(c.periods[4].z, None);
        assert_eq!(words(&c.periods[4]), ["above 3σ"]);
        assert!(c.periods[..4].iter().all(|p| !p.signal));
    }

    #[test]
    fn rules_are_numbered_as_the_handbook_numbers_them() {
        assert_eq!(Rule::numbered(1), Some(Rule::Beyond3));
        assert_eq!(Rule::numbered(4), Some(Rule::EightInARow));
        assert_eq!(Rule::numbered(0), None);
        assert_eq!(Rule::numbered(5), None);
        assert!(Rule::ALL.iter().all(|r| Rule::numbered(r.number()) == Some(*r)));
    }
}
