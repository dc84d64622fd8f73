//! An incident: one service failure and its recovery, documented as a deposition (when,
//! what, how busy, who, where, the customer's circumstances) with the four steps and the
//! follow-ups that hold staff to them.

use serde::{Deserialize, Serialize};

use crate::time::Stamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    pub customer: String,
    #[serde(deserialize_with = "stamp::read")]
    pub opened: Stamp,
    /// When the deposition was written down (a day later is too late: memory fades).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "stamp::option")]
    pub recorded: Option<Stamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busyness: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circumstances: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub recovery: Recovery,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub followups: Vec<Followup>,
}

/// The four steps (apologize, review, fix with its extra) and the close.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Recovery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apologized: Option<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    #[serde(deserialize_with = "stamp::read")]
    pub at: Stamp,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", serialize_with = "super::amount::serialize")]
    pub value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Followup {
    pub kind: String,
    #[serde(deserialize_with = "stamp::read")]
    pub due: Stamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<Done>,
    /// Minutes past due when it was done: a breach stays on record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed_by: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Done {
    #[serde(deserialize_with = "stamp::read")]
    pub at: Stamp,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Incident {
    /// An incident about `customer`, opened at `opened`, with nothing else recorded yet.
    pub fn new(id: impl Into<String>, customer: impl Into<String>, opened: Stamp) -> Incident {
        Incident {
            id: id.into(),
            customer: customer.into(),
            opened,
            recorded: None,
            staff: None,
            owner: None,
            product: None,
            location: None,
            channel: None,
            busyness: None,
            summary: None,
            circumstances: None,
            tags: vec![],
            recovery: Recovery::default(),
            followups: vec![],
        }
    }

    /// The top-level fields this struct reads; any other is an extra field (`region:`).
    pub const FIELDS: [&str; 15] = super::fields::names(super::fields::INCIDENT, false);

    pub fn is_open(&self) -> bool {
        self.recovery.closed.is_none()
    }

    /// `extra_given`: `yes` when the recovery gave an extra, else `no`; with `returned`, it
    /// says which recoveries bring people back (`trends --by extra_given,returned`).
    pub fn extra_given(&self) -> &'static str {
        if self.recovery.extra.is_some() { "yes" } else { "no" }
    }

    /// The incident as book-wide reports (`trends`, `followup due`, `recover list`) see
    /// it: every field they group, filter or list by, and when each step was taken —
    /// nothing of the steps' words. Small, so the index that caches it stays small;
    /// `recover show` and `export` read the full record instead.
    pub fn digest(&self) -> Incident {
        self.clone().into_digest()
    }

    /// `digest`, made of the record itself (nothing copied): what reading a file for a
    /// report does with the record it parsed.
    pub fn into_digest(self) -> Incident {
        let bare =
            |s: Option<Step>| s.map(|s| Step { at: s.at, by: String::new(), note: None, what: None, value: None });
        let mut followups = self.followups;
        for f in &mut followups {
            if let Some(d) = &mut f.done {
                *d = Done { at: d.at, by: String::new(), how: None, note: None };
            }
        }
        let r = self.recovery;
        Incident {
            recorded: None,
            // Which steps were taken, and when: `recover list` shows them, `extra_given`
            // is read from the extra's.
            recovery: Recovery {
                apologized: bare(r.apologized),
                reviewed: bare(r.reviewed),
                fixed: bare(r.fixed),
                extra: bare(r.extra),
                closed: bare(r.closed),
            },
            followups,
            ..self
        }
    }
}

/// Reading a `Stamp` exactly as chrono's own `Deserialize` does (the same visitor calls,
/// the same message), but the shape care writes, `2026-11-22T19:42:00-05:00`, without
/// chrono's general parser: an incident holds a dozen stamps, and a book-wide read parses
/// a million of them. Anything else goes to chrono. Other records' stamps may use it too.
pub(crate) mod stamp {
    use std::fmt;

    use chrono::{FixedOffset, NaiveDate, TimeZone};
    use serde::de::{self, Deserialize, Deserializer, Visitor};

    use crate::time::Stamp;

    pub fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Stamp, D::Error> {
        d.deserialize_str(Visit)
    }

    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Stamp>, D::Error> {
        Ok(Option::<Fast>::deserialize(d)?.map(|f| f.0))
    }

    struct Fast(Stamp);

    impl<'de> Deserialize<'de> for Fast {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Fast, D::Error> {
            read(d).map(Fast)
        }
    }

    struct Visit;

