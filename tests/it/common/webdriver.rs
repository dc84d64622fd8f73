//! A minimal W3C WebDriver client, so a test can fill in and submit `care serve`'s forms
//! in a real browser the way a phone would: `--dump-dom` and `--screenshot` (browser.rs)
//! only load a page. chromedriver speaks WebDriver as JSON over plain HTTP/1.1 on
//! localhost, and the dozen calls a test needs fit in this file on `TcpStream` and
//! serde_json; a client crate (fantoccini, thirtyfour) would bring an async stack and
//! hundreds of lines of API for them. Nothing hangs: every call has a deadline, waits poll
//! with a bound, and dropping the `Driver` ends the session and kills chromedriver's whole
//! process group, browser included.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

/// Long enough for a cold Chromium start on a loaded 2-core machine, short enough that a
/// hang is seen well inside CI's limit. Each call to chromedriver gets this long.
pub const LIMIT: Duration = Duration::from_secs(60);

/// The browser's own page-load and script timeouts: shorter than LIMIT, so a page that
/// never loads comes back as WebDriver's error (which says so) before the socket gives up.
const PAGE_LIMIT_MS: u64 = 30_000;

/// One look at `/status` while chromedriver starts: it answers at once when it answers.
const STATUS_LIMIT: Duration = Duration::from_secs(5);

/// How often waits look again.
const POLL: Duration = Duration::from_millis(50);

/// The key under which WebDriver returns an element reference (the spec's constant).
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The Enter key, for `send_keys` (WebDriver's code point for it).
pub const ENTER: &str = "\u{E007}";

/// Flags for headless Chromium on this machine: as root it needs --no-sandbox, and without
/// the background-networking flags it keeps trying hosts a closed network refuses.
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--disable-crash-reporter",
];

/// The first program of these names on the PATH.
pub fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name))).find(|p| p.is_file())
}

/// The first Chromium-like browser on the PATH.
pub fn browser() -> Option<PathBuf> {
    on_path(&["chromium", "chromium-browser", "google-chrome"])
}

/// Skip (None, with a word on stderr) when `missing` names something this machine lacks,
/// unless CARE_REQUIRE_BROWSER=1 (set by .ci/run once it has installed them) makes that a failure.
pub fn skip_unless_required(missing: &str, install: &str) {
    if std::env::var("CARE_REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!("{missing}, and CARE_REQUIRE_BROWSER=1 requires it");
    }
    eprintln!("skipping the browser test: {missing} ({install})");
}

/// A WebDriver error as chromedriver reports it: the HTTP status, the spec's error code
/// (`no such element`, `stale element reference`, …) and its message.
#[derive(Debug)]
pub struct WdError {
    pub status: u16,
    pub error: String,
    pub message: String,
}

/// An element of the current page, as WebDriver names it.
#[derive(Debug, Clone)]
pub struct Element(String);

/// A chromedriver with one browser session, killed (with its browser) when dropped.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    port: u16,
    session: String,
    browser_pid: Option<u32>,
    log: PathBuf,
    _profile: TempDir,
}

impl Driver {
    /// A headless browser of `size` (CSS pixels), or None when the test should skip for
    /// want of chromium or chromedriver.
    pub fn start(size: (u32, u32)) -> Option<Driver> {
        let Some(driver) = on_path(&["chromedriver"]) else {
            skip_unless_required("no chromedriver on the PATH", "apt-get install chromium-driver");
            return None;
        };
        if browser().is_none() {
            skip_unless_required(
                "no chromium, chromium-browser or google-chrome on the PATH",
                "apt-get install chromium",
            );
            return None;
        }
        Some(Driver::launch(&driver, size))
    }

