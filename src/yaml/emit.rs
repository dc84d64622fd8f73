//! How each string care writes is spelled, so that every YAML reader reads back the text
//! that was meant — YAML 1.1 ones (PyYAML, what most user scripts load a book with) as
//! well as 1.2 ones.
//!
//! serde_yaml (libyaml underneath) quotes only what YAML 1.2's core schema would read as
//! something else: it writes `yes`, `on`, `=`, `<<` and `2026-01-01` plain, which a YAML
//! 1.1 reader takes for booleans, a "value" key it cannot construct, a merge key and a
//! date. It has no switch for the style of one string, so the decision is made here, by
//! `plain_is_safe`: plain only for text shaped so that no reader can take it for anything
//! else (a whitelist, not a list of the dangerous spellings), quoted otherwise. The block
//! writer (`to_string`) hands serde_yaml a copy of the value in which each string to quote
//! is a unique plain token, then puts the quoted text in the token's place; so the layout
//! is serde_yaml's, byte for byte, and only the strings it would have left ambiguous
//! change. The flow writer (`flow`, for `- {text: …}` entries) asks the same function.
//!
//! Dates and times in the fields where care writes them (`at: 2026-11-22T19:42:00-05:00`)
//! stay plain: there they are dates and times, a YAML 1.1 reader has always read them as
//! such, and `grep 'at: 2026-11'` keeps finding them. The same text anywhere else (a note
//! that says `2026-01-01`) is quoted.

use super::{Error, Mapping, Result, Value};

/// The fields whose values care writes as dates and times (see the module's comment).
const TIME_FIELDS: [&str; 15] = [
    "at", "since", "retired", "raised", "until", "cleared", "opened", "recorded", "due", "for", "start", "end",
    "first", "last", "day",
];

/// Whether `s`, the value of `key` (or a key itself, `key` None), may be written plain: in
/// a block (`flow` false) or inside `{…}`/`[…]` (`flow` true). Conservative on purpose:
/// quoting text that needed none costs two characters; plain text misread costs the record.
pub fn plain_is_safe(s: &str, key: Option<&str>, flow: bool) -> bool {
    if key.is_some_and(|k| TIME_FIELDS.contains(&k)) && own_time(s) {
        return true;
    }
    let Some(first) = s.chars().next() else { return false };
    if !s.chars().all(printable) || s.starts_with(' ') || s.ends_with(' ') {
        return false;
    }
    // YAML's indicators, and what begins `~`, `=`, `<<`, `.inf`, `...` and `---`.
    if "-?:,[]{}#&*!|>'\"%@`=<~.".contains(first) || s.ends_with(':') || s.contains(": ") || s.contains(" #") {
        return false;
    }
    if flow && (!first.is_alphanumeric() || s.contains([',', '[', ']', '{', '}', '#', ':', '?'])) {
        return false;
    }
    if reserved(s) {
        return false;
    }
    // A number in any base or notation (`0x1F`, `0o17`, `1_000`, `1:20`, `1e3`, `+1`), a
    // date or a timestamp begins with a digit or a sign and holds only these; text that
    // begins so is plain only when it holds something else, or a space and no `:` (no
    // number has a space, and a timestamp with one has a `:`), as `+1 555 0100` does.
    if first.is_ascii_digit() || first == '+' {
        let hex = s.contains(['x', 'X']);
        let special = s.contains('.'); // `+.inf`, `-.nan`
        let numeric = |c: char| {
            c.is_ascii_digit()
                || "_.:+- eExXoObBtTzZ".contains(c)
                || (hex && c.is_ascii_hexdigit())
                || (special && "iInNfFaA".contains(c))
        };
        let other = s.chars().any(|c| !numeric(c));
        return other || (s.contains(' ') && !s.contains(':'));
    }
    true
}

/// Words YAML 1.1 or 1.2 reads as null, a boolean or a special number, in any case.
fn reserved(s: &str) -> bool {
    const WORDS: [&str; 13] =
        ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "nul", "inf", "nan", "infinity"];
    s.len() <= 8 && WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// A character YAML prints as itself inside quotes and that no reader takes for a line
