//! Flags across the book, newest first. A flag is filtered on its customer's fields and,
//! when an incident raised it, on that incident's (so a site sees the flags raised there),
//! with `--since/--until` on when it was raised.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::error::{Error, Result};
use crate::model::{Customer, Incident};
use crate::report::query::{self, CustomerView, Extras, IncidentView, LinkedView, Query, Seen};
use crate::rows::{Cell, Rows};

/// The incidents flags were raised by, with their extra fields, by id.
pub type Linked = HashMap<String, (Incident, Extras)>;

/// What gathering the flags folds each incident into: the incidents wanted, and every
/// extra field name met (a `--where` naming none of them is a usage error).
pub type Fold<'a> = dyn Fn(&mut (Linked, Seen), &Incident, &Extras) + Sync + 'a;

/// The flags `care flags`, `care export flags` and `care serve` list, with the files that
/// could not be read (to report after printing). The records are passed in:
/// `each_customer` hands every customer, read as `query::customer_reader` reads them, to
/// its callback as met, and returns the files it could not walk; `fold_incidents` folds
/// every incident with the function given (as `Book::fold_incidents`), and is called
/// only when a condition names an incident's field (`location=uptown`): a filter on
/// customer fields alone reads no incident. Only customers with flags are kept (a book
/// of a hundred thousand customers may have a handful).
pub fn gather(
    q: &Query,
    each_customer: impl FnOnce(&mut dyn FnMut(&Path, Result<(Customer, Extras)>)) -> Vec<Error>,
    fold_incidents: impl FnOnce(&Fold) -> (Vec<(Linked, Seen)>, Vec<Error>),
    tz: Tz,
    today: NaiveDate,
    all: bool,
) -> Result<(Rows, Vec<Error>)> {
    let mut seen = Seen::default();
    let (mut customers, mut unread) = (Vec::new(), Vec::new());
    let mut problems = each_customer(&mut |path, parsed| match parsed {
        Ok((customer, extras)) => {
            seen.add(&extras);
            if !customer.flags.is_empty() {
                customers.push((path.to_path_buf(), (customer, extras)));
            }
        }
        Err(e) => unread.push(e),
    });
    problems.extend(unread);
    let on_customers = |f: &str| query::CUSTOMER_FIELDS.contains(&f) || seen.0.contains(f);
    let mut linked = Linked::new();
    if q.conds.iter().any(|c| !on_customers(&c.field)) {
        let wanted = raised_by(&customers);
        let (parts, incident_problems) = fold_incidents(&|(found, seen), incident, extras| {
            seen.add(extras);
            if wanted.contains(&incident.id) {
                found.insert(incident.id.clone(), (incident.clone(), extras.clone()));
            }
        });
        for (found, s) in parts {
            linked.extend(found);
            seen.merge(s);
        }
        problems.extend(incident_problems);
    }
    let builtin: Vec<&str> = query::CUSTOMER_FIELDS.iter().chain(&query::INCIDENT_FIELDS).copied().collect();
    q.check("customer or incident", &builtin, &seen.0)?;
    Ok((list(&customers, &linked, q, tz, today, all), problems))
}

/// The ids of the incidents that raised a flag: the only ones a filter may need to read.
pub fn raised_by(customers: &[(PathBuf, (Customer, Extras))]) -> BTreeSet<String> {
    customers.iter().flat_map(|(_, (c, _))| c.flags.iter().filter_map(|f| f.incident.clone())).collect()
}

pub fn list(
    customers: &[(PathBuf, (Customer, Extras))],
    linked: &Linked,
    q: &Query,
    tz: Tz,
    today: NaiveDate,
    all: bool,
) -> Rows {
    let mut found = Vec::new();
    for (_, (c, extras)) in customers {
        let customer = CustomerView { customer: c, extras: Some(extras) };
        for (i, f) in c.flags.iter().enumerate() {
            let status = if f.cleared.is_some() {
                "cleared"
            } else if f.is_active(today) {
                "active"
            } else {
                "expired"
            };
            let incident = f.incident.as_ref().and_then(|id| linked.get(id)).map(|(incident, extras)| IncidentView {
                incident,
                extras: Some(extras),
                tz,
            });
            let in_window = q.since.is_none() && q.until.is_none() || f.raised.is_some_and(|t| q.in_window(t));
            if (all || status == "active") && in_window && q.matches(&LinkedView { customer, incident }) {
                found.push((c, i + 1, f, status));
            }
        }
    }
    found.sort_by(|a, b| b.2.raised.cmp(&a.2.raised).then(a.0.id.cmp(&b.0.id)).then(a.1.cmp(&b.1)));
    let mut rows = Rows::new(&["customer", "name", "n", "text", "raised", "by", "until", "incident", "status"]);
    for (c, n, f, status) in found {
        rows.push(vec![
            c.id.as_str().into(),
            c.name.as_str().into(),
            Cell::Int(n as i64),
            f.text.as_str().into(),
            Cell::opt(f.raised),
            f.by.as_str().into(),
            Cell::opt(f.until),
            Cell::opt(f.incident.as_deref()),
            status.into(),
        ]);
    }
    rows
}
