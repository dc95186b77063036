//! Layers around every route: request logging, and the ingress step (body size and time
//! limits, `Content-Encoding: deflate`, request signatures and replay protection).
//! Who may call at all (Host, Origin, CORS) is [`crate::access`].

use crate::app::now_secs;
use crate::error::{ApiError, Family};
use crate::query::Query;
use crate::server::State;
use crate::signature;
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{self, Request};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use flate2::read::{DeflateDecoder, GzDecoder, ZlibDecoder};
use std::io::Read;

/// Largest request body accepted, in bytes (after decompression too).
pub const MAX_BODY_BYTES: usize = 32 * 1024;

/// Logs each request (method, path, status, time) at debug level; errors at info.
pub async fn log(req: Request, next: Next) -> Response {
    if !tracing::enabled!(tracing::Level::INFO) {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let uri = req.uri().clone();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    let status = response.status();
    let failed = status.is_client_error() || status.is_server_error();
    if failed || tracing::enabled!(tracing::Level::DEBUG) {
        let path: String = uri.path().chars().take(200).collect();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if failed {
            tracing::info!(%method, %path, status = status.as_u16(), ms, "request");
        } else {
            tracing::debug!(%method, %path, status = status.as_u16(), ms, "request");
        }
    }
    response
}

/// Reads the body (at most 32 KiB, within the body-read timeout; a larger
/// `Content-Length` is refused with 413 before reading), inflates `deflate`/`gzip` bodies,
/// checks the request signature when the server has a secret key (`/time` is never
/// signed), and refuses a signed write whose signature was already used.
pub async fn ingress(
    extract::State(state): extract::State<State>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let family = Family::of(req.uri().path());
    let (mut parts, body) = req.into_parts();
    if declared_length(&parts.headers).is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(ApiError::too_large(family));
    }
    let read = to_bytes(body, MAX_BODY_BYTES);
    let bytes = match tokio::time::timeout(state.limits.body_read_timeout, read).await {
        Err(_) => return Err(ApiError::body_timeout(family)),
        Ok(Err(e)) if is_length_limit(&e) => return Err(ApiError::too_large(family)),
        Ok(Err(_)) => {
            return Err(ApiError::new(
                family,
                StatusCode::BAD_REQUEST,
                "Could not read the request body",
            ))
        }
        Ok(Ok(bytes)) => bytes,
    };
    let bytes = match parts.headers.get(header::CONTENT_ENCODING) {
        None => bytes,
        Some(enc) => {
            let enc = enc.to_str().unwrap_or("").trim().to_ascii_lowercase();
            let inflated = inflate(&enc, &bytes, family)?;
            parts.headers.remove(header::CONTENT_ENCODING);
            parts.headers.remove(header::CONTENT_LENGTH);
            inflated
        }
    };
    if let Some(signing) = &state.signing {
        let path = parts.uri.path();
        if !path.starts_with("/time/") && path != "/time" {
            let query = Query::parse(parts.uri.query()).map_err(ApiError::invalid_signature)?;
            let now = now_secs();
            let signed =
                signature::verify(signing, parts.method.as_str(), path, &query, &bytes, now)
                    .map_err(ApiError::invalid_signature)?;
            if is_write(&parts.method, path) {
                state
                    .replay
                    .check(signed.signature, signed.timestamp, now)
                    .map_err(ApiError::replayed)?;
            }
        }
    }
    Ok(next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await)
}

/// Whether a request changes something: every method but GET (and HEAD), and publishing
/// (which PubNub clients send as a GET). Reads are not checked for replays.
pub fn is_write(method: &Method, path: &str) -> bool {
    !(method == Method::GET || method == Method::HEAD) || path.starts_with("/publish/")
}

/// The `Content-Length` a request declares, if any and readable.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Decodes a compressed body, refusing anything that inflates past the limit.
fn inflate(encoding: &str, bytes: &Bytes, family: Family) -> Result<Bytes, ApiError> {
    let read = |reader: &mut dyn Read| -> Option<Vec<u8>> {
        let mut out = Vec::new();
        reader
            .take(MAX_BODY_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .ok()
            .map(|_| out)
    };
    let out = match encoding {
        "identity" | "" => Some(bytes.to_vec()),
        // HTTP "deflate" is zlib-wrapped; some clients send a raw deflate stream.
        "deflate" => read(&mut ZlibDecoder::new(&bytes[..]))
            .or_else(|| read(&mut DeflateDecoder::new(&bytes[..]))),
        "gzip" => read(&mut GzDecoder::new(&bytes[..])),
        other => {
            return Err(ApiError::new(
                family,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "Unsupported Content-Encoding '{}'",
                    other.chars().take(40).collect::<String>()
                ),
            ))
        }
    };
    let out = out.ok_or_else(|| {
        ApiError::new(
            family,
            StatusCode::BAD_REQUEST,
            format!("The body is not valid {encoding} data"),
        )
    })?;
    if out.len() > MAX_BODY_BYTES {
        return Err(ApiError::too_large(family));
    }
    Ok(Bytes::from(out))
}

/// Whether reading the body failed because it was over the limit.
fn is_length_limit(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.to_string().contains("length limit exceeded") {
            return true;
        }
        current = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads() {
        assert!(!is_write(&Method::GET, "/v2/objects/k/uuids/a"));
        assert!(!is_write(&Method::GET, "/v2/subscribe/k/c/0"));
        assert!(is_write(&Method::GET, "/publish/p/s/0/c/0/1"));
        assert!(is_write(&Method::POST, "/publish/p/s/0/c/0"));
        assert!(is_write(&Method::PATCH, "/v2/objects/k/uuids/a"));
        assert!(is_write(&Method::DELETE, "/v2/objects/k/uuids/a"));
    }
}
