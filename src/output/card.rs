//! The briefing card as text for a person (`show`, the briefing `recover open` gives):
//! what nobody may miss first, each line wrapped to the terminal under its own indent.

use std::io::{self, Write};

use crate::model::{amount, visit};
use crate::rows::card::Card;

use super::{Style, alert, visible};

/// The briefing card as text for a person: what nobody may miss first.
pub(super) fn print_card_io(out: &mut dyn Write, style: &Style, card: &Card) -> io::Result<()> {
    let mut text = Vec::new();
    card_lines(&mut text, style, card)?;
    fitted(out, style, &text)
}

/// Text for a person, each line wrapped at word boundaries to the terminal's width (when
/// there is one), continuation lines indented under the start of the line's text.
fn fitted(out: &mut dyn Write, style: &Style, text: &[u8]) -> io::Result<()> {
    let text = String::from_utf8_lossy(text);
    for line in text.lines() {
        match style.width {
            Some(width) => {
                for part in wrap(line, width) {
                    writeln!(out, "{part}")?;
                }
            }
            None => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}

/// One line broken at spaces into pieces of at most `width` characters (a word longer than
/// that stands alone, unbroken); continuation pieces keep the line's indent plus two.
pub(super) fn wrap(line: &str, width: usize) -> Vec<String> {
    if line.chars().count() <= width {
        return vec![line.to_string()];
    }
    let indent = line.len() - line.trim_start().len();
    let hang = " ".repeat((indent + 2).min(width / 2));
    let mut parts = Vec::new();
    let mut current = line[..indent].to_string();
    let mut empty = true;
    for word in line[indent..].split(' ') {
        let len = current.chars().count();
        if !empty && len + 1 + word.chars().count() > width {
            parts.push(std::mem::replace(&mut current, hang.clone()));
            empty = true;
        }
        if !empty {
            current.push(' ');
        }
        current.push_str(word);
        empty = false;
    }
    parts.push(current);
    parts
}

fn card_lines(w: &mut dyn Write, style: &Style, card: &Card) -> io::Result<()> {
    writeln!(w, "{}  ({})", visible(&card.name), visible(&card.id))?;
    let contact: Vec<&str> = [card.phone.as_deref(), card.email.as_deref()].into_iter().flatten().collect();
    let mut facts = Vec::new();
    if let Some(since) = card.since {
        facts.push(format!("customer since {since}"));
    }
    if let Some(value) = card.lifetime_value {
        let source = card.lifetime_value_source.map(|s| s.as_str()).unwrap_or("typed");
        let mut shown = format!("lifetime value {} ({source}", amount::show(value));
        if let (Some(visit::Source::Typed), Some(computed)) = (card.lifetime_value_source, card.computed_value) {
            shown.push_str(&format!("; visits add up to {}", amount::show(computed)));
        }
        facts.push(shown + ")");
    }
    if !contact.is_empty() {
        facts.push(contact.join(", "));
    }
    if !facts.is_empty() {
        writeln!(w, "{}", visible(&facts.join(" · ")))?;
    }
    if let Some(last) = card.visits.last {
        let mut seen = format!(
            "{} visit{}, last {} ({} days ago), spend {}",
            card.visits.count,
            if card.visits.count == 1 { "" } else { "s" },
            style.clock.show(&last),
            card.days_since_visit.unwrap_or(0),
            amount::show(card.visits.spend)
        );
        if let Some(incident) = &card.last_visit_incident {
            seen.push_str(&format!(" — it went wrong: incident {incident}"));
        }
        writeln!(w, "{}", visible(&seen))?;
    }
    for line in &card.remember {
        writeln!(w, "{}", alert(style, &line.text))?;
    }
    if !card.other.is_empty() {
        writeln!(w, "\nAlso on file")?;
        for (field, value) in &card.other {
            writeln!(w, "  {}: {}", visible(field), visible(value))?;
        }
    }
    if !card.flags.is_empty() {
        writeln!(w, "\nFlags")?;
        for f in &card.flags {
            let mut about = vec![f.by.clone()];
            about.extend(f.raised.map(|t| style.clock.show(&t)));
            about.extend(f.until.map(|d| format!("until {d}")));
            about.extend(f.incident.as_ref().map(|i| format!("incident {i}")));
            writeln!(w, "  [{}] {}{}", f.n, visible(&f.text), aside(&about))?;
        }
    }
    let sections = [
        ("Preferences", &card.preferences),
        ("Roles", &card.roles),
        ("Goals", &card.goals),
        ("Notes", &card.notes),
        ("Missteps", &card.missteps),
    ];
    for (title, lines) in sections {
        if lines.is_empty() {
            continue;
        }
        writeln!(w, "\n{title}")?;
        for l in lines {
            let mut about = vec![l.by.clone()];
            about.extend(l.at.map(|t| style.clock.show(&t)));
            about.extend(l.incident.as_ref().map(|i| format!("incident {i}")));
            writeln!(w, "  - {}{}", visible(&l.text), aside(&about))?;
        }
    }
    if !card.open_incidents.is_empty() {
        writeln!(w, "\nOpen incidents")?;
        for i in &card.open_incidents {
            let owner = i.owner.as_ref().map(|o| format!("owner {o}")).into_iter().collect::<Vec<_>>();
            writeln!(
                w,
                "  {}  opened {}  {}{}",
                visible(&i.id),
                style.clock.show(&i.opened),
                visible(i.summary.as_deref().unwrap_or("")),
                aside(&owner)
            )?;
        }
    }
    if !card.followups.is_empty() {
        writeln!(w, "\nPending follow-ups")?;
        let now = style.clock.now();
        for f in &card.followups {
            let line = format!("{} due {}  {}  (incident {})", f.kind, style.clock.show(&f.due), f.what, f.incident);
            let line =
                if f.due < now { alert(style, &format!("overdue: {line}")) } else { visible(&line).into_owned() };
            writeln!(w, "  {line}")?;
        }
    }
    Ok(())
}

/// `  (joan, 2026-11-05 12:00)`, or nothing when there is nothing to say.
pub(super) fn aside(parts: &[String]) -> String {
    let parts: Vec<&str> = parts.iter().map(String::as_str).filter(|p| !p.is_empty()).collect();
    if parts.is_empty() { String::new() } else { format!("  ({})", visible(&parts.join(", "))) }
}
