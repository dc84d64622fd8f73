//! Bounds on the work a record may cost before the YAML parser sees it.
//!
//! libyaml's scanner takes time quadratic in flow nesting (`[[[[…`: 4 s at 40,000 levels,
//! minutes near the size cap), and the deserializer's own recursion limit only applies once
//! every event has been scanned, so depth must be refused before parsing. A record is a
//! page of text a few levels deep; anything nested more than `MAX_DEPTH` levels is not one.
//! The same single pass also remembers where an unclosed `[`, `{` or quote began, because
//! the parser reports those at the end of the file, where nothing is to be seen.
//!
//! It is a scanner, not a parser: where it cannot be sure, it counts a level too many
//! rather than one too few (a refused absurd file is fine; a missed bomb is not).

/// Deeper nesting is refused; real records need four or five levels.
pub const MAX_DEPTH: usize = 64;

/// What one pass over a text found.
#[derive(Debug, Default)]
pub struct Scan {
    /// The deepest nesting seen (block levels plus flow levels).
    pub depth: usize,
    /// Line and column (1-based) where the nesting first went past `MAX_DEPTH`.
    pub too_deep_at: Option<(usize, usize)>,
    too_deep: Option<Pos>,
    /// A construct still open at the end of the text: its opening character, line, column.
    pub unclosed: Option<(char, usize, usize)>,
}

/// One position in the text: its line, and its byte offset in the text (turned into a
/// character column only when reported, so that long lines cost one pass).
#[derive(Debug, Clone, Copy)]
struct Pos {
    line: usize,
    offset: usize,
}

/// The 1-based character column of a byte offset.
fn column(text: &str, offset: usize) -> usize {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    1 + text.as_bytes()[start..offset].iter().filter(|&&c| c & 0xC0 != 0x80).count()
}

struct Scanner {
    scan: Scan,
    /// Columns of the open block collections, and whether each is a `- ` sequence.
    block: Vec<(usize, bool)>,
    /// The open flow brackets.
    flow: Vec<(u8, Pos)>,
    /// A quoted scalar still open: its quote and where it began.
    quote: Option<(u8, Pos)>,
    /// Lines indented more than this belong to a block scalar (`|`, `>`) and are skipped.
    literal: Option<usize>,
    /// The next non-blank character starts a node (where `[`, `{` and quotes mean something).
    node_start: bool,
    /// Byte offset of the current line in the text.
    start: usize,
}

pub fn scan(text: &str) -> Scan {
    let mut s = Scanner {
        scan: Scan::default(),
        block: Vec::new(),
        flow: Vec::new(),
        quote: None,
        literal: None,
        node_start: true,
        start: 0,
    };
    for (n, line) in text.split('\n').enumerate() {
        let bytes = line.strip_suffix('\r').unwrap_or(line).as_bytes();
        s.line(bytes, n + 1);
        s.start += line.len() + 1;
    }
    s.scan.too_deep_at = s.scan.too_deep.map(|at| (at.line, column(text, at.offset)));
    s.scan.unclosed = match (s.quote, s.flow.last()) {
        (Some((q, at)), _) | (None, Some(&(q, at))) => Some((q as char, at.line, column(text, at.offset))),
        (None, None) => None,
    };
    s.scan
}

impl Scanner {
    fn deeper(&mut self, at: Pos) {
        let depth = self.block.len() + self.flow.len();
        if depth > self.scan.depth {
            self.scan.depth = depth;
            if depth > MAX_DEPTH && self.scan.too_deep.is_none() {
                self.scan.too_deep = Some(at);
            }
        }
    }

