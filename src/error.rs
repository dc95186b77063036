//! Errors crossing to JS: [`Fail`] (a `ChatError`, and the caller's thrown value when a
//! conversion caught one) becomes a JS `Error` with a stable `code`.

use ferrochat_core::ChatError;
use js_sys::{Error, Reflect};
use wasm_bindgen::JsValue;

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

/// The JS `Error` for `err`: `message` as documented, `code` stable, `status` for HTTP
/// failures, `cause` when the caller's value threw.
pub fn to_js(fail: &Fail) -> JsValue {
    let err = &fail.error;
    let e = Error::new(&err.to_string());
    let _ = Reflect::set(&e, &"code".into(), &err.code().into());
    if let ChatError::Http { status, .. } = err {
        let _ = Reflect::set(&e, &"status".into(), &JsValue::from(*status));
    }
    if let Some(cause) = &fail.cause {
        let _ = Reflect::set(&e, &"cause".into(), cause);
    }
    e.into()
}

/// `to_js` for a bare `ChatError`.
pub fn chat_error(err: ChatError) -> JsValue {
    to_js(&err.into())
}
