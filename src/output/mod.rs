//! The only place that prints data. Commands build `Rows` (column names and typed cells);
//! this module turns them into a table for people or CSV, TSV, JSON or NDJSON for
//! programs, keeping PRODUCT.md's promises in one place: a header row unless
//! `--no-header`, nothing at all for an empty table (so cron mails only when there is
//! something to act on), `[]` for empty JSON, RFC 3339 times and plain numbers in data
//! formats, formula-looking CSV cells neutralised unless `--raw`, Excel's BOM and CRLF only
//! with `--excel`, colour only on a terminal and never with `NO_COLOR`.
//!
//! One file a job: `table` fits a table to the terminal, `stream` writes CSV and TSV and
//! prints rows as they are made, `card` the briefing card, `incident` one incident in
//! full, `chart` bars and heat maps; the cells themselves (`human`, `plain`, `json`) here.

use std::io::{self, Write};

use serde_json::{Map, Value as Json};

use crate::model::{Incident, amount};
use crate::rows::card::Card;
use crate::time::{self, Clock};

mod card;
mod chart;
mod incident;
mod stream;
mod table;

pub use crate::rows::{Cell, Rows};
pub use crate::text::{neutralise, unneutralise, visible};
pub use chart::terminal_width;
pub use stream::{Stream, TABLE_BLOCK_ROWS};

use stream::delimited;
use table::table;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Tsv,
    Json,
    Ndjson,
    /// An iCalendar file (RFC 5545) of follow-ups: `followup due` and `export followups` only.
    Ics,
}

/// How data is to be printed; built once from the global options.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub format: Format,
    pub header: bool,
    pub raw: bool,
    pub excel: bool,
    pub color: bool,
    pub clock: Clock,
    /// The terminal's width when tables and cards must fit it; None prints every
    /// character (piped output, `--wide`).
    pub width: Option<usize>,
}

/// Print rows in the chosen format.
fn print_io(w: &mut dyn Write, style: &Style, rows: &Rows) -> io::Result<()> {
    match style.format {
        Format::Table => table(w, style, rows),
        Format::Csv => delimited(w, style, rows, b','),
        Format::Tsv => delimited(w, style, rows, b'\t'),
        Format::Json => {
            let objects: Vec<Json> = rows.rows.iter().map(|r| object(&rows.columns, r)).collect();
            serde_json::to_writer_pretty(&mut *w, &objects)?;
            writeln!(w)
        }
        Format::Ics => Err(io::Error::other("--format ics is only for `followup due` and `export followups`")),
        Format::Ndjson => {
            for row in &rows.rows {
                serde_json::to_writer(&mut *w, &object(&rows.columns, row))?;
                writeln!(w)?;
            }
            Ok(())
        }
    }
}

/// Print a calendar (`--format ics`), already in its own format (report::ics).
fn print_calendar_io(w: &mut dyn Write, text: &str) -> io::Result<()> {
    w.write_all(text.as_bytes())
}

/// Print JSON documents (a briefing card, say) in a JSON format: an array, or one per line.
fn print_json_io(w: &mut dyn Write, style: &Style, docs: &[Json]) -> io::Result<()> {
    if style.format == Format::Ndjson {
        for doc in docs {
            serde_json::to_writer(&mut *w, doc)?;
            writeln!(w)?;
        }
        return Ok(());
    }
    serde_json::to_writer_pretty(&mut *w, docs)?;
    writeln!(w)
}
/// Print one JSON document (`export subject`): indented, or on one line for NDJSON.
fn print_document_io(w: &mut dyn Write, style: &Style, doc: &Json) -> io::Result<()> {
    if style.format == Format::Ndjson {
        serde_json::to_writer(&mut *w, doc)?;
    } else {
        serde_json::to_writer_pretty(&mut *w, doc)?;
    }
    writeln!(w)
}

// The printers' public faces: an error writing the output is `Error::Output`, never
// mistaken for an error reading or writing a record.
pub fn print(w: &mut dyn Write, style: &Style, rows: &Rows) -> crate::Result<()> {
    print_io(w, style, rows).map_err(crate::Error::Output)
}

