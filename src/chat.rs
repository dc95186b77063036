//! The JS class `Chat`: configuration, the backend, this Chat's subscriptions, and the
//! operations both `Chat` and `User` methods call.

use crate::backend::embedded::Embedded;
use crate::backend::http::HttpConfig;
use crate::backend::network::{Network, NetworkConfig};
use crate::backend::{Backend, EventSink};
use crate::convert::{self, LAST_ACTIVE_KEY};
use crate::error::to_js;
use crate::subscriptions::{Listener, ListenerId, Payload, Subscriptions};
use crate::timer::{clear_interval, set_interval};
use ferrochat_core::model::{Scalar, StrField};
use ferrochat_core::patch::{Patch, UserPatch};
use ferrochat_core::{ChatError, Event, EventKind, Result, SetMode, DELETED_STATUS};
use js_sys::{Array, Function, Object, Promise, Reflect, WeakRef};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, spawn_local};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(msg: &str, err: &JsValue);
}

/// Runs `fut` as a Promise, mapping errors to JS `Error`s with a `code`.
pub(crate) fn promise(fut: impl Future<Output = Result<JsValue>> + 'static) -> Promise {
    run_promise(Box::pin(fut))
}

/// One (boxed) instantiation of `future_to_promise` for every method: smaller wasm.
fn run_promise(fut: std::pin::Pin<Box<dyn Future<Output = Result<JsValue>>>>) -> Promise {
    future_to_promise(async move { fut.await.map_err(|e| to_js(&e)) })
}

/// Calls a user callback; a throw is reported and swallowed so the stream goes on.
pub(crate) fn call_back(cb: &Function, arg: &JsValue) {
    if let Err(e) = cb.call1(&JsValue::NULL, arg) {
        console_error("ferrochat: a callback threw:", &e);
    }
}

/// Default `storeUserActivityInterval` (10 minutes), as the PubNub Chat SDK.
const DEFAULT_ACTIVITY_INTERVAL_MS: f64 = 600_000.0;
/// Smallest `storeUserActivityInterval` accepted.
const MIN_ACTIVITY_INTERVAL_MS: f64 = 60_000.0;

/// A running `setInterval`: its handle and the closure it calls.
type Interval = (JsValue, Closure<dyn FnMut()>);

/// The parsed `ChatConfig`.
pub(crate) struct Config {
    pub user_id: String,
    pub store_activity: bool,
    pub activity_interval_ms: f64,
    /// Set when `subscribeKey` is given: the PubNub-protocol backend.
    network: Option<NetworkConfig>,
}

/// The PubNub network's origin.
const DEFAULT_ORIGIN: &str = "ps.pndsn.com";

