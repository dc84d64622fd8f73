//! The pages of `care serve --allow write` (docs/serve.md): find a customer, their card with
//! the forms that write to it, an incident with the card first and its next recovery step,
//! what is due for me. Plain HTML forms that work without JavaScript, phone first. Every
//! piece of record or typed text goes through `esc`; every form carries the session's CSRF
//! value. A form that was refused comes back with the command's own words beside it and
//! what was typed kept.

use crate::model::incident::Incident;
use crate::model::recovery::StepKind;
use crate::output::{Rows, Style};
use crate::report::briefing::Card;
use crate::report::page::{self, esc};

/// What every page of a signed-in person carries.
#[derive(Debug)]
pub struct Chrome<'a> {
    pub title: &'a str,
    /// Who is signed in, if anyone.
    pub who: Option<&'a str>,
    /// The session's CSRF value, for its forms (None: the page takes no writes).
    pub csrf: Option<&'a str>,
    /// What the last write saved.
    pub saved: Option<&'a str>,
    pub incognito: bool,
}

/// A form sent back: which one, the command's words, and what was typed.
#[derive(Debug, Default)]
pub struct Sent<'a> {
    pub form: &'a str,
    /// The refusal, or the lexicon's warnings on an apology not yet saved.
    pub said: Vec<String>,
    pub values: &'a [(String, String)],
    /// An apology with warnings, waiting to be confirmed.
    pub confirm: bool,
}

/// The values a form may offer as choices.
#[derive(Debug, Default, Clone)]
pub struct Choices {
    pub staff: Vec<String>,
    pub products: Vec<String>,
    pub locations: Vec<String>,
    pub channels: Vec<String>,
}

/// A page builder: its head, the chrome, and the body pushed onto it.
struct Html<'a> {
    h: String,
    chrome: &'a Chrome<'a>,
    sent: Option<&'a Sent<'a>>,
    /// Where what was said goes when its form is not on the page (a step already done).
    top: usize,
    shown: bool,
}

impl<'a> Html<'a> {
    fn new(chrome: &'a Chrome<'a>, heading: &str, sent: Option<&'a Sent<'a>>) -> Html<'a> {
        let mut h = page::head(chrome.title, None);
        h.push_str(
            "<nav><a href=\"/\">Host stand</a> · <a href=\"/customers\">Customers</a> · <a href=\"/due\">Due</a>",
        );
        if let Some(who) = chrome.who {
            h.push_str(&format!(" · <span class=\"muted\">signed in as {}</span>", esc(who)));
        }
        h.push_str("</nav>");
        h.push_str(&format!("<h1>{}</h1>", esc(heading)));
        if let Some(saved) = chrome.saved {
            h.push_str(&format!("<p class=\"saved\">{}</p>", lines(saved)));
        }
        let top = h.len();
        Html { h, chrome, sent, top, shown: false }
    }

    /// The typed value of a field of `form` when it comes back, else "".
    fn value(&self, form: &str, field: &str) -> String {
        self.sent
            .filter(|s| s.form == form)
            .and_then(|s| s.values.iter().find(|(k, _)| k == field))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// A form's opening, with its CSRF field and, when it comes back, what was said.
    fn open(&mut self, id: &str, action: &str, legend: &str) {
        self.h.push_str(&format!(
            "<form id=\"{}\" class=\"write\" method=\"post\" action=\"{}\"><fieldset><legend>{}</legend>",
            esc(id),
            esc(action),
            esc(legend)
        ));
        if let Some(csrf) = self.chrome.csrf {
            self.h.push_str(&format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(csrf)));
        }
        if let Some(sent) = self.sent.filter(|s| s.form == id) {
            self.shown = true;
            for said in &sent.said {
                self.h.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>", lines(said)));
            }
        }
    }

    fn close(&mut self, button: &str) {
        self.h.push_str(&format!("<button type=\"submit\">{}</button></fieldset></form>", esc(button)));
    }

    fn text(&mut self, form: &str, name: &str, label: &str, kind: &str, extra: &str) {
        let v = self.value(form, name);
        self.h.push_str(&format!(
            "<label>{} <input type=\"{kind}\" name=\"{name}\" value=\"{}\"{extra}></label>",
            esc(label),
            esc(&v)
        ));
    }

    fn area(&mut self, form: &str, name: &str, label: &str, required: bool) {
        let v = self.value(form, name);
        let req = if required { " required" } else { "" };
        self.h.push_str(&format!(
            "<label>{} <textarea name=\"{name}\" rows=\"3\" maxlength=\"4000\"{req}>{}</textarea></label>",
            esc(label),
            esc(&v)
        ));
    }

    /// A choice among the book's values, or none; a value typed before that the book does
    /// not list yet is kept as a choice.
    fn select(&mut self, form: &str, name: &str, label: &str, options: &[String], default: Option<&str>) {
        let typed = self.value(form, name);
        let chosen = if self.sent.is_some_and(|s| s.form == form) { typed.as_str() } else { default.unwrap_or("") };
        self.h.push_str(&format!("<label>{} <select name=\"{name}\"><option value=\"\">—</option>", esc(label)));
        let mut all: Vec<&str> = options.iter().map(String::as_str).collect();
        if !chosen.is_empty() && !all.contains(&chosen) {
            all.push(chosen);
        }
        for o in all {
            let sel = if o == chosen { " selected" } else { "" };
            self.h.push_str(&format!("<option value=\"{}\"{sel}>{}</option>", esc(o), esc(o)));
        }
        self.h.push_str("</select></label>");
    }

    fn end(mut self) -> String {
        if let Some(sent) = self.sent.filter(|_| !self.shown) {
            let said: String =
                sent.said.iter().map(|s| format!("<p class=\"error\" role=\"alert\">{}</p>", lines(s))).collect();
            self.h.insert_str(self.top, &said);
        }
        self.h.push_str("</body></html>\n");
        self.h
    }
}

