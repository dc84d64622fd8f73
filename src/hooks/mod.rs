//! Hooks: a clone's own programs in `.care/hooks/<event>`, run after a change was saved
//! (and by `care notify` as follow-ups fall due), with the event as one JSON object on
//! stdin (docs/hooks.md). They reach the staff who never open a shell — mail, SMS, chat.
//!
//! Two promises shape this module. A shared book never runs code that arrived through a
//! pull: a hook runs only when git says positively that it is the clone's own (`trust`:
//! untracked, in no submodule or nested repository; when git cannot say, nothing runs),
//! and never when reached through a link leading out of `.care/hooks` (`Book::hook`).
//! And a hook never costs a write: it runs after the write, a failure or a hang (cut off
//! after `CARE_HOOK_TIMEOUT`) is a warning, and nothing is undone. When no hook file
//! exists, nothing is read or built at all. `audit` tells `care check` the same verdicts.

mod run;
mod trust;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value as Json;

use crate::book::{Book, Hook};
use crate::model::recovery::{Change, Plan};
use crate::model::reminder;
use crate::model::visit::Visit;
use crate::model::{Customer, Entry, Incident, Section};
use crate::report::check::HookProblem;
use crate::report::event::{self, Envelope};
use crate::time::Stamp;
use crate::ui::Ui;
use trust::Trust;

pub const INCIDENT_OPENED: &str = "incident-opened";
pub const STEP_RECORDED: &str = "step-recorded";
pub const FOLLOWUP_DONE: &str = "followup-done";
pub const FLAG_RAISED: &str = "flag-raised";
pub const FLAG_CLEARED: &str = "flag-cleared";
pub const NOTE_ADDED: &str = "note-added";
pub const FOLLOWUP_OVERDUE: &str = "followup-overdue";
pub const FOLLOWUP_SOON: &str = "followup-soon";
pub const VISIT_RECORDED: &str = "visit-recorded";
pub const REMINDER_ADDED: &str = "reminder-added";
pub const CUSTOMER_FORGOTTEN: &str = "customer-forgotten";

/// Every event a hook may be named after.
pub const EVENTS: [&str; 11] = [
    INCIDENT_OPENED,
    STEP_RECORDED,
    FOLLOWUP_DONE,
    FLAG_RAISED,
    FLAG_CLEARED,
    NOTE_ADDED,
    FOLLOWUP_OVERDUE,
    FOLLOWUP_SOON,
    VISIT_RECORDED,
    REMINDER_ADDED,
    CUSTOMER_FORGOTTEN,
];

/// A change a command has just saved, named by ids: the records are read again only when
/// a hook is there to hear of it, so a book without hooks pays nothing.
#[derive(Debug)]
pub enum Event<'a> {
    Opened {
        incident: &'a str,
    },
    /// Steps recorded and follow-ups done on one incident (`recover …`, `followup done`).
    Plan {
        incident: &'a str,
        plan: &'a Plan,
    },
    Note {
        customer: &'a str,
        section: Section,
        entry: &'a Entry,
    },
    FlagRaised {
        customer: &'a str,
        n: usize,
    },
    FlagCleared {
        customer: &'a str,
        numbers: &'a [usize],
    },
    Visit {
        customer: &'a str,
        visit: &'a Visit,
    },
    /// A reminder set on a customer: its index in their `reminders:` list.
    Reminder {
        customer: &'a str,
        index: usize,
    },
    /// One occurrence of a customer's reminder marked done (`followup done CUSTOMER`).
    ReminderDone {
        customer: &'a str,
        index: usize,
        occurrence: Stamp,
    },
    /// A customer forgotten (`care forget`): only what the tombstone keeps, never the person.
    Forgotten {
        pseudonym: &'a str,
        on: chrono::NaiveDate,
        reason: &'a str,
    },
}

/// What became of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// No hook for this event.
    Absent,
    Delivered,
    /// Refused, failed or stopped; a warning has said which and why.
    Failed,
}

/// Run the hooks for a change that was saved. Never fails: the write stands.
pub fn emit(book: &Book, ui: &Ui, by: &str, event: &Event) {
    let names = names(event);
    if names.iter().all(|n| book.hook(n) == Hook::Absent) {
        return;
    }
    for (name, payload) in payloads(book, by, event) {
        deliver(book, ui, name, &payload, "the change is saved");
    }
}

