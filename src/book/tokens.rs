//! The staff links of `care serve` (issue 28): one secret per staff member, with which a
//! phone writes to the book as that person. The secret is shown once, when it is made;
//! only its SHA-256 is kept, in the clone's `.care/serve-tokens` (git-ignored: a link is
//! this machine's, and a pull must never bring one in). The server reads the store on
//! every request (`load`, from a plain path, no `Book`), so a revoked link stops at once.
//!
//! The file is one line per person, `NAME<TAB>SHA-256 hex<TAB>created (RFC 3339)`, after a
//! comment saying what it is. A file that does not read back whole is an error naming its
//! line, never an empty store (that would silently sign everyone out, or, rewritten, lose
//! every link), and is never written over.

use std::fs;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{Book, Lock, write_atomic};
use crate::error::{Error, Result};

/// Where the store is, relative to the book's root.
pub const STORE: &str = ".care/serve-tokens";
/// The clone's own folder; never followed out of the book.
const CLONE_DIR: &str = ".care";
/// What the file opens with, so a person who finds it knows what it is.
const HEADER: &str = "# care serve token: one staff member a line: name, SHA-256 of the link's secret, created.\n\
                      # Written by `care serve token add|revoke`; the secrets themselves are kept nowhere.\n";
/// More than any store of staff links could hold (a line is under 400 bytes).
const MOST_BYTES: u64 = 1 << 20;
/// The longest staff name taken, in characters.
const LONGEST_NAME: usize = 100;

/// One staff member's link, as kept: never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffToken {
    pub name: String,
    /// SHA-256 of the secret, lowercase hex.
    pub hash: String,
    /// When the link was made, RFC 3339 in the book's zone.
    pub created: String,
}

/// The store as read at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    pub tokens: Vec<StaffToken>,
}

impl Tokens {
    /// The staff member whose secret this is (hash compared in constant time), if any.
    pub fn by_secret(&self, secret: &str) -> Option<&StaffToken> {
        self.by_hash(&hash(secret))
    }

    /// Whether a token with this hash is still in the store (a session remembers the
    /// hash; revoking removes it).
    pub fn holds(&self, hash: &str) -> bool {
        self.by_hash(hash).is_some()
    }

    /// The staff member's link, by name.
    pub fn named(&self, name: &str) -> Option<&StaffToken> {
        self.tokens.iter().find(|t| t.name == name)
    }

    /// Every entry is compared, whichever matches, so the time taken does not say which.
    fn by_hash(&self, hash: &str) -> Option<&StaffToken> {
        self.tokens.iter().fold(None, |found, t| if same(t.hash.as_bytes(), hash.as_bytes()) { Some(t) } else { found })
    }
}

/// SHA-256 of a secret, lowercase hex.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equality whose time depends only on the lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// A staff name as kept: trimmed; refused (with why) when empty, too long, holding a
/// control character (a tab or line break would break the file, an escape the terminal),
/// or starting with `#` (the file's comments).
pub fn staff_name(name: &str) -> std::result::Result<&str, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("a staff name cannot be empty".into());
    }
    if name.chars().any(char::is_control) {
        return Err(format!(
            "{name:?} holds a control character (a tab, a line break, an escape); give the name alone"
        ));
    }
    if name.starts_with('#') {
        return Err(format!("{name:?} starts with `#`; give the name without it"));
    }
    if name.chars().count() > LONGEST_NAME {
        return Err(format!("a staff name is at most {LONGEST_NAME} characters; {name:?} is longer"));
    }
    Ok(name)
}

/// The store's text read back; `path` is only for the errors, which name the line.
pub fn parse(path: &Path, text: &str) -> Result<Tokens> {
    let mut tokens: Vec<StaffToken> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let bad = |why: String| damaged(path, n + 1, &why);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, hash, created] = fields[..] else {
            return Err(bad(format!(
                "{} fields where a line has 3 (name, hash, created) separated by tabs",
                fields.len()
            )));
        };
        let name = staff_name(name).map_err(&bad)?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(bad(format!("the hash of {name:?} is not 64 lowercase hex digits (a SHA-256)")));
        }
        if chrono::DateTime::parse_from_rfc3339(created).is_err() {
            return Err(bad(format!("the creation time of {name:?}, {created:?}, is not an RFC 3339 time")));
        }
        if tokens.iter().any(|t| t.name == name) {
            return Err(bad(format!("{name:?} has a link on an earlier line too; a staff member has one")));
        }
        tokens.push(StaffToken { name: name.to_string(), hash: hash.to_string(), created: created.to_string() });
    }
    Ok(Tokens { tokens })
}

/// The store's text for `tokens`: what `parse` reads back.
pub fn store_text(tokens: &Tokens) -> String {
    let mut text = String::from(HEADER);
    for t in &tokens.tokens {
        text.push_str(&format!("{}\t{}\t{}\n", t.name, t.hash, t.created));
    }
    text
}

