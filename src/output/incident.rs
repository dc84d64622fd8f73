//! One incident in full, for a person (`recover show`): the deposition, the steps of the
//! playbook, the follow-ups with what each asks.

use std::io::{self, Write};

use crate::model::Incident;
use crate::model::amount;
use crate::model::recovery::{self, StepKind};
use crate::time;

use super::card::aside;
use super::{Style, alert, visible};

/// One incident in full, for a person: the deposition, the steps, the follow-ups.
pub(super) fn print_incident_io(w: &mut dyn Write, style: &Style, i: &Incident) -> io::Result<()> {
    let status = if i.is_open() { "open" } else { "closed" };
    writeln!(w, "Incident {}  ({status})  customer {}", visible(&i.id), visible(&i.customer))?;
    writeln!(w, "  opened         {}", style.clock.show(&i.opened))?;
    let fields = [
        ("summary", i.summary.clone()),
        ("owner", i.owner.clone()),
        ("staff", i.staff.clone()),
        ("product", i.product.clone()),
        ("location", i.location.clone()),
        ("channel", i.channel.clone()),
        ("busyness", i.busyness.map(|b| format!("{b}%"))),
        ("circumstances", i.circumstances.clone()),
        ("tags", (!i.tags.is_empty()).then(|| i.tags.join(", "))),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
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
