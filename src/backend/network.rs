//! The network backend: the PubNub REST protocol (App Context objects v2 + subscribe v2)
//! over `fetch`, against the PubNub network or ferrochat-server.
//!
//! One subscribe loop per Chat multiplexes every channel it listens to (past 16 KiB of
//! channel names, the channels are split over more loops, so URLs stay short): a
//! handshake gives the cursor, each long-poll advances it, a change of channel set aborts
//! the poll in flight and resumes from the same cursor (the server's catch-up fills the
//! gap), and failures back off exponentially (capped, with jitter) from the cursor it had.

use super::http::{js_number, Call, Http, HttpConfig, Reply, LONG_POLL_TIMEOUT_MS};
use super::{Backend, BoxFuture, EventSink};
use crate::convert::{self, UserBatch};
use crate::timer::{self, sleep};
use ferrochat_core::decode;
use ferrochat_core::json::Value;
use ferrochat_core::page::ListPage;
use ferrochat_core::wire::{encode, leave_path, subscribe_path, uuid_path, uuids_path};
use ferrochat_core::{ChatError, ListQuery, Result, SetMode, User, UserPatch};
use gloo_net::http::Method;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::AbortController;

/// `include` for user reads and writes.
const INCLUDE: &str = "status,type,custom";
/// Conditional updates tried before the last, unconditional one.
const MAX_CONFLICT_RETRIES: u32 = 6;
/// Network settings from `ChatConfig`.
pub struct NetworkConfig {
    /// HTTP settings.
    pub http: HttpConfig,
    /// Subscribe key.
    pub subscribe_key: String,
}

/// The most channel-list bytes (percent-encoded) one subscribe request carries. Past it,
/// channels go to another loop: URLs stay far below servers' limits (ferrochat-server
/// answers 414 past 64 KiB), so 10,000 users stream as well as 10.
const MAX_CHANNEL_BYTES: usize = 16 * 1024;

/// One subscribe long-poll loop, over a share of the Chat's channels.
#[derive(Default)]
struct Shard {
    channels: RefCell<HashSet<String>>,
    /// Encoded size of the channel list (with separators).
    bytes: Cell<usize>,
    /// `(tt, tr)` of the last response.
    cursor: RefCell<Option<(u64, String)>>,
    /// Channels that joined a running loop: events before this timetoken are history.
    joined: RefCell<HashMap<String, u64>>,
    /// The poll in flight, to abort on a change of channels.
    poll: RefCell<Option<AbortController>>,
    running: Cell<bool>,
    /// `timer::now()` of the first subscribe call while the loop had no cursor.
    started_at: Cell<f64>,
}

struct Net {
    http: Http,
    sub_key: String,
    sink: EventSink,
    /// The subscribe loops; usually one.
    shards: RefCell<Vec<Rc<Shard>>>,
    /// Server time minus `timer::now()`, in ms, estimated at the last handshake.
    server_offset_ms: Cell<Option<f64>>,
    destroyed: Cell<bool>,
    /// Channels to send a `leave` for, flushed together once per turn of the event loop.
    leaving: RefCell<HashSet<String>>,
}

/// The PubNub-protocol backend of one Chat.
pub struct Network {
    net: Rc<Net>,
}

impl Network {
    /// A backend for `config`; events of subscribed channels go to `sink`.
    pub fn new(config: NetworkConfig, sink: EventSink) -> Self {
        Network {
            net: Rc::new(Net {
                http: Http::new(config.http),
                sub_key: config.subscribe_key,
                sink,
                shards: RefCell::default(),
                server_offset_ms: Cell::new(None),
                destroyed: Cell::new(false),
                leaving: RefCell::default(),
            }),
        }
    }
}

/// Milliseconds (since the epoch) as timetoken ticks, keeping sub-millisecond precision.
fn ticks(ms: f64) -> u64 {
    (ms * 10_000.0).max(0.0) as u64
}

impl Net {
    async fn get(&self, id: &str) -> Result<Option<User>> {
        let call = Call::get(
            uuid_path(&self.sub_key, id),
            vec![("include", INCLUDE.into())],
        );
        let reply = self.http.send(&call).await?;
        match reply.status {
            200 => Ok(Some(decode::user_reply(&reply.text, js_number)?)),
            404 => Ok(None),
            _ => Err(reply.error()),
        }
    }