fn damaged(path: &Path, line: usize, why: &str) -> Error {
    Error::data(path, line, 1, why).with_hint(
        "the file is written by `care serve token`; mend that line, or remove the file to start over \
         (every staff link then stops working; make new ones with `care serve token add NAME`)",
    )
}

/// The store as read now; a missing file is an empty store. A couple of `lstat`s and one
/// small read: cheap enough for every request.
pub fn load(root: &Path) -> Result<Tokens> {
    let path = root.join(STORE);
    clone_dir_inside(root)?;
    match read_store(&path)? {
        Some(text) => parse(&path, &text),
        None => Ok(Tokens::default()),
    }
}

/// `.care` may be a link only to a folder inside the book: the store must never be read
/// from (or written to) somewhere else.
fn clone_dir_inside(root: &Path) -> Result<()> {
    let dir = root.join(CLONE_DIR);
    if !fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Ok(());
    }
    let real_root = fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
    let target = fs::canonicalize(&dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Dangling { path: dir.clone() },
        _ => Error::io(&dir, e),
    })?;
    if target.starts_with(&real_root) { Ok(()) } else { Err(Error::Outside { path: dir, target }) }
}

/// The store's text, or `None` when there is none. Anything but a regular file of text at
/// its name (a link, a folder, a FIFO, a huge file) is an error: never followed, never
/// waited on, never taken for an empty store.
fn read_store(path: &Path) -> Result<Option<String>> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    if !meta.is_file() {
        let what = if meta.file_type().is_symlink() { "a link" } else { "not a regular file" };
        return Err(damaged(path, 1, &format!("it is {what}; care keeps the staff links in a file of its own")));
    }
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Swapped for a link or a FIFO since the look above: refused, not followed or waited on.
        options.custom_flags((rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32);
    }
    let file = options.open(path).map_err(|e| Error::io(path, e))?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(damaged(path, 1, "it is not a regular file; care keeps the staff links in a file of its own"));
    }
    let mut bytes = Vec::new();
    file.take(MOST_BYTES + 1).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MOST_BYTES {
        return Err(damaged(path, 1, &format!("it is over {MOST_BYTES} bytes, more than staff links could fill")));
    }
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let line = e.as_bytes()[..e.utf8_error().valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        damaged(path, line, "it is not UTF-8 text")
    })
}

/// What `Book::issue_staff_token` made.
#[derive(Debug)]
pub struct Issued {
    /// The secret, shown once and kept nowhere.
    pub secret: String,
    /// The staff member's name as kept (trimmed).
    pub name: String,
    /// The link it replaced (that link no longer works), if there was one.
    pub replaced: Option<StaffToken>,
}

impl Book {
    /// A new link for `name`: the secret (128 bits from the system's generator, hex).
    pub fn add_staff_token(&self, name: &str) -> Result<String> {
        self.issue_staff_token(name).map(|issued| issued.secret)
    }

    /// Remove `name`'s link; false when there was none.
    pub fn revoke_staff_token(&self, name: &str) -> Result<bool> {
        let name = staff_name(name).map_err(Error::Usage)?;
        self.change_tokens(|tokens| {
            let before = tokens.tokens.len();
            tokens.tokens.retain(|t| t.name != name);
            Ok(tokens.tokens.len() != before)
        })
    }

    pub fn staff_tokens(&self) -> Result<Tokens> {
        self.within(&self.path(STORE))?;
        load(&self.root)
    }

    /// `add_staff_token`, saying what it replaced. A book that lists `staff:` takes only
    /// those names (as `care check` holds every record's staff to them).
    pub fn issue_staff_token(&self, name: &str) -> Result<Issued> {
        let name = staff_name(name).map_err(Error::Usage)?;
        if let Some(staff) = &self.config.staff
            && !staff.iter().any(|s| s == name)
        {
            let known = if staff.is_empty() { "nobody".to_string() } else { staff.join(", ") };
            return Err(Error::Refused(format!(
                "{name:?} is not in `staff:` in care.yaml (which lists {known}); no link was made"
            ))
            .with_hint(format!("add {name} to `staff:` in care.yaml first, or give one of the names it lists")));
        }
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::Refused(format!("cannot make a secret: the system's random generator failed ({e})")))?;
        let secret = hex(&bytes);
        let token = StaffToken {
            name: name.to_string(),
            hash: hash(&secret),
            created: crate::time::rfc3339(&self.clock.now()),
        };
        let replaced = self.change_tokens(|tokens| {
            let at = tokens.tokens.iter().position(|t| t.name == name);
            Ok(match at {
                Some(i) => Some(std::mem::replace(&mut tokens.tokens[i], token)),
                None => {
                    tokens.tokens.push(token);
                    None
                }
            })
        })?;
        Ok(Issued { secret, name: name.to_string(), replaced })
    }

    /// Read the store under its lock, let `change` edit it, and write it back atomically
    /// (only when it read back whole: a damaged store is never written over).
    fn change_tokens<T>(&self, change: impl FnOnce(&mut Tokens) -> Result<T>) -> Result<T> {
        let path = self.path(STORE);
        self.within(&path)?;
        clone_dir_inside(&self.root)?;
        let dir = self.path(CLONE_DIR);
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let _lock = Lock::acquire(&path, self.settings.lock_timeout, &self.warner)?;
        let text = read_store(&path)?;
        let mut tokens = match &text {
            Some(text) => parse(&path, text)?,
            None => Tokens::default(),
        };
        let result = change(&mut tokens)?;
        if text.is_none() {
            create_private(&path)?;
        }
        write_atomic(&path, &store_text(&tokens))?;
        Ok(result)
    }
}

