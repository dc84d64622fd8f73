//! Incidents, one row each: what `care recover list` prints.

use crate::model::Incident;
use crate::model::recovery::{StepKind, pending};
use crate::output::{Cell, Rows};

pub fn list(incidents: &[&Incident]) -> Rows {
    let mut rows = Rows::new(&[
        "id", "opened", "customer", "owner", "staff", "product", "location", "busyness", "summary", "steps", "status",
        "next_due",
    ]);
    let mut sorted = incidents.to_vec();
    sorted.sort_by(|a, b| a.opened.cmp(&b.opened).then(a.id.cmp(&b.id)));
    for i in sorted {
        let steps: Vec<&str> = [StepKind::Apologize, StepKind::Review, StepKind::Fix, StepKind::Extra, StepKind::Close]
            .into_iter()
            .filter(|k| k.get(i).is_some())
            .map(StepKind::field)
            .collect();
        rows.push(vec![
            i.id.as_str().into(),
            i.opened.into(),
            i.customer.as_str().into(),
            Cell::opt(i.owner.as_deref()),
            Cell::opt(i.staff.as_deref()),
            Cell::opt(i.product.as_deref()),
            Cell::opt(i.location.as_deref()),
            Cell::opt(i.busyness.map(|b| Cell::Int(i64::from(b)))),
            Cell::opt(i.summary.as_deref()),
            steps.join(" ").into(),
            if i.is_open() { "open" } else { "closed" }.into(),
            Cell::opt(pending(i).map(|f| f.due).min()),
        ]);
    }
    rows
}
