//! The only place that prints data. Commands build `Rows` (column names and typed cells);
//! this module turns them into a table for people or CSV, TSV, JSON or NDJSON for
//! programs, keeping PRODUCT.md's promises in one place: a header row unless
//! `--no-header`, nothing at all for an empty table (so cron mails only when there is
//! something to act on), `[]` for empty JSON, RFC 3339 times and plain numbers in data
//! formats, formula-looking CSV cells neutralised unless `--raw`, Excel's BOM and CRLF only
//! with `--excel`, colour only on a terminal and never with `NO_COLOR`.

use std::io::{self, Write};

use serde_json::{Map, Value as Json};
use tabled::builder::Builder;
use tabled::settings::Style as TableStyle;

use crate::model::recovery::{self, StepKind};
use crate::model::{Incident, amount, visit};
use crate::report::briefing::Card;
use crate::time::{self, Clock};

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

pub use crate::rows::{Cell, Rows};

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

fn table(w: &mut dyn Write, style: &Style, rows: &Rows) -> io::Result<()> {
    table_block(w, style, rows, false)
}

/// A table of `rows`; `later`: a block after the first of a streamed table, whose
/// expanded records stay a blank line apart from the block before.
fn table_block(w: &mut dyn Write, style: &Style, rows: &Rows, later: bool) -> io::Result<()> {
    if rows.rows.is_empty() {
        return Ok(());
    }
    // Cut and measured without colour, coloured last, so escape codes never count as width.
    let mut cells = plain_cells(style, rows);
    if let Some(width) = style.width {
        match fit_columns(rows, &cells, width) {
            Some(limits) => cut(&mut cells, &limits),
            None => {
                if later {
                    writeln!(w)?;
                }
                return expanded(w, style, rows, &cells, width);
            }
        }
    }
    let mut builder = Builder::new();
    if style.header {
        builder.push_record(rows.columns.iter().map(|c| c.to_string()));
    }
    for (row, texts) in rows.rows.iter().zip(cells) {
        builder.push_record(row.iter().zip(texts).map(|(cell, text)| match cell {
            Cell::Alert(_) if style.color => format!("\x1b[1;31m{text}\x1b[0m"),
            _ => text,
        }));
    }
    let mut table = builder.build();
    table.with(TableStyle::blank());
    let text = table.to_string();
    for line in text.lines() {
        writeln!(w, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Each cell as a table shows it, without colour.
fn plain_cells(style: &Style, rows: &Rows) -> Vec<Vec<String>> {
    let plain = Style { color: false, ..*style };
    rows.rows.iter().map(|r| r.iter().map(|c| human(&plain, c)).collect()).collect()
}

/// What a blank-style table adds to its columns' own widths: a space before the first
/// column and three between columns.
fn table_overhead(columns: usize) -> usize {
    1 + 3 * columns.saturating_sub(1)
}

/// The narrowest a column of prose is cut to; below it a table is no longer worth reading.
const MIN_PROSE: usize = 12;

/// Each column's width limit so the table fits `width`: columns of prose (text with
/// spaces) give way, widest first, down to `MIN_PROSE`; ids, times and numbers never do.
/// None when even that does not fit.
fn fit_columns(rows: &Rows, cells: &[Vec<String>], width: usize) -> Option<Vec<usize>> {
    let n = rows.columns.len();
    let mut widths: Vec<usize> = rows.columns.iter().map(|c| c.chars().count()).collect();
    let mut prose = vec![false; n];
    for (row, texts) in rows.rows.iter().zip(cells) {
        for (i, (cell, text)) in row.iter().zip(texts).enumerate() {
            widths[i] = widths[i].max(text.lines().map(|l| l.chars().count()).max().unwrap_or(0));
            prose[i] |= matches!(cell, Cell::Text(t) | Cell::Alert(t) if t.contains(char::is_whitespace));
        }
    }
    let budget = width.checked_sub(table_overhead(n))?;
    let mut limits = widths.clone();
    while limits.iter().sum::<usize>() > budget {
        let widest = (0..n).filter(|&i| prose[i] && limits[i] > MIN_PROSE).max_by_key(|&i| (limits[i], i))?;
        limits[widest] -= 1;
    }
    Some(limits)
}

/// Cut every cell to its column's limit, ending what was cut with `…`.
fn cut(cells: &mut [Vec<String>], limits: &[usize]) {
    for row in cells {
        for (text, &limit) in row.iter_mut().zip(limits) {
            if text.chars().count() > limit {
                let kept: String = text.chars().take(limit.saturating_sub(1)).collect();
                *text = format!("{}…", kept.trim_end());
            }
        }
    }
}

/// A table too wide for the terminal even with its prose cut, one record at a time (as
/// psql's expanded display does): `column  value`, values wrapped at words, nothing lost.
fn expanded(w: &mut dyn Write, style: &Style, rows: &Rows, cells: &[Vec<String>], width: usize) -> io::Result<()> {
    let key_width = rows.columns.iter().map(|c| c.chars().count()).max().unwrap_or(0);
    let room = width.saturating_sub(key_width + 2).max(10);
    for (n, (row, texts)) in rows.rows.iter().zip(cells).enumerate() {
        if n > 0 {
            writeln!(w)?;
        }
        for ((column, cell), text) in rows.columns.iter().zip(row).zip(texts) {
            if text.is_empty() {
                continue;
            }
            for (i, part) in wrap(text, room).into_iter().enumerate() {
                let key = if i == 0 { column.as_str() } else { "" };
                let part = match cell {
                    Cell::Alert(_) if style.color => format!("\x1b[1;31m{}\x1b[0m", part.trim_start()),
                    _ => part.trim_start().to_string(),
                };
                writeln!(w, "{key:<key_width$}  {part}")?;
            }
        }
    }
    Ok(())
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

pub fn print_card(out: &mut dyn Write, style: &Style, card: &Card) -> crate::Result<()> {
    print_card_io(out, style, card).map_err(crate::Error::Output)
}

pub fn print_incident(w: &mut dyn Write, style: &Style, i: &Incident) -> crate::Result<()> {
    print_incident_io(w, style, i).map_err(crate::Error::Output)
}

pub fn print_bars(w: &mut dyn Write, bars: &[(String, u64, f64)], width: usize) -> crate::Result<()> {
    print_bars_io(w, bars, width).map_err(crate::Error::Output)
}

pub fn print_heatmap(w: &mut dyn Write, rows: &[String], columns: &[String], counts: &[Vec<u64>]) -> crate::Result<()> {
    print_heatmap_io(w, rows, columns, counts).map_err(crate::Error::Output)
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

/// Text from a record as it may be shown on a terminal. Records arrive through pulls,
/// imports and hand edits, so a note can hold an escape sequence that would retitle the
/// window, clear the screen or hide what follows; control characters (all but the line
/// break) and the invisible bidirectional overrides are written out as `\u{1b}`, `\t`, ...
/// Data formats (CSV, JSON) keep the exact text: only people's views go through here.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    fn hidden(c: char) -> bool {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    if !s.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) && c.is_control() {
            out.extend(c.escape_debug());
        } else if hidden(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
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

fn delimited(w: &mut dyn Write, style: &Style, rows: &Rows, delimiter: u8) -> io::Result<()> {
    if style.excel {
        w.write_all(b"\xEF\xBB\xBF")?;
    }
    let tsv = delimiter == b'\t';
    let mut out = csv_writer(w, style, delimiter);
    if style.header {
        out.write_record(&rows.columns).map_err(csv_io)?;
    }
    for row in &rows.rows {
        out.write_record(row.iter().map(|c| delimited_cell(style, tsv, c))).map_err(csv_io)?;
    }
    out.flush()
}

/// A CSV writer set up as `--excel` and the delimiter ask (the BOM is the caller's).
fn csv_writer<'w>(w: &'w mut dyn Write, style: &Style, delimiter: u8) -> csv::Writer<&'w mut dyn Write> {
    let tsv = delimiter == b'\t';
    csv::WriterBuilder::new()
        .delimiter(delimiter)
        .quote_style(if tsv { csv::QuoteStyle::Never } else { csv::QuoteStyle::Necessary })
        .terminator(if style.excel { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
        .from_writer(w)
}

/// A cell in CSV or TSV: plain, formulas neutralised unless `--raw`.
fn delimited_cell(style: &Style, tsv: bool, c: &Cell) -> String {
    let mut s = plain(c);
    if !style.raw && matches!(c, Cell::Text(_) | Cell::Alert(_) | Cell::List(_)) {
        s = neutralise(s);
    }
    // TSV has no quoting: a tab or line break inside a cell would split it.
    if tsv { s.replace(['\t', '\n', '\r'], " ") } else { s }
}

/// The rows a streamed table holds before it prints them as one block: its columns'
/// widths depend on every row, so up to here a table is what `print` gives; a longer
/// one (`care sql` over millions of rows) is printed block by block, each fitted to its
/// own rows, rather than held whole.
pub const TABLE_BLOCK_ROWS: usize = 10_000;
/// The text a streamed table holds at most before printing its block, for rows of
/// long texts.
const TABLE_BLOCK_BYTES: usize = 16 << 20;

/// Rows printed as they are made, for commands that stream a whole book (`export`): the
/// same bytes `print` gives for the same rows, without holding them. A table is the
/// exception: its columns' widths depend on every row, so it keeps them and prints them
/// at the end, as `print` does, up to `TABLE_BLOCK_ROWS` (then a block at a time).
pub struct Stream<'w> {
    sink: Sink<'w>,
    style: Style,
    columns: Vec<String>,
    rows: usize,
}

impl std::fmt::Debug for Stream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream").field("columns", &self.columns).field("rows", &self.rows).finish()
    }
}

enum Sink<'w> {
    Delimited(Box<csv::Writer<&'w mut dyn Write>>, bool),
    Json(&'w mut dyn Write),
    Ndjson(&'w mut dyn Write),
    Table(&'w mut dyn Write, Held),
}

/// A streamed table's rows not printed yet.
struct Held {
    rows: Rows,
    /// The text they hold, roughly.
    bytes: usize,
    /// Blocks printed already.
    printed: usize,
}

impl Held {
    /// Print the rows held as one block: the header (when asked) only with the first.
    fn print(&mut self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        if self.printed > 0 {
            table_block(w, &Style { header: false, ..*style }, &self.rows, true)?;
        } else {
            table(w, style, &self.rows)?;
        }
        self.printed += 1;
        self.rows.rows.clear();
        self.bytes = 0;
        Ok(())
    }
}

/// Roughly the text a cell holds, to bound what a streamed table keeps.
fn cell_bytes(c: &Cell) -> usize {
    match c {
        Cell::Text(t) | Cell::Alert(t) => t.len() + 24,
        Cell::List(l) => l.iter().map(|t| t.len() + 24).sum::<usize>() + 24,
        _ => 24,
    }
}

impl<'w> Stream<'w> {
    /// Start printing rows of these columns: a data format's header is written now.
    pub fn new(w: &'w mut dyn Write, style: &Style, columns: &[String]) -> crate::Result<Stream<'w>> {
        Stream::start(w, style, columns).map_err(crate::Error::Output)
    }

    fn start(w: &'w mut dyn Write, style: &Style, columns: &[String]) -> io::Result<Stream<'w>> {
        let sink = match style.format {
            Format::Csv | Format::Tsv => {
                if style.excel {
                    w.write_all(b"\xEF\xBB\xBF")?;
                }
                let tsv = style.format == Format::Tsv;
                let mut out = csv_writer(w, style, if tsv { b'\t' } else { b',' });
                if style.header {
                    out.write_record(columns).map_err(csv_io)?;
                }
                Sink::Delimited(Box::new(out), tsv)
            }
            Format::Json => Sink::Json(w),
            Format::Ndjson => Sink::Ndjson(w),
            Format::Table => Sink::Table(
                w,
                Held { rows: Rows { columns: columns.to_vec(), rows: Vec::new() }, bytes: 0, printed: 0 },
            ),
            Format::Ics => {
                return Err(io::Error::other("--format ics is only for `followup due` and `export followups`"));
            }
        };
        Ok(Stream { sink, style: *style, columns: columns.to_vec(), rows: 0 })
    }

    pub fn row(&mut self, row: Vec<Cell>) -> crate::Result<()> {
        self.push(row).map_err(crate::Error::Output)
    }

    fn push(&mut self, row: Vec<Cell>) -> io::Result<()> {
        let first = self.rows == 0;
        self.rows += 1;
        match &mut self.sink {
            Sink::Delimited(out, tsv) => {
                out.write_record(row.iter().map(|c| delimited_cell(&self.style, *tsv, c))).map_err(csv_io)
            }
            // As `to_writer_pretty` writes an array: each object indented by one level.
            Sink::Json(w) => {
                let text = serde_json::to_string_pretty(&object(&self.columns, &row))?;
                w.write_all(if first { b"[\n" } else { b",\n" })?;
                for (n, line) in text.lines().enumerate() {
                    write!(w, "{}  {line}", if n == 0 { "" } else { "\n" })?;
                }
                Ok(())
            }
            Sink::Ndjson(w) => {
                serde_json::to_writer(&mut **w, &object(&self.columns, &row))?;
                writeln!(w)
            }
            Sink::Table(w, held) => {
                held.bytes += row.iter().map(cell_bytes).sum::<usize>();
                held.rows.rows.push(row);
                if held.rows.rows.len() >= TABLE_BLOCK_ROWS || held.bytes >= TABLE_BLOCK_BYTES {
                    held.print(&mut **w, &self.style)?;
                }
                Ok(())
            }
        }
    }

    /// The end of the rows: close a JSON array, print a table, flush.
    pub fn finish(self) -> crate::Result<()> {
        let Stream { sink, style, rows, .. } = self;
        let done = match sink {
            Sink::Delimited(mut out, _) => out.flush(),
            Sink::Json(w) if rows == 0 => writeln!(w, "[]"),
            Sink::Json(w) => writeln!(w, "\n]"),
            Sink::Ndjson(_) => Ok(()),
            Sink::Table(w, mut held) => held.print(w, &style),
        };
        done.map_err(crate::Error::Output)
    }

    /// Whether a long table has been printed in blocks (`TABLE_BLOCK_ROWS`), each fitted
    /// to its own rows, so the caller can say so.
    pub fn table_blocks(&self) -> bool {
        matches!(&self.sink, Sink::Table(_, held) if held.printed > 0)
    }
}

/// The csv crate wraps write errors; unwrapped, a reader that went away (`| head -1`) is
/// still recognised as a closed pipe, however full the csv buffer was when it happened.
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// A text cell a spreadsheet would run as a formula gets a leading `'` (OWASP's advice);
/// numbers such as `-5` or `+1 555 0100`-like phone numbers that are plain numbers stay.
/// Text that already starts with `'` before such a formula gets one more, so that
/// `unneutralise` can tell the added `'` from one the text had (`'=x` stays `'=x`).
pub fn neutralise(s: String) -> String {
    if needs_quote(&s) { format!("'{s}") } else { s }
}

/// What `neutralise` undoes on the way back in (`care import`): the `'` it added, and only
/// that one, so export → import → export gives back the same bytes.
pub fn unneutralise(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => s,
    }
}

fn needs_quote(s: &str) -> bool {
    let body = s.trim_start_matches('\'');
    body.starts_with(['=', '+', '-', '@', '\t', '\r']) && body.trim().parse::<f64>().is_err()
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

/// The briefing card as text for a person: what nobody may miss first.
fn print_card_io(out: &mut dyn Write, style: &Style, card: &Card) -> io::Result<()> {
    let mut text = Vec::new();
    card_lines(&mut text, style, card)?;
    fitted(out, style, &text)
}

/// Text for a person, each line wrapped at word boundaries to the terminal's width (when
/// there is one), continuation lines indented under the start of the line's text.
fn fitted(out: &mut dyn Write, style: &Style, text: &[u8]) -> io::Result<()> {
    let text = String::from_utf8_lossy(text);
    for line in text.lines() {
        match style.width {
            Some(width) => {
                for part in wrap(line, width) {
                    writeln!(out, "{part}")?;
                }
            }
            None => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}

/// One line broken at spaces into pieces of at most `width` characters (a word longer than
/// that stands alone, unbroken); continuation pieces keep the line's indent plus two.
fn wrap(line: &str, width: usize) -> Vec<String> {
    if line.chars().count() <= width {
        return vec![line.to_string()];
    }
    let indent = line.len() - line.trim_start().len();
    let hang = " ".repeat((indent + 2).min(width / 2));
    let mut parts = Vec::new();
    let mut current = line[..indent].to_string();
    let mut empty = true;
    for word in line[indent..].split(' ') {
        let len = current.chars().count();
        if !empty && len + 1 + word.chars().count() > width {
            parts.push(std::mem::replace(&mut current, hang.clone()));
            empty = true;
        }
        if !empty {
            current.push(' ');
        }
        current.push_str(word);
        empty = false;
    }
    parts.push(current);
    parts
}

fn card_lines(w: &mut dyn Write, style: &Style, card: &Card) -> io::Result<()> {
    writeln!(w, "{}  ({})", visible(&card.name), visible(&card.id))?;
    let contact: Vec<&str> = [card.phone.as_deref(), card.email.as_deref()].into_iter().flatten().collect();
    let mut facts = Vec::new();
    if let Some(since) = card.since {
        facts.push(format!("customer since {since}"));
    }
    if let Some(value) = card.lifetime_value {
        let source = card.lifetime_value_source.map(|s| s.as_str()).unwrap_or("typed");
        let mut shown = format!("lifetime value {} ({source}", amount::show(value));
        if let (Some(visit::Source::Typed), Some(computed)) = (card.lifetime_value_source, card.computed_value) {
            shown.push_str(&format!("; visits add up to {}", amount::show(computed)));
        }
        facts.push(shown + ")");
    }
    if !contact.is_empty() {
        facts.push(contact.join(", "));
    }
    if !facts.is_empty() {
        writeln!(w, "{}", visible(&facts.join(" · ")))?;
    }
    if let Some(last) = card.visits.last {
        let mut seen = format!(
            "{} visit{}, last {} ({} days ago), spend {}",
            card.visits.count,
            if card.visits.count == 1 { "" } else { "s" },
            style.clock.show(&last),
            card.days_since_visit.unwrap_or(0),
            amount::show(card.visits.spend)
        );
        if let Some(incident) = &card.last_visit_incident {
            seen.push_str(&format!(" — it went wrong: incident {incident}"));
        }
        writeln!(w, "{}", visible(&seen))?;
    }
    for line in &card.remember {
        writeln!(w, "{}", alert(style, &line.text))?;
    }
    if !card.other.is_empty() {
        writeln!(w, "\nAlso on file")?;
        for (field, value) in &card.other {
            writeln!(w, "  {}: {}", visible(field), visible(value))?;
        }
    }
    if !card.flags.is_empty() {
        writeln!(w, "\nFlags")?;
        for f in &card.flags {
            let mut about = vec![f.by.clone()];
            about.extend(f.raised.map(|t| style.clock.show(&t)));
            about.extend(f.until.map(|d| format!("until {d}")));
            about.extend(f.incident.as_ref().map(|i| format!("incident {i}")));
            writeln!(w, "  [{}] {}{}", f.n, visible(&f.text), aside(&about))?;
        }
    }
    let sections = [
        ("Preferences", &card.preferences),
        ("Roles", &card.roles),
        ("Goals", &card.goals),
        ("Notes", &card.notes),
        ("Missteps", &card.missteps),
    ];
    for (title, lines) in sections {
        if lines.is_empty() {
            continue;
        }
        writeln!(w, "\n{title}")?;
        for l in lines {
            let mut about = vec![l.by.clone()];
            about.extend(l.at.map(|t| style.clock.show(&t)));
            about.extend(l.incident.as_ref().map(|i| format!("incident {i}")));
            writeln!(w, "  - {}{}", visible(&l.text), aside(&about))?;
        }
    }
    if !card.open_incidents.is_empty() {
        writeln!(w, "\nOpen incidents")?;
        for i in &card.open_incidents {
            let owner = i.owner.as_ref().map(|o| format!("owner {o}")).into_iter().collect::<Vec<_>>();
            writeln!(
                w,
                "  {}  opened {}  {}{}",
                visible(&i.id),
                style.clock.show(&i.opened),
                visible(i.summary.as_deref().unwrap_or("")),
                aside(&owner)
            )?;
        }
    }
    if !card.followups.is_empty() {
        writeln!(w, "\nPending follow-ups")?;
        let now = style.clock.now();
        for f in &card.followups {
            let line = format!("{} due {}  {}  (incident {})", f.kind, style.clock.show(&f.due), f.what, f.incident);
            let line =
                if f.due < now { alert(style, &format!("overdue: {line}")) } else { visible(&line).into_owned() };
            writeln!(w, "  {line}")?;
        }
    }
    Ok(())
}

/// One incident in full, for a person: the deposition, the steps, the follow-ups.
fn print_incident_io(w: &mut dyn Write, style: &Style, i: &Incident) -> io::Result<()> {
    let status = if i.is_open() { "open" } else { "closed" };
    writeln!(w, "Incident {}  ({status})  customer {}", visible(&i.id), visible(&i.customer))?;
    writeln!(w, "  opened         {}", style.clock.show(&i.opened))?;
    let fields = [
        ("summary", i.summary.clone()),
        ("owner", i.owner.clone()),
        ("staff", i.staff.clone()),
        ("product", i.product.clone()),
        ("location", i.location.clone()),
        ("channel", i.channel.clone()),
        ("busyness", i.busyness.map(|b| format!("{b}%"))),
        ("circumstances", i.circumstances.clone()),
        ("tags", (!i.tags.is_empty()).then(|| i.tags.join(", "))),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            writeln!(w, "  {name:<14} {}", visible(&value))?;
        }
    }
    writeln!(w, "\nSteps")?;
    for kind in StepKind::ALL {
        match kind.get(i) {
            Some(s) => {
                let mut about = vec![s.by.clone()];
                about.extend(s.what.clone());
                about.extend(s.value.map(amount::show));
                about.extend(s.note.clone());
                writeln!(w, "  {:<11} {}{}", kind.field(), style.clock.show(&s.at), aside(&about))?;
            }
            None => writeln!(w, "  {:<11} —", kind.field())?,
        }
    }
    if !i.followups.is_empty() {
        writeln!(w, "\nFollow-ups")?;
    }
    let now = style.clock.now();
    for f in &i.followups {
        let state = match (&f.done, f.missed_by) {
            (Some(d), Some(m)) => {
                format!("done {} by {}, {} late", style.clock.show(&d.at), d.by, time::human_minutes(m))
            }
            (Some(d), None) => format!("done {} by {}", style.clock.show(&d.at), d.by),
            (None, _) if f.due < now => {
                alert(style, &format!("pending, overdue by {}", time::human_minutes((now - f.due).num_minutes())))
            }
            (None, _) => "pending".to_string(),
        };
        let action = recovery::action(f);
        writeln!(
            w,
            "  {:<9} due {}  {state}  {}",
            visible(f.kind.as_str()),
            style.clock.show(&f.due),
            visible(&action)
        )?;
    }
    Ok(())
}

/// `  (joan, 2026-11-05 12:00)`, or nothing when there is nothing to say.
fn aside(parts: &[String]) -> String {
    let parts: Vec<&str> = parts.iter().map(String::as_str).filter(|p| !p.is_empty()).collect();
    if parts.is_empty() { String::new() } else { format!("  ({})", visible(&parts.join(", "))) }
}

/// Horizontal bars for people: one line per label, scaled to the widest count.
fn print_bars_io(w: &mut dyn Write, bars: &[(String, u64, f64)], width: usize) -> io::Result<()> {
    let Some(max) = bars.iter().map(|b| b.1).max().filter(|&m| m > 0) else { return Ok(()) };
    let label_width = bars.iter().map(|b| b.0.chars().count()).max().unwrap_or(0);
    let room = width.saturating_sub(label_width + 20).max(10);
    for (label, count, share) in bars {
        let eighths = (*count as f64 / max as f64 * room as f64 * 8.0).round() as usize;
        let mut bar = "█".repeat(eighths / 8);
        if !eighths.is_multiple_of(8) {
            bar.push(['▏', '▎', '▍', '▌', '▋', '▊', '▉'][eighths % 8 - 1]);
        }
        let pad = label_width - label.chars().count();
        writeln!(w, "{}{} {bar} {count} ({:.1}%)", visible(label), " ".repeat(pad), share * 100.0)?;
    }
    Ok(())
}

/// A heat map for people: rows × columns of counts, shaded from light to dark.
fn print_heatmap_io(w: &mut dyn Write, rows: &[String], columns: &[String], counts: &[Vec<u64>]) -> io::Result<()> {
    const SHADES: [char; 5] = [' ', '░', '▒', '▓', '█'];
    let max = counts.iter().flatten().copied().max().unwrap_or(0).max(1);
    let label_width = rows.iter().map(|r| r.chars().count()).max().unwrap_or(0);
    // Three columns a cell: two of shade and a gap, so the hour axis reads `00 01 02`.
    let header: Vec<String> = columns.iter().map(|c| format!("{:<2}", c.chars().take(2).collect::<String>())).collect();
    writeln!(w, "{} {}", " ".repeat(label_width), header.join(" ").trim_end())?;
    for (label, line) in rows.iter().zip(counts) {
        let cells: Vec<String> = line
            .iter()
            .map(|&n| {
                let shade = if n == 0 { 0 } else { 1 + (n * 3 / max) as usize };
                SHADES[shade.min(4)].to_string().repeat(2)
            })
            .collect();
        let pad = label_width - label.chars().count();
        writeln!(w, "{}{} {}", visible(label), " ".repeat(pad), cells.join(" ").trim_end())?;
    }
    writeln!(w, "{} ░ few  ▒  ▓  █ most ({max})", " ".repeat(label_width))
}

/// The width to draw charts in: the terminal's own (bash does not export `COLUMNS`), else
/// `COLUMNS` (as `Settings` read it), else 80.
pub fn terminal_width(columns: Option<usize>) -> usize {
    if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size()
        && w >= 20
    {
        return usize::from(w);
    }
    columns.unwrap_or(80)
}

/// A warning on stderr: something the user should know, but the command went on.
pub fn warn(message: &str) {
    eprintln!("warning: {}", visible(message));
}

/// A message for the person at the terminal, on stderr so stdout stays data.
pub fn say(message: &str) {
    eprintln!("{}", visible(message));
}

#[cfg(test)]
mod tests {
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
    fn unneutralise_undoes_exactly_what_neutralise_added() {
        let samples = [
            "",
            "=1+2",
            "+1 303 555 0100",
            "-5",
            "+5",
            " -5 ",
            "-",
            "@sum",
            "\tx",
            "\rx",
            "'",
            "'=x",
            "''=x",
            "'-5",
            "'+1 303",
            "don't",
            "'quoted'",
            "a=b",
            "\u{feff}=x",
            "'\t",
            "=",
            "-inf",
            "+NaN",
        ];
        for s in samples {
            let out = neutralise(s.to_string());
            assert_eq!(unneutralise(&out), s, "{s:?} → {out:?}");
            assert!(out == s || out == format!("'{s}"), "{s:?}: at most one ' is added");
        }
        // Only a `'` that neutralise would have added is taken away.
        for kept in ["'-5", "'hello", "'", "''", "'1e3", "don't"] {
            assert_eq!(unneutralise(kept), kept);
        }
        assert_eq!(unneutralise("'+1 303 555 0100"), "+1 303 555 0100");
        assert_eq!(unneutralise("''=x"), "'=x");
        // Every string made of the characters that matter, up to four long.
        let alphabet = ['\'', '=', '+', '-', '@', '\t', '\r', '1', 'a', ' ', '.'];
        let mut strings = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> =
                strings.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
            strings.extend(longer);
            strings.sort();
            strings.dedup();
        }
        for s in &strings {
            assert_eq!(unneutralise(&neutralise(s.clone())), s.as_str(), "{s:?}");
        }
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
