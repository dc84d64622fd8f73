//! Time: the grammar people type (`20m`, `3d ago`, `yesterday 19:42`, `9am`, `last fri`) and
//! the book's clock.
//!
//! Every command reads times the same way, in the book's timezone, and `CARE_NOW` must
//! replace the clock everywhere at once, so both live here. What a bare clock time means
//! depends on what it is for (`Tense`): at 00:10 a step recorded `--at 23:45` happened last
//! night, while a follow-up due at 09:00 is this morning's or tomorrow's. A wall time a
//! person types that the zone skips (spring forward) is refused naming the gap, and one it
//! repeats (fall back) is the first, with a warning saying how to type the second. Times
//! the tool computes itself (the start of a day, a day later) never fail: there a skipped
//! time moves forward by the gap's length and a repeated one is the first.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, SecondsFormat,
    TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;

/// A moment as stored in a record: always with its UTC offset.
pub type Stamp = DateTime<FixedOffset>;

/// The book's clock: the current instant and the zone that local times are read in.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    now: DateTime<Utc>,
    pub tz: Tz,
}

impl Clock {
    pub fn new(now: DateTime<Utc>, tz: Tz) -> Clock {
        // Stored times carry whole seconds: what a person writes and reads back.
        let now = now.with_nanosecond(0).unwrap_or(now);
        Clock { now, tz }
    }

    /// The real clock, or the instant `CARE_NOW` gave (read by `Settings`).
    pub fn real_or(now: Option<DateTime<Utc>>, tz: Tz) -> Clock {
        Clock::new(now.unwrap_or_else(Utc::now), tz)
    }

    /// A clock stopped at an RFC 3339 instant, in a named zone: for tests.
    #[cfg(test)]
    pub fn at(now: &str, zone: &str) -> Clock {
        let now = DateTime::parse_from_rfc3339(now).expect("a test's RFC 3339 time").with_timezone(&Utc);
        Clock::new(now, zone.parse().expect("a test's IANA zone"))
    }

    /// Now, with the offset the book's zone has at this instant.
    pub fn now(&self) -> Stamp {
        self.in_zone(self.now)
    }

