//! `care import customers FILE.csv`: bring customers in from a spreadsheet.
//!
//! Every row is checked before anything is written, so a bad row (reported with its line
//! number) leaves the book exactly as it was. Re-running an import does not duplicate: a
//! row whose id — or, without an id, whose exact name — is already in the book is left
//! alone, so hand edits made since survive, unless `--update` asks to overwrite the fields
//! the spreadsheet has.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::book::read_input;
use crate::cmd::{Ctx, commit, say};
use crate::error::{Error, Result};
use crate::model::customer::Contact;
use crate::model::{Customer, id};
use crate::output::{self, Cell, Rows};
use crate::time::Clock;
use crate::yaml;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Customers,
}

/// Bring customers in from a spreadsheet (CSV); re-running it does not duplicate.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Columns (by header, any order): name (required), id, email, phone, since, lifetime_value;
any other column is kept as a field of the record. A UTF-8 BOM (Excel) is fine.
Prints one row per customer: id, action (created, unchanged, updated).

Example:
  care import customers guests.csv
  care import customers guests.csv --update      overwrite fields with the spreadsheet's")]
pub struct Args {
    /// What the spreadsheet holds: customers (the only kind so far).
    #[arg(value_enum)]
    pub kind: Kind,
    /// The CSV file, or `-` for stdin.
    pub file: PathBuf,
    /// For customers already in the book, overwrite the fields the spreadsheet fills in.
    #[arg(long)]
    pub update: bool,
}

/// One checked row of the spreadsheet.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub id: Option<String>,
    pub customer: Customer,
    /// Columns the record does not know, kept as top-level fields.
    pub fields: BTreeMap<String, String>,
}

const KNOWN: [&str; 6] = ["id", "name", "email", "phone", "since", "lifetime_value"];

/// Read and check every row; the errors name the line of each bad row.
pub fn read_rows(text: &str, clock: &Clock, file: &str) -> Result<Vec<Row>, Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_lowercase()).collect(),
        Err(e) => return Err(vec![format!("{file}: cannot read the header row: {e}")]),
    };
    if !headers.iter().any(|h| h == "name") {
        return Err(vec![format!("{file}:1: no `name` column; the header row must name the columns")]);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    // The line a record starts on, counted from its byte offset: after a CRLF the csv
    // crate starts the next record at the LF, and its own line count is one short.
    let line_at = |p: Option<&csv::Position>| {
        let end = p.map_or(0, |p| (p.byte() as usize + 1).min(text.len()));
        text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() as u64 + 1
    };
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("{file}:{}: {e}", line_at(e.position())));
                continue;
            }
        };
        let line = line_at(record.position());
        let cells: HashMap<&str, &str> = headers
            .iter()
            .map(String::as_str)
            .zip(record.iter().map(str::trim))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        match check_row(&cells, clock) {
            Ok(mut row) => {
                row.line = line;
                let key = row.id.clone().unwrap_or_else(|| row.customer.name.to_lowercase());
                if !seen.insert(key.clone()) {
                    errors.push(format!("{file}:{line}: {key:?} appears twice in this file"));
                }
                row.fields = headers
                    .iter()
                    .filter(|h| !KNOWN.contains(&h.as_str()))
                    .filter_map(|h| cells.get(h.as_str()).map(|v| (h.clone(), v.to_string())))
                    .collect();
                rows.push(row);
            }
            Err(e) => errors.push(format!("{file}:{line}: {e}")),
        }
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
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
    let customer = Customer {
        since,
        contact: Contact {
            email: cells.get("email").map(|s| s.to_string()),
            phone: cells.get("phone").map(|s| s.to_string()),
        },
        lifetime_value,
        ..Customer::new("", name)
    };
    Ok(Row { line: 0, id, customer, fields: BTreeMap::new() })
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    let file = args.file.display().to_string();
    let text = read_input(&args.file)?;
    let rows = read_rows(&text, &ctx.book.clock, &file).map_err(|errors| {
        for e in &errors {
            eprintln!("{e}");
        }
        Error::Refused(format!("{} bad row(s) in {file}; nothing was imported", errors.len()))
    })?;
    let existing = ctx.book.customers();
    crate::cmd::report_problems(&existing.problems)?;
    let by_id: HashMap<&str, &PathBuf> = existing.records.iter().map(|(p, c)| (c.id.as_str(), p)).collect();
    let by_name: HashMap<String, &str> =
        existing.records.iter().map(|(_, c)| (c.name.to_lowercase(), c.id.as_str())).collect();
    let progress = std::io::stderr().is_terminal() && rows.len() > 1;
    let mut result = Rows::new(&["id", "action", "line"]);
    let mut written = Vec::new();
    for (n, row) in rows.iter().enumerate() {
        if progress {
            eprint!("\rimporting {}/{}", n + 1, rows.len());
        }
        let known = match &row.id {
            Some(id) => by_id.get(id.as_str()).map(|p| (id.clone(), *p)),
            None => by_name.get(&row.customer.name.to_lowercase()).map(|id| (id.to_string(), by_id[id])),
        };
        let (id, action) = match known {
            Some((id, path)) if args.update => {
                update(ctx, path, row)?;
                written.push(path.to_path_buf());
                (id, "updated")
            }
            Some((id, _)) => (id, "unchanged"),
            None => {
                let id = create(ctx, row)?;
                written.push(ctx.book.customer_path(&id));
                (id, "created")
            }
        };
        result.push(vec![id.into(), action.into(), Cell::Int(row.line as i64)]);
    }
    if progress {
        eprintln!();
    }
    let count = |a: &str| result.rows.iter().filter(|r| r[1] == Cell::text(a)).count();
    let (created, updated) = (count("created"), count("updated"));
    commit(ctx, &written, &format!("import customers {file}: {created} created, {updated} updated"));
    say(&format!("Imported {file}: {created} created, {updated} updated, {} already in the book.", count("unchanged")));
    output::print(out, &ctx.style, &result)?;
    Ok(())
}

