//! One `--where` condition (`FIELD=VALUE`, `FIELD!=VALUE`, `FIELD~REGEX`, `FIELD!~REGEX`):
//! its grammar and how it matches a field's values. A rule of the book, not of a report: a
//! corrective action stores its filter as these conditions (`model::action`), and every
//! list filters with them (`report::query`, which says what each field of a record is).

use std::borrow::Cow;
use std::str::FromStr;

use regex::Regex;

/// One `--where` condition, parsed and (for a regex) compiled.
#[derive(Debug, Clone)]
pub struct Cond {
    pub field: String,
    test: Test,
}

#[derive(Debug, Clone)]
enum Test {
    /// Lower-cased once here, so matching never allocates for ASCII text.
    Equals(String),
    NotEquals(String),
    Matches(Regex),
    NotMatches(Regex),
}

impl FromStr for Cond {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Cond, String> {
        let hint = "use FIELD=VALUE, FIELD!=VALUE or FIELD~REGEX (e.g. location=uptown)";
        let Some(at) = s.find(['=', '~']) else {
            return Err(format!("{s:?} has no operator; {hint}"));
        };
        let negated = s[..at].ends_with('!');
        let field = s[..at].trim_end_matches('!').trim();
        if field.is_empty() || !field.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
            return Err(format!("{s:?}: {field:?} is not a field name (letters, digits, _ and -); {hint}"));
        }
        let value = &s[at + 1..];
        let regex = || Regex::new(value).map_err(|e| format!("{s:?}: the pattern after ~ is not a valid regex: {e}"));
        let test = match (s.as_bytes()[at], negated) {
            (b'=', false) => Test::Equals(value.to_lowercase()),
            (b'=', true) => Test::NotEquals(value.to_lowercase()),
            (_, false) => Test::Matches(regex()?),
            (_, true) => Test::NotMatches(regex()?),
        };
        Ok(Cond { field: field.to_string(), test })
    }
}

impl Cond {
    /// Does a field with these values pass? No values reads as one empty value.
    pub fn accepts(&self, values: &[Cow<'_, str>]) -> bool {
        let empty = [Cow::Borrowed("")];
        let values = if values.is_empty() { &empty[..] } else { values };
        match &self.test {
            Test::Equals(want) => values.iter().any(|v| same(v, want)),
            Test::NotEquals(want) => !values.iter().any(|v| same(v, want)),
            Test::Matches(re) => values.iter().any(|v| re.is_match(v)),
            Test::NotMatches(re) => !values.iter().any(|v| re.is_match(v)),
        }
    }
}

impl Cond {
    /// Does this condition single out `value` — select it by saying it (`customer=ada`,
    /// `customer~^ada`), not merely let it through (`customer!=bob`)? What an action's
    /// filter names, for `export subject`.
    pub fn names(&self, value: &str) -> bool {
        let positive = matches!(self.test, Test::Equals(_) | Test::Matches(_));
        positive && self.accepts(&[Cow::Borrowed(value)])
    }
}

/// Equal ignoring case; `want` is already lower case.
fn same(value: &str, want: &str) -> bool {
    if value.is_ascii() && want.is_ascii() {
        value.eq_ignore_ascii_case(want)
    } else {
        value.chars().flat_map(char::to_lowercase).eq(want.chars())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(s: &str) -> Cond {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn the_grammar_reads_each_operator_and_keeps_the_rest_as_the_value() {
        assert!(matches!(cond("staff=billy").test, Test::Equals(ref v) if v == "billy"));
        assert!(matches!(cond("staff!=Billy").test, Test::NotEquals(ref v) if v == "billy"));
        assert!(matches!(cond("staff~^b").test, Test::Matches(_)));
        assert!(matches!(cond("staff!~^b").test, Test::NotMatches(_)));
        let c = cond("summary~a=b");
        assert_eq!(c.field, "summary");
        assert!(matches!(c.test, Test::Matches(ref r) if r.as_str() == "a=b"));
        assert!(matches!(cond("location=").test, Test::Equals(ref v) if v.is_empty()));
        assert!(cond("customer=Ada-Lovelace").names("ada-lovelace"));
        assert!(cond("customer~^ada").names("ada-lovelace"));
        assert!(!cond("customer!=bob").names("ada-lovelace"), "letting through is not naming");
        assert!(!cond("customer!~bob").names("ada-lovelace"));
        assert!(!cond("customer=ada").names("ada-lovelace"));
        for bad in ["nonsense", "=x", "!=x", "a b=c", "staff~(", ""] {
            let e = bad.parse::<Cond>().expect_err(bad);
            assert!(e.contains("FIELD=VALUE") || e.contains("regex"), "{bad}: {e}");
        }
    }
}
