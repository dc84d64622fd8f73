//! New records under ids nobody holds: a customer's id is the one asked for or a free slug of
//! the name (`ada-lovelace-2` when two people add "Ada Lovelace" at once), an incident's is
//! its date and a fresh random part. The check and the write happen under the new file's
//! lock, so two processes never both take one id; the loser of a race draws again.

use super::*;
use crate::model::id;

/// How often a race for an id (or a random clash) is retried before giving up.
const ATTEMPTS: usize = 20;

impl Book {
    /// Write a new customer record as `render` makes it, under `wanted` (refused when taken)
    /// or a free slug of the name; sets `customer.id` and returns the file written.
    pub fn create_customer(
        &self,
        customer: &mut Customer,
        wanted: Option<&str>,
        render: impl Fn(&Customer) -> Result<String>,
    ) -> Result<PathBuf> {
        if let Some(given) = wanted {
            id::check_customer_id(given).map_err(Error::Usage)?;
            if self.customer_file(given).is_some() {
                return Err(
                    Error::Refused(format!("customer id {given:?} is taken")).with_hint("choose another with --id")
                );
            }
            customer.id = given.to_string();
            let path = self.customer_path(given);
            self.create(&path, &render(customer)?)?;
            return Ok(path);
        }
        let base = id::slug(&customer.name);
        for _ in 0..ATTEMPTS {
            customer.id = id::first_free(&base, |id| self.customer_file(id).is_some());
            let path = self.customer_path(&customer.id);
            match self.create(&path, &render(customer)?) {
                Err(Error::Exists(_)) => continue,
                other => return other.map(|()| path),
            }
        }
        Err(Error::Refused(format!("could not find a free id for {:?}", customer.name))
            .with_hint("try again, or give one with --id"))
    }

    /// Write a new incident under a fresh id (the date it happened, a random part), with a
    /// journal entry naming it and its customer written first (see `pending`): until the
    /// opening is complete, no incident exists without one. Sets `incident.id`.
    pub fn create_incident(&self, incident: &mut Incident) -> Result<PathBuf> {
        let day = incident.opened.with_timezone(&self.clock.tz).date_naive();
        for _ in 0..ATTEMPTS {
            incident.id = id::incident_id(day, id::random());
            self.begin_opening(&incident.id, &incident.customer)?;
            let path = self.incident_path(&incident.id);
            match self.create(&path, &yaml::to_string(incident)?) {
                Ok(()) => return Ok(path),
                Err(Error::Exists(_)) => self.end_opening(&incident.id),
                Err(e) => {
                    self.end_opening(&incident.id);
                    return Err(e);
                }
            }
        }
        Err(Error::Refused("could not find a free incident id".into()).with_hint("try again"))
    }
}
