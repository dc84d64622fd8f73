//! `care init [DIR]`: create a book.

use std::path::{Path, PathBuf};

use crate::book::Book;
use crate::cmd::say;
use crate::error::{Error, Result};
use crate::model::config;

/// Create a new book: care.yaml with commented defaults, customers/ and incidents/.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  care init trattoria --name \"Trattoria Sol\" --timezone America/New_York")]
pub struct Args {
    /// Folder for the book (created if missing; default: the current folder).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// The business's name (default: the folder's name).
    #[arg(long)]
    pub name: Option<String>,
    /// IANA timezone the book's local times are read in (default: this machine's).
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
}

pub fn run(args: &Args) -> Result<()> {
    let zone = match &args.timezone {
        Some(z) => z.parse::<chrono_tz::Tz>().map(|_| z.clone()).map_err(|_| {
            Error::Usage(format!("--timezone: unknown zone {z:?}; use an IANA name such as Europe/Rome"))
        })?,
        None => machine_zone(),
    };
    let name = args.name.clone().unwrap_or_else(|| folder_name(&args.dir));
    Book::init(&args.dir, &config::template(&name, &zone))?;
    let dir = args.dir.display();
    say(&format!("Created a care book in {dir} (timezone {zone}).\nNext: care -C {dir} customer add \"Ada Lovelace\""));
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
