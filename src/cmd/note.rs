//! `care note`: add to a customer's permanent record.

use crate::cmd::{Ctx, commit, incident_for, parse_past, text_arg};
use crate::error::Result;
use crate::model::{Customer, Entry, Section};

/// Add to a customer's permanent record: a note, role, goal, preference or misstep.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care note ada \"Wife is ill; be gentle with scheduling\"
  care note ada --pref --critical \"Allergic to shellfish\"
  care note ada --role \"Drummer in The Analytical Engines\"
  care note ada --misstep \"Entrées mixed up\" --incident k7f3qz --at 19:42")]
#[command(group = clap::ArgGroup::new("kind").multiple(false))]
pub struct Args {
    /// The customer: an id or a unique part of the name.
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::customers))]
    pub customer: String,
    /// What was learned, in words the next colleague will understand.
    pub text: String,
    /// A role the customer has (drummer in a band, wedding planner).
    #[arg(long, group = "kind")]
    pub role: bool,
    /// A goal the customer is working towards (launching an album in spring).
    #[arg(long, group = "kind")]
    pub goal: bool,
    /// A preference (no phone calls before 11, shellfish allergy).
    #[arg(long, visible_alias = "preference", group = "kind")]
    pub pref: bool,
    /// Something that went wrong for this customer.
    #[arg(long, group = "kind")]
    pub misstep: bool,
    /// Nobody may miss this: shown first and highlighted wherever the customer appears.
    #[arg(long)]
    pub critical: bool,
    /// Link the entry to an incident (id, unique prefix, or the random part).
    #[arg(long, value_name = "ID")]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::incidents))]
    pub incident: Option<String>,
    /// When it was learned (default: now).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    let text = text_arg("the note", &args.text)?;
    let section = if args.role {
        Section::Role
    } else if args.goal {
        Section::Goal
    } else if args.pref {
        Section::Preference
    } else if args.misstep {
        Section::Misstep
    } else {
        Section::Note
    };
    let at = match &args.at {
        Some(t) => parse_past(ctx, "--at", t)?,
        None => ctx.book.clock.now(),
    };
    let (path, customer) = ctx.book.find_customer(&args.customer)?;
    let incident = incident_for(ctx, args.incident.as_deref(), &customer)?;
    let entry =
        Entry { text, at: Some(at), by: ctx.by()?.to_string(), incident, critical: args.critical, retired: None };
    ctx.book.edit(&path, |_: &Customer, doc| doc.push(section.key(), &entry))?;
    commit(ctx, &[path], &format!("note {}: {}", customer.id, section.label()));
    super::emit(ctx, crate::hooks::Event::Note { customer: &customer.id, section, entry: &entry });
    let critical = if args.critical { ", critical" } else { "" };
    ctx.ui.say(&format!("Noted on {} ({}{critical}).", customer.id, section.label()));
    Ok(())
}
