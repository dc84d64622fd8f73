//! The editable document: a record file's text beside its parsed value and the edits made
//! to it, rendered as the smallest change to the text that parses back to exactly the
//! intended value (or, failing that, the whole value written out canonically). This is
//! what keeps `git diff` to the lines a command meant to change.

use super::*;
use emit::flow;

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
        // A file already in canonical form (as the tool writes it, or wrote it before it
        // quoted what YAML 1.1 misreads) keeps its layout anyway.
        let canonical_before = serde_yaml::from_str::<Value>(&self.text).ok().is_some_and(|v| {
            [emit::to_string(&v).ok(), serde_yaml::to_string(&v).ok()].contains(&Some(self.text.clone()))
        });
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
    let text = emit::to_string(value).ok()?;
    Some(text.lines().map(|l| format!("{}{l}", " ".repeat(indent))).collect())
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
            // `n` is a boolean to YAML 1.1, so it is quoted.
            "id: ada\nroles:\n  - text: one\n  - text: r\n    by: joan\nnotes:\n- text: 'n'\n  by: joan\n"
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
