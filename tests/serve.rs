//! `care serve` over real HTTP on 127.0.0.1 with an ephemeral port: the page shows the
//! arrivals' cards (critical first, highlighted, record text escaped), flags and
//! follow-ups due; bound elsewhere it refuses requests without its token; `--incognito`
//! hides contacts and money. Each test kills its server.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::{TestBook, serve};

/// GET a path; returns (status, body).
fn get(addr: &str, path: &str) -> (u16, String) {
    let host = addr.split('/').next().expect("host");
    let mut s = TcpStream::connect(host).expect("connects");
    s.set_read_timeout(Some(std::time::Duration::from_secs(20))).expect("timeout");
    write!(s, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").expect("request");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("response");
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status");
    (status, text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

fn story() -> TestBook {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada <b>Lovelace</b>", "--id", "ada", "--phone", "+1 555 0100", "--value", "12000"]);
    book.ok(&["note", "ada", "--pref", "--critical", "Allergic to shellfish"]);
    book.ok(&["note", "ada", "--pref", "Likes the corner table"]);
    book.ok(&["recover", "open", "ada", "--what", "Entrées mixed up", "--at", "18:00"]);
    book.add("Bob Marley");
    book.write("tonight.txt", "ada\nbob\nnobody-here\n");
    book
}

#[test]
fn the_page_shows_the_arrivals_cards_flags_and_follow_ups_due() {
    let book = story();
    let server = serve(&book, &["--arrivals", "tonight.txt"]);
    assert!(
        server.1.trim_start_matches("http://").starts_with("127.0.0.1:"),
        "{}",
        server.1.trim_start_matches("http://")
    );
    let (status, body) = get(server.1.trim_start_matches("http://"), "/");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("http-equiv=\"refresh\""));
    assert!(body.contains("Ada &lt;b&gt;Lovelace&lt;/b&gt;"), "record text is escaped");
    assert!(!body.contains("<b>Lovelace</b>"));
    let critical = body.find("class=\"critical\">! Allergic to shellfish").expect("critical, highlighted");
    assert!(critical < body.find("Likes the corner table").expect("preference"), "critical first");
    assert!(body.contains("Entrées mixed up"), "what went wrong before");
    assert!(body.contains("Bob Marley"));
    assert!(body.contains("nobody-here"), "an unknown arrival is said");
    assert!(body.contains("+1 555 0100"));
    assert!(body.contains("Follow-ups due") && body.contains("progress"), "the overdue progress follow-up");

    let (_, pasted) = get(server.1.trim_start_matches("http://"), "/?list=bob%0D%0A");
    assert!(pasted.contains("Bob Marley") && !pasted.contains("Allergic to shellfish</p>"), "the pasted list is used");
}

#[test]
fn incognito_hides_contacts_and_money() {
    let book = story();
    let server = serve(&book, &["--arrivals", "tonight.txt", "--incognito"]);
    let (status, body) = get(server.1.trim_start_matches("http://"), "/");
    assert_eq!(status, 200);
    assert!(body.contains("Allergic to shellfish"));
    assert!(!body.contains("555 0100") && !body.contains("12000"), "{body}");
}

#[test]
fn bound_elsewhere_it_answers_only_with_its_token() {
    let book = story();
    let server = serve(&book, &["--bind", "127.0.0.1", "--token", "s3cret"]);
    assert_eq!(get(server.1.trim_start_matches("http://"), "/").0, 401);
    assert_eq!(get(server.1.trim_start_matches("http://"), "/?token=wrong").0, 403);
    let (status, body) = get(server.1.trim_start_matches("http://"), "/?token=s3cret");
    assert_eq!(status, 200);
    assert!(body.contains("name=\"token\" value=\"s3cret\""), "the form keeps the token");

    let generated = serve(&book, &["--bind", "127.0.0.1"]);
    assert!(
        generated.1.trim_start_matches("http://").contains("?token="),
        "a generated token is printed: {}",
        generated.1.trim_start_matches("http://")
    );
    assert_eq!(get(generated.1.trim_start_matches("http://"), "/").0, 401);
    let (_, query) = generated.1.trim_start_matches("http://").split_once('/').expect("path");
    assert_eq!(get(generated.1.trim_start_matches("http://"), &format!("/{query}")).0, 200);
}

#[test]
fn the_page_lists_reminders_and_checks_due_as_followup_due_does() {
    let book = story();
    book.ok(&["remind", "bob", "--due", "2026-11-22 09:00", "Send the <menu>"]);
    book.ok(&["action", "open", "--for", "product=soup", "--what", "New warmer", "--at", "2026-10-01"]);
    let due = book.ok(&["followup", "due", "--format", "csv"]);
    assert!(due.contains("reminder") && due.contains("verify"), "{due}");
    let server = serve(&book, &["--arrivals", "tonight.txt"]);
    let (status, body) = get(server.1.trim_start_matches("http://"), "/");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Send the &lt;menu&gt;"), "the reminder, escaped: {body}");
    assert!(body.contains("Verify the fix") && body.contains("New warmer"), "the check: {body}");
}
