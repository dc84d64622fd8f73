//! What a spreadsheet may do to a customer record, so that an import never destroys.
//!
//! A customer record holds lists of entries (who learned what, when) that no spreadsheet
//! cell can carry, and `care export customers` prints only counts of them. So a column is
//! sorted before any row is read: the plain fields an import sets, the export's own
//! computed columns (read back as no change, which keeps export → import a no-op), the
//! record's structured fields (refused, saying what to do instead), and anything else (a
//! plain field of the record). `changes` then says what an `--update` would change: only
//! plain fields, and only where the cell says something other than what export would print.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_yaml::{Mapping, Value};

use super::{Customer, amount};

/// What a column of the spreadsheet is to the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// id, name, since, email, phone, lifetime_value: read into the record's own fields.
    Known,
    /// One of the counts `care export customers` prints (roles … active_flags): a whole
    /// number is the export's and changes nothing; anything else is refused.
    Count,
    /// `remember`, the critical entries as export joins them: accepted only when it says
    /// what the book already says, since entries cannot be made from a cell.
    Remember,
    /// A structured field of the record; why, and what to do instead.
    Refused(String),
    /// Any other column: a plain field of the record (`table: corner`).
    Field,
}

const KNOWN: [&str; 6] = ["id", "name", "email", "phone", "since", "lifetime_value"];
/// The entry lists of a record, which export prints as counts under their own names.
const LISTS: [&str; 5] = ["roles", "goals", "preferences", "notes", "missteps"];

/// Sort a column by its header (already trimmed and lowercased).
pub fn column(header: &str) -> Column {
    match header {
        h if KNOWN.contains(&h) => Column::Known,
        h if LISTS.contains(&h) || h == "active_flags" => Column::Count,
        "remember" => Column::Remember,
        "flags" => Column::Refused(
            "flags are entries (text, who, since when) that an import cannot make; raise them with \
             `care flag CUSTOMER TEXT`, or rename the column (say `flags_text`) to keep it as a plain field"
                .into(),
        ),
        "contact" => Column::Refused("the contact is set by `email` and `phone` columns; use those".into()),
        "" => Column::Refused("a column needs a name in the header row".into()),
        _ => Column::Field,
    }
}

/// Why a cell in a count column cannot be read as the export's count.
pub fn count_refused(column: &str, cell: &str) -> Option<String> {
    if cell.parse::<u64>().is_ok() {
        return None;
    }
    let what = match column {
        "active_flags" => "flags are raised with `care flag CUSTOMER TEXT`".to_string(),
        list => {
            let option = match list {
                "roles" => " --role",
                "goals" => " --goal",
                "preferences" => " --pref",
                "missteps" => " --misstep",
                _ => "",
            };
            format!("add them with `care note CUSTOMER{option} TEXT`")
        }
    };
    Some(format!(
        "column `{column}` holds {cell:?}, but {column} are entries (text, who, when) that an import cannot \
         make, and `care export customers` puts only their count there; {what}, or rename the column \
         (say `{column}_text`) to keep it as a plain field"
    ))
}

/// What export prints as `remember` for a customer: the critical entries in force.
pub fn remember(customer: &Customer) -> String {
    customer.critical().iter().map(|e| e.text.as_str()).collect::<Vec<_>>().join("; ")
}

/// Why a `remember` cell cannot be taken; `current` is the record when there is one.
pub fn remember_refused(cell: &str, current: Option<&Customer>) -> Option<String> {
    let book = current.map(remember).unwrap_or_default();
    if cell.is_empty() || cell == book.trim() {
        return None;
    }
    Some(format!(
        "column `remember` says {cell:?}, but the record's critical entries say {book:?}; `remember` is \
         computed from them and an import cannot make entries: add them with \
         `care note CUSTOMER --pref --critical TEXT`, or empty the cell"
    ))
}

/// Where a change goes in the record.
#[derive(Debug, Clone, PartialEq)]
pub enum Set {
    Text(String),
    Date(NaiveDate),
    Amount(f64),
}

