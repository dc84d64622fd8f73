//! `care demo DIR` (once the hidden `care sample-book`, still its alias): write a
//! deterministic sample book for trying care out, for the tests and for the benchmark.

use std::path::PathBuf;

use serde::Serialize;

use crate::book::{self, Book, CUSTOMERS};
use crate::error::{Error, Result};
use crate::model::{Incident, config};
use crate::settings::Settings;
use crate::time::Clock;
use crate::ui::Ui;
use crate::{sample, yaml};

/// Write a sample book: customers, a year of incidents, and a planted pattern.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care demo demo                      then: care -C demo trends --by weekday,hour --chart
  care demo /tmp/big --customers 10000 --incidents 100000 --seed 1
  care demo /tmp/visits --customers 10000 --visits 500000
  care demo /tmp/flow --customers 10000 --incidents 100000 --style flow")]
pub struct Args {
    /// Folder for the new book (must not hold a book yet).
    pub dir: PathBuf,
    /// How many customers to write.
    #[arg(long, default_value = "200")]
    pub customers: usize,
    /// How many incidents to write, spread over a year, with the Wednesday pattern planted.
    #[arg(long, default_value = "2000")]
    pub incidents: usize,
    /// How many visits to add to the customers' records, over the last two years (default
    /// none: the book is the one earlier versions wrote).
    #[arg(long, default_value = "0")]
    pub visits: usize,
    /// The same seed always writes the same book.
    #[arg(long, default_value = "1")]
    pub seed: u64,
    /// Percent of the incidents that are the planted pattern (0: a book with no pattern).
    #[arg(long, value_name = "PERCENT", default_value_t = sample::PLANTED, value_parser = clap::value_parser!(u64).range(0..=100))]
    pub planted: u64,
    /// How the incidents are written: `block`, as care writes them, or `flow`, each step
    /// and follow-up one `{at: …, by: …}` line as docs/format.md shows and people write.
    #[arg(long, value_enum, default_value = "block")]
    pub style: Style,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    Block,
    Flow,
}

#[derive(Serialize)]
struct WithRegion<'a> {
    #[serde(flatten)]
    incident: &'a Incident,
    region: &'a str,
}

pub fn run(args: &Args, settings: &Settings, ui: &Ui) -> Result<()> {
    if args.customers == 0 && args.incidents > 0 {
        return Err(Error::Usage("incidents need at least one customer".into()));
    }
    let zone = "America/New_York";
    let mut care_yaml = config::template("Sample Bistro", zone);
    care_yaml.push_str(&format!("staff: [{}]\n", sample::STAFF.join(", ")));
    Book::init(&args.dir, &care_yaml)?;
    let book = Book::open(args.dir.clone(), settings)?;
    let clock: Clock = book.clock;
    let mut customers = sample::customers(args.customers, args.seed, &clock);
    let ids: Vec<String> = customers.iter().map(|c| c.id.clone()).collect();
    let incidents = sample::incidents_planted(args.incidents, &ids, args.seed, &clock, args.planted);
    for s in &incidents {
        let record = WithRegion { incident: &s.incident, region: s.region };
        let text = match args.style {
            Style::Block => yaml::to_string(&record)?,
            Style::Flow => sample::flow_style(&yaml::to_value(&record)?),
        };
        book::write_fresh(&book.incident_path(&s.incident.id), &text)?;
    }
    // Each customer's record links their incidents, as `recover open` would have.
    sample::link_missteps(&mut customers, incidents.iter().map(|s| &s.incident));
    sample::add_visits(&mut customers, args.visits, args.seed, &clock);
    for c in &customers {
        book::write_fresh(&book.path(CUSTOMERS).join(format!("{}.yaml", c.id)), &yaml::to_string(c)?)?;
    }
    ui.say(&format!(
        "Wrote a sample book in {}: {} customers, {} incidents.",
        args.dir.display(),
        args.customers,
        args.incidents
    ));
    Ok(())
}
