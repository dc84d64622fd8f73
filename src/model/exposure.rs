//! Exposure: how much each person, place and hour worked, from a CSV of shifts, so reports
//! can give rates ("incidents per shift-hour") instead of counts. Without it a staff member
//! who simply works more Wednesdays looks like a Wednesday pattern.
//!
//! The file (`exposure: shifts.csv` in care.yaml), one shift a row, with a header:
//! `date,start,end,staff,location[,covers]` (columns in any order). Rules, each for a reason:
//! - times are wall-clock times in the book's zone, read as `time::Clock::local` reads
//!   computed times: a start or end the zone skips moves forward by the gap, a repeated
//!   one is the first. So a night shift across a DST change lasts what it really lasted
//!   (an hour more in the autumn, an hour less in the spring), as incidents are timed;
//! - an end at or before the start is the next day (a shift past midnight); `24:00` is
//!   the end of the day; a shift longer than a day is refused as a typing error;
//! - `location` may be empty (a book with one place), `staff` may not;
//! - `covers` (optional): the covers this person served in this shift; a shift is cut into
//!   pieces at every local slot boundary and its covers are shared among the pieces in
//!   proportion to their length.
//!
//! A bad row is an error naming file, line and column and what was expected: a rate built
//! on a half-read rota would be quietly wrong.

use std::path::Path;

use chrono::{Duration, NaiveDate, NaiveTime, Timelike};

use crate::error::{Error, Result};
use crate::time::{Clock, Stamp};

/// The columns a shifts file must have.
pub const COLUMNS: [&str; 5] = ["date", "start", "end", "staff", "location"];

/// One row of the file, its times resolved in the book's zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    pub start: Stamp,
    pub end: Stamp,
    pub staff: String,
    /// None when the cell was empty.
    pub location: Option<String>,
    pub covers: f64,
}

/// The whole file: its shifts, and whether it had a covers column at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shifts {
    pub shifts: Vec<Shift>,
    pub has_covers: bool,
}

/// A piece of a shift inside one slot of the local day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Piece {
    pub at: Stamp,
    pub hours: f64,
    pub covers: f64,
}

/// Parse a shifts file; errors name `path`, the line and the column.
pub fn parse(path: &Path, text: &str, clock: &Clock) -> Result<Shifts> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((h, header)) = lines.next() else {
        return Err(Error::data(path, 1, 1, format!("empty; expected a header: {},covers", COLUMNS.join(","))));
    };
    let header = split(path, h + 1, header.trim_start_matches('\u{feff}'))?;
    let mut at = [usize::MAX; 6];
    for (i, (col, name)) in header.iter().enumerate() {
        let name = name.trim().to_ascii_lowercase();
        let Some(k) = COLUMNS.iter().chain(&["covers"]).position(|c| *c == name) else {
            return Err(Error::data(
                path,
                h + 1,
                *col,
                format!("unknown column {name:?}; the columns are {},covers", COLUMNS.join(",")),
            ));
        };
        if at[k] != usize::MAX {
            return Err(Error::data(path, h + 1, *col, format!("column {name:?} appears twice")));
        }
        at[k] = i;
    }
    if let Some(k) = (0..5).find(|&k| at[k] == usize::MAX) {
        return Err(Error::data(
            path,
            h + 1,
            1,
            format!("no {:?} column; the header must name {} (and may add covers)", COLUMNS[k], COLUMNS.join(",")),
        ));
    }
    let has_covers = at[5] != usize::MAX;
    let mut shifts = Vec::new();
    for (n, line) in lines {
        let cells = split(path, n + 1, line)?;
        if cells.len() != header.len() {
            return Err(Error::data(
                path,
                n + 1,
                line.len() + 1,
                format!("{} cells where the header has {}", cells.len(), header.len()),
            ));
        }
        let cell = |k: usize| (cells[at[k]].0, cells[at[k]].1.trim());
        shifts.push(row(path, n + 1, clock, &cell, has_covers)?);
    }
    Ok(Shifts { shifts, has_covers })
}

