//! Operations: what one API call (or an internal read or write) does, step by step, on
//! either backend. On the embedded store a step completes at once; over the network it
//! is a request whose reply comes back through [`Client::op_reply`]. Completions are
//! queued and handled in a loop (never recursively), so a long chain of them (a bulk
//! delete on the embedded store) needs no stack.
//!
//! The conditional-write policy lives here: an update reads the user (or starts from the
//! eTag its caller holds), writes only with `If-Match` on that version, and on 412 reads
//! again after a jittered, growing wait, until [`CONFLICT_DEADLINE_MS`]: then `CONFLICT`.
//! An unconditional PATCH is an upsert, so an update never sends one: it could re-create a
//! user deleted meanwhile.

use crate::batch::UserBatch;
use crate::bulk::BulkStep;
use crate::client::{Backend, Client, Outcome, Owner};
use crate::request::{Call, Method, Response};
use crate::subscribe::Net;
use crate::subscriptions::ListenerId;
use ferrochat_core::decode;
use ferrochat_core::json::write_patch;
use ferrochat_core::page::ListPage;
use ferrochat_core::patch::{Patch, UserPatch};
use ferrochat_core::store::SetMode;
use ferrochat_core::wire::{uuid_path, uuids_path};
use ferrochat_core::{
    ChatError, Filter, ListQuery, Result, SortKey, StrField, User, DELETED_STATUS,
};

/// `include` for user reads and writes.
pub const INCLUDE: &str = "status,type,custom";
/// How long an update keeps retrying after 412s before it rejects with `CONFLICT` (ms).
pub const CONFLICT_DEADLINE_MS: f64 = 10_000.0;
/// Wait before a failed seed read is tried again (ms).
const SEED_RETRY_MS: f64 = 2_000.0;

/// What a list operation resolves with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// The page, in the form JS builds `User`s from (`getUsers`).
    Batch,
    /// The page's users (internal reads).
    Users,
    /// The first user or none.
    First,
}

/// The kind of write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteKind {
    /// The id must not exist.
    Create,
    /// The id must exist; conditional writes only.
    Update,
    /// `Update` of `status: null`, only for a soft-deleted user.
    Restore,
    /// Create or update (the signed-in user's record at init).
    Upsert,
}

/// Where a network write stands.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stage {
    /// Asked whether the id exists (create).
    Check,
    /// Reading the current version.
    Read,
    /// Writing, on that version (`If-Match`) or unconditionally.
    Put(Option<String>),
    /// Waiting after a 412 before reading again.
    Backoff,
}

/// A write in progress.
#[derive(Debug, Clone)]
pub(crate) struct Write {
    pub id: String,
    pub patch: UserPatch,
    pub kind: WriteKind,
    pub stage: Stage,
    /// eTag of the caller's copy (first try only).
    pub hint: Option<String>,
    /// 412s so far.
    pub conflicts: u32,
    /// When 412s stop being retried (monotonic ms; set at the start).
    pub deadline: f64,
}

/// One operation.
#[derive(Debug, Clone)]
pub(crate) enum Job {
    Get {
        id: String,
    },
    Write(Box<Write>),
    Remove {
        id: String,
    },
    List {
        query: ListQuery,
        filter: Option<String>,
        form: Form,
    },
}

impl Job {
    pub fn write(id: String, patch: UserPatch, kind: WriteKind, hint: Option<String>) -> Job {
        Job::Write(Box::new(Write {
            id,
            patch,
            kind,
            stage: Stage::Read,
            hint,
            conflicts: 0,
            deadline: 0.0,
        }))
    }

    /// Hard (`Remove`) or soft (an update to `status: "deleted"`) delete.
    pub fn delete(id: String, soft: bool) -> Job {
        if soft {
            let patch =
                UserPatch::default().with(StrField::Status, Patch::Set(DELETED_STATUS.into()));
            Job::write(id, patch, WriteKind::Update, None)
        } else {
            Job::Remove { id }
        }
    }

