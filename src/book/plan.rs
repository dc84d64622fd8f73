//! Carrying out a recovery plan on an incident file. The rules (`model::recovery`) look at
//! the incident as it is and say what to change; the plan is made and applied under the
//! file's lock, so two people recording steps at once each see the other's.

use super::*;
use crate::model::recovery::{Change, Plan};

impl Book {
    /// Edit the incident at `path`: `plan_for` makes the plan from the record as it is now,
    /// and its changes are written as minimal edits of the file. Returns the plan. A plan
    /// that would store what `care check` calls an error is refused, nothing written.
    pub fn apply_plan(&self, path: &Path, plan_for: impl FnOnce(&Incident) -> Result<Plan>) -> Result<Plan> {
        self.edit(path, |current: &Incident, doc| {
            let plan = plan_for(current)?;
            if let Some(why) = plan.refusal(current) {
                return Err(Error::Usage(why));
            }
            apply(doc, &plan)?;
            Ok(plan)
        })
    }
}

fn apply(doc: &mut Doc, plan: &Plan) -> Result<()> {
    for change in &plan.changes {
        match change {
            Change::Step(kind, step) => doc.set_in_map("recovery", kind.field(), step)?,
            Change::Done { index, done, missed_by } => {
                doc.set_in_item("followups", *index, "done", done)?;
                if let Some(m) = missed_by {
                    doc.set_in_item("followups", *index, "missed_by", m)?;
                }
            }
            Change::Schedule(f) => doc.push("followups", f)?,
        }
    }
    Ok(())
}
