//! Follow-ups due: computed afresh from the incident files on every run (no stored outbox
//! to go stale, so a missed cron run only delays a reminder, never loses one).
//!
//! Rows carry the incident's `location` and its extra fields as the last columns, so a
//! site can be split off downstream too; which incidents are listed at all is the shared
//! filter's job (`report::query`), with `--since/--until` on the due time.
//!
//! Beside the incidents' follow-ups stand the customers' reminders and the checks of
//! corrective actions (kind `verify`): a fix whose window has passed with no verification
//! logged is work for its owner like a call is, so it is listed, filtered and exported the
//! same way.

use std::collections::HashMap;

use std::borrow::Cow;

use crate::error::Result;
use crate::model::Customer;
use crate::model::action::Action;
use crate::model::config::Followup as Policy;
use crate::model::incident::Followup;
use crate::model::recovery::{action, pending, unscheduled};
use crate::model::reminder;
use crate::report::query::{Extras, IncidentView, Query, Subject};
use crate::rows::{Cell, Rows};
use crate::time::{Clock, Stamp};

/// When a follow-up counts as due.
#[derive(Debug, Clone)]
pub struct Window {
    /// The moment "overdue" is measured from.
    pub at: Stamp,
    /// List what is due up to here (`at` + `--within`), to warn before a breach.
    pub until: Stamp,
    /// Only follow-ups already past due at `at`.
    pub overdue_only: bool,
    /// The book's follow-up policy and clock: when given, an open incident whose file
    /// schedules nothing at all (written by hand, imported) shows the progress clock the
    /// playbook starts at `opened`, so no open incident is ever invisible.
    pub policy: Option<(Policy, Clock)>,
}

pub const COLUMNS: [&str; 10] =
    ["due", "overdue_by", "incident", "customer", "name", "kind", "owner", "contact", "remember", "what"];

/// A pending follow-up that is due, with what its row shows of the incident.
#[derive(Debug, Clone)]
pub struct Due {
    pub followup: Followup,
    pub incident: String,
    pub customer: String,
    pub owner: String,
    pub summary: Option<String>,
    pub location: Option<String>,
    pub extras: Extras,
}

/// The follow-ups of one incident that the window and the filter list.
pub fn due_in(view: IncidentView<'_>, w: &Window, q: &Query) -> Vec<Due> {
    let incident = view.incident;
    let listed = |f: &&Followup| (if w.overdue_only { f.due < w.at } else { f.due <= w.until }) && q.in_window(f.due);
    let expected = w.policy.as_ref().and_then(|(policy, clock)| unscheduled(incident, policy, clock));
    let waiting = || pending(incident).chain(expected.iter());
    // The filter is tried only on incidents with something due: most have nothing.
    if !waiting().any(|f| listed(&f)) || !q.matches(&view) {
        return Vec::new();
    }
    waiting()
        .filter(listed)
        .map(|f| Due {
            followup: f.clone(),
            incident: incident.id.clone(),
            customer: incident.customer.clone(),
            owner: incident.owner.clone().unwrap_or_default(),
            summary: incident.summary.clone(),
            location: incident.location.clone(),
            extras: view.extras.cloned().unwrap_or_default(),
        })
        .collect()
}

/// The kind a customer's reminder has in `followup due`.
pub const REMINDER: &str = "reminder";

/// A reminder as the filter sees it: it has a customer, an owner and a kind, and no
/// incident, so a condition on an incident's field (`location=uptown`) never holds.
struct ReminderView<'a> {
    customer: &'a Customer,
    owner: Option<&'a str>,
}

impl Subject for ReminderView<'_> {
    fn values(&self, field: &str) -> Vec<Cow<'_, str>> {
        match field {
            "customer" => vec![Cow::Borrowed(self.customer.id.as_str())],
            "owner" => self.owner.map(Cow::Borrowed).into_iter().collect(),
            "kind" => vec![Cow::Borrowed(REMINDER)],
            _ => Vec::new(),
        }
    }
}

/// Whether the filter selects a reminder of `c` owned by `owner` (as `followup due` does).
pub fn reminder_matches(c: &Customer, owner: Option<&str>, q: &Query) -> bool {
    q.matches(&ReminderView { customer: c, owner })
}

/// A customer's reminders that the window and the filter list, each at its pending
/// occurrence, as rows beside the incidents' follow-ups (no incident).
pub fn reminders_due(c: &Customer, w: &Window, q: &Query, clock: &Clock) -> Vec<Due> {
    c.reminders
        .iter()
        .filter_map(|r| {
            let due = reminder::pending(r, w.at, clock)?;
            let listed = (if w.overdue_only { due < w.at } else { due <= w.until }) && q.in_window(due);
            let view = ReminderView { customer: c, owner: r.owner.as_deref() };
            (listed && q.matches(&view)).then(|| Due {
                followup: Followup {
                    kind: REMINDER.into(),
                    due,
                    how: None,
                    text: Some(r.text.clone()),
                    done: None,
                    missed_by: None,
                },
                // A reminder's own id (`ada-lovelace/k7f3qz`) where an incident's would be:
                // the column is what `followup done` takes.
                incident: reminder::full_id(&c.id, r).unwrap_or_default(),
                customer: c.id.clone(),
                owner: r.owner.clone().unwrap_or_default(),
                summary: None,
                location: None,
                extras: Extras::new(),
            })
        })
        .collect()
}

/// The kind a corrective action's check has in `followup due`.
pub const VERIFY: &str = "verify";

/// A corrective action as the filter sees it: an owner, a kind, its id; no incident or
/// customer, so a condition on their fields never holds (as for a reminder).
struct ActionView<'a>(&'a Action);