impl Config {
    fn from_js(v: &JsValue) -> Result<Config> {
        let c = convert::required_object(v, "config")?;
        let user_id = convert::id(&convert::get(&c, "userId")?)?;
        let text =
            |key: &'static str| convert::opt_string(&c, key).map(|v| v.filter(|s| !s.is_empty()));
        let (publish_key, secret_key, auth_key, origin) = (
            text("publishKey")?,
            text("secretKey")?,
            text("authKey")?,
            text("origin")?,
        );
        let ssl = convert::opt_bool(&c, "ssl")?.unwrap_or(true);
        let network = text("subscribeKey")?.map(|subscribe_key| {
            let origin = origin.unwrap_or_else(|| DEFAULT_ORIGIN.to_string());
            let origin = origin.trim_end_matches('/');
            let base = if origin.starts_with("http://") || origin.starts_with("https://") {
                origin.to_string()
            } else {
                format!("{}://{origin}", if ssl { "https" } else { "http" })
            };
            NetworkConfig {
                http: HttpConfig {
                    base,
                    publish_key: publish_key.unwrap_or_default(),
                    user_id: user_id.clone(),
                    auth_key,
                    secret_key,
                },
                subscribe_key,
            }
        });
        let activity_interval_ms = convert::opt_number(&c, "storeUserActivityInterval")?
            .unwrap_or(DEFAULT_ACTIVITY_INTERVAL_MS);
        if activity_interval_ms < MIN_ACTIVITY_INTERVAL_MS {
            return Err(ChatError::invalid(
                "storeUserActivityInterval must be at least 60000 ms",
            ));
        }
        Ok(Config {
            user_id,
            store_activity: convert::opt_bool(&c, "storeUserActivityTimestamps")?.unwrap_or(false),
            activity_interval_ms,
            network,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Active,
    CurrentUserDeleted,
    Destroyed,
}

/// Everything a Chat owns. `User` objects hold an `Rc` to it; it holds none to them.
pub(crate) struct ChatInner {
    pub config: Config,
    backend: Box<dyn Backend>,
    subs: RefCell<Subscriptions>,
    current: RefCell<ferrochat_core::User>,
    state: Cell<State>,
    /// The activity interval and the closure it calls (dropped when cleared).
    timer: RefCell<Option<Interval>>,
    status_listeners: RefCell<Vec<(ListenerId, Function)>>,
    next_status_id: Cell<ListenerId>,
    /// Whether this Chat subscribes to its own user's channel.
    watching_self: Cell<bool>,
    /// The JS `Chat` object of this Chat, weakly: every `User` holds it (strongly), so a
    /// Chat lives as long as its users; a strong reference here would never let it go.
    js: RefCell<Option<WeakRef>>,
}

/// Queues an event for `chat` and schedules a drain from a clean stack.
fn on_event(chat: &Weak<ChatInner>, event: Event) {
    let Some(inner) = chat.upgrade() else { return };
    let schedule = {
        let mut subs = inner.subs.borrow_mut();
        subs.queue.push_back(event);
        !std::mem::replace(&mut subs.scheduled, true)
    };
    if schedule {
        let chat = chat.clone();
        spawn_local(async move {
            if let Some(inner) = chat.upgrade() {
                inner.drain();
            }
        });
    }
}

impl ChatInner {
    fn new(mut config: Config) -> Rc<ChatInner> {
        Rc::new_cyclic(|me: &Weak<ChatInner>| {
            let me = me.clone();
            let sink: EventSink = Rc::new(move |ev| on_event(&me, ev));
            let backend: Box<dyn Backend> = match config.network.take() {
                Some(net) => Box::new(Network::new(net, sink)),
                None => Box::new(Embedded::new(sink)),
            };
            ChatInner {
                current: RefCell::new(ferrochat_core::User::new(config.user_id.clone())),
                config,
                backend,
                watching_self: Cell::new(false),
                subs: RefCell::default(),
                state: Cell::new(State::Active),
                timer: RefCell::default(),
                status_listeners: RefCell::default(),
                next_status_id: Cell::new(0),
                js: RefCell::default(),
            }
        })
    }

    /// Fails when the Chat can no longer be used.
    pub fn check(&self) -> Result<()> {
        match self.state.get() {
            State::Active => Ok(()),
            State::CurrentUserDeleted => Err(ChatError::CurrentUserDeleted),
            State::Destroyed => Err(ChatError::Destroyed),
        }
    }

    /// Fetches or creates the current user, watches its channel, starts activity stamps.
    async fn start(self: &Rc<Self>) -> Result<()> {
        let id = self.config.user_id.clone();
        let user = match self.backend.get_user(id.clone()).await? {
            Some(u) => u,
            None => {
                // Just seen missing, so an upsert creates it: over the network `Create`
                // would read it again first. The protocol has no create-only write, so a
                // concurrent creator can race this either way, within one round trip.
                let name = UserPatch::default().with(StrField::Name, Patch::Set(id.clone()));
                self.backend
                    .set_user(id.clone(), name, SetMode::Upsert)
                    .await?
            }
        };
        if user.is_soft_deleted() {
            return Err(ChatError::UserDeleted(id));
        }
        *self.current.borrow_mut() = user;
        // On the embedded store watching costs nothing; over the network it would hold a
        // connection open, so it starts with the first stream or status listener.
        if !self.backend.keeps_alive() {
            self.watch_self_channel();
        }
        if self.config.store_activity {
            self.store_activity().await?;
            let weak = Rc::downgrade(self);
            let tick = Closure::<dyn FnMut()>::new(move || {
                if let Some(chat) = weak.upgrade() {
                    spawn_local(async move {
                        let _ = chat.store_activity().await;
                    });
                }
            });
            let handle = set_interval(
                tick.as_ref().unchecked_ref(),
                self.config.activity_interval_ms,
            );
            *self.timer.borrow_mut() = Some((handle, tick));
        }
        Ok(())
    }

    /// Writes `custom.lastActiveTimestamp = now` on the current user (custom is replaced
    /// whole on the wire, so the other keys are carried over).
    async fn store_activity(self: &Rc<Self>) -> Result<()> {
        self.check()?;
        let now = js_sys::Date::now();
        let mut custom = self.current.borrow().custom.clone().unwrap_or_default();
        custom.insert(LAST_ACTIVE_KEY, Scalar::Num(now.floor()));
        let patch = UserPatch {
            custom: Patch::Set(custom),
            ..UserPatch::default()
        };
        self.set(self.config.user_id.clone(), patch, SetMode::Update)
            .await?;
        Ok(())
    }

    /// Subscribes to our own user's channel (once): `currentUser` stays fresh and a
    /// deletion of the signed-in user ends this Chat.
    fn watch_self_channel(&self) {
        if !self.watching_self.replace(true) && self.subs.borrow_mut().hold(&self.config.user_id) {
            self.backend.subscribe(&self.config.user_id);
        }
    }

    fn stop_timer(&self) {
        if let Some((handle, _closure)) = self.timer.borrow_mut().take() {
            clear_interval(&handle);
        }
    }

    fn subscribe_all(&self, channels: Vec<String>) {
        for ch in channels {
            self.backend.subscribe(&ch);
        }
    }

    fn unsubscribe_all(&self, channels: Vec<String>) {
        for ch in channels {
            self.backend.unsubscribe(&ch);
        }
    }

    /// The JS `Chat` object of this Chat: the caller's while it is alive, else a new one.
    pub fn handle(self: &Rc<Self>) -> JsValue {
        if let Some(js) = self.js.borrow().as_ref().and_then(WeakRef::deref) {
            return js.into();
        }
        let js = JsValue::from(Chat {
            inner: self.clone(),
        });
        self.js
            .replace(Some(WeakRef::new(js.unchecked_ref::<Object>())));
        js
    }

    /// Core users as JS `User`s of this Chat, in order.
    pub fn wrap_all<'a>(
        self: &Rc<Self>,
        users: impl IntoIterator<Item = &'a ferrochat_core::User>,
    ) -> Array {
        crate::user::from_batch(self, &convert::UserBatch::of(users))
    }

    /// A core user as a JS `User` of this Chat.
    pub fn wrap(self: &Rc<Self>, data: ferrochat_core::User) -> JsValue {
        self.wrap_all([&data]).get(0)
    }

    /// Writes through the backend, keeping `currentUser` fresh.
    pub async fn set(
        self: &Rc<Self>,
        id: String,
        patch: UserPatch,
        mode: SetMode,
    ) -> Result<ferrochat_core::User> {
        self.check()?;
        let user = self.backend.set_user(id, patch, mode).await?;
        if user.id == self.config.user_id {
            *self.current.borrow_mut() = user.clone();
        }
        Ok(user)
    }

    /// One page of users.
    pub async fn list(
        &self,
        query: ferrochat_core::ListQuery,
        filter: Option<String>,
    ) -> Result<ferrochat_core::ListPage> {
        self.check()?;
        self.backend.list_users(query, filter).await
    }

    /// The first user (by id) whose `field` equals `value`, or `null`.
    async fn find_by(self: &Rc<Self>, field: &str, value: JsValue) -> Result<JsValue> {
        let value = value
            .as_string()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ChatError::invalid(format!("{field} must be a non-empty string")))?;
        let filter = format!("{field} == {}", ferrochat_core::filter::quote(&value));
        let page = self.list_where(filter, 1, None).await?;
        Ok(page
            .users
            .into_iter()
            .next()
            .map_or(JsValue::NULL, |u| self.wrap(u)))
    }

    /// One page (sorted by id) of the users matching `filter`, filter-language text: parsed
    /// here, so a bad filter fails alike on both backends, and sent as text over the wire.
    pub async fn list_where(
        &self,
        filter: String,
        limit: usize,
        start: Option<String>,
    ) -> Result<ferrochat_core::ListPage> {
        let query = ferrochat_core::ListQuery {
            filter: Some(ferrochat_core::Filter::parse(&filter)?),
            sort: ferrochat_core::SortKey::parse_all(["id:asc"])?,
            limit,
            start,
            ..ferrochat_core::ListQuery::default()
        };
        self.list(query, Some(filter)).await
    }

    pub async fn get(self: &Rc<Self>, id: String) -> Result<Option<ferrochat_core::User>> {
        self.check()?;
        self.backend.get_user(id).await
    }

    /// Hard (`true`) or soft (the updated user) delete.
    pub async fn delete(self: &Rc<Self>, id: String, soft: bool) -> Result<JsValue> {
        self.check()?;
        if soft {
            let patch =
                UserPatch::default().with(StrField::Status, Patch::Set(DELETED_STATUS.into()));
            let user = self.set(id, patch, SetMode::Update).await?;
            Ok(self.wrap(user))
        } else {
            self.backend.remove_user(id).await?;
            Ok(JsValue::TRUE)
        }
    }

    /// Clears the `"deleted"` status; a user who is not deleted is returned unchanged.
    pub async fn restore(self: &Rc<Self>, id: String) -> Result<JsValue> {
        self.check()?;
        let user = self
            .backend
            .get_user(id.clone())
            .await?
            .ok_or(ChatError::UserNotFound)?;
        if !user.is_soft_deleted() {
            return Ok(self.wrap(user));
        }
        let patch = UserPatch::default().with(StrField::Status, Patch::Clear);
        let user = self.set(id, patch, SetMode::Update).await?;
        Ok(self.wrap(user))
    }

    /// Adds a listener and returns its unsubscribe function (idempotent).
    pub fn listen(
        self: &Rc<Self>,
        listener: Listener,
        callback: Function,
        channels: Vec<String>,
    ) -> Result<JsValue> {
        self.check()?;
        self.watch_self_channel();
        let refresh = !matches!(listener, Listener::Deleted(_));
        let (id, fresh) = self
            .subs
            .borrow_mut()
            .add(listener, callback, channels.clone());
        self.subscribe_all(fresh);
        if refresh {
            let chat = self.clone();
            spawn_local(async move { chat.refresh_listener(id, channels).await });
        }
        let weak = Rc::downgrade(self);
        let mut slot = Some(id);
        let stop = Closure::<dyn FnMut()>::new(move || {
            if let (Some(id), Some(chat)) = (slot.take(), weak.upgrade()) {
                let gone = chat.subs.borrow_mut().remove(id);
                chat.unsubscribe_all(gone);
            }
        });
        Ok(stop.into_js_value())
    }

    /// Reads the current records of a new listener's users (100 per request) and brings
    /// its state up to date. Best effort: on failure the stream goes on from the snapshot.
    async fn refresh_listener(self: Rc<Self>, id: ListenerId, ids: Vec<String>) {
        for chunk in ids.chunks(ferrochat_core::page::MAX_LIMIT) {
            if !self.subs.borrow().is_live(id) {
                return;
            }
            let filter = chunk
                .iter()
                .map(|i| format!("id == {}", ferrochat_core::filter::quote(i)))
                .collect::<Vec<_>>()
                .join(" || ");
            let Ok(page) = self.list_where(filter, chunk.len(), None).await else {
                return;
            };
            let mut subs = self.subs.borrow_mut();
            for user in &page.users {
                subs.refresh(id, user);
            }
        }
    }

    /// Delivers queued events. Borrows end before any JS callback runs.
    fn drain(self: &Rc<Self>) {
        loop {
            let (event, calls, finished) = {
                let mut subs = self.subs.borrow_mut();
                let Some(event) = subs.queue.pop_front() else {
                    subs.scheduled = false;
                    return;
                };
                let (calls, finished) = subs.dispatch(&event);
                (event, calls, finished)
            };
            for (lid, cb, payload) in calls {
                if !self.subs.borrow().is_live(lid) {
                    continue; // unsubscribed by an earlier callback
                }
                let arg = match payload {
                    Payload::User(u) => self.wrap(*u),
                    Payload::List {
                        previous,
                        changed,
                        removed,
                    } => {
                        let next = previous.slice(0, previous.length());
                        for &i in removed.iter().rev() {
                            splice_out(&next, i);
                        }
                        let fresh = self.wrap_all(changed.iter().map(|(_, u)| u));
                        for (k, (i, _)) in changed.iter().enumerate() {
                            next.set(*i as u32, fresh.get(k as u32));
                        }
                        self.subs.borrow_mut().set_list_array(lid, next.clone());
                        next.into()
                    }
                    Payload::Deleted(id, soft) => deleted_info(&id, soft),
                };
                call_back(&cb, &arg);
            }
            for lid in finished {
                let gone = self.subs.borrow_mut().remove(lid);
                self.unsubscribe_all(gone);
            }
            self.watch_self(&event);
        }
    }

    /// Keeps `currentUser` fresh and ends this Chat when its own user is deleted.
    fn watch_self(self: &Rc<Self>, event: &Event) {
        if event.user_id() != self.config.user_id || self.state.get() != State::Active {
            return;
        }
        let soft = match &event.kind {
            EventKind::Set(cs) => {
                cs.merge_into(&mut self.current.borrow_mut());
                if !self.current.borrow().is_soft_deleted() {
                    return;
                }
                true
            }
            EventKind::Delete { .. } => {
                if crate::subscriptions::stale_delete(&self.current.borrow(), event.timetoken) {
                    return;
                }
                false
            }
        };
        self.state.set(State::CurrentUserDeleted);
        self.shutdown();
        let status = Object::new();
        for (k, v) in [
            ("category", JsValue::from_str("PNDisconnectedCategory")),
            ("reason", JsValue::from_str("userDeleted")),
            ("userId", JsValue::from_str(&self.config.user_id)),
            ("soft", JsValue::from_bool(soft)),
        ] {
            let _ = Reflect::set(&status, &k.into(), &v);
        }
        let listeners: Vec<Function> = self
            .status_listeners
            .borrow()
            .iter()
            .map(|(_, f)| f.clone())
            .collect();
        for f in listeners {
            call_back(&f, &status);
        }
    }

    /// Ends every subscription and timer.
    fn shutdown(&self) {
        self.stop_timer();
        let all = self.subs.borrow_mut().clear();
        self.unsubscribe_all(all);
        self.backend.destroy();
    }
}

/// `array.splice(index, 1)`.
fn splice_out(array: &Array, index: usize) {
    if let Ok(f) = Reflect::get(array, &"splice".into()).and_then(|f| f.dyn_into::<Function>()) {
        let _ = f.call2(array, &JsValue::from(index as u32), &JsValue::from(1));
    }
}

fn deleted_info(id: &str, soft: bool) -> JsValue {
    let o = Object::new();
    let _ = Reflect::set(&o, &"id".into(), &JsValue::from_str(id));
    let _ = Reflect::set(&o, &"soft".into(), &JsValue::from_bool(soft));
    o.into()
}

/// A chat client: the entry point of ferrochat. Create one with `Chat.init`.
#[wasm_bindgen]
pub struct Chat {
    inner: Rc<ChatInner>,
}

#[wasm_bindgen]
impl Chat {
    /// Not callable: use `await Chat.init(config)`.
    #[wasm_bindgen(constructor)]
    pub fn new() -> std::result::Result<Chat, JsValue> {
        Err(to_js(&ChatError::invalid(
            "Chat cannot be constructed with new: use `await Chat.init(config)`",
        )))
    }

