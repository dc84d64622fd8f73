//! Reminders on a customer: a birthday, an anniversary, "call in three weeks". They live on
//! the customer's record (a `reminders:` list), not on an incident, because most have
//! nothing to do with a failure; `followup due` lists them beside incident follow-ups.
//!
//! A reminder is never rewritten when it is done: each occurrence done gets a mark under
//! `done:` naming the occurrence (`for:`). The next occurrence is worked out from `due`,
//! `every` and those marks on every run, so two sites marking the same birthday merge as a
//! union of marks, and a recurring reminder re-arms without anybody moving its date.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::time::{Clock, Stamp};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reminder {
    /// Six random letters and digits, the reminder's own among the customer's: its full id
    /// is `CUSTOMER/ID` (`full_id`), which `followup due` shows and `followup done` takes.
    /// Random rather than a place in the list, which two sites adding reminders would not
    /// agree on. Reminders written by earlier versions have none.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::text::option")]
    pub id: Option<String>,
    #[serde(deserialize_with = "super::text::string")]
    pub text: String,
    /// The first occurrence.
    pub due: Stamp,
    /// How often it comes back: `1y`, `3w`, `10d` (calendar days in the book's zone).
    /// Read as plain text (a bare number has no unit and is an error anyway), which keeps
    /// the record on the fast reader's path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<String>,
    /// Who makes the call; none: whoever reads the list.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::text::option")]
    pub owner: Option<String>,
    /// For an important date (`--birthday 02-29`), its month and day, MM-DD: a yearly
    /// reminder falls on it every year, and a 29 February on the 28th in other years —
    /// which `due` alone cannot say once it is a 28 February.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::text::option")]
    pub day: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Stamp>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub done: Vec<Mark>,
}

/// One occurrence done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    /// The occurrence this marks (its due time).
    #[serde(rename = "for")]
    pub occurrence: Stamp,
    pub at: Stamp,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The reminder's full id, `ada-lovelace/k7f3qz`, if it has its own.
pub fn full_id(customer: &str, r: &Reminder) -> Option<String> {
    r.id.as_deref().map(|id| format!("{customer}/{id}"))
}

/// A recurrence in calendar terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    Days(i64),
    Years(i32),
}

impl std::str::FromStr for Every {
    type Err = String;

    fn from_str(s: &str) -> Result<Every, String> {
        let bad = || format!("cannot read {s:?} as a recurrence; use e.g. 1y, 6w or 10d");
        let t = s.trim().to_ascii_lowercase();
        let digits = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let n: i64 = t[..digits].parse().map_err(|_| bad())?;
        if n <= 0 {
            return Err(bad());
        }
        // At most a century: beyond it no date can be worked out, and no reminder is meant.
        let every = match t[digits..].trim() {
            "d" | "day" | "days" => Every::Days(n),
            "w" | "week" | "weeks" => Every::Days(n.saturating_mul(7)),
            "y" | "year" | "years" => Every::Years(i32::try_from(n).map_err(|_| bad())?),
            _ => return Err(bad()),
        };
        match every {
            Every::Days(d) if d > 36_500 => Err(format!("{s:?} is more than a century; use at most 100y")),
            Every::Years(y) if y > 100 => Err(format!("{s:?} is more than a century; use at most 100y")),
            ok => Ok(ok),
        }
    }
}

/// The same month and day `years` later; 29 February becomes the 28th in other years.
fn add_years(d: NaiveDate, years: i32) -> NaiveDate {
    in_year(d.year() + years, d.month(), d.day()).unwrap_or(d)
}

/// A month and day in a year: 29 February is the 28th in a year without one.
fn in_year(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
        .or_else(|| (month == 2 && day == 29).then(|| NaiveDate::from_ymd_opt(year, 2, 28)).flatten())
}

/// An important date's `MM-DD` as numbers, if it is one (a leap year checks the day exists).
fn month_day(text: &str) -> Option<(u32, u32)> {
    let (m, d) = text.trim().split_once('-')?;
    let (m, d) = (m.trim().parse().ok()?, d.trim().parse().ok()?);
    NaiveDate::from_ymd_opt(2024, m, d).map(|_| (m, d))
}

/// The `k`-th occurrence (0: `due` itself), counted from the first so it never drifts
/// (a birthday on the 29th of February comes back on the 29th in leap years).
pub fn occurrence(r: &Reminder, every: Every, k: i64, clock: &Clock) -> Stamp {
    let local = r.due.with_timezone(&clock.tz).naive_local();
    let wall = match every {
        Every::Days(n) => local + Duration::days(n * k),
        Every::Years(n) => {
            let year = local.date().year() + n * k as i32;
            let date = match r.day.as_deref().and_then(month_day) {
                Some((m, d)) => in_year(year, m, d),
                None => None,
            };
            date.unwrap_or_else(|| add_years(local.date(), n * k as i32)).and_time(local.time())
        }
    };
    clock.local(wall)
}

/// How many occurrences are looked at before giving up (a daily reminder over 25 years).
const LIMIT: i64 = 10_000;

/// The occurrence that is pending at `now`: for a one-off, `due` until it is done; for a
/// recurring one, the latest occurrence at or before `now` if not done, else the first
/// later one not done. An occurrence missed and then overtaken by the next is not owed
/// any more (last year's birthday call is not made this year).
pub fn pending(r: &Reminder, now: Stamp, clock: &Clock) -> Option<Stamp> {
    let done = |t: &Stamp| r.done.iter().any(|m| m.occurrence == *t);
    let Some(every) = r.every.as_deref().and_then(|e| e.parse::<Every>().ok()) else {
        return (!done(&r.due)).then_some(r.due);
    };
    let mut k = 0;
    while k + 1 < LIMIT && occurrence(r, every, k + 1, clock) <= now {
        k += 1;
    }
    (k..LIMIT).map(|k| occurrence(r, every, k, clock)).find(|t| !done(t))
}

