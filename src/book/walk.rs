//! Walking the book: every record file under `customers/` or `incidents/`, in a stable
//! order, streamed in batches so no walk holds the whole book, reporting what cannot be read (a link out of the book, a FIFO, a
//! folder named like a record) instead of stopping.

use super::digest::{Folder, Key};
use super::*;

/// A record file with what a `stat` said of it as it was walked (None: it went away).
pub(super) type Stated = (PathBuf, Option<Key>);

/// How many paths `each_record_file` hands over at a time.
pub const WALK_BATCH: usize = 4096;

impl Book {
    /// Every record file under `customers/` or `incidents/`, in a stable order.
    pub fn record_files(&self, sub: &str) -> (Vec<PathBuf>, Vec<Error>) {
        let mut files = Vec::new();
        let problems = self.each_record_file(sub, |batch| files.extend_from_slice(batch));
        (files, problems)
    }

    /// Every record file under `sub` (`customers` or `incidents`), as `record_files`
    /// finds them and in the same order (folder by folder, each by name), handed to `each`
    /// in batches of `WALK_BATCH` files. The walk goes down one folder at a time and keeps
    /// only the names of the folders it is in, so a book of a million files (a month of
    /// 80,000, a flat `customers/` of 100,000) is never held whole, nor a month as paths.
    /// Returns what could not be walked (a link out of the book, a FIFO, …).
    pub fn each_record_file(&self, sub: &str, mut each: impl FnMut(&[PathBuf])) -> Vec<Error> {
        let dir = self.path(sub);
        match fs::symlink_metadata(&dir) {
            Err(_) => return Vec::new(),
            Ok(m) if m.file_type().is_symlink() => {
                // `customers/` itself may be a link, but only to a folder in the book.
                if let Err(e) = self.inside(&dir) {
                    return vec![e];
                }
            }
            Ok(_) => {}
        }
        let mut batch = Vec::with_capacity(WALK_BATCH);
        let mut problems = Vec::new();
        let mut emit = |path: PathBuf| {
            batch.push(path);
            if batch.len() >= WALK_BATCH {
                each(&batch);
                batch.clear();
            }
        };
        self.walk_folder(&dir, &mut emit, &mut problems);
        if !batch.is_empty() {
            each(&batch);
        }
        problems
    }

