//! `care flags`: the active flags of every customer — the list the front desk reads at the
//! start of a shift.

use std::io::Write;

use crate::cmd::{Ctx, report_problems};
use crate::error::Result;
use crate::{output, report};

/// List the active flags: what the front desk reads at the start of a shift.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  care flags\n  care flags --all --format csv > flags.csv")]
pub struct Args {
    /// Also list cleared and expired flags.
    #[arg(long)]
    pub all: bool,
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    let customers = ctx.book.customers();
    let rows = report::flags::list(&customers.records, ctx.book.clock.today(), args.all);
    output::print(out, &ctx.style, &rows)?;
    report_problems(&customers.problems)
}
