//! ferrochat-server: a local server speaking the subset of the PubNub REST protocol that
//! ferrochat and the official PubNub clients use for chat users (protocol.md):
//! App Context user metadata, subscribe v2 long-poll with catch-up, publish, presence
//! leave/heartbeat and time, with optional v2 request signatures.
//!
//! Layout (one file per concern):
//! * [`cli`]: command line and settings; [`server`]: startup, routes, shutdown;
//! * [`listener`]: accepting connections, the connection cap, the open-file limit;
//! * [`conn`]: one connection's timeouts, JSON bodies for hyper's own errors;
//! * [`access`]: Host / Origin checks and CORS; [`replay`]: signed writes accepted once;
//! * [`middleware`]: logging, body limits / inflate / signature check;
//! * [`routes`]: the handlers, one file per API family;
//! * [`app`]: the domain (core `MemoryStore`, reads, write requests);
//! * [`writer`]: the writer thread (group commit); [`db`]: SQLite;
//! * [`hub`]: recent events, retention, long-polls waiting per channel;
//! * [`wire`]: JSON bodies into core types; [`query`]: PubNub percent-encoding;
//! * [`signature`]: v2 signatures; [`error`]: every error → response; [`respond`]: content types.
#![warn(missing_docs)]

pub mod access;
pub mod app;
pub mod cli;
pub mod conn;
pub mod db;
pub mod error;
pub mod hub;
pub mod listener;
pub mod middleware;
pub mod query;
pub mod replay;
pub mod respond;
pub mod routes;
pub mod server;
pub mod signature;
pub mod wire;
pub mod writer;

pub use server::run;

/// Logs to stderr (stdout carries only the "listening" line). `RUST_LOG` sets the filter;
/// the default is `info`.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
