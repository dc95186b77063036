//! One connection's time limits, and JSON bodies for the errors hyper answers by itself.
//!
//! [`Guarded`] wraps the socket hyper reads and writes:
//! * **header read**: a request head must arrive within `header_read_timeout` of its first
//!   byte (or of the connection's start, for the first one): slowloris clients are cut off;
//! * **keep-alive idle**: after a reply, the next request must start within
//!   `keep_alive_timeout`;
//! * **send**: a reply that cannot be written for `send_timeout` (a client that does not
//!   read) closes the connection.
//!
//! While a request is being served (a long-poll, a body being read), no read limit runs:
//! the hold is the subscribe timeout and the body has its own limit (`ingress`).
//!
//! hyper answers requests it cannot parse (400, 414 URI too long, 431 head too large)
//! with an empty body before any handler runs. [`Guarded`] recognises those answers (a
//! response head the service did not produce) and writes a JSON body in the protocol's
//! error shape instead, for the API family named by the request line's path.

use crate::error::{ApiError, Family};
use axum::http::StatusCode;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Bytes of a request head kept to learn its path (for the error shape).
const PREFIX: usize = 96;

fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

fn since_base(at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(base()).as_millis()).unwrap_or(u64::MAX)
}

/// What the service tells its connection: whether a request is being served, how many
/// replies it produced, and when the last one was produced.
#[derive(Debug, Default)]
pub struct ConnState {
    busy: AtomicBool,
    served: AtomicU64,
    idle_since_ms: AtomicU64,
}

impl ConnState {
    /// A fresh connection's state.
    pub fn new() -> Self {
        let s = ConnState::default();
        s.idle_since_ms
            .store(since_base(Instant::now()), Ordering::Relaxed);
        s
    }

    /// A request reached the service.
    pub fn begin(&self) {
        self.busy.store(true, Ordering::Relaxed);
    }

    /// The service produced its reply.
    pub fn end(&self) {
        self.idle_since_ms
            .store(since_base(Instant::now()), Ordering::Relaxed);
        self.served.fetch_add(1, Ordering::Relaxed);
        self.busy.store(false, Ordering::Relaxed);
    }

    fn idle_since(&self) -> Instant {
        base() + Duration::from_millis(self.idle_since_ms.load(Ordering::Relaxed))
    }
}

/// The limits [`Guarded`] enforces.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// For a request head, from its first byte (or the connection's start).
    pub header: Duration,
    /// Between a reply and the next request.
    pub keep_alive: Duration,
    /// For a reply that cannot be written.
    pub send: Duration,
}

/// A socket with the connection's time limits and JSON error bodies (module docs).
#[derive(Debug)]
pub struct Guarded<S> {
    inner: S,
    state: std::sync::Arc<ConnState>,
    limits: Timeouts,
    opened: Instant,
    /// (replies served when it started, when) of the request head being read.
    head: Option<(u64, Instant)>,
    prefix: Vec<u8>,
    /// Final response heads written so far.
    heads_written: u64,
    read_timer: Option<Pin<Box<Sleep>>>,
    write_timer: Option<Pin<Box<Sleep>>>,
    /// A replacement being written: bytes, how many are written, and the length of what
    /// it replaces (reported to hyper once done).
    rewrite: Option<(Vec<u8>, usize, usize)>,
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what.to_string())
}

/// Polls `timer` (created or moved to `deadline`); ready once the deadline passed.
fn expired(timer: &mut Option<Pin<Box<Sleep>>>, deadline: Instant, cx: &mut Context<'_>) -> bool {
    let sleep = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
    if sleep.deadline() != deadline {
        sleep.as_mut().reset(deadline);
    }
    sleep.as_mut().poll(cx).is_ready()
}

impl<S> Guarded<S> {
    /// Wraps `inner`; `state` is shared with the connection's service.
    pub fn new(inner: S, state: std::sync::Arc<ConnState>, limits: Timeouts) -> Self {
        Guarded {
            inner,
            state,
            limits,
            opened: Instant::now(),
            head: None,
            prefix: Vec::new(),
            heads_written: 0,
            read_timer: None,
            write_timer: None,
            rewrite: None,
        }
    }

    /// When the current wait for a request head must end.
    fn read_deadline(&self) -> Instant {
        let served = self.state.served.load(Ordering::Relaxed);
        match self.head {
            Some((at, started)) if at == served => started + self.limits.header,
            _ if served == 0 => self.opened + self.limits.header,
            _ => self.state.idle_since() + self.limits.keep_alive,
        }
    }

    /// Notes bytes of a request head (when no request is being served).
    fn saw(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || self.state.busy.load(Ordering::Relaxed) {
            return;
        }
        let served = self.state.served.load(Ordering::Relaxed);
        if self.head.is_none_or(|(at, _)| at != served) {
            self.head = Some((served, Instant::now()));
            self.prefix.clear();
        }
        let room = PREFIX.saturating_sub(self.prefix.len());
        self.prefix
            .extend_from_slice(&bytes[..room.min(bytes.len())]);
    }

