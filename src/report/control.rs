//! Control limits over time (`trends --by week --control`): is this period's count of
//! incidents within what the others make ordinary, or a spike worth a look today? A
//! pattern found by `patterns` is a steady excess; a spike is a period that breaks from
//! its neighbours (a new cook, a broken freezer), and only a chart over time shows it.
//!
//! The chart is a c-chart: counts of rare, independent events are Poisson, so a period's
//! expected count is the mean count of the other periods and its upper control limit is
//! expected + 3·√expected (Shewhart's three sigma, with the Poisson's variance equal to its
//! mean). With an exposure per period (hours worked, covers served) it becomes a u-chart:
//! expected = the others' rate × this period's exposure, and the same limit in counts.
//!
//! Choices, each for a reason:
//! - **Every period shows, empty ones too**: a week without incidents is part of the
//!   baseline; leaving it out would raise the centre line and hide the next spike.
//! - **Leave one out**: a period is judged against the *other* periods, so a spike does
//!   not raise its own limit (with twelve weeks, one week at three times the usual count
//!   would otherwise lift the centre line by a sixth).
//! - **Only complete periods make the baseline**: the week in progress, or the first week
//!   when `--since` cuts into it, holds fewer days, and would drag the centre line down.
//!   An incomplete period is still judged: one already above a full period's limit is
//!   above it for certain.
//! - **Three or more complete periods**, or no limits at all: two points make no baseline.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

use crate::report::trends::{Dim, Per};
use crate::rows::{Cell, Rows};

/// Fewer complete periods than this and no limits are drawn.
pub const MIN_PERIODS: usize = 3;

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
    pub ucl: Option<f64>,
    /// Above the upper control limit.
    pub signal: bool,
}

/// The chart: every period of the window in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub dim: Dim,
    pub periods: Vec<Period>,
}

impl Chart {
    /// What `--exit-code` asks: is the latest complete period above its limit, or the one
    /// in progress already above a whole period's limit?
    pub fn latest_out_of_control(&self) -> bool {
        let last_complete = self.periods.iter().rposition(|p| p.complete);
        let in_progress = self.periods.last().filter(|p| !p.complete);
        last_complete.is_some_and(|i| self.periods[i].signal) || in_progress.is_some_and(|p| p.signal)
    }

