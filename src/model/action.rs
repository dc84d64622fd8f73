//! A corrective action: the fix made for a pattern ("Billy trained on the Wednesday
//! rush", "new freight elevator schedule"), kept as its own record so that whether it
//! worked can be asked of the incidents afterwards. The playbook's loop — find the
//! pattern, fix it for good — stays open until someone checks; this is what is checked.
//!
//! Only what a person decided is stored: the filter naming the defect (`for`, the same
//! conditions as `--where`), what was done, when, by whom, who owns the check. The verdict
//! is computed afresh from the incidents on every `action verify`, never stored where it
//! could go stale.

use serde::{Deserialize, Serialize};

use crate::report::query::Cond;
use crate::time::Stamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub id: String,
    /// When the fix took effect: incidents before it are the baseline, after it the test.
    pub at: Stamp,
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub what: String,
    /// The incidents the fix is for, as `--where` conditions (all must hold).
    #[serde(rename = "for")]
    pub filter: Vec<String>,
}

impl Action {
    /// The filter as conditions; an unreadable one is named (a hand edit gone wrong).
    pub fn conds(&self) -> Result<Vec<Cond>, String> {
        self.filter
            .iter()
            .map(|c| c.parse::<Cond>().map_err(|e| format!("action {}: for: {c:?}: {e}", self.id)))
            .collect()
    }
}
