//! One-line flow collections for the fast reader: `{at: 2026-11-22T15:35:00-05:00, by: joan}`,
//! `[kitchen, wait]`, `{}`, `[]`, nested a few levels as records nest them. People and
//! other tools write steps and follow-ups this way (docs/format.md shows it), and a book in
//! that style should not fall back to the general parser for every record.
//!
//! Same rule as the rest of the fast reader: anything it is not sure of is declined — a
//! key that is not a plain word, `?`, a value left empty, a trailing comma, a comment, an
//! anchor or tag, a collection that does not close on its line, or anything after it.
//! One pass over the line, each byte looked at a bounded number of times; nesting is
//! capped, so the work stays linear in the line.

use std::borrow::Cow;

use super::{Node, double_quoted, duplicate, plain, simple_key, single_quoted};

/// Flow levels inside one line; records use two (`- {kind: …, done: {at: …}}`).
const MAX_FLOW_DEPTH: usize = 4;

/// The collection that is the whole of `text` (which starts with `[` or `{`), or `None`;
/// `depth` collections are already open around it.
pub(super) fn collection(text: &str, depth: usize) -> Option<Node<'_>> {
    let mut f = Flow { text, pos: 0, depth, levels: 0 };
    let node = f.collection()?;
    (f.pos == text.len()).then_some(node)
}

struct Flow<'a> {
    text: &'a str,
    pos: usize,
    /// Collections open around this one in the whole record, held to the same bound as
    /// the block reader's.
    depth: usize,
    /// Flow collections open on this line.
    levels: usize,
}

impl<'a> Flow<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn collection(&mut self) -> Option<Node<'a>> {
        self.depth += 1;
        self.levels += 1;
        if self.depth > crate::yaml::MAX_DEPTH || self.levels > MAX_FLOW_DEPTH {
            return None;
        }
        let open = self.peek()?;
        let close = if open == b'{' { b'}' } else { b']' };
        self.pos += 1;
        let mut entries = Vec::new();
        let mut keys = None;
        let mut items = Vec::new();
        self.spaces();
        if self.peek() == Some(close) {
            self.pos += 1;
        } else {
            loop {
                if open == b'{' {
                    let key = self.key()?;
                    if duplicate(&entries, &mut keys, key) {
                        return None;
                    }
                    entries.push((key, self.item()?));
                } else {
                    items.push(self.item()?);
                }
                self.spaces();
                match self.peek()? {
                    b',' => {
                        self.pos += 1;
                        self.spaces();
                        // `[a, ]` is legal YAML, but rare enough to leave to serde_yaml.
                        if matches!(self.peek(), Some(b',' | b']' | b'}') | None) {
                            return None;
                        }
                    }
                    c if c == close => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        self.levels -= 1;
        Some(if open == b'{' { Node::Map(entries) } else { Node::Seq(items) })
    }

    /// `word: ` — a plain word, the colon right after it, then at least one space.
    fn key(&mut self) -> Option<&'a str> {
        let rest = &self.text[self.pos..];
        let end = rest.find(": ")?;
        let key = &rest[..end];
        if !simple_key(key) {
            return None;
        }
        self.pos += end + 2;
        self.spaces();
        Some(key)
    }

    /// A value inside a flow collection: a nested collection, a quoted or a plain scalar.
    fn item(&mut self) -> Option<Node<'a>> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        match self.peek()? {
            b'{' | b'[' => self.collection(),
            b'\'' => {
                // A quote closes the scalar unless another follows it (`''` is one quote).
                let mut i = start + 1;
                loop {
                    match bytes.get(i)? {
                        b'\'' if bytes.get(i + 1) == Some(&b'\'') => i += 2,
                        b'\'' => break,
                        _ => i += 1,
                    }
                }
                self.pos = i + 1;
                single_quoted(&self.text[start + 1..i])
            }
            b'"' => {
                let mut i = start + 1;
                loop {
                    match bytes.get(i)? {
                        // The escaped byte is never a quote that ends the scalar; which
                        // escapes mean what is `double_quoted`'s to decide.
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                self.pos = i + 1;
                let inner = self.text.get(start + 1..i)?;
                Some(Node::Scalar(Cow::Owned(double_quoted(inner)?), false))
            }
            _ => {
                let end = self.text[start..].find([',', ']', '}']).map_or(self.text.len(), |n| start + n);
                let text = self.text[start..end].trim_end_matches(' ');
                self.pos = end;
                (!text.is_empty() && plain(text, true)).then_some(Node::Scalar(Cow::Borrowed(text), true))
            }
        }
    }
}

/// The fast reader and serde_yaml held to the same answers on flow style: hand-written
/// cases, and records rewritten at random into flow, block and mixtures of the two, with
/// random damage on top.
#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    use super::super::from_str;
    use crate::model::fast_path_agrees;
    use crate::model::{Customer, Incident};
    use crate::sample::Rng;
    use crate::yaml::Value;