    pub fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.tz).date_naive()
    }

    /// Any instant, expressed with the offset the book's zone has at that instant.
    pub fn in_zone<Z: TimeZone>(&self, t: DateTime<Z>) -> Stamp {
        t.with_timezone(&self.tz).fixed_offset()
    }

    /// The instant a wall-clock time in the book's zone stands for (see the module note).
    pub fn local(&self, naive: NaiveDateTime) -> Stamp {
        match self.tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => t.fixed_offset(),
            LocalResult::Ambiguous(first, _) => first.fixed_offset(),
            LocalResult::None => {
                // In a gap: the offset before the gap, applied to the wall time, lands
                // exactly "the gap's length later" once expressed in the new offset.
                let before = self.tz.offset_from_utc_datetime(&(naive - Duration::days(1)));
                let utc = naive - Duration::seconds(i64::from(before.fix().local_minus_utc()));
                self.in_zone(Utc.from_utc_datetime(&utc))
            }
        }
    }

    /// Midnight at the start of a date, in the book's zone.
    pub fn start_of(&self, date: NaiveDate) -> Stamp {
        self.local(date.and_time(NaiveTime::MIN))
    }

    /// Add a span: minutes and hours as elapsed time, days and weeks as calendar days
    /// (a `1d` check-in after a noon fix is due at noon the next day, across DST too).
    pub fn add(&self, t: Stamp, span: Span) -> Stamp {
        let mut out = t;
        if span.days != 0 {
            let wall = t.with_timezone(&self.tz).naive_local() + Duration::days(span.days);
            out = self.local(wall);
        }
        self.in_zone(out + Duration::minutes(span.minutes))
    }

    /// Read a time as people type it, for something whose tense is `tense` (see `Tense`).
    ///
    /// Grammar: RFC 3339 (an offset makes it exact); `now`; offsets from now (`20m`, `+2h`,
    /// `-2h`, `3d ago`, `in 1w`); a day, a clock time, or a day followed by a clock time.
    /// Days: `YYYY-MM-DD`, `today`, `yesterday`, `tomorrow`, a weekday (`mon`, `monday`),
    /// `last mon`, `next fri`. Clock times: `19:42`, `19:42:30`, `9am`, `3pm`, `9:30pm`,
    /// `noon`, `midnight`. A day alone is its midnight. A wall time the book's zone skips
    /// (spring forward) is refused naming the gap; one it repeats (fall back) is the first,
    /// with a warning saying how to type the second.
    pub fn read(&self, input: &str, tense: Tense) -> Result<When, TimeError> {
        let s = input.trim();
        let lower = normalise(s);
        let plain = |at: Stamp| When { at, warning: None };
        let when = if lower == "now" {
            plain(self.now())
        } else if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            plain(t.with_nanosecond(0).unwrap_or(t))
        } else if let Some(span) = parse_offset(&lower) {
            plain(self.add(self.now(), span))
        } else {
            let (day, clock) = split_day_and_clock(&lower).ok_or_else(|| TimeError::Unreadable(unreadable(input)))?;
            match clock {
                None => plain(self.start_of(self.resolve_day(day, None, tense))),
                Some(time) => {
                    let date = self.resolve_day(day, Some(time), tense);
                    self.strict_local(date.and_time(time))?
                }
            }
        };
        check_range(input, &when.at)?;
        if tense == Tense::Past && when.at > self.now() + Duration::minutes(FUTURE_SLACK_MINUTES) {
            let ahead = time_ahead((when.at - self.now()).num_minutes());
            return Err(TimeError::Refused(format!(
                "{input:?} is {ahead} from now ({}), but this records something that already happened; \
                 type a time in the past, e.g. \"yesterday 23:45\" or \"2h ago\"",
                self.show(&when.at)
            )));
        }
        Ok(when)
    }

    /// `read` for something at any time, keeping only the instant: for imports and tests.
    pub fn parse_time(&self, input: &str) -> Result<Stamp, String> {
        self.read(input, Tense::Any).map(|w| w.at).map_err(|e| e.to_string())
    }

    /// The date a day phrase stands for. A bare weekday or clock time is its most recent
    /// occurrence for the past, its next for what is scheduled, and this week's or today's
    /// otherwise; `last`/`next` always mean a day before/after today.
    fn resolve_day(&self, day: Day, time: Option<NaiveTime>, tense: Tense) -> NaiveDate {
        let today = self.today();
        let now_local = self.now.with_timezone(&self.tz).naive_local();
        let now_time = now_local.time();
        // A clock time at most a few minutes ahead is now by a watch that runs fast: that
        // day's occurrence (tomorrow's, typed just before midnight), not yesterday's.
        let slack = Duration::minutes(FUTURE_SLACK_MINUTES);
        let near = |d: Option<NaiveDate>| {
            let gap = d.zip(time).map(|(d, t)| d.and_time(t) - now_local);
            gap.is_some_and(|gap| gap > Duration::zero() && gap <= slack)
        };
        // Today's occurrence is already over (for the future) or still to come (for the past).
        let over = time.is_none_or(|t| t < now_time);
        let to_come = time.is_some_and(|t| t > now_time) && !near(Some(today));
        match day {
            Day::Date(d) => d,
            Day::Implied => match tense {
                Tense::Past if near(today.succ_opt()) => today.succ_opt().unwrap_or(today),
                Tense::Past if to_come => today.pred_opt().unwrap_or(today),
                Tense::Next if over => today.succ_opt().unwrap_or(today),
                _ => today,
            },
            Day::Weekday(wd, Which::Last) => back_to(today.pred_opt().unwrap_or(today), wd),
            Day::Weekday(wd, Which::Next) => forward_to(today.succ_opt().unwrap_or(today), wd),
            Day::Weekday(wd, Which::Nearest) => match tense {
                Tense::Next if today.weekday() == wd && over => forward_to(today + Duration::days(1), wd),
                Tense::Next => forward_to(today, wd),
                Tense::Past if today.weekday() == wd && to_come => back_to(today - Duration::days(1), wd),
                _ => back_to(today, wd),
            },
            Day::Offset(n) => today + Duration::days(n),
        }
    }

    /// The instant a wall time typed by a person stands for, refusing one that the zone
    /// skips and warning about one that it repeats.
    fn strict_local(&self, naive: NaiveDateTime) -> Result<When, TimeError> {
        match self.tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => Ok(When { at: t.fixed_offset(), warning: None }),
            LocalResult::Ambiguous(first, second) => {
                let (a, b) = (first.fixed_offset(), second.fixed_offset());
                Ok(When {
                    at: a,
                    warning: Some(format!(
                        "{} happens twice in {} (the clocks go back that night); took the first, {} ({}); \
                         for the second type {}",
                        naive.format("%Y-%m-%d %H:%M"),
                        self.tz.name(),
                        rfc3339(&a),
                        first.format("%Z"),
                        rfc3339(&b),
                    )),
                })
            }
            LocalResult::None => {
                let valid = |n: &NaiveDateTime| !matches!(self.tz.from_local_datetime(n), LocalResult::None);
                let minute = Duration::minutes(1);
                let (mut before, mut after) = (naive - minute, naive + minute);
                for _ in 0..(48 * 60) {
                    if valid(&before) {
                        break;
                    }
                    before -= minute;
                }
                for _ in 0..(48 * 60) {
                    if valid(&after) {
                        break;
                    }
                    after += minute;
                }
                Err(TimeError::Unreadable(format!(
                    "{} does not exist in {}: the clocks jump from {} to {} that night; \
                     type {} (just before) or {} (just after)",
                    naive.format("%Y-%m-%d %H:%M"),
                    self.tz.name(),
                    (before + minute).format("%H:%M"),
                    after.format("%H:%M"),
                    before.format("%H:%M"),
                    after.format("%H:%M"),
                )))
            }
        }
    }

    /// Read a date as people type it: `YYYY-MM-DD` or any day `read` takes.
    pub fn parse_date(&self, input: &str) -> Result<NaiveDate, String> {
        if let Ok(date) = NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d") {
            check_range(input, &self.start_of(date)).map_err(|e| e.to_string())?;
            return Ok(date);
        }
        self.parse_time(input)
            .map(|t| t.with_timezone(&self.tz).date_naive())
            .map_err(|e| e.replace("as a time", "as a date"))
    }

    /// A stored time as a person reads it: wall-clock time in the book's zone.
    pub fn show(&self, t: &Stamp) -> String {
        let local = t.with_timezone(&self.tz);
        if local.date_naive() == self.today() {
            local.format("today %H:%M").to_string()
        } else {
            local.format("%Y-%m-%d %H:%M").to_string()
        }
    }
}