    impl Visitor<'_> for Visit {
        type Value = Stamp;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an RFC 3339 formatted date and time string")
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<Stamp, E> {
            match parse(value) {
                Some(stamp) => Ok(stamp),
                None => value.parse().map_err(E::custom),
            }
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS` and `Z` or `±HH:MM`, every field in range; None for anything
    /// else (fractions, leap seconds, other separators), which chrono then judges.
    pub fn parse(s: &str) -> Option<Stamp> {
        let b = s.as_bytes();
        let num = |at: usize, len: usize| -> Option<u32> {
            b.get(at..at + len)?.iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
        };
        let shape = b.len() >= 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':';
        if !shape {
            return None;
        }
        let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
        let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
        let offset = match &b[19..] {
            b"Z" => 0,
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let (h, m) = (num(20, 2)?, num(23, 2)?);
                if h > 23 || m > 59 {
                    return None;
                }
                let secs = (h * 3600 + m * 60) as i32;
                if *sign == b'-' { -secs } else { secs }
            }
            _ => return None,
        };
        if !(1000..=9999).contains(&year) || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let naive = NaiveDate::from_ymd_opt(year as i32, month, day)?.and_hms_opt(hour, minute, second)?;
        FixedOffset::east_opt(offset)?.from_local_datetime(&naive).single()
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::sample::Rng;

        /// The same instant and the same offset as chrono's parser, or None.
        fn agrees(s: &str) -> bool {
            let chrono = s.parse::<Stamp>().ok();
            match parse(s) {
                None => true,
                Some(fast) => chrono.is_some_and(|c| c == fast && c.offset() == fast.offset()),
            }
        }

        #[test]
        fn reads_stamps_as_chrono_does() {
            for s in [
                "2026-11-22T19:42:00-05:00",
                "2026-11-22T19:42:00+05:30",
                "2026-11-22T19:42:00Z",
                "2026-11-22T19:42:00-00:00",
                "2024-02-29T00:00:00+00:00",
                "9999-12-31T23:59:59-23:59",
                "1000-01-01T00:00:00+23:59",
            ] {
                assert!(parse(s).is_some(), "{s}");
                assert!(agrees(s), "{s}");
            }
            for s in [
                "2026-02-29T19:42:00-05:00",
                "2026-11-22T24:00:00-05:00",
                "2026-11-22T19:60:00-05:00",
                "2026-11-22T19:42:60-05:00",
                "2026-11-22T19:42:00.5-05:00",
                "2026-11-22t19:42:00-05:00",
                "2026-11-22 19:42:00-05:00",
                "2026-11-22T19:42:00-0500",
                "2026-11-22T19:42:00-05:00 ",
                "2026-11-22T19:42:00+24:00",
                "2026-13-22T19:42:00-05:00",
                "2026-00-22T19:42:00-05:00",
                "0999-11-22T19:42:00-05:00",
                "+2026-11-22T19:42:00-05:00",
                "2026-11-22T19:42:00",
                "2026-11-22",
                "",
            ] {
                assert!(parse(s).is_none(), "{s}");
            }
        }

        /// Random stamps, and random damage to them: whatever the fast parse takes, chrono
        /// reads as the same instant in the same offset.
        #[test]
        fn agrees_with_chrono_on_random_and_damaged_stamps() {
            let mut rng = Rng::new(3);
            // Each field mostly in range, sometimes just past it.
            let two = |rng: &mut Rng, n: u64| format!("{:02}", rng.below(n));
            let mut taken = 0;
            for _ in 0..20_000 {
                let mut s = format!(
                    "{:04}-{}-{}T{}:{}:{}{}",
                    900 + rng.below(9200),
                    two(&mut rng, 14),
                    two(&mut rng, 33),
                    two(&mut rng, 26),
                    two(&mut rng, 62),
                    two(&mut rng, 62),
                    match rng.below(3) {
                        0 => "Z".to_string(),
                        1 => format!("+{}:{}", two(&mut rng, 26), two(&mut rng, 62)),
                        _ => format!("-{}:{}", two(&mut rng, 26), two(&mut rng, 62)),
                    }
                );
                if rng.chance(20) {
                    let at = rng.below(s.len() as u64) as usize;
                    let bit = *rng.pick(&["", "0", "9", "-", ":", "T", "Z", "+", " ", ".5", "t"]);
                    s.replace_range(at..at + 1, bit);
                }
                assert!(agrees(&s), "{s}");
                taken += usize::from(parse(&s).is_some());
            }
            assert!(taken > 100, "{taken}");
        }
    }
}
