//! `care`: a memory for customers and a discipline for service failures, kept in a
//! directory of YAML files (a *book*).
//!
//! How a command flows (see docs/architecture.md): `main` parses the command line with
//! `cli`, `cmd::<name>::run` reads what it needs through `book` (the only filesystem
//! code), works on the typed records of `model` and the row builders of `report`, and
//! hands rows to `output` (the only code that prints data). Times are read by `time`;
//! YAML is touched only by `yaml`; the `git` program is run only by `git`. Each command
//! is a thin wrapper around library code.

pub mod book;
pub mod cli;
pub mod cmd;
pub mod complete;
pub mod error;
pub mod git;
pub mod hooks;
pub mod model;
pub mod output;
pub mod process;
pub mod report;
pub mod rows;
pub mod sample;
pub mod settings;
pub mod text;
pub mod time;
pub mod ui;
pub mod web;
pub mod yaml;

pub use error::{Error, Result};