/// One field an `--update` changes: `field` as a person reads it (`contact.email`), `key`
/// the field's name in the record, or in its `contact` mapping when `in_contact`.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub field: String,
    pub key: String,
    pub in_contact: bool,
    pub old: String,
    pub new: String,
    pub value: Set,
}

/// The plain fields a row changes on `current` (whose file holds `fields` at the top
/// level), in the record's order. A cell that says what is there — give or take the
/// spaces around it, or an amount as export rounds it — is no change; an empty cell never
/// is one. A column over a list or mapping of the file is refused.
pub fn changes(
    current: &Customer,
    fields: &Mapping,
    wanted: &Customer,
    extra: &BTreeMap<String, String>,
) -> Result<Vec<Change>, String> {
    let mut out = Vec::new();
    let mut text = |key: &str, in_contact: bool, old: Option<&str>, new: Option<&str>| {
        let (old, new) = (old.unwrap_or_default(), new.unwrap_or_default());
        if !new.is_empty() && old.trim() != new {
            let field = if in_contact { format!("contact.{key}") } else { key.to_string() };
            let (key, old, new, value) = (key.into(), old.into(), new.into(), Set::Text(new.to_string()));
            out.push(Change { field, key, in_contact, old, new, value });
        }
    };
    text("name", false, Some(&current.name), Some(&wanted.name));
    text("email", true, current.contact.email.as_deref(), wanted.contact.email.as_deref());
    text("phone", true, current.contact.phone.as_deref(), wanted.contact.phone.as_deref());
    for (key, new) in extra {
        let old = match fields.get(key.as_str()) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Bool(b)) => b.to_string(),
            Some(_) => {
                return Err(format!(
                    "column `{key}`: {}'s record holds a list or mapping under `{key}`, which the import would \
                     replace; rename the column, or change the record by hand with `care edit {}`",
                    current.id, current.id
                ));
            }
        };
        text(key, false, Some(&old), Some(new));
    }
    if let Some(since) = wanted.since.filter(|d| current.since != Some(*d)) {
        let old = current.since.map(|d| d.to_string()).unwrap_or_default();
        let (field, key, new) = ("since".to_string(), "since".to_string(), since.to_string());
        out.push(Change { field, key, in_contact: false, old, new, value: Set::Date(since) });
    }
    if let Some(v) = wanted.lifetime_value {
        let same = current.lifetime_value.is_some_and(|c| c == v || amount::show(c).parse::<f64>() == Ok(v));
        if !same {
            let old = current.lifetime_value.map(amount::show).unwrap_or_default();
            let (field, key, new) = ("lifetime_value".to_string(), "lifetime_value".to_string(), amount::show(v));
            out.push(Change { field, key, in_contact: false, old, new, value: Set::Amount(v) });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn ada() -> Customer {
        let text = "id: ada\nname: Ada Lovelace\nsince: 2019-03-02\ncontact: {phone: '+1 555 0100'}\n\
                    lifetime_value: 12.345\npreferences:\n  - {text: Shellfish, critical: true}\n";
        crate::yaml::parse(Path::new("ada.yaml"), text).expect("valid")
    }

    #[test]
    fn columns_that_hold_entries_or_structure_are_never_plain_fields() {
        assert_eq!(column("name"), Column::Known);
        assert_eq!(column("notes"), Column::Count);
        assert_eq!(column("active_flags"), Column::Count);
        assert_eq!(column("remember"), Column::Remember);
        assert!(matches!(column("flags"), Column::Refused(m) if m.contains("care flag")));
        assert!(matches!(column("contact"), Column::Refused(_)));
        assert_eq!(column("table"), Column::Field);
        assert_eq!(count_refused("notes", "3"), None);
        assert!(count_refused("preferences", "No calls").is_some_and(|m| m.contains("--pref")));
    }

    #[test]
    fn what_export_printed_is_no_change() {
        let ada = ada();
        let same = Customer {
            name: " Ada Lovelace".trim().into(),
            lifetime_value: Some(12.35),
            since: Some(NaiveDate::from_ymd_opt(2019, 3, 2).expect("date")),
            ..ada.clone()
        };
        let none = changes(&ada, &Mapping::new(), &same, &BTreeMap::new()).expect("plain");
        assert_eq!(none, []);
        assert_eq!(remember_refused("Shellfish", Some(&ada)), None);
        assert!(remember_refused("Vegan", Some(&ada)).is_some());
        assert!(remember_refused("Vegan", None).is_some());
    }

    #[test]
    fn a_change_says_old_and_new_and_a_structure_is_refused() {
        let ada = ada();
        let mut wanted = Customer { name: "Ada King".into(), ..ada.clone() };
        wanted.contact.email = Some("ada@example.com".into());
        let mut file = Mapping::new();
        file.insert("floor".into(), 3.into());
        let extra = BTreeMap::from([("floor".to_string(), "3".to_string()), ("table".to_string(), "7".to_string())]);
        let found = changes(&ada, &file, &wanted, &extra).expect("plain");
        let shown: Vec<_> = found.iter().map(|c| format!("{}: {} → {}", c.field, c.old, c.new)).collect();
        assert_eq!(shown, ["name: Ada Lovelace → Ada King", "contact.email:  → ada@example.com", "table:  → 7"]);
        file.insert("floor".into(), Value::Sequence(vec![]));
        assert!(changes(&ada, &file, &wanted, &extra).is_err_and(|e| e.contains("`floor`")));
    }
}

/// A column `care import customers --map COLUMN=KIND[:critical]` turns into an entry of
/// each row's record instead of a plain field: the cell, under the column's name, as a
/// preference, role, goal, note or misstep (`allergies=pref:critical` puts "allergies:
/// peanuts" among what nobody may miss, first on the card).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryColumn {
    /// The header as compared: trimmed, lowercased.
    pub column: String,
    pub section: super::Section,
    pub critical: bool,
}