fn create(ctx: &Ctx, row: &Row) -> Result<String> {
    let mut customer = row.customer.clone();
    customer.since = customer.since.or_else(|| Some(ctx.book.clock.today()));
    let base = row.id.clone().unwrap_or_else(|| id::slug(&customer.name));
    customer.id = match &row.id {
        Some(id) => id.clone(),
        None => id::first_free(&base, |id| ctx.book.customer_file(id).is_some()),
    };
    let mut doc = yaml::Doc::new(&customer)?;
    for (key, value) in &row.fields {
        doc.set(key, value)?;
    }
    ctx.book.create(&ctx.book.customer_path(&customer.id), &doc.render()?)?;
    Ok(customer.id)
}

fn update(ctx: &Ctx, path: &std::path::Path, row: &Row) -> Result<()> {
    let c = &row.customer;
    ctx.book.edit(path, |_: &Customer, doc| {
        doc.set("name", &c.name)?;
        if let Some(since) = c.since {
            doc.set("since", &since)?;
        }
        if let Some(v) = c.lifetime_value {
            doc.set("lifetime_value", &crate::model::amount::Whole(v))?;
        }
        if let Some(email) = &c.contact.email {
            doc.set_in_map("contact", "email", email)?;
        }
        if let Some(phone) = &c.contact.phone {
            doc.set_in_map("contact", "phone", phone)?;
        }
        for (key, value) in &row.fields {
            doc.set(key, value)?;
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
        let rows = read_rows(text, &clock(), "g.csv").expect("valid");
        assert_eq!(rows[0].customer.name, "Lovelace, Ada");
        assert_eq!(rows[0].customer.lifetime_value, Some(12000.0));
        assert_eq!(rows[0].fields["table"], "corner\nby the window");
    }

    #[test]
    fn every_bad_row_is_named_by_its_line() {
        let text = "name,id,since,lifetime_value\nAda,,,\n,x,,\nBob,Bad Id,,\nCy,,someday,\nDi,,,-5\n";
        let errors = read_rows(text, &clock(), "g.csv").expect_err("bad rows");
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].starts_with("g.csv:3:"), "{errors:?}");
        assert!(errors[3].starts_with("g.csv:6:") && errors[3].contains("lifetime_value"));
    }
}
