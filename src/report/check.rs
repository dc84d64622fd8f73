//! `care check`: everything that can be wrong in a book, one finding per problem, each
//! with the file, line and column and a message that says how to fix it.
//!
//! Errors make the book untrustworthy (a file that does not parse, an id that is not its
//! file name, an incident about nobody, a time before the incident); warnings are lapses
//! of the playbook (a missing deposition field, a review before the apology, a
//! deposition written more than a day late, an unknown staff name).

use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration};

use crate::error::{DataKind, Error};
use crate::model::action::Action;
use crate::model::recovery::StepKind;
use crate::model::{Config, Customer, Incident, Section, id, recovery};
use crate::rows::Cell;
use crate::time::Stamp;

/// The code of an incident its customer's file does not link; `care check --fix` links it.
pub const UNLINKED: &str = "unlinked-incident";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub severity: Severity,
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub code: &'static str,
    pub message: String,
}

/// A record file as `check` read it: its text and what parsing made of it.
#[derive(Debug)]
pub struct Read<T> {
    pub path: PathBuf,
    pub text: String,
    pub record: T,
}

/// A file that could not be read or parsed, classified: by the kind the error carries
/// (set where it was found: the YAML reader, the book's file checks), else by whether the
/// text was YAML at all (`syntax_ok`: it parsed as a tree but not as the record).
pub fn unreadable(e: &Error, syntax_ok: bool) -> Finding {
    if let Some((file, code, message)) = e.file_problem() {
        return Finding { severity: Severity::Error, file: file.to_path_buf(), line: 1, column: 1, code, message };
    }
    let (file, line, column, message) = match e {
        Error::Data { path, line, column, message, .. } => (path.clone(), *line, *column, message.clone()),
        Error::Io { path, source } => (path.clone(), 1, 1, source.to_string()),
        other => (PathBuf::new(), 1, 1, other.to_string()),
    };
    let time_words = [
        "input contains invalid characters",
        "premature end of input",
        "trailing input",
        "input is out of range",
        "no possible date",
    ];
    let code = match e.data_kind() {
        Some(kind) if !matches!(kind, DataKind::Other | DataKind::Syntax) => kind.code(),
        Some(DataKind::Syntax) if !syntax_ok => "syntax",
        _ if !syntax_ok => "unreadable",
        _ if time_words.iter().any(|w| message.contains(w)) => "bad-time",
        _ => "invalid",
    };
    let hint = match code {
        "merge-conflict" => "see docs/sharing.md",
        "syntax" => "fix the YAML there (`care edit` checks it as you save)",
        "bad-time" => "times are RFC 3339 with an offset, e.g. 2026-11-22T19:42:00-05:00",
        "invalid" => "the field has the wrong kind of value (see docs/format.md)",
        // Their messages say what to do.
        "too-deep" | "alias-expansion" | "too-big" | "not-utf8" => "",
        _ => "remove or replace the file",
    };
    let message = if hint.is_empty() { message } else { format!("{message}; {hint}") };
    Finding { severity: Severity::Error, file, line, column, code, message }
}

/// The exposure file (`exposure:` in care.yaml) that `trends --per` and `patterns` would
/// refuse, said where its problem is: a row of the file, else care.yaml naming it.
pub fn bad_exposure(e: &Error, config: &Path) -> Finding {
    let (file, line, column, message) = match e {
        Error::Data { path, line, column, message, .. } => (path.clone(), *line, *column, message.clone()),
        Error::Io { path, source } => (path.clone(), 1, 1, source.to_string()),
        other => (config.to_path_buf(), 1, 1, other.to_string()),
    };
    let message = format!("{message}; rates per shift-hour cannot be worked out until it is fixed (docs/format.md)");
    Finding { severity: Severity::Error, file, line, column, code: "bad-exposure", message }
}

/// Line and column of `key:` (holding `value`, if given) in a record's text; 1:1 if absent.
fn locate(text: &str, key: &str, value: Option<&str>) -> (usize, usize) {
    let needle = format!("{key}:");
    for (n, line) in text.lines().enumerate() {
        if let Some(col) = line.find(&needle) {
            let boundary =
                col == 0 || !line.as_bytes()[col - 1].is_ascii_alphanumeric() && line.as_bytes()[col - 1] != b'_';
            if boundary && value.is_none_or(|v| line.contains(v)) {
                return (n + 1, col + 1);
            }
        }
    }
    (1, 1)
}

struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, severity: Severity, path: &Path, at: (usize, usize), code: &'static str, message: String) {
        self.0.push(Finding { severity, file: path.to_path_buf(), line: at.0, column: at.1, code, message });
    }
}

/// What one customer's file tells the checks across files.
#[derive(Debug)]
pub struct CustomerFacts {
    pub id: String,
    /// The id is an id at all (else it has its own finding and no duplicates).
    pub valid_id: bool,
    pub at_id: (usize, usize),
    /// The incidents it names, each with the kinds of link (`ENTRY`, `OPENING`).
    links: Vec<(String, u8)>,
}

/// What one incident's file tells the checks across files.
#[derive(Debug)]
pub struct IncidentFacts {
    pub id: String,
    pub valid_id: bool,
    pub at_id: (usize, usize),
    pub customer: String,
    pub at_customer: (usize, usize),
}

/// An entry's link, checked against the incidents in the book.
const ENTRY: u8 = 1;
/// A misstep's or flag's link: what opening an incident writes (`Customer::links`).
const OPENING: u8 = 2;
/// Set on a link once an incident with its id has been read.
const KNOWN: u32 = 4;
/// The bits of a link's last word that hold its kinds (below the customer's number).
const KIND_BITS: u32 = 3;

