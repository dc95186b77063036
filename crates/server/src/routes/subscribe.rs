//! Subscribe v2 long-poll (protocol.md §5): handshake, catch-up from a cursor, hold.

use super::{blocking, parse_channels};
use crate::error::{ApiError, Detail, Family};
use crate::hub::REGION;
use crate::query::{raw_segments, segment, Query};
use crate::respond;
use crate::server::State;
use axum::extract;
use axum::http::Uri;
use axum::response::Response;
use ferrochat_core::json::write_str;
use ferrochat_core::wire;
use std::fmt::Write;
use tokio::time::Instant;

const F: Family = Family::Subscribe;

/// `GET /v2/subscribe/{sub}/{channels}/{callback}`.
///
/// Without `tt` (or with `tt=0`) answers at once with a fresh cursor. Otherwise answers as
/// soon as there are events after `tt` on the channels (at most 100, oldest first, `t.t` =
/// the last one's timetoken), or after the hold time with no events and `t.t` = `tt`.
///
/// When events after `tt` on a requested channel are no longer kept (dropped by a
/// retention cap or by age), the reply comes at once and carries `"truncated":true` next
/// to `t` and `m` (official clients ignore the key; ferrochat re-reads what it streams).
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
        let shared = state.clone();
        let tt = blocking(F, move || shared.app.handshake_token()).await?;
        return Ok(respond::javascript(format!(
            "{{\"t\":{{\"t\":\"{tt}\",\"r\":{REGION}}},\"m\":[]}}"
        )));
    };
    let deadline = Instant::now() + state.subscribe_timeout;
    let mut shutdown = state.shutdown.clone();
    let batch = state
        .app
        .hub()
        .wait(&channels, after, deadline, &mut shutdown)
        .await;
    let mut key = String::with_capacity(sub_key.len() + 2);
    let _ = write_str(&mut key, &sub_key);
    let size: usize = batch.events.iter().map(|e| e.size() + key.len()).sum();
    let mut out = String::with_capacity(64 + size);
    let _ = write!(
        out,
        "{{\"t\":{{\"t\":\"{}\",\"r\":{REGION}}},\"m\":[",
        batch.next
    );
    for (i, event) in batch.events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        event.write_envelope(&mut out, &key);
    }
    out.push(']');
    if batch.truncated {
        out.push_str(",\"truncated\":true");
    }
    out.push('}');
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
