//! A finding as bytes, for `check` to set findings aside (spilled past a limit) and tell
//! them later in the book's order, the same as if they had been held.

use std::path::{Path, PathBuf};

use super::{Finding, Severity};

/// Where a finding is told among the others: by file, line and column; at one place, what
/// could not be read first, then the checks' own by code, then the book-wide ones
/// (`rank` 0, 1 and 2: the order `check` has always printed).
pub fn order_key(f: &Finding, rank: u8) -> (&Path, usize, usize, u8, &'static str) {
    (&f.file, f.line, f.column, rank, if rank == 1 { f.code } else { "" })
}

/// A finding and its rank as bytes, to set aside on disk (`book::Spill`) and read back
/// with `decode`.
pub fn encode(f: &Finding, rank: u8, out: &mut Vec<u8>) {
    out.clear();
    out.push(u8::from(f.severity == Severity::Warning));
    out.push(rank);
    out.extend_from_slice(&(f.line as u64).to_le_bytes());
    out.extend_from_slice(&(f.column as u64).to_le_bytes());
    for part in [f.code.as_bytes(), f.file.as_os_str().as_encoded_bytes(), f.message.as_bytes()] {
        out.extend_from_slice(&(part.len() as u32).to_le_bytes());
        out.extend_from_slice(part);
    }
}

/// A finding `encode` wrote (None for bytes it did not write).
pub fn decode(bytes: &[u8]) -> Option<(Finding, u8)> {
    let (head, mut rest) = bytes.split_at_checked(18)?;
    let number = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default()) as usize;
    let mut part = || -> Option<&[u8]> {
        let (len, tail) = rest.split_at_checked(4)?;
        let (part, tail) = tail.split_at_checked(u32::from_le_bytes(len.try_into().ok()?) as usize)?;
        rest = tail;
        Some(part)
    };
    let (code, file, message) = (part()?, part()?, part()?);
    let finding = Finding {
        severity: if head[0] == 1 { Severity::Warning } else { Severity::Error },
        file: path_of(file)?,
        line: number(&head[2..10]),
        column: number(&head[10..18]),
        code: intern(std::str::from_utf8(code).ok()?),
        message: std::str::from_utf8(message).ok()?.to_string(),
    };
    Some((finding, head[1]))
}

#[cfg(unix)]
pub(super) fn path_of(bytes: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

#[cfg(not(unix))]
pub(super) fn path_of(bytes: &[u8]) -> Option<PathBuf> {
    std::str::from_utf8(bytes).ok().map(PathBuf::from)
}

/// A finding's code read back from disk as the `&'static str` codes are: each distinct
/// code (a few dozen at most) is kept once for the rest of the run.
fn intern(code: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::Mutex;
    static CODES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut codes = CODES.lock().unwrap_or_else(|p| p.into_inner());
    let codes = codes.get_or_insert_with(HashSet::new);
    if let Some(&known) = codes.get(code) {
        return known;
    }
    let kept: &'static str = Box::leak(code.to_string().into_boxed_str());
    codes.insert(kept);
    kept
}
