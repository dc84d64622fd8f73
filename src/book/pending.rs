//! Commands in flight: the two that write several records journal what they are doing in
//! the clone's git-ignored `.care/pending/` before their first write and remove the entry
//! after their last, so that a run killed in between is never silent.
//!
//! Openings: `recover open` writes two records (the incident, then the misstep and flag on
//! its customer's file), and a run killed between the two would leave an incident that
//! nobody greeting the customer hears of. The journal entry names the incident and its
//! customer. An entry still there is an opening to complete: the next `recover open` and
//! `care check --fix` complete it (adding the same misstep and flag, never twice), and the
//! customer's card reads the incident through it meanwhile.
//!
//! Merges: `customer merge KEEP DROP` writes KEEP (DROP's entries added), then each of
//! DROP's incidents, then removes DROP. Killed in between, KEEP holds DROP's entries while
//! DROP still exists, and every flag and reminder shows twice. The entry
//! (`.care/pending/merges/DROP`) names KEEP and the choices the merge was run with:
//! `care check` reports it, naming both customers, and running the merge again or
//! `care check --fix` completes it — every step skips what is already done, so nothing is
//! doubled.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{Book, write_atomic};
use crate::error::{Error, Result};
use crate::model::merge_customers::{self, Change, Choices, Side};
use crate::model::recovery::{self, Opening};
use crate::model::{Customer, Entry, Incident, Section, id};
use crate::text::visible;
use crate::time::Stamp;
use crate::yaml;

const PENDING: &str = ".care/pending";
const MERGES: &str = ".care/pending/merges";

/// A journal entry younger than this may belong to a run still between its two writes.
const IN_FLIGHT: Duration = Duration::from_secs(60);

/// One opening whose second write may not have happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub incident: String,
    pub customer: String,
}

impl Book {
    fn pending_file(&self, incident: &str) -> PathBuf {
        self.path(PENDING).join(incident)
    }

    /// Note that `incident` of `customer` is being opened (before the incident is written).
    pub fn begin_opening(&self, incident: &str, customer: &str) -> Result<()> {
        // `.care/` is clone-local, but a link there must still not lead the journal out.
        self.within(&self.pending_file(incident))?;
        let dir = self.path(PENDING);
        fs::create_dir_all(&dir).map_err(|e| crate::Error::io(&dir, e))?;
        write_atomic(&self.pending_file(incident), &format!("{customer}\n"))
    }

    /// The opening is complete (or was abandoned before the incident existed).
    pub fn end_opening(&self, incident: &str) {
        if self.within(&self.pending_file(incident)).is_ok() {
            let _ = fs::remove_file(self.pending_file(incident));
        }
    }

    /// Every journal entry, oldest first; unreadable or malformed ones are skipped (they
    /// name no record this tool would write).
    pub fn pending_openings(&self) -> Vec<Pending> {
        if self.within(&self.pending_file("x")).is_err() {
            return Vec::new();
        }
        let Ok(entries) = fs::read_dir(self.path(PENDING)) else { return Vec::new() };
        let mut found: Vec<(SystemTime, Pending)> = entries
            .flatten()
            .filter_map(|e| {
                let incident = e.file_name().to_str()?.to_string();
                id::check_incident_id(&incident).ok()?;
                let meta = fs::symlink_metadata(e.path()).ok().filter(|m| m.is_file())?;
                let customer = fs::read_to_string(e.path()).ok()?.trim().to_string();
                id::check_customer_id(&customer).ok()?;
                Some((meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), Pending { incident, customer }))
            })
            .collect();
        found.sort_by(|a, b| (a.0, &a.1.incident).cmp(&(b.0, &b.1.incident)));
        found.into_iter().map(|(_, p)| p).collect()
    }

    /// Put an opening's misstep and flag on the customer's file, unless the file already
    /// links the incident (a second completer, or the run itself, got there first).
    pub fn add_opening(&self, customer_file: &Path, opening: &Opening) -> Result<bool> {
        let incident = opening.flag.incident.clone().unwrap_or_default();
        self.edit(customer_file, |c: &Customer, doc| {
            if c.links(&incident) {
                return Ok(false);
            }
            doc.push("missteps", &opening.misstep)?;
            doc.push("flags", &opening.flag)?;
            Ok(true)
        })
    }

    /// Complete every opening a stopped run left half done; returns the incidents linked.
    /// A journal entry whose incident was never written is dropped once it is too old to
    /// belong to a run still in flight. Failures leave the entry for the next attempt.
    pub fn complete_openings(&self, by: &str) -> Vec<String> {
        let mut linked = Vec::new();
        for p in self.pending_openings() {
            let path = self.incident_path(&p.incident);
            if !path.is_file() {
                let age = fs::metadata(self.pending_file(&p.incident))
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok());
                if age.is_some_and(|a| a > IN_FLIGHT) {
                    self.end_opening(&p.incident);
                }
                continue;
            }
            let Ok(incident) = self.read::<Incident>(&path) else { continue };
            let Some(customer_file) = self.customer_file(&incident.customer) else { continue };
            let by = incident.owner.as_deref().unwrap_or(by);
            let opening = recovery::opening(&incident, by, self.config.flag_days, &self.clock);
            if let Ok(added) = self.add_opening(&customer_file, &opening) {
                if added {
                    linked.push(p.incident.clone());
                }
                self.end_opening(&p.incident);
            }
        }
        linked
    }

    /// Incidents of `customer` still in the journal: shown on the card although the
    /// customer's file does not link them yet.
    pub fn pending_incidents_of(&self, customer: &str) -> Vec<String> {
        self.pending_openings().into_iter().filter(|p| p.customer == customer).map(|p| p.incident).collect()
    }
}

