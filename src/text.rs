//! Text rules every floor shares, kept at the bottom of the house so that nothing reaches
//! up for them: how record text is shown on a terminal (`visible`), how a CSV cell is kept
//! from running as a spreadsheet formula and given back on import (`neutralise`,
//! `unneutralise`), and how a string field is read through a parser with serde placing the
//! error at the string (`parsed`). `output` prints with them, `ui` speaks with them, and
//! `model`, `book` and `time` read with them, none of which may depend on the others.

/// Text from a record as it may be shown on a terminal. Records arrive through pulls,
/// imports and hand edits, so a note can hold an escape sequence that would retitle the
/// window, clear the screen or hide what follows; control characters (all but the line
/// break) and the invisible bidirectional overrides are written out as `\u{1b}`, `\t`, ...
/// Data formats (CSV, JSON) keep the exact text: only people's views go through here.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    fn hidden(c: char) -> bool {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    if !s.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) && c.is_control() {
            out.extend(c.escape_debug());
        } else if hidden(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A text cell a spreadsheet would run as a formula gets a leading `'` (OWASP's advice);
/// numbers such as `-5` or `+1 555 0100`-like phone numbers that are plain numbers stay.
/// Text that already starts with `'` before such a formula gets one more, so that
/// `unneutralise` can tell the added `'` from one the text had (`'=x` stays `'=x`).
pub fn neutralise(s: String) -> String {
    if needs_quote(&s) { format!("'{s}") } else { s }
}

/// What `neutralise` undoes on the way back in (`care import`): the `'` it added, and only
/// that one, so export → import → export gives back the same bytes.
pub fn unneutralise(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => s,
    }
}

fn needs_quote(s: &str) -> bool {
    let body = s.trim_start_matches('\'');
    body.starts_with(['=', '+', '-', '@', '\t', '\r']) && body.trim().parse::<f64>().is_err()
}

/// A value read from a string by `parse`, with errors placed at the string itself:
/// failing inside the visitor lets serde_yaml attach that scalar's line and column.
pub fn parsed<'de, D, T, F>(d: D, parse: F) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    F: Fn(&str) -> Result<T, String>,
{
    struct V<F>(F);
    impl<T, F: Fn(&str) -> Result<T, String>> serde::de::Visitor<'_> for V<F> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<T, E> {
            (self.0)(s).map_err(E::custom)
        }
    }
    d.deserialize_str(V(parse))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unneutralise_undoes_exactly_what_neutralise_added() {
        let samples = [
            "",
            "=1+2",
            "+1 303 555 0100",
            "-5",
            "+5",
            " -5 ",
            "-",
            "@sum",
            "\tx",
            "\rx",
            "'",
            "'=x",
            "''=x",
            "'-5",
            "'+1 303",
            "don't",
            "'quoted'",
            "a=b",
            "\u{feff}=x",
            "'\t",
            "=",
            "-inf",
            "+NaN",
        ];
        for s in samples {
            let out = neutralise(s.to_string());
            assert_eq!(unneutralise(&out), s, "{s:?} → {out:?}");
            assert!(out == s || out == format!("'{s}"), "{s:?}: at most one ' is added");
        }
        // Only a `'` that neutralise would have added is taken away.
        for kept in ["'-5", "'hello", "'", "''", "'1e3", "don't"] {
            assert_eq!(unneutralise(kept), kept);
        }
        assert_eq!(unneutralise("'+1 303 555 0100"), "+1 303 555 0100");
        assert_eq!(unneutralise("''=x"), "'=x");
        // Every string made of the characters that matter, up to four long.
        let alphabet = ['\'', '=', '+', '-', '@', '\t', '\r', '1', 'a', ' ', '.'];
        let mut strings = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> =
                strings.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
            strings.extend(longer);
            strings.sort();
            strings.dedup();
        }
        for s in &strings {
            assert_eq!(unneutralise(&neutralise(s.clone())), s.as_str(), "{s:?}");
        }
    }
}