impl Subject for ActionView<'_> {
    fn values(&self, field: &str) -> Vec<Cow<'_, str>> {
        match field {
            "owner" => vec![Cow::Borrowed(self.0.checker())],
            "kind" => vec![Cow::Borrowed(VERIFY)],
            "id" => vec![Cow::Borrowed(self.0.id.as_str())],
            _ => Vec::new(),
        }
    }
}

/// The check of a corrective action, when its window has passed (or passes within the
/// window listed) with no verification logged, and the filter lists it.
pub fn verification_due(a: &Action, w: &Window, q: &Query, clock: &Clock) -> Option<Due> {
    if a.is_verified() {
        return None;
    }
    let due = a.verify_due(clock);
    let listed = (if w.overdue_only { due < w.at } else { due <= w.until }) && q.in_window(due);
    if !listed || !q.matches(&ActionView(a)) {
        return None;
    }
    let text = format!("Verify the fix \"{}\" (for {}): care action verify {}", a.what, a.filter.join(", "), a.id);
    Some(Due {
        followup: Followup { kind: VERIFY.into(), due, how: None, text: Some(text), done: None, missed_by: None },
        incident: String::new(),
        customer: String::new(),
        owner: a.checker().to_string(),
        summary: None,
        location: None,
        extras: Extras::new(),
    })
}

/// The order rows are listed in: oldest first, then by incident and kind (ties keep the
/// order they were found in).
pub fn order(a: &Due, b: &Due) -> std::cmp::Ordering {
    a.followup.due.cmp(&b.followup.due).then(a.incident.cmp(&b.incident)).then(a.followup.kind.cmp(&b.followup.kind))
}

/// A list of items due put in order as it is printed, holding one second's items at a
/// time: the incidents' come a second at a time, seconds in order (`Book::each_picked_keyed`),
/// and the few others (reminders, checks, held whole) are merged in; the items of one
/// second are sorted by `order` and given to the printer together.
#[derive(Debug)]
pub struct InOrder {
    others: std::iter::Peekable<std::vec::IntoIter<Due>>,
    second: Vec<Due>,
    /// The second `second` holds, if any.
    at: Option<i64>,
}

fn second_of(d: &Due) -> i64 {
    d.followup.due.timestamp()
}

impl InOrder {
    /// A list with `others` to merge in.
    pub fn new(mut others: Vec<Due>) -> InOrder {
        // Stable: ties keep the order they were found in.
        others.sort_by_key(second_of);
        InOrder { others: others.into_iter().peekable(), second: Vec::new(), at: None }
    }

    /// Move on to the incidents' items due in second `key` (None: the end), printing
    /// first what the second before holds and every other item due before `key`.
    pub fn to(&mut self, key: Option<i64>, print: &mut dyn FnMut(&Due) -> Result<()>) -> Result<()> {
        if key.is_some() && key == self.at {
            return Ok(());
        }
        while let Some(d) = self.others.next_if(|d| self.at == Some(second_of(d))) {
            self.second.push(d);
        }
        self.flush(print)?;
        while let Some(d) = self.others.next_if(|d| key.is_none_or(|k| second_of(d) < k)) {
            if self.at != Some(second_of(&d)) {
                self.flush(print)?;
                self.at = Some(second_of(&d));
            }
            self.second.push(d);
        }
        self.flush(print)?;
        self.at = key;
        Ok(())
    }

    /// Items of the second `to` moved on to.
    pub fn extend(&mut self, items: impl IntoIterator<Item = Due>) {
        self.second.extend(items);
    }

    fn flush(&mut self, print: &mut dyn FnMut(&Due) -> Result<()>) -> Result<()> {
        self.second.sort_by(order);
        self.second.drain(..).try_for_each(|d| print(&d))
    }
}

/// The columns of the rows: `COLUMNS`, `location`, then one per name in `extra_columns`.
pub fn columns(extra_columns: &[String]) -> Vec<String> {
    COLUMNS.iter().map(|c| c.to_string()).chain(["location".into()]).chain(extra_columns.iter().cloned()).collect()
}

/// The rows, oldest first, with each customer's name, contact and what to remember, then
/// `location` and one column per name in `extra_columns`.
pub fn rows(mut found: Vec<Due>, customers: &HashMap<String, Customer>, w: &Window, extra_columns: &[String]) -> Rows {
    found.sort_by(order);
    let mut rows = Rows { columns: columns(extra_columns), rows: Vec::new() };
    for d in &found {
        rows.push(row(d, customers.get(&d.customer), w, extra_columns));
    }
    rows
}

/// One item's row, with its customer's name, contact and what to remember (`customer`:
/// None when the record is not found).
pub fn row(d: &Due, customer: Option<&Customer>, w: &Window, extra_columns: &[String]) -> Vec<Cell> {
    let f = &d.followup;
    let remember = customer
        .map(|c| c.critical().iter().map(|e| e.text.as_str()).collect::<Vec<_>>().join("; "))
        .unwrap_or_default();
    let what = match &d.summary {
        Some(s) => format!("{} — {s}", action(f)),
        None => action(f),
    };
    let mut row = vec![
        f.due.into(),
        Cell::Minutes((w.at - f.due).num_minutes()),
        d.incident.as_str().into(),
        d.customer.as_str().into(),
        Cell::opt(customer.map(|c| c.name.as_str())),
        f.kind.as_str().into(),
        d.owner.as_str().into(),
        Cell::opt(customer.map(|c| c.contact.summary())),
        if remember.is_empty() { Cell::Empty } else { Cell::Alert(remember) },
        what.into(),
        Cell::opt(d.location.as_deref()),
    ];
    row.extend(extra_columns.iter().map(|c| Cell::opt(d.extras.get(c).map(String::as_str))));
    row
}
