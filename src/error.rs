//! Errors crossing to JS: [`Fail`] (a `ChatError`, and the caller's thrown value when a
//! conversion caught one) becomes a JS `Error` with a stable `code`.

use ferrochat_core::ChatError;
use wasm_bindgen::prelude::*;

/// A failure on its way to JS.
#[derive(Debug)]
pub struct Fail {
    /// What went wrong.
    pub error: ChatError,
    /// What the caller's value threw, if that is why (kept as the `Error`'s `cause`).
    pub cause: Option<JsValue>,
}

impl From<ChatError> for Fail {
    fn from(error: ChatError) -> Self {
        Fail { error, cause: None }
    }
}

impl Fail {
    /// The stable code (`INVALID_ARGUMENT`, …).
    pub fn code(&self) -> String {
        self.error.code()
    }

    /// `INVALID_ARGUMENT` with `message`, caused by `cause` (what the caller's value threw).
    pub fn thrown(message: impl Into<String>, cause: JsValue) -> Self {
        Fail {
            error: ChatError::invalid(message),
            cause: Some(cause),
        }
    }
}

/// Result with [`Fail`].
pub type Result<T> = std::result::Result<T, Fail>;

#[wasm_bindgen(module = "/js/user.js")]
extern "C" {
    /// `new ChatError(message, code, status, cause)`.
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(message: &str, code: &str, status: Option<u16>, cause: &JsValue) -> JsValue;
    /// The same, without a stack: the method's JS wrapper captures the caller's.
    #[wasm_bindgen(js_name = makeRejection)]
    fn make_rejection(message: &str, code: &str, status: Option<u16>, cause: &JsValue) -> JsValue;
}

/// The JS error for `fail`: a `ChatError` (js/user.js) with its `message` as documented,
/// its stable `code`, `status` for HTTP failures, and `cause` when the caller's value threw.
pub fn to_js(fail: &Fail) -> JsValue {
    build(fail, make_error)
}

/// [`to_js`] for an error a Promise rejects with (every such method is wrapped in JS,
/// js/user.js `wrapAsync`, which gives it the awaiting caller's stack).
pub fn rejection(fail: &Fail) -> JsValue {
    build(fail, make_rejection)
}

fn build(fail: &Fail, make: fn(&str, &str, Option<u16>, &JsValue) -> JsValue) -> JsValue {
    let err = &fail.error;
    let status = match err {
        ChatError::Http { status, .. } => Some(*status),
        _ => None,
    };
    let cause = fail.cause.clone().unwrap_or(JsValue::UNDEFINED);
    make(&err.to_string(), &err.code(), status, &cause)
}

/// `to_js` for a bare `ChatError`.
pub fn chat_error(err: ChatError) -> JsValue {
    to_js(&err.into())
}
