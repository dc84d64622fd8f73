//! `care serve token`: a link per staff member (issue 28; being written).

use crate::cmd::Ctx;
use crate::error::{Error, Result};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List who has a link.
    List,
}

pub fn run(_ctx: &Ctx, _command: &Command, _out: &mut dyn std::io::Write) -> Result<()> {
    Err(Error::Usage("not yet".into()))
}
