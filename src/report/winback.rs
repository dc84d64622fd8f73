//! Win-back: the customers a service failure may have cost us — they had an incident and
//! have not visited since, or came back but are now past twice their usual gap between
//! visits — ordered by the lifetime value at risk, each with their ally
//! (the incident's owner, who should make the call) and what to remember before calling.
//! Pure: records in, rows out; "came back" is `model::visit::came_back`.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};

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

/// `Latest` as the fold gathers it: one table that every core writes into (a lock per
/// customer, rarely contended), not a copy per core.
#[derive(Debug)]
pub struct Gathering(Vec<Mutex<Option<Failure>>>);

impl Gathering {
    pub fn add(&self, places: &Places, incident: &Incident) {
        let Some(n) = places.of(&incident.customer) else { return };
        let mut kept = self.0[n].lock().unwrap_or_else(PoisonError::into_inner);
        if kept.as_ref().is_none_or(|k| (incident.opened, incident.id.as_str()) > (k.opened, &*k.id)) {
            *kept = Some(Failure::of(incident));
        }
    }

    pub fn done(self) -> Latest {
        Latest(self.0.into_iter().map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner)).collect())
    }
}

/// What a customer's row needs of their record, cut down as each record is read, with
/// which of the query's conditions the record meets (the split of the query into customer
/// and incident conditions is known only once every customer's extra fields are).
/// A hundred thousand customers are held at once, so the row's four words share one
/// allocation: `text` is id, name, contact and what to remember end to end, `ends` where
/// the first three end.
#[derive(Debug, Clone)]
pub struct Candidate {
    text: Box<str>,
    ends: [u32; 3],
    lifetime_value: Option<f64>,
    visits: visit::Summary,
    meets: Box<[bool]>,
}

impl Candidate {
    pub fn new(c: &Customer, extras: &Extras, q: &Query) -> Candidate {
        let view = CustomerView { customer: c, extras: Some(extras) };
        let meets =
            q.conds.iter().map(|cond| Query { conds: vec![cond.clone()], since: None, until: None }.matches(&view));
        let mut text = String::new();
        let mut ends = [0; 3];
        for (end, word) in ends.iter_mut().zip([c.id.as_str(), &c.name, &c.contact.summary()]) {
            text.push_str(word);
            *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        for (i, e) in c.critical().iter().enumerate() {
            text.push_str(if i == 0 { "" } else { "; " });
            text.push_str(&e.text);
        }
        Candidate {
            text: text.into(),
            ends,
            lifetime_value: c.lifetime_value,
            visits: c.visit_summary(),
            meets: meets.collect(),
        }
    }

    /// The `i`th of the words `text` holds (id, name, contact, remember).
    fn word(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends.get(i).map_or(self.text.len(), |&e| e as usize);
        self.text.get(start..end).unwrap_or_default()
    }

    pub fn id(&self) -> &str {
        self.word(0)
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
            places.entry(c.id()).or_insert(n as u32);
        }
        Places(places)
    }

    pub fn gathering(&self, candidates: usize) -> Gathering {
        Gathering((0..candidates).map(|_| Mutex::new(None)).collect())
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
            .then(candidates[a.customer as usize].id().cmp(candidates[b.customer as usize].id()))
    });
    found
}

/// One row: the candidate's values and the failure's, `incident` the failure's record (in
/// full, for the recovery's steps; else the index's digest of it).
pub fn row(candidates: &[Candidate], failure: &Failure, l: &Lost, incident: &Incident, today: NaiveDate) -> Vec<Cell> {
    let c = &candidates[l.customer as usize];
    let seen = c.visits.last.map_or(failure.opened, |last| last.max(failure.opened));
    vec![
        c.id().into(),
        c.word(1).into(),
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
        c.word(2).into(),
        match c.word(3) {
            "" => Cell::Empty,
            remember => Cell::Alert(remember.to_string()),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_candidate_keeps_its_four_words_apart_in_one_allocation() {
        let path = std::path::Path::new("customers/bea.yaml");
        let text = "id: bea\nname: Beatrice K\ncontact:\n  email: bea@example.net\n  phone: \"+1 555 0124\"\n\
                    preferences:\n- {text: Uses a walker, at: 2026-05-10T11:10:00-04:00, by: joan, critical: true}\n\
                    - {text: The window booth, at: 2026-05-10T11:10:00-04:00, by: joan}\n\
                    - {text: Hard of hearing, at: 2026-05-10T11:10:00-04:00, by: joan, critical: true}\n";
        let c: Customer = crate::yaml::parse(path, text).expect("a customer");
        let candidate = Candidate::new(&c, &Extras::new(), &Query::default());
        let words = [0, 1, 2, 3].map(|i| candidate.word(i));
        assert_eq!(words, ["bea", "Beatrice K", "+1 555 0124, bea@example.net", "Uses a walker; Hard of hearing"]);
        assert_eq!(candidate.id(), "bea");
        let bare = Candidate::new(&Customer::new("bo", ""), &Extras::new(), &Query::default());
        assert_eq!([0, 1, 2, 3].map(|i| bare.word(i)), ["bo", "", "", ""]);
    }
}
