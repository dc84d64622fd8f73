//! `care import customers FILE.csv`: bring customers in from a spreadsheet.
//!
//! Every row is checked, and every change planned, before anything is written, so a bad
//! row (reported with its line number) leaves the book exactly as it was. Re-running an
//! import does not duplicate: a row whose id — or, without an id, whose exact name — is
//! already in the book is left alone, so hand edits made since survive, unless `--update`
//! asks to take the spreadsheet's plain fields. An import never destroys: the columns it
//! may set are sorted out in `model::import`, a file it would not change is not rewritten,
//! and the `'` that export put before a formula-looking cell is taken off again, so
//! `care export customers` → `care import customers --update` changes nothing at all.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cmd::{Ctx, commit, read_input, report_problems};
use crate::error::{Error, Result};
use crate::model::customer::Contact;
use crate::model::forgotten;
use crate::model::import::{self as rules, Change, Column, EntryColumn, Set};
use crate::model::{Customer, Entry, Section, id};
use crate::output::{self, Cell, Rows, unneutralise};
use crate::time::Clock;
use crate::yaml;

/// Bring customers in from a spreadsheet (CSV); re-running it does not duplicate.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Columns (by header, any order): name (required), id, email, phone, since, lifetime_value;
any other column is kept as a plain field of the record (and named in a warning), unless
--map COLUMN=pref|role|goal|note|misstep[:critical] makes each cell an entry of that kind
(\"Allergies: peanuts\"; critical ones lead the card). Such an entry is added to a customer
already in the book too, once: a re-run adds nothing. A UTF-8 BOM (Excel) is fine.
What `care export customers` prints reads back as no change: the `'` it puts before a
formula-looking cell is taken off (not with --raw), and its computed columns (remember and
the counts roles, goals, preferences, notes, missteps, active_flags) are checked, never
stored. Entries cannot come from a cell: text in a count column, a `flags` or `contact`
column, or a `remember` that differs from the record is refused before anything is written.
Prints one row per customer: id, action (created, updated, unchanged), line.

Examples:
  care import customers guests.csv
  care import customers guests.csv --map allergies=pref:critical,club=note
  care import customers guests.csv --update --dry-run   what would change: field, old, new
  care import customers guests.csv --update             take the spreadsheet's plain fields")]
pub struct Args {
    /// The CSV file, or `-` for stdin.
    pub file: PathBuf,
    /// For customers already in the book, set the plain fields the spreadsheet fills in
    /// (never an entry: notes, preferences and flags stay as they are).
    #[arg(long)]
    pub update: bool,
    /// Print what would be created and changed (per customer: field, old, new); write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// COLUMN=pref|role|goal|note|misstep, with :critical for what nobody may miss
    /// (allergies=pref:critical): each cell becomes an entry of that kind; comma-separated
    /// or repeated.
    #[arg(long, value_name = "COLUMN=KIND", value_delimiter = ',')]
    pub map: Vec<String>,
}

/// One checked row of the spreadsheet.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub id: Option<String>,
    pub customer: Customer,
    /// Columns the record does not know, kept as top-level fields.
    pub fields: BTreeMap<String, String>,
    /// The `remember` cell, checked against the record it would land on.
    pub remember: Option<String>,
    /// The cells of `--map COLUMN=KIND` columns, as entries (without time and author).
    pub entries: Vec<(Section, String, bool)>,
}

