//! A corrective action: the fix made for a pattern ("Billy trained on the Wednesday
//! rush", "new freight elevator schedule"), kept as its own record so that whether it
//! worked can be asked of the incidents afterwards. The playbook's loop — find the
//! pattern, fix it for good — stays open until someone checks; this is what is checked.
//!
//! Stored is what a person decided — the filter naming the defect (`for`, the same
//! conditions as `--where`), what was done, when, by whom, who owns the check and how long
//! after the fix to check (`window`) — and a log of the checks made (`verified`). The
//! verdict itself is computed afresh from the incidents on every `action verify`; a logged
//! one only says what was seen then, and that the check was done: until one is logged
//! after the window has passed, the check is due in `followup due` (kind `verify`).
//!
//! Fields this version does not know are ignored on reading and kept on writing (every
//! write edits the file in place), so a book shared by sites on two versions stays whole.

use serde::{Deserialize, Serialize};

use crate::model::cond::Cond;
use crate::time::{Clock, Span, Stamp};

/// The window when none was given: long enough for a weekly pattern to show four times.
pub const DEFAULT_WINDOW: Span = Span::days(30);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// How long after `at` to check, and how long each window of the test is
    /// (`DEFAULT_WINDOW` when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Span>,
    /// Every verification made once its after-window had passed, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verified: Vec<Verified>,
}

/// One `action verify`: when, by whom, over which window, what was counted and concluded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verified {
    pub at: Stamp,
    pub by: String,
    pub window: Span,
    pub before: u64,
    pub after: u64,
    pub verdict: String,
}

impl Action {
    /// The fields an action record has; others are kept on a rewrite but read by nothing.
    pub const FIELDS: [&str; 8] = ["id", "at", "by", "owner", "what", "for", "window", "verified"];

    /// The filter as conditions; an unreadable one is named (a hand edit gone wrong).
    pub fn conds(&self) -> Result<Vec<Cond>, String> {
        self.filter
            .iter()
            .map(|c| c.parse::<Cond>().map_err(|e| format!("action {}: for: {c:?}: {e}", self.id)))
            .collect()
    }

    pub fn window(&self) -> Span {
        self.window.unwrap_or(DEFAULT_WINDOW)
    }

    /// When the check falls due: the end of the window after the fix.
    pub fn verify_due(&self, clock: &Clock) -> Stamp {
        clock.add(self.at, self.window())
    }

    /// Whether the check has been done: a verification is logged (only one made after its
    /// window had passed ever is, see `Verified`).
    pub fn is_verified(&self) -> bool {
        !self.verified.is_empty()
    }

    /// The conditions of the filter that name this customer (`customer=ID`) or one of
    /// their incidents (`id=ID`), as written; empty: the action is not about them. A
    /// condition that does not parse names no one (`check` reports it).
    pub fn naming(&self, customer: &str, incidents: &[String]) -> Vec<String> {
        use crate::model::fields;
        let names = |c: &Cond| match c.field.as_str() {
            fields::CUSTOMER_ID => c.names(customer),
            fields::ID => incidents.iter().any(|i| c.names(i)),
            _ => false,
        };
        self.filter.iter().filter(|text| text.parse::<Cond>().is_ok_and(|c| names(&c))).cloned().collect()
    }

    /// Who answers for the check: its owner, else whoever recorded the fix.
    pub fn checker(&self) -> &str {
        self.owner.as_deref().unwrap_or(&self.by)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(yaml: &str) -> Action {
        serde_yaml::from_str(yaml).expect("an action")
    }

    #[test]
    fn the_check_is_due_a_window_after_the_fix_and_unknown_fields_are_read_past() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T19:42:00-05:00").expect("now");
        let clock = Clock::new(now.to_utc(), chrono_tz::America::New_York);
        let a = action(
            "id: 20260915-k7f3qz\nat: 2026-09-15T00:00:00-04:00\nby: joan\nwhat: Training\nfor: [staff=billy]\nlater: kept\n",
        );
        assert_eq!(crate::time::rfc3339(&a.verify_due(&clock)), "2026-10-15T00:00:00-04:00");
        assert_eq!(a.checker(), "joan");
        assert!(!a.is_verified());
        let a = action(
            "id: x\nat: 2026-09-15T00:00:00-04:00\nby: joan\nowner: billy\nwhat: W\nfor: []\nwindow: 8w\n\
             verified:\n- {at: 2026-11-20T10:00:00-05:00, by: billy, window: 8w, before: 16, after: 0, verdict: worked}\n",
        );
        assert_eq!(crate::time::rfc3339(&a.verify_due(&clock)), "2026-11-10T00:00:00-05:00");
        assert_eq!(a.checker(), "billy");
        assert!(a.is_verified());
    }

    #[test]
    fn an_action_names_a_customer_or_one_of_their_incidents_never_by_letting_them_through() {
        let a = action(
            "id: x\nat: 2026-09-15T00:00:00-04:00\nby: joan\nwhat: W\n\
             for: [staff=billy, customer=ada-lovelace, 'id~^20261122', customer!=bob, 'broken']\n",
        );
        let theirs = vec!["20261122-k7f3qz".to_string()];
        assert_eq!(a.naming("ada-lovelace", &theirs), ["customer=ada-lovelace", "id~^20261122"]);
        assert_eq!(a.naming("carol", &[]), Vec::<String>::new(), "customer!=bob lets carol through, naming no one");
        assert_eq!(a.naming("carol", &theirs), ["id~^20261122"]);
    }
}
