//! What is due beyond the incidents' own follow-ups: the reminders on customer records
//! and the checks of corrective actions, which `followup due`, its calendar, `notify` and
//! `serve` list beside the follow-ups; and a due list as calendar events. Pure: the
//! records are read by the caller (from the index: only customers with reminders) and
//! passed in.

use chrono_tz::Tz;

use crate::model::action::Action;
use crate::model::{Customer, Incident};
use crate::report::followups::{self, Due, Window};
use crate::report::ics::Item;
use crate::report::query::{Extras, IncidentView, Query};
use crate::time::Clock;

/// The reminders of `customers` that the window and the filter list, with the customers
/// they belong to (by id, for their rows); a customer with nothing listed is let go.
pub fn reminders(
    customers: Vec<Customer>,
    window: &Window,
    query: &Query,
    clock: &Clock,
) -> (Vec<Due>, Vec<(String, Customer)>) {
    let (mut found, mut kept) = (Vec::new(), Vec::new());
    for c in customers {
        let due = followups::reminders_due(&c, window, query, clock);
        if !due.is_empty() {
            found.extend(due);
            kept.push((c.id.clone(), c));
        }
    }
    (found, kept)
}

/// The checks of corrective actions (kind `verify`) that the window and the filter list,
/// each with its action.
pub fn verifications(
    actions: impl IntoIterator<Item = Action>,
    window: &Window,
    query: &Query,
    clock: &Clock,
) -> Vec<(Action, Due)> {
    actions.into_iter().filter_map(|a| followups::verification_due(&a, window, query, clock).map(|d| (a, d))).collect()
}

/// The follow-ups of one incident that the window and the filter list, as calendar
/// events: an event's UID needs each follow-up's place in its incident's list, which the
/// rows of `followup due` do not carry.
pub fn incident_events(
    incident: &Incident,
    extras: &Extras,
    tz: Tz,
    window: &Window,
    query: &Query,
) -> impl Iterator<Item = Item> {
    let due = followups::due_in(IncidentView { incident, extras: Some(extras), tz }, window, query);
    due.into_iter().filter_map(move |d| {
        let n = incident.followups.iter().position(|f| *f == d.followup)?;
        Some(Item::new(incident, n, &d.followup))
    })
}

/// A due list's calendar events: the incidents' (`incident_events`), the reminders' and
/// the checks', in the order they fall due.
pub fn events(mut items: Vec<Item>, reminders: &[Due], checks: &[(Action, Due)]) -> Vec<Item> {
    items.extend(reminders.iter().map(|d| Item::reminder(&d.customer, d.owner.as_str(), &d.followup)));
    items.extend(checks.iter().map(|(a, d)| Item::verification(&a.id, &d.owner, &d.followup)));
    items.sort_by(|a, b| (a.followup.due, &a.uid).cmp(&(b.followup.due, &b.uid)));
    items
}
