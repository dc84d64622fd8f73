//! The tombstone (`forgotten.yaml`, committed at the book's root): what was forgotten,
//! kept without the person in it, so that every site can refuse to bring them back. It
//! holds salted SHA-256 hashes of the id, email and phone (a hash of a known phone number
//! without a salt is reversed by trying every number; the salt is the book's own, made on
//! the first forget), a stable pseudonym that stands for the person in the incidents (so
//! `trends` still counts their failures under one name), the date and the reason.
//!
//! Also here, as pure rules: what counts as the person in a record's text (`Needles`), and
//! the scrub of a record's value that replaces it.

use chrono::NaiveDate;
use regex::Regex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::yaml::Value;

/// At the book's root.
pub const FILE: &str = "forgotten.yaml";

/// What stands where a forgotten person's name, phone or email was written.
pub const REPLACEMENT: &str = "[forgotten]";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tombstone {
    /// Random hex, the book's own: made on the first forget, never changed.
    #[serde(default)]
    pub salt: String,
    #[serde(default)]
    pub forgotten: Vec<Gone>,
}

/// One person forgotten: hashes, never the values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gone {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub pseudonym: String,
    pub on: NaiveDate,
    pub reason: String,
}

impl Tombstone {
    /// A tombstone with a salt of its own (`random`: 16 random bytes).
    pub fn salted(random: [u8; 16]) -> Tombstone {
        Tombstone { salt: hex(&random), forgotten: Vec::new() }
    }

    fn hash(&self, kind: &str, value: &str) -> String {
        hex(&Sha256::digest(format!("{}:{kind}:{value}", self.salt).as_bytes()))
    }

    fn hash_id(&self, id: &str) -> String {
        self.hash("id", id)
    }

    fn hash_email(&self, email: &str) -> Option<String> {
        let e = normal_email(email);
        (!e.is_empty()).then(|| self.hash("email", &e))
    }

    fn hash_phone(&self, phone: &str) -> Option<String> {
        let p = normal_phone(phone);
        (!p.is_empty()).then(|| self.hash("phone", &p))
    }

    /// The name that stands for the customer `id` in the incidents: valid as a customer id.
    pub fn pseudonym(&self, id: &str) -> String {
        format!("forgotten-{}", &self.hash_id(id)[..10])
    }

    /// The entry for forgetting this person now.
    pub fn gone(&self, id: &str, email: Option<&str>, phone: Option<&str>, on: NaiveDate, reason: &str) -> Gone {
        Gone {
            id: self.hash_id(id),
            email: email.and_then(|e| self.hash_email(e)),
            phone: phone.and_then(|p| self.hash_phone(p)),
            pseudonym: self.pseudonym(id),
            on,
            reason: reason.to_string(),
        }
    }

    pub fn knows_id(&self, id: &str) -> Option<&Gone> {
        if self.forgotten.is_empty() {
            return None;
        }
        let h = self.hash_id(id);
        self.forgotten.iter().find(|g| g.id == h)
    }

    /// The entry of a forgotten person with this id, email or phone (any one is enough).
    pub fn knows(&self, id: Option<&str>, email: Option<&str>, phone: Option<&str>) -> Option<&Gone> {
        if self.forgotten.is_empty() {
            return None;
        }
        if let Some(g) = id.and_then(|id| self.knows_id(id)) {
            return Some(g);
        }
        let email = email.and_then(|e| self.hash_email(e));
        let phone = phone.and_then(|p| self.hash_phone(p));
        self.forgotten.iter().find(|g| (email.is_some() && g.email == email) || (phone.is_some() && g.phone == phone))
    }

    /// Whether the salt and every entry have the shape this file must have; the problem
    /// otherwise, for the file's error.
    pub fn problem(&self) -> Option<String> {
        let is_hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !self.forgotten.is_empty() && !is_hex(&self.salt, 32) {
            return Some("`salt` must be 32 hex digits (care makes it on the first forget)".into());
        }
        for (n, g) in self.forgotten.iter().enumerate() {
            let hashes = [Some(&g.id), g.email.as_ref(), g.phone.as_ref()];
            if hashes.into_iter().flatten().any(|h| !is_hex(h, 64)) {
                return Some(format!("entry {} of `forgotten` holds a value that is not a SHA-256 in hex", n + 1));
            }
        }
        None
    }
}

