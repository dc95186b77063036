//! Subscribe v2 long-poll (protocol.md §5): handshake, catch-up from a cursor, hold.

use super::parse_channels;
use crate::error::{ApiError, Detail, Family};
use crate::hub::REGION;
use crate::query::{raw_segments, segment, Query};
use crate::respond;
use crate::server::State;
use axum::extract;
use axum::http::Uri;
use axum::response::Response;
use ferrochat_core::wire;
use std::fmt::Write;
use tokio::time::Instant;

const F: Family = Family::Subscribe;

/// `GET /v2/subscribe/{sub}/{channels}/{callback}`.
///
/// Without `tt` (or with `tt=0`) answers at once with a fresh cursor. Otherwise answers as
/// soon as there are events after `tt` on the channels (at most 100, oldest first, `t.t` =
/// the last one's timetoken), or after the hold time with no events and `t.t` = `tt`.
pub async fn subscribe(
    extract::State(state): extract::State<State>,
    uri: Uri,
    q: Query,
) -> Result<Response, ApiError> {
    let sub_key = segment(uri.path(), 2, "subscribe key")?;
    let raw = raw_segments(uri.path()).get(3).copied().unwrap_or("");
    let channels = parse_channels(F, raw)?;
    let groups = q.get("channel-group").unwrap_or("");
    if channels.is_empty() && groups.split(',').all(|g| g.trim().is_empty()) {
        return Err(ApiError::invalid(
            F,
            Detail::path("channels", "No valid channels specified"),
        ));
    }
    let cursor = match q.get("tt") {
        None | Some("") | Some("0") => None,
        Some(v) => Some(parse_timetoken(v)?),
    };
    let Some(after) = cursor else {
        let tt = state.app.handshake_token();
        return Ok(respond::javascript(format!(
            "{{\"t\":{{\"t\":\"{tt}\",\"r\":{REGION}}},\"m\":[]}}"
        )));
    };
    let deadline = Instant::now() + state.subscribe_timeout;
    let mut shutdown = state.shutdown.clone();
    let (events, _why) = state
        .app
        .hub()
        .wait(&channels, after, deadline, &mut shutdown)
        .await;
    let tt = events.last().map_or(after, |e| e.timetoken);
    let mut out = String::with_capacity(64 + events.len() * 256);
    let _ = write!(out, "{{\"t\":{{\"t\":\"{tt}\",\"r\":{REGION}}},\"m\":[");
    for (i, event) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        event.write_envelope(&mut out, &sub_key);
    }
    out.push_str("]}");
    Ok(respond::javascript(out))
}

/// A timetoken cursor (decimal digits that fit a `u64`), parsed by the core.
fn parse_timetoken(v: &str) -> Result<u64, ApiError> {
    wire::parse_timetoken(v).ok_or_else(|| bad_tt(v))
}

fn bad_tt(v: &str) -> ApiError {
    let shown: String = v.chars().take(40).collect();
    ApiError::invalid(
        F,
        Detail::query(
            "tt",
            format!("tt must be a timetoken (decimal digits), got '{shown}'"),
        ),
    )
}
