//! `care check`: validate the whole book. Reads every file itself (never a cache), so what
//! it says is what is on disk.

use std::io::Write;

use serde::de::DeserializeOwned;

use crate::book::{Book, CONFIG_FILE, CUSTOMERS, INCIDENTS};
use crate::cmd::Ctx;
use crate::error::{Error, Result};
use crate::model::{Customer, Incident, lexicon};
use crate::output;
use crate::report::check::{self, Finding, Read, Severity};
use crate::{git, yaml};

/// Validate the whole book: YAML errors with file:line:column, unknown customers,
/// duplicate ids, unknown staff, missing or late depositions, steps out of order.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Exit status: 0 when there are no errors (warnings allowed), 1 otherwise.
Examples:
  care check
  care check --strict --format csv > findings.csv      warnings fail too")]
pub struct Args {
    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Complete what an interrupted command left half done (an incident whose customer's
    /// file lacks its misstep and flag), then check.
    #[arg(long)]
    pub fix: bool,
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    let book = &ctx.book;
    for temp in book.remove_stale_temps() {
        ctx.ui.say(&format!("removed {}, a temporary file left by a care command that was killed", temp.display()));
    }
    if args.fix {
        fix(ctx)?;
    }
    let mut findings = Vec::new();
    let customers: Vec<Read<Customer>> = read_all(book, CUSTOMERS, &mut findings);
    let incidents: Vec<Read<Incident>> = read_all(book, INCIDENTS, &mut findings);
    if let Err(e) = lexicon::rules(&book.config.lexicon) {
        findings.push(Finding {
            severity: Severity::Error,
            file: book.path(CONFIG_FILE),
            line: 1,
            column: 1,
            code: "bad-lexicon",
            message: e,
        });
    }
    findings.extend(check::check(&book.config, &customers, &incidents, book.clock.now()));
    findings.extend(merge_driver(book));
    findings.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    output::print(out, &ctx.style, &check::rows(&findings))?;
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings.len() - errors;
    if findings.is_empty() {
        ctx.ui.say(&format!("The book is clean: {} customers, {} incidents.", customers.len(), incidents.len()));
        return Ok(());
    }
    let summary = format!("{errors} error(s) and {warnings} warning(s)");
    if errors > 0 || (args.strict && warnings > 0) {
        return Err(Error::Refused(format!("check found {summary}")));
    }
    ctx.ui.say(&format!("No errors; {warnings} warning(s)."));
    Ok(())
}

/// Link every incident its customer's file does not link: the openings the journal still
/// holds, then any other incident (written by hand, or opened before the journal existed).
fn fix(ctx: &Ctx) -> Result<()> {
    let book = &ctx.book;
    let by = ctx.by()?;
    let mut linked = book.complete_openings(by);
    let customers = book.customers();
    let incidents = book.incidents();
    let by_id: std::collections::HashMap<&str, &(std::path::PathBuf, Customer)> =
        customers.records.iter().map(|r| (r.1.id.as_str(), r)).collect();
    for (_, incident) in &incidents.records {
        let Some((path, customer)) = by_id.get(incident.customer.as_str()) else { continue };
        if customer.links(&incident.id) {
            continue;
        }
        let by = incident.owner.as_deref().unwrap_or(by);
        let opening = crate::model::recovery::opening(incident, by, book.config.flag_days, &book.clock);
        if book.add_opening(path, &opening)? {
            linked.push(incident.id.clone());
        }
    }
    for id in &linked {
        ctx.ui.say(&format!("fixed: linked incident {id} to its customer's file (misstep and flag)"));
    }
    Ok(())
}

/// A book kept in git whose clone cannot merge records field by field: the first
/// afternoon two sites note the same customer, the pull conflicts.
fn merge_driver(book: &Book) -> Option<Finding> {
    git::work_tree(&book.root)?;
    let missing = if git::config(&book.root, "merge.care.driver").is_none() {
        "this clone has no merge driver for its records (git config merge.care.driver is not set)"
    } else if git::merge_attribute(&book.root, "customers/x.yaml").as_deref() != Some("care") {
        "its records are not marked `merge=care` in .gitattributes"
    } else if let Some(problem) = crate::cmd::git::driver_problem(&book.root) {
        return Some(merge_warning(book, format!("{problem}; run `care git setup` to register this care again")));
    } else {
        return None;
    };
    let message = format!(
        "the book is in git, but {missing}, so two sites' notes on one customer will conflict; run `care git setup`"
    );
    Some(merge_warning(book, message))
}

fn merge_warning(book: &Book, message: String) -> Finding {
    Finding {
        severity: Severity::Warning,
        file: book.path(CONFIG_FILE),
        line: 1,
        column: 1,
        code: "merge-driver",
        message,
    }
}

/// Every record of a kind, parsed; files that cannot be read or parsed become findings.
/// Each is parsed both ways a writer parses it (typed, and as the document it edits), so
/// that `check` reports every file a writer would refuse, with the writer's message.
fn read_all<T: DeserializeOwned + Send>(book: &Book, sub: &str, findings: &mut Vec<Finding>) -> Vec<Read<T>> {
    let loaded = book.load_with(sub, |path, text| {
        let parsed = yaml::parse::<T>(path, text).and_then(|record| yaml::Doc::parse(path, text).map(|_| record));
        Ok(match parsed {
            Ok(record) => Ok(Read { path: path.to_path_buf(), text: text.to_string(), record }),
            // A syntax error is told as the YAML parser sees it, not as a wrong field.
            Err(e) => match yaml::parse::<yaml::Value>(path, text) {
                Ok(_) => Err(check::unreadable(&e, true)),
                Err(syntax) => Err(check::unreadable(&syntax, false)),
            },
        })
    });
    findings.extend(loaded.problems.iter().map(|e| check::unreadable(e, false)));
    let mut records = Vec::new();
    for (_, parsed) in loaded.records {
        match parsed {
            Ok(read) => records.push(read),
            Err(finding) => findings.push(finding),
        }
    }
    records
}
