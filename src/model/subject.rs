//! What identifies a person in free text: their name, email and phone, as other records
//! may mention them ("Ada Lovelace's friend", "call 555-0100"). A rule of the book, not
//! of one report: `export subject` finds with it what the book says about a person
//! outside their own record, so the export a person asks for (GDPR article 15) is whole.
//!
//! Names and emails match ignoring case; a name only as whole words (`Ada Lovelace` is not
//! found inside `Adalovelace`). A phone matches whatever its separators (`+1 555 0100`,
//! `555-0100`, `(555) 0100`), by its digits, with or without the country code: a run of
//! digits holding the number's last seven.

use super::Customer;

/// The fewest digits a phone number must have to be looked for; shorter runs are prices,
/// dates and table numbers.
const MIN_PHONE_DIGITS: usize = 7;

/// What a mention matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matched {
    Name,
    Email,
    Phone,
}

impl Matched {
    pub fn as_str(self) -> &'static str {
        match self {
            Matched::Name => "name",
            Matched::Email => "email",
            Matched::Phone => "phone",
        }
    }
}

/// A person's name, email and phone, ready to be looked for.
#[derive(Debug, Clone)]
pub struct Needles {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

impl Needles {
    pub fn of(c: &Customer) -> Needles {
        let lower = |s: &str| Some(s.trim().to_lowercase()).filter(|s| !s.is_empty());
        let phone = c.contact.phone.as_deref().map(digits).filter(|d| d.len() >= MIN_PHONE_DIGITS);
        Needles { name: lower(&c.name), email: c.contact.email.as_deref().and_then(lower), phone }
    }

    /// What of the person this text mentions, each kind once, in the order name, email, phone.
    pub fn found_in(&self, text: &str) -> Vec<Matched> {
        let lower = text.to_lowercase();
        let mut found = Vec::new();
        if self.name.as_deref().is_some_and(|n| has_words(&lower, n)) {
            found.push(Matched::Name);
        }
        if self.email.as_deref().is_some_and(|e| lower.contains(e)) {
            found.push(Matched::Email);
        }
        if self.phone.as_deref().is_some_and(|p| has_phone(text, p)) {
            found.push(Matched::Phone);
        }
        found
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// `needle` in `hay` with no letter or digit touching it on either side.
fn has_words(hay: &str, needle: &str) -> bool {
    let boundary = |c: Option<char>| !c.is_some_and(char::is_alphanumeric);
    hay.match_indices(needle)
        .any(|(at, _)| boundary(hay[..at].chars().next_back()) && boundary(hay[at + needle.len()..].chars().next()))
}

/// A run of digits and the separators phone numbers are written with that holds the
/// number's last seven digits (the subscriber's number, whatever country code or prefix is
/// written before it, or a party size the run swallowed: `party 2 555 0100`). An export
/// would rather list a mention too many than miss one.
fn has_phone(text: &str, phone: &str) -> bool {
    let part_of_number = |c: char| c.is_ascii_digit() || " +-.()/".contains(c);
    let local = &phone[phone.len() - MIN_PHONE_DIGITS..];
    text.split(|c: char| !part_of_number(c)).map(digits).any(|run| run.contains(local))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> Needles {
        let mut c = Customer::new("ada-lovelace", "Ada Lovelace");
        c.contact.email = Some("Ada@Example.com".into());
        c.contact.phone = Some("+1 555 0100".into());
        Needles::of(&c)
    }

    #[test]
    fn a_name_is_found_as_whole_words_ignoring_case() {
        assert_eq!(ada().found_in("Came with ada lovelace's band"), [Matched::Name]);
        assert_eq!(ada().found_in("ADA LOVELACE."), [Matched::Name]);
        assert!(ada().found_in("Adalovelace").is_empty());
        assert!(ada().found_in("Ada Lovelacey").is_empty());
        assert!(ada().found_in("Ada alone").is_empty(), "a first name alone is too common to be her");
    }

    #[test]
    fn an_email_and_a_phone_are_found_whatever_their_spelling() {
        assert_eq!(ada().found_in("write to ADA@example.COM"), [Matched::Email]);
        for written in ["call +1 555 0100", "call 15550100 after 11", "(555) 0100", "555-0100", "tel:+1-555-0100"] {
            assert_eq!(ada().found_in(written), [Matched::Phone], "{written}");
        }
        assert!(ada().found_in("table 5550, party of 100").is_empty());
        assert!(ada().found_in("555 0101").is_empty());
        assert_eq!(ada().found_in("party 2 555 0100"), [Matched::Phone]);
        assert!(ada().found_in("paid 24 on 2026-11-22").is_empty());
    }

    #[test]
    fn a_person_with_no_contact_is_looked_for_by_name_only() {
        let needles = Needles::of(&Customer::new("x", "Grace Hopper"));
        assert_eq!(needles.found_in("Grace Hopper, 555 0100, a@b.c"), [Matched::Name]);
    }
}
