//! SVG pictures of `trends`: the same bars and weekday × hour heat map the terminal draws,
//! a Pareto (`--cumulative`) and a control chart (`--control`), as a standalone document a
//! manager's mail client or browser shows as it is.
//!
//! Written by hand rather than with a plotting crate: four chart shapes with fixed sizes are
//! a few dozen elements each, and a string builder keeps the output byte-for-byte stable for
//! tests, diffs and the pictures committed in docs/ (a test regenerates them). Plotting
//! crates bring a font and layout stack for what is here a handful of lines and circles. Every label comes from record text, so everything written goes through
//! [`escape`]; the `viewBox` lets the picture scale to whatever width the reader has.

use std::fmt::Write;

/// One bar: the label, its count and its share of the total.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub count: u64,
    pub share: f64,
}

/// One period of a control chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub label: String,
    /// The count (or rate) of the period.
    pub value: f64,
    /// The centre line and control limits at this period (None: too few periods; the
    /// lower limit also where it would be at or below zero).
    pub centre: Option<f64>,
    pub lcl: Option<f64>,
    pub ucl: Option<f64>,
    /// A rule fired here: drawn red and labelled.
    pub signal: bool,
    /// False for the period in progress (or one `--since` cuts into): drawn hollow.
    pub complete: bool,
}

/// What a chart says of itself: its title and the names of its axes.
#[derive(Debug, Clone, Copy)]
pub struct Axes<'a> {
    pub title: &'a str,
    pub x: &'a str,
    pub y: &'a str,
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
const BLUE: &str = "#4878a8";
const RED: &str = "#c0392b";
const ORANGE: &str = "#e67e22";
const GREY: &str = "#7f8c8d";

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

/// Horizontal bars, one a row, labelled with the count and share.
pub fn bars(title: &str, bars: &[Bar]) -> String {
    let scale = bars.iter().map(|b| b.count as f64).fold(0.0_f64, f64::max);
    let height = TOP + ROW * bars.len() as u32 + 16;
    let mut out = String::new();
    open(&mut out, WIDTH, height, title);
    let x0 = 16 + LABEL_WIDTH;
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + ROW * i as u32;
        let width = bar_width(bar.count, scale);
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
            writeln!(out, r##"<rect x="{x0}" y="{}" width="{width:.1}" height="{}" fill="{BLUE}"/>"##, y + 4, ROW - 8);
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{}">{} ({:.1}%)</text>"#,
            x0 as f64 + width + 6.0,
            y + 16,
            bar.count,
            bar.share * 100.0
        );
        let _ = writeln!(out, "</g>");
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

/// The plotting area of a chart with axes, and where a value falls in it.
#[derive(Debug, Clone, Copy)]
struct Plot {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
    /// The value at the top of the left axis (a round number, see [`ticks`]).
    max: f64,
    /// The value between two ticks of the left axis.
    step: f64,
}

impl Plot {
    fn y(&self, value: f64) -> f64 {
        self.top + self.height - value / self.max * self.height
    }

    fn bottom(&self) -> f64 {
        self.top + self.height
    }

    fn right(&self) -> f64 {
        self.left + self.width
    }
}

/// Round ticks for an axis from 0 to at least `max`: a step of 1, 2 or 5 times a power of
/// ten giving at most five intervals, and the top tick. Rates below one get decimals.
fn ticks(max: f64) -> (f64, f64) {
    if max.is_nan() || max <= 0.0 {
        return (1.0, 1.0);
    }
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    (step, (max / step).ceil().max(1.0) * step)
}

/// A number as an axis or a label shows it: whole numbers without decimals.
fn number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 { format!("{v:.0}") } else { format!("{v:.2}") }
}

/// The left axis: grid lines at each tick, the tick values, and the axis's name turned up
/// along it.
fn left_axis(out: &mut String, plot: &Plot, name: &str) {
    let steps = (plot.max / plot.step).round() as u32;
    for k in 0..=steps {
        let v = plot.step * k as f64;
        let y = plot.y(v);
        let _ = writeln!(
            out,
            r##"<line class="grid" x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e5e5e5"/>"##,
            plot.left,
            plot.right()
        );
        let _ = writeln!(
            out,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end" font-size="11">{}</text>"#,
            plot.left - 6.0,
            y + 4.0,
            number(v)
        );
    }
    let _ = writeln!(
        out,
        r##"<path class="axis" d="M{:.1},{:.1}V{:.1}H{:.1}" fill="none" stroke="#333333"/>"##,
        plot.left,
        plot.top,
        plot.bottom(),
        plot.right()
    );
    let (x, y) = (18.0, plot.top + plot.height / 2.0);
    let _ = writeln!(
        out,
        r#"<text class="axis-name" x="{x:.1}" y="{y:.1}" text-anchor="middle" transform="rotate(-90 {x:.1} {y:.1})">{}</text>"#,
        escape(name)
    );
}

