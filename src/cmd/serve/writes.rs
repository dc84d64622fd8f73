//! The page's writes (docs/serve.md), each run as the command it stands for: the form's
//! fields become that command's words (`care note ID TEXT --pref --critical`), parsed by the
//! same clap definitions and run by the same dispatch, in-process with its messages
//! captured, as the signed-in person (`--as NAME`). So the page locks, writes, runs hooks,
//! commits and refuses exactly as the command line does, in the same words, and no rule is
//! written twice. Options are passed as `--name=value` and the positional words after `--`,
//! so nothing typed into a field can become an option. Times are never taken from the
//! form: each command stamps its write with the server's clock.

use clap::Parser;

use super::Args;
use super::lists::Shared;
use super::pages;
use crate::cli::Cli;
use crate::cmd::Ctx;
use crate::model::{id, lexicon, recovery::StepKind};
use crate::report::forms::Sent;
use crate::ui::Ui;
use crate::web::{self, Ask, Reply};

/// A write, answered: the page to go to with what was saved, or the form back with why.
pub fn write(ctx: &Ctx, args: &Args, lists: &Shared, ask: &Ask) -> Reply {
    let Some(who) = &ask.who else {
        return Reply::page(403, web::message("403: sign in first: open your own link.").0);
    };
    let field = |name: &str| {
        ask.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty()).map(str::to_string)
    };
    let option = |name: &str, value: Option<String>| value.map(|v| format!("--{name}={v}"));
    let parts: Vec<&str> = ask.path.trim_start_matches('/').split('/').collect();
    // The form's words, the form on the page it came from, and where to go after it.
    let (words, form, back): (Vec<Option<String>>, String, Back) = match parts.as_slice() {
        ["customers"] => (
            vec![
                Some("customer".into()),
                Some("add".into()),
                option("phone", field("phone")),
                option("email", field("email")),
                Some("--".into()),
                Some(field("name").unwrap_or_default()),
            ],
            "add".into(),
            Back::Search,
        ),
        ["customers", c, what @ ..] if known_customer(ctx, c) => {
            let c = c.to_string();
            let back = Back::Customer(c.clone());
            match what {
                ["notes"] => {
                    let kind = match field("kind").as_deref() {
                        None | Some("note") => None,
                        Some(k @ ("pref" | "role" | "goal")) => Some(format!("--{k}")),
                        Some(other) => return refused(ctx, args, lists, ask, "note", back, kind_error(other)),
                    };
                    let critical = field("critical").filter(|v| v == "on" || v == "1").map(|_| "--critical".into());
                    let text = field("text").unwrap_or_default();
                    (
                        vec![Some("note".into()), kind, critical, Some("--".into()), Some(c), Some(text)],
                        "note".into(),
                        back,
                    )
                }
                ["flags"] => (
                    vec![
                        Some("flag".into()),
                        option("until", field("until")),
                        Some("--".into()),
                        Some(c),
                        Some(field("text").unwrap_or_default()),
                    ],
                    "flag".into(),
                    back,
                ),
                ["flags", "clear"] => {
                    let n = field("n").unwrap_or_default();
                    let form = format!("clear-{n}");
                    (vec![Some("flag".into()), Some("--clear".into()), Some("--".into()), Some(c), Some(n)], form, back)
                }
                ["visits"] => {
                    let mut w = vec![Some("visit".into())];
                    w.extend(["spend", "party", "location", "staff", "note"].map(|f| option(f, field(f))));
                    w.extend([Some("--".into()), Some(c)]);
                    (w, "visit".into(), back)
                }
                ["incidents"] => {
                    let mut w = vec![Some("recover".into()), Some("open".into())];
                    w.push(Some(format!("--what={}", field("what").unwrap_or_default())));
                    let fields = ["staff", "product", "location", "channel", "busyness", "circumstances"];
                    w.extend(fields.map(|f| option(f, field(f))));
                    w.extend([Some("--".into()), Some(c)]);
                    (w, "incident".into(), back)
                }
                _ => return not_found(),
            }
        }
        ["incidents", i, step] if known_incident(ctx, i) => {
            let Some(kind) = StepKind::ALL.into_iter().find(|k| k.verb() == *step) else { return not_found() };
            let form = step_form(ctx, i, kind);
            let back = Back::Incident(i.to_string());
            let note = field("note");
            if kind == StepKind::Apologize && field("confirm").is_none() {
                let said = warnings(ctx, note.as_deref().unwrap_or(""));
                if !said.is_empty() {
                    let sent = Sent { form: &form, said, values: &ask.form, confirm: true };
                    return back.page(ctx, args, lists, ask, &sent);
                }
            }
            let mut w = vec![Some("recover".into()), Some((*step).into())];
            if kind == StepKind::Extra {
                w.push(Some(format!("--what={}", field("what").unwrap_or_default())));
                w.push(option("value", field("value")));
            }
            w.extend([Some("--".into()), Some(i.to_string()), note]);
            (w, form, back)
        }
        ["followups", "done"] => {
            let id = field("id").unwrap_or_default();
            let words =
                vec![Some("followup".into()), Some("done".into()), Some("--".into()), Some(id.clone()), field("note")];
            (words, format!("done-{id}"), Back::Due)
        }
        _ => return not_found(),
    };
    let words: Vec<String> = words.into_iter().flatten().collect();
    match run(ctx, &who.staff, &words) {
        Ok((out, said)) => {
            lists.changed();
            let made = out.lines().next().unwrap_or("").trim().to_string();
            let (to, saved) = match &back {
                Back::Search => (format!("/customers/{made}"), format!("Added {made}.")),
                Back::Customer(c) if words[0] == "recover" => {
                    (format!("/incidents/{made}"), format!("Opened incident {made} for {c}.{}", warned(&said)))
                }
                Back::Customer(c) => (format!("/customers/{c}"), said),
                Back::Incident(i) => (format!("/incidents/{i}"), said),
                Back::Due => ("/due".into(), said),
            };
            Reply { status: 303, html: String::new(), go: Some((to, saved)) }
        }
        Err(why) => refused(ctx, args, lists, ask, &form, back, why),
    }
}

