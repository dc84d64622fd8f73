//! The lock that serialises writers of one record: an advisory lock on a sidecar file
//! (the rename replaces the record's inode), naming its holder, waited for only so long.

use super::*;

/// Who this process is, written into a lock it holds so that a writer left waiting can
/// name it: pid, host and command line.
pub(super) fn holder_line() -> String {
    let host = fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(system_host_name)
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this machine".into());
    let mut command: Vec<String> = std::env::args().collect();
    // A forget's arguments name the person it removes: the lock must not keep them.
    if let Some(at) = command.iter().position(|a| a == "forget") {
        command.truncate(at + 1);
        command.push("…".into());
    }
    let mut command = command.join(" ");
    if command.len() > 200 {
        let mut end = 200;
        while !command.is_char_boundary(end) {
            end -= 1;
        }
        command.truncate(end);
        command.push('…');
    }
    format!("pid {} on {host}: {command}\n", std::process::id())
}

/// The machine's name as the system gives it (where `/proc` has none).
#[cfg(unix)]
fn system_host_name() -> Option<String> {
    Some(rustix::system::uname().nodename().to_string_lossy().into_owned())
}

#[cfg(not(unix))]
fn system_host_name() -> Option<String> {
    None
}

/// What a lock file says about its holder, made safe to print (it is a file in the book,
/// which anyone with write access could have filled with escape sequences).
pub(super) fn holder_of(lock: &Path) -> Option<String> {
    let text = fs::read_to_string(lock).ok()?;
    let line: String = text.lines().next()?.chars().take(300).map(|c| if c.is_control() { '?' } else { c }).collect();
    (!line.trim().is_empty()).then_some(line)
}

/// An exclusive advisory lock on a record's sidecar lock file, released on drop.
#[derive(Debug)]
pub(super) struct Lock(File);

impl Lock {
    pub(super) fn open(path: &Path) -> Result<(PathBuf, File)> {
        let lock_path = sidecar(path, "lock");
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        // Never through a link: a planted `.NAME.yaml.lock` link must not make the holder
        // line land in a file elsewhere.
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
        }
        let file = options.open(&lock_path).map_err(|e| write_error(&lock_path, e))?;
        Ok((lock_path, file))
    }

    /// Wait for the lock, like git's `index.lock` or SQLite's busy timeout: after a second
    /// say on stderr whom we wait for, and give up after `timeout` (`CARE_LOCK_TIMEOUT`).
    pub(super) fn acquire(path: &Path, timeout: Duration, warner: &Warner) -> Result<Lock> {
        let (lock_path, file) = Lock::open(path)?;
        let start = Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&lock_path, e)),
            }
            let waited = start.elapsed();
            if waited >= timeout {
                return Err(Error::LockTimeout { lock: lock_path.clone(), holder: holder_of(&lock_path), waited });
            }
            if !told && waited >= Duration::from_secs(1) {
                told = true;
                let by = holder_of(&lock_path).map(|h| format!(", held by {h}")).unwrap_or_default();
                warner.warn(&format!(
                    "waiting for the lock {}{by}; giving up after {:.0?} (CARE_LOCK_TIMEOUT)",
                    lock_path.display(),
                    timeout
                ));
            }
            std::thread::sleep(Duration::from_millis(20).min(timeout - waited));
        }
        // Whoever waits next can name us. A failure here only costs that message.
        let _ = file.set_len(0);
        let _ = (&file).write_all(holder_line().as_bytes());
        Ok(Lock(file))
    }

    /// The lock if it is free right now, else `None` (for cleaning up, never worth a wait).
    pub(super) fn try_acquire(path: &Path) -> Option<Lock> {
        let (_, file) = Lock::open(path).ok()?;
        file.try_lock().ok()?;
        Some(Lock(file))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}