/// Read one `COLUMN=KIND[:critical]`.
pub fn entry_column(spec: &str) -> Result<EntryColumn, String> {
    let usage = "write COLUMN=pref|role|goal|note|misstep, optionally with :critical (allergies=pref:critical)";
    let (column, kind) = spec.split_once('=').ok_or_else(|| format!("--map {spec:?}: {usage}"))?;
    let column = column.trim().to_lowercase();
    let (kind, critical) = match kind.trim().to_lowercase().split_once(':') {
        Some((kind, "critical")) => (kind.trim().to_string(), true),
        Some((_, other)) => return Err(format!("--map {spec:?}: {other:?} is not :critical; {usage}")),
        None => (kind.trim().to_lowercase(), false),
    };
    let section = match kind.as_str() {
        "pref" | "preference" | "preferences" => super::Section::Preference,
        "role" | "roles" => super::Section::Role,
        "goal" | "goals" => super::Section::Goal,
        "note" | "notes" => super::Section::Note,
        "misstep" | "missteps" => super::Section::Misstep,
        _ => return Err(format!("--map {spec:?}: unknown kind {kind:?}; {usage}")),
    };
    match column.as_str() {
        "" => Err(format!("--map {spec:?}: name the column; {usage}")),
        c if KNOWN.contains(&c) || c == "remember" || c == "flags" || c == "contact" => {
            Err(format!("--map {spec:?}: `{c}` is a field of the record itself, not a column to make entries of"))
        }
        _ => Ok(EntryColumn { column, section, critical }),
    }
}

#[cfg(test)]
mod entry_column_tests {
    use super::*;

    #[test]
    fn a_mapped_column_names_its_kind_and_may_be_critical() {
        let allergies = entry_column(" Allergies = pref:critical").expect("valid");
        assert_eq!(
            allergies,
            EntryColumn { column: "allergies".into(), section: super::super::Section::Preference, critical: true }
        );
        assert!(!entry_column("club=note").expect("valid").critical);
        assert!(entry_column("club").is_err());
        assert!(entry_column("club=hobby").expect_err("kind").contains("unknown kind"));
        assert!(entry_column("club=note:urgent").is_err());
        assert!(entry_column("email=note").is_err());
    }
}