    const HEAD: &str = "id: x\ncustomer: c\nopened: 2026-11-22T19:42:00-05:00\n";

    fn json<T: Serialize>(v: &T) -> serde_json::Value {
        serde_json::to_value(v).expect("json")
    }

    /// The fast reader takes `text`, and reads it exactly as serde_yaml does.
    fn taken<T: DeserializeOwned + Serialize>(text: &str) -> T {
        let fast: T = from_str(text).unwrap_or_else(|| panic!("the fast reader declined:\n{text}"));
        let slow: T = serde_yaml::from_str(text).unwrap_or_else(|e| panic!("serde_yaml refused ({e}):\n{text}"));
        assert_eq!(json(&fast), json(&slow), "{text}");
        fast
    }

    #[test]
    fn takes_flow_style_as_people_write_it() {
        let steps = format!(
            "{HEAD}tags: [kitchen, wait]\nrecovery:\n  apologized: {{at: 2026-11-22T15:35:00-05:00, by: joan, note: Apologized at the table}}\n  \
             reviewed:   {{at: 2026-11-22T15:38:00-05:00, by: joan}}\n  \
             extra:      {{at: 2026-11-22T15:52:00-05:00, by: joan, what: Dessert and wine on the house, value: 24}}\n\
             followups:\n- {{kind: check-in, due: 2026-11-23T15:50:00-05:00}}\n\
             - {{kind: wrap-up, due: 2026-11-25T15:50:00-05:00, done: {{at: 2026-11-24T10:00:00-05:00, by: joan, how: phone}}}}\n"
        );
        let i: Incident = taken(&steps);
        assert_eq!(i.tags, ["kitchen", "wait"]);
        assert_eq!(i.recovery.extra.as_ref().and_then(|s| s.value), Some(24.0));
        assert_eq!(i.followups[1].done.as_ref().map(|d| d.by.as_str()), Some("joan"));
        for text in [
            format!("{HEAD}tags: []\nrecovery: {{}}\nfollowups: []\n"),
            format!("{HEAD}tags: [ ]\nrecovery: {{ }}\n"),
            format!("{HEAD}tags: [ kitchen ,wait,  bar ]\n"),
            format!("{HEAD}tags: ['it''s', \"q\\\"uote\", 'a, b', \"[x]\", '#1']\n"),
            format!(
                "{HEAD}recovery: {{apologized: {{at: 2026-11-22T15:35:00-05:00,by: joan}}, closed: {{ at: 2026-11-22T17:00:00-05:00 }}}}\n"
            ),
            format!(
                "{HEAD}recovery:\n  apologized: {{at: 2026-11-22T15:35:00-05:00, by: joan, note: 'Said: sorry, twice'}}\n"
            ),
            format!("{HEAD}busyness: 80\nsummary: a [b] {{c}}, d\n"),
        ] {
            taken::<Incident>(&text);
            // As a tree, a timestamp is declined whatever the style (`:` in a plain word).
            assert!(fast_path_agrees(&text), "{text}");
        }
        let customer =
            "id: a\nname: A\nnotes:\n  - {text: seed, by: joan}\n- {text: \"second\", at: 2026-11-22T15:35:00-05:00}\n";
        assert!(from_str::<Customer>(customer).is_none(), "misindented: serde_yaml's to judge");
        let customer = "id: a\nname: A\nnotes:\n  - {text: seed, by: joan}\n  - {text: \"second\", at: 2026-11-22T15:35:00-05:00}\n\
                        visits: [{at: 2026-11-24T19:30:00-05:00, by: joan, spend: 80, party: 2}]\n";
        let c: Customer = taken(customer);
        assert_eq!((c.notes.len(), c.visits.len()), (2, 1));
    }