/// A `care customer merge KEEP DROP` begun and not finished, with the choices it was run
/// with (so that completing it settles the conflicts as the user did).
#[derive(Debug, Clone)]
pub struct PendingMerge {
    pub keep: String,
    pub drop: String,
    pub choices: Choices,
}

/// What a merge did, for its message and its git commit.
#[derive(Debug)]
pub struct Merged {
    /// Changes made to KEEP's record by this run.
    pub changes: usize,
    /// DROP's incidents moved to KEEP by this run.
    pub incidents: usize,
    pub drop_file: PathBuf,
    /// Every file written or removed, in order.
    pub written: Vec<PathBuf>,
}

impl PendingMerge {
    fn encode(&self) -> String {
        let side = |s: Side| match s {
            Side::Keep => "keep",
            Side::Drop => "drop",
        };
        let take: Vec<serde_json::Value> =
            self.choices.take.iter().map(|(field, s)| serde_json::json!([field, side(*s)])).collect();
        let journal = serde_json::json!({
            "keep": self.keep,
            "prefer": self.choices.prefer.map(side),
            "take": take,
        });
        format!("{journal}\n")
    }

    fn decode(drop: &str, text: &str) -> Option<PendingMerge> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let keep = v.get("keep")?.as_str()?.to_string();
        id::check_customer_id(&keep).ok()?;
        let prefer = match v.get("prefer")? {
            serde_json::Value::Null => None,
            side => Some(side.as_str()?.parse().ok()?),
        };
        let mut take = Vec::new();
        for pair in v.get("take")?.as_array()? {
            take.push((pair.get(0)?.as_str()?.to_string(), pair.get(1)?.as_str()?.parse().ok()?));
        }
        Some(PendingMerge { keep, drop: drop.to_string(), choices: Choices { prefer, take } })
    }
}

impl Book {
    fn merge_journal(&self, drop: &str) -> PathBuf {
        self.path(MERGES).join(drop)
    }

    fn begin_merge(&self, merge: &PendingMerge) -> Result<()> {
        let file = self.merge_journal(&merge.drop);
        self.within(&file)?;
        let dir = self.path(MERGES);
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        write_atomic(&file, &merge.encode())
    }

    fn end_merge(&self, drop: &str) {
        let file = self.merge_journal(drop);
        if self.within(&file).is_ok() {
            let _ = fs::remove_file(&file);
        }
    }

    /// The unfinished merge of `drop`, if its journal entry is there and readable.
    pub fn pending_merge(&self, drop: &str) -> Option<PendingMerge> {
        id::check_customer_id(drop).ok()?;
        let file = self.merge_journal(drop);
        self.within(&file).ok()?;
        fs::symlink_metadata(&file).ok().filter(|m| m.is_file())?;
        PendingMerge::decode(drop, &fs::read_to_string(&file).ok()?)
    }

    /// The unfinished merge of DROP into KEEP, which this run completes; one of DROP into
    /// another customer is refused: DROP's entries would end up in both.
    pub fn earlier_merge(&self, keep: &str, drop: &str) -> Result<Option<PendingMerge>> {
        match self.pending_merge(drop) {
            Some(other) if other.keep != keep => Err(Error::Refused(format!(
                "a merge of {drop} into {k} was stopped before it finished, so {k} may already hold {drop}'s \
                 entries; complete it first (`care customer merge {k} {drop}`, or `care check --fix`)",
                k = other.keep
            ))),
            earlier => Ok(earlier),
        }
    }

    /// Every merge begun and not finished whose DROP still exists, by DROP's id. (One whose
    /// DROP is gone was killed after its last write: there is nothing left to do.)
    pub fn pending_merges(&self) -> Vec<PendingMerge> {
        if self.within(&self.merge_journal("x")).is_err() {
            return Vec::new();
        }
        let Ok(entries) = fs::read_dir(self.path(MERGES)) else { return Vec::new() };
        let mut found: Vec<PendingMerge> = entries
            .flatten()
            .filter_map(|e| self.pending_merge(e.file_name().to_str()?))
            .filter(|m| self.customer_file(&m.drop).is_some())
            .collect();
        found.sort_by(|a, b| a.drop.cmp(&b.drop));
        found
    }

