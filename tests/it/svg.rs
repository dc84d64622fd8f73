//! `trends --chart svg`: the pictures are well-formed XML by an independent parser, with a bar
//! or a cell for each group, and record text that looks like markup stays text.

use crate::common;

use common::TestBook;

fn incident(book: &TestBook, id: &str, opened: &str, staff: &str) {
    let (y, m) = (&id[0..4], &id[4..6]);
    book.write(
        &format!("incidents/{y}/{m}/{id}.yaml"),
        &format!("id: {id}\ncustomer: ada-lovelace\nopened: {opened}\nstaff: {staff}\n"),
    );
}

/// Four incidents over three staff, one of them named like an attack on whoever reads the SVG.
fn book() -> TestBook {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    incident(&book, "20261118-aaaaa1", "2026-11-18T15:10:00-05:00", "billy");
    incident(&book, "20261118-aaaaa2", "2026-11-18T15:40:00-05:00", "billy");
    incident(&book, "20261118-aaaaa3", "2026-11-18T15:50:00-05:00", "joan");
    incident(&book, "20261119-aaaaa4", "2026-11-19T09:00:00-05:00", r#""<script>&\"\x01""#);
    book
}

fn parse(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{svg}"))
}

fn with_class<'a>(doc: &'a roxmltree::Document, class: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants().filter(|n| n.attribute("class") == Some(class)).collect()
}

#[test]
fn bars_are_well_formed_with_one_bar_a_group_and_the_hostile_label_as_text() {
    let book = book();
    let svg = book.ok(&["trends", "--by", "staff", "--chart", "svg"]);
    let doc = parse(&svg);
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
    assert!(root.attribute("viewBox").is_some());
    let bars = with_class(&doc, "bar");
    assert_eq!(bars.len(), 3, "{svg}");
    // Not one element named script anywhere: the label stayed text, read back as it was.
    assert!(doc.descendants().all(|n| n.tag_name().name() != "script"));
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.iter().any(|t| t.contains(r#"<script>&""#)), "{texts:?}");
    assert!(!svg.contains('\u{1}'));
    // billy's bar is twice as long as joan's: 2 against 1.
    let width = |label: &str| -> f64 {
        let bar = bars.iter().find(|b| b.children().any(|c| c.text() == Some(label))).expect(label);
        let rect = bar.children().find(|c| c.has_tag_name("rect")).expect("rect");
        rect.attribute("width").expect("width").parse().expect("number")
    };
    assert_eq!(width("billy"), 2.0 * width("joan"));
    assert!(svg.contains("2 (50.0%)"), "{svg}");
}

#[test]
fn the_heat_map_has_a_cell_for_every_weekday_and_hour() {
    let book = book();
    let svg = book.ok(&["trends", "--by", "weekday,hour", "--chart", "svg"]);
    let doc = parse(&svg);
    assert_eq!(with_class(&doc, "cell").len(), 7 * 24, "{svg}");
    assert_eq!(with_class(&doc, "legend").len(), 5);
    let titles: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("title")).filter_map(|n| n.text()).collect();
    assert!(titles.contains(&"Wed 15: 3"), "{titles:?}");
    assert!(titles.contains(&"Thu 09: 1"), "{titles:?}");
}

#[test]
fn chart_without_a_value_still_draws_in_the_terminal_and_svg_is_no_csv() {
    let book = book();
    let bars = book.ok(&["trends", "--by", "staff", "--chart"]);
    assert!(!bars.contains("<svg"), "{bars}");
    assert_eq!(bars, book.ok(&["trends", "--by", "staff", "--chart", "term"]));
    book.fails(&["trends", "--by", "staff", "--chart", "svg", "--format", "csv"], 2);
    book.fails(&["trends", "--by", "staff", "--chart", "png"], 2);
}

/// Classes of an element, as a list (`class="point signal"` is a point and a signal).
fn classes<'a>(node: &roxmltree::Node<'a, 'a>) -> Vec<&'a str> {
    node.attribute("class").map(|c| c.split_whitespace().collect()).unwrap_or_default()
}

fn having<'a>(doc: &'a roxmltree::Document, class: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants().filter(|n| classes(n).contains(&class)).collect()
}

