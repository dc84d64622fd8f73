//! Did the fix work? The incidents a corrective action is for, counted in a window before
//! it took effect and in a window of the same length after, and tested.
//!
//! The test: if the fix changed nothing, incidents keep arriving at the same Poisson rate,
//! and of the n seen in both windows together each fell in the after-window with
//! probability after ÷ (before + after) in length (½ for equal windows). So the count
//! after, given n, is binomial — the exact conditional test for two Poisson rates, which
//! needs no guess of the rate itself. One-sided both ways: `p` for "down" is P(X ≤ after),
//! and "worse" is checked the same way from the other side.
//!
//! With the book's shifts, the windows are weighed by the shift-hours worked in each (of
//! the staff, places and times the action's conditions name) instead of their length: a
//! defect that halves while the hours worked halve (a quiet season) has not gone down. The
//! same test, with `share_after` = hours after ÷ hours in both.
//!
//! Verdicts, in the order they are decided:
//! - `too early`: the after-window has not yet passed (a half-week with no incidents
//!   proves nothing), or the before-window holds so few incidents that even none after
//!   could not be told from chance (fewer than `MIN_BEFORE`: with equal windows, 0 after 5
//!   before has p = 1/32 < 0.05; 0 after 4 does not);
//! - `worked`: down, p < `ALPHA`;
//! - `worse`: up, P(X ≥ after) < `ALPHA`;
//! - `no change`: anything else — no evidence either way.

use statrs::distribution::{Binomial, DiscreteCDF};

use crate::model::action::Action;
use crate::rows::{Cell, Rows};
use crate::time::Stamp;

pub const ALPHA: f64 = 0.05;
pub const MIN_BEFORE: u64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Worked,
    NoChange,
    Worse,
    TooEarly,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Worked => "worked",
            Verdict::NoChange => "no change",
            Verdict::Worse => "worse",
            Verdict::TooEarly => "too early",
        }
    }
}

/// The two windows, as instants: before is [before_start, at), after is [at, after_end).
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    pub before_start: Stamp,
    pub at: Stamp,
    pub after_end: Stamp,
}

/// Incidents counted in each window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub before: u64,
    pub after: u64,
}

impl Counts {
    /// Count one matching incident opened at `t`.
    pub fn add(&mut self, t: Stamp, w: &Windows) {
        if t >= w.before_start && t < w.at {
            self.before += 1;
        } else if t >= w.at && t < w.after_end {
            self.after += 1;
        }
    }

    pub fn merge(&mut self, other: Counts) {
        self.before += other.before;
        self.after += other.after;
    }
}

/// The test's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verification {
    pub counts: Counts,
    /// What the after-window would hold at the before-window's rate.
    pub expected: f64,
    /// P(this few or fewer after, if nothing changed).
    pub p_down: f64,
    /// P(this many or more after, if nothing changed).
    pub p_up: f64,
    pub verdict: Verdict,
}

/// Test the counts; `elapsed` is whether the after-window has passed, `share_after` the
/// after-window's share of the two windows' length (½ when they are equal).
pub fn verify(counts: Counts, elapsed: bool, share_after: f64) -> Verification {
    let n = counts.before + counts.after;
    let expected = counts.before as f64 * share_after / (1.0 - share_after);
    let (p_down, p_up) = match Binomial::new(share_after, n) {
        Ok(b) if n > 0 => {
            let up = if counts.after == 0 { 1.0 } else { b.sf(counts.after - 1) };
            (b.cdf(counts.after), up)
        }
        _ => (1.0, 1.0),
    };
    let verdict = if !elapsed || counts.before < MIN_BEFORE {
        Verdict::TooEarly
    } else if p_down < ALPHA {
        Verdict::Worked
    } else if p_up < ALPHA {
        Verdict::Worse
    } else {
        Verdict::NoChange
    };
    Verification { counts, expected, p_down, p_up, verdict }
}

