//! Corrective actions on disk: `actions/<id>.yaml`, one file each (git-friendly: two sites
//! recording two fixes never touch the same file), under an id like an incident's (the
//! day it took effect and a random part), created under the same lock as every record;
//! a verification is appended to its file in place, keeping whatever else the file holds.

use super::*;
use crate::model::action::{Action, Verified};

pub const ACTIONS: &str = "actions";

/// How often a random clash is retried before giving up.
const ATTEMPTS: usize = 20;

impl Book {
    /// Where an action's record goes.
    pub fn action_path(&self, id: &str) -> PathBuf {
        self.path(ACTIONS).join(format!("{id}.yaml"))
    }

    /// Write a new action under a fresh id; sets `action.id` and returns the file written.
    pub fn create_action(&self, action: &mut Action) -> Result<PathBuf> {
        let day = action.at.with_timezone(&self.clock.tz).date_naive();
        for _ in 0..ATTEMPTS {
            action.id = id::incident_id(day, id::random());
            let path = self.action_path(&action.id);
            match self.create(&path, &yaml::to_string(action)?) {
                Err(Error::Exists(_)) => continue,
                other => return other.map(|()| path),
            }
        }
        Err(Error::Refused("could not find a free action id".into()).with_hint("try again"))
    }

    /// Every action of the book, in id order (so by date), and the files that could not be read.
    pub fn actions(&self) -> Loaded<Action> {
        let mut loaded: Loaded<Action> = self.load(ACTIONS);
        loaded.records.sort_by(|a, b| a.1.id.cmp(&b.1.id));
        loaded
    }

    /// Log a verification on the action's file (an append: two sites verifying at once
    /// merge as two entries); returns the file written.
    pub fn record_verification(&self, id: &str, verified: &Verified) -> Result<PathBuf> {
        let path = self.action_path(id);
        self.edit(&path, |_: &Action, doc| doc.push("verified", verified))?;
        Ok(path)
    }

    /// The action with this id (or the only one whose id ends with it, as incidents allow).
    pub fn action(&self, wanted: &str) -> Result<Action> {
        let loaded = self.actions();
        let matches: Vec<Action> = loaded
            .records
            .into_iter()
            .map(|(_, a)| a)
            .filter(|a| a.id == wanted || a.id.ends_with(&format!("-{wanted}")))
            .collect();
        match matches.len() {
            1 => Ok(matches.into_iter().next().expect("one")),
            0 => Err(Error::NotFound(format!("no action {wanted:?}")).with_hint("`care action list` shows them")),
            _ => Err(Error::Ambiguous {
                what: "action",
                input: wanted.to_string(),
                candidates: matches.into_iter().map(|a| a.id).collect(),
            }),
        }
    }
}
