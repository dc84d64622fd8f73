//! Charts for a terminal (`trends --chart`): bars and a heat map drawn in block
//! characters, and the width to draw them in.

use std::io::{self, Write};

use super::visible;

/// Horizontal bars for people: one line per label, scaled to the widest count.
pub(super) fn print_bars_io(w: &mut dyn Write, bars: &[(String, u64, f64)], width: usize) -> io::Result<()> {
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
pub(super) fn print_heatmap_io(
    w: &mut dyn Write,
    rows: &[String],
    columns: &[String],
    counts: &[Vec<u64>],
) -> io::Result<()> {
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
