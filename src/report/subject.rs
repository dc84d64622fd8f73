//! `export subject`: everything the book holds about one person, as one JSON document — what
//! a business hands over when a guest asks what is kept about them (GDPR articles 15 and
//! 20). Their record as stored (every field, those care does not know included), its
//! entries, visits, reminders and flags, every incident about them as stored (steps and
//! follow-ups inside), the corrective actions whose filter names them or their incidents,
//! and the other customers' records that mention their name, email or phone.
//!
//! Stored parts are carried over from the YAML as they are (text exactly as written); what
//! care adds — an entry's kind, a flag's status, the file a record came from, what a
//! mention matched — sits beside the stored part, never inside it, so no field of a record
//! can be hidden by one of ours. The CSV folder is cut from the same document (`tables`),
//! so the two always agree.

use chrono::NaiveDate;
use serde_json::{Map, Value as Json};

use crate::model::subject::Needles;
use crate::model::{Customer, Section};
use crate::rows::{Cell, Rows};
use crate::time::{self, Stamp};
use crate::yaml::Value;

/// What the command gathered from the book, paths relative to the book's root.
#[derive(Debug)]
pub struct Gathered {
    pub book: String,
    pub exported_at: Stamp,
    pub file: String,
    /// The record as stored, and as care reads it.
    pub record: Value,
    pub customer: Customer,
    pub incidents: Vec<(String, Value)>,
    /// Each action's file, the action as stored, and the conditions that name them.
    pub actions: Vec<(String, Value, Vec<String>)>,
    pub mentions: Vec<Mention>,
}

/// A string field of another record that mentions the person.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    pub file: String,
    /// The id of the customer whose record it is.
    pub customer: String,
    /// Where in the record: `notes[0].text`, `contact.phone`.
    pub field: String,
    pub matched: Vec<&'static str>,
    pub text: String,
}

/// Every string field of another customer's record that mentions the person.
pub fn mentions(file: &str, record: &Value, needles: &Needles) -> Vec<Mention> {
    let customer = record.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
    let mut found = Vec::new();
    each_string(record, String::new(), &mut |field, text| {
        let matched = needles.found_in(text);
        if !matched.is_empty() {
            let matched = matched.into_iter().map(|m| m.as_str()).collect();
            found.push(Mention { file: file.into(), customer: customer.clone(), field, matched, text: text.into() });
        }
    });
    found
}