    async fn patch(&self, id: &str, patch: &UserPatch, if_match: Option<String>) -> Result<User> {
        let call = Call {
            method: Method::PATCH,
            body: Some(convert::patch_to_json(patch)),
            if_match,
            ..Call::get(
                uuid_path(&self.sub_key, id),
                vec![("include", INCLUDE.into())],
            )
        };
        let reply = self.http.send(&call).await?;
        match reply.status {
            200 => decode::user_reply(&reply.text, js_number),
            _ => Err(reply.error()),
        }
    }

    async fn set(&self, id: String, patch: UserPatch, mode: SetMode) -> Result<User> {
        match mode {
            SetMode::Upsert => {
                patch.apply(&id, None)?;
                self.patch(&id, &patch, None).await
            }
            SetMode::Create => {
                // Checks in the embedded store's order: existence, then the record. (The
                // protocol has no "create only"; a concurrent creator may win the race.)
                if self.get(&id).await?.is_some() {
                    return Err(ChatError::UserExists);
                }
                patch.apply(&id, None)?;
                self.patch(&id, &patch, None).await
            }
            SetMode::Update => {
                // Read, then write only if the record is still that version (`If-Match`):
                // the user must exist, and an update never re-creates a deleted user.
                // Patches merge field by field on the server, so under heavy contention
                // the last try is unconditional right after a read that saw the user.
                for attempt in 0..=MAX_CONFLICT_RETRIES {
                    let base = self.get(&id).await?.ok_or(ChatError::UserNotFound)?;
                    if patch.apply(&id, Some(&base))?.is_none() {
                        return Ok(base);
                    }
                    let condition = (attempt < MAX_CONFLICT_RETRIES).then(|| base.etag.clone());
                    match self.patch(&id, &patch, condition).await {
                        Err(ChatError::PreconditionFailed) => {
                            sleep(js_sys::Math::random() * f64::from(5 << attempt)).await;
                        }
                        other => return other,
                    }
                }
                Err(ChatError::PreconditionFailed)
            }
        }
    }

    async fn remove(&self, id: &str) -> Result<bool> {
        let call = Call {
            method: Method::DELETE,
            ..Call::get(uuid_path(&self.sub_key, id), Vec::new())
        };
        let reply = self.http.send(&call).await?;
        match reply.status {
            200 | 204 => Ok(true),
            404 => Ok(false),
            _ => Err(reply.error()),
        }
    }

    /// One `GET /uuids` reply (status 200; other statuses are errors).
    async fn list(&self, q: ListQuery, filter: Option<String>) -> Result<Reply> {
        let mut query: Vec<(&'static str, String)> = vec![
            ("include", INCLUDE.into()),
            ("count", "true".into()),
            ("limit", q.limit.to_string()),
        ];
        if let Some(f) = filter {
            query.push(("filter", f));
        }
        query.extend(q.sort.iter().map(|k| ("sort", k.to_wire())));
        if let Some(s) = q.start {
            query.push(("start", s));
        } else if let Some(e) = q.end {
            query.push(("end", e));
        }
        let reply = self
            .http
            .send(&Call::get(uuids_path(&self.sub_key), query))
            .await?;
        if reply.status != 200 {
            return Err(reply.error());
        }
        Ok(reply)
    }

    /// The loop that carries `channel`, if any.
    fn shard_of(&self, channel: &str) -> Option<Rc<Shard>> {
        self.shards
            .borrow()
            .iter()
            .find(|s| s.channels.borrow().contains(channel))
            .cloned()
    }

    /// Adds `channel` to a loop with room for it (or a new loop) and (re)starts that loop.
    fn add_channel(self: &Rc<Self>, channel: &str) {
        if self.shard_of(channel).is_some() {
            return;
        }
        let cost = encode(channel).len() + 1;
        let shard = {
            let mut shards = self.shards.borrow_mut();
            match shards
                .iter()
                .find(|s| s.bytes.get() + cost <= MAX_CHANNEL_BYTES || s.bytes.get() == 0)
            {
                Some(s) => s.clone(),
                None => {
                    let s = Rc::new(Shard::default());
                    shards.push(s.clone());
                    s
                }
            }
        };
        shard.channels.borrow_mut().insert(channel.to_string());
        shard.bytes.set(shard.bytes.get() + cost);
        self.note_join(&shard, channel);
        self.shard_changed(&shard);
    }

