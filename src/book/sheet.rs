//! A spreadsheet given on the command line (`care import visits bookings.csv`), read as a
//! stream instead of held: a command can check every row before it writes anything and
//! then write without keeping the rows, by reading the file again, whole (`Sheet::read`)
//! or one record at a time from where it starts (`Sheet::record`). A 50 MB export then
//! costs a read buffer, not 50 MB and its parsed rows.
//!
//! Each record's line (where its first cell is) is counted as the bytes go by: the
//! offsets of the newlines read ahead of the parser are kept, a buffer's worth, and let go
//! as records pass them. Counting from the start of the file for every record made an
//! import quadratic; the csv crate's own count is not used, since after a CRLF it starts
//! the next record at the LF (one line short) and counts blank lines before a record
//! against it.
//!
//! Standard input (`-`), or a pipe named as a file, can be read only once, so it is first
//! copied to a file in the system's temporary folder (never in the book), removed as
//! soon as it is open where the system allows, else when the sheet is dropped.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{Seek, SeekFrom};
use std::time::SystemTime;

use csv::{ByteRecord, StringRecord};

use super::*;
use crate::model::booking::Row;

/// Bytes read from the file at a time.
const BUFFER: usize = 1 << 16;

#[derive(Debug)]
pub struct Sheet {
    file: File,
    /// As the person named it (`-` for stdin), for messages.
    name: PathBuf,
    /// The temporary copy of a pipe, when it could not be removed while open.
    spooled: Option<PathBuf>,
    /// Length and modification time when opened: a file changed between two readings is
    /// refused, not misread.
    seen: (u64, Option<SystemTime>),
    /// The parser of `record`, over the bytes of the last record read again.
    again: RefCell<csv::Reader<std::io::Cursor<Vec<u8>>>>,
}

impl Sheet {
    /// The file at `path`; a pipe (not a regular file) is copied first, as `spool` does.
    /// Opening a named pipe waits until something writes to it: `waiting` is called first,
    /// so the person at the terminal is told why nothing happens.
    pub fn open(path: &Path, waiting: impl FnOnce()) -> Result<Sheet> {
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            waiting();
        }
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let meta = file.metadata().map_err(|e| Error::io(path, e))?;
        if meta.is_file() {
            return Sheet::new(file, path, None);
        }
        Sheet::spool(path, |to| std::io::copy(&mut &file, to))
    }

    /// A sheet of what `copy` writes (stdin), kept in a temporary file named `name` in
    /// messages.
    pub fn spool(name: &Path, copy: impl FnOnce(&mut dyn Write) -> std::io::Result<u64>) -> Result<Sheet> {
        let (file, path) = super::stream::temp_file("sheet")?;
        let shown = if path.as_os_str().is_empty() { std::env::temp_dir() } else { path.clone() };
        let mut out = std::io::BufWriter::with_capacity(BUFFER, &file);
        copy(&mut out).map_err(|e| Error::io(name, e))?;
        out.flush().map_err(|e| Error::io(&shown, e))?;
        drop(out);
        Sheet::new(file, name, Some(path).filter(|p| !p.as_os_str().is_empty()))
    }

    fn new(file: File, name: &Path, spooled: Option<PathBuf>) -> Result<Sheet> {
        let again = RefCell::new(builder().has_headers(false).from_reader(std::io::Cursor::new(Vec::new())));
        let mut sheet = Sheet { file, name: name.to_path_buf(), spooled, seen: (0, None), again };
        sheet.seen = sheet.stat()?;
        Ok(sheet)
    }

    fn stat(&self) -> Result<(u64, Option<SystemTime>)> {
        let meta = self.file.metadata().map_err(|e| Error::io(&self.name, e))?;
        Ok((meta.len(), meta.modified().ok()))
    }

    /// The file's length in bytes: where its last record ends.
    pub fn len(&self) -> u64 {
        self.seen.0
    }

    pub fn is_empty(&self) -> bool {
        self.seen.0 == 0
    }

    /// Refuse a file that changed since it was opened: the plan made of it no longer
    /// describes it.
    pub fn unchanged(&self) -> Result<()> {
        if self.stat()? == self.seen {
            return Ok(());
        }
        Err(self.changed())
    }

    /// The refusal when a reading finds what the first did not.
    pub fn changed(&self) -> Error {
        Error::Refused(format!(
            "{} changed while it was being imported; what was written so far stays, and running the import again \
             adds the rest without doubling anything",
            self.name.display()
        ))
    }

    /// Every record from the start, each with its line and where it starts; call
    /// `headers` first.
    pub fn read(&self) -> Result<Records<'_>> {
        self.unchanged()?;
        (&self.file).seek(SeekFrom::Start(0)).map_err(|e| Error::io(&self.name, e))?;
        let counted = Counted { inner: &self.file, at: 0, newlines: VecDeque::new() };
        let reader = builder().buffer_capacity(BUFFER).from_reader(counted);
        Ok(Records { sheet: self, reader, record: ByteRecord::new(), before: 0 })
    }

    /// The record between `start` and `end` (a span `Records` gave), read again.
    pub fn record(&self, (start, end): (u64, u64)) -> Result<StringRecord> {
        let len = usize::try_from(end.saturating_sub(start)).map_err(|_| self.changed())?;
        (&self.file).seek(SeekFrom::Start(start)).map_err(|e| Error::io(&self.name, e))?;
        // One parser for every record, its input swapped: making a parser costs more
        // than parsing a row.
        let mut again = self.again.borrow_mut();
        let bytes = again.get_mut().get_mut();
        bytes.resize(len, 0);
        (&self.file).read_exact(bytes).map_err(|_| self.changed())?;
        again.seek_raw(SeekFrom::Start(0), csv::Position::new()).map_err(|_| self.changed())?;
        let mut record = ByteRecord::new();
        match again.read_byte_record(&mut record) {
            Ok(true) => StringRecord::from_byte_record(record).map_err(|_| self.changed()),
            _ => Err(self.changed()),
        }
    }
}

