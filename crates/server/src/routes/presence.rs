//! Presence: leave and heartbeat (protocol.md §5.5). ferrochat-server keeps no presence
//! state; both validate the request and acknowledge it.

use super::parse_channels;
use crate::error::{ApiError, Family};
use crate::query::{raw_segments, segment, Query};
use crate::respond;
use axum::http::Uri;
use axum::response::Response;

const F: Family = Family::Presence;

/// `GET /v2/presence/sub-key/{sub}/channel/{channels}/leave`.
pub async fn leave(uri: Uri, _q: Query) -> Result<Response, ApiError> {
    check(&uri)?;
    Ok(respond::javascript(
        r#"{"status":200,"message":"OK","action":"leave","service":"Presence"}"#.into(),
    ))
}

/// `GET /v2/presence/sub-key/{sub}/channel/{channels}/heartbeat`.
pub async fn heartbeat(uri: Uri, _q: Query) -> Result<Response, ApiError> {
    check(&uri)?;
    Ok(respond::javascript(
        r#"{"status":200,"message":"OK","service":"Presence"}"#.into(),
    ))
}

fn check(uri: &Uri) -> Result<(), ApiError> {
    segment(uri.path(), 3, "subscribe key")?;
    let raw = raw_segments(uri.path()).get(5).copied().unwrap_or("");
    parse_channels(F, raw)?;
    Ok(())
}
