//! ferrochat-client: the SDK's logic, sans-IO.
//!
//! A [`Client`] is one `Chat`. It performs no I/O and reads no clock: the driver (the wasm
//! skin in the SDK, a simulated server and a virtual clock in the tests) gives it API
//! commands, replies and the time, and takes from it what to do:
//!
//! * [`Client::poll_transmit`]: requests to send ([`Request`]), [`Client::poll_abort`]:
//!   requests to abort;
//! * [`Client::poll_output`]: Promises to settle and callbacks to make ([`Output`]), one at
//!   a time, from a clean stack;
//! * [`Client::poll_timeout`]: when to call [`Client::handle_timeout`] next.
//!
//! Inside: the subscribe engine ([`subscribe`]: shards, cursors, catch-up, leave,
//! reconnect backoff), the request policy ([`request`]: retries, `Retry-After`, timeouts,
//! the v2 string to sign), conditional writes and the other operations (`ops`),
//! listeners and their reference-counted channels ([`subscriptions`]), bulk deletes
//! ([`bulk`]), the embedded store shared by a realm's clients ([`embedded`]) and the Chat
//! session rules ([`client`]). Rules about users themselves (validation, patches, the
//! filter language, the wire codec) come from ferrochat-core.
#![warn(missing_docs)]

pub mod batch;
pub mod bulk;
pub mod client;
pub mod config;
pub mod embedded;
pub mod keyed;
mod ops;
pub mod request;
mod rng;
pub mod subscribe;
pub mod subscriptions;

/// The hash maps and sets of the client: FxHash (smaller and faster in wasm than SipHash;
/// the keys are the app's own user ids and channels, no attacker's).
pub(crate) type Map<K, V> = std::collections::HashMap<K, V, rustc_hash::FxBuildHasher>;
/// See [`Map`].
pub(crate) type Set<K> = std::collections::HashSet<K, rustc_hash::FxBuildHasher>;

pub use batch::UserBatch;
pub use bulk::{BulkOptions, BulkReport, BulkTarget};
pub use client::{Client, Now, Outcome, Output, Progress, Status, Wakeup};
pub use config::{Config, NetConfig, RawConfig};
pub use embedded::{Hub, SharedHub};
pub use ops::{conflict_backoff, CONFLICT_DEADLINE_MS};
pub use request::{Method, Reply, Request, RequestId, Response};
pub use subscriptions::{Kind, ListenerId, Payload, Snapshot};
