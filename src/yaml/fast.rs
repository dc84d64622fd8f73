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

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

/// Parse `text` as `T` if it is in the plain subset; `None` means "ask serde_yaml".
pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    let node = parse(text)?;
    T::deserialize(&node).ok()
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
    // Only YAML's printable characters, less tab, CR and what YAML 1.1 may take for a line
    // break (NEL, U+2028, U+2029). The fuzzer found a NUL in a comment: an error to
    // serde_yaml, so it must not be skipped here.
    let printable = |c: char| {
        matches!(c, '\n' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
            && !matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
    };
    if !text.chars().all(printable) {
        return None;
    }
    let mut lines = Vec::new();
    for line in text.lines() {
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if line.starts_with("---") || line.starts_with("...") || line.starts_with('%') {
            return None;
        }
        lines.push((line.len() - content.len(), content.trim_end_matches(' ')));
    }
    let mut l = Lines { lines, pos: 0, depth: 0 };
    if l.lines.is_empty() || l.lines[0].0 != 0 {
        return None;
    }
    let node = block(&mut l, 0)?;
    (l.pos == l.lines.len()).then_some(node)
}

fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

fn block<'a>(l: &mut Lines<'a>, indent: usize) -> Option<Node<'a>> {
    if is_item(l.lines.get(l.pos)?.1) { seq(l, indent) } else { map(l, indent) }
}

/// `key: value` or `key:` (value below); keys are plain words.
fn split_key(content: &str) -> Option<(&str, &str)> {
    let (key, rest) = match content.split_once(": ") {
        // Several spaces may follow the colon (found by the fuzzer).
        Some((k, r)) => (k, r.trim_start_matches(' ')),
        None => (content.strip_suffix(':')?, ""),
    };
    simple_key(key).then_some((key, rest))
}

/// A key YAML could read as anything but text (`1`, `true`, `null`) is declined.
fn simple_key(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !RESERVED.contains(&key.to_ascii_lowercase().as_str())
}

/// Plain words YAML (1.1 or 1.2) may read as something other than text.
const RESERVED: [&str; 12] = ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "inf", "nan", "nul"];

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
        None if entries.len() < 32 => entries.iter().any(|(k, _)| *k == key),
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
    let first = text.as_bytes().first().copied().unwrap_or(b'#');
    let flow_safe = || {
        !text.contains([',', '[', ']', '{', '}'])
            && text.match_indices(':').all(|(i, _)| text.as_bytes().get(i + 1).is_some_and(u8::is_ascii_alphanumeric))
    };
    !b"[]{}&*!|>'\"%@`#,?:-".contains(&first)
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && (!in_flow || flow_safe())
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
                // Only words that YAML cannot read as anything but text.
                let word = s.starts_with(|c: char| c.is_ascii_alphabetic())
                    && s.bytes().all(|b| b.is_ascii_alphanumeric() || b" _-./@'".contains(&b))
                    && !RESERVED.contains(&s.to_ascii_lowercase().as_str());
                if word { v.visit_str(s) } else { Err(Decline) }
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
        ] {
            assert!(same::<Incident>(text), "{text}");
            assert!(same::<crate::yaml::Value>(text), "{text}");
        }
    }
}
