//! `care serve --allow write` over real HTTP, as docs/serve.md promises it: every endpoint
//! of its Writes table posted as a browser posts it (the session cookie from the staff
//! member's link, the form's `csrf`, this server's `Origin`) writes exactly what the same
//! command writes on a twin book; every refusal of its table answers its status and writes
//! nothing; then the forms are attacked (control characters, HTML, ids that climb out of
//! the book, repeated and broken fields, bodies too large) and fifty notes are posted at
//! once. Each test has its own book, clock fixed by CARE_NOW, and its own server.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use common::TestBook;
use common::http::{Answer, Server, raw, serve};

/// The server's own token, for the tests that bind with `--bind` (reads then need it).
const TOKEN: &str = "stand-token-0123456789";

// ---------------------------------------------------------------- the harness

/// A book with Ada in it, as both the server's book and its twin start.
fn book() -> TestBook {
    let book = TestBook::new();
    book.ok(&["customer", "add", "Ada Lovelace", "--id", "ada", "--phone", "+1 555 0100"]);
    book
}

/// NAME's link made by `care serve token add NAME`: the secret of its `?key=`.
fn link(book: &TestBook, name: &str) -> String {
    let out = book.ok(&["serve", "token", "add", name]);
    let first = out.lines().next().unwrap_or_default();
    assert!(first.starts_with("http://") && first.contains("/welcome?key="), "the link first: {out}");
    first.split_once("key=").map(|(_, k)| k.trim().to_string()).expect("key")
}

/// `care serve token revoke NAME`.
fn revoke(book: &TestBook, name: &str) {
    book.ok(&["serve", "token", "revoke", name]);
}

/// A value as a form sends it (every byte but the unreserved ones percent-encoded).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// One request on its own connection: `headers` are whole lines, `body` sent as given.
fn request(addr: &str, method: &str, path: &str, headers: &[String], body: &[u8]) -> Answer {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if method == "POST" {
        r.push_str(&format!("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n", body.len()));
    }
    for h in headers {
        r.push_str(&format!("{h}\r\n"));
    }
    r.push_str("\r\n");
    let mut bytes = r.into_bytes();
    bytes.extend_from_slice(body);
    raw(addr, &bytes)
}

/// A header of an answer (its head is lowercase), without its name.
fn header(a: &Answer, name: &str) -> Option<String> {
    a.head.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).map(|v| v.trim().to_string())
}

/// A phone signed in with a link: its cookie and the CSRF value its forms carry.
struct Phone {
    addr: String,
    cookie: String,
    csrf: String,
}

impl Phone {
    /// Open `/welcome?key=SECRET` as the phone does, then read the CSRF value from Ada's page.
    fn sign_in(server: &Server, key: &str) -> Phone {
        let a = request(&server.addr, "GET", &format!("/welcome?key={}", enc(key)), &[], b"");
        assert_eq!(a.status, 303, "the link signs in: {a:?}");
        assert_eq!(header(&a, "location").as_deref(), Some("/"), "on to the page, the secret gone from the address");
        let set = header(&a, "set-cookie").expect("a session cookie");
        for attr in ["httponly", "samesite=strict", "path=/"] {
            assert!(set.contains(attr), "{attr} in {set}");
        }
        assert!(!set.contains("secure"), "no Secure over plain HTTP: {set}");
        let cookie = set.split(';').next().expect("cookie").to_string();
        let mut phone = Phone { addr: server.addr.clone(), cookie, csrf: String::new() };
        let page = phone.get("/customers/ada");
        assert_eq!(page.status, 200, "{page:?}");
        phone.csrf = csrf_of(&page.body).unwrap_or_else(|| panic!("no csrf field on Ada's page: {}", page.body));
        phone
    }

    fn get(&self, path: &str) -> Answer {
        request(&self.addr, "GET", path, &[format!("Cookie: {}", self.cookie)], b"")
    }

    /// Post a form as the browser does: the cookie, this server's Origin, the csrf first.
    fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = format!("csrf={}&{}", self.csrf, form(fields));
        self.send(path, &[self.origin()], body.as_bytes())
    }

    /// Post a body as given, with the cookie and the headers given.
    fn send(&self, path: &str, headers: &[String], body: &[u8]) -> Answer {
        let mut all = vec![format!("Cookie: {}", self.cookie)];
        all.extend(headers.iter().cloned());
        request(&self.addr, "POST", path, &all, body)
    }

    fn origin(&self) -> String {
        format!("Origin: http://{}", self.addr)
    }
}

/// A page's hidden `csrf` value.
fn csrf_of(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(body[at..].split('"').next()?.to_string())
}

/// Post with `Authorization: Bearer SECRET` only, as a script does.
fn bearer(addr: &str, secret: &str, path: &str, fields: &[(&str, &str)]) -> Answer {
    request(addr, "POST", path, &[format!("Authorization: Bearer {secret}")], form(fields).as_bytes())
}

/// The book's records (`customers/`, `incidents/`), by path, with each incident id of
/// `ids` replaced by its place in the list, so two books' random ids compare equal.
fn records(book: &TestBook, ids: &[&str]) -> BTreeMap<String, String> {
    // A random id that reads as a number (`20261122-123e45`) is written quoted: the
    // placeholder is compared unquoted, as the id itself would be by a YAML reader.
    let norm = |s: String| {
        ids.iter().enumerate().fold(s, |s, (i, id)| {
            let placeholder = format!("INCIDENT-{i}");
            s.replace(id, &placeholder).replace(&format!("'{placeholder}'"), &placeholder)
        })
    };
    let mut all = BTreeMap::new();
    for dir in ["customers", "incidents"] {
        for path in common::yaml_files(&book.path(dir)) {
            let rel = path.strip_prefix(book.root()).expect("in the book").to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).expect("readable");
            all.insert(norm(rel), norm(text));
        }
    }
    all
}