    /// One page (sorted by id) of the users matching `filter`: parsed here, so a bad
    /// filter fails alike on both backends, and sent as text over the wire.
    pub fn list_where(
        filter: String,
        limit: usize,
        start: Option<String>,
        form: Form,
    ) -> Result<Job> {
        let query = ListQuery {
            filter: Some(Filter::parse(&filter)?),
            sort: SortKey::parse_all(["id:asc"])?,
            limit,
            start,
            ..ListQuery::default()
        };
        Ok(Job::List {
            query,
            filter: Some(filter),
            form,
        })
    }

    /// Whether user `id` exists, as `First`: a filtered list answers 200 either way (no
    /// 404 a browser would log for a missing user).
    pub fn exists(id: &str) -> Job {
        let filter = format!("id == {}", ferrochat_core::filter::quote(id));
        Job::list_where(filter, 1, None, Form::First).unwrap_or(Job::Get { id: id.to_string() })
    }
}

/// Who waits for an operation.
#[derive(Debug)]
pub(crate) enum Waiter<T> {
    /// A Promise of the API.
    Api(T),
    /// `Chat.init`'s steps (then its Promise).
    Init(T),
    /// `Chat.init`'s first activity stamp (then its Promise).
    InitStamp(T),
    /// A listener's seed (or resync: `true`) read of these ids.
    Seed(ListenerId, Vec<String>, bool),
    /// The activity stamp.
    Activity,
    /// A step of a bulk operation.
    Bulk(u64, BulkStep),
}

/// An operation and who waits for it.
#[derive(Debug)]
pub(crate) struct Op<T> {
    pub job: Job,
    pub waiter: Waiter<T>,
    /// Its request in progress.
    pub transfer: Option<u64>,
    /// When it must be woken (backoff).
    pub wake_at: Option<f64>,
}

/// What an operation produced.
#[derive(Debug)]
pub(crate) enum Done {
    User(User),
    MaybeUser(Option<User>),
    True,
    Page(ListPage<UserBatch>),
    Users(ListPage),
}

fn user_call(net: &Net, method: Method, id: &str) -> Call {
    let query = if method == Method::Delete {
        Vec::new()
    } else {
        vec![("include", INCLUDE.to_string())]
    };
    Call {
        method,
        timeout_ms: net.config.request_timeout_ms,
        ..Call::get(uuid_path(&net.config.subscribe_key, id), query)
    }
}

fn list_call(net: &Net, q: &ListQuery, filter: Option<&str>) -> Call {
    let mut query: Vec<(&'static str, String)> = vec![
        ("include", INCLUDE.into()),
        ("count", "true".into()),
        ("limit", q.limit.to_string()),
    ];
    if let Some(f) = filter {
        query.push(("filter", f.to_string()));
    }
    query.extend(q.sort.iter().map(|k| ("sort", k.to_wire())));
    if let Some(s) = &q.start {
        query.push(("start", s.clone()));
    } else if let Some(e) = &q.end {
        query.push(("end", e.clone()));
    }
    Call {
        timeout_ms: net.config.request_timeout_ms,
        ..Call::get(uuids_path(&net.config.subscribe_key), query)
    }
}

/// The wait after the `n`th 412: 5 ms × 2ⁿ (at most 1 s), scaled by `jitter` in [0.5, 1.5).
pub fn conflict_backoff(n: u32, jitter: f64) -> f64 {
    (5.0 * f64::from(1u32 << n.min(8))).min(1_000.0) * (0.5 + jitter)
}

impl<L: Clone, T> Client<L, T> {
    /// Starts an operation; returns its key.
    pub(crate) fn start_op(&mut self, mut job: Job, waiter: Waiter<T>) -> u64 {
        self.next_op += 1;
        let key = self.next_op;
        let mut invalid = None;
        if let Job::Write(w) = &mut job {
            // What the patch sets must be valid on its own, on either backend and before
            // any request: the record it makes on no base holds only the patch's values
            // (a user's own fields only add to it), so this refuses nothing valid.
            invalid = w.patch.apply(&w.id, None).err();
            w.deadline = self.now.mono + CONFLICT_DEADLINE_MS;
            w.stage = match (w.kind, &w.hint) {
                (WriteKind::Create, _) => Stage::Check,
                (WriteKind::Update, Some(tag)) => Stage::Put(Some(tag.clone())),
                (WriteKind::Upsert, _) => Stage::Put(None),
                _ => Stage::Read,
            };
        }
        self.ops.insert(
            key,
            Op {
                job,
                waiter,
                transfer: None,
                wake_at: None,
            },
        );
        match invalid {
            Some(e) => self.op_done(key, Err(e)),
            None => self.op_step(key),
        }
        key
    }