    /// Merge DROP's record into KEEP's: KEEP gets what `model::merge_customers` says (worked
    /// out under KEEP's lock against KEEP as it is then, so an entry already there — added
    /// by a run that was stopped — is not added again), each incident still DROP's moves to
    /// KEEP, and DROP's file goes last, only if unchanged. Journalled throughout (see the
    /// module's comment); refused while DROP's merge into another customer is unfinished.
    pub fn merge_customers(&self, keep: &str, drop: &str, choices: &Choices, by: &str, at: Stamp) -> Result<Merged> {
        let unknown =
            |id: &str| Error::Refused(format!("no customer file has the id {id:?}; `care customer list` lists them"));
        let keep_file = self.customer_file(keep).ok_or_else(|| unknown(keep))?;
        let drop_file = self.customer_file(drop).ok_or_else(|| unknown(drop))?;
        let earlier = self.earlier_merge(keep, drop)?;
        // DROP's text is held from here to its removal, which refuses if it changed meanwhile.
        let drop_text = self.read_text(&drop_file)?;
        let drop_doc = yaml::Doc::parse(&drop_file, &drop_text)?;
        let incidents: Vec<PathBuf> =
            self.incidents().records.into_iter().filter(|(_, i)| i.customer == drop).map(|(path, _)| path).collect();
        self.begin_merge(&PendingMerge { keep: keep.into(), drop: drop.into(), choices: choices.clone() })?;
        let edited = self.edit(&keep_file, |_: &Customer, doc| {
            let plan = merge_customers::plan(doc.value(), drop_doc.value(), drop, choices);
            refuse_unsettled(&plan, keep, drop)?;
            for change in &plan.changes {
                apply(doc, change, at, by)?;
            }
            Ok(plan.changes.len())
        });
        let changes = match edited {
            Ok(n) => n,
            Err(e) => {
                // Nothing was written by this run; a journal left by an earlier one stays.
                if earlier.is_none() {
                    self.end_merge(drop);
                }
                return Err(e);
            }
        };
        let mut written = vec![keep_file];
        let mut moved = 0;
        for path in &incidents {
            // Re-read under the incident's lock: only an incident still DROP's is moved.
            let moved_one = self.edit(path, |i: &Incident, doc| {
                if i.customer != drop {
                    return Ok(false);
                }
                doc.set("customer", &keep)?;
                Ok(true)
            })?;
            if moved_one {
                moved += 1;
                written.push(path.clone());
            }
        }
        self.remove_record(&drop_file, &drop_text)?;
        self.end_merge(drop);
        written.push(drop_file.clone());
        Ok(Merged { changes, incidents: moved, drop_file, written })
    }

    /// Complete every merge a stopped run left unfinished (`care check --fix`), each with the
    /// choices it was begun with: the merges completed, and those that could not be, why.
    pub fn complete_merges(&self, by: &str, at: Stamp) -> Vec<(PendingMerge, Result<Merged>)> {
        self.pending_merges()
            .into_iter()
            .map(|m| {
                let done = self.merge_customers(&m.keep, &m.drop, &m.choices, by, at);
                (m, done)
            })
            .collect()
    }
}

/// One change of a merge plan made to KEEP's document; the value of a conflicting field not
/// taken becomes a note, as if written by whoever merges.
fn apply(doc: &mut yaml::Doc, change: &Change, at: Stamp, by: &str) -> Result<()> {
    match change {
        Change::Push { key, entry } => doc.push(key, entry),
        Change::Set { key, value } => doc.set(key, value),
        Change::SetInMap { key, field, value } => doc.set_in_map(key, field, value),
        Change::Note(text) => doc.push(
            Section::Note.key(),
            &Entry {
                text: text.clone(),
                at: Some(at),
                by: by.to_string(),
                incident: None,
                critical: false,
                retired: None,
            },
        ),
    }
}

/// The refusal while a conflict is unsettled: every field with both values, and how to settle.
pub fn refuse_unsettled(plan: &merge_customers::Plan, keep: &str, drop: &str) -> Result<()> {
    let open = plan.unresolved();
    let Some(first) = open.first() else { return Ok(()) };
    let lines: Vec<String> = open.iter().map(|c| format!("  {}", visible(&c.describe(keep, drop)))).collect();
    Err(Error::Refused(format!(
        "{keep} and {drop} disagree on {} field(s); nothing was changed:\n{}\nSay which to keep: --prefer keep|drop \
         for all, or --take FIELD=keep|drop for each (e.g. --take {}=drop); the other value is kept as a note.",
        open.len(),
        lines.join("\n"),
        first.field
    )))
}
