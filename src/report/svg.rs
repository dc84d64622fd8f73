//! SVG pictures of `trends`: the same bars and weekday × hour heat map the terminal draws,
//! as a standalone document a manager's mail client or browser shows as it is.
//!
//! Written by hand rather than with a plotting crate: two chart shapes with fixed sizes are a
//! few dozen elements, and a string builder keeps the output byte-for-byte stable for tests
//! and diffs. Every label comes from record text, so everything written goes through
//! [`escape`]; the `viewBox` lets the picture scale to whatever width the reader has.

use std::fmt::Write;

/// One bar: the label, its count, its share of the total, and, on a control chart, the upper
/// control limit of its period and whether the count is above it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub count: u64,
    pub share: f64,
    pub ucl: Option<f64>,
    pub signal: bool,
}

const WIDTH: u32 = 720;
const LABEL_WIDTH: u32 = 200;
/// Room the bars grow in, left of the count and share written after them.
pub const BAR_ROOM: f64 = 380.0;
const ROW: u32 = 24;
const TOP: u32 = 48;
/// Long labels are cut so they never run into the bars.
const LABEL_CHARS: usize = 28;
const FONT: &str = r#"font-family="sans-serif" font-size="13""#;

/// Text made safe for XML 1.0 content and attribute values: markup characters become
/// entities, and control characters (not allowed in XML 1.0 at all, or invisible in a label)
/// are dropped, tabs and line breaks becoming spaces so the words stay apart.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            // C0, DEL and C1 controls, and the two non-characters XML 1.0 forbids.
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A label cut to fit its column, with an ellipsis to say it was cut; the whole label stays
/// in the `<title>` tooltip.
fn short(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        return label.to_string();
    }
    let mut cut: String = label.chars().take(LABEL_CHARS - 1).collect();
    cut.push('…');
    cut
}

fn open(out: &mut String, width: u32, height: u32, title: &str) {
    let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" {FONT}>"#
    );
    let title = escape(title);
    let _ = writeln!(out, "<title>{title}</title>");
    let _ = writeln!(out, r##"<rect width="{width}" height="{height}" fill="#ffffff"/>"##);
    let _ = writeln!(out, r#"<text x="16" y="28" font-size="16" font-weight="bold">{title}</text>"#);
}

/// The width of a bar: proportional to its count, the largest count (or limit) filling the room.
pub fn bar_width(count: u64, scale: f64) -> f64 {
    if scale <= 0.0 { 0.0 } else { count as f64 / scale * BAR_ROOM }
}

/// Horizontal bars, one a row, labelled with the count and share; on a control chart each
/// limit is a red tick and a bar above it is red.
pub fn bars(title: &str, bars: &[Bar]) -> String {
    let scale = bars.iter().map(|b| b.count as f64).chain(bars.iter().filter_map(|b| b.ucl)).fold(0.0_f64, f64::max);
    let control = bars.iter().any(|b| b.ucl.is_some());
    let legend = if control { ROW } else { 0 };
    let height = TOP + ROW * bars.len() as u32 + legend + 16;
    let mut out = String::new();
    open(&mut out, WIDTH, height, title);
    let x0 = 16 + LABEL_WIDTH;
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + ROW * i as u32;
        let width = bar_width(bar.count, scale);
        let fill = if bar.signal { "#c0392b" } else { "#4878a8" };
        let _ = writeln!(out, r#"<g class="bar">"#);
        let _ = writeln!(out, "<title>{}: {} ({:.1}%)</title>", escape(&bar.label), bar.count, bar.share * 100.0);
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            x0 - 8,
            y + 16,
            escape(&short(&bar.label))
        );
        let _ =
            writeln!(out, r#"<rect x="{x0}" y="{}" width="{width:.1}" height="{}" fill="{fill}"/>"#, y + 4, ROW - 8);
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{}">{} ({:.1}%)</text>"#,
            x0 as f64 + width + 6.0,
            y + 16,
            bar.count,
            bar.share * 100.0
        );
        if let Some(ucl) = bar.ucl {
            let x = x0 as f64 + ucl / scale.max(f64::MIN_POSITIVE) * BAR_ROOM;
            let _ = writeln!(
                out,
                r##"<line class="ucl" x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#c0392b" stroke-width="2"/>"##,
                y + 1,
                y + ROW - 1
            );
        }
        let _ = writeln!(out, "</g>");
    }
    if control {
        let y = TOP + ROW * bars.len() as u32 + 16;
        let _ = writeln!(
            out,
            r##"<text x="{x0}" y="{y}" fill="#c0392b">| upper control limit; red bars are above it</text>"##
        );
    }
    out.push_str("</svg>\n");
    out
}

/// The colour of a cell: light to dark blue with the count, empty cells a pale grey so a
/// quiet hour is told apart from a closed one at a glance.
fn shade(count: u64, max: u64) -> String {
    if count == 0 || max == 0 {
        return "#f2f2f2".into();
    }
    let t = count as f64 / max as f64;
    let mix = |light: f64, dark: f64| (light + (dark - light) * t).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(222.0, 8.0), mix(235.0, 48.0), mix(247.0, 107.0))
}

