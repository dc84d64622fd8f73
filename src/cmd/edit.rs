//! `care edit CUSTOMER|ID`: open a record in your editor; on save it is checked, and an
//! invalid file is offered back for editing (like `crontab -e`). The book never keeps an
//! invalid file: the record is replaced only by a version that parses, and only if nobody
//! changed it meanwhile.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use serde::de::DeserializeOwned;

use crate::cmd::{Ctx, commit};
use crate::error::{Error, Result};
use crate::model::{Customer, Incident, id};
use crate::ui::Ui;
use crate::yaml;

/// Open a customer or incident record in $VISUAL or $EDITOR; it is checked on save.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  care edit ada\n  EDITOR=nano care edit k7f3qz")]
pub struct Args {
    /// A customer (id or unique part of the name) or an incident (id, prefix or random part).
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::records))]
    pub record: String,
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    let book = &ctx.book;
    let looks_like_incident = args.record.len() >= 8 && args.record[..8].bytes().all(|b| b.is_ascii_digit());
    let (path, is_customer) = if looks_like_incident {
        (book.find_incident(&args.record)?.0, false)
    } else {
        match book.find_customer(&args.record) {
            Ok((path, _)) => (path, true),
            Err(e) if matches!(e.cause(), Error::NotFound(_)) => match book.find_incident(&args.record) {
                Ok((path, _)) => (path, false),
                Err(_) => return Err(e),
            },
            Err(e) => return Err(e),
        }
    };
    let original = book.read_text(&path)?;
    let scratch = book.scratch_copy(&path, &original)?;
    let result = edit_loop(ctx, &path, &scratch, &original, is_customer);
    // After a clash with another writer the edited copy is the user's work: keep it.
    let clashed = matches!(&result, Err(Error::Refused(m)) if m.contains(KEPT));
    if !clashed {
        book.remove_scratch(&scratch);
    }
    result
}

const KEPT: &str = "your version is kept in";

fn edit_loop(ctx: &Ctx, path: &Path, scratch: &Path, original: &str, is_customer: bool) -> Result<()> {
    loop {
        run_editor(ctx.book.settings.editor.as_deref(), scratch)?;
        let edited = crate::book::read_text(scratch)?;
        if edited == original {
            ctx.ui.say("No changes.");
            return Ok(());
        }
        let checked = if is_customer {
            validate::<Customer>(path, &edited, |c| &c.id, id::check_customer_id)
        } else {
            validate::<Incident>(path, &edited, |i| &i.id, id::check_incident_id)
        };
        match checked {
            Ok(()) => {
                ctx.book
                    .replace_if_unchanged(path, original, &edited)
                    .map_err(|e| Error::Refused(format!("{e}; {KEPT} {}", scratch.display())))?;
                let id = path.file_stem().unwrap_or_default().to_string_lossy();
                commit(ctx, &[path.to_path_buf()], &format!("edit {id}"));
                return Ok(());
            }
            Err(e) => {
                ctx.ui.say(&format!("error: {}", e.report()));
                if !ask(&ctx.ui, "Edit again? [Y/n] ")? {
                    return Err(Error::data(path, 1, 1, "edit abandoned; the record is unchanged"));
                }
            }
        }
    }
}

/// The edited text must parse as the record, keep an id that is valid and names its file.
fn validate<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    id_of: impl Fn(&T) -> &String,
    check_id: impl Fn(&str) -> Result<(), String>,
) -> Result<()> {
    let record: T = yaml::parse(path, text)?;
    yaml::Doc::parse(path, text)?;
    let id = id_of(&record);
    check_id(id).map_err(Error::Usage)?;
    if path.file_stem().is_some_and(|s| s != id.as_str()) {
        return Err(Error::data(
            path,
            1,
            1,
            format!("the id must stay {:?} (the file's name)", path.file_stem().unwrap_or_default()),
        ));
    }
    Ok(())
}

fn run_editor(editor: Option<&str>, file: &Path) -> Result<()> {
    let editor = editor.unwrap_or("vi");
    // Through the shell, so EDITOR may carry arguments ("code -w").
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file)
        .status()
        .map_err(|e| Error::Refused(format!("cannot run the editor {editor:?}: {e}")))?;
    if !status.success() {
        return Err(Error::Refused(format!("the editor {editor:?} failed ({status}); the record is unchanged")));
    }
    Ok(())
}

/// Ask yes or no on the terminal; an empty answer is yes, end of input is no.
fn ask(ui: &Ui, question: &str) -> Result<bool> {
    write!(ui.err(), "{question}").map_err(Error::Output)?;
    ui.err().flush().map_err(Error::Output)?;
    let answer = ui.read_line().map_err(Error::Output)?;
    Ok(answer.is_some_and(|a| !a.trim().to_lowercase().starts_with('n')))
}
