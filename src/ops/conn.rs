//! Slow clients: how long a connection may take to send a request head, and a request body.
//!
//! actix-web bounds the first request head of a connection (`client_request_timeout`, a 408)
//! and idle kept-alive connections (`keep_alive`), but not a later head that stops half-way,
//! nor a body that stops arriving: either holds its connection forever. So:
//!
//! - [`limit`] sets actix's own timeouts from the configuration and gives every connection a
//!   watchdog: once no request is in progress (the connection is new, or the previous answer
//!   has been written), the next request head must arrive within the header timeout, or the
//!   watchdog shuts the socket down. It counts from the previous answer, so a head trickled in
//!   a byte at a time is cut all the same.
//! - [`watch`] (a middleware) marks the connection busy while a request is handled, and
//!   makes the request body fail when it sends nothing for the body timeout while the handler
//!   waits for it: the answer is then a 408 in the dialect's envelope, and the connection
//!   closes. It is an idle limit between pieces, not a total, so a long upload that keeps
//!   sending is never cut.
//!
//! Both `main` and the tests build their server with [`limit`] and their application with
//! `crate::app`, which wraps [`watch`].

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_http::Request;
use actix_service::IntoServiceFactory;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{
    Extensions, Payload, Response, Service, ServiceFactory, ServiceRequest, ServiceResponse,
};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::rt::time::{sleep, Instant, Sleep};
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpServer};
use futures_util::Stream;

use crate::api::dialect::Dialect;
use crate::api::envelope;
use crate::config::Config;
use crate::error::{Error, PageRenderer};
use crate::AppState;

/// Longest time an idle kept-alive connection stays open (never more than the header
/// timeout, which would close it first).
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// Time the watchdog leaves actix to answer a late first head with its own 408.
const GRACE: Duration = Duration::from_secs(1);

/// The server's timeouts, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header: Duration,
    pub body_idle: Duration,
}

impl Timeouts {
    pub fn of(config: &Config) -> Timeouts {
        Timeouts {
            header: Duration::from_secs(config.header_timeout_secs.max(1)),
            body_idle: Duration::from_secs(config.body_timeout_secs.max(1)),
        }
    }
}

/// `server` with the configured timeouts for request heads, kept-alive connections and
/// shutdowns, and the per-connection watchdog. Apply it to every listener whose application
/// wraps [`watch`] (without it, a connection never counts as busy and is cut after the
/// header timeout).
pub fn limit<F, I, S, B>(server: HttpServer<F, I, S, B>, config: &Config) -> HttpServer<F, I, S, B>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = actix_web::dev::AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: std::fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    <S::Service as Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let t = Timeouts::of(config);
    server
        .client_request_timeout(t.header)
        .client_disconnect_timeout(Duration::from_secs(1))
        .keep_alive(KEEP_ALIVE.min(t.header))
        .on_connect(move |io, ext| on_connect(io, ext, t.header))
}

/// What a connection's watchdog and its requests share (one worker thread owns both).
pub struct ConnWatch {
    /// Requests being handled (their answers not yet written).
    busy: Cell<usize>,
    /// When the connection last became idle: accepted, or its last answer written.
    idle_since: Cell<Instant>,
    /// Dropped with the connection: wakes the watchdog, which lets go of the socket.
    _closed: tokio::sync::oneshot::Sender<()>,
}

/// A request in progress on a connection; the connection is idle again when the last one
/// is dropped (with the answer's body, once written).
struct Busy(Rc<ConnWatch>);