/// A grid of rows × columns (weekdays × hours), each cell shaded by its count, with the axis
/// labels and a legend from none to the largest count.
pub fn heatmap(title: &str, rows: &[String], columns: &[String], counts: &[Vec<u64>]) -> String {
    const CELL: u32 = 26;
    const LEFT: u32 = 56;
    let max = counts.iter().flatten().copied().max().unwrap_or(0);
    let grid_top = TOP + 20;
    let width = (LEFT + CELL * columns.len() as u32 + 24).max(360);
    let legend_top = grid_top + CELL * rows.len() as u32 + 16;
    let height = legend_top + 40;
    let mut out = String::new();
    open(&mut out, width, height, title);
    for (j, column) in columns.iter().enumerate() {
        let x = LEFT + CELL * j as u32 + CELL / 2;
        let _ = writeln!(
            out,
            r#"<text x="{x}" y="{}" text-anchor="middle" font-size="11">{}</text>"#,
            grid_top - 6,
            escape(column)
        );
    }
    for (i, (row, line)) in rows.iter().zip(counts).enumerate() {
        let y = grid_top + CELL * i as u32;
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            LEFT - 8,
            y + CELL / 2 + 5,
            escape(row)
        );
        for (j, (column, &n)) in columns.iter().zip(line).enumerate() {
            let x = LEFT + CELL * j as u32;
            let _ = writeln!(
                out,
                r##"<rect class="cell" x="{x}" y="{y}" width="{}" height="{}" fill="{}" stroke="#ffffff"><title>{} {}: {n}</title></rect>"##,
                CELL,
                CELL,
                shade(n, max),
                escape(row),
                escape(column)
            );
        }
    }
    // Five swatches from none to the largest count, so a reader can put a number on a shade.
    let _ = writeln!(out, r#"<text x="{LEFT}" y="{}">fewer</text>"#, legend_top + 16);
    for k in 0..5u64 {
        let n = if max == 0 { 0 } else { (max * k).div_ceil(4) };
        let x = LEFT + 48 + 22 * k as u32;
        let _ = writeln!(
            out,
            r#"<rect class="legend" x="{x}" y="{}" width="20" height="20" fill="{}"><title>{n}</title></rect>"#,
            legend_top + 2,
            shade(n, max)
        );
    }
    let _ = writeln!(out, r#"<text x="{}" y="{}">more (max {max})</text>"#, LEFT + 48 + 22 * 5 + 6, legend_top + 16);
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, count: u64) -> Bar {
        Bar { label: label.into(), count, share: 0.0, ucl: None, signal: false }
    }

    #[test]
    fn escape_turns_markup_into_entities_and_drops_control_characters() {
        assert_eq!(escape(r#"<script>&"'"#), "&lt;script&gt;&amp;&quot;&apos;");
        assert_eq!(escape("a\u{0}b\u{7}c\u{1b}[31md\u{85}e\u{FFFF}"), "abc[31mde");
        assert_eq!(escape("two\nlines\tand\rtab"), "two lines and tab");
        assert_eq!(escape("Café · 15:00"), "Café · 15:00");
    }

    #[test]
    fn labels_are_escaped_in_the_document() {
        let svg = bars("Incidents by <staff>", &[bar("<script>&\"x\u{1}", 2)]);
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;&amp;&quot;x"), "{svg}");
        assert!(svg.contains("Incidents by &lt;staff&gt;"), "{svg}");
        assert!(!svg.contains('\u{1}'));
    }

    #[test]
    fn bar_widths_are_proportional_to_counts() {
        let svg = bars("t", &[bar("a", 8), bar("b", 4), bar("c", 1)]);
        let widths: Vec<f64> = svg
            .lines()
            .filter(|l| l.starts_with("<rect x="))
            .map(|l| l.split("width=\"").nth(1).and_then(|w| w.split('"').next()).unwrap().parse().unwrap())
            .collect();
        assert_eq!(widths, [BAR_ROOM, BAR_ROOM / 2.0, BAR_ROOM / 8.0]);
        assert_eq!(bar_width(3, 0.0), 0.0);
    }

    #[test]
    fn a_control_limit_beyond_every_count_sets_the_scale() {
        let mut b = bar("2026-W47", 5);
        b.ucl = Some(10.0);
        b.signal = false;
        let svg = bars("t", &[b]);
        assert!(svg.contains(&format!(r#"width="{:.1}""#, BAR_ROOM / 2.0)), "{svg}");
        assert_eq!(svg.matches(r#"class="ucl""#).count(), 1);
    }

    #[test]
    fn long_labels_are_cut_with_an_ellipsis() {
        let long = "x".repeat(40);
        assert_eq!(short(&long).chars().count(), LABEL_CHARS);
        assert!(short(&long).ends_with('…'));
        assert_eq!(short("billy"), "billy");
    }

    #[test]
    fn the_heat_map_has_a_cell_for_every_row_and_column_and_a_legend() {
        let rows: Vec<String> = ["Mon", "Tue"].map(String::from).to_vec();
        let columns: Vec<String> = ["00", "01", "02"].map(String::from).to_vec();
        let svg = heatmap("t", &rows, &columns, &[vec![0, 1, 2], vec![4, 0, 0]]);
        assert_eq!(svg.matches(r#"class="cell""#).count(), 6);
        assert_eq!(svg.matches(r#"class="legend""#).count(), 5);
        assert!(svg.contains("<title>Mon 02: 2</title>"));
        assert!(svg.contains("more (max 4)"));
        assert_eq!(shade(0, 4), "#f2f2f2");
        assert_eq!(shade(4, 4), "#08306b");
    }
}
