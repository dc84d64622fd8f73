//! A booking system's export, as `care import visits` reads it: which column fills which
//! field of a visit (`--map FIELD=COLUMN`), a row's cells as a visit, and the plan made of
//! the whole file before anything is written.
//!
//! The plan is what lets an export of any length be imported in bounded memory: sixteen
//! bytes a row (where the row starts in the file, its line, its customer), never the rows
//! or their visits, which are read again from the file, one customer's at a time, when
//! they are written (`book::Sheet`). Pure: the rows are handed in, so every rule here is
//! tested on rows made in the test.

use std::cell::RefCell;
use std::collections::HashMap;

use csv::StringRecord;

use super::visit::{Matcher, Visit};
use crate::time::{Clock, Stamp};

/// The fields an export may fill, named in `--map FIELD=COLUMN` (without a map, a column
/// named like the field fills it).
pub const FIELDS: [&str; 11] =
    ["date", "time", "id", "email", "phone", "name", "spend", "party", "location", "staff", "note"];

/// The fields that name the customer, in the order a row is matched by them.
const NAMES: [&str; 4] = ["id", "email", "phone", "name"];

/// `--map` read: the column each field is looked for under.
#[derive(Debug, Clone)]
pub struct Fields(HashMap<&'static str, String>);

impl Fields {
    /// `FIELD=COLUMN` pairs over the defaults (each field's own name); columns compared as
    /// headers are: trimmed, ignoring case. Err: what is wrong, for a usage error.
    pub fn parse(given: &[String]) -> Result<Fields, String> {
        let mut map: HashMap<&'static str, String> = FIELDS.iter().map(|f| (*f, f.to_string())).collect();
        for pair in given {
            let (field, column) = pair
                .split_once('=')
                .ok_or_else(|| format!("--map {pair:?}: write FIELD=COLUMN, e.g. date=Visit Date"))?;
            let field = field.trim().to_lowercase();
            let Some(known) = FIELDS.iter().find(|f| **f == field) else {
                return Err(format!("--map: unknown field {field:?}; the fields are {}", FIELDS.join(", ")));
            };
            map.insert(known, column.trim().to_lowercase());
        }
        Ok(Fields(map))
    }

    /// Where each field is in rows under `headers` (already trimmed and lower-cased). Err,
    /// for a usage error: no date column, or no column that names the customer. `raw`:
    /// the export was written with `--raw`, so a leading `'` is the text's own.
    pub fn columns(&self, headers: &[String], file: &str, raw: bool) -> Result<Columns, String> {
        let at = FIELDS.map(|f| headers.iter().position(|h| *h == self.0[f]));
        let columns = Columns { at, raw, times: RefCell::default() };
        if columns.index("date").is_none() {
            return Err(format!(
                "{file}: no column for the visit's date (looked for {:?}); name it with --map date=COLUMN",
                self.0["date"]
            ));
        }
        if NAMES.iter().all(|f| columns.index(f).is_none()) {
            return Err(format!(
                "{file}: no column names the customer; map one of id, email, phone, name (--map name=Guest)"
            ));
        }
        Ok(columns)
    }
}

/// Which column fills each of `FIELDS` in an export's rows.
#[derive(Debug, Clone)]
pub struct Columns {
    at: [Option<usize>; FIELDS.len()],
    raw: bool,
    /// Times already read, by their text: an export repeats a few thousand date-times
    /// over its rows, each read three times (check, write, print), and reading one by the
    /// clock's grammar costs more than the rest of the row. Bounded by `TIMES_KEPT`.
    times: RefCell<HashMap<String, Result<Stamp, String>>>,
}

/// Times `Columns` keeps read (some 100 bytes each); past this many it starts again. Every
/// half hour of every day for two years is 35,000.
const TIMES_KEPT: usize = 1 << 16;

impl Columns {
    fn index(&self, field: &str) -> Option<usize> {
        FIELDS.iter().position(|f| *f == field).and_then(|i| self.at[i])
    }

    /// A field's cell, trimmed, without the `'` an export put before a formula-looking
    /// cell; None when empty or absent.
    pub fn cell<'a>(&self, row: &'a StringRecord, field: &str) -> Option<&'a str> {
        let cell = self.index(field).and_then(|i| row.get(i)).map(str::trim)?;
        let cell = if self.raw { cell } else { crate::text::unneutralise(cell) };
        Some(cell).filter(|c| !c.is_empty())
    }

    /// What the row names its customer by: id, email, phone, name.
    pub fn names<'a>(&self, row: &'a StringRecord) -> [Option<&'a str>; 4] {
        NAMES.map(|f| self.cell(row, f))
    }

    /// How a row that matches nobody is named in the warning: its first name cell.
    pub fn key<'a>(&self, row: &'a StringRecord) -> &'a str {
        self.names(row).into_iter().flatten().next().unwrap_or("")
    }

    /// When the visit was: the date, with the time when there is a time column.
    pub fn at(&self, row: &StringRecord, clock: &Clock) -> Result<Stamp, String> {
        let when = match (self.cell(row, "date"), self.cell(row, "time")) {
            (Some(d), Some(t)) => format!("{d} {t}"),
            (Some(d), None) => d.to_string(),
            (None, _) => return Err("the date is empty".into()),
        };
        if let Some(known) = self.times.borrow().get(&when) {
            return known.clone();
        }
        let at = clock.parse_time(&when).map_err(|e| format!("date: {e}"));
        let mut times = self.times.borrow_mut();
        if times.len() >= TIMES_KEPT {
            times.clear();
        }
        times.insert(when, at.clone());
        at
    }

    /// The row as a visit recorded by `by`. Err: what is wrong with it, to refuse the file.
    pub fn visit(&self, row: &StringRecord, clock: &Clock, by: &str) -> Result<Visit, String> {
        let at = self.at(row, clock)?;
        let text = |field: &str| self.cell(row, field).map(str::to_string);
        let party = self.cell(row, "party");
        Ok(Visit {
            at,
            by: by.to_string(),
            spend: self.amount(row, "spend")?,
            party: party
                .map(|p| p.parse::<u32>().map_err(|_| format!("party {p:?} is not a whole number of people")))
                .transpose()?,
            location: text("location"),
            staff: text("staff"),
            note: text("note"),
        })
    }

    /// Money as exports write it: `$1,200.50` is 1200.5; never negative.
    fn amount(&self, row: &StringRecord, field: &str) -> Result<Option<f64>, String> {
        let Some(cell) = self.cell(row, field) else { return Ok(None) };
        match cell.trim_start_matches('$').replace(',', "").parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
            Ok(_) => Err(format!("{field} must be zero or more")),
            Err(_) => Err(format!("{field} is not a number")),
        }
    }
}

