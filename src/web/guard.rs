//! Who may ask `care serve` for its page: a request must name this server in its `Host`
//! (loopback names, the address it is bound to, or a `--host` name), so a web page whose
//! own name a hostile DNS server points at 127.0.0.1 cannot read customers' allergies and
//! phones through a visitor's browser (DNS rebinding); and, when the server has a token, it
//! must carry it, compared in constant time. The head must also be of a sane size: hyper
//! caps the URI and the whole head, this caps the headers themselves.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::book::tokens::same;
use crate::error::{Error, Result};

/// The shortest `--token` accepted: 16 characters leave a guesser nothing to try at the
/// rate a small page answers.
pub const MIN_TOKEN: usize = 16;
/// Headers (names and values) beyond this are refused 431: a browser sends one or two KiB.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The names the page answers to, and the token it wants.
#[derive(Debug, Clone)]
pub struct Gate {
    hosts: Vec<String>,
    token: Option<String>,
    pub sessions: std::sync::Arc<super::session::Sessions>,
}

impl Gate {
    /// Loopback names always, with `names` (the bound address, the printed one, `--host`).
    pub fn new(
        names: impl IntoIterator<Item = String>,
        token: Option<String>,
        sessions: std::sync::Arc<super::session::Sessions>,
    ) -> Gate {
        let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
        for n in names {
            let n = host_name(&n);
            if !n.is_empty() && !hosts.contains(&n) {
                hosts.push(n);
            }
        }
        Gate { hosts, token, sessions }
    }

    /// Whether a request naming `host` (a `Host` header, with or without its port) is for us.
    pub fn allows(&self, host: &str) -> bool {
        self.hosts.contains(&host_name(host))
    }

    /// Why a request may not have the page, as a status and a short page; None lets it by.
    /// `signed_in`: the request is from a staff member's session or link, which stands in
    /// for the server's token.
    fn refuse(&self, req: &Request, signed_in: bool) -> Option<(StatusCode, &'static str)> {
        let h = req.headers();
        let bytes: usize = h.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
        if bytes > MAX_HEADER_BYTES {
            return Some((StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "431: the request's headers are too large."));
        }
        if h.get_all(header::HOST).iter().count() > 1 {
            return Some((StatusCode::BAD_REQUEST, "400: the request names its Host more than once."));
        }
        // An absolute URI (`GET http://name/`) names the server as Host does; both must be ours.
        let named = [h.get(header::HOST).map(|v| v.to_str().ok()), req.uri().authority().map(|a| Some(a.as_str()))];
        if named.iter().all(Option::is_none) {
            return Some((StatusCode::BAD_REQUEST, "400: the request has no Host header."));
        }
        if !named.iter().flatten().all(|n| n.is_some_and(|n| self.allows(n))) {
            return Some((
                StatusCode::MISDIRECTED_REQUEST,
                "421: this page answers only to the names it was started for (localhost, its address); \
                 to open it by another name, start care serve with --host NAME.",
            ));
        }
        let want = self.token.as_deref()?;
        // Opening a link is how a phone without the server's token signs in; a POST is a
        // write, refused by its route (403) without a session whatever token it carries.
        if signed_in || req.uri().path() == "/welcome" || req.method() == axum::http::Method::POST {
            return None;
        }
        match given_token(req) {
            None => Some((
                StatusCode::UNAUTHORIZED,
                "401: this page needs its token (?token=…, printed when care serve started).",
            )),
            Some(given) if !same(given.as_bytes(), want.as_bytes()) => {
                Some((StatusCode::FORBIDDEN, "403: wrong token."))
            }
            Some(_) => None,
        }
    }
}

/// The middleware: every route is behind it. It also says who the request is from (a
/// `session::Who` in the request's extensions), for the routes that write.
pub async fn check(State(gate): State<std::sync::Arc<Gate>>, mut req: Request, next: Next) -> Response {
    let who = gate.sessions.who(req.headers());
    match gate.refuse(&req, who.is_some()) {
        Some((status, why)) => {
            let mut r = (status, super::message(why)).into_response();
            if status == StatusCode::UNAUTHORIZED {
                r.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
            }
            r
        }
        None => {
            if let Some(who) = who {
                req.extensions_mut().insert(who);
            }
            next.run(req).await
        }
    }
}

/// The token a request carries: `?token=` first, else `Authorization: Bearer`.
fn given_token(req: &Request) -> Option<String> {
    let query = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(req.uri()).ok();
    let from_query = query.and_then(|q| q.0.into_iter().find(|(k, _)| k == "token").map(|(_, v)| v));
    from_query.or_else(|| super::session::bearer(req.headers()))
}