/// Read and check every row; the errors name the line of each bad row. `raw`: the file
/// was exported with `--raw`, so a leading `'` is the text's own.
pub fn read_rows(
    text: &str,
    clock: &Clock,
    file: &str,
    raw: bool,
    mapped: &[EntryColumn],
) -> Result<Vec<Row>, Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_lowercase()).collect(),
        Err(e) => return Err(vec![format!("{file}: cannot read the header row: {e}")]),
    };
    check_headers(&headers, file)?;
    let missing: Vec<String> = mapped
        .iter()
        .filter(|m| !headers.contains(&m.column))
        .map(|m| format!("{file}:1: --map {}: no such column in the header row", m.column))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let line_at = |p: Option<&csv::Position>| line_at(text, p);
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("{file}:{}: {e}", line_at(e.position())));
                continue;
            }
        };
        let line = line_at(record.position());
        let mut cells: HashMap<&str, &str> = headers
            .iter()
            .map(String::as_str)
            .zip(record.iter().map(|c| if raw { c.trim() } else { unneutralise(c.trim()) }))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let entries: Vec<(Section, String, bool)> = mapped
            .iter()
            .filter_map(|m| {
                cells.remove(m.column.as_str()).map(|cell| (m.section, entry_text(&m.column, cell), m.critical))
            })
            .collect();
        match check_row(&cells, clock) {
            Ok(mut row) => {
                row.line = line;
                row.entries = entries;
                let key = row.id.clone().unwrap_or_else(|| row.customer.name.to_lowercase());
                if !seen.insert(key.clone()) {
                    errors.push(format!("{file}:{line}: {key:?} appears twice in this file"));
                }
                rows.push(row);
            }
            Err(e) => errors.push(format!("{file}:{line}: {e}")),
        }
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}

