//! `care forget`: remove a person from every file of the book when they ask for it (or when
//! retention says so), keep the incidents' facts under a pseudonym, and record in the
//! tombstone, without the person, that they were forgotten. The rules are
//! `model::forgotten`'s; reading and writing every file is `Book::plan_forget`/`forget`.

use std::io::Write;

use std::collections::HashMap;

use crate::book::ForgetPlan;
use crate::cmd::{Ctx, commit, emit, report_problems, text_arg};
use crate::error::{Error, Result};
use crate::hooks::Event;
use crate::model::forgotten;
use crate::output::{self, Cell, Rows};

/// The reason `--due --apply` gives.
const RETENTION: &str = "retention";

/// Remove a person from the book: their file, visits and reminders; their name, phone and
/// email from every note and incident; the incidents keep their facts under a pseudonym.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
The person's id, email and phone are kept in forgotten.yaml only as salted hashes, so that
`customer add`, `import customers` and `customer merge` refuse to bring them back and
`care check` reports a file that does. Files that are not records (a spreadsheet beside
the book) are named, never edited. Git history still holds the person: see docs/guide.md.

Examples:
  care forget ada-lovelace --reason \"asked on 2027-01-02\" --dry-run
  care forget ada-lovelace --reason \"asked on 2027-01-02\"
  care forget --due                  customers past `retention: {inactive: 3y}`
  care forget --due --apply          forget them (reason: retention)")]
pub struct Args {
    /// The customer: an id or a unique part of the name.
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::customers))]
    #[arg(required_unless_present = "due", conflicts_with = "due")]
    pub customer: Option<String>,
    /// Why (kept in forgotten.yaml and the commit message): say it without naming the person.
    #[arg(long, value_name = "TEXT", required_unless_present = "due")]
    pub reason: Option<String>,
    /// Print every file and field that would change, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// List the customers that `retention: {inactive: …}` in care.yaml says are due to be
    /// forgotten (nothing printed when none: for cron).
    #[arg(long)]
    pub due: bool,
    /// With --due: forget them, with the reason "retention".
    #[arg(long, requires = "due")]
    pub apply: bool,
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    if args.due {
        return due(ctx, args, out);
    }
    let query = args.customer.as_deref().unwrap_or_default();
    let reason = text_arg("--reason", args.reason.as_deref().unwrap_or_default())?;
    let tombstone = ctx.book.tombstone()?;
    let found = ctx.book.find_customer(query);
    if let (Err(_), Some(gone)) = (&found, tombstone.knows_id(query.trim())) {
        return Err(Error::Refused(format!("{query}: {}; nothing to do", forgotten::refusal(gone))));
    }
    let (path, customer) = found?;
    let plan = ctx.book.plan_forget(&path, &customer, ctx.book.clock.today(), &reason)?;
    if args.dry_run {
        return describe(ctx, &plan, out);
    }
    forget_one(ctx, &plan)?;
    ctx.ui.say(&format!(
        "Forgot {}: {} other files changed, their file removed; their incidents now name {}.",
        plan.customer,
        plan.scrubs.len(),
        plan.pseudonym
    ));
    Ok(())
}

/// Carry out one plan: the writes, the commit (naming no one), the hook, the warnings.
fn forget_one(ctx: &Ctx, plan: &ForgetPlan) -> Result<()> {
    let written = ctx.book.forget(plan)?;
    commit(ctx, &written, &format!("forget: a customer ({})", plan.gone.reason));
    emit(ctx, Event::Forgotten { pseudonym: &plan.pseudonym, on: plan.gone.on, reason: &plan.gone.reason });
    for s in plan.scrubs.iter().filter(|s| s.canonical) {
        ctx.ui.warn(&format!(
            "{}: rewritten in canonical form (the person was written in a way no line edit could replace)",
            ctx.book.in_book(&s.path)
        ));
    }
    warn_untouched(ctx, plan);
    Ok(())
}

fn warn_untouched(ctx: &Ctx, plan: &ForgetPlan) {
    for path in &plan.untouched {
        ctx.ui.warn(&format!(
            "{} still names the person; it is not a record, so care leaves it to you (edit or delete it)",
            output::visible(&ctx.book.in_book(path))
        ));
    }
}

/// `--dry-run`: one line per file, with the fields that would change.
fn describe(ctx: &Ctx, plan: &ForgetPlan, out: &mut dyn Write) -> Result<()> {
    let mut lines = vec![format!(
        "{}: removed (the customer's record, with its entries, visits and reminders)",
        ctx.book.in_book(&plan.own_file)
    )];
    for s in &plan.scrubs {
        lines.push(format!("{}: {}", ctx.book.in_book(&s.path), s.fields.join(", ")));
    }
    lines.push(format!(
        "{}: add {} (salted hashes of the id, email and phone; {}; {})",
        forgotten::FILE,
        plan.pseudonym,
        plan.gone.on,
        plan.gone.reason
    ));
    for line in lines {
        writeln!(out, "{}", output::visible(&line)).map_err(Error::Output)?;
    }
    warn_untouched(ctx, plan);
    Ok(())
}

/// `--due`: the customers retention says to forget, one row each (nothing when none, for
/// cron); with `--apply`, each forgotten with the reason "retention".
fn due(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    let Some(inactive) = ctx.book.config.retention.inactive else {
        return Err(Error::Usage(
            "care.yaml sets no retention; add e.g. `retention: {inactive: 3y}` to say how long a customer \
             may go without a visit, entry or incident"
                .into(),
        ));
    };
    let clock = &ctx.book.clock;
    let cutoff = inactive.cutoff(clock.today());
    let (incidents, customers) = (ctx.book.incidents(), ctx.book.customers());
    report_problems(ctx, &incidents.problems)?;
    report_problems(ctx, &customers.problems)?;
    let mut activity: HashMap<&str, forgotten::Incidents> = HashMap::new();
    for (_, i) in &incidents.records {
        activity.entry(&i.customer).or_default().add(i.opened.with_timezone(&clock.tz).date_naive(), i.is_open());
    }
    let mut rows = Rows::new(&["id", "last_activity"]);
    let mut due = Vec::new();
    for (path, c) in &customers.records {
        let of = activity.get(c.id.as_str()).copied().unwrap_or_default();
        if let Some(last) = forgotten::retention_due(c, of, cutoff, clock) {
            rows.push(vec![Cell::text(&c.id), Cell::text(last.to_string())]);
            due.push((path, c));
        }
    }
    // Nothing at all when nobody is due, whatever the format: cron mails only output.
    if rows.rows.is_empty() {
        return Ok(());
    }
    for (path, c) in due.into_iter().filter(|_| args.apply) {
        let plan = ctx.book.plan_forget(path, c, clock.today(), RETENTION)?;
        forget_one(ctx, &plan)?;
    }
    output::print(out, &ctx.style, &rows)
}
