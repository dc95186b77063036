//! The JS class `Chat`: each method converts its arguments, starts the command on the
//! client, and returns what the driver settles. No decision is made here.

use crate::convert;
use crate::driver::{Callback, Driver, Handle, Settle};
use crate::error::{chat_error, rejection, to_js};
use ferrochat_client::{Client, Config, Now};
use ferrochat_core::ChatError;
use js_sys::{Array, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A chat client: the entry point of ferrochat. Create one with `Chat.init`.
#[wasm_bindgen]
pub struct Chat {
    driver: Rc<Driver>,
}

type JsResult<T> = std::result::Result<T, JsValue>;

/// An unsubscribe function: calls `stop` once, however often it is called.
fn unsubscribe(stop: impl FnOnce() + 'static) -> JsValue {
    let mut slot = Some(stop);
    Closure::<dyn FnMut()>::new(move || {
        if let Some(stop) = slot.take() {
            stop();
        }
    })
    .into_js_value()
}

impl Chat {
    /// Adds a listener with `start`; returns the JS function that removes it with `stop`
    /// (once, however often it is called).
    fn listener<I: Copy + 'static>(
        &self,
        start: impl FnOnce(&mut Client<Handle, Settle>, Now) -> ferrochat_core::Result<I>,
        stop: fn(&mut Client<Handle, Settle>, I, Now),
    ) -> JsResult<JsValue> {
        let id = self
            .driver
            .command(start)
            .unwrap_or(Err(ChatError::Destroyed))
            .map_err(chat_error)?;
        let driver = self.driver.clone();
        Ok(unsubscribe(move || {
            driver.command(|c, now| stop(c, id, now));
        }))
    }

    /// The JS object for a driver.
    pub(crate) fn wrap(driver: Rc<Driver>) -> Chat {
        Chat { driver }
    }

    /// `updateUser` and `user.update` (with the eTag of the caller's copy).
    fn update(&self, id: JsValue, etag: JsValue, data: JsValue) -> Promise {
        let args = convert::id(&id).and_then(|id| Ok((id, convert::patch(&data)?)));
        let etag = etag.as_string().filter(|e| !e.is_empty());
        self.driver.promise(args, |c, (id, p), t, now| {
            c.update_user(id, p, etag, t, now)
        })
    }
}

#[wasm_bindgen]
impl Chat {
    /// Not callable: use `await Chat.init(config)`.
    #[wasm_bindgen(constructor)]
    pub fn new() -> JsResult<Chat> {
        Err(chat_error(ChatError::invalid(
            "Chat cannot be constructed with new: use `await Chat.init(config)`",
        )))
    }

    /// Creates a chat client for `config.userId`: fetches that user, creating it (name =
    /// userId) if it does not exist. Without `subscribeKey` the embedded store is used.
    #[wasm_bindgen(js_name = init, unchecked_return_type = "Promise<Chat>")]
    pub fn init(#[wasm_bindgen(unchecked_param_type = "ChatConfig")] config: JsValue) -> Promise {
        match convert::config(&config).and_then(|raw| Ok(Config::new(raw)?)) {
            Ok(cfg) => Driver::new(cfg, &config).promise(Ok(()), |c, (), t, now| c.init(t, now)),
            Err(e) => Promise::reject(&rejection(&e)),
        }
    }

    /// The signed-in user (kept up to date with this Chat's own changes and events).
    #[wasm_bindgen(getter, js_name = currentUser, unchecked_return_type = "User")]
    pub fn current_user(&self) -> JsValue {
        let user = self.driver.with(|c| c.current_user().clone());
        user.map_or(JsValue::NULL, |u| self.driver.wrap(&u))
    }

