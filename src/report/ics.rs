//! Follow-ups as a calendar (RFC 5545), for `--format ics` on `followup due` and `export
//! followups`: one VEVENT per follow-up at its due time, with the customer, what to do,
//! the contact and the critical preferences. Its UID is made of the incident id, the
//! follow-up's kind and its place in the incident's list (follow-ups are never removed),
//! so importing the file again updates each event instead of adding a copy.
//!
//! Times are written in UTC (`DTSTART:…Z`): exact in every calendar without a VTIMEZONE
//! block, which a TZID would require; calendars show them in the reader's zone, and
//! `X-WR-TIMEZONE` names the book's zone for those that honour it. Escaping and CRLF are
//! left to the icalendar crate; its folding let a line reach 76 octets and its PRODID named
//! the crate, so the finished text is folded again here, to the letter of RFC 5545 §3.1
//! (at most 75 octets a line, never inside a UTF-8 character), with care's own PRODID.

use std::collections::HashMap;

use chrono::Utc;
use icalendar::{Calendar, Component, EventLike};

use crate::model::incident::Followup;
use crate::model::recovery::action;
use crate::model::{Customer, Incident};
use crate::time::Stamp;

/// How long each event is shown as lasting: long enough to be seen in a day view.
const LENGTH_MINUTES: i64 = 15;

/// One follow-up to put in the calendar, with what it shows of its incident.
#[derive(Debug, Clone)]
pub struct Item {
    pub incident: String,
    pub customer: String,
    pub owner: Option<String>,
    pub summary: Option<String>,
    /// Its place in the incident's `followups:` list.
    pub index: usize,
    pub followup: Followup,
    /// The event's stable UID: a re-import updates the event instead of adding another.
    pub uid: String,
}

impl Item {
    pub fn new(i: &Incident, index: usize, followup: &Followup) -> Item {
        Item {
            incident: i.id.clone(),
            customer: i.customer.clone(),
            owner: i.owner.clone(),
            summary: i.summary.clone(),
            index,
            followup: followup.clone(),
            uid: uid(&i.id, &followup.kind, index),
        }
    }

    /// A customer's reminder (no incident): one event per occurrence, its UID from the
    /// customer, the occurrence's time and the reminder's text, none of which ever moves.
    pub fn reminder(customer: &str, owner: &str, followup: &Followup) -> Item {
        let text = followup.text.as_deref().unwrap_or("");
        let key: String = crate::model::id::slug(text).chars().take(24).collect();
        Item {
            incident: String::new(),
            customer: customer.to_string(),
            owner: (!owner.is_empty()).then(|| owner.to_string()),
            summary: None,
            index: 0,
            followup: followup.clone(),
            uid: format!(
                "{customer}-reminder-{}-{key}@care",
                followup.due.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ")
            ),
        }
    }

    /// The check of a corrective action (no incident, no customer): its UID from the action,
    /// whose check falls due once.
    pub fn verification(action: &str, owner: &str, followup: &Followup) -> Item {
        Item {
            incident: String::new(),
            customer: String::new(),
            owner: (!owner.is_empty()).then(|| owner.to_string()),
            summary: None,
            index: 0,
            followup: followup.clone(),
            uid: format!("{action}-verify@care"),
        }
    }
}

/// Every follow-up of an incident, done or not (`export followups`).
pub fn all(i: &Incident) -> impl Iterator<Item = Item> + '_ {
    i.followups.iter().enumerate().map(|(n, f)| Item::new(i, n, f))
}

/// The stable UID of a follow-up.
pub fn uid(incident: &str, kind: &str, index: usize) -> String {
    format!("{incident}-{kind}-{index}@care")
}