/// Several lines of a message, each escaped.
fn lines(text: &str) -> String {
    text.lines().map(esc).collect::<Vec<_>>().join("<br>")
}

/// `/customers?q=`: who the text finds, and the form to add someone new.
pub fn search(chrome: &Chrome, q: &str, found: &[(String, String)], more: bool, sent: Option<&Sent>) -> String {
    let mut p = Html::new(chrome, "Customers", sent);
    page::search_box(&mut p.h, q);
    if !q.trim().is_empty() {
        if found.is_empty() {
            p.h.push_str(&format!("<p class=\"muted\">Nobody's name holds “{}”.</p>", esc(q.trim())));
        }
        p.h.push_str("<ul class=\"found\">");
        for (id, name) in found {
            p.h.push_str(&format!(
                "<li><a class=\"customer\" href=\"/customers/{}\">{}</a> <span class=\"muted\">{}</span></li>",
                esc(id),
                esc(name),
                esc(id)
            ));
        }
        p.h.push_str("</ul>");
        if more {
            p.h.push_str("<p class=\"muted\">More match; type more of the name.</p>");
        }
    }
    if chrome.csrf.is_some() {
        p.open("add", "/customers", "Add a customer");
        p.text("add", "name", "Name", "text", " required maxlength=\"200\"");
        p.text("add", "phone", "Phone", "tel", " maxlength=\"100\"");
        p.text("add", "email", "Email", "email", " maxlength=\"200\"");
        p.close("Add");
    }
    p.end()
}