/// The endpoints a table of docs/serve.md lists under `heading`, as written there
/// (`POST /customers/{id}/notes`, `GET /customers?q=TEXT`).
fn documented(heading: &str) -> Vec<String> {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/serve.md")).expect("docs/serve.md");
    let section = docs.split(&format!("\n## {heading}\n")).nth(1).unwrap_or_else(|| panic!("no ## {heading}"));
    let section = section.split("\n## ").next().unwrap_or_default();
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .filter(|e| e.starts_with("GET ") || e.starts_with("POST "))
        .map(str::to_string)
        .collect()
}

/// The server's stderr holds no panic.
fn no_panic(server: &Server) {
    let said = server.said();
    assert!(!said.contains("panicked"), "the server panicked: {said}");
}

/// Every page a signed-in phone can open about this book, as bodies.
fn every_page(phone: &Phone, incident: Option<&str>) -> Vec<(String, String)> {
    let mut paths = vec!["/".to_string(), "/customers?q=ada".into(), "/customers/ada".into(), "/due".into()];
    paths.extend(incident.map(|i| format!("/incidents/{i}")));
    paths
        .into_iter()
        .map(|p| {
            let a = phone.get(&p);
            assert_eq!(a.status, 200, "{p}: {a:?}");
            (p, a.body)
        })
        .collect()
}

// ---------------------------------------------------------------- the happy path

/// One write of docs/serve.md's table: the endpoint as documented, the form, the command.
/// `{id}` in the command and the fields is the incident's id (each book its own).
struct Step {
    endpoint: &'static str,
    fields: &'static [(&'static str, &'static str)],
    command: &'static [&'static str],
}

const STEPS: &[Step] = &[
    Step {
        endpoint: "POST /customers",
        fields: &[("name", "Grace Hopper"), ("phone", "+1 555 0199"), ("email", "grace@example.com")],
        command: &["customer", "add", "Grace Hopper", "--phone", "+1 555 0199", "--email", "grace@example.com"],
    },
    Step {
        endpoint: "POST /customers/{id}/notes",
        fields: &[("text", "Wife is ill; be gentle with scheduling")],
        command: &["note", "ada", "Wife is ill; be gentle with scheduling"],
    },
    Step {
        endpoint: "POST /customers/{id}/notes",
        fields: &[("text", "Allergic to shellfish"), ("kind", "pref"), ("critical", "on")],
        command: &["note", "ada", "--pref", "--critical", "Allergic to shellfish"],
    },
    Step {
        endpoint: "POST /customers/{id}/notes",
        fields: &[("text", "Likes the corner table"), ("kind", "pref")],
        command: &["note", "ada", "--pref", "Likes the corner table"],
    },
    Step {
        endpoint: "POST /customers/{id}/notes",
        fields: &[("text", "Drummer in The Analytical Engines"), ("kind", "role")],
        command: &["note", "ada", "--role", "Drummer in The Analytical Engines"],
    },
    Step {
        endpoint: "POST /customers/{id}/notes",
        fields: &[("text", "Releasing the band's first album in spring"), ("kind", "goal")],
        command: &["note", "ada", "--goal", "Releasing the band's first album in spring"],
    },
    Step {
        endpoint: "POST /customers/{id}/notes",
        fields: &[("text", "No calls before 11"), ("kind", "note"), ("critical", "on")],
        command: &["note", "ada", "--critical", "No calls before 11"],
    },
    Step {
        endpoint: "POST /customers/{id}/flags",
        fields: &[("text", "Recheck every order"), ("until", "2027-01-15")],
        command: &["flag", "ada", "Recheck every order", "--until", "2027-01-15"],
    },
    Step {
        endpoint: "POST /customers/{id}/flags",
        fields: &[("text", "Seat away from the door"), ("until", "")],
        command: &["flag", "ada", "Seat away from the door"],
    },
    Step {
        endpoint: "POST /customers/{id}/flags/clear",
        fields: &[("n", "1")],
        command: &["flag", "--clear", "ada", "1"],
    },
    Step {
        endpoint: "POST /customers/{id}/visits",
        fields: &[
            ("spend", "84.50"),
            ("party", "2"),
            ("location", "downtown"),
            ("staff", "billy"),
            ("note", "Anniversary dinner"),
        ],
        command: &[
            "visit",
            "ada",
            "--spend",
            "84.50",
            "--party",
            "2",
            "--location",
            "downtown",
            "--staff",
            "billy",
            "--note",
            "Anniversary dinner",
        ],
    },
    Step {
        endpoint: "POST /customers/{id}/incidents",
        fields: &[
            ("what", "Entrées mixed up"),
            ("staff", "billy"),
            ("product", "entrees"),
            ("location", "downtown"),
            ("channel", "in-person"),
            ("busyness", "95"),
            ("circumstances", "Anniversary dinner before a show"),
        ],
        command: &[
            "recover",
            "open",
            "ada",
            "--what",
            "Entrées mixed up",
            "--staff",
            "billy",
            "--product",
            "entrees",
            "--location",
            "downtown",
            "--channel",
            "in-person",
            "--busyness",
            "95",
            "--circumstances",
            "Anniversary dinner before a show",
        ],
    },
    Step {
        endpoint: "POST /incidents/{id}/apologize",
        fields: &[("note", "I am so sorry; let me put this right")],
        command: &["recover", "apologize", "{id}", "I am so sorry; let me put this right"],
    },
    Step {
        endpoint: "POST /incidents/{id}/review",
        fields: &[("note", "Ticket printed for table 12")],
        command: &["recover", "review", "{id}", "Ticket printed for table 12"],
    },
    Step {
        endpoint: "POST /incidents/{id}/fix",
        fields: &[("note", "Re-fired both entrées")],
        command: &["recover", "fix", "{id}", "Re-fired both entrées"],
    },
    Step {
        endpoint: "POST /followups/done",
        fields: &[("id", "{id}"), ("note", "Checked in at the table")],
        command: &["followup", "done", "{id}", "Checked in at the table"],
    },
    Step {
        endpoint: "POST /incidents/{id}/extra",
        fields: &[("what", "Dessert on the house"), ("value", "24"), ("note", "With a candle")],
        command: &["recover", "extra", "{id}", "--what", "Dessert on the house", "--value", "24", "With a candle"],
    },
    Step {
        endpoint: "POST /incidents/{id}/close",
        fields: &[("note", "Left happy")],
        command: &["recover", "close", "{id}", "Left happy"],
    },
];

