//! `care sync`: for cron, exchange this clone's changes with the other sites in one go
//! (commit, pull with the merge driver, settle, push; the git work is `git::sync`). Silent
//! when nothing happened, one line per thing done otherwise; a conflict care cannot settle
//! is named and left for a person, with status 1.

use crate::cmd::Ctx;
use crate::error::{Error, Result};
use crate::git::sync::{self, Stopped};
use crate::model::shared;
use crate::text::visible;

/// Exchange changes with the other sites: commit, pull, settle, push.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Commits the book's own files left uncommitted (records, care.yaml, forgotten.yaml), fetches
and merges the other sites' changes with care's merge driver (never a rebase), keeps a
forgotten customer's file deleted when another site changed it meanwhile, then pushes,
pulling again when another site pushed first (up to 3 tries). Prints nothing when nothing
happened, one line per thing done otherwise. A conflict care cannot settle is left as git
leaves it, its files named, with exit status 1. Git is never asked to prompt, and every
git call has a time limit.

Example:
  */15 * * * *  cd /srv/trattoria && care sync")]
pub struct Args {}

pub fn run(ctx: &Ctx, _args: &Args) -> Result<()> {
    let forgotten = |path: &str| -> bool {
        let Some(id) = shared::customer_of(path) else { return false };
        // A tombstone that does not read (a conflict in it) settles nothing.
        ctx.book.tombstone().is_ok_and(|t| t.knows_id(id).is_some())
    };
    let book = sync::Book { commits: &shared::synced, forgotten: &forgotten };
    match sync::sync(&ctx.book.root, book, &mut |line| ctx.ui.say(line)) {
        Ok(()) => Ok(()),
        Err(Stopped::Failed(what, hint)) => Err(Error::Refused(what).with_hint(hint)),
        Err(Stopped::Conflicts { upstream, paths }) => {
            for (path, what) in &paths {
                ctx.ui.say(&format!("CONFLICT: {}: {what}", visible(path)));
            }
            Err(Error::Refused(format!(
                "the merge of {upstream} stopped on {} care cannot settle; {} left for a person, as git left {}",
                if paths.len() == 1 { "a conflict".to_string() } else { format!("{} conflicts", paths.len()) },
                if paths.len() == 1 { "it is" } else { "they are" },
                if paths.len() == 1 { "it" } else { "them" },
            ))
            .with_hint(
                "resolve each file named above (docs/sharing.md, \"What a conflict looks like\"), `git add` it and \
                 `git commit --no-edit`, then run care sync again; or `git merge --abort` to undo the merge",
            ))
        }
    }
}
