//! Successful responses: body + the content type each API family uses on the real service.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Content type of App Context responses.
pub const JSON: &str = "application/json";
/// Content type of subscribe, publish, presence and time responses.
pub const JAVASCRIPT: &str = "text/javascript; charset=\"UTF-8\"";

/// A 200 `application/json` response (App Context).
pub fn json(body: String) -> Response {
    with_type(body, JSON)
}

/// A 200 `text/javascript` response (subscribe, publish, presence, time), not cacheable.
pub fn javascript(body: String) -> Response {
    let mut response = with_type(body, JAVASCRIPT);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn with_type(body: String, content_type: &'static str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