    /// The user with this id, or `null` if there is none.
    #[wasm_bindgen(js_name = getUser, unchecked_return_type = "Promise<User | null>")]
    pub fn get_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        self.driver
            .promise(convert::id(&id), |c, id, t, now| c.get_user(id, t, now))
    }

    /// Creates a user; rejects with `User with this ID already exists` if the id is taken.
    #[wasm_bindgen(js_name = createUser, unchecked_return_type = "Promise<User>")]
    pub fn create_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UserData")] data: JsValue,
    ) -> Promise {
        let args = convert::id(&id).and_then(|id| Ok((id, convert::patch(&data)?)));
        self.driver
            .promise(args, |c, (id, p), t, now| c.create_user(id, p, t, now))
    }

    /// Updates an existing user: absent fields are kept, `null` clears, `custom` is
    /// replaced whole. Resolves a new `User`.
    #[wasm_bindgen(js_name = updateUser, unchecked_return_type = "Promise<User>")]
    pub fn update_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UserData")] data: JsValue,
    ) -> Promise {
        self.update(id, JsValue::UNDEFINED, data)
    }

    /// For `js/user.js`: `user.update(data)`, with the eTag of the caller's copy (a
    /// single conditional PATCH when it is current).
    #[wasm_bindgen(js_name = __update, skip_typescript)]
    pub fn __update(&self, id: JsValue, etag: JsValue, data: JsValue) -> Promise {
        self.update(id, etag, data)
    }

    /// Hard delete (resolves `true`, idempotent) or, with `{ soft: true }`, sets the
    /// status to `"deleted"` and resolves the updated `User`.
    #[wasm_bindgen(js_name = deleteUser, unchecked_return_type = "Promise<true | User>")]
    pub fn delete_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "DeleteParameters")] params: JsValue,
    ) -> Promise {
        let args = convert::id(&id).and_then(|id| Ok((id, convert::delete_options(&params)?)));
        self.driver.promise(args, |c, (id, soft), t, now| {
            c.delete_user(id, soft, t, now)
        })
    }

    /// Clears the `"deleted"` status of a soft-deleted user (ferrochat addition).
    #[wasm_bindgen(js_name = restoreUser, unchecked_return_type = "Promise<User>")]
    pub fn restore_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        self.driver
            .promise(convert::id(&id), |c, id, t, now| c.restore_user(id, t, now))
    }

    /// The user whose `email` is `email` (the first by id if several), or `null`
    /// (ferrochat addition).
    #[wasm_bindgen(js_name = getUserByEmail, unchecked_return_type = "Promise<User | null>")]
    pub fn get_user_by_email(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] email: JsValue,
    ) -> Promise {
        let email = convert::string(&email, "email");
        self.driver
            .promise(email, |c, v, t, now| c.find_user("email", &v, t, now))
    }

    /// The user whose `externalId` is `externalId` (the first by id if several), or
    /// `null` (ferrochat addition).
    #[wasm_bindgen(js_name = getUserByExternalId, unchecked_return_type = "Promise<User | null>")]
    pub fn get_user_by_external_id(
        &self,
        #[wasm_bindgen(js_name = externalId, unchecked_param_type = "string")] external_id: JsValue,
    ) -> Promise {
        let value = convert::string(&external_id, "externalId");
        self.driver
            .promise(value, |c, v, t, now| c.find_user("externalId", &v, t, now))
    }

    /// Deletes (or with `{ soft: true }` archives) many users: `target` is an array of ids
    /// or `{ filter }`. At most `concurrency` deletes in flight (default 8), paced to
    /// `rate` users per second (default 100), `onProgress({ done, total, failed })` after
    /// each user, stopped by `signal` (an `AbortSignal`). A filter that selects every user
    /// is refused with `REFUSED_ALL_USERS` unless `allowAll: true`. Resolves
    /// `{ operationId, deleted, failed: [{ id, error }], aborted }` (ferrochat addition).
    #[wasm_bindgen(js_name = deleteUsers, unchecked_return_type = "Promise<BulkDeleteResult>")]
    pub fn delete_users(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[] | { filter: string }")] target: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "BulkDeleteOptions")] options: JsValue,
    ) -> Promise {
        let args =
            convert::bulk_target(&target).and_then(|t| Ok((t, convert::bulk_options(&options)?)));
        self.driver.bulk(args)
    }

    /// Lists users: filter, sort, limit (≤ 100) and page cursors; resolves
    /// `{ users, page: { next?, prev? }, total }`.
    #[wasm_bindgen(js_name = getUsers, unchecked_return_type = "Promise<GetUsersResult>")]
    pub fn get_users(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "GetUsersParams")] params: JsValue,
    ) -> Promise {
        let args = convert::list_query(&params);
        self.driver.promise(args, |c, (q, filter), t, now| {
            c.get_users(q, filter, t, now)
        })
    }

    /// Calls `callback` with a status object when this Chat is disconnected, e.g.
    /// `{ category: "PNDisconnectedCategory", reason: "userDeleted", userId, soft }` when
    /// its signed-in user is deleted. Returns an unsubscribe function.
    #[wasm_bindgen(js_name = addConnectionStatusListener, unchecked_return_type = "() => void")]
    pub fn add_connection_status_listener(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(status: ConnectionStatus) => unknown")]
        callback: JsValue,
    ) -> JsResult<JsValue> {
        let f = convert::function(&callback, "callback").map_err(|e| to_js(&e))?;
        self.listener(
            |c, now| c.add_status_listener(Callback::new(f, None), now),
            Client::remove_status_listener,
        )
    }

    /// Stops every subscription and timer of this Chat; later calls reject with
    /// code `DESTROYED`. Idempotent.
    pub fn destroy(&self) {
        self.driver.command(|c, now| c.destroy(now));
    }

    /// For `js/user.js`: a listener of `kind` (`stream`, `updated`, `deleted`, `list`) on
    /// users given as one string cut by `lengths` (id, eTag, `updated` per user); `users`
    /// is a copy of the list (`list`). Returns the unsubscribe function.
    #[wasm_bindgen(js_name = __listen, skip_typescript)]
    pub fn listen(
        &self,
        kind: &str,
        text: &str,
        lengths: &[f64],
        users: JsValue,
        callback: JsValue,
    ) -> JsResult<JsValue> {
        let (kind, snaps, f) = convert::kind(kind)
            .and_then(|k| {
                Ok((
                    k,
                    convert::snapshots(text, lengths)?,
                    convert::function(&callback, "callback")?,
                ))
            })
            .map_err(|e| to_js(&e))?;
        let handle = Callback::new(f, users.dyn_into::<Array>().ok());
        self.listener(
            |c, now| c.listen(kind, &snaps, handle, now),
            Client::unlisten,
        )
    }
}