/// One row's cells as a shift.
fn row<'a>(
    path: &Path,
    line: usize,
    clock: &Clock,
    cell: &dyn Fn(usize) -> (usize, &'a str),
    covers: bool,
) -> Result<Shift> {
    let bad = |k: usize, what: String| Error::data(path, line, cell(k).0, what);
    let (_, d) = cell(0);
    let date = NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .map_err(|_| bad(0, format!("date {d:?}: expected a date as YYYY-MM-DD, such as 2026-11-18")))?;
    let time = |k: usize| -> Result<(NaiveTime, bool)> {
        let (_, t) = cell(k);
        if t == "24:00" {
            return Ok((NaiveTime::MIN, true));
        }
        NaiveTime::parse_from_str(t, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
            .map(|t| (t, false))
            .map_err(|_| bad(k, format!("{} {t:?}: expected a time as HH:MM, such as 15:30", COLUMNS[k])))
    };
    let (start, start_next) = time(1)?;
    if start_next {
        return Err(bad(1, "start 24:00: a shift starts at 00:00 of the next day".into()));
    }
    let (end, end_midnight) = time(2)?;
    let next = date.succ_opt().unwrap_or(date);
    let end_day = if end_midnight || end <= start { next } else { date };
    let start = clock.local(date.and_time(start));
    let end = clock.local(end_day.and_time(end));
    if end <= start || end - start > Duration::hours(24) {
        let minutes = (end - start).num_minutes();
        return Err(bad(2, format!("the shift lasts {minutes} minutes: expected more than none and at most a day")));
    }
    let staff = cell(3).1;
    if staff.is_empty() {
        return Err(bad(3, "staff is empty: name who worked the shift".into()));
    }
    let location = Some(cell(4).1).filter(|l| !l.is_empty()).map(str::to_string);
    let covers = match (covers, covers.then(|| cell(5).1)) {
        (true, Some(c)) if !c.is_empty() => c
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| bad(5, format!("covers {c:?}: expected a number of covers, 0 or more")))?,
        _ => 0.0,
    };
    Ok(Shift { start, end, staff: staff.to_string(), location, covers })
}

/// A CSV line's cells with the column each starts at (1-based, in characters). Quotes
/// ("a, b" and "" inside) as spreadsheets write them; a cell never spans lines.
fn split(path: &Path, line: usize, text: &str) -> Result<Vec<(usize, String)>> {
    let text = text.strip_suffix('\r').unwrap_or(text);
    let mut cells = Vec::new();
    let mut chars = text.chars().enumerate().peekable();
    let mut start = 1;
    let mut cell = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '"' if quoted && chars.peek().is_some_and(|(_, n)| *n == '"') => {
                chars.next();
                cell.push('"');
            }
            '"' if quoted => quoted = false,
            '"' if cell.trim().is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
                cell.clear();
            }
            ',' if !quoted => {
                cells.push((start, std::mem::take(&mut cell)));
                start = i + 2;
                was_quoted = false;
            }
            c => cell.push(c),
        }
    }
    if quoted {
        return Err(Error::data(path, line, start, "a quote opened here is never closed (a cell cannot span lines)"));
    }
    cells.push((start, cell));
    Ok(cells)
}

impl Shift {
    /// The shift cut at every local boundary of `step` minutes (a divisor of the day), and
    /// clipped to [from, to): one piece per slot, with its share of the shift's covers.
    pub fn pieces(&self, clock: &Clock, step: u32, from: Option<Stamp>, to: Option<Stamp>) -> Vec<Piece> {
        let total = (self.end - self.start).num_seconds().max(1) as f64;
        let start = from.map_or(self.start, |f| f.max(self.start));
        let end = to.map_or(self.end, |t| t.min(self.end));
        let mut out = Vec::new();
        let mut at = start;
        while at < end {
            let next = next_boundary(clock, at, step).min(end);
            let secs = (next - at).num_seconds() as f64;
            out.push(Piece { at, hours: secs / 3600.0, covers: self.covers * secs / total });
            at = next;
        }
        out
    }
}