/// `/customers/{id}`: the card, then every form that writes to it.
pub fn customer(chrome: &Chrome, card: &Card, choices: &Choices, sent: Option<&Sent>, style: &Style) -> String {
    let mut p = Html::new(chrome, &card.name, sent);
    page::card(&mut p.h, card, chrome.incognito, style);
    for i in &card.open_incidents {
        p.h.push_str(&format!(
            "<p><a class=\"incident\" href=\"/incidents/{}\">Incident {} — {}</a></p>",
            esc(&i.id),
            esc(&i.id),
            esc(i.summary.as_deref().unwrap_or(""))
        ));
    }
    if chrome.csrf.is_none() {
        return p.end();
    }
    let base = format!("/customers/{}", card.id);
    p.open("note", &format!("{base}/notes"), "Note what you learned");
    p.area("note", "text", "What", true);
    let kind = p.value("note", "kind");
    p.h.push_str("<label>Kind <select name=\"kind\">");
    for (v, label) in [("note", "Note"), ("pref", "Preference"), ("role", "Role"), ("goal", "Goal")] {
        let sel = if v == kind { " selected" } else { "" };
        p.h.push_str(&format!("<option value=\"{v}\"{sel}>{label}</option>"));
    }
    p.h.push_str("</select></label>");
    let checked = if p.value("note", "critical") == "on" { " checked" } else { "" };
    p.h.push_str(&format!(
        "<label class=\"check\"><input type=\"checkbox\" name=\"critical\"{checked}> Critical: nobody may miss it</label>"
    ));
    p.close("Save");

    p.open("flag", &format!("{base}/flags"), "Raise a flag");
    p.area("flag", "text", "What every colleague must know", true);
    p.text("flag", "until", "Until (a date, optional)", "date", "");
    p.close("Raise");
    for f in &card.flags {
        let id = format!("clear-{}", f.n);
        p.open(&id, &format!("{base}/flags/clear"), &format!("Flag {}: {}", f.n, f.text));
        p.h.push_str(&format!("<input type=\"hidden\" name=\"n\" value=\"{}\">", f.n));
        p.close("Clear this flag");
    }

    p.open("visit", &format!("{base}/visits"), "Record a visit");
    p.text("visit", "spend", "Spend", "number", " min=\"0\" step=\"0.01\" inputmode=\"decimal\"");
    p.text("visit", "party", "Party", "number", " min=\"1\" step=\"1\" inputmode=\"numeric\"");
    p.select("visit", "location", "Location", &choices.locations, None);
    p.select("visit", "staff", "Served by", &choices.staff, chrome.who);
    p.text("visit", "note", "Note", "text", " maxlength=\"2000\"");
    p.close("Record");

    p.open("incident", &format!("{base}/incidents"), "Something went wrong");
    p.area("incident", "what", "What happened", true);
    p.select("incident", "staff", "Staff", &choices.staff, None);
    p.select("incident", "product", "Product", &choices.products, None);
    p.select("incident", "location", "Location", &choices.locations, None);
    p.select("incident", "channel", "Channel", &choices.channels, None);
    p.text(
        "incident",
        "busyness",
        "Busyness (% of capacity)",
        "number",
        " min=\"0\" max=\"1000\" inputmode=\"numeric\"",
    );
    p.area("incident", "circumstances", "Circumstances", false);
    p.close("Open the incident");
    p.end()
}

/// The fields of a recovery step's form, after the note every step takes.
fn step_form(p: &mut Html, id: &str, action: &str, kind: StepKind) {
    let legend = match kind {
        StepKind::Apologize => "1. Apologize, sincerely, and ask for forgiveness",
        StepKind::Review => "2. Review the complaint with the customer",
        StepKind::Fix => "3a. Fix it",
        StepKind::Extra => "3b. Give something extra",
        StepKind::Close => "Close the incident",
    };
    p.open(id, action, legend);
    if kind == StepKind::Extra {
        p.text(id, "what", "What was given", "text", " required maxlength=\"500\"");
        p.text(id, "value", "Its value", "number", " min=\"0\" step=\"0.01\" inputmode=\"decimal\"");
    }
    let label = if kind == StepKind::Apologize { "What you said" } else { "Note (optional)" };
    p.area(id, "note", label, kind == StepKind::Apologize);
    let waiting = p.sent.is_some_and(|s| s.form == id && s.confirm);
    if waiting {
        p.h.push_str("<button type=\"submit\" name=\"confirm\" value=\"1\">Save as it is</button> ");
        p.close("Check again");
    } else {
        p.close("Record");
    }
}

