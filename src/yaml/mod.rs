//! All YAML goes through here: parsing with a size cap, errors with file, line and column,
//! and the editable document that writes minimal diffs.
//!
//! The parser is yaml_serde, serde_yaml's maintained successor (serde_yaml itself is
//! deprecated and unmaintained), imported under the old name so that the code reads the
//! same; keeping every use of it in this one module means another crate can replace it in
//! one place.
//!
//! Writes must keep what the tool does not understand and change only what the command
//! says, so that `git diff` shows exactly what happened. A `Doc` therefore keeps the
//! file's text next to its parsed value and a log of edits. Rendering first tries to
//! apply the edits to the text itself (append an entry to a list; add a field to one
//! entry), then parses the result and checks that it is exactly the intended value. Only
//! if that fails (flow style, odd layout) is the whole value written out canonically,
//! which keeps every field and the key order but not comments or layout.
//!
//! One file a job: this one parses (bounded first by `bounds`: size, depth, aliases), `fast`
//! reads the tool's own plain style without the general parser, `doc` edits, and `emit`
//! decides how each string is written (quoted wherever a YAML 1.1 or 1.2 reader could take
//! it for anything but that string).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{DataKind, Error, Result};

mod bounds;
mod doc;
mod emit;
mod fast;

pub use doc::{Doc, Rendered};
pub use emit::{flow, flow_field, plain_is_safe};

pub use bounds::MAX_DEPTH;

pub use serde_yaml::{Mapping, Value};

/// Larger records are refused before parsing: a record is a page of text, not megabytes.
pub const MAX_BYTES: usize = 1 << 20;

/// Parse a record into a typed value. Errors name the file, line and column.
///
/// Every reader and writer parses through here, typed or as a `Doc`, so they all refuse
/// the same files with the same message: too large, nested too deep, aliases that expand
/// to too much (checked for every target type, even where serde would skip the value
/// unread), or not YAML.
pub fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    check_size(path, text.len())?;
    let text = without_bom(text);
    if text.trim().is_empty() {
        return Err(Error::data(path, 1, 1, "the file is empty; a record needs at least `id:` (see docs/format.md)"));
    }
    if let Some(record) = fast::from_str(text) {
        return Ok(record);
    }
    bounded(path, text)?;
    serde_yaml::from_str(text).map_err(|e| conflicted(path, text).unwrap_or_else(|| located(path, text, &e)))
}

/// A byte-order mark is legal at the start of a YAML file (Windows editors write one);
/// it is not part of the record.
fn without_bom(text: &str) -> &str {
    text.strip_prefix(BOM).unwrap_or(text)
}

const BOM: char = '\u{feff}';

/// Refuse, quickly, what would take the parser unbounded time or memory: nesting deeper
/// than any record, and aliases (`*a`) that expand to far more than the file holds.
fn bounded(path: &Path, text: &str) -> Result<()> {
    let scan = bounds::scan(text);
    if let Some((line, column)) = scan.too_deep_at {
        return Err(too_deep(path, line, column, Some(scan.depth)));
    }
    // Only a text with both an anchor and an alias can expand; records almost never do.
    if text.contains('&') && text.contains('*') {
        count_values(path, text)?;
    }
    Ok(())
}

fn too_deep(path: &Path, line: usize, column: usize, depth: Option<usize>) -> Error {
    let depth = depth.map_or_else(|| "too many".to_string(), |d| d.to_string());
    Error::data(
        path,
        line,
        column,
        format!(
            "nested {depth} levels deep (lists and mappings inside each other); records are limited to {} \
             levels and need a handful — is this really a care record?",
            bounds::MAX_DEPTH
        ),
    )
    .with_kind(DataKind::TooDeep)
}

/// How a file whose aliases expand to too much is described.
pub const TOO_MANY_ALIASES: &str = "aliases expand to too much";