    /// Creates a chat client for `config.userId`: fetches that user, creating it (name =
    /// userId) if it does not exist. Without `subscribeKey` the embedded store is used.
    #[wasm_bindgen(js_name = init, unchecked_return_type = "Promise<Chat>")]
    pub fn init(#[wasm_bindgen(unchecked_param_type = "ChatConfig")] config: JsValue) -> Promise {
        promise(async move {
            let config = Config::from_js(&config)?;
            let inner = ChatInner::new(config);
            if let Err(e) = inner.start().await {
                inner.shutdown();
                return Err(e);
            }
            Ok(inner.handle())
        })
    }

    /// The signed-in user (kept up to date with this Chat's own changes and events).
    #[wasm_bindgen(getter, js_name = currentUser, unchecked_return_type = "User")]
    pub fn current_user(&self) -> JsValue {
        let current = self.inner.current.borrow().clone();
        self.inner.wrap(current)
    }

    /// The user with this id, or `null` if there is none.
    #[wasm_bindgen(js_name = getUser, unchecked_return_type = "Promise<User | null>")]
    pub fn get_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        let chat = self.inner.clone();
        promise(async move {
            let id = convert::id(&id)?;
            Ok(chat.get(id).await?.map_or(JsValue::NULL, |u| chat.wrap(u)))
        })
    }