    /// Looks at the start of a write: counts final response heads, and returns the JSON
    /// replacement for one the service did not produce (hyper's own error answer).
    fn replacement(&mut self, first: &[u8]) -> Option<Vec<u8>> {
        let status = response_status(first)?;
        if status < 200 {
            return None;
        }
        if self.heads_written < self.state.served.load(Ordering::Relaxed) {
            self.heads_written += 1;
            return None;
        }
        if !(400..600).contains(&status) || !contains(first, b"\r\ncontent-length: 0\r\n") {
            return None;
        }
        Some(error_response(status, request_path(&self.prefix)))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let this = &mut *self;
                this.saw(&buf.filled()[before..]);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                if self.state.busy.load(Ordering::Relaxed) {
                    self.read_timer = None;
                    return Poll::Pending;
                }
                let deadline = self.read_deadline();
                if expired(&mut self.read_timer, deadline, cx) {
                    return Poll::Ready(Err(timed_out(
                        "no complete request in time (header-read or keep-alive timeout)",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> Guarded<S> {
    /// A write made no progress: closes the connection once that lasted `send_timeout`.
    fn stalled<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let deadline = match &self.write_timer {
            Some(t) => t.deadline(),
            None => Instant::now() + self.limits.send,
        };
        if expired(&mut self.write_timer, deadline, cx) {
            return Poll::Ready(Err(timed_out("the reply could not be sent in time")));
        }
        Poll::Pending
    }

    /// Writes the pending replacement; ready with the replaced length once all is out.
    fn poll_rewrite(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        loop {
            let Some((bytes, done, claimed)) = &mut self.rewrite else {
                return Poll::Ready(Ok(0));
            };
            if *done >= bytes.len() {
                let claimed = *claimed;
                self.rewrite = None;
                return Poll::Ready(Ok(claimed));
            }
            match Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    *done += n;
                    self.write_timer = None;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return self.stalled(cx),
            }
        }
    }

    fn after_write(
        &mut self,
        cx: &mut Context<'_>,
        r: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match r {
            Poll::Pending => self.stalled(cx),
            ready => {
                self.write_timer = None;
                ready
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.rewrite.is_none() {
            if let Some(bytes) = this.replacement(buf) {
                this.rewrite = Some((bytes, 0, buf.len()));
            }
        }
        if this.rewrite.is_some() {
            return this.poll_rewrite(cx);
        }
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.after_write(cx, r)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.rewrite.is_none() {
            let first = bufs
                .iter()
                .find(|b| !b.is_empty())
                .map_or(&[][..], |b| &b[..]);
            if let Some(bytes) = this.replacement(first) {
                let total = bufs.iter().map(|b| b.len()).sum();
                this.rewrite = Some((bytes, 0, total));
            }
        }
        if this.rewrite.is_some() {
            return this.poll_rewrite(cx);
        }
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.after_write(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.rewrite.is_some() {
            ready!(this.poll_rewrite(cx))?;
        }
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending => this.stalled(cx),
            ready => {
                this.write_timer = None;
                ready
            }
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The status of a response head (`HTTP/1.x NNN …`).
fn response_status(bytes: &[u8]) -> Option<u16> {
    if bytes.len() < 12 || !bytes.starts_with(b"HTTP/1.") || bytes[8] != b' ' {
        return None;
    }
    std::str::from_utf8(&bytes[9..12]).ok()?.parse().ok()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The path of a request line (`GET /path?… HTTP/1.1`), as far as it was read.
fn request_path(prefix: &[u8]) -> String {
    let line = String::from_utf8_lossy(prefix);
    line.split(' ').nth(1).unwrap_or("").to_string()
}

/// A whole response for an error hyper found before any handler ran.
fn error_response(status: u16, path: String) -> Vec<u8> {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let message = match status {
        414 => "URI Too Long: a request URI may be at most 65,534 bytes (about 1,400 subscribe channel names of 40 characters)".to_string(),
        431 => "Request Header Fields Too Large: the request head is over the server's limit (--max-header-bytes)".to_string(),
        400 => "Bad Request: the request is not valid HTTP/1.1".to_string(),
        _ => code.canonical_reason().unwrap_or("Error").to_string(),
    };
    let (content_type, body) = ApiError::new(Family::of(&path), code, message).content();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {content_type}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        code.as_u16(),
        code.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_response_heads() {
        assert_eq!(response_status(b"HTTP/1.1 414 URI Too Long\r\n"), Some(414));
        assert_eq!(response_status(b"HTTP/1.0 200 OK\r\n"), Some(200));
        assert_eq!(response_status(b"{\"status\":400}"), None);
        assert_eq!(response_status(b"HTTP/1.1 4"), None);
        assert_eq!(
            request_path(b"GET /v2/subscribe/k/a,b/0?tt=1 HTTP/1.1\r\nHo"),
            "/v2/subscribe/k/a,b/0?tt=1"
        );
        assert_eq!(request_path(b"\x00\x01"), "");
        let r = String::from_utf8(error_response(414, "/v2/subscribe/k/c/0".into())).unwrap();
        assert!(r.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{r}");
        let body = r.split("\r\n\r\n").nth(1).unwrap();
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            (v["status"].as_u64(), v["error"].as_bool()),
            (Some(414), Some(true))
        );
        assert!(r.contains(&format!("content-length: {}\r\n", body.len())));
        let r = String::from_utf8(error_response(431, "/v2/objects/k/uuids".into())).unwrap();
        assert!(
            r.contains("application/json") && r.contains("\"source\":\"objects\""),
            "{r}"
        );
    }
}
