//! `care import visits FILE.csv`: a booking system's export, whose rules (columns, a row
//! as a visit, the plan) are in `model::booking` and whose reading and writing are in
//! `book::Sheet` and `Book::add_visits`: this only strings them together.

use std::io::Write;
use std::path::PathBuf;

use crate::book::{Listed, Sheet};
use crate::cmd::{Ctx, commit, finish_stream, report_problems};
use crate::error::{Error, Result};
use crate::model::booking::{self, Action, NOBODY};
use crate::model::visit::{Matcher, Named, Visit};
use crate::output::{Cell, Stream};

/// Add a booking system's export to the customers' visits; re-running it adds nothing.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
One visit a row, matched to a customer by id, email, phone (digits only) or exact name, in
that order; columns named like the fields (date, time, id, email, phone, name, spend, party,
location, staff, note) or mapped with --map. Rows that match nobody are listed (action
unmatched) and skipped; a visit already on the record (same time and location) is not added
again. Prints: line, customer, at, action.

Examples:
  care import visits bookings.csv --map \"date=Visit Date,name=Guest,spend=Total\"
  care import visits bookings.csv --dry-run     what would be added; nothing is written")]
pub struct Args {
    /// The CSV file, or `-` for stdin.
    pub file: PathBuf,
    /// Print what would be added (per row: line, customer, at, action); write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Which column fills which field, FIELD=COLUMN, comma-separated or repeated
    /// (date=Visit Date,name=Guest); unmapped fields read the column of their name.
    #[arg(long, value_name = "FIELD=COLUMN", value_delimiter = ',')]
    pub map: Vec<String>,
}

/// `care import visits`: each row a visit, matched to a customer by id, email, phone or
/// exact name. The file is read three times and never held (`book::Sheet`): the first
/// reading checks and matches every row, so a bad date or amount refuses the file, naming
/// its line, before anything is written, and keeps sixteen bytes a row
/// (`booking::Plan`); the second writes each customer's file once, with that customer's
/// rows read again from where they start; the third prints the result, in the file's
/// order, as it goes. Rows that match nobody are listed and skipped; a visit already on
/// the record (same time and place) is not added again, so a re-run adds nothing and
/// writes nothing. Stdin (`-`) is copied to a temporary file first, to be read again.
pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    let file = args.file.display().to_string();
    let fields = booking::Fields::parse(&args.map).map_err(Error::Usage)?;
    let sheet = match args.file.to_str() {
        Some("-") => Sheet::spool(&args.file, |to| ctx.ui.copy_input(to))?,
        _ => Sheet::open(&args.file, || {
            if ctx.ui.err_terminal {
                let shown = crate::output::visible(&args.file.display().to_string()).into_owned();
                ctx.ui.say(&format!("{shown} is a pipe: waiting for what is written to it (Ctrl-C to stop)"));
            }
        })?,
    };
    let mut records = sheet.read()?;
    let headers = records.headers().map_err(|e| Error::Refused(format!("{file}: cannot read the header row: {e}")))?;
    let headers: Vec<String> = headers.iter().map(|h| h.to_lowercase()).collect();
    let columns = fields.columns(&headers, &file, ctx.style.raw).map_err(Error::Usage)?;
    let customers = ctx.book.customers_named();
    report_problems(ctx, &customers.problems)?;
    let listed = Listed::of(customers.records.iter().map(|(path, _)| path.as_path()));
    let (paths, named): (Vec<PathBuf>, Vec<Named>) = customers.records.into_iter().unzip();
    let matcher = Matcher::new(named);
    let by = ctx.by()?.to_string();
    let plan = booking::Plan::make(records, &columns, &matcher, &ctx.book.clock, &by, &file, |e| ctx.ui.say(&e))?;
    if plan.refused > 0 {
        return Err(Error::Refused(format!("{} problem(s) in {file} (see above); nothing was imported", plan.refused)));
    }
    let import = Import { ctx, sheet: &sheet, plan: &plan, columns: &columns, by: &by, dry_run: args.dry_run };
    let (actions, written) = import.write(&paths, &listed)?;
    for (k, row) in plan.rows.iter().enumerate().filter(|(_, r)| r.customer == NOBODY) {
        let cells = sheet.record(plan.span(k, sheet.len()))?;
        let key = columns.key(&cells);
        ctx.ui.warn(&format!("{file}:{}: no customer matches {key:?}; the visit was not imported", row.line));
    }
    let count = |a: Action| actions.iter().filter(|x| **x == a).count();
    let (again, unmatched) = (count(Action::AlreadyThere), plan.unmatched);
    if args.dry_run {
        let new = count(Action::WouldAdd);
        ctx.ui.say(&format!(
            "Dry run of {file}: {new} visits to add, {again} already there, {unmatched} unmatched; nothing was written."
        ));
    } else {
        let added = count(Action::Added);
        commit(ctx, &written, &format!("import visits {file}: {added} added"));
        ctx.ui.say(&format!("Imported {file}: {added} visits added, {again} already there, {unmatched} unmatched."));
    }
    import.print(out, &matcher, &actions)
}

