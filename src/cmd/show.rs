//! `care show CUSTOMER...`: the briefing card, or one row per customer for several
//! (e.g. today's reservations piped in with `-`).

use std::io::Write;

use crate::cmd::{Ctx, report_problems};
use crate::error::{Error, Result};
use crate::output::{self, Format};
use crate::report::briefing;

/// The briefing card for one or more customers: what to remember before serving them.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  care show ada\n  cut -d, -f2 reservations.csv | care show -     one row per arriving guest"
)]
pub struct Args {
    /// Customer ids or unique parts of names; `-` reads them from stdin, one per line.
    #[arg(required = true, value_name = "CUSTOMER")]
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::customers))]
    pub customers: Vec<String>,
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    let queries = queries(&ctx.ui, &args.customers)?;
    let mut customers = Vec::new();
    let mut problems = Vec::new();
    for q in &queries {
        match ctx.book.find_customer(q) {
            Ok((path, c)) => customers.push((c, extra_fields(ctx, &path))),
            // One unknown guest must not hide the briefing of the others.
            Err(e) if queries.len() > 1 && matches!(e.cause(), Error::NotFound(_) | Error::Ambiguous { .. }) => {
                problems.push(e)
            }
            Err(e) => return Err(e),
        }
    }
    let mut unread = Vec::new();
    let today = ctx.book.clock.today();
    let cards: Vec<briefing::Card> = customers
        .iter()
        .map(|(c, extras)| {
            // Only the incidents the record links to: a briefing must not read the whole book.
            let (incidents, problems) = ctx.book.linked_incidents(c);
            unread.extend(problems);
            briefing::with_other(briefing::card(c, incidents.iter(), today), extras)
        })
        .collect();
    match ctx.style.format {
        Format::Json | Format::Ndjson => {
            let docs: Vec<serde_json::Value> =
                cards.iter().map(|c| serde_json::to_value(c).unwrap_or(serde_json::Value::Null)).collect();
            output::print_json(out, &ctx.style, &docs)?;
        }
        Format::Table if queries.len() == 1 && cards.len() == 1 => output::print_card(out, &ctx.style, &cards[0])?,
        _ => output::print(out, &ctx.style, &briefing::rows(&cards))?,
    }
    for p in &problems {
        ctx.ui.say(&format!("skipped: {p}"));
    }
    report_problems(ctx, &unread)?;
    match problems.len() {
        0 => Ok(()),
        n => Err(Error::NotFound(format!("{n} of {} customers were not found (see above)", queries.len()))),
    }
}

/// The record's top-level fields care does not know (`allergies: peanuts` brought in by an
/// import): the card shows them. The record was just read and parsed, so a failure here
/// only loses these lines.
fn extra_fields(ctx: &Ctx, path: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    ctx.book
        .read_text(path)
        .and_then(|text| {
            crate::yaml::parse_with_fields::<crate::model::Customer>(path, &text, &crate::model::Customer::FIELDS)
        })
        .map(|(_, extras)| extras)
        .unwrap_or_default()
}

/// The names given, with `-` replaced by the lines of stdin (blank lines and `#` comments skipped).
fn queries(ui: &crate::ui::Ui, given: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for q in given {
        if q == "-" {
            while let Some(line) = ui.read_line().map_err(|e| Error::io(std::path::Path::new("<stdin>"), e))? {
                let line = line.trim();
                if !line.is_empty() && !line.starts_with('#') {
                    out.push(line.to_string());
                }
            }
        } else {
            out.push(q.clone());
        }
    }
    Ok(out)
}
