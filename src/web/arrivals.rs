//! Tonight's arrivals for `care serve`: a file re-read on every request, or a list pasted
//! into the page. Both are bounded (a list of thousands of names is a mistake or an attack,
//! and each name is looked up in the book), and the file is read only when it is a regular
//! file, opened without blocking: a FIFO or device there must never stall the page, and a
//! missing file leaves a page without arrivals, not an error.

use std::io::Read;
use std::path::Path;

/// The names a page looks up at most.
pub const MAX_NAMES: usize = 200;
/// The bytes of an arrivals file read at most.
pub const MAX_FILE: u64 = 1024 * 1024;

/// The text of the arrivals file, or why it cannot be read (a sentence naming the file).
pub fn read(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("the arrivals file {shown} cannot be read: {e}"))?;
    if !meta.is_file() {
        return Err(format!("the arrivals file {shown} is not a regular file (a folder, FIFO or device)"));
    }
    let file = open(path).map_err(|e| format!("the arrivals file {shown} cannot be read: {e}"))?;
    // Checked again on what was opened: the path may have been swapped since.
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(format!("the arrivals file {shown} is not a regular file (a folder, FIFO or device)"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("the arrivals file {shown} cannot be read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(format!(
            "the arrivals file {shown} is over {} KiB; a night's arrivals fit in far less",
            MAX_FILE / 1024
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("the arrivals file {shown} is not UTF-8 text"))
}

/// Opened without blocking, so a FIFO put in place after the check cannot hang the open.
#[cfg(unix)]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32).open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// The names of a list, one a line, at most MAX_NAMES, with a note when some were left out.
pub fn names(list: &str) -> (Vec<&str>, Option<String>) {
    let all: Vec<&str> = list.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if all.len() <= MAX_NAMES {
        return (all, None);
    }
    let note =
        format!("The list has {} names; only the first {MAX_NAMES} are shown. Split it into shorter lists.", all.len());
    (all.into_iter().take(MAX_NAMES).collect(), Some(note))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_is_cut_with_a_note() {
        let (few, none) = names(" ada \n\n bob\r\n");
        assert_eq!((few, none), (vec!["ada", "bob"], None));
        let long: String = (0..250).map(|i| format!("n{i}\n")).collect();
        let (kept, note) = names(&long);
        assert_eq!(kept.len(), MAX_NAMES);
        assert_eq!(kept.last(), Some(&"n199"));
        assert!(note.is_some_and(|n| n.contains("250 names") && n.contains("first 200")));
    }
}
