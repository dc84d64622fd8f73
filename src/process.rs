//! Stopping a child program for good: git (every call has a time limit) and the clone's
//! hooks (each has one too) are started in a process group of their own, so that what
//! they started themselves (a pager, a credential helper, a hook's own children) is
//! stopped with them when the limit passes, which std's `Child::kill` alone cannot do.

use std::process::Child;

/// Kill the child and everything in its process group, then reap it.
pub fn stop(child: &mut Child) {
    #[cfg(unix)]
    if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}
