//! The index: a cache, in `.care/cache/`, of what reports need from each incident, so that
//! `trends` and `followup due` need not parse 100,000 YAML files on every run.
//!
//! It is never trusted blindly. Every run checks every entry against a `stat` of its file
//! — size, modification time and status-change time in nanoseconds, inode — and reads the
//! file itself when anything differs, so a hand edit, a `git pull`, a new or deleted file
//! is seen at once. The status-change time (ctime) cannot be set back by a user, so even
//! an edit that keeps the size and restores the old modification time is noticed. Each
//! entry carries a checksum and the file ends with its entry count: a corrupt, truncated,
//! foreign-version or half-written index is ignored and rebuilt. The index is replaced
//! atomically; deleting it only costs speed; `CARE_NO_CACHE=1` turns it off; `care check`
//! never uses it.

use std::fs;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, FixedOffset};

use super::{Book, Fields, write_atomic_with};
use crate::model::Incident;
use crate::model::incident::{Done, Followup, Recovery, Step};
use crate::time::Stamp;

const HEADER: &str = "care-index 3 incidents";
const FILE: &str = ".care/cache/incidents.idx";

/// What the index keeps of one incident: what reports read of it, and its extra
/// top-level fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    pub incident: Incident,
    pub fields: Fields,
}

/// What a `stat` says about a file; any change means the entry is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Key {
    pub(super) size: u64,
    pub(super) mtime: i128,
    pub(super) ctime: i128,
    pub(super) ino: u64,
}

impl Key {
    pub(super) fn of(path: &Path) -> Option<Key> {
        let m = fs::metadata(path).ok()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
            Some(Key {
                size: m.len(),
                mtime: ns(m.mtime(), m.mtime_nsec()),
                ctime: ns(m.ctime(), m.ctime_nsec()),
                ino: m.ino(),
            })
        }
        #[cfg(not(unix))]
        {
            let mtime = m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos() as i128;
            Some(Key { size: m.len(), mtime, ctime: 0, ino: 0 })
        }
    }

    fn line(&self, path: &str, digest: &str) -> String {
        let body = format!("{path}\t{}\t{}\t{}\t{}\t{digest}", self.size, self.mtime, self.ctime, self.ino);
        format!("{:016x}\t{body}", checksum(&body))
    }
}

/// FNV-1a: enough to tell a damaged line from a good one.
fn checksum(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// Where one entry's line is in the index text: `checksum TAB path TAB key… TAB digest`.
/// Eight bytes an entry; the fields are read from the line when it is looked up.
#[derive(Clone, Copy)]
struct Entry {
    start: u32,
    len: u32,
    /// The path's length: the path is compared at every step of a lookup's search.
    path_len: u32,
}

/// The index as read at the start of a run, and which entries this run confirmed.
pub struct Index {
    enabled: bool,
    root: PathBuf,
    text: String,
    /// Sorted by path.
    entries: Vec<Entry>,
    hits: Vec<AtomicBool>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Index({} entries)", self.entries.len())
    }
}

impl Index {
    /// The index of `book`, or an empty one when it is off, missing or not to be trusted.
    pub fn open(book: &Book) -> Index {
        let index = Index::read(book);
        if index.enabled {
            sweep_spills(&book.root.join(FILE).with_file_name(""));
        }
        index
    }

    /// The index as `open` reads it, without sweeping dead runs' spill files: for readers
    /// that promise to write nothing (shell completion).
    pub fn read(book: &Book) -> Index {
        let enabled = std::env::var_os("CARE_NO_CACHE").is_none_or(|v| v.is_empty() || v == "0");
        let mut index =
            Index { enabled, root: book.root.clone(), text: String::new(), entries: Vec::new(), hits: Vec::new() };
        // The cache is read and written only inside the book: a `.care` (or its file)
        // linked elsewhere turns it off for this run rather than follow the link.
        let file = book.root.join(FILE);
        let outside =
            book.within(&file).is_err() || fs::symlink_metadata(&file).is_ok_and(|m| m.file_type().is_symlink());
        if !enabled || outside {
            index.enabled = false;
            return index;
        }
        let text = fs::read_to_string(book.root.join(FILE)).unwrap_or_default();
        if let Some(entries) = parse(&text) {
            index.hits = entries.iter().map(|_| AtomicBool::new(false)).collect();
            index.entries = entries;
            index.text = text;
        }
        index
    }

