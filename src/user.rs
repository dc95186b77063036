//! The JS class `User`: an immutable snapshot of a user plus the Chat it came from.

use crate::chat::ChatInner;
use crate::convert;
use crate::error::to_js;
use crate::subscriptions::Listener;
use ferrochat_core::model::StrField;
use ferrochat_core::{ChatError, SetMode};
use js_sys::{Array, Promise};
use std::rc::Rc;
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;

/// A chat user. Objects are immutable snapshots: `update` and events give new ones.
#[wasm_bindgen]
pub struct User {
    data: ferrochat_core::User,
    chat: Rc<ChatInner>,
}

impl User {
    pub(crate) fn new(data: ferrochat_core::User, chat: Rc<ChatInner>) -> User {
        turn::created();
        User { data, chat }
    }

    fn field(&self, f: StrField) -> Option<String> {
        self.data.get(f).map(str::to_string)
    }

    fn listen(&self, listener: Listener, callback: &JsValue) -> Result<JsValue, JsValue> {
        let cb = convert::function(callback, "callback").map_err(|e| to_js(&e))?;
        self.chat
            .listen(listener, cb, vec![self.data.id.clone()])
            .map_err(|e| to_js(&e))
    }
}

#[wasm_bindgen]
impl User {
    /// Not callable: users come from `Chat` methods (`getUser`, `createUser`, ...).
    #[wasm_bindgen(constructor)]
    pub fn construct() -> Result<User, JsValue> {
        Err(to_js(&ChatError::invalid(
            "User cannot be constructed with new: get users from Chat methods such as chat.getUser(id)",
        )))
    }

    /// Unique user identifier.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.data.id.clone()
    }

    /// Display name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> Option<String> {
        self.field(StrField::Name)
    }

    /// Identifier in an external system.
    #[wasm_bindgen(getter, js_name = externalId)]
    pub fn external_id(&self) -> Option<String> {
        self.field(StrField::ExternalId)
    }

    /// URL of the profile picture.
    #[wasm_bindgen(getter, js_name = profileUrl)]
    pub fn profile_url(&self) -> Option<String> {
        self.field(StrField::ProfileUrl)
    }

    /// Email address.
    #[wasm_bindgen(getter)]
    pub fn email(&self) -> Option<String> {
        self.field(StrField::Email)
    }

    /// Custom data (a frozen copy).
    #[wasm_bindgen(getter, unchecked_return_type = "ObjectCustom | undefined")]
    pub fn custom(&self) -> JsValue {
        self.data
            .custom
            .as_ref()
            .map_or(JsValue::UNDEFINED, convert::custom_to_js)
    }

    /// State tag, e.g. `"active"`, or `"deleted"` after a soft delete.
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> Option<String> {
        self.field(StrField::Status)
    }

    /// Role tag, e.g. `"moderator"`.
    #[wasm_bindgen(getter, js_name = "type")]
    pub fn kind(&self) -> Option<String> {
        self.field(StrField::Type)
    }

    /// When the user was last changed (RFC 3339).
    #[wasm_bindgen(getter)]
    pub fn updated(&self) -> Option<String> {
        Some(self.data.updated.clone()).filter(|s| !s.is_empty())
    }

    /// Last activity time (ms since the epoch), stored in `custom.lastActiveTimestamp`
    /// when the Chat runs with `storeUserActivityTimestamps`.
    #[wasm_bindgen(getter, js_name = lastActiveTimestamp)]
    pub fn last_active_timestamp(&self) -> Option<f64> {
        convert::last_active(&self.data)
    }

    /// Whether the user was active within the Chat's `storeUserActivityInterval`.
    #[wasm_bindgen(getter)]
    pub fn active(&self) -> bool {
        convert::last_active(&self.data)
            .is_some_and(|t| js_sys::Date::now() - t <= self.chat.config.activity_interval_ms)
    }

    /// Updates this user (see `Chat.updateUser`); resolves a new `User`.
    #[wasm_bindgen(unchecked_return_type = "Promise<User>")]
    pub fn update(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UserData")] data: JsValue,
    ) -> Promise {
        let (chat, id) = (self.chat.clone(), self.data.id.clone());
        crate::chat::promise(async move {
            let patch = convert::patch(&data)?;
            let user = chat.set(id, patch, SetMode::Update).await?;
            Ok(chat.wrap(user))
        })
    }

    /// Hard delete (resolves `true`) or soft delete with `{ soft: true }` (resolves the
    /// updated `User`).
    #[wasm_bindgen(unchecked_return_type = "Promise<true | User>")]
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "DeleteOptions")] options: JsValue,
    ) -> Promise {
        let (chat, id) = (self.chat.clone(), self.data.id.clone());
        crate::chat::promise(async move {
            let soft = convert::delete_options(&options)?;
            chat.delete(id, soft).await
        })
    }

    /// Clears the `"deleted"` status (ferrochat addition); resolves the restored `User`.
    #[wasm_bindgen(unchecked_return_type = "Promise<User>")]
    pub fn restore(&self) -> Promise {
        let (chat, id) = (self.chat.clone(), self.data.id.clone());
        crate::chat::promise(async move { chat.restore(id).await })
    }

    /// Calls `callback` with the user's latest state on every change, from any client.
    /// Returns a function that stops the stream (calling it twice is harmless).
    #[wasm_bindgen(js_name = streamUpdates, unchecked_return_type = "() => void")]
    pub fn stream_updates(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(user: User) => unknown")] callback: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.listen(Listener::One(self.data.clone()), &callback)
    }

    /// Calls `callback` with the updated user on every change until the user is
    /// hard-deleted (ferrochat addition). Returns an unsubscribe function.
    #[wasm_bindgen(js_name = onUpdated, unchecked_return_type = "() => void")]
    pub fn on_updated(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(user: User) => unknown")] callback: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.listen(Listener::Updated(self.data.clone()), &callback)
    }

    /// Calls `callback` with `{ id, soft }` when the user is soft- or hard-deleted
    /// (ferrochat addition). Returns an unsubscribe function.
    #[wasm_bindgen(js_name = onDeleted, unchecked_return_type = "() => void")]
    pub fn on_deleted(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(info: { id: string; soft: boolean }) => unknown")]
        callback: JsValue,
    ) -> Result<JsValue, JsValue> {
        self.listen(Listener::Deleted(self.data.id.clone()), &callback)
    }

    /// Streams updates of several users: `callback` gets the whole list, in input order,
    /// with the changed entry replaced; a hard-deleted user leaves the list. Throws
    /// `Cannot stream user updates on an empty list` for `[]`.
    #[wasm_bindgen(js_name = streamUpdatesOn, unchecked_return_type = "() => void")]
    pub fn stream_updates_on(
        #[wasm_bindgen(unchecked_param_type = "User[]")] users: JsValue,
        #[wasm_bindgen(unchecked_param_type = "(users: User[]) => unknown")] callback: JsValue,
    ) -> Result<JsValue, JsValue> {
        let fail = |e: ChatError| to_js(&e);
        if !Array::is_array(&users) {
            return Err(fail(ChatError::invalid(
                "users must be an array of User objects",
            )));
        }
        let users: Array = users.unchecked_into();
        if users.length() == 0 {
            return Err(fail(ChatError::EmptyUserList));
        }
        let cb = convert::function(&callback, "callback").map_err(fail)?;
        let mut list = Vec::with_capacity(users.length() as usize);
        let mut chat: Option<Rc<ChatInner>> = None;
        for (i, item) in users.iter().enumerate() {
            let user = snapshot(&item)
                .ok_or_else(|| fail(ChatError::invalid(format!("users[{i}] is not a User"))))?;
            chat.get_or_insert_with(|| user.chat.clone());
            list.push(user.data);
        }
        let chat = chat.ok_or_else(|| fail(ChatError::EmptyUserList))?;
        // Duplicates are fine: channel subscriptions are reference-counted.
        let channels: Vec<String> = list.iter().map(|u| u.id.clone()).collect();
        let state = crate::subscriptions::ListState {
            users: list,
            js: users.slice(0, users.length()),
            refreshed: Vec::new(),
        };
        chat.listen(Listener::List(Box::new(state)), cb, channels)
            .map_err(fail)
    }

    /// A plain object with the user's fields (used by `JSON.stringify`).
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "UserJSON")]
    pub fn to_json(&self) -> JsValue {
        convert::user_to_plain(&self.data)
    }

    /// A copy of this object, for reading a `User` out of a JS array without consuming
    /// the caller's object.
    #[wasm_bindgen(js_name = __copy, skip_typescript)]
    pub fn copy(&self) -> User {
        User::new(self.data.clone(), self.chat.clone())
    }
}