/// Walk the document as serde would, following aliases, and give up once it has seen more
/// values than a file of this size could hold without them: an alias bomb ("billion
/// laughs") is refused after a bounded walk instead of being built in memory.
fn count_values(path: &Path, text: &str) -> Result<()> {
    use serde::de::{self, DeserializeSeed, Visitor};
    use std::cell::Cell;

    let budget = 2 * text.len() + 10_000;
    #[derive(Clone, Copy)]
    struct Count<'a> {
        seen: &'a Cell<usize>,
        budget: usize,
    }
    impl Count<'_> {
        fn tick<E: de::Error>(self) -> std::result::Result<(), E> {
            self.seen.set(self.seen.get() + 1);
            if self.seen.get() > self.budget { Err(E::custom(TOO_MANY_ALIASES)) } else { Ok(()) }
        }
    }
    impl<'de> DeserializeSeed<'de> for Count<'_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    macro_rules! scalar {
        ($($visit:ident: $ty:ty),*) => {$(
            fn $visit<E: de::Error>(self, _: $ty) -> std::result::Result<(), E> {
                self.tick()
            }
        )*};
    }
    impl<'de> Visitor<'de> for Count<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any YAML value")
        }
        scalar!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_i128: i128, visit_u128: u128,
                visit_f64: f64, visit_str: &str, visit_bytes: &[u8]);
        fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
            self.tick()
        }
        fn visit_none<E: de::Error>(self) -> std::result::Result<(), E> {
            self.tick()
        }
        fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
            self.deserialize(d)
        }
        fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
            self.deserialize(d)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
            self.tick()?;
            while seq.next_element_seed(self)?.is_some() {}
            Ok(())
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
            self.tick()?;
            while map.next_key_seed(self)?.is_some() {
                map.next_value_seed(self)?;
            }
            Ok(())
        }
        fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> std::result::Result<(), A::Error> {
            // A tagged value (`!tag x`): count the value under the tag.
            let ((), variant) = data.variant_seed(self)?;
            de::VariantAccess::newtype_variant_seed(variant, self)
        }
    }

    let seen = Cell::new(0);
    let counted = Count { seen: &seen, budget }.deserialize(serde_yaml::Deserializer::from_str(text));
    match counted {
        // The message comes back after the path to the value (`b[63][9989]: `).
        Err(e) if e.to_string().contains(TOO_MANY_ALIASES) => {
            let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            Err(Error::data(
                path,
                line,
                column,
                format!(
                    "{TOO_MANY_ALIASES}: its `*` aliases repeat `&` anchors into more than {budget} values, far more \
                     than a file of {} bytes holds (an \"alias bomb\"); write the values out instead",
                    text.len()
                ),
            )
            .with_kind(DataKind::Aliases))
        }
        // Any other error is the parser's to report, with its own message.
        _ => Ok(()),
    }
}

/// A file git left with conflict markers says so, rather than as a puzzling YAML error.
fn conflicted(path: &Path, text: &str) -> Option<Error> {
    let line = text.lines().position(|l| l.starts_with("<<<<<<< "))?;
    Some(
        Error::data(
            path,
            line + 1,
            1,
            format!(
                "{MERGE_CONFLICT}: between `<<<<<<<` and `>>>>>>>` keep the lines that are right, delete the markers, \
                 then `git add` the file and commit"
            ),
        )
        .with_kind(DataKind::MergeConflict),
    )
}

/// How a file with git's conflict markers is described; `care check` files it apart.
pub const MERGE_CONFLICT: &str = "an unresolved git merge conflict";

pub fn check_size(path: &Path, len: usize) -> Result<()> {
    if len > MAX_BYTES {
        return Err(Error::data(
            path,
            1,
            1,
            format!("file is {len} bytes; records are limited to {MAX_BYTES} bytes — is this really a care record?"),
        )
        .with_kind(DataKind::TooBig));
    }
    Ok(())
}