/// break: not a tab, a control, DEL, NEL, U+2028/U+2029 or a byte-order mark.
fn printable(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
}

/// A date (`2026-11-22`), a time (`2026-11-22T19:42:00-05:00`, `…Z`) or a reminder's day
/// of the year (`02-29`) as care writes them.
fn own_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() == 5 {
        return digits(0..2) && b[2] == b'-' && digits(3..5);
    }
    let date = digits(0..4) && b.get(4) == Some(&b'-') && digits(5..7) && b.get(7) == Some(&b'-') && digits(8..10);
    if !date || b.len() == 10 {
        return date;
    }
    let time = b.get(10) == Some(&b'T')
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19);
    let zone = &b[b.len().min(19)..];
    let offset = zone.len() == 6
        && matches!(zone[0], b'+' | b'-')
        && zone[1..3].iter().all(u8::is_ascii_digit)
        && zone[3] == b':'
        && zone[4..].iter().all(u8::is_ascii_digit);
    time && (zone == b"Z" || offset)
}

/// `s` quoted: single quotes when every character prints as itself (the style serde_yaml
/// uses, so what it quoted before reads the same), else double quotes with escapes.
pub fn quoted(s: &str) -> String {
    if s.chars().all(printable) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if printable(c) => out.push(c),
            // Every other character is in the basic plane (the rest print as themselves).
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Whether serde_yaml's own writing of `s` is left alone: plain-safe text, and text over
/// several lines of printable characters (a `|` block, which every reader takes as text).
fn left_to_serde(s: &str, key: Option<&str>) -> bool {
    plain_is_safe(s, key, false) || (s.contains('\n') && s.split('\n').all(|line| line.chars().all(printable)))
}

/// `value` as a YAML document in block style (what a fresh record file holds).
pub fn to_string(value: &Value) -> Result<String> {
    let serde = |v: &Value| serde_yaml::to_string(v).map_err(|e| Error::Refused(format!("cannot write YAML: {e}")));
    if !any_to_quote(value, None) {
        return serde(value);
    }
    let mut prefix = "careq".to_string();
    while holds(value, &prefix) {
        prefix.push('q');
    }
    let mut quotes = Vec::new();
    let marked = mark(value, None, &prefix, &mut quotes);
    let text = serde(&marked)?;
    // One pass puts each quoted text in place of its token (`careq12z`).
    let mut out = String::with_capacity(text.len() + quotes.iter().map(String::len).sum::<usize>());
    let mut rest = text.as_str();
    let mut put = 0;
    while let Some(at) = rest.find(&prefix) {
        out.push_str(&rest[..at]);
        let after = &rest[at + prefix.len()..];
        let end = after.find('z').ok_or_else(|| Error::Refused("cannot write YAML: a quoting token was cut".into()))?;
        let n: usize = after[..end].parse().map_err(|_| Error::Refused("cannot write YAML: a quoting token".into()))?;
        out.push_str(quotes.get(n).ok_or_else(|| Error::Refused("cannot write YAML: a quoting token".into()))?);
        put += 1;
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    if put != quotes.len() {
        return Err(Error::Refused("cannot write YAML: a quoted string was lost".into()));
    }
    Ok(out)
}

fn any_to_quote(value: &Value, key: Option<&str>) -> bool {
    match value {
        Value::String(s) => !left_to_serde(s, key),
        Value::Sequence(items) => items.iter().any(|v| any_to_quote(v, key)),
        Value::Mapping(map) => map.iter().any(|(k, v)| any_to_quote(k, None) || any_to_quote(v, k.as_str())),
        Value::Tagged(t) => any_to_quote(&t.value, key),
        _ => false,
    }
}

/// Whether any string in `value` (keys too) contains `prefix`.
fn holds(value: &Value, prefix: &str) -> bool {
    match value {
        Value::String(s) => s.contains(prefix),
        Value::Sequence(items) => items.iter().any(|v| holds(v, prefix)),
        Value::Mapping(map) => map.iter().any(|(k, v)| holds(k, prefix) || holds(v, prefix)),
        Value::Tagged(t) => t.tag.to_string().contains(prefix) || holds(&t.value, prefix),
        _ => false,
    }
}

/// A copy of `value` with each string to quote replaced by a token, its quoted text pushed
/// onto `quotes` at the token's number.
fn mark(value: &Value, key: Option<&str>, prefix: &str, quotes: &mut Vec<String>) -> Value {
    match value {
        Value::String(s) if !left_to_serde(s, key) => {
            quotes.push(quoted(s));
            Value::String(format!("{prefix}{}z", quotes.len() - 1))
        }
        Value::Sequence(items) => Value::Sequence(items.iter().map(|v| mark(v, key, prefix, quotes)).collect()),
        Value::Mapping(map) => {
            let mut out = Mapping::with_capacity(map.len());
            for (k, v) in map {
                let k2 = mark(k, None, prefix, quotes);
                out.insert(k2, mark(v, k.as_str(), prefix, quotes));
            }
            Value::Mapping(out)
        }
        Value::Tagged(t) => {
            let mut t = t.clone();
            t.value = mark(&t.value, key, prefix, quotes);
            Value::Tagged(t)
        }
        other => other.clone(),
    }
}

/// `value` on one line in flow style (`{text: a, by: joan}`), the way hand-written records
/// often hold their entries; `None` for what flow style cannot hold here (a tag).
pub fn flow(value: &Value) -> Option<String> {
    flow_in(value, None)
}

/// `flow` for the value of field `key` (a date or time in a time field stays plain).
pub fn flow_field(key: &str, value: &Value) -> Option<String> {
    flow_in(value, Some(key))
}

fn flow_in(value: &Value, key: Option<&str>) -> Option<String> {
    Some(match value {
        Value::Mapping(map) => {
            let fields: Option<Vec<String>> =
                map.iter().map(|(k, v)| Some(format!("{}: {}", flow_in(k, None)?, flow_in(v, k.as_str())?))).collect();
            format!("{{{}}}", fields?.join(", "))
        }
        Value::Sequence(items) => {
            format!("[{}]", items.iter().map(|v| flow_in(v, key)).collect::<Option<Vec<_>>>()?.join(", "))
        }
        Value::String(s) if plain_is_safe(s, key, true) => s.clone(),
        Value::String(s) => quoted_for_flow(s),
        Value::Tagged(_) => return None,
        scalar => serde_yaml::to_string(scalar).ok()?.trim_end().to_string(),
    })
}

/// Inside flow style, double quotes as before (`"two: yes, really"`), escaped for YAML.
fn quoted_for_flow(s: &str) -> String {
    let single = quoted(s);
    if single.starts_with('"') {
        return single;
    }
    // The same escapes as `quoted`'s double-quoted form, which a text of printable
    // characters needs only for `"` and `\`.
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_any_reader_could_misread_is_quoted_and_words_are_not() {
        for tricky in [
            "",
            "=",
            "<<",
            "~",
            "yes",
            "No",
            "ON",
            "off",
            "y",
            "N",
            "true",
            "False",
            "null",
            "NULL",
            "2026-01-01",
            "2026-01-01 10:00:00",
            "2001-12-14t21:59:43.10-05:00",
            "0x1F",
            "0o17",
            "0b101",
            "1_000",
            "1:20",
            ".5",
            "+1",
            "-1",
            ".inf",
            "-.inf",
            ".NaN",
            "1e3",
            "123",
            "012",
            " lead",
            "trail ",
            "a: b",
            "a #b",
            "#c",
            "- x",
            "---",
            "...",
            "key:",
            "&a",
            "*a",
            "!tag",
            "|",
            ">",
            "%x",
            "@x",
            "`x",
            "'q",
            "\"q",
            "[",
            "{",
            "a\tb",
            "a\u{85}b",
            "a\u{2028}b",
            "\u{feff}x",
            "inf",
            "NaN",
        ] {
            assert!(!plain_is_safe(tricky, None, false), "{tricky:?} must be quoted");
            assert!(!plain_is_safe(tricky, Some("text"), true), "{tricky:?} must be quoted in flow");
        }
        for word in [
            "Ada Lovelace",
            "Likes jazz, and wine",
            "yes please",
            "20261122-k7f3qz",
            "+1 555 0100",
            "2 glasses",
            "1y",
            "é",
        ] {
            assert!(plain_is_safe(word, None, false), "{word:?} may stay plain");
        }
        assert!(plain_is_safe("2026-11-22T19:42:00-05:00", Some("at"), false));
        assert!(plain_is_safe("2026-11-22", Some("since"), true));
        assert!(plain_is_safe("02-29", Some("day"), false) && !plain_is_safe("02-29", Some("text"), false));
        assert!(!plain_is_safe("2026-11-22", Some("text"), false), "a date in a text field is text");
        assert!(!plain_is_safe("2026-11-22 x:1", Some("at"), false), "only care's own form is a time");
    }

    #[test]
    fn quoting_escapes_what_does_not_print() {
        assert_eq!(quoted("it's"), "'it''s'");
        assert_eq!(quoted("a\tb\u{85}\"\\"), "\"a\\tb\\u0085\\\"\\\\\"");
        assert_eq!(quoted_for_flow("two: yes, really"), "\"two: yes, really\"");
    }

    #[test]
    fn the_layout_is_serde_yamls_with_only_the_ambiguous_strings_quoted() {
        let v: Value = serde_yaml::from_str(
            "id: a\nnotes:\n- text: '='\n  at: 2026-11-22T19:42:00-05:00\n  by: yes\ncareq0z: '<<'\n",
        )
        .expect("valid");
        assert_eq!(
            to_string(&v).expect("writes"),
            "id: a\nnotes:\n- text: '='\n  at: 2026-11-22T19:42:00-05:00\n  by: 'yes'\ncareq0z: '<<'\n"
        );
    }

    /// Property: every string, written by either writer as a value, a list item or a key,
    /// in a time field or not, reads back as itself through serde_yaml, and the fast reader
    /// reads the same or declines.
    #[test]
    fn every_string_reads_back_as_itself() {
        const PIECES: [&str; 40] = [
            "yes",
            "No",
            "=",
            "<<",
            "~",
            "null",
            "2026-01-01",
            "T19:42:00",
            "-05:00",
            "0x",
            "1",
            "_0",
            ".",
            ":",
            ": ",
            " #",
            "#",
            "- ",
            "-",
            "'",
            "\"",
            "\\",
            "\n",
            "\r",
            "\t",
            "\u{85}",
            "\u{2028}",
            "\u{7f}",
            "\u{1}",
            "\u{feff}",
            "é",
            "🙂",
            " ",
            ",",
            "[",
            "}",
            "?",
            "&a",
            "!x",
            "word",
        ];
        let mut rng = crate::sample::Rng::new(11);
        for round in 0..4000 {
            let s: String = (0..1 + rng.below(4)).map(|_| *rng.pick(&PIECES)).collect();
            for key in ["text", "at"] {
                let mut map = Mapping::new();
                map.insert(key.into(), s.clone().into());
                map.insert("list".into(), Value::Sequence(vec![s.clone().into(), "x".into()]));
                map.insert(s.clone().into(), 1.into());
                let value = Value::Mapping(map);
                let block = to_string(&value).expect("writes");
                let back: Value =
                    serde_yaml::from_str(&block).unwrap_or_else(|e| panic!("{round}: {s:?}: {e}\n{block}"));
                assert_eq!(back, value, "{round}: {s:?}\n{block}");
                assert!(crate::model::fast_path_agrees(&block), "{round}: {s:?}\n{block}");
                let line = format!("v: {}\n", flow(&value).expect("flow"));
                let back: Value = serde_yaml::from_str(&line).unwrap_or_else(|e| panic!("{round}: {s:?}: {e}\n{line}"));
                assert_eq!(back["v"], value, "{round}: {s:?}\n{line}");
                assert!(crate::model::fast_path_agrees(&line), "{round}: {s:?}\n{line}");
            }
        }
    }
}