/// One row of an export as read from its file: its line (of its first cell), where it
/// starts (to read it again), and its cells, or what made them unreadable.
#[derive(Debug)]
pub struct Row {
    pub line: u64,
    pub start: u64,
    pub cells: Result<StringRecord, String>,
}

/// `Planned::customer` of a row that matches nobody.
pub const NOBODY: u32 = u32::MAX;

/// A row as planned: where it starts in the file, its line, the customer (a position in
/// the `Matcher`) it goes to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Planned {
    pub start: u64,
    pub line: u32,
    pub customer: u32,
}

/// Every row of an export, checked and matched: what to import, decided before anything
/// is written.
#[derive(Debug, Default)]
pub struct Plan {
    /// In the file's order.
    pub rows: Vec<Planned>,
    pub unmatched: usize,
    /// Rows that refuse the file (each already reported).
    pub refused: usize,
}

impl Plan {
    /// Check and match every row; each problem is handed to `refuse` as `file:line: what`
    /// as it is found (the file is refused if there is any), so a file of bad rows holds
    /// none of their messages. An error reading the file stops at once.
    pub fn make(
        rows: impl Iterator<Item = crate::Result<Row>>,
        columns: &Columns,
        matcher: &Matcher,
        clock: &Clock,
        by: &str,
        file: &str,
        mut refuse: impl FnMut(String),
    ) -> crate::Result<Plan> {
        let mut plan = Plan::default();
        for row in rows {
            let Row { line, start, cells } = row?;
            let planned = cells.and_then(|cells| {
                columns.visit(&cells, clock, by)?;
                let [id, email, phone, name] = columns.names(&cells);
                let found = matcher.find(id, email, phone, name)?;
                let line = u32::try_from(line).map_err(|_| "the file is too long to import (past line 4294967295)")?;
                Ok(Planned { start, line, customer: found.map_or(NOBODY, |i| i as u32) })
            });
            match planned {
                Ok(row) => {
                    plan.unmatched += usize::from(row.customer == NOBODY);
                    plan.rows.push(row);
                }
                Err(e) => {
                    plan.refused += 1;
                    refuse(format!("{file}:{line}: {e}"));
                }
            }
        }
        Ok(plan)
    }

    /// Where row `k` lies in the file: from its start to the next row's (the last row, to
    /// `end`, the file's length). Only for a plan of every row, one that refused nothing.
    pub fn span(&self, k: usize, end: u64) -> (u64, u64) {
        (self.rows[k].start, self.rows.get(k + 1).map_or(end, |next| next.start))
    }

    /// The matched rows (positions in `rows`), grouped by customer in the book's order,
    /// each customer's in the file's order: each customer's file is then written once.
    pub fn by_customer(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.rows.len()).filter(|&k| self.rows[k].customer != NOBODY).collect();
        order.sort_by_key(|&k| self.rows[k].customer);
        order
    }
}