    /// `path` relative to the book's root, as the index names it. Files come from
    /// `root.join(…)`, so this is a cheap cut of the string, checked, not a path walk.
    fn relative<'p>(&self, path: &'p Path) -> Option<&'p str> {
        let full = path.to_str()?;
        let root = self.root.to_str()?;
        let rel = if root.is_empty() { full } else { full.strip_prefix(root)?.strip_prefix('/')? };
        (!rel.contains(['\t', '\n', '\r', '\\'])).then_some(rel)
    }

    fn path(&self, e: Entry) -> &str {
        let start = e.start as usize + 17;
        &self.text[start..start + e.path_len as usize]
    }

    fn line(&self, e: Entry) -> &str {
        &self.text[e.start as usize..(e.start + e.len) as usize]
    }

    /// The digest of `path` if the index holds one that is still true of the file.
    pub fn lookup(&self, path: &Path, run: &mut Run) -> Option<Digest> {
        let rel = self.relative(path)?;
        let at = self.entries.binary_search_by(|&e| path_cmp(self.path(e), rel)).ok()?;
        let line = self.line(self.entries[at]);
        let (key, digest) = fields_of(line)?;
        if run.folder.key(path)? != key {
            return None;
        }
        let (sum, body) = line.split_once('\t')?;
        if u64::from_str_radix(sum, 16).ok()? != checksum(body) {
            return None;
        }
        let digest = decode(digest)?;
        self.hits[at].store(true, Ordering::Relaxed);
        Some(digest)
    }

    /// A place for one thread to set aside the digests of the files it had to read.
    pub fn run(&self) -> Run {
        Run {
            enabled: self.enabled,
            dir: self.root.join(FILE).with_file_name(""),
            file: None,
            lines: 0,
            failed: false,
            folder: Folder::default(),
        }
    }

    /// Write the index anew if this run found anything it did not hold or no longer holds:
    /// the confirmed entries as they were, merged with the digests the threads set aside.
    /// Everything is streamed, in path order, so memory stays small however big the book.
    pub fn refresh(&self, book: &Book, runs: Vec<Run>) {
        let confirmed = self.hits.iter().filter(|h| h.load(Ordering::Relaxed)).count();
        let fresh: usize = runs.iter().map(|r| r.lines).sum();
        let failed = runs.iter().any(|r| r.failed);
        let mut sources: Vec<Box<dyn Iterator<Item = String> + '_>> = vec![Box::new(
            self.entries
                .iter()
                .zip(&self.hits)
                .filter(|(_, h)| h.load(Ordering::Relaxed))
                .map(|(&e, _)| self.line(e).to_string()),
        )];
        let mut spills = Vec::new();
        for run in runs {
            if let Some((path, writer)) = run.file {
                drop(writer);
                if let Ok(file) = fs::File::open(&path) {
                    sources.push(Box::new(BufReader::new(file).lines().map_while(std::io::Result::ok)));
                }
                spills.push(path);
            }
        }
        if self.enabled && !failed && (fresh > 0 || confirmed != self.entries.len()) {
            let mut heads: Vec<Option<String>> = sources.iter_mut().map(Iterator::next).collect();
            // A cache that cannot be written only costs speed next time.
            let _ = write_atomic_with(&book.root.join(FILE), |w| {
                writeln!(w, "{HEADER}")?;
                let mut count = 0;
                loop {
                    let next = (0..heads.len()).filter(|&i| heads[i].is_some()).min_by(|&a, &b| {
                        path_cmp(path_of(heads[a].as_deref().unwrap_or("")), path_of(heads[b].as_deref().unwrap_or("")))
                    });
                    let Some(i) = next else { break };
                    writeln!(w, "{}", heads[i].as_deref().unwrap_or(""))?;
                    heads[i] = sources[i].next();
                    count += 1;
                }
                writeln!(w, "end {count}")
            });
        }
        for path in spills {
            let _ = fs::remove_file(path);
        }
    }
}

