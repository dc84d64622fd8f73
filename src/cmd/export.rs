//! `care export`: flat rows of everything, for spreadsheets and other tools.

use std::io::Write;

use crate::cmd::{Ctx, FilterArgs, parse_time, print_flags, report_problems};
use crate::error::{Error, Result};
use crate::model::{Customer, Section};
use crate::output::{Cell, Stream};
use crate::report::computed::Computed;
use crate::report::query::{self, Query, Seen};
use crate::report::{export, ics, subject};
use crate::{book, output};

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Customers,
    Incidents,
    Notes,
    Followups,
    Flags,
    /// A standalone SQLite database of every record (the tables of `care sql`) at FILE.
    Sqlite,
    /// Everything the book holds about one person, as one JSON document.
    Subject,
}

/// Flat rows of everything, one row per record or entry, in any format.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care export incidents > incidents.csv
  care export notes --format json | jq '.[] | select(.critical)'
  care export followups --excel > followups.csv
  care export followups --where location=uptown --since 2026-11-01    one site, one month
  care export sqlite book.db                  every record as SQLite tables (docs/sql.md)
  care export subject ada > ada.json          all the book holds about a person (docs/guide.md)
  care export subject ada --format csv --to ada/    the same as a folder of CSV files
Filters: --where on customer fields (customers, notes), incident fields (incidents,
followups) or both (flags); --since/--until on each row's own time. See docs/format.md.")]
pub struct Args {
    /// customers, incidents, notes (every entry of every customer), followups, flags,
    /// sqlite (a database file), or subject (one person: their record, entries, visits,
    /// reminders, flags, incidents, the actions naming them, other records mentioning them).
    #[arg(value_enum)]
    pub kind: Kind,
    /// For sqlite: the database file to write (replaced if it exists). For subject: the
    /// customer, by id or a unique part of the name.
    #[arg(value_name = "FILE|CUSTOMER")]
    pub target: Option<std::path::PathBuf>,
    /// For subject: write into this folder (created; refused if it exists and is not
    /// empty) instead of stdout: subject.json, or with --format csv one CSV file per section.
    #[arg(long, value_name = "DIR")]
    pub to: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// `format_given`: whether `--format` was on the command line (a subject is JSON unless
/// CSV is asked for by name, whatever the default for a pipe).
pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn Write, format_given: bool) -> Result<()> {
    if args.kind == Kind::Subject {
        return subject(ctx, args, format_given, out);
    }
    if let (Some(file), false) = (&args.target, args.kind == Kind::Sqlite) {
        return Err(Error::Usage(format!(
            "{}: only `export sqlite` writes a file; the other kinds print to stdout (redirect it with >)",
            file.display()
        )));
    }
    if let Some(dir) = &args.to {
        return Err(Error::Usage(format!(
            "--to {}: only `export subject` writes a folder; the other kinds print to stdout (redirect it with >)",
            dir.display()
        )));
    }
    if ctx.style.format == output::Format::Ics {
        return calendar(ctx, out);
    }
    let q = args.filter.query(|option, s| parse_time(ctx, option, s))?;
    match args.kind {
        Kind::Flags => print_flags(ctx, &q, true, out),
        Kind::Sqlite => sqlite(ctx, args),
        Kind::Subject => unreachable!("answered above"),
        Kind::Customers | Kind::Notes => customers(ctx, args.kind, &q, out),
        Kind::Incidents | Kind::Followups => incidents(ctx, args.kind, &q, out),
    }
}

