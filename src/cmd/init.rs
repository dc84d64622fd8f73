//! `care init [DIR]`: create a book.

use std::path::{Path, PathBuf};

use crate::book::Book;
use crate::error::{Error, Result};
use crate::model::config;
use crate::ui::Ui;

/// Create a new book: care.yaml with commented defaults, customers/ and incidents/.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  care init trattoria --name \"Trattoria Sol\" --timezone America/New_York")]
pub struct Args {
    /// Folder for the book (created if missing; default: the folder given by -C or
    /// CARE_BOOK, else the current folder). With -C, a relative DIR is taken inside it, as
    /// `git -C` does.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The business's name (default: the folder's name).
    #[arg(long)]
    pub name: Option<String>,
    /// IANA timezone the book's local times are read in (default: this machine's).
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
}

/// Where the book goes: DIR, inside the `-C` folder when relative (like `git -C`); else
/// the `-C`/`CARE_BOOK` folder; else the current one. `init` runs before any book is
/// looked for, so it must honour the folder options itself. A DIR given with only
/// `CARE_BOOK` set wins outright: an environment variable left over from earlier work
/// must not move an explicit command elsewhere.
pub fn target(dir: Option<&Path>, book: Option<&Path>, book_on_command_line: bool) -> PathBuf {
    match (dir, book) {
        (Some(d), Some(base)) if d.is_relative() && book_on_command_line => base.join(d),
        (Some(d), _) => d.to_path_buf(),
        (None, Some(base)) => base.to_path_buf(),
        (None, None) => PathBuf::from("."),
    }
}

pub fn run(args: &Args, book: Option<&Path>, book_on_command_line: bool, ui: &Ui) -> Result<()> {
    let dir = target(args.dir.as_deref(), book, book_on_command_line);
    let zone = match &args.timezone {
        Some(z) => z.parse::<chrono_tz::Tz>().map(|_| z.clone()).map_err(|_| {
            Error::Usage(format!("--timezone: unknown zone {z:?}; use an IANA name such as Europe/Rome"))
        })?,
        None => machine_zone(),
    };
    let name = args.name.clone().unwrap_or_else(|| folder_name(&dir));
    Book::init(&dir, &config::template(&name, &zone))?;
    let dir = dir.display();
    ui.say(&format!(
        "Created a care book in {dir} (timezone {zone}).\nNext: care -C {dir} customer add \"Ada Lovelace\""
    ));
    Ok(())
}

/// The machine's IANA zone, when it has one we know; else UTC.
fn machine_zone() -> String {
    iana_time_zone::get_timezone()
        .ok()
        .filter(|z| z.parse::<chrono_tz::Tz>().is_ok())
        .unwrap_or_else(|| "UTC".to_string())
}

fn folder_name(dir: &Path) -> String {
    let full = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    full.components()
        .filter_map(|c| match c {
            std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .next_back()
        .unwrap_or_else(|| "My business".to_string())
}