/// What the checks across files keep of every record while the book streams past:
/// hashes, numbers and bits, never a record or its text. About 8 bytes and 2 bits an
/// incident, 12 bytes a link, and a customer's file name and a few bytes a customer.
/// Customers come first, then incidents (each numbered by its place in the walk); what can
/// only be told at the end (duplicate incident ids, entries linking an incident that is
/// not in the book) is handed back as files to read again, which is rare.
#[derive(Debug, Default)]
pub struct Cross {
    customers: Customers,
    /// Customer ids → the customer that answers for each.
    ids: IdTable,
    /// Every customer's links, sorted by incident once customers are done.
    links: Vec<Link>,
    /// By incident number: the hash of its id (0 for a file that could not be read).
    incidents: Vec<u64>,
    /// By incident number: it was read (its file parsed) …
    read: Bits,
    /// … and its id is an id at all, so that it takes part in the search for duplicates.
    valid: Bits,
    /// How many incidents were read.
    count: usize,
}

/// What is left to tell once every record has passed.
#[derive(Debug)]
pub struct Ending {
    /// Incidents sharing a valid id, by number, in the book's order (the first is the original).
    pub duplicates: Vec<Vec<u32>>,
    /// Customers with an entry that links an incident not in the book.
    pub unknown_links: Vec<PathBuf>,
    /// Every incident id's hash, sorted.
    known: Vec<u64>,
}

impl Ending {
    /// Is there an incident with this id in the book?
    pub fn knows(&self, incident: &str) -> bool {
        self.known.binary_search(&hash(incident)).is_ok()
    }
}

impl Cross {
    /// A customer's facts; a second customer with the same id is found here.
    pub fn customer(&mut self, path: &Path, facts: CustomerFacts) -> Option<Finding> {
        let n = self.customers.push(path, &facts.id, facts.valid_id);
        // One link per incident the file names, its kinds of link together: opening an
        // incident writes a misstep and a flag naming it, and a million of those are
        // 12 MB once instead of twice.
        let mut own: Vec<(u64, u8)> = facts.links.iter().map(|(i, kind)| (hash(i), *kind)).collect();
        own.sort_unstable();
        own.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 |= later.1;
            }
            same
        });
        for (incident, kinds) in own {
            room_for_one(&mut self.links);
            self.links.push(Link::new(incident, n, kinds));
        }
        let earlier = self.ids.answer(&self.customers, n, facts.valid_id)?;
        let message = id::duplicate_message(&facts.id, &self.customers.path(earlier));
        Some(Finding {
            severity: Severity::Error,
            file: path.to_path_buf(),
            line: facts.at_id.0,
            column: facts.at_id.1,
            code: "duplicate-id",
            message,
        })
    }

    /// Every customer has been read: incidents can be checked against them.
    pub fn customers_done(&mut self) {
        self.links.sort_unstable();
        self.links.shrink_to_fit();
        self.customers.shrink();
    }

    pub fn customers(&self) -> usize {
        self.customers.len()
    }

    /// Incident number `n`'s facts (`n` rises through the walk, counting files that could
    /// not be read too): its customer must exist and link it.
    pub fn incident(&mut self, n: u32, path: &Path, facts: &IncidentFacts) -> Vec<Finding> {
        let h = hash(&facts.id);
        while self.incidents.len() < n as usize {
            self.place(0, false, false);
        }
        self.place(h, true, facts.valid_id);
        self.count += 1;
        // Every link to this incident is marked known, whoever's it is; the incident's
        // customer must have an opening link to it.
        let from = self.links.partition_point(|l| l.incident() < h);
        let mut linked = false;
        for link in self.links[from..].iter_mut().take_while(|l| l.incident() == h) {
            link.0[2] |= KNOWN;
            linked = linked
                || link.kinds() & u32::from(OPENING) != 0
                    && self.customers.id(link.customer()) == facts.customer.as_bytes();
        }
        let mut found = Vec::new();
        let (line, column) = facts.at_customer;
        let mut add = |severity, code, message| {
            found.push(Finding { severity, file: path.to_path_buf(), line, column, code, message })
        };
        let Some(answers) = self.ids.get(&self.customers, facts.customer.as_bytes()) else {
            add(Severity::Error, "unknown-customer", unknown_customer(&facts.customer));
            return found;
        };
        if !self.customers.valid.get(answers as usize) {
            add(Severity::Error, "unknown-customer", unknown_customer(&facts.customer));
        }
        if !linked {
            add(
                Severity::Warning,
                UNLINKED,
                format!(
                    "{}'s file has no misstep or flag for this incident (was `recover open` stopped half way?), \
                     so nobody greeting them knows of it; `care check --fix` adds them",
                    facts.customer
                ),
            );
        }
        found
    }

    fn place(&mut self, hash: u64, read: bool, valid: bool) {
        room_for_one(&mut self.incidents);
        self.incidents.push(hash);
        self.read.push(read);
        self.valid.push(valid);
    }

    pub fn incidents(&self) -> usize {
        self.count
    }

    /// Every incident has been read: what is left to tell.
    pub fn finish(self) -> Ending {
        let Cross { customers, ids, links, mut incidents, read, valid, .. } = self;
        drop(ids);
        let mut unknown: Vec<u32> = links
            .iter()
            .filter(|l| l.kinds() & u32::from(ENTRY) != 0 && l.kinds() & KNOWN == 0)
            .map(|l| l.customer())
            .collect();
        drop(links);
        unknown.sort_unstable();
        unknown.dedup();
        let unknown_links = unknown.into_iter().map(|n| customers.path(n)).collect();
        drop(customers);
        let duplicates = duplicates(&incidents, &valid);
        let mut n = 0;
        incidents.retain(|_| {
            n += 1;
            read.get(n - 1)
        });
        incidents.sort_unstable();
        incidents.shrink_to_fit();
        Ending { duplicates, unknown_links, known: incidents }
    }
}

