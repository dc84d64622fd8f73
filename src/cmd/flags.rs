//! `care flags`: the active flags of every customer — the list the front desk reads at the
//! start of a shift.

use std::io::Write;

use crate::cmd::{Ctx, FilterArgs, parse_time, print_flags};
use crate::error::Result;

/// List the active flags: what the front desk reads at the start of a shift.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  care flags\n  care flags --all --format csv > flags.csv\n  care flags --where location=uptown      the flags raised by incidents at that site"
)]
pub struct Args {
    /// Also list cleared and expired flags.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    let q = args.filter.query(|option, s| parse_time(ctx, option, s))?;
    print_flags(ctx, &q, args.all, out)
}