fn each_string(v: &Value, path: String, each: &mut impl FnMut(String, &str)) {
    match v {
        Value::String(s) => each(path, s),
        Value::Sequence(items) => {
            items.iter().enumerate().for_each(|(i, item)| each_string(item, format!("{path}[{i}]"), each))
        }
        Value::Mapping(m) => m.iter().for_each(|(k, item)| {
            let key = key_text(k);
            each_string(item, if path.is_empty() { key } else { format!("{path}.{key}") }, each)
        }),
        Value::Tagged(t) => each_string(&t.value, path, each),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The whole document, in the order a person reads it.
pub fn document(g: &Gathered, today: NaiveDate) -> Json {
    let record = json(&g.record);
    let list = |key: &str| record.get(key).and_then(Json::as_array).cloned().unwrap_or_default();
    let entries: Vec<Json> = Section::ALL
        .iter()
        .flat_map(|s| list(s.key()).into_iter().map(move |e| pair("kind", s.label().into(), "entry", e)))
        .collect();
    // Statuses from the typed record, matched by position: both read the same list.
    let flags: Vec<Json> = list("flags")
        .into_iter()
        .enumerate()
        .map(|(i, f)| pair("status", flag_status(&g.customer, i, today).into(), "flag", f))
        .collect();
    let incidents: Vec<Json> =
        g.incidents.iter().map(|(file, v)| pair("file", file.as_str().into(), "incident", json(v))).collect();
    let actions: Vec<Json> = g
        .actions
        .iter()
        .map(|(file, v, naming)| {
            let mut o = Map::new();
            o.insert("file".into(), file.as_str().into());
            o.insert("named_by".into(), naming.clone().into());
            o.insert("action".into(), json(v));
            Json::Object(o)
        })
        .collect();
    let mentions: Vec<Json> = g
        .mentions
        .iter()
        .map(|m| {
            let mut o = Map::new();
            o.insert("file".into(), m.file.as_str().into());
            o.insert("customer".into(), m.customer.as_str().into());
            o.insert("field".into(), m.field.as_str().into());
            o.insert("matched".into(), m.matched.clone().into());
            o.insert("text".into(), m.text.as_str().into());
            Json::Object(o)
        })
        .collect();
    let mut doc = Map::new();
    doc.insert("book".into(), g.book.as_str().into());
    doc.insert("exported_at".into(), time::rfc3339(&g.exported_at).into());
    doc.insert("subject".into(), g.customer.id.as_str().into());
    doc.insert("file".into(), g.file.as_str().into());
    doc.insert("customer".into(), record.clone());
    doc.insert("entries".into(), entries.into());
    doc.insert("visits".into(), list("visits").into());
    doc.insert("reminders".into(), list("reminders").into());
    doc.insert("flags".into(), flags.into());
    doc.insert("incidents".into(), incidents.into());
    doc.insert("actions".into(), actions.into());
    doc.insert("mentions".into(), mentions.into());
    Json::Object(doc)
}

fn pair(k1: &str, v1: Json, k2: &str, v2: Json) -> Json {
    let mut o = Map::new();
    o.insert(k1.into(), v1);
    o.insert(k2.into(), v2);
    Json::Object(o)
}

fn flag_status(c: &Customer, i: usize, today: NaiveDate) -> &'static str {
    match c.flags.get(i) {
        Some(f) if f.cleared.is_some() => "cleared",
        Some(f) if f.is_active(today) => "active",
        Some(_) => "expired",
        None => "unread",
    }
}

/// The sections of the CSV folder that `export subject --format csv --to DIR` writes,
/// each a file name and its rows, cut from the document: one row per item of each list
/// (one for the customer), nested fields flattened (`contact.email`, `done[0].at`).
pub fn tables(doc: &Json) -> Vec<(&'static str, Rows)> {
    let items = |key: &str| doc.get(key).and_then(Json::as_array).cloned().unwrap_or_default();
    let mut customer = doc.get("customer").cloned().unwrap_or(Json::Null);
    if let Some(o) = customer.as_object_mut() {
        // Each list has its own file.
        for key in Section::ALL.map(Section::key).into_iter().chain(["visits", "reminders", "flags"]) {
            o.remove(key);
        }
    }
    let (mut incidents, mut steps, mut followups) = (Vec::new(), Vec::new(), Vec::new());
    for item in items("incidents") {
        let file = item.get("file").cloned().unwrap_or(Json::Null);
        let mut incident = item.get("incident").cloned().unwrap_or(Json::Null);
        let id = incident.get("id").cloned().unwrap_or(Json::Null);
        let o = incident.as_object_mut();
        let recovery = o.as_ref().and_then(|o| o.get("recovery")).and_then(Json::as_object).cloned();
        for (step, value) in recovery.unwrap_or_default() {
            steps.push(row(&[("incident", id.clone()), ("step", step.into())], &value));
        }
        let listed = o.as_ref().and_then(|o| o.get("followups")).and_then(Json::as_array).cloned();
        for value in listed.unwrap_or_default() {
            followups.push(row(&[("incident", id.clone())], &value));
        }
        if let Some(o) = o {
            o.remove("recovery");
            o.remove("followups");
        }
        incidents.push(row(&[("file", file)], &incident));
    }
    let wrapped = |key: &str, context: &[&str], inner: &str| -> Vec<Map<String, Json>> {
        items(key)
            .iter()
            .map(|item| {
                let ctx: Vec<(&str, Json)> =
                    context.iter().map(|c| (*c, item.get(*c).cloned().unwrap_or(Json::Null))).collect();
                row(&ctx, item.get(inner).unwrap_or(&Json::Null))
            })
            .collect()
    };
    let plain = |key: &str| items(key).iter().map(|v| row(&[], v)).collect::<Vec<_>>();
    let table = |name, maps| (name, rows(columns_of(name), maps));
    vec![
        table("customer.csv", vec![row(&[("subject", doc.get("subject").cloned().unwrap_or(Json::Null))], &customer)]),
        table("entries.csv", wrapped("entries", &["kind"], "entry")),
        table("visits.csv", plain("visits")),
        table("reminders.csv", plain("reminders")),
        table("flags.csv", wrapped("flags", &["status"], "flag")),
        table("incidents.csv", incidents),
        table("steps.csv", steps),
        table("followups.csv", followups),
        table("actions.csv", wrapped("actions", &["file", "named_by"], "action")),
        table("mentions.csv", plain("mentions")),
    ]
}

/// The columns each file starts with, whether or not any row has them, so an empty
/// section is still a header a spreadsheet can read; fields care does not know follow.
fn columns_of(file: &str) -> &'static [&'static str] {
    match file {
        "customer.csv" => &["subject", "id", "name", "since", "contact.email", "contact.phone", "lifetime_value"],
        "entries.csv" => &["kind", "text", "at", "by", "critical", "incident", "retired"],
        "visits.csv" => &["at", "by", "spend", "party", "location", "staff", "note"],
        "reminders.csv" => &["id", "text", "due", "every", "owner", "day"],
        "flags.csv" => &["status", "text", "raised", "by", "incident", "until", "cleared", "cleared_by"],
        "incidents.csv" => &["file", "id", "customer", "opened", "staff", "owner", "product", "location", "summary"],
        "steps.csv" => &["incident", "step", "at", "by", "note", "what", "value"],
        "followups.csv" => &["incident", "kind", "due", "how", "text", "done.at", "done.by", "done.how", "missed_by"],
        "actions.csv" => &["file", "named_by", "id", "at", "by", "owner", "what", "for", "window"],
        "mentions.csv" => &["file", "customer", "field", "matched", "text"],
        _ => &[],
    }
}

