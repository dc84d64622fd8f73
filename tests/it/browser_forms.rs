//! The page that writes (issue 28, docs/serve.md), driven in a real browser the way a host
//! uses it on a phone and at a desktop: open billy's link, find Adá Lövelace by typing
//! `ada lovelace` without the accents, add a critical preference, open an incident with its
//! deposition and take it through every step, each form filled in and sent with its own
//! button. The YAML files the page wrote must then be byte for byte what the same commands
//! write, by the same person at the same clock, in a book made the same way — the page is
//! only another way into the commands. Screenshots of the customer and incident pages are
//! checked for size and kept in the temporary book; docs/screenshots-write.sh runs this
//! test with CARE_SCREENSHOTS=docs to retake the pictures in docs/.

use crate::common;

use std::collections::BTreeMap;

use common::webdriver::{Driver, ENTER, Element, png_size};
use common::{TestBook, serve, yaml_files};

const NAME: &str = "Adá Lövelace";
const PREF: &str = "Allergic to shellfish";
const WHAT: &str = "Entrées mixed up";
const APOLOGY: &str = "Apologized at the table";
const EXTRA: &str = "Dessert on the house";

/// A fresh book with billy on the staff list and Ada, whose name has accents.
fn book_with_ada() -> TestBook {
    let book = TestBook::new();
    let config = book.read("care.yaml");
    book.write("care.yaml", &format!("{config}staff: [billy, joan]\n"));
    book.ok(&["customer", "add", NAME, "--id", "ada"]);
    book
}

/// The same writes as the browser makes, by command, as billy; the incident's id.
fn by_commands(book: &TestBook) -> String {
    let billy = |args: &[&str]| book.ok(&[&["--as", "billy"], args].concat());
    billy(&["note", "ada", "--pref", "--critical", PREF]);
    let id =
        billy(&["recover", "open", "ada", "--what", WHAT, "--staff", "billy", "--busyness", "95"]).trim().to_string();
    billy(&["recover", "apologize", &id, APOLOGY]);
    billy(&["recover", "review", &id]);
    billy(&["recover", "fix", &id]);
    billy(&["recover", "extra", &id, "--what", EXTRA, "--value", "24"]);
    billy(&["recover", "close", &id]);
    id
}

/// Every YAML file of the book by its path from the root, the incident's random id (its
/// part after the date, which the short form is too) replaced by a placeholder in both
/// names and contents.
fn yaml_tree(book: &TestBook, id: &str) -> BTreeMap<String, String> {
    let random = id.split_once('-').map_or(id, |(_, r)| r);
    assert!(random.len() >= 6, "an incident id with a random part: {id:?}");
    yaml_files(book.root())
        .into_iter()
        .map(|path| {
            let rel =
                path.strip_prefix(book.root()).expect("inside the book").to_string_lossy().replace(random, "RANDOM");
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
            // A random id that reads as a number (`20261122-123e45`) is written quoted;
            // the placeholder is compared unquoted, as a YAML reader reads the id.
            let date = id.split_once('-').map_or("", |(d, _)| d);
            let text = text.replace(random, "RANDOM").replace(&format!("'{date}-RANDOM'"), &format!("{date}-RANDOM"));
            (rel, text)
        })
        .collect()
}

/// Set a form's field as a person would: pick the option of a `<select>`, tick a checkbox,
/// or type into a text field; then check the field holds it.
fn fill(d: &Driver, form: &Element, name: &str, value: &str) {
    let field = d.find_in(form, &format!("[name=\"{name}\"]"));
    if d.tag_name(&field) == "select" {
        d.click(&d.find_in(&field, &format!("option[value=\"{value}\"]")));
    } else if d.attribute(&field, "type").as_deref() == Some("checkbox") {
        if d.property(&field, "checked") != true {
            d.click(&field);
        }
        assert_eq!(d.property(&field, "checked"), true, "{name} is ticked");
        return;
    } else {
        d.clear(&field);
        d.send_keys(&field, value);
    }
    assert_eq!(d.property(&field, "value"), value, "the field {name} holds what was typed or picked");
}