#[test]
fn every_write_of_the_docs_writes_what_its_command_writes() {
    let (book, twin) = (book(), book());
    let server = serve(&book, &["--allow", "write"]);
    let phone = Phone::sign_in(&server, &link(&book, "billy"));
    let (mut here, mut there) = (String::from("no incident yet"), String::from("no incident yet"));
    let mut exercised = BTreeSet::new();
    for step in STEPS {
        let id_of = |s: &str, id: &str| s.replace("{id}", id);
        let path = step.endpoint.trim_start_matches("POST ");
        let path = if path.starts_with("/customers/") { id_of(path, "ada") } else { id_of(path, &here) };
        let fields: Vec<(&str, String)> = step.fields.iter().map(|(k, v)| (*k, id_of(v, &here))).collect();
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let a = phone.post(&path, &fields);
        assert_eq!(a.status, 303, "{}: {a:?}", step.endpoint);
        let to = header(&a, "location").expect("sent on");

        let mut command = vec!["--as", "billy"];
        let words: Vec<String> = step.command.iter().map(|w| id_of(w, &there)).collect();
        command.extend(words.iter().map(String::as_str));
        let printed = twin.ok(&command);
        if step.endpoint == "POST /customers/{id}/incidents" {
            here = to.strip_prefix("/incidents/").unwrap_or_else(|| panic!("to the incident's page: {to}")).to_string();
            there = printed.trim().to_string();
        }
        let expected = match step.endpoint {
            "POST /customers" => "/customers/grace-hopper".to_string(),
            "POST /followups/done" => "/due".into(),
            e if e.starts_with("POST /incidents/") => format!("/incidents/{here}"),
            "POST /customers/{id}/incidents" => format!("/incidents/{here}"),
            _ => "/customers/ada".into(),
        };
        assert_eq!(to, expected, "{}", step.endpoint);
        assert_eq!(
            records(&book, &[&here]),
            records(&twin, &[&there]),
            "{} wrote what `care {command:?}` writes",
            step.endpoint
        );

        // The page it leads to says what was saved, once.
        let shown = phone.get(&to);
        assert_eq!(shown.status, 200, "{to}: {shown:?}");
        assert!(
            shown.body.contains("<p class=\"saved\">"),
            "{}: what was saved is shown: {}",
            step.endpoint,
            shown.body
        );
        assert!(!phone.get(&to).body.contains("<p class=\"saved\">"), "shown once");
        exercised.insert(step.endpoint.to_string());
    }
    let by: Vec<String> =
        records(&book, &[&here]).values().map(|t| t.matches("by: billy").count().to_string()).collect();
    assert!(by.iter().any(|n| n != "0"), "written by billy: {by:?}");

    let listed: BTreeSet<String> = documented("Writes").into_iter().collect();
    assert!(listed.len() >= 12, "the Writes table is read: {listed:?}");
    assert_eq!(exercised, listed, "every write of docs/serve.md is exercised here, and none other");

    // And every page of its Pages table opens.
    for page in documented("Pages") {
        let path = page.trim_start_matches("GET ").replace("TEXT", "ada");
        let path =
            if path.starts_with("/incidents/") { path.replace("{id}", &here) } else { path.replace("{id}", "ada") };
        let a = phone.get(&path);
        assert_eq!(a.status, 200, "{page}: {a:?}");
    }
    twin.ok(&["check"]);
    book.ok(&["check"]);
    no_panic(&server);
}

#[test]
fn an_apology_with_banished_words_comes_back_and_is_saved_only_when_confirmed() {
    let (book, twin) = (book(), book());
    let server = serve(&book, &["--allow", "write"]);
    let phone = Phone::sign_in(&server, &link(&book, "billy"));
    let a = phone.post("/customers/ada/incidents", &[("what", "Cold soup")]);
    assert_eq!(a.status, 303, "{a:?}");
    let here = header(&a, "location").expect("to").trim_start_matches("/incidents/").to_string();
    let there = twin.ok(&["--as", "billy", "recover", "open", "ada", "--what", "Cold soup"]).trim().to_string();
    let before = records(&book, &[&here]);

    let said = "I'm sorry, but it's our policy to serve it that way";
    let a = phone.post(&format!("/incidents/{here}/apologize"), &[("note", said)]);
    assert_eq!(a.status, 200, "the form comes back with the warnings: {a:?}");
    assert!(a.body.contains("policy") && a.body.contains("class=\"error\""), "the lexicon's warning: {}", a.body);
    assert!(a.body.contains("I&#39;m sorry, but it&#39;s our policy"), "what was typed is kept: {}", a.body);
    assert!(a.body.contains("name=\"confirm\" value=\"1\""), "a button to save it as it is");
    assert_eq!(records(&book, &[&here]), before, "nothing saved before it is confirmed");

    let a = phone.post(&format!("/incidents/{here}/apologize"), &[("note", said), ("confirm", "1")]);
    assert_eq!(a.status, 303, "{a:?}");
    twin.ok(&["--as", "billy", "recover", "apologize", &there, said]);
    assert_eq!(records(&book, &[&here]), records(&twin, &[&there]));
}

// ---------------------------------------------------------------- refusals

