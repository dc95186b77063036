//! Accepting connections: the file-descriptor limit, the connection cap, and serving each
//! connection with hyper (HTTP/1.1) behind [`crate::conn::Guarded`].
//!
//! Past `--max-connections` a new connection gets a 503 JSON answer and is closed at once
//! (a few hundred such answers at a time; beyond that it is just closed), so a flood of
//! idle sockets makes clients fail fast instead of hanging. The limit itself never exceeds
//! what the file-descriptor limit allows, which is raised to its hard maximum at start.

use crate::cli::Limits;
use crate::conn::{ConnState, Guarded, Timeouts};
use crate::error::{ApiError, Family};
use crate::hub::PollSlot;
use axum::http::{header, HeaderValue, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tower_service::Service;

/// File descriptors kept free for the database, logs and refusals.
const RESERVED_FDS: u64 = 64;
/// Refusals (503 answers) being written at most at once.
const MAX_REFUSING: usize = 256;

/// Raises the soft limit on open files to the hard limit; returns the soft limit now in
/// force (`None` when it cannot be read).
pub fn raise_fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            // SAFETY: as above.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                return Some(lim.rlim_max);
            }
            tracing::warn!(
                soft = lim.rlim_cur,
                hard = lim.rlim_max,
                "cannot raise the open-file limit"
            );
        }
        Some(lim.rlim_cur)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The connection cap in force: `--max-connections`, but never more than the open-file
/// limit allows.
pub fn connection_cap(wanted: usize, fd_limit: Option<u64>) -> usize {
    match fd_limit {
        Some(fds) => {
            let room = usize::try_from(fds.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX);
            wanted.min(room.max(1))
        }
        None => wanted,
    }
}

/// Accepts and serves connections until `shutdown` turns true. Returns the semaphore whose
/// permits the open connections hold (all back = all closed).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    cap: usize,
    mut shutdown: watch::Receiver<bool>,
) -> Arc<Semaphore> {
    let slots = Arc::new(Semaphore::new(cap));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let busy_reply = Arc::new(busy_response(cap));
    let mut last_warned: Option<tokio::time::Instant> = None;
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped(&mut shutdown) => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of file descriptors (or another transient error): back off a little.
                if last_warned.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                    tracing::warn!(error = %e, "accept failed");
                    last_warned = Some(tokio::time::Instant::now());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        match slots.clone().try_acquire_owned() {
            Ok(permit) => {
                let router = router.clone();
                let shutdown = shutdown.clone();
                let limits = limits.clone();
                tokio::spawn(connection(stream, router, limits, shutdown, permit));
            }
            Err(_) => refuse(stream, &refusing, &busy_reply),
        }
    }
    slots
}

/// Resolves once `shutdown` turns true (or its sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|s| *s).await;
}

/// The 503 answer past the connection cap.
fn busy_response(cap: usize) -> Vec<u8> {
    let (content_type, body) = ApiError::new(
        Family::Other,
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "Too many open connections (the limit is {cap}, --max-connections); try again later"
        ),
    )
    .content();
    let mut out = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: {content_type}\r\nconnection: close\r\nretry-after: 1\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

fn refuse(mut stream: TcpStream, refusing: &Arc<Semaphore>, reply: &Arc<Vec<u8>>) {
    let Ok(permit) = refusing.clone().try_acquire_owned() else {
        return;
    };
    let reply = reply.clone();
    tokio::spawn(async move {
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            let _ = stream.write_all(&reply).await;
            let _ = stream.shutdown().await;
        })
        .await;
        drop(permit);
    });
}

/// Serves one connection until it closes, or until shutdown (then the request in
/// progress is answered and the connection closed).
async fn connection(
    stream: TcpStream,
    router: Router,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let state = Arc::new(ConnState::new());
    let timeouts = Timeouts {
        header: limits.header_read_timeout,
        keep_alive: limits.keep_alive_timeout,
        send: limits.send_timeout,
    };
    let io = TokioIo::new(Guarded::new(stream, state.clone(), timeouts));
    let keep_alive =
        HeaderValue::from_str(&format!("timeout={}", limits.keep_alive_timeout.as_secs()))
            .unwrap_or(HeaderValue::from_static("timeout=5"));
    let slot = PollSlot::default();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let mut router = router.clone();
        let state = state.clone();
        let keep_alive = keep_alive.clone();
        req.extensions_mut().insert(slot.clone());
        state.begin();
        async move {
            let mut response = router.call(req).await?;
            let h = response.headers_mut();
            if !h.contains_key(header::CONNECTION) {
                // Tells clients (Node's agent reads it) when the server closes idle sockets.
                h.insert("keep-alive", keep_alive);
            }
            state.end();
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let mut builder = http1::Builder::new();
    // hyper's own head timer (from the connection's start, or from the end of a reply, to a
    // complete head) is the backstop: Guarded's stricter limits fire first. Setting it also
    // makes hyper read again as soon as a reply is out, which Guarded needs to time an idle
    // keep-alive connection.
    builder
        .max_buf_size(limits.max_header_bytes)
        .timer(TokioTimer::new())
        .header_read_timeout(limits.keep_alive_timeout.max(limits.header_read_timeout));
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection closed with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps() {
        assert_eq!(connection_cap(10_000, Some(1024)), 960);
        assert_eq!(connection_cap(100, Some(1024)), 100);
        assert_eq!(connection_cap(100, Some(10)), 1);
        assert_eq!(connection_cap(100, None), 100);
        let r = String::from_utf8(busy_response(5)).unwrap();
        assert!(
            r.starts_with("HTTP/1.1 503") && r.contains("limit is 5"),
            "{r}"
        );
    }

    #[test]
    fn the_fd_limit_is_raised_to_the_hard_one() {
        let soft = raise_fd_limit();
        #[cfg(unix)]
        {
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: reads into the struct.
            assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
            assert_eq!(soft, Some(lim.rlim_cur));
            assert_eq!(lim.rlim_cur, lim.rlim_max);
        }
        #[cfg(not(unix))]
        assert_eq!(soft, None);
    }
}