/// Send a form with its first submit button, and wait until the form is gone: the
/// browser has followed the answer (docs/serve.md: a 303 to the customer's or incident's
/// page) or a script has replaced the form.
fn submit(d: &Driver, form: &Element) {
    let button = d.find_in(form, "button[type=submit], button:not([type]), input[type=submit]");
    d.click(&button);
    d.wait_until("the page that answers the form", |d| d.is_stale(form));
}

/// A form that writes, with its hidden csrf field (docs/serve.md: every form carries one).
fn write_form(d: &Driver, css: &str) -> Element {
    let form = d.wait_for(css);
    assert_eq!(d.attribute(&form, "method").map(|m| m.to_lowercase()).as_deref(), Some("post"), "{css} posts");
    let csrf = d.find_in(&form, "input[name=csrf]");
    assert_eq!(d.attribute(&csrf, "type").as_deref(), Some("hidden"), "{css}: its csrf field is hidden");
    assert!(d.attribute(&csrf, "value").is_some_and(|v| v.len() >= 16), "{css}: with a real value");
    form
}

/// The page says what it saved, at the top (`<p class="saved">`).
fn saved(d: &Driver, after: &str) -> String {
    let p = d.wait_for("p.saved");
    let text = d.text(&p);
    assert!(!text.trim().is_empty(), "after {after}: p.saved says what was saved");
    text
}

/// A screenshot of the viewport, checked for size and content, written into the book (and
/// into CARE_SCREENSHOTS as `serve-write-NAME.png` when docs/screenshots-write.sh asks).
/// `blank` is the size of the same browser's picture of an empty page.
fn picture(d: &Driver, book: &TestBook, name: &str, size: (u32, u32), blank: usize) {
    let png = d.screenshot();
    assert_eq!(png_size(&png), Some(size), "{name}: a PNG of the viewport's size");
    // An empty page compresses to almost nothing; text, boxes and form fields do not.
    assert!(
        png.len() > blank + blank / 2,
        "{name}: the screenshot is nearly empty ({} bytes; an empty page {blank})",
        png.len()
    );
    std::fs::write(book.path(&format!("{name}.png")), &png).expect("writes the screenshot");
    if let Some(dir) = std::env::var_os("CARE_SCREENSHOTS") {
        let to = std::path::Path::new(&dir).join(format!("serve-write-{name}.png"));
        std::fs::write(&to, &png).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    }
}

