//! What `customers/` holds besides its records: its sub-folders and links, remembered in
//! `.care/cache/customer-folders` with the folder's own stat. Every write of a customer
//! refuses a second file with its id (`Book::same_id`, with `care check`'s message), and
//! such a file can only be `customers/ID.yml` (one stat) or behind a sub-folder or a link.
//! Listing a folder of 100,000 customers to find those few took longer than the rest of
//! the write; the folder's stat (modification and change times, link count, inode) moves
//! whenever an entry is added, removed or renamed, so the list is made again only then.
//!
//! A write of a record in the folder moves that stat too (its rename), so a writer that
//! found the list current records the stat its own write left (`restamp`), unless the
//! folder's link count says a sub-folder came or went meanwhile. A link (not a folder)
//! added by another program in the milliseconds between that writer's check and its
//! write would not be seen that way, so a list is trusted for `TRUST` after the listing
//! that made it, never longer: then a write lists the folder again (as the sweep of
//! killed writers' leftovers does, `sweep_due`). `CARE_NO_CACHE=1`: every write lists.

use std::ffi::OsString;
use std::time::{SystemTime, UNIX_EPOCH};

use super::*;

const FILE: &str = ".care/cache/customer-folders";
const HEADER: &str = "care customer folders 1";
/// How long a list made by a listing is trusted, kept current by writes' restamps.
const TRUST: Duration = STALE_AGE;

/// The folder's stat, as far as entries coming and going move it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat {
    dev: u64,
    ino: u64,
    mtime: i128,
    ctime: i128,
    nlink: u64,
}

/// The sub-folders and links of `customers/` (not hidden), the stat of the folder they
/// are true of, and when the listing they came from was made (seconds since 1970).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Seen {
    stat: Stat,
    listed: u64,
    names: Vec<OsString>,
}

impl Book {
    /// The sub-folders and links of `customers/`: from the remembered list when the
    /// folder's stat says it is still true, else from a listing (then remembered). With
    /// the list, what `restamp` needs after a write (None: nothing to keep current).
    pub(super) fn customer_folders(&self) -> (Vec<PathBuf>, Option<Seen>) {
        let dir = self.path(CUSTOMERS);
        let paths = |seen: &Seen| seen.names.iter().map(|n| dir.join(n)).collect();
        let Some(stat) = stat_of(&dir) else { return (listing(&dir), None) };
        if !self.settings.cache {
            return (listing(&dir), None);
        }
        if let Some(seen) = self.remembered().filter(|s| s.stat == stat && trusted(s.listed)) {
            return (paths(&seen), Some(seen));
        }
        let names = names_in(&dir);
        let seen = Seen { stat, listed: now_secs(), names };
        self.remember(&seen);
        (paths(&seen), Some(seen))
    }

    /// After a customer was written with `seen` found current: remember the folder's stat
    /// as the write left it, unless a sub-folder came or went (its link count moved).
    pub(super) fn restamp(&self, seen: Option<Seen>) {
        let Some(mut seen) = seen else { return };
        let Some(now) = stat_of(&self.path(CUSTOMERS)) else { return };
        let same_folder = (now.dev, now.ino, now.nlink) == (seen.stat.dev, seen.stat.ino, seen.stat.nlink);
        if same_folder && now != seen.stat {
            seen.stat = now;
            self.remember(&seen);
        }
    }

    /// The remembered list, if it reads back whole; never read through a link.
    fn remembered(&self) -> Option<Seen> {
        let file = self.path(FILE);
        self.within(&file).ok()?;
        if !fs::symlink_metadata(&file).ok()?.is_file() {
            return None;
        }
        decode(&fs::read_to_string(&file).ok()?)
    }

    /// Keep `seen` for the next writer: a cache, so written without a sync (a torn file
    /// does not decode, and costs one listing) and renamed over the old one.
    fn remember(&self, seen: &Seen) {
        let file = self.path(FILE);
        let Some(dir) = file.parent() else { return };
        if self.within(&file).is_err() || fs::create_dir_all(dir).is_err() || self.within(&file).is_err() {
            return;
        }
        let tmp = sidecar(&file, &format!("tmp-{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        let written = OpenOptions::new().write(true).create_new(true).open(&tmp).and_then(|mut f| {
            f.write_all(encode(seen).as_bytes())?;
            fs::rename(&tmp, &file)
        });
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }
}

fn listing(dir: &Path) -> Vec<PathBuf> {
    names_in(dir).into_iter().map(|n| dir.join(n)).collect()
}