/// The parser's error at the place it names, in file:line:column form. Syntax errors the
/// parser only notices at the end of the file (an unclosed `[`, `{` or quote) are told at
/// the construct that was left open, since that is where the fix goes.
fn located(path: &Path, text: &str, e: &serde_yaml::Error) -> Error {
    let (mut line, mut column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
    let full = e.to_string();
    // serde_yaml appends " at line L column C"; we say that ourselves, in file:line:column form.
    let mut message = match full.find(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full.clone(),
    };
    // The deserializer's own limits, should a text get past the checks above.
    if message.starts_with("recursion limit exceeded") {
        return too_deep(path, line, column, None);
    }
    if message.starts_with("repetition limit exceeded") {
        return Error::data(path, line, column, format!("{TOO_MANY_ALIASES}; write the values out instead"))
            .with_kind(DataKind::Aliases);
    }
    if is_time_error(&message) {
        return Error::data(path, line, column, message).with_kind(DataKind::BadTime);
    }
    // Fields with wrong values are not syntax errors: only the parser's own are.
    let syntax = e.location().is_some() && !is_field_error(&message);
    let at_end =
        e.location().is_some_and(|l| text.get(l.index().min(text.len())..).is_some_and(|t| t.trim().is_empty()));
    if syntax
        && at_end
        && let Some((open, l, c)) = bounds::scan(text).unclosed
    {
        let what = match open {
            '[' => "this `[` is never closed with `]`",
            '{' => "this `{` is never closed with `}`",
            _ => "this quoted text never ends",
        };
        message = format!("{what} (the parser reached the end of the file: {message})");
        (line, column) = (l, c);
    }
    let error = Error::data(path, line, column, message);
    if syntax { error.with_kind(DataKind::Syntax) } else { error }
}

/// serde's messages about a well-formed value of the wrong shape for the record.
fn is_field_error(message: &str) -> bool {
    [
        "missing field",
        "unknown field",
        "duplicate field",
        "invalid type",
        "invalid value",
        "invalid length",
        "unknown variant",
    ]
    .iter()
    .any(|w| message.contains(w))
}

/// chrono's messages for a time written in another form: told apart here, where the
/// parser's text is read, so that no caller has to read it again.
fn is_time_error(message: &str) -> bool {
    [
        "input contains invalid characters",
        "premature end of input",
        "trailing input",
        "input is out of range",
        "no possible date",
    ]
    .iter()
    .any(|w| message.contains(w))
}

/// The top-level fields of a record whose values are scalars, as text (`region: midwest`,
/// `table: 12`): what reports may group or filter by beyond the fields they know.
pub fn scalar_fields(path: &Path, text: &str) -> Result<BTreeMap<String, String>> {
    Ok(scalars(&parse::<Value>(path, text)?))
}

fn scalars(value: &Value) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    if let Value::Mapping(map) = value {
        for (k, v) in map {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => continue,
            };
            if let Value::String(k) = k {
                fields.insert(k.clone(), text);
            }
        }
    }
    fields
}

/// For the fuzz target and tests: true unless the fast reader gives a `T` (and a tree,
/// and the extra fields) that differ from what serde_yaml makes of the same text
/// (declining is always fine). The records it is asked about are `model`'s:
/// `model::fast_path_agrees` names them, so this module knows none.
pub fn fast_path_agrees<T: DeserializeOwned + Serialize>(text: &str) -> bool {
    fn agrees<T: DeserializeOwned + Serialize>(text: &str) -> bool {
        match fast::from_str::<T>(text) {
            None => true,
            Some(fast) => serde_yaml::from_str::<T>(text)
                .is_ok_and(|slow| serde_json::to_value(&fast).ok() == serde_json::to_value(&slow).ok()),
        }
    }
    // The extra fields read off the fast reader's tree, as `scalar_fields` reads them.
    let fields_agree = match fast::from_str_with_fields::<Value>(text, &["id"]) {
        None => true,
        Some((_, fast)) => serde_yaml::from_str::<Value>(text).is_ok_and(|slow| {
            let mut slow = scalars(&slow);
            slow.remove("id");
            slow == fast
        }),
    };
    agrees::<T>(text) && agrees::<Value>(text) && fields_agree
}

/// Parse a record into its typed value and its other top-level scalar fields (those not
/// in `known`). The fast reader gives both from its one tree; otherwise the fields are
/// read off the text's top-level lines when each is plainly `key: word` (as the tool
/// writes them), or the YAML is parsed again, as a tree, to be exact.
pub fn parse_with_fields<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    known: &[&str],
) -> Result<(T, BTreeMap<String, String>)> {
    let body = without_bom(text);
    if text.len() <= MAX_BYTES
        && let Some(parsed) = fast::from_str_with_fields(body, known)
    {
        return Ok(parsed);
    }
    let record = parse::<T>(path, text)?;
    let mut fields = match plain_top_level(text, known) {
        Some(fields) => fields,
        None => scalar_fields(path, text)?,
    };
    fields.retain(|k, _| !known.contains(&k.as_str()));
    Ok((record, fields))
}