    /// Cancels an operation without settling anything.
    pub(crate) fn drop_op(&mut self, key: u64) {
        if let Some(op) = self.ops.remove(key) {
            if let Some(t) = op.transfer {
                self.transfers.cancel(t);
            }
        }
    }

    /// Wakes an operation whose backoff is over.
    pub(crate) fn op_wake(&mut self, key: u64) {
        let Some(op) = self.ops.get_mut(key) else {
            return;
        };
        op.wake_at = None;
        if let Job::Write(w) = &mut op.job {
            if w.stage == Stage::Backoff {
                w.stage = Stage::Read;
            }
        }
        self.op_step(key);
    }

    /// Runs the operation's current step.
    fn op_step(&mut self, key: u64) {
        let result = match &self.backend {
            Backend::Embedded { .. } => Some(self.embedded_step(key)),
            Backend::Network(_) => self.network_step(key),
        };
        if let Some(result) = result {
            self.op_done(key, result);
        }
    }

    /// The whole operation on the embedded store (its writes are atomic: no conditions).
    fn embedded_step(&mut self, key: u64) -> Result<Done> {
        let (Some(op), Backend::Embedded { hub, .. }) = (self.ops.get(key), &self.backend) else {
            return Err(ChatError::Destroyed);
        };
        let wall = self.now.wall;
        let (done, wakers) = {
            let mut hub = hub.borrow_mut();
            match &op.job {
                Job::Get { id } => (Done::MaybeUser(hub.get(id).cloned()), Vec::new()),
                Job::Remove { id } => {
                    let (_, wakers) = hub.remove(id, wall)?;
                    (Done::True, wakers)
                }
                Job::List { query, form, .. } => (
                    match form {
                        Form::Batch => Done::Page(hub.select(query)?.map(UserBatch::of)),
                        Form::Users => Done::Users(hub.list(query)?),
                        Form::First => Done::MaybeUser(hub.list(query)?.users.into_iter().next()),
                    },
                    Vec::new(),
                ),
                Job::Write(w) => {
                    let mode = match w.kind {
                        WriteKind::Create => SetMode::Create,
                        WriteKind::Update => SetMode::Update,
                        WriteKind::Upsert => SetMode::Upsert,
                        WriteKind::Restore => {
                            let base = hub.get(&w.id).ok_or(ChatError::UserNotFound)?;
                            if !base.is_soft_deleted() {
                                return Ok(Done::User(base.clone()));
                            }
                            SetMode::Update
                        }
                    };
                    let (user, wakers) = hub.set(&w.id, &w.patch, mode, wall)?;
                    (Done::User(user), wakers)
                }
            }
        };
        for wake in wakers {
            wake();
        }
        Ok(done)
    }

    /// Sends the operation's next request, or returns its result when the step needs none.
    fn network_step(&mut self, key: u64) -> Option<Result<Done>> {
        let (Some(op), Backend::Network(net)) = (self.ops.get_mut(key), &self.backend) else {
            return Some(Err(ChatError::Destroyed));
        };
        let call = match &mut op.job {
            Job::Get { id } => user_call(net, Method::Get, id),
            Job::Remove { id } => user_call(net, Method::Delete, id),
            Job::List { query, filter, .. } => list_call(net, query, filter.as_deref()),
            Job::Write(w) => match &w.stage {
                Stage::Check => {
                    let filter = format!("id == {}", ferrochat_core::filter::quote(&w.id));
                    let q = ListQuery {
                        limit: 1,
                        ..ListQuery::default()
                    };
                    list_call(net, &q, Some(&filter))
                }
                Stage::Read => user_call(net, Method::Get, &w.id),
                Stage::Put(tag) => Call {
                    body: Some(write_patch(&w.patch, self.number_writer)),
                    if_match: tag.clone(),
                    ..user_call(net, Method::Patch, &w.id)
                },
                Stage::Backoff => return None,
            },
        };
        let transfer = self.transfers.start(call, Owner::Op(key));
        op.transfer = Some(transfer);
        None
    }