/// The numbers of incidents sharing a valid id (`hashes` by number), each group in the
/// book's order: a sort of four bytes an incident, not of the hashes themselves.
fn duplicates(hashes: &[u64], valid: &Bits) -> Vec<Vec<u32>> {
    let mut order: Vec<u32> = Vec::with_capacity(valid.ones());
    order.extend((0..hashes.len() as u32).filter(|&n| valid.get(n as usize)));
    order.sort_unstable_by_key(|&n| (hashes[n as usize], n));
    order
        .chunk_by(|a, b| hashes[*a as usize] == hashes[*b as usize])
        .filter(|g| g.len() > 1)
        .map(<[u32]>::to_vec)
        .collect()
}

/// Room for one more in a vector that may grow to millions: a quarter more at a time, not
/// double, so that a book just past a power of two does not hold nearly twice what it needs.
fn room_for_one<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.len() / 4).max(1024));
    }
}

/// A customer's link to an incident in twelve bytes and no padding: the incident id's hash
/// (high word, low word), then the customer's number above `KIND_BITS` bits of kinds
/// (`ENTRY`, `OPENING`, `KNOWN`). Ordered as the words are: by incident, then customer.
/// (Customer numbers past 2^29, half a billion customers, would not fit.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Link([u32; 3]);

impl Link {
    fn new(incident: u64, customer: u32, kinds: u8) -> Link {
        Link([(incident >> 32) as u32, incident as u32, customer << KIND_BITS | u32::from(kinds)])
    }

    fn incident(&self) -> u64 {
        u64::from(self.0[0]) << 32 | u64::from(self.0[1])
    }

    fn customer(&self) -> u32 {
        self.0[2] >> KIND_BITS
    }

    fn kinds(&self) -> u32 {
        self.0[2] & ((1 << KIND_BITS) - 1)
    }
}

/// A bit a record, in words of 64.
#[derive(Debug, Default)]
struct Bits {
    words: Vec<u64>,
    len: usize,
}

impl Bits {
    fn push(&mut self, bit: bool) {
        if self.len.is_multiple_of(64) {
            self.words.push(0);
        }
        if bit {
            self.words[self.len / 64] |= 1 << (self.len % 64);
        }
        self.len += 1;
    }

    fn get(&self, i: usize) -> bool {
        i < self.len && self.words[i / 64] >> (i % 64) & 1 == 1
    }

    fn ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
}

/// Every customer's file and id, numbered in the walk's order, compactly: each folder once
/// for the run of files in it (the walk goes folder by folder), the file names end to end
/// in one buffer, and an id only where it is not its file's name (`id-mismatch`, rare).
#[derive(Debug, Default)]
struct Customers {
    /// (the first customer in it, the folder's path with its separator, as the OS's bytes).
    folders: Vec<(u32, Vec<u8>)>,
    names: Vec<u8>,
    /// Where each customer's file name ends in `names`.
    ends: Vec<usize>,
    /// (customer, id) for each id that is not the stem of its file's name, by customer.
    odd_ids: Vec<(u32, String)>,
    /// By customer: its id is an id at all.
    valid: Bits,
}

impl Customers {
    /// Remember a customer; its number.
    fn push(&mut self, path: &Path, id: &str, valid: bool) -> u32 {
        let n = self.len() as u32;
        let bytes = path.as_os_str().as_encoded_bytes();
        let name = path.file_name().map(|f| f.as_encoded_bytes()).filter(|f| bytes.ends_with(f)).unwrap_or_default();
        let folder = &bytes[..bytes.len() - name.len()];
        if self.folders.last().is_none_or(|(_, f)| f.as_slice() != folder) {
            self.folders.push((n, folder.to_vec()));
        }
        self.names.extend_from_slice(name);
        self.ends.push(self.names.len());
        if stem(name) != id.as_bytes() {
            self.odd_ids.push((n, id.to_string()));
        }
        self.valid.push(valid);
        n
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn name(&self, n: u32) -> &[u8] {
        let start = if n == 0 { 0 } else { self.ends[n as usize - 1] };
        &self.names[start..self.ends[n as usize]]
    }

    /// Customer `n`'s id, as its bytes.
    fn id(&self, n: u32) -> &[u8] {
        match self.odd_ids.binary_search_by_key(&n, |(c, _)| *c) {
            Ok(i) => self.odd_ids[i].1.as_bytes(),
            Err(_) => stem(self.name(n)),
        }
    }

    /// Customer `n`'s file, as the walk gave it.
    fn path(&self, n: u32) -> PathBuf {
        let folder = &self.folders[self.folders.partition_point(|(first, _)| *first <= n) - 1].1;
        let bytes = [folder.as_slice(), self.name(n)].concat();
        path_of(&bytes).unwrap_or_else(|| PathBuf::from(String::from_utf8_lossy(&bytes).into_owned()))
    }

    fn shrink(&mut self) {
        self.names.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

/// A file name's stem as `Path::file_stem` has it: before the last dot, unless that dot
/// begins the name.
fn stem(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b'.') {
        Some(dot) if dot > 0 && name != b".." => &name[..dot],
        _ => name,
    }
}

/// Each customer id read → the customer that answers for it: the latest with it as a valid
/// id, else the latest with it at all. An open-addressed table of customer numbers, four
/// bytes a slot; the ids are `Customers`' own, compared whole, so two ids never pass for
/// one, however their hashes fall.
#[derive(Debug, Default)]
struct IdTable {
    slots: Vec<u32>,
    used: usize,
}

const EMPTY: u32 = u32::MAX;

impl IdTable {
    /// The slot holding `id`, or the empty one where it would go (the table has one).
    fn slot(&self, customers: &Customers, id: &[u8]) -> usize {
        let mask = self.slots.len() - 1;
        let mut at = hash_bytes(id) as usize & mask;
        while self.slots[at] != EMPTY && customers.id(self.slots[at]) != id {
            at = (at + 1) & mask;
        }
        at
    }

    fn get(&self, customers: &Customers, id: &[u8]) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        Some(self.slots[self.slot(customers, id)]).filter(|&n| n != EMPTY)
    }

    /// Customer `n` (just pushed) now answers for its id if it is a valid one, or if no
    /// customer did; the valid customer it takes over from, if one did.
    fn answer(&mut self, customers: &Customers, n: u32, valid: bool) -> Option<u32> {
        if (self.used + 1) * 4 > self.slots.len() * 3 {
            self.grow(customers);
        }
        let at = self.slot(customers, customers.id(n));
        let before = self.slots[at];
        if before == EMPTY {
            self.used += 1;
        } else if !valid {
            return None;
        }
        self.slots[at] = n;
        Some(before).filter(|&b| b != EMPTY && customers.valid.get(b as usize))
    }

    fn grow(&mut self, customers: &Customers) {
        let size = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; size]);
        for n in old.into_iter().filter(|&n| n != EMPTY) {
            let at = self.slot(customers, customers.id(n));
            self.slots[at] = n;
        }
    }
}

