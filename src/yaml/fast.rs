//! A fast reader for the plain YAML records are written in (block mappings and sequences,
//! plain and quoted one-line scalars, and one-line flow collections such as
//! `apologized: {at: …, by: joan}` or `tags: [a, b]`, the style docs/format.md shows), so
//! that reading 100,000 records does not cost 100,000 runs of a general YAML parser.
//!
//! It is a shortcut, never a second opinion: it accepts only text whose meaning it is sure
//! of, and answers `None` for anything else — anchors, tags, block scalars, flow
//! collections over several lines or with quoted or complex keys, comments after values,
//! tabs, unusual numbers, duplicate keys, any typed value it cannot convert exactly as
//! serde_yaml would. The caller then parses with serde_yaml, which also
//! gives the located error messages. Differential tests and the fuzz target hold the two
//! to the same answers.

mod flow;

use super::Value;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

/// Parse `text` as `T` if it is in the plain subset; `None` means "ask serde_yaml".
pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    let node = parse(text)?;
    T::deserialize(&node).ok()
}

/// `from_str`, and the top-level fields not in `known` whose values are scalars, as text
/// (what `yaml::scalar_fields` makes of them); `None` if either is not certain.
pub fn from_str_with_fields<T: DeserializeOwned>(text: &str, known: &[&str]) -> Option<(T, BTreeMap<String, String>)> {
    let node = parse(text)?;
    let record = T::deserialize(&node).ok()?;
    let Node::Map(entries) = &node else { return None };
    let mut fields = BTreeMap::new();
    for (key, value) in entries.iter().filter(|(k, _)| !known.contains(k)) {
        if !matches!(value, Node::Scalar(..)) {
            continue;
        }
        // The value as serde_yaml's tree would hold it (the differential tests hold the
        // two alike), then as `scalar_fields` writes it.
        let text = match Value::deserialize(value).ok()? {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        fields.insert(key.to_string(), text);
    }
    Some((record, fields))
}

#[derive(Debug, PartialEq)]
enum Node<'a> {
    Map(Vec<(&'a str, Node<'a>)>),
    Seq(Vec<Node<'a>>),
    /// A scalar's text, and whether it was plain (unquoted): only plain ones can be
    /// null, booleans or numbers.
    Scalar(Cow<'a, str>, bool),
}

struct Lines<'a> {
    lines: Vec<(usize, &'a str)>,
    pos: usize,
    /// Collections open around the current line: deeper than `MAX_DEPTH` is declined, so
    /// that serde_yaml's path refuses it with the same message as any other deep text.
    depth: usize,
}

fn parse(text: &str) -> Option<Node<'_>> {
    // One pass over the bytes: each line's indentation and content, blank and comment
    // lines skipped, and whether any byte is other than printable ASCII (then the text is
    // checked again, character by character, at the end).
    let bytes = text.as_bytes();
    let mut lines = Vec::with_capacity(bytes.len() / 24 + 1);
    let mut odd = false;
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        while at < bytes.len() && bytes[at] == b' ' {
            at += 1;
        }
        let content = at;
        while at < bytes.len() && bytes[at] != b'\n' {
            odd |= !(b' '..=b'~').contains(&bytes[at]);
            at += 1;
        }
        let mut end = at;
        at += 1;
        while end > content && bytes[end - 1] == b' ' {
            end -= 1;
        }
        match bytes.get(content) {
            _ if content == end => continue,
            Some(b'#') => continue,
            // `---`, `...` and `%` open document markers and directives, but only at the
            // start of a line.
            Some(b'-' | b'.' | b'%') if content == start => {
                let line = &bytes[start..];
                if line.starts_with(b"---") || line.starts_with(b"...") || line[0] == b'%' {
                    return None;
                }
            }
            _ => {}
        }
        lines.push((content - start, &text[content..end]));
    }
    if odd && !printable(text) {
        return None;
    }
    let mut l = Lines { lines, pos: 0, depth: 0 };
    if l.lines.is_empty() || l.lines[0].0 != 0 {
        return None;
    }
    let node = block(&mut l, 0)?;
    (l.pos == l.lines.len()).then_some(node)
}