/// The line a record starts on, counted from its byte offset: after a CRLF the csv crate
/// starts the next record at the LF, and its own line count is one short.
fn line_at(text: &str, p: Option<&csv::Position>) -> u64 {
    let end = p.map_or(0, |p| (p.byte() as usize + 1).min(text.len()));
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// The header row alone can refuse a file: a name column is needed, and a column over a
/// structured field of the record (`flags`, `contact`) could only destroy it.
fn check_headers(headers: &[String], file: &str) -> Result<(), Vec<String>> {
    let mut errors: Vec<String> = headers
        .iter()
        .filter_map(|h| match rules::column(h) {
            Column::Refused(why) => Some(format!("{file}:1: column `{h}`: {why}")),
            _ => None,
        })
        .collect();
    if !headers.iter().any(|h| h == "name") {
        errors.push(format!("{file}:1: no `name` column; the header row must name the columns"));
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

fn check_row(cells: &HashMap<&str, &str>, clock: &Clock) -> Result<Row, String> {
    let name = cells.get("name").ok_or("the name is empty")?.to_string();
    let id = cells.get("id").map(|i| i.to_string());
    if let Some(id) = &id {
        id::check_customer_id(id)?;
    }
    let since = cells.get("since").map(|s| clock.parse_date(s)).transpose()?;
    let lifetime_value = match cells.get("lifetime_value") {
        Some(v) => Some(
            v.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("lifetime_value {v:?} is not a number of zero or more"))?,
        ),
        None => None,
    };
    let mut fields = BTreeMap::new();
    for (&column, &cell) in cells {
        match rules::column(column) {
            Column::Count => rules::count_refused(column, cell).map_or(Ok(()), Err)?,
            Column::Field => drop(fields.insert(column.to_string(), cell.to_string())),
            Column::Known | Column::Remember | Column::Refused(_) => {}
        }
    }
    let customer = Customer {
        since,
        contact: Contact {
            email: cells.get("email").map(|s| s.to_string()),
            phone: cells.get("phone").map(|s| s.to_string()),
        },
        lifetime_value,
        ..Customer::new("", name)
    };
    Ok(Row { line: 0, id, customer, fields, remember: cells.get("remember").map(|s| s.to_string()), entries: vec![] })
}

/// A mapped cell as an entry's text, under its column's name: "Allergies: peanuts".
fn entry_text(column: &str, cell: &str) -> String {
    let mut chars = column.chars();
    let name: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
    format!("{name}: {cell}")
}

/// The row's mapped entries a record does not hold yet (the same kind and words), stamped
/// now: what makes a re-run add nothing.
fn new_entries(ctx: &Ctx, current: Option<&Customer>, row: &Row) -> Result<Vec<(Section, Entry)>> {
    let mut out: Vec<(Section, Entry)> = Vec::new();
    for (section, text, critical) in &row.entries {
        let held = |entries: &[Entry]| entries.iter().any(|e| e.text == *text);
        if current.is_some_and(|c| held(c.entries(*section)))
            || out.iter().any(|(s, e)| s == section && e.text == *text)
        {
            continue;
        }
        let entry = Entry {
            text: text.clone(),
            at: Some(ctx.book.clock.now()),
            by: ctx.by()?.to_string(),
            incident: None,
            critical: *critical,
            retired: None,
        };
        out.push((*section, entry));
    }
    Ok(out)
}

/// What the import will do with one row.
enum Plan {
    Create,
    Update(PathBuf, Vec<Change>),
    Unchanged,
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    let mapped: Vec<EntryColumn> =
        args.map.iter().map(|m| rules::entry_column(m)).collect::<std::result::Result<_, _>>().map_err(Error::Usage)?;
    let file = args.file.display().to_string();
    let text = read_input(&ctx.ui, &args.file)?;
    let rows =
        read_rows(&text, &ctx.book.clock, &file, ctx.style.raw, &mapped).map_err(|e| refused(&ctx.ui, &e, &file))?;
    let kept: std::collections::BTreeSet<&str> =
        rows.iter().flat_map(|r| r.fields.keys().map(String::as_str)).collect();
    for column in kept {
        ctx.ui.warn(&format!(
            "{file}: column `{column}` is not a field care knows; it is kept as a plain field `{column}` of each \
             record (the card shows it under \"Also on file\"). To make it a preference or note, or critical: \
             --map {column}=pref|role|goal|note[:critical]"
        ));
    }
    let existing = ctx.book.customers();
    report_problems(ctx, &existing.problems)?;
    let plans = plan(ctx, args, &rows, &existing.records).map_err(|e| refused(&ctx.ui, &e, &file))?;
    if args.dry_run {
        return dry_run(ctx, &rows, &plans, &existing.records, &file, out);
    }
    let progress = ctx.ui.err_terminal && rows.len() > 1;
    let mut result = Rows::new(&["id", "action", "line"]);
    let mut written = Vec::new();
    for (n, (row, (id, plan))) in rows.iter().zip(&plans).enumerate() {
        if progress {
            let _ = write!(ctx.ui.err(), "\rimporting {}/{}", n + 1, rows.len());
        }
        let (id, action) = match plan {
            Plan::Update(path, _) => {
                update(ctx, path, row)?;
                add_entries(ctx, path, row)?;
                written.push(path.clone());
                (id.clone(), "updated")
            }
            Plan::Unchanged => {
                let path = ctx.book.customer_path(id);
                if add_entries(ctx, &path, row)? > 0 {
                    written.push(path);
                    (id.clone(), "updated")
                } else {
                    (id.clone(), "unchanged")
                }
            }
            Plan::Create => {
                let id = create(ctx, row)?;
                written.push(ctx.book.customer_path(&id));
                (id, "created")
            }
        };
        result.push(vec![id.into(), action.into(), Cell::Int(row.line as i64)]);
    }
    if progress {
        let _ = writeln!(ctx.ui.err());
    }
    let count = |a: &str| result.rows.iter().filter(|r| r[1] == Cell::text(a)).count();
    let (created, updated) = (count("created"), count("updated"));
    commit(ctx, &written, &format!("import customers {file}: {created} created, {updated} updated"));
    ctx.ui.say(&format!("Imported {file}: {created} created, {updated} updated, {} unchanged.", count("unchanged")));
    output::print(out, &ctx.style, &result)?;
    Ok(())
}

/// Print every problem found, then refuse the whole file.
fn refused(ui: &crate::ui::Ui, errors: &[String], file: &str) -> Error {
    for e in errors {
        ui.say(e);
    }
    Error::Refused(format!("{} problem(s) in {file} (see above); nothing was imported", errors.len()))
}

/// Decide, for every row, what the import does, before anything is written: the id it
/// lands on (for a new customer, the id it asked for, or empty), and the plan.
fn plan(
    ctx: &Ctx,
    args: &Args,
    rows: &[Row],
    existing: &[(PathBuf, Customer)],
) -> Result<Vec<(String, Plan)>, Vec<String>> {
    let by_id: HashMap<&str, (&PathBuf, &Customer)> = existing.iter().map(|(p, c)| (c.id.as_str(), (p, c))).collect();
    let by_name: HashMap<String, &str> = existing.iter().map(|(_, c)| (c.name.to_lowercase(), c.id.as_str())).collect();
    let mut plans = Vec::new();
    let mut errors = Vec::new();
    let tombstone = ctx.book.tombstone().map_err(|e| vec![e.to_string()])?;
    for row in rows {
        let c = &row.customer;
        let id = row.id.clone().unwrap_or_else(|| crate::model::id::slug(&c.name));
        if let Some(gone) = tombstone.knows(Some(&id), c.contact.email.as_deref(), c.contact.phone.as_deref()) {
            errors.push(format!("{}:{}: {}", args.file.display(), row.line, forgotten::refusal(gone)));
            plans.push((String::new(), Plan::Unchanged));
            continue;
        }
        let known = match &row.id {
            Some(id) => by_id.get(id.as_str()).copied(),
            None => by_name.get(&row.customer.name.to_lowercase()).map(|id| by_id[id]),
        };
        let planned = match known {
            Some((path, current)) if args.update => planned_update(ctx, path, current, row),
            Some((_, current)) => Ok((current.id.clone(), Plan::Unchanged)),
            None => match row.remember.as_deref().and_then(|r| rules::remember_refused(r, None)) {
                Some(why) => Err(why),
                None => Ok((row.id.clone().unwrap_or_default(), Plan::Create)),
            },
        };
        match planned {
            Ok(p) => plans.push(p),
            Err(e) => errors.push(format!("{}:{}: {e}", args.file.display(), row.line)),
        }
    }
    if errors.is_empty() { Ok(plans) } else { Err(errors) }
}

fn planned_update(ctx: &Ctx, path: &Path, current: &Customer, row: &Row) -> Result<(String, Plan), String> {
    if let Some(why) = row.remember.as_deref().and_then(|r| rules::remember_refused(r, Some(current))) {
        return Err(why);
    }
    let doc = ctx.book.read_text(path).and_then(|text| yaml::Doc::parse(path, &text)).map_err(|e| e.to_string())?;
    let changes = rules::changes(current, doc.value(), &row.customer, &row.fields)?;
    let plan = if changes.is_empty() { Plan::Unchanged } else { Plan::Update(path.to_path_buf(), changes) };
    Ok((current.id.clone(), plan))
}

/// `--dry-run`: one row per change (and per customer to create), nothing written.
fn dry_run(
    ctx: &Ctx,
    rows: &[Row],
    plans: &[(String, Plan)],
    existing: &[(PathBuf, Customer)],
    file: &str,
    out: &mut dyn Write,
) -> Result<()> {
    let mut result = Rows::new(&["id", "action", "line", "field", "old", "new"]);
    let (mut created, mut updated) = (0, 0);
    for (row, (id, plan)) in rows.iter().zip(plans) {
        let line = Cell::Int(row.line as i64);
        match plan {
            Plan::Create => {
                created += 1;
                let id = if id.is_empty() { id::slug(&row.customer.name) } else { id.clone() };
                result.push(vec![id.into(), "create".into(), line.clone(), Cell::Empty, Cell::Empty, Cell::Empty]);
            }
            Plan::Update(_, changes) => {
                updated += 1;
                for c in changes {
                    let cells = [c.field.as_str(), c.old.as_str(), c.new.as_str()].map(Cell::from);
                    let [field, old, new] = cells;
                    result.push(vec![id.as_str().into(), "update".into(), line.clone(), field, old, new]);
                }
            }
            Plan::Unchanged => {}
        }
        if let Plan::Update(..) | Plan::Unchanged = plan {
            let current = existing.iter().map(|(_, c)| c).find(|c| c.id == *id);
            let entries = new_entries(ctx, current, row)?;
            if matches!(plan, Plan::Unchanged) && entries.is_empty() {
                result.push(vec![id.as_str().into(), "unchanged".into(), line, Cell::Empty, Cell::Empty, Cell::Empty]);
                continue;
            }
            if matches!(plan, Plan::Unchanged) {
                updated += 1;
            }
            for (section, e) in entries {
                let field =
                    if e.critical { format!("{} (critical)", section.key()) } else { section.key().to_string() };
                let cells =
                    [id.as_str().into(), "update".into(), line.clone(), field.into(), Cell::Empty, e.text.into()];
                result.push(cells.to_vec());
            }
        }
    }
    let unchanged = rows.len() - created - updated;
    ctx.ui.say(&format!(
        "Dry run of {file}: {created} to create, {updated} to update, {unchanged} unchanged; nothing was written."
    ));
    output::print(out, &ctx.style, &result)?;
    Ok(())
}

fn create(ctx: &Ctx, row: &Row) -> Result<String> {
    let mut customer = row.customer.clone();
    for (section, entry) in new_entries(ctx, None, row)? {
        match section {
            Section::Preference => customer.preferences.push(entry),
            Section::Role => customer.roles.push(entry),
            Section::Goal => customer.goals.push(entry),
            Section::Note => customer.notes.push(entry),
            Section::Misstep => customer.missteps.push(entry),
        }
    }
    customer.since = customer.since.or_else(|| Some(ctx.book.clock.today()));
    let render = |c: &Customer| {
        let mut doc = yaml::Doc::new(c)?;
        for (key, value) in &row.fields {
            doc.set(key, value)?;
        }
        doc.render()
    };
    ctx.book.create_customer(&mut customer, row.id.as_deref(), render)?;
    Ok(customer.id)
}

/// Add the row's mapped entries the record lacks, decided under its lock; how many.
fn add_entries(ctx: &Ctx, path: &Path, row: &Row) -> Result<usize> {
    if row.entries.is_empty() {
        return Ok(0);
    }
    ctx.book.edit(path, |current: &Customer, doc| {
        let entries = new_entries(ctx, Some(current), row)?;
        for (section, entry) in &entries {
            doc.push(section.key(), entry)?;
        }
        Ok(entries.len())
    })
}

/// Set the changed plain fields, measured again under the file's lock: only what differs
/// from the record as it is now is touched.
fn update(ctx: &Ctx, path: &Path, row: &Row) -> Result<()> {
    ctx.book.edit(path, |current: &Customer, doc| {
        let changes = rules::changes(current, doc.value(), &row.customer, &row.fields).map_err(Error::Refused)?;
        for change in changes {
            let value = match &change.value {
                Set::Text(s) => yaml::to_value(s)?,
                Set::Date(d) => yaml::to_value(d)?,
                Set::Amount(v) => yaml::to_value(&crate::model::amount::Whole(*v))?,
            };
            if change.in_contact {
                doc.set_in_map("contact", &change.key, &value)?;
            } else {
                doc.set(&change.key, &value)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> Clock {
        Clock::at("2026-11-22T19:42:00-05:00", "America/New_York")
    }

    #[test]
    fn rows_with_quotes_commas_newlines_and_a_bom_read_back() {
        let text = "\u{feff}Name,Email,lifetime_value,Table\n\"Lovelace, Ada\",ada@example.com,12000,\"corner\nby the window\"\n";
        let rows = read_rows(text, &clock(), "g.csv", false, &[]).expect("valid");
        assert_eq!(rows[0].customer.name, "Lovelace, Ada");
        assert_eq!(rows[0].customer.lifetime_value, Some(12000.0));
        assert_eq!(rows[0].fields["table"], "corner\nby the window");
    }

    #[test]
    fn every_bad_row_is_named_by_its_line() {
        let text = "name,id,since,lifetime_value\nAda,,,\n,x,,\nBob,Bad Id,,\nCy,,someday,\nDi,,,-5\n";
        let errors = read_rows(text, &clock(), "g.csv", false, &[]).expect_err("bad rows");
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].starts_with("g.csv:3:"), "{errors:?}");
        assert!(errors[3].starts_with("g.csv:6:") && errors[3].contains("lifetime_value"));
    }
}