/// Keeps dropped `User`s collectable in loops that never leave the microtask queue.
///
/// A `User` owns its data in wasm memory, freed by the `FinalizationRegistry` of the
/// generated class. Finalizers only run between tasks, so a loop such as
/// `for (...) await chat.getUsers(...)` on the embedded backend (every Promise settles in a
/// microtask) kept every page alive: the wasm memory grew without bound and V8 spent the
/// time in full GCs (300 µs per call growing to 11 ms over 4,000 calls). When more than
/// [`turn::LIMIT`] users were made since the event loop last turned, the next Promise the
/// SDK settles waits for one `setTimeout(0)` first, so their finalizers can run.
pub(crate) mod turn {
    use crate::timer::set_timeout;
    use std::cell::{Cell, OnceCell};
    use wasm_bindgen::prelude::*;

    /// Users made within one turn of the event loop before the SDK yields to it.
    pub const LIMIT: u32 = 10_000;

    thread_local! {
        /// Users made since the event loop last ran a task (`None`: no turn is awaited).
        static MADE: Cell<Option<u32>> = const { Cell::new(None) };
        /// Resets [`MADE`]: runs in a task, so once it ran the loop has turned.
        static RESET: OnceCell<Closure<dyn FnMut()>> = const { OnceCell::new() };
    }

    /// Counts a new `User`; the first one after a turn arms a `setTimeout(0)` that notes
    /// the next turn.
    pub fn created() {
        let made = MADE.get();
        if made.is_none() {
            RESET.with(|r| {
                let f = r.get_or_init(|| Closure::new(|| MADE.set(None)));
                set_timeout(f.as_ref().unchecked_ref(), 0.0);
            });
        }
        MADE.set(Some(made.unwrap_or(0).saturating_add(1)));
    }

    /// Whether so many users were made without a turn of the event loop that the caller
    /// should wait for one.
    pub fn due() -> bool {
        MADE.get().is_some_and(|n| n >= LIMIT)
    }
}

/// Reads a `User` from a JS value by asking it for a copy and taking that copy.
fn snapshot(item: &JsValue) -> Option<User> {
    let copy = js_sys::Reflect::get(item, &"__copy".into()).ok()?;
    let copy: &js_sys::Function = copy.dyn_ref()?;
    let fresh = copy.call0(item).ok()?;
    User::try_from_js_value(fresh).ok()
}
