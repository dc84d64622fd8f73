//! Walking the book: every record file under `customers/` or `incidents/`, in a stable
//! order, on all cores, reporting what cannot be read (a link out of the book, a FIFO, a
//! folder named like a record) instead of stopping.

use super::index::{Folder, Key};
use super::*;

/// A record file with what a `stat` said of it as it was walked (None: it went away).
pub(super) type Stated = (PathBuf, Option<Key>);

/// About how many paths `each_record_file` hands over at a time.
pub const WALK_BATCH: usize = 4096;

impl Book {
    /// Every record file under `customers/` or `incidents/`, in a stable order.
    pub fn record_files(&self, sub: &str) -> (Vec<PathBuf>, Vec<Error>) {
        let mut files = Vec::new();
        let problems = self.each_record_file(sub, |batch| files.extend_from_slice(batch));
        (files, problems)
    }

    /// Every record file under `sub` (`customers` or `incidents`), as `record_files`
    /// finds them and in the same order (folder by folder, by name), handed to `each` in
    /// batches of about `WALK_BATCH` files, so a book of a million files is never held
    /// whole. A batch is made of whole units (an `incidents/YYYY/MM` folder, walked on
    /// all cores, or files of a folder), so a folder larger than a batch comes as one.
    /// Returns what could not be walked (a link out of the book, a FIFO, …).
    pub fn each_record_file(&self, sub: &str, mut each: impl FnMut(&[PathBuf])) -> Vec<Error> {
        self.each_unit(sub, |unit, kind, _| self.walk(unit, kind, &[]), |batch| each(&batch))
    }

    /// `each_record_file` with what a `stat` of each file said as it was walked (None: it
    /// went away): the index's refresh compares it with what it read. A folder's files
    /// are `stat`ed relative to the folder the listing has open, and sorted by their
    /// names alone, so no path is looked up or compared whole.
    pub(super) fn each_record_stat(&self, sub: &str, each: impl FnMut(Vec<Stated>)) -> Vec<Error> {
        self.each_unit(sub, |unit, kind, folder| self.walk_stat(unit, kind, folder), each)
    }

    /// The walk `each_record_file` and `each_record_stat` share: `walk_unit` walks one
    /// unit (with the folder its thread keeps open) into its items in order.
    fn each_unit<T: Send>(
        &self,
        sub: &str,
        walk_unit: impl Fn(&Path, Option<fs::FileType>, &mut Folder) -> (Vec<T>, Vec<Error>) + Sync,
        mut each: impl FnMut(Vec<T>),
    ) -> Vec<Error> {
        let dir = self.path(sub);
        let mut problems = Vec::new();
        match fs::symlink_metadata(&dir) {
            Err(_) => return problems,
            Ok(m) if m.file_type().is_symlink() => {
                // `customers/` itself may be a link, but only to a folder in the book.
                if let Err(e) = self.inside(&dir) {
                    return vec![e];
                }
            }
            Ok(_) => {}
        }
        // The folders two levels down (incidents/YYYY/MM) are the units walked on all
        // cores. The type each entry has comes with the folder listing, so no file costs
        // a `stat` of its own here.
        let mut units = Vec::new();
        for (top, kind) in sorted_children(&dir, &mut problems) {
            if kind.is_some_and(|k| k.is_dir()) && !is_record_name(top.as_os_str()) {
                units.extend(sorted_children(&top, &mut problems));
            } else {
                units.push((top, kind));
            }
        }
        let mut batch: Vec<T> = Vec::with_capacity(WALK_BATCH);
        let mut at = 0;
        while at < units.len() {
            // A group of units: a few folders, or many files, walked together.
            // A folder may hold a month of a million-incident book: no more of them at once
            // than there are cores.
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
            let mut end = at;
            let (mut folders, mut files) = (0, 0);
            while end < units.len() && folders < cores && files < WALK_BATCH {
                if units[end].1.is_some_and(|k| k.is_file()) {
                    files += 1
                } else {
                    folders += 1
                }
                end += 1;
            }
            let group = &units[at..end];
            at = end;
            type Found<T> = (Vec<(usize, Vec<T>, Vec<Error>)>, Folder);
            let parts = par_fold(
                group,
                || (Vec::new(), Folder::default()),
                |(found, folder): &mut Found<T>, i, unit| {
                    let (items, errors) = walk_unit(&unit.0, unit.1, folder);
                    found.push((i, items, errors));
                },
            );
            let mut parts: Vec<_> = parts.into_iter().flat_map(|(found, _)| found).collect();
            parts.sort_by_key(|(i, _, _)| *i);
            for (_, items, errors) in parts {
                if batch.is_empty() && items.len() >= WALK_BATCH {
                    // A whole month: handed over as it is, not copied into the batch.
                    each(items);
                } else {
                    batch.extend(items);
                }
                problems.extend(errors);
                if batch.len() >= WALK_BATCH {
                    each(std::mem::replace(&mut batch, Vec::with_capacity(WALK_BATCH)));
                }
            }
        }
        if !batch.is_empty() {
            each(batch);
        }
        problems
    }

