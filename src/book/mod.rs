//! The book on disk: finding it, reading its records, and writing them safely. This is the
//! only module that touches the filesystem, so every write goes through the same lock and
//! the same atomic rename.
//!
//! Safety rules, all enforced here:
//! - a write replaces a file by renaming a fully written and synced temporary file from
//!   the same folder over it, so a reader or a crash sees the old or the new file, never
//!   half of one;
//! - writers to one record are serialised by an advisory lock on a sidecar file
//!   (`.NAME.yaml.lock`): the rename replaces the record's inode, so the record itself
//!   cannot carry the lock;
//! - a record is read, parsed and edited under that lock, and a record that does not parse
//!   is never written;
//! - temporary and lock files start with a dot and do not end in `.yaml`, so they are
//!   never read as records;
//! - nothing outside the book is read or written: a symlink (to a file or a folder, at any
//!   depth, `customers/` and `incidents/` included) is followed only when it leads to a
//!   place inside the book, and a write never goes through a symlinked record (it would
//!   replace the link with a copy and split the record in two);
//! - only regular files are opened: a FIFO named `*.yaml` would block a reader forever;
//! - a writer waits for a lock only so long (`CARE_LOCK_TIMEOUT`), saying whom it waits for.
//!
//! One file a job: `walk` lists record files, `links` keeps every path inside the book,
//! `read` parses records (`index` keeps the index in `.care/cache/book.sqlite`: every
//! record as the tables `care sql` queries, described by `schema`, and per file the digest
//! of what reports need, encoded by `digest`), `find` resolves
//! what a person names (`folders` remembers `customers/`'s sub-folders and links, so a
//! write need not list 100,000 customers to refuse a second file with its id),
//! `write` and `lock` change files safely, `pending` journals the
//! commands that write several records (`recover open`, `customer merge`), `sheet` reads a
//! spreadsheet given to import as a stream, and `visits` adds an export's visits.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use walkdir::WalkDir;

use crate::error::{Error, Result};
use crate::model::customer::{self, Pick};
use crate::model::{Config, Customer, Incident, id};
use crate::settings::Settings;
use crate::time::Clock;
use crate::ui::Warner;
use crate::yaml::{self, Doc};

mod actions;
mod clone;
mod create;
mod digest;
mod exposure;
mod find;
mod folders;
mod forgotten;
mod handover;
mod index;
mod links;
mod lock;
mod peek;
mod pending;
mod plan;
mod read;
mod schema;
mod sheet;
mod stream;
pub mod tokens;
mod visits;
mod walk;
mod write;

pub use forgotten::{ForgetPlan, Scrub};
pub use handover::write_new_folder;
pub use links::Listed;
pub use pending::{Merged, PendingMerge, refuse_unsettled};
pub use read::{decode, read_input, read_text};
pub use sheet::{Records, Sheet};
pub use stream::Spill;
pub use write::{ensure_lines, write_file, write_fresh};

use folders::Seen;
use lock::*;
use walk::*;
use write::*;

pub use peek::{CustomerName, Glance, IncidentName};

pub use actions::ACTIONS;
pub use clone::{GitEntries, Hook, NotifyState};
pub use index::{Answer as SqlAnswer, Value as SqlValue};
pub use schema::TABLES as SQL_TABLES;

pub const CONFIG_FILE: &str = "care.yaml";
pub const CUSTOMERS: &str = "customers";
pub const INCIDENTS: &str = "incidents";

/// What git must not track in a book: lock, temporary and editor scratch files, the cache.
pub const IGNORED: [&str; 5] = [".*.lock", ".*.tmp", ".*.tmp-*", ".*.edit-*", ".care/"];

pub use crate::model::Extras;

#[derive(Debug)]
pub struct Book {
    pub root: PathBuf,
    pub config: Config,
    pub clock: Clock,
    /// `--rewrite`: an edit that cannot keep a file's own layout may rewrite it in
    /// canonical form; without it such an edit is refused.
    pub rewrite: bool,
    /// What the environment said, read once at start (timeouts, the cache, the clock).
    pub settings: Settings,
    /// Where it warns while it works (a lock it waits for, a file it had to rewrite): the
    /// command's `Ui` (`Ui::warner`), else the process's stderr.
    pub warner: Warner,
    /// The root with every link resolved, computed once: what "inside the book" means.
    real_root: OnceLock<PathBuf>,
}

/// Records of one kind read from the book, and the files that could not be read.
#[derive(Debug)]
pub struct Loaded<T> {
    pub records: Vec<(PathBuf, T)>,
    pub problems: Vec<Error>,
}

/// Where the book is: the folder given (by `-C` or `CARE_BOOK`), else the first folder
/// from `start` upwards that holds `care.yaml`. The result is relative to `start` when it
/// is found by walking, so messages name files as the user would type them.
pub fn find_root(given: Option<&Path>, start: &Path) -> Result<PathBuf> {
    if let Some(dir) = given {
        if dir.join(CONFIG_FILE).is_file() {
            return Ok(dir.to_path_buf());
        }
        return Err(Error::Refused(format!("{} is not a care book (it has no {CONFIG_FILE})", dir.display()))
            .with_hint(format!("create one with `care init {}`", dir.display())));
    }
    let mut relative = PathBuf::new();
    for dir in start.ancestors() {
        if dir.join(CONFIG_FILE).is_file() {
            return Ok(relative);
        }
        relative.push("..");
    }
    Err(Error::NoBook(start.to_path_buf()))
}

impl Book {
    /// Open the book at `root`: read its settings and set its clock.
    pub fn open(root: PathBuf, settings: &Settings) -> Result<Book> {
        let path = root.join(CONFIG_FILE);
        let text = read_text(&path)?;
        let config: Config = if text.trim().is_empty() { Config::default() } else { yaml::parse(&path, &text)? };
        let clock = Clock::real_or(settings.now, config.timezone);
        Ok(Book {
            root,
            config,
            clock,
            rewrite: false,
            settings: settings.clone(),
            warner: Warner::stderr(),
            real_root: OnceLock::new(),
        })
    }

    /// Create a new book in `dir`, which may exist but must not hold a book.
    pub fn init(dir: &Path, config_text: &str) -> Result<()> {
        let config = dir.join(CONFIG_FILE);
        if config.exists() {
            return Err(Error::Refused(format!(
                "{} already holds a book ({} exists); nothing was changed",
                dir.display(),
                config.display()
            )));
        }
        for sub in [CUSTOMERS, INCIDENTS] {
            fs::create_dir_all(dir.join(sub)).map_err(|e| Error::io(&dir.join(sub), e))?;
        }
        let ignore = dir.join(".gitignore");
        if !ignore.exists() {
            let mut text = String::from("# care's lock, temporary and cache files\n");
            IGNORED.iter().for_each(|p| text.push_str(&format!("{p}\n")));
            write_atomic(&ignore, &text)?;
        }
        create_new(&config, config_text)
    }

    pub fn path(&self, sub: &str) -> PathBuf {
        self.root.join(sub)
    }

    /// Where a new customer record goes.
    pub fn customer_path(&self, id: &str) -> PathBuf {
        self.path(CUSTOMERS).join(format!("{id}.yaml"))
    }

    /// Where an incident's record goes: `incidents/YYYY/MM/<id>.yaml`, from the id's date.
    pub fn incident_path(&self, id: &str) -> PathBuf {
        let (year, month) = (id.get(0..4).unwrap_or("0000"), id.get(4..6).unwrap_or("00"));
        self.path(INCIDENTS).join(year).join(month).join(format!("{id}.yaml"))
    }
}
