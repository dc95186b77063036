//! Layers around every route: CORS (with OPTIONS preflight), request logging, and the
//! ingress step (body size limit, `Content-Encoding: deflate`, request signatures).

use crate::app::now_secs;
use crate::error::{ApiError, Family};
use crate::query::Query;
use crate::server::State;
use crate::signature;
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{self, Request};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use flate2::read::{DeflateDecoder, GzDecoder, ZlibDecoder};
use std::io::Read;

/// Largest request body accepted, in bytes (after decompression too).
pub const MAX_BODY_BYTES: usize = 32 * 1024;

/// Answers OPTIONS preflights with 204 and adds `Access-Control-Allow-Origin: *` to
/// every response.
pub async fn cors(req: Request, next: Next) -> Response {
    let mut response = if req.method() == Method::OPTIONS {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PATCH, DELETE, OPTIONS"),
        );
        let allow_headers = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned()
            .unwrap_or(HeaderValue::from_static(
                "Content-Type, If-Match, Content-Encoding, Accept, Accept-Encoding",
            ));
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers);
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("86400"),
        );
        r
    } else {
        next.run(req).await
    };
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("*"),
    );
    response
}

/// Logs each request (method, path, status, time) at debug level; errors at info.
pub async fn log(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path: String = req.uri().path().chars().take(200).collect();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    let status = response.status();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if status.is_client_error() || status.is_server_error() {
        tracing::info!(%method, %path, status = status.as_u16(), ms, "request");
    } else {
        tracing::debug!(%method, %path, status = status.as_u16(), ms, "request");
    }
    response
}

/// Reads the body (at most 32 KiB), inflates `deflate`/`gzip` bodies, and checks the
/// request signature when the server has a secret key (`/time` is never signed).
pub async fn ingress(
    extract::State(state): extract::State<State>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let family = Family::of(req.uri().path());
    let (mut parts, body) = req.into_parts();
    let bytes = to_bytes(body, MAX_BODY_BYTES).await.map_err(|e| {
        if is_length_limit(&e) {
            ApiError::too_large(family)
        } else {
            ApiError::new(
                family,
                StatusCode::BAD_REQUEST,
                "Could not read the request body",
            )
        }
    })?;
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
            signature::verify(
                signing,
                parts.method.as_str(),
                path,
                &query,
                &bytes,
                now_secs(),
            )
            .map_err(ApiError::invalid_signature)?;
        }
    }
    Ok(next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await)
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