    #[test]
    fn declines_flow_it_is_not_sure_of() {
        for tail in [
            "tags: [a, b, ]",
            "tags: [a,, b]",
            "tags: [a: b]",
            "tags: [\"a\": b]",
            "tags: [? a]",
            "tags: [a, -b]",
            "tags: [&x a, *x]",
            "tags: [!t a]",
            "tags: [a #c]",
            "tags: [a] # c",
            "tags: [a, b]]",
            "tags: [a, {b}]",
            "tags: [a, b",
            "tags: [a,\n  b]",
            "recovery: {apologized: {at: 2026-11-22T15:35:00-05:00, at: 2026-11-22T15:36:00-05:00}}",
            "recovery: {\"apologized\": {at: 2026-11-22T15:35:00-05:00}}",
            "recovery: {apologized: {at: 2026-11-22T15:35:00-05:00, by: }}",
            "recovery: {apologized: {at: 2026-11-22T15:35:00-05:00, by:joan}}",
            "recovery: {apologized : {at: 2026-11-22T15:35:00-05:00}}",
            "recovery: {yes: {at: 2026-11-22T15:35:00-05:00}}",
            "recovery: {[a]: b}",
            "recovery: {apologized: {at: 2026-11-22T15:35:00-05:00}} trailing",
            "recovery: {apologized: {at: 2026-11-22T15:35:00-05:00}}: x",
            "recovery: {apologized: {at: 2026-11-22T15:35:00-05:00, note: \"bad \\q escape\"}}",
            "recovery: {apologized: {at: 2026-11-22T15:35:00-05:00, note: 'open}}",
            "tags: [[[[[a]]]]]",
            // Found by the fuzzer: libyaml reads `:?` inside a flow collection otherwise.
            "tags: [id:?20260304-woxxxg]",
            "tags: [a:, b]",
            "recovery: {fixed: {at: 2026-11-22T15:35:00-05:00, note: a:[b]}}",
        ] {
            let text = format!("{HEAD}{tail}\n");
            assert!(from_str::<Incident>(&text).is_none(), "took {text}");
            assert!(from_str::<Value>(&text).is_none(), "took {text}");
            assert!(fast_path_agrees(&text), "{text}");
        }
    }

    /// A scalar in one of the ways YAML can spell it, picked at random; plain only where
    /// that reads back as the same string in flow and block alike.
    fn scalar(v: &Value, rng: &mut Rng) -> String {
        let Value::String(s) = v else {
            return match v {
                Value::Null if rng.chance(50) => "~".into(),
                _ => crate::yaml::to_string(v).expect("scalar").trim_end().to_string(),
            };
        };
        let plain_ok = !s.is_empty()
            && !s.contains([',', '[', ']', '{', '}', '#', '\n', '\'', '"'])
            && !s.contains(": ")
            && !s.ends_with(':')
            && s.trim() == s
            && serde_yaml::from_str::<Value>(s).ok().as_ref() == Some(v);
        match rng.below(4) {
            _ if plain_ok && rng.chance(70) => s.clone(),
            0 | 1 if !s.contains('\n') => format!("'{}'", s.replace('\'', "''")),
            _ => serde_json::to_string(s).expect("json"),
        }
    }

