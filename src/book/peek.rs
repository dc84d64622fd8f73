//! A glance at a book for shell completion: the names a person may type next (customer
//! ids, incident ids, staff, extra incident fields). It runs on every TAB, so it must be
//! quick and must change nothing: unlike reports, it never refreshes the index nor sweeps
//! its spill files, and a file it cannot read is simply left out.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::{Book, CUSTOMERS};

/// A customer as completion offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerName {
    pub id: String,
    pub name: String,
}

/// An incident as completion offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentName {
    pub id: String,
    pub customer: String,
    pub summary: Option<String>,
    pub open: bool,
}

/// What completion knows of the incidents: each one, plus the names that appear in them.
#[derive(Debug, Default)]
pub struct Glance {
    /// Open incidents first, then the newest first (ids begin with their date).
    pub incidents: Vec<IncidentName>,
    /// `staff:` and `owner:` values, for `--staff`, `--owner`.
    pub staff: BTreeSet<String>,
    /// The products, locations and channels incidents name, for the page's choices.
    pub products: BTreeSet<String>,
    pub locations: BTreeSet<String>,
    pub channels: BTreeSet<String>,
    /// Top-level fields beyond the standard ones (`region`), for `--by` and `--where`.
    pub extra_fields: BTreeSet<String>,
}

/// Only what a customer list needs: parsing the whole record would cost more.
#[derive(Deserialize)]
struct IdAndName {
    id: String,
    #[serde(default)]
    name: String,
}

impl Book {
    /// Every readable customer's id and name, in the book's order.
    pub fn customer_names(&self) -> Vec<CustomerName> {
        let loaded = self.load::<IdAndName>(CUSTOMERS);
        loaded.records.into_iter().map(|(_, c)| CustomerName { id: c.id, name: c.name }).collect()
    }

    /// The incidents and the names found in them, through the index where it is still
    /// true of a file (read, never rewritten), else by reading the file.
    pub fn glance(&self) -> Glance {
        let mut glance = Glance::default();
        glance.staff.extend(self.config.staff.iter().flatten().cloned());
        for (incident, fields) in self.peek_incidents() {
            glance.staff.extend(incident.staff.iter().chain(&incident.owner).cloned());
            glance.products.extend(incident.product.iter().cloned());
            glance.locations.extend(incident.location.iter().cloned());
            glance.channels.extend(incident.channel.iter().cloned());
            glance.extra_fields.extend(fields.into_keys());
            glance.incidents.push(IncidentName {
                open: incident.is_open(),
                summary: incident.summary,
                id: incident.id,
                customer: incident.customer,
            });
        }
        glance.incidents.sort_by(|a, b| b.open.cmp(&a.open).then_with(|| b.id.cmp(&a.id)));
        glance.incidents.dedup_by(|a, b| a.id == b.id);
        glance
    }
}
