//! Time: the grammar people type (`20m`, `3d ago`, `2026-11-22 19:42`) and the book's clock.
//!
//! Every command reads times the same way, in the book's timezone, and `CARE_NOW` must
//! replace the clock everywhere at once, so both live here. Local times that do not exist
//! (the spring-forward gap) or exist twice (the fall-back hour) are resolved here, and
//! only here, by one documented rule: a time in a gap moves forward by the gap's length
//! (02:30 becomes 03:30), and a time that occurs twice means its first occurrence.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, SecondsFormat, TimeZone,
    Timelike, Utc,
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

    /// The real clock, or the instant in `CARE_NOW` (RFC 3339) when it is set.
    pub fn from_env(tz: Tz) -> Result<Clock, String> {
        match std::env::var("CARE_NOW") {
            Ok(text) if !text.trim().is_empty() => {
                let now = DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
                    format!("CARE_NOW={text:?} is not an RFC 3339 time ({e}); try 2026-11-22T19:42:00-05:00")
                })?;
                Ok(Clock::new(now.with_timezone(&Utc), tz))
            }
            _ => Ok(Clock::new(Utc::now(), tz)),
        }
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

    /// Read a time as people type it. Grammar: RFC 3339; `YYYY-MM-DD`; `YYYY-MM-DD HH:MM[:SS]`;
    /// `HH:MM` (today); `now`, `today`, `yesterday`, `tomorrow` (midnight); offsets from now
    /// such as `20m`, `+2h`, `-2h`, `3d ago`, `in 1w`.
    pub fn parse_time(&self, input: &str) -> Result<Stamp, String> {
        let s = input.trim();
        let lower = s.to_ascii_lowercase();
        let today = self.today();
        let day = |n: i64| Ok(self.start_of(today + Duration::days(n)));
        match lower.as_str() {
            "now" => return Ok(self.now()),
            "today" => return day(0),
            "yesterday" => return day(-1),
            "tomorrow" => return day(1),
            _ => {}
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(t.with_nanosecond(0).unwrap_or(t));
        }
        if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(self.start_of(date));
        }
        for fmt in ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
            if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
                return Ok(self.local(naive));
            }
        }
        for fmt in ["%H:%M", "%H:%M:%S"] {
            if let Ok(time) = NaiveTime::parse_from_str(s, fmt) {
                return Ok(self.local(today.and_time(time)));
            }
        }
        if let Some(span) = parse_offset(&lower) {
            return Ok(self.add(self.now(), span));
        }
        Err(format!(
            "cannot read {input:?} as a time; use RFC 3339, 2026-11-22, \"2026-11-22 19:42\", 19:42, \
             now, today, yesterday, tomorrow, 20m, -2h, \"3d ago\" or \"in 1w\""
        ))
    }

    /// Read a date as people type it: `YYYY-MM-DD` or anything `parse_time` reads.
    pub fn parse_date(&self, input: &str) -> Result<NaiveDate, String> {
        if let Ok(date) = NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d") {
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

impl FromStr for Span {
    type Err = String;

    fn from_str(input: &str) -> Result<Span, String> {
        let bad = || format!("cannot read {input:?} as a duration; use e.g. 20m, 2h, 1d, 1w or 1h30m");
        let s = input.trim().to_ascii_lowercase();
        let (negative, mut rest) = match s.strip_prefix('-') {
            Some(r) => (true, r.trim_start()),
            None => (false, s.strip_prefix('+').unwrap_or(&s).trim_start()),
        };
        if rest.is_empty() {
            return Err(bad());
        }
        let mut span = Span::default();
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
            rest = rest[digits..].trim_start();
            let unit_len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
            let n = match &rest[..unit_len] {
                "m" | "min" | "mins" | "minute" | "minutes" => Span::minutes(n),
                "h" | "hr" | "hrs" | "hour" | "hours" => Span::minutes(n.checked_mul(60).ok_or_else(bad)?),
                "d" | "day" | "days" => Span::days(n),
                "w" | "wk" | "week" | "weeks" => Span::days(n.checked_mul(7).ok_or_else(bad)?),
                _ => return Err(bad()),
            };
            span.minutes += n.minutes;
            span.days += n.days;
            rest = rest[unit_len..].trim_start();
        }
        // A year-long span is already generous; beyond that, it is a typo.
        if span.days.abs() > 36_600 || span.minutes.abs() > 36_600 * 1440 {
            return Err(bad());
        }
        Ok(if negative { span.negate() } else { span })
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
        crate::model::text::parsed(d, str::parse)
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
    fn gaps_move_forward_and_repeats_take_the_first() {
        let c = clock("2026-03-01T12:00:00-05:00", "America/New_York");
        // 2026-03-08 02:30 does not exist in New York.
        assert_eq!(rfc3339(&c.parse_time("2026-03-08 02:30").expect("gap")), "2026-03-08T03:30:00-04:00");
        // 2026-11-01 01:30 happens twice; the first is in EDT.
        assert_eq!(rfc3339(&c.parse_time("2026-11-01 01:30").expect("repeat")), "2026-11-01T01:30:00-04:00");
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
    fn minutes_read_like_a_person_says_them() {
        assert_eq!(human_minutes(45), "45m");
        assert_eq!(human_minutes(72), "1h 12m");
        assert_eq!(human_minutes(120), "2h");
        assert_eq!(human_minutes(3060), "2d 3h");
        assert_eq!(human_minutes(-5), "-5m");
    }
}