/// One CSV row: the context columns, then the stored value flattened. A stored field
/// named like a context column keeps its value under `field.NAME`, never dropped.
fn row(context: &[(&str, Json)], value: &Json) -> Map<String, Json> {
    let mut out: Map<String, Json> = context.iter().map(|(k, v)| (k.to_string(), flat_value(v))).collect();
    let mut flat = Map::new();
    flatten(value, String::new(), &mut flat);
    for (k, v) in flat {
        let k = if out.contains_key(&k) { format!("field.{k}") } else { k };
        out.insert(k, v);
    }
    out
}

/// A context value as one cell: a list of strings joined as the other exports do.
fn flat_value(v: &Json) -> Json {
    match v {
        Json::Array(items) => Json::String(items.iter().map(scalar_text).collect::<Vec<_>>().join(";")),
        other => other.clone(),
    }
}

fn flatten(v: &Json, path: String, out: &mut Map<String, Json>) {
    let at = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
    match v {
        Json::Object(o) => o.iter().for_each(|(k, v)| flatten(v, at(k), out)),
        // A list of plain values is one cell (`tags`); a list of records, a column each.
        Json::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            out.insert(path, Json::String(items.iter().map(scalar_text).collect::<Vec<_>>().join(";")));
        }
        Json::Array(items) => items.iter().enumerate().for_each(|(i, v)| flatten(v, format!("{path}[{i}]"), out)),
        scalar if !path.is_empty() => {
            out.insert(path, scalar.clone());
        }
        _ => {}
    }
}

fn scalar_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// Rows with the `base` columns, then every other column any row has, in the order met.
fn rows(base: &[&str], maps: Vec<Map<String, Json>>) -> Rows {
    let mut columns: Vec<String> = base.iter().map(|c| c.to_string()).collect();
    for m in &maps {
        for k in m.keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let cells = maps
        .iter()
        .map(|m| {
            columns
                .iter()
                .map(|c| match m.get(c) {
                    None | Some(Json::Null) => Cell::Empty,
                    Some(Json::Bool(b)) => Cell::Text(b.to_string()),
                    Some(v) => Cell::Text(scalar_text(v)),
                })
                .collect()
        })
        .collect();
    Rows { columns, rows: cells }
}

/// A YAML value as JSON, as stored: a key that is not a string is written as YAML would
/// print it, a tag is dropped for its value, a number that JSON cannot hold is a string.
pub fn json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(Json::from)
            .or_else(|| n.as_u64().map(Json::from))
            .or_else(|| n.as_f64().and_then(serde_json::Number::from_f64).map(Json::Number))
            .unwrap_or_else(|| Json::String(n.to_string())),
        Value::String(s) => Json::String(s.clone()),
        Value::Sequence(items) => Json::Array(items.iter().map(json).collect()),
        Value::Mapping(m) => Json::Object(m.iter().map(|(k, v)| (key_text(k), json(v))).collect()),
        Value::Tagged(t) => json(&t.value),
    }
}