    fn remove_channel(self: &Rc<Self>, channel: &str) {
        let Some(shard) = self.shard_of(channel) else {
            return;
        };
        shard.channels.borrow_mut().remove(channel);
        shard
            .bytes
            .set(shard.bytes.get().saturating_sub(encode(channel).len() + 1));
        self.leave(channel.to_string());
        self.shard_changed(&shard);
    }

    /// Notes when `channel` joined, in server time: a channel joining a running loop
    /// resumes from the loop's cursor, so the server replays that channel's history since
    /// then, and events from before the join must be dropped.
    fn note_join(&self, shard: &Shard, channel: &str) {
        if let (Some(_), Some(offset)) = (&*shard.cursor.borrow(), self.server_offset_ms.get()) {
            let since = ticks(timer::now() + offset);
            shard.joined.borrow_mut().insert(channel.to_string(), since);
        }
    }

    /// Restarts a loop's poll in flight with its current channels, or starts the loop.
    fn shard_changed(self: &Rc<Self>, shard: &Rc<Shard>) {
        if shard.running.get() {
            if let Some(c) = shard.poll.borrow_mut().take() {
                c.abort();
            }
        } else if !shard.channels.borrow().is_empty() && !self.destroyed.get() {
            shard.running.set(true);
            let (net, shard) = (self.clone(), shard.clone());
            spawn_local(async move { net.run(shard).await });
        }
    }

