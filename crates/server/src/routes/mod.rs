//! HTTP handlers, one file per API family. Each handler extracts, calls the domain
//! ([`crate::app::App`]) and writes the protocol's envelope; failures are [`ApiError`]s.

pub mod fallback;
pub mod objects;
pub mod presence;
pub mod publish;
pub mod subscribe;
pub mod time;

use crate::app::WriteError;
use crate::error::{ApiError, Detail, Family};

/// Runs a blocking domain call (a list query, a handshake) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    family: Family,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "a blocking task failed");
        ApiError::internal(family)
    })
}

/// Maps a failed write: core refusals to 4xx, storage failures to 500.
pub(crate) fn write_error(family: Family, err: WriteError, location: Detail) -> ApiError {
    match err {
        WriteError::Rejected(e) => ApiError::from_chat(family, e, location),
        WriteError::Storage(e) => {
            tracing::error!(error = %e, "database write failed; the change was undone");
            ApiError::internal(family)
        }
        WriteError::Stopped => ApiError::new(
            family,
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "The server is shutting down",
        ),
    }
}

/// Splits a raw (percent-encoded) channel list on `,` and decodes each name; empty names
/// (a lone `,` means "groups only") are skipped, duplicates removed.
pub(crate) fn parse_channels(family: Family, raw: &str) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split(',').filter(|p| !p.is_empty()) {
        let name = crate::query::decode(part).ok_or_else(|| {
            ApiError::invalid(
                family,
                Detail::path(
                    "channels",
                    "a channel name is not valid percent-encoded UTF-8",
                ),
            )
        })?;
        check_channel(family, &name)?;
        out.push(name);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Longest channel name accepted, in characters.
pub const MAX_CHANNEL_CHARS: usize = 256;

/// A channel name: non-empty, no `,`, no control characters, at most 256 characters.
pub(crate) fn check_channel(family: Family, name: &str) -> Result<(), ApiError> {
    let bad = |msg: String| ApiError::invalid(family, Detail::path("channel", msg));
    if name.is_empty() {
        return Err(bad("channel name must not be empty".into()));
    }
    if name.chars().count() > MAX_CHANNEL_CHARS {
        return Err(bad(format!(
            "channel name must be at most {MAX_CHANNEL_CHARS} characters"
        )));
    }
    if name.chars().any(|c| c == ',' || c.is_control()) {
        return Err(bad(
            "channel name must not contain ',' or control characters".into(),
        ));
    }
    Ok(())
}
