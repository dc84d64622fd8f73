//! The briefing card as data: what `report::briefing` makes of a customer and `output`
//! prints (or serialises as JSON). Declared here, beside `Rows`, for the same reason: the
//! report that builds it and the printer that shows it depend on this, not on each other.

use chrono::NaiveDate;
use serde::Serialize;

use crate::model::visit::{Source, Summary};
use crate::time::{Stamp, rfc3339};

#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub id: String,
    pub name: String,
    pub since: Option<NaiveDate>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// The lifetime value to act on: typed where present, else computed from visits.
    #[serde(serialize_with = "crate::model::amount::serialize")]
    pub lifetime_value: Option<f64>,
    /// Where `lifetime_value` came from: `typed` or `computed`.
    pub lifetime_value_source: Option<Source>,
    /// The sum of every visit's spend, whether or not a typed value wins.
    #[serde(serialize_with = "crate::model::amount::serialize")]
    pub computed_value: Option<f64>,
    /// Visit count, last visit and total spend, derived from the record's visits.
    pub visits: Summary,
    /// Whole days since the last visit.
    pub days_since_visit: Option<i64>,
    /// The incident opened on (or the day after) the last visit, if that visit went wrong.
    pub last_visit_incident: Option<String>,
    /// Top-level fields of the record that care does not know (`allergies: peanuts` from a
    /// spreadsheet): a person put them there for a reason, so they are shown.
    pub other: Vec<(String, String)>,
    /// Critical entries in force: allergies, safety, how and when to contact.
    pub remember: Vec<Line>,
    pub flags: Vec<FlagLine>,
    pub preferences: Vec<Line>,
    pub roles: Vec<Line>,
    pub goals: Vec<Line>,
    pub notes: Vec<Line>,
    pub missteps: Vec<Line>,
    pub open_incidents: Vec<IncidentLine>,
    /// Follow-ups not yet done on any of the customer's incidents, oldest first.
    pub followups: Vec<FollowupLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FollowupLine {
    pub incident: String,
    pub kind: String,
    #[serde(serialize_with = "time")]
    pub due: Stamp,
    pub what: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub text: String,
    pub kind: &'static str,
    pub critical: bool,
    #[serde(serialize_with = "opt_time")]
    pub at: Option<Stamp>,
    pub by: String,
    pub incident: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlagLine {
    /// The flag's number on the customer's file (what `care flag --clear` takes).
    pub n: usize,
    pub text: String,
    #[serde(serialize_with = "opt_time")]
    pub raised: Option<Stamp>,
    pub by: String,
    pub until: Option<NaiveDate>,
    pub incident: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentLine {
    pub id: String,
    #[serde(serialize_with = "time")]
    pub opened: Stamp,
    pub summary: Option<String>,
    pub owner: Option<String>,
}

fn time<S: serde::Serializer>(t: &Stamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(t))
}

fn opt_time<S: serde::Serializer>(t: &Option<Stamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => time(t, s),
        None => s.serialize_none(),
    }
}
