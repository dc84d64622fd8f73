//! CSV and TSV, and every format printed row by row as a command makes its rows
//! (`export`, `sql`): the same bytes `print` gives, without holding a whole book.

use std::io::{self, Write};

use super::table::{table, table_block};
use super::{Cell, Format, Rows, Style, neutralise, object, plain};

pub(super) fn delimited(w: &mut dyn Write, style: &Style, rows: &Rows, delimiter: u8) -> io::Result<()> {
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
