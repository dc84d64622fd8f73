//! `care check`: validate the whole book. Reads every file itself (never a cache), so what
//! it says is what is on disk, and streams: each file is checked as it is read, on all
//! cores, and only findings and a few bytes of facts a record (`report::check::Cross`)
//! are kept for the checks across files, so memory stays flat however big the book.

use std::io::Write;

use serde::de::DeserializeOwned;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::book::{ACTIONS, Book, CONFIG_FILE, CUSTOMERS, INCIDENTS, Spill};
use crate::cmd::Ctx;
use crate::error::{Error, Result};
use crate::model::action::Action;
use crate::model::{Customer, Incident, lexicon};
use crate::output;
use crate::report::check::{self, ActionFacts, Cross, Finding, Read, Severity};
use crate::report::query::{self, Query};
use crate::{git, yaml};

/// Validate the whole book: YAML errors with file:line:column, unknown customers,
/// duplicate ids, unknown staff, missing or late depositions, steps out of order.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Exit status: 0 when there are no errors (warnings allowed), 1 otherwise.
Examples:
  care check
  care check --strict --format csv > findings.csv      warnings fail too")]
pub struct Args {
    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Complete what an interrupted command left half done (a customer merge; an incident
    /// whose customer's file lacks its misstep and flag), then check.
    #[arg(long)]
    pub fix: bool,
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write) -> Result<()> {
    let book = &ctx.book;
    for temp in book.remove_stale_temps() {
        ctx.ui.say(&format!("removed {}, a temporary file left by a care command that was killed", temp.display()));
    }
    if args.fix {
        fix(ctx)?;
    }
    // Findings about customer and incident files are set aside on disk a file at a time,
    // in the walk's order, which is the order they print in; the few told elsewhere or only
    // at the end (the walks' own problems, actions, care.yaml, what needs every incident)
    // wait in memory, and the two are merged as they print. So a million incidents'
    // findings are never held.
    let mut spilled = Spilled { spill: Spill::new()?, bytes: Vec::new(), failed: None };
    let mut late = Found::default();
    let mut cross = Cross::default();
    let tombstone = book.tombstone().unwrap_or_else(|e| {
        late.read.push(check::bad_tombstone(&e));
        Default::default()
    });
    cross.pseudonyms = tombstone.forgotten.iter().map(|g| g.pseudonym.clone()).collect();
    let (config, now) = (&book.config, book.clock.now());
    let actions = actions(book, &mut late);
    let walk = book.each_record(
        CUSTOMERS,
        |path, text| {
            Ok(read_one(path, text).map(|r| {
                let (mut findings, facts) = check::customer_file(config, &r, now);
                findings.extend(check::forgotten_back(&tombstone, &r));
                (findings, facts)
            }))
        },
        |path, parsed| {
            let mut found = Found::default();
            if let Some((findings, facts)) = found.file(parsed) {
                found.check(findings);
                found.check(cross.customer(path, facts));
            }
            spilled.put(found);
        },
    );
    late.read(&walk);
    cross.customers_done();
    let named = extra_fields(&actions);
    let seen: Vec<AtomicBool> = named.iter().map(|_| AtomicBool::new(false)).collect();
    let mut n = 0u32;
    let walk = book.each_record(
        INCIDENTS,
        |path, text| {
            notice_fields(path, text, &named, &seen);
            Ok(read_one(path, text).map(|r| check::incident_file(config, &r, now)))
        },
        |path, parsed| {
            let mut found = Found::default();
            if let Some((findings, facts)) = found.file(parsed) {
                found.check(findings);
                found.check(cross.incident(n, path, &facts));
            }
            spilled.put(found);
            n += 1;
        },
    );
    late.read(&walk);
    if let Some(e) = spilled.failed.take() {
        return Err(e);
    }
    if let Err(e) = lexicon::rules(&book.config.lexicon) {
        late.read.push(Finding {
            severity: Severity::Error,
            file: book.path(CONFIG_FILE),
            line: 1,
            column: 1,
            code: "bad-lexicon",
            message: e,
        });
    }
    if let Err(e) = book.exposure() {
        late.read.push(check::bad_exposure(&e, &book.path(CONFIG_FILE)));
    }
    let (customers, incidents) = (cross.customers(), cross.incidents());
    let ending = cross.finish();
    late.check(duplicates(book, &ending));
    late.check(stopped_merges(book));
    for path in &ending.unknown_links {
        if let Some(Ok(r)) = book.read_text(path).ok().map(|text| read_one::<Customer>(path, &text)) {
            late.check(check::unknown_incidents(&r, |i| ending.knows(i)));
        }
    }
    drop(ending);
    if named.iter().zip(&seen).any(|(_, s)| !s.load(Ordering::Relaxed)) {
        late.check(unknown_fields(book, &actions));
    }
    late.check(hooks(book));
    let late = late.ranked(merge_driver(book));
    let columns: Vec<String> = check::COLUMNS.iter().map(|c| c.to_string()).collect();
    let mut printed = Printed { stream: output::Stream::new(out, &ctx.style, &columns)?, errors: 0, warnings: 0 };
    let mut late = late.into_iter().peekable();
    spilled.spill.drain(|bytes| {
        let unreadable = || Error::io(&std::env::temp_dir(), std::io::Error::other("a finding set aside was damaged"));
        let (f, rank) = check::decode(bytes).ok_or_else(unreadable)?;
        while let Some((before, _)) = late.next_if(|(l, r)| check::order_key(l, *r) < check::order_key(&f, rank)) {
            printed.row(&before)?;
        }
        printed.row(&f)
    })?;
    for (f, _) in late {
        printed.row(&f)?;
    }
    let Printed { stream, errors, warnings } = printed;
    super::finish_stream(ctx, stream)?;
    if errors + warnings == 0 {
        ctx.ui.say(&format!("The book is clean: {customers} customers, {incidents} incidents."));
        return Ok(());
    }
    let summary = format!("{errors} error(s) and {warnings} warning(s)");
    if errors > 0 || (args.strict && warnings > 0) {
        return Err(Error::Refused(format!("check found {summary}")));
    }
    ctx.ui.say(&format!("No errors; {warnings} warning(s)."));
    Ok(())
}

/// Each file's findings, in the order they print, set aside on disk as the walk passes;
/// the first failure to write is kept to stop the run once the walk is over.
struct Spilled {
    spill: Spill,
    bytes: Vec<u8>,
    failed: Option<Error>,
}

impl Spilled {
    fn put(&mut self, found: Found) {
        for (f, rank) in found.ranked(None) {
            check::encode(&f, rank, &mut self.bytes);
            if let Err(e) = self.spill.push(&self.bytes)
                && self.failed.is_none()
            {
                self.failed = Some(e);
            }
        }
    }
}

/// The findings printed so far, counted.
struct Printed<'w> {
    stream: output::Stream<'w>,
    errors: usize,
    warnings: usize,
}