/// A label under the horizontal axis, turned so long labels stay apart.
fn x_label(out: &mut String, plot: &Plot, x: f64, label: &str) {
    let y = plot.bottom() + 14.0;
    let _ = writeln!(
        out,
        r#"<text class="x-label" x="{x:.1}" y="{y:.1}" text-anchor="end" font-size="11" transform="rotate(-40 {x:.1} {y:.1})">{}</text>"#,
        escape(&short(label))
    );
}

/// The name of the horizontal axis, under its labels.
fn x_name(out: &mut String, plot: &Plot, y: f64, name: &str) {
    let _ = writeln!(
        out,
        r#"<text class="axis-name" x="{:.1}" y="{y:.1}" text-anchor="middle">{}</text>"#,
        plot.left + plot.width / 2.0,
        escape(name)
    );
}

/// Room under the plot for the longest of the turned labels (a cut label is at most
/// `LABEL_CHARS` long), then the axis's name.
fn under<'a>(labels: impl Iterator<Item = &'a str>) -> f64 {
    let longest = labels.map(|l| l.chars().count().min(LABEL_CHARS)).max().unwrap_or(0);
    30.0 + longest as f64 * 4.4
}
const PLOT_TOP: f64 = 60.0;
const PLOT_HEIGHT: f64 = 260.0;
const PLOT_LEFT: f64 = 72.0;