/// Top-level `key: value` pairs, if the text is simple enough to be sure what YAML makes of
/// them: values that are words (a letter, then letters, digits, ` _./@+-`) and not one of
/// YAML's null/boolean/number spellings. Keys with nested or empty values are not scalars
/// and are skipped, as the tree walk would; anything unusual gives None.
fn plain_top_level(text: &str, known: &[&str]) -> Option<BTreeMap<String, String>> {
    let mut fields = BTreeMap::new();
    for line in text.lines() {
        let first = line.chars().next();
        match first {
            None | Some(' ' | '-' | '#') => continue,
            Some(c) if !c.is_ascii_alphabetic() => return None,
            _ => {}
        }
        let (key, value) = line.split_once(':')?;
        if !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return None;
        }
        let value = value.strip_prefix(' ').unwrap_or(value);
        if value.is_empty() || value.starts_with(['[', '{']) || known.contains(&key) {
            continue; // a nested value (not a scalar), or a field the record holds itself
        }
        let word = value.starts_with(|c: char| c.is_ascii_alphabetic())
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || b" _./@+-".contains(&b))
            && !value.ends_with(' ')
            && !matches!(
                value.to_ascii_lowercase().as_str(),
                "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "inf" | "nan"
            );
        let whole_number = value.bytes().all(|b| b.is_ascii_digit()) && !value.starts_with('0') && value.len() < 18;
        if !(word || whole_number) {
            return None;
        }
        fields.insert(key.to_string(), value.to_string());
    }
    Some(fields)
}

/// Any serialisable value as YAML text (what a fresh record file holds), every string
/// spelled so that any YAML reader reads it back as that string (`emit`).
pub fn to_string<T: Serialize>(value: &T) -> Result<String> {
    emit::to_string(&to_value(value)?)
}

pub fn to_value<T: Serialize>(value: &T) -> Result<Value> {
    serde_yaml::to_value(value).map_err(|e| Error::Refused(format!("cannot write YAML: {e}")))
}

/// Property: whatever the tool writes reads back as exactly what it meant to write, for
/// random records full of text YAML likes to misread (`yes`, `123`, `: `, `#`, quotes,
/// newlines, non-ASCII), both as a fresh file and after in-place edits.
#[cfg(test)]
mod roundtrip {
    use super::*;
    use crate::model::customer::{Contact, Customer, Entry, Flag, Section};
    use crate::sample::Rng;

    const FRAGMENTS: [&str; 44] = [
        "",
        " ",
        "yes",
        "no",
        "null",
        "~",
        "123",
        "-5",
        "1e3",
        "0x1F",
        ":",
        ": ",
        "- ",
        "#",
        " #x",
        "'",
        "\"",
        "\\",
        "\n",
        "\t",
        "{",
        "}",
        "[",
        "]",
        ",",
        "&a",
        "*a",
        "!tag",
        "|",
        ">",
        "%",
        "@",
        "`",
        "é",
        "日本",
        "🙂",
        "2026-11-22",
        "true",
        "=SUM(A1)",
        "  leading",
        "trailing  ",
        "a: b",
        "---",
        "...",
    ];

    fn text(rng: &mut Rng) -> String {
        (0..1 + rng.below(4)).map(|_| *rng.pick(&FRAGMENTS)).collect()
    }

    fn entry(rng: &mut Rng) -> Entry {
        Entry {
            text: text(rng),
            at: None,
            by: text(rng),
            incident: rng.chance(30).then(|| text(rng)),
            critical: rng.chance(30),
            retired: None,
        }
    }

    fn customer(rng: &mut Rng) -> Customer {
        Customer {
            id: "x".into(),
            name: text(rng),
            since: None,
            contact: Contact { email: rng.chance(50).then(|| text(rng)), phone: rng.chance(50).then(|| text(rng)) },
            lifetime_value: rng.chance(50).then(|| rng.below(100_000) as f64 / 4.0),
            roles: (0..rng.below(3)).map(|_| entry(rng)).collect(),
            goals: vec![],
            preferences: (0..rng.below(3)).map(|_| entry(rng)).collect(),
            notes: (0..rng.below(3)).map(|_| entry(rng)).collect(),
            missteps: vec![],
            flags: vec![],
            visits: vec![],
            reminders: vec![],
            folded: None,
        }
    }

    fn same(a: &Customer, b: &Customer) -> bool {
        serde_json::to_value(a).ok() == serde_json::to_value(b).ok()
    }