#[test]
fn a_page_started_without_allow_write_or_incognito_takes_no_write() {
    for args in [&[][..], &["--allow", "write", "--incognito"]] {
        let book = book();
        let secret = link(&book, "billy");
        let server = serve(&book, args);
        let before = records(&book, &[]);
        let a = request(&server.addr, "GET", &format!("/welcome?key={secret}"), &[], b"");
        let cookie = header(&a, "set-cookie").map(|c| c.split(';').next().unwrap_or_default().to_string());
        for endpoint in documented("Writes") {
            let path = endpoint.trim_start_matches("POST ").replace("{id}", "ada");
            let body = form(&[("text", "Allergic to shellfish"), ("name", "Grace"), ("what", "x"), ("n", "1")]);
            let a = request(&server.addr, "POST", &path, &[format!("Authorization: Bearer {secret}")], body.as_bytes());
            assert_eq!(a.status, 403, "{args:?} {endpoint} with the staff's secret: {a:?}");
            if let Some(cookie) = &cookie {
                let headers = [format!("Cookie: {cookie}"), format!("Origin: http://{}", server.addr)];
                let a = request(&server.addr, "POST", &path, &headers, format!("csrf=x&{body}").as_bytes());
                assert_eq!(a.status, 403, "{args:?} {endpoint} with a session: {a:?}");
            }
        }
        assert_eq!(records(&book, &[]), before, "{args:?}: nothing written");
        let a = request(&server.addr, "POST", "/", &[], b"");
        assert_eq!(a.status, 405, "POST / stays 405: {a:?}");
        let page = request(
            &server.addr,
            "GET",
            "/customers/ada",
            &cookie.iter().map(|c| format!("Cookie: {c}")).collect::<Vec<_>>(),
            b"",
        );
        assert!(!page.body.contains("name=\"csrf\""), "{args:?}: no forms on a page that takes no writes");
        no_panic(&server);
    }
}