impl Busy {
    fn new(watch: &Rc<ConnWatch>) -> Busy {
        watch.busy.set(watch.busy.get() + 1);
        Busy(watch.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let n = self.0.busy.get().saturating_sub(1);
        self.0.busy.set(n);
        if n == 0 {
            self.0.idle_since.set(Instant::now());
        }
    }
}

#[cfg(unix)]
fn on_connect(io: &dyn std::any::Any, ext: &mut Extensions, header: Duration) {
    use std::os::fd::AsFd;

    let Some(tcp) = io.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    // A second handle on the socket, to shut it down from the watchdog; it is closed when
    // the connection ends.
    let Ok(fd) = tcp.as_fd().try_clone_to_owned() else {
        log::warn!("cannot watch a connection for slow request heads");
        return;
    };
    let socket = std::net::TcpStream::from(fd);
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel();
    let watch = Rc::new(ConnWatch {
        busy: Cell::new(0),
        idle_since: Cell::new(Instant::now()),
        _closed: closed_tx,
    });
    let weak = Rc::downgrade(&watch);
    ext.insert(watch);
    actix_web::rt::spawn(watchdog(weak, closed_rx, socket, header));
}

#[cfg(not(unix))]
fn on_connect(_: &dyn std::any::Any, _: &mut Extensions, _: Duration) {}

/// Shut the socket down when the connection has been idle (no request in progress) for
/// longer than the header timeout; end with the connection.
#[cfg(unix)]
async fn watchdog(
    watch: Weak<ConnWatch>,
    mut closed: tokio::sync::oneshot::Receiver<()>,
    socket: std::net::TcpStream,
    header: Duration,
) {
    use futures_util::future::{select, Either};

    loop {
        let wait = {
            let Some(w) = watch.upgrade() else { return };
            if w.busy.get() > 0 {
                header
            } else {
                let deadline = w.idle_since.get() + header + GRACE;
                let now = Instant::now();
                if now >= deadline {
                    log::debug!("closing a connection that sent no complete request head in time");
                    let _ = socket.shutdown(std::net::Shutdown::Both);
                    return;
                }
                deadline - now
            }
        };
        let nap = std::pin::pin!(sleep(wait));
        if let Either::Right(_) = select(nap, &mut closed).await {
            return;
        }
    }
}

/// Marks a request body that stalled: the answer becomes a 408.
#[derive(Clone, Default)]
struct Stalled(Rc<Cell<bool>>);

/// Middleware: the connection is busy while the request is handled and its answer written;
/// a body that sends nothing for the body timeout while it is awaited fails, and the answer
/// is then a 408 in the dialect's envelope that closes the connection.
pub async fn watch(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let busy = req.conn_data::<Rc<ConnWatch>>().map(Busy::new);
    let idle = req
        .app_data::<web::Data<AppState>>()
        .map(|s| Timeouts::of(&s.config).body_idle);
    let stalled = Stalled::default();
    if let (Some(idle), true) = (idle, has_body(&req)) {
        match req.take_payload() {
            Payload::None => {}
            payload => req.set_payload(Payload::Stream {
                payload: Box::pin(IdleLimit {
                    inner: payload,
                    idle,
                    timer: None,
                    waiting: false,
                    stalled: stalled.clone(),
                }),
            }),
        }
    }
    // The path as the router reads it (as the envelope does), for the 408's envelope.
    let dialect = Dialect::for_path(req.match_info().as_str());
    let pages = PageRenderer::of(req.request());
    let timed_out = || {
        let mut res = envelope::render(&Error::request_timeout(), dialect, pages);
        res.head_mut().set_connection_type(ConnectionType::Close);
        res
    };
    let res = match next.call(req).await {
        Ok(res) if stalled.0.get() && res.status().as_u16() >= 400 => {
            let (req, _) = res.into_parts();
            ServiceResponse::new(req, timed_out())
        }
        Ok(res) => res.map_into_boxed_body(),
        Err(_) if stalled.0.get() => {
            let e = actix_web::error::InternalError::from_response(
                Error::request_timeout(),
                timed_out(),
            );
            return Err(e.into());
        }
        Err(e) => return Err(e),
    };
    Ok(res.map_body(|_, body| match busy {
        Some(busy) => BoxBody::new(Tracked { body, _busy: busy }),
        None => body,
    }))
}

/// Whether the request says a body follows: a `Content-Length` above 0 or a
/// `Transfer-Encoding`. Most requests (every GET) have none, and skip the watch on it.
fn has_body(req: &ServiceRequest) -> bool {
    use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
    let headers = req.headers();
    headers.contains_key(TRANSFER_ENCODING)
        || headers
            .get(CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

/// A response body that keeps its connection busy until it is written (dropped).
struct Tracked {
    body: BoxBody,
    _busy: Busy,
}

impl MessageBody for Tracked {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }
}

/// A request body that fails when the handler has waited `idle` for its next piece.
struct IdleLimit {
    inner: Payload,
    idle: Duration,
    timer: Option<Pin<Box<Sleep>>>,
    /// The handler is waiting (the last poll found nothing): the timer runs. It restarts
    /// when a wait begins, so time the handler spends elsewhere never counts.
    waiting: bool,
    stalled: Stalled,
}

impl Stream for IdleLimit {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.stalled.0.get() {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(item) => {
                this.waiting = false;
                return Poll::Ready(item);
            }
            Poll::Pending => {}
        }
        let deadline = Instant::now() + this.idle;
        let timer = match &mut this.timer {
            Some(timer) => {
                if !this.waiting {
                    timer.as_mut().reset(deadline);
                }
                timer
            }
            None => this
                .timer
                .insert(Box::pin(actix_web::rt::time::sleep_until(deadline))),
        };
        this.waiting = true;
        if timer.as_mut().poll(cx).is_ready() {
            this.stalled.0.set(true);
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body stalled",
            )))));
        }
        Poll::Pending
    }
}
