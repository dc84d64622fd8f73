//! `care.yaml`: the book's settings. Every key is optional; the defaults are those of
//! PRODUCT.md, except the timezone: a book without one is read in UTC (a default of one
//! city's zone would silently mis-time every other book), and `care init` writes the
//! machine's zone so a new book starts right.

use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

use crate::time::Span;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    pub name: Option<String>,
    #[serde(deserialize_with = "zone")]
    pub timezone: Tz,
    /// When present, `check` reports staff names not in it.
    pub staff: Option<Vec<String>>,
    pub followup: Followup,
    pub flag_days: u32,
    /// How many days after an incident closed a visit counts as the customer returning
    /// (the computed `returned` dimension: yes, no, pending).
    pub returned_days: u32,
    pub discretion: f64,
    pub lexicon: Vec<LexiconEntry>,
    pub git: Git,
    /// A CSV of shifts, relative to the book (`model::exposure`): rates instead of counts.
    pub exposure: Option<std::path::PathBuf>,
    /// How long a customer may go without a visit, entry or incident before `care forget
    /// --due` lists them (storage limitation): none by default.
    pub retention: Retention,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    pub inactive: Option<Inactive>,
}

/// A span of calendar time as a retention is said: `3y`, `18mo`, `26w`, `400d` (years and
/// months are calendar months, as a lawyer counts them; `Span` stops at weeks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inactive {
    pub months: u32,
    pub days: u32,
}

impl Inactive {
    /// The last day of activity that is still recent enough on `today`.
    pub fn cutoff(self, today: chrono::NaiveDate) -> chrono::NaiveDate {
        let back = today.checked_sub_months(chrono::Months::new(self.months)).unwrap_or(chrono::NaiveDate::MIN);
        back.checked_sub_days(chrono::Days::new(self.days.into())).unwrap_or(chrono::NaiveDate::MIN)
    }
}

impl std::str::FromStr for Inactive {
    type Err = String;

    fn from_str(s: &str) -> Result<Inactive, String> {
        let bad = || format!("cannot read {s:?} as a retention span; use e.g. 3y, 18mo, 26w or 400d");
        let t = s.trim().to_ascii_lowercase();
        let digits = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let n: u32 = t[..digits].parse().map_err(|_| bad())?;
        let (months, days) = match t[digits..].trim() {
            "y" | "year" | "years" => (n.checked_mul(12).ok_or_else(bad)?, 0),
            "mo" | "month" | "months" => (n, 0),
            "w" | "week" | "weeks" => (0, n.checked_mul(7).ok_or_else(bad)?),
            "d" | "day" | "days" => (0, n),
            _ => return Err(bad()),
        };
        if months == 0 && days == 0 {
            return Err(format!("{s:?}: a retention of nothing would forget every customer; use e.g. 3y"));
        }
        Ok(Inactive { months, days })
    }
}

impl<'de> Deserialize<'de> for Inactive {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Inactive, D::Error> {
        crate::model::text::parsed(d, |s: &str| s.parse())
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default)]
pub struct Followup {
    pub progress: Span,
    pub check_in: Span,
    pub wrap_up: Span,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LexiconEntry {
    pub pattern: String,
    #[serde(default)]
    pub why: String,
    #[serde(default)]
    pub instead: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Git {
    pub commit: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            name: None,
            timezone: Tz::UTC,
            staff: None,
            followup: Followup::default(),
            flag_days: 90,
            returned_days: 90,
            discretion: 2000.0,
            lexicon: Vec::new(),
            git: Git::default(),
            exposure: None,
            retention: Retention::default(),
        }
    }
}

impl Default for Followup {
    fn default() -> Followup {
        Followup { progress: Span::minutes(20), check_in: Span::days(1), wrap_up: Span::days(3) }
    }
}

fn zone<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    crate::model::text::parsed(d, |name: &str| {
        name.parse().map_err(|_| {
            format!("unknown timezone {name:?}: use an IANA zone name such as America/New_York or Europe/Rome")
        })
    })
}