    fn line(&mut self, b: &[u8], line: usize) {
        let indent = b.iter().take_while(|&&c| c == b' ').count();
        if let Some(n) = self.literal {
            if indent == b.len() || indent > n {
                return;
            }
            self.literal = None;
        }
        let mut i = 0;
        if let Some((q, _)) = self.quote {
            match close_quote(b, 0, q) {
                Some(end) => {
                    self.quote = None;
                    self.node_start = false;
                    i = end;
                }
                None => return,
            }
        } else if self.flow.is_empty() {
            // A new line in block context: its indentation closes deeper collections.
            if indent == b.len() || b[indent] == b'#' || (indent == 0 && b[0] == b'%') {
                return;
            }
            let marker =
                indent == 0 && (b.starts_with(b"---") || b.starts_with(b"...")) && b.get(3).is_none_or(|&c| c == b' ');
            if marker {
                self.block.clear();
                i = 3;
            } else {
                let dash = is_indicator(b, indent);
                while self.block.last().is_some_and(|&(c, _)| c > indent) {
                    self.block.pop();
                }
                // `key:` followed by `- item` at the same column is a sequence inside the
                // mapping; a sibling line at that column replaces its predecessor.
                if self.block.last().is_some_and(|&(c, was_dash)| c == indent && (was_dash || !dash)) {
                    self.block.pop();
                }
                self.block.push((indent, dash));
                self.deeper(Pos { line, offset: self.start + indent });
                i = indent;
            }
            self.node_start = true;
        }
        while i < b.len() {
            let c = b[i];
            let at = Pos { line, offset: self.start + i };
            if self.flow.is_empty() {
                // Block context.
                if self.node_start {
                    match c {
                        b' ' | b'\t' => {}
                        b'[' | b'{' => {
                            self.flow.push((c, at));
                            self.deeper(at);
                        }
                        b'\'' | b'"' => match close_quote(b, i + 1, c) {
                            Some(end) => {
                                self.node_start = false;
                                i = end;
                                continue;
                            }
                            None => {
                                self.quote = Some((c, at));
                                return;
                            }
                        },
                        b'&' | b'!' | b'*' => {
                            i = skip_token(b, i);
                            self.node_start = c != b'*';
                            continue;
                        }
                        b'|' | b'>' => {
                            self.literal = Some(self.block.last().map_or(0, |&(c, _)| c));
                            return;
                        }
                        b'#' => return,
                        b'-' | b'?' if is_indicator(b, i) => {
                            let next = i + 1 + b[i + 1..].iter().take_while(|&&c| c == b' ').count();
                            // The node inside the entry (a mapping, or another entry).
                            self.block.push((next, false));
                            self.deeper(at);
                            i = next;
                            continue;
                        }
                        _ => self.node_start = false,
                    }
                } else if c == b':' && b.get(i + 1).is_none_or(|&n| n == b' ' || n == b'\t') {
                    self.node_start = true;
                } else if c == b'#' && i > 0 && matches!(b[i - 1], b' ' | b'\t') {
                    return;
                }
                i += 1;
                continue;
            }
            // Flow context: brackets and quotes, wherever they are outside quoted text.
            match c {
                b'[' | b'{' => {
                    self.flow.push((c, at));
                    self.deeper(at);
                    self.node_start = true;
                }
                b']' | b'}' => {
                    self.flow.pop();
                    self.node_start = false;
                }
                b',' => self.node_start = true,
                b':' => {
                    // `a: b`, and JSON's `"a":"b"` right after a quoted key.
                    let spaced = b.get(i + 1).is_none_or(|&n| b" \t,[]{}".contains(&n));
                    let after_quote = i > 0 && matches!(b[i - 1], b'"' | b'\'');
                    if spaced || after_quote {
                        self.node_start = true;
                    }
                }
                b'#' if i == 0 || matches!(b[i - 1], b' ' | b'\t') => return,
                b'\'' | b'"' if self.node_start => match close_quote(b, i + 1, c) {
                    Some(end) => {
                        self.node_start = false;
                        i = end;
                        continue;
                    }
                    None => {
                        self.quote = Some((c, at));
                        return;
                    }
                },
                b' ' | b'\t' | b'?' => {}
                _ => self.node_start = false,
            }
            i += 1;
        }
    }
}

/// `-`, `?` followed by a space or the end of the line: a block indicator, not text.
fn is_indicator(b: &[u8], i: usize) -> bool {
    matches!(b.get(i), Some(b'-' | b'?')) && b.get(i + 1).is_none_or(|&c| c == b' ' || c == b'\t')
}

