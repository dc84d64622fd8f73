//! The page `care serve` shows at the host stand: tonight's arrivals, each with the
//! briefing card (what nobody may miss first and highlighted, active flags, what went
//! wrong before), then the active flags and the follow-ups due. Plain HTML with a little
//! responsive CSS: no JavaScript, no build step, readable on a phone. Built from records
//! only; every piece of record text goes through `esc`, since records arrive by pulls,
//! imports and hand edits.

use crate::output::{Rows, Style, human};
use crate::report::briefing::Card;

/// Everything the page shows.
#[derive(Debug)]
pub struct Page<'a> {
    pub title: &'a str,
    pub cards: &'a [Card],
    /// Arrivals that name no customer (or more than one), with why.
    pub unknown: &'a [String],
    /// What of the arrivals could not be used: a file that cannot be read, a list cut short.
    pub notes: &'a [String],
    pub flags: &'a Rows,
    pub due: &'a Rows,
    /// The pasted list, shown back in the form.
    pub list: &'a str,
    pub token: Option<&'a str>,
    pub incognito: bool,
    pub refresh: u32,
    /// Who is signed in, when the page takes writes from them.
    pub who: Option<&'a str>,
}

/// Text made safe to put in HTML, in content or in a quoted attribute; control characters
/// are written out as on a terminal (`\u{1b}`), so no record's bytes reach a page raw.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::text::visible(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font:16px/1.4 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:.5rem 1rem;color:#111}\
h1{font-size:1.4rem}h2{font-size:1.15rem;border-bottom:1px solid #ccc}\
.card{border:1px solid #bbb;border-radius:.5rem;padding:.5rem .8rem;margin:.6rem 0}\
.card h3{margin:.2rem 0}.critical{background:#fde2e1;color:#8b0000;font-weight:bold;padding:.2rem .4rem;border-radius:.3rem;margin:.2rem 0}\
.flag{background:#fff3cd;padding:.2rem .4rem;border-radius:.3rem;margin:.2rem 0}.muted{color:#555;font-size:.9rem}\
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border-bottom:1px solid #ddd;padding:.25rem;text-align:left;vertical-align:top}\
.scroll{overflow-x:auto}textarea{width:100%;max-width:30rem;font:inherit}\
@media (max-width:40rem){body{font-size:15px;padding:.3rem .5rem}\
table,tbody,tr{display:block}tr{border-bottom:1px solid #ddd;padding:.3rem 0}td,th{display:inline;border:0;padding:0}\
td+td::before,th+th::before{content:\" · \";color:#888;font-weight:normal}}\
nav{font-size:.9rem;margin:.3rem 0}form.write fieldset{border:1px solid #bbb;border-radius:.5rem;margin:.8rem 0;padding:.5rem .8rem}\
form.write label{display:block;margin:.4rem 0}form.write input:not([type=checkbox]),form.write select,form.write textarea{display:block;width:100%;max-width:30rem;font:inherit;padding:.4rem;box-sizing:border-box}\
form.write label.check{display:flex;gap:.5rem;align-items:center}button{font:inherit;padding:.5rem 1rem;margin:.3rem 0;min-height:2.75rem}\
input[type=search]{font:inherit;padding:.4rem;width:100%;max-width:30rem;box-sizing:border-box}\
.saved{background:#e3f6e3;padding:.4rem .6rem;border-radius:.3rem}.error{background:#fde2e1;color:#8b0000;padding:.4rem .6rem;border-radius:.3rem}";

/// A page's head, opening its body: refreshed every `refresh` seconds when given (a page
/// with forms is not: a refresh would lose what is being typed).
pub fn head(title: &str, refresh: Option<u32>) -> String {
    let mut h = String::new();
    h.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    if let Some(r) = refresh {
        h.push_str(&format!("<meta http-equiv=\"refresh\" content=\"{r}\">"));
    }
    h.push_str(&format!("<title>{}</title><style>{CSS}</style>", esc(title)));
    h.push_str("<script src=\"/app.js\" defer></script></head><body>");
    h
}

/// The search box of every page that finds a customer.
pub fn search_box(h: &mut String, q: &str) {
    h.push_str(&format!(
        "<form class=\"find\" method=\"get\" action=\"/customers\" role=\"search\">\
         <label>Find a customer <input type=\"search\" name=\"q\" value=\"{}\" autocomplete=\"off\" \
         placeholder=\"any part of the name\"></label> <button type=\"submit\">Find</button></form>",
        esc(q)
    ));
}

/// The whole page.
pub fn html(p: &Page, style: &Style) -> String {
    let mut h = head(p.title, Some(p.refresh));
    h.push_str(&format!("<h1>{}</h1>", esc(p.title)));
    if let Some(who) = p.who {
        h.push_str(&format!(
            "<nav><a href=\"/customers\">Customers</a> · <a href=\"/due\">Due</a> · \
             <span class=\"muted\">signed in as {}</span></nav>",
            esc(who)
        ));
        search_box(&mut h, "");
    }
    h.push_str(&format!(
        "<p class=\"muted\">As of {}. Refreshes every {} s.</p>",
        esc(&style.clock.show(&style.clock.now())),
        p.refresh
    ));
    h.push_str("<h2>Tonight's arrivals</h2>");
    for n in p.notes {
        h.push_str(&format!("<p class=\"flag\">{}</p>", esc(n)));
    }
    if p.cards.is_empty() && p.unknown.is_empty() {
        h.push_str("<p class=\"muted\">No arrivals listed. Paste names or ids below, one a line.</p>");
    }
    for c in p.cards {
        card(&mut h, c, p.incognito, style);
    }
    for u in p.unknown {
        h.push_str(&format!("<p class=\"flag\">{}</p>", esc(u)));
    }
    h.push_str("<form method=\"get\" action=\"/\"><label for=\"list\">Arrivals (names or ids, one a line)</label><br>");
    h.push_str(&format!("<textarea id=\"list\" name=\"list\" rows=\"4\">{}</textarea>", esc(p.list)));
    if let Some(t) = p.token {
        h.push_str(&format!("<input type=\"hidden\" name=\"token\" value=\"{}\">", esc(t)));
    }
    h.push_str("<br><button type=\"submit\">Show</button></form>");
    h.push_str("<h2>Active flags</h2>");
    table(&mut h, p.flags, p.incognito, style);
    h.push_str("<h2>Follow-ups due</h2>");
    table(&mut h, p.due, p.incognito, style);
    h.push_str("</body></html>\n");
    h
}

pub fn card(h: &mut String, c: &Card, incognito: bool, style: &Style) {
    h.push_str(&format!(
        "<section class=\"card\"><h3>{} <span class=\"muted\">({})</span></h3>",
        esc(&c.name),
        esc(&c.id)
    ));
    for l in &c.remember {
        h.push_str(&format!("<p class=\"critical\">! {}</p>", esc(&l.text)));
    }
    for f in &c.flags {
        h.push_str(&format!("<p class=\"flag\">Flag: {}</p>", esc(&f.text)));
    }
    if !incognito {
        let facts: Vec<String> = [
            c.phone.clone(),
            c.email.clone(),
            c.lifetime_value.map(|v| format!("lifetime value {}", crate::model::amount::show(v))),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !facts.is_empty() {
            h.push_str(&format!("<p class=\"muted\">{}</p>", esc(&facts.join(" · "))));
        }
    }
    let list = |h: &mut String, title: &str, lines: &[&str]| {
        if !lines.is_empty() {
            h.push_str(&format!("<p><b>{title}</b></p><ul>"));
            lines.iter().for_each(|l| h.push_str(&format!("<li>{}</li>", esc(l))));
            h.push_str("</ul>");
        }
    };
    let texts = |v: &[crate::report::briefing::Line]| v.iter().map(|l| l.text.clone()).collect::<Vec<_>>();
    for (title, lines) in
        [("Preferences", &c.preferences), ("Roles", &c.roles), ("Goals", &c.goals), ("Notes", &c.notes)]
    {
        let texts = texts(lines);
        list(h, title, &texts.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let missteps = texts(&c.missteps);
    list(h, "What went wrong before", &missteps.iter().map(String::as_str).collect::<Vec<_>>());
    let open: Vec<String> = c
        .open_incidents
        .iter()
        .map(|i| format!("{} — {}", style.clock.show(&i.opened), i.summary.as_deref().unwrap_or("")))
        .collect();
    list(h, "Open incidents", &open.iter().map(String::as_str).collect::<Vec<_>>());
    h.push_str("</section>");
}

/// Columns an incognito page leaves out: how to reach people, and money.
const PRIVATE: [&str; 5] = ["contact", "phone", "email", "lifetime_value", "value"];

pub fn table(h: &mut String, rows: &Rows, incognito: bool, style: &Style) {
    if rows.rows.is_empty() {
        h.push_str("<p class=\"muted\">None.</p>");
        return;
    }
    let keep: Vec<usize> =
        (0..rows.columns.len()).filter(|&i| !(incognito && PRIVATE.contains(&rows.columns[i].as_str()))).collect();
    let plain = Style { color: false, width: None, ..*style };
    h.push_str("<div class=\"scroll\"><table><tr>");
    keep.iter().for_each(|&i| h.push_str(&format!("<th>{}</th>", esc(&rows.columns[i]))));
    h.push_str("</tr>");
    for row in &rows.rows {
        h.push_str("<tr>");
        for &i in &keep {
            let class = if matches!(row[i], crate::output::Cell::Alert(_)) { " class=\"critical\"" } else { "" };
            h.push_str(&format!("<td{class}>{}</td>", esc(&human(&plain, &row[i]))));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table></div>");
}
