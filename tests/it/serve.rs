//! `care serve` over real HTTP on 127.0.0.1 with an ephemeral port: the page shows the
//! arrivals' cards (critical first, highlighted, record text escaped), flags and
//! follow-ups due; bound elsewhere it refuses requests without its token; `--incognito`
//! hides contacts and money. Then the page is attacked as a hostile client would, with raw
//! bytes on a socket: forged lengths, long URIs and headers, foreign names, half-open and
//! trickling sockets, pipelining, HTTP/2, odd methods and bytes; each time the server must
//! answer what it should and go on answering others. Every server is killed when its test
//! ends (a guard's Drop), every socket read has a deadline and every loop a bound.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::TestBook;
use common::http::{ANSWER, answer, connect, get, raw, serve};

const TOKEN: &str = "s3cret-s3cret-s3cret";

fn story() -> TestBook {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada <b>Lovelace</b>", "--id", "ada", "--phone", "+1 555 0100", "--value", "12000"]);
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish"]);
    book.ok(&["note", "ada", "--pref", "Likes the corner table"]);
    book.ok(&["recover", "open", "ada", "--what", "Entrées mixed up", "--at", "18:00"]);
    book.ok(&["flag", "ada", "Rough evening — recheck every order"]);
    book.add("Bob Marley");
    book.write("tonight.txt", "ada\nbob\nnobody-here\n");
    book
}

#[test]
fn the_page_shows_the_arrivals_cards_flags_and_follow_ups_due() {
    let book = story();
    let server = serve(&book, &["--arrivals", "tonight.txt"]);
    assert!(server.url.starts_with("http://127.0.0.1:"), "{}", server.url);
    let (status, body) = get(&server.addr, "/");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("http-equiv=\"refresh\""));
    assert!(body.contains("Ada &lt;b&gt;Lovelace&lt;/b&gt;"), "record text is escaped");
    assert!(!body.contains("<b>Lovelace</b>"));
    let critical = body.find("class=\"critical\">! Allergic to shellfish").expect("critical, highlighted");
    assert!(critical < body.find("Likes the corner table").expect("preference"), "critical first");
    assert!(body.contains("Entrées mixed up"), "what went wrong before");
    assert!(body.contains("Bob Marley"));
    assert!(body.contains("nobody-here"), "an unknown arrival is said");
    assert!(!body.contains("care customer") && !body.contains("`care"), "staff at the stand have no shell: {body}");
    assert!(body.contains("+1 555 0100"));
    assert!(body.contains("Follow-ups due") && body.contains("progress"), "the overdue progress follow-up");

    let (_, pasted) = get(&server.addr, "/?list=bob%0D%0A");
    assert!(pasted.contains("Bob Marley") && !pasted.contains("Allergic to shellfish</p>"), "the pasted list is used");
}

