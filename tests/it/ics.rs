//! `--format ics`: follow-ups as a calendar that an independent parser (the `ical` crate)
//! reads, with each event at the due time in the book's zone, the customer, what to do,
//! the contact and what nobody may miss, and a UID that stays the same on a re-export.

use crate::common;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::America::New_York;
use common::TestBook;

struct Event {
    uid: String,
    start: DateTime<Utc>,
    summary: String,
    description: String,
}

/// Parse with `ical`, a parser that shares no code with the writer.
fn events(text: &str) -> Vec<Event> {
    let mut calendars = ical::IcalParser::new(text.as_bytes());
    let calendar = calendars.next().expect("one calendar").expect("it parses");
    assert!(calendars.next().is_none(), "exactly one calendar");
    calendar
        .events
        .iter()
        .map(|e| {
            let get = |name: &str| {
                e.properties.iter().find(|p| p.name == name).and_then(|p| p.value.clone()).unwrap_or_default()
            };
            let start = get("DTSTART");
            let naive = NaiveDateTime::parse_from_str(start.trim_end_matches('Z'), "%Y%m%dT%H%M%S").expect("a time");
            assert!(start.ends_with('Z'), "DTSTART in UTC: {start}");
            Event {
                uid: get("UID"),
                start: Utc.from_utc_datetime(&naive),
                summary: get("SUMMARY"),
                description: get("DESCRIPTION"),
            }
        })
        .collect()
}

fn story() -> (TestBook, String) {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--phone", "+1 555 0100"]);
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish; no calls before 11"]);
    let id = book.ok(&["recover", "open", "ada", "--what", "Entrées mixed up", "--at", "19:30"]).trim().to_string();
    book.ok(&["recover", "fix", &id, "--at", "19:40"]);
    (book, id)
}

#[test]
fn followup_due_as_a_calendar_has_the_right_times_in_the_books_zone() {
    let (book, id) = story();
    let text = book.ok(&["followup", "due", "--within", "2d", "--format", "ics"]);
    let events = events(&text);
    assert_eq!(events.len(), 1, "{text}");
    let e = &events[0];
    // Fixed at 19:40 New York time: the check-in is due at 19:40 the next day, there.
    let local = e.start.with_timezone(&New_York);
    assert_eq!(local.format("%Y-%m-%d %H:%M").to_string(), "2026-11-23 19:40");
    assert!(e.summary.contains("Ada Lovelace") && e.summary.contains("Check in"), "{}", e.summary);
    assert!(e.description.contains("+1 555 0100"), "{}", e.description);
    assert!(e.description.contains("Allergic to shellfish"), "{}", e.description);
    assert_eq!(e.uid, format!("{id}-check-in-1@care"));
}

#[test]
fn the_export_names_every_follow_up_with_a_uid_that_a_re_import_updates() {
    let (book, id) = story();
    let first = events(&book.ok(&["export", "followups", "--format", "ics"]));
    let uids: Vec<&str> = first.iter().map(|e| e.uid.as_str()).collect();
    let progress = format!("{id}-progress-0@care");
    let check_in = format!("{id}-check-in-1@care");
    assert_eq!(uids, [progress.as_str(), check_in.as_str()]);
    // The progress follow-up was done at the fix; it stays, marked done.
    assert!(first[0].summary.starts_with("Done: "), "{}", first[0].summary);
    assert_eq!(first[0].start.with_timezone(&New_York).format("%H:%M").to_string(), "19:50");

    book.ok(&["followup", "done", &id, "--kind", "check-in", "--at", "19:41"]);
    let again = events(&book.ok(&["export", "followups", "--format", "ics"]));
    assert_eq!(again.iter().map(|e| e.uid.as_str()).collect::<Vec<_>>(), uids, "the same UIDs: an update, not a copy");
}

#[test]
fn other_commands_refuse_the_calendar_format() {
    let (book, _) = story();
    let out = book.fails(&["flags", "--format", "ics"], 2);
    assert!(out.stderr.contains("followup due"), "{}", out.stderr);
}

#[test]
fn a_customers_reminder_is_an_event_too_with_a_uid_that_does_not_move() {
    let (book, _) = story();
    book.ok(&["remind", "ada", "--due", "tomorrow 10am", "Call about the album launch"]);
    let export = || events(&book.ok(&["followup", "due", "--within", "2d", "--format", "ics"]));
    let first = export();
    let reminder = first.iter().find(|e| e.summary.contains("album launch")).expect("the reminder is in the calendar");
    assert_eq!(reminder.start.with_timezone(&New_York).format("%Y-%m-%d %H:%M").to_string(), "2026-11-23 10:00");
    assert!(reminder.summary.starts_with("Ada Lovelace"), "{}", reminder.summary);
    assert!(reminder.description.contains("+1 555 0100") && reminder.description.contains("shellfish"));
    assert!(reminder.uid.starts_with("ada-lovelace-reminder-20261123T150000Z"), "{}", reminder.uid);
    // A second export names the same events the same way.
    let again: Vec<String> = export().into_iter().map(|e| e.uid).collect();
    assert_eq!(again, first.iter().map(|e| e.uid.clone()).collect::<Vec<_>>());
}

#[test]
fn the_calendar_keeps_rfc_5545_to_the_letter_folding_at_75_octets_and_naming_care() {
    let (book, _) = story();
    // Long lines of many-byte characters: the crate's own folding let one reach 76 octets.
    book.ok(&["note", "ada", "--pref", "--critical", &"Ünïcödé allergy notes: 😀 sesame, €-priced ".repeat(8)]);
    let text = book.ok(&["followup", "due", "--within", "2d", "--format", "ics"]);
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    assert!(text.lines().any(|l| l.starts_with("PRODID:-//care//care ")), "{text}");
    assert!(!text.contains("ICALENDAR-RS"), "{text}");
    let events = events(&text);
    // The parser leaves RFC 5545's escaped commas as they are.
    let description = events[0].description.replace("\\,", ",");
    assert!(description.contains(&"Ünïcödé allergy notes: 😀 sesame, €-priced ".repeat(7)), "{description}");
}
