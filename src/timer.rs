//! Timers over the JS globals `setTimeout` / `setInterval` (Node and browsers alike).

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(f: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(id: &JsValue);
    #[wasm_bindgen(js_name = setInterval)]
    pub fn set_interval(f: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearInterval)]
    pub fn clear_interval(id: &JsValue);
    /// `performance.now()`: a monotonic clock with sub-millisecond resolution.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    pub fn now() -> f64;
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: f64) {
    let p = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    let _ = JsFuture::from(p).await;
}