/// One import of visits under way, once its plan is made.
struct Import<'a> {
    ctx: &'a Ctx,
    sheet: &'a Sheet,
    plan: &'a booking::Plan,
    columns: &'a booking::Columns,
    by: &'a str,
    dry_run: bool,
}

impl Import<'_> {
    /// The second reading: each customer's rows read again and their new visits written
    /// to the file at once. What became of each row, and the files written.
    fn write(&self, paths: &[PathBuf], listed: &Listed) -> Result<(Vec<Action>, Vec<PathBuf>)> {
        let Import { ctx, sheet, plan, .. } = *self;
        sheet.unchanged()?;
        let mut actions = vec![Action::Unmatched; plan.rows.len()];
        let order = plan.by_customer();
        let customers: Vec<&[usize]> =
            order.chunk_by(|a, b| plan.rows[*a].customer == plan.rows[*b].customer).collect();
        let progress = ctx.ui.err_terminal && customers.len() > 1;
        let mut written = Vec::new();
        for (n, rows) in customers.iter().enumerate() {
            if progress {
                let _ = write!(ctx.ui.err(), "\rimporting visits: {}/{} customers", n + 1, customers.len());
            }
            let visits = rows.iter().map(|&k| self.visit(k)).collect::<Result<Vec<Visit>>>()?;
            let path = &paths[plan.rows[rows[0]].customer as usize];
            let fresh = ctx.book.add_visits(path, &visits, listed, self.dry_run)?;
            for (&k, new) in rows.iter().zip(&fresh) {
                actions[k] = match (new, self.dry_run) {
                    (false, _) => Action::AlreadyThere,
                    (true, true) => Action::WouldAdd,
                    (true, false) => Action::Added,
                };
            }
            if !self.dry_run && fresh.contains(&true) {
                written.push(path.clone());
            }
        }
        if progress {
            let _ = writeln!(ctx.ui.err());
        }
        Ok((actions, written))
    }

    /// Row `k`'s visit, read again; it was checked by the first reading, so a row that
    /// no longer reads is a file changed since.
    fn visit(&self, k: usize) -> Result<Visit> {
        let cells = self.sheet.record(self.plan.span(k, self.sheet.len()))?;
        self.columns.visit(&cells, &self.ctx.book.clock, self.by).map_err(|_| self.sheet.changed())
    }

    /// The third reading: one row per row of the file, in its order, printed as it goes:
    /// line, customer, at, action.
    fn print(&self, out: &mut dyn Write, matcher: &Matcher, actions: &[Action]) -> Result<()> {
        let Import { ctx, sheet, plan, columns, .. } = *self;
        let mut stream = Stream::new(out, &ctx.style, &["line", "customer", "at", "action"].map(String::from))?;
        let mut records = sheet.read()?;
        records.headers().map_err(|_| sheet.changed())?;
        for ((row, planned), action) in records.zip(&plan.rows).zip(actions) {
            let cells = row?.cells.map_err(|_| sheet.changed())?;
            let at = columns.at(&cells, &ctx.book.clock).map_err(|_| sheet.changed())?;
            let customer = match planned.customer {
                NOBODY => Cell::Empty,
                i => matcher.id(i as usize).into(),
            };
            stream.row(vec![Cell::Int(planned.line.into()), customer, at.into(), action.as_str().into()])?;
        }
        finish_stream(ctx, stream)
    }
}