    /// One unit of `each_record_stat`: a folder is listed and its files `stat`ed as it is
    /// (`stat_dir`); anything else (a file, a link, a folder named like a record) is
    /// walked as `walk` does and `stat`ed relative to `folder`.
    fn walk_stat(&self, start: &Path, kind: Option<fs::FileType>, folder: &mut Folder) -> (Vec<Stated>, Vec<Error>) {
        if kind.is_some_and(|k| k.is_dir()) && !is_record_name(start.as_os_str()) {
            let (mut found, mut problems) = (Vec::new(), Vec::new());
            self.stat_dir(start, &mut found, &mut problems);
            return (found, problems);
        }
        let (files, problems) = self.walk(start, kind, &[]);
        (files.into_iter().map(|f| (folder.key(&f), f)).map(|(k, f)| (f, k)).collect(), problems)
    }

    /// The record files under the folder `dir`, with their `stat`s, in `walk`'s order and
    /// with its problems: each folder's entries sorted by name, a subfolder's files at its
    /// name's place (the order of whole paths with `/` first). A file is `stat`ed through
    /// the listing's open folder (`DirEntry::metadata`: `statx` at the folder, not the
    /// path resolved again); a link is followed as `walk` follows it.
    fn stat_dir(&self, dir: &Path, found: &mut Vec<Stated>, problems: &mut Vec<Error>) {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => return problems.push(Error::io(dir, e)),
        };
        // Where each entry's name starts in its path (`dir` joined with the name).
        let bytes = dir.as_os_str().as_encoded_bytes();
        let base = bytes.len() + usize::from(!bytes.is_empty() && !bytes.ends_with(b"/"));
        fn name(path: &Path, base: usize) -> &[u8] {
            path.as_os_str().as_encoded_bytes().get(base..).unwrap_or_default()
        }
        // Files go straight into `found` (a month of a big book is held once, not twice);
        // folders and links, rare, aside: true for a folder.
        let start = found.len();
        let mut others: Vec<(PathBuf, bool)> = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    problems.push(Error::io(dir, e));
                    continue;
                }
            };
            let path = entry.path();
            let file_name = name(&path, base);
            // As `is_hidden` and `is_record_name` read the name, on its bytes.
            let record = file_name.ends_with(b".yaml") || file_name.ends_with(b".yml");
            if file_name.starts_with(b".") {
                continue;
            }
            let kind = match entry.file_type() {
                Ok(k) => k,
                Err(e) => {
                    problems.push(Error::io(&path, e));
                    continue;
                }
            };
            if kind.is_dir() && record {
                problems.push(Error::data(&path, 1, 1, "is a folder named like a record; rename it"));
            } else if kind.is_dir() || kind.is_symlink() {
                others.push((path, kind.is_dir()));
            } else if record && kind.is_file() {
                let key = entry.metadata().ok().and_then(|m| Key::of_metadata(&m));
                found.push((path, key));
            } else if record {
                problems.push(Error::NotRegular { path, kind: kind_name(kind) });
            }
        }
        found[start..].sort_unstable_by(|a, b| name(&a.0, base).cmp(name(&b.0, base)));
        if others.is_empty() {
            return;
        }
        // What is under a folder or behind a link goes at its name's place among the files.
        others.sort_unstable_by(|a, b| name(&a.0, base).cmp(name(&b.0, base)));
        let mut files = found.split_off(start).into_iter().peekable();
        for (path, folder) in others {
            while let Some(file) = files.next_if(|f| name(&f.0, base) < name(&path, base)) {
                found.push(file);
            }
            if folder {
                self.stat_dir(&path, found, problems);
            } else {
                let mut linked = Vec::new();
                self.follow(&path, &[], &mut linked, problems);
                linked.sort_unstable_by(|a, b| path_order(a, b));
                found.extend(linked.into_iter().map(|f| (Key::of(&f), f)).map(|(k, f)| (f, k)));
            }
        }
        found.extend(files);
    }

    /// The record files at or under `start` (a file or a folder of type `kind`, when the
    /// listing told it), in name order. `links` are the folders reached through symlinks on
    /// the way here, so a link back to one of them is a loop, not an endless walk.
    pub(super) fn walk(
        &self,
        start: &Path,
        kind: Option<fs::FileType>,
        links: &[PathBuf],
    ) -> (Vec<PathBuf>, Vec<Error>) {
        let mut files = Vec::new();
        let mut problems = Vec::new();
        let kind = match kind {
            Some(k) => k,
            None => match fs::symlink_metadata(start) {
                Ok(m) => m.file_type(),
                Err(e) => return (files, vec![Error::io(start, e)]),
            },
        };
        if kind.is_symlink() {
            self.follow(start, links, &mut files, &mut problems);
            files.sort_unstable_by(|a, b| path_order(a, b));
            return (files, problems);
        }
        if !kind.is_dir() {
            if is_record_name(start.as_os_str()) {
                if kind.is_file() {
                    files.push(start.to_path_buf());
                } else {
                    problems.push(Error::NotRegular { path: start.to_path_buf(), kind: kind_name(kind) });
                }
            }
            return (files, problems);
        }
        let mut skip: Vec<PathBuf> = Vec::new();
        // Unsorted here; sorted once below by bytes (walkdir's own sort re-parses each
        // path's name for every comparison, a tenth of a whole run on a big book). Links are
        // not followed by walkdir: each is checked below, once, before anything behind it
        // is read.
        let walk = WalkDir::new(start).into_iter().filter_entry(|e| !is_hidden(e.file_name()));
        for entry in walk {
            if entry.as_ref().is_ok_and(|e| skip.iter().any(|s| e.path().starts_with(s))) {
                continue;
            }
            match entry {
                Ok(e) if e.file_type().is_dir() && is_record_name(e.file_name()) => {
                    problems.push(Error::data(e.path(), 1, 1, "is a folder named like a record; rename it"));
                    skip.push(e.into_path());
                }
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) if e.file_type().is_symlink() => self.follow(e.path(), links, &mut files, &mut problems),
                Ok(e) if is_record_name(e.file_name()) && e.file_type().is_file() => files.push(e.into_path()),
                Ok(e) if is_record_name(e.file_name()) => {
                    problems.push(Error::NotRegular { path: e.path().to_path_buf(), kind: kind_name(e.file_type()) })
                }
                Ok(_) => {}
                Err(e) => {
                    let path = e.path().unwrap_or(start).to_path_buf();
                    problems.push(Error::io(&path, e.into_io_error().unwrap_or_else(|| std::io::Error::other("loop"))));
                }
            }
        }
        files.sort_unstable_by(|a, b| path_order(a, b));
        (files, problems)
    }

    /// A symlink met while walking: a record file or a folder inside the book is read
    /// through it; one leading out of the book, to nothing, or back into itself is a
    /// problem, and nothing behind it is read. Links are rare, so resolving each is cheap.
    pub(super) fn follow(&self, link: &Path, links: &[PathBuf], files: &mut Vec<PathBuf>, problems: &mut Vec<Error>) {
        let record = is_record_name(link.as_os_str());
        let target = match self.inside(link) {
            Ok(t) => t,
            // A dangling link not named like a record may be anything; it is not ours.
            Err(Error::Dangling { .. }) if !record => return,
            Err(e) => return problems.push(e),
        };
        let kind = match fs::metadata(&target) {
            Ok(m) => m.file_type(),
            Err(e) => return problems.push(Error::io(link, e)),
        };
        if kind.is_dir() {
            let here = link.parent().and_then(|p| fs::canonicalize(p).ok());
            if links.contains(&target) || here.is_some_and(|h| h.starts_with(&target)) {
                return problems.push(Error::data(
                    link,
                    1,
                    1,
                    "a symlink to a folder that contains it (a loop); remove the link",
                ));
            }
            let mut chain = links.to_vec();
            chain.push(target);
            let (found, errors) = self.walk_linked(link, &chain);
            files.extend(found);
            problems.extend(errors);
        } else if !record {
        } else if kind.is_file() {
            files.push(link.to_path_buf());
        } else {
            problems.push(Error::NotRegular { path: link.to_path_buf(), kind: kind_name(kind) });
        }
    }

    /// Walk a folder reached through a checked link (walkdir follows its start).
    pub(super) fn walk_linked(&self, link: &Path, links: &[PathBuf]) -> (Vec<PathBuf>, Vec<Error>) {
        match fs::metadata(link) {
            Ok(m) => self.walk(link, Some(m.file_type()), links),
            Err(e) => (Vec::new(), vec![Error::io(link, e)]),
        }
    }
}