/// One thread's digests of files it read, spilled to a temporary file in path order (a
/// thread takes its files in the book's order), so no run holds the book in memory.
pub struct Run {
    enabled: bool,
    dir: PathBuf,
    file: Option<(PathBuf, BufWriter<fs::File>)>,
    lines: usize,
    failed: bool,
    folder: Folder,
}

/// The folder of the files a thread is checking, kept open: files come folder by folder,
/// and a `stat` relative to an open folder does not resolve the whole path again.
#[derive(Default)]
struct Folder {
    #[cfg(unix)]
    open: Option<(PathBuf, rustix::fd::OwnedFd)>,
}

impl Folder {
    #[cfg(unix)]
    fn key(&mut self, path: &Path) -> Option<Key> {
        use rustix::fs::{AtFlags, Mode, OFlags};
        let (parent, name) = (path.parent()?, path.file_name()?);
        if self.open.as_ref().is_none_or(|(dir, _)| dir != parent) {
            let at = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
            let fd = rustix::fs::open(at, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).ok()?;
            self.open = Some((parent.to_path_buf(), fd));
        }
        let (_, fd) = self.open.as_ref()?;
        let st = rustix::fs::statat(fd, name, AtFlags::empty()).ok()?;
        let ns = |s: i64, n: u64| i128::from(s) * 1_000_000_000 + i128::from(n);
        Some(Key {
            size: u64::try_from(st.st_size).ok()?,
            mtime: ns(st.st_mtime as i64, st.st_mtime_nsec as u64),
            ctime: ns(st.st_ctime as i64, st.st_ctime_nsec as u64),
            ino: st.st_ino as u64,
        })
    }

    #[cfg(not(unix))]
    fn key(&mut self, path: &Path) -> Option<Key> {
        Key::of(path)
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Run({} lines)", self.lines)
    }
}

impl Run {
    pub fn push(&mut self, index: &Index, path: &Path, digest: &Digest) {
        if !self.enabled || self.failed {
            return;
        }
        let (Some(rel), Some(key)) = (index.relative(path), Key::of(path)) else { return };
        if self.file.is_none() {
            static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let spill = self.dir.join(format!(".spill-{}-{n}", std::process::id()));
            let _ = fs::create_dir_all(&self.dir);
            match fs::File::create(&spill) {
                Ok(f) => self.file = Some((spill, BufWriter::new(f))),
                Err(_) => return self.failed = true,
            }
        }
        if let Some((_, w)) = &mut self.file {
            if writeln!(w, "{}", key.line(rel, &encode(digest))).is_err() {
                self.failed = true;
            }
            self.lines += 1;
        }
    }
}

/// Spill files of runs that were killed: their process is gone (where /proc tells).
fn sweep_spills(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(".spill-").and_then(|r| r.split('-').next()) else { continue };
        if Path::new("/proc/self").exists() && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Paths compared folder by folder, as the book is walked (`a/x` before `a-b/x`): the
/// same as comparing bytes with `/` taken as the smallest of all.
fn path_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |c: u8| if c == b'/' { 0 } else { c };
    a.bytes().map(key).cmp(b.bytes().map(key))
}

/// The path column of an index line (after the 16-digit checksum and a tab).
fn path_of(line: &str) -> &str {
    let rest = line.get(17..).unwrap_or("");
    rest.find('\t').map_or(rest, |end| &rest[..end])
}

/// The key and the encoded digest of an index line.
fn fields_of(line: &str) -> Option<(Key, &str)> {
    let mut parts = line.splitn(7, '\t').skip(2);
    let key = Key {
        size: parts.next()?.parse().ok()?,
        mtime: parts.next()?.parse().ok()?,
        ctime: parts.next()?.parse().ok()?,
        ino: parts.next()?.parse().ok()?,
    };
    Some((key, parts.next()?))
}

