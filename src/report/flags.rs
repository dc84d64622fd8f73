//! Flags across the book, newest first.

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::model::Customer;
use crate::output::{Cell, Rows};

pub fn list(customers: &[(PathBuf, Customer)], today: NaiveDate, all: bool) -> Rows {
    let mut found = Vec::new();
    for (_, c) in customers {
        for (i, f) in c.flags.iter().enumerate() {
            let status = if f.cleared.is_some() {
                "cleared"
            } else if f.is_active(today) {
                "active"
            } else {
                "expired"
            };
            if all || status == "active" {
                found.push((c, i + 1, f, status));
            }
        }
    }
    found.sort_by(|a, b| b.2.raised.cmp(&a.2.raised).then(a.0.id.cmp(&b.0.id)).then(a.1.cmp(&b.1)));
    let mut rows = Rows::new(&["customer", "name", "n", "text", "raised", "by", "until", "incident", "status"]);
    for (c, n, f, status) in found {
        rows.push(vec![
            c.id.as_str().into(),
            c.name.as_str().into(),
            Cell::Int(n as i64),
            f.text.as_str().into(),
            Cell::opt(f.raised),
            f.by.as_str().into(),
            Cell::opt(f.until),
            Cell::opt(f.incident.as_deref()),
            status.into(),
        ]);
    }
    rows
}
