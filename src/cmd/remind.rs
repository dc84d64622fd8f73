//! `care remind CUSTOMER`: a reminder on the customer's record (a birthday, an
//! anniversary, "call in three weeks"), listed by `followup due` as kind `reminder`.

use crate::cmd::{Ctx, commit, emit, parse_next, text_arg};
use crate::error::{Error, Result};
use crate::hooks::Event;
use crate::model::Customer;
use crate::model::reminder::{self, Every, Reminder};

/// Set a reminder on a customer: once, recurring, or an important date every year.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care remind ada --due \"in 3w\" \"Ask how the album launch went\" --owner joan
  care remind ada --due 2026-12-01 --every 4w \"Call about the wine club\"
  care remind ada --birthday 03-14
  care remind ada --anniversary 06-20 \"Anniversary: offer the corner table\"")]
#[command(group = clap::ArgGroup::new("when").required(true).multiple(false))]
pub struct Args {
    /// The customer: an id or a unique part of the name.
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::customers))]
    pub customer: String,
    /// What to do (default for --birthday and --anniversary: "Birthday", "Anniversary").
    pub text: Option<String>,
    /// When it is first due: a time to come (tomorrow 10am, in 3w, 2026-12-01).
    #[arg(long, value_name = "WHEN", group = "when")]
    pub due: Option<String>,
    /// Repeat every so often: 1y, 3w, 10d (calendar days in the book's zone). With --due
    /// only: a birthday or anniversary comes back every year.
    #[arg(long, value_name = "EVERY", conflicts_with_all = ["birthday", "anniversary"])]
    pub every: Option<String>,
    /// Who makes the call (shown in followup due's owner column, and --owner selects it).
    #[arg(long, value_name = "NAME")]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::staff))]
    pub owner: Option<String>,
    /// Their birthday, MM-DD: a reminder at 9 am on it every year (02-29: on the 28th in
    /// other years).
    #[arg(long, value_name = "MM-DD", group = "when")]
    pub birthday: Option<String>,
    /// An anniversary, MM-DD: a reminder at 9 am on it every year.
    #[arg(long, value_name = "MM-DD", group = "when")]
    pub anniversary: Option<String>,
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    let clock = &ctx.book.clock;
    let yearly = |option: &str, md: &str| -> Result<_> {
        let day = reminder::next_date(md, clock.today()).map_err(|e| Error::Usage(format!("{option}: {e}")))?;
        Ok(clock.local(day.and_hms_opt(9, 0, 0).unwrap_or_default()))
    };
    let (due, every, default_text) = match (&args.due, &args.birthday, &args.anniversary) {
        (Some(due), _, _) => (parse_next(ctx, "--due", due)?, args.every.clone(), None),
        (_, Some(md), _) => (yearly("--birthday", md)?, Some("1y".to_string()), Some("Birthday")),
        (_, _, Some(md)) => (yearly("--anniversary", md)?, Some("1y".to_string()), Some("Anniversary")),
        _ => return Err(Error::Usage("say when: --due, --birthday or --anniversary".into())),
    };
    let day = args.birthday.as_deref().or(args.anniversary.as_deref()).and_then(reminder::day_text);
    if let Some(e) = &every {
        e.parse::<Every>().map_err(|e| Error::Usage(format!("--every: {e}")))?;
    }
    let text = match (&args.text, default_text) {
        (Some(t), _) => text_arg("the reminder", t)?,
        (None, Some(t)) => t.to_string(),
        (None, None) => return Err(Error::Usage("say what to do: care remind CUSTOMER --due WHEN TEXT".into())),
    };
    let owner = args.owner.as_deref().map(|o| text_arg("--owner", o)).transpose()?;
    // Six random letters and digits, made as an incident id's are.
    let made = crate::model::id::incident_id(clock.today(), crate::model::id::random());
    let id = made.split_once('-').map(|(_, random)| random.to_string());
    let r =
        Reminder { id, text, due, every, owner, day, at: Some(clock.now()), by: ctx.by()?.to_string(), done: vec![] };
    let (path, customer) = ctx.book.find_customer(&args.customer)?;
    let index = ctx.book.edit(&path, |c: &Customer, doc| {
        doc.push("reminders", &r)?;
        Ok(c.reminders.len())
    })?;
    commit(ctx, &[path], &format!("remind {}", customer.id));
    let again = r.every.as_deref().map(|e| format!(", every {e}")).unwrap_or_default();
    let full = reminder::full_id(&customer.id, &r).unwrap_or_default();
    ctx.ui.say(&format!("Reminder {full} on {}: {} due {}{again}.", customer.id, r.text, clock.show(&r.due)));
    emit(ctx, Event::Reminder { customer: &customer.id, index });
    Ok(())
}
