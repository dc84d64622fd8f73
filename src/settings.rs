//! What the process's environment says, read once at start and checked before anything
//! is written. A setting read deep inside a command is read late: a typo in
//! `CARE_HOOK_TIMEOUT` was found only after the note was saved, and a retry wrote it twice.
//! Here every `CARE_*` variable is read and validated up front (a bad one is a usage error,
//! exit 2, naming the variable and what it takes), durations through the one grammar of
//! `time.rs`, and the result is passed down: the book keeps it, so in-process callers and
//! tests choose their own instead of sharing the process's.
//!
//! An empty variable counts as unset, as shells and `NO_COLOR` treat it.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};

use crate::error::{Error, Result};
use crate::time::{self, Wait};

/// The settings every part of care may need, with their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `CARE_NOW`: the instant that replaces the clock (RFC 3339).
    pub now: Option<DateTime<Utc>>,
    /// `CARE_LOCK_TIMEOUT`: how long a writer waits for a record's lock.
    pub lock_timeout: Duration,
    /// `CARE_HOOK_TIMEOUT`: how long a hook may run before it is stopped.
    pub hook_timeout: Duration,
    /// Whether the index in `.care/cache` and the list of `customers/`'s sub-folders
    /// beside it are used (`CARE_NO_CACHE=1` turns both off).
    pub cache: bool,
    /// Colour on a terminal, unless `NO_COLOR` is set.
    pub color: bool,
    /// `COLUMNS`, the width to draw in when the terminal cannot be asked.
    pub columns: Option<usize>,
    /// Who is writing when neither `--as` nor `CARE_STAFF` says: `USER`, `LOGNAME`, `USERNAME`.
    pub login: Option<String>,
    /// The editor of `care edit`: `VISUAL`, else `EDITOR`.
    pub editor: Option<String>,
    /// `CARE_BOOK`, the book's folder when `-C` does not say (clap reads it for a command;
    /// a completion request, answered before the command line is parsed, reads it here).
    pub book: Option<PathBuf>,
    /// `PATH`, where git's merge driver is looked for (`git::on_path`).
    pub path: Option<OsString>,
    /// This machine's name where the system cannot be asked for it: `HOSTNAME`, else
    /// `COMPUTERNAME` (Windows).
    pub host: Option<String>,
    /// How this program was called (the first word of its command line): the completion
    /// script calls `care` back by that name when it was run by name.
    pub program: Option<OsString>,
}

/// Long enough for any real write to finish, short enough that a cron job behind a
/// stopped process fails instead of hanging.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);
/// Enough to hand a message to `sendmail` or `curl`, short enough not to hold up a person.
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(5);
/// Past this a wait is a typo: an hour behind a lock or a hook is a process that hangs.
const LONGEST: Duration = Duration::from_secs(3600);

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            now: None,
            lock_timeout: LOCK_TIMEOUT,
            hook_timeout: HOOK_TIMEOUT,
            cache: true,
            color: true,
            columns: None,
            login: None,
            editor: None,
            book: None,
            path: None,
            host: None,
            program: None,
        }
    }
}

impl Settings {
    /// The process's own environment, and the name it was called by.
    pub fn from_env() -> Result<Settings> {
        let settings = Settings::from_vars(|name| std::env::var_os(name))?;
        Ok(Settings { program: std::env::args_os().next(), ..settings })
    }

    /// Settings from any source of variables (the environment, or a test's map).
    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Result<Settings> {
        let text = |name: &str| -> Result<Option<String>> {
            match var(name) {
                None => Ok(None),
                Some(v) => match v.into_string() {
                    Ok(s) if s.trim().is_empty() => Ok(None),
                    Ok(s) => Ok(Some(s.trim().to_string())),
                    Err(_) => Err(Error::Usage(format!("{name} is not valid UTF-8; unset it or give it plain text"))),
                },
            }
        };
        let mut settings = Settings::default();
        if let Some(now) = text("CARE_NOW")? {
            settings.now = Some(instant(&now)?);
        }
        if let Some(v) = text("CARE_LOCK_TIMEOUT")? {
            settings.lock_timeout = wait("CARE_LOCK_TIMEOUT", &v, Duration::ZERO, "10s")?;
        }
        if let Some(v) = text("CARE_HOOK_TIMEOUT")? {
            settings.hook_timeout = wait("CARE_HOOK_TIMEOUT", &v, Duration::from_millis(1), "5s")?;
        }
        if let Some(v) = text("CARE_NO_CACHE")? {
            settings.cache = !switch("CARE_NO_CACHE", &v)?;
        }
        // Not ours to refuse: other programs set these, and a bad one only costs looks.
        settings.color = var("NO_COLOR").is_none_or(|v| v.is_empty());
        settings.columns =
            var("COLUMNS").and_then(|c| c.into_string().ok()).and_then(|c| c.trim().parse().ok()).filter(|&c| c >= 20);
        let plain = |name: &str| var(name).and_then(|v| v.into_string().ok()).filter(|s| !s.trim().is_empty());
        settings.login = ["USER", "LOGNAME", "USERNAME"].into_iter().find_map(plain);
        settings.editor = ["VISUAL", "EDITOR"].into_iter().find_map(plain);
        settings.book = var("CARE_BOOK").filter(|b| !b.is_empty()).map(PathBuf::from);
        settings.path = var("PATH");
        settings.host = ["HOSTNAME", "COMPUTERNAME"].into_iter().find_map(plain).map(|h| h.trim().to_string());
        Ok(settings)
    }
}