impl Printed<'_> {
    fn row(&mut self, f: &Finding) -> Result<()> {
        match f.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        self.stream.row(check::row(f))
    }
}

/// The findings so far: those about files that could not be read come first where two
/// share a place (as they always have), then the checks' own, by code.
#[derive(Default)]
struct Found {
    read: Vec<Finding>,
    checks: Vec<Finding>,
}

impl Found {
    fn read(&mut self, problems: &[Error]) {
        self.read.extend(problems.iter().map(|e| check::unreadable(e, false)));
    }

    fn check(&mut self, findings: impl IntoIterator<Item = Finding>) {
        self.checks.extend(findings);
    }

    /// A file as `read_one` left it: what the checks made of it, or a finding.
    fn file<T>(&mut self, parsed: Result<std::result::Result<T, Finding>>) -> Option<T> {
        match parsed {
            Ok(Ok(checked)) => Some(checked),
            Ok(Err(finding)) => {
                self.read.push(finding);
                None
            }
            Err(e) => {
                self.read.push(check::unreadable(&e, false));
                None
            }
        }
    }

    /// Every finding with its rank (`check::order_key`), in the order they print.
    fn ranked(self, last: Option<Finding>) -> Vec<(Finding, u8)> {
        let Found { read, checks } = self;
        let mut all: Vec<(Finding, u8)> = read.into_iter().map(|f| (f, 0)).collect();
        all.extend(checks.into_iter().map(|f| (f, 1)));
        all.extend(last.map(|f| (f, 2)));
        all.sort_by(|(a, ra), (b, rb)| check::order_key(a, *ra).cmp(&check::order_key(b, *rb)));
        all
    }
}

