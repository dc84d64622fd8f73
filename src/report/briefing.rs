//! The briefing card: what whoever deals with a customer next must know, in the order they
//! need it — what nobody may miss (critical entries), active flags, preferences, who they
//! are and what they are working towards, what staff learned, what went wrong for them,
//! and their open incidents. Built from records only; `output` prints it. The card's
//! shape is declared in `rows::card`, apart from both.

use chrono::NaiveDate;

use crate::model::visit;
use crate::model::{Customer, Entry, Incident, Section, recovery};
use crate::rows::{Cell, Rows};

pub use crate::rows::card::{Card, FlagLine, FollowupLine, IncidentLine, Line};

fn line(section: Section, e: &Entry) -> Line {
    Line {
        text: e.text.clone(),
        kind: section.label(),
        critical: e.critical,
        at: e.at,
        by: e.by.clone(),
        incident: e.incident.clone(),
    }
}

/// The card for one customer; `incidents` may hold anyone's, only theirs are used.
pub fn card<'a>(c: &Customer, incidents: impl IntoIterator<Item = &'a Incident>, today: NaiveDate) -> Card {
    let theirs: Vec<&Incident> = incidents.into_iter().filter(|i| i.customer == c.id).collect();
    let mut followups: Vec<FollowupLine> = theirs
        .iter()
        .flat_map(|i| {
            recovery::pending(i).map(|f| FollowupLine {
                incident: i.id.clone(),
                kind: f.kind.clone(),
                due: f.due,
                what: recovery::action(f),
            })
        })
        .collect();
    followups.sort_by_key(|f| f.due);
    let section =
        |s: Section| -> Vec<Line> { c.current(s).into_iter().filter(|e| !e.critical).map(|e| line(s, e)).collect() };
    let remember = Section::ALL
        .iter()
        .flat_map(|&s| c.current(s).into_iter().filter(|e| e.critical).map(move |e| line(s, e)))
        .collect();
    let mut open_incidents: Vec<IncidentLine> = theirs
        .iter()
        .filter(|i| i.is_open())
        .map(|i| IncidentLine {
            id: i.id.clone(),
            opened: i.opened,
            summary: i.summary.clone(),
            owner: i.owner.clone(),
        })
        .collect();
    open_incidents.sort_by_key(|i| i.opened);
    let visits = c.visit_summary();
    let value = visit::lifetime_value(c.lifetime_value, &visits);
    Card {
        id: c.id.clone(),
        name: c.name.clone(),
        since: c.since,
        phone: c.contact.phone.clone(),
        email: c.contact.email.clone(),
        lifetime_value: value.map(|(v, _)| v),
        lifetime_value_source: value.map(|(_, s)| s),
        computed_value: (visits.count > 0).then_some(visits.spend),
        days_since_visit: visits.last.map(|t| visit::days_since(&t, today)),
        last_visit_incident: visits
            .last
            .and_then(|t| visit::went_wrong(&t, theirs.iter().copied()))
            .map(|i| i.id.clone()),
        visits,
        other: Vec::new(),
        remember,
        flags: c
            .active_flags(today)
            .into_iter()
            .map(|(n, f)| FlagLine {
                n,
                text: f.text.clone(),
                raised: f.raised,
                by: f.by.clone(),
                until: f.until,
                incident: f.incident.clone(),
            })
            .collect(),
        preferences: section(Section::Preference),
        roles: section(Section::Role),
        goals: section(Section::Goal),
        notes: section(Section::Note),
        missteps: section(Section::Misstep),
        open_incidents,
        followups,
    }
}

/// The card with the record's unknown top-level scalar fields (as read with
/// `yaml::parse_with_fields`) shown under "Also on file".
pub fn with_other(mut card: Card, extras: &std::collections::BTreeMap<String, String>) -> Card {
    card.other = extras.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    card
}

/// Several customers at once (today's arrivals): one row each.
pub fn rows(cards: &[Card]) -> Rows {
    let mut rows = Rows::new(&[
        "id",
        "name",
        "remember",
        "flags",
        "preferences",
        "roles",
        "goals",
        "lifetime_value",
        "open_incidents",
        "last_visit",
        "days_since_visit",
        "last_visit_went_wrong",
    ]);
    let join = |lines: &[Line]| lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("; ");
    for card in cards {
        let remember = join(&card.remember);
        rows.push(vec![
            card.id.as_str().into(),
            card.name.as_str().into(),
            if remember.is_empty() { Cell::Empty } else { Cell::Alert(remember) },
            card.flags.iter().map(|f| f.text.as_str()).collect::<Vec<_>>().join("; ").into(),
            join(&card.preferences).into(),
            join(&card.roles).into(),
            join(&card.goals).into(),
            Cell::opt(card.lifetime_value.map(Cell::Amount)),
            Cell::Int(card.open_incidents.len() as i64),
            Cell::opt(card.visits.last),
            Cell::opt(card.days_since_visit.map(Cell::Int)),
            match &card.last_visit_incident {
                Some(id) => Cell::Alert(format!("yes: {id}")),
                None if card.visits.last.is_some() => "no".into(),
                None => Cell::Empty,
            },
        ]);
    }
    rows
}
