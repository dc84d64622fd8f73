//! Visits read for `returned` (every customer's visit times), and visits added in bulk
//! (`care import visits`): the customers read once for matching, and
//! each customer's file then written once with all its new visits, however many rows of
//! the export name them.
//!
//! Neither keeps more than one record's visits: the customers are read for what a row can
//! name them by (`visit::Named`), each record let go as soon as it is parsed, and a
//! customer's visits are read again only when that customer's turn comes.

use super::*;
use crate::model::visit::{self, Named, Visit};

impl Book {
    /// Every customer as a row may name them, with their file; a record that cannot be
    /// read is a problem, as for any reader of the customers.
    pub fn customers_named(&self) -> Loaded<Named> {
        self.load_with(CUSTOMERS, |path, text| yaml::parse::<Customer>(path, text).map(|c| Named::from(&c)))
    }

    /// Every customer's visit times, for the `returned` of incidents (`visit::Returns`,
    /// with the book's `returned_days` and clock). Streamed: each customer's visits are
    /// taken as the record is read, never the record kept, and a record without visits is
    /// not parsed.
    pub fn visit_returns(&self) -> (visit::Returns, Vec<Error>) {
        let mut returns = visit::Returns::new(self.config.returned_days, self.clock.now());
        let mut unread = Vec::new();
        let parse = |path: &Path, text: &str| {
            let has_visits = text.contains("visits:");
            has_visits.then(|| yaml::parse::<Customer>(path, text)).transpose()
        };
        let mut problems = self.each_record(CUSTOMERS, parse, |_, parsed| match parsed {
            Ok(Some(c)) => returns.add(&c.id, &c.visits),
            Ok(None) => {}
            Err(e) => unread.push(e),
        });
        problems.extend(unread);
        (returns, problems)
    }

    /// Add to the customer at `path` those of `visits` it does not have yet
    /// (`visit::fresh`: a row twice in one export is one visit); which ones were new.
    /// Decided first on the file as it is, without its lock, so a re-run that adds nothing
    /// writes nothing; when something is new, decided again under the lock, as it is
    /// written. `dry_run`: only decided. `listed`: the customer files, from the same read
    /// as the plan (see `Listed`).
    pub fn add_visits(&self, path: &Path, visits: &[Visit], listed: &Listed, dry_run: bool) -> Result<Vec<bool>> {
        let current: Customer = self.read(path)?;
        let fresh = visit::fresh(&current.visits, visits);
        if dry_run || !fresh.contains(&true) {
            return Ok(fresh);
        }
        drop(current);
        self.edit_listed(path, Some(listed), |current: &Customer, doc| {
            let fresh = visit::fresh(&current.visits, visits);
            for (v, _) in visits.iter().zip(&fresh).filter(|(_, new)| **new) {
                doc.push("visits", v)?;
            }
            Ok(fresh)
        })
    }
}
