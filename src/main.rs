//! The `care` binary: parse the command line, run the command, print `error: …` on
//! failure and exit with the status PRODUCT.md promises (0 ok, 1 failed, 2 bad usage).
//! A closed pipe (`care customer list | head -1`) is a quiet success.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A bug must still end in one line that says what failed, and exit status 1.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("error: internal error{place}: {msg} (this is a bug in care; please report it)");
    }));
    match std::panic::catch_unwind(run) {
        Ok(code) => code,
        Err(_) => ExitCode::from(1),
    }
}

fn run() -> ExitCode {
    // A shell asking for completions (`COMPLETE=bash care -- …`) is answered before anything
    // else can print; a normal run passes straight through.
    // A shell asking for completions (`COMPLETE` set) is answered, and the process ends.
    // The environment is read here, once (settings.rs); a TAB never prints an error, so a
    // bad setting is the command's to report.
    let settings = care::settings::Settings::from_env();
    care::complete::prepare(settings.as_ref().cloned().unwrap_or_default(), care::settings::Completing::from_env());
    clap_complete::CompleteEnv::with_factory(<care::cli::Cli as clap::CommandFactory>::command).complete();
    let cli = care::cli::Cli::parse();
    // Every setting is checked before anything is written (a bad CARE_HOOK_TIMEOUT used to
    // be found only after the note was saved, so a retry wrote it twice).
    let settings = match settings {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}", care::output::visible(&e.report()));
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = care::cmd::run(cli, &settings, care::ui::Ui::terminal(), &mut out)
        .and_then(|()| out.flush().map_err(care::Error::Output));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) if matches!(e.cause(), care::Error::Quiet(_)) => {
            let code = e.exit_code();
            if out.flush().is_err() {
                return ExitCode::SUCCESS;
            }
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
        Err(e) => {
            // Flush what was produced before the error (e.g. rows before "files skipped").
            if out.flush().is_err() {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", care::output::visible(&e.report()));
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}
