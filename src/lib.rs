//! ferrochat: a chat-user SDK whose core is Rust compiled to WebAssembly.
//!
//! This crate is the skin over `ferrochat-client` (which holds every decision): the JS
//! class [`Chat`] ([`chat`]), the Rust side of the JS class `User` (`js/user.js`; the
//! `user` module), the conversions between JS values and Rust ([`convert`], the only code
//! that touches a caller's value), error mapping ([`error`]) and the I/O driver
//! ([`driver`]: requests, timers, callbacks from a clean stack). The hand-written
//! TypeScript types are `js/types.d.ts` (scripts/build.mjs joins them to the generated ones).
#![warn(missing_docs)]

mod chat;
pub mod convert;
pub mod driver;
pub mod error;
mod user;

pub use chat::Chat;

/// Talc instead of std's dlmalloc: smaller wasm, and as fast (bench/README.md).
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