fn unknown_customer(customer: &str) -> String {
    format!("customer {customer:?} is not in the book; add them with `care customer add` or correct the id")
}

/// The second (or later) incident with an id: `earlier` is the one before it.
pub fn duplicate(path: &Path, at: (usize, usize), incident: &str, earlier: &Path) -> Finding {
    let message = id::duplicate_message(incident, earlier);
    Finding {
        severity: Severity::Error,
        file: path.to_path_buf(),
        line: at.0,
        column: at.1,
        code: "duplicate-id",
        message,
    }
}

/// A `care customer merge KEEP DROP` that did not finish (its journal entry is still there
/// and DROP's file too): KEEP may already hold DROP's entries, so each flag, reminder and
/// visit of DROP would show twice. Told at DROP's file, naming both.
pub fn stopped_merge(drop_file: &Path, keep: &str, drop: &str) -> Finding {
    Finding {
        severity: Severity::Error,
        file: drop_file.to_path_buf(),
        line: 1,
        column: 1,
        code: "merge-stopped",
        message: format!(
            "`care customer merge {keep} {drop}` did not finish (it was stopped, or is running now): {keep} may \
             already hold {drop}'s entries while {drop} still exists, so they would show twice; run \
             `care customer merge {keep} {drop}` again or `care check --fix` to complete it"
        ),
    }
}

/// An id in eight bytes, to remember a hundred thousand of them cheaply. A collision (one
/// in 10^8 at a million ids) is caught where it matters: a duplicate is read again.
fn hash(s: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(s)
}

/// Bytes' hash, for the ids `Customers` keeps as bytes (`IdTable`: never compared with `hash`).
fn hash_bytes(b: &[u8]) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(b)
}

pub fn locate_id(text: &str) -> (usize, usize) {
    locate(text, "id", None)
}

/// A customer file's findings that need no other file, and what the checks across files
/// need of it.
pub fn customer_file(config: &Config, r: &Read<Customer>, now: Stamp) -> (Vec<Finding>, CustomerFacts) {
    let mut f = Findings(Vec::new());
    let c = &r.record;
    let at_id = locate(&r.text, "id", None);
    let valid_id = own_id(&mut f, &r.path, at_id, &c.id, id::check_customer_id(&c.id));
    let entries = Section::ALL.iter().flat_map(|&s| c.entries(s)).filter_map(|e| e.at.map(|t| ("at", t)));
    let flags = c.flags.iter().flat_map(|fl| [fl.raised.map(|t| ("raised", t)), fl.cleared.map(|t| ("cleared", t))]);
    let happened: Vec<(&str, Stamp)> = entries.chain(flags.flatten()).collect();
    times(&mut f, r, &happened, &[], now);
    for section in Section::ALL {
        for e in c.entries(section).iter().filter(|e| !known_staff(config, &e.by)) {
            f.add(
                Severity::Warning,
                &r.path,
                locate(&r.text, "by", Some(&e.by)),
                "unknown-staff",
                format!("{:?} is not on the staff list; {STAFF_HINT}", e.by),
            );
        }
    }
    let mut links: Vec<(String, u8)> = Vec::new();
    for section in Section::ALL {
        for i in c.entries(section).iter().filter_map(|e| e.incident.as_deref()) {
            let opening = if section == Section::Misstep { OPENING } else { 0 };
            links.push((i.to_string(), ENTRY | opening));
        }
    }
    links.extend(c.flags.iter().filter_map(|fl| fl.incident.clone()).map(|i| (i, OPENING)));
    (f.0, CustomerFacts { id: c.id.clone(), valid_id, at_id, links })
}

/// An entry's link to an incident that is not in the book, found once every incident is
/// known (`known`): the customer's file is read again for it, which is rare.
pub fn unknown_incidents(r: &Read<Customer>, known: impl Fn(&str) -> bool) -> Vec<Finding> {
    let mut f = Findings(Vec::new());
    for section in Section::ALL {
        for i in r.record.entries(section).iter().filter_map(|e| e.incident.as_deref()).filter(|i| !known(i)) {
            f.add(
                Severity::Warning,
                &r.path,
                locate(&r.text, "incident", Some(i)),
                "unknown-incident",
                format!("{} links incident {i}, which is not in the book; check the id", section.label()),
            );
        }
    }
    f.0
}

