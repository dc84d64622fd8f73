//! Files care writes outside the book for a person to take away (`export subject --to
//! DIR`): a folder of their data. It holds someone's personal data, so it is made only
//! where nothing would be mixed with it or overwritten — a new folder (private to this
//! account: 0700), or an empty one — and each file is written whole (atomically), so a
//! folder handed over never holds half a file.

use super::*;

/// Write `files` (name, content) into `dir`, refusing a `dir` that exists and is not an
/// empty folder. Names are care's own (`subject.json`, `entries.csv`), never a record's.
pub fn write_new_folder(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            let mut listing = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
            if listing.next().is_some() {
                return Err(Error::Refused(format!(
                    "{}: the folder exists and is not empty; nothing was written",
                    dir.display()
                ))
                .with_hint(
                    "name a new folder (it is created) or an empty one, so no other file is mixed with this export",
                ));
            }
        }
        Ok(_) => {
            return Err(Error::Refused(format!("{}: exists and is not a folder; nothing was written", dir.display()))
                .with_hint("name a new folder (it is created) or an empty one"));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_private_dir(dir)?,
        Err(e) => return Err(Error::io(dir, e)),
    }
    for (name, content) in files {
        write_atomic_with(&dir.join(name), |w| w.write_all(content))?;
    }
    Ok(())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| Error::io(dir, e))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
}