/// What the import did, or would do, with one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Added,
    WouldAdd,
    AlreadyThere,
    Unmatched,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Added => "added",
            Action::WouldAdd => "would add",
            Action::AlreadyThere => "already there",
            Action::Unmatched => "unmatched",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::visit::Named;

    fn clock() -> Clock {
        Clock::at("2026-11-22T19:42:00-05:00", "America/New_York")
    }

    fn columns(map: &[&str], headers: &str) -> Result<Columns, String> {
        let map: Vec<String> = map.iter().map(|m| m.to_string()).collect();
        let headers: Vec<String> = headers.split(',').map(str::to_lowercase).collect();
        Fields::parse(&map)?.columns(&headers, "b.csv", false)
    }

    fn row(cells: &[&str]) -> StringRecord {
        StringRecord::from(cells.to_vec())
    }

    #[test]
    fn a_row_becomes_a_visit_with_money_as_exports_write_it() {
        let c = columns(&["date=Visit Date", "spend=Total", "name=Guest"], "Visit Date,Guest,Total,party,time")
            .expect("columns");
        let v = c.visit(&row(&["2026-11-02", "Ada", " $1,200.50 ", "4", "20:00"]), &clock(), "joan").expect("visit");
        assert_eq!((v.spend, v.party, v.by.as_str()), (Some(1200.5), Some(4), "joan"));
        assert_eq!(crate::time::rfc3339(&v.at), "2026-11-02T20:00:00-05:00");
        let bad = |cells: &[&str]| c.visit(&row(cells), &clock(), "joan").expect_err("refused");
        assert_eq!(bad(&["", "Ada", "", "", ""]), "the date is empty");
        assert_eq!(bad(&["2026-11-02", "Ada", "-3", "", ""]), "spend must be zero or more");
        assert_eq!(bad(&["2026-11-02", "Ada", "lots", "", ""]), "spend is not a number");
        assert_eq!(bad(&["2026-11-02", "Ada", "", "2.7", ""]), "party \"2.7\" is not a whole number of people");
        assert!(bad(&["someday", "Ada", "", "", ""]).starts_with("date: "));
    }

    #[test]
    fn the_map_and_the_header_row_must_give_a_date_and_a_name() {
        assert!(columns(&["colour=Site"], "date,name").expect_err("usage").contains("unknown field \"colour\""));
        assert!(columns(&["date"], "date,name").expect_err("usage").contains("write FIELD=COLUMN"));
        assert!(columns(&[], "when,name").expect_err("usage").contains("no column for the visit's date"));
        assert!(columns(&[], "date,guest").expect_err("usage").contains("no column names the customer"));
        let c = columns(&["name=Guest"], "date,guest").expect("columns");
        assert_eq!(c.key(&row(&["2026-11-02", "'=Zed"])), "=Zed", "the export's added quote comes off");
    }

    #[test]
    fn the_plan_matches_every_row_reports_every_bad_one_and_groups_by_customer() {
        let c = columns(&[], "date,name").expect("columns");
        let named = |id: &str, name: &str| Named { id: id.into(), name: name.into(), email: None, phone: None };
        let matcher = Matcher::new([named("ada", "Ada"), named("bob", "Bob")]);
        let rows = [("2026-11-01", "Bob"), ("2026-11-02", "Zed"), ("2026-11-03", "Ada"), ("2026-11-04", "Bob")];
        let rows = rows
            .iter()
            .enumerate()
            .map(|(n, (d, name))| Ok(Row { line: n as u64 + 2, start: 10 * n as u64, cells: Ok(row(&[d, name])) }));
        let mut refused = Vec::new();
        let plan = Plan::make(rows, &c, &matcher, &clock(), "joan", "b.csv", |e| refused.push(e)).expect("plan");
        assert!(refused.is_empty(), "{refused:?}");
        assert_eq!((plan.rows.len(), plan.unmatched), (4, 1));
        assert_eq!(plan.by_customer(), [2, 0, 3], "Ada's row, then Bob's two in the file's order");
        assert_eq!((plan.span(0, 99), plan.span(3, 99)), ((0, 10), (30, 99)));
        let bad = [
            Ok(Row { line: 2, start: 0, cells: Ok(row(&["2026-11-01", "Ada"])) }),
            Ok(Row { line: 3, start: 9, cells: Err("found record with 3 fields".into()) }),
            Ok(Row { line: 5, start: 20, cells: Ok(row(&["", "Ada"])) }),
        ];
        let plan = Plan::make(bad.into_iter(), &c, &matcher, &clock(), "joan", "b.csv", |e| refused.push(e));
        assert_eq!(plan.expect("plan").refused, 2);
        assert_eq!(refused, ["b.csv:3: found record with 3 fields", "b.csv:5: the date is empty"]);
    }
}
