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