/// Customers or their entries, printed as the book is read. A condition on a field that is
/// not a customer's own must be checked against every customer before anything is
/// printed (a typo is an error, not an empty result), so rows wait until some customer has
/// shown each such field; usually the first does.
fn customers(ctx: &Ctx, kind: Kind, q: &Query, out: &mut dyn Write) -> Result<()> {
    let (today, tz) = (ctx.book.clock.today(), ctx.book.clock.tz);
    let columns = match kind {
        Kind::Customers => export::columns(&export::CUSTOMER_COLUMNS, &[]),
        _ => export::columns(&export::NOTE_COLUMNS, &[]),
    };
    // A customer's own time is `since`; the notes' is each entry's, applied to each row.
    let by_entry = Query { since: None, until: None, ..q.clone() };
    let select = if kind == Kind::Notes { &by_entry } else { q };
    let mut seen = Seen::default();
    let mut waiting: Option<Vec<Vec<Cell>>> = Some(Vec::new());
    let mut stream: Option<Stream> = None;
    let mut failed = None;
    let mut errors = Vec::new();
    let mut out = Some(out);
    let walk = ctx.book.each_record(book::CUSTOMERS, query::customer_reader(q), |_, parsed| {
        let (customer, extras) = match parsed {
            Ok(record) => record,
            Err(e) => return errors.push(e),
        };
        seen.add(&extras);
        if failed.is_some() || !export::customer_selected(&customer, &extras, select, tz) {
            return;
        }
        let rows = match kind {
            Kind::Customers => vec![export::customer_row(&customer, today)],
            _ => export::note_rows(&customer, q),
        };
        if let Some(rows_so_far) = &mut waiting {
            rows_so_far.extend(rows);
            if q.check("customer", &query::CUSTOMER_FIELDS, &seen.0).is_err() {
                return;
            }
            let held = waiting.take().unwrap_or_default();
            let started = out.take().map(|w| Stream::new(w, &ctx.style, &columns));
            match started {
                Some(Ok(s)) => stream = Some(s),
                Some(Err(e)) => return failed = Some(e),
                None => return,
            }
            return failed = send(&mut stream, held).err();
        }
        failed = send(&mut stream, rows).err();
    });
    if let Some(e) = failed {
        return Err(e);
    }
    let stream = match (stream, out) {
        (Some(s), _) => s,
        (None, Some(w)) => {
            q.check("customer", &query::CUSTOMER_FIELDS, &seen.0)?;
            let mut s = Stream::new(w, &ctx.style, &columns)?;
            for row in waiting.unwrap_or_default() {
                s.row(row)?;
            }
            s
        }
        (None, None) => unreachable!("the output is either streaming or still held"),
    };
    super::finish_stream(ctx, stream)?;
    let problems: Vec<Error> = walk.into_iter().chain(errors).collect();
    report_problems(ctx, &problems)
}

fn send(stream: &mut Option<Stream>, rows: Vec<Vec<Cell>>) -> Result<()> {
    let Some(stream) = stream else { return Ok(()) };
    rows.into_iter().try_for_each(|row| stream.row(row))
}

/// `export followups --format ics`: every follow-up, done or not, as calendar events.
fn calendar(ctx: &Ctx, out: &mut dyn Write) -> Result<()> {
    let (book, loaded) = (&ctx.book, ctx.book.incidents());
    let items: Vec<ics::Item> = loaded.records.iter().flat_map(|(_, i)| ics::all(i)).collect();
    let (customers, mut problems) = book.customers_by_id(items.iter().map(|i| i.customer.as_str()), []);
    problems.splice(0..0, loaded.problems);
    let name = book.config.name.as_deref().unwrap_or("care");
    let text = ics::calendar(&format!("{name} follow-ups"), book.clock.tz.name(), &items, &customers, book.clock.now());
    output::print_calendar(out, &text)?;
    report_problems(ctx, &problems)
}