/// The entries of `dir` a customer file could hide behind: folders and links, not hidden.
fn names_in(dir: &Path) -> Vec<OsString> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<OsString> = entries
        .flatten()
        .filter(|e| !is_hidden(&e.file_name()))
        .filter(|e| e.file_type().is_ok_and(|k| k.is_dir() || k.is_symlink()))
        .map(|e| e.file_name())
        .collect();
    names.sort_unstable();
    names
}

#[cfg(unix)]
fn stat_of(dir: &Path) -> Option<Stat> {
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(dir).ok()?;
    let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
    Some(Stat {
        dev: m.dev(),
        ino: m.ino(),
        mtime: ns(m.mtime(), m.mtime_nsec()),
        ctime: ns(m.ctime(), m.ctime_nsec()),
        nlink: m.nlink(),
    })
}

/// Elsewhere the stat says too little to trust a list: every write lists.
#[cfg(not(unix))]
fn stat_of(_dir: &Path) -> Option<Stat> {
    None
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Made by a listing less than `TRUST` ago (a clock set back trusts nothing).
fn trusted(listed: u64) -> bool {
    now_secs().checked_sub(listed).is_some_and(|age| age < TRUST.as_secs())
}

/// The header, the stat and listing time, each name as hex (a name may hold a newline),
/// and `end`: a file cut short does not decode.
fn encode(seen: &Seen) -> String {
    let s = &seen.stat;
    let mut text = format!(
        "{HEADER}\n{} {} {} {} {} {} {}\n",
        s.dev,
        s.ino,
        s.mtime,
        s.ctime,
        s.nlink,
        seen.listed,
        seen.names.len()
    );
    for name in &seen.names {
        name.as_encoded_bytes().iter().for_each(|b| text.push_str(&format!("{b:02x}")));
        text.push('\n');
    }
    text.push_str("end\n");
    text
}

fn decode(text: &str) -> Option<Seen> {
    text.ends_with("\nend\n").then_some(())?;
    let mut lines = text.lines();
    (lines.next()? == HEADER).then_some(())?;
    let nums: Vec<&str> = lines.next()?.split(' ').collect();
    let [dev, ino, mtime, ctime, nlink, listed, count] = nums[..] else { return None };
    let stat = Stat {
        dev: dev.parse().ok()?,
        ino: ino.parse().ok()?,
        mtime: mtime.parse().ok()?,
        ctime: ctime.parse().ok()?,
        nlink: nlink.parse().ok()?,
    };
    let count: usize = count.parse().ok()?;
    let mut names = Vec::new();
    for _ in 0..count {
        names.push(unhex(lines.next()?)?);
    }
    (lines.next()? == "end" && lines.next().is_none()).then_some(())?;
    Some(Seen { stat, listed: listed.parse().ok()?, names })
}

/// A name written by `encode`, which only ever wrote a name the system gave.
fn unhex(line: &str) -> Option<OsString> {
    if line.is_empty() || !line.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> =
        (0..line.len()).step_by(2).map(|i| u8::from_str_radix(line.get(i..i + 2)?, 16).ok()).collect();
    let bytes = bytes?;
    // Names are stored as the OS gave them; only those are accepted back.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(OsString::from_vec(bytes))
    }
    #[cfg(not(unix))]
    {
        String::from_utf8(bytes).ok().map(OsString::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(names: &[&str]) -> Seen {
        Seen {
            stat: Stat { dev: 2049, ino: 77, mtime: 1_790_000_000_123_456_789, ctime: -5, nlink: 4 },
            listed: 1_790_000_000,
            names: names.iter().map(OsString::from).collect(),
        }
    }

    #[test]
    fn a_list_reads_back_as_written_names_with_newlines_and_spaces_too() {
        for names in [&[][..], &["old", "2025 archive", "line\nbreak", "é"]] {
            let s = seen(names);
            assert_eq!(decode(&encode(&s)), Some(s));
        }
    }

    #[test]
    fn a_list_cut_short_or_of_another_version_is_not_trusted() {
        let text = encode(&seen(&["old", "vip"]));
        for cut in 0..text.len() {
            assert_eq!(decode(&text[..cut]), None, "cut at {cut}: {:?}", &text[..cut]);
        }
        assert_eq!(decode(&text.replace(HEADER, "care customer folders 2")), None);
        assert_eq!(decode(&text.replace("end\n", "end\nold\n")), None);
        assert_eq!(decode(&text.replace("6f6c64", "6f6c6")), None, "a half byte");
    }

    #[test]
    fn a_list_is_trusted_only_for_a_while_after_its_listing() {
        assert!(trusted(now_secs()));
        assert!(trusted(now_secs() - TRUST.as_secs() + 5));
        assert!(!trusted(now_secs() - TRUST.as_secs()));
        assert!(!trusted(now_secs() + 3600), "listed in the future: the clock was set back");
    }
}