/// Incidents sharing an id, told at the second copy (naming the one before it): the
/// files are found again by their place in the walk (a walk that keeps only theirs) and
/// read again, which is rare.
fn duplicates(book: &Book, ending: &check::Ending) -> Vec<Finding> {
    if ending.duplicates.is_empty() {
        return Vec::new();
    }
    let mut wanted: Vec<u32> = ending.duplicates.iter().flatten().copied().collect();
    wanted.sort_unstable();
    let mut files: HashMap<u32, PathBuf> = HashMap::new();
    let mut n = 0u32;
    book.each_record_file(INCIDENTS, |batch| {
        for path in batch {
            if wanted.binary_search(&n).is_ok() {
                files.insert(n, path.clone());
            }
            n += 1;
        }
    });
    let mut found = Vec::new();
    for group in &ending.duplicates {
        let mut earlier: Vec<(String, &std::path::Path)> = Vec::new();
        for &n in group {
            let Some(path) = files.get(&n) else { continue };
            let Ok(text) = book.read_text(path) else { continue };
            let Ok(incident) = yaml::parse::<Incident>(path, &text) else { continue };
            if let Some((_, before)) = earlier.iter().rev().find(|(id, _)| *id == incident.id) {
                found.push(check::duplicate(path, check::locate_id(&text), &incident.id, before));
            }
            earlier.push((incident.id, path));
        }
    }
    found
}

/// Every action, checked on its own and against the others; their facts are kept (a
/// book has few actions) for the checks against the incidents.
fn actions(book: &Book, found: &mut Found) -> Vec<(PathBuf, ActionFacts)> {
    let (config, now) = (&book.config, book.clock.now());
    let mut facts: Vec<(PathBuf, ActionFacts)> = Vec::new();
    let walk = book.each_record(
        ACTIONS,
        |path, text| Ok(read_one::<Action>(path, text).map(|r| check::action_file(config, &r, now))),
        |path, parsed| {
            if let Some((findings, f)) = found.file(parsed) {
                found.check(findings);
                facts.push((path.to_path_buf(), f));
            }
        },
    );
    found.read(&walk);
    let mut seen: HashMap<&str, &PathBuf> = HashMap::new();
    let mut duplicate = Vec::new();
    for (path, f) in facts.iter().filter(|(_, f)| f.valid_id) {
        if let Some(before) = seen.insert(&f.id, path) {
            duplicate.push(check::duplicate(path, f.at_id, &f.id, before));
        }
    }
    found.check(duplicate);
    facts
}

/// The fields actions' conditions name that are not an incident's own: only an incident
/// having one can tell that it is not a typo.
fn extra_fields(actions: &[(PathBuf, ActionFacts)]) -> Vec<String> {
    let mut named: Vec<String> = actions
        .iter()
        .flat_map(|(_, f)| &f.conds)
        .map(|(c, _, _)| c.field.clone())
        .filter(|field| !query::INCIDENT_FIELDS.contains(&field.as_str()))
        .collect();
    named.sort();
    named.dedup();
    named
}