    #[test]
    fn every_record_the_tool_writes_reads_back_equal() {
        let path = Path::new("r.yaml");
        let mut rng = Rng::new(42);
        for round in 0..400 {
            let mut expected = customer(&mut rng);
            let written = to_string(&expected).expect("writes");
            let read: Customer = parse(path, &written).unwrap_or_else(|e| panic!("round {round}: {e}\n{written}"));
            assert!(same(&read, &expected), "round {round}:\n{written}");

            // Then edits in place, as `note` and `flag` make them.
            let mut doc = Doc::parse(path, &written).expect("parses");
            for _ in 0..1 + rng.below(4) {
                let section = *rng.pick(&Section::ALL);
                let e = entry(&mut rng);
                doc.push(section.key(), &e).expect("push");
                match section {
                    Section::Preference => expected.preferences.push(e),
                    Section::Role => expected.roles.push(e),
                    Section::Goal => expected.goals.push(e),
                    Section::Note => expected.notes.push(e),
                    Section::Misstep => expected.missteps.push(e),
                }
            }
            let flag = Flag {
                text: text(&mut rng),
                raised: None,
                by: text(&mut rng),
                incident: None,
                until: None,
                cleared: None,
                cleared_by: None,
            };
            doc.push("flags", &flag).expect("push");
            let who = text(&mut rng);
            doc.set_in_item("flags", 0, "cleared_by", &who).expect("set");
            expected.flags.push(Flag { cleared_by: Some(who), ..flag });
            let rendered = doc.render().expect("renders");
            let read: Customer = parse(path, &rendered).unwrap_or_else(|e| panic!("round {round}: {e}\n{rendered}"));
            assert!(same(&read, &expected), "round {round}:\n{rendered}");
            let mut kept = written.lines();
            let mut want = kept.next();
            for line in rendered.lines() {
                if Some(line) == want {
                    want = kept.next();
                }
            }
            assert!(want.is_none(), "round {round}: an edit changed a line it did not own\n{written}\n---\n{rendered}");
        }
    }

    /// Hand-written files in flow style get flow-style entries; whatever the text, the
    /// edit is made in place (never the refused canonical rewrite) and reads back equal.
    #[test]
    fn flow_style_edits_stay_in_place_whatever_the_text() {
        let path = Path::new("f.yaml");
        let mut rng = Rng::new(7);
        let hand = "# by hand\nid: x\nname: X\nnotes:\n  - {text: seed, by: joan}\nflags:\n  - {text: f, by: dale}\n";
        for round in 0..400 {
            let mut doc = Doc::parse(path, hand).expect("parses");
            let mut expected: Customer = parse(path, hand).expect("parses");
            for _ in 0..1 + rng.below(3) {
                let e = entry(&mut rng);
                doc.push("notes", &e).expect("push");
                expected.notes.push(e);
            }
            let who = text(&mut rng);
            doc.set_in_item("flags", 0, "cleared_by", &who).expect("set");
            expected.flags[0].cleared_by = Some(who);
            let rendered = doc.rendered().expect("renders");
            assert!(!rendered.relayout, "round {round}: not edited in place\n{}", rendered.text);
            let read: Customer = parse(path, &rendered.text).unwrap_or_else(|e| panic!("round {round}: {e}"));
            assert!(same(&read, &expected), "round {round}:\n{}", rendered.text);
            assert!(rendered.text.starts_with("# by hand\nid: x\nname: X\nnotes:\n  - {text: seed, by: joan}\n"));
        }
    }

    #[test]
    fn visits_and_reminders_as_care_writes_them_take_the_fast_path() {
        // 500,000 visits through serde_yaml would make every book-wide list slow.
        let visits = "id: a\nname: A\nvisits:\n- at: 2026-11-24T19:30:00-05:00\n  by: joan\n  spend: 80\n  party: 2\n  \
                      location: downtown\n- at: 2026-11-25T19:30:00-05:00\n  spend: 12.5\n";
        let c = fast::from_str::<crate::model::Customer>(visits).expect("the fast reader takes visits");
        assert_eq!(c.visits.len(), 2);
        let reminders = "id: a\nname: A\nreminders:\n- text: Birthday\n  due: 2027-03-14T09:00:00-04:00\n  every: 1y\n  \
                         done:\n  - for: 2026-03-14T09:00:00-04:00\n    at: 2026-03-14T10:00:00-04:00\n";
        let c = fast::from_str::<crate::model::Customer>(reminders).expect("the fast reader takes reminders");
        assert_eq!(c.reminders[0].done.len(), 1);
        assert!(crate::model::fast_path_agrees(visits) && crate::model::fast_path_agrees(reminders));
        // A phone number as `care customer add --phone` writes it.
        let phone = "id: a\nname: A\ncontact:\n  email: a@example.com\n  phone: +1 555 0100\n";
        let c = fast::from_str::<crate::model::Customer>(phone).expect("the fast reader takes a phone number");
        assert_eq!(c.contact.phone.as_deref(), Some("+1 555 0100"));
        assert!(crate::model::fast_path_agrees(phone));
    }
}
