//! Mind the words: phrases that undo an apology or a recovery, why, and what to say
//! instead. The built-in list holds the playbook's examples; a book adds its own in
//! care.yaml (`lexicon:`). Used by `care lexicon check` and to warn about the notes given
//! to `recover` steps and `followup done`.

use regex::Regex;

use super::config::LexiconEntry;

/// One banished phrase: a pattern, why it hurts, and what to say instead.
#[derive(Debug, Clone)]
pub struct Rule {
    pub pattern: Regex,
    pub why: String,
    pub instead: String,
}

const BUILT_IN: [(&str, &str, &str); 9] = [
    (
        r"(?i)\b(it'?s|that'?s|it is|that is)\s+(our|the|company|store|hotel)\s+policy\b|\bcompany policy\b",
        "Hides behind rules instead of helping.",
        "Here is what I can do for you.",
    ),
    (
        r"(?i)\byou(?:'re|\s+are)\s+(?:wrong|mistaken|incorrect)\b|\bthat'?s\s+not\s+(?:true|right|correct|what happened)\b",
        "Tells the customer they are wrong; a recovery never argues.",
        "I understand how it looked from your side; let me put it right.",
    ),
    (
        r"(?i)\bif\s+(?:what\s+you\s+say|that|this)\s+is\s+(?:correct|true|the case|right)\b[^.!?]*?\bapologi[sz]e",
        "A conditional apology is no apology: it doubts the customer.",
        "I am sorry this happened.",
    ),
    (
        r"(?i)\bplease\s+accept\s+(?:my|our)\s+(?:sincere\s+)?apolog(?:y|ies)\b",
        "Asks the customer to do the work; apologize and ask forgiveness instead.",
        "I am truly sorry. Will you forgive us?",
    ),
    (
        r"(?i)\byou(?:'ll|\s+will)?\s+(?:need|have)\s+to\s+(?:ask|speak\s+to|talk\s+to|see|call)\s+(?:a|the|my)\s+(?:manager|supervisor)\b",
        "Passes the customer on; whoever hears the complaint owns it.",
        "I will take care of this myself.",
    ),
    (
        r"(?i)\bI\s+(?:just|only)\s+(?:send|ship|pack)\s+(?:the\s+)?boxes\b|\bnot\s+my\s+(?:department|job|problem|area)\b",
        "Disowns the problem; to the customer you are the company.",
        "Let me find out and get back to you by ...",
    ),
    (
        r"(?i)\bdid\s+you\s+(?:plug\s+it\s+in|try\s+(?:turning|switching)\s+it\s+off|turn\s+it\s+on|read\s+the\s+(?:manual|instructions))\b",
        "A rudimentary question before the apology offends; apologize first, then review.",
        "I am sorry it is not working. Could we go through it together?",
    ),
    (
        r"(?i)\bcalm\s+down\b",
        "Dismisses the customer's feelings and escalates.",
        "I can see this has been really frustrating.",
    ),
    (
        r"(?i)\bthere'?s\s+nothing\s+(?:I|we)\s+can\s+do\b",
        "Closes the door; there is always a next step.",
        "Here is what I can do right now.",
    ),
];

/// The built-in rules followed by the book's own (a bad pattern in care.yaml is named).
pub fn rules(book: &[LexiconEntry]) -> Result<Vec<Rule>, String> {
    let mut rules: Vec<Rule> = BUILT_IN
        .iter()
        .map(|(p, why, instead)| Rule {
            pattern: Regex::new(p).expect("built-in lexicon patterns are valid"),
            why: why.to_string(),
            instead: instead.to_string(),
        })
        .collect();
    for entry in book {
        let pattern = Regex::new(&entry.pattern)
            .map_err(|e| format!("care.yaml: lexicon pattern {:?} is not a valid regex: {e}", entry.pattern))?;
        rules.push(Rule { pattern, why: entry.why.clone(), instead: entry.instead.clone() });
    }
    Ok(rules)
}

/// A banished phrase found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub phrase: String,
    pub why: String,
    pub instead: String,
}

/// Every banished phrase in `text`, in reading order.
pub fn check(text: &str, rules: &[Rule]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for rule in rules {
        for m in rule.pattern.find_iter(text) {
            let before = &text[..m.start()];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            hits.push(Hit {
                line,
                column,
                phrase: m.as_str().to_string(),
                why: rule.why.clone(),
                instead: rule.instead.clone(),
            });
        }
    }
    hits.sort_by_key(|h| (h.line, h.column));
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        check(text, &rules(&[]).expect("rules")).into_iter().map(|h| h.phrase).collect()
    }

    #[test]
    fn the_tv_story_is_caught_and_a_sincere_apology_is_not() {
        assert_eq!(
            found("If what you say is correct, I certainly apologize."),
            ["If what you say is correct, I certainly apologize"]
        );
        assert_eq!(found("Well… did you plug it in?"), ["did you plug it in"]);
        assert!(found("I am so sorry the TV did not work. Will you forgive us? Let's fix it now.").is_empty());
    }

    #[test]
    fn each_built_in_phrase_is_caught() {
        for text in [
            "Sorry, it's our policy.",
            "You're wrong about the bill.",
            "Please accept my apology.",
            "You'll need to ask a manager.",
            "I just send boxes.",
            "That's not my department.",
            "Please calm down.",
            "There's nothing we can do.",
        ] {
            assert_eq!(found(text).len(), 1, "{text}");
        }
    }

    #[test]
    fn hits_are_placed_by_line_and_column_and_book_rules_are_added() {
        let book = [LexiconEntry { pattern: "(?i)no problem".into(), why: "w".into(), instead: "i".into() }];
        let hits = check("Hello.\nAh, no problem — calm down.", &rules(&book).expect("rules"));
        assert_eq!((hits[0].line, hits[0].column, hits[0].phrase.as_str()), (2, 5, "no problem"));
        assert_eq!((hits[1].line, hits[1].column), (2, 18));
        let bad = [LexiconEntry { pattern: "(".into(), why: String::new(), instead: String::new() }];
        assert!(rules(&bad).is_err());
    }
}
