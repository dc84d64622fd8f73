//! The documented schema of the SQL mirror (`care sql`), as data: the mirror's tables are
//! created from it, `care sql --schema` prints it, and docs/sql.md describes the same
//! thing, so the three cannot drift apart. Changing it means raising `VERSION`, which makes
//! every existing mirror rebuild itself.

use crate::model::fields::{self, Field};

/// `PRAGMA user_version` of a mirror made from this schema; any other is rebuilt.
pub const VERSION: i32 = 6;

#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub about: &'static str,
    pub columns: &'static [Column],
}

#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: &'static str,
    pub about: &'static str,
}

const fn c(name: &'static str, kind: &'static str, about: &'static str) -> Column {
    Column { name, kind, about }
}

const FILE_ID: Column = c("file_id", "INTEGER", "the record file this row was read from (files.id)");

/// A record's columns, as its catalogue of fields gives them (`model::fields`), then
/// `file_id`.
const fn record_columns<R, const N: usize>(fields: &[Field<R>]) -> [Column; N] {
    let mut out = [FILE_ID; N];
    let (mut i, mut n) = (0, 0);
    while i < fields.len() {
        let mut k = 0;
        while k < fields[i].sql.len() {
            let col = &fields[i].sql[k];
            let about = match col.about {
                Some(about) => about,
                None => fields[i].about,
            };
            out[n] = c(col.name, col.sql, about);
            n += 1;
            k += 1;
        }
        i += 1;
    }
    out
}

const CUSTOMERS: [Column; fields::sql_count(fields::CUSTOMER) + 1] = record_columns(fields::CUSTOMER);
const INCIDENTS: [Column; fields::sql_count(fields::INCIDENT) + 1] = record_columns(fields::INCIDENT);