    async fn run(self: Rc<Self>, shard: Rc<Shard>) {
        let mut failures: u32 = 0;
        loop {
            let channels: Vec<String> = shard.channels.borrow().iter().cloned().collect();
            if self.destroyed.get() || channels.is_empty() {
                break;
            }
            let Ok(controller) = AbortController::new() else {
                break;
            };
            *shard.poll.borrow_mut() = Some(controller.clone());
            let cursor = shard.cursor.borrow().clone();
            let mut query: Vec<(&'static str, String)> = Vec::new();
            if let Some((tt, tr)) = &cursor {
                query.push(("tt", tt.to_string()));
                query.push(("tr", tr.clone()));
            } else if shard.started_at.get() == 0.0 {
                shard.started_at.set(timer::now());
            }
            query.push(("ee", String::new()));
            let call = Call {
                idempotent: false,
                timeout_ms: LONG_POLL_TIMEOUT_MS,
                controller: Some(controller),
                ..Call::get(
                    subscribe_path(&self.sub_key, channels.iter().map(String::as_str)),
                    query,
                )
            };
            let result = self.http.send(&call).await;
            let aborted = shard.poll.borrow_mut().take().is_none();
            let body = result.and_then(|r| match r.status {
                200 => r.json(),
                _ => Err(r.error()),
            });
            match body {
                Ok(body) => {
                    failures = 0;
                    self.receive(&shard, body, cursor.is_none());
                }
                // Aborted on purpose (channels changed, destroyed): go round at once.
                Err(_) if aborted || self.destroyed.get() => {}
                Err(ChatError::Timeout) => {}
                _ => {
                    failures = failures.saturating_add(1);
                    let backoff = (500.0 * f64::from(1u32 << failures.min(6))).min(30_000.0);
                    sleep(backoff * (0.5 + js_sys::Math::random())).await;
                }
            }
        }
        shard.running.set(false);
        // An emptied loop goes away (a channel added meanwhile would have restarted it).
        if shard.channels.borrow().is_empty() {
            self.shards.borrow_mut().retain(|s| !Rc::ptr_eq(s, &shard));
        }
    }

    /// Handles a subscribe response: advances the cursor and delivers App Context events.
    fn receive(&self, shard: &Shard, body: Value, handshake: bool) {
        let Some((mut tt, region)) = decode::cursor(&body) else {
            return;
        };
        let mut joined = shard.joined.borrow_mut();
        if handshake {
            joined.clear();
            // The handshake answers with the server's time, some time before we read it:
            // that maps our monotonic clock onto the server's without wall-clock skew. We
            // take the lower bound (as if the answer took no time to arrive), so estimated
            // join times are never later than the real ones: a change made right after a
            // subscribe is never dropped; at worst one made a few ms before it is replayed
            // (and ignored by listeners whose snapshot already has it).
            let offset = tt as f64 / 10_000.0 - timer::now();
            self.server_offset_ms.set(Some(offset));
            tt = tt.min(ticks(shard.started_at.get() + offset));
            shard.started_at.set(0.0);
        } else {
            for event in decode::events(body) {
                if joined
                    .get(&event.channel)
                    .is_none_or(|since| event.timetoken >= *since)
                {
                    (self.sink)(event);
                }
            }
            joined.retain(|_, since| *since > tt);
        }
        drop(joined);
        *shard.cursor.borrow_mut() = Some((tt, region));
    }

    /// Queues a `leave` for `channel`. Leaves are sent together once the current turn of
    /// the event loop ends (in requests of at most 100 channels), and not at all for
    /// channels subscribed again by then: subscribe/unsubscribe churn costs no requests.
    fn leave(self: &Rc<Self>, channel: String) {
        let first = {
            let mut leaving = self.leaving.borrow_mut();
            leaving.insert(channel);
            leaving.len() == 1
        };
        if !first {
            return;
        }
        let net = self.clone();
        spawn_local(async move {
            sleep(0.0).await;
            let channels: Vec<String> = std::mem::take(&mut *net.leaving.borrow_mut())
                .into_iter()
                .filter(|c| net.shard_of(c).is_none())
                .collect();
            for chunk in channels.chunks(100) {
                let call = Call {
                    idempotent: false,
                    ..Call::get(
                        leave_path(&net.sub_key, chunk.iter().map(String::as_str)),
                        Vec::new(),
                    )
                };
                // Best effort: presence is not part of what ferrochat promises.
                let _ = net.http.send(&call).await;
            }
        });
    }
}

impl Backend for Network {
    fn get_user(&self, id: String) -> BoxFuture<Result<Option<User>>> {
        let net = self.net.clone();
        Box::pin(async move { net.get(&id).await })
    }

    fn set_user(&self, id: String, patch: UserPatch, mode: SetMode) -> BoxFuture<Result<User>> {
        let net = self.net.clone();
        Box::pin(async move { net.set(id, patch, mode).await })
    }

    fn remove_user(&self, id: String) -> BoxFuture<Result<bool>> {
        let net = self.net.clone();
        Box::pin(async move { net.remove(&id).await })
    }

    fn list_users(&self, query: ListQuery, filter: Option<String>) -> BoxFuture<Result<ListPage>> {
        let net = self.net.clone();
        Box::pin(async move { decode::page(&net.list(query, filter).await?.text, js_number) })
    }

    fn list_batch(
        &self,
        query: ListQuery,
        filter: Option<String>,
    ) -> BoxFuture<Result<ListPage<UserBatch>>> {
        let net = self.net.clone();
        Box::pin(async move {
            let reply = net.list(query, filter).await?;
            let mut batch = UserBatch::with_capacity(100);
            let page = decode::page_with(&reply.text, js_number, &mut |u| batch.push_ref(u))?;
            Ok(page.map(|_| batch))
        })
    }

    fn subscribe(&self, channel: &str) {
        self.net.add_channel(channel);
    }

    fn unsubscribe(&self, channel: &str) {
        self.net.remove_channel(channel);
    }

    fn keeps_alive(&self) -> bool {
        true
    }

    fn destroy(&self) {
        self.net.destroyed.set(true);
        let shards = std::mem::take(&mut *self.net.shards.borrow_mut());
        for shard in shards {
            let channels = std::mem::take(&mut *shard.channels.borrow_mut());
            for ch in channels {
                self.net.leave(ch);
            }
            if let Some(c) = shard.poll.borrow_mut().take() {
                c.abort();
            }
        }
    }
}
