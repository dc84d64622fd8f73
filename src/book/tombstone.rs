//! Stand-in: reading `forgotten.yaml` (the forget helper writes the real one).

use super::Book;
use crate::error::Result;
use crate::model::forgotten::{FILE, Tombstone};

impl Book {
    /// The book's tombstone; an empty one when nothing was ever forgotten.
    pub fn tombstone(&self) -> Result<Tombstone> {
        let path = self.path(FILE);
        if !path.exists() {
            return Ok(Tombstone::default());
        }
        let text = super::read_text(&path)?;
        crate::yaml::parse(&path, &text)
    }
}
