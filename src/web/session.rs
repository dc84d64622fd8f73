//! Who is writing through the page. Staff open their own link (`/welcome?key=SECRET`, made
//! by `care serve token add NAME`); the server answers with a session cookie, so the secret
//! leaves the address bar, and every write of that session is by NAME. A session lives in
//! this process only (a restart signs everyone out), at most IDLE after its last use, and
//! only while its link is in `.care/serve-tokens`: the store is read again on each request,
//! so `care serve token revoke` stops a phone at once. A session carries its own CSRF value,
//! which every form sends back; a script instead sends the secret itself as a bearer token,
//! which no browser attaches on its own, and needs none.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, header};

use crate::book::tokens;

/// The cookie's name.
pub const COOKIE: &str = "care_session";
/// A session unused this long is over: a long shift.
pub const IDLE: Duration = Duration::from_secs(16 * 3600);
/// Sessions kept at once; past it the least recently used is dropped (a link opened over
/// and over by a script cannot grow the server without end).
pub const MAX_SESSIONS: usize = 1024;

/// The person behind a request.
#[derive(Debug, Clone)]
pub struct Who {
    pub staff: String,
    /// The session's CSRF value, which its forms carry; None for a bearer request.
    pub csrf: Option<String>,
    /// The session's id (the cookie's value); None for a bearer request.
    pub session: Option<String>,
}

struct Session {
    staff: String,
    /// The hash of the link it was opened with: revoking the link ends the session.
    hash: String,
    csrf: String,
    last: Instant,
    /// What the last write saved, shown once on the next page.
    flash: Option<String>,
}

/// The sessions of one running server.
pub struct Sessions {
    /// The book, whose `.care/serve-tokens` says which links still work.
    root: PathBuf,
    open: Mutex<HashMap<String, Session>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sessions")
    }
}

impl Sessions {
    pub fn new(root: PathBuf) -> Sessions {
        Sessions { root, open: Mutex::new(HashMap::new()) }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sign in with a link's secret: the new session's id and who it is, or None when the
    /// secret is nobody's (or the store cannot be read: never let in on a doubt).
    pub fn sign_in(&self, secret: &str) -> Option<(String, String)> {
        let store = tokens::load(&self.root).ok()?;
        let token = store.by_secret(secret)?;
        let (id, csrf) = (random()?, random()?);
        let mut open = self.sessions();
        open.retain(|_, s| s.last.elapsed() < IDLE);
        if open.len() >= MAX_SESSIONS
            && let Some(oldest) = open.iter().min_by_key(|(_, s)| s.last).map(|(k, _)| k.clone())
        {
            open.remove(&oldest);
        }
        let session =
            Session { staff: token.name.clone(), hash: token.hash.clone(), csrf, last: Instant::now(), flash: None };
        open.insert(id.clone(), session);
        Some((id, token.name.clone()))
    }

    /// Who a request is from: its session cookie, else a staff secret as a bearer token.
    pub fn who(&self, headers: &HeaderMap) -> Option<Who> {
        if let Some(id) = cookie(headers) {
            return self.by_session(&id);
        }
        let secret = bearer(headers)?;
        let store = tokens::load(&self.root).ok()?;
        let token = store.by_secret(&secret)?;
        Some(Who { staff: token.name.clone(), csrf: None, session: None })
    }

    fn by_session(&self, id: &str) -> Option<Who> {
        let hash = {
            let open = self.sessions();
            let s = open.get(id)?;
            (s.last.elapsed() < IDLE).then(|| s.hash.clone())?
        };
        // Read outside the lock: one slow disk read never holds up every other request.
        let live = tokens::load(&self.root).is_ok_and(|store| store.holds(&hash));
        let mut open = self.sessions();
        if !live {
            open.remove(id);
            return None;
        }
        let s = open.get_mut(id)?;
        s.last = Instant::now();
        Some(Who { staff: s.staff.clone(), csrf: Some(s.csrf.clone()), session: Some(id.to_string()) })
    }

    pub fn sign_out(&self, id: &str) {
        self.sessions().remove(id);
    }

    /// Keep what a write saved for the session's next page.
    pub fn leave(&self, id: &str, message: String) {
        if let Some(s) = self.sessions().get_mut(id) {
            s.flash = Some(message);
        }
    }

    /// What the last write saved, once.
    pub fn take(&self, id: &str) -> Option<String> {
        self.sessions().get_mut(id)?.flash.take()
    }
}

/// The token of an `Authorization: Bearer` header: a staff member's secret, or the
/// server's own token (`guard`).
pub fn bearer(h: &HeaderMap) -> Option<String> {
    let v = h.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

/// 128 random bits, as hex.
fn random() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The session cookie's value, if the request carries one that could be ours.
pub fn cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (name, value) = c.trim().split_once('=')?;
        (name == COOKIE && value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit())).then(|| value.to_string())
    })
}

/// The `Set-Cookie` value for a new session: never readable by a script, never sent by
/// another site's page, and only over TLS when the page is reached over TLS.
pub fn set_cookie(id: &str, tls: bool) -> String {
    let secure = if tls { "; Secure" } else { "" };
    format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}", IDLE.as_secs())
}

/// The `Set-Cookie` value that ends it in the browser too.
pub fn clear_cookie(tls: bool) -> String {
    let secure = if tls { "; Secure" } else { "" };
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

/// Whether the page was reached over TLS: a proxy in front says so. Trusting a client's
/// word here only ever adds `Secure`, which a plain-HTTP client then does not send back.
pub fn over_tls(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_well_formed_cookie_of_ours_is_read() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "other=1; care_session=0123456789abcdef0123456789abcdef".parse().unwrap());
        assert_eq!(cookie(&h).as_deref(), Some("0123456789abcdef0123456789abcdef"));
        for bad in ["care_session=short", "care_session=../../etc/passwd0000000000000000", "xcare_session=0123"] {
            let mut h = HeaderMap::new();
            h.append(header::COOKIE, bad.parse().unwrap());
            assert_eq!(cookie(&h), None, "{bad}");
        }
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_over_tls() {
        let c = set_cookie("abc", false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && !c.contains("Secure"), "{c}");
        assert!(set_cookie("abc", true).ends_with("; Secure"));
    }
}
