//! The pages of `care serve` beyond the host stand (docs/serve.md): finding a customer, a
//! customer's card with its forms, an incident with its next step, what is due for me.
//! A card or an incident is read from the book on request; what lists the whole book comes
//! from `lists`. Ids in paths are checked as the book checks ids, so `/customers/..%2F..`
//! names no file.

use super::Args;
use super::lists::Shared;
use crate::cmd::Ctx;
use crate::model::id;
use crate::output::{Cell, Rows};
use crate::report::briefing;
use crate::report::forms::{self, Chrome, Sent};
use crate::web::{self, Ask, Reply};

/// Customers listed for a search at most: a name typed is a few letters, not a report.
pub const MAX_FOUND: usize = 50;

/// The chrome of a page for this request: who is signed in, and the CSRF value for its
/// forms when the page takes writes from them.
pub fn chrome<'a>(ctx: &'a Ctx, args: &Args, ask: &'a Ask) -> Chrome<'a> {
    let writes = args.allow.is_some() && !args.incognito;
    Chrome {
        title: ctx.book.config.name.as_deref().unwrap_or("care"),
        who: ask.who.as_ref().map(|w| w.staff.as_str()),
        csrf: ask.who.as_ref().and_then(|w| w.csrf.as_deref()).filter(|_| writes),
        saved: ask.saved.as_deref(),
        incognito: args.incognito,
    }
}

/// A page other than `/`.
pub fn page(ctx: &Ctx, args: &Args, lists: &Shared, ask: &Ask) -> Reply {
    let parts: Vec<&str> = ask.path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["customers"] => search(ctx, args, lists, ask, None),
        ["customers", id] => customer(ctx, args, lists, ask, id, None),
        ["incidents", id] => incident(ctx, args, ask, id, None),
        ["due"] => due(ctx, args, lists, ask),
        _ => Reply::page(404, web::message("404: nothing here; the page is at /").0),
    }
}

/// `/customers?q=`: every customer whose name or id holds the text, folded as ids are
/// (accents and case ignored).
pub fn search(ctx: &Ctx, args: &Args, lists: &Shared, ask: &Ask, sent: Option<&Sent>) -> Reply {
    let q = ask.query.iter().find(|(k, _)| k == "q").map(|(_, v)| v.as_str()).unwrap_or("");
    let (found, more) = lists.get(&ctx.book).find(q, MAX_FOUND);
    let status = if sent.is_some() { 422 } else { 200 };
    Reply::page(status, forms::search(&chrome(ctx, args, ask), q, &found, more, sent))
}

/// `/customers/{id}`: the card and its forms; `sent` is a form that comes back.
pub fn customer(ctx: &Ctx, args: &Args, lists: &Shared, ask: &Ask, id: &str, sent: Option<&Sent>) -> Reply {
    let book = &ctx.book;
    let found = id::check_customer_id(id)
        .ok()
        .filter(|_| book.customer_path(id).is_file())
        .and_then(|_| book.find_customer(id).ok());
    let Some((_, c)) = found else {
        return Reply::page(404, forms::missing(&chrome(ctx, args, ask), &format!("No customer has the id {id:?}.")));
    };
    let (incidents, _) = book.linked_incidents(&c);
    let card = briefing::card(&c, incidents.iter(), book.clock.today());
    let status = if sent.is_some_and(|s| !s.confirm) { 422 } else { 200 };
    let lists = lists.get(book);
    Reply::page(status, forms::customer(&chrome(ctx, args, ask), &card, &lists.choices, sent, &ctx.style))
}

/// `/incidents/{id}`: the customer's card first, the steps done, the next step's form.
pub fn incident(ctx: &Ctx, args: &Args, ask: &Ask, id: &str, sent: Option<&Sent>) -> Reply {
    let book = &ctx.book;
    let found = id::check_incident_id(id)
        .ok()
        .filter(|_| book.incident_path(id).is_file())
        .and_then(|_| book.find_incident(id).ok());
    let Some((_, incident)) = found else {
        return Reply::page(404, forms::missing(&chrome(ctx, args, ask), &format!("No incident has the id {id:?}.")));
    };
    let customer = book.find_customer(&incident.customer).ok().map(|(_, c)| c);
    let card = customer.as_ref().map(|c| briefing::card(c, [&incident], book.clock.today()));
    let clock = &book.clock;
    let done: Vec<String> = crate::model::recovery::StepKind::ALL
        .into_iter()
        .filter_map(|k| {
            let s = k.get(&incident)?;
            let what = s.what.as_deref().map(|w| format!(": {w}")).unwrap_or_default();
            let note = s.note.as_deref().map(|n| format!(" — {n}")).unwrap_or_default();
            Some(format!("{} {} by {}{what}{note}", k.field(), clock.show(&s.at), s.by))
        })
        .collect();
    let status = if sent.is_some_and(|s| !s.confirm) { 422 } else { 200 };
    let html = forms::incident(&chrome(ctx, args, ask), card.as_ref(), &incident, &done, sent, &ctx.style);
    Reply::page(status, html)
}

/// `/due`: what is due on incidents I own (the rows whose owner is me), then everything due.
pub fn due(ctx: &Ctx, args: &Args, lists: &Shared, ask: &Ask) -> Reply {
    let lists = lists.get(&ctx.book);
    let all = &lists.due;
    let mut mine = Rows { columns: all.columns.clone(), rows: Vec::new() };
    if let (Some(w), Some(owner)) = (&ask.who, all.columns.iter().position(|c| c == "owner")) {
        let me = |cell: &Cell| matches!(cell, Cell::Text(o) | Cell::Alert(o) if o.eq_ignore_ascii_case(&w.staff));
        mine.rows = all.rows.iter().filter(|r| r.get(owner).is_some_and(me)).cloned().collect();
    }
    Reply::page(200, forms::due(&chrome(ctx, args, ask), &mine, all, None, &ctx.style))
}