/// Incidents or their follow-ups, printed as the book is read. The columns end with every
/// extra field name of the book, so those are found first, in a first pass that keeps
/// only their names.
fn incidents(ctx: &Ctx, kind: Kind, q: &Query, out: &mut dyn Write) -> Result<()> {
    let tz = ctx.book.clock.tz;
    // From the files, not the index: the index keeps no words or values of the steps,
    // which these rows show.
    let mut seen = Seen::default();
    // `--where returned=…` and `extra_given=…` select by what is computed, then list it.
    let (computed, computed_problems) = Computed::asked(q, [], || ctx.book.visit_returns());
    ctx.book.each_incident(
        query::parse_incident,
        |(i, _)| &i.id,
        |_, (incident, mut extras)| {
            computed.add(&incident, &mut extras);
            seen.add(&extras);
        },
    );
    q.check("incident", &query::INCIDENT_FIELDS, &seen.0)?;
    let base: &[&str] = if kind == Kind::Incidents { &export::INCIDENT_COLUMNS } else { &export::FOLLOWUP_COLUMNS };
    let base_names = export::columns(base, &[]);
    let extra = seen.columns(&base_names);
    let mut stream = Stream::new(out, &ctx.style, &export::columns(base, &extra))?;
    let mut failed = None;
    let problems = ctx.book.each_incident(
        query::parse_incident,
        |(i, _)| &i.id,
        |_, (incident, mut extras)| {
            computed.add(&incident, &mut extras);
            if failed.is_some() || !export::incident_selected(&incident, &extras, q, tz) {
                return;
            }
            let rows = match kind {
                Kind::Incidents => export::incident_row(&incident, &extras, q, &extra).into_iter().collect(),
                _ => export::followup_rows(&incident, &extras, q, &extra),
            };
            failed = rows.into_iter().try_for_each(|row| stream.row(row)).err();
        },
    );
    if let Some(e) = failed {
        return Err(e);
    }
    let mut problems = problems;
    problems.extend(computed_problems);
    if kind == Kind::Followups {
        // The customers' reminders too: they are follow-ups of kind `reminder`.
        let clock = &ctx.book.clock;
        let with_reminders = |path: &std::path::Path, text: &str| {
            if text.contains("reminders:") { crate::yaml::parse::<Customer>(path, text).map(Some) } else { Ok(None) }
        };
        let walk = ctx.book.each_record(book::CUSTOMERS, with_reminders, |_, parsed| match parsed {
            Ok(Some(c)) if failed.is_none() => {
                let rows = export::reminder_rows(&c, q, clock, extra.len());
                failed = rows.into_iter().try_for_each(|row| stream.row(row)).err();
            }
            Ok(_) => {}
            Err(e) => problems.push(e),
        });
        problems.extend(walk);
        if let Some(e) = failed {
            return Err(e);
        }
    }
    super::finish_stream(ctx, stream)?;
    report_problems(ctx, &problems)
}

/// The whole book as a database file for other tools; filters do not apply (query it).
fn sqlite(ctx: &Ctx, args: &Args) -> Result<()> {
    let Some(file) = &args.target else {
        return Err(Error::Usage("export sqlite needs a FILE to write: care export sqlite book.db".into()));
    };
    let f = &args.filter;
    if !f.conds.is_empty() || f.since.is_some() || f.until.is_some() {
        return Err(Error::Usage(
            "export sqlite writes every record; filter with SQL once it is written (see docs/sql.md)".into(),
        ));
    }
    let answer = ctx.book.export_sqlite(file)?;
    answer.notes.iter().for_each(|n| ctx.ui.warn(n));
    report_problems(ctx, &answer.problems)
}

/// `export subject CUSTOMER`: one person's data, as a JSON document on stdout or in
/// `--to DIR`, or (`--format csv --to DIR`) a folder of CSV files cut from that document.
fn subject(ctx: &Ctx, args: &Args, format_given: bool, out: &mut dyn Write) -> Result<()> {
    let usage = |m: &str| Err(Error::Usage(m.into()));
    let Some(who) = args.target.as_deref() else {
        return usage("export subject needs the customer: care export subject ada");
    };
    let Some(who) = who.to_str() else { return usage("export subject: the customer must be given as UTF-8 text") };
    let f = &args.filter;
    if !f.conds.is_empty() || f.since.is_some() || f.until.is_some() {
        return usage("export subject exports everything about the person; --where, --since and --until do not apply");
    }
    let csv = format_given && ctx.style.format == output::Format::Csv;
    if format_given && ctx.style.format == output::Format::Tsv {
        return usage("export subject writes JSON, or with --format csv --to DIR a folder of CSV files");
    }
    if csv && args.to.is_none() {
        return usage("export subject --format csv writes a folder of CSV files: add --to DIR (a new or empty folder)");
    }
    let (doc, problems) = gather(ctx, who)?;
    let files: Vec<(&str, Vec<u8>)> = match (&args.to, csv) {
        (None, _) => {
            output::print_document(out, &ctx.style, &doc)?;
            return report_problems(ctx, &problems);
        }
        (Some(_), false) => {
            let mut text = Vec::new();
            output::print_document(&mut text, &ctx.style, &doc)?;
            vec![("subject.json", text)]
        }
        (Some(_), true) => subject::tables(&doc)
            .into_iter()
            .map(|(name, rows)| {
                let mut text = Vec::new();
                output::print(&mut text, &ctx.style, &rows).map(|()| (name, text))
            })
            .collect::<Result<_>>()?,
    };
    let dir = args.to.as_deref().unwrap_or(std::path::Path::new("."));
    book::write_new_folder(dir, &files)?;
    ctx.ui.say(&format!("wrote {} file(s) to {}", files.len(), dir.display()));
    report_problems(ctx, &problems)
}