/// Make the store's file, readable by its owner only: the rewrite keeps a file's
/// permissions, so the store stays private ever after.
fn create_private(path: &Path) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| Error::io(path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(name: &str, secret: &str) -> StaffToken {
        StaffToken { name: name.into(), hash: hash(secret), created: "2026-11-22T19:42:00-05:00".into() }
    }

    #[test]
    fn hash_is_sha256_in_lowercase_hex() {
        // FIPS 180-2's example and the empty string.
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn same_is_equality() {
        assert!(same(b"abcdef", b"abcdef"));
        assert!(!same(b"abcdef", b"abcdeg"));
        assert!(!same(b"Abcdef", b"abcdef"));
        assert!(!same(b"abc", b"abcd"));
        assert!(same(b"", b""));
    }

    #[test]
    fn a_secret_finds_its_staff_member_and_nothing_else_does() {
        let tokens = Tokens { tokens: vec![token("joan", "s1"), token("billy", "s2")] };
        assert_eq!(tokens.by_secret("s2").map(|t| t.name.as_str()), Some("billy"));
        assert_eq!(tokens.by_secret("s1").map(|t| t.name.as_str()), Some("joan"));
        assert!(tokens.by_secret("s3").is_none());
        // The hash is what is kept, not a secret: giving it as the secret finds nobody.
        assert!(tokens.by_secret(&hash("s1")).is_none());
        assert!(tokens.holds(&hash("s1")));
        assert!(!tokens.holds(&hash("s3")));
        assert!(!tokens.holds(""));
    }

    #[test]
    fn the_store_reads_back_as_written() {
        let tokens = Tokens { tokens: vec![token("joan", "s1"), token("Dale Cooper", "s2")] };
        let text = store_text(&tokens);
        assert!(text.starts_with('#'));
        assert_eq!(parse(Path::new("t"), &text).unwrap(), tokens);
        assert_eq!(parse(Path::new("t"), "").unwrap(), Tokens::default());
        assert_eq!(parse(Path::new("t"), HEADER).unwrap(), Tokens::default());
    }

    #[test]
    fn a_damaged_store_names_its_line() {
        let good = format!("joan\t{}\t2026-11-22T19:42:00-05:00", hash("x"));
        let cases = [
            ("joan only".to_string(), "3 (name"),
            (format!("# c\n{good}\njoan\t{}\t2026-11-22T19:42:00-05:00", hash("y")), "earlier line"),
            (format!("{good}\nbilly\tABC\t2026-11-22T19:42:00-05:00"), "64 lowercase hex"),
            (format!("{good}\nbilly\t{}\tyesterday", hash("y")), "RFC 3339"),
            (format!("{good}\n\t{}\t2026-11-22T19:42:00-05:00", hash("y")), "empty"),
            (format!("{good}\nbi\u{1b}lly\t{}\t2026-11-22T19:42:00-05:00", hash("y")), "control"),
            (format!("{good}\t\n"), "4 fields"),
        ];
        for (text, why) in cases {
            let e = parse(Path::new(".care/serve-tokens"), &text).unwrap_err();
            let Error::Data { line, message, .. } = e.cause() else { panic!("{text:?}: {e:?}") };
            assert!(message.contains(why), "{text:?}: {message}");
            let expected = text.lines().count();
            assert_eq!(*line, expected, "{text:?}");
        }
    }

    #[test]
    fn staff_names_are_trimmed_and_kept_to_one_line() {
        assert_eq!(staff_name("  billy "), Ok("billy"));
        assert_eq!(staff_name("Dale Cooper"), Ok("Dale Cooper"));
        assert_eq!(staff_name("Zoë"), Ok("Zoë"));
        for bad in ["", "   ", "a\tb", "a\nb", "a\u{1b}[2Jb", "#1", &"x".repeat(101)] {
            assert!(staff_name(bad).is_err(), "{bad:?}");
        }
    }
}
