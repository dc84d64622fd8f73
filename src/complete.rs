//! Completion that knows the book at hand: `care show <TAB>` offers its customers, `care
//! recover fix <TAB>` its incidents (open ones first), `--staff` its people, `--by` and
//! `--where` its fields. clap_complete's dynamic completion calls these functions while the
//! shell waits (`COMPLETE=bash care -- care show a`), so each one is quick, prints nothing,
//! writes nothing, and offers nothing rather than fail: no book, no candidates. The data
//! comes from `book` (`customer_names`, `glance`); nothing here reads a file itself.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::sync::OnceLock;

use clap_complete::engine::CompletionCandidate;

use crate::book::{self, Book, Glance};
use crate::model::fields;
use crate::settings::{Completing, Settings};
// The grouping dimensions `trends --by` and `--where` know without looking at a book.
use crate::report::trends::DIMENSIONS;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Customer ids, each with the name as its description; a typed start of any word of a
/// name offers that customer's id too (`lov` → `ada-lovelace`, where the shell allows).
pub fn customers(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(book) = book_at_hand() else { return Vec::new() };
    let typed = current.to_string_lossy().to_lowercase();
    let names = book.customer_names();
    let by_id = names.iter().filter(|c| c.id.to_lowercase().starts_with(&typed));
    let by_name = names.iter().filter(|c| !c.id.to_lowercase().starts_with(&typed) && starts_a_word(&c.name, &typed));
    by_id.chain(by_name).map(|c| candidate(&c.id, &c.name)).collect()
}

/// Incident ids, open ones first (then the newest), each described by its customer and
/// what went wrong.
pub fn incidents(current: &OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    glance()
        .incidents
        .iter()
        .filter(|i| i.id.starts_with(typed.as_ref()))
        .map(|i| {
            let state = if i.open { "open" } else { "closed" };
            let what = i.summary.as_deref().map(|s| format!(": {s}")).unwrap_or_default();
            candidate(&i.id, &format!("{state}, {}{what}", i.customer))
        })
        .collect()
}

/// What `care edit` opens: a customer or an incident.
pub fn records(current: &OsStr) -> Vec<CompletionCandidate> {
    customers(current).into_iter().chain(incidents(current)).collect()
}

/// Staff names: care.yaml's `staff:` list and everyone named as staff or owner.
pub fn staff(current: &OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    glance().staff.iter().filter(|s| s.starts_with(typed.as_ref())).map(CompletionCandidate::new).collect()
}

/// `--by` dimensions: the built-in ones and the book's extra incident fields, less those
/// the word already names. clap hands over only the part after the last comma and puts
/// the rest back in front, so the whole word is read from the shell's request (its last).
pub fn dimensions(current: &OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    let word = word_at_cursor().unwrap_or_default();
    let given: Vec<&str> = word.rsplit_once(',').map(|(before, _)| before.split(',').collect()).unwrap_or_default();
    dimension_names(glance())
        .into_iter()
        .filter(|d| d.starts_with(typed.as_ref()) && !given.contains(&d.as_str()))
        .map(CompletionCandidate::new)
        .collect()
}

/// `--where FIELD=VALUE`: first the field (with its `=`, so the shell adds no space), then,
/// for the fields whose values the book can name, the value.
pub fn filters(current: &OsStr) -> Vec<CompletionCandidate> {
    let typed = current.to_string_lossy();
    match typed.split_once(['=', '~']) {
        None => dimension_names(glance())
            .into_iter()
            .filter(|d| d.starts_with(typed.as_ref()))
            .map(|d| CompletionCandidate::new(format!("{d}=")))
            .collect(),
        Some((field, value)) => {
            let head = &typed[..field.len() + 1];
            filter_values(field, value).into_iter().map(|v| CompletionCandidate::new(format!("{head}{v}"))).collect()
        }
    }
}

fn filter_values(field: &str, value: &str) -> Vec<String> {
    let values: Vec<String> = match field {
        fields::STAFF | fields::OWNER => glance().staff.iter().cloned().collect(),
        fields::CUSTOMER_ID => {
            book_at_hand().map(|b| b.customer_names().into_iter().map(|c| c.id).collect()).unwrap_or_default()
        }
        "weekday" => WEEKDAYS.iter().map(|d| d.to_string()).collect(),
        _ => Vec::new(),
    };
    let value = value.to_lowercase();
    values.into_iter().filter(|v| v.to_lowercase().starts_with(&value)).collect()
}

