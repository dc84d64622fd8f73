//! `care import`: bring records in from a spreadsheet, one file per kind —
//! [`customers`] (customers, and entries from mapped columns) and [`visits`] (a booking
//! system's export). Each checks every row before anything is written.

pub mod customers;
pub mod visits;

use std::io::Write;

use crate::cmd::Ctx;
use crate::error::Result;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Bring customers in from a spreadsheet (CSV); re-running it does not duplicate.
    Customers(customers::Args),
    /// Add a booking system's export to the customers' visits; re-running it adds nothing.
    Visits(visits::Args),
}

pub fn run(ctx: &Ctx, command: &Command, out: &mut dyn Write) -> Result<()> {
    match command {
        Command::Customers(args) => customers::run(ctx, args, out),
        Command::Visits(args) => visits::run(ctx, args, out),
    }
}
