//! The person's side of a command, passed in rather than reached for: where messages and
//! warnings go (stderr), where `-` reads from (stdin), and whether each is a terminal. The
//! binary hands a command the real ones; a test hands it buffers, so any command runs
//! in-process with both streams captured (jj's `Ui` does the same). Data never goes here:
//! stdout is the writer each command's `run` takes.
//!
//! The layers under a command speak through the same stderr: the book holds a `Warner`
//! (a lock it waits for, a file it had to rewrite), the hooks get where a hook's own
//! output goes. This is the only code that writes to the process's stderr (but for
//! `main`'s last error), so a test that captures the `Ui` hears everything.

use std::cell::RefCell;
use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::text::visible;

/// stderr, shared: the `Ui` and every `Warner` made from it write to the one stream, from
/// any thread (a book is read on every core).
type Sink = Arc<Mutex<Box<dyn Write + Send>>>;

fn lock(sink: &Sink) -> MutexGuard<'_, Box<dyn Write + Send>> {
    // A thread that panicked mid-message leaves the stream as usable as before.
    sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub struct Ui {
    err: Sink,
    input: RefCell<Box<dyn BufRead>>,
    /// Is stderr a terminal (colour in the briefing `recover open` prints there)?
    pub err_terminal: bool,
    /// Is stdout a terminal (the default format, colour, fitting tables to the width)?
    pub out_terminal: bool,
    /// Is stderr the process's own, which a hook may write to directly?
    process_err: bool,
}

/// Where the layers under a command warn: the `Ui`'s stderr, held by the book (which
/// outlives no command, but is shared by threads) and handed to it when it is opened.
#[derive(Clone)]
pub struct Warner(Sink);

impl Warner {
    /// The process's own stderr: for a book opened outside a command (completion, a test).
    pub fn stderr() -> Warner {
        Warner(Arc::new(Mutex::new(Box::new(io::stderr()))))
    }

    /// Something the person should know, though the work went on (as `Ui::warn`).
    pub fn warn(&self, message: &str) {
        let _ = writeln!(lock(&self.0), "warning: {}", visible(message));
    }
}

impl std::fmt::Debug for Warner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Warner")
    }
}

impl std::fmt::Debug for Ui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ui {{ err_terminal: {}, out_terminal: {} }}", self.err_terminal, self.out_terminal)
    }
}

/// What a captured `Ui` wrote to its stderr, readable while the `Ui` lives.
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Ui {
    /// The process's own stderr and stdin.
    pub fn terminal() -> Ui {
        Ui {
            err: Arc::new(Mutex::new(Box::new(io::stderr()))),
            input: RefCell::new(Box::new(io::BufReader::new(io::stdin()))),
            err_terminal: io::stderr().is_terminal(),
            out_terminal: io::stdout().is_terminal(),
            process_err: true,
        }
    }

    /// A `Ui` reading `stdin` from a string and keeping stderr for the caller to read.
    pub fn captured(stdin: &str) -> (Ui, Captured) {
        let err = Captured::default();
        let ui = Ui {
            err: Arc::new(Mutex::new(Box::new(err.clone()))),
            input: RefCell::new(Box::new(io::Cursor::new(stdin.as_bytes().to_vec()))),
            err_terminal: false,
            out_terminal: false,
            process_err: false,
        };
        (ui, err)
    }

    /// A message for the person (what was done, what comes next), never data.
    pub fn say(&self, message: &str) {
        let _ = writeln!(lock(&self.err), "{}", visible(message));
    }

    /// Something the person should know, though the command went on.
    pub fn warn(&self, message: &str) {
        let _ = writeln!(lock(&self.err), "warning: {}", visible(message));
    }

    /// Where the layers under the command warn, for the book to keep.
    pub fn warner(&self) -> Warner {
        Warner(self.err.clone())
    }

    /// stderr itself, for a briefing or a prompt written piece by piece. Not to be held
    /// while the book works: a warning it gives waits for it.
    pub fn err(&self) -> MutexGuard<'_, Box<dyn Write + Send>> {
        lock(&self.err)
    }

    /// Where a hook's own output goes: our stderr, never stdout (care's stdout is data).
    /// A hook is another program, writing to a file descriptor, so it reaches only the
    /// process's stderr; a captured `Ui` has none to give, and the hook's chatter is
    /// dropped.
    pub fn for_child(&self) -> Stdio {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            if self.process_err
                && let Ok(fd) = io::stderr().as_fd().try_clone_to_owned()
            {
                return Stdio::from(fd);
            }
        }
        Stdio::null()
    }

    /// One line of stdin without its line end; None at its end.
    pub fn read_line(&self) -> io::Result<Option<String>> {
        let mut line = String::new();
        if self.input.borrow_mut().read_line(&mut line)? == 0 {
            return Ok(None);
        }
        Ok(Some(line.trim_end_matches(['\n', '\r']).to_string()))
    }

    /// All of stdin copied to `to`, never held (`care import visits -` reads it twice).
    pub fn copy_input(&self, to: &mut dyn Write) -> io::Result<u64> {
        io::copy(&mut *self.input.borrow_mut(), to)
    }

    /// All of stdin (`care import customers -`, `care lexicon check -`).
    pub fn read_all(&self) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.input.borrow_mut().read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}
