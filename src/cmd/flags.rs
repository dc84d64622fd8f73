//! `care flags`: the active flags of every customer — the list the front desk reads at the
//! start of a shift.

use std::io::Write;

use crate::book;
use crate::cmd::{Ctx, FilterArgs, parse_time, report_problems};
use crate::error::Result;
use crate::output;
use crate::report::{flags, query};

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
    let (b, today) = (&ctx.book, ctx.book.clock.today());
    let (rows, problems) = flags::gather(
        &q,
        |each| b.each_record(book::CUSTOMERS, query::customer_reader(&q), each),
        |fold| b.fold_incidents(Default::default, fold),
        b.clock.tz,
        today,
        args.all,
    )?;
    output::print(out, &ctx.style, &rows)?;
    report_problems(ctx, &problems)
}