impl Drop for Sheet {
    fn drop(&mut self) {
        if let Some(path) = &self.spooled {
            let _ = fs::remove_file(path);
        }
    }
}

/// The one way both readings parse: strict (every row as many cells as the header).
fn builder() -> csv::ReaderBuilder {
    let mut builder = csv::ReaderBuilder::new();
    builder.flexible(false);
    builder
}

/// The file's bytes on their way to the parser, with the offset of each newline noted.
struct Counted<R> {
    inner: R,
    at: u64,
    newlines: VecDeque<u64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let at = self.at;
        self.newlines.extend(buf[..n].iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| at + i as u64));
        self.at += n as u64;
        Ok(n)
    }
}

/// A sheet's records, read in order (`Sheet::read`).
pub struct Records<'a> {
    sheet: &'a Sheet,
    reader: csv::Reader<Counted<&'a File>>,
    record: ByteRecord,
    /// Newlines before the last record's end.
    before: u64,
}

impl std::fmt::Debug for Records<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records").field("sheet", &self.sheet.name).field("before", &self.before).finish()
    }
}

impl Records<'_> {
    /// The header row's cells, trimmed; Err: why it cannot be read.
    pub fn headers(&mut self) -> std::result::Result<Vec<String>, String> {
        let headers = self.reader.byte_headers().map_err(|e| e.to_string())?;
        let text = StringRecord::from_byte_record(headers.clone()).map_err(|_| NOT_UTF8.to_string())?;
        Ok(text.iter().map(|h| h.trim().to_string()).collect())
    }

    /// The line of the record from `start` to `end` with `inner` newlines in its cells:
    /// the newlines before it, and those before its first cell (blank lines; the LF of the
    /// CRLF that ended the record before), which are the newlines of its span that are
    /// neither in its cells nor the one that ends it.
    fn line(&mut self, start: u64, end: u64, inner: u64) -> u64 {
        let newlines = &mut self.reader.get_mut().newlines;
        let mut within: u64 = 0;
        let mut last = None;
        while let Some(at) = newlines.front().copied().filter(|at| *at < end) {
            newlines.pop_front();
            if at < start {
                self.before += 1;
            } else {
                within += 1;
                last = Some(at);
            }
        }
        let ends_it = u64::from(end > start && last == Some(end - 1));
        let line = 1 + self.before + within.saturating_sub(inner + ends_it);
        self.before += within;
        line
    }
}

const NOT_UTF8: &str = "not valid UTF-8 text; save the file as UTF-8 (in Excel: CSV UTF-8)";