/// An incident file's findings that need no other file, and what the checks across files
/// need of it.
pub fn incident_file(config: &Config, r: &Read<Incident>, now: Stamp) -> (Vec<Finding>, IncidentFacts) {
    use Severity::{Error as E, Warning as W};
    let mut f = Findings(Vec::new());
    let i = &r.record;
    let at_id = locate(&r.text, "id", None);
    let valid_id = own_id(&mut f, &r.path, at_id, &i.id, id::check_incident_id(&i.id));
    for (key, name) in [("staff", &i.staff), ("owner", &i.owner)] {
        if let Some(name) = name.as_deref().filter(|n| !known_staff(config, n)) {
            f.add(
                W,
                &r.path,
                locate(&r.text, key, Some(name)),
                "unknown-staff",
                format!("{key} {name:?} is not on the staff list; {STAFF_HINT}"),
            );
        }
    }
    steps(&mut f, r);
    let step_times = StepKind::ALL.into_iter().filter_map(|k| k.get(i).map(|s| (k.field(), s.at)));
    let done = i.followups.iter().filter_map(|fu| fu.done.as_ref().map(|d| ("at", d.at)));
    let happened: Vec<(&str, Stamp)> = [("opened", i.opened)].into_iter().chain(step_times).chain(done).collect();
    let scheduled: Vec<(&str, Stamp)> = i.followups.iter().map(|fu| ("due", fu.due)).collect();
    times(&mut f, r, &happened, &scheduled, now);
    missed_by(&mut f, r);
    for c in recovery::contradictions(i) {
        let shown = crate::time::rfc3339(&c.at);
        f.add(E, &r.path, locate(&r.text, c.key, Some(&shown)), c.code, c.message);
    }
    if i.is_open() && recovery::pending(i).next().is_none() {
        let what = if i.followups.is_empty() {
            "schedules no follow-up at all; `followup due` shows the progress clock from `opened` meanwhile"
        } else {
            "has no follow-up pending, so nobody is reminded of it"
        };
        f.add(
            W,
            &r.path,
            locate(&r.text, "followups", None),
            "no-followups",
            format!(
                "this open incident {what}; add one with `care followup add`, or close it with `care recover close`"
            ),
        );
    }
    let missing = recovery::missing_deposition(i);
    if !missing.is_empty() {
        f.add(
            W,
            &r.path,
            (1, 1),
            "missing-deposition",
            format!("the deposition lacks {}; document it while memory is fresh", missing.join(", ")),
        );
    }
    if let Some(recorded) = i.recorded.filter(|rec| *rec - i.opened > Duration::days(1)) {
        let late = crate::time::human_minutes((recorded - i.opened).num_minutes());
        f.add(
            W,
            &r.path,
            locate(&r.text, "recorded", None),
            "late-deposition",
            format!("documented {late} after it happened; write depositions the same day"),
        );
    }
    let facts = IncidentFacts {
        id: i.id.clone(),
        valid_id,
        at_id,
        customer: i.customer.clone(),
        at_customer: locate(&r.text, "customer", None),
    };
    (f.0, facts)
}

/// What one action's file tells the checks across files.
#[derive(Debug)]
pub struct ActionFacts {
    pub id: String,
    pub valid_id: bool,
    pub at_id: (usize, usize),
    /// Each condition of `for:` that reads, with where it is: its field must be one an
    /// incident has, which only the incidents can tell.
    pub conds: Vec<(crate::report::query::Cond, String, (usize, usize))>,
}