/// The whole word being completed: clap_complete's `_CLAP_COMPLETE_INDEX` among the words
/// the shell passes after `--`.
fn word_at_cursor() -> Option<String> {
    let (_, asked) = request()?;
    let words: Vec<&OsString> = asked.args.iter().skip_while(|a| *a != "--").skip(1).collect();
    let word = asked.index.map_or(words.last(), |i| words.get(i)).copied()?;
    Some(word.to_string_lossy().into_owned())
}

fn dimension_names(glance: &Glance) -> Vec<String> {
    let builtin = DIMENSIONS.iter().chain(&crate::report::query::COMPUTED);
    let extra = glance.extra_fields.iter().filter(|f| !DIMENSIONS.contains(&f.as_str())).cloned();
    builtin.map(|d| d.to_string()).chain(extra).collect()
}

fn candidate(value: &str, help: &str) -> CompletionCandidate {
    let help = (!help.is_empty()).then(|| help.to_string().into());
    CompletionCandidate::new(value).help(help)
}

fn starts_a_word(name: &str, typed: &str) -> bool {
    !typed.is_empty() && name.to_lowercase().split(|c: char| !c.is_alphanumeric()).any(|w| w.starts_with(typed))
}

/// The incidents of the book at hand, read once per completion request.
fn glance() -> &'static Glance {
    static GLANCE: OnceLock<Glance> = OnceLock::new();
    GLANCE.get_or_init(|| book_at_hand().map(|b| b.glance()).unwrap_or_default())
}

/// The book the command being completed would use: its `-C`/`--book`, else `CARE_BOOK`,
/// else the first folder upwards with care.yaml — found as the command itself finds it.
fn book_at_hand() -> Option<&'static Book> {
    static BOOK: OnceLock<Option<Book>> = OnceLock::new();
    BOOK.get_or_init(|| {
        let (settings, asked) = request()?;
        let given = book_option(asked.args.iter().cloned()).or_else(|| settings.book.clone());
        let given = given.filter(|p| !p.as_os_str().is_empty());
        let start = std::env::current_dir().ok()?;
        let root = book::find_root(given.as_deref(), &start).ok()?;
        Book::open(root, settings).ok()
    })
    .as_ref()
}

/// What `main` read for a completion request: the settings (a TAB never prints an error,
/// so a bad one is left to the command) and the words the shell passed.
static REQUEST: OnceLock<(Settings, Completing)> = OnceLock::new();

/// Keep what the environment says for the completers, which clap calls with nothing but
/// the word typed. Called by `main` before a completion request is answered.
pub fn prepare(settings: Settings, asked: Completing) {
    let _ = REQUEST.set((settings, asked));
}

fn request() -> Option<&'static (Settings, Completing)> {
    REQUEST.get()
}

/// The `-C DIR` / `--book DIR` among the words being completed (they follow `--`).
fn book_option(args: impl Iterator<Item = OsString>) -> Option<PathBuf> {
    let words: Vec<String> = args.skip_while(|a| a != "--").skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    let mut found = None;
    for (i, word) in words.iter().enumerate() {
        let next = || words.get(i + 1).map(PathBuf::from);
        found = match word.as_str() {
            "-C" | "--book" => next().or(found),
            w if w.starts_with("--book=") => Some(PathBuf::from(&w["--book=".len()..])),
            w if w.starts_with("-C") && w.len() > 2 => Some(PathBuf::from(&w[2..])),
            _ => found,
        };
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> impl Iterator<Item = OsString> {
        words.iter().map(OsString::from).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn the_book_option_is_read_from_the_words_after_the_separator() {
        assert_eq!(book_option(args(&["care", "--", "care", "-C", "b", "show", ""])), Some("b".into()));
        assert_eq!(book_option(args(&["care", "--", "care", "--book=x/y", "show"])), Some("x/y".into()));
        assert_eq!(book_option(args(&["care", "--", "care", "-Cz", "show"])), Some("z".into()));
        assert_eq!(book_option(args(&["care", "-C", "no", "--", "care", "show"])), None);
    }

    #[test]
    fn a_word_of_a_name_matches_from_its_start() {
        assert!(starts_a_word("Ada Lovelace", "lov"));
        assert!(!starts_a_word("Ada Lovelace", "ove"));
        assert!(!starts_a_word("Ada Lovelace", ""));
    }
}
