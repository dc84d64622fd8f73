//! The JSON object a hook reads on stdin (docs/hooks.md, schema 1): built from records
//! only, so the shape is tested without spawning anything. Every event has the same
//! envelope (`schema`, `event`, `book`, `at`, `by`, `customer`, `incident`) and one
//! event-specific member; absent values are `null`, never missing keys, so a script can
//! read any field without checking first. A change that breaks a reader bumps `SCHEMA`.

use serde_json::{Map, Value as Json, json};

use crate::model::incident::{Followup, Step};
use crate::model::recovery::action;
use crate::model::{Customer, Entry, Flag, Incident, Section, fields};
use crate::time::{Stamp, rfc3339};

/// The version of the shape below; readers should check it.
pub const SCHEMA: u32 = 1;

/// Where and when an event happened, and who caused it.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    pub event: &'a str,
    pub book_name: Option<&'a str>,
    pub book_path: String,
    pub at: Stamp,
    pub by: &'a str,
    pub today: chrono::NaiveDate,
}

/// The whole object: the envelope, the customer and incident (or `null`), and `extra`
/// (the event's own member, e.g. `"step": {…}`).
pub fn object(
    env: &Envelope,
    customer: Option<&Customer>,
    incident: Option<&Incident>,
    extra: Map<String, Json>,
) -> Json {
    let mut m = Map::new();
    m.insert("schema".into(), json!(SCHEMA));
    m.insert("event".into(), json!(env.event));
    m.insert("book".into(), json!({ "name": env.book_name, "path": env.book_path }));
    m.insert("at".into(), json!(rfc3339(&env.at)));
    m.insert("by".into(), json!(env.by));
    m.insert("customer".into(), customer.map_or(Json::Null, |c| self::customer(c, env.today)));
    m.insert("incident".into(), incident.map_or(Json::Null, self::incident));
    m.extend(extra);
    Json::Object(m)
}

fn time(t: Option<&Stamp>) -> Json {
    t.map_or(Json::Null, |t| json!(rfc3339(t)))
}

pub fn customer(c: &Customer, today: chrono::NaiveDate) -> Json {
    json!({
        "id": c.id,
        "name": c.name,
        "phone": c.contact.phone,
        "email": c.contact.email,
        "lifetime_value": c.lifetime_value,
        "remember": c.critical().iter().map(|e| e.text.as_str()).collect::<Vec<_>>(),
        "flags": c.active_flags(today).iter().map(|(_, f)| f.text.as_str()).collect::<Vec<_>>(),
    })
}

pub fn incident(i: &Incident) -> Json {
    json!({
        (fields::ID): i.id,
        (fields::OPENED): rfc3339(&i.opened),
        (fields::SUMMARY): i.summary,
        (fields::OWNER): i.owner,
        (fields::STAFF): i.staff,
        (fields::PRODUCT): i.product,
        (fields::LOCATION): i.location,
        (fields::CHANNEL): i.channel,
        "status": if i.is_open() { "open" } else { "closed" },
    })
}

/// One member, for `object`'s `extra`.
pub fn member(key: &str, value: Json) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert(key.into(), value);
    m
}

/// `customer-forgotten`: what the tombstone keeps (the pseudonym the incidents now name,
/// the day, the reason), never the person.
pub fn forgotten(pseudonym: &str, on: chrono::NaiveDate, reason: &str) -> Map<String, Json> {
    member("forgotten", json!({ "pseudonym": pseudonym, "on": on.to_string(), "reason": reason }))
}

/// `step-recorded`: the step under `recovery:` (`field`) and the follow-ups it scheduled.
pub fn step(field: &str, s: &Step, scheduled: &[&Followup]) -> Map<String, Json> {
    let mut m = member(
        "step",
        json!({ "kind": field, "at": rfc3339(&s.at), "by": s.by, "note": s.note, "what": s.what, "value": s.value }),
    );
    let scheduled: Vec<Json> =
        scheduled.iter().map(|f| json!({ "kind": f.kind, "due": rfc3339(&f.due), "what": action(f) })).collect();
    m.insert("scheduled".into(), Json::Array(scheduled));
    m
}