    /// Start `chromedriver` on a free port, wait until it is ready and open a session.
    pub fn launch(chromedriver: &Path, (w, h): (u32, u32)) -> Driver {
        let profile = TempDir::new().expect("profile dir");
        let log = profile.path().join("chromedriver.log");
        // A port the OS just handed out and released: chromedriver cannot be asked for
        // "any free port" and tell which, and the window for another taker is tiny.
        let port =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("a free port").port();
        let mut cmd = Command::new(chromedriver);
        cmd.arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so Drop can kill the browser it starts along with it.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("{}: {e}", chromedriver.display()));
        let mut driver = Driver { child, port, session: String::new(), browser_pid: None, log, _profile: profile };
        driver.wait_ready();
        let mut args: Vec<String> = vec!["--headless=new".into(), format!("--window-size={w},{h}")];
        args.extend(CHROMIUM_FLAGS.iter().map(|s| s.to_string()));
        args.push(format!("--user-data-dir={}", driver._profile.path().join("chromium").display()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"pageLoad": PAGE_LIMIT_MS, "script": PAGE_LIMIT_MS, "implicit": 0},
            "goog:chromeOptions": {"args": args},
        }}});
        let made = driver.must("POST", "/session", Some(caps));
        driver.session = made["sessionId"].as_str().unwrap_or_else(|| panic!("no sessionId in {made}")).to_string();
        driver.browser_pid = made["capabilities"]["goog:processID"].as_u64().and_then(|p| u32::try_from(p).ok());
        driver.set_viewport(w, h);
        driver
    }

    /// The browser's main process, as chromedriver reports it (to check it is gone after Drop).
    pub fn browser_pid(&self) -> Option<u32> {
        self.browser_pid
    }

    /// Poll `/status` until chromedriver says it is ready, failing if it exits or takes LIMIT.
    fn wait_ready(&mut self) {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("chromedriver exited ({status}) before it was ready:\n{}", self.log_tail());
            }
            if let Ok((200, body)) = http(self.port, "GET", "/status", None, STATUS_LIMIT)
                && serde_json::from_str::<Value>(&body).is_ok_and(|v| v["value"]["ready"] == true)
            {
                return;
            }
            assert!(start.elapsed() < LIMIT, "chromedriver not ready after {LIMIT:?}:\n{}", self.log_tail());
            std::thread::sleep(POLL);
        }
    }

    /// The end of chromedriver's log, for a failure's message.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// One WebDriver command; `path` is below the session unless it starts at `/session` itself.
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, WdError> {
        let full = if self.session.is_empty() || path == "/session" {
            path.to_string()
        } else {
            format!("/session/{}{path}", self.session)
        };
        // POST must carry a JSON body, even an empty one.
        let body = body.or_else(|| (method == "POST").then(|| json!({})));
        let text = body.as_ref().map(Value::to_string);
        let (status, reply) = http(self.port, method, &full, text.as_deref(), LIMIT).unwrap_or_else(|e| {
            panic!("{method} {full}: {e} (chromedriver or the browser is stuck or gone)\n{}", self.log_tail())
        });
        let value: Value =
            serde_json::from_str(&reply).unwrap_or_else(|e| panic!("{method} {full}: not JSON ({e}): {reply}"));
        let value = value.get("value").cloned().unwrap_or(Value::Null);
        if status == 200 {
            return Ok(value);
        }
        let field = |k: &str| value[k].as_str().unwrap_or_default().to_string();
        Err(WdError { status, error: field("error"), message: field("message") })
    }

    /// A command that must succeed.
    fn must(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {} ({}): {}", e.error, e.status, e.message))
    }

    pub fn navigate(&self, url: &str) {
        self.must("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn current_url(&self) -> String {
        self.must("GET", "/url", None).as_str().unwrap_or_default().to_string()
    }

    pub fn page_source(&self) -> String {
        self.must("GET", "/source", None).as_str().unwrap_or_default().to_string()
    }

    /// The first element matching a CSS selector, or None when there is none.
    pub fn try_find(&self, css: &str) -> Option<Element> {
        match self.call("POST", "/element", Some(json!({"using": "css selector", "value": css}))) {
            Ok(v) => Some(element(&v)),
            Err(e) if e.error == "no such element" => None,
            Err(e) => panic!("finding {css:?}: {}: {}", e.error, e.message),
        }
    }

    /// The first element matching a CSS selector; the page's source in the panic if none.
    pub fn find(&self, css: &str) -> Element {
        self.try_find(css)
            .unwrap_or_else(|| panic!("no element {css:?} on {}:\n{}", self.current_url(), self.page_source()))
    }

    /// The first element matching a CSS selector inside `el`; the page's source in the panic if none.
    pub fn find_in(&self, el: &Element, css: &str) -> Element {
        match self.call(
            "POST",
            &format!("/element/{}/element", el.0),
            Some(json!({"using": "css selector", "value": css})),
        ) {
            Ok(v) => element(&v),
            Err(e) => panic!("finding {css:?} inside an element: {}: {}\n{}", e.error, e.message, self.page_source()),
        }
    }

    /// Every element matching a CSS selector, in document order.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self.must("POST", "/elements", Some(json!({"using": "css selector", "value": css})));
        found.as_array().map(|a| a.iter().map(element).collect()).unwrap_or_default()
    }

    /// Poll until `ready` holds, or fail at LIMIT naming `what` and showing the page.
    pub fn wait_until(&self, what: &str, mut ready: impl FnMut(&Driver) -> bool) {
        let start = Instant::now();
        while !ready(self) {
            if start.elapsed() > LIMIT {
                panic!("waited {LIMIT:?} for {what} on {}:\n{}", self.current_url(), self.page_source());
            }
            std::thread::sleep(POLL);
        }
    }

    /// Wait for an element to appear.
    pub fn wait_for(&self, css: &str) -> Element {
        let mut found = None;
        self.wait_until(&format!("an element {css:?}"), |d| {
            found = d.try_find(css);
            found.is_some()
        });
        found.expect("found")
    }

    /// Type into an element (after focusing it, as WebDriver does).
    pub fn send_keys(&self, el: &Element, text: &str) {
        self.must("POST", &format!("/element/{}/value", el.0), Some(json!({ "text": text })));
    }

    pub fn clear(&self, el: &Element) {
        self.must("POST", &format!("/element/{}/clear", el.0), None);
    }

    pub fn click(&self, el: &Element) {
        self.must("POST", &format!("/element/{}/click", el.0), None);
    }

    /// The element's rendered text, as a user sees it.
    pub fn text(&self, el: &Element) -> String {
        self.must("GET", &format!("/element/{}/text", el.0), None).as_str().unwrap_or_default().to_string()
    }

    /// An attribute as written in the HTML, or None when absent.
    pub fn attribute(&self, el: &Element, name: &str) -> Option<String> {
        self.must("GET", &format!("/element/{}/attribute/{name}", el.0), None).as_str().map(str::to_string)
    }

    /// A DOM property (`value`, `checked`, …).
    pub fn property(&self, el: &Element, name: &str) -> Value {
        self.must("GET", &format!("/element/{}/property/{name}", el.0), None)
    }

    /// The element's tag name, lower case.
    pub fn tag_name(&self, el: &Element) -> String {
        self.must("GET", &format!("/element/{}/name", el.0), None).as_str().unwrap_or_default().to_lowercase()
    }

    /// Whether the element belongs to a page that is gone (the browser has navigated on).
    pub fn is_stale(&self, el: &Element) -> bool {
        match self.call("GET", &format!("/element/{}/name", el.0), None) {
            Ok(_) => false,
            Err(e) if e.error == "stale element reference" || e.error == "no such element" => true,
            // Chromium's words for a node of a page already left, while the next one loads.
            Err(e) if e.message.contains("does not belong to the document") => true,
            // Mid-navigation the inspector may answer nothing useful: ask again (the
            // caller's wait has a deadline, so this cannot hang).
            Err(e) if e.error == "unknown error" => false,
            Err(e) => panic!("checking an element: {}: {}", e.error, e.message),
        }
    }

    /// Run a script in the page and return what it returns (`arguments` holds `args`).
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.must("POST", "/execute/sync", Some(json!({ "script": script, "args": args })))
    }

    /// An element as a script argument.
    pub fn arg(el: &Element) -> Value {
        json!({ ELEMENT: el.0 })
    }

    /// Resize the window (CSS pixels). The page gets less: the headless window keeps room
    /// for a toolbar and is at least 500 wide, so a test that needs an exact page size sets
    /// the viewport as well.
    pub fn set_window_rect(&self, w: u32, h: u32) {
        self.must("POST", "/window/rect", Some(json!({"width": w, "height": h})));
    }

    /// Give the page exactly w×h CSS pixels at scale 1, as a device of that screen would,
    /// through chromedriver's DevTools passthrough (WebDriver itself sizes only windows).
    /// Narrower than 600 is a phone: the page's `<meta name=viewport>` applies, as on one.
    pub fn set_viewport(&self, w: u32, h: u32) {
        self.window_size_at_least(w, h);
        let params = json!({"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 600});
        self.must(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": params})),
        );
    }

    /// Grow the window to hold a viewport of w×h, so the emulated page is not clipped.
    fn window_size_at_least(&self, w: u32, h: u32) {
        let rect = self.must("GET", "/window/rect", None);
        let now = |k: &str| rect[k].as_u64().unwrap_or(0);
        if now("width") < u64::from(w) || now("height") < u64::from(h) + 200 {
            self.set_window_rect(w.max(500), h + 200);
        }
    }

    /// The viewport as PNG bytes.
    pub fn screenshot(&self) -> Vec<u8> {
        let b64 = self.must("GET", "/screenshot", None);
        base64(b64.as_str().expect("a base64 string")).expect("valid base64 from chromedriver")
    }

    /// End the session (the browser quits); bounded like every call.
    pub fn delete_session(&mut self) {
        if !self.session.is_empty() {
            let _ = self.call("DELETE", "", None);
            self.session.clear();
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // A stuck chromedriver would make the polite DELETE wait; while panicking, go straight
        // to the kill.
        if !std::thread::panicking() {
            self.delete_session();
        }
        let _ = rustix::process::kill_process_group(
            rustix::process::Pid::from_child(&self.child),
            rustix::process::Signal::KILL,
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Element {
    /// An element a script returned (or any WebDriver element reference).
    pub fn from_json(v: &Value) -> Element {
        Element(v[ELEMENT].as_str().unwrap_or_else(|| panic!("not an element: {v}")).to_string())
    }
}

fn element(v: &Value) -> Element {
    Element::from_json(v)
}

/// One HTTP/1.1 request to chromedriver on localhost; the reply's status and body. The
/// body is read by its Content-Length (chromedriver always sends one). The whole exchange
/// gets `limit`, however the other end dribbles its answer: a TimedOut error after that.
pub fn http(port: u16, method: &str, path: &str, body: Option<&str>, limit: Duration) -> io::Result<(u16, String)> {
    let deadline = Instant::now() + limit;
    let left = || deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
    let mut s = TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)), left())?;
    s.set_write_timeout(Some(left()))?;
    let body = body.unwrap_or("");
    let typ = if body.is_empty() { "" } else { "Content-Type: application/json; charset=utf-8\r\n" };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{typ}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    let bad = |why: &str| io::Error::new(io::ErrorKind::InvalidData, why.to_string());
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).into_owned();
            let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad(&head))?;
            let length = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok());
            if let Some(len) = length
                && raw.len() >= end + 4 + len
            {
                return Ok((status, String::from_utf8_lossy(&raw[end + 4..end + 4 + len]).into_owned()));
            }
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(io::ErrorKind::TimedOut, format!("no full answer within {limit:?}")));
        }
        s.set_read_timeout(Some(left()))?;
        match s.read(&mut chunk).map_err(|e| match e.kind() {
            // A read timeout shows as WouldBlock on Unix.
            io::ErrorKind::WouldBlock => {
                io::Error::new(io::ErrorKind::TimedOut, format!("no full answer within {limit:?}"))
            }
            _ => e,
        })? {
            0 => return Err(bad("connection closed before a full answer with a Content-Length")),
            n => raw.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Standard base64 (RFC 4648, with padding), as WebDriver sends screenshots.
pub fn base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for group in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in group.iter().enumerate() {
            acc |= u32::from(value(c)?) << (18 - 6 * i);
        }
        out.extend_from_slice(&acc.to_be_bytes()[1..group.len()]);
    }
    Some(out)
}

/// Width and height from a PNG's IHDR chunk, or None if the bytes are no PNG.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    Some((word(16), word(20)))
}