/// Only YAML's printable characters, less tab, CR and what YAML 1.1 may take for a line
/// break (NEL, U+2028, U+2029). The fuzzer found a NUL in a comment: an error to
/// serde_yaml, so it must not be skipped here. ASCII text, nearly every record, is
/// checked a byte at a time without decoding.
fn printable(text: &str) -> bool {
    let ascii = |b: u8| b == b'\n' || (b' '..=b'~').contains(&b);
    if text.bytes().all(ascii) {
        return true;
    }
    text.chars().all(|c| {
        matches!(c, '\n' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
            && !matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
    })
}

fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

fn block<'a>(l: &mut Lines<'a>, indent: usize) -> Option<Node<'a>> {
    if is_item(l.lines.get(l.pos)?.1) { seq(l, indent) } else { map(l, indent) }
}

/// `key: value` or `key:` (value below); keys are plain words.
fn split_key(content: &str) -> Option<(&str, &str)> {
    // The key is the run of key bytes; a colon must end it, then a space or the line.
    let bytes = content.as_bytes();
    let end = bytes.iter().position(|&b| !is_key_byte(b)).unwrap_or(bytes.len());
    let key = &content[..end];
    let rest = match bytes.get(end..end + 2) {
        // Several spaces may follow the colon (found by the fuzzer).
        Some(b": ") => content[end + 2..].trim_start_matches(' '),
        _ if end + 1 == bytes.len() && bytes[end] == b':' => "",
        _ => return None,
    };
    simple_key(key).then_some((key, rest))
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// A key YAML could read as anything but text (`1`, `true`, `null`) is declined.
fn simple_key(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && key.bytes().all(is_key_byte) && !reserved(key)
}

/// Plain words YAML (1.1 or 1.2) may read as something other than text.
const RESERVED: [&str; 12] = ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "inf", "nan", "nul"];

/// One of `RESERVED`, in any case.
fn reserved(word: &str) -> bool {
    word.len() <= 5 && RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// One level deeper, or None past the limit; the caller steps back out on success (a
/// decline abandons the whole parse, so it need not).
fn enter(l: &mut Lines<'_>) -> Option<()> {
    l.depth += 1;
    (l.depth <= super::MAX_DEPTH).then_some(())
}

fn map<'a>(l: &mut Lines<'a>, indent: usize) -> Option<Node<'a>> {
    enter(l)?;
    let mut entries: Vec<(&'a str, Node<'a>)> = Vec::new();
    let mut keys = None;
    while let Some(&(at, content)) = l.lines.get(l.pos) {
        if at < indent {
            break;
        }
        if at > indent || is_item(content) {
            return None;
        }
        let (key, rest) = split_key(content)?;
        if duplicate(&entries, &mut keys, key) {
            return None;
        }
        l.pos += 1;
        let value = if !rest.is_empty() {
            scalar(rest, l.depth)?
        } else {
            match l.lines.get(l.pos) {
                Some(&(next, _)) if next > indent => block(l, next)?,
                Some(&(next, below)) if next == indent && is_item(below) => seq(l, indent)?,
                _ => Node::Scalar(Cow::Borrowed(""), true),
            }
        };
        entries.push((key, value));
    }
    l.depth -= 1;
    Some(Node::Map(entries))
}

/// Duplicate keys are declined; past a few keys a set finds them, so that a file of
/// 100,000 keys is not 5 billion comparisons.
fn duplicate<'a>(entries: &[(&'a str, Node<'a>)], keys: &mut Option<HashSet<&'a str>>, key: &'a str) -> bool {
    match keys {
        Some(keys) => !keys.insert(key),
        // Keys are never empty (`simple_key`); most differ in their first byte.
        None if entries.len() < 32 => entries.iter().any(|(k, _)| k.as_bytes()[0] == key.as_bytes()[0] && *k == key),
        None => {
            let set = keys.insert(entries.iter().map(|(k, _)| *k).collect());
            !set.insert(key)
        }
    }
}

