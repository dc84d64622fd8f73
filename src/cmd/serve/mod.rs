//! `care serve`: a small web page for the host stand (report/page.rs), served by `web`
//! (hyper and axum) on 127.0.0.1. Bound anywhere else (`--bind`) it answers only requests
//! carrying its token (`?token=` or `Authorization: Bearer`) or a staff member's session,
//! since the page shows customers' allergies, contacts and troubles, and only to the names
//! it was started for (`--host`). Arrivals come from `--arrivals FILE` or a list pasted into
//! the page's form, re-read on each request. With `--allow write`, staff signed in with
//! their own link (`token.rs`) write from the floor: `pages.rs` shows the forms
//! (docs/serve.md), `writes.rs` runs each as the command it stands for.

use std::path::PathBuf;

use crate::book::Book;
use crate::cmd::Ctx;
use crate::error::{Error, Result};
use crate::model::customer::{self, Customer, Pick};
use crate::model::id;
use crate::report::query::{IncidentView, Query};
use crate::report::{briefing, due, followups, page};
use crate::web::{self, arrivals};

mod lists;
mod pages;
pub mod token;
mod writes;

/// A read-only local web page for the host stand: arrivals with their cards, flags, follow-ups due.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
#[command(after_help = "\
Examples:
  care serve --arrivals tonight.txt               http://127.0.0.1:8080/ on this machine
  care serve --bind 0.0.0.0 --incognito           on the network: a token is printed; no contacts or money
  care serve --bind 0.0.0.0 --host care.local     also answer to the name care.local
  care serve --port 0                             any free port; the address is printed on stderr
  care serve token add billy                      billy's link (and a QR code) to write from a phone
  care serve --bind 0.0.0.0 --allow write         take notes, flags, incidents from signed-in staff")]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Tonight's arrivals: customer names or ids, one a line (re-read on every refresh).
    #[arg(long, value_name = "FILE")]
    pub arrivals: Option<PathBuf>,
    /// The address to listen on (default 127.0.0.1); bound with it, requests need the token.
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
    /// The port (0: any free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// The token requests must carry when bound with --bind, at least 16 characters
    /// (default: a random one, printed).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Another name the page answers to (repeatable), e.g. the machine's name on the LAN;
    /// besides localhost and the bound address, any other name is refused.
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,
    /// Hide contact details and money (for a screen guests may see).
    #[arg(long)]
    pub incognito: bool,
    /// Seconds between the page's own refreshes.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub refresh: u32,
    /// `write`: staff signed in with their link (`care serve token add NAME`) may write:
    /// notes, preferences, flags, visits, incidents and their steps, follow-ups done.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub allow: Option<Allow>,
}

/// What the page may do besides showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Allow {
    /// Take writes from signed-in staff.
    Write,
}

/// `care serve token …`: the links staff write through.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Links for staff: a secret per person, with which the page writes as them.
    #[command(subcommand)]
    #[command(after_help = "\
Examples:
  care serve token add billy       billy's link, and a QR code on a terminal
  care serve token list            who has a link, since when
  care serve token revoke billy    the link stops working at once")]
    Token(token::Command),
}

pub fn run(ctx: &Ctx, args: &Args, out: &mut dyn std::io::Write) -> Result<()> {
    if let Some(Command::Token(c)) = &args.command {
        return token::run(ctx, c, out);
    }
    let token = web::guard::token(args.token.as_deref(), args.bind.is_some())?;
    let opts = web::Options {
        bind: args.bind.as_deref(),
        port: args.port,
        hosts: &args.hosts,
        token: token.clone(),
        host_name: ctx.book.settings.host.as_deref(),
        writes: match (args.allow, args.incognito) {
            (None, _) => web::Writes::Off,
            (Some(Allow::Write), true) => web::Writes::Incognito,
            (Some(Allow::Write), false) => web::Writes::On,
        },
        root: ctx.book.root.clone(),
    };
    if args.allow.is_some() && args.incognito {
        ctx.ui.warn("--incognito: the page takes no writes (a screen guests may see); --allow write is ignored");
    }
    let server = web::Server::bind(&opts)?;
    // `-` is read once, now: stdin has nothing more for a second request.
    let stdin = match &args.arrivals {
        Some(f) if f.as_os_str() == "-" => Some(crate::cmd::read_input(&ctx.ui, f)?),
        Some(f) => {
            if let Err(why) = arrivals::read(f) {
                ctx.ui.warn(&format!("{why}; the page shows flags and follow-ups until it can be read"));
            }
            None
        }
        None => None,
    };
    // Read before the address is printed: the first page is as quick as the next.
    let lists = lists::Shared::new(&ctx.book)?;
    let query = token.as_ref().map(|t| format!("?token={}", encode(t))).unwrap_or_default();
    let mode = if opts.writes == web::Writes::On { "staff write with their links" } else { "read-only" };
    ctx.ui.say(&format!("serving {}{query} ({mode}; Ctrl-C to stop)", server.url()));
    let (root, settings, style, staff) = (&ctx.book.root, &ctx.book.settings, ctx.style, &ctx.staff);
    let background = Book::open(root.clone(), settings)?;
    std::thread::spawn({
        let lists = lists.clone();
        move || lists.keep_fresh(&background)
    });
    server.run(|| {
        // Each worker thread reads the book through its own context.
        let ctx = Ctx {
            book: Book::open(root.clone(), settings)?,
            ui: crate::ui::Ui::terminal(),
            style,
            staff: staff.clone(),
        };
        let (stdin, token) = (stdin.clone(), token.clone());
        let lists = lists.clone();
        Ok(move |ask: &web::Ask| {
            if ask.post {
                return writes::write(&ctx, args, &lists, ask);
            }
            if ask.path != "/" {
                return pages::page(&ctx, args, &lists, ask);
            }
            web::Reply::page(200, render(&ctx, args, token.as_deref(), stdin.as_deref(), &lists, ask))
        })
    })
}