#[test]
fn a_write_needs_a_session_its_own_csrf_and_this_origin_or_the_bearer_secret() {
    let book = book();
    let secret = link(&book, "billy");
    let server = serve(&book, &["--allow", "write"]);
    let addr = server.addr.clone();
    let (first, second) = (Phone::sign_in(&server, &secret), Phone::sign_in(&server, &secret));
    assert_ne!(first.cookie, second.cookie, "each sign-in its own session");
    assert_ne!(first.csrf, second.csrf, "each session its own csrf value");
    let before = records(&book, &[]);
    let note = form(&[("text", "Refused note")]);
    let path = "/customers/ada/notes";

    let refused: Vec<(&str, Answer)> = vec![
        ("no session at all", request(&addr, "POST", path, &[first.origin()], note.as_bytes())),
        ("a cookie and Origin, no csrf", first.send(path, &[first.origin()], note.as_bytes())),
        ("an empty csrf", first.send(path, &[first.origin()], format!("csrf=&{note}").as_bytes())),
        (
            "another session's csrf",
            second.send(path, &[second.origin()], format!("csrf={}&{note}", first.csrf).as_bytes()),
        ),
        (
            "another site's Origin",
            first.send(path, &["Origin: http://evil.example".into()], format!("csrf={}&{note}", first.csrf).as_bytes()),
        ),
        (
            "this host on another port",
            first.send(path, &["Origin: http://127.0.0.1:1".into()], format!("csrf={}&{note}", first.csrf).as_bytes()),
        ),
        (
            "an Origin of null",
            first.send(path, &["Origin: null".into()], format!("csrf={}&{note}", first.csrf).as_bytes()),
        ),
        ("no Origin", first.send(path, &[], format!("csrf={}&{note}", first.csrf).as_bytes())),
        (
            "a null Origin fetched from another site",
            first.send(
                path,
                &["Origin: null".into(), "Sec-Fetch-Site: cross-site".into()],
                format!("csrf={}&{note}", first.csrf).as_bytes(),
            ),
        ),
        (
            "no Origin, fetched from a sibling site",
            first.send(path, &["Sec-Fetch-Site: same-site".into()], format!("csrf={}&{note}", first.csrf).as_bytes()),
        ),
        (
            "another site's Origin that says same-origin",
            first.send(
                path,
                &["Origin: http://evil.example".into(), "Sec-Fetch-Site: same-origin".into()],
                format!("csrf={}&{note}", first.csrf).as_bytes(),
            ),
        ),
        (
            "a cookie of no session",
            request(
                &addr,
                "POST",
                path,
                &["Cookie: care_session=0123456789abcdef0123456789abcdef".into(), first.origin()],
                format!("csrf={}&{note}", first.csrf).as_bytes(),
            ),
        ),
        ("a wrong bearer", bearer(&addr, "not-anybody-s-secret-at-all", path, &[("text", "Refused note")])),
    ];
    for (why, a) in &refused {
        assert_eq!(a.status, 403, "{why}: {a:?}");
    }
    assert_eq!(records(&book, &[]), before, "nothing written by a refused request");

    for key in ["wrong-key-0123456789abcdef", "", &secret[..secret.len() - 1], &format!("{secret}x")] {
        let a = request(&addr, "GET", &format!("/welcome?key={}", enc(key)), &[], b"");
        assert_eq!(a.status, 403, "{key:?} signs nobody in: {a:?}");
        assert!(header(&a, "set-cookie").is_none(), "no cookie for {key:?}");
    }
    let a = request(&addr, "GET", "/welcome", &[], b"");
    assert_eq!(a.status, 403, "{a:?}");

    // Each session with its own csrf writes; so does a script with the secret, without either.
    assert_eq!(first.post(path, &[("text", "From the first phone")]).status, 303);
    assert_eq!(second.post(path, &[("text", "From the second phone")]).status, 303);
    assert_eq!(bearer(&addr, &secret, path, &[("text", "From a script")]).status, 303);
    // A browser that sends `Origin: null` (no-referrer, a privacy setting) says where the
    // form was fetched from; from this page, the write is taken.
    let null = ["Origin: null".to_string(), "Sec-Fetch-Site: same-origin".into()];
    let body = format!("csrf={}&{}", first.csrf, form(&[("text", "From a private browser")]));
    assert_eq!(first.send(path, &null, body.as_bytes()).status, 303);
    let ada = book.yaml("customers/ada.yaml");
    let notes: Vec<(&str, &str)> = ada["notes"]
        .as_sequence()
        .expect("notes")
        .iter()
        .map(|n| (n["text"].as_str().unwrap_or(""), n["by"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        notes,
        [
            ("From the first phone", "billy"),
            ("From the second phone", "billy"),
            ("From a script", "billy"),
            ("From a private browser", "billy")
        ]
    );

    // Signing out ends the session: its cookie writes no more.
    let a = first.send("/signout", &[first.origin()], b"");
    assert_eq!(a.status, 303, "{a:?}");
    assert!(header(&a, "set-cookie").is_some_and(|c| c.contains("max-age=0")), "the cookie is cleared: {a:?}");
    assert_eq!(first.post(path, &[("text", "After signing out")]).status, 403);
    assert_eq!(second.post(path, &[("text", "The other phone still writes")]).status, 303);
    no_panic(&server);
}

#[test]
fn a_revoked_link_stops_its_sessions_at_once() {
    let book = book();
    let secret = link(&book, "billy");
    // On this machine only (reads need nothing), and bound with its token (reads need it).
    let local = serve(&book, &["--allow", "write"]);
    let bound = serve(&book, &["--bind", "127.0.0.1", "--token", TOKEN, "--allow", "write"]);
    let (phone, other) = (Phone::sign_in(&local, &secret), Phone::sign_in(&bound, &secret));
    assert_eq!(phone.post("/customers/ada/notes", &[("text", "Before revoking")]).status, 303);
    assert_eq!(other.post("/customers/ada/notes", &[("text", "Before revoking, bound")]).status, 303);
    let a = request(&bound.addr, "GET", "/customers/ada", &[], b"");
    assert_eq!(a.status, 401, "bound with --bind, a read without the token or a session: {a:?}");

    revoke(&book, "billy");
    let before = records(&book, &[]);
    let a = phone.post("/customers/ada/notes", &[("text", "After revoking")]);
    assert_eq!(a.status, 403, "the revoked link's session writes no more: {a:?}");
    let a = other.post("/customers/ada/notes", &[("text", "After revoking, bound")]);
    assert_eq!(a.status, 403, "nor on the bound page: {a:?}");
    assert_eq!(other.get("/customers/ada").status, 401, "whose reads need the server's token again");
    assert_eq!(other.get(&format!("/customers/ada?token={TOKEN}")).status, 200, "with it, the page opens");
    for server in [&local, &bound] {
        let a = bearer(&server.addr, &secret, "/customers/ada/notes", &[("text", "Script after revoking")]);
        assert_eq!(a.status, 403, "the revoked secret as a bearer: {a:?}");
        let a = request(&server.addr, "GET", &format!("/welcome?key={secret}"), &[], b"");
        assert_eq!(a.status, 403, "the revoked link signs in no more: {a:?}");
        no_panic(server);
    }
    assert_eq!(records(&book, &[]), before, "nothing written after revoking");
}

#[test]
fn bound_with_its_token_a_write_without_a_session_is_403_and_the_token_reads_only() {
    let book = book();
    let server = serve(&book, &["--bind", "127.0.0.1", "--token", TOKEN, "--allow", "write"]);
    let before = records(&book, &[]);
    let note = form(&[("text", "x")]);
    let a = request(&server.addr, "POST", "/customers/ada/notes", &[], note.as_bytes());
    assert_eq!(a.status, 403, "no session: {a:?}");
    let a = request(&server.addr, "POST", &format!("/customers/ada/notes?token={TOKEN}"), &[], note.as_bytes());
    assert_eq!(a.status, 403, "the server's token in the address: {a:?}");
    let a = bearer(&server.addr, TOKEN, "/customers/ada/notes", &[("text", "x")]);
    assert_eq!(a.status, 403, "the server's token as a bearer: it opens the page, it writes nothing: {a:?}");
    assert_eq!(records(&book, &[]), before);
    no_panic(&server);
}

#[test]
fn a_body_over_16_kib_is_413_and_nothing_is_written() {
    let book = book();
    let server = serve(&book, &["--allow", "write"]);
    let phone = Phone::sign_in(&server, &link(&book, "billy"));
    let before = records(&book, &[]);
    let long = "x".repeat(17 * 1024);
    let a = phone.post("/customers/ada/notes", &[("text", &long)]);
    assert_eq!(a.status, 413, "announced by Content-Length: {a:?}");

    // The same body chunked, its length unannounced: cut off at the limit, still 413.
    let body = format!("csrf={}&text={long}", phone.csrf);
    let mut chunked = Vec::new();
    for piece in body.as_bytes().chunks(4096) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let head = format!(
        "POST /customers/ada/notes HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: {}\r\n{}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
        phone.cookie,
        phone.origin(),
        addr = server.addr
    );
    let a = raw(&server.addr, &[head.into_bytes(), chunked].concat());
    assert_eq!(a.status, 413, "chunked: {a:?}");
    assert_eq!(records(&book, &[]), before);
    assert_eq!(phone.post("/customers/ada/notes", &[("text", "Still writing")]).status, 303);
    no_panic(&server);
}

/// The first line of what the command said on stderr, without its `error: `.
fn cli_error(twin: &TestBook, args: &[&str]) -> String {
    let mut all = vec!["--as", "billy"];
    all.extend(args);
    let out = twin.care(&all);
    assert_ne!(out.code, 0, "care {args:?} refuses: {out:?}");
    let first = out.stderr.lines().find(|l| l.starts_with("error: ")).expect("an error line");
    first.trim_start_matches("error: ").trim().to_string()
}

/// As the page escapes text.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A form the command refuses: the path, the fields, the command's words, and what of the
/// typed text must come back in the form.
type Refused<'a> = (String, Vec<(&'a str, &'a str)>, Vec<&'a str>, Vec<&'a str>);

#[test]
fn what_the_command_refuses_comes_back_422_with_its_words_and_what_was_typed() {
    let (book, twin) = (book(), book());
    let server = serve(&book, &["--allow", "write"]);
    let phone = Phone::sign_in(&server, &link(&book, "billy"));
    let a = phone.post("/customers/ada/incidents", &[("what", "Cold soup")]);
    let here = header(&a, "location").expect("to").trim_start_matches("/incidents/").to_string();
    let there = twin.ok(&["--as", "billy", "recover", "open", "ada", "--what", "Cold soup"]).trim().to_string();
    assert_eq!(phone.post(&format!("/incidents/{here}/apologize"), &[("note", "So sorry")]).status, 303);
    twin.ok(&["--as", "billy", "recover", "apologize", &there, "So sorry"]);
    let before = records(&book, &[&here]);

    let cases: Vec<Refused> = vec![
        (
            "/customers/ada/incidents".into(),
            vec![("what", "Soup <cold> & late"), ("busyness", "5000")],
            vec!["recover", "open", "ada", "--what", "Soup <cold> & late", "--busyness", "5000"],
            vec!["Soup &lt;cold&gt; &amp; late", "value=\"5000\""],
        ),
        ("/customers/ada/flags/clear".into(), vec![("n", "7")], vec!["flag", "--clear", "ada", "7"], vec![]),
        (
            "/customers/ada/notes".into(),
            vec![("text", "   "), ("kind", "pref")],
            vec!["note", "ada", "--pref", ""],
            vec!["<option value=\"pref\" selected>"],
        ),
        (
            "/customers/ada/flags".into(),
            vec![("text", "Recheck <every> order"), ("until", "2026-11-01")],
            vec!["flag", "ada", "Recheck <every> order", "--until", "2026-11-01"],
            vec!["Recheck &lt;every&gt; order", "value=\"2026-11-01\""],
        ),
        (
            format!("/incidents/{here}/apologize"),
            vec![("note", "Sorry again")],
            vec!["recover", "apologize", &there, "Sorry again"],
            vec![],
        ),
        (
            "/customers/ada/visits".into(),
            vec![("spend", "-5"), ("note", "Cheap night")],
            vec!["visit", "ada", "--spend=-5", "--note", "Cheap night"],
            vec!["value=\"-5\"", "value=\"Cheap night\""],
        ),
    ];
    for (path, fields, command, kept) in &cases {
        let a = phone.post(path, fields);
        assert_eq!(a.status, 422, "{path} {fields:?}: {a:?}");
        let said = cli_error(&twin, command).replace(&there, &here);
        let shown = format!("<p class=\"error\" role=\"alert\">{}", esc(&said));
        assert!(a.body.contains(&shown), "{path}: the command's words {shown:?} beside the form: {}", a.body);
        for k in kept {
            assert!(a.body.contains(k), "{path}: what was typed ({k}) is kept: {}", a.body);
        }
        assert_eq!(a.body.matches("class=\"error\"").count(), 1, "said once, beside its form");
        assert_eq!(csrf_of(&a.body).as_deref(), Some(phone.csrf.as_str()), "the form comes back ready to send");
    }
    let a = phone.post("/customers/ada/notes", &[("text", "A kind of its own"), ("kind", "misstep")]);
    assert_eq!(a.status, 422, "a kind the form does not offer: {a:?}");
    assert!(a.body.contains("&quot;misstep&quot;") && a.body.contains("A kind of its own</textarea>"), "{}", a.body);
    assert_eq!(records(&book, &[&here]), before, "nothing written by a refused form");
    no_panic(&server);
}

#[test]
fn a_step_recorded_meanwhile_keeps_what_was_typed() {
    let book = book();
    let server = serve(&book, &["--allow", "write"]);
    let phone = Phone::sign_in(&server, &link(&book, "billy"));
    let a = phone.post("/customers/ada/incidents", &[("what", "Cold soup")]);
    let here = header(&a, "location").expect("to").trim_start_matches("/incidents/").to_string();
    // Two phones at the table: the first records the apology, the second's arrives after.
    assert_eq!(phone.post(&format!("/incidents/{here}/apologize"), &[("note", "So sorry")]).status, 303);
    let a = phone.post(&format!("/incidents/{here}/apologize"), &[("note", "Words worth keeping")]);
    assert_eq!(a.status, 422, "{a:?}");
    assert!(a.body.contains("Words worth keeping"), "what was typed is kept: {}", a.body);
}

// ---------------------------------------------------------------- the hostile pass

#[test]
fn control_characters_are_stored_as_the_command_stores_them() {
    let (book, twin) = (book(), book());
    let server = serve(&book, &["--allow", "write"]);
    let phone = Phone::sign_in(&server, &link(&book, "billy"));
    let odd = "Sees \x1b[31mred\x1b[0m and rings\x07 the bell";
    for (path, fields, command) in [
        ("/customers/ada/notes", vec![("text", odd)], vec!["note", "ada", odd]),
        (
            "/customers/ada/notes",
            vec![("text", odd), ("kind", "pref"), ("critical", "on")],
            vec!["note", "ada", "--pref", "--critical", odd],
        ),
        ("/customers/ada/flags", vec![("text", odd)], vec!["flag", "ada", odd]),
    ] {
        assert_eq!(phone.post(path, &fields).status, 303, "{path}");
        let mut all = vec!["--as", "billy"];
        all.extend(command);
        twin.ok(&all);
        assert_eq!(records(&book, &[]), records(&twin, &[]), "{path} {fields:?}");
    }
    // A NUL no command line can carry: kept, as YAML escapes it, and the book still checks.
    assert_eq!(phone.post("/customers/ada/notes", &[("text", "nul\0byte")]).status, 303);
    let ada = book.yaml("customers/ada.yaml");
    assert!(ada["notes"].as_sequence().expect("notes").iter().any(|n| n["text"].as_str() == Some("nul\0byte")));
    book.ok(&["check"]);
    no_panic(&server);
}

#[test]
fn no_page_echoes_a_control_character_raw() {
    let book = book();
    let server = serve(&book, &["--allow", "write"]);
    let phone = Phone::sign_in(&server, &link(&book, "billy"));
    let odd = "Sees \x1b[31mred\x07 and nul\0";
    for (path, fields) in [
        ("/customers/ada/notes", vec![("text", odd), ("kind", "pref"), ("critical", "on")]),
        ("/customers/ada/notes", vec![("text", odd), ("kind", "pref")]),
        ("/customers/ada/flags", vec![("text", odd)]),
    ] {
        assert_eq!(phone.post(path, &fields).status, 303, "{path}");
    }
    let a = phone.post("/customers/ada/incidents", &[("what", odd)]);
    assert_eq!(a.status, 303, "{a:?}");
    let incident = header(&a, "location").expect("to").trim_start_matches("/incidents/").to_string();
    let mut pages = every_page(&phone, Some(&incident));
    // A refused form echoes what was typed: that too.
    let refused = phone.post("/customers/ada/flags", &[("text", odd), ("until", "not a date")]);
    assert_eq!(refused.status, 422, "{refused:?}");
    pages.push(("a refused flag".into(), refused.body));
    for (page, body) in pages {
        for c in ['\x1b', '\x07', '\0'] {
            assert!(!body.contains(c), "{page} holds {c:?} raw: {body:?}");
        }
    }
}

#[test]
fn html_typed_into_a_form_is_escaped_on_every_page_that_shows_it() {
    let book = book();
    let server = serve(&book, &["--allow", "write"]);
    let phone = Phone::sign_in(&server, &link(&book, "billy"));
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'";
    for (path, fields) in [
        ("/customers/ada/notes", vec![("text", evil), ("kind", "pref"), ("critical", "on")]),
        ("/customers/ada/notes", vec![("text", evil), ("kind", "pref")]),
        ("/customers/ada/flags", vec![("text", evil)]),
        ("/customers", vec![("name", "Ada <script>alert(3)</script>"), ("email", "x\"><script>@example.com")]),
    ] {
        let a = phone.post(path, &fields);
        assert!([303, 422].contains(&a.status), "{path}: {a:?}");
    }
    let a = phone.post("/customers/ada/incidents", &[("what", evil), ("circumstances", evil)]);
    assert_eq!(a.status, 303, "{a:?}");
    let incident = header(&a, "location").expect("to").trim_start_matches("/incidents/").to_string();
    assert_eq!(phone.post(&format!("/incidents/{incident}/apologize"), &[("note", evil)]).status, 303);
    let mut pages = every_page(&phone, Some(&incident));
    let refused = phone.post("/customers/ada/flags", &[("text", evil), ("until", evil)]);
    assert_eq!(refused.status, 422, "{refused:?}");
    pages.push(("a refused flag".into(), refused.body));
    for (page, body) in &pages {
        // The page's own script, by its address, is the only one.
        let own = body.matches("<script src=\"/app.js\" defer></script>").count();
        assert_eq!(body.matches("<script").count(), own, "{page}: a <script unescaped: {body}");
        for raw in ["<img", "onerror=alert(2)>"] {
            assert!(!body.contains(raw), "{page}: {raw} unescaped: {body}");
        }
    }
    let shows = |p: &str| pages.iter().find(|(page, _)| page.as_str() == p).map(|(_, b)| b.as_str()).unwrap_or("");
    assert!(shows("/customers/ada").contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "shown, escaped");
    assert!(shows(&format!("/incidents/{incident}")).contains("&lt;script&gt;alert(1)"), "the incident's page");
    no_panic(&server);
}

#[test]
fn every_kind_of_note_saved_is_shown_on_the_customer_page() {
    let book = book();
    let server = serve(&book, &["--allow", "write"]);
    let phone = Phone::sign_in(&server, &link(&book, "billy"));
    for kind in ["note", "pref", "role", "goal"] {
        let text = format!("A {kind} <b>typed</b> on the floor");
        assert_eq!(phone.post("/customers/ada/notes", &[("text", &text), ("kind", kind)]).status, 303);
        let page = phone.get("/customers/ada").body;
        assert!(page.contains(&esc(&text)), "the {kind} is on Ada's card: {page}");
    }
}

#[test]
fn a_customer_or_incident_id_that_names_no_record_is_404_and_nothing_outside_is_touched() {
    let book = book();
    let outside = tempfile::TempDir::new().expect("temp");
    let server = serve(&book, &["--allow", "write"]);
    let phone = Phone::sign_in(&server, &link(&book, "billy"));
    let a = phone.post("/customers/ada/incidents", &[("what", "Cold soup")]);
    let incident = header(&a, "location").expect("to").trim_start_matches("/incidents/").to_string();
    let before = records(&book, &[&incident]);
    let abs = enc(&outside.path().join("evil").to_string_lossy());
    let long = "a".repeat(300);
    let customers = [
        "..",
        "%2e%2e",
        "%2E%2E",
        ".",
        "..%2F..%2Fetc",
        "..%2fcustomers%2fada",
        "%2Fetc%2Fpasswd",
        &abs,
        &long,
        "ADA",
        "ada%00",
        "ada.yaml",
        "ada%2F..%2Fada",
        "%00",
        "nobody",
        "Ada%20Lovelace",
    ];
    for id in customers {
        let a = phone.get(&format!("/customers/{id}"));
        assert_eq!(a.status, 404, "GET /customers/{id}: {a:?}");
        for what in ["notes", "flags", "flags/clear", "visits", "incidents"] {
            let a = phone.post(&format!("/customers/{id}/{what}"), &[("text", "x"), ("what", "x"), ("n", "1")]);
            assert_eq!(a.status, 404, "POST /customers/{id}/{what}: {a:?}");
        }
    }
    let upper = incident.to_uppercase();
    let part = incident.split('-').nth(1).expect("random part");
    let incidents =
        ["..", "%2e%2e", "ada", "20261122", "20261122-zzzzzz", &upper, part, "..%2F..%2Fcustomers%2Fada", &abs, &long];
    for id in incidents {
        let a = phone.get(&format!("/incidents/{id}"));
        assert_eq!(a.status, 404, "GET /incidents/{id}: {a:?}");
        for step in ["apologize", "review", "fix", "extra", "close"] {
            let a = phone.post(&format!("/incidents/{id}/{step}"), &[("note", "x"), ("what", "x")]);
            assert_eq!(a.status, 404, "POST /incidents/{id}/{step}: {a:?}");
        }
    }
    for step in ["dance", "open", "..", "apologize%2F..", "Apologize"] {
        let a = phone.post(&format!("/incidents/{incident}/{step}"), &[("note", "x")]);
        assert_eq!(a.status, 404, "POST /incidents/ID/{step}: {a:?}");
    }
    // Deeper paths are no route at all.
    for path in ["/customers/../../etc/notes", "/customers/ada/notes/..", "/incidents/../../x/fix"] {
        let a = phone.post(path, &[("text", "x")]);
        assert!([404, 405].contains(&a.status), "{path}: {a:?}");
    }
    assert_eq!(records(&book, &[&incident]), before, "nothing written");
    assert_eq!(std::fs::read_dir(outside.path()).expect("outside").count(), 0, "nothing made outside the book");
    no_panic(&server);
}

#[test]
fn repeated_unknown_and_broken_fields_get_a_clear_answer_never_a_500() {
    let book = book();
    let server = serve(&book, &["--allow", "write"]);
    let phone = Phone::sign_in(&server, &link(&book, "billy"));
    let path = "/customers/ada/notes";
    let origin = [phone.origin()];
    let csrf = phone.csrf.clone();

    let a = phone.send(path, &origin, format!("csrf={csrf}&text=first&text=second&zzz=1&kind=note").as_bytes());
    assert_eq!(a.status, 303, "two texts and an unknown field: {a:?}");
    let a = phone.send(path, &origin, format!("csrf={csrf}&text=options&kind=pref&kind=role").as_bytes());
    assert_eq!(a.status, 303, "two kinds: {a:?}");
    // What a field holds never becomes an option of the command.
    for text in ["--critical", "--as=joan", "-h", "--"] {
        assert_eq!(phone.post(path, &[("text", text)]).status, 303, "{text}");
    }
    let ada = book.yaml("customers/ada.yaml");
    let notes: Vec<(&str, &str)> = ada["notes"]
        .as_sequence()
        .expect("notes")
        .iter()
        .map(|n| (n["text"].as_str().unwrap_or(""), n["by"].as_str().unwrap_or("")))
        .collect();
    let texts: Vec<&str> = notes.iter().map(|n| n.0).collect();
    assert_eq!(texts, ["first", "--critical", "--as=joan", "-h", "--"], "the first value of a repeated field");
    assert!(notes.iter().all(|n| n.1 == "billy"), "{notes:?}");
    assert_eq!(ada["preferences"][0]["text"].as_str(), Some("options"), "the first kind");
    assert!(ada["preferences"][0]["critical"].is_null(), "--critical in a text is text");

    let odd: Vec<(&str, Vec<u8>)> = vec![
        ("raw bytes that are no UTF-8", [format!("csrf={csrf}&text=").as_bytes(), b"\xff\xfe\xc3"].concat()),
        ("encoded bytes that are no UTF-8", format!("csrf={csrf}&text=%FF%FE%C3").into_bytes()),
        ("a broken escape", format!("csrf={csrf}&text=%G1%%").into_bytes()),
        ("a field without =", format!("csrf={csrf}&text").into_bytes()),
        ("only separators", format!("csrf={csrf}&&&==&").into_bytes()),
        ("a NUL in a name", format!("csrf={csrf}&te%00xt=x").into_bytes()),
        ("a csrf twice, the first wrong", format!("csrf=nope&csrf={csrf}&text=x").into_bytes()),
        ("an empty body", Vec::new()),
    ];
    for (why, body) in &odd {
        let a = phone.send(path, &origin, body);
        assert!((300..500).contains(&a.status), "{why}: {a:?}");
    }
    let typed = [phone.origin(), "Content-Type: application/json".into()];
    let mut a = phone.send(path, &typed, format!("{{\"csrf\":\"{csrf}\",\"text\":\"x\"}}").as_bytes());
    assert!((400..500).contains(&a.status), "a JSON body: {a:?}");
    a = request(
        &server.addr,
        "POST",
        path,
        &[format!("Cookie: {}", phone.cookie), phone.origin(), "Content-Type: text/plain".into()],
        format!("csrf={csrf}&text=x").as_bytes(),
    );
    assert!(a.status < 500, "a second Content-Type: {a:?}");
    book.ok(&["check"]);
    assert_eq!(request(&server.addr, "GET", "/", &[], b"").status, 200, "still answering");
    no_panic(&server);
}

// ---------------------------------------------------------------- at once

#[test]
fn fifty_notes_posted_at_once_are_all_kept() {
    let book = book();
    let secret = link(&book, "billy");
    let server = serve(&book, &["--allow", "write"]);
    let phone = Phone::sign_in(&server, &secret);
    let statuses: Vec<(usize, u16)> = std::thread::scope(|s| {
        let posts: Vec<_> = (0..50)
            .map(|i| {
                let (phone, secret, addr) = (&phone, &secret, &server.addr);
                s.spawn(move || {
                    let text = format!("Note number {i} from the floor");
                    let a = if i % 2 == 0 {
                        phone.post("/customers/ada/notes", &[("text", &text)])
                    } else {
                        bearer(addr, secret, "/customers/ada/notes", &[("text", &text)])
                    };
                    (i, a.status)
                })
            })
            .collect();
        posts.into_iter().map(|p| p.join().expect("a poster")).collect()
    });
    let failed: Vec<_> = statuses.iter().filter(|(_, s)| *s != 303).collect();
    assert!(failed.is_empty(), "every post answered 303: {failed:?}");
    let ada = book.yaml("customers/ada.yaml");
    let texts: Vec<&str> =
        ada["notes"].as_sequence().expect("notes").iter().filter_map(|n| n["text"].as_str()).collect();
    assert_eq!(texts.len(), 50, "{texts:?}");
    for i in 0..50 {
        let text = format!("Note number {i} from the floor");
        assert_eq!(texts.iter().filter(|t| **t == text).count(), 1, "{text} once");
    }
    book.ok(&["check"]);
    no_panic(&server);
}