/// A corrective action's findings that need no other file: its id, who recorded and owns
/// it, its time, and conditions the filter language rejects (with `--where`'s message).
pub fn action_file(config: &Config, r: &Read<Action>, now: Stamp) -> (Vec<Finding>, ActionFacts) {
    let mut f = Findings(Vec::new());
    let a = &r.record;
    let at_id = locate(&r.text, "id", None);
    let valid = id::check_customer_id(&a.id)
        .map_err(|_| format!("{:?} is not a valid action id: action ids look like 20261122-k7f3qz", a.id));
    let valid_id = own_id(&mut f, &r.path, at_id, &a.id, valid);
    for (key, name) in [("by", Some(&a.by)), ("owner", a.owner.as_ref())] {
        if let Some(name) = name.filter(|n| !known_staff(config, n)) {
            f.add(
                Severity::Warning,
                &r.path,
                locate(&r.text, key, Some(name)),
                "unknown-staff",
                format!("{key} {name:?} is not on the staff list; {STAFF_HINT}"),
            );
        }
    }
    times(&mut f, r, &[("at", a.at)], &[], now);
    // Kept by every rewrite, but read by nothing: most likely a misspelt field.
    for (n, line) in r.text.lines().enumerate() {
        let key = line.split_once(':').map(|(k, _)| k).filter(|k| {
            k.starts_with(|c: char| c.is_ascii_alphabetic())
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
        if let Some(key) = key.filter(|k| !Action::FIELDS.contains(k)) {
            f.add(
                Severity::Warning,
                &r.path,
                (n + 1, 1),
                "unknown-field",
                format!(
                    "unknown field `{key}`, expected one of {}; it is kept, but nothing reads it",
                    Action::FIELDS.join(", ")
                ),
            );
        }
    }
    let mut conds = Vec::new();
    for c in &a.filter {
        let at = locate_item(&r.text, "for", c);
        match c.parse::<crate::report::query::Cond>() {
            Ok(cond) => conds.push((cond, c.clone(), at)),
            Err(e) => f.add(Severity::Error, &r.path, at, "bad-filter", format!("for: {e}")),
        }
    }
    if a.filter.is_empty() {
        f.add(
            Severity::Error,
            &r.path,
            locate(&r.text, "for", None),
            "bad-filter",
            "for: names no condition, so the action is for no pattern; add FIELD=VALUE conditions".into(),
        );
    }
    (f.0, ActionFacts { id: a.id.clone(), valid_id, at_id, conds })
}

/// A condition of an action no incident can meet, because no incident has its field: the
/// message `--where` gives (`problem`), at the condition.
pub fn unknown_field(path: &Path, at: (usize, usize), problem: &str) -> Finding {
    Finding {
        severity: Severity::Error,
        file: path.to_path_buf(),
        line: at.0,
        column: at.1,
        code: "bad-filter",
        message: format!("for: {problem}"),
    }
}

/// What keeps one of the clone's hooks (`.care/hooks/<event>`) from being plainly its own,
/// as `hooks::audit` found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookProblem {
    /// Git tracks it: it may have come with a pull. It never runs.
    Tracked,
    /// It sits in a submodule or a repository nested in the book. It never runs.
    Nested,
    /// Git cannot say whether it is the clone's own, so no hook runs.
    Unverified,
    /// It is reached through a link.
    Linked,
    /// It is no executable file inside `.care/hooks`. It never runs.
    Refused,
}

/// The finding for a hook: errors where a hook the clone set up is kept from running, or
/// arrived from elsewhere; a warning where it only leans on a link or is not runnable.
pub fn hook(file: &Path, problem: HookProblem, message: String) -> Finding {
    let (severity, code) = match problem {
        HookProblem::Tracked => (Severity::Error, "hook-tracked"),
        HookProblem::Nested => (Severity::Error, "hook-nested"),
        HookProblem::Unverified => (Severity::Error, "hook-unverified"),
        HookProblem::Linked => (Severity::Warning, "hook-linked"),
        HookProblem::Refused => (Severity::Warning, "hook-refused"),
    };
    Finding { severity, file: file.to_path_buf(), line: 1, column: 1, code, message }
}

/// Where an item of a list under `key:` is: the first line after `key:` that holds it
/// (block style), else the `key:` line itself (`for: [a=b]`).
fn locate_item(text: &str, key: &str, item: &str) -> (usize, usize) {
    let (key_line, key_column) = locate(text, key, None);
    let lines = || text.lines().enumerate().skip(key_line.saturating_sub(1));
    let unquoted = |l: &str| l.trim().trim_start_matches("- ").trim().trim_matches(['"', '\'']).to_string();
    let exact = lines().find(|(_, l)| unquoted(l) == item.trim());
    match exact.or_else(|| lines().find(|(_, l)| l.contains(item))) {
        Some((n, line)) => (n + 1, line.find(item.trim()).map_or(1, |c| c + 1)),
        None => (key_line, key_column),
    }
}

const STAFF_HINT: &str = "add them to `staff:` in care.yaml, or correct the name";

fn known_staff(config: &Config, name: &str) -> bool {
    name.is_empty() || config.staff.as_ref().is_none_or(|s| s.iter().any(|n| n == name))
}

/// The id's own faults (not one, or not the file's name); true when it is an id at all,
/// so that it takes part in the search for duplicates.
fn own_id(f: &mut Findings, path: &Path, at: (usize, usize), id: &str, valid: Result<(), String>) -> bool {
    if let Err(e) = valid {
        f.add(Severity::Error, path, at, "bad-id", e);
        return false;
    }
    if path.file_stem().is_some_and(|s| s != id) {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        f.add(Severity::Error, path, at, "id-mismatch", id::mismatch_message(id, &stem));
    }
    true
}

/// Times that cannot be true: something that happened dated in the future (a bare clock
/// time typed just after midnight once meant tomorrow), or any time in a year no service
/// history has (`0001-01-01`, `9999-12-31`: typos).
fn times<T>(f: &mut Findings, r: &Read<T>, happened: &[(&str, Stamp)], scheduled: &[(&str, Stamp)], now: Stamp) {
    let slack = Duration::minutes(crate::time::FUTURE_SLACK_MINUTES);
    for &(key, t) in happened.iter().chain(scheduled) {
        let shown = crate::time::rfc3339(&t);
        if !crate::time::YEARS.contains(&t.year()) {
            f.add(
                Severity::Error,
                &r.path,
                locate(&r.text, key, Some(&shown)),
                "absurd-time",
                format!("`{key}: {shown}` is in the year {}; correct the date", t.year()),
            );
        }
    }
    for &(key, t) in happened {
        if t > now + slack {
            let shown = crate::time::rfc3339(&t);
            f.add(
                Severity::Warning,
                &r.path,
                locate(&r.text, key, Some(&shown)),
                "future-time",
                format!("`{key}: {shown}` records something that happened, but is in the future; correct the time"),
            );
        }
    }
}

/// A breach on record must be what the times say: done after due, by that many minutes.
fn missed_by(f: &mut Findings, r: &Read<Incident>) {
    for fu in &r.record.followups {
        let Some(m) = fu.missed_by else { continue };
        let actual = fu.done.as_ref().map(|d| (d.at - fu.due).num_minutes());
        if actual.is_none_or(|a| m <= 0 || (a - m).abs() > 1) {
            let says = match actual {
                Some(a) if a > 0 => format!("the times say {a}"),
                Some(_) => "it was done in time".to_string(),
                None => "it is not done".to_string(),
            };
            f.add(
                Severity::Warning,
                &r.path,
                locate(&r.text, "missed_by", Some(&m.to_string())),
                "impossible-missed-by",
                format!(
                    "the {} follow-up is `missed_by: {m}` minutes, but {says}; correct `missed_by` or the times",
                    fu.kind
                ),
            );
        }
    }
}

/// Steps out of order: before the incident, review before apology, close before fix.
fn steps(f: &mut Findings, r: &Read<Incident>) {
    let i = &r.record;
    let rec = &i.recovery;
    let review_first =
        rec.reviewed.as_ref().is_some_and(|review| rec.apologized.as_ref().is_none_or(|a| a.at > review.at));
    if review_first {
        f.add(
            Severity::Warning,
            &r.path,
            locate(&r.text, "reviewed", None),
            "review-before-apology",
            "the complaint was reviewed before the apology: apologize first, then ask questions".into(),
        );
    }
    if rec.closed.is_some() && rec.fixed.is_none() {
        f.add(
            Severity::Warning,
            &r.path,
            locate(&r.text, "closed", None),
            "closed-unfixed",
            "closed without a recorded fix; record it with `care recover fix`".into(),
        );
    }
}

/// Where a finding is told among the others: by file, line and column; at one place, what
/// could not be read first, then the checks' own by code, then the book-wide ones
/// (`rank` 0, 1 and 2: the order `check` has always printed).
pub fn order_key(f: &Finding, rank: u8) -> (&Path, usize, usize, u8, &'static str) {
    (&f.file, f.line, f.column, rank, if rank == 1 { f.code } else { "" })
}

/// A finding and its rank as bytes, to set aside on disk (`book::Spill`) and read back
/// with `decode`.
pub fn encode(f: &Finding, rank: u8, out: &mut Vec<u8>) {
    out.clear();
    out.push(u8::from(f.severity == Severity::Warning));
    out.push(rank);
    out.extend_from_slice(&(f.line as u64).to_le_bytes());
    out.extend_from_slice(&(f.column as u64).to_le_bytes());
    for part in [f.code.as_bytes(), f.file.as_os_str().as_encoded_bytes(), f.message.as_bytes()] {
        out.extend_from_slice(&(part.len() as u32).to_le_bytes());
        out.extend_from_slice(part);
    }
}

/// A finding `encode` wrote (None for bytes it did not write).
pub fn decode(bytes: &[u8]) -> Option<(Finding, u8)> {
    let (head, mut rest) = bytes.split_at_checked(18)?;
    let number = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default()) as usize;
    let mut part = || -> Option<&[u8]> {
        let (len, tail) = rest.split_at_checked(4)?;
        let (part, tail) = tail.split_at_checked(u32::from_le_bytes(len.try_into().ok()?) as usize)?;
        rest = tail;
        Some(part)
    };
    let (code, file, message) = (part()?, part()?, part()?);
    let finding = Finding {
        severity: if head[0] == 1 { Severity::Warning } else { Severity::Error },
        file: path_of(file)?,
        line: number(&head[2..10]),
        column: number(&head[10..18]),
        code: intern(std::str::from_utf8(code).ok()?),
        message: std::str::from_utf8(message).ok()?.to_string(),
    };
    Some((finding, head[1]))
}