pub fn print_calendar(w: &mut dyn Write, text: &str) -> crate::Result<()> {
    print_calendar_io(w, text).map_err(crate::Error::Output)
}

pub fn print_json(w: &mut dyn Write, style: &Style, docs: &[Json]) -> crate::Result<()> {
    print_json_io(w, style, docs).map_err(crate::Error::Output)
}

pub fn print_document(w: &mut dyn Write, style: &Style, doc: &Json) -> crate::Result<()> {
    print_document_io(w, style, doc).map_err(crate::Error::Output)
}

pub fn print_card(out: &mut dyn Write, style: &Style, card: &Card) -> crate::Result<()> {
    card::print_card_io(out, style, card).map_err(crate::Error::Output)
}

pub fn print_incident(w: &mut dyn Write, style: &Style, i: &Incident) -> crate::Result<()> {
    incident::print_incident_io(w, style, i).map_err(crate::Error::Output)
}

pub fn print_bars(w: &mut dyn Write, bars: &[(String, u64, f64)], width: usize) -> crate::Result<()> {
    chart::print_bars_io(w, bars, width).map_err(crate::Error::Output)
}

pub fn print_heatmap(w: &mut dyn Write, rows: &[String], columns: &[String], counts: &[Vec<u64>]) -> crate::Result<()> {
    chart::print_heatmap_io(w, rows, columns, counts).map_err(crate::Error::Output)
}

/// A finished document (an SVG picture) written as it is: it was escaped when it was built.
pub fn print_svg(w: &mut dyn Write, text: &str) -> crate::Result<()> {
    w.write_all(text.as_bytes()).map_err(crate::Error::Output)
}

/// A cell as a person reads it.
pub fn human(style: &Style, cell: &Cell) -> String {
    match cell {
        Cell::Alert(s) => alert(style, s),
        Cell::Text(s) => visible(s).into_owned(),
        Cell::Time(t) => style.clock.show(t),
        // A negative "overdue by" is a follow-up not yet due: said so, not as a lateness.
        Cell::Minutes(m) if *m < 0 => format!("due in {}", time::human_minutes(-m)),
        Cell::Minutes(m) => time::human_minutes(*m),
        Cell::Share(f) => format!("{:.1}%", f * 100.0),
        Cell::Ratio(f) => format!("{f:.2}"),
        Cell::Prob(f) if *f >= 0.001 || *f == 0.0 => format!("{f:.3}"),
        Cell::Prob(f) => format!("{f:.0e}"),
        Cell::List(items) => visible(&items.join(", ")).into_owned(),
        other => plain(other),
    }
}

/// Highlight for what nobody may miss: bold red on a colour terminal, a `!` otherwise.
/// The text is made visible first, so only our own escape codes reach the terminal.
pub fn alert(style: &Style, s: &str) -> String {
    let s = visible(s);
    if style.color { format!("\x1b[1;31m! {s}\x1b[0m") } else { format!("! {s}") }
}

/// A cell as data: RFC 3339 times, minutes as numbers, amounts without separators.
fn plain(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(s) | Cell::Alert(s) => s.clone(),
        Cell::Int(n) | Cell::Minutes(n) => n.to_string(),
        Cell::Amount(v) => amount::show(*v),
        Cell::Time(t) => time::rfc3339(t),
        Cell::Date(d) => d.to_string(),
        Cell::Share(f) | Cell::Ratio(f) => decimal(*f),
        Cell::Prob(f) => probability(*f),
        Cell::Bool(b) => if *b { "yes" } else { "" }.to_string(),
        Cell::List(items) => items.join(";"),
    }
}

