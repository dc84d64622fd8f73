//! `trends --chart svg`: the pictures are well-formed XML by an independent parser, with a bar
//! or a cell for each group, and record text that looks like markup stays text.

mod common;

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

#[test]
fn a_control_chart_marks_every_limit() {
    let book = book();
    let svg = book.ok(&["trends", "--by", "date", "--control", "--since", "2026-11-10", "--chart", "svg"]);
    let doc = parse(&svg);
    let bars = with_class(&doc, "bar").len();
    assert!(bars >= 10, "{svg}");
    assert_eq!(with_class(&doc, "ucl").len(), bars, "{svg}");
}
