//! Publish v1, GET and POST (protocol.md §6): the message reaches subscribers of the
//! channel as an envelope without `e`, with `i` = the publisher's uuid.

use super::{check_channel, write_error};
use crate::app::Message;
use crate::error::{ApiError, Detail, Family};
use crate::query::{raw_segments, segment, Query};
use crate::respond;
use crate::server::State;
use axum::body::Bytes;
use axum::extract;
use axum::http::Uri;
use axum::response::Response;
use serde::de::IgnoredAny;

const F: Family = Family::Publish;
/// Largest message, in bytes (as the service: 32 KiB).
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;
/// Index of the channel in `/publish/{pub}/{sub}/{sig}/{channel}/{cb}[/{message}]`.
const CHANNEL_SEGMENT: usize = 4;
/// Index of the message in the GET form.
const MESSAGE_SEGMENT: usize = 6;

/// `GET /publish/{pub}/{sub}/0/{channel}/0/{message}`.
pub async fn publish_get(
    state: extract::State<State>,
    uri: Uri,
    q: Query,
) -> Result<Response, ApiError> {
    if raw_segments(uri.path()).len() > MESSAGE_SEGMENT + 1 {
        return Err(bad(
            "message",
            "the message must be one path segment (encode '/' as %2F)".into(),
        ));
    }
    let message = segment(uri.path(), MESSAGE_SEGMENT, "message")?;
    publish(state, &uri, &q, message.into_bytes()).await
}

/// `POST /publish/{pub}/{sub}/0/{channel}/0` with the message as the (possibly
/// deflate-compressed, already decoded by the ingress layer) body.
pub async fn publish_post(
    state: extract::State<State>,
    uri: Uri,
    q: Query,
    body: Bytes,
) -> Result<Response, ApiError> {
    publish(state, &uri, &q, body.to_vec()).await
}

async fn publish(
    extract::State(state): extract::State<State>,
    uri: &Uri,
    q: &Query,
    message: Vec<u8>,
) -> Result<Response, ApiError> {
    let channel = segment(uri.path(), CHANNEL_SEGMENT, "channel")?;
    check_channel(F, &channel)?;
    if message.len() > MAX_MESSAGE_BYTES {
        return Err(ApiError::too_large(F));
    }
    let payload = String::from_utf8(message)
        .map_err(|_| bad("message", "the message is not UTF-8".into()))?;
    if serde_json::from_str::<IgnoredAny>(&payload).is_err() {
        return Err(bad("message", "Invalid JSON".into()));
    }
    let meta = match q.get("meta").filter(|m| !m.is_empty()) {
        Some(m) => match serde_json::from_str::<serde_json::Value>(m) {
            Ok(v) if v.is_object() => Some(m.trim().to_string()),
            _ => return Err(bad("meta", "meta must be a JSON object".into())),
        },
        None => None,
    };
    let message_type = match q.get("custom_message_type") {
        Some(t) => Some(check_message_type(t)?),
        None => None,
    };
    let message = Message {
        channel,
        payload: payload.trim().to_string(),
        publisher: q.get("uuid").filter(|u| !u.is_empty()).map(str::to_string),
        meta,
        message_type,
    };
    let tt = state
        .app
        .publish(message)
        .await
        .map_err(|e| write_error(F, e, Detail::path("message", "")))?;
    Ok(respond::javascript(format!("[1,\"Sent\",\"{tt}\"]")))
}

/// `custom_message_type`: 3–50 of `A-Z a-z 0-9 _ -`, not starting with `pn_` / `pn-`.
fn check_message_type(t: &str) -> Result<String, ApiError> {
    let ok = (3..=50).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !t.starts_with("pn_")
        && !t.starts_with("pn-");
    if ok {
        Ok(t.to_string())
    } else {
        Err(bad(
            "custom_message_type",
            "custom_message_type must be 3-50 characters of A-Z a-z 0-9 _ - and not start with pn_ or pn-".into(),
        ))
    }
}

fn bad(location: &str, message: String) -> ApiError {
    ApiError::invalid(F, Detail::query(location, message))
}