/// The text `care init` writes: every setting, with the defaults, explained.
pub fn template(name: &str, timezone: &str) -> String {
    format!(
        r#"# The settings of this care book. Every key is optional; the values shown are the defaults.
name: {name}
# IANA zone: times typed without an offset are read in it; trends group by its local time.
timezone: {timezone}
# When present, `care check` reports staff names that are not listed.
# staff: [joan, billy, dale, jeff]
followup:
  progress: 20m   # fix within this, or follow up with progress by then; re-arms until fixed
  check_in: 1d    # after the fix, check in with the customer
  wrap_up: 3d     # after closing, a handwritten note or a call
flag_days: 90     # how long a flag raised by an incident stays active
returned_days: 90 # `returned` is yes when the customer visits within this many days of the close
discretion: 2000  # what any staff member may spend on an extra without asking
# Phrases to avoid, added to the built-in list:
# lexicon:
#   - pattern: "(?i)it'?s (our|company) policy"
#     why: Hides behind rules instead of helping.
#     instead: "Here is what I can do for you"
git:
  commit: false   # true: every change is committed with a message that says what changed
# A CSV of shifts (date,start,end,staff,location[,covers]) in this folder: rates per
# shift-hour in trends and patterns (see docs/format.md).
# exposure: shifts.csv
# Customers with no visit, entry or incident for this long are listed by
# `care forget --due` (and forgotten by `--apply`): 3y, 18mo, 26w, 400d.
# retention: {{inactive: 3y}}
"#,
        name = serde_yaml_quote(name),
    )
}

/// A name as a YAML scalar: plain when that reads back the same, quoted otherwise.
fn serde_yaml_quote(name: &str) -> String {
    crate::yaml::to_string(&name).map(|s| s.trim_end().to_string()).unwrap_or_else(|_| format!("{name:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_template_reads_back_as_the_defaults() {
        let c: Config =
            crate::yaml::parse(Path::new("care.yaml"), &template("Trattoria: Sol", "Europe/Rome")).expect("valid");
        assert_eq!(c.name.as_deref(), Some("Trattoria: Sol"));
        assert_eq!(c.timezone, chrono_tz::Europe::Rome);
        assert_eq!(c.followup.progress, Span::minutes(20));
        assert_eq!(c.followup.check_in, Span::days(1));
        assert_eq!(c.flag_days, 90);
        assert!(!c.git.commit);
        assert_eq!(c.retention.inactive, None);
    }

    #[test]
    fn a_retention_reads_in_calendar_months_and_days() {
        let c: Config = crate::yaml::parse(Path::new("care.yaml"), "retention: {inactive: 3y}").expect("valid");
        let inactive = c.retention.inactive.expect("set");
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert_eq!(inactive.cutoff(day("2028-02-29")), day("2025-02-28"));
        assert_eq!("18mo".parse::<Inactive>(), Ok(Inactive { months: 18, days: 0 }));
        assert_eq!("2w".parse::<Inactive>(), Ok(Inactive { months: 0, days: 14 }));
        for bad in ["3", "3m", "0y", "-1y", "y", "99999999999y"] {
            assert!(bad.parse::<Inactive>().is_err(), "{bad}");
        }
        let err = crate::yaml::parse::<Config>(Path::new("care.yaml"), "retention:\n  inactive: 3 years ago\n")
            .expect_err("bad");
        assert!(err.to_string().contains("care.yaml:2:") && err.to_string().contains("3y"), "{err}");
    }

    #[test]
    fn an_empty_file_is_all_defaults_and_a_bad_zone_is_named() {
        let c: Config = crate::yaml::parse(Path::new("care.yaml"), "{}").expect("valid");
        assert_eq!(c.timezone, Tz::UTC);
        let err =
            crate::yaml::parse::<Config>(Path::new("care.yaml"), "name: x\ntimezone: Mars/Olympus\n").expect_err("bad");
        let msg = err.to_string();
        assert!(msg.contains("care.yaml:2:") && msg.contains("Mars/Olympus"), "{msg}");
    }
}