fn names(event: &Event) -> Vec<&'static str> {
    match event {
        Event::Opened { .. } => vec![INCIDENT_OPENED],
        Event::Plan { plan, .. } => plan
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::Step(..) => Some(STEP_RECORDED),
                Change::Done { .. } => Some(FOLLOWUP_DONE),
                Change::Schedule(_) => None,
            })
            .collect(),
        Event::Note { .. } => vec![NOTE_ADDED],
        Event::FlagRaised { .. } => vec![FLAG_RAISED],
        Event::FlagCleared { .. } => vec![FLAG_CLEARED],
        Event::Visit { .. } => vec![VISIT_RECORDED],
        Event::Reminder { .. } => vec![REMINDER_ADDED],
        Event::ReminderDone { .. } => vec![FOLLOWUP_DONE],
        Event::Forgotten { .. } => vec![CUSTOMER_FORGOTTEN],
    }
}

/// The event's objects, built from the records as they are now (after the write).
fn payloads(book: &Book, by: &str, event: &Event) -> Vec<(&'static str, Json)> {
    let customer = |id: &str| book.customer_by_id(id).ok().flatten();
    let incident = |id: &str| book.find_incident(id).ok().map(|(_, i)| i);
    let object = |name, c: Option<&Customer>, i: Option<&Incident>, extra| {
        (name, event::object(&envelope(book, name, by), c, i, extra))
    };
    match event {
        Event::Opened { incident: id } => {
            let i = incident(id);
            let c = i.as_ref().and_then(|i| customer(&i.customer));
            vec![object(INCIDENT_OPENED, c.as_ref(), i.as_ref(), Default::default())]
        }
        Event::Plan { incident: id, plan } => {
            let Some(i) = incident(id) else { return Vec::new() };
            let c = customer(&i.customer);
            let scheduled: Vec<_> =
                plan.changes.iter().filter_map(|c| if let Change::Schedule(f) = c { Some(f) } else { None }).collect();
            let now = book.clock.now();
            plan.changes
                .iter()
                .filter_map(|change| match change {
                    Change::Step(kind, step) => {
                        Some(object(STEP_RECORDED, c.as_ref(), Some(&i), event::step(kind.field(), step, &scheduled)))
                    }
                    Change::Done { index, .. } => i
                        .followups
                        .get(*index)
                        .map(|f| object(FOLLOWUP_DONE, c.as_ref(), Some(&i), event::followup(*index, f, now))),
                    Change::Schedule(_) => None,
                })
                .collect()
        }
        Event::Note { customer: id, section, entry } => {
            let c = customer(id);
            let i = entry.incident.as_deref().and_then(incident);
            vec![object(NOTE_ADDED, c.as_ref(), i.as_ref(), event::note(*section, entry))]
        }
        Event::FlagRaised { customer: id, n } => flags(book, by, FLAG_RAISED, customer(id), &[*n]),
        Event::FlagCleared { customer: id, numbers } => flags(book, by, FLAG_CLEARED, customer(id), numbers),
        Event::Visit { customer: id, visit } => {
            vec![object(VISIT_RECORDED, customer(id).as_ref(), None, event::visit(visit))]
        }
        Event::Reminder { customer: id, index } => {
            let Some(c) = customer(id) else { return Vec::new() };
            let Some(r) = c.reminders.get(*index) else { return Vec::new() };
            let next = reminder::pending(r, book.clock.now(), &book.clock);
            vec![object(REMINDER_ADDED, Some(&c), None, event::reminder(*index, r, next))]
        }
        Event::ReminderDone { customer: id, index, occurrence } => {
            let Some(c) = customer(id) else { return Vec::new() };
            let Some(r) = c.reminders.get(*index) else { return Vec::new() };
            let now = book.clock.now();
            let mut extra = event::reminder_followup(*index, r, *occurrence, now);
            extra.extend(event::reminder(*index, r, reminder::pending(r, now, &book.clock)));
            vec![object(FOLLOWUP_DONE, Some(&c), None, extra)]
        }
        Event::Forgotten { pseudonym, on, reason } => {
            vec![object(CUSTOMER_FORGOTTEN, None, None, event::forgotten(pseudonym, *on, reason))]
        }
    }
}