/// A shell asking for completions (`COMPLETE=bash care -- care show ad`): the words it
/// passes, and clap_complete's `_CLAP_COMPLETE_INDEX`, the one under the cursor. Read by
/// `main` before the completion is answered, since that happens before any parsing.
#[derive(Debug, Clone, Default)]
pub struct Completing {
    /// The whole command line, the words being completed after its `--`.
    pub args: Vec<OsString>,
    pub index: Option<usize>,
}

impl Completing {
    pub fn from_env() -> Completing {
        let index = std::env::var("_CLAP_COMPLETE_INDEX").ok().and_then(|i| i.parse::<usize>().ok());
        Completing { args: std::env::args_os().collect(), index }
    }
}

/// `CARE_NOW`: an RFC 3339 instant within the years times may take.
fn instant(text: &str) -> Result<DateTime<Utc>> {
    let now = DateTime::parse_from_rfc3339(text).map_err(|e| {
        Error::Usage(format!(
            "CARE_NOW={} is not an RFC 3339 time ({e}); try 2026-11-22T19:42:00-05:00, or unset it for the real clock",
            shown(text)
        ))
    })?;
    if !time::YEARS.contains(&now.year()) {
        return Err(Error::Usage(format!(
            "CARE_NOW={} is in the year {}; the clock must fall between {} and {}",
            shown(text),
            now.year(),
            time::YEARS.start(),
            time::YEARS.end()
        )));
    }
    Ok(now.with_timezone(&Utc))
}

/// A wait between `least` and an hour, in the duration grammar.
fn wait(name: &str, text: &str, least: Duration, example: &str) -> Result<Duration> {
    let usage = |why: String| Error::Usage(format!("{name}: {why}; unset it for the default {example}"));
    let Wait(d) = text.parse::<Wait>().map_err(usage)?;
    if d < least {
        return Err(usage(format!("{} is too short; it must be at least {}", shown(text), Wait(least))));
    }
    if d > LONGEST {
        return Err(usage(format!("{} is longer than an hour, which would look like a hang", shown(text))));
    }
    Ok(d)
}

/// A yes/no variable: `1`, `true`, `yes`, `on` or `0`, `false`, `no`, `off`.
fn switch(name: &str, text: &str) -> Result<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(Error::Usage(format!("{name}={} is not a switch; use 1 (on) or 0 (off)", shown(text)))),
    }
}

/// A value as an error message shows it: quoted, and cut short if long.
fn shown(text: &str) -> String {
    let cut: String = text.chars().take(40).collect();
    if cut.len() < text.len() { format!("{cut:?}…") } else { format!("{cut:?}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings> {
        Settings::from_vars(|name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v)))
    }

    #[test]
    fn nothing_set_gives_the_defaults() {
        let s = with(&[]).expect("defaults");
        assert_eq!((s.lock_timeout, s.hook_timeout, s.cache, s.now), (LOCK_TIMEOUT, HOOK_TIMEOUT, true, None));
    }

    #[test]
    fn every_variable_is_read_through_its_grammar() {
        let s = with(&[
            ("CARE_NOW", "2026-11-22T19:42:00-05:00"),
            ("CARE_LOCK_TIMEOUT", "500ms"),
            ("CARE_HOOK_TIMEOUT", "2m"),
            ("CARE_NO_CACHE", "1"),
            ("NO_COLOR", "1"),
            ("COLUMNS", "120"),
            ("LOGNAME", "joan"),
            ("EDITOR", "nano"),
        ])
        .expect("valid");
        assert_eq!(s.now.map(|n| n.to_rfc3339()).as_deref(), Some("2026-11-23T00:42:00+00:00"));
        assert_eq!((s.lock_timeout, s.hook_timeout), (Duration::from_millis(500), Duration::from_secs(120)));
        assert_eq!((s.cache, s.color, s.columns), (false, false, Some(120)));
        assert_eq!((s.login.as_deref(), s.editor.as_deref()), (Some("joan"), Some("nano")));
        assert_eq!(with(&[("CARE_LOCK_TIMEOUT", "0")]).expect("no wait").lock_timeout, Duration::ZERO);
    }

    #[test]
    fn absurd_values_are_usage_errors_naming_the_variable() {
        for name in ["CARE_NOW", "CARE_LOCK_TIMEOUT", "CARE_HOOK_TIMEOUT", "CARE_NO_CACHE"] {
            for value in ["1e30", "-1", "NaN", "99999999999999999999", "text", "0x10", "1.5"] {
                match with(&[(name, value)]) {
                    Err(Error::Usage(msg)) => assert!(msg.starts_with(name), "{msg}"),
                    other => panic!("{name}={value}: {other:?}"),
                }
            }
            assert_eq!(with(&[(name, "  ")]).expect("blank is unset"), Settings::default());
        }
        for (name, value) in [
            ("CARE_HOOK_TIMEOUT", "0"),
            ("CARE_HOOK_TIMEOUT", "2h"),
            ("CARE_LOCK_TIMEOUT", "61m"),
            ("CARE_NOW", "0001-01-01T00:00:00Z"),
            ("CARE_NOW", "9999-12-31T23:59:59Z"),
        ] {
            assert!(matches!(with(&[(name, value)]), Err(Error::Usage(_))), "{name}={value}");
        }
    }
}
