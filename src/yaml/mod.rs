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

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{DataKind, Error, Result};

mod bounds;
mod fast;

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

/// For the fuzz target and tests: true unless the fast reader gives a record that differs
/// from what serde_yaml makes of the same text (declining is always fine).
pub fn fast_path_agrees(text: &str) -> bool {
    fn agrees<T: DeserializeOwned + Serialize>(text: &str) -> bool {
        match fast::from_str::<T>(text) {
            None => true,
            Some(fast) => serde_yaml::from_str::<T>(text)
                .is_ok_and(|slow| serde_json::to_value(&fast).ok() == serde_json::to_value(&slow).ok()),
        }
    }
    agrees::<crate::model::Incident>(text) && agrees::<crate::model::Customer>(text) && agrees::<Value>(text)
}

/// Parse a record into its typed value and its other top-level scalar fields (those not
/// in `known`). The fields are read off the text's top-level lines when each is plainly
/// `key: word` (as the tool writes them); otherwise the YAML is parsed again, as a tree,
/// to be exact.
pub fn parse_with_fields<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    known: &[&str],
) -> Result<(T, BTreeMap<String, String>)> {
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

/// Any serialisable value as YAML text (what a fresh record file holds).
pub fn to_string<T: Serialize>(value: &T) -> Result<String> {
    serde_yaml::to_string(value).map_err(|e| Error::Refused(format!("cannot write YAML: {e}")))
}

pub fn to_value<T: Serialize>(value: &T) -> Result<Value> {
    serde_yaml::to_value(value).map_err(|e| Error::Refused(format!("cannot write YAML: {e}")))
}

/// One change to a document, kept so it can be replayed on the file's own text.
#[derive(Debug, Clone)]
enum Edit {
    /// Append an entry to the list under a top-level key (creating the key).
    Push { key: String, entry: Value },
    /// Add a field to entry `index` of the list under a top-level key.
    SetInItem { key: String, index: usize, field: String, value: Value },
    /// Set a top-level field.
    SetTop { key: String, value: Value },
    /// Set a field of the mapping under a top-level key (creating the mapping).
    SetInMap { key: String, field: String, value: Value },
}

/// A record file open for editing: its text, its value, and the edits made so far.
#[derive(Debug, Clone)]
pub struct Doc {
    /// The text without its byte-order mark, if it had one (`bom`): edits work on lines of
    /// YAML, and the mark goes back in front of whatever is written, so rewriting a file
    /// saved by a Windows editor changes only what the edits change.
    text: String,
    bom: bool,
    value: Mapping,
    edits: Vec<Edit>,
}

impl Doc {
    /// Parse a file's text; the top level must be a mapping.
    pub fn parse(path: &Path, text: &str) -> Result<Doc> {
        let value: Value = parse(path, text)?;
        let bom = text.starts_with(BOM);
        match value {
            Value::Mapping(value) => Ok(Doc { text: without_bom(text).to_string(), bom, value, edits: Vec::new() }),
            _ => Err(Error::data(path, 1, 1, "expected a mapping of fields (like `name: Ada`) at the top level")),
        }
    }

    /// A new document from a typed record.
    pub fn new<T: Serialize>(record: &T) -> Result<Doc> {
        let text = to_string(record)?;
        match to_value(record)? {
            Value::Mapping(value) => Ok(Doc { text, bom: false, value, edits: Vec::new() }),
            _ => Err(Error::Refused("a record must serialise to a mapping".into())),
        }
    }

    pub fn value(&self) -> &Mapping {
        &self.value
    }

    /// Append `entry` to the list under `key`, creating the list if needed.
    pub fn push<T: Serialize>(&mut self, key: &str, entry: &T) -> Result<()> {
        let entry = to_value(entry)?;
        let slot = self.value.entry(Value::from(key)).or_insert_with(|| Value::Sequence(Vec::new()));
        match slot {
            Value::Sequence(items) => items.push(entry.clone()),
            Value::Null => *slot = Value::Sequence(vec![entry.clone()]),
            _ => {
                return Err(Error::Refused(format!("`{key}` is not a list in this record; fix it by hand first")));
            }
        }
        self.edits.push(Edit::Push { key: key.to_string(), entry });
        Ok(())
    }

    /// Set `field` on entry `index` of the list under `key`.
    pub fn set_in_item<T: Serialize>(&mut self, key: &str, index: usize, field: &str, value: &T) -> Result<()> {
        let value = to_value(value)?;
        let item = self
            .value
            .get_mut(key)
            .and_then(|list| list.get_mut(index))
            .and_then(Value::as_mapping_mut)
            .ok_or_else(|| Error::Refused(format!("`{key}` has no entry {}", index + 1)))?;
        item.insert(Value::from(field), value.clone());
        self.edits.push(Edit::SetInItem { key: key.to_string(), index, field: field.to_string(), value });
        Ok(())
    }

    /// Set a top-level field (replacing its value, or adding it at the end).
    pub fn set<T: Serialize>(&mut self, key: &str, value: &T) -> Result<()> {
        let value = to_value(value)?;
        self.value.insert(Value::from(key), value.clone());
        self.edits.push(Edit::SetTop { key: key.to_string(), value });
        Ok(())
    }

    /// Set `field` in the mapping under top-level `key`, creating the mapping if needed.
    pub fn set_in_map<T: Serialize>(&mut self, key: &str, field: &str, value: &T) -> Result<()> {
        let value = to_value(value)?;
        let slot = self.value.entry(Value::from(key)).or_insert_with(|| Value::Mapping(Mapping::new()));
        if slot.is_null() {
            *slot = Value::Mapping(Mapping::new());
        }
        let map = slot
            .as_mapping_mut()
            .ok_or_else(|| Error::Refused(format!("`{key}` is not a mapping in this record; fix it by hand first")))?;
        map.insert(Value::from(field), value.clone());
        self.edits.push(Edit::SetInMap { key: key.to_string(), field: field.to_string(), value });
        Ok(())
    }

    /// The text to write: the file's own text with the edits applied when that reproduces
    /// the intended value exactly, else the canonical rendering of the value.
    pub fn render(&self) -> Result<String> {
        Ok(self.rendered()?.text)
    }

    /// The text to write, and whether writing it changes more of the file than the edits
    /// own (the caller decides whether that is allowed).
    pub fn rendered(&self) -> Result<Rendered> {
        let mut rendered = self.rendered_without_bom()?;
        if self.bom {
            rendered.text.insert(0, BOM);
        }
        Ok(rendered)
    }

    fn rendered_without_bom(&self) -> Result<Rendered> {
        let faithful = |text: String| Rendered { text, relayout: false, loses_comments: false };
        if self.edits.is_empty() {
            return Ok(faithful(self.text.clone()));
        }
        if let Some(text) = self.render_in_place() {
            return Ok(faithful(text));
        }
        let text = to_string(&self.value)?;
        // A file already in canonical form (as the tool writes it) keeps its layout anyway.
        let canonical_before = serde_yaml::from_str::<Value>(&self.text)
            .ok()
            .and_then(|v| serde_yaml::to_string(&v).ok())
            .is_some_and(|c| c == self.text);
        let loses_comments = self.text.lines().any(|l| l.trim_start().starts_with('#') || l.contains(" #"));
        Ok(Rendered { text, relayout: !canonical_before, loses_comments })
    }

    fn render_in_place(&self) -> Option<String> {
        let mut lines: Vec<String> = self.text.lines().map(str::to_string).collect();
        for edit in &self.edits {
            match edit {
                Edit::Push { key, entry } => push_lines(&mut lines, key, entry, self.value.get(key.as_str())?)?,
                Edit::SetInItem { key, index, field, value } => {
                    set_lines(&mut lines, key, *index, field, value, self.value.get(key.as_str())?)?
                }
                Edit::SetInMap { key, field, value } => {
                    map_lines(&mut lines, key, field, value, self.value.get(key.as_str())?)?
                }
                Edit::SetTop { key, value } => top_lines(&mut lines, key, value)?,
            }
        }
        // A file saved with Windows line ends keeps them: otherwise every line would change.
        let eol = if self.text.contains("\r\n") { "\r\n" } else { "\n" };
        let mut text = lines.join(eol);
        text.push_str(eol);
        let reparsed: Value = serde_yaml::from_str(&text).ok()?;
        (reparsed.as_mapping() == Some(&self.value)).then_some(text)
    }
}

/// What a `Doc` will write.
#[derive(Debug)]
pub struct Rendered {
    pub text: String,
    /// The edits could not be replayed on the file's own text, so the whole file is
    /// rewritten in canonical form, changing lines that no edit owns.
    pub relayout: bool,
    /// The old text had comments, which a canonical rewrite cannot keep.
    pub loses_comments: bool,
}

/// YAML lines for `value`, each indented by `indent` spaces.
fn indented(value: &Value, indent: usize) -> Option<Vec<String>> {
    let text = serde_yaml::to_string(value).ok()?;
    Some(text.lines().map(|l| format!("{}{l}", " ".repeat(indent))).collect())
}

/// `value` on one line in flow style (`{text: a, by: joan}`), the way hand-written records
/// often hold their entries, so a new entry looks like its neighbours. Like every edit,
/// the result is verified by parsing it again.
fn flow(value: &Value) -> Option<String> {
    Some(match value {
        Value::Mapping(map) => {
            let fields: Option<Vec<String>> =
                map.iter().map(|(k, v)| Some(format!("{}: {}", flow(k)?, flow(v)?))).collect();
            format!("{{{}}}", fields?.join(", "))
        }
        Value::Sequence(items) => format!("[{}]", items.iter().map(flow).collect::<Option<Vec<_>>>()?.join(", ")),
        Value::String(s) => flow_string(s)?,
        Value::Tagged(_) => return None,
        scalar => serde_yaml::to_string(scalar).ok()?.trim_end().to_string(),
    })
}

/// A string as a flow scalar: plain when block style would write it plain and it holds
/// none of flow style's own punctuation, else double-quoted (a JSON string is valid YAML).
fn flow_string(s: &str) -> Option<String> {
    let block = serde_yaml::to_string(s).ok()?;
    let plain = block.strip_suffix('\n') == Some(s)
        && s.starts_with(char::is_alphanumeric)
        && !s.contains([',', '[', ']', '{', '}', '#'])
        && !s.contains(": ")
        && !s.ends_with(':');
    if plain { Some(s.to_string()) } else { serde_json::to_string(s).ok() }
}

/// True when text after `- ` or `key:` opens a flow collection.
fn is_flow(rest: &str) -> bool {
    let rest = rest.trim_start();
    rest.starts_with('{') || rest.starts_with('[')
}

fn leading_spaces(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A line that holds YAML, not just a comment or blank space.
fn holds_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// The line holding top-level `key:`, and the end (exclusive) of its block's content.
fn find_block(lines: &[String], key: &str) -> Option<(usize, usize)> {
    let head = lines.iter().position(|l| {
        l.strip_prefix(key).and_then(|rest| rest.strip_prefix(':')).is_some_and(|rest| {
            let rest = rest.trim();
            rest.is_empty() || rest.starts_with('#') || rest == "[]" || rest == "{}"
        })
    })?;
    let mut end = head + 1;
    for (i, line) in lines.iter().enumerate().skip(head + 1) {
        let content = !line.trim().is_empty() && !line.starts_with('#');
        if content && !(line.starts_with(' ') || line.starts_with('-')) {
            break;
        }
        if content {
            end = i + 1;
        }
    }
    Some((head, end))
}

/// The line of a top-level `key: {…}` or `key: […]` written whole on one line. Such a
/// value is edited by writing that one line again, in the same style.
fn inline_head(lines: &[String], key: &str) -> Option<usize> {
    let head = lines.iter().position(|l| l.strip_prefix(key).is_some_and(|rest| rest.starts_with(':')))?;
    let rest = lines[head][key.len() + 1..].trim();
    let whole = (rest.starts_with('{') && rest.ends_with('}')) || (rest.starts_with('[') && rest.ends_with(']'));
    (whole && rest != "{}" && rest != "[]").then_some(head)
}

/// Start lines of the list items in a block, and the indentation of their dashes.
fn item_starts(lines: &[String], head: usize, end: usize) -> (Vec<usize>, Option<usize>) {
    let dash = lines[head + 1..end].iter().find(|l| l.trim_start().starts_with('-')).map(|l| leading_spaces(l));
    let starts = (head + 1..end)
        .filter(|&i| Some(leading_spaces(&lines[i])) == dash && lines[i].trim_start().starts_with('-'))
        .collect();
    (starts, dash)
}

/// Whether the list item starting on `line` is written in flow style (`- {text: …}`).
fn flow_item(line: &str) -> bool {
    line.trim_start().strip_prefix('-').is_some_and(is_flow)
}

fn push_lines(lines: &mut Vec<String>, key: &str, entry: &Value, list: &Value) -> Option<()> {
    if let Some(head) = inline_head(lines, key) {
        lines[head] = format!("{key}: {}", flow(list)?);
        return Some(());
    }
    let item = Value::Sequence(vec![entry.clone()]);
    match find_block(lines, key) {
        None => {
            while lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.pop();
            }
            lines.push(format!("{key}:"));
            lines.extend(indented(&item, 0)?);
        }
        Some((head, end)) => {
            if lines[head].trim_end().ends_with("[]") {
                lines[head] = format!("{key}:");
            }
            let (starts, dash) = item_starts(lines, head, end);
            let dash = dash.unwrap_or(0);
            let new = if starts.last().is_some_and(|&s| flow_item(&lines[s])) {
                vec![format!("{}- {}", " ".repeat(dash), flow(entry)?)]
            } else {
                indented(&item, dash)?
            };
            lines.splice(end..end, new);
        }
    }
    Some(())
}

fn set_lines(lines: &mut Vec<String>, key: &str, index: usize, field: &str, value: &Value, list: &Value) -> Option<()> {
    if let Some(head) = inline_head(lines, key) {
        lines[head] = format!("{key}: {}", flow(list)?);
        return Some(());
    }
    let (head, end) = find_block(lines, key)?;
    let (starts, dash) = item_starts(lines, head, end);
    let start = *starts.get(index)?;
    let stop = starts.get(index + 1).copied().unwrap_or(end);
    let last = (start..stop).rev().find(|&i| holds_content(&lines[i]))?;
    if flow_item(&lines[start]) {
        // A flow-style entry has no line of its own for the field: the entry's lines are
        // written again as one, in the same style, and every other line stays.
        if !lines[last].trim_end().ends_with('}') {
            return None;
        }
        let entry = format!("{}- {}", " ".repeat(dash?), flow(list.get(index)?)?);
        lines.splice(start..=last, [entry]);
        return Some(());
    }
    let after_dash = lines[start].trim_start().strip_prefix('-')?;
    let field_indent = dash? + 1 + (after_dash.len() - after_dash.trim_start().len());
    let mut single = Mapping::new();
    single.insert(Value::from(field), value.clone());
    let new = indented(&Value::Mapping(single), field_indent)?;
    lines.splice(last + 1..last + 1, new);
    Some(())
}

/// Replace a one-line top-level `key: value`, or add it at the end.
fn top_lines(lines: &mut Vec<String>, key: &str, value: &Value) -> Option<()> {
    let mut single = Mapping::new();
    single.insert(Value::from(key), value.clone());
    let new = indented(&Value::Mapping(single), 0)?;
    let prefix = format!("{key}:");
    match lines.iter().position(|l| l.starts_with(&prefix)) {
        Some(at) => {
            let next_is_child = lines.get(at + 1).is_some_and(|l| l.starts_with(' ') || l.starts_with('-'));
            if next_is_child {
                return None;
            }
            lines.splice(at..at + 1, new);
        }
        None => {
            while lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.pop();
            }
            lines.extend(new);
        }
    }
    Some(())
}

