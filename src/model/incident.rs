//! An incident: one service failure and its recovery, documented as a deposition (when,
//! what, how busy, who, where, the customer's circumstances) with the four steps and the
//! follow-ups that hold staff to them.

use serde::{Deserialize, Serialize};

use crate::time::Stamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    pub customer: String,
    pub opened: Stamp,
    /// When the deposition was written down (a day later is too late: memory fades).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded: Option<Stamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busyness: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circumstances: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub recovery: Recovery,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub followups: Vec<Followup>,
}

/// The four steps (apologize, review, fix with its extra) and the close.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Recovery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apologized: Option<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub at: Stamp,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", serialize_with = "super::amount::serialize")]
    pub value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Followup {
    pub kind: String,
    pub due: Stamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<Done>,
    /// Minutes past due when it was done: a breach stays on record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed_by: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Done {
    pub at: Stamp,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Incident {
    /// An incident about `customer`, opened at `opened`, with nothing else recorded yet.
    pub fn new(id: impl Into<String>, customer: impl Into<String>, opened: Stamp) -> Incident {
        Incident {
            id: id.into(),
            customer: customer.into(),
            opened,
            recorded: None,
            staff: None,
            owner: None,
            product: None,
            location: None,
            channel: None,
            busyness: None,
            summary: None,
            circumstances: None,
            tags: vec![],
            recovery: Recovery::default(),
            followups: vec![],
        }
    }

    /// The top-level fields this struct reads; any other is an extra field (`region:`).
    pub const FIELDS: [&str; 15] = [
        "id",
        "customer",
        "opened",
        "recorded",
        "staff",
        "owner",
        "product",
        "location",
        "channel",
        "busyness",
        "summary",
        "circumstances",
        "tags",
        "recovery",
        "followups",
    ];

    pub fn is_open(&self) -> bool {
        self.recovery.closed.is_none()
    }

    /// `extra_given`: `yes` when the recovery gave an extra, else `no`; with `returned`, it
    /// says which recoveries bring people back (`trends --by extra_given,returned`).
    pub fn extra_given(&self) -> &'static str {
        if self.recovery.extra.is_some() { "yes" } else { "no" }
    }

    /// The incident as book-wide reports (`trends`, `followup due`, `customer list`) see
    /// it: every field they group, filter or list by, and whether it is closed — nothing
    /// of the steps' words. Small, so the index that caches it stays small; `recover
    /// list|show` and `export` read the full record instead.
    pub fn digest(&self) -> Incident {
        let bare = |s: &Option<Step>| {
            s.as_ref().map(|s| Step { at: s.at, by: String::new(), note: None, what: None, value: None })
        };
        Incident {
            circumstances: None,
            recorded: None,
            // The extra's time too: `extra_given` is read from it by book-wide reports.
            recovery: Recovery {
                extra: bare(&self.recovery.extra),
                closed: bare(&self.recovery.closed),
                ..Recovery::default()
            },
            followups: self
                .followups
                .iter()
                .map(|f| Followup {
                    done: f.done.as_ref().map(|d| Done { at: d.at, by: String::new(), how: None, note: None }),
                    ..f.clone()
                })
                .collect(),
            ..self.clone()
        }
    }
}