/// Whether a write comes from a page of this server: its `Origin` names the `Host` it was
/// sent to. A form posted from another site's page says that site. Where a browser sends
/// `Origin: null` (a privacy setting, a sandboxed frame), its `Sec-Fetch-Site`, which no
/// page can set, must say `same-origin`. A request with neither is not taken from a
/// cookie session: every current browser sends one of them with a POST.
pub fn same_origin(h: &HeaderMap) -> bool {
    let fetched_here = || h.get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"same-origin");
    match h.get(header::ORIGIN).map(|o| o.as_bytes()) {
        None | Some(b"null") => fetched_here(),
        Some(_) => origin_is_host(h),
    }
}

fn origin_is_host(h: &HeaderMap) -> bool {
    let (Some(origin), Some(host)) = (h.get(header::ORIGIN), h.get(header::HOST)) else { return false };
    let (Ok(origin), Ok(host)) = (origin.to_str(), host.to_str()) else { return false };
    let Some((scheme, authority)) = origin.split_once("://") else { return false };
    matches!(scheme, "http" | "https") && authority.eq_ignore_ascii_case(host.trim())
}

/// A name as compared: without its port or IPv6 brackets, lowercase, no trailing dot.
fn host_name(host: &str) -> String {
    let host = host.trim();
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => match host.rsplit_once(':') {
            // One colon and digits after it is a port; more colons is a bare IPv6 address.
            Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The token the server will want: the one given (at least MIN_TOKEN characters), else a
/// random one when bound with `--bind`, else none (the loopback page of this machine).
pub fn token(given: Option<&str>, bound: bool) -> Result<Option<String>> {
    match given.map(str::trim) {
        Some(t) if t.chars().count() < MIN_TOKEN => Err(Error::Usage(format!(
            "--token is {} characters; give at least {MIN_TOKEN} (or leave it out and a random one is made)",
            t.chars().count()
        ))),
        Some(t) => Ok(Some(t.to_string())),
        None if bound => random_token().map(Some),
        None => Ok(None),
    }
}

/// 128 bits from the operating system's generator, in hex.
fn random_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Refused(format!("cannot make a token ({e}); give one with --token")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `--host` as given: a name or address, nothing that could not be a `Host`.
pub fn valid_host(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
        && !host_name(name).is_empty();
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "--host {name:?} is not a host name; give the name a phone will use, like care.local or 192.168.1.20"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_compared_without_port_case_or_brackets() {
        let sessions = std::sync::Arc::new(super::super::session::Sessions::new(".".into()));
        let gate = Gate::new(["Care.Local".to_string(), "192.168.1.20".to_string()], None, sessions);
        for ok in [
            "localhost",
            "LOCALHOST:8080",
            "127.0.0.1:1",
            "[::1]",
            "[::1]:8080",
            "::1",
            "care.local.",
            "192.168.1.20:80",
        ] {
            assert!(gate.allows(ok), "{ok}");
        }
        for no in ["evil.example", "localhost.evil.example", "127.0.0.2", "", "[::2]", "care.local:x", "0.0.0.0"] {
            assert!(!gate.allows(no), "{no}");
        }
    }

    #[test]
    fn a_short_token_is_a_usage_error_and_a_missing_one_is_made_when_bound() {
        assert!(matches!(token(Some("s3cret"), true), Err(Error::Usage(_))));
        assert_eq!(token(Some("0123456789abcdef"), false).ok().flatten().as_deref(), Some("0123456789abcdef"));
        let made = token(None, true).ok().flatten().unwrap_or_default();
        assert_eq!(made.len(), 32, "{made}");
        assert_ne!(Some(made), token(None, true).ok().flatten(), "each start makes its own");
        assert_eq!(token(None, false).ok().flatten(), None);
    }

    #[test]
    fn an_origin_must_name_the_host_it_was_sent_to() {
        let h = |origin: Option<&str>, host: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, host.parse().unwrap());
            if let Some(o) = origin {
                h.insert(header::ORIGIN, o.parse().unwrap());
            }
            h
        };
        assert!(same_origin(&h(Some("http://192.168.1.20:8080"), "192.168.1.20:8080")));
        assert!(same_origin(&h(Some("https://Care.Local"), "care.local")));
        for (o, host) in [
            (None, "127.0.0.1:8080"),
            (Some("null"), "127.0.0.1:8080"),
            (Some("http://evil.example"), "127.0.0.1:8080"),
            (Some("http://127.0.0.1:8081"), "127.0.0.1:8080"),
            (Some("file://127.0.0.1:8080"), "127.0.0.1:8080"),
        ] {
            assert!(!same_origin(&h(o, host)), "{o:?} to {host}");
        }
        let mut fetched = h(Some("null"), "127.0.0.1:8080");
        fetched.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(same_origin(&fetched), "a null Origin from this site's own page");
        fetched.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(!same_origin(&fetched));
        let mut other = h(Some("http://evil.example"), "127.0.0.1:8080");
        other.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(!same_origin(&other), "an Origin that is another site's decides");
    }

    #[test]
    fn host_arguments_are_names() {
        assert!(valid_host("care.local").is_ok() && valid_host("[fe80::1]").is_ok());
        assert!(valid_host("").is_err() && valid_host("a b").is_err() && valid_host("x/y").is_err());
    }
}
