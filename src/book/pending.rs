//! Openings in flight: `recover open` writes two records (the incident, then the misstep and
//! flag on its customer's file), and a run killed between the two would leave an incident
//! that nobody greeting the customer hears of. Before the first write, a journal entry in
//! the clone's git-ignored `.care/pending/` names the incident and its customer; after the
//! second it is removed. An entry still there is an opening to complete: the next `recover
//! open` and `care check --fix` complete it (adding the same misstep and flag, never twice),
//! and the customer's card reads the incident through it meanwhile.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{Book, write_atomic};
use crate::error::Result;
use crate::model::recovery::{self, Opening};
use crate::model::{Customer, Incident, id};

const PENDING: &str = ".care/pending";

/// A journal entry younger than this may belong to a run still between its two writes.
const IN_FLIGHT: Duration = Duration::from_secs(60);

/// One opening whose second write may not have happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub incident: String,
    pub customer: String,
}

impl Book {
    fn pending_file(&self, incident: &str) -> PathBuf {
        self.path(PENDING).join(incident)
    }

    /// Note that `incident` of `customer` is being opened (before the incident is written).
    pub fn begin_opening(&self, incident: &str, customer: &str) -> Result<()> {
        // `.care/` is clone-local, but a link there must still not lead the journal out.
        self.within(&self.pending_file(incident))?;
        let dir = self.path(PENDING);
        fs::create_dir_all(&dir).map_err(|e| crate::Error::io(&dir, e))?;
        write_atomic(&self.pending_file(incident), &format!("{customer}\n"))
    }

    /// The opening is complete (or was abandoned before the incident existed).
    pub fn end_opening(&self, incident: &str) {
        if self.within(&self.pending_file(incident)).is_ok() {
            let _ = fs::remove_file(self.pending_file(incident));
        }
    }

    /// Every journal entry, oldest first; unreadable or malformed ones are skipped (they
    /// name no record this tool would write).
    pub fn pending_openings(&self) -> Vec<Pending> {
        if self.within(&self.pending_file("x")).is_err() {
            return Vec::new();
        }
        let Ok(entries) = fs::read_dir(self.path(PENDING)) else { return Vec::new() };
        let mut found: Vec<(SystemTime, Pending)> = entries
            .flatten()
            .filter_map(|e| {
                let incident = e.file_name().to_str()?.to_string();
                id::check_incident_id(&incident).ok()?;
                let meta = fs::symlink_metadata(e.path()).ok().filter(|m| m.is_file())?;
                let customer = fs::read_to_string(e.path()).ok()?.trim().to_string();
                id::check_customer_id(&customer).ok()?;
                Some((meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), Pending { incident, customer }))
            })
            .collect();
        found.sort_by(|a, b| (a.0, &a.1.incident).cmp(&(b.0, &b.1.incident)));
        found.into_iter().map(|(_, p)| p).collect()
    }

    /// Put an opening's misstep and flag on the customer's file, unless the file already
    /// links the incident (a second completer, or the run itself, got there first).
    pub fn add_opening(&self, customer_file: &Path, opening: &Opening) -> Result<bool> {
        let incident = opening.flag.incident.clone().unwrap_or_default();
        self.edit(customer_file, |c: &Customer, doc| {
            if c.links(&incident) {
                return Ok(false);
            }
            doc.push("missteps", &opening.misstep)?;
            doc.push("flags", &opening.flag)?;
            Ok(true)
        })
    }

    /// Complete every opening a stopped run left half done; returns the incidents linked.
    /// A journal entry whose incident was never written is dropped once it is too old to
    /// belong to a run still in flight. Failures leave the entry for the next attempt.
    pub fn complete_openings(&self, by: &str) -> Vec<String> {
        let mut linked = Vec::new();
        for p in self.pending_openings() {
            let path = self.incident_path(&p.incident);
            if !path.is_file() {
                let age = fs::metadata(self.pending_file(&p.incident))
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok());
                if age.is_some_and(|a| a > IN_FLIGHT) {
                    self.end_opening(&p.incident);
                }
                continue;
            }
            let Ok(incident) = self.read::<Incident>(&path) else { continue };
            let Some(customer_file) = self.customer_file(&incident.customer) else { continue };
            let by = incident.owner.as_deref().unwrap_or(by);
            let opening = recovery::opening(&incident, by, self.config.flag_days, &self.clock);
            if let Ok(added) = self.add_opening(&customer_file, &opening) {
                if added {
                    linked.push(p.incident.clone());
                }
                self.end_opening(&p.incident);
            }
        }
        linked
    }

    /// Incidents of `customer` still in the journal: shown on the card although the
    /// customer's file does not link them yet.
    pub fn pending_incidents_of(&self, customer: &str) -> Vec<String> {
        self.pending_openings().into_iter().filter(|p| p.customer == customer).map(|p| p.incident).collect()
    }
}