/// `followup-done`, `followup-overdue`, `followup-soon`: one follow-up, by its index in
/// the incident's list (stable: follow-ups are never removed).
pub fn followup(index: usize, f: &Followup, now: Stamp) -> Map<String, Json> {
    let done = f
        .done
        .as_ref()
        .map_or(Json::Null, |d| json!({ "at": rfc3339(&d.at), "by": d.by, "how": d.how, "note": d.note }));
    member(
        "followup",
        json!({
            "index": index,
            "kind": f.kind,
            "due": rfc3339(&f.due),
            "what": action(f),
            "overdue_by": (now - f.due).num_minutes(),
            "done": done,
            "missed_by": f.missed_by,
        }),
    )
}

/// `followup-overdue`, `followup-soon` for a corrective action's check (kind `verify`):
/// the action whose effect is to be verified.
pub fn action_check(a: &crate::model::action::Action) -> Map<String, Json> {
    member(
        "action",
        json!({
            "id": a.id,
            "what": a.what,
            "for": a.filter,
            "at": rfc3339(&a.at),
            "by": a.by,
            "owner": a.owner,
        }),
    )
}

/// `followup-overdue`, `followup-soon`: how many times this notice has now been given.
pub fn notice(count: u32, first: Stamp) -> Map<String, Json> {
    member("notice", json!({ "count": count, "first": rfc3339(&first) }))
}

/// `flag-raised`, `flag-cleared`: the flag by its number on the customer's file.
pub fn flag(n: usize, f: &Flag) -> Map<String, Json> {
    member(
        "flag",
        json!({
            "n": n,
            "text": f.text,
            "raised": time(f.raised.as_ref()),
            "by": f.by,
            "until": f.until.map(|d| d.to_string()),
            "incident": f.incident,
            "cleared": time(f.cleared.as_ref()),
            "cleared_by": f.cleared_by,
        }),
    )
}

/// `note-added`: the entry and the part of the record it went to.
pub fn note(section: Section, e: &Entry) -> Map<String, Json> {
    member(
        "note",
        json!({
            "kind": section.label(),
            "text": e.text,
            "critical": e.critical,
            "at": time(e.at.as_ref()),
            "by": e.by,
            "incident": e.incident,
        }),
    )
}

/// `visit-recorded`: the visit as it was saved.
pub fn visit(v: &crate::model::visit::Visit) -> Map<String, Json> {
    member(
        "visit",
        json!({
            "at": rfc3339(&v.at),
            "by": v.by,
            "spend": v.spend,
            "party": v.party,
            "location": v.location,
            "staff": v.staff,
            "note": v.note,
        }),
    )
}

/// `reminder-added`, and beside `followup` when a reminder is due or done: the reminder by
/// its index in the customer's `reminders:` list (stable: reminders are never removed), with
/// `next`, the occurrence pending at the event's time (`null`: none left).
pub fn reminder(index: usize, r: &crate::model::reminder::Reminder, next: Option<Stamp>) -> Map<String, Json> {
    member(
        "reminder",
        json!({
            "index": index,
            "id": r.id,
            "text": r.text,
            "due": rfc3339(&r.due),
            "every": r.every,
            "owner": r.owner,
            "at": time(r.at.as_ref()),
            "by": r.by,
            "next": time(next.as_ref()),
        }),
    )
}

/// `followup-overdue`, `followup-soon`, `followup-done` about a customer's reminder: the
/// `followup` member in the same shape as an incident's, of kind `reminder`; `index` is the
/// reminder's in the customer's list and `due` the occurrence.
pub fn reminder_followup(
    index: usize,
    r: &crate::model::reminder::Reminder,
    occurrence: Stamp,
    now: Stamp,
) -> Map<String, Json> {
    let done = r
        .done
        .iter()
        .find(|m| m.occurrence == occurrence)
        .map_or(Json::Null, |d| json!({ "at": rfc3339(&d.at), "by": d.by, "how": d.how, "note": d.note }));
    member(
        "followup",
        json!({
            "index": index,
            "kind": crate::report::followups::REMINDER,
            "due": rfc3339(&occurrence),
            "what": r.text,
            "overdue_by": (now - occurrence).num_minutes(),
            "done": done,
            "missed_by": Json::Null,
        }),
    )
}
