//! `care serve` driven over raw sockets: the server started on an ephemeral port with its
//! stderr kept, and requests written byte for byte, so that a test says exactly what a
//! hostile or ordinary client sends. Every socket read has a deadline.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{SERVE_LIMIT, TestBook};

/// How long any one answer may take before the test calls it a hang: generous, since this
/// checks that an answer comes, not how fast (a loaded 2-core machine, a debug build).
pub const ANSWER: Duration = Duration::from_secs(5);

/// A running `care serve`: killed when dropped; what it said on stderr is kept.
pub struct Server {
    pub child: std::process::Child,
    /// `127.0.0.1:PORT`: where the tests connect, whatever address was printed.
    pub addr: String,
    /// The `http://…` URL it printed.
    pub url: String,
    pub stderr: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn said(&self) -> String {
        self.stderr.lock().map(|l| l.join("\n")).unwrap_or_default()
    }
}

/// `care serve --port 0 ARGS` in the book, once it has printed its URL.
pub fn serve(book: &TestBook, args: &[&str]) -> Server {
    let mut child = book
        .process()
        .arg("serve")
        .args(["--port", "0"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let stderr = child.stderr.take().expect("stderr");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let kept = lines.clone();
    // Drains stderr for the server's whole life, so a late warning never meets a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                let _ = tx.send(url.to_string());
            }
            kept.lock().expect("lines").push(line);
        }
    });
    let mut server = Server { child, addr: String::new(), url: String::new(), stderr: lines };
    let Ok(url) = rx.recv_timeout(SERVE_LIMIT) else { panic!("no address printed: {}", server.said()) };
    let port = url.rsplit_once(':').and_then(|(_, p)| p.split('/').next()).expect("port");
    server.addr = format!("127.0.0.1:{port}");
    server.url = url;
    server
}

pub fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(ANSWER)).expect("timeout");
    s.set_write_timeout(Some(ANSWER)).expect("timeout");
    s
}

/// An answer: status, head (lowercase) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// Read one answer off a socket: the head, then as many body bytes as it says.
pub fn answer(s: &mut TcpStream) -> Option<Answer> {
    let mut bytes = Vec::new();
    let mut byte = [0u8; 1];
    while !bytes.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => bytes.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&bytes).to_lowercase();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let length: usize =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    let mut body = vec![0u8; length];
    s.read_exact(&mut body).ok()?;
    Some(Answer { status, head, body: String::from_utf8_lossy(&body).into_owned() })
}

/// Send raw bytes on a new connection and read the answer.
pub fn raw(addr: &str, request: &[u8]) -> Answer {
    let mut s = connect(addr);
    let _ = s.write_all(request);
    answer(&mut s).unwrap_or_else(|| panic!("no answer within {ANSWER:?} to {:?}", cut(request)))
}

pub fn cut(b: &[u8]) -> String {
    String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned()
}

/// GET a path with our Host; returns (status, body).
pub fn get(addr: &str, path: &str) -> (u16, String) {
    let a = raw(addr, format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes());
    (a.status, a.body)
}