/// The page a form lives on, to show it again.
enum Back {
    Search,
    Customer(String),
    Incident(String),
    Due,
}

impl Back {
    fn page(&self, ctx: &Ctx, args: &Args, lists: &Shared, ask: &Ask, sent: &Sent) -> Reply {
        match self {
            Back::Search => pages::search(ctx, args, lists, ask, Some(sent)),
            Back::Customer(c) => pages::customer(ctx, args, lists, ask, c, Some(sent)),
            Back::Incident(i) => pages::incident(ctx, args, ask, i, Some(sent)),
            Back::Due => {
                let mut r = pages::due(ctx, args, lists, ask);
                r.status = 422;
                r.html = r.html.replacen("<h2>", &format!("<p class=\"error\">{}</p><h2>", esc_lines(&sent.said)), 1);
                r
            }
        }
    }
}

fn esc_lines(said: &[String]) -> String {
    said.iter().map(|s| crate::report::page::esc(s)).collect::<Vec<_>>().join("<br>")
}

/// The form back, with the command's words beside it.
fn refused(ctx: &Ctx, args: &Args, lists: &Shared, ask: &Ask, form: &str, back: Back, why: String) -> Reply {
    let values: Vec<(String, String)> = ask.form.iter().filter(|(k, _)| k != "csrf").cloned().collect();
    let sent = Sent { form, said: vec![why], values: &values, confirm: false };
    back.page(ctx, args, lists, ask, &sent)
}

fn kind_error(kind: &str) -> String {
    format!("kind {kind:?} is not a kind of entry; choose note, pref, role or goal")
}

fn not_found() -> Reply {
    Reply::page(404, web::message("404: nothing here takes this form.").0)
}

/// An id that names a customer file of the book (so a path never reaches further).
fn known_customer(ctx: &Ctx, c: &str) -> bool {
    id::check_customer_id(c).is_ok() && ctx.book.customer_path(c).is_file()
}

fn known_incident(ctx: &Ctx, i: &str) -> bool {
    id::check_incident_id(i).is_ok() && ctx.book.incident_path(i).is_file()
}

/// The id of the form a step is on: `step` for the next one to do, else `step-VERB`.
fn step_form(ctx: &Ctx, i: &str, kind: StepKind) -> String {
    let next = ctx
        .book
        .find_incident(i)
        .ok()
        .and_then(|(_, incident)| StepKind::ALL.into_iter().find(|k| k.get(&incident).is_none()));
    if next == Some(kind) { "step".into() } else { format!("step-{}", kind.verb()) }
}

/// The lexicon's words on an apology, as `recover apologize` warns them.
fn warnings(ctx: &Ctx, text: &str) -> Vec<String> {
    let Ok(rules) = lexicon::rules(&ctx.book.config.lexicon) else { return Vec::new() };
    lexicon::check(text, &rules)
        .into_iter()
        .map(|hit| format!("\"{}\": {} Try: \"{}\"", hit.phrase, hit.why, hit.instead))
        .collect()
}

/// The warnings among what a command said, on lines of their own.
fn warned(said: &str) -> String {
    let w: Vec<&str> = said.lines().filter(|l| l.starts_with("warning:")).collect();
    if w.is_empty() { String::new() } else { format!("\n{}", w.join("\n")) }
}

/// Run `care -C BOOK --as STAFF WORDS…` in this process: its stdout and its messages, or
/// its error as `main` would print it (the hint on a line of its own).
fn run(ctx: &Ctx, staff: &str, words: &[String]) -> Result<(String, String), String> {
    // The book as this server opened it, whatever the working folder: absolute.
    let root = ctx.book.root.as_path();
    let root = if root.as_os_str().is_empty() { std::path::Path::new(".") } else { root };
    let root = std::path::absolute(root).map_err(|e| format!("cannot name the book's folder: {e}"))?;
    let book = format!("--book={}", root.to_string_lossy());
    let argv = ["care".to_string(), book, format!("--as={staff}")].into_iter().chain(words.iter().cloned());
    let cli = Cli::try_parse_from(argv).map_err(|e| {
        let text = e.render().to_string();
        let first = text.lines().next().unwrap_or("").trim();
        first.strip_prefix("error: ").unwrap_or(first).to_string()
    })?;
    let (ui, captured) = Ui::captured("");
    let mut out = Vec::new();
    match crate::cmd::run(cli, &ctx.book.settings, ui, &mut out) {
        Ok(()) => Ok((String::from_utf8_lossy(&out).into_owned(), captured.text().trim().to_string())),
        Err(e) => {
            let said = captured.text();
            let hint = e.hint().map(|h| format!("\nhint: {h}")).unwrap_or_default();
            let warnings = warned(&said);
            Err(format!("{}{hint}{warnings}", e.cause()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_picked_out_of_what_a_command_said() {
        assert_eq!(warned("Recorded.\nwarning: late\n"), "\nwarning: late");
        assert_eq!(warned("Recorded."), "");
    }
}
