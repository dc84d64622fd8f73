//! Running one hook: a program of the user's, so it may fail, hang, ignore its stdin or
//! start children that outlive it. The event is written to its stdin from a thread (a
//! hook that never reads must not block us), and we wait with a deadline: a hook still
//! running then is killed with its whole process group (it is started as the leader of
//! its own), so a `sleep` it started cannot keep our stderr open. Its stdout goes to our
//! stderr: care's stdout is data (`id=$(care recover open …)`), never a hook's chatter.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a hook ended, in words for a warning; `Ok` when it exited with status 0.
/// `output`: where its stdout goes (`Ui::for_child`: our stderr).
pub fn run(
    program: &Path,
    dir: &Path,
    event: &str,
    input: &[u8],
    timeout: Duration,
    output: Stdio,
) -> Result<(), String> {
    let mut command = Command::new(program);
    command.current_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir });
    command.env("CARE_EVENT", event).stdin(Stdio::piped()).stdout(output);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = command.spawn().map_err(|e| format!("could not be started ({e})"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let input = input.to_vec();
        // A hook that exits without reading closes the pipe: that is its right, not an error.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let start = Instant::now();
    // Most hooks hand their message on in a few milliseconds: look soon, then less often,
    // so a run telling thousands of notices does not wait 10 ms on each.
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("failed ({status})")),
            Ok(None) if start.elapsed() >= timeout => {
                crate::process::stop(&mut child);
                return Err(format!("did not finish within {timeout:.0?} and was stopped"));
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
            Err(e) => {
                crate::process::stop(&mut child);
                return Err(format!("could not be waited for ({e})"));
            }
        }
    }
}