#[cfg(unix)]
fn path_of(bytes: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

#[cfg(not(unix))]
fn path_of(bytes: &[u8]) -> Option<PathBuf> {
    std::str::from_utf8(bytes).ok().map(PathBuf::from)
}

/// A finding's code read back from disk as the `&'static str` codes are: each distinct
/// code (a few dozen at most) is kept once for the rest of the run.
fn intern(code: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::Mutex;
    static CODES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut codes = CODES.lock().unwrap_or_else(|p| p.into_inner());
    let codes = codes.get_or_insert_with(HashSet::new);
    if let Some(&known) = codes.get(code) {
        return known;
    }
    let kept: &'static str = Box::leak(code.to_string().into_boxed_str());
    codes.insert(kept);
    kept
}

pub const COLUMNS: [&str; 6] = ["severity", "file", "line", "column", "code", "message"];

pub fn row(f: &Finding) -> Vec<Cell> {
    vec![
        if f.severity == Severity::Error { "error" } else { "warning" }.into(),
        f.file.display().to_string().into(),
        Cell::Int(f.line as i64),
        Cell::Int(f.column as i64),
        f.code.into(),
        f.message.as_str().into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(id: &str, valid: bool, links: &[(&str, u8)]) -> CustomerFacts {
        let links = links.iter().map(|(i, k)| (i.to_string(), *k)).collect();
        CustomerFacts { id: id.into(), valid_id: valid, at_id: (1, 1), links }
    }

    fn incident(id: &str, valid: bool, customer: &str) -> IncidentFacts {
        IncidentFacts { id: id.into(), valid_id: valid, at_id: (1, 1), customer: customer.into(), at_customer: (2, 1) }
    }

    fn codes(found: &[Finding]) -> Vec<&'static str> {
        found.iter().map(|f| f.code).collect()
    }

    #[test]
    fn an_id_used_more_than_twice_is_one_group_in_the_books_order() {
        let mut cross = Cross::default();
        cross.customer(Path::new("b/customers/ada.yaml"), customer("ada", true, &[]));
        cross.customers_done();
        let path = Path::new("b/incidents/x.yaml");
        // 3 is a file that could not be read; 6 copies the id but is not an id at all.
        for (n, id, valid) in [(0, "a", true), (1, "b", true), (2, "a", true), (4, "a", true), (5, "b", true)] {
            cross.incident(n, path, &incident(id, valid, "ada"));
        }
        cross.incident(6, path, &incident("a", false, "ada"));
        cross.incident(7, path, &incident("c", true, "ada"));
        assert_eq!(cross.incidents(), 7);
        let ending = cross.finish();
        let mut groups = ending.duplicates.clone();
        groups.sort();
        assert_eq!(groups, vec![vec![0, 2, 4], vec![1, 5]]);
        assert!(["a", "b", "c"].iter().all(|i| ending.knows(i)) && !ending.knows("d"));
    }

    #[test]
    fn links_are_told_apart_by_customer_and_kind() {
        let mut cross = Cross::default();
        let (ada, bob) = (Path::new("b/customers/ada.yaml"), Path::new("b/customers/bob.yaml"));
        assert!(cross.customer(ada, customer("ada", true, &[("i1", ENTRY | OPENING), ("i3", OPENING)])).is_none());
        assert!(cross.customer(bob, customer("bob", true, &[("i2", ENTRY), ("gone", ENTRY), ("i1", ENTRY)])).is_none());
        cross.customers_done();
        let path = Path::new("b/incidents/i.yaml");
        assert_eq!(codes(&cross.incident(0, path, &incident("i1", true, "ada"))), Vec::<&str>::new());
        // A note is not what opening writes; ada's flag is not bob's.
        assert_eq!(codes(&cross.incident(1, path, &incident("i2", true, "bob"))), [UNLINKED]);
        assert_eq!(codes(&cross.incident(2, path, &incident("i3", true, "bob"))), [UNLINKED]);
        assert_eq!(codes(&cross.incident(3, path, &incident("i4", true, "eve"))), ["unknown-customer"]);
        let ending = cross.finish();
        assert_eq!(ending.unknown_links, vec![bob.to_path_buf()], "only bob's note links an incident not in the book");
    }

    #[test]
    fn customer_ids_are_compared_whole_and_answered_by_the_latest_valid_one() {
        let mut cross = Cross::default();
        let ids: Vec<String> = (0..5000).map(|i| format!("c{i}")).collect();
        for id in &ids {
            let path = PathBuf::from(format!("b/customers/{id}.yaml"));
            assert!(cross.customer(&path, customer(id, true, &[])).is_none(), "{id}");
        }
        // An id twice: the second names the first; a third copy names the second.
        let again = cross.customer(Path::new("b/customers/x.yaml"), customer("c42", true, &[]));
        assert_eq!(again.map(|f| (f.code, f.message.contains("b/customers/c42.yaml"))), Some(("duplicate-id", true)));
        let third = cross.customer(Path::new("b/customers/y.yaml"), customer("c42", true, &[]));
        assert!(third.is_some_and(|f| f.message.contains("b/customers/x.yaml")));
        // Not an id at all: no duplicate, and an incident naming only it has no customer.
        assert!(cross.customer(Path::new("b/customers/z.yaml"), customer("c42", false, &[])).is_none());
        assert!(cross.customer(Path::new("b/customers/bad.yaml"), customer("Not Valid", false, &[])).is_none());
        cross.customers_done();
        let path = Path::new("b/incidents/i.yaml");
        let told = |cross: &mut Cross, n, who| codes(&cross.incident(n, path, &incident("i", true, who)));
        assert_eq!(told(&mut cross, 0, "c4999"), [UNLINKED]);
        assert_eq!(told(&mut cross, 1, "c5000"), ["unknown-customer"]);
        assert_eq!(told(&mut cross, 2, "Not Valid"), ["unknown-customer", UNLINKED]);
        assert_eq!(told(&mut cross, 3, "c4"), [UNLINKED]);
    }

    #[test]
    fn customer_files_and_ids_are_recovered_as_given() {
        let mut customers = Customers::default();
        let mut given: Vec<(PathBuf, &str)> = vec![
            (PathBuf::from("/b/customers/ada.yaml"), "ada"),
            (PathBuf::from("/b/customers/bob.yaml"), "robert"),
            (PathBuf::from("/b/customers/west/cy.yaml"), "cy"),
            (PathBuf::from("/b/customers/west/.yaml"), ".yaml"),
            (PathBuf::from("/b/customers/dee.old.yaml"), "dee.old"),
            (PathBuf::from("relative/eve.yaml"), "eve"),
            (PathBuf::from("noext"), "noext"),
        ];
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let odd = std::ffi::OsStr::from_bytes(b"/b/customers/\xff.yaml");
            given.push((PathBuf::from(odd), "ff"));
        }
        for (n, (path, id)) in given.iter().enumerate() {
            assert_eq!(customers.push(path, id, true), n as u32);
        }
        for (n, (path, id)) in given.iter().enumerate() {
            assert_eq!(customers.path(n as u32), *path);
            assert_eq!(customers.id(n as u32), id.as_bytes());
        }
        assert_eq!(customers.odd_ids.len(), if cfg!(unix) { 2 } else { 1 }, "only ids that are not their names");
        assert_eq!(
            customers.folders.len(),
            if cfg!(unix) { 6 } else { 5 },
            "a folder once for each run of files in it"
        );
    }

    #[test]
    fn a_finding_set_aside_reads_back_the_same() {
        let f = Finding {
            severity: Severity::Warning,
            file: PathBuf::from("incidents/2026/11/20261101-aaaaaa.yaml"),
            line: 12,
            column: 3,
            code: "unlinked-incident",
            message: "ada's file has no misstep — «é» ✓".into(),
        };
        let mut bytes = Vec::new();
        encode(&f, 1, &mut bytes);
        let (back, rank) = decode(&bytes).expect("decodes");
        assert_eq!(rank, 1);
        assert_eq!(row(&back), row(&f));
        assert_eq!(back.code, f.code);
        assert!(decode(&bytes[..bytes.len() - 1]).is_none(), "a cut record is not a finding");
    }
}
