//! The HTTP server behind `care serve`, on hyper (parsing) and axum (routing), so that no
//! request can take the page down or hold it: the request head is capped by hyper (414 for
//! a URI over 64 KiB, 431 past its buffer or 100 headers) and must arrive within
//! HEAD_LIMIT; a Content-Length over MAX_BODY is answered 413 before anything of the body
//! is read (no route reads a body); the `Host` must be ours and the token right (`guard`);
//! every connection is its own task, lives at most CONNECTION_LIMIT and there are at most
//! MAX_CONNECTIONS of them. Pages answer GET and HEAD; the form endpoints answer POST
//! (docs/serve.md), and only when the server was started to take writes, from a staff
//! member's session with its CSRF value and this server's `Origin`, or with their link's
//! secret as a bearer token (`session`). Any other method is 405.
//!
//! The page itself is blocking book I/O, so it is made on worker threads, each with its own
//! renderer (a command's context is not shared between threads), while the connections
//! run on one async thread: a slow or huge page never delays another request's reading,
//! refusal or answer. A page not made within RENDER_LIMIT is answered 503.

pub mod arrivals;
pub mod guard;
pub mod session;

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use session::{Sessions, Who};

use crate::error::{Error, Result};

/// The whole request head must arrive within this: a client trickling bytes is dropped.
pub const HEAD_LIMIT: Duration = Duration::from_secs(10);
/// A connection is closed after this, whatever it is doing (a client that never reads).
pub const CONNECTION_LIMIT: Duration = Duration::from_secs(120);
/// A page not made in this time is answered 503 (its worker finishes it unseen).
pub const RENDER_LIMIT: Duration = Duration::from_secs(60);
/// Connections open at once; past it, new ones are closed at once.
pub const MAX_CONNECTIONS: usize = 256;
/// The largest request body announced that is not refused: a form of notes is far less.
pub const MAX_BODY: usize = 16 * 1024;
/// hyper's read buffer: a head longer than this is refused 431 (hyper's own default).
pub const MAX_HEAD: usize = 8192 + 4096 * 100;
/// Pages made at once; more wait in a queue of QUEUE, and past that are answered 503.
pub const WORKERS: usize = 4;
const QUEUE: usize = 64;

/// Decoded `name=value` pairs: a query or a form.
pub type Params = Vec<(String, String)>;

/// What a worker is asked to make: a page (GET) or a write (POST).
#[derive(Debug, Default)]
pub struct Ask {
    pub post: bool,
    /// The path, as sent (`/customers/ada`); percent-decoded by the worker where it reads ids.
    pub path: String,
    pub query: Params,
    /// A POST's form fields.
    pub form: Params,
    /// The staff member behind the request, if signed in.
    pub who: Option<Who>,
    /// What the session's last write saved, to show once.
    pub saved: Option<String>,
}

/// What a worker answers: a page, or after a write the page to go to.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub html: String,
    /// Where to send the browser (303), with what was saved to show there.
    pub go: Option<(String, String)>,
}

impl Reply {
    pub fn page(status: u16, html: String) -> Reply {
        Reply { status, html, go: None }
    }
}

/// Whether the page takes writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writes {
    /// Without `--allow write`: the page only shows.
    Off,
    /// `--incognito`: a screen guests may see never writes.
    Incognito,
    On,
}

/// Where to listen and whom to answer.
#[derive(Debug)]
pub struct Options<'a> {
    /// `--bind`, or None for 127.0.0.1.
    pub bind: Option<&'a str>,
    pub port: u16,
    /// `--host`: more names the page answers to.
    pub hosts: &'a [String],
    pub token: Option<String>,
    /// The machine's name from the environment (`Settings::host`), for where the system
    /// cannot be asked.
    pub host_name: Option<&'a str>,
    pub writes: Writes,
    /// The book, whose `.care/serve-tokens` names who may write.
    pub root: std::path::PathBuf,
}

/// A bound server, not yet answering.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    url: String,
    gate: guard::Gate,
    writes: Writes,
}