/// Mark the extra fields named by actions that this incident has (a text search first,
/// so an incident is parsed again only for a field it may have and nobody has seen yet).
fn notice_fields(path: &std::path::Path, text: &str, named: &[String], seen: &[AtomicBool]) {
    let wanted =
        |(field, seen): &(&String, &AtomicBool)| !seen.load(Ordering::Relaxed) && text.contains(field.as_str());
    if !named.iter().zip(seen).any(|f| wanted(&f)) {
        return;
    }
    let Ok((_, extras)) = query::parse_incident(path, text) else { return };
    for (field, seen) in named.iter().zip(seen) {
        if extras.contains_key(field) {
            seen.store(true, Ordering::Relaxed);
        }
    }
}

/// Conditions naming a field no incident has, with the message `--where` gives for it
/// (which lists every field the incidents have: a second reading, only in this case).
fn unknown_fields(book: &Book, actions: &[(PathBuf, ActionFacts)]) -> Vec<Finding> {
    let mut seen = query::Seen::default();
    book.each_record(INCIDENTS, query::parse_incident, |_, parsed| {
        if let Ok((_, extras)) = parsed {
            seen.add(&extras);
        }
    });
    let mut found = Vec::new();
    for (path, f) in actions {
        for (cond, _, at) in &f.conds {
            let q = Query { conds: vec![cond.clone()], since: None, until: None };
            if let Err(Error::Usage(problem)) = q.check("incident", &query::INCIDENT_FIELDS, &seen.0) {
                found.push(check::unknown_field(path, *at, &problem));
            }
        }
    }
    found
}

/// Link every incident its customer's file does not link: the openings the journal still
/// holds, then any other incident (written by hand, or opened before the journal existed).
/// Streams: of each customer only its file is kept, and each incident it links as a hash
/// of that file and the incident's id (eight bytes a link); only the incidents to link are
/// held, which is rare.
fn fix(ctx: &Ctx) -> Result<()> {
    fix_merges(ctx)?;
    let book = &ctx.book;
    let by = ctx.by()?;
    let mut linked = book.complete_openings(by);
    // A customer id two files share is the last one's, as it has always been.
    let mut files: HashMap<String, PathBuf> = HashMap::new();
    let mut links: Vec<u64> = Vec::new();
    book.each_record(CUSTOMERS, yaml::parse::<Customer>, |path, parsed| {
        let Ok(c) = parsed else { return };
        let named = c.missteps.iter().filter_map(|e| e.incident.as_deref());
        let mut own: Vec<u64> =
            named.chain(c.flags.iter().filter_map(|f| f.incident.as_deref())).map(|i| link(path, i)).collect();
        own.sort_unstable();
        own.dedup();
        links.extend(own);
        files.insert(c.id, path.to_path_buf());
    });
    links.sort_unstable();
    links.dedup();
    links.shrink_to_fit();
    let mut unlinked: Vec<(PathBuf, Incident)> = Vec::new();
    book.each_incident(
        yaml::parse::<Incident>,
        |i| &i.id,
        |_, incident| {
            if let Some(path) = files.get(&incident.customer)
                && links.binary_search(&link(path, &incident.id)).is_err()
            {
                unlinked.push((path.clone(), incident));
            }
        },
    );
    drop((files, links));
    for (path, incident) in &unlinked {
        let by = incident.owner.as_deref().unwrap_or(by);
        let opening = crate::model::recovery::opening(incident, by, book.config.flag_days, &book.clock);
        // Read again under the customer's lock: a link added meanwhile is not doubled.
        if book.add_opening(path, &opening)? {
            linked.push(incident.id.clone());
        }
    }
    for id in &linked {
        ctx.ui.say(&format!("fixed: linked incident {id} to its customer's file (misstep and flag)"));
    }
    Ok(())
}

