//! Win-back: the customers a service failure may have cost us — they had an incident and
//! have not visited since, or came back but are now past twice their usual gap between
//! visits — ordered by the lifetime value at risk, each with their ally
//! (the incident's owner, who should make the call) and what to remember before calling.
//! Pure: records in, rows out; "came back" is `model::visit::came_back`.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;

use crate::model::incident::Step;
use crate::model::{Customer, Incident, visit};
use crate::report::query::{CustomerView, Extras, Query};
use crate::rows::Cell;
use crate::time::Stamp;

pub const COLUMNS: [&str; 15] = [
    "customer",
    "name",
    "value",
    "value_source",
    "incident",
    "opened",
    "summary",
    "recovery",
    "owner",
    "last_visit",
    "visits",
    "usual_gap",
    "days_since",
    "contact",
    "remember",
];

/// A customer's latest failure as the fold keeps it: its id and the two times that tell
/// whether they came back; the row's other words are read from the file when it prints.
#[derive(Debug, Clone)]
pub struct Failure {
    pub id: Box<str>,
    pub opened: Stamp,
    pub closed: Option<Stamp>,
}

impl Failure {
    fn of(incident: &Incident) -> Failure {
        let closed = incident.recovery.closed.as_ref().map(|c| c.at);
        Failure { id: incident.id.as_str().into(), opened: incident.opened, closed }
    }

    fn later_than(&self, other: &Failure) -> bool {
        (self.opened, &self.id) > (other.opened, &other.id)
    }

    /// Did the customer come back since, by their last visit (`visit::came_back`'s rule)?
    fn came_back(&self, last_visit: Option<Stamp>) -> bool {
        let closed = self.closed.map(|at| Step { at, by: String::new(), note: None, what: None, value: None });
        let mut incident = Incident::new(String::new(), String::new(), self.opened);
        incident.recovery.closed = closed;
        visit::came_back(last_visit, &incident)
    }
}

/// Each candidate customer's latest incident that the incident side of the filter selects,
/// by the customer's place in `Candidates` (one small entry each, so memory follows
/// customers, not incidents). The latest by opening; of two opened at once, the greater id.
#[derive(Debug, Default)]
pub struct Latest(Vec<Option<Failure>>);

impl Latest {
    pub fn add(&mut self, places: &Places, incident: &Incident) {
        let Some(n) = places.of(&incident.customer) else { return };
        let failure = Failure::of(incident);
        if self.0[n].as_ref().is_none_or(|kept| failure.later_than(kept)) {
            self.0[n] = Some(failure);
        }
    }

    pub fn merge(&mut self, other: Latest) {
        for (kept, theirs) in self.0.iter_mut().zip(other.0) {
            if let Some(theirs) = theirs
                && kept.as_ref().is_none_or(|k| theirs.later_than(k))
            {
                *kept = Some(theirs);
            }
        }
    }
}

/// What a customer's row needs of their record, cut down as each record is read, with
/// which of the query's conditions the record meets (the split of the query into customer
/// and incident conditions is known only once every customer's extra fields are).
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: Box<str>,
    name: Box<str>,
    lifetime_value: Option<f64>,
    visits: visit::Summary,
    contact: Box<str>,
    remember: Box<str>,
    meets: Box<[bool]>,
}

impl Candidate {
    pub fn new(c: &Customer, extras: &Extras, q: &Query) -> Candidate {
        let view = CustomerView { customer: c, extras: Some(extras) };
        let meets =
            q.conds.iter().map(|cond| Query { conds: vec![cond.clone()], since: None, until: None }.matches(&view));
        let remember = c.critical().iter().map(|e| e.text.as_str()).collect::<Vec<_>>().join("; ");
        Candidate {
            id: c.id.as_str().into(),
            name: c.name.as_str().into(),
            lifetime_value: c.lifetime_value,
            visits: c.visit_summary(),
            contact: c.contact.summary().into(),
            remember: remember.into(),
            meets: meets.collect(),
        }
    }

    /// Does the record meet every condition of `q` (the one it was made with) that is on a
    /// customer's field, given every extra field name customers have (`split`'s rule)?
    pub fn selected(&self, q: &Query, customer_extras: &BTreeSet<String>) -> bool {
        q.conds.iter().zip(&self.meets).all(|(c, &met)| met || !on_customer(&c.field, customer_extras))
    }
}

/// Where each candidate's latest failure is kept: the first candidate with that id.
#[derive(Debug)]
pub struct Places<'a>(HashMap<&'a str, u32>);