fn seq<'a>(l: &mut Lines<'a>, indent: usize) -> Option<Node<'a>> {
    enter(l)?;
    let mut items = Vec::new();
    while let Some(&(at, content)) = l.lines.get(l.pos) {
        if at != indent || !is_item(content) {
            if at > indent {
                return None;
            }
            break;
        }
        let rest = content.strip_prefix("- ")?.trim_start_matches(' ');
        let inner = indent + (content.len() - rest.len());
        if split_key(rest).is_some() {
            // `- key: value` opens a mapping whose keys line up with `key`.
            l.lines[l.pos] = (inner, rest);
            items.push(map(l, inner)?);
        } else {
            items.push(scalar(rest, l.depth)?);
            l.pos += 1;
        }
    }
    l.depth -= 1;
    Some(Node::Seq(items))
}

/// One-line values: plain, 'single-quoted' or "double-quoted" scalars, and flow
/// collections (`{at: …, by: …}`, `[a, b]`) that open and close on the line; `depth` is how
/// many collections are already open around it.
fn scalar(text: &str, depth: usize) -> Option<Node<'_>> {
    match text.as_bytes()[0] {
        b'\'' => single_quoted(text.strip_prefix('\'')?.strip_suffix('\'')?),
        b'"' => Some(Node::Scalar(Cow::Owned(double_quoted(text.strip_prefix('"')?.strip_suffix('"')?)?), false)),
        b'[' | b'{' => flow::collection(text, depth),
        _ => plain(text, false).then_some(Node::Scalar(Cow::Borrowed(text), true)),
    }
}

/// The text between single quotes, where `''` is one quote.
fn single_quoted(inner: &str) -> Option<Node<'_>> {
    if !inner.contains('\'') {
        return Some(Node::Scalar(Cow::Borrowed(inner), false));
    }
    if inner.replace("''", "").contains('\'') {
        return None;
    }
    Some(Node::Scalar(Cow::Owned(inner.replace("''", "'")), false))
}

/// A plain scalar that means what it says: no indicator first, no `: ` or ` #` inside,
/// and inside a flow collection (`in_flow`) none of `,[]{}` and every `:` followed by a
/// letter or digit (as in a time; libyaml reads `:?` there otherwise, found by the fuzzer);
/// in a block `,[]{}` are plain text (`summary: Waited, then left`).
fn plain(text: &str, in_flow: bool) -> bool {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else { return false };
    if b"[]{}&*!|>'\"%@`#,?:-".contains(&first) || bytes.last() == Some(&b':') {
        return false;
    }
    if !in_flow {
        return !bytes.windows(2).any(|w| matches!(w, [b':', b' '] | [b' ', b'#']));
    }
    // One pass: `: ` and ` #` anywhere, and inside flow `,[]{}` and a `:` not followed by
    // a letter or digit.
    for (i, &b) in bytes.iter().enumerate() {
        let next = bytes.get(i + 1).copied();
        match b {
            b':' if next == Some(b' ') => return false,
            b':' if in_flow && !next.is_some_and(|n| n.is_ascii_alphanumeric()) => return false,
            b' ' if next == Some(b'#') => return false,
            b',' | b'[' | b']' | b'{' | b'}' if in_flow => return false,
            _ => {}
        }
    }
    true
}

fn double_quoted(inner: &str) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return None,
            '\\' => out.push(match chars.next()? {
                '\\' => '\\',
                '"' => '"',
                '/' => '/',
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
                }
                _ => return None,
            }),
            c => out.push(c),
        }
    }
    Some(out)
}

/// Not an error anyone sees: it only says "let serde_yaml decide".
#[derive(Debug)]
struct Decline;

impl fmt::Display for Decline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not in the plain subset")
    }
}

impl std::error::Error for Decline {}

impl de::Error for Decline {
    fn custom<T: fmt::Display>(_: T) -> Decline {
        Decline
    }
}

impl Node<'_> {
    fn plain(&self) -> Option<&str> {
        match self {
            Node::Scalar(s, true) => Some(s),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self.plain(), Some("" | "~" | "null" | "Null" | "NULL"))
    }

    /// A whole number written the plain decimal way (`0`, `42`, `-7`), nothing fancier.
    fn integer(&self) -> Option<i128> {
        let s = self.plain()?;
        let digits = s.strip_prefix('-').unwrap_or(s);
        let ok = !digits.is_empty()
            && digits.len() < 19
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if ok { s.parse().ok() } else { None }
    }
}