/// A token as it goes in the printed URL's query.
fn encode(t: &str) -> String {
    t.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// The page for a list of arrivals; `notes` say what of the list could not be used.
fn render(
    ctx: &Ctx,
    args: &Args,
    token: Option<&str>,
    stdin: Option<&str>,
    lists: &lists::Shared,
    ask: &web::Ask,
) -> String {
    let pasted = ask.query.iter().find(|(k, _)| k == "list").map(|(_, v)| v.as_str());
    let (list, note) = match (pasted, &args.arrivals, stdin) {
        (Some(l), _, _) => (l.to_string(), None),
        (None, _, Some(s)) => (s.to_string(), None),
        (None, Some(f), None) => arrivals::read(f).map_or_else(|why| (String::new(), Some(why)), |l| (l, None)),
        (None, None, None) => (String::new(), None),
    };
    let book = &ctx.book;
    let today = book.clock.today();
    let (names, cut) = arrivals::names(&list);
    let notes: Vec<String> = note.into_iter().chain(cut).collect();
    let (mut cards, mut unknown) = (Vec::new(), Vec::new());
    for (name, found) in names.iter().zip(find_all(book, &names)) {
        match found {
            Ok(c) => {
                let (incidents, _) = book.linked_incidents(&c);
                cards.push(briefing::card(&c, incidents.iter(), today));
            }
            Err(e) => unknown.push(format!("{name}: {e}")),
        }
    }
    let lists = lists.get(book);
    let title = format!("{} — host stand", book.config.name.as_deref().unwrap_or("care"));
    let p = page::Page {
        title: &title,
        cards: &cards,
        unknown: &unknown,
        notes: &notes,
        flags: &lists.flags,
        due: &lists.due,
        list: pasted.unwrap_or(""),
        token,
        incognito: args.incognito,
        refresh: args.refresh.max(5),
        who: ask.who.as_ref().map(|w| w.staff.as_str()),
    };
    page::html(&p, &ctx.style)
}

/// What `followup due` lists now, as rows: the incidents' follow-ups, the customers'
/// reminders and the checks of corrective actions that `q` selects.
fn due_rows(book: &Book, q: &Query) -> crate::output::Rows {
    let tz = book.clock.tz;
    let now = book.clock.now();
    let window = followups::Window { at: now, until: now, overdue_only: false, policy: None };
    let (parts, _) = book.fold_incidents(Vec::new, |found, incident, extras| {
        let view = IncidentView { incident, extras: Some(extras), tz };
        found.extend(followups::due_in(view, &window, q))
    });
    // What `followup due` lists now: the incidents' follow-ups, the customers' reminders
    // and the checks of corrective actions.
    let mut found: Vec<followups::Due> = parts.into_iter().flatten().collect();
    let (with_reminders, _) = book.customers_folded_values(true, |c, _| Some(c));
    let (reminders, with_reminders) = due::reminders(with_reminders, &window, q, &book.clock);
    found.extend(reminders);
    let actions = book.actions().records.into_iter().map(|(_, a)| a);
    found.extend(due::verifications(actions, &window, q, &book.clock).into_iter().map(|(_, d)| d));
    let (by_id, _) = book.customers_by_id(found.iter().map(|d| d.customer.as_str()), with_reminders);
    followups::rows(found, &by_id, &window, &[])
}

/// The customers a list names, each found as `Book::find_customer` finds one (an id
/// directly, else `customer::pick`), but with the customers read at most once for the whole
/// list: 200 names that match no id read every customer 200 times (31 s for a 200-customer
/// book in a debug build).
fn find_all(book: &Book, names: &[&str]) -> Vec<Result<Customer>> {
    let mut all = None;
    let mut found = Vec::with_capacity(names.len());
    for name in names {
        if id::check_customer_id(name).is_ok() && book.customer_path(name).is_file() {
            found.push(book.find_customer(name).map(|(_, c)| c));
            continue;
        }
        let loaded = all.get_or_insert_with(|| book.customers());
        let customers: Vec<&Customer> = loaded.records.iter().map(|(_, c)| c).collect();
        found.push(match customer::pick(name, &customers) {
            Pick::One(i) => Ok(customers[i].clone()),
            Pick::Many(many) => Err(Error::Ambiguous {
                what: "customer",
                input: name.to_string(),
                candidates: many.iter().map(|&i| format!("{}  ({})", customers[i].id, customers[i].name)).collect(),
            }),
            Pick::None => Err(Error::NotFound(format!("no customer matches {name:?}"))),
        });
    }
    found
}
