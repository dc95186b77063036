//! The binding-layer tests in Node: `wasm-pack test --node -- -p ferrochat --test wasm_node`.
#![cfg(target_arch = "wasm32")]
include!("glue/tests.rs");
