//! Stand-in for the tombstone (`forgotten.yaml`): the forget helper writes the real one,
//! with salted hashes. Only what `care sync` calls is here, with the agreed signatures;
//! `knows_id` compares ids as they are. Replaced whole at merge.

use serde::Deserialize;

/// The tombstone's file, at the book's root.
pub const FILE: &str = "forgotten.yaml";

/// What was forgotten, with no personal data in the real one.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Tombstone {
    #[serde(default)]
    pub salt: String,
    #[serde(default)]
    pub forgotten: Vec<Gone>,
}

/// One forgotten person.
#[derive(Debug, Clone, Deserialize)]
pub struct Gone {
    pub id: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub pseudonym: String,
    pub on: chrono::NaiveDate,
    pub reason: String,
}

impl Tombstone {
    /// The entry of the customer with this id, when they were forgotten.
    pub fn knows_id(&self, id: &str) -> Option<&Gone> {
        self.forgotten.iter().find(|g| g.id == id)
    }
}