impl<'a> Places<'a> {
    pub fn new(candidates: &'a [Candidate]) -> Places<'a> {
        let mut places = HashMap::with_capacity(candidates.len());
        for (n, c) in candidates.iter().enumerate() {
            places.entry(&*c.id).or_insert(n as u32);
        }
        Places(places)
    }

    pub fn latest(&self, candidates: usize) -> Latest {
        Latest(vec![None; candidates])
    }

    fn of(&self, id: &str) -> Option<usize> {
        self.0.get(id).map(|&n| n as usize)
    }
}

/// Is `field` a customer's (one `CustomerView` has, or an extra field some customer has)?
/// The customer wins a name both have, as `LinkedView` reads it.
fn on_customer(field: &str, customer_extras: &BTreeSet<String>) -> bool {
    crate::report::query::CUSTOMER_FIELDS.contains(&field) || customer_extras.contains(field)
}

/// The query split in two: conditions on a customer's fields and the rest, with the time
/// window, on the incident.
pub fn split(q: &Query, customer_extras: &BTreeSet<String>) -> (Query, Query) {
    let (customer, incident): (Vec<_>, Vec<_>) =
        q.conds.iter().cloned().partition(|c| on_customer(&c.field, customer_extras));
    (Query { conds: customer, since: None, until: None }, Query { conds: incident, since: q.since, until: q.until })
}

/// How far the recovery went, in a word: `full` (apology, review, fix, extra and closed),
/// `open`, or what a closed incident lacked (`no extra`, `no apology`).
pub fn recovery(i: &Incident) -> String {
    let r = &i.recovery;
    if r.closed.is_none() {
        return "open".into();
    }
    let missing: Vec<&str> = [
        (r.apologized.is_none(), "no apology"),
        (r.reviewed.is_none(), "no review"),
        (r.fixed.is_none(), "no fix"),
        (r.extra.is_none(), "no extra"),
    ]
    .into_iter()
    .filter_map(|(gone, what)| gone.then_some(what))
    .collect();
    if missing.is_empty() { "full".into() } else { missing.join(", ") }
}

/// A customer to win back: their place among the candidates (and so of their latest
/// failure in `Latest`), and the value at risk.
#[derive(Debug, Clone, Copy)]
pub struct Lost {
    pub customer: u32,
    value: Option<(f64, visit::Source)>,
}

impl Latest {
    /// The failure `lost` is about.
    pub fn of(&self, lost: &Lost) -> &Failure {
        self.0[lost.customer as usize].as_ref().expect("a lost customer has a failure")
    }
}

/// Every candidate whose latest selected failure they have not come back from, or have but
/// are past twice their usual gap since (on `today`); the most value at risk first, then
/// the oldest failure.
pub fn select(candidates: &[Candidate], latest: &Latest, today: NaiveDate) -> Vec<Lost> {
    let mut found = Vec::new();
    for (n, (c, failure)) in candidates.iter().zip(&latest.0).enumerate() {
        let Some(failure) = failure else { continue };
        if failure.came_back(c.visits.last) && !c.visits.lapsed(today) {
            continue;
        }
        let value = visit::lifetime_value(c.lifetime_value, &c.visits);
        found.push(Lost { customer: n as u32, value });
    }
    let at_risk = |l: &Lost| l.value.map_or(0.0, |(v, _)| v);
    let opened = |l: &Lost| latest.of(l).opened;
    found.sort_by(|a, b| {
        at_risk(b)
            .total_cmp(&at_risk(a))
            .then(opened(a).cmp(&opened(b)))
            .then(candidates[a.customer as usize].id.cmp(&candidates[b.customer as usize].id))
    });
    found
}

/// One row: the candidate's values and the failure's, `incident` the failure's record (in
/// full, for the recovery's steps; else the index's digest of it).
pub fn row(candidates: &[Candidate], failure: &Failure, l: &Lost, incident: &Incident, today: NaiveDate) -> Vec<Cell> {
    let c = &candidates[l.customer as usize];
    let seen = c.visits.last.map_or(failure.opened, |last| last.max(failure.opened));
    vec![
        (*c.id).into(),
        (*c.name).into(),
        Cell::opt(l.value.map(|(v, _)| Cell::Amount(v))),
        Cell::opt(l.value.map(|(_, s)| s.as_str())),
        (*failure.id).into(),
        failure.opened.into(),
        Cell::opt(incident.summary.as_deref()),
        recovery(incident).into(),
        Cell::opt(incident.owner.as_deref()),
        Cell::opt(c.visits.last),
        Cell::Int(c.visits.count as i64),
        Cell::opt(c.visits.usual_gap().map(|g| Cell::Int(g.round() as i64))),
        Cell::Int(visit::days_since(&seen, today)),
        (*c.contact).into(),
        if c.remember.is_empty() { Cell::Empty } else { Cell::Alert(c.remember.to_string()) },
    ]
}