/// A Pareto chart: the bars tallest first, the running share of the total as a line with a
/// point over each bar on a right-hand 0–100 % axis, and a dashed line at 80 %, where "the
/// vital few" end. Bars are reordered here, whatever order they come in.
pub fn pareto(axes: Axes<'_>, bars: &[Bar]) -> String {
    let mut bars: Vec<&Bar> = bars.iter().collect();
    bars.sort_by_key(|b| std::cmp::Reverse(b.count));
    let n = bars.len().max(1) as f64;
    // A few bars widen to fill the picture; many keep a narrow column and widen the picture.
    let column = ((WIDTH as f64 - 2.0 * PLOT_LEFT) / n).clamp(28.0, 72.0).floor();
    let (step, max) = ticks(bars.first().map_or(0, |b| b.count) as f64);
    let plot = Plot { left: PLOT_LEFT, top: PLOT_TOP, width: column * n, height: PLOT_HEIGHT, max, step };
    let width = (plot.right() + PLOT_LEFT).max(WIDTH as f64).round() as u32;
    let under = under(bars.iter().map(|b| b.label.as_str()));
    let height = (plot.bottom() + under + 16.0).round() as u32;
    let mut out = String::new();
    open(&mut out, width, height, axes.title);
    left_axis(&mut out, &plot, axes.y);
    let percent = |share: f64| plot.top + plot.height - share * plot.height;
    let mut points = Vec::new();
    let mut running = 0.0;
    for (i, bar) in bars.iter().enumerate() {
        running += bar.share;
        let x = plot.left + column * (i as f64 + 0.5);
        let y = plot.y(bar.count as f64);
        let _ = writeln!(out, r#"<g class="bar">"#);
        let _ = writeln!(out, "<title>{}: {} ({:.1}%)</title>", escape(&bar.label), bar.count, bar.share * 100.0);
        let _ = writeln!(
            out,
            r##"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{BLUE}"/>"##,
            x - column * 0.35,
            column * 0.7,
            plot.bottom() - y
        );
        let _ = writeln!(
            out,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11">{}</text>"#,
            y - 4.0,
            bar.count
        );
        x_label(&mut out, &plot, x + 4.0, &bar.label);
        let _ = writeln!(out, "</g>");
        points.push((x, percent(running.min(1.0)), running, &bar.label));
    }
    right_percent_axis(&mut out, &plot, percent);
    let line: Vec<String> = points.iter().map(|(x, y, _, _)| format!("{x:.1},{y:.1}")).collect();
    let _ = writeln!(
        out,
        r#"<polyline class="cumulative" points="{}" fill="none" stroke="{ORANGE}" stroke-width="2"/>"#,
        line.join(" ")
    );
    for (x, y, share, label) in &points {
        let _ = writeln!(
            out,
            r#"<circle class="point" cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{ORANGE}"><title>{} and above: {:.1}% of all</title></circle>"#,
            escape(label),
            share * 100.0
        );
    }
    x_name(&mut out, &plot, plot.bottom() + under, axes.x);
    out.push_str("</svg>\n");
    out
}

/// The right-hand axis of a Pareto, 0 to 100 %, and the dashed 80 % line across the plot.
fn right_percent_axis(out: &mut String, plot: &Plot, percent: impl Fn(f64) -> f64) {
    let x = plot.right();
    let _ = writeln!(
        out,
        r##"<line class="axis" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#333333"/>"##,
        plot.top,
        plot.bottom()
    );
    for k in 0..=5 {
        let share = k as f64 / 5.0;
        let _ = writeln!(
            out,
            r#"<text class="tick" x="{:.1}" y="{:.1}" font-size="11">{}%</text>"#,
            x + 6.0,
            percent(share) + 4.0,
            k * 20
        );
    }
    let y = percent(0.8);
    let _ = writeln!(
        out,
        r#"<line class="eighty" x1="{:.1}" y1="{y:.1}" x2="{x:.1}" y2="{y:.1}" stroke="{ORANGE}" stroke-dasharray="6 4"/>"#,
        plot.left
    );
    let (nx, ny) = (x + 50.0, plot.top + plot.height / 2.0);
    let _ = writeln!(
        out,
        r#"<text class="axis-name" x="{nx:.1}" y="{ny:.1}" text-anchor="middle" transform="rotate(90 {nx:.1} {ny:.1})">cumulative share</text>"#
    );
}

/// A control chart: each period's count (or rate) as a point, joined by a line; the centre
/// line and the control limits as step lines (each period has its own, as the limits leave
/// the period itself out; the lower one only where it is above zero); points where a rule
/// fired red and labelled; the period in progress hollow, as it is judged but not yet whole.
pub fn control(axes: Axes<'_>, points: &[Point]) -> String {
    let n = points.len().max(1) as f64;
    let slot = (640.0 / n).clamp(6.0, 48.0);
    let top_value = points.iter().flat_map(|p| [Some(p.value), p.ucl]).flatten().fold(0.0_f64, f64::max);
    let (step, max) = ticks(top_value * 1.08);
    let plot = Plot { left: PLOT_LEFT, top: PLOT_TOP, width: slot * n, height: PLOT_HEIGHT, max, step };
    let width = (plot.right() + 24.0).max(WIDTH as f64).round() as u32;
    let under = under(points.iter().map(|p| p.label.as_str()));
    let height = (plot.bottom() + under + 48.0).round() as u32;
    let mut out = String::new();
    open(&mut out, width, height, axes.title);
    left_axis(&mut out, &plot, axes.y);
    let x = |i: usize| plot.left + slot * (i as f64 + 0.5);
    // Labels no closer than 16 units, so a year of dates stays legible.
    let every = (16.0 / slot).ceil().max(1.0) as usize;
    for (i, p) in points.iter().enumerate().filter(|(i, _)| i % every == 0) {
        x_label(&mut out, &plot, x(i) + 4.0, &p.label);
    }
    step_line(
        &mut out,
        &plot,
        slot,
        points,
        |p| p.centre,
        "centre",
        &format!(r##"stroke="{GREY}" stroke-dasharray="5 4""##),
    );
    step_line(&mut out, &plot, slot, points, |p| p.ucl, "ucl", &format!(r#"stroke="{RED}" stroke-width="1.5""#));
    step_line(&mut out, &plot, slot, points, |p| p.lcl, "lcl", &format!(r#"stroke="{RED}" stroke-width="1.5""#));
    let line: Vec<String> =
        points.iter().enumerate().map(|(i, p)| format!("{:.1},{:.1}", x(i), plot.y(p.value))).collect();
    let _ = writeln!(
        out,
        r#"<polyline class="counts" points="{}" fill="none" stroke="{BLUE}" stroke-width="1.5"/>"#,
        line.join(" ")
    );
    let radius = (slot / 3.0).clamp(2.0, 4.0);
    for (i, p) in points.iter().enumerate() {
        point(&mut out, (x(i), plot.y(p.value), radius), p);
    }
    if !points.iter().any(|p| p.ucl.is_some()) {
        let _ = writeln!(
            out,
            r#"<text class="note" x="{:.1}" y="{:.1}">too few complete periods for control limits</text>"#,
            plot.left + 8.0,
            plot.top + 14.0
        );
    }
    x_name(&mut out, &plot, plot.bottom() + under, axes.x);
    control_legend(&mut out, plot.bottom() + under + 32.0);
    out.push_str("</svg>\n");
    out
}

/// One period's point, with its count and limit in the tooltip.
fn point(out: &mut String, (x, y, r): (f64, f64, f64), p: &Point) {
    let colour = if p.signal { RED } else { BLUE };
    let fill = if p.complete { colour } else { "#ffffff" };
    let class = match (p.signal, p.complete) {
        (true, true) => "point signal",
        (true, false) => "point signal incomplete",
        (false, true) => "point",
        (false, false) => "point incomplete",
    };
    let tenth = |v: f64| number((v * 10.0).round() / 10.0);
    let limit = match (p.lcl, p.ucl) {
        (Some(l), Some(u)) => format!(", limits {} to {}", tenth(l), tenth(u)),
        (None, Some(u)) => format!(", limit {}", tenth(u)),
        _ => String::new(),
    };
    let progress = if p.complete { "" } else { ", in progress" };
    let _ = writeln!(
        out,
        r#"<circle class="{class}" cx="{x:.1}" cy="{y:.1}" r="{r:.1}" fill="{fill}" stroke="{colour}" stroke-width="1.5"><title>{}: {}{limit}{progress}</title></circle>"#,
        escape(&p.label),
        number(p.value)
    );
    if p.signal {
        let _ = writeln!(
            out,
            r#"<text class="signal-label" x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="{RED}">{}: {}</text>"#,
            y - 9.0,
            escape(&p.label),
            number(p.value)
        );
    }
}

/// A line that holds each period's value across its slot and steps between periods; a
/// period without a value (no limits yet) breaks it.
fn step_line(
    out: &mut String,
    plot: &Plot,
    slot: f64,
    points: &[Point],
    value: impl Fn(&Point) -> Option<f64>,
    class: &str,
    style: &str,
) {
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, out: &mut String| {
        if !run.is_empty() {
            let _ = writeln!(out, r#"<polyline class="{class}" points="{}" fill="none" {style}/>"#, run.join(" "));
            run.clear();
        }
    };
    for (i, p) in points.iter().enumerate() {
        match value(p) {
            Some(v) => {
                let y = plot.y(v);
                let x0 = plot.left + slot * i as f64;
                run.push(format!("{x0:.1},{y:.1} {:.1},{y:.1}", x0 + slot));
            }
            None => flush(&mut run, out),
        }
    }
    flush(&mut run, out);
}

/// What the lines and points of a control chart mean, in one row.
fn control_legend(out: &mut String, y: f64) {
    let mid = y - 4.0;
    let marks = [
        (format!(r#"<line x1="0" y1="{mid:.1}" x2="20" y2="{mid:.1}" stroke="{BLUE}" stroke-width="1.5"/>"#), "count"),
        (
            format!(r#"<line x1="0" y1="{mid:.1}" x2="20" y2="{mid:.1}" stroke="{GREY}" stroke-dasharray="5 4"/>"#),
            "centre (mean of the other periods)",
        ),
        (
            format!(r#"<line x1="0" y1="{mid:.1}" x2="20" y2="{mid:.1}" stroke="{RED}" stroke-width="1.5"/>"#),
            "control limits",
        ),
        (format!(r#"<circle cx="10" cy="{mid:.1}" r="4" fill="{RED}"/>"#), "a signal"),
        (
            format!(r##"<circle cx="10" cy="{mid:.1}" r="4" fill="#ffffff" stroke="{BLUE}" stroke-width="1.5"/>"##),
            "in progress",
        ),
    ];
    let _ = writeln!(out, r#"<g class="legend" font-size="11">"#);
    let mut x = 16.0;
    for (mark, text) in marks {
        // An 11-unit sans-serif letter is about 6 units wide.
        let _ = writeln!(out, r#"<g transform="translate({x:.1} 0)">{mark}<text x="26" y="{y:.1}">{text}</text></g>"#);
        x += 26.0 + text.chars().count() as f64 * 6.0 + 20.0;
    }
    let _ = writeln!(out, "</g>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, count: u64) -> Bar {
        Bar { label: label.into(), count, share: 0.0 }
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
    #[test]
    fn ticks_are_round_and_reach_the_largest_value() {
        assert_eq!(ticks(9.0), (2.0, 10.0));
        assert_eq!(ticks(55.6), (20.0, 60.0));
        assert_eq!(ticks(0.37), (0.1, 0.4));
        assert_eq!(ticks(0.0), (1.0, 1.0));
        assert_eq!(number(20.0), "20");
        assert_eq!(number(0.25), "0.25");
    }

    /// The `points` of every polyline of a class, as numbers.
    fn polylines(svg: &str, class: &str) -> Vec<Vec<(f64, f64)>> {
        let marker = format!(r#"<polyline class="{class}" points=""#);
        svg.lines()
            .filter_map(|l| l.strip_prefix(&marker))
            .map(|rest| {
                let points = rest.split('"').next().unwrap_or_default();
                points
                    .split(' ')
                    .map(|p| {
                        let (x, y) = p.split_once(',').expect("x,y");
                        (x.parse().expect("x"), y.parse().expect("y"))
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_pareto_puts_the_tallest_bar_first_and_climbs_to_one_hundred_percent() {
        let b = |label: &str, count: u64| Bar { label: label.into(), count, share: count as f64 / 10.0 };
        let axes = Axes { title: "t", x: "product", y: "incidents" };
        let svg = pareto(axes, &[b("soup", 1), b("wine", 6), b("bread", 3)]);
        let titles: Vec<&str> = svg.lines().filter(|l| l.starts_with("<title>")).collect();
        assert_eq!(
            titles[1..],
            ["<title>wine: 6 (60.0%)</title>", "<title>bread: 3 (30.0%)</title>", "<title>soup: 1 (10.0%)</title>"]
        );
        let line = &polylines(&svg, "cumulative")[0];
        let percent = |share: f64| PLOT_TOP + PLOT_HEIGHT - share * PLOT_HEIGHT;
        let ys: Vec<f64> = line.iter().map(|p| p.1).collect();
        assert_eq!(ys, [percent(0.6), percent(0.9), percent(1.0)].map(|y| (y * 10.0).round() / 10.0));
        assert_eq!(svg.matches(r#"class="point""#).count(), 3);
        assert!(
            svg.contains(&format!(r#"<line class="eighty" x1="{PLOT_LEFT:.1}" y1="{:.1}""#, percent(0.8))),
            "{svg}"
        );
        assert!(svg.contains("stroke-dasharray"));
    }

    fn period(label: &str, value: f64, ucl: Option<f64>) -> Point {
        let signal = ucl.is_some_and(|u| value > u);
        Point { label: label.into(), value, centre: ucl.map(|u| u / 2.0), lcl: None, ucl, signal, complete: true }
    }

    #[test]
    fn a_control_chart_steps_its_limit_and_marks_what_is_above_it() {
        let mut points =
            vec![period("W1", 3.0, Some(10.0)), period("W2", 12.0, Some(8.0)), period("W3", 4.0, Some(10.0))];
        points[2].complete = false;
        let axes = Axes { title: "Incidents by week", x: "week", y: "incidents" };
        let svg = control(axes, &points);
        // The count line joins the three points; the limit holds across each slot and steps.
        let counts = &polylines(&svg, "counts")[0];
        assert_eq!(counts.len(), 3);
        let ucl = &polylines(&svg, "ucl");
        assert_eq!(ucl.len(), 1, "one unbroken line");
        let ys: Vec<f64> = ucl[0].iter().map(|p| p.1).collect();
        assert!(ys[0] == ys[1] && ys[2] == ys[3] && ys[4] == ys[5] && ys[1] < ys[2], "{ys:?}");
        assert_eq!(polylines(&svg, "centre").len(), 1);
        assert_eq!(svg.matches(r#"class="point signal""#).count(), 1);
        assert_eq!(svg.matches(r#"class="point incomplete""#).count(), 1);
        assert!(svg.contains(r##"fill="#c0392b">W2: 12</text>"##), "{svg}");
        assert!(!svg.contains("too few complete periods"));
        // A lower limit above zero is drawn as its own step line, broken where there is none.
        points[0].lcl = Some(1.0);
        points[2].lcl = Some(2.0);
        let svg = control(axes, &points);
        assert_eq!(polylines(&svg, "lcl").len(), 2, "{svg}");
        assert!(svg.contains("W1: 3, limits 1 to 10</title>"), "{svg}");
        // Without limits there is no limit line, and the chart says why.
        let bare = control(axes, &[period("W1", 3.0, None), period("W2", 4.0, None)]);
        assert!(polylines(&bare, "ucl").is_empty() && bare.contains("too few complete periods"));
    }
}