/// One object per flag, with the incident behind it when there is one.
fn flags(
    book: &Book,
    by: &str,
    name: &'static str,
    c: Option<Customer>,
    numbers: &[usize],
) -> Vec<(&'static str, Json)> {
    let Some(c) = c else { return Vec::new() };
    numbers
        .iter()
        .filter_map(|&n| c.flags.get(n.checked_sub(1)?).map(|f| (n, f)))
        .map(|(n, f)| {
            let i = f.incident.as_deref().and_then(|id| book.find_incident(id).ok()).map(|(_, i)| i);
            (name, event::object(&envelope(book, name, by), Some(&c), i.as_ref(), event::flag(n, f)))
        })
        .collect()
}

/// The envelope of an event happening now in this book.
pub fn envelope<'a>(book: &'a Book, name: &'a str, by: &'a str) -> Envelope<'a> {
    Envelope {
        event: name,
        book_name: book.config.name.as_deref(),
        book_path: book.location(),
        at: book.clock.now(),
        by,
        today: book.clock.today(),
    }
}

/// Run the hook for `name` with `payload`, if there is one this clone may run. Every
/// failure is a warning ending with `after` (what still holds: "the change is saved"),
/// but git being unable to answer is said once a process: it holds for every hook.
pub fn deliver(book: &Book, ui: &Ui, name: &str, payload: &Json, after: &str) -> Delivery {
    static UNKNOWN_TOLD: AtomicBool = AtomicBool::new(false);
    let (path, shown, target) = match book.hook(name) {
        Hook::Absent => return Delivery::Absent,
        Hook::Refused(why) => {
            ui.warn(&format!("hook not run: {why}; {after}"));
            return Delivery::Failed;
        }
        Hook::Runnable { path, name, target } => (path, name, target),
    };
    match trust::trust(book, &path, &shown, &target) {
        Trust::Runs => {}
        Trust::Tracked(why) | Trust::Nested(why) => {
            ui.warn(&format!("hook not run: {why}; {after}"));
            return Delivery::Failed;
        }
        Trust::Unknown(why) => {
            if !UNKNOWN_TOLD.swap(true, Ordering::Relaxed) {
                ui.warn(&format!(
                    "no hook runs: git cannot say whether {shown} is the clone's own or came with a pull ({why}); \
                     once git answers in the book, hooks run again; {after}"
                ));
            }
            return Delivery::Failed;
        }
    }
    let input = serde_json::to_vec(payload).unwrap_or_default();
    match run::run(&path, &book.root, name, &input, book.settings.hook_timeout, ui.for_child()) {
        Ok(()) => Delivery::Delivered,
        Err(how) => {
            ui.warn(&format!("hook {shown} {how}; {after}"));
            Delivery::Failed
        }
    }
}

/// What `care check` must say about the clone's hooks: for each hook file, the verdict
/// that keeps it from running (or the link it is reached through), with its path.
pub fn audit(book: &Book) -> Vec<(PathBuf, HookProblem, String)> {
    let mut found = Vec::new();
    for event in EVENTS {
        let file = book.path(&format!(".care/hooks/{event}"));
        let hook = book.hook(event);
        let link = book.hook_link(event);
        let (path, shown, target) = match (hook, link) {
            (Hook::Absent, _) => continue,
            (Hook::Refused(why), Some(link)) => {
                found.push((file, HookProblem::Linked, format!("{link} is a link, and {why}; it does not run")));
                continue;
            }
            (Hook::Refused(why), None) => {
                found.push((file, HookProblem::Refused, format!("{why}; it does not run")));
                continue;
            }
            (Hook::Runnable { path, name, target }, link) => {
                if let Some(link) = link {
                    let message = format!(
                        "{link} is a link: what runs is whatever it leads to when the hook fires. Put the script \
                         itself in .care/hooks"
                    );
                    found.push((file.clone(), HookProblem::Linked, message));
                }
                (path, name, target)
            }
        };
        let (problem, why) = match trust::trust(book, &path, &shown, &target) {
            Trust::Runs => continue,
            Trust::Tracked(why) => (HookProblem::Tracked, why),
            Trust::Nested(why) => (HookProblem::Nested, why),
            Trust::Unknown(why) => (
                HookProblem::Unverified,
                format!("git cannot say whether {shown} is the clone's own ({why}), so no hook runs until it can"),
            ),
        };
        found.push((file, problem, format!("{why}; it does not run")));
    }
    found
}
