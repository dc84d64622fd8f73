//! The checks across files, kept small: what every record leaves behind as the book
//! streams past (hashes, numbers and bits, never a record or its text), and what is told
//! at the end (duplicate incident ids, links to incidents not in the book, customers
//! sharing an id).

use std::path::{Path, PathBuf};

use crate::model::id;

use super::codec::path_of;
use super::{Finding, Severity, UNLINKED};

/// What one customer's file tells the checks across files.
#[derive(Debug)]
pub struct CustomerFacts {
    pub id: String,
    /// The id is an id at all (else it has its own finding and no duplicates).
    pub valid_id: bool,
    pub at_id: (usize, usize),
    /// The incidents it names, each with the kinds of link (`ENTRY`, `OPENING`).
    pub(super) links: Vec<(String, u8)>,
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
pub(super) const ENTRY: u8 = 1;
/// A misstep's or flag's link: what opening an incident writes (`Customer::links`).
pub(super) const OPENING: u8 = 2;
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
    /// The pseudonyms of the people forgotten (`forgotten.yaml`): an incident may name one
    /// of them, and no customer file answers for it by design.
    pub pseudonyms: Vec<String>,
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
        if self.pseudonyms.contains(&facts.customer) {
            return found;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
