//! The `care` binary: parse the command line, run the command, print `error: …` on
//! failure and exit with the status PRODUCT.md promises (0 ok, 1 failed, 2 bad usage).
//! A closed pipe (`care customer list | head -1`) is a quiet success.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = care::cli::Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result =
        care::cmd::run(cli, &mut out).and_then(|()| out.flush().map_err(care::Error::from));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            // Flush what was produced before the error (e.g. rows before "files skipped").
            if out.flush().is_err() {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e}");
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}
