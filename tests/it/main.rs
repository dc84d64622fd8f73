//! Every integration test, in one binary: each file here is a module, and `common` is the
//! harness they share. One binary links once and compiles the harness once, where a binary
//! per file linked ~50 times over (see docs/architecture.md, "Tests"). Run one file's tests
//! with `cargo test --test it MODULE::` (for example `cargo test --test it git::`).
//!
//! The modules share one process, so no test may change the process's own state (its
//! environment, current directory, umask): settings go to the child `Command` (`TestBook`
//! does), or in-process through `Settings` (`in_process`).

mod common;

mod actions;
mod architecture;
mod book;
mod browser;
mod browser_forms;
mod check_actions;
mod check_stream;
mod completions;
mod control;
mod crash;
mod cron;
mod customer_merge;
mod customers;
mod docs;
mod due_order;
mod escapes;
mod examples;
mod export_import;
mod export_stream;
mod export_subject;
mod exposure;
mod filters;
mod forget;
mod git;
mod hard_edges;
mod help;
mod hooks;
mod hostile;
mod ics;
mod import_entries;
mod in_process;
mod index;
mod notify;
mod output;
mod patterns;
mod patterns_years;
mod pictures;
mod read_every_file;
mod recover;
mod reminders;
mod returned;
mod safety;
mod serve;
mod serve_tokens;
mod serve_write;
mod sql;
mod sql_index;
mod svg;
mod sync;
mod time;
mod trends;
mod trust;
mod verify_due;
mod visits;
mod width;
mod winback;
mod writers_agree;
mod yaml_readers;
