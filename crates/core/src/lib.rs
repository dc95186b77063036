//! ferrochat-core: the pure-Rust heart of ferrochat.
//!
//! Everything that must behave identically in the embedded backend (inside wasm) and in
//! ferrochat-server lives here, with no wasm dependency, so the two cannot drift:
//!
//! * [`model`]: the user record, custom data and the wire field names;
//! * [`validate`]: id and field rules, with the documented error messages;
//! * [`patch`]: patch semantics (absent = keep, `null` = clear, `custom` replaced whole)
//!   and the changesets carried by events;
//! * [`filter`]: the App Context filter language (parser and evaluator);
//! * [`sort`], [`page`]: ordering and opaque offset cursors for listing;
//! * [`time`]: 17-digit timetokens and RFC 3339 `updated` stamps;
//! * [`event`]: App Context events (`set` with a changeset, `delete`);
//! * [`store`]: the in-memory user store both backends build on;
//! * [`json`]: a small JSON writer and reader for the wire shapes (no serde needed);
//! * [`decode`]: server replies (users, pages, subscribe events) into the model;
//! * [`wire`]: percent-encoding, paths, query strings and the v2 string-to-sign.
#![warn(missing_docs)]

pub mod decode;
pub mod error;
pub mod event;
pub mod filter;
pub mod json;
pub mod model;
pub mod page;
pub mod patch;
pub mod sort;
pub mod store;
pub mod time;
pub mod validate;
pub mod wire;

pub use error::{ChatError, Result};
pub use event::{Event, EventKind};
pub use filter::Filter;
pub use model::DELETED_STATUS;
pub use model::{Custom, Scalar, ScalarRef, StrField, User, UserRef};
pub use page::{ListPage, ListQuery};
pub use patch::{Changeset, Patch, UserPatch};
pub use sort::SortKey;
pub use store::{MemoryStore, SetMode};

/// A deterministic xorshift64 source for the unit tests' random inputs: `next(m)` is a
/// number below `m`.
#[cfg(test)]
pub(crate) fn test_rng(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |m| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m.max(1)
    }
}
