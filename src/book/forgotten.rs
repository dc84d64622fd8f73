//! Forgetting a person on disk: the tombstone (`forgotten.yaml`) read and added to under
//! its lock, and the plan of a forget — every record file that holds the person, read and
//! parsed before anything is written (one file that does not parse stops it all), each
//! rewritten under its lock only if unchanged since it was read, the person's own file
//! removed last. The rules (hashes, what counts as the person, the scrub) are
//! `model::forgotten`'s.

use super::*;
use crate::model::forgotten::{FILE, Gone, Needles, Tombstone};

/// One record file a forget changes.
#[derive(Debug)]
pub struct Scrub {
    pub path: PathBuf,
    /// The fields that held the person (`notes[2].text`, `customer`).
    pub fields: Vec<String>,
    old: String,
    new: String,
    /// Written in canonical form: the person was in a spelling no line edit could reach.
    pub canonical: bool,
}

/// What `forget` will do, worked out before any write.
#[derive(Debug)]
pub struct ForgetPlan {
    pub customer: String,
    pub pseudonym: String,
    /// The person's own file (their entries, visits and reminders), removed last.
    pub own_file: PathBuf,
    own_text: String,
    pub scrubs: Vec<Scrub>,
    /// Files of the book care does not edit (not records) that still hold the person.
    pub untouched: Vec<PathBuf>,
    /// Lock files whose last holder's command line named the person: taken again, so
    /// that they name this run instead (`care forget …`, its arguments left out).
    pub locks: Vec<PathBuf>,
    /// The tombstone entry (with the salt it was hashed with, for a new tombstone).
    pub gone: Gone,
    salt: String,
}

impl Book {
    fn tombstone_path(&self) -> PathBuf {
        self.path(FILE)
    }

    /// The book's tombstone: a missing file is an empty one; a damaged one is an error
    /// naming the file (and the line, when it does not parse).
    pub fn tombstone(&self) -> Result<Tombstone> {
        let path = self.tombstone_path();
        if fs::symlink_metadata(&path).is_err() {
            return Ok(Tombstone::default());
        }
        self.within(&path)?;
        let text = self.read_text(&path)?;
        if text.trim().is_empty() {
            return Ok(Tombstone::default());
        }
        let t: Tombstone = yaml::parse(&path, &text)?;
        match t.problem() {
            Some(why) => Err(Error::data(&path, 1, 1, why)
                .with_hint("restore it from git (`git checkout -- forgotten.yaml`); care writes it, never a person")),
            None => Ok(t),
        }
    }

    /// Everything forgetting `customer_file`'s customer (whose record is `customer`) would
    /// change. Refuses, before any change, when a record of the book cannot be read.
    pub fn plan_forget(
        &self,
        customer_file: &Path,
        customer: &Customer,
        on: chrono::NaiveDate,
        reason: &str,
    ) -> Result<ForgetPlan> {
        let mut tombstone = self.tombstone()?;
        if tombstone.salt.is_empty() {
            let mut random = [0u8; 16];
            getrandom::fill(&mut random)
                .map_err(|e| Error::Refused(format!("no random salt for {FILE}: {e}")).with_hint("try again"))?;
            tombstone = Tombstone { salt: Tombstone::salted(random).salt, ..tombstone };
        }
        let (email, phone) = (customer.contact.email.as_deref(), customer.contact.phone.as_deref());
        let gone = tombstone.gone(&customer.id, email, phone, on, reason);
        let needles = Needles::new(&customer.id, &customer.name, email, phone, &gone.pseudonym);
        if needles.found_in(reason) {
            return Err(Error::Usage(
                "--reason names the person; it is kept in forgotten.yaml and the commit message, so say it \
                 without them (e.g. \"asked by email\")"
                    .into(),
            ));
        }
        let own_text = self.read_text(customer_file)?;
        let mut scrubs = Vec::new();
        let mut problems = Vec::new();
        for sub in [CUSTOMERS, INCIDENTS, ACTIONS] {
            let (files, walked) = self.record_files(sub);
            problems.extend(walked);
            for path in files.into_iter().filter(|p| p != customer_file) {
                match scrub(&path, &needles) {
                    Ok(Some(s)) => scrubs.push(s),
                    Ok(None) => {}
                    Err(e) => problems.push(e),
                }
            }
        }
        if let Some(first) = problems.into_iter().next() {
            return Err(Error::Refused(format!(
                "{first}; nothing was changed: forget must read every record to find the person in it"
            ))
            .with_hint("fix the file (`care check` lists every problem), then run forget again"));
        }
        let (locks, untouched) =
            self.other_files_holding(&needles, customer_file, &scrubs).into_iter().partition(|p| lock_of(p).is_some());
        Ok(ForgetPlan {
            customer: customer.id.clone(),
            pseudonym: gone.pseudonym.clone(),
            own_file: customer_file.to_path_buf(),
            own_text,
            scrubs,
            untouched,
            locks,
            gone,
            salt: tombstone.salt,
        })
    }