/// The next date of a month-day (`03-14`) on or after `today`: when an important date's
/// reminder first falls due.
/// A 29 February falls on the 28th in other years, so it is never skipped a year.
pub fn next_date(text: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let bad = || format!("cannot read {text:?} as a date in the year; use MM-DD, e.g. 03-14");
    let (m, d) = month_day(text).ok_or_else(bad)?;
    (0..=1).filter_map(|i| in_year(today.year() + i, m, d)).find(|date| *date >= today).ok_or_else(bad)
}

/// An important date's `MM-DD` as `Reminder::day` keeps it (`3-14` becomes `03-14`).
pub fn day_text(text: &str) -> Option<String> {
    month_day(text).map(|(m, d)| format!("{m:02}-{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> Clock {
        Clock::at("2026-11-22T19:42:00-05:00", "America/New_York")
    }

    fn at(s: &str) -> Stamp {
        chrono::DateTime::parse_from_rfc3339(s).expect("time")
    }

    fn reminder(due: &str, every: Option<&str>) -> Reminder {
        Reminder {
            id: None,
            text: "Birthday".into(),
            due: at(due),
            every: every.map(str::to_string),
            owner: None,
            day: None,
            at: None,
            by: String::new(),
            done: vec![],
        }
    }

    fn mark(r: &mut Reminder, occurrence: Stamp) {
        r.done.push(Mark { occurrence, at: occurrence, by: "joan".into(), how: None, note: None });
    }

    #[test]
    fn recurrences_read_days_weeks_and_years() {
        assert_eq!("3w".parse::<Every>(), Ok(Every::Days(21)));
        assert_eq!("1y".parse::<Every>(), Ok(Every::Years(1)));
        assert_eq!("10d".parse::<Every>(), Ok(Every::Days(10)));
        assert!("2h".parse::<Every>().is_err() && "0d".parse::<Every>().is_err() && "y".parse::<Every>().is_err());
        assert_eq!("100y".parse::<Every>(), Ok(Every::Years(100)));
        assert!("101y".parse::<Every>().is_err() && "100000y".parse::<Every>().is_err());
        assert!("99999999999999w".parse::<Every>().is_err() && "36501d".parse::<Every>().is_err());
    }

    #[test]
    fn a_one_off_is_pending_until_done() {
        let mut r = reminder("2026-11-20T09:00:00-05:00", None);
        let now = clock().now();
        assert_eq!(pending(&r, now, &clock()), Some(r.due));
        let first = r.due;
        mark(&mut r, first);
        assert_eq!(pending(&r, now, &clock()), None);
    }

    #[test]
    fn a_yearly_reminder_re_arms_when_done_and_keeps_its_wall_time_across_dst() {
        let clock = clock();
        let mut r = reminder("2025-03-14T09:00:00-04:00", Some("1y"));
        // Its 2026 occurrence is the latest past one, not done: pending.
        let this_year = at("2026-03-14T09:00:00-04:00");
        assert_eq!(pending(&r, clock.now(), &clock), Some(this_year));
        mark(&mut r, this_year);
        assert_eq!(pending(&r, clock.now(), &clock), Some(at("2027-03-14T09:00:00-04:00")));
        // Every three weeks, over the November DST change: 9 am stays 9 am.
        let r = reminder("2026-10-20T09:00:00-04:00", Some("3w"));
        assert_eq!(occurrence(&r, Every::Days(21), 1, &clock), at("2026-11-10T09:00:00-05:00"));
    }

    #[test]
    fn important_dates_fall_due_on_their_next_day_and_29_february_on_the_28th() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        assert_eq!(next_date("03-14", today), Ok(NaiveDate::from_ymd_opt(2027, 3, 14).expect("date")));
        assert_eq!(next_date("11-22", today), Ok(today));
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(next_date("02-29", today), Ok(date(2027, 2, 28)), "not skipped to 2028");
        assert_eq!(next_date("02-29", date(2027, 3, 1)), Ok(date(2028, 2, 29)));
        assert!(next_date("13-01", today).is_err());
        assert_eq!(add_years(NaiveDate::from_ymd_opt(2028, 2, 29).expect("date"), 1).to_string(), "2029-02-28");
    }

    #[test]
    fn a_29_february_birthday_falls_on_the_28th_then_on_the_29th_in_a_leap_year() {
        let clock = clock();
        let mut r = reminder("2027-02-28T09:00:00-05:00", Some("1y"));
        r.day = day_text("2-29");
        assert_eq!(r.day.as_deref(), Some("02-29"));
        let years: Vec<Stamp> = (0..3).map(|k| occurrence(&r, Every::Years(1), k, &clock)).collect();
        assert_eq!(
            years,
            [at("2027-02-28T09:00:00-05:00"), at("2028-02-29T09:00:00-05:00"), at("2029-02-28T09:00:00-05:00")]
        );
        // Without the day, a 28 February stays the 28th.
        r.day = None;
        assert_eq!(occurrence(&r, Every::Years(1), 1, &clock), at("2028-02-28T09:00:00-05:00"));
    }
}