/// Every table, in the order `--schema` lists them. Times are RFC 3339 in UTC
/// (`2026-11-23T00:42:00Z`), so they sort and compare as text and SQLite's date functions
/// read them; dates are `YYYY-MM-DD`.
pub const TABLES: &[Table] = &[
    Table { name: "customers", about: "one row per customer record", columns: &CUSTOMERS },
    Table {
        name: "entries",
        about: "what the permanent record holds: roles, goals, preferences, notes, missteps",
        columns: &[
            c("customer", "TEXT", "customers.id"),
            c("section", "TEXT", "role, goal, preference, note or misstep"),
            c("position", "INTEGER", "place in its list in the file, from 0"),
            c("text", "TEXT", "what was learned"),
            c("at", "TEXT", "when it was recorded (UTC)"),
            c("by", "TEXT", "who recorded it"),
            c("incident", "TEXT", "the incident it came from (incidents.id)"),
            c("critical", "INTEGER", "1 when nobody may miss it (allergies, how to contact), else 0"),
            c("retired", "TEXT", "the date it was retired; NULL while current"),
            FILE_ID,
        ],
    },
    Table {
        name: "flags",
        about: "internal flags on customers' files, raised and cleared",
        columns: &[
            c("customer", "TEXT", "customers.id"),
            c("position", "INTEGER", "place in the file's flags list, from 0"),
            c("text", "TEXT", "what every colleague must know"),
            c("raised", "TEXT", "when it was raised (UTC)"),
            c("by", "TEXT", "who raised it"),
            c("incident", "TEXT", "the incident that raised it (incidents.id)"),
            c("until", "TEXT", "last day it is active (date); NULL: until cleared"),
            c("cleared", "TEXT", "when it was cleared (UTC); NULL while raised"),
            c("cleared_by", "TEXT", "who cleared it"),
            FILE_ID,
        ],
    },
    Table {
        name: "customer_fields",
        about: "other top-level fields of customer records (tier: gold)",
        columns: &[
            c("customer", "TEXT", "customers.id"),
            c("key", "TEXT", "the field's name"),
            c("value", "TEXT", "its value, as text"),
            FILE_ID,
        ],
    },
    Table { name: "incidents", about: "one row per incident record: the deposition", columns: &INCIDENTS },
    Table {
        name: "tags",
        about: "an incident's tags, one row each",
        columns: &[c("incident", "TEXT", "incidents.id"), c("tag", "TEXT", "the tag"), FILE_ID],
    },
    Table {
        name: "incident_fields",
        about: "other top-level fields of incident records (region: midwest)",
        columns: &[
            c("incident", "TEXT", "incidents.id"),
            c("key", "TEXT", "the field's name"),
            c("value", "TEXT", "its value, as text"),
            FILE_ID,
        ],
    },
    Table {
        name: "steps",
        about: "the recovery steps recorded on each incident",
        columns: &[
            c("incident", "TEXT", "incidents.id"),
            c("step", "TEXT", "apologized, reviewed, fixed, extra or closed"),
            c("at", "TEXT", "when (UTC)"),
            c("by", "TEXT", "who"),
            c("note", "TEXT", "the note given"),
            c("what", "TEXT", "the extra given (step extra)"),
            c("value", "REAL", "what the extra was worth (step extra)"),
            FILE_ID,
        ],
    },
    Table {
        name: "followups",
        about: "every follow-up of every incident, done or not",
        columns: &[
            c("incident", "TEXT", "incidents.id"),
            c("position", "INTEGER", "place in the incident's list, from 0"),
            c("kind", "TEXT", "progress, check-in, wrap-up or custom"),
            c("due", "TEXT", "when it is due (UTC)"),
            c("how", "TEXT", "how it is to be done (wrap-up: handwritten, …)"),
            c("text", "TEXT", "what to do (custom follow-ups)"),
            c("done_at", "TEXT", "when it was done (UTC); NULL while pending"),
            c("done_by", "TEXT", "who did it"),
            c("done_how", "TEXT", "phone, note, email, in-person"),
            c("done_note", "TEXT", "the note given"),
            c("missed_by", "INTEGER", "minutes past due when it was done"),
            FILE_ID,
        ],
    },
    Table {
        name: "visits",
        about: "each time a customer came (`care visit`, `care import visits`)",
        columns: &[
            c("customer", "TEXT", "customers.id"),
            c("position", "INTEGER", "place in the customer's visits list, from 0"),
            c("at", "TEXT", "when they came (UTC)"),
            c("by", "TEXT", "who recorded it"),
            c("spend", "REAL", "what they spent"),
            c("party", "INTEGER", "how many came"),
            c("location", "TEXT", "where"),
            c("staff", "TEXT", "who served them"),
            c("note", "TEXT", "the note given"),
            FILE_ID,
        ],
    },
    Table {
        name: "reminders",
        about: "reminders set on customers (`care remind`), one row each",
        columns: &[
            c("customer", "TEXT", "customers.id"),
            c("position", "INTEGER", "place in the customer's reminders list, from 0"),
            c(
                "id",
                "TEXT",
                "its own id: `care followup done CUSTOMER/ID` marks it; NULL if written by an earlier version",
            ),
            c("text", "TEXT", "what to do"),
            c("due", "TEXT", "its first occurrence (UTC)"),
            c("every", "TEXT", "how often it comes back (1y, 3w, 10d); NULL: once"),
            c("day", "TEXT", "MM-DD of an important date (birthday, anniversary)"),
            c("owner", "TEXT", "who makes the call"),
            c("at", "TEXT", "when it was set (UTC)"),
            c("by", "TEXT", "who set it"),
            FILE_ID,
        ],
    },
    Table {
        name: "reminder_marks",
        about: "each occurrence of a reminder marked done",
        columns: &[
            c("customer", "TEXT", "customers.id"),
            c("reminder", "INTEGER", "reminders.position of the reminder it marks"),
            c("occurrence", "TEXT", "the occurrence done (its due time, UTC)"),
            c("at", "TEXT", "when it was done (UTC)"),
            c("by", "TEXT", "who did it"),
            c("how", "TEXT", "phone, note, email, in-person"),
            c("note", "TEXT", "the note given"),
            FILE_ID,
        ],
    },
    Table {
        name: "actions",
        about: "corrective actions (`care action open`): the fix made for a pattern",
        columns: &[
            c("id", "TEXT", "the action's id (the file name)"),
            c("at", "TEXT", "when the fix took effect (UTC)"),
            c("by", "TEXT", "who recorded it"),
            c("owner", "TEXT", "who verifies it; NULL: whoever recorded it"),
            c("what", "TEXT", "what was done"),
            c("window", "TEXT", "how long after the fix to check, as typed (30d, 8w)"),
            c("verify_due", "TEXT", "when the check falls due: at + window (UTC)"),
            FILE_ID,
        ],
    },
    Table {
        name: "action_for",
        about: "the incidents an action is for: its `--where` conditions, one row each (all must hold)",
        columns: &[
            c("action", "TEXT", "actions.id"),
            c("position", "INTEGER", "place in the action's list, from 0"),
            c("condition", "TEXT", "one condition, as `--where` takes it (staff=billy)"),
            FILE_ID,
        ],
    },
    Table {
        name: "verifications",
        about: "each `care action verify` logged on an action",
        columns: &[
            c("action", "TEXT", "actions.id"),
            c("at", "TEXT", "when it was verified (UTC)"),
            c("by", "TEXT", "who verified it"),
            c("window", "TEXT", "the window compared before and after the fix"),
            c("before", "INTEGER", "incidents the action is for in the window before"),
            c("after", "INTEGER", "the same in the window after"),
            c("verdict", "TEXT", "what was concluded"),
            FILE_ID,
        ],
    },
    Table {
        name: "files",
        about: "the record files the mirror was read from, with what a stat said of them",
        columns: &[
            c("id", "INTEGER PRIMARY KEY AUTOINCREMENT", "referenced by every table's file_id; never reused"),
            c("path", "TEXT UNIQUE", "relative to the book's root"),
            c("kind", "TEXT", "customer, incident or action"),
            c("size", "INTEGER", "bytes"),
            c("mtime_ns", "INTEGER", "modification time, nanoseconds since 1970"),
            c("ctime_ns", "INTEGER", "status-change time, nanoseconds since 1970"),
            c("inode", "INTEGER", "inode number"),
            c("record", "TEXT", "the id written inside the record (which copies of an id count)"),
            c(
                "tables",
                "INTEGER",
                "1 once the file's rows are in the other tables (always, by the time a query sees them)",
            ),
            c(
                "digest",
                "TEXT",
                "what book-wide reports read of the record, in care's own compact form (not for queries)",
            ),
        ],
    },
];

