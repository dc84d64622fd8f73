//! The HTTP server behind `care serve`, on hyper (parsing) and axum (routing), so that no
//! request can take the page down or hold it: the request head is capped by hyper (414 for
//! a URI over 64 KiB, 431 past its buffer or 100 headers) and must arrive within
//! HEAD_LIMIT; a Content-Length over MAX_BODY is answered 413 before anything of the body
//! is read (no route reads a body); the `Host` must be ours and the token right (`guard`);
//! every connection is its own task, lives at most CONNECTION_LIMIT and there are at most
//! MAX_CONNECTIONS of them. Only GET and HEAD are routed (405 otherwise).
//!
//! The page itself is blocking book I/O, so it is made on worker threads, each with its own
//! renderer (a command's context is not shared between threads), while the connections
//! run on one async thread: a slow or huge page never delays another request's reading,
//! refusal or answer. A page not made within RENDER_LIMIT is answered 503.

pub mod arrivals;
pub mod guard;

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::error::{Error, Result};

/// The whole request head must arrive within this: a client trickling bytes is dropped.
pub const HEAD_LIMIT: Duration = Duration::from_secs(10);
/// A connection is closed after this, whatever it is doing (a client that never reads).
pub const CONNECTION_LIMIT: Duration = Duration::from_secs(120);
/// A page not made in this time is answered 503 (its worker finishes it unseen).
pub const RENDER_LIMIT: Duration = Duration::from_secs(60);
/// Connections open at once; past it, new ones are closed at once.
pub const MAX_CONNECTIONS: usize = 256;
/// The largest request body announced that is not refused; no route reads one.
pub const MAX_BODY: usize = 16 * 1024;
/// hyper's read buffer: a head longer than this is refused 431 (hyper's own default).
pub const MAX_HEAD: usize = 8192 + 4096 * 100;
/// Pages made at once; more wait in a queue of QUEUE, and past that are answered 503.
pub const WORKERS: usize = 4;
const QUEUE: usize = 64;

/// What a page is made from: the request's query, decoded (`?list=`, `?token=`).
pub type Params = Vec<(String, String)>;
/// A page: its status and HTML.
pub type Page = (u16, String);

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
}

/// A bound server, not yet answering.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    url: String,
    gate: guard::Gate,
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
        Ok(Server { listener, url, gate: guard::Gate::new(names, o.token.clone()) })
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
        W: FnMut(&Params) -> Page,
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
            let app = router(Arc::new(self.gate), jobs);
            listen(self.listener, app)
        })
    }
}

/// A page asked for, and where its answer goes.
struct Job {
    query: Params,
    reply: tokio::sync::oneshot::Sender<Page>,
}

/// One worker: make pages until the queue closes. A renderer that panics answers 500.
fn work<W: FnMut(&Params) -> Page>(mut render: W, queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let job = match queue.lock() {
            Ok(q) => q.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let page = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| render(&job.query)))
            .unwrap_or_else(|_| (500, message("500: the page could not be made (an internal error; see stderr).").0));
        let _ = job.reply.send(page);
    }
}

/// The routes. Issue 28's forms are more `.route`s here, behind the same guard.
fn router(gate: Arc<guard::Gate>, jobs: mpsc::SyncSender<Job>) -> Router {
    Router::new()
        .route("/", get(page).fallback(not_allowed))
        .fallback(elsewhere)
        .with_state(Arc::new(jobs))
        .layer(axum::middleware::from_fn_with_state(gate, guard::check))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
        .layer(axum::middleware::map_response(secure))
}

/// The page: made by a worker, waited for without holding anything else up.
async fn page(State(jobs): State<Arc<mpsc::SyncSender<Job>>>, uri: Uri) -> Response {
    // Bytes that are no UTF-8 once decoded become U+FFFD: the page shows what it got.
    let query = Query::<Params>::try_from_uri(&uri).map(|q| q.0).unwrap_or_default();
    let (reply, answer) = tokio::sync::oneshot::channel();
    match jobs.try_send(Job { query, reply }) {
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
        Ok(Ok((status, html))) => (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), Html(html)).into_response(),
        Ok(Err(_)) => (StatusCode::INTERNAL_SERVER_ERROR, message("500: the page could not be made.")).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            message(&format!("503: the page took longer than {} s to make; try again.", RENDER_LIMIT.as_secs())),
        )
            .into_response(),
    }
}

/// A method no route takes (axum adds the `Allow` header on `/`).
async fn not_allowed() -> Response {
    let mut r = (StatusCode::METHOD_NOT_ALLOWED, message("405: this page only answers GET and HEAD.")).into_response();
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
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