fn map_lines(lines: &mut Vec<String>, key: &str, field: &str, value: &Value, map: &Value) -> Option<()> {
    if let Some(head) = inline_head(lines, key) {
        lines[head] = format!("{key}: {}", flow(map)?);
        return Some(());
    }
    let mut single = Mapping::new();
    single.insert(Value::from(field), value.clone());
    let single = Value::Mapping(single);
    let Some((head, end)) = find_block(lines, key) else {
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        lines.push(format!("{key}:"));
        lines.extend(indented(&single, 2)?);
        return Some(());
    };
    if lines[head].trim_end().ends_with("[]") {
        return None;
    }
    if lines[head].trim_end().ends_with("{}") {
        lines[head] = format!("{key}:");
        lines.splice(head + 1..head + 1, indented(&single, 2)?);
        return Some(());
    }
    let indent = lines[head + 1..end].iter().find(|l| holds_content(l)).map_or(2, |l| leading_spaces(l));
    if indent == 0 {
        return None;
    }
    let fields: Vec<usize> =
        (head + 1..end).filter(|&i| holds_content(&lines[i]) && leading_spaces(&lines[i]) == indent).collect();
    // A new field takes the style of its neighbours (`apologized: {at: …, by: joan}`).
    let flow_style = fields.last().is_some_and(|&i| lines[i].split_once(':').is_some_and(|(_, rest)| is_flow(rest)));
    let new = if flow_style && (value.is_mapping() || value.is_sequence()) {
        vec![format!("{}{}: {}", " ".repeat(indent), flow(&Value::from(field))?, flow(value)?)]
    } else {
        indented(&single, indent)?
    };
    let name = |i: usize| lines[i].trim_start().split_once(':').map(|(k, _)| k.trim().to_string());
    match fields.iter().position(|&i| name(i).as_deref() == Some(field)) {
        // An amended field replaces its own lines.
        Some(n) => {
            let from = fields[n];
            let to = fields.get(n + 1).copied().unwrap_or(end);
            let last = (from..to).rev().find(|&i| holds_content(&lines[i]))?;
            lines.splice(from..=last, new);
        }
        None => {
            lines.splice(end..end, new);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Doc {
        Doc::parse(Path::new("t.yaml"), text).expect("parses")
    }

    fn note(text: &str) -> Value {
        let mut m = Mapping::new();
        m.insert("text".into(), text.into());
        m.insert("by".into(), "joan".into());
        Value::Mapping(m)
    }

    #[test]
    fn push_appends_only_the_new_lines() {
        let before = "# Ada\nid: ada\nnotes:\n- text: one\n  by: dale\n# trailing\nname: Ada  # her name\n";
        let mut d = doc(before);
        d.push("notes", &note("two")).expect("push");
        let after = d.render().expect("render");
        assert_eq!(
            after,
            "# Ada\nid: ada\nnotes:\n- text: one\n  by: dale\n- text: two\n  by: joan\n# trailing\nname: Ada  # her name\n"
        );
    }

    #[test]
    fn push_creates_a_missing_list_and_keeps_indented_style() {
        let mut d = doc("id: ada\nroles:\n  - text: one\n");
        d.push("notes", &note("n")).expect("push");
        d.push("roles", &note("r")).expect("push");
        assert_eq!(
            d.render().expect("render"),
            "id: ada\nroles:\n  - text: one\n  - text: r\n    by: joan\nnotes:\n- text: n\n  by: joan\n"
        );
    }

    #[test]
    fn set_in_item_adds_a_field_to_one_entry() {
        let mut d = doc("flags:\n- text: a\n  by: joan\n- {text: b, by: dale}\nname: x\n");
        d.set_in_item("flags", 0, "cleared", &"2026-11-22").expect("set");
        assert_eq!(
            d.render().expect("render"),
            "flags:\n- text: a\n  by: joan\n  cleared: 2026-11-22\n- {text: b, by: dale}\nname: x\n"
        );
    }

    #[test]
    fn set_in_map_adds_a_field_under_its_key() {
        let mut d = doc("id: x\nrecovery:\n  apologized: {at: a, by: joan}\nfollowups: []\n");
        d.set_in_map("recovery", "reviewed", &"b").expect("set");
        d.push("followups", &note("f")).expect("push");
        assert_eq!(
            d.render().expect("render"),
            "id: x\nrecovery:\n  apologized: {at: a, by: joan}\n  reviewed: b\nfollowups:\n- text: f\n  by: joan\n"
        );
        let mut d = doc("id: x\nrecovery: {}\nz: 1\n");
        d.set_in_map("recovery", "fixed", &"c").expect("set");
        assert_eq!(d.render().expect("render"), "id: x\nrecovery:\n  fixed: c\nz: 1\n");
        let mut d = doc("id: x\n");
        d.set_in_map("recovery", "fixed", &"c").expect("set");
        assert_eq!(d.render().expect("render"), "id: x\nrecovery:\n  fixed: c\n");
        // Replacing a field cannot be an append: the canonical form is written, correctly.
        let mut d = doc("id: x\nrecovery:\n  fixed: c\n");
        d.set_in_map("recovery", "fixed", &"d").expect("set");
        assert_eq!(d.render().expect("render"), "id: x\nrecovery:\n  fixed: d\n");
    }

    #[test]
    fn set_replaces_one_line_and_keeps_the_rest() {
        let mut d = doc("# hand-made\nid: x\nname: Old  # comment\nz: 1\n");
        d.set("name", &"New").expect("set");
        d.set("table", &12).expect("set");
        assert_eq!(d.render().expect("render"), "# hand-made\nid: x\nname: New\nz: 1\ntable: 12\n");
    }

    #[test]
    fn flow_style_falls_back_to_a_canonical_rewrite_that_keeps_every_field() {
        let mut d = doc("{id: ada, odd: [1, 2], flags: [{text: b, by: dale}]}\n");
        d.set_in_item("flags", 0, "cleared", &"x").expect("set");
        let out = d.render().expect("render");
        let v: Value = serde_yaml::from_str(&out).expect("valid");
        assert_eq!(v["odd"][1], Value::from(2));
        assert_eq!(v["flags"][0]["cleared"], Value::from("x"));
        assert_eq!(v["flags"][0]["text"], Value::from("b"));
    }

    #[test]
    fn flow_style_entries_get_flow_style_neighbours_and_edits_of_their_own_line() {
        let before = "# hand-made\nnotes:\n  - {text: one, at: 2026-10-02T19:15:00-04:00, by: joan}\n\
                      flags:\n  - {text: a, by: joan}  \n  - {text: b, by: dale}\nname: x  # hers\n";
        let mut d = doc(before);
        d.push("notes", &note("two: yes, really")).expect("push");
        d.set_in_item("flags", 0, "cleared", &"2026-11-23").expect("set");
        assert_eq!(
            d.render().expect("render"),
            "# hand-made\nnotes:\n  - {text: one, at: 2026-10-02T19:15:00-04:00, by: joan}\n\
             \x20 - {text: \"two: yes, really\", by: joan}\n\
             flags:\n  - {text: a, by: joan, cleared: 2026-11-23}\n  - {text: b, by: dale}\nname: x  # hers\n"
        );
        assert!(!d.rendered().expect("render").relayout);
    }

    #[test]
    fn recovery_steps_and_follow_ups_in_flow_style_are_edited_in_place() {
        let before = "recovery:\n  apologized: {at: a, by: joan}   # at the table\n\
                      followups:\n  - {kind: progress, due: d1}\n  - {kind: check-in, due: d2}\n";
        let mut d = doc(before);
        let step = |at: &str| {
            let mut m = Mapping::new();
            m.insert("at".into(), at.into());
            m.insert("by".into(), "joan".into());
            Value::Mapping(m)
        };
        d.set_in_map("recovery", "reviewed", &step("b")).expect("set");
        d.set_in_map("recovery", "apologized", &step("a2")).expect("amend");
        d.set_in_item("followups", 0, "done", &step("c")).expect("done");
        assert_eq!(
            d.render().expect("render"),
            "recovery:\n  apologized: {at: a2, by: joan}\n  reviewed: {at: b, by: joan}\n\
             followups:\n  - {kind: progress, due: d1, done: {at: c, by: joan}}\n  - {kind: check-in, due: d2}\n"
        );
    }

    #[test]
    fn one_line_flow_values_are_rewritten_on_their_line() {
        let mut d = doc("id: x\ncontact: {email: a@x}\ntags: [a, b]\nz: 1\n");
        d.set_in_map("contact", "phone", &"+1 555 0100").expect("set");
        d.push("tags", &"c, d").expect("push");
        assert_eq!(
            d.render().expect("render"),
            "id: x\ncontact: {email: a@x, phone: \"+1 555 0100\"}\ntags: [a, b, \"c, d\"]\nz: 1\n"
        );
    }

    #[test]
    fn a_rewrite_that_changes_the_layout_is_flagged_but_one_of_a_canonical_file_is_not() {
        let mut d = doc("{id: ada, notes: [{text: a}]}  # all on one line\n");
        d.set("contact", &Mapping::new()).expect("set");
        d.set_in_item("notes", 0, "by", &"joan").expect("set");
        let r = d.rendered().expect("render");
        assert!(r.relayout && r.loses_comments);
        let mut d = doc("id: ada\ncontact:\n  email: a\n");
        d.set("contact", &"none").expect("set");
        let r = d.rendered().expect("render");
        assert_eq!((r.relayout, r.text.as_str()), (false, "id: ada\ncontact: none\n"));
    }

    #[test]
    fn windows_line_ends_are_kept() {
        let mut d = doc("id: x\r\nnotes:\r\n- text: a\r\n");
        d.push("notes", &note("b")).expect("push");
        assert_eq!(d.render().expect("render"), "id: x\r\nnotes:\r\n- text: a\r\n- text: b\r\n  by: joan\r\n");
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = parse::<Value>(Path::new("c.yaml"), "id: a\nname: [unclosed\n").expect_err("broken");
        let msg = err.to_string();
        assert!(msg.starts_with("c.yaml:"), "{msg}");
        assert!(!msg.contains(" at line "), "{msg}");
    }

    #[test]
    fn plain_top_level_fields_match_the_tree_walk_or_step_aside() {
        let simple = "id: 20261122-k7f3qz\nregion: midwest\nbusyness: 95\nopened: 2026-11-22T15:32:00-05:00\n\
                      tags: [a]\nrecovery:\n  fixed: {at: x}\nfollowups:\n- kind: progress\n";
        let known = ["id", "opened"];
        let quick = plain_top_level(simple, &known).expect("simple");
        let mut tree = scalar_fields(Path::new("t"), simple).expect("valid");
        tree.retain(|k, _| !known.contains(&k.as_str()));
        assert_eq!(quick, tree);
        for tricky in
            ["a: 'quoted'\n", "a: yes\n", "a: 007\n", "a: 1.5\n", "a: x # c\n", "a: &x y\n", "? a\n", "a: \"q\"\n"]
        {
            assert_eq!(plain_top_level(tricky, &known), None, "{tricky:?}");
        }
    }

    #[test]
    fn oversized_text_is_refused_before_parsing() {
        let big = "a: ".to_string() + &"x".repeat(MAX_BYTES);
        assert!(parse::<Value>(Path::new("big.yaml"), &big).is_err());
    }
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
        assert!(fast_path_agrees(visits) && fast_path_agrees(reminders));
    }
}
