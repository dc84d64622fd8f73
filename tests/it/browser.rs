//! `care serve` in a real browser: tests/it/serve.rs reads the HTML over a socket, but the
//! host stand sees what a browser makes of it, on a phone or a desktop screen. So headless
//! Chromium loads the page at a phone width (390×844) and a desktop width (1280×800): the
//! DOM it built must carry the critical preference and the active flag, and a screenshot
//! of each width must come out as a real picture of that size. A machine without a
//! Chromium skips with a word on stderr, unless CARE_REQUIRE_BROWSER=1 (set by .ci/run
//! once it has installed one) makes that a failure. Every process is killed after a
//! bounded wait, so a stuck browser or server fails the test instead of hanging the suite.

use crate::common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{TestBook, serve};

/// Long enough for a cold Chromium start on a loaded 2-core machine, short enough that a
/// hang is seen well inside CI's limit.
const LIMIT: Duration = Duration::from_secs(60);

/// The first Chromium-like browser on the PATH.
fn browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// The browser, or None when the test should skip; panics when a browser is required.
fn browser_or_skip() -> Option<PathBuf> {
    let found = browser();
    if found.is_none() {
        let why = "no chromium, chromium-browser or google-chrome on the PATH";
        if std::env::var("CARE_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("{why}, and CARE_REQUIRE_BROWSER=1 requires one");
        }
        eprintln!("skipping the browser test: {why} (apt-get install chromium)");
    }
    found
}

/// Run a command to its end or kill it at LIMIT; returns (success, stdout, stderr).
fn bounded(mut cmd: Command) -> (bool, String, String) {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawns");
    // Pipes are drained on threads so a chatty browser cannot block on a full pipe.
    let drain = |r: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut r) = r {
                let _ = r.read_to_string(&mut s);
            }
            s
        })
    };
    let out = drain(child.stdout.take().map(|r| Box::new(r) as Box<dyn Read + Send>));
    let err = drain(child.stderr.take().map(|r| Box::new(r) as Box<dyn Read + Send>));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} still running after {LIMIT:?}; killed");
        }
        thread::sleep(Duration::from_millis(50));
    };
    (status.success(), out.join().unwrap_or_default(), err.join().unwrap_or_default())
}

/// Headless Chromium as the probe of this machine runs it: as root it needs --no-sandbox,
/// and without the background-networking flags it keeps trying hosts a closed network refuses.
fn chromium(bin: &Path, profile: &Path, (w, h): (u32, u32)) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--window-size={w},{h}"));
    cmd
}

/// Width and height from a PNG's IHDR chunk, or None if the bytes are no PNG.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    Some((word(16), word(20)))
}

#[test]
fn the_page_in_a_real_browser_at_phone_and_desktop_widths() {
    let Some(bin) = browser_or_skip() else { return };
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--id", "ada"]);
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish"]);
    book.ok(&["flag", "ada", "Rough evening — recheck every order"]);
    book.add("Bob Marley");
    book.write("tonight.txt", "ada\nbob\n");
    let server = serve(&book, &["--arrivals", "tonight.txt"]);

    for (label, size) in [("phone", (390, 844)), ("desktop", (1280, 800))] {
        let profile = tempfile::TempDir::new().expect("profile dir");
        let mut dump = chromium(&bin, profile.path(), size);
        dump.arg("--dump-dom").arg(&server.1);
        let (ok, dom, err) = bounded(dump);
        assert!(ok, "{label}: chromium --dump-dom failed:\n{err}");
        assert!(dom.contains("Allergic to shellfish"), "{label}: the critical preference is on the page:\n{dom}");
        assert!(dom.contains("class=\"critical\""), "{label}: and highlighted");
        assert!(dom.contains("Rough evening — recheck every order"), "{label}: the flag is on the page");
        assert!(dom.contains("Bob Marley"), "{label}: every arrival is listed");

        let shot = book.path(&format!("{label}.png"));
        let mut picture = chromium(&bin, profile.path(), size);
        picture.arg(format!("--screenshot={}", shot.display())).arg(&server.1);
        let (ok, _, err) = bounded(picture);
        assert!(ok, "{label}: chromium --screenshot failed:\n{err}");
        let bytes = std::fs::read(&shot).unwrap_or_else(|e| panic!("{label}: no screenshot ({e}):\n{err}"));
        assert_eq!(png_size(&bytes), Some(size), "{label}: a PNG of the window's size");
        // A blank page of this size compresses to a few KB; text and coloured boxes do not.
        assert!(bytes.len() > 10_000, "{label}: the screenshot is nearly empty ({} bytes)", bytes.len());
    }
}