/// The entries of an index file, or None if the file as a whole cannot be trusted: a
/// wrong header, paths out of order, or a missing or wrong count (a truncated or
/// half-written file). A damaged line is caught by its checksum when it is looked up.
fn parse(text: &str) -> Option<Vec<Entry>> {
    let mut lines = text.split_inclusive('\n');
    if lines.next()?.trim_end() != HEADER {
        return None;
    }
    let mut entries: Vec<Entry> = Vec::new();
    let mut offset = HEADER.len() + 1;
    let mut previous = "";
    for raw in lines {
        let start = offset;
        offset += raw.len();
        let line = raw.strip_suffix('\n')?;
        if let Some(count) = line.strip_prefix("end ") {
            return (count.parse::<usize>().ok()? == entries.len() && offset == text.len()).then_some(entries);
        }
        // Checksums are checked entry by entry when looked up, on all cores.
        let path = path_of(line);
        if !previous.is_empty() && path_cmp(path, previous) != std::cmp::Ordering::Greater {
            return None;
        }
        previous = path;
        entries.push(Entry {
            start: u32::try_from(start).ok()?,
            len: u32::try_from(line.len()).ok()?,
            path_len: u32::try_from(path.len()).ok()?,
        });
    }
    None
}

// The digest on one line: tab-separated columns; lists inside a column separated by the
// ASCII unit (0x1F) and record (0x1E) separators; times as `seconds±offset`. Text is
// escaped so none of these characters (nor a line break) can appear raw.

const UNIT: char = '\u{1f}';
const RECORD: char = '\u{1e}';

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            UNIT => out.push_str("\\u"),
            RECORD => out.push_str("\\e"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(s: &str) -> Option<String> {
    if !s.contains('\\') {
        return Some(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            'u' => UNIT,
            'e' => RECORD,
            _ => return None,
        });
    }
    Some(out)
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(escape).unwrap_or_default()
}

fn unopt(s: &str) -> Option<Option<String>> {
    if s.is_empty() { Some(None) } else { unescape(s).map(Some) }
}

fn time(t: &Stamp) -> String {
    format!("{}{:+}", t.timestamp(), t.offset().local_minus_utc())
}

fn untime(s: &str) -> Option<Stamp> {
    let split = s.rfind(['+', '-']).filter(|&i| i > 0)?;
    let secs: i64 = s[..split].parse().ok()?;
    let offset = FixedOffset::east_opt(s[split..].parse().ok()?)?;
    Some(DateTime::from_timestamp(secs, 0)?.with_timezone(&offset))
}

fn step(at: &Option<Step>) -> String {
    at.as_ref().map(|s| time(&s.at)).unwrap_or_default()
}

fn unstep(s: &str) -> Option<Option<Step>> {
    if s.is_empty() {
        return Some(None);
    }
    Some(Some(Step { at: untime(s)?, by: String::new(), note: None, what: None, value: None }))
}

fn encode(d: &Digest) -> String {
    let i = &d.incident;
    let r = &i.recovery;
    let followups: Vec<String> = i
        .followups
        .iter()
        .map(|f| {
            let done = f.done.as_ref().map(|d| time(&d.at)).unwrap_or_default();
            let missed = f.missed_by.map(|m| m.to_string()).unwrap_or_default();
            [escape(&f.kind), time(&f.due), done, opt(&f.how), opt(&f.text), missed].join(&UNIT.to_string())
        })
        .collect();
    let tags: Vec<String> = i.tags.iter().map(|t| escape(t)).collect();
    let fields: Vec<String> = d.fields.iter().map(|(k, v)| format!("{}{UNIT}{}", escape(k), escape(v))).collect();
    [
        escape(&i.id),
        escape(&i.customer),
        time(&i.opened),
        opt(&i.staff),
        opt(&i.owner),
        opt(&i.product),
        opt(&i.location),
        opt(&i.channel),
        i.busyness.map(|b| b.to_string()).unwrap_or_default(),
        opt(&i.summary),
        tags.join(&UNIT.to_string()),
        [step(&r.apologized), step(&r.reviewed), step(&r.fixed), step(&r.extra), step(&r.closed)]
            .join(&UNIT.to_string()),
        followups.join(&RECORD.to_string()),
        fields.join(&RECORD.to_string()),
    ]
    .join("\t")
}