    /// Creates a user; rejects with `User with this ID already exists` if the id is taken.
    #[wasm_bindgen(js_name = createUser, unchecked_return_type = "Promise<User>")]
    pub fn create_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UserData")] data: JsValue,
    ) -> Promise {
        self.write(id, data, SetMode::Create)
    }

    /// Updates an existing user: absent fields are kept, `null` clears, `custom` is
    /// replaced whole. Resolves a new `User`.
    #[wasm_bindgen(js_name = updateUser, unchecked_return_type = "Promise<User>")]
    pub fn update_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UserData")] data: JsValue,
    ) -> Promise {
        self.write(id, data, SetMode::Update)
    }

    /// Hard delete (resolves `true`, idempotent) or, with `{ soft: true }`, sets the
    /// status to `"deleted"` and resolves the updated `User`.
    #[wasm_bindgen(js_name = deleteUser, unchecked_return_type = "Promise<true | User>")]
    pub fn delete_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "DeleteOptions")] options: JsValue,
    ) -> Promise {
        let chat = self.inner.clone();
        promise(async move {
            let id = convert::id(&id)?;
            let soft = convert::delete_options(&options)?;
            chat.delete(id, soft).await
        })
    }

    /// Clears the `"deleted"` status of a soft-deleted user (ferrochat addition).
    #[wasm_bindgen(js_name = restoreUser, unchecked_return_type = "Promise<User>")]
    pub fn restore_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        let chat = self.inner.clone();
        promise(async move { chat.restore(convert::id(&id)?).await })
    }

    /// The user whose `email` is `email` (the first by id if several), or `null`
    /// (ferrochat addition).
    #[wasm_bindgen(js_name = getUserByEmail, unchecked_return_type = "Promise<User | null>")]
    pub fn get_user_by_email(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] email: JsValue,
    ) -> Promise {
        let chat = self.inner.clone();
        promise(async move { chat.find_by("email", email).await })
    }

    /// The user whose `externalId` is `externalId` (the first by id if several), or
    /// `null` (ferrochat addition).
    #[wasm_bindgen(js_name = getUserByExternalId, unchecked_return_type = "Promise<User | null>")]
    pub fn get_user_by_external_id(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] external_id: JsValue,
    ) -> Promise {
        let chat = self.inner.clone();
        promise(async move { chat.find_by("externalId", external_id).await })
    }

    /// Deletes (or with `{ soft: true }` archives) many users: `target` is an array of ids
    /// or `{ filter }`. Works in batches of at most 100 with at most `concurrency`
    /// requests in flight (default 8), paced to `rate` users per second (default 100);
    /// `onProgress({ done, total, failed })` after each wave. A filter that selects every
    /// user is refused with `REFUSED_ALL_USERS` unless `allowAll: true`. Resolves
    /// `{ operationId, deleted, failed: [{ id, error }] }` (ferrochat addition).
    #[wasm_bindgen(js_name = deleteUsers, unchecked_return_type = "Promise<BulkDeleteResult>")]
    pub fn delete_users(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[] | { filter: string }")] target: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "BulkDeleteOptions")] options: JsValue,
    ) -> Promise {
        let chat = self.inner.clone();
        promise(crate::bulk::delete_users(chat, target, options))
    }

    /// Lists users: filter, sort, limit (≤ 100) and page cursors; resolves
    /// `{ users, page: { next?, prev? }, total }`.
    #[wasm_bindgen(js_name = getUsers, unchecked_return_type = "Promise<GetUsersResult>")]
    pub fn get_users(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "GetUsersParams")] params: JsValue,
    ) -> Promise {
        let chat = self.inner.clone();
        promise(async move {
            let (query, filter) = convert::list_query(&params)?;
            // (Checked here, as `list` does: a second async wrapper costs wasm bytes.)
            chat.check()?;
            let page = chat.backend.list_batch(query, filter).await?;
            let out = Object::new();
            let users = crate::user::from_batch(&chat, &page.users);
            let cursors = Object::new();
            for (k, v) in [("next", page.next), ("prev", page.prev)] {
                if let Some(v) = v {
                    let _ = Reflect::set(&cursors, &k.into(), &v.into());
                }
            }
            let _ = Reflect::set(&out, &"users".into(), &users);
            let _ = Reflect::set(&out, &"page".into(), &cursors);
            let _ = Reflect::set(&out, &"total".into(), &(page.total as f64).into());
            Ok(out.into())
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
    ) -> std::result::Result<JsValue, JsValue> {
        let f = convert::function(&callback, "callback").map_err(|e| to_js(&e))?;
        let id = self.inner.next_status_id.get().wrapping_add(1);
        self.inner.next_status_id.set(id);
        self.inner.status_listeners.borrow_mut().push((id, f));
        self.inner.watch_self_channel();
        let weak = Rc::downgrade(&self.inner);
        let stop = Closure::<dyn FnMut()>::new(move || {
            if let Some(chat) = weak.upgrade() {
                chat.status_listeners.borrow_mut().retain(|(i, _)| *i != id);
            }
        });
        Ok(stop.into_js_value())
    }

    /// Stops every subscription and timer of this Chat; later calls reject with
    /// code `DESTROYED`. Idempotent.
    pub fn destroy(&self) {
        if self.inner.state.get() != State::Destroyed {
            self.inner.state.set(State::Destroyed);
            self.inner.shutdown();
            self.inner.status_listeners.borrow_mut().clear();
        }
    }

    /// For `js/user.js`: `user.streamUpdates` (`kind` 0), `onUpdated` (1), `onDeleted` (2)
    /// of the user `record` (`{"data":{…}}`).
    #[wasm_bindgen(js_name = __listen, skip_typescript)]
    pub fn listen_user(
        &self,
        kind: u32,
        record: &str,
        callback: JsValue,
    ) -> std::result::Result<JsValue, JsValue> {
        crate::user::listen(&self.inner, kind, record, &callback).map_err(|e| to_js(&e))
    }

    /// For `js/user.js`: `User.streamUpdatesOn(users, callback)` on this Chat, `records`
    /// being `users` as a `{"data":[…]}` reply.
    #[wasm_bindgen(js_name = __streamOn, skip_typescript)]
    pub fn stream_on(
        &self,
        users: JsValue,
        records: &str,
        callback: JsValue,
    ) -> std::result::Result<JsValue, JsValue> {
        crate::user::stream_on(&self.inner, &users, records, &callback).map_err(|e| to_js(&e))
    }

    fn write(&self, id: JsValue, data: JsValue, mode: SetMode) -> Promise {
        let chat = self.inner.clone();
        promise(async move {
            let id = convert::id(&id)?;
            let patch = convert::patch(&data)?;
            let user = chat.set(id, patch, mode).await?;
            Ok(chat.wrap(user))
        })
    }
}