impl Server {
    pub fn bind(o: &Options) -> Result<Server> {
        for h in o.hosts {
            guard::valid_host(h)?;
        }
        let host = o.bind.unwrap_or("127.0.0.1");
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let listener = TcpListener::bind((bare, o.port)).map_err(|e| {
            Error::Refused(format!("cannot listen on {host}:{}: {e}", o.port)).with_hint("try another --port")
        })?;
        let local = listener.local_addr().map_err(|e| Error::Refused(format!("cannot listen on {host}: {e}")))?;
        let machine_name = || machine_name(o.host_name);
        let shown = shown_host(local.ip(), machine_name);
        let url = format!("http://{}/", join(&shown, local.port()));
        let name = local.ip().is_unspecified().then(machine_name).flatten();
        let names =
            [host.to_string(), local.ip().to_string(), shown].into_iter().chain(name).chain(o.hosts.iter().cloned());
        let sessions = Arc::new(Sessions::new(o.root.clone()));
        Ok(Server { listener, url, gate: guard::Gate::new(names, o.token.clone(), sessions), writes: o.writes })
    }

    /// The address to open: one a phone on the same network can use.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Answer requests until the process is stopped. `worker` is called once on each
    /// worker thread and gives that thread's renderer; an error there stops the start.
    pub fn run<M, W>(self, worker: M) -> Result<()>
    where
        M: Fn() -> Result<W> + Sync,
        W: FnMut(&Ask) -> Reply,
    {
        let (jobs, queue) = mpsc::sync_channel::<Job>(QUEUE);
        let queue = Mutex::new(queue);
        std::thread::scope(|s| {
            let (ready, started) = mpsc::channel();
            for _ in 0..WORKERS {
                let (worker, queue, ready) = (&worker, &queue, ready.clone());
                s.spawn(move || match worker() {
                    Ok(render) => {
                        let _ = ready.send(Ok(()));
                        drop(ready);
                        work(render, queue);
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                    }
                });
            }
            drop(ready);
            if let Some(e) = started.iter().take(WORKERS).find_map(|r| r.err()) {
                drop(jobs); // the workers already started see the queue closed and end
                return Err(e);
            }
            let app = router(Arc::new(self.gate), jobs, self.writes);
            listen(self.listener, app)
        })
    }
}

/// A page asked for, and where its answer goes.
struct Job {
    ask: Ask,
    reply: tokio::sync::oneshot::Sender<Reply>,
}

/// One worker: make pages until the queue closes. A renderer that panics answers 500.
fn work<W: FnMut(&Ask) -> Reply>(mut render: W, queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let job = match queue.lock() {
            Ok(q) => q.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let page = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| render(&job.ask))).unwrap_or_else(|_| {
            Reply::page(500, message("500: the page could not be made (an internal error; see stderr).").0)
        });
        let _ = job.reply.send(page);
    }
}

/// What every handler shares.
struct App {
    jobs: mpsc::SyncSender<Job>,
    sessions: Arc<Sessions>,
    writes: Writes,
}

/// The routes (docs/serve.md lists them).
fn router(gate: Arc<guard::Gate>, jobs: mpsc::SyncSender<Job>, writes: Writes) -> Router {
    let app = Arc::new(App { jobs, sessions: gate.sessions.clone(), writes });
    let shows = || get(page).fallback(not_allowed);
    let takes = || post(write).fallback(post_only);
    Router::new()
        .route("/", shows())
        .route("/welcome", get(welcome).fallback(not_allowed))
        .route("/signout", post(sign_out).fallback(post_only))
        .route("/due", shows())
        .route("/customers", get(page).post(write).fallback(get_or_post))
        .route("/customers/{id}", shows())
        .route("/customers/{id}/notes", takes())
        .route("/customers/{id}/flags", takes())
        .route("/customers/{id}/flags/clear", takes())
        .route("/customers/{id}/visits", takes())
        .route("/customers/{id}/incidents", takes())
        .route("/incidents/{id}", shows())
        .route("/incidents/{id}/{step}", takes())
        .route("/followups/done", takes())
        .fallback(elsewhere)
        .with_state(app)
        .layer(axum::middleware::from_fn_with_state(gate, guard::check))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
        .layer(axum::middleware::map_response(secure))
}

/// A page: made by a worker, waited for without holding anything else up.
async fn page(State(app): State<Arc<App>>, req: Request) -> Response {
    // Bytes that are no UTF-8 once decoded become U+FFFD: the page shows what it got.
    let query = Query::<Params>::try_from_uri(req.uri()).map(|q| q.0).unwrap_or_default();
    let who = req.extensions().get::<Who>().cloned();
    let saved = who.as_ref().and_then(|w| w.session.as_deref()).and_then(|id| app.sessions.take(id));
    let ask = Ask { post: false, path: req.uri().path().to_string(), query, form: Vec::new(), who, saved };
    answer(&app, ask).await
}