/// The statements that create the mirror's tables. The files whose rows are not yet in
/// the other tables (a report's first run writes only `files`) are found through a partial
/// index that holds only them: empty once `care sql` has filled the tables.
pub fn tables() -> String {
    let mut sql = String::from("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);\n");
    for t in TABLES {
        let columns: Vec<String> = t.columns.iter().map(|c| format!("{} {}", c.name, c.kind)).collect();
        sql.push_str(&format!("CREATE TABLE {} ({});\n", t.name, columns.join(", ")));
    }
    sql.push_str("CREATE INDEX files_unfilled ON files (id) WHERE tables = 0;\n");
    sql
}

/// The indexes of the `files` table, which every run reads: made with the table, before
/// a first build's inserts. The build inserts in the walk's order, which is the order
/// index's own, so keeping them as it goes only appends, while making them after the
/// inserts sorted a million rows (at a million incidents: 55 MiB and 15.8 s to build,
/// against 26 MiB and 15.3 s).
pub fn file_indexes() -> String {
    // The order the book is walked in (folder by folder: `/` sorts first), with what a
    // refresh compares, so it merges the walk with the rows without a sort or a lookup;
    // the ids inside the records, for the copies of an id that do not count; and the
    // customers with reminders, which `followup due` lists.
    format!(
        "CREATE INDEX files_order ON files (kind, replace(path, '/', char(1)), path, size, mtime_ns, ctime_ns, inode);\n\
         CREATE INDEX files_record ON files (kind, record);\n\
         CREATE INDEX files_reminders ON files (id) WHERE kind = 'customer' AND {HAS_REMINDERS};\n"
    )
}