/// A number with at most four decimals and no trailing zeros: `0.5`, `1.3333`.
fn decimal(f: f64) -> String {
    let s = format!("{f:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" { "0".to_string() } else { s.to_string() }
}

/// A probability keeping its magnitude: six decimals, or four significant digits in
/// exponent form below 0.0001 (which Python, SQLite and spreadsheets all read as numbers).
fn probability(f: f64) -> String {
    if f == 0.0 || f >= 1e-4 {
        let s = format!("{f:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() { "0".to_string() } else { s.to_string() }
    } else {
        format!("{f:.3e}")
    }
}

fn object(columns: &[String], row: &[Cell]) -> Json {
    let mut map = Map::new();
    for (column, cell) in columns.iter().zip(row) {
        map.insert(column.clone(), json(cell));
    }
    Json::Object(map)
}

/// A cell as JSON: null, numbers as numbers, times as RFC 3339 strings.
pub fn json(cell: &Cell) -> Json {
    match cell {
        Cell::Empty => Json::Null,
        Cell::Int(n) | Cell::Minutes(n) => Json::from(*n),
        Cell::Amount(v) if v.fract() == 0.0 && v.abs() < 1e15 => Json::from(*v as i64),
        Cell::Amount(v) => Json::from(*v),
        Cell::Share(f) | Cell::Ratio(f) => Json::from(decimal(*f).parse::<f64>().unwrap_or(*f)),
        Cell::Prob(f) => Json::from(probability(*f).parse::<f64>().unwrap_or(*f)),
        Cell::Bool(b) => Json::Bool(*b),
        Cell::List(items) => Json::from(items.clone()),
        other => Json::String(plain(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::card::wrap;
    use super::*;
    use chrono::{DateTime, Utc};

    fn style(format: Format) -> Style {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z").expect("time").with_timezone(&Utc);
        Style {
            format,
            header: true,
            raw: false,
            excel: false,
            color: false,
            clock: Clock::new(now, chrono_tz::UTC),
            width: None,
        }
    }

    fn render(style: &Style, rows: &Rows) -> String {
        let mut out = Vec::new();
        print(&mut out, style, rows).expect("print");
        String::from_utf8(out).expect("utf8")
    }

    fn sample() -> Rows {
        let mut rows = Rows::new(&["name", "value", "note"]);
        rows.push(vec![Cell::text("=HYPERLINK(\"x\")"), Cell::Int(-5), Cell::text("-5")]);
        rows.push(vec![Cell::text("a,b"), Cell::Amount(24.0), Cell::Empty]);
        rows
    }

    #[test]
    fn csv_neutralises_formulas_but_not_numbers() {
        let csv = render(&style(Format::Csv), &sample());
        assert_eq!(csv, "name,value,note\n\"'=HYPERLINK(\"\"x\"\")\",-5,-5\n\"a,b\",24,\n");
        let raw = render(&Style { raw: true, ..style(Format::Csv) }, &sample());
        assert!(raw.contains("\"=HYPERLINK"));
    }

    #[test]
    fn empty_results_follow_the_rules_of_each_format() {
        let empty = Rows::new(&["a", "b"]);
        assert_eq!(render(&style(Format::Table), &empty), "");
        assert_eq!(render(&style(Format::Csv), &empty), "a,b\n");
        assert_eq!(render(&style(Format::Tsv), &empty), "a\tb\n");
        assert_eq!(render(&style(Format::Json), &empty), "[]\n");
        assert_eq!(render(&style(Format::Ndjson), &empty), "");
        assert_eq!(render(&Style { header: false, ..style(Format::Csv) }, &empty), "");
    }

    #[test]
    fn excel_gets_a_bom_and_crlf() {
        let out = render(&Style { excel: true, ..style(Format::Csv) }, &Rows::new(&["a"]));
        assert_eq!(out, "\u{feff}a\r\n");
    }

    #[test]
    fn visible_escapes_controls_and_overrides_but_keeps_line_breaks() {
        assert_eq!(visible("plain é 李"), "plain é 李");
        assert_eq!(visible("a\u{1b}[2Jb\tc\nd\u{202e}e\u{85}"), "a\\u{1b}[2Jb\\tc\nd\\u{202e}e\\u{85}");
        let table = render(&style(Format::Table), &{
            let mut rows = Rows::new(&["t"]);
            rows.push(vec![Cell::text("x\u{1b}]0;t\u{7}")]);
            rows
        });
        assert!(!table.contains('\u{1b}'), "{table:?}");
    }

    #[test]
    fn long_lines_wrap_at_words_under_their_indent() {
        let line = "  - Allergic to shellfish and to peanuts, ask the kitchen  (joan, 2026-11-05 12:00)";
        let parts = wrap(line, 40);
        assert!(parts.iter().all(|p| p.chars().count() <= 40), "{parts:?}");
        assert_eq!(parts[0], "  - Allergic to shellfish and to");
        assert!(parts[1].starts_with("    peanuts"), "{parts:?}");
        assert_eq!(parts.join(" ").split_whitespace().collect::<Vec<_>>(), line.split_whitespace().collect::<Vec<_>>());
        assert_eq!(wrap("short", 40), ["short"]);
    }

    #[test]
    fn tables_fit_the_width_by_shortening_the_widest_column() {
        let mut rows = Rows::new(&["id", "what"]);
        rows.push(vec![Cell::text("20261122-k7f3qz"), Cell::text("word ".repeat(40))]);
        let out = render(&Style { width: Some(60), ..style(Format::Table) }, &rows);
        assert!(out.lines().all(|l| l.chars().count() <= 60), "{out}");
        assert!(out.contains("20261122-k7f3qz") && out.contains('…'), "{out}");
        let full = render(&style(Format::Table), &rows);
        assert!(full.lines().any(|l| l.chars().count() > 180));
        // Too narrow for the id and some prose: one record at a time, nothing cut.
        let narrow = render(&Style { width: Some(24), ..style(Format::Table) }, &rows);
        assert!(narrow.lines().all(|l| l.chars().count() <= 24), "{narrow}");
        assert!(narrow.starts_with("id    20261122-k7f3qz\nwhat  word word") && !narrow.contains('…'), "{narrow}");
    }

    /// The streaming printer gives `print`'s bytes for every data format and option,
    /// with no rows, one, and several (lists, empties, formulas, tabs, line breaks).
    #[test]
    fn a_stream_prints_the_same_bytes_as_print() {
        let mut many = sample();
        many.push(vec![Cell::List(vec!["a\tb".into(), "=x".into()]), Cell::Bool(true), Cell::text("two\nlines")]);
        many.push(vec![Cell::List(vec![]), Cell::Minutes(-3), Cell::Prob(1e-9)]);
        let one = Rows { columns: many.columns.clone(), rows: vec![many.rows[0].clone()] };
        let none = Rows::new(&["name", "value", "note"]);
        for format in [Format::Csv, Format::Tsv, Format::Json, Format::Ndjson, Format::Table] {
            for (header, raw, excel) in [(true, false, false), (false, true, false), (true, false, true)] {
                let style = Style { header, raw, excel, ..style(format) };
                for rows in [&none, &one, &many] {
                    let mut out = Vec::new();
                    let mut stream = Stream::new(&mut out, &style, &rows.columns).expect("start");
                    rows.rows.iter().for_each(|r| stream.row(r.clone()).expect("row"));
                    stream.finish().expect("finish");
                    let streamed = String::from_utf8(out).expect("utf8");
                    assert_eq!(streamed, render(&style, rows), "{format:?} {header} {raw} {excel}");
                }
            }
        }
    }

    #[test]
    fn json_keeps_types() {
        let out = render(&style(Format::Ndjson), &sample());
        assert_eq!(out.lines().nth(1), Some(r#"{"name":"a,b","value":24,"note":null}"#));
    }

    #[test]
    fn booleans_and_lists_are_typed_in_json_and_flat_in_csv() {
        let mut rows = Rows::new(&["critical", "tags"]);
        rows.push(vec![Cell::Bool(true), Cell::List(vec!["kitchen".into(), "=wait".into()])]);
        rows.push(vec![Cell::Bool(false), Cell::List(vec![])]);
        let json = render(&style(Format::Ndjson), &rows);
        assert_eq!(json, "{\"critical\":true,\"tags\":[\"kitchen\",\"=wait\"]}\n{\"critical\":false,\"tags\":[]}\n");
        assert_eq!(render(&style(Format::Csv), &rows), "critical,tags\nyes,kitchen;=wait\n,\n");
        let table = render(&style(Format::Table), &rows);
        assert!(
            table.lines().nth(1).is_some_and(|l| l.trim_start().starts_with("yes") && l.ends_with("kitchen, =wait")),
            "{table}"
        );
    }
}
