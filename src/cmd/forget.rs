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
    /// Also rewrite this clone's git history without the person (needs git filter-repo and
    /// a clean work tree); prints what the remote and every other clone must then do.
    #[arg(long, conflicts_with_all = ["due", "dry_run"])]
    pub purge_history: bool,
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
    if args.purge_history {
        ready_to_purge(ctx)?;
    }
    forget_one(ctx, &plan)?;
    ctx.ui.say(&format!(
        "Forgot {}: {} other files changed, their file removed; their incidents now name {}.",
        plan.customer,
        plan.scrubs.len(),
        plan.pseudonym
    ));
    if args.purge_history {
        purge(ctx, &plan, &customer)?;
    }
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

/// What `--purge-history` needs, checked before anything is forgotten: git filter-repo, a
/// repository, and nothing uncommitted (the rewrite resets the work tree to the new history).
fn ready_to_purge(ctx: &Ctx) -> Result<()> {
    let root = &ctx.book.root;
    let refuse = |why: String| Err(Error::Refused(format!("--purge-history: {why}; nothing was changed")));
    if crate::git::on_path("git-filter-repo", ctx.book.settings.path.as_deref()).is_none() {
        return refuse(
            "git filter-repo is not installed (pip install git-filter-repo, or your system's package);              without --purge-history the book is forgotten and the history keeps the person (docs/privacy.md)"
                .into(),
        );
    }
    match crate::git::clean(root) {
        Ok(true) => Ok(()),
        Ok(false) => refuse("the work tree has uncommitted changes; commit or stash them first".into()),
        Err(e) => refuse(format!("the book's history cannot be read: {e}")),
    }
}

/// Commit the forget, then rewrite every commit of this clone without the person, and say
/// what the remote and the other clones must do.
fn purge(ctx: &Ctx, plan: &ForgetPlan, customer: &crate::model::Customer) -> Result<()> {
    let root = &ctx.book.root;
    let message = format!("forget: a customer ({})", plan.gone.reason);
    // The tree was clean before: all that changed under the book is the forget (a file
    // left uncommitted would be lost when the rewrite resets the work tree).
    let all = if root.as_os_str().is_empty() { std::path::PathBuf::from(".") } else { root.clone() };
    crate::git::commit(root, &[all], &message).map_err(|e| Error::Refused(format!("--purge-history: {e}")))?;
    let needles = forgotten::Needles::new(
        &customer.id,
        &customer.name,
        customer.contact.email.as_deref(),
        customer.contact.phone.as_deref(),
        &plan.pseudonym,
    );
    let replace = needles.rules();
    // Their file where it is and where it was first made, and its lock beside it (a
    // repository whose .gitignore does not keep lock files out may have committed one).
    let own = ctx.book.in_book(&plan.own_file);
    let lock = match own.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/.{file}.lock"),
        None => format!(".{own}.lock"),
    };
    let paths = [own, format!("customers/{}.yaml", customer.id), lock];
    let purged = crate::git::purge_history(root, &paths, &replace, ctx.book.settings.path.as_deref()).map_err(|e| {
        Error::Refused(format!("the book is forgotten and committed, but the history was not rewritten: {e}"))
    })?;
    ctx.ui.say("Rewrote this clone's history without them (git filter-repo). Still to do elsewhere:");
    for (name, url) in &purged.remotes {
        ctx.ui.say(&format!(
            "  git filter-repo removed the remote {name} ({url}) so the old history is not pulled back: add it \
             again (git remote add {name} URL) and push the new history with git push --force-with-lease --all"
        ));
    }
    ctx.ui.say("  every other clone must clone afresh; a hosting service may keep old commits: see docs/privacy.md");
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
    // A book that never forgot anyone has no salt yet: the real run makes it, and with it
    // another pseudonym than this dry run could show.
    let first = ctx.book.tombstone().map(|t| t.salt.is_empty()).unwrap_or(true);
    let pseudonym =
        if first { "a new forgotten-… pseudonym (its salt is made then)" } else { plan.pseudonym.as_str() };
    lines.push(format!(
        "{}: add {} (salted hashes of the id, email and phone; {}; {})",
        forgotten::FILE,
        pseudonym,
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
