//! One incident in full, for a person (`recover show`): the deposition, the steps of the
//! playbook, the follow-ups with what each asks.

use std::io::{self, Write};

use crate::model::Incident;
use crate::model::amount;
use crate::model::fields::{self, Val};
use crate::model::recovery::{self, StepKind};
use crate::time;

use super::card::aside;
use super::{Style, alert, visible};

/// The fields shown under the incident's first lines, in this order.
const PAGE: [&str; 9] = [
    fields::SUMMARY,
    fields::OWNER,
    fields::STAFF,
    fields::PRODUCT,
    fields::LOCATION,
    fields::CHANNEL,
    fields::BUSYNESS,
    fields::CIRCUMSTANCES,
    fields::TAGS,
];

/// A field's value as the page shows it; None: not shown.
fn shown(v: Val<'_>, style: &Style) -> Option<String> {
    match v {
        Val::Text(s) => s.map(str::to_string),
        Val::Percent(b) => b.map(|b| format!("{b}%")),
        Val::Amount(a) => a.map(amount::show),
        Val::Time(t) => t.map(|t| style.clock.show(t)),
        Val::Date(d) => d.map(|d| d.to_string()),
        Val::List(l) => (!l.is_empty()).then(|| l.join(", ")),
        Val::Nested => None,
    }
}

/// One incident in full, for a person: the deposition, the steps, the follow-ups.
pub(super) fn print_incident_io(w: &mut dyn Write, style: &Style, i: &Incident) -> io::Result<()> {
    let status = if i.is_open() { "open" } else { "closed" };
    writeln!(w, "Incident {}  ({status})  customer {}", visible(&i.id), visible(&i.customer))?;
    writeln!(w, "  opened         {}", style.clock.show(&i.opened))?;
    for name in PAGE {
        let Some(field) = fields::named(fields::INCIDENT, name) else { continue };
        if let Some(value) = shown((field.get)(i), style) {
            writeln!(w, "  {name:<14} {}", visible(&value))?;
        }
    }
    writeln!(w, "\nSteps")?;
    for kind in StepKind::ALL {
        match kind.get(i) {
            Some(s) => {
                let mut about = vec![s.by.clone()];
                about.extend(s.what.clone());
                about.extend(s.value.map(amount::show));
                about.extend(s.note.clone());
                writeln!(w, "  {:<11} {}{}", kind.field(), style.clock.show(&s.at), aside(&about))?;
            }
            None => writeln!(w, "  {:<11} —", kind.field())?,
        }
    }
    if !i.followups.is_empty() {
        writeln!(w, "\nFollow-ups")?;
    }
    let now = style.clock.now();
    for f in &i.followups {
        let state = match (&f.done, f.missed_by) {
            (Some(d), Some(m)) => {
                format!("done {} by {}, {} late", style.clock.show(&d.at), d.by, time::human_minutes(m))
            }
            (Some(d), None) => format!("done {} by {}", style.clock.show(&d.at), d.by),
            (None, _) if f.due < now => {
                alert(style, &format!("pending, overdue by {}", time::human_minutes((now - f.due).num_minutes())))
            }
            (None, _) => "pending".to_string(),
        };
        let action = recovery::action(f);
        writeln!(
            w,
            "  {:<9} due {}  {state}  {}",
            visible(f.kind.as_str()),
            style.clock.show(&f.due),
            visible(&action)
        )?;
    }
    Ok(())
}