/// A write: refused unless the page takes writes from this person, from this page.
async fn write(State(app): State<Arc<App>>, req: Request) -> Response {
    let refuse = |why: &str| (StatusCode::FORBIDDEN, message(why)).into_response();
    match app.writes {
        Writes::Off => return refuse("403: this page only shows; start care serve with --allow write to write."),
        Writes::Incognito => return refuse("403: an incognito page (a screen guests may see) takes no writes."),
        Writes::On => {}
    }
    let Some(who) = req.extensions().get::<Who>().cloned() else {
        return refuse("403: sign in first: open your own link (care serve token add NAME makes one).");
    };
    if who.session.is_some() && !guard::same_origin(req.headers()) {
        return refuse("403: this form was not sent from this page (its Origin is another site's, or none).");
    }
    let path = req.uri().path().to_string();
    let form = match axum::Form::<Params>::from_request(req, &()).await {
        Ok(f) => f.0,
        Err(e) => {
            let status = e.status();
            return (status, message(&format!("{}: the form could not be read: {}", status.as_u16(), e.body_text())))
                .into_response();
        }
    };
    if let Some(want) = &who.csrf {
        let given = form.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_bytes()).unwrap_or_default();
        if !guard::same(given, want.as_bytes()) {
            return refuse("403: the form's csrf value is missing or not this session's; reload the page and send it again.");
        }
    }
    answer(&app, Ask { post: true, path, query: Vec::new(), form, who: Some(who), saved: None }).await
}

/// Sign in with a link (`/welcome?key=SECRET`): a session cookie, and on to the page.
async fn welcome(State(app): State<Arc<App>>, req: Request) -> Response {
    let query = Query::<Params>::try_from_uri(req.uri()).map(|q| q.0).unwrap_or_default();
    let key = query.iter().find(|(k, _)| k == "key").map(|(_, v)| v.as_str()).unwrap_or("");
    let Some((id, _)) = app.sessions.sign_in(key) else {
        return (StatusCode::FORBIDDEN, message("403: this link is not (or no longer) valid; ask for a new one."))
            .into_response();
    };
    let cookie = session::set_cookie(&id, session::over_tls(req.headers()));
    see_other("/", Some(cookie))
}

/// End the session, here and in the browser.
async fn sign_out(State(app): State<Arc<App>>, req: Request) -> Response {
    if let Some(id) = req.extensions().get::<Who>().and_then(|w| w.session.clone()) {
        if !guard::same_origin(req.headers()) {
            return (StatusCode::FORBIDDEN, message("403: not sent from this page.")).into_response();
        }
        app.sessions.sign_out(&id);
    }
    see_other("/", Some(session::clear_cookie(session::over_tls(req.headers()))))
}

/// A 303 to `to`, maybe setting a cookie.
fn see_other(to: &str, cookie: Option<String>) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// Hand the request to a worker and wait for its answer.
async fn answer(app: &App, ask: Ask) -> Response {
    let session = ask.who.as_ref().and_then(|w| w.session.clone());
    let (reply, answer) = tokio::sync::oneshot::channel();
    match app.jobs.try_send(Job { ask, reply }) {
        Ok(()) => {}
        Err(mpsc::TrySendError::Full(_)) => {
            return (StatusCode::SERVICE_UNAVAILABLE, message("503: too many pages asked for at once; try again."))
                .into_response();
        }
        Err(mpsc::TrySendError::Disconnected(_)) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, message("500: the page makers have stopped.")).into_response();
        }
    }
    match tokio::time::timeout(RENDER_LIMIT, answer).await {
        Ok(Ok(Reply { go: Some((to, saved)), .. })) => {
            if let Some(id) = session {
                app.sessions.leave(&id, saved);
            }
            see_other(&to, None)
        }
        Ok(Ok(Reply { status, html, go: None })) => {
            (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), Html(html)).into_response()
        }
        Ok(Err(_)) => (StatusCode::INTERNAL_SERVER_ERROR, message("500: the page could not be made.")).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            message(&format!("503: the page took longer than {} s to make; try again.", RENDER_LIMIT.as_secs())),
        )
            .into_response(),
    }
}