impl Iterator for Records<'_> {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        let read = self.reader.read_byte_record(&mut self.record);
        let end = self.reader.position().byte();
        let (start, problem) = match read {
            Ok(false) => return None,
            Ok(true) => (self.record.position().map_or(0, |p| p.byte()), None),
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(_) => return Some(Err(Error::io(&self.sheet.name, std::io::Error::other(e)))),
                _ => (e.position().map_or(0, |p| p.byte()), Some(e.to_string())),
            },
        };
        let inner = self.record.iter().map(|cell| cell.iter().filter(|b| **b == b'\n').count() as u64).sum();
        let line = self.line(start, end, inner);
        let cells = match problem {
            Some(e) => Err(e),
            None => StringRecord::from_byte_record(self.record.clone()).map_err(|_| NOT_UTF8.to_string()),
        };
        Some(Ok(Row { line, start, cells }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(text: &str) -> Sheet {
        Sheet::spool(Path::new("b.csv"), |to| to.write_all(text.as_bytes()).map(|()| text.len() as u64)).expect("sheet")
    }

    /// Each record's line and first cell, and each read again from its span.
    fn lines(text: &str) -> Vec<(u64, String)> {
        let sheet = sheet(text);
        let mut records = sheet.read().expect("read");
        records.headers().expect("headers");
        let rows: Vec<Row> = records.map(|r| r.expect("row")).collect();
        let mut found = Vec::new();
        for (k, row) in rows.iter().enumerate() {
            let cells = row.cells.as_ref().map(|c| c[0].to_string()).unwrap_or_else(|e| e.clone());
            if row.cells.is_ok() {
                let end = rows.get(k + 1).map_or(sheet.len(), |next| next.start);
                let again = sheet.record((row.start, end)).expect("again");
                assert_eq!(Some(&again), row.cells.as_ref().ok(), "{text:?}");
            }
            found.push((row.line, cells));
        }
        found
    }

    fn first(line: u64, cell: &str) -> (u64, String) {
        (line, cell.to_string())
    }

    #[test]
    fn lines_are_right_with_crlf_a_bom_cells_of_several_lines_and_blank_lines() {
        let want = [first(2, "a"), first(3, "b"), first(5, "c")];
        assert_eq!(lines("h,x\na,1\nb,\"two\nthree\"\nc,2\n"), want);
        assert_eq!(lines("\u{feff}h,x\r\na,1\r\nb,\"two\r\nthree\"\r\nc,2\r\n"), want);
        assert_eq!(lines("h,x\n\na,1\n\n\nb,2\nc,3"), [first(3, "a"), first(6, "b"), first(7, "c")]);
        assert_eq!(lines("h,x\r\n\r\na,1\r\nb,\"x\ny\"\n\nc,\"end\n\""), [first(3, "a"), first(4, "b"), first(7, "c")]);
    }

    #[test]
    fn a_bad_record_is_named_by_its_line_and_reading_goes_on() {
        let found = lines("h,x\na,1\nb,2,3\n\nd,4\n");
        assert_eq!((found[0].0, found[1].0, found[2].0), (2, 3, 5));
        assert!(found[1].1.contains("found record with 3 fields"), "{found:?}");
        let found = lines_of_bytes(b"h,x\na,1\nc,\xff\nd,4\n");
        assert_eq!(found, [first(2, "a"), (3, NOT_UTF8.to_string()), first(4, "d")]);
    }

    fn lines_of_bytes(bytes: &[u8]) -> Vec<(u64, String)> {
        let sheet = Sheet::spool(Path::new("b.csv"), |to| to.write_all(bytes).map(|()| 0)).expect("sheet");
        let mut records = sheet.read().expect("read");
        records.headers().expect("headers");
        let cell = |r: Row| (r.line, r.cells.map(|c| c[0].to_string()).unwrap_or_else(|e| e));
        records.map(|r| cell(r.expect("row"))).collect()
    }

    #[test]
    fn a_file_changed_between_readings_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("b.csv");
        fs::write(&path, "h\na\n").expect("write");
        let sheet = Sheet::open(&path, || {}).expect("open");
        assert!(sheet.unchanged().is_ok());
        fs::write(&path, "h\na\nb\n").expect("write");
        assert!(sheet.read().expect_err("changed").to_string().contains("changed while it was being imported"));
    }
}