/// What a typed time is about, which decides what a bare clock time or weekday means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tense {
    /// Something that already happened (a step, a note, a follow-up done): a bare clock
    /// time is its most recent occurrence (at 00:10, `23:45` is last night), and a time
    /// more than a few minutes ahead of now is refused.
    Past,
    /// Something scheduled (a follow-up's due time): a bare clock time or weekday is its
    /// next occurrence.
    Next,
    /// A bound or a reference (`--since`, `followup due --at`): a bare clock time is today.
    Any,
}

/// A time that was read, and what the person should know about how it was read.
#[derive(Debug, Clone)]
pub struct When {
    pub at: Stamp,
    /// Set when the wall time happens twice and the first was taken.
    pub warning: Option<String>,
}

/// Why a typed time was not taken: it could not be read (bad usage), or it was read and
/// is refused (a past event in the future).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    Unreadable(String),
    Refused(String),
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::Unreadable(m) | TimeError::Refused(m) => f.write_str(m),
        }
    }
}

/// A clock skewed by a few minutes, or a note typed as it happens, is not "in the future".
pub const FUTURE_SLACK_MINUTES: i64 = 5;

/// Years outside these are typos (`0001-01-01`, `9999-12-31`), not service history.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

fn check_range(input: &str, t: &Stamp) -> Result<(), TimeError> {
    if YEARS.contains(&t.year()) {
        return Ok(());
    }
    Err(TimeError::Unreadable(format!(
        "{input:?} is in the year {}; times must fall between {} and {}",
        t.year(),
        YEARS.start(),
        YEARS.end()
    )))
}

fn unreadable(input: &str) -> String {
    format!(
        "cannot read {input:?} as a time; use RFC 3339, 2026-11-22, \"2026-11-22 19:42\", 19:42, 9am, 9:30pm, \
         noon, now, today, yesterday, tomorrow, mon, \"last fri\", \"next tue\", \"yesterday 19:42\", \
         \"tomorrow 9am\", 20m, -2h, \"3d ago\" or \"in 1w\""
    )
}

fn time_ahead(minutes: i64) -> String {
    human_minutes(minutes)
}

/// The day part of a typed time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Day {
    Date(NaiveDate),
    /// `today` (0), `yesterday` (-1), `tomorrow` (1).
    Offset(i64),
    Weekday(Weekday, Which),
    /// Only a clock time was typed.
    Implied,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Last,
    Next,
    Nearest,
}

/// Lower case, single spaces, and `9 am` glued to `9am`.
fn normalise(s: &str) -> String {
    let words: Vec<String> = s.split_whitespace().map(str::to_ascii_lowercase).collect();
    let mut out: Vec<String> = Vec::new();
    for w in words {
        match out.last_mut() {
            Some(prev) if (w == "am" || w == "pm") && prev.ends_with(|c: char| c.is_ascii_digit()) => prev.push_str(&w),
            _ => out.push(w),
        }
    }
    out.join(" ")
}

/// `yesterday 19:42` → (yesterday, 19:42); `9am` → (implied, 09:00); `last fri` → (last fri,
/// none); `2026-11-22T19:42` → (2026-11-22, 19:42). None when either part is not one.
fn split_day_and_clock(s: &str) -> Option<(Day, Option<NaiveTime>)> {
    if let Some(time) = parse_clock(s) {
        return Some((Day::Implied, Some(time)));
    }
    if let Some(day) = parse_day(s) {
        return Some((day, None));
    }
    let (day, clock) = match s.rsplit_once(' ') {
        Some(split) => split,
        // `2026-11-22t19:42` (lower-cased ISO 8601 without an offset).
        None => (s.get(..10)?, s.get(10..)?.strip_prefix('t')?),
    };
    Some((parse_day(day)?, Some(parse_clock(clock)?)))
}