    /// Carry out a plan: the tombstone first (so a run stopped half way is reported by
    /// `care check` and finished by running forget again), then each record, then the
    /// person's own file; the index is dropped, as it held their records. Returns every
    /// file written or removed.
    pub fn forget(&self, plan: &ForgetPlan) -> Result<Vec<PathBuf>> {
        let mut written = vec![self.tombstone_path()];
        self.add_to_tombstone(&plan.salt, &plan.gone, &plan.customer)?;
        for s in &plan.scrubs {
            self.replace_if_unchanged(&s.path, &s.old, &s.new)?;
            written.push(s.path.clone());
        }
        self.remove_record(&plan.own_file, &plan.own_text)?;
        written.push(plan.own_file.clone());
        for lock in &plan.locks {
            if let Some(record) = lock_of(lock) {
                drop(Lock::acquire(&record, self.settings.lock_timeout, &self.warner)?);
            }
        }
        self.drop_index();
        Ok(written)
    }

    /// Add `gone` under the tombstone's lock, unless the id is already there (a forget run
    /// again after it was stopped).
    fn add_to_tombstone(&self, salt: &str, gone: &Gone, id: &str) -> Result<()> {
        let path = self.tombstone_path();
        self.within(&path)?;
        let _lock = Lock::acquire(&path, self.settings.lock_timeout, &self.warner)?;
        let mut tombstone = self.tombstone()?;
        if tombstone.salt.is_empty() {
            tombstone.salt = salt.to_string();
        } else if tombstone.salt != salt {
            return Err(Error::Refused(format!(
                "{FILE} changed while the person was being forgotten; nothing was changed"
            ))
            .with_hint("run forget again"));
        }
        if tombstone.knows_id(id).is_some() {
            return Ok(());
        }
        tombstone.forgotten.push(gone.clone());
        let text = format!(
            "# Who was forgotten (`care forget`), without them: salted hashes, the date, the reason.\n\
             # Written by care; every site refuses to bring these people back.\n{}",
            yaml::to_string(&tombstone)?
        );
        write_atomic(&path, &text)
    }

    /// The index holds every record as it was read, the forgotten person's included, and
    /// SQLite keeps deleted rows' bytes until the pages are reused: the file goes, to be
    /// built again by the next report.
    fn drop_index(&self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let file = self.path(&format!("{}{suffix}", index::FILE));
            if self.within(&file).is_ok() {
                let _ = fs::remove_file(file);
            }
        }
    }

    /// Files of the book outside `.git`, `.care` and the records forget rewrites (a
    /// spreadsheet left beside them, `care.yaml`) that still hold the person: named, since
    /// only a person can decide what to do with them.
    fn other_files_holding(&self, needles: &Needles, own: &Path, scrubs: &[Scrub]) -> Vec<PathBuf> {
        let skip: Vec<&Path> = scrubs.iter().map(|s| s.path.as_path()).chain([own]).collect();
        let walk = WalkDir::new(&self.root)
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || (e.file_name() != ".git" && e.file_name() != ".care"));
        walk.flatten()
            .filter(|e| e.file_type().is_file() && !skip.contains(&e.path()))
            .filter(|e| e.metadata().is_ok_and(|m| m.len() <= 16 * 1024 * 1024))
            .filter(|e| fs::read(e.path()).is_ok_and(|b| needles.found_in(&String::from_utf8_lossy(&b))))
            .map(|e| e.path().to_path_buf())
            .collect()
    }

    /// A path as the book names it (`incidents/2026/11/x.yaml`), for messages.
    pub fn in_book(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).display().to_string()
    }
}

/// The record whose lock file `path` is (`dir/.NAME.yaml.lock` → `dir/NAME.yaml`).
fn lock_of(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let record = name.strip_prefix('.')?.strip_suffix(".lock")?;
    is_record_name(OsStr::new(record)).then(|| path.with_file_name(record))
}

/// What forgetting does to one record file: None when the person is not in it. The text
/// keeps its layout when replacing the person in it reads back as the scrubbed value;
/// otherwise (the person spelled in an escape, a `[forgotten]` that would start a flow
/// list) the value is written out canonically.
fn scrub(path: &Path, needles: &Needles) -> Result<Option<Scrub>> {
    let old = read_text(path)?;
    let mut value: yaml::Value = yaml::parse(path, &old)?;
    let raw = needles.replace(&old);
    let fields = needles.scrub(&mut value);
    let same = |raw: &String| yaml::parse::<yaml::Value>(path, raw).is_ok_and(|v| v == value);
    let (new, canonical) = match raw {
        None if fields.is_empty() => return Ok(None),
        Some(raw) if same(&raw) => (raw, false),
        _ => (yaml::to_string(&value)?, true),
    };
    let fields = if fields.is_empty() { vec!["(a comment)".to_string()] } else { fields };
    Ok(Some(Scrub { path: path.to_path_buf(), fields, old, new, canonical }))
}