    /// `each_record_file` with what a `stat` of each file said as it was walked (None: it
    /// went away): the index's refresh compares it with what it read. Each batch is
    /// `stat`ed on all cores, relative to its folder kept open.
    pub(super) fn each_record_stat(&self, sub: &str, mut each: impl FnMut(Vec<Stated>)) -> Vec<Error> {
        // Another thread lists the next batch while this one is `stat`ed.
        std::thread::scope(|s| {
            let (send, batches) = std::sync::mpsc::sync_channel::<Vec<PathBuf>>(1);
            let lister = s.spawn(move || {
                self.each_record_file(sub, |batch| {
                    let _ = send.send(batch.to_vec());
                })
            });
            for batch in batches {
                let keys = stat_each(&batch, |p| p);
                each(batch.into_iter().zip(keys).collect());
            }
            lister.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }

    /// The record files under the folder `dir`, handed to `emit` in `walk`'s order: its
    /// entries by name, a subfolder's files at its name's place (the order of whole paths
    /// with `/` first). Only the folder's names are held while it is walked; the types come
    /// with the listing, so a plain file costs no `stat` here. Anything but a plain folder
    /// or a record file (a link, a FIFO, a folder named like a record) is walked as `walk`
    /// does, which checks it.
    fn walk_folder(&self, dir: &Path, emit: &mut dyn FnMut(PathBuf), problems: &mut Vec<Error>) {
        for (name, kind) in sorted_names(dir, problems) {
            let path = dir.join(&*name);
            match kind {
                Some(k) if k.is_dir() && !is_record_name(&name) => self.walk_folder(&path, emit, problems),
                Some(k) if k.is_file() && is_record_name(&name) => emit(path),
                Some(k) if k.is_file() => {}
                _ => {
                    let (files, errors) = self.walk(&path, kind, &[]);
                    files.into_iter().for_each(&mut *emit);
                    problems.extend(errors);
                }
            }
        }
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

/// The names of a folder's entries that are not hidden, sorted, each with its type when
/// the listing tells it; a folder that cannot be read is a problem, not a stop.
fn sorted_names(dir: &Path, problems: &mut Vec<Error>) -> Vec<(Box<OsStr>, Option<fs::FileType>)> {
    match fs::read_dir(dir) {
        Ok(entries) => {
            let mut names: Vec<(Box<OsStr>, Option<fs::FileType>)> = Vec::new();
            for entry in entries {
                match entry {
                    Ok(e) if !is_hidden(&e.file_name()) => {
                        names.push((e.file_name().into_boxed_os_str(), e.file_type().ok()))
                    }
                    Ok(_) => {}
                    Err(e) => problems.push(Error::io(dir, e)),
                }
            }
            names.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            names
        }
        Err(e) => {
            problems.push(Error::io(dir, e));
            Vec::new()
        }
    }
}

/// A `stat` of every item's path, on all cores, in order; None for one that went away.
/// Each thread keeps the folder it is in open: a `stat` relative to it does not resolve
/// the whole path again.
pub(super) fn stat_each<T: Sync>(items: &[T], path: impl Fn(&T) -> &Path + Sync) -> Vec<Option<Key>> {
    let parts = par_fold(
        items,
        || (Vec::new(), Folder::default()),
        |(acc, folder): &mut (Vec<(usize, Option<Key>)>, Folder), i, item| acc.push((i, folder.key(path(item)))),
    );
    let mut keys = vec![None; items.len()];
    for (i, key) in parts.into_iter().flat_map(|(found, _)| found) {
        keys[i] = key;
    }
    keys
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

    /// A book with more customers than a batch, a subfolder among files, hidden and
    /// foreign files, and a folder named like a record.
    fn odd_book() -> (tempfile::TempDir, Book) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let root = dir.path();
        let file = |rel: &str| {
            let path = root.join(rel);
            fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
            fs::write(path, "id: x\n").expect("written");
        };
        file("care.yaml");
        for n in 0..WALK_BATCH + 10 {
            file(&format!("customers/c{n:05}.yaml"));
        }
        for rel in ["customers/c1/inner.yaml", "customers/c1-a.yaml", "customers/.hidden.yaml", "customers/notes.txt"] {
            file(rel);
        }
        for rel in ["incidents/2026/11/b.yaml", "incidents/2026/11/a.yml", "incidents/2026/11/a/deeper.yaml"] {
            file(rel);
        }
        file("incidents/2026/11/odd.yaml/inside.yaml");
        let book = Book::open(root.to_path_buf(), &crate::settings::Settings::default()).expect("a book");
        (dir, book)
    }

    #[test]
    fn the_walk_streams_batches_folder_by_folder_in_path_order() {
        let (_dir, book) = odd_book();
        for sub in [CUSTOMERS, INCIDENTS] {
            let mut sizes = Vec::new();
            let mut files: Vec<PathBuf> = Vec::new();
            let problems = book.each_record_file(sub, |batch| {
                sizes.push(batch.len());
                files.extend_from_slice(batch);
            });
            assert!(sizes.iter().all(|&n| n <= WALK_BATCH), "{sizes:?}");
            let mut sorted = files.clone();
            sorted.sort_by(|a, b| path_order(a, b));
            assert_eq!(files, sorted, "{sub}: the walk's order is path order");
            let names: Vec<String> =
                files.iter().map(|f| f.strip_prefix(&book.root).expect("in the book").display().to_string()).collect();
            assert!(!names.iter().any(|n| n.contains("hidden") || n.ends_with(".txt")), "{names:?}");
            if sub == CUSTOMERS {
                assert_eq!(files.len(), WALK_BATCH + 12);
                let at = |n: &str| names.iter().position(|x| x == n).expect(n);
                assert!(at("customers/c00001.yaml") < at("customers/c1/inner.yaml"));
                assert!(at("customers/c1/inner.yaml") < at("customers/c1-a.yaml"));
                assert!(problems.is_empty(), "{problems:?}");
            } else {
                assert_eq!(
                    names,
                    ["incidents/2026/11/a/deeper.yaml", "incidents/2026/11/a.yml", "incidents/2026/11/b.yaml"]
                );
                assert_eq!(problems.len(), 1, "{problems:?}");
                assert!(problems[0].to_string().contains("folder named like a record"), "{}", problems[0]);
            }
            // The stat walk gives the same files, each with its stat.
            let mut stated = Vec::new();
            book.each_record_stat(sub, |batch| stated.extend(batch));
            assert_eq!(stated.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(), files);
            for (path, key) in &stated {
                assert_eq!(key.map(|k| k.size), Some(6), "{}", path.display());
            }
        }
    }

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