    /// Whether limits could be drawn at all.
    pub fn has_limits(&self) -> bool {
        self.periods.iter().any(|p| p.ucl.is_some())
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

/// The window the chart covers, in the book's local time: from `start` (inclusive) to
/// `end` (exclusive). `start_known` is false when the window starts at the first incident
/// rather than at `--since`: the book is then taken to cover that first period whole.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: NaiveDateTime,
    pub start_known: bool,
    pub end: NaiveDateTime,
}

/// Every period overlapping the window, in order, with whether it lies wholly inside.
pub fn periods(dim: &Dim, window: Window) -> Vec<(String, bool)> {
    let mut out: Vec<(String, NaiveDate, NaiveDate)> = Vec::new();
    let last_day = (window.end - Duration::seconds(1)).date();
    let mut day = window.start.date();
    while day <= last_day {
        let l = label(dim, day);
        match out.last_mut() {
            Some((prev, _, until)) if *prev == l => *until = day,
            _ => out.push((l, day, day)),
        }
        day = day.succ_opt().unwrap_or(day + Duration::days(1));
    }
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
    out.into_iter()
        .enumerate()
        .map(|(i, (l, _, _))| {
            let first = first_day(dim, &l).unwrap_or(window.start.date());
            let after = next_first_day(dim, first);
            let starts_inside = midnight(first) >= window.start || (i == 0 && !window.start_known);
            (l, starts_inside && midnight(after) <= window.end)
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

/// The chart from each period's count (and exposure, for a u-chart; 1 each otherwise).
pub fn chart(
    dim: &Dim,
    periods: &[(String, bool)],
    count: impl Fn(&str) -> u64,
    exposure: impl Fn(&str) -> f64,
) -> Chart {
    let rows: Vec<(u64, f64)> = periods.iter().map(|(l, _)| (count(l), exposure(l))).collect();
    let base: Vec<usize> = (0..periods.len()).filter(|&i| periods[i].1).collect();
    let (sum_c, sum_e) = base.iter().fold((0u64, 0.0), |(c, e), &i| (c + rows[i].0, e + rows[i].1));
    let out = periods
        .iter()
        .zip(&rows)
        .map(|((label, complete), &(count, exposure))| {
            // Leave this period out of its own baseline (see the module comment).
            let (c, e) = if *complete { (sum_c - count, sum_e - exposure) } else { (sum_c, sum_e) };
            let expected = (base.len() >= MIN_PERIODS && e > 0.0).then(|| c as f64 / e * exposure);
            let ucl = expected.map(|m| m + 3.0 * m.sqrt());
            Period {
                label: label.clone(),
                count,
                exposure,
                complete: *complete,
                expected,
                ucl,
                signal: ucl.is_some_and(|u| count as f64 > u),
            }
        })
        .collect();
    Chart { dim: dim.clone(), periods: out }
}

/// The chart as rows: the period, count, (for a u-chart, `per`: its exposure and rate),
/// expected, ucl, signal, complete.
pub fn rows(chart: &Chart, per: Option<Per>) -> Rows {
    let mut columns = vec![chart.dim.name(), "count"];
    if let Some(per) = per {
        let (exposure, rate) = per.columns();
        columns.extend([exposure, rate]);
    }
    columns.extend(["expected", "ucl", "signal", "complete"]);
    let mut rows = Rows::new(&columns);
    for p in &chart.periods {
        let mut row = vec![Cell::Text(p.label.clone()), Cell::Int(p.count as i64)];
        if let Some(per) = per {
            row.extend([Cell::Ratio(p.exposure), per.rate(p.count, p.exposure).map_or(Cell::Empty, Cell::Ratio)]);
        }
        row.extend([
            p.expected.map_or(Cell::Empty, Cell::Ratio),
            p.ucl.map_or(Cell::Empty, Cell::Ratio),
            Cell::Bool(p.signal),
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
        // --since Wednesday 2026-11-04 12:00, now Sunday 2026-11-22 19:42.
        let w = Window { start: at("2026-11-04 12:00"), start_known: true, end: at("2026-11-22 19:42") };
        let got = periods(&Dim::Week, w);
        assert_eq!(got, [("2026-W45".into(), false), ("2026-W46".into(), true), ("2026-W47".into(), false)]);
        // Without --since the first period is taken whole; a window ending at midnight
        // Monday holds the week before it whole and nothing of the next.
        let w = Window { start: at("2026-11-04 12:00"), start_known: false, end: at("2026-11-23 00:00") };
        let got = periods(&Dim::Week, w);
        assert_eq!(got, [("2026-W45".into(), true), ("2026-W46".into(), true), ("2026-W47".into(), true)]);
    }

    #[test]
    fn c_chart_by_hand_with_leave_one_out() {
        // Five complete weeks: 4, 6, 5, 5, 16, and one in progress with 3.
        let labels = ["a", "b", "c", "d", "e", "f"];
        let counts = [4u64, 6, 5, 5, 16, 3];
        let periods: Vec<(String, bool)> = labels.iter().enumerate().map(|(i, l)| (l.to_string(), i < 5)).collect();
        let count = |l: &str| counts[labels.iter().position(|x| *x == l).expect("label")];
        let c = chart(&Dim::Week, &periods, count, |_| 1.0);
        // The spike against the other four: mean 5, UCL 5 + 3·√5 = 11.708.
        let spike = &c.periods[4];
        assert!((spike.expected.expect("expected") - 5.0).abs() < 1e-9);
        assert!((spike.ucl.expect("ucl") - (5.0 + 3.0 * 5.0f64.sqrt())).abs() < 1e-9);
        assert!(spike.signal);
        // Week a against b..e: mean 32/4 = 8, no signal. The week in progress is judged
        // against all five: mean 36/5 = 7.2.
        assert!((c.periods[0].expected.expect("expected") - 8.0).abs() < 1e-9);
        assert!(!c.periods[0].signal);
        assert!((c.periods[5].expected.expect("expected") - 7.2).abs() < 1e-9);
        // The last complete week is the spike: that is what --exit-code reports.
        assert!(c.latest_out_of_control());
    }

    #[test]
    fn the_latest_complete_period_decides_and_few_periods_draw_no_limits() {
        let periods: Vec<(String, bool)> = ["a", "b", "c", "d"].iter().map(|l| (l.to_string(), true)).collect();
        let counts = |l: &str| if l == "d" { 30 } else { 5 };
        let c = chart(&Dim::Week, &periods, counts, |_| 1.0);
        assert!(c.latest_out_of_control());
        // A u-chart: d worked six times the hours, so thirty is ordinary for it.
        let c = chart(&Dim::Week, &periods, counts, |l| if l == "d" { 6.0 } else { 1.0 });
        assert!(!c.latest_out_of_control());
        assert!((c.periods[3].expected.expect("expected") - 30.0).abs() < 1e-9);
        let two = chart(&Dim::Week, &periods[..2], counts, |_| 1.0);
        assert!(!two.has_limits() && !two.latest_out_of_control());
    }
}
