//! Tables for people: fitted to the terminal's width by cutting prose, never ids, times
//! or numbers; when even that does not fit, one record at a time, nothing lost.

use std::io::{self, Write};

use tabled::builder::Builder;
use tabled::settings::Style as TableStyle;

use super::card::wrap;
use super::{Cell, Rows, Style, human};

pub(super) fn table(w: &mut dyn Write, style: &Style, rows: &Rows) -> io::Result<()> {
    table_block(w, style, rows, false)
}

/// A table of `rows`; `later`: a block after the first of a streamed table, whose
/// expanded records stay a blank line apart from the block before.
pub(super) fn table_block(w: &mut dyn Write, style: &Style, rows: &Rows, later: bool) -> io::Result<()> {
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