/// A customer's row whose digest has reminders, or is damaged and must be read from its
/// file to know: the partial index `files_reminders` holds these rows, and a query names
/// the same condition to use it.
const HAS_REMINDERS: &str = "(instr(digest, '\"reminders\":') > 0 OR substr(digest, 1, 5) <> '{\"c\":')";

/// The rows of `files` (what follows `FROM files`) that may be customers with reminders:
/// found through their partial index, not by reading every digest.
pub fn customers_with_reminders() -> String {
    format!("INDEXED BY files_reminders WHERE kind = 'customer' AND {HAS_REMINDERS}")
}

/// The name of one index `table_indexes` makes: whether it exists says whether they do.
pub const TABLE_INDEXED: &str = "entries_file";

/// The indexes of the other tables: made once their rows are first filled (by `care sql`
/// or `export`), after the inserts.
pub fn table_indexes() -> String {
    let mut sql = String::new();
    for t in TABLES.iter().filter(|t| t.columns.iter().any(|c| c.name == "file_id")) {
        // Dropping a changed file's rows looks them up by file.
        sql.push_str(&format!("CREATE INDEX IF NOT EXISTS {0}_file ON {0} (file_id);\n", t.name));
    }
    // What recipes join and filter on most.
    sql.push_str(
        "CREATE INDEX IF NOT EXISTS entries_customer ON entries (customer);\n\
         CREATE INDEX IF NOT EXISTS incidents_id ON incidents (id);\n\
         CREATE INDEX IF NOT EXISTS incidents_customer ON incidents (customer);\n\
         CREATE INDEX IF NOT EXISTS followups_incident ON followups (incident);\n\
         CREATE INDEX IF NOT EXISTS steps_incident ON steps (incident);\n\
         CREATE INDEX IF NOT EXISTS visits_customer ON visits (customer);\n",
    );
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_that_says_the_tables_are_indexed_is_one_they_make() {
        assert!(table_indexes().contains(&format!("INDEX IF NOT EXISTS {TABLE_INDEXED} ON")));
    }

    #[test]
    fn the_customers_with_reminders_are_found_through_their_index() {
        let conn = rusqlite::Connection::open_in_memory().expect("memory");
        conn.execute_batch(&tables()).expect("tables");
        conn.execute_batch(&file_indexes()).expect("indexes");
        let rows = [
            ("customers/a.yaml", "customer", r#"{"c":{"id":"a","reminders":[{"text":"birthday"}]}}"#),
            ("customers/b.yaml", "customer", r#"{"c":{"id":"b"}}"#),
            ("customers/c.yaml", "customer", "damaged"),
            ("incidents/2026/11/x.yaml", "incident", "x\t\"reminders\":"),
        ];
        for (path, kind, digest) in rows {
            conn.execute("INSERT INTO files (path, kind, digest) VALUES (?1, ?2, ?3)", [path, kind, digest])
                .expect("insert");
        }
        let mut stmt = conn
            .prepare(&format!("SELECT path FROM files {} ORDER BY path", customers_with_reminders()))
            .expect("plan");
        let found: Vec<String> = stmt.query_map([], |r| r.get(0)).expect("query").map(|p| p.expect("row")).collect();
        assert_eq!(found, ["customers/a.yaml", "customers/c.yaml"]);
    }

    #[test]
    fn every_table_but_files_says_where_its_rows_came_from() {
        for t in TABLES.iter().filter(|t| t.name != "files") {
            assert!(t.columns.iter().any(|c| c.name == "file_id"), "{}", t.name);
        }
    }
}
