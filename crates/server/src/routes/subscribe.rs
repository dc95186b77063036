//! Subscribe v2 long-poll (protocol.md §5): handshake, catch-up from a cursor, hold.

use super::{blocking, parse_channels};
use crate::error::{ApiError, Detail, Family};
use crate::hub::{PollSlot, REGION};
use crate::query::{raw_segments, segment, Query};
use crate::respond;
use crate::server::State;
use axum::extract::{self, Extension};
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
    slot: Option<Extension<PollSlot>>,
    uri: Uri,
    q: Query,
) -> Result<Response, ApiError> {
    let sub_key = segment(uri.path(), 2, "subscribe key")?;
    let raw = raw_segments(uri.path()).get(3).copied().unwrap_or("");
    // The connection's previous poll on the same channels left its registration.
    let kept = slot.as_ref().and_then(|s| s.take(raw));
    let channels = match kept {
        Some(_) => Vec::new(),
        None => parse_channels(F, raw)?,
    };
    let groups = q.get("channel-group").unwrap_or("");
    if kept.is_none() && channels.is_empty() && groups.split(',').all(|g| g.trim().is_empty()) {
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
    let hub = state.app.hub();
    let mut sub = match kept {
        Some(sub) => sub,
        None => hub.subscribe(raw.to_string(), channels),
    };
    let batch = hub.wait(&mut sub, after, deadline, &mut shutdown).await;
    if let Some(Extension(slot)) = &slot {
        slot.keep(sub);
    }
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