    /// Takes the reply of an operation's request.
    pub(crate) fn op_reply(&mut self, key: u64, result: Result<Response>) {
        let number = self.number;
        let jitter = self.rng.unit();
        let now = self.now.mono;
        let Some(op) = self.ops.get_mut(key) else {
            return;
        };
        op.transfer = None;
        let outcome: Option<Result<Done>> = (|| {
            let r = result?;
            let ok = r.status == 200 || r.status == 204;
            Ok(match &mut op.job {
                Job::Get { .. } => Some(match r.status {
                    200 => Done::MaybeUser(Some(decode::user_reply(r.text()?, number)?)),
                    404 => Done::MaybeUser(None),
                    _ => return Err(r.error(number)),
                }),
                // Deleting nothing is not an error (idempotent).
                Job::Remove { .. } if ok || r.status == 404 => Some(Done::True),
                Job::Remove { .. } => return Err(r.error(number)),
                Job::List { .. } if r.status != 200 => return Err(r.error(number)),
                Job::List { form, .. } => Some(decode_list(*form, r.text()?, number)?),
                Job::Write(w) => write_reply(w, &r, number, now, jitter, &mut op.wake_at)?,
            })
        })()
        .transpose();
        match outcome {
            Some(result) => self.op_done(key, result),
            None => self.op_step(key),
        }
    }

    /// An operation finished. Completions are handled in a loop here, not recursively: a
    /// completion that starts and finishes another (all of a bulk delete, on the embedded
    /// store) only queues it.
    fn op_done(&mut self, key: u64, result: Result<Done>) {
        self.ready.push_back((key, result));
        if std::mem::replace(&mut self.completing, true) {
            return;
        }
        while let Some((key, result)) = self.ready.pop_front() {
            self.op_finish(key, result);
        }
        self.completing = false;
    }

    /// Its waiter gets an operation's result.
    fn op_finish(&mut self, key: u64, result: Result<Done>) {
        let Some(op) = self.ops.remove(key) else {
            return;
        };
        if let Ok(Done::User(u)) = &result {
            self.saw_user(u);
        }
        match op.waiter {
            Waiter::Api(token) => {
                let outcome = result.map(|done| match done {
                    Done::User(u) => Outcome::User(u),
                    Done::MaybeUser(u) => Outcome::MaybeUser(u),
                    Done::True => Outcome::True,
                    Done::Page(p) => Outcome::Page(p),
                    Done::Users(p) => Outcome::Page(p.map(|users| UserBatch::of(&users))),
                });
                self.settle(token, outcome);
            }
            Waiter::Init(token) => self.init_step(token, result),
            Waiter::InitStamp(token) => self.init_done(token, result.map(|_| false)),
            Waiter::Activity => {}
            Waiter::Seed(lid, ids, resync) => match result {
                Ok(Done::Users(page)) => {
                    self.seeds_in_flight = self.seeds_in_flight.saturating_sub(1);
                    self.seeded(lid, &ids, &page.users, resync);
                    self.pump_seeds();
                }
                // Tried again later while the listener lives (its requests were retried
                // already: the network is down or the server refuses).
                _ if self.subs.is_live(lid) => {
                    let retry = Op {
                        job: op.job,
                        waiter: Waiter::Seed(lid, ids, resync),
                        transfer: None,
                        wake_at: Some(self.now.mono + SEED_RETRY_MS),
                    };
                    self.ops.insert(key, retry);
                }
                _ => {
                    self.seeds_in_flight = self.seeds_in_flight.saturating_sub(1);
                    self.pump_seeds();
                }
            },
            Waiter::Bulk(bulk, step) => self.bulk_step_done(bulk, step, result),
        }
    }

