//! `care visit CUSTOMER`: record that a customer came (or was served), so the card can say
//! when they were last seen, how often they come and what they spend, and `winback` can
//! tell who has not come back since a failure.

use crate::cmd::{Ctx, commit, emit, parse_past, text_arg};
use crate::error::{Error, Result};
use crate::hooks::Event;
use crate::model::Customer;
use crate::model::visit::Visit;

/// Record a visit on the customer's file: when, what they spent, how many, where.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care visit ada --spend 84 --party 2 --location downtown
  care visit ada --at \"yesterday 19:30\" --spend 120 --note \"Anniversary dinner\"")]
pub struct Args {
    /// The customer: an id or a unique part of the name.
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::customers))]
    pub customer: String,
    /// When they came (default: now); a past time, e.g. 19:30, yesterday 20:00, 2026-11-22.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// What they spent: the visits' spend adds up to the computed lifetime value.
    #[arg(long, value_name = "N")]
    pub spend: Option<f64>,
    /// How many people came.
    #[arg(long, value_name = "N")]
    pub party: Option<u32>,
    /// Where: the site, store or room.
    #[arg(long)]
    pub location: Option<String>,
    /// Who served them (default: nobody named; `by:` records who typed it).
    #[arg(long)]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::staff))]
    pub staff: Option<String>,
    /// Anything worth keeping about this visit (what matters for good goes in `care note`).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    if args.spend.is_some_and(|v| !v.is_finite() || v < 0.0) {
        return Err(Error::Usage("--spend: what a customer spent is a number of zero or more".into()));
    }
    if args.party == Some(0) {
        return Err(Error::Usage("--party: how many people came is one or more".into()));
    }
    let at = match &args.at {
        Some(t) => parse_past(ctx, "--at", t)?,
        None => ctx.book.clock.now(),
    };
    let note = args.note.as_deref().map(|n| text_arg("--note", n)).transpose()?;
    let visit = Visit {
        at,
        by: ctx.by()?.to_string(),
        spend: args.spend,
        party: args.party,
        location: args.location.as_deref().map(|l| text_arg("--location", l)).transpose()?,
        staff: args.staff.as_deref().map(|s| text_arg("--staff", s)).transpose()?,
        note,
    };
    let (path, customer) = ctx.book.find_customer(&args.customer)?;
    let added = ctx.book.edit(&path, |c: &Customer, doc| {
        // Decided under the lock: the same visit typed twice (or by two people) is one.
        if c.visits.iter().any(|v| v.same_as(&visit)) {
            return Ok(false);
        }
        doc.push("visits", &visit)?;
        Ok(true)
    })?;
    if !added {
        ctx.ui.say(&format!("{} already has a visit at {}; nothing changed.", customer.id, ctx.book.clock.show(&at)));
        return Ok(());
    }
    commit(ctx, &[path], &format!("visit {}", customer.id));
    ctx.ui.say(&format!("Visit recorded for {} ({}).", customer.id, ctx.book.clock.show(&at)));
    emit(ctx, Event::Visit { customer: &customer.id, visit: &visit });
    Ok(())
}
