//! Pure functions from records to rows: what a report shows, with no files and no printing,
//! so each can be tested on records made in the test.

pub mod actions;
pub mod briefing;
pub mod check;
pub mod computed;
pub mod control;
pub mod customers;
pub mod due;
pub mod event;
pub mod export;
pub mod flags;
pub mod followups;
pub mod forms;
pub mod ics;
pub mod incidents;
pub mod ipf;
pub mod page;
pub mod patterns;
pub mod query;
pub mod stats;
pub mod subject;
pub mod svg;
pub mod trends;
pub mod winback;