/// The whole flow in one browser of `size`, in a fresh book; the book and the incident's id.
fn by_browser(d: &Driver, label: &str, size: (u32, u32)) -> (TestBook, String) {
    let book = book_with_ada();
    let link = book.ok(&["serve", "token", "add", "billy"]);
    let first = link.lines().next().unwrap_or_default();
    let key = first
        .split_once("/welcome?key=")
        .map(|(_, k)| k.trim())
        .unwrap_or_else(|| panic!("a link on the first line: {link:?}"));
    // The browser starts on an empty page: its picture is the measure of "nothing shown".
    let blank = d.screenshot().len();
    let server = serve(&book, &["--allow", "write"]);
    let home = &server.url;

    // The link signs billy in and leaves the secret out of the address bar.
    d.navigate(&format!("{home}welcome?key={key}"));
    d.wait_until("the redirect to /", |d| d.current_url() == *home);

    // Found without typing the accents.
    // Typed and sent with Enter (a phone's Go key), as one does a search box.
    let q = d.wait_for("input[name=q]");
    let search = form_of(d, &q);
    d.send_keys(&q, &format!("ada lovelace{ENTER}"));
    d.wait_until("the search's answer", |d| d.is_stale(&search));
    assert!(
        d.current_url().contains("/customers?q=ada"),
        "{label}: the search is a GET of /customers: {}",
        d.current_url()
    );
    let link = d.wait_for("a[href$=\"/customers/ada\"]");
    assert!(d.text(&link).contains(NAME), "{label}: the link names her as written: {}", d.text(&link));
    let results = d.find("html");
    d.click(&link);
    d.wait_until("Ada's page", |d| d.is_stale(&results));
    assert!(d.current_url().ends_with("/customers/ada"), "{label}: {}", d.current_url());

    // A critical preference.
    let note = write_form(d, "form#note");
    fill(d, &note, "text", PREF);
    fill(d, &note, "kind", "pref");
    fill(d, &note, "critical", "on");
    submit(d, &note);
    if !d.current_url().ends_with("/customers/ada") {
        panic!("{label}: back on her page: {}\n{}", d.current_url(), d.page_source());
    }
    saved(d, "the note");
    let critical = d.wait_for(".critical");
    assert!(d.text(&critical).contains(PREF), "{label}: the preference is shown as critical: {}", d.text(&critical));
    picture(d, &book, &format!("customer-{label}"), size, blank);

    // An incident with its deposition.
    let incident = write_form(d, "form#incident");
    fill(d, &incident, "what", WHAT);
    fill(d, &incident, "staff", "billy");
    fill(d, &incident, "busyness", "95");
    submit(d, &incident);
    let url = d.current_url();
    let id = url
        .rsplit_once("/incidents/")
        .map(|(_, id)| id.to_string())
        .unwrap_or_else(|| panic!("{label}: on the incident's page: {url}"));
    assert!(!id.is_empty() && !id.contains(['/', '?', '#']), "{label}: an incident id in {url}");
    saved(d, "opening the incident");
    let order = d.execute(
        "const step = document.querySelector('form#step');
         const before = n => !!n && !!step && !!(n.compareDocumentPosition(step) & Node.DOCUMENT_POSITION_FOLLOWING);
         const name = document.evaluate(\"//body//*[contains(text(), '\" + arguments[0] + \"')]\", document, null,
           XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
         return [before(name), before(document.querySelector('.critical'))];",
        vec![NAME.into()],
    );
    assert_eq!(
        order,
        serde_json::json!([true, true]),
        "{label}: Ada's card (her name, her allergy) comes before the step's form"
    );

    // Every step in order, each with its own form.
    let steps: [(&str, &[(&str, &str)]); 5] = [
        ("apologize", &[("note", APOLOGY)]),
        ("review", &[]),
        ("fix", &[]),
        ("extra", &[("what", EXTRA), ("value", "24")]),
        ("close", &[]),
    ];
    for (step, fields) in steps {
        let form = write_form(d, "form#step");
        let action = d.attribute(&form, "action").unwrap_or_default();
        assert!(
            action.ends_with(&format!("/incidents/{id}/{step}")),
            "{label}: the next step offered is {step}: {action:?}"
        );
        for (name, value) in fields {
            fill(d, &form, name, value);
        }
        submit(d, &form);
        assert!(
            d.current_url().ends_with(&format!("/incidents/{id}")),
            "{label}: after {step}, the incident's page: {}",
            d.current_url()
        );
        saved(d, step);
    }
    let left = d.try_find("form#step").and_then(|f| d.attribute(&f, "action")).unwrap_or_default();
    assert!(!left.ends_with("/close"), "{label}: a closed incident offers no close again: {left:?}");
    picture(d, &book, &format!("incident-{label}"), size, blank);
    (book, id)
}

/// The `<form>` an input belongs to.
fn form_of(d: &Driver, input: &Element) -> Element {
    Element::from_json(&d.execute("return arguments[0].form", vec![Driver::arg(input)]))
}

#[test]
fn the_forms_in_a_real_browser_write_what_the_commands_write() {
    let commands = book_with_ada();
    let cli_id = by_commands(&commands);
    let expected = yaml_tree(&commands, &cli_id);
    assert!(
        expected.contains_key("customers/ada.yaml")
            && expected.keys().any(|k| k.starts_with("incidents/") && k.ends_with("-RANDOM.yaml")),
        "the comparison covers the customer and the incident: {:?}",
        expected.keys()
    );
    for (label, size) in [("phone", (390, 844)), ("desktop", (1280, 800))] {
        let Some(driver) = Driver::start(size) else { return };
        let (book, id) = by_browser(&driver, label, size);
        let written = yaml_tree(&book, &id);
        assert_eq!(
            written.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{label}: the page wrote the same files as the commands"
        );
        for (path, text) in &expected {
            assert_eq!(&written[path], text, "{label}: {path} as the commands write it");
        }
    }
}
