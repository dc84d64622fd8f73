//! The mirror: each record's rows in the tables `care sql` queries (`book/schema.rs`
//! declares them), and its row in `files`, with the stat taken as it was read.

use chrono::{SecondsFormat, Utc};
use rusqlite::{Connection, params};

use std::sync::OnceLock;

use rusqlite::types::Value as SqlValue;

use super::*;
use crate::book::schema::TABLES;
use crate::model::customer::Section;
use crate::model::fields::{self, CUSTOMER, Field, INCIDENT, Shape, Val};
use crate::time::Stamp;

/// Drop every row read from the file `id`.
pub(super) fn forget(tx: &Connection, id: i64) -> rusqlite::Result<()> {
    for t in TABLES.iter().filter(|t| t.name != "files") {
        tx.prepare_cached(&format!("DELETE FROM {} WHERE file_id = ?1", t.name))?.execute([id])?;
    }
    tx.prepare_cached("DELETE FROM files WHERE id = ?1")?.execute([id])?;
    Ok(())
}

pub(super) fn utc(t: &Stamp) -> String {
    t.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub(super) fn nonempty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// The statement that inserts a record's row: its catalogue's columns, then `file_id`.
fn insert_sql<R>(table: &str, fields: &'static [Field<R>]) -> String {
    let marks: Vec<String> = (1..=fields::sql_count(fields) + 1).map(|n| format!("?{n}")).collect();
    format!("INSERT INTO {table} VALUES ({})", marks.join(", "))
}

/// A record's row in its table (`sql`, from `insert_sql`), each column as its catalogue
/// of fields reads it.
fn insert_record<R>(
    tx: &Connection,
    sql: &str,
    fields: &'static [Field<R>],
    record: &R,
    file: i64,
    tz: chrono_tz::Tz,
) -> rusqlite::Result<()> {
    let mut values: Vec<SqlValue> =
        fields::columns(fields).map(|(col, _, get)| sql_value(get(record), col.shape, tz)).collect();
    values.push(SqlValue::Integer(file));
    tx.prepare_cached(sql)?.execute(rusqlite::params_from_iter(values))?;
    Ok(())
}

/// A field's value as its column holds it: times in UTC, or a face of the local time.
fn sql_value(v: Val<'_>, shape: Shape, tz: chrono_tz::Tz) -> SqlValue {
    let text = |s: String| SqlValue::Text(s);
    match v {
        Val::Text(Some(s)) => text(s.to_string()),
        Val::Percent(Some(n)) => SqlValue::Integer(i64::from(n)),
        Val::Amount(Some(a)) => SqlValue::Real(a),
        Val::Date(Some(d)) => text(d.to_string()),
        Val::Time(Some(t)) => {
            let local = || t.with_timezone(&tz);
            text(match shape {
                Shape::Value => utc(t),
                Shape::Local => local().format("%Y-%m-%d %H:%M:%S").to_string(),
                Shape::Weekday => local().format("%a").to_string(),
                Shape::Hour => local().format("%H").to_string(),
            })
        }
        _ => SqlValue::Null,
    }
}

pub(super) fn insert_customer(tx: &Connection, file: i64, c: &Customer, fields: &Extras) -> rusqlite::Result<()> {
    static SQL: OnceLock<String> = OnceLock::new();
    insert_record(tx, SQL.get_or_init(|| insert_sql("customers", CUSTOMER)), CUSTOMER, c, file, chrono_tz::UTC)?;
    let mut entry = tx.prepare_cached("INSERT INTO entries VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?;
    for section in Section::ALL {
        for (n, e) in c.entries(section).iter().enumerate() {
            entry.execute(params![
                c.id,
                section.label(),
                n as i64,
                e.text,
                e.at.as_ref().map(utc),
                nonempty(&e.by),
                e.incident,
                i64::from(e.critical),
                e.retired.map(|d| d.to_string()),
                file
            ])?;
        }
    }
    let mut flag = tx.prepare_cached("INSERT INTO flags VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?;
    for (n, f) in c.flags.iter().enumerate() {
        flag.execute(params![
            c.id,
            n as i64,
            f.text,
            f.raised.as_ref().map(utc),
            nonempty(&f.by),
            f.incident,
            f.until.map(|d| d.to_string()),
            f.cleared.as_ref().map(utc),
            f.cleared_by,
            file
        ])?;
    }
    let mut field = tx.prepare_cached("INSERT INTO customer_fields VALUES (?1, ?2, ?3, ?4)")?;
    for (k, v) in fields {
        field.execute(params![c.id, k, v, file])?;
    }
    insert_visits_and_reminders(tx, file, c)
}

pub(super) fn insert_visits_and_reminders(tx: &Connection, file: i64, c: &Customer) -> rusqlite::Result<()> {
    let mut visit = tx.prepare_cached("INSERT INTO visits VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?;
    for (n, v) in c.visits.iter().enumerate() {
        visit.execute(params![
            c.id,
            n as i64,
            utc(&v.at),
            nonempty(&v.by),
            v.spend,
            v.party,
            v.location,
            v.staff,
            v.note,
            file
        ])?;
    }
    let mut reminder =
        tx.prepare_cached("INSERT INTO reminders VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")?;
    let mut mark = tx.prepare_cached("INSERT INTO reminder_marks VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
    for (n, r) in c.reminders.iter().enumerate() {
        reminder.execute(params![
            c.id,
            n as i64,
            r.id,
            r.text,
            utc(&r.due),
            r.every,
            r.day,
            r.owner,
            r.at.as_ref().map(utc),
            nonempty(&r.by),
            file
        ])?;
        for m in &r.done {
            mark.execute(params![
                c.id,
                n as i64,
                utc(&m.occurrence),
                utc(&m.at),
                nonempty(&m.by),
                m.how,
                m.note,
                file
            ])?;
        }
    }
    Ok(())
}

pub(super) fn insert_action(
    tx: &Connection,
    file: i64,
    a: &Action,
    clock: &crate::time::Clock,
) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO actions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?.execute(params![
        a.id,
        utc(&a.at),
        nonempty(&a.by),
        a.owner,
        a.what,
        a.window().to_string(),
        utc(&a.verify_due(clock)),
        file
    ])?;
    let mut cond = tx.prepare_cached("INSERT INTO action_for VALUES (?1, ?2, ?3, ?4)")?;
    for (n, c) in a.filter.iter().enumerate() {
        cond.execute(params![a.id, n as i64, c, file])?;
    }
    let mut verified = tx.prepare_cached("INSERT INTO verifications VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
    for v in &a.verified {
        verified.execute(params![
            a.id,
            utc(&v.at),
            nonempty(&v.by),
            v.window.to_string(),
            i64::try_from(v.before).unwrap_or(i64::MAX),
            i64::try_from(v.after).unwrap_or(i64::MAX),
            v.verdict,
            file
        ])?;
    }
    Ok(())
}

pub(super) fn insert_incident(
    tx: &Connection,
    file: i64,
    i: &Incident,
    fields: &Extras,
    tz: chrono_tz::Tz,
) -> rusqlite::Result<()> {
    let r = &i.recovery;
    static SQL: OnceLock<String> = OnceLock::new();
    insert_record(tx, SQL.get_or_init(|| insert_sql("incidents", INCIDENT)), INCIDENT, i, file, tz)?;
    let mut tag = tx.prepare_cached("INSERT INTO tags VALUES (?1, ?2, ?3)")?;
    for t in &i.tags {
        tag.execute(params![i.id, t, file])?;
    }
    let mut field = tx.prepare_cached("INSERT INTO incident_fields VALUES (?1, ?2, ?3, ?4)")?;
    for (k, v) in fields {
        field.execute(params![i.id, k, v, file])?;
    }
    let mut step = tx.prepare_cached("INSERT INTO steps VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
    let steps = [
        ("apologized", &r.apologized),
        ("reviewed", &r.reviewed),
        ("fixed", &r.fixed),
        ("extra", &r.extra),
        ("closed", &r.closed),
    ];
    for (name, s) in steps {
        if let Some(s) = s {
            step.execute(params![i.id, name, utc(&s.at), nonempty(&s.by), s.note, s.what, s.value, file])?;
        }
    }
    let mut followup =
        tx.prepare_cached("INSERT INTO followups VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")?;
    for (n, f) in i.followups.iter().enumerate() {
        let done = f.done.as_ref();
        followup.execute(params![
            i.id,
            n as i64,
            f.kind,
            utc(&f.due),
            f.how,
            f.text,
            done.map(|d| utc(&d.at)),
            done.and_then(|d| nonempty(&d.by)),
            done.and_then(|d| d.how.as_deref()),
            done.and_then(|d| d.note.as_deref()),
            f.missed_by,
            file
        ])?;
    }
    Ok(())
}

impl Book {
    /// Write one file's `files` row, with the stat taken as it was read: if the file
    /// changed after, the next run sees a different stat and reads it again. With its
    /// record, its rows in the other tables too.
    pub(super) fn insert(&self, tx: &Connection, path: &Path, kind: Kind, scanned: &Scanned) -> rusqlite::Result<()> {
        let (size, mtime, ctime, inode) = key_params(scanned.key);
        tx.prepare_cached(
            "INSERT INTO files (path, kind, size, mtime_ns, ctime_ns, inode, record, tables, digest) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            self.relative(path),
            kind.name(),
            size,
            mtime,
            ctime,
            inode,
            scanned.id,
            i64::from(scanned.record.is_some()),
            scanned.digest
        ])?;
        match &scanned.record {
            Some(record) => self.insert_rows(tx, tx.last_insert_rowid(), record),
            None => Ok(()),
        }
    }

    /// A record's rows in the tables other than `files`.
    pub(super) fn insert_rows(&self, tx: &Connection, file: i64, record: &Record) -> rusqlite::Result<()> {
        match record {
            Record::Customer(c, fields) => insert_customer(tx, file, c, fields),
            Record::Incident(i, fields) => insert_incident(tx, file, i, fields, self.clock.tz),
            Record::Action(a) => insert_action(tx, file, a, &self.clock),
        }
    }
}