/// Replace in `text` each match of `re` that no `touching` character touches on either side.
fn bounded(re: &Regex, text: &mut String, with: &str, touching: impl Fn(char) -> bool) -> bool {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in re.find_iter(text) {
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        if before.is_some_and(&touching) || after.is_some_and(&touching) {
            continue;
        }
        out.push_str(&text[last..m.start()]);
        out.push_str(with);
        last = m.end();
    }
    if last == 0 && out.is_empty() {
        return false;
    }
    out.push_str(&text[last..]);
    *text = out;
    true
}

/// What a customer's incidents say about retention: the day of the latest, and whether
/// one is still open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Incidents {
    pub last: Option<NaiveDate>,
    pub open: bool,
}

impl Incidents {
    pub fn add(&mut self, opened: NaiveDate, open: bool) {
        self.last = self.last.max(Some(opened));
        self.open |= open;
    }
}

/// The customer's last day of activity — a visit, an entry or flag written, an incident —
/// when it is before `cutoff` and nothing keeps them: an open incident or a reminder still
/// pending. None: keep them. A record with no dated activity at all counts from `since`;
/// without that either, nothing says how old it is, and it is kept.
pub fn retention_due(
    c: &crate::model::Customer,
    incidents: Incidents,
    cutoff: NaiveDate,
    clock: &crate::time::Clock,
) -> Option<NaiveDate> {
    if incidents.open || c.reminders.iter().any(|r| super::reminder::pending(r, clock.now(), clock).is_some()) {
        return None;
    }
    let day = |t: &crate::time::Stamp| t.with_timezone(&clock.tz).date_naive();
    let entries = super::customer::Section::ALL.iter().flat_map(|&s| c.entries(s)).filter_map(|e| e.at.as_ref());
    let flags = c.flags.iter().flat_map(|f| [f.raised.as_ref(), f.cleared.as_ref()]).flatten();
    let visits = c.visit_summary().last;
    let last = entries.chain(flags).chain(visits.as_ref()).map(day).chain(incidents.last).max().or(c.since)?;
    (last < cutoff).then_some(last)
}

/// The refusal every writer gives: the date and the reason, never the person.
pub fn refusal(gone: &Gone) -> String {
    format!("this person was forgotten on {} ({})", gone.on, crate::text::visible(&gone.reason))
}

