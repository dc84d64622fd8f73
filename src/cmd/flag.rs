//! `care flag`: raise a flag on a customer's file, or clear one. Flags are never deleted:
//! a cleared flag keeps its text, with who cleared it and when.

use crate::cmd::{Ctx, commit, incident_for, parse_next, text_arg};
use crate::error::{Error, Result};
use crate::model::{Customer, Flag};

/// Raise or clear a flag on a customer's file, so every colleague knows.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care flag ada \"Rough evening: entrées mixed up — recheck every order\" --until 2027-02-20
  care flag --clear ada 1      clear flag 1 (numbers as in `care flags` and `care show`)
  care flag --clear ada        clear all of Ada's active flags")]
pub struct Args {
    /// The customer: an id or a unique part of the name.
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::customers))]
    pub customer: String,
    /// What every colleague must know; with --clear, the number of the flag to clear.
    #[arg(value_name = "TEXT|N")]
    pub text: Option<String>,
    /// Last day the flag is active (default: until cleared; with --incident, flag_days from care.yaml).
    #[arg(long, value_name = "DATE", conflicts_with = "clear", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// The incident behind the flag (id, unique prefix, or the random part).
    #[arg(long, value_name = "ID", conflicts_with = "clear")]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::incidents))]
    pub incident: Option<String>,
    /// Clear flag N (or, without N, every active flag) instead of raising one.
    #[arg(long)]
    pub clear: bool,
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    if args.clear {
        return clear(ctx, args);
    }
    let Some(text) = &args.text else {
        return Err(Error::Usage("say what the flag is: care flag CUSTOMER TEXT".into()));
    };
    let text = text_arg("the flag", text)?;
    let (path, customer) = ctx.book.find_customer(&args.customer)?;
    let incident = incident_for(ctx, args.incident.as_deref(), &customer)?;
    let until = match (&args.until, &incident) {
        (Some(d), _) => {
            let until = parse_next(ctx, "--until", d)?.with_timezone(&ctx.book.clock.tz).date_naive();
            if until < ctx.book.clock.today() {
                return Err(Error::Refused(format!(
                    "--until {until}: a flag that ended before today would be raised already expired; \
                     give today or a later day"
                )));
            }
            Some(until)
        }
        (None, Some(_)) => Some(ctx.book.clock.today() + chrono::Days::new(u64::from(ctx.book.config.flag_days))),
        (None, None) => None,
    };
    let flag = Flag {
        text,
        raised: Some(ctx.book.clock.now()),
        by: ctx.by()?.to_string(),
        incident,
        until,
        cleared: None,
        cleared_by: None,
    };
    let n = ctx.book.edit(&path, |c: &Customer, doc| {
        doc.push("flags", &flag)?;
        Ok(c.flags.len() + 1)
    })?;
    commit(ctx, &[path], &format!("flag {}: raised", customer.id));
    super::emit(ctx, crate::hooks::Event::FlagRaised { customer: &customer.id, n });
    let until = until.map(|d| format!(", until {d}")).unwrap_or_default();
    ctx.ui.say(&format!("Flagged {} (flag {n}{until}).", customer.id));
    Ok(())
}

fn clear(ctx: &Ctx, args: &Args) -> Result<()> {
    let number = match &args.text {
        Some(n) => Some(n.trim().parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
            Error::Usage(format!("--clear takes a flag number such as 1, not {n:?}; see `care flags`"))
        })?),
        None => None,
    };
    let (path, customer) = ctx.book.find_customer(&args.customer)?;
    let now = ctx.book.clock.now();
    let today = ctx.book.clock.today();
    let by = ctx.by()?;
    let cleared = ctx.book.edit(&path, |c: &Customer, doc| {
        let active = c.active_flags(today);
        let chosen: Vec<usize> = match number {
            Some(n) if active.iter().any(|(i, _)| *i == n) => vec![n],
            Some(n) => {
                return Err(Error::NotFound(format!(
                    "{} has no active flag {n}; `care show {}` lists the active ones",
                    c.id, c.id
                )));
            }
            None => active.iter().map(|(i, _)| *i).collect(),
        };
        for &n in &chosen {
            doc.set_in_item("flags", n - 1, "cleared", &crate::time::rfc3339(&now))?;
            doc.set_in_item("flags", n - 1, "cleared_by", &by)?;
        }
        Ok(chosen)
    })?;
    match cleared.as_slice() {
        [] => ctx.ui.say(&format!("{} has no active flags; nothing changed.", customer.id)),
        numbers => {
            let list: Vec<String> = numbers.iter().map(ToString::to_string).collect();
            commit(ctx, &[path], &format!("flag {}: cleared {}", customer.id, list.join(", ")));
            super::emit(ctx, crate::hooks::Event::FlagCleared { customer: &customer.id, numbers });
            ctx.ui.say(&format!("Cleared flag {} on {}.", list.join(", "), customer.id));
        }
    }
    Ok(())
}
