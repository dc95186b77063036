//! [`Client`]: one `Chat`'s state and rules. The driver feeds it commands (the API),
//! replies and clock ticks, and takes from it requests to send, requests to abort,
//! callbacks to make and Promises to settle, and the next moment it must be woken.
//!
//! The session rules live here: the signed-in user (kept fresh by its own events), which
//! channels are held (the client watches its own user only while a stream or a status
//! listener needs it, so an idle script holds no connection), what happens when the
//! signed-in user is deleted, and the end of everything on `destroy`.

use crate::batch::{UserBatch, LAST_ACTIVE_KEY};
use crate::bulk::{Bulk, BulkOptions, BulkReport, BulkTarget};
use crate::config::{Config, LogLevel};
use crate::embedded::SharedHub;
use crate::keyed::Keyed;
use crate::ops::{Job, Op, Waiter};
use crate::request::{Reply, Request, RequestId, Transfers};
use crate::rng::Rng;
use crate::subscribe::Net;
use crate::subscriptions::{stale_delete, Kind, ListenerId, Payload, Snapshot, Subscriptions};
use ferrochat_core::json::{NumberParser, NumberWriter};
use ferrochat_core::model::Scalar;
use ferrochat_core::page::ListPage;
use ferrochat_core::patch::{Patch, UserPatch};
use ferrochat_core::{ChatError, Event, EventKind, ListQuery, Result, User};
use std::collections::VecDeque;

/// The two clocks every input carries (ms).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Now {
    /// A monotonic clock (deadlines, backoff, pacing).
    pub mono: f64,
    /// The wall clock, ms since the epoch (timestamps, signatures, timetokens).
    pub wall: f64,
}

/// What an operation resolves with.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `Chat.init` is done: the client is ready.
    Ready,
    /// A user.
    User(User),
    /// A user, or none (`null`).
    MaybeUser(Option<User>),
    /// `true` (a hard delete).
    True,
    /// A `getUsers` page, in the form JS builds `User`s from.
    Page(ListPage<UserBatch>),
    /// A bulk delete's report.
    Bulk(BulkReport),
}

/// A connection status, for `addConnectionStatusListener` callbacks.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// e.g. `PNDisconnectedCategory`.
    pub category: &'static str,
    /// e.g. `userDeleted`.
    pub reason: &'static str,
    /// The signed-in user.
    pub user_id: String,
    /// Whether the user was soft-deleted.
    pub soft: bool,
}

/// Bulk progress, for `onProgress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Users handled so far.
    pub done: usize,
    /// Users in all.
    pub total: usize,
    /// Users that failed so far.
    pub failed: usize,
}

/// Something for the driver to do with the caller's code.
#[derive(Debug)]
pub enum Output<L, T> {
    /// Settle the Promise `T`.
    Settle(T, Result<Outcome>),
    /// Call a listener.
    Call(L, Payload),
    /// Call a status listener.
    Status(L, Status),
    /// Call a bulk operation's `onProgress`.
    Progress(L, Progress),
    /// A log line (only at or above the configured level).
    Log(LogLevel, String),
}

/// When the driver must call [`Client::handle_timeout`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wakeup {
    /// Monotonic time (ms).
    pub at: f64,
    /// `false` when only background work waits (the activity stamp): the driver may let
    /// the process exit meanwhile.
    pub keep_alive: bool,
}

/// Where users live.
pub(crate) enum Backend {
    /// The realm's in-memory store.
    Embedded { hub: SharedHub, member: u64 },
    /// The PubNub protocol.
    Network(Box<Net>),
}

/// How a `Chat` stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// `Chat.init` has not finished.
    Starting,
    /// In use.
    Active,
    /// Its signed-in user was deleted.
    CurrentUserDeleted,
    /// `destroy()` was called.
    Destroyed,
}

/// Who a transfer's reply goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// An operation.
    Op(u64),
    /// A subscribe loop (shard key).
    Poll(u64),
    /// A best-effort `leave`.
    Leave,
}

