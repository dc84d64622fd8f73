//! `care export`: flat rows of everything, for spreadsheets and other tools.

use std::io::Write;

use crate::cmd::{Ctx, report_problems};
use crate::error::Result;
use crate::output;
use crate::report::{export, flags};

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Customers,
    Incidents,
    Notes,
    Followups,
    Flags,
}

/// Flat rows of everything, one row per record or entry, in any format.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care export incidents > incidents.csv
  care export notes --format json | jq '.[] | select(.critical == \"yes\")'
  care export followups --excel > followups.csv")]
pub struct Args {
    /// customers, incidents, notes (every entry of every customer), followups or flags.
    #[arg(value_enum)]
    pub kind: Kind,
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    if ctx.style.format == output::Format::Ics {
        return super::print_all_calendar(ctx, out);
    }
    let today = ctx.book.clock.today();
    let (rows, problems) = match args.kind {
        Kind::Customers | Kind::Notes | Kind::Flags => {
            let loaded = ctx.book.customers();
            let rows = match args.kind {
                Kind::Customers => export::customers(&loaded.records, today),
                Kind::Notes => export::notes(&loaded.records),
                _ => flags::list(&loaded.records, today, true),
            };
            (rows, loaded.problems)
        }
        Kind::Incidents | Kind::Followups => {
            let loaded = ctx.book.incidents();
            let rows = match args.kind {
                Kind::Incidents => export::incidents(&loaded.records),
                _ => export::followups(&loaded.records),
            };
            (rows, loaded.problems)
        }
    };
    output::print(out, &ctx.style, &rows)?;
    report_problems(&problems)
}
