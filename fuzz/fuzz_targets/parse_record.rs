//! Any text given to the record parser and the editable document must not panic; the fast
//! reader must agree with serde_yaml whenever it answers, on the text itself and on its
//! first line set inside the flow collections of an otherwise valid incident (where typed
//! fields read it); and a document rendered after edits must read back as exactly the
//! edited value.
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;

const HEAD: &str = "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\n";

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("f.yaml");

    let _ = care::yaml::parse::<care::model::Customer>(path, text);
    let _ = care::yaml::parse::<care::model::Incident>(path, text);
    let _ = care::yaml::parse::<care::model::Config>(path, text);
    let _ = care::yaml::scalar_fields(path, text);
    assert!(care::model::fast_path_agrees(text), "the fast reader disagrees with serde_yaml on:\n{text}");
    let line = text.lines().next().unwrap_or("");
    for in_flow in [
        format!("{HEAD}tags: [{line}]\n"),
        format!("{HEAD}recovery: {{apologized: {{at: 2026-11-22T15:35:00-05:00, note: {line}}}}}\n"),
        format!("{HEAD}recovery:\n  fixed: {{{line}}}\nfollowups:\n- {{kind: check-in, {line}}}\n"),
    ] {
        assert!(care::model::fast_path_agrees(&in_flow), "the fast reader disagrees with serde_yaml on:\n{in_flow}");
    }

    let Ok(mut doc) = care::yaml::Doc::parse(path, text) else { return };
    let entry: BTreeMap<String, String> =
        [("text".to_string(), "x".to_string()), ("by".to_string(), "joan".to_string())].into_iter().collect();
    let _ = doc.push("notes", &entry);
    let _ = doc.set_in_item("flags", 0, "cleared", &"2026-11-22");
    let _ = doc.set_in_map("recovery", "fixed", &"x");
    let _ = doc.set("name", &"y");
    let _ = doc.rendered();
    if let Ok(rendered) = doc.render() {
        // A byte-order mark is kept where the file had it; every reader strips it first
        // (`yaml::parse`); yaml_serde alone refused one (`\u{feff}ssssssss:` edited: "more than
        // one document"), found by this target.
        match serde_yaml::from_str::<serde_yaml::Value>(rendered.strip_prefix('\u{feff}').unwrap_or(&rendered)) {
            // Compared as text, so that a `.nan` equals itself.
            Ok(back) => assert_eq!(
                serde_yaml::to_string(&back).ok(),
                serde_yaml::to_string(doc.value()).ok(),
                "rendered record reads back differently:\n{text}\n---\n{rendered}"
            ),
            Err(e) => {
                panic!("rendered record is not valid YAML: {e}\n--- input ---\n{text}\n--- rendered ---\n{rendered}")
            }
        }
    }
});
