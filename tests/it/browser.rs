//! `care serve` in a real browser: tests/it/serve.rs reads the HTML over a socket, but the
//! host stand sees what a browser makes of it, on a phone or a desktop screen. So headless
//! Chromium loads the page at a phone width (390×844) and a desktop width (1280×800): the
//! DOM it built must carry the critical preference and the active flag, and a screenshot
//! of each width must come out as a real picture of that size. Then the same page through
//! WebDriver (common/webdriver.rs, the client the form tests of browser_forms.rs use): a
//! form filled in and sent, the card found by CSS, screenshots at both sizes, and the
//! browser gone afterwards. A machine without a Chromium (or chromedriver) skips with a word on stderr, unless CARE_REQUIRE_BROWSER=1 (set by .ci/run
//! once it has installed one) makes that a failure. Every process is killed after a
//! bounded wait, so a stuck browser or server fails the test instead of hanging the suite.

use crate::common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::webdriver::{self, Driver, LIMIT, png_size};
use common::{TestBook, serve};

/// The browser, or None when the test should skip; panics when a browser is required.
fn browser_or_skip() -> Option<PathBuf> {
    let found = webdriver::browser();
    if found.is_none() {
        webdriver::skip_unless_required(
            "no chromium, chromium-browser or google-chrome on the PATH",
            "apt-get install chromium",
        );
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

/// Headless Chromium with the flags the WebDriver tests use too (common/webdriver.rs says why).
fn chromium(bin: &Path, profile: &Path, (w, h): (u32, u32)) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("--headless")
        .args(webdriver::CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={w},{h}"));
    cmd
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
        dump.arg("--dump-dom").arg(&server.url);
        let (ok, dom, err) = bounded(dump);
        assert!(ok, "{label}: chromium --dump-dom failed:\n{err}");
        assert!(dom.contains("Allergic to shellfish"), "{label}: the critical preference is on the page:\n{dom}");
        assert!(dom.contains("class=\"critical\""), "{label}: and highlighted");
        assert!(dom.contains("Rough evening — recheck every order"), "{label}: the flag is on the page");
        assert!(dom.contains("Bob Marley"), "{label}: every arrival is listed");

        let shot = book.path(&format!("{label}.png"));
        let mut picture = chromium(&bin, profile.path(), size);
        picture.arg(format!("--screenshot={}", shot.display())).arg(&server.url);
        let (ok, _, err) = bounded(picture);
        assert!(ok, "{label}: chromium --screenshot failed:\n{err}");
        let bytes = std::fs::read(&shot).unwrap_or_else(|e| panic!("{label}: no screenshot ({e}):\n{err}"));
        assert_eq!(png_size(&bytes), Some(size), "{label}: a PNG of the window's size");
        // A blank page of this size compresses to a few KB; text and coloured boxes do not.
        assert!(bytes.len() > 10_000, "{label}: the screenshot is nearly empty ({} bytes)", bytes.len());
    }
}

#[test]
fn webdriver_sends_the_arrivals_form_and_finds_the_critical_preference() {
    let Some(driver) = Driver::start((390, 844)) else { return };
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--id", "ada"]);
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish"]);
    book.add("Bob Marley");
    let server = serve(&book, &[]);

    driver.navigate(&server.url);
    assert_eq!(driver.current_url(), server.url);
    assert!(driver.try_find(".card").is_none(), "no arrivals yet, so no card:\n{}", driver.page_source());
    let size = driver.execute("return [window.innerWidth, window.innerHeight]", vec![]);
    assert_eq!(size, serde_json::json!([390, 844]), "the viewport is the phone's");

    // Typed as a host would, then sent with the form's own button.
    let list = driver.find("textarea[name=list]");
    driver.send_keys(&list, "ada\nbob");
    assert_eq!(driver.property(&list, "value"), "ada\nbob", "what was typed is in the field");
    let form = driver.find("form");
    driver.click(&driver.find_in(&form, "button[type=submit]"));
    driver.wait_until("the page the form asked for", |d| d.is_stale(&form));
    assert!(
        driver.current_url().starts_with(&format!("{}?list=ada", server.url)),
        "a GET with the list: {}",
        driver.current_url()
    );

    let critical = driver.wait_for(".critical");
    assert_eq!(driver.text(&critical), "! Allergic to shellfish", "the critical preference, by CSS");
    assert!(driver.page_source().contains("Bob Marley"), "every arrival is listed");
    let cards = driver.find_all(".card");
    assert_eq!(cards.len(), 2, "a card per arrival");
    assert!(driver.text(&cards[0]).contains("Ada Lovelace"), "in the list's order: {}", driver.text(&cards[0]));

    for (label, (w, h)) in [("phone", (390, 844)), ("desktop", (1280, 800))] {
        driver.set_viewport(w, h);
        let png = driver.screenshot();
        assert_eq!(png_size(&png), Some((w, h)), "{label}: a PNG of the window's size");
        // A blank page of this size compresses to a few KB; text and coloured boxes do not.
        assert!(png.len() > 10_000, "{label}: the screenshot is nearly empty ({} bytes)", png.len());
        std::fs::write(book.path(&format!("webdriver-{label}.png")), &png).expect("writes");
    }

    // Dropping the driver ends the browser too: nothing is left running after a test.
    let pid = driver.browser_pid().expect("chromedriver names the browser's process");
    drop(driver);
    let start = Instant::now();
    let alive = || std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "));
    while alive() {
        assert!(start.elapsed() < LIMIT, "the browser (pid {pid}) outlived its driver");
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn webdriver_base64_decodes_the_rfc_4648_vectors() {
    for (text, plain) in [
        ("", ""),
        ("Zg==", "f"),
        ("Zm8=", "fo"),
        ("Zm9v", "foo"),
        ("Zm9vYg==", "foob"),
        ("Zm9vYmE=", "fooba"),
        ("Zm9vYmFy", "foobar"),
    ] {
        assert_eq!(webdriver::base64(text).as_deref(), Some(plain.as_bytes()), "{text}");
    }
    assert_eq!(webdriver::base64("/+A="), Some(vec![0xff, 0xe0]), "the two symbols past the alphanumerics");
    assert_eq!(webdriver::base64("Zm9v!"), None, "a character outside the alphabet");
    assert_eq!(webdriver::base64("Zm9vY"), None, "a lone sixth bit group is no byte");
}

#[test]
fn webdriver_gives_up_on_a_driver_that_never_answers_or_hangs_up_early() {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    // A stuck chromedriver: it takes the connection and the request, and says nothing.
    let silent = TcpListener::bind("127.0.0.1:0").expect("binds");
    let port = silent.local_addr().expect("port").port();
    let keep = thread::spawn(move || {
        let (mut conn, _) = silent.accept().expect("accepts");
        let mut buf = [0u8; 1024];
        let _ = conn.read(&mut buf);
        thread::sleep(Duration::from_millis(1500));
    });
    let start = Instant::now();
    let err =
        webdriver::http(port, "GET", "/status", None, Duration::from_millis(500)).expect_err("no answer is an error");
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    assert!(start.elapsed() < Duration::from_secs(2), "given up at its limit, not later: {:?}", start.elapsed());
    keep.join().expect("joins");

    // One that dribbles a head and a short body, then hangs up: an error, not a hang or a cut answer.
    let early = TcpListener::bind("127.0.0.1:0").expect("binds");
    let port = early.local_addr().expect("port").port();
    let serve = thread::spawn(move || {
        let (mut conn, _) = early.accept().expect("accepts");
        let mut buf = [0u8; 1024];
        let _ = conn.read(&mut buf);
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"value\":");
    });
    let err = webdriver::http(port, "GET", "/status", None, LIMIT).expect_err("a cut answer is an error");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{err}");
    serve.join().expect("joins");
}
