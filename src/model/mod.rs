//! The records of a book as typed values, and the rules about them that need no disk:
//! ids, what is active, what is critical. Everything here is pure, so it is tested
//! without files; `book` reads and writes, `report` turns records into rows.

pub mod action;
pub mod booking;
pub mod cond;
pub mod config;
pub mod customer;
pub mod exposure;
pub mod fields;
pub mod forgotten;
pub mod id;
pub mod import;
pub mod incident;
pub mod lexicon;
pub mod merge;
pub mod merge_customers;
pub mod notify;
pub mod recovery;
pub mod reminder;
pub mod visit;

pub use config::Config;
pub use customer::{Customer, Entry, Flag, Section};
pub use fields::Extras;
pub use incident::Incident;

/// For the fuzz target and tests: the fast YAML reader and serde_yaml agree on `text` read
/// as either record (see `yaml::fast_path_agrees`).
pub fn fast_path_agrees(text: &str) -> bool {
    crate::yaml::fast_path_agrees::<Incident>(text) && crate::yaml::fast_path_agrees::<Customer>(text)
}

/// Money as written in records (`lifetime_value: 12000`, `value: 24`): whole amounts print
/// without a decimal point, so a rewrite does not turn `12000` into `12000.0`.
pub mod amount {
    use serde::{Serialize, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => Whole(*v).serialize(s),
            None => s.serialize_none(),
        }
    }

    /// An amount that serialises as an integer when it is one.
    #[derive(Debug, Clone, Copy)]
    pub struct Whole(pub f64);

    impl serde::Serialize for Whole {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let v = self.0;
            if v.fract() == 0.0 && v.abs() < 1e15 { s.serialize_i64(v as i64) } else { s.serialize_f64(v) }
        }
    }

    /// An amount as text for a person or a CSV cell.
    pub fn show(value: f64) -> String {
        if value.fract() == 0.0 && value.abs() < 1e15 { format!("{}", value as i64) } else { format!("{value:.2}") }
    }
}

/// Free text fields read leniently: `text: 42` or `phone: 5550100` are text to a person,
/// even though YAML reads them as numbers.
pub mod text {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Int(i64),
        Float(f64),
        Bool(bool),
    }

    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(match Scalar::deserialize(d)? {
            Scalar::Text(s) => s,
            Scalar::Int(n) => n.to_string(),
            Scalar::Float(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        })
    }

    /// Kept below every floor (time reads durations with it too).
    pub use crate::text::parsed;

    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        string(d).map(Some)
    }
}
