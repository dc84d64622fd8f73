//! The exposure file named in care.yaml (`exposure: shifts.csv`): read only from inside the
//! book, as records are, since it is named by the book and not by the person typing.

use std::path::Component;

use super::*;
use crate::model::exposure::{self, Shifts};

impl Book {
    /// The book's shifts, or None when care.yaml names no exposure file. A path that leaves
    /// the book (absolute, `..`, or a link to elsewhere), a missing file, anything but a
    /// regular file, or one over the size cap is an error: rates on a rota that was not
    /// read would be wrong without a word.
    pub fn exposure(&self) -> Result<Option<Shifts>> {
        let Some(rel) = &self.config.exposure else { return Ok(None) };
        let config = self.path(CONFIG_FILE);
        if rel.as_os_str().is_empty()
            || !rel.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(Error::Refused(format!("{}: exposure: {} leaves the book", config.display(), rel.display()))
                .with_hint("name a file inside it, such as shifts.csv"));
        }
        let path = self.root.join(rel);
        let text = self.read_text(&path)?;
        exposure::parse(&path, &text, &self.clock).map(Some)
    }
}
