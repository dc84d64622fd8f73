//! The book's edge: which paths are inside it. A symlink is followed only when it leads to
//! a place inside the book, and a record is rewritten only through its own file; checked
//! by a few `lstat`s per single-record access, never per file of a walk.

use super::*;

impl Book {
    /// The book's root with every link resolved.
    pub(super) fn real_root(&self) -> Result<&Path> {
        if let Some(real) = self.real_root.get() {
            return Ok(real);
        }
        let root = if self.root.as_os_str().is_empty() { Path::new(".") } else { &self.root };
        let real = fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
        Ok(self.real_root.get_or_init(|| real))
    }

    /// Where a symlink leads, if that is inside the book: a link may organise the book,
    /// but never make it read (or later overwrite) a file elsewhere.
    pub(super) fn inside(&self, link: &Path) -> Result<PathBuf> {
        let target = fs::canonicalize(link).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::Dangling { path: link.to_path_buf() },
            _ => Error::io(link, e),
        })?;
        if target.starts_with(self.real_root()?) {
            Ok(target)
        } else {
            Err(Error::Outside { path: link.to_path_buf(), target })
        }
    }

    /// Check that no folder between the book's root and `path` is a symlink leading out of
    /// the book. A few `lstat`s: done for every single-record read and every write, never
    /// per file of a walk (the walk checks each link it meets instead).
    pub(super) fn within(&self, path: &Path) -> Result<()> {
        let Ok(rel) = path.strip_prefix(&self.root) else { return Ok(()) };
        let parts: Vec<_> = rel.components().collect();
        let mut at = self.root.clone();
        for part in &parts[..parts.len().saturating_sub(1)] {
            at.push(part);
            if fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
                self.inside(&at)?;
            }
        }
        Ok(())
    }

    /// A record about to be rewritten must be a regular file of its own, reached without
    /// leaving the book. A symlink to another record is refused, not followed: `check`
    /// already calls such an alias an error (its id is not its file name, and the id is
    /// used twice), and a record written through two names would be locked under two
    /// names, so two writers could miss each other.
    pub(super) fn rewritable(&self, path: &Path) -> Result<()> {
        self.within(path)?;
        let kind = fs::symlink_metadata(path).map_err(|e| Error::io(path, e))?.file_type();
        if kind.is_symlink() {
            let target = self.inside(path)?;
            let shown = match target.strip_prefix(self.real_root()?) {
                Ok(rel) => rel.display().to_string(),
                Err(_) => target.display().to_string(),
            };
            let id = target.file_stem().unwrap_or_default().to_string_lossy();
            return Err(Error::Refused(format!(
                "{} is a symlink to {shown}; care writes a record only through its own file, never through a \
                 link (the link would be replaced by a copy and the record split in two); nothing was changed. \
                 Name the record itself ({id}), or replace the link with the file",
                path.display()
            )));
        }
        if !kind.is_file() {
            return Err(Error::NotRegular { path: path.to_path_buf(), kind: kind_name(kind) });
        }
        Ok(())
    }

    /// A customer record that `check` calls an error is not written to: its id must be
    /// its file name, and no other customer file may have that name. Same messages as
    /// `check`, so the two never disagree.
    /// `listed`: the customer files, listed once by a command that writes many of them.
    /// What it returns, when the check used the remembered sub-folders of `customers/`,
    /// is for `restamp` once the record is written.
    pub(super) fn same_id(&self, path: &Path, text: &str, listed: Option<&Listed>) -> Result<Option<Seen>> {
        if !path.starts_with(self.path(CUSTOMERS)) {
            return Ok(None);
        }
        #[derive(serde::Deserialize)]
        struct Id {
            id: Option<String>,
        }
        let Some(id) = yaml::parse::<Id>(path, text)?.id else { return Ok(None) };
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let line = text.lines().position(|l| l.starts_with("id:")).map_or(1, |n| n + 1);
        if id != stem {
            return Err(Error::data(path, line, 1, id::mismatch_message(&id, &stem)));
        }
        let (other, seen) = match listed {
            Some(listed) => (listed.another(path, &id), None),
            None => self.another_customer_file(path, &id),
        };
        if let Some(other) = other {
            return Err(Error::data(path, line, 1, id::duplicate_message(&id, &other)));
        }
        Ok(seen)
    }

    /// Another file under `customers/` named `id` (`.yaml` or `.yml`), besides `path`: in
    /// `customers/` itself by name (a stat each), behind its sub-folders and links by
    /// walking them (rare, small). Which those are, `customer_folders` knows without
    /// listing a folder of 100,000 customers each time; with what `restamp` needs.
    pub(super) fn another_customer_file(&self, path: &Path, id: &str) -> (Option<PathBuf>, Option<Seen>) {
        let dir = self.path(CUSTOMERS);
        let named = |p: &Path| p != path && is_record_name(p.as_os_str()) && stem_bytes(p) == id.as_bytes();
        // A link or a folder of that name is walked below, as the walk would read it.
        let beside = |p: &PathBuf| {
            p != path && fs::symlink_metadata(p).is_ok_and(|m| !m.is_dir() && !m.file_type().is_symlink())
        };
        let mut found: Vec<PathBuf> =
            ["yaml", "yml"].iter().map(|ext| dir.join(format!("{id}.{ext}"))).filter(beside).collect();
        let (folders, seen) = self.customer_folders();
        for folder in folders {
            let (files, _) = self.walk(&folder, None, &[]);
            found.extend(files.into_iter().filter(|p| named(p)));
        }
        found.sort_unstable_by(|a, b| path_order(a, b));
        (found.into_iter().next(), seen)
    }
}

/// The customer files that share a name (`ada.yaml` in two folders), from one listing of
/// every customer file, for a command that writes many customers (`import visits`): each
/// write's check that no other file has its name is then a lookup. Listing the folder for
/// each write made an import of 10,000 customers' visits read 100 million names.
#[derive(Debug, Default)]
pub struct Listed(HashMap<Vec<u8>, Vec<PathBuf>>);

impl Listed {
    pub fn of<'a>(files: impl IntoIterator<Item = &'a Path>) -> Listed {
        let mut by_name: HashMap<Vec<u8>, Vec<PathBuf>> = HashMap::new();
        for path in files {
            by_name.entry(stem_bytes(path).to_vec()).or_default().push(path.to_path_buf());
        }
        by_name.retain(|_, paths| paths.len() > 1);
        Listed(by_name)
    }

    /// As `Book::another_customer_file`: the first other file named `id`.
    fn another(&self, path: &Path, id: &str) -> Option<PathBuf> {
        let others = self.0.get(id.as_bytes())?.iter().filter(|p| p.as_path() != path);
        others.min_by(|a, b| path_order(a, b)).cloned()
    }
}