fn parse_day(s: &str) -> Option<Day> {
    match s {
        "today" => return Some(Day::Offset(0)),
        "yesterday" => return Some(Day::Offset(-1)),
        "tomorrow" => return Some(Day::Offset(1)),
        _ => {}
    }
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(Day::Date(date));
    }
    let (which, name) = match s.split_once(' ') {
        Some(("last", name)) => (Which::Last, name),
        Some(("next", name)) => (Which::Next, name),
        Some(_) => return None,
        None => (Which::Nearest, s),
    };
    let weekday = match name {
        "mon" | "monday" => Weekday::Mon,
        "tue" | "tues" | "tuesday" => Weekday::Tue,
        "wed" | "wednesday" => Weekday::Wed,
        "thu" | "thur" | "thurs" | "thursday" => Weekday::Thu,
        "fri" | "friday" => Weekday::Fri,
        "sat" | "saturday" => Weekday::Sat,
        "sun" | "sunday" => Weekday::Sun,
        _ => return None,
    };
    Some(Day::Weekday(weekday, which))
}

/// `19:42`, `19:42:30`, `9am`, `12pm` (noon), `12am` (midnight), `9:30pm`, `noon`, `midnight`.
fn parse_clock(s: &str) -> Option<NaiveTime> {
    match s {
        "noon" | "midday" => return NaiveTime::from_hms_opt(12, 0, 0),
        "midnight" => return Some(NaiveTime::MIN),
        _ => {}
    }
    let (digits, pm) = match (s.strip_suffix("am"), s.strip_suffix("pm")) {
        (Some(d), _) => (d, Some(false)),
        (_, Some(d)) => (d, Some(true)),
        _ => (s, None),
    };
    if !digits.starts_with(|c: char| c.is_ascii_digit()) || digits.len() > 8 {
        return None;
    }
    let mut parts = digits.split(':');
    let hour: u32 = parts.next()?.parse().ok()?;
    let minute: u32 = match parts.next() {
        Some(m) if m.len() == 2 => m.parse().ok()?,
        Some(_) => return None,
        None if pm.is_some() => 0,
        None => return None,
    };
    let second: u32 = match parts.next() {
        Some(sec) if sec.len() == 2 && pm.is_none() => sec.parse().ok()?,
        Some(_) => return None,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let hour = match pm {
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => hour,
    };
    NaiveTime::from_hms_opt(hour, minute, second)
}

/// The latest date on or before `from` that falls on `wd`.
fn back_to(from: NaiveDate, wd: Weekday) -> NaiveDate {
    let back = (7 + from.weekday().num_days_from_monday() - wd.num_days_from_monday()) % 7;
    from - Duration::days(i64::from(back))
}

/// The earliest date on or after `from` that falls on `wd`.
fn forward_to(from: NaiveDate, wd: Weekday) -> NaiveDate {
    let ahead = (7 + wd.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    from + Duration::days(i64::from(ahead))
}

/// `20m`, `+2h`, `-2h`, `3d ago`, `in 1w`: a span from now, signed.
fn parse_offset(lower: &str) -> Option<Span> {
    let (text, negative) = if let Some(rest) = lower.strip_suffix("ago") {
        (rest.trim(), true)
    } else if let Some(rest) = lower.strip_prefix("in ") {
        (rest.trim(), false)
    } else {
        (lower, false)
    };
    let span: Span = text.parse().ok()?;
    Some(if negative { span.negate() } else { span })
}

/// Stored form of a time: RFC 3339 with its offset, whole seconds.
pub fn rfc3339(t: &Stamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Minutes as a person reads them: `45m`, `1h 12m`, `2d 3h`.
pub fn human_minutes(minutes: i64) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let m = minutes.unsigned_abs();
    let (d, h, m) = (m / 1440, m % 1440 / 60, m % 60);
    match (d, h, m) {
        (0, 0, m) => format!("{sign}{m}m"),
        (0, h, 0) => format!("{sign}{h}h"),
        (0, h, m) => format!("{sign}{h}h {m}m"),
        (d, 0, _) => format!("{sign}{d}d"),
        (d, h, _) => format!("{sign}{d}d {h}h"),
    }
}

/// A length of time as written in care.yaml and on the command line: `20m`, `2h`, `1d`,
/// `1w`, `1h30m`, optionally signed. Minutes (and hours) are elapsed time; days (and
/// weeks) are calendar days in the book's zone, so the two are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub minutes: i64,
    pub days: i64,
}

impl Span {
    pub const fn minutes(minutes: i64) -> Span {
        Span { minutes, days: 0 }
    }

    pub const fn days(days: i64) -> Span {
        Span { minutes: 0, days }
    }

    pub fn negate(self) -> Span {
        Span { minutes: -self.minutes, days: -self.days }
    }
}

/// One unit of the duration grammar. `Span` (calendar-aware, in care.yaml and on the
/// command line) takes minutes to weeks; `Wait` (a process's patience: a lock, a hook, a
/// query) takes milliseconds to hours. Both are read by `terms`, so `1h30m` means the same
/// everywhere and there is one place where a number can overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Millis,
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
}

