//! `ChatError` → JS `Error` with a stable `code` (the only place errors cross to JS).

use ferrochat_core::ChatError;
use js_sys::{Error, Reflect};
use wasm_bindgen::JsValue;

/// Builds the JS `Error` for `err`: `message` as documented, `code` stable, and `status`
/// for HTTP failures.
pub fn to_js(err: &ChatError) -> JsValue {
    let e = Error::new(&err.to_string());
    let _ = Reflect::set(&e, &"code".into(), &err.code().into());
    if let ChatError::Http { status, .. } = err {
        let _ = Reflect::set(&e, &"status".into(), &JsValue::from(*status));
    }
    e.into()
}

/// Converts a `Result` for a `Result<_, JsValue>` boundary.
pub fn js_result<T>(r: Result<T, ChatError>) -> Result<T, JsValue> {
    r.map_err(|e| to_js(&e))
}
