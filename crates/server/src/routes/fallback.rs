//! Unknown routes and methods: JSON errors (never an empty body).

use crate::error::{ApiError, Family};
use axum::http::{Method, StatusCode, Uri};

/// Any path no route matches: 404 in the family's error shape, logged so missing
/// endpoints show up in the server log.
pub async fn not_found(method: Method, uri: Uri) -> ApiError {
    tracing::warn!(%method, path = %uri.path(), "404: no such endpoint");
    ApiError::new(
        Family::of(uri.path()),
        StatusCode::NOT_FOUND,
        format!(
            "No endpoint for {method} {}",
            uri.path().chars().take(200).collect::<String>()
        ),
    )
}

/// A known path with an unsupported method: 405.
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    tracing::warn!(%method, path = %uri.path(), "405: method not allowed");
    ApiError::new(
        Family::of(uri.path()),
        StatusCode::METHOD_NOT_ALLOWED,
        format!("Method {method} is not allowed here"),
    )
}