    /// `Chat.init`: the existence check, then (for a new user) the upsert that creates it.
    fn init_step(&mut self, token: T, result: Result<Done>) {
        let result = match result {
            Ok(Done::MaybeUser(None)) => {
                let id = self.config.user_id.clone();
                let name = UserPatch::default().with(StrField::Name, Patch::Set(id.clone()));
                self.start_op(
                    Job::write(id, name, WriteKind::Upsert, None),
                    Waiter::Init(token),
                );
                return;
            }
            Ok(Done::MaybeUser(Some(u)) | Done::User(u)) => self.started(u),
            Ok(_) => Err(ChatError::MalformedResponse(
                "unexpected reply to Chat.init".into(),
            )),
            Err(e) => Err(e),
        };
        self.init_done(token, result);
    }

    /// `Chat.init` settles, or first writes its activity stamp (`Ok(true)`). A failed
    /// init leaves nothing running.
    fn init_done(&mut self, token: T, result: Result<bool>) {
        match result {
            Ok(true) => self.store_activity(Waiter::InitStamp(token)),
            Ok(false) => self.settle(token, Ok(Outcome::Ready)),
            Err(e) => {
                self.shutdown();
                self.state = crate::client::State::Destroyed;
                self.settle(token, Err(e));
            }
        }
    }
}

/// A list reply in the form asked for.
fn decode_list(form: Form, text: &str, number: ferrochat_core::json::NumberParser) -> Result<Done> {
    Ok(match form {
        Form::Batch => {
            let mut batch = UserBatch::with_capacity(100);
            let page = decode::page_with(text, number, &mut |u| batch.push_ref(u))?;
            Done::Page(page.map(|_| batch))
        }
        Form::Users => Done::Users(decode::page(text, number)?),
        Form::First => Done::MaybeUser(decode::page(text, number)?.users.into_iter().next()),
    })
}

/// The next step of a network write after a reply: `Some(done)` when finished, `None`
/// when its stage moved on (the caller runs it).
fn write_reply(
    w: &mut Write,
    r: &Response,
    number: ferrochat_core::json::NumberParser,
    now: f64,
    jitter: f64,
    wake_at: &mut Option<f64>,
) -> Result<Option<Done>> {
    match (&w.stage, r.status) {
        (Stage::Check, 200) => {
            if !decode::page(r.text()?, number)?.users.is_empty() {
                return Err(ChatError::UserExists);
            }
            w.stage = Stage::Put(None);
            Ok(None)
        }
        (Stage::Read, 200) => {
            let base = decode::user_reply(r.text()?, number)?;
            if w.kind == WriteKind::Restore && !base.is_soft_deleted() {
                return Ok(Some(Done::User(base)));
            }
            if w.patch.apply(&w.id, Some(&base))?.is_none() {
                return Ok(Some(Done::User(base)));
            }
            w.stage = Stage::Put(Some(base.etag));
            Ok(None)
        }
        (Stage::Read, 404) => Err(ChatError::UserNotFound),
        (Stage::Put(_), 200) => Ok(Some(Done::User(decode::user_reply(r.text()?, number)?))),
        (Stage::Put(Some(_)), 412) => {
            w.conflicts += 1;
            if now >= w.deadline {
                return Err(ChatError::Conflict);
            }
            // The caller's copy was stale (or the user is gone): read, then retry.
            if w.conflicts == 1 && w.hint.take().is_some() {
                w.stage = Stage::Read;
                return Ok(None);
            }
            w.stage = Stage::Backoff;
            *wake_at = Some(now + conflict_backoff(w.conflicts, jitter));
            Ok(None)
        }
        (Stage::Put(Some(_)), 404) => Err(ChatError::UserNotFound),
        _ => Err(r.error(number)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_backoff_grows_and_is_capped() {
        assert_eq!(conflict_backoff(0, 0.5), 5.0);
        assert_eq!(conflict_backoff(3, 0.5), 40.0);
        assert_eq!(conflict_backoff(20, 0.5), 1000.0);
        assert!(conflict_backoff(20, 0.99) < 1500.0);
    }
}
