//! `care serve`: a small read-only web page for the host stand (report/page.rs), served
//! by tiny_http on 127.0.0.1. Bound anywhere else (`--bind`) it answers only requests
//! carrying its token (`?token=` or `Authorization: Bearer`), since the page shows
//! customers' allergies, contacts and troubles. Nothing is ever written: arrivals come
//! from `--arrivals FILE` or a list pasted into the page's form, re-read on each request.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::cmd::Ctx;
use crate::error::{Error, Result};
use crate::report::{briefing, followups, page};

/// A read-only local web page for the host stand: arrivals with their cards, flags, follow-ups due.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  care serve --arrivals tonight.txt               http://127.0.0.1:8080/ on this machine
  care serve --bind 0.0.0.0 --incognito           on the network: a token is printed; no contacts or money
  care serve --port 0                             any free port; the address is printed on stderr")]
pub struct Args {
    /// Tonight's arrivals: customer names or ids, one a line (re-read on every refresh).
    #[arg(long, value_name = "FILE")]
    pub arrivals: Option<PathBuf>,
    /// The address to listen on (default 127.0.0.1); any other needs the token.
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
    /// The port (0: any free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// The token requests must carry when bound elsewhere (default: a random one, printed).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Hide contact details and money (for a screen guests may see).
    #[arg(long)]
    pub incognito: bool,
    /// Seconds between the page's own refreshes.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub refresh: u32,
}

pub fn run(ctx: &Ctx, args: &Args) -> Result<()> {
    let host = args.bind.clone().unwrap_or_else(|| "127.0.0.1".into());
    let token = match (&args.bind, &args.token) {
        (_, Some(t)) if !t.trim().is_empty() => Some(t.trim().to_string()),
        (Some(_), _) => Some(format!("{:016x}{:016x}", crate::model::id::random(), crate::model::id::random())),
        (None, _) => None,
    };
    let server = tiny_http::Server::http((host.as_str(), args.port))
        .map_err(|e| Error::Refused(format!("cannot listen on {host}:{}: {e}; try another --port", args.port)))?;
    let addr = server.server_addr().to_ip().map(|a| a.to_string()).unwrap_or_else(|| format!("{host}:{}", args.port));
    let query = token.as_ref().map(|t| format!("?token={t}")).unwrap_or_default();
    ctx.ui.say(&format!("serving http://{addr}/{query} (read-only; Ctrl-C to stop)"));
    for request in server.incoming_requests() {
        let (status, body) = answer(ctx, args, token.as_deref(), &request);
        let mut response = tiny_http::Response::from_string(body).with_status_code(status);
        for h in [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ] {
            if let Ok(h) = tiny_http::Header::from_bytes(h.0, h.1) {
                response.add_header(h);
            }
        }
        let _ = request.respond(response);
    }
    Ok(())
}

/// Status and page for one request.
fn answer(ctx: &Ctx, args: &Args, token: Option<&str>, request: &tiny_http::Request) -> (u16, String) {
    let (path, query) = request.url().split_once('?').unwrap_or((request.url(), ""));
    let params: HashMap<String, String> =
        query.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect();
    if let Some(t) = token {
        let bearer = request
            .headers()
            .iter()
            .find(|h| h.field.equiv("Authorization"))
            .and_then(|h| h.value.as_str().strip_prefix("Bearer ").map(str::to_string));
        match params.get("token").cloned().or(bearer) {
            None => {
                return (
                    401,
                    "<p>401: this page needs its token (<code>?token=…</code>, printed when care serve started).</p>"
                        .into(),
                );
            }
            Some(given) if given != t => return (403, "<p>403: wrong token.</p>".into()),
            Some(_) => {}
        }
    }
    if path != "/" {
        return (404, "<p>404: nothing here; the page is at /</p>".into());
    }
    match render(ctx, args, token, params.get("list").map(String::as_str)) {
        Ok(html) => (200, html),
        Err(e) => (500, format!("<p>{}</p>", page::esc(&e.to_string()))),
    }
}

fn render(ctx: &Ctx, args: &Args, token: Option<&str>, pasted: Option<&str>) -> Result<String> {
    let book = &ctx.book;
    let list = match (pasted, &args.arrivals) {
        (Some(l), _) => l.to_string(),
        (None, Some(f)) => crate::cmd::read_input(&ctx.ui, f)?,
        (None, None) => String::new(),
    };
    let today = book.clock.today();
    let (mut cards, mut unknown) = (Vec::new(), Vec::new());
    for name in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match book.find_customer(name) {
            Ok((_, c)) => {
                let (incidents, _) = book.linked_incidents(&c);
                cards.push(briefing::card(&c, incidents.iter(), today));
            }
            Err(e) => unknown.push(format!("{name}: {e}")),
        }
    }
    // As `flags` and `followup due` list them: the customers are streamed and only those
    // with flags kept, and only the customers of what is due are read.
    let (flag_rows, _) = super::flag_rows(ctx, &super::FilterArgs::default(), false)?;
    let now = book.clock.now();
    let window = followups::Window { at: now, until: now, overdue_only: false, policy: None };
    let (q, tz) = (crate::report::query::Query::default(), book.clock.tz);
    let (parts, _) = book.fold_incidents(Vec::new, |found, incident, extras| {
        let view = crate::report::query::IncidentView { incident, extras: Some(extras), tz };
        found.extend(followups::due_in(view, &window, &q))
    });
    // What `followup due` lists now: the incidents' follow-ups, the customers' reminders
    // and the checks of corrective actions.
    let mut found: Vec<followups::Due> = parts.into_iter().flatten().collect();
    let (reminders, with_reminders, _) = super::reminders_due(ctx, &window, &q);
    found.extend(reminders);
    found.extend(super::verifications_due(ctx, &window, &q).0.into_iter().map(|(_, d)| d));
    let (by_id, _) = super::customers_of(ctx, &found, with_reminders);
    let due = followups::rows(found, &by_id, &window, &[]);
    let title = format!("{} — host stand", book.config.name.as_deref().unwrap_or("care"));
    let p = page::Page {
        title: &title,
        cards: &cards,
        unknown: &unknown,
        flags: &flag_rows,
        due: &due,
        list: pasted.unwrap_or(""),
        token,
        incognito: args.incognito,
        refresh: args.refresh.max(5),
    };
    Ok(page::html(&p, &ctx.style))
}

/// A query-string value as typed: `+` is a space, `%XX` a byte.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() && u8::from_str_radix(s.get(i + 1..i + 3).unwrap_or(""), 16).is_ok() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