pub fn normal_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn normal_phone(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How the person is written in text: the full name and the email in any case, the phone
/// with any spacing or punctuation between its digits (with or without its country or
/// area code: its last seven digits), and the id as a whole word.
#[derive(Debug)]
pub struct Needles {
    /// Name and email: replaced by `REPLACEMENT` wherever they occur.
    plain: Option<Regex>,
    /// The phone: replaced by `REPLACEMENT` where no digit touches it.
    phone: Option<Regex>,
    /// The id: replaced by the pseudonym (it names the person, and is their file's name)
    /// where it is a whole id (`ada-lovelace-2` is someone else).
    id: Regex,
    pseudonym: String,
}

impl Needles {
    pub fn new(id: &str, name: &str, email: Option<&str>, phone: Option<&str>, pseudonym: &str) -> Needles {
        let mut parts: Vec<String> = Vec::new();
        let words: Vec<String> = name.split_whitespace().map(regex::escape).collect();
        if !words.is_empty() {
            parts.push(words.join(r"\s+"));
        }
        if let Some(e) = email.map(normal_email).filter(|e| !e.is_empty()) {
            parts.push(regex::escape(&e));
        }
        // Longest first, so a name inside an email is not cut in two.
        parts.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let plain = (!parts.is_empty()).then(|| format!("(?i)(?:{})", parts.join("|")));
        let digits = phone.map(normal_phone).unwrap_or_default();
        // A short number would match inside other numbers (prices, times).
        let phone = (digits.len() >= 6).then(|| {
            let spaced = |d: &str| d.chars().map(|c| c.to_string()).collect::<Vec<_>>().join(r"[\s\-.()/]*");
            let mut forms = vec![format!(r"(?:\+\s*)?{}", spaced(&digits))];
            if digits.len() > 7 {
                forms.push(spaced(&digits[digits.len() - 7..]));
            }
            forms.join("|")
        });
        let compiled = |re: Option<String>| re.and_then(|re| Regex::new(&re).ok());
        Needles {
            plain: compiled(plain),
            phone: compiled(phone),
            id: Regex::new(&regex::escape(id)).expect("an escaped id is a valid regex"),
            pseudonym: pseudonym.to_string(),
        }
    }

    /// The same needles as regular expressions with their replacement, the bounds written
    /// as look-arounds, in the syntax git filter-repo (Python's `re`) reads: for
    /// `care forget --purge-history`, which rewrites every old version of every file.
    pub fn rules(&self) -> Vec<(String, String)> {
        let mut rules = Vec::new();
        if let Some(re) = &self.plain {
            rules.push((re.as_str().to_string(), REPLACEMENT.to_string()));
        }
        if let Some(re) = &self.phone {
            rules.push((format!("(?<![0-9])(?:{})(?![0-9])", re.as_str()), REPLACEMENT.to_string()));
        }
        rules.push((format!("(?<![a-z0-9-]){}(?![a-z0-9-])", self.id.as_str()), self.pseudonym.clone()));
        rules
    }

    /// Whether `text` holds the person (name, email, phone or id).
    pub fn found_in(&self, text: &str) -> bool {
        self.replace(text).is_some()
    }

    /// `text` without the person, or None when it did not hold them.
    pub fn replace(&self, text: &str) -> Option<String> {
        let mut out = text.to_string();
        let mut hit = false;
        if let Some(re) = &self.plain {
            hit |= bounded(re, &mut out, REPLACEMENT, |_| false);
        }
        if let Some(re) = &self.phone {
            hit |= bounded(re, &mut out, REPLACEMENT, |c| c.is_ascii_digit());
        }
        let id_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        hit |= bounded(&self.id, &mut out, &self.pseudonym, id_char);
        hit.then_some(out)
    }

    /// Scrub a record's value: every string (keys too) that holds the person. Returns the
    /// fields changed, as paths (`notes[2].text`), for `--dry-run` and the summary.
    pub fn scrub(&self, value: &mut Value) -> Vec<String> {
        let mut changed = Vec::new();
        self.scrub_at(value, String::new(), &mut changed);
        changed
    }

    fn scrub_at(&self, value: &mut Value, at: String, changed: &mut Vec<String>) {
        match value {
            Value::String(s) => {
                if let Some(new) = self.replace(s) {
                    *s = new;
                    changed.push(if at.is_empty() { "(value)".into() } else { at });
                }
            }
            Value::Sequence(items) => {
                for (n, item) in items.iter_mut().enumerate() {
                    self.scrub_at(item, format!("{at}[{n}]"), changed);
                }
            }
            Value::Mapping(map) => {
                let old = std::mem::take(map);
                for (mut key, mut item) in old {
                    let name = match &key {
                        Value::String(s) => s.clone(),
                        other => crate::yaml::to_string(other).map(|s| s.trim().to_string()).unwrap_or_default(),
                    };
                    let here = if at.is_empty() { name.clone() } else { format!("{at}.{name}") };
                    if let Value::String(s) = &mut key
                        && let Some(new) = self.replace(s)
                    {
                        *s = new;
                        changed.push(format!("{here} (its key)"));
                    }
                    let here = match &key {
                        Value::String(s) if at.is_empty() => s.clone(),
                        Value::String(s) => format!("{at}.{s}"),
                        _ => here,
                    };
                    self.scrub_at(&mut item, here, changed);
                    map.insert(key, item);
                }
            }
            Value::Tagged(tagged) => self.scrub_at(&mut tagged.value, at, changed),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 1, 2).expect("date")
    }

    #[test]
    fn a_gone_person_is_known_by_id_email_or_phone_and_holds_no_value() {
        let mut t = Tombstone::salted([7; 16]);
        let g = t.gone("ada-lovelace", Some(" Ada@Example.com "), Some("+1 555 0100"), day(), "asked");
        let text = crate::yaml::to_string(&g).expect("yaml");
        // Words no hex digest can hold (a digest may well contain "ada" or "555").
        for plain in ["Ada", "lovelace", "example", "555 0100", "+1"] {
            assert!(!text.contains(plain), "{plain} in {text}");
        }
        assert!(crate::model::id::check_customer_id(&g.pseudonym).is_ok(), "{}", g.pseudonym);
        assert_eq!(g.pseudonym, t.pseudonym("ada-lovelace"), "stable");
        t.forgotten.push(g);
        assert!(t.knows_id("ada-lovelace").is_some());
        assert!(t.knows_id("ada").is_none());
        assert!(t.knows(None, Some("ada@example.com"), None).is_some(), "email in any case");
        assert!(t.knows(None, None, Some("(1) 555-0100")).is_some(), "phone by its digits");
        assert!(t.knows(Some("bob"), Some("bob@example.com"), Some("555 0199")).is_none());
        assert!(t.knows(None, Some(""), Some("")).is_none(), "an empty value matches nobody");
        assert_eq!(t.problem(), None);
        let other = Tombstone::salted([8; 16]);
        assert_ne!(other.pseudonym("ada-lovelace"), t.pseudonym("ada-lovelace"), "salted per book");
    }

    #[test]
    fn retention_counts_from_the_last_activity_and_spares_open_incidents_and_pending_reminders() {
        let clock = crate::time::Clock::real_or(
            Some(chrono::DateTime::parse_from_rfc3339("2030-06-01T12:00:00Z").expect("t").into()),
            chrono_tz::UTC,
        );
        let text = "id: ada\nname: Ada\nsince: 2020-01-01\nnotes:\n  - {text: hi, at: 2026-05-01T10:00:00Z}\n";
        let c: crate::model::Customer = crate::yaml::parse(std::path::Path::new("ada.yaml"), text).expect("yaml");
        let cutoff = NaiveDate::from_ymd_opt(2027, 6, 1).expect("date");
        let may = NaiveDate::from_ymd_opt(2026, 5, 1).expect("date");
        assert_eq!(retention_due(&c, Incidents::default(), cutoff, &clock), Some(may));
        let mut recent = Incidents::default();
        recent.add(NaiveDate::from_ymd_opt(2028, 1, 1).expect("date"), false);
        assert_eq!(retention_due(&c, recent, cutoff, &clock), None, "a later incident is activity");
        let open = Incidents { last: Some(may), open: true };
        assert_eq!(retention_due(&c, open, cutoff, &clock), None, "an open incident keeps them");
        let reminded = format!("{text}reminders:\n  - {{text: call, due: 2031-01-01T10:00:00Z}}\n");
        let c: crate::model::Customer = crate::yaml::parse(std::path::Path::new("ada.yaml"), &reminded).expect("yaml");
        assert_eq!(retention_due(&c, Incidents::default(), cutoff, &clock), None, "a pending reminder keeps them");
    }

    #[test]
    fn the_person_is_scrubbed_from_every_string_and_the_id_becomes_the_pseudonym() {
        let n =
            Needles::new("ada-lovelace", "Ada Lovelace", Some("ada@example.com"), Some("+1 555 0100"), "forgotten-x");
        let mut v: Value = crate::yaml::parse(
            std::path::Path::new("x.yaml"),
            "customer: ada-lovelace\nsummary: ADA  LOVELACE waited; call 555-0100 or ADA@example.com\n\
             notes:\n  - {text: Came with Ada Lovelace, by: joan}\n  - {text: Ada alone is someone else}\n\
             price: 15550100\n",
        )
        .expect("yaml");
        let changed = n.scrub(&mut v);
        assert_eq!(changed, ["customer", "summary", "notes[0].text"]);
        assert_eq!(v["customer"].as_str(), Some("forgotten-x"));
        assert_eq!(v["summary"].as_str(), Some("[forgotten] waited; call [forgotten] or [forgotten]"));
        assert_eq!(v["notes"][1]["text"].as_str(), Some("Ada alone is someone else"));
        assert!(!n.found_in("ada-lovelace-2 is another"), "a longer id is someone else");
        assert!(n.found_in("ring +1 (555) 0100"));
    }
}