/// The one line a person reads; `hours` are the shift-hours worked before and after, when
/// the rates were per shift-hour.
pub fn sentence(action: &Action, v: &Verification, days: i64, hours: Option<(f64, f64)>) -> String {
    let (b, a) = (v.counts.before, v.counts.after);
    let counts = match hours {
        None => format!("{b} in the {days} days before, {a} in the {days} days after"),
        Some((hb, ha)) => format!(
            "{b} in the {days} days before ({hb:.0} shift-hours), {a} in the {days} days after ({ha:.0} shift-hours), compared per shift-hour"
        ),
    };
    match v.verdict {
        Verdict::Worked => format!("worked: {counts} (p = {}); {} is down", prob(v.p_down), action.filter.join(", ")),
        Verdict::Worse => format!("worse: {counts} (p = {}); {} is up", prob(v.p_up), action.filter.join(", ")),
        Verdict::NoChange => format!("no change: {counts} (p = {}): no evidence the fix worked", prob(v.p_down)),
        Verdict::TooEarly if b < MIN_BEFORE => format!(
            "too early: {counts}; with fewer than {MIN_BEFORE} before, no count after could show a change: try a longer --window"
        ),
        Verdict::TooEarly => format!("too early: {counts} so far; the after-window has not passed yet"),
    }
}

fn prob(p: f64) -> String {
    if p < 0.001 { format!("{p:.1e}") } else { format!("{p:.3}") }
}

/// One row per action: `action list`.
pub fn list_rows(actions: &[Action]) -> Rows {
    let mut rows = Rows::new(&["id", "at", "what", "for", "owner", "by"]);
    for a in actions {
        rows.push(vec![
            Cell::Text(a.id.clone()),
            Cell::Time(a.at),
            Cell::text(a.what.clone()),
            Cell::List(a.filter.clone()),
            Cell::opt(a.owner.clone()),
            Cell::text(a.by.clone()),
        ]);
    }
    rows
}

/// The verification as one row: `action verify` (with the shift-hours of each window
/// after the counts when the book has shifts).
pub fn verify_rows(action: &Action, v: &Verification, days: i64, hours: Option<(f64, f64)>) -> Rows {
    let mut columns = vec!["id", "what", "for", "window_days", "before", "after"];
    if hours.is_some() {
        columns.extend(["before_shift_hours", "after_shift_hours"]);
    }
    columns.extend(["expected", "p", "verdict", "sentence"]);
    let mut rows = Rows::new(&columns);
    let p = if v.verdict == Verdict::Worse { v.p_up } else { v.p_down };
    let mut row = vec![
        Cell::Text(action.id.clone()),
        Cell::text(action.what.clone()),
        Cell::List(action.filter.clone()),
        Cell::Int(days),
        Cell::Int(v.counts.before as i64),
        Cell::Int(v.counts.after as i64),
    ];
    if let Some((b, a)) = hours {
        row.extend([Cell::Ratio(b), Cell::Ratio(a)]);
    }
    row.extend([
        Cell::Ratio(v.expected),
        Cell::Prob(p),
        Cell::Text(v.verdict.name().to_string()),
        Cell::Text(sentence(action, v, days, hours)),
    ]);
    rows.push(row);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(before: u64, after: u64, elapsed: bool) -> Verification {
        verify(Counts { before, after }, elapsed, 0.5)
    }

    #[test]
    fn the_conditional_binomial_by_hand() {
        // 5 before, 0 after, equal windows: P(X ≤ 0 | n = 5, ½) = 1/32.
        let v = check(5, 0, true);
        assert!((v.p_down - 1.0 / 32.0).abs() < 1e-12);
        assert_eq!(v.verdict, Verdict::Worked);
        // 4 before, 0 after: 1/16 is not enough, and too few before to tell anyway.
        assert_eq!(check(4, 0, true).verdict, Verdict::TooEarly);
        // 20 before, 17 after: P(X ≤ 17 | 37, ½) ≈ 0.37.
        let v = check(20, 17, true);
        assert_eq!(v.verdict, Verdict::NoChange);
        assert!((v.p_down - 0.3714).abs() < 1e-3, "{v:?}");
        // 10 before, 25 after: P(X ≥ 25 | 35, ½) ≈ 0.0083.
        assert_eq!(check(10, 25, true).verdict, Verdict::Worse);
        // A window not yet passed is too early, whatever the counts.
        assert_eq!(check(50, 0, false).verdict, Verdict::TooEarly);
    }

    #[test]
    fn unequal_windows_shift_the_expectation() {
        // The after-window a third of the total: 30 before → 15 expected after.
        let v = verify(Counts { before: 30, after: 15 }, true, 1.0 / 3.0);
        assert!((v.expected - 15.0).abs() < 1e-9);
        assert_eq!(v.verdict, Verdict::NoChange);
    }
}
