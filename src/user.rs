//! The JS class `User` lives in `js/user.js` (plain frozen fields: a field read is a
//! property read, a dropped `User` is ordinary garbage). This module is its Rust side:
//! building `User`s from core users, and the hooks its methods call on the `Chat`.

use crate::chat::ChatInner;
use crate::convert;
use crate::subscriptions::{ListState, Listener};
use ferrochat_core::{ChatError, Result};
use js_sys::{Array, Function};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/user.js")]
extern "C" {
    /// Builds `User`s from one batch (see [`convert::UserBatch`]).
    #[wasm_bindgen(js_name = makeUsers)]
    fn make_users(chat: &JsValue, interval: f64, text: &str, nums: &[f64]) -> Array;
}

/// JS `User`s of `chat` for the users encoded in `batch`, in order.
pub(crate) fn from_batch(chat: &Rc<ChatInner>, batch: &convert::UserBatch) -> Array {
    make_users(
        &chat.handle(),
        chat.config.activity_interval_ms,
        &batch.text,
        &batch.nums,
    )
}

/// `user.streamUpdates` (`kind` 0), `onUpdated` (1) or `onDeleted` (2) once `js/user.js`
/// has encoded the user as `record` (`{"data":{…}}`).
pub(crate) fn listen(
    chat: &Rc<ChatInner>,
    kind: u32,
    record: &str,
    callback: &JsValue,
) -> Result<JsValue> {
    let cb = convert::function(callback, "callback")?;
    let user = convert::user_record(record)?;
    let id = user.id.clone();
    let listener = match kind {
        0 => Listener::One(user),
        1 => Listener::Updated(user),
        2 => Listener::Deleted(id.clone()),
        _ => return Err(ChatError::invalid("unknown listener kind")),
    };
    chat.listen(listener, cb, vec![id])
}

/// `User.streamUpdatesOn(users, callback)` once `js/user.js` has checked its arguments:
/// `records` is the users as a `{"data":[…]}` reply, in the order of `users`.
pub(crate) fn stream_on(
    chat: &Rc<ChatInner>,
    users: &JsValue,
    records: &str,
    callback: &JsValue,
) -> Result<JsValue> {
    let users: &Array = users.dyn_ref().ok_or_else(convert::not_users)?;
    let cb: Function = convert::function(callback, "callback")?;
    let list = convert::user_records(records)?;
    if list.is_empty() {
        return Err(ChatError::EmptyUserList);
    }
    if list.len() != users.length() as usize {
        return Err(convert::not_users());
    }
    // Duplicates are fine: channel subscriptions are reference-counted.
    let channels: Vec<String> = list.iter().map(|u| u.id.clone()).collect();
    let state = ListState {
        users: list,
        js: users.slice(0, users.length()),
        refreshed: Vec::new(),
    };
    chat.listen(Listener::List(Box::new(state)), cb, channels)
}