    fn separator(rng: &mut Rng) -> &'static str {
        const SEPARATORS: [&str; 6] = [", ", ", ", ", ", ",", " , ", ",  "];
        SEPARATORS[rng.below(6) as usize]
    }

    fn flow(v: &Value, rng: &mut Rng) -> String {
        let pad = if rng.chance(15) { " " } else { "" };
        match v {
            Value::Mapping(m) => {
                let mut out = format!("{{{pad}");
                for (n, (k, v)) in m.iter().enumerate() {
                    if n > 0 {
                        out.push_str(separator(rng));
                    }
                    let colon = if rng.chance(10) { ":  " } else { ": " };
                    out.push_str(&format!("{}{colon}{}", k.as_str().expect("key"), flow(v, rng)));
                }
                format!("{out}{pad}}}")
            }
            Value::Sequence(items) => {
                let mut out = format!("[{pad}");
                for (n, v) in items.iter().enumerate() {
                    if n > 0 {
                        out.push_str(separator(rng));
                    }
                    out.push_str(&flow(v, rng));
                }
                format!("{out}{pad}]")
            }
            _ => scalar(v, rng),
        }
    }

    /// `key:` and its value at `indent`, each collection in block or flow style at random.
    fn entry(key: &str, v: &Value, indent: usize, rng: &mut Rng, out: &mut String) {
        let pad = " ".repeat(indent);
        let block = match v {
            Value::Mapping(m) => !m.is_empty() && rng.chance(40),
            Value::Sequence(s) => !s.is_empty() && rng.chance(40),
            _ => false,
        };
        if !block {
            out.push_str(&format!("{pad}{key}: {}\n", flow(v, rng)));
            return;
        }
        out.push_str(&format!("{pad}{key}:\n"));
        match v {
            Value::Mapping(m) => {
                for (k, v) in m {
                    entry(k.as_str().expect("key"), v, indent + 2, rng, out);
                }
            }
            Value::Sequence(items) => {
                // Items at the key's own indentation, as care writes them, or indented.
                let at = if rng.chance(50) { indent } else { indent + 2 };
                for item in items {
                    match item {
                        Value::Mapping(m) if !m.is_empty() && rng.chance(50) => {
                            let mut first = true;
                            for (k, v) in m {
                                let mut line = String::new();
                                entry(k.as_str().expect("key"), v, at + 2, rng, &mut line);
                                if first {
                                    line.replace_range(..at + 2, &format!("{}- ", " ".repeat(at)));
                                    first = false;
                                }
                                out.push_str(&line);
                            }
                        }
                        _ => out.push_str(&format!("{}- {}\n", " ".repeat(at), flow(item, rng))),
                    }
                }
            }
            _ => unreachable!("only collections are written in block style"),
        }
    }

    fn rewrite(record: &Value, rng: &mut Rng) -> String {
        let mut out = String::new();
        for (k, v) in record.as_mapping().expect("a record is a mapping") {
            entry(k.as_str().expect("key"), v, 0, rng, &mut out);
        }
        out
    }

    /// One random change that YAML may read differently, or refuse.
    fn damage(text: &str, rng: &mut Rng) -> String {
        const BITS: [&str; 24] = [
            ",", ", ", "[", "]", "{", "}", ": ", ":", " #", "#", "&a ", "*a", "!t ", "? ", "'", "\"", "\\", "-", " ",
            "\n", "\n  ", "yes", "0x1", "~",
        ];
        let mut at = rng.below(text.len() as u64 + 1) as usize;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut out = text.to_string();
        if rng.chance(30) && at < text.len() {
            let end = (at + 1..=text.len()).find(|&e| text.is_char_boundary(e)).unwrap_or(text.len());
            out.replace_range(at..end, "");
        } else {
            out.insert_str(at, BITS[rng.below(BITS.len() as u64) as usize]);
        }
        out
    }

    #[test]
    fn generated_flow_and_mixed_records_read_alike_both_ways() {
        let clock = crate::time::Clock::at("2026-11-22T19:42:00-05:00", "America/New_York");
        let mut customers = crate::sample::customers(60, 5, &clock);
        let ids: Vec<String> = customers.iter().map(|c| c.id.clone()).collect();
        let incidents = crate::sample::incidents(400, &ids, 5, &clock);
        crate::sample::link_missteps(&mut customers, incidents.iter().map(|s| &s.incident));
        crate::sample::add_visits(&mut customers, 200, 5, &clock);
        let mut rng = Rng::new(16);
        let (mut generated, mut damaged, mut damaged_taken) = (0, 0, 0);
        // The fast reader must take in flow style whatever it takes in the tool's block style.
        let mut check = |text: &str, rng: &mut Rng, expected: &serde_json::Value, incident: bool| {
            let read = match incident {
                true => json(&taken::<Incident>(text)),
                false if from_str::<Customer>(&crate::yaml::to_string(expected).expect("yaml")).is_some() => {
                    json(&taken::<Customer>(text))
                }
                false => json(&serde_yaml::from_str::<Customer>(text).expect("serde_yaml reads it")),
            };
            assert_eq!(&read, expected, "{text}");
            assert!(fast_path_agrees(text), "{text}");
            generated += 1;
            for _ in 0..8 {
                let bad = damage(text, rng);
                assert!(fast_path_agrees(&bad), "the fast reader disagrees with serde_yaml on:\n{bad}");
                damaged += 1;
                damaged_taken += usize::from(from_str::<Incident>(&bad).is_some());
            }
        };
        for s in &incidents {
            let value = crate::yaml::to_value(&s.incident).expect("value");
            let expected = json(&s.incident);
            check(&crate::sample::flow_style(&value), &mut rng, &expected, true);
            let text = rewrite(&value, &mut rng);
            check(&text, &mut rng, &expected, true);
        }
        for c in &customers {
            let text = rewrite(&crate::yaml::to_value(c).expect("value"), &mut rng);
            check(&text, &mut rng, &json(c), false);
        }
        assert_eq!(generated, 2 * incidents.len() + customers.len());
        // The damage is not all declined: much of it (a space, a `~` in a note) still reads.
        assert!(damaged_taken > damaged / 10, "{damaged_taken} of {damaged}");
    }
}