/// The first local slot boundary after `t`: a wall time, so a DST change moves it with the
/// clock (the repeated hour is one slot twice as long; the skipped one is no slot).
fn next_boundary(clock: &Clock, t: Stamp, step: u32) -> Stamp {
    let local = t.with_timezone(&clock.tz).naive_local();
    let minute = local.hour() * 60 + local.minute();
    let slot = i64::from(minute - minute % step.max(1) + step.max(1));
    let wall = local.date().and_time(NaiveTime::MIN) + Duration::minutes(slot);
    let next = clock.local(wall);
    if next > t { next } else { t + Duration::minutes(i64::from(step.max(1))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> Clock {
        Clock::at("2026-12-01T12:00:00Z", "America/New_York")
    }

    fn read(text: &str) -> Result<Shifts> {
        parse(Path::new("shifts.csv"), text, &clock())
    }

    fn hours(s: &Shift, step: u32) -> Vec<(String, f64)> {
        s.pieces(&clock(), step, None, None)
            .iter()
            .map(|p| (p.at.with_timezone(&clock().tz).format("%d %H:%M").to_string(), p.hours))
            .collect()
    }

    #[test]
    fn a_shift_past_midnight_ends_the_next_day_and_covers_are_shared_by_length() {
        let s = read("date,start,end,staff,location,covers\n2026-11-18,22:30,01:00,billy,downtown,50\n").expect("ok");
        assert!(s.has_covers);
        let shift = &s.shifts[0];
        assert_eq!(shift.end - shift.start, Duration::minutes(150));
        let pieces = shift.pieces(&clock(), 60, None, None);
        let got: Vec<(f64, f64)> = pieces.iter().map(|p| (p.hours, p.covers)).collect();
        assert_eq!(got, [(0.5, 10.0), (1.0, 20.0), (1.0, 20.0)]);
        // Clipped to a window, the covers stay the piece's share of the whole shift.
        let from = clock().local(NaiveDate::from_ymd_opt(2026, 11, 19).expect("d").and_time(NaiveTime::MIN));
        let clipped = shift.pieces(&clock(), 30, Some(from), None);
        assert_eq!(clipped.iter().map(|p| p.covers).sum::<f64>(), 20.0);
        assert_eq!(clipped.len(), 2);
    }

    #[test]
    fn dst_nights_last_what_they_lasted() {
        // New York falls back on 2026-11-01 (01:00 twice) and springs forward on 2026-03-08.
        let s = read("staff,date,start,end,location\njoan,2026-11-01,00:00,03:00,\njoan,2026-03-08,00:00,04:00,x\n")
            .expect("ok");
        assert!(!s.has_covers);
        assert_eq!(s.shifts[0].location, None);
        assert_eq!(
            hours(&s.shifts[0], 60),
            [("01 00:00".into(), 1.0), ("01 01:00".into(), 2.0), ("01 02:00".into(), 1.0)]
        );
        assert_eq!(
            hours(&s.shifts[1], 60),
            [("08 00:00".into(), 1.0), ("08 01:00".into(), 1.0), ("08 03:00".into(), 1.0)]
        );
        // 24:00 is the end of the day; quoted cells are read as spreadsheets write them.
        let s = read("date,start,end,staff,location\n2026-11-18,\"20:00\",24:00,\"o'brien, j\",\"a \"\"b\"\"\"\n")
            .expect("ok");
        assert_eq!(s.shifts[0].staff, "o'brien, j");
        assert_eq!(s.shifts[0].location.as_deref(), Some("a \"b\""));
        assert_eq!(s.shifts[0].end - s.shifts[0].start, Duration::hours(4));
    }

    #[test]
    fn bad_rows_name_their_line_and_column() {
        let err = |text: &str| read(text).expect_err("bad").to_string();
        let e = err("date,start,end,staff,location\n2026-11-18,9am,17:00,joan,x\n");
        assert!(e.contains("shifts.csv:2:12") && e.contains("HH:MM"), "{e}");
        let e = err("date,start,end,staff,location\n\n2026-11-31,09:00,17:00,joan,x\n");
        assert!(e.contains("shifts.csv:3:1") && e.contains("YYYY-MM-DD"), "{e}");
        let e = err("date,start,end,staff,location\n2026-11-18,09:00,17:00,,x\n");
        assert!(e.contains("shifts.csv:2:24") && e.contains("staff is empty"), "{e}");
        let e = err("date,start,end,staff\n");
        assert!(e.contains("shifts.csv:1:1") && e.contains("\"location\""), "{e}");
        let e = err("date,start,end,staff,location,tips\n");
        assert!(e.contains("shifts.csv:1:31") && e.contains("tips"), "{e}");
        let e = err("date,start,end,staff,location,covers\n2026-11-18,09:00,17:00,joan,x,-3\n");
        assert!(e.contains("shifts.csv:2:31") && e.contains("covers"), "{e}");
        let e = err("date,start,end,staff,location\n2026-11-18,09:00,17:00,joan\n");
        assert!(e.contains("shifts.csv:2:") && e.contains("4 cells where the header has 5"), "{e}");
        assert!(err("").contains("empty"));
    }
}