/// One `Chat`'s logic, sans-IO. `L` is the callback handle (listeners, status listeners,
/// `onProgress`), `T` the handle of a Promise to settle.
pub struct Client<L, T> {
    pub(crate) config: Config,
    pub(crate) backend: Backend,
    pub(crate) number: NumberParser,
    pub(crate) number_writer: NumberWriter,
    pub(crate) subs: Subscriptions<L>,
    pub(crate) state: State,
    pub(crate) current: User,
    status: Vec<(u32, L)>,
    next_status: u32,
    self_held: bool,
    pub(crate) ops: Keyed<Op<T>>,
    pub(crate) next_op: u64,
    pub(crate) bulks: Keyed<Bulk<L, T>>,
    pub(crate) transfers: Transfers<Owner>,
    pub(crate) outputs: VecDeque<(Option<ListenerId>, Output<L, T>)>,
    pub(crate) events: VecDeque<Event>,
    pub(crate) rng: Rng,
    pub(crate) activity_due: Option<f64>,
    pub(crate) now: Now,
    /// Seed reads waiting to go out: (listener, ids, deliver as a resync).
    pub(crate) seed_queue: VecDeque<(ListenerId, Vec<String>, bool)>,
    pub(crate) seeds_in_flight: usize,
    /// Finished operations waiting to be handled (see `op_done`).
    pub(crate) ready: VecDeque<(u64, Result<crate::ops::Done>)>,
    pub(crate) completing: bool,
}

/// Seed reads in flight at once (each covers up to 100 users).
pub(crate) const MAX_SEEDS_IN_FLIGHT: usize = 8;