/// Run `work` on every file on all cores. Files are handed out in small chunks from a
/// shared counter, so a slow file does not leave a core idle; each thread folds into its
/// own accumulator, and the caller merges them (order-independent by construction).
pub(super) fn par_fold<A: Send, F: Sync>(
    files: &[F],
    init: impl Fn() -> A + Sync,
    work: impl Fn(&mut A, usize, &F) + Sync,
) -> Vec<A> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    // Small chunks for a few big jobs (folders), chunks of 64 for many small ones (files).
    let chunk = (files.len() / (cores * 8)).clamp(1, 64);
    let threads = cores.min(files.len().div_ceil(chunk)).max(1);
    let next = AtomicUsize::new(0);
    let run = || {
        let mut acc = init();
        loop {
            let start = next.fetch_add(chunk, Ordering::Relaxed);
            if start >= files.len() {
                return acc;
            }
            for (i, path) in files.iter().enumerate().skip(start).take(chunk) {
                work(&mut acc, i, path);
            }
        }
    };
    if threads == 1 {
        return vec![run()];
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(run)).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

/// Paths in the order a walk sorted by name gives (folder by folder): bytes, with the
/// separator taken as the smallest of all. Only the first byte that differs decides, and
/// paths of one folder share a long prefix, so that prefix is skipped eight bytes at a
/// time (the sort of a million paths spent most of its time here).
pub(super) fn path_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Greater, Less};
    let (a, b) = (a.as_os_str().as_encoded_bytes(), b.as_os_str().as_encoded_bytes());
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n && a[i..i + 8] == b[i..i + 8] {
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    match (a.get(i), b.get(i)) {
        (Some(b'/'), Some(_)) => Less,
        (Some(_), Some(b'/')) => Greater,
        (Some(x), Some(y)) => x.cmp(y),
        _ => a.len().cmp(&b.len()),
    }
}