#[test]
fn every_answer_carries_the_security_headers_and_head_has_no_body() {
    let book = story();
    let server = serve(&book, &[]);
    let addr = &server.addr;
    let a = raw(addr, format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes());
    let refused = raw(addr, b"GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
    for a in [&a, &refused] {
        for h in [
            "content-type: text/html; charset=utf-8",
            "cache-control: no-store",
            "x-content-type-options: nosniff",
            "x-frame-options: deny",
            "referrer-policy: same-origin",
            "content-security-policy: default-src 'none'",
        ] {
            assert!(a.head.contains(h), "{h} in {}", a.head);
        }
    }
    let mut s = connect(addr);
    write!(s, "HEAD / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("request");
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.ends_with("\r\n\r\n"), "HEAD answers no body: {text}");
}

#[test]
fn incognito_hides_contacts_and_money() {
    let book = story();
    let server = serve(&book, &["--arrivals", "tonight.txt", "--incognito"]);
    let (status, body) = get(&server.addr, "/");
    assert_eq!(status, 200);
    assert!(body.contains("Allergic to shellfish"));
    assert!(!body.contains("555 0100") && !body.contains("12000"), "{body}");
}

#[test]
fn bound_elsewhere_it_answers_only_with_its_token() {
    let book = story();
    let server = serve(&book, &["--bind", "127.0.0.1", "--token", TOKEN]);
    let addr = &server.addr;
    assert_eq!(get(addr, "/").0, 401);
    assert_eq!(get(addr, "/?token=wrong").0, 403);
    assert_eq!(get(addr, &format!("/?token={}X", &TOKEN[..TOKEN.len() - 1])).0, 403, "same length, last byte wrong");
    assert_eq!(get(addr, &format!("/?token={TOKEN}{TOKEN}")).0, 403, "the token twice over");
    let (status, body) = get(addr, &format!("/?token={TOKEN}"));
    assert_eq!(status, 200);
    assert!(body.contains(&format!("name=\"token\" value=\"{TOKEN}\"")), "the form keeps the token");
    let bearer = raw(
        addr,
        format!("GET / HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(bearer.status, 200, "the token as a bearer");
    let wrong = raw(
        addr,
        format!("GET / HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}x\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(wrong.status, 403);
    assert_eq!(get(addr, &format!("/elsewhere?token={TOKEN}")).0, 404);
    assert_eq!(get(addr, "/elsewhere").0, 401, "no path is open without the token");

    let generated = serve(&book, &["--bind", "127.0.0.1"]);
    let (_, query) = generated.url.trim_start_matches("http://").split_once('/').expect("path");
    let token =
        query.strip_prefix("?token=").unwrap_or_else(|| panic!("a generated token is printed: {}", generated.url));
    assert!(token.len() >= 32 && token.bytes().all(|b| b.is_ascii_hexdigit()), "128 bits at least: {token}");
    assert_eq!(get(&generated.addr, "/").0, 401);
    assert_eq!(get(&generated.addr, &format!("/{query}")).0, 200);
}

#[test]
fn a_token_under_16_characters_is_refused_before_listening() {
    let book = story();
    let out = book.fails(&["serve", "--port", "0", "--bind", "127.0.0.1", "--token", "s3cret"], 2);
    assert!(out.stderr.contains("at least 16"), "{}", out.stderr);
    assert!(!out.stderr.contains("http://"), "nothing served");
    let out = book.fails(&["serve", "--port", "0", "--host", "bad name/x"], 2);
    assert!(out.stderr.contains("--host"), "{}", out.stderr);
}

#[test]
fn the_page_lists_reminders_and_checks_due_as_followup_due_does() {
    let book = story();
    book.ok(&["remind", "bob", "--due", "2026-11-22 09:00", "Send the <menu>"]);
    book.ok(&["action", "open", "--for", "product=soup", "--what", "New warmer", "--at", "2026-10-01"]);
    let due = book.ok(&["followup", "due", "--format", "csv"]);
    assert!(due.contains("reminder") && due.contains("verify"), "{due}");
    let server = serve(&book, &["--arrivals", "tonight.txt"]);
    let (status, body) = get(&server.addr, "/");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Send the &lt;menu&gt;"), "the reminder, escaped: {body}");
    assert!(body.contains("Verify the fix") && body.contains("New warmer"), "the check: {body}");
}

#[test]
fn a_huge_content_length_is_answered_413_at_once_and_the_server_goes_on() {
    let book = story();
    let server = serve(&book, &[]);
    let addr = &server.addr;
    for method in ["POST", "GET", "PUT"] {
        let a =
            raw(addr, format!("{method} / HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 99999999999\r\n\r\n").as_bytes());
        assert_eq!(a.status, 413, "{method}: {a:?}");
    }
    // A length no integer holds is no length at all.
    let a = raw(
        addr,
        format!("POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 99999999999999999999999\r\n\r\n").as_bytes(),
    );
    assert_eq!(a.status, 400, "{a:?}");
    // A chunked body is never read: the answer comes without it.
    let a = raw(
        addr,
        format!("POST / HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n").as_bytes(),
    );
    assert_eq!(a.status, 405, "{a:?}");
    assert_eq!(get(addr, "/").0, 200, "still answering");
    assert!(server.child.id() > 0 && !server.said().contains("memory allocation"), "{}", server.said());
}

#[test]
fn a_long_uri_is_414_and_huge_headers_431() {
    let book = story();
    let server = serve(&book, &[]);
    let addr = &server.addr;
    let long = format!("/?list={}", "a".repeat(100_000));
    assert_eq!(get(addr, &long).0, 414);
    let big = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nX-Big: {}\r\nConnection: close\r\n\r\n", "b".repeat(20_000));
    assert_eq!(raw(addr, big.as_bytes()).status, 431, "headers over 16 KiB");
    let many: String = (0..150).map(|i| format!("X-{i}: y\r\n")).collect();
    let many = format!("GET / HTTP/1.1\r\nHost: {addr}\r\n{many}Connection: close\r\n\r\n");
    assert_eq!(raw(addr, many.as_bytes()).status, 431, "150 headers");
    // A head over the whole read buffer: refused without reading it all.
    let mut s = connect(addr);
    let _ = write!(s, "GET / HTTP/1.1\r\nHost: {addr}\r\nX-Huge: ");
    let chunk = vec![b'c'; 64 * 1024];
    let sent = (0..16).take_while(|_| s.write_all(&chunk).is_ok()).count();
    // Either the 431 is read, or the server hung up before the rest could be sent (its
    // answer then lost to the reset): refused either way, never read whole.
    let refused = answer(&mut s).map(|a| a.status);
    assert!(refused == Some(431) || sent < 16, "a 1 MiB head is refused ({sent} chunks of 64 KiB taken): {refused:?}");
    assert_eq!(get(addr, "/").0, 200, "still answering");
}

#[test]
fn only_names_of_this_server_are_answered_and_host_adds_one() {
    let book = story();
    let server = serve(&book, &[]);
    let addr = &server.addr;
    let port = addr.rsplit_once(':').expect("port").1;
    let with_host = |host: &[u8]| {
        let mut r = b"GET / HTTP/1.1\r\nHost: ".to_vec();
        r.extend_from_slice(host);
        r.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
        raw(addr, &r)
    };
    for ok in ["localhost", &format!("localhost:{port}"), "127.0.0.1", &format!("[::1]:{port}"), "LocalHost."] {
        assert_eq!(with_host(ok.as_bytes()).status, 200, "{ok}");
    }
    for foreign in
        ["evil.example", &format!("evil.example:{port}"), "localhost.evil.example", "127.0.0.1.nip.io", "care.local"]
    {
        let a = with_host(foreign.as_bytes());
        assert_eq!(a.status, 421, "{foreign}: {a:?}");
        assert!(a.body.contains("--host"), "the way out is named: {}", a.body);
    }
    for odd in [&b"local\xffhost"[..], b"localhost\x01", b"127.0.0.1 evil", b""] {
        let a = with_host(odd);
        assert!([400, 421].contains(&a.status), "{:?}: {a:?}", String::from_utf8_lossy(odd));
    }
    // An absolute URI names the server too.
    let a =
        raw(addr, format!("GET http://evil.example/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes());
    assert_eq!(a.status, 421, "{a:?}");
    let a = raw(addr, b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(a.status, 400, "no Host at all: {a:?}");
    let a = raw(addr, b"GET / HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
    assert_ne!(a.status, 200, "two Hosts, one foreign: {a:?}");

    let lan = serve(&book, &["--host", "care.local", "--host", "Stand.Example"]);
    let a =
        raw(&lan.addr, format!("GET / HTTP/1.1\r\nHost: care.local:{port}\r\nConnection: close\r\n\r\n").as_bytes());
    assert_eq!(a.status, 200, "{a:?}");
    let a = raw(&lan.addr, b"GET / HTTP/1.1\r\nHost: stand.example\r\nConnection: close\r\n\r\n");
    assert_eq!(a.status, 200, "{a:?}");
    let a = raw(&lan.addr, b"GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
    assert_eq!(a.status, 421, "{a:?}");
}

#[test]
fn bound_to_every_address_it_prints_one_a_phone_can_open() {
    let book = story();
    let server = serve(&book, &["--bind", "0.0.0.0", "--token", TOKEN]);
    let host = server.url.trim_start_matches("http://").split('/').next().expect("host").to_string();
    assert!(!host.starts_with("0.0.0.0") && !host.starts_with("[::]"), "{}", server.url);
    assert!(server.url.ends_with(&format!("/?token={TOKEN}")), "{}", server.url);
    // Reached over loopback (tests never leave this machine), by the printed name.
    let addr = &server.addr;
    let a = raw(addr, format!("GET /?token={TOKEN} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes());
    assert_eq!(a.status, 200, "the printed name is answered: {a:?}");
    let a = raw(
        addr,
        format!("GET /?token={TOKEN} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    assert_eq!(a.status, 421, "{a:?}");
}

#[test]
fn only_get_and_head_are_answered() {
    let book = story();
    let server = serve(&book, &[]);
    let addr = &server.addr;
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "BREW", "X-ABSURD-METHOD"] {
        for path in ["/", "/elsewhere"] {
            let a = raw(
                addr,
                format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
            assert_eq!(a.status, 405, "{method} {path}: {a:?}");
            assert!(a.head.contains("allow: get") && a.head.contains("head"), "{method} {path}: {}", a.head);
        }
    }
    let a = raw(addr, format!("CONNECT evil.example:443 HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes());
    assert_ne!(a.status, 200, "{a:?}");
    let a = raw(addr, format!("G\x01T / HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes());
    assert_eq!(a.status, 400, "{a:?}");
    assert_eq!(get(addr, "/").0, 200, "still answering");
}

#[test]
fn thirty_half_open_sockets_do_not_stall_the_page() {
    let book = story();
    let server = serve(&book, &["--arrivals", "tonight.txt"]);
    let addr = &server.addr;
    let mut held = Vec::new();
    for i in 0..30 {
        let mut s = connect(addr);
        // Silent ones, ones stopped inside the head, ones that promised a body.
        match i % 3 {
            0 => {}
            1 => write!(s, "GET / HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ").expect("part"),
            _ => write!(s, "GET / HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 10\r\n\r\nab").expect("part"),
        }
        held.push(s);
    }
    let start = Instant::now();
    let (status, body) = get(addr, "/");
    assert_eq!(status, 200, "{body}");
    assert!(start.elapsed() < ANSWER, "answered in {:?} beside 30 half-open sockets", start.elapsed());
    drop(held);
}

#[test]
fn a_trickled_head_is_cut_off_and_others_are_answered_meanwhile() {
    let book = story();
    let server = serve(&book, &[]);
    let addr = &server.addr;
    let mut slow = connect(addr);
    let _ = write!(slow, "GET / HTTP/1.1\r\nHost: {addr}\r\n");
    let start = Instant::now();
    // One header byte every half second, for at most 40 s: the server must hang up first.
    let mut cut_off = false;
    for i in 0..80 {
        if i % 10 == 0 {
            assert_eq!(get(addr, "/").0, 200, "answered while a client trickles");
        }
        if slow.write_all(b"x").is_err() || closed(&slow) {
            cut_off = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(cut_off, "a head trickled for {:?} was never cut off", start.elapsed());
    assert!(start.elapsed() < Duration::from_secs(30), "cut off after {:?}", start.elapsed());
}

/// Whether the server has hung up (or said something) on a socket it owes no answer yet.
fn closed(s: &TcpStream) -> bool {
    s.set_nonblocking(true).expect("nonblocking");
    let read = s.peek(&mut [0u8; 1]);
    s.set_nonblocking(false).expect("blocking");
    !matches!(read, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

#[test]
fn pipelined_requests_are_answered_in_order_and_http2_is_refused() {
    let book = story();
    let server = serve(&book, &[]);
    let addr = &server.addr;
    let mut s = connect(addr);
    write!(
        s,
        "GET /?list=ada HTTP/1.1\r\nHost: {addr}\r\n\r\nGET /nothing HTTP/1.1\r\nHost: {addr}\r\n\r\nGET /?list=bob HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("pipelined");
    let (a, b, c) = (answer(&mut s), answer(&mut s), answer(&mut s));
    let (a, b, c) = (a.expect("first"), b.expect("second"), c.expect("third"));
    assert_eq!((a.status, b.status, c.status), (200, 404, 200));
    assert!(a.body.contains("Allergic to shellfish") && c.body.contains("Bob Marley"), "each its own page");

    // HTTP/2 with prior knowledge: not spoken here; refused or closed, never a page.
    let mut h2 = connect(addr);
    let _ = h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00");
    let mut text = Vec::new();
    let _ = h2.read_to_end(&mut text);
    let text = String::from_utf8_lossy(&text);
    assert!(!text.contains("200 OK"), "{text}");
    assert_eq!(get(addr, "/").0, 200, "still answering");
}

#[test]
fn a_long_list_beside_an_ordinary_request_does_not_hold_it_up() {
    let book = story();
    for i in 0..40 {
        book.add(&format!("Guest Number{i}"));
    }
    let server = serve(&book, &["--arrivals", "tonight.txt"]);
    let addr = server.addr.clone();
    // A 360 KB list in flight: its head is sent slowly, in pieces, while others ask.
    let mut big = connect(&addr);
    let list = "x%0A".repeat(90_000);
    let head = format!("GET /?list={list} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let (first, rest) = head.as_bytes().split_at(head.len() / 2);
    big.write_all(first).expect("half the list");
    let start = Instant::now();
    assert_eq!(get(&addr, "/").0, 200);
    assert!(start.elapsed() < ANSWER, "answered in {:?} while a 360 KB list was in flight", start.elapsed());
    big.write_all(rest).expect("the rest");
    let a = answer(&mut big).expect("the long list is answered");
    assert_eq!(a.status, 414, "over the URI cap: {a:?}");

    // Lists of the most names a page looks up, in flight together, beside ordinary pages.
    let names: String = (0..300).map(|i| format!("guest-{i}%0A")).collect();
    let full = std::thread::scope(|s| {
        let lists: Vec<_> = (0..3).map(|_| s.spawn(|| get(&addr, &format!("/?list={names}")))).collect();
        let start = Instant::now();
        let plain = get(&addr, "/?list=bob");
        assert_eq!(plain.0, 200);
        assert!(start.elapsed() < Duration::from_secs(20), "answered in {:?}", start.elapsed());
        lists.into_iter().map(|h| h.join().expect("list")).collect::<Vec<_>>()
    });
    for (status, body) in full {
        assert_eq!(status, 200);
        assert!(body.contains("The list has 300 names; only the first 200 are shown"), "the cap is said on the page");
        assert!(body.contains("guest-199") && !body.contains("guest-200:"), "the first 200 are looked up");
    }
}

#[test]
fn a_list_of_bytes_that_are_no_utf8_is_shown_not_crashed_on() {
    let book = story();
    let server = serve(&book, &[]);
    let (status, body) = get(&server.addr, "/?list=%FF%FE%C3%0Aada%0A%00%E2%80%AEevil");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains('\u{FFFD}'), "invalid bytes shown as replacement characters");
    assert!(body.contains("Allergic to shellfish"), "the valid name is still looked up");
    let (status, _) = get(&server.addr, "/?list=%&list=%G1&token=%%%");
    assert_eq!(status, 200, "a malformed query is read as far as it goes");
}

#[test]
fn a_missing_or_fifo_arrivals_file_warns_and_the_page_still_shows_flags() {
    let book = story();
    let missing = serve(&book, &["--arrivals", "nowhere.txt"]);
    assert!(missing.said().contains("warning: the arrivals file nowhere.txt cannot be read"), "{}", missing.said());
    let (status, body) = get(&missing.addr, "/");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Rough evening — recheck every order"), "flags shown: {body}");
    assert!(body.contains("the arrivals file nowhere.txt cannot be read"), "said on the page");
    assert!(body.contains("Follow-ups due") && body.contains("progress"), "follow-ups shown");
    // Once the file is there, the next request reads it.
    book.write("nowhere.txt", "ada\n");
    let (_, body) = get(&missing.addr, "/");
    assert!(body.contains("class=\"critical\">! Allergic to shellfish"), "{body}");

    let dir = serve(&book, &["--arrivals", "."]);
    assert!(dir.said().contains("not a regular file"), "{}", dir.said());
    assert_eq!(get(&dir.addr, "/").0, 200);

    #[cfg(unix)]
    {
        let fifo = book.path("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
        assert!(made.success());
        let server = serve(&book, &["--arrivals", "fifo"]);
        assert!(server.said().contains("warning: the arrivals file fifo is not a regular file"), "{}", server.said());
        for _ in 0..3 {
            let (status, body) = get(&server.addr, "/");
            assert_eq!(status, 200, "{body}");
            assert!(body.contains("Rough evening — recheck every order"), "flags shown: {body}");
        }
    }
}

#[test]
fn a_body_is_never_read_as_a_request() {
    let book = story();
    let server = serve(&book, &[]);
    let addr = &server.addr;
    let count = |request: String| {
        let mut s = connect(addr);
        s.set_read_timeout(Some(Duration::from_secs(2))).expect("timeout");
        s.write_all(request.as_bytes()).expect("request");
        let mut statuses = Vec::new();
        while let Some(a) = answer(&mut s) {
            statuses.push(a.status);
        }
        statuses
    };
    // A request hidden in a body, by Content-Length and by a Content-Length that a
    // Transfer-Encoding overrides: answered once, the hidden one never.
    let hidden = format!("GET /smuggled HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let by_length = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n{hidden}", hidden.len());
    assert_eq!(count(by_length), vec![200]);
    let both = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{hidden}"
    );
    assert!(!count(both).contains(&404), "the hidden request was answered");
    let expect =
        format!("POST / HTTP/1.1\r\nHost: {addr}\r\nExpect: 100-continue\r\nContent-Length: 99999999999\r\n\r\n");
    assert_eq!(count(expect), vec![413], "no 100 Continue for a body that will be refused");
}

#[test]
fn hundreds_of_idle_sockets_do_not_take_the_server_down() {
    let book = story();
    let server = serve(&book, &[]);
    let held: Vec<TcpStream> = (0..300).filter_map(|_| TcpStream::connect(&server.addr).ok()).collect();
    assert!(held.len() >= 256, "{} connections made", held.len());
    drop(held);
    let start = Instant::now();
    // Each closed socket is seen closed: the next request gets a connection and a page.
    let answered = (0..50).any(|_| {
        let ok = TcpStream::connect(&server.addr).is_ok_and(|mut s| {
            let _ = s.set_read_timeout(Some(ANSWER));
            let _ = write!(s, "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", server.addr);
            answer(&mut s).is_some_and(|a| a.status == 200)
        });
        if !ok {
            std::thread::sleep(Duration::from_millis(100));
        }
        ok
    });
    assert!(answered, "no page within {:?} after 300 sockets were dropped", start.elapsed());
}

#[test]
fn a_token_with_any_characters_works_as_printed_and_paths_lead_nowhere() {
    let book = story();
    let token = "a&b=c d+e/f#g?h%i€j";
    let server = serve(&book, &["--bind", "127.0.0.1", "--token", token]);
    let (_, query) = server.url.trim_start_matches("http://").split_once('/').expect("path");
    assert!(!query.contains(' ') && !query.contains('#') && !query.contains('€'), "encoded: {query}");
    let (status, body) = get(&server.addr, &format!("/{query}"));
    assert_eq!(status, 200, "the printed URL opens the page: {body}");
    assert!(body.contains("value=\"a&amp;b=c d+e/f#g?h%i€j\""), "the form keeps it, escaped");
    for path in ["/../../etc/passwd", "/..%2f..%2fetc%2fpasswd", "//", "/index.html", "/%00"] {
        assert_eq!(get(&server.addr, &format!("{path}{query}")).0, 404, "{path}");
    }
}

#[test]
fn the_page_script_is_its_own_file_and_the_only_script_the_page_may_run() {
    let book = story();
    let server = serve(&book, &[]);
    let addr = &server.addr;
    let a = raw(addr, format!("GET /app.js HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes());
    assert_eq!(a.status, 200, "{a:?}");
    assert!(a.head.contains("content-type: text/javascript"), "{}", a.head);
    assert!(a.head.contains("script-src 'self'") && !a.head.contains("unsafe-eval"), "{}", a.head);
    let (_, page) = get(addr, "/");
    // No inline script for a record's text to break out into: only the file, by its address.
    assert_eq!(page.matches("<script").count(), 1, "{page}");
    assert!(page.contains("<script src=\"/app.js\" defer></script>"), "{page}");
}