fn key_text(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Tagged(t) => key_text(&t.value),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).expect("yaml")
    }

    fn gathered() -> Gathered {
        let text = "id: ada\nname: Ada Lovelace\ncontact: {phone: '+1 555 0100'}\ntier: gold\n\
                    notes:\n- {text: '=HYPERLINK(\"x\")', by: jeff, mood: calm}\n\
                    preferences:\n- {text: Corner table, critical: true}\n\
                    flags:\n- {text: Rough night, cleared: 2026-11-23T10:00:00-05:00}\n- {text: Recheck orders}\n";
        let record = yaml(text);
        let customer: Customer = serde_yaml::from_str(text).expect("customer");
        let incident = yaml(
            "id: 20261122-k7f3qz\ncustomer: ada\ntags: [kitchen, wait]\n\
             recovery: {apologized: {at: 2026-11-22T19:45:00-05:00, by: joan}, fixed: {at: 2026-11-22T20:10:00-05:00, by: billy}}\n\
             followups:\n- {kind: check-in, due: 2026-11-23T20:10:00-05:00}\n",
        );
        Gathered {
            book: "Trattoria".into(),
            exported_at: chrono::DateTime::parse_from_rfc3339("2026-11-24T12:00:00-05:00").expect("time"),
            file: "customers/ada.yaml".into(),
            record,
            customer,
            incidents: vec![("incidents/2026/11/20261122-k7f3qz.yaml".into(), incident)],
            actions: vec![],
            mentions: vec![],
        }
    }

    #[test]
    fn the_document_keeps_every_stored_field_and_says_what_care_adds_beside_it() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
        let doc = document(&gathered(), today);
        assert_eq!(doc["customer"]["tier"], "gold");
        assert_eq!(doc["entries"][0]["kind"], "preference");
        assert_eq!(doc["entries"][1]["entry"]["mood"], "calm");
        assert_eq!(doc["entries"][1]["entry"]["text"], "=HYPERLINK(\"x\")", "text as stored");
        assert_eq!(doc["flags"][0]["status"], "cleared");
        assert_eq!(doc["flags"][1]["status"], "active");
        assert_eq!(doc["incidents"][0]["incident"]["recovery"]["fixed"]["by"], "billy");
        assert_eq!(doc["exported_at"], "2026-11-24T12:00:00-05:00");
    }

    #[test]
    fn the_tables_are_cut_from_the_document_one_row_per_item() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
        let tables = tables(&document(&gathered(), today));
        let count = |name: &str| tables.iter().find(|(n, _)| *n == name).map(|(_, r)| r.rows.len());
        assert_eq!(count("customer.csv"), Some(1));
        assert_eq!(count("entries.csv"), Some(2));
        assert_eq!(count("flags.csv"), Some(2));
        assert_eq!(count("incidents.csv"), Some(1));
        assert_eq!(count("steps.csv"), Some(2));
        assert_eq!(count("followups.csv"), Some(1));
        assert_eq!(count("mentions.csv"), Some(0));
        let customer = &tables[0].1;
        assert!(customer.columns.contains(&"contact.phone".to_string()), "{:?}", customer.columns);
        assert!(!customer.columns.iter().any(|c| c.starts_with("notes")), "entries have their own file");
        let incidents = &tables[5].1;
        let tags = incidents.columns.iter().position(|c| c == "tags").expect("tags");
        assert_eq!(incidents.rows[0][tags], Cell::Text("kitchen;wait".into()));
    }

    #[test]
    fn mentions_name_the_record_and_the_field() {
        let mut c = Customer::new("ada", "Ada Lovelace");
        c.contact.phone = Some("+1 555 0100".into());
        let other = yaml(
            "id: bob\nname: Bob\nnotes:\n- {text: Friend of ada lovelace}\n- {text: Paid}\ncontact: {phone: 555-0100}\n",
        );
        let found = mentions("customers/bob.yaml", &other, &Needles::of(&c));
        let fields: Vec<(&str, &str)> = found.iter().map(|m| (m.field.as_str(), m.matched[0])).collect();
        assert_eq!(fields, [("notes[0].text", "name"), ("contact.phone", "phone")]);
        assert!(found.iter().all(|m| m.customer == "bob"));
    }
}