/// Read all the book holds about the person named by `who` into the document, with the
/// files that could not be read (reported, the export still made of the rest).
fn gather(ctx: &Ctx, who: &str) -> Result<(serde_json::Value, Vec<Error>)> {
    use crate::model::Incident;
    use crate::model::action::Action;
    use crate::model::subject::Needles;
    use crate::yaml::{self, Value};
    let book = &ctx.book;
    let (path, customer) = book.find_customer(who)?;
    let record: Value = yaml::parse(&path, &book.read_text(&path)?)?;
    let relative = |p: &std::path::Path| p.strip_prefix(&book.root).unwrap_or(p).display().to_string();
    // Theirs: whatever names them as its customer, and whatever their record links to.
    let linked: std::collections::HashSet<&str> = Section::ALL
        .iter()
        .flat_map(|s| customer.entries(*s).iter().filter_map(|e| e.incident.as_deref()))
        .chain(customer.flags.iter().filter_map(|f| f.incident.as_deref()))
        .collect();
    let theirs = |i: &Incident| i.customer == customer.id || linked.contains(i.id.as_str());
    let (mut incidents, mut problems) = (Vec::new(), Vec::new());
    let unlisted = book.each_incident(
        |path, text| {
            let i: Incident = yaml::parse(path, text)?;
            let stored = if theirs(&i) { Some(yaml::parse::<Value>(path, text)?) } else { None };
            Ok((i, stored))
        },
        |(i, _)| &i.id,
        |path, (_, stored)| incidents.extend(stored.map(|v| (relative(path), v))),
    );
    problems.extend(unlisted);
    let ids: Vec<String> = incidents.iter().filter_map(|(_, v)| v.get("id")?.as_str().map(String::from)).collect();
    let mut actions = Vec::new();
    let unlisted = book.each_record(
        book::ACTIONS,
        |path, text| Ok((yaml::parse::<Action>(path, text)?, yaml::parse::<Value>(path, text)?)),
        |path, parsed| match parsed {
            Ok((a, stored)) => {
                let naming = a.naming(&customer.id, &ids);
                if !naming.is_empty() {
                    actions.push((relative(path), stored, naming));
                }
            }
            Err(e) => problems.push(e),
        },
    );
    problems.extend(unlisted);
    let needles = Needles::of(&customer);
    let mut mentions = Vec::new();
    let unlisted = book.each_record(book::CUSTOMERS, yaml::parse::<Value>, |other, parsed| match parsed {
        Ok(v) if v.get("id").and_then(Value::as_str) != Some(customer.id.as_str()) => {
            mentions.extend(subject::mentions(&relative(other), &v, &needles));
        }
        Ok(_) => {}
        Err(e) => problems.push(e),
    });
    problems.extend(unlisted);
    let name = book.config.name.clone().or_else(|| book.root.file_name().map(|n| n.to_string_lossy().into_owned()));
    let gathered = subject::Gathered {
        book: name.unwrap_or_default(),
        exported_at: book.clock.now(),
        file: relative(&path),
        record,
        customer,
        incidents,
        actions,
        mentions,
    };
    Ok((subject::document(&gathered, book.clock.today()), problems))
}