/// The calendar's text. `now` stamps each event (DTSTAMP), so output is reproducible
/// under `CARE_NOW`.
pub fn calendar(name: &str, zone: &str, items: &[Item], customers: &HashMap<String, Customer>, now: Stamp) -> String {
    let mut cal = Calendar::new();
    cal.name(name).timezone(zone);
    for item in items {
        let f = &item.followup;
        let customer = customers.get(&item.customer);
        let who = customer.map_or(item.customer.as_str(), |c| c.name.as_str());
        let done = if f.done.is_some() { "Done: " } else { "" };
        let due = f.due.with_timezone(&Utc);
        let mut event = icalendar::Event::new();
        event
            .uid(&item.uid)
            .timestamp(now.with_timezone(&Utc))
            .starts(due)
            .ends(due + chrono::Duration::minutes(LENGTH_MINUTES))
            .summary(&match who {
                "" => format!("{done}{}", action(f)),
                who => format!("{done}{who}: {}", action(f)),
            })
            .description(&description(item, customer));
        cal.push(event.done());
    }
    refold(&cal.done().to_string())
}

/// Who made the calendar (RFC 5545 §3.7.3): care, not the library it uses.
const PRODID: &str = concat!("PRODID:-//care//care ", env!("CARGO_PKG_VERSION"), "//EN");

/// The calendar's content lines unfolded, PRODID set to care's, and folded again: each
/// physical line at most 75 octets including the leading space of a continuation, cut
/// only between characters, and never beside a space (readers that trim the lines they
/// unfold would lose it).
fn refold(text: &str) -> String {
    let unfolded = text.replace("\r\n ", "").replace("\r\n\t", "");
    let mut out = String::with_capacity(unfolded.len() + unfolded.len() / 64);
    for line in unfolded.split("\r\n").filter(|l| !l.is_empty()) {
        let line = if line.starts_with("PRODID:") { PRODID } else { line };
        let mut rest = line;
        let mut room = 75;
        while rest.len() > room {
            let mut cut = char_floor(rest, room);
            while cut > 1 && (rest[cut..].starts_with([' ', '\t']) || rest[..cut].ends_with([' ', '\t'])) {
                cut = char_floor(rest, cut - 1);
            }
            if cut == 0 {
                // Only blanks to cut beside: cut after the first character rather than loop.
                cut = rest.chars().next().map_or(rest.len(), char::len_utf8);
            }
            out.push_str(&rest[..cut]);
            out.push_str("\r\n ");
            rest = &rest[cut..];
            room = 74;
        }
        out.push_str(rest);
        out.push_str("\r\n");
    }
    out
}

/// The largest character boundary of `s` at or below `at` (str::floor_char_boundary
/// is newer than the Rust care supports).
fn char_floor(s: &str, at: usize) -> usize {
    (0..=at.min(s.len())).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0)
}

/// What the person calling needs: how to reach them, what nobody may miss, why.
fn description(item: &Item, c: Option<&Customer>) -> String {
    let f = &item.followup;
    let mut lines = Vec::new();
    if let Some(c) = c {
        let contact = c.contact.summary();
        if !contact.is_empty() {
            lines.push(format!("Contact: {contact}"));
        }
        for e in c.critical() {
            lines.push(format!("Remember: {}", e.text));
        }
    }
    lines.push(format!("{} follow-up ({})", f.kind, action(f)));
    match &item.summary {
        _ if item.incident.is_empty() => {}
        Some(s) => lines.push(format!("Incident {}: {s}", item.incident)),
        None => lines.push(format!("Incident {}", item.incident)),
    }
    if let Some(o) = &item.owner {
        lines.push(format!("Owner: {o}"));
    }
    if let Some(d) = &f.done {
        lines.push(format!("Done {} by {}", crate::time::rfc3339(&d.at), d.by));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_at_most_75_octets_and_folds_between_characters() {
        let long = format!("DESCRIPTION:{}\r\n", "é€😀a".repeat(60));
        let text = refold(&format!("BEGIN:VCALENDAR\r\nPRODID:ICALENDAR-RS\r\n{long}END:VCALENDAR\r\n"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        assert!(text.contains(&format!("{PRODID}\r\n")) && !text.contains("ICALENDAR-RS"), "{text}");
        let back = text.replace("\r\n ", "");
        assert!(back.contains(long.trim_end()), "unfolding gives the line back");
        assert!(text.ends_with("END:VCALENDAR\r\n"));
    }
}