/// `/incidents/{id}`: the customer's card first (so what is given suits them), the steps
/// done, and the form for the next one, the others folded below it.
pub fn incident(
    chrome: &Chrome,
    card: Option<&Card>,
    incident: &Incident,
    done: &[String],
    sent: Option<&Sent>,
    style: &Style,
) -> String {
    let heading = format!("Incident {}", incident.id);
    let mut p = Html::new(chrome, &heading, sent);
    match card {
        Some(card) => {
            page::card(&mut p.h, card, chrome.incognito, style);
            p.h.push_str(&format!("<p><a href=\"/customers/{}\">{}'s page</a></p>", esc(&card.id), esc(&card.name)));
        }
        None => {
            p.h.push_str(&format!("<p class=\"flag\">Customer {} is not in the book.</p>", esc(&incident.customer)))
        }
    }
    p.h.push_str(&format!("<p><b>What happened:</b> {}</p>", esc(incident.summary.as_deref().unwrap_or(""))));
    if !done.is_empty() {
        p.h.push_str("<ul class=\"done\">");
        done.iter().for_each(|d| p.h.push_str(&format!("<li>{}</li>", esc(d))));
        p.h.push_str("</ul>");
    }
    if chrome.csrf.is_none() {
        return p.end();
    }
    let todo: Vec<StepKind> = StepKind::ALL.into_iter().filter(|k| k.get(incident).is_none()).collect();
    let action = |k: StepKind| format!("/incidents/{}/{}", incident.id, k.verb());
    // A step sent for but recorded meanwhile (by someone else) keeps its form, and what was
    // typed in it, beside the refusal.
    let late = sent
        .and_then(|s| s.form.strip_prefix("step-"))
        .and_then(|v| StepKind::ALL.into_iter().find(|&k| k.verb() == v && !todo.contains(&k)));
    if let Some(k) = late {
        step_form(&mut p, &format!("step-{}", k.verb()), &action(k), k);
    }
    match todo.split_first() {
        Some((&next, rest)) => {
            step_form(&mut p, "step", &action(next), next);
            if !rest.is_empty() {
                p.h.push_str("<details><summary>Other steps</summary>");
                for &k in rest {
                    step_form(&mut p, &format!("step-{}", k.verb()), &action(k), k);
                }
                p.h.push_str("</details>");
            }
        }
        None => p.h.push_str("<p class=\"muted\">Every step is recorded.</p>"),
    }
    p.end()
}

/// `/due`: what is due for me, then everything due, each with a form to mark it done.
pub fn due(chrome: &Chrome, mine: &Rows, all: &Rows, sent: Option<&Sent>, style: &Style) -> String {
    let mut p = Html::new(chrome, "Follow-ups due", sent);
    if let Some(who) = chrome.who {
        p.h.push_str(&format!("<h2>For {}</h2>", esc(who)));
        due_list(&mut p, mine, style);
    }
    p.h.push_str("<h2>Everything due</h2>");
    due_list(&mut p, all, style);
    p.end()
}

fn due_list(p: &mut Html, rows: &Rows, style: &Style) {
    page::table(&mut p.h, rows, p.chrome.incognito, style);
    let Some(col) = rows.columns.iter().position(|c| c == "incident") else { return };
    if p.chrome.csrf.is_none() {
        return;
    }
    for row in &rows.rows {
        let id = crate::output::human(&Style { color: false, width: None, ..*style }, &row[col]);
        let form = format!("done-{id}");
        p.open(&form, "/followups/done", &format!("Done: {id}"));
        p.h.push_str(&format!("<input type=\"hidden\" name=\"id\" value=\"{}\">", esc(&id)));
        p.text(&form, "note", "What was said", "text", " maxlength=\"2000\"");
        p.close("Mark done");
    }
}

/// The page for a refusal of the whole request (a customer or incident not found).
pub fn missing(chrome: &Chrome, what: &str) -> String {
    let mut p = Html::new(chrome, "Not found", None);
    p.h.push_str(&format!("<p class=\"error\">{}</p>", lines(what)));
    page::search_box(&mut p.h, "");
    p.end()
}