impl<L: Clone, T> Client<L, T> {
    /// A client for `config`. Embedded configs attach to `hub` (the realm's shared store).
    /// `number` parses number literals of replies and `number_writer` writes numbers into
    /// request bodies (the SDK passes JS's own); `seed` seeds jitter and ids.
    pub fn new(
        config: Config,
        hub: &SharedHub,
        number: NumberParser,
        number_writer: NumberWriter,
        seed: u64,
    ) -> Self {
        let backend = match &config.network {
            Some(net) => Backend::Network(Box::new(Net::new(net.clone()))),
            None => Backend::Embedded {
                hub: hub.clone(),
                member: hub.borrow_mut().join(),
            },
        };
        Client {
            current: User::new(config.user_id.clone()),
            config,
            backend,
            number,
            number_writer,
            subs: Subscriptions::default(),
            state: State::Starting,
            status: Vec::new(),
            next_status: 0,
            self_held: false,
            ops: Keyed::default(),
            next_op: 0,
            bulks: Keyed::default(),
            transfers: Transfers::default(),
            outputs: VecDeque::new(),
            events: VecDeque::new(),
            rng: Rng::new(seed),
            activity_due: None,
            now: Now::default(),
            seed_queue: VecDeque::new(),
            seeds_in_flight: 0,
            ready: VecDeque::new(),
            completing: false,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The signed-in user as last known.
    pub fn current_user(&self) -> &User {
        &self.current
    }

    /// Sets what wakes the driver when another client of the realm writes (embedded).
    pub fn set_waker(&mut self, waker: crate::embedded::Waker) {
        if let Backend::Embedded { hub, member } = &self.backend {
            hub.borrow_mut().set_waker(*member, waker);
        }
    }

    /// Whether this client uses the embedded store.
    pub fn is_embedded(&self) -> bool {
        matches!(self.backend, Backend::Embedded { .. })
    }

    /// Fails when the client can no longer be used.
    pub fn check(&self) -> Result<()> {
        match self.state {
            State::Starting | State::Active => Ok(()),
            State::CurrentUserDeleted => Err(ChatError::CurrentUserDeleted),
            State::Destroyed => Err(ChatError::Destroyed),
        }
    }

    /// Logs `message()` at `level` if the configured level lets it through (the message
    /// is not even built otherwise).
    pub(crate) fn log(&mut self, level: LogLevel, message: impl FnOnce() -> String) {
        if level >= self.config.log_level {
            self.outputs
                .push_back((None, Output::Log(level, message())));
        }
    }

    /// Logs the retry a transfer just scheduled, if any.
    fn log_retry(&mut self) {
        if let Some((what, attempt, delay, error)) = self.transfers.take_retry() {
            self.log(LogLevel::Info, || {
                format!(
                    "{what} failed ({error}); attempt {} in {} ms",
                    attempt + 1,
                    delay as u64
                )
            });
        }
    }

    pub(crate) fn settle(&mut self, token: T, result: Result<Outcome>) {
        self.outputs
            .push_back((None, Output::Settle(token, result)));
    }

    /// Starts an API operation, or settles it at once when the client is unusable.
    fn api(&mut self, job: Job, token: T, now: Now) {
        self.now = now;
        match self.check() {
            Ok(()) => {
                self.start_op(job, Waiter::Api(token));
            }
            Err(e) => self.settle(token, Err(e)),
        }
    }

    // ---- the API ----

    /// `Chat.init`: reads the signed-in user, creating it (name = id) when missing; a
    /// soft-deleted user is refused (`USER_DELETED`). Settles with [`Outcome::Ready`].
    pub fn init(&mut self, token: T, now: Now) {
        self.now = now;
        let id = self.config.user_id.clone();
        self.start_op(Job::exists(&id), Waiter::Init(token));
    }

    /// `getUser(id)`: the user or `None`.
    pub fn get_user(&mut self, id: String, token: T, now: Now) {
        self.api(Job::Get { id }, token, now)
    }

    /// `createUser(id, data)`: rejects with `USER_EXISTS` when the id is taken.
    pub fn create_user(&mut self, id: String, patch: UserPatch, token: T, now: Now) {
        self.api(
            Job::write(id, patch, crate::ops::WriteKind::Create, None),
            token,
            now,
        )
    }

    /// `updateUser(id, data)` / `user.update(data)`: only conditional writes, so an update
    /// never re-creates a deleted user. `etag`, when the caller holds the user, lets the
    /// first try be a single PATCH with `If-Match`; on 412 it reads and retries with
    /// jittered backoff until a deadline, then rejects with `CONFLICT`.
    pub fn update_user(
        &mut self,
        id: String,
        patch: UserPatch,
        etag: Option<String>,
        token: T,
        now: Now,
    ) {
        self.api(
            Job::write(id, patch, crate::ops::WriteKind::Update, etag),
            token,
            now,
        )
    }

    /// `deleteUser(id, { soft })`: hard delete settles with `True` (idempotent); soft
    /// delete sets `status: "deleted"` and settles with the user.
    pub fn delete_user(&mut self, id: String, soft: bool, token: T, now: Now) {
        self.api(Job::delete(id, soft), token, now)
    }

    /// `restoreUser(id)`: clears the `"deleted"` status; a user who is not deleted comes
    /// back unchanged; an unknown id is `USER_NOT_FOUND`.
    pub fn restore_user(&mut self, id: String, token: T, now: Now) {
        let patch = UserPatch::default().with(ferrochat_core::StrField::Status, Patch::Clear);
        self.api(
            Job::write(id, patch, crate::ops::WriteKind::Restore, None),
            token,
            now,
        )
    }

    /// `getUsers(params)`: one page. `filter` is the text `query.filter` was parsed from.
    pub fn get_users(&mut self, query: ListQuery, filter: Option<String>, token: T, now: Now) {
        self.api(
            Job::List {
                query,
                filter,
                form: crate::ops::Form::Batch,
            },
            token,
            now,
        )
    }

    /// The first user (by id) whose `field` (`email`, `externalId`) equals `value`.
    pub fn find_user(&mut self, field: &str, value: &str, token: T, now: Now) {
        self.now = now;
        if value.is_empty() {
            let e = ChatError::invalid(format!("{field} must be a non-empty string"));
            return self.settle(token, Err(e));
        }
        let filter = format!("{field} == {}", ferrochat_core::filter::quote(value));
        match Job::list_where(filter, 1, None, crate::ops::Form::First) {
            Ok(job) => self.api(job, token, now),
            Err(e) => self.settle(token, Err(e)),
        }
    }

    /// `deleteUsers(target, options)`: returns the operation's key (for [`Client::abort`]).
    pub fn delete_users(
        &mut self,
        target: BulkTarget,
        options: BulkOptions<L>,
        token: T,
        now: Now,
    ) -> u64 {
        self.now = now;
        self.next_op += 1;
        let key = self.next_op;
        if let Err(e) = self.check().and_then(|()| options.check()) {
            self.settle(token, Err(e));
            return key;
        }
        let aborted = options.aborted;
        let bulk = Bulk::new(target, options, token, &self.config.user_id, &mut self.rng);
        self.bulks.insert(key, bulk);
        if aborted {
            self.bulk_abort(key);
            self.bulk_finish(key);
        } else {
            self.bulk_start(key);
        }
        key
    }

    /// Stops a bulk operation: nothing new starts, what is in flight finishes, and it
    /// settles with what was done and `aborted: true`. Unknown keys are ignored.
    pub fn abort(&mut self, key: u64, now: Now) {
        self.now = now;
        self.bulk_abort(key);
    }

    /// Adds a listener of `kind` on `users` (one, or a list in order); returns its id.
    pub fn listen(
        &mut self,
        kind: Kind,
        users: &[Snapshot],
        handle: L,
        now: Now,
    ) -> Result<ListenerId> {
        self.now = now;
        self.check()?;
        if users.is_empty() {
            return Err(ChatError::EmptyUserList);
        }
        let (lid, fresh) = match &self.backend {
            Backend::Embedded { hub, .. } => {
                let hub = hub.clone();
                let lookup = move |id: &str| hub.borrow().get(id).cloned();
                self.subs.add(kind, handle, users, Some(&lookup))
            }
            Backend::Network(_) => self.subs.add(kind, handle, users, None),
        };
        for ch in fresh {
            self.backend_subscribe(&ch);
        }
        if self.subs.needs_seed(lid) {
            for chunk in self.subs.ids(lid).chunks(ferrochat_core::page::MAX_LIMIT) {
                self.seed_queue.push_back((lid, chunk.to_vec(), false));
            }
            self.pump_seeds();
        }
        self.update_self_watch();
        Ok(lid)
    }

    /// Removes a listener (calling it twice is harmless).
    pub fn unlisten(&mut self, lid: ListenerId, now: Now) {
        self.now = now;
        for ch in self.subs.remove(lid) {
            self.backend_unsubscribe(&ch);
        }
        self.seed_queue.retain(|(l, _, _)| *l != lid);
        self.update_self_watch();
    }

    /// Whether listener `lid` is still subscribed.
    pub fn is_live(&self, lid: ListenerId) -> bool {
        self.subs.is_live(lid)
    }

    /// Adds a connection status listener; returns its id.
    pub fn add_status_listener(&mut self, handle: L, now: Now) -> Result<u32> {
        self.now = now;
        self.check()?;
        self.next_status = self.next_status.wrapping_add(1);
        self.status.push((self.next_status, handle));
        self.update_self_watch();
        Ok(self.next_status)
    }

    /// Removes a status listener (unknown ids are ignored).
    pub fn remove_status_listener(&mut self, id: u32, now: Now) {
        self.now = now;
        self.status.retain(|(i, _)| *i != id);
        self.update_self_watch();
    }

    /// Ends every subscription, loop and timer; later calls reject with `DESTROYED`.
    /// Idempotent.
    pub fn destroy(&mut self, now: Now) {
        self.now = now;
        if self.state != State::Destroyed {
            self.state = State::Destroyed;
            self.shutdown();
            self.status.clear();
        }
    }

    // ---- I/O ----

    /// Takes the reply to request `id`.
    pub fn handle_reply(&mut self, id: RequestId, reply: Reply, now: Now) {
        self.now = now;
        let jitter = self.rng.unit();
        let done = self
            .transfers
            .reply(id, reply, now.mono, self.number, jitter);
        self.log_retry();
        if let Some((owner, result)) = done {
            self.route(owner, result);
        }
    }

    /// Does what is due at `now`: timeouts, retries, backoffs, pacing, the activity stamp.
    pub fn handle_timeout(&mut self, now: Now) {
        self.now = now;
        let rng = &mut self.rng;
        let expired = self.transfers.expire(now.mono, &mut || rng.unit());
        self.log_retry();
        for (owner, result) in expired {
            self.route(owner, result);
        }
        let due = self
            .ops
            .keys_where(|op| op.wake_at.is_some_and(|t| t <= now.mono));
        for key in due {
            self.op_wake(key);
        }
        if let Backend::Network(net) = &self.backend {
            for shard in net.overdue_resyncs(now.mono) {
                self.resync_shard(shard);
            }
        }
        let bulks: Vec<u64> = self.bulks.keys();
        for key in bulks {
            self.bulk_pump(key);
        }
        if self.activity_due.is_some_and(|t| t <= now.mono) {
            self.activity_due = Some(now.mono + self.config.activity_interval_ms);
            if self.check().is_ok() {
                self.store_activity(Waiter::Activity);
            }
        }
    }

    /// The next request to send. Call until `None` after every input.
    #[inline(never)]
    pub fn poll_transmit(&mut self, now: Now) -> Option<Request> {
        self.now = now;
        self.flush_network();
        let Backend::Network(net) = &self.backend else {
            return None;
        };
        let (id, call) = self.transfers.next_to_send(now.mono)?;
        Some(call.request(
            id,
            &net.config,
            &self.config.user_id,
            now.wall,
            &mut self.rng,
        ))
    }

    /// The next request to abort (it was cancelled or timed out; its reply is ignored).
    pub fn poll_abort(&mut self) -> Option<RequestId> {
        self.transfers.next_abort()
    }

    /// The next callback or settlement. Call until `None`; make each call before taking
    /// the next (a callback may stop a listener whose calls are then dropped).
    #[inline(never)]
    pub fn poll_output(&mut self) -> Option<Output<L, T>> {
        self.take_inbox();
        self.dispatch_events();
        while let Some((lid, out)) = self.outputs.pop_front() {
            if lid.is_none_or(|l| self.subs.is_live(l)) {
                return Some(out);
            }
        }
        None
    }

    /// Whether outputs are waiting (checked after making calls that may have added some).
    pub fn has_output(&self) -> bool {
        !self.outputs.is_empty() || !self.events.is_empty()
    }

    /// When to call [`Client::handle_timeout`] next, if ever.
    pub fn poll_timeout(&self) -> Option<Wakeup> {
        let mut foreground = self.transfers.deadline();
        for t in [
            self.ops.min_of(|op| op.wake_at),
            self.bulks.min_of(|b| b.wake_at()),
            match &self.backend {
                Backend::Network(net) => net.backoff_deadline(),
                Backend::Embedded { .. } => None,
            },
        ]
        .into_iter()
        .flatten()
        {
            foreground = Some(foreground.map_or(t, |f| f.min(t)));
        }
        let at = match (foreground, self.activity_due) {
            (Some(f), Some(a)) => f.min(a),
            (f, a) => f.or(a)?,
        };
        Some(Wakeup {
            at,
            keep_alive: foreground.is_some_and(|f| f <= at),
        })
    }

    /// Whether anything is in progress: requests, operations, subscriptions or timers.
    pub fn is_idle(&self) -> bool {
        self.transfers.is_empty()
            && self.ops.is_empty()
            && self.bulks.is_empty()
            && self.subs.channel_count() == 0
            && self.activity_due.is_none()
            && self.outputs.is_empty()
    }

    /// Whether a Promise is unsettled or an operation is under way (what must keep a
    /// client alive even when nothing else refers to it). Subscriptions do not count.
    pub fn has_pending(&self) -> bool {
        !self.ops.is_empty()
            || !self.bulks.is_empty()
            || !self.outputs.is_empty()
            || self
                .transfers
                .owners()
                .any(|o| !matches!(o, Owner::Poll(_)))
    }

    /// The channels held (subscribed), for tests and diagnostics.
    pub fn channel_count(&self) -> usize {
        self.subs.channel_count()
    }

    // ---- internals ----

    /// A finished transfer goes to its owner.
    fn route(&mut self, owner: Owner, result: Result<crate::request::Response>) {
        match owner {
            Owner::Op(key) => self.op_reply(key, result),
            Owner::Poll(shard) => self.poll_done(shard, result),
            Owner::Leave => {}
        }
    }

    pub(crate) fn backend_subscribe(&mut self, channel: &str) {
        match &mut self.backend {
            Backend::Embedded { hub, member } => hub.borrow_mut().subscribe(*member, channel),
            Backend::Network(net) => net.add_channel(channel, self.now.mono),
        }
    }

    pub(crate) fn backend_unsubscribe(&mut self, channel: &str) {
        match &mut self.backend {
            Backend::Embedded { hub, member } => hub.borrow_mut().unsubscribe(*member, channel),
            Backend::Network(net) => net.remove_channel(channel),
        }
    }

    /// Holds the signed-in user's channel exactly while it is needed: always on the
    /// embedded store (it costs nothing), and over the network only while a listener or a
    /// status listener exists (a held channel is an open connection).
    pub(crate) fn update_self_watch(&mut self) {
        let want = self.state == State::Active
            && (self.is_embedded() || !self.subs.is_empty() || !self.status.is_empty());
        if want == self.self_held {
            return;
        }
        self.self_held = want;
        let me = self.config.user_id.clone();
        if want {
            if self.subs.hold(&me) {
                self.backend_subscribe(&me);
            }
        } else if self.subs.release(&me) {
            self.backend_unsubscribe(&me);
        }
    }

    /// Moves the realm's events for this client into its queue (embedded).
    #[inline(never)]
    fn take_inbox(&mut self) {
        if let Backend::Embedded { hub, member } = &self.backend {
            let events = hub.borrow_mut().take_events(*member);
            self.events.extend(events);
        }
    }

    /// Dispatches queued events to listeners and the session.
    #[inline(never)]
    fn dispatch_events(&mut self) {
        let mut calls = Vec::new();
        while let Some(event) = self.events.pop_front() {
            let gone = self.subs.dispatch(&event, &mut calls);
            self.queue_calls(&mut calls);
            self.release_channels(gone);
            self.watch_self(&event);
        }
        // The seed of a user whose event waits for it is read next.
        for (lid, id) in self.subs.take_waiting() {
            let queued = self
                .seed_queue
                .iter()
                .position(|(l, ids, _)| *l == lid && ids.contains(&id));
            if let Some(chunk) = queued.and_then(|i| self.seed_queue.remove(i)) {
                self.seed_queue.push_front(chunk);
            }
        }
    }

    /// Queues listener calls. A call stays tied to its listener (dropped if a callback
    /// stops the listener before it is made), except the last call of a listener the
    /// event itself finished (`onDeleted`), which is always made.
    pub(crate) fn queue_calls(&mut self, calls: &mut Vec<crate::subscriptions::Call<L>>) {
        for (lid, handle, payload) in calls.drain(..) {
            let tie = self.subs.is_live(lid).then_some(lid);
            self.outputs.push_back((tie, Output::Call(handle, payload)));
        }
    }

    pub(crate) fn release_channels(&mut self, gone: Vec<String>) {
        let any = !gone.is_empty();
        for ch in gone {
            self.backend_unsubscribe(&ch);
        }
        if any {
            self.update_self_watch();
        }
    }

    /// Keeps `currentUser` fresh and ends this client when its own user is deleted.
    #[inline(never)]
    fn watch_self(&mut self, event: &Event) {
        if event.user_id() != self.config.user_id || self.state != State::Active {
            return;
        }
        let soft = match &event.kind {
            EventKind::Set(cs) => {
                cs.merge_into(&mut self.current);
                if !self.current.is_soft_deleted() {
                    return;
                }
                true
            }
            EventKind::Delete { .. } => {
                if stale_delete(&self.current, event.timetoken) {
                    return;
                }
                false
            }
        };
        self.state = State::CurrentUserDeleted;
        self.shutdown();
        let status = Status {
            category: "PNDisconnectedCategory",
            reason: "userDeleted",
            user_id: self.config.user_id.clone(),
            soft,
        };
        for (_, l) in self.status.clone() {
            self.outputs
                .push_back((None, Output::Status(l, status.clone())));
        }
    }

    /// Keeps `currentUser` fresh after this client's own writes.
    pub(crate) fn saw_user(&mut self, user: &User) {
        if user.id == self.config.user_id && user.updated >= self.current.updated {
            self.current = user.clone();
        }
    }

    /// Ends every subscription, loop and timer.
    pub(crate) fn shutdown(&mut self) {
        self.activity_due = None;
        self.self_held = false;
        for ch in self.subs.clear() {
            self.backend_unsubscribe(&ch);
        }
        self.seed_queue.clear();
        self.events.clear();
        let seeds = self
            .ops
            .keys_where(|op| matches!(op.waiter, Waiter::Seed(..) | Waiter::Activity));
        for key in seeds {
            self.drop_op(key);
        }
        self.seeds_in_flight = 0;
        if let Backend::Network(net) = &mut self.backend {
            net.shutdown();
        }
    }

    /// The init sequence's end: the user is known; start watching, and stamping. Says
    /// whether init waits for its first stamp.
    pub(crate) fn started(&mut self, user: User) -> Result<bool> {
        if user.is_soft_deleted() {
            return Err(ChatError::UserDeleted(user.id));
        }
        self.current = user;
        self.state = State::Active;
        self.update_self_watch();
        if self.config.store_activity {
            self.activity_due = Some(self.now.mono + self.config.activity_interval_ms);
        }
        Ok(self.config.store_activity)
    }

    /// Writes `custom.lastActiveTimestamp = now` on the signed-in user (custom is replaced
    /// whole on the wire, so its other keys are carried over).
    pub(crate) fn store_activity(&mut self, waiter: Waiter<T>) {
        let mut custom = self.current.custom.clone().unwrap_or_default();
        custom.insert(LAST_ACTIVE_KEY, Scalar::Num(self.now.wall.floor()));
        let patch = UserPatch {
            custom: Patch::Set(custom),
            ..UserPatch::default()
        };
        let id = self.config.user_id.clone();
        let etag = Some(self.current.etag.clone()).filter(|e| !e.is_empty());
        self.start_op(
            Job::write(id, patch, crate::ops::WriteKind::Update, etag),
            waiter,
        );
    }

    /// Sends the next seed reads, at most [`MAX_SEEDS_IN_FLIGHT`] at once.
    pub(crate) fn pump_seeds(&mut self) {
        while self.seeds_in_flight < MAX_SEEDS_IN_FLIGHT {
            let Some((lid, ids, resync)) = self.seed_queue.pop_front() else {
                return;
            };
            if !self.subs.is_live(lid) {
                continue;
            }
            let mut filter = String::new();
            for id in &ids {
                if !filter.is_empty() {
                    filter.push_str(" || ");
                }
                filter.push_str("id == ");
                filter.push_str(&ferrochat_core::filter::quote(id));
            }
            match Job::list_where(filter, ids.len(), None, crate::ops::Form::Users) {
                Ok(job) => {
                    self.seeds_in_flight += 1;
                    self.start_op(job, Waiter::Seed(lid, ids, resync));
                }
                // Ids come from users the SDK made, so their filter parses; if not, the
                // listener is seeded empty rather than left waiting.
                Err(_) => self.seeded(lid, &ids, &[], resync),
            }
        }
    }

    /// A seed read came back (or failed for good: `users` empty and `ok` false).
    pub(crate) fn seeded(&mut self, lid: ListenerId, ids: &[String], users: &[User], resync: bool) {
        let mut calls = Vec::new();
        let gone = if resync {
            self.subs.resync(lid, ids, users, &mut calls)
        } else {
            self.subs.seed(lid, ids, users, &mut calls)
        };
        self.queue_calls(&mut calls);
        self.release_channels(gone);
    }

    /// Re-reads every user streamed on `channels` and delivers their true state: events
    /// on them may have been lost (a truncated subscribe reply).
    pub(crate) fn resync_channels(&mut self, channels: &[String]) {
        for lid in self.subs.listeners_on(channels) {
            let mut ids = self.subs.ids(lid);
            ids.retain(|id| channels.contains(id));
            for chunk in ids.chunks(ferrochat_core::page::MAX_LIMIT) {
                self.seed_queue.push_back((lid, chunk.to_vec(), true));
            }
        }
        self.pump_seeds();
    }
}

impl<L, T> Drop for Client<L, T> {
    fn drop(&mut self) {
        if let Backend::Embedded { hub, member } = &self.backend {
            if let Ok(mut hub) = hub.try_borrow_mut() {
                hub.leave(*member);
            }
        }
    }
}
