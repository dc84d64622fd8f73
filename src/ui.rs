//! The person's side of a command, passed in rather than reached for: where messages and
//! warnings go (stderr), where `-` reads from (stdin), and whether each is a terminal. The
//! binary hands a command the real ones; a test hands it buffers, so any command runs
//! in-process with both streams captured (jj's `Ui` does the same). Data never goes here:
//! stdout is the writer each command's `run` takes.

use std::cell::RefCell;
use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::rc::Rc;

use crate::output::visible;

pub struct Ui {
    err: RefCell<Box<dyn Write>>,
    input: RefCell<Box<dyn BufRead>>,
    /// Is stderr a terminal (colour in the briefing `recover open` prints there)?
    pub err_terminal: bool,
    /// Is stdout a terminal (the default format, colour, fitting tables to the width)?
    pub out_terminal: bool,
}

impl std::fmt::Debug for Ui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ui {{ err_terminal: {}, out_terminal: {} }}", self.err_terminal, self.out_terminal)
    }
}

/// What a captured `Ui` wrote to its stderr, readable while the `Ui` lives.
#[derive(Debug, Clone, Default)]
pub struct Captured(Rc<RefCell<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
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
            err: RefCell::new(Box::new(io::stderr())),
            input: RefCell::new(Box::new(io::BufReader::new(io::stdin()))),
            err_terminal: io::stderr().is_terminal(),
            out_terminal: io::stdout().is_terminal(),
        }
    }

    /// A `Ui` reading `stdin` from a string and keeping stderr for the caller to read.
    pub fn captured(stdin: &str) -> (Ui, Captured) {
        let err = Captured::default();
        let ui = Ui {
            err: RefCell::new(Box::new(err.clone())),
            input: RefCell::new(Box::new(io::Cursor::new(stdin.as_bytes().to_vec()))),
            err_terminal: false,
            out_terminal: false,
        };
        (ui, err)
    }

    /// A message for the person (what was done, what comes next), never data.
    pub fn say(&self, message: &str) {
        let _ = writeln!(self.err.borrow_mut(), "{}", visible(message));
    }

    /// Something the person should know, though the command went on.
    pub fn warn(&self, message: &str) {
        let _ = writeln!(self.err.borrow_mut(), "warning: {}", visible(message));
    }

    /// stderr itself, for a briefing or a prompt written piece by piece.
    pub fn err(&self) -> std::cell::RefMut<'_, Box<dyn Write>> {
        self.err.borrow_mut()
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