/// The items of a list column: none when it is empty.
fn items(s: &str, sep: char) -> impl Iterator<Item = &str> {
    s.split(sep).filter(move |_| !s.is_empty())
}

fn decode(line: &str) -> Option<Digest> {
    // Taken column by column, without collecting: this runs for every incident, every run.
    let mut c = line.split('\t');
    let mut next = || c.next();
    let (id, customer, opened, staff, owner) = (next()?, next()?, next()?, next()?, next()?);
    let (product, location, channel, busyness, summary) = (next()?, next()?, next()?, next()?, next()?);
    let (tags, steps, followups, fields) = (next()?, next()?, next()?, next()?);
    if next().is_some() {
        return None;
    }
    let mut steps = steps.split(UNIT);
    let mut step = || unstep(steps.next()?);
    let (apologized, reviewed, fixed, extra, closed) = (step()?, step()?, step()?, step()?, step()?);
    let mut decoded_followups = Vec::new();
    for f in items(followups, RECORD) {
        let mut parts = f.split(UNIT);
        let mut part = || parts.next();
        let (kind, due, done, how, text, missed) = (part()?, part()?, part()?, part()?, part()?, part()?);
        decoded_followups.push(Followup {
            kind: unescape(kind)?,
            due: untime(due)?,
            how: unopt(how)?,
            text: unopt(text)?,
            done: match done {
                "" => None,
                at => Some(Done { at: untime(at)?, by: String::new(), how: None, note: None }),
            },
            missed_by: if missed.is_empty() { None } else { Some(missed.parse().ok()?) },
        });
    }
    let mut decoded_fields = Fields::new();
    for kv in items(fields, RECORD) {
        let (k, v) = kv.split_once(UNIT)?;
        decoded_fields.insert(unescape(k)?, unescape(v)?);
    }
    let incident = Incident {
        id: unescape(id)?,
        customer: unescape(customer)?,
        opened: untime(opened)?,
        recorded: None,
        staff: unopt(staff)?,
        owner: unopt(owner)?,
        product: unopt(product)?,
        location: unopt(location)?,
        channel: unopt(channel)?,
        busyness: if busyness.is_empty() { None } else { Some(busyness.parse().ok()?) },
        summary: unopt(summary)?,
        circumstances: None,
        tags: items(tags, UNIT).map(unescape).collect::<Option<_>>()?,
        recovery: Recovery { apologized, reviewed, fixed, extra, closed },
        followups: decoded_followups,
    };
    Some(Digest { incident, fields: decoded_fields })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sort_folder_by_folder() {
        use std::cmp::Ordering::Less;
        assert_eq!(path_cmp("a/x", "a-b/x"), Less);
        assert_eq!(path_cmp("a", "a/x"), Less);
        assert_eq!(path_cmp("2026/1/z", "2026/10/a"), Less);
        assert_eq!(path_cmp("a/b", "a/b"), std::cmp::Ordering::Equal);
    }

    #[test]
    fn a_digest_survives_the_line_codec_whatever_its_text() {
        let text = "id: 20261122-k7f3qz\ncustomer: ada\nopened: 2026-11-22T19:42:00-05:00\nstaff: \"tab\\there\"\n\
            summary: \"line\\nbreak \\\\ back\\u001f\\u001e\"\ntags: [a, '']\nregion: \"mid\\twest\"\n\
            recovery:\n  closed: {at: 2026-11-22T21:00:00+01:00}\n\
            followups:\n- {kind: custom, due: 2026-11-23T10:00:00-05:00, text: \"call\\tback\", missed_by: 3,\n   done: {at: 2026-11-23T10:03:00-05:00}}\n";
        let (incident, fields) =
            crate::yaml::parse_with_fields::<Incident>(Path::new("t.yaml"), text, &Incident::FIELDS).expect("valid");
        assert_eq!(fields.get("region").map(String::as_str), Some("mid\twest"));
        let digest = Digest { incident: incident.digest(), fields };
        let line = encode(&digest);
        assert!(!line.contains('\n'));
        assert_eq!(decode(&line), Some(digest));
        assert_eq!(decode("garbage"), None);
    }
}