/// The customer merges a stopped run left unfinished, each completed with the choices it
/// was begun with (first, so that the incidents they move are linked after). One that
/// cannot be completed is said why, and stays a finding.
fn fix_merges(ctx: &Ctx) -> Result<()> {
    let (by, now) = (ctx.by()?, ctx.book.clock.now());
    for (merge, done) in ctx.book.complete_merges(by, now) {
        match done {
            Ok(m) => ctx.ui.say(&format!(
                "fixed: completed the merge of {} into {} ({} changes to its record, {} incidents re-pointed, {} removed)",
                merge.drop,
                merge.keep,
                m.changes,
                m.incidents,
                m.drop_file.display()
            )),
            Err(e) => ctx.ui.warn(&format!("could not complete the merge of {} into {}: {e}", merge.drop, merge.keep)),
        }
    }
    Ok(())
}

/// Customer merges begun and not finished (`Book::pending_merges`).
fn stopped_merges(book: &Book) -> Vec<Finding> {
    let merges = book.pending_merges();
    let file = |id: &str| book.customer_file(id).unwrap_or_else(|| book.customer_path(id));
    merges.iter().map(|m| check::stopped_merge(&file(&m.drop), &m.keep, &m.drop)).collect()
}

/// A customer's file linking an incident, in eight bytes. Two links sharing a hash (one in
/// 10^7 at a million links) would leave one incident unlinked until the next `--fix`.
fn link(customer_file: &std::path::Path, incident: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
    let mut h = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().build_hasher();
    customer_file.hash(&mut h);
    incident.hash(&mut h);
    h.finish()
}

/// The clone's hooks that do not run, or came from elsewhere (`hooks::audit`).
fn hooks(book: &Book) -> Vec<Finding> {
    crate::hooks::audit(book).into_iter().map(|(file, problem, message)| check::hook(&file, problem, message)).collect()
}

/// A book kept in git whose clone cannot merge records field by field: the first
/// afternoon two sites note the same customer, the pull conflicts.
fn merge_driver(book: &Book) -> Option<Finding> {
    git::work_tree(&book.root)?;
    let missing = if git::config(&book.root, "merge.care.driver").is_none() {
        "this clone has no merge driver for its records (git config merge.care.driver is not set)"
    } else if git::merge_attribute(&book.root, "customers/x.yaml").as_deref() != Some("care") {
        "its records are not marked `merge=care` in .gitattributes"
    } else if let Some(problem) = git::driver_problem(&book.root, book.settings.path.as_deref()) {
        return Some(merge_warning(book, format!("{problem}; run `care git setup` to register this care again")));
    } else {
        return None;
    };
    let message = format!(
        "the book is in git, but {missing}, so two sites' notes on one customer will conflict; run `care git setup`"
    );
    Some(merge_warning(book, message))
}

fn merge_warning(book: &Book, message: String) -> Finding {
    Finding {
        severity: Severity::Warning,
        file: book.path(CONFIG_FILE),
        line: 1,
        column: 1,
        code: "merge-driver",
        message,
    }
}

/// A record file parsed both ways a writer parses it (typed, and as the document it
/// edits), so that `check` reports every file a writer would refuse, with the writer's
/// message; one that does not parse is a finding.
fn read_one<T: DeserializeOwned>(path: &std::path::Path, text: &str) -> std::result::Result<Read<T>, Finding> {
    let parsed = yaml::parse::<T>(path, text).and_then(|record| yaml::Doc::parse(path, text).map(|_| record));
    match parsed {
        Ok(record) => Ok(Read { path: path.to_path_buf(), text: text.to_string(), record }),
        // A syntax error is told as the YAML parser sees it, not as a wrong field.
        Err(e) => match yaml::parse::<yaml::Value>(path, text) {
            Ok(_) => Err(check::unreadable(&e, true)),
            Err(syntax) => Err(check::unreadable(&syntax, false)),
        },
    }
}