/// The entries of a folder that are not hidden, by name; a folder that cannot be read is
/// a problem, not a stop.
pub(super) fn sorted_children(dir: &Path, problems: &mut Vec<Error>) -> Vec<(PathBuf, Option<fs::FileType>)> {
    match fs::read_dir(dir) {
        Ok(entries) => {
            let mut children: Vec<(PathBuf, Option<fs::FileType>)> = entries
                .flatten()
                .filter(|e| !is_hidden(&e.file_name()))
                .map(|e| (e.path(), e.file_type().ok()))
                .collect();
            children.sort_by(|a, b| a.0.file_name().cmp(&b.0.file_name()));
            children
        }
        Err(e) => {
            problems.push(Error::io(dir, e));
            Vec::new()
        }
    }
}

pub(super) fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

pub(super) fn is_record_name(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// A file name without its `.yaml`/`.yml`, as bytes: an incident's id when it is named
/// as the book names it.
pub(super) fn stem_bytes(path: &Path) -> &[u8] {
    let bytes = path.as_os_str().as_encoded_bytes();
    let name = bytes.rsplit(|&b| b == b'/').next().unwrap_or(bytes);
    name.strip_suffix(b".yaml").or_else(|| name.strip_suffix(b".yml")).unwrap_or(name)
}

/// What a file that is not a regular file or a folder is, for messages.
pub(super) fn kind_name(kind: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "device";
        }
    }
    if kind.is_dir() { "folder" } else { "special file" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sort_folder_by_folder() {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let order = |a: &str, b: &str| path_order(Path::new(a), Path::new(b));
        assert_eq!(order("a/x", "a-b/x"), Less);
        assert_eq!(order("a-b/x", "a/x"), Greater);
        assert_eq!(order("a", "a/x"), Less);
        assert_eq!(order("2026/1/z", "2026/10/a"), Less);
        assert_eq!(order("book/incidents/2026/11/20261122-a.yaml", "book/incidents/2026/11/20261122-b.yaml"), Less);
        assert_eq!(order("book/incidents/2026/11/x.yaml", "book/incidents/2026/11.old/a.yaml"), Less);
        assert_eq!(order("a/b", "a/b"), Equal);
        // The same as comparing bytes with `/` mapped below every other byte.
        let names = ["a", "a/b", "a-b", "a.b/c", "ab", "a/b/c", "a0", "b", "a/", "aaaaaaaaaa/b", "aaaaaaaaaa-b"];
        for x in names {
            for y in names {
                let key = |s: &str| s.bytes().map(|c| if c == b'/' { 0 } else { c }).collect::<Vec<u8>>();
                assert_eq!(order(x, y), key(x).cmp(&key(y)), "{x} {y}");
            }
        }
    }
}