/// An anchor, tag or alias: up to the next space or flow indicator.
fn skip_token(b: &[u8], i: usize) -> usize {
    i + 1 + b[i + 1..].iter().take_while(|&&c| !b" \t,[]{}".contains(&c)).count()
}

/// Where the quoted text opened before `from` ends on this line (just past the quote),
/// or None if it goes on. `''` is a quote in single-quoted text, `\"` in double-quoted.
fn close_quote(b: &[u8], from: usize, q: u8) -> Option<usize> {
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'\\' if q == b'"' => i += 1,
            c if c == q => {
                if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 1;
                } else {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(text: &str) -> usize {
        scan(text).depth
    }

    #[test]
    fn records_are_a_few_levels_deep() {
        let record = "id: x\nname: X\ncontact: {email: a@x, phone: \"+1 [5\"}\nnotes:\n- text: 'a [b'\n  by: joan\n\
                      recovery:\n  fixed: {at: x, by: y}\nfollowups:\n  - kind: check-in\n    done: {at: x}\n";
        let s = scan(record);
        assert!((3..=5).contains(&s.depth), "{s:?}");
        assert_eq!((s.too_deep_at, s.unclosed), (None, None));
    }

    #[test]
    fn flow_nesting_counts_every_bracket_outside_quotes() {
        assert_eq!(depth("a: [[[x]]]\n"), 4);
        assert_eq!(depth("a: {b: [c, {d: e}]}\n"), 4);
        assert_eq!(depth("a: ['[[[[', \"]]\\\"[[\", x]\n"), 2);
        assert_eq!(depth("a: [\n  [\n    [x]]]\n"), 4);
        assert_eq!(depth("a: [b] # [[[[\n"), 2);
        // Brackets inside plain text and comments of block context are text.
        assert_eq!(depth("a: sad :-[ [[[\nb: c # [[[\n"), 1);
    }

    #[test]
    fn block_nesting_counts_indentation_and_compact_entries() {
        assert_eq!(depth("a:\n  b:\n    c: x\n"), 3);
        assert_eq!(depth("a:\n- b:\n  - c: x\n"), 5);
        assert_eq!(depth("- - - x\n"), 4);
        assert_eq!(depth("a: 1\nb: 2\nc:\n  d: 3\ne: 4\n"), 2);
        let deep: String = (0..100).map(|k| format!("{}a:\n", " ".repeat(k))).collect();
        assert_eq!(depth(&deep), 100);
    }

    #[test]
    fn block_scalars_are_text() {
        assert_eq!(depth("a: |\n  [[[[[[\n  {{{{\nb: x\n"), 1);
        assert_eq!(depth("- >\n   [[[[\n- y\n"), 2);
    }

    #[test]
    fn too_deep_is_found_where_it_starts() {
        let text = format!("id: x\nname: y\nbad: {}{}\n", "[".repeat(40_000), "]".repeat(40_000));
        let s = scan(&text);
        assert_eq!((s.depth, s.too_deep_at), (40_001, Some((3, 6 + MAX_DEPTH - 1))));
        let block = format!("x:\n{}y\n", "- ".repeat(1000));
        assert!(scan(&block).too_deep_at.is_some());
    }

    #[test]
    fn the_unclosed_construct_is_remembered() {
        assert_eq!(scan("id: x\nname: [a, b\n").unclosed, Some(('[', 2, 7)));
        assert_eq!(scan("a: {b: [c]\n").unclosed, Some(('{', 1, 4)));
        assert_eq!(scan("a: 'it''s\nb: c\n").unclosed, Some(('\'', 1, 4)));
        assert_eq!(scan("a: \"x\\\"\n").unclosed, Some(('"', 1, 4)));
        assert_eq!(scan("a: [b, 'c\n  d']\n").unclosed, None);
        // Columns count characters, not bytes.
        assert_eq!(scan("é: [\n").unclosed, Some(('[', 1, 4)));
    }
}