/// The duration grammar: an optional sign, then one or more whole numbers each followed by
/// a unit (`20m`, `1h30m`, `-2h`, `500ms`). A number alone is `bare`'s unit, when the
/// reading allows one. None for anything else: decimals, exponents, overflowing digits.
fn terms(input: &str, bare: Option<Unit>) -> Option<(bool, Vec<(i64, Unit)>)> {
    let s = input.trim().to_ascii_lowercase();
    let (negative, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r.trim_start()),
        None => (false, s.strip_prefix('+').unwrap_or(&s).trim_start()),
    };
    if rest.is_empty() {
        return None;
    }
    let mut found = Vec::new();
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let n: i64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "" if found.is_empty() && rest.is_empty() => bare?,
            "ms" | "msec" | "millis" => Unit::Millis,
            "s" | "sec" | "secs" | "second" | "seconds" => Unit::Seconds,
            "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minutes,
            "h" | "hr" | "hrs" | "hour" | "hours" => Unit::Hours,
            "d" | "day" | "days" => Unit::Days,
            "w" | "wk" | "week" | "weeks" => Unit::Weeks,
            _ => return None,
        };
        found.push((n, unit));
        rest = rest[unit_len..].trim_start();
    }
    Some((negative, found))
}

impl FromStr for Span {
    type Err = String;

    fn from_str(input: &str) -> Result<Span, String> {
        let bad = || format!("cannot read {input:?} as a duration; use e.g. 20m, 2h, 1d, 1w or 1h30m");
        let (negative, terms) = terms(input, None).ok_or_else(bad)?;
        let mut span = Span::default();
        for (n, unit) in terms {
            let (minutes, days) = match unit {
                Unit::Minutes => (n, 0),
                Unit::Hours => (n.checked_mul(60).ok_or_else(bad)?, 0),
                Unit::Days => (0, n),
                Unit::Weeks => (0, n.checked_mul(7).ok_or_else(bad)?),
                // A span is kept in minutes: seconds would be silently cut.
                Unit::Millis | Unit::Seconds => return Err(bad()),
            };
            span.minutes = span.minutes.checked_add(minutes).ok_or_else(bad)?;
            span.days = span.days.checked_add(days).ok_or_else(bad)?;
        }
        // A year-long span is already generous; beyond that, it is a typo.
        if span.days.abs() > 36_600 || span.minutes.abs() > 36_600 * 1440 {
            return Err(bad());
        }
        Ok(if negative { span.negate() } else { span })
    }
}

/// How long a process waits for something (a record's lock, a hook, a query): elapsed
/// time, never negative, at most a day, read by the same grammar as `Span` plus seconds
/// and milliseconds; a number alone is seconds (`CARE_LOCK_TIMEOUT=10`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait(pub std::time::Duration);

impl Wait {
    /// The longest wait anything in care accepts: past it, a value is a typo.
    pub const MAX: std::time::Duration = std::time::Duration::from_secs(86_400);
}

impl FromStr for Wait {
    type Err = String;

    fn from_str(input: &str) -> Result<Wait, String> {
        let bad = || format!("cannot read {input:?} as a length of time; use e.g. 500ms, 10s, 2m or 1h");
        let (negative, terms) = terms(input, Some(Unit::Seconds)).ok_or_else(bad)?;
        if negative {
            return Err(format!("{input:?} is negative; a wait is 0 or more, e.g. 500ms, 10s or 2m"));
        }
        let mut millis: u64 = 0;
        for (n, unit) in terms {
            let scale: u64 = match unit {
                Unit::Millis => 1,
                Unit::Seconds => 1_000,
                Unit::Minutes => 60_000,
                Unit::Hours => 3_600_000,
                Unit::Days | Unit::Weeks => return Err(bad()),
            };
            let n = u64::try_from(n).map_err(|_| bad())?;
            millis = n.checked_mul(scale).and_then(|m| millis.checked_add(m)).ok_or_else(bad)?;
        }
        let wait = std::time::Duration::from_millis(millis);
        if wait > Wait::MAX {
            return Err(format!("{input:?} is longer than a day; use at most 24h"));
        }
        Ok(Wait(wait))
    }
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        match ms {
            0 => f.write_str("0s"),
            _ if ms.is_multiple_of(3_600_000) => write!(f, "{}h", ms / 3_600_000),
            _ if ms.is_multiple_of(60_000) => write!(f, "{}m", ms / 60_000),
            _ if ms.is_multiple_of(1_000) => write!(f, "{}s", ms / 1_000),
            _ => write!(f, "{ms}ms"),
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, minutes) = (self.days, self.minutes);
        if days == 0 && minutes == 0 {
            return f.write_str("0m");
        }
        if days != 0 {
            if days % 7 == 0 { write!(f, "{}w", days / 7)? } else { write!(f, "{days}d")? }
        }
        if minutes != 0 {
            if minutes % 60 == 0 { write!(f, "{}h", minutes / 60)? } else { write!(f, "{minutes}m")? }
        }
        Ok(())
    }
}

