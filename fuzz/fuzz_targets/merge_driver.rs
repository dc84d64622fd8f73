//! Three versions of a record in, one merge out: the merge must not panic on any three
//! records, and everything each side added or changed since the ancestor must be in the
//! result that side sees (`care::model::merge::property`, which `cargo test` also runs
//! over a fixed stream of cases).
//!
//! The input is read two ways: as three YAML texts split at NUL bytes (any mappings the
//! parser accepts, hand-written oddities included), and as choices that build an ancestor
//! and two sides by the edits sites make (notes, flags, steps at both sites, follow-ups
//! done and scheduled twice, lists emptied), which reaches the merge's rules far faster.
#![no_main]

use care::model::merge::property;
use care::yaml::Mapping;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (base, ours, theirs) = property::generate(data);
    if let Err(e) = property::check(&base, &ours, &theirs) {
        panic!("{e}\nbase: {base:?}\nours: {ours:?}\ntheirs: {theirs:?}");
    }

    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.splitn(3, '\0').map(|t| serde_yaml::from_str::<Mapping>(t).ok());
    let (Some(Some(base)), Some(Some(ours)), Some(Some(theirs))) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    if let Err(e) = property::check(&base, &ours, &theirs) {
        panic!("{e}\n--- input ---\n{text}");
    }
});