/// The points of a polyline, as numbers.
fn points(node: &roxmltree::Node) -> Vec<(f64, f64)> {
    node.attribute("points")
        .expect("points")
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').expect("x,y");
            (x.parse().expect("x"), y.parse().expect("y"))
        })
        .collect()
}

/// The text of an element's `<title>` child.
fn tooltip<'a>(node: &roxmltree::Node<'a, 'a>) -> &'a str {
    node.children().find(|c| c.has_tag_name("title")).and_then(|t| t.text()).unwrap_or_default()
}

#[test]
fn a_pareto_has_its_bars_tallest_first_a_climbing_line_and_the_80_percent_mark() {
    let book = book();
    let svg = book.ok(&["trends", "--by", "staff", "--cumulative", "--chart", "svg"]);
    assert_eq!(svg, book.ok(&["trends", "--by", "staff", "--cumulative", "--chart", "svg"]), "byte-stable");
    let doc = parse(&svg);
    let bars = with_class(&doc, "bar");
    let titles: Vec<&str> = bars.iter().map(tooltip).collect();
    assert_eq!(titles[0], "billy: 2 (50.0%)", "{titles:?}");
    assert_eq!(titles.len(), 3);
    // Heights never grow from left to right.
    let heights: Vec<f64> = bars
        .iter()
        .map(|b| b.children().find(|c| c.has_tag_name("rect")).expect("rect").attribute("height").expect("h"))
        .map(|h| h.parse().expect("number"))
        .collect();
    assert!(heights.windows(2).all(|w| w[0] >= w[1]), "{heights:?}");
    assert_eq!(heights[0], 2.0 * heights[1]);
    // One point of the line over each bar, climbing to the top of the percent axis (100 %).
    let line = points(&with_class(&doc, "cumulative")[0]);
    assert_eq!(line.len(), 3);
    assert!(line.windows(2).all(|w| w[1].1 < w[0].1), "each point higher: {line:?}");
    let top = with_class(&doc, "grid")
        .iter()
        .map(|g| g.attribute("y1").expect("y").parse::<f64>().expect("y"))
        .fold(f64::MAX, f64::min);
    assert_eq!(line[2].1, top, "the last point is at 100 %");
    assert_eq!(with_class(&doc, "point").len(), 3);
    let eighty = &with_class(&doc, "eighty")[0];
    assert!(eighty.attribute("stroke-dasharray").is_some());
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.contains(&"100%") && texts.contains(&"80%"), "{texts:?}");
    // The hostile label is text here too.
    assert!(doc.descendants().all(|n| n.tag_name().name() != "script"));
    assert!(texts.iter().any(|t| t.contains(r#"<script>&""#)), "{texts:?}");
}

/// Three incidents every week from 2026-W37 on, fifteen in 2026-W44, and three so far in
/// the week in progress (2026-W47: the clock is Sunday evening).
fn book_with_a_spike() -> TestBook {
    let book = TestBook::new();
    book.add("Ada Lovelace");
    let mut n = 0;
    let mut monday = chrono::NaiveDate::from_ymd_opt(2026, 9, 8).expect("date");
    for week in 37..=47 {
        for k in 0..if week == 44 { 15 } else { 3 } {
            n += 1;
            let day = monday + chrono::Duration::days(1 + k % 5);
            let id = format!("{}-s{n:05}", day.format("%Y%m%d"));
            incident(&book, &id, &format!("{}T12:00:00-05:00", day.format("%Y-%m-%d")), "joan");
        }
        monday += chrono::Duration::days(7);
    }
    book
}

#[test]
fn a_control_chart_joins_the_periods_steps_its_limit_and_marks_the_spike() {
    let book = book_with_a_spike();
    let args = ["trends", "--by", "week", "--control", "--since", "2026-09-07", "--chart", "svg"];
    let svg = book.ok(&args);
    assert_eq!(svg, book.ok(&args), "byte-stable");
    let doc = parse(&svg);
    // Eleven weeks: W37 to W47, one point each, joined by one line through them all.
    let periods = having(&doc, "point");
    assert_eq!(periods.len(), 11, "{svg}");
    let line = points(&with_class(&doc, "counts")[0]);
    let centres: Vec<(f64, f64)> = periods
        .iter()
        .map(|p| {
            (p.attribute("cx").expect("cx").parse().expect("x"), p.attribute("cy").expect("cy").parse().expect("y"))
        })
        .collect();
    assert_eq!(line, centres);
    // The spike alone is above its limit, red and labelled; the week in progress is hollow.
    let signals = having(&doc, "signal");
    assert_eq!(signals.len(), 1, "{svg}");
    assert!(tooltip(&signals[0]).starts_with("2026-W44: 15, limit "), "{}", tooltip(&signals[0]));
    assert_eq!(signals[0].attribute("fill"), Some("#c0392b"));
    let labels: Vec<&str> = with_class(&doc, "signal-label").iter().filter_map(|n| n.text()).collect();
    assert_eq!(labels, ["2026-W44: 15"]);
    let hollow = having(&doc, "incomplete");
    assert_eq!(hollow.len(), 1);
    assert!(tooltip(&hollow[0]).starts_with("2026-W47: 3"), "{}", tooltip(&hollow[0]));
    assert_eq!(hollow[0].attribute("fill"), Some("#ffffff"));
    // The limit is a step line: two points a period, level across it; the spike's own
    // limit is the lowest (it is left out of its own baseline), so drawn lowest (largest y).
    let ucl = points(&with_class(&doc, "ucl")[0]);
    assert_eq!(ucl.len(), 2 * 11);
    assert!(ucl.chunks(2).all(|c| c[0].1 == c[1].1), "{ucl:?}");
    let spike_limit = ucl[2 * 7].1;
    assert!(ucl.iter().all(|p| p.1 <= spike_limit), "{ucl:?}");
    assert_eq!(with_class(&doc, "centre").len(), 1);
    // The axes say what is drawn, from the command.
    let names: Vec<&str> = with_class(&doc, "axis-name").iter().filter_map(|n| n.text()).collect();
    assert_eq!(names, ["incidents", "week"]);
    assert!(svg.contains("<title>Incidents by week: control chart</title>"), "{svg}");
}

#[test]
fn an_empty_book_still_draws_well_formed_pictures() {
    let book = TestBook::new();
    for args in [
        &["trends", "--by", "product", "--cumulative", "--chart", "svg"][..],
        &["trends", "--by", "week", "--control", "--chart", "svg"],
        &["trends", "--by", "week", "--control", "--since", "2026-10-26", "--min-periods", "3", "--chart", "svg"],
    ] {
        let svg = book.ok(args);
        let doc = parse(&svg);
        assert_eq!(with_class(&doc, "bar").len(), 0, "{args:?}");
        if !args.contains(&"--since") && args.contains(&"--control") {
            // No incident, no period: nothing to draw limits from, and the chart says so.
            assert!(svg.contains("too few complete periods"), "{svg}");
        }
        if args.contains(&"--since") {
            // Three whole weeks and the one in progress, all empty.
            assert_eq!(having(&doc, "point").len(), 4, "{svg}");
            assert_eq!(having(&doc, "incomplete").len(), 1);
            // Three complete periods make a baseline (of nothing) when --min-periods allows
            // it: a limit line at zero, and no lower one.
            assert_eq!(with_class(&doc, "ucl").len(), 1, "{svg}");
            assert!(with_class(&doc, "lcl").is_empty(), "{svg}");
            assert!(having(&doc, "signal").is_empty());
        }
    }
}
