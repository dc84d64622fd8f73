//! What commands hand to the printer: a result set of stable `snake_case` columns and typed
//! cells. Kept apart from `output` (which prints them) so the reports that build rows and
//! the printer that shows them depend on this, and not on each other. The briefing card,
//! a document rather than a table, is handed over the same way (`card`).

use chrono::NaiveDate;

use crate::time::Stamp;

pub mod card;

/// One value in a row, typed so each format can print it its own way.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// What nobody may miss (allergies, how to contact): highlighted on a terminal.
    Alert(String),
    Int(i64),
    Amount(f64),
    Time(Stamp),
    Date(NaiveDate),
    /// A duration: minutes in data formats, `1h 12m` for people.
    Minutes(i64),
    /// A fraction of a whole: `0.1234` in data formats, `12.3%` for people.
    Share(f64),
    /// A ratio such as lift: `2.4567` in data, `2.46` for people.
    Ratio(f64),
    /// A probability (p, q) that may be tiny: `1.234e-30` in data, `1e-30` for people.
    Prob(f64),
    /// Yes or no: `true`/`false` in JSON; `yes` or empty in CSV and tables, as before
    /// JSON was typed, so that `$7 == "yes"` in awk keeps working.
    Bool(bool),
    /// Several values (tags, steps done): an array in JSON (`[]` when there are none),
    /// joined with `;` in CSV, with `, ` for people.
    List(Vec<String>),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() { Cell::Empty } else { Cell::Text(s) }
    }

    pub fn opt<T: Into<Cell>>(value: Option<T>) -> Cell {
        value.map_or(Cell::Empty, Into::into)
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::text(s)
    }
}

impl From<Stamp> for Cell {
    fn from(t: Stamp) -> Cell {
        Cell::Time(t)
    }
}

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Cell {
        Cell::Date(d)
    }
}

/// A result set: stable snake_case column names and rows of cells.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Rows {
    pub fn new(columns: &[&str]) -> Rows {
        Rows { columns: columns.iter().map(|c| c.to_string()).collect(), rows: Vec::new() }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "row width must match the columns");
        self.rows.push(row);
    }
}
