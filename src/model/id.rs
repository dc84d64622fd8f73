//! Record ids. A customer id is also a file name, so it is the one place where user input
//! could address a path: only slugs (lowercase letters, digits, `-`, 1–64 characters) are
//! accepted, which can never contain `/`, `..` or anything absolute.

pub const MAX_LEN: usize = 64;

/// Check that `id` is a valid customer id; the error says what is allowed.
pub fn check_customer_id(id: &str) -> Result<(), String> {
    let ok_chars = id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if id.is_empty() || id.len() > MAX_LEN || !ok_chars || id.starts_with('-') || id.ends_with('-') {
        return Err(format!(
            "{id:?} is not a valid customer id: use 1–{MAX_LEN} lowercase letters, digits and `-`, \
             not starting or ending with `-` (e.g. ada-lovelace)"
        ));
    }
    Ok(())
}

/// Check that `id` could be an incident id (`20261122-k7f3qz`): same alphabet as customers.
pub fn check_incident_id(id: &str) -> Result<(), String> {
    check_customer_id(id)
        .map_err(|_| format!("{id:?} is not a valid incident id: incident ids look like 20261122-k7f3qz"))
}

/// A new incident id: the date it happened, then six random lowercase letters and digits
/// (`20261122-k7f3qz`). Ids sort by date, and two clones of a book that open incidents on
/// the same day without talking to each other collide with odds of one in two billion.
pub fn incident_id(date: chrono::NaiveDate, random: u64) -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut n = random;
    let mut suffix = String::with_capacity(6);
    for _ in 0..6 {
        suffix.push(char::from(ALPHABET[(n % 36) as usize]));
        n /= 36;
    }
    format!("{}-{suffix}", date.format("%Y%m%d"))
}

/// Random bits for an id, from the standard library's randomly keyed hasher (seeded by the
/// operating system), mixed with the time and process id: no extra crate needed.
pub fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.write_u32(std::process::id());
    h.finish()
}

/// The slug for a name: `Ada Lovelace` → `ada-lovelace`, `José Núñez` → `jose-nunez`,
/// `李小龍` → `li-xiao-long`. The name is normalised (NFKC: fullwidth letters, ligatures)
/// and transliterated to ASCII first, so a name in any script gets a readable id; the
/// display name stays as typed.
pub fn slug(name: &str) -> String {
    let mut out = fold(name).replace(' ', "-");
    // Leave room for a `-NN` suffix on collision.
    out.truncate(MAX_LEN - 4);
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "customer".to_string() } else { out }
}

/// Text as ids see it: NFKC, transliterated to ASCII (`Jürgen` → `jurgen`, `山田` →
/// `shan tian`), lower case, its words separated by one space, apostrophes dropped
/// (`O'Brien` → `obrien`). Naming a customer folds both sides the same way, so whatever
/// spelling made the id finds the customer again.
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let normal: String = text.nfkc().collect();
    let ascii = deunicode::deunicode_with_tofu(&normal, " ");
    let mut out = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with(' ') && !matches!(c, '\'' | '`') {
            out.push(' ');
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// `base`, or `base-2`, `base-3`, … : the first that `taken` says is free.
pub fn first_free(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (2..).map(|n| format!("{base}-{n}")).find(|id| !taken(id)).unwrap_or_default()
}

/// What `care check` (code `id-mismatch`) and every writer say about a record whose id is
/// not its file name: one message, so the two can never disagree.
pub fn mismatch_message(id: &str, stem: &str) -> String {
    format!("id {id:?} differs from the file name {stem:?}; rename the file or correct the id")
}

/// What `care check` (code `duplicate-id`), the writers and the reports say about a second
/// record with an id already used by `first`.
pub fn duplicate_message(id: &str, first: &std::path::Path) -> String {
    format!("id {id:?} is also used by {}; give one of them another id", first.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_from_names() {
        assert_eq!(slug("Ada Lovelace"), "ada-lovelace");
        assert_eq!(slug("  José  Núñez "), "jose-nunez");
        assert_eq!(slug("O'Brien & Sons"), "obrien-sons");
        assert_eq!(slug("李小龍"), "li-xiao-long");
        assert_eq!(slug("Łukasz Żółć"), "lukasz-zolc");
        assert_eq!(slug("Nguyễn Văn Anh"), "nguyen-van-anh");
        assert_eq!(slug("Ｆｕｌｌｗｉｄｔｈ"), "fullwidth");
        assert_eq!(slug("Søren Kierkegaard"), "soren-kierkegaard");
        assert_eq!(slug("מרים כהן"), "mrym-khn");
        assert!(check_customer_id(&slug("عبد الله")).is_ok(), "{}", slug("عبد الله"));
        assert_eq!(slug("\u{200b}"), "customer");
        assert!(slug(&"x".repeat(200)).len() <= MAX_LEN - 4);
    }

    #[test]
    fn only_slugs_are_ids() {
        for good in ["ada-lovelace", "a", "x2", &"a".repeat(64)] {
            assert!(check_customer_id(good).is_ok(), "{good}");
        }
        for bad in ["", "../x", "/etc/passwd", "A B", "Ada", "a/b", "a..b.", "-a", "a-", "a\nb", "a b", &"a".repeat(65)]
        {
            assert!(check_customer_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn incident_ids_sort_by_date_and_are_valid() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        let a = incident_id(day, random());
        assert!(a.starts_with("20261122-") && a.len() == 15, "{a}");
        assert!(check_incident_id(&a).is_ok());
        assert_ne!(incident_id(day, random()), a);
        assert_eq!(incident_id(day, 0), "20261122-aaaaaa");
    }

    #[test]
    fn collisions_get_a_number() {
        let taken = ["ada", "ada-2"];
        assert_eq!(first_free("ada", |id| taken.contains(&id)), "ada-3");
        assert_eq!(first_free("bob", |id| taken.contains(&id)), "bob");
    }
}