macro_rules! integer {
    ($method:ident, $visit:ident, $ty:ty) => {
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Decline> {
            let n = <$ty>::try_from(self.integer().ok_or(Decline)?).map_err(|_| Decline)?;
            v.$visit(n)
        }
    };
}

impl<'de> de::Deserializer<'de> for &Node<'_> {
    type Error = Decline;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Decline> {
        match self {
            Node::Map(_) => self.deserialize_map(v),
            Node::Seq(_) => self.deserialize_seq(v),
            Node::Scalar(s, false) => v.visit_str(s),
            Node::Scalar(s, true) => {
                if self.is_null() {
                    return v.visit_unit();
                }
                if let Some(n) = self.integer() {
                    return if n < 0 { v.visit_i64(n as i64) } else { v.visit_u64(n as u64) };
                }
                // Only text YAML cannot read as anything else: words, and printable text
                // with a space inside (no null, boolean or number has one), such as the
                // phone numbers care writes (`phone: +1 555 0100`).
                let word = s.starts_with(|c: char| c.is_ascii_alphabetic())
                    && s.bytes().all(|b| b.is_ascii_alphanumeric() || b" _-./@'".contains(&b))
                    && !reserved(s);
                let spaced =
                    s.contains(' ') && s.trim_matches(' ') == *s && s.bytes().all(|b| (b' '..=b'~').contains(&b));
                if word || spaced { v.visit_str(s) } else { Err(Decline) }
            }
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Decline> {
        match self.plain() {
            Some("true") => v.visit_bool(true),
            Some("false") => v.visit_bool(false),
            _ => Err(Decline),
        }
    }

    integer!(deserialize_i8, visit_i8, i8);
    integer!(deserialize_i16, visit_i16, i16);
    integer!(deserialize_i32, visit_i32, i32);
    integer!(deserialize_i64, visit_i64, i64);
    integer!(deserialize_u8, visit_u8, u8);
    integer!(deserialize_u16, visit_u16, u16);
    integer!(deserialize_u32, visit_u32, u32);
    integer!(deserialize_u64, visit_u64, u64);

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Decline> {
        self.deserialize_f64(v)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Decline> {
        if let Some(n) = self.integer() {
            return v.visit_f64(n as f64);
        }
        let s = self.plain().ok_or(Decline)?;
        let (whole, frac) = s.split_once('.').ok_or(Decline)?;
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if digits(whole.strip_prefix('-').unwrap_or(whole)) && digits(frac) {
            v.visit_f64(s.parse().map_err(|_| Decline)?)
        } else {
            Err(Decline)
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Decline> {
        match self {
            Node::Scalar(s, _) if !s.is_empty() => v.visit_str(s),
            _ => Err(Decline),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Decline> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Decline> {
        if self.is_null() { v.visit_none() } else { v.visit_some(self) }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, v: V) -> Result<V::Value, Decline> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Decline> {
        match self {
            Node::Seq(items) => v.visit_seq(Items(items.iter())),
            _ => Err(Decline),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Decline> {
        match self {
            Node::Map(entries) => v.visit_map(Entries { entries: entries.iter(), value: None }),
            _ => Err(Decline),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Decline> {
        self.deserialize_map(v)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Decline> {
        self.deserialize_str(v)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Decline> {
        v.visit_unit()
    }

    fn deserialize_char<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Decline> {
        Err(Decline)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Decline> {
        Err(Decline)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Decline> {
        Err(Decline)
    }
    fn deserialize_unit<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Decline> {
        Err(Decline)
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, _: V) -> Result<V::Value, Decline> {
        Err(Decline)
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Decline> {
        Err(Decline)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _: &'static str, _: usize, _: V) -> Result<V::Value, Decline> {
        Err(Decline)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Decline> {
        Err(Decline)
    }
}

struct Items<'n, 'a>(std::slice::Iter<'n, Node<'a>>);

impl<'de> SeqAccess<'de> for Items<'_, '_> {
    type Error = Decline;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Decline> {
        self.0.next().map(|n| seed.deserialize(n)).transpose()
    }
}

struct Entries<'n, 'a> {
    entries: std::slice::Iter<'n, (&'a str, Node<'a>)>,
    value: Option<&'n Node<'a>>,
}

impl<'de> MapAccess<'de> for Entries<'_, '_> {
    type Error = Decline;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Decline> {
        match self.entries.next() {
            Some((k, v)) => {
                self.value = Some(v);
                let key: de::value::StrDeserializer<'_, Decline> = k.into_deserializer();
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Decline> {
        seed.deserialize(self.value.take().ok_or(Decline)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Customer, Incident};

    fn same<T: DeserializeOwned + serde::Serialize>(text: &str) -> bool {
        let fast: Option<T> = from_str(text);
        let slow: Result<T, _> = serde_yaml::from_str(text);
        match (fast, slow) {
            (Some(f), Ok(s)) => serde_json::to_value(&f).ok() == serde_json::to_value(&s).ok(),
            (Some(_), Err(_)) => false,
            (None, _) => true,
        }
    }

    #[test]
    fn reads_what_the_tool_writes_exactly_as_serde_yaml_does() {
        let c = crate::time::Clock::new(chrono::Utc::now(), chrono_tz::America::New_York);
        let customers = crate::sample::customers(40, 3, &c);
        let ids: Vec<String> = customers.iter().map(|c| c.id.clone()).collect();
        let mut read = 0;
        for s in crate::sample::incidents(300, &ids, 3, &c) {
            let text = crate::yaml::to_string(&s.incident).expect("writes");
            let fast: Incident =
                from_str(&text).unwrap_or_else(|| panic!("the plain subset covers the tool's own files:\n{text}"));
            assert_eq!(fast, s.incident);
            read += 1;
        }
        for customer in &customers {
            assert!(same::<Customer>(&crate::yaml::to_string(customer).expect("writes")));
        }
        assert_eq!(read, 300);
    }

    #[test]
    fn declines_or_agrees_on_tricky_text() {
        for text in [
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\nbusyness: 095\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\nbusyness: '95'\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\nstaff: null\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\nstaff: ~\nowner:\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\nstaff: a # comment\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\nstaff: &a billy\nowner: *a\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\ntags: [a, b]\nsummary: 'it''s'\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\nsummary: \"tab\\there \\u00e9\"\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\nid: y\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\nsummary: |\n  block\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\nrecovery:\n  closed: {at: 2026-11-22T20:00:00-05:00}\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\nfollowups:\n- kind: a\n  due: 2026-11-22T20:00:00-05:00\n  missed_by: -3\n",
            "id: 12\ncustomer: true\nopened: 2026-11-22T19:42:00-05:00\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\nregion:\n  nested: deep\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\n  misindented: 1\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\n# a comment with a NUL \0\n",
            "id: x\ncustomer:   c\nopened:  2026-11-22T19:42:00-05:00\nstaff:  'q'\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\ntags: [joa , billy]\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\ntags: [ joa, billy]\n",
            "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\nsummary: a\u{2028}b\u{85}c\n",
            "1: a\ntrue: b\nkey: [x, y]\nn: 12000\nm: -3\ns: 'q'\nt: ~\nu: yes\nv: 1.5\n",
            "id: a\nname: A\ncontact:\n  phone: +1 555 0100\n  email: a@b.c\n",
            "id: a\nname: A\ncontact:\n  phone: +15550100\n",
            "id: a\nname: A\ncontact:\n  phone: 1 555\n",
            "id: a\nname: A\ncontact:\n  phone: - 1 555\n",
            "id: a\nname: A\ncontact:\n  phone: 0x1F 2\n",
            "id: a\nname: A\ncontact:\n  phone: .inf x\n",
            "id: a\nname: A\ncontact:\n  phone: true false\n",
            "id: a\nname: A\ncontact:\n  phone: 1\t2 3\n",
            "id: a\nname: A\ncontact:\n  phone: '+1 555 0100'\n",
            "a: +1 555 0100\nb: 12 000\nc: 1.5 e3\nd: null null\ne: ~ ~\n",
        ] {
            assert!(same::<Incident>(text), "{text}");
            assert!(same::<Customer>(text), "{text}");
            assert!(same::<crate::yaml::Value>(text), "{text}");
        }
    }
}