/// A method a page does not take.
async fn not_allowed() -> Response {
    refuse_method("GET, HEAD")
}

/// A method a form endpoint does not take.
async fn post_only() -> Response {
    refuse_method("POST")
}

async fn get_or_post() -> Response {
    refuse_method("GET, HEAD, POST")
}

fn refuse_method(allow: &'static str) -> Response {
    let text = format!("405: this address takes {allow} only.");
    let mut r = (StatusCode::METHOD_NOT_ALLOWED, message(&text)).into_response();
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

/// Any other path: 404, or 405 for a method no route takes.
async fn elsewhere(method: Method) -> Response {
    if method == Method::GET || method == Method::HEAD {
        (StatusCode::NOT_FOUND, message("404: nothing here; the page is at /")).into_response()
    } else {
        not_allowed().await
    }
}

/// What every answer carries: never cached (it holds contacts), never framed, never sniffed,
/// no referrer (the URL may hold the token), nothing loaded from anywhere.
async fn secure(mut r: Response) -> Response {
    let h = r.headers_mut();
    for (k, v) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ] {
        h.insert(k, HeaderValue::from_static(v));
    }
    r
}

/// A short HTML answer for a refusal or an error.
pub fn message(text: &str) -> Html<String> {
    Html(format!("<!doctype html><meta charset=\"utf-8\"><p>{}</p>\n", crate::report::page::esc(text)))
}

/// Accept connections until the process stops; each is served on its own task.
fn listen(listener: TcpListener, app: Router) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::Refused(format!("cannot start the server: {e}")))?;
    runtime.block_on(async move {
        listener.set_nonblocking(true).map_err(|e| Error::Refused(format!("cannot listen: {e}")))?;
        let listener =
            tokio::net::TcpListener::from_std(listener).map_err(|e| Error::Refused(format!("cannot listen: {e}")))?;
        let open = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: wait for some to close, never spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = open.clone().try_acquire_owned() else { continue };
            let service = hyper_util::service::TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(HEAD_LIMIT)
                    .max_buf_size(MAX_HEAD)
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                let _ = tokio::time::timeout(CONNECTION_LIMIT, connection).await;
                drop(permit);
            });
        }
    })
}

/// `host:port`, with brackets for an IPv6 address.
fn join(host: &str, port: u16) -> String {
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// The host to print for a bound address: itself, or for 0.0.0.0 / :: the machine's own
/// address on its network (a phone cannot open 0.0.0.0), else its name.
fn shown_host(ip: IpAddr, machine_name: impl FnOnce() -> Option<String>) -> String {
    if !ip.is_unspecified() {
        return ip.to_string();
    }
    machine_address(ip.is_ipv6()).map(|a| a.to_string()).or_else(machine_name).unwrap_or_else(|| "127.0.0.1".into())
}

/// The host a phone on the network reaches this machine by, as `care serve --bind 0.0.0.0`
/// prints it: for a link made before the server runs (`care serve token add`).
pub fn lan_host(host_name: Option<&str>) -> String {
    shown_host(IpAddr::from([0, 0, 0, 0]), || machine_name(host_name))
}

/// The address this machine would reach the network from: a UDP socket "connected" to a
/// documentation address (RFC 5737/3849: nobody's, never routed) is given the source
/// address of the default route by the kernel. A UDP connect sends nothing.
fn machine_address(v6_too: bool) -> Option<IpAddr> {
    let probes: &[(&str, &str)] = if v6_too {
        &[("0.0.0.0:0", "192.0.2.1:9"), ("[::]:0", "[2001:db8::1]:9")]
    } else {
        &[("0.0.0.0:0", "192.0.2.1:9")]
    };
    probes.iter().find_map(|(local, far)| {
        let socket = std::net::UdpSocket::bind(local).ok()?;
        socket.connect(far.parse::<SocketAddr>().ok()?).ok()?;
        let ip = socket.local_addr().ok()?.ip();
        (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
    })
}

#[cfg(unix)]
fn machine_name(_: Option<&str>) -> Option<String> {
    let name = rustix::system::uname().nodename().to_string_lossy().into_owned();
    (!name.is_empty()).then_some(name)
}

#[cfg(not(unix))]
fn machine_name(from_env: Option<&str>) -> Option<String> {
    from_env.map(str::to_string)
}
