//! What the pages list from the whole book: the customers' names a search looks through,
//! the choices the forms offer, the active flags and what is due. Each takes a read of
//! every record, which on a small book costs nothing and on 100,000 incidents costs
//! seconds (the stat of every file alone is most of a second). So they are kept here:
//! made again on each request while that is cheap (the page then shows the book as it is
//! this instant, whoever wrote to it), else by one thread in the background, every
//! REFRESH or as soon as the page itself wrote, so that no request waits for them. A card,
//! an incident and every write read their own records directly and are never stale.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::due_rows;
use crate::book::Book;
use crate::error::Result;
use crate::model::id;
use crate::output::Rows;
use crate::report::flags;
use crate::report::forms::Choices;
use crate::report::query::{self, Query};

/// Lists made in less than this are made again for each request.
pub const FRESH_UNDER: Duration = Duration::from_millis(50);
/// How often the lists of a large book are made again when nothing asked for it sooner.
pub const REFRESH: Duration = Duration::from_secs(30);

/// One customer as a search looks at it.
#[derive(Debug)]
pub struct Name {
    pub id: String,
    pub name: String,
    /// The name folded as ids are (no accents, lowercase), made once.
    folded: String,
}

/// The lists, as of `made`.
#[derive(Debug)]
pub struct Lists {
    pub names: Vec<Name>,
    pub choices: Choices,
    pub flags: Rows,
    pub due: Rows,
    /// What making them took: whether to make them again per request.
    cost: Duration,
}

impl Lists {
    /// Read from the book now.
    pub fn make(book: &Book) -> Result<Lists> {
        let start = Instant::now();
        let names = book
            .customer_names()
            .into_iter()
            .map(|c| Name {
                folded: format!("{} {}", id::fold(&c.name), c.id.replace('-', " ")),
                id: c.id,
                name: c.name,
            })
            .collect();
        let glance = book.glance();
        let choices = Choices {
            staff: book.config.staff.clone().unwrap_or_else(|| glance.staff.into_iter().collect()),
            products: glance.products.into_iter().collect(),
            locations: glance.locations.into_iter().collect(),
            channels: glance.channels.into_iter().collect(),
        };
        // As `flags` and `followup due` list them: the customers are streamed and only those
        // with flags kept, and only the customers of what is due are read.
        let (q, tz, today) = (Query::default(), book.clock.tz, book.clock.today());
        let (flags, _) = flags::gather(
            &q,
            |each| book.each_record(crate::book::CUSTOMERS, query::customer_reader(&q), each),
            |fold| book.fold_incidents(Default::default, fold),
            tz,
            today,
            false,
        )?;
        let due = due_rows(book, &q);
        Ok(Lists { names, choices, flags, due, cost: start.elapsed() })
    }

    /// The customers whose name or id holds `q` (folded), at most `max`, and whether
    /// there were more.
    pub fn find(&self, q: &str, max: usize) -> (Vec<(String, String)>, bool) {
        let folded = id::fold(q);
        if folded.is_empty() {
            return (Vec::new(), false);
        }
        let mut hits = self.names.iter().filter(|n| n.folded.contains(&folded) || n.id == q.trim());
        let found: Vec<(String, String)> = hits.by_ref().take(max).map(|n| (n.id.clone(), n.name.clone())).collect();
        let more = hits.next().is_some();
        (found, more)
    }
}

/// The lists every worker reads, and the thread that keeps them.
#[derive(Debug)]
pub struct Shared {
    current: Mutex<Arc<Lists>>,
    /// Set when the page wrote: the background thread makes them again at once.
    stale: Mutex<bool>,
    wake: Condvar,
}

impl Shared {
    /// The lists as of now, for a server about to start.
    pub fn new(book: &Book) -> Result<Arc<Shared>> {
        let lists = Lists::make(book)?;
        Ok(Arc::new(Shared { current: Mutex::new(Arc::new(lists)), stale: Mutex::new(false), wake: Condvar::new() }))
    }

    fn current(&self) -> Arc<Lists> {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn store(&self, lists: Lists) {
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(lists);
    }

    /// The lists for a request: made now from `book` when that is cheap, else the kept ones.
    pub fn get(&self, book: &Book) -> Arc<Lists> {
        let current = self.current();
        if current.cost >= FRESH_UNDER {
            return current;
        }
        match Lists::make(book) {
            Ok(lists) => {
                let lists = Arc::new(lists);
                *self.current.lock().unwrap_or_else(|p| p.into_inner()) = lists.clone();
                lists
            }
            Err(_) => current,
        }
    }

    /// The page wrote: make the lists again as soon as possible.
    pub fn changed(&self) {
        *self.stale.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.wake.notify_one();
    }

    /// Keep the lists of a large book fresh, for as long as the server runs: every REFRESH,
    /// or at once after a write. A book that cannot be read keeps the last lists.
    pub fn keep_fresh(&self, book: &Book) {
        loop {
            let stale = self.stale.lock().unwrap_or_else(|p| p.into_inner());
            let (mut stale, _) =
                self.wake.wait_timeout_while(stale, REFRESH, |s| !*s).unwrap_or_else(|p| p.into_inner());
            *stale = false;
            drop(stale);
            if let Ok(lists) = Lists::make(book) {
                let cost = lists.cost;
                self.store(lists);
                // A burst of writes never keeps a core busy remaking lists: at most half of one.
                std::thread::sleep(cost.min(REFRESH));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(names: &[(&str, &str)]) -> Lists {
        Lists {
            names: names
                .iter()
                .map(|(i, n)| Name { id: i.to_string(), name: n.to_string(), folded: format!("{} {}", id::fold(n), i) })
                .collect(),
            choices: Choices::default(),
            flags: Rows::new(&[]),
            due: Rows::new(&[]),
            cost: Duration::ZERO,
        }
    }

    #[test]
    fn a_search_ignores_accents_and_case_and_says_when_there_are_more() {
        let l = lists(&[("ada", "Adá Lövelace"), ("bob", "Bob Adams"), ("cy", "Cy Twombly")]);
        assert_eq!(l.find("ADA LOVELACE", 10).0, vec![("ada".to_string(), "Adá Lövelace".to_string())]);
        let (two, more) = l.find("ad", 10);
        assert_eq!((two.len(), more), (2, false));
        let (one, more) = l.find("ad", 1);
        assert_eq!((one.len(), more), (1, true));
        assert_eq!(l.find("   ", 10), (Vec::new(), false));
    }
}