impl<'de> serde::Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        crate::text::parsed(d, str::parse)
    }
}

impl serde::Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(now: &str, tz: &str) -> Clock {
        let now = DateTime::parse_from_rfc3339(now).expect("test time");
        Clock::new(now.with_timezone(&Utc), tz.parse().expect("test zone"))
    }

    fn ny() -> Clock {
        clock("2026-11-22T19:42:00-05:00", "America/New_York")
    }

    #[test]
    fn reads_every_form_of_the_grammar() {
        let c = ny();
        let t = |s: &str| rfc3339(&c.parse_time(s).expect(s));
        assert_eq!(t("now"), "2026-11-22T19:42:00-05:00");
        assert_eq!(t("today"), "2026-11-22T00:00:00-05:00");
        assert_eq!(t("yesterday"), "2026-11-21T00:00:00-05:00");
        assert_eq!(t("tomorrow"), "2026-11-23T00:00:00-05:00");
        assert_eq!(t("2026-11-22T15:32:00+01:00"), "2026-11-22T15:32:00+01:00");
        assert_eq!(t("2026-07-04"), "2026-07-04T00:00:00-04:00");
        assert_eq!(t("2026-07-04 09:30"), "2026-07-04T09:30:00-04:00");
        assert_eq!(t("08:15"), "2026-11-22T08:15:00-05:00");
        assert_eq!(t("20m"), "2026-11-22T20:02:00-05:00");
        assert_eq!(t("+20m"), "2026-11-22T20:02:00-05:00");
        assert_eq!(t("-2h"), "2026-11-22T17:42:00-05:00");
        assert_eq!(t("3d ago"), "2026-11-19T19:42:00-05:00");
        assert_eq!(t("in 1w"), "2026-11-29T19:42:00-05:00");
        assert!(c.parse_time("banana").is_err());
        assert!(c.parse_time("25:00").is_err());
    }

    #[test]
    fn days_are_calendar_days_across_dst() {
        // Fall back on 2026-11-01 in New York: noon + 1d is noon again, 25 hours later.
        let c = clock("2026-10-31T12:00:00-04:00", "America/New_York");
        let noon = c.parse_time("2026-10-31 12:00").expect("time");
        let next = c.add(noon, Span::days(1));
        assert_eq!(rfc3339(&next), "2026-11-01T12:00:00-05:00");
        assert_eq!((next - noon).num_hours(), 25);
        // Minutes are elapsed time: 24h later is 11:00 on the wall.
        let later = c.add(noon, "24h".parse().expect("span"));
        assert_eq!(rfc3339(&later), "2026-11-01T11:00:00-05:00");
    }

    #[test]
    fn computed_times_in_a_gap_move_forward() {
        let c = clock("2026-03-01T12:00:00-05:00", "America/New_York");
        let naive = NaiveDate::from_ymd_opt(2026, 3, 8).and_then(|d| d.and_hms_opt(2, 30, 0)).expect("date");
        assert_eq!(rfc3339(&c.local(naive)), "2026-03-08T03:30:00-04:00");
    }

    #[test]
    fn typed_times_in_a_gap_are_refused_and_repeats_warn() {
        let c = clock("2026-03-01T12:00:00-05:00", "America/New_York");
        let err = c.read("2026-03-08 02:30", Tense::Any).expect_err("gap").to_string();
        assert!(err.contains("does not exist in America/New_York"), "{err}");
        assert!(err.contains("from 02:00 to 03:00") && err.contains("type 01:59"), "{err}");
        let fall = c.read("2026-11-01 01:30", Tense::Any).expect("repeat");
        assert_eq!(rfc3339(&fall.at), "2026-11-01T01:30:00-04:00");
        let warning = fall.warning.expect("a warning");
        assert!(warning.contains("happens twice") && warning.contains("2026-11-01T01:30:00-05:00"), "{warning}");
        // A zone whose clocks move by 30 minutes (Lord Howe Island).
        let lh = clock("2026-09-01T12:00:00+10:30", "Australia/Lord_Howe");
        let err = lh.read("2026-10-04 02:15", Tense::Any).expect_err("gap").to_string();
        assert!(err.contains("from 02:00 to 02:30"), "{err}");
    }

    /// One row per form of the grammar: (now, tense, input, expected) in New York.
    #[test]
    fn every_form_of_the_grammar_in_every_tense() {
        use Tense::{Any, Next, Past};
        const EVENING: &str = "2026-11-22T19:42:00-05:00"; // a Sunday
        const AFTER_MIDNIGHT: &str = "2026-11-23T00:10:00-05:00"; // a Monday
        let table: &[(&str, Tense, &str, &str)] = &[
            (EVENING, Any, "yesterday 19:42", "2026-11-21T19:42:00-05:00"),
            (EVENING, Any, "tomorrow 9am", "2026-11-23T09:00:00-05:00"),
            (EVENING, Any, "2026-11-21 7:42pm", "2026-11-21T19:42:00-05:00"),
            (EVENING, Any, "2026-11-21T19:42", "2026-11-21T19:42:00-05:00"),
            (EVENING, Any, "9am", "2026-11-22T09:00:00-05:00"),
            (EVENING, Any, "9 AM", "2026-11-22T09:00:00-05:00"),
            (EVENING, Any, "3pm", "2026-11-22T15:00:00-05:00"),
            (EVENING, Any, "9:30pm", "2026-11-22T21:30:00-05:00"),
            (EVENING, Any, "12am", "2026-11-22T00:00:00-05:00"),
            (EVENING, Any, "12pm", "2026-11-22T12:00:00-05:00"),
            (EVENING, Any, "noon", "2026-11-22T12:00:00-05:00"),
            (EVENING, Any, "mon", "2026-11-16T00:00:00-05:00"),
            (EVENING, Any, "monday", "2026-11-16T00:00:00-05:00"),
            (EVENING, Any, "sun", "2026-11-22T00:00:00-05:00"),
            (EVENING, Any, "last sun", "2026-11-15T00:00:00-05:00"),
            (EVENING, Any, "last fri", "2026-11-20T00:00:00-05:00"),
            (EVENING, Any, "next fri", "2026-11-27T00:00:00-05:00"),
            (EVENING, Any, "last fri 18:00", "2026-11-20T18:00:00-05:00"),
            (EVENING, Next, "mon", "2026-11-23T00:00:00-05:00"),
            (EVENING, Next, "sun", "2026-11-29T00:00:00-05:00"),
            (EVENING, Next, "sun 21:00", "2026-11-22T21:00:00-05:00"),
            (EVENING, Next, "9am", "2026-11-23T09:00:00-05:00"),
            (EVENING, Next, "21:00", "2026-11-22T21:00:00-05:00"),
            (EVENING, Past, "19:30", "2026-11-22T19:30:00-05:00"),
            (EVENING, Past, "21:00", "2026-11-21T21:00:00-05:00"),
            (AFTER_MIDNIGHT, Past, "23:45", "2026-11-22T23:45:00-05:00"),
            (AFTER_MIDNIGHT, Past, "yesterday 23:45", "2026-11-22T23:45:00-05:00"),
            (AFTER_MIDNIGHT, Past, "mon 00:05", "2026-11-23T00:05:00-05:00"),
            (AFTER_MIDNIGHT, Past, "sun 23:00", "2026-11-22T23:00:00-05:00"),
            (AFTER_MIDNIGHT, Any, "23:45", "2026-11-23T23:45:00-05:00"),
            (AFTER_MIDNIGHT, Past, "now", AFTER_MIDNIGHT),
            (AFTER_MIDNIGHT, Past, "3m", "2026-11-23T00:13:00-05:00"),
        ];
        for &(now, tense, input, expected) in table {
            let c = clock(now, "America/New_York");
            let got = c.read(input, tense).unwrap_or_else(|e| panic!("{input:?} at {now} ({tense:?}): {e}"));
            assert_eq!(rfc3339(&got.at), expected, "{input:?} at {now} ({tense:?})");
        }
    }

    #[test]
    fn the_past_is_never_in_the_future_and_absurd_years_are_refused() {
        let c = clock("2026-11-23T00:10:00-05:00", "America/New_York");
        for input in ["today 23:45", "tomorrow", "in 2h", "2026-12-01"] {
            match c.read(input, Tense::Past) {
                Err(TimeError::Refused(m)) => assert!(m.contains("already happened"), "{m}"),
                other => panic!("{input:?}: {other:?}"),
            }
        }
        for input in ["0001-01-01", "9999-12-31", "1850-01-01 10:00"] {
            match c.read(input, Tense::Any) {
                Err(TimeError::Unreadable(m)) => assert!(m.contains("between 1900 and 2199"), "{m}"),
                other => panic!("{input:?}: {other:?}"),
            }
        }
        for bad in ["banana", "25:00", "13pm", "0am", "9:3pm", "last", "next banana", "mon 25:00", "9:30:00pm"] {
            let err = c.read(bad, Tense::Any).expect_err(bad);
            assert!(matches!(err, TimeError::Unreadable(ref m) if m.contains("last fri")), "{bad:?}: {err:?}");
        }
    }

    #[test]
    fn a_clock_time_a_few_minutes_ahead_is_a_fast_watch_not_yesterday() {
        let at =
            |now: &str, input: &str| clock(now, "America/New_York").read(input, Tense::Past).map(|w| rfc3339(&w.at));
        let evening = "2026-11-22T19:00:00-05:00";
        assert_eq!(at(evening, "19:03").as_deref(), Ok("2026-11-22T19:03:00-05:00"), "3 minutes ahead: today");
        assert_eq!(at(evening, "19:05").as_deref(), Ok("2026-11-22T19:05:00-05:00"), "the slack's edge: today");
        assert_eq!(at(evening, "19:06").as_deref(), Ok("2026-11-21T19:06:00-05:00"), "past the slack: yesterday's");
        assert_eq!(at(evening, "sun 19:02").as_deref(), Ok("2026-11-22T19:02:00-05:00"), "today's weekday too");
        let midnight = "2026-11-22T23:58:00-05:00";
        assert_eq!(at(midnight, "00:01").as_deref(), Ok("2026-11-23T00:01:00-05:00"), "across midnight");
        assert_eq!(at(midnight, "23:59").as_deref(), Ok("2026-11-22T23:59:00-05:00"));
        assert_eq!(at(midnight, "00:30").as_deref(), Ok("2026-11-22T00:30:00-05:00"), "long before: this morning's");
    }

    #[test]
    fn a_half_hour_zone_reads_its_own_wall_time() {
        let c = clock("2026-11-22T19:42:00+05:30", "Asia/Kolkata");
        assert_eq!(rfc3339(&c.read("9am", Tense::Any).expect("9am").at), "2026-11-22T09:00:00+05:30");
        assert_eq!(rfc3339(&c.read("23:45", Tense::Past).expect("past").at), "2026-11-21T23:45:00+05:30");
    }

    #[test]
    fn spans_read_and_print() {
        let s = |t: &str| t.parse::<Span>().expect(t);
        assert_eq!(s("20m"), Span::minutes(20));
        assert_eq!(s("1h30m"), Span::minutes(90));
        assert_eq!(s("1w"), Span::days(7));
        assert_eq!(s("-2h"), Span::minutes(-120));
        assert_eq!(s("1d").to_string(), "1d");
        assert_eq!(s("90m").to_string(), "90m");
        assert_eq!(s("2w").to_string(), "2w");
        for bad in ["", "m", "5x", "1.5h", "99999999999999999999d"] {
            assert!(bad.parse::<Span>().is_err(), "{bad}");
        }
    }

    #[test]
    fn waits_read_the_same_grammar_with_seconds_and_refuse_the_absurd() {
        let w = |t: &str| t.parse::<Wait>().map(|w| w.0).expect(t);
        use std::time::Duration as D;
        assert_eq!(w("500ms"), D::from_millis(500));
        assert_eq!(w("10s"), D::from_secs(10));
        assert_eq!(w("10"), D::from_secs(10));
        assert_eq!(w("2m"), D::from_secs(120));
        assert_eq!(w("1h30m"), D::from_secs(5400));
        assert_eq!(w(" 0 "), D::ZERO);
        assert_eq!(w("24h"), Wait::MAX);
        for bad in ["", "1e30", "-1", "NaN", "nan", "inf", "99999999999999999999", "1.5s", "text", "25h", "1d", "s"] {
            assert!(bad.parse::<Wait>().is_err(), "{bad}");
        }
        for shown in ["0s", "500ms", "10s", "2m", "1h", "90s"] {
            assert_eq!(shown.parse::<Wait>().expect(shown).to_string(), shown);
        }
        // Spans keep whole minutes: seconds are refused, not cut.
        assert!("30s".parse::<Span>().is_err() && "10".parse::<Span>().is_err());
    }

    #[test]
    fn minutes_read_like_a_person_says_them() {
        assert_eq!(human_minutes(45), "45m");
        assert_eq!(human_minutes(72), "1h 12m");
        assert_eq!(human_minutes(120), "2h");
        assert_eq!(human_minutes(3060), "2d 3h");
        assert_eq!(human_minutes(-5), "-5m");
    }
}
