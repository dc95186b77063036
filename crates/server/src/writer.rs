//! The writer: one thread that owns the database and applies every write, in batches
//! (group commit).
//!
//! Handlers send writes over a bounded channel and wait for the answer. The writer takes
//! whatever is queued (up to [`MAX_BATCH`]), applies it to the store under one write lock,
//! commits it to SQLite in ONE transaction, and only then pushes the events to the hub and
//! answers: each write is acknowledged after the transaction that holds it commits, so
//! `kill -9` loses no acknowledged write, and concurrent writes share the cost of a
//! transaction. If the commit fails, every change of the batch is undone in memory and
//! the writes that changed something get a storage error.
//!
//! The store lock is held from the first change to the push, so a reader never sees a
//! change that is not committed, and a subscribe handshake (which ticks the clock under the
//! same lock) is never between an event's timetoken and its delivery.

use crate::app::{now_ticks, Domain, Message, Precondition, WriteError};
use crate::db::{Db, UserWrite};
use crate::hub::{EventType, Hub, StoredEvent};
use ferrochat_core::store::SetOutcome;
use ferrochat_core::{ChatError, MemoryStore, SetMode, User, UserPatch};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most writes committed in one transaction.
pub const MAX_BATCH: usize = 256;
/// Writes queued at most before senders wait.
pub const QUEUE: usize = 4096;

/// A write.
#[derive(Debug)]
pub enum Op {
    /// Upsert a user (PATCH), if the precondition holds.
    Set {
        /// The user id.
        id: String,
        /// The changes.
        patch: UserPatch,
        /// `If-Match`.
        cond: Option<Precondition>,
    },
    /// Hard-delete a user, if the precondition holds.
    Remove {
        /// The user id.
        id: String,
        /// `If-Match`.
        cond: Option<Precondition>,
    },
    /// Publish a message.
    Publish(Message),
    /// Drop expired events (memory and disk).
    Prune,
}

/// What a write did.
#[derive(Debug)]
pub enum Done {
    /// The user as stored after a set.
    User(Arc<User>),
    /// Whether a remove deleted someone.
    Removed(bool),
    /// The timetoken of a published message.
    Published(u64),
    /// Pruning ran.
    Pruned,
}

type Reply = oneshot::Sender<Result<Done, WriteError>>;

/// The handlers' end of the writer.
#[derive(Debug, Clone)]
pub struct Handle {
    tx: mpsc::Sender<(Op, Reply)>,
    hub: Arc<Hub>,
}

impl Handle {
    /// Queues a write and waits until it is committed (or refused).
    pub async fn submit(&self, op: Op) -> Result<Done, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.hub.write_queued();
        if self.tx.send((op, reply)).await.is_err() {
            self.hub.writes_settled(1);
            return Err(WriteError::Stopped);
        }
        answer.await.map_err(|_| WriteError::Stopped)?
    }
}

/// The writer's state.
pub struct Writer {
    domain: Arc<Domain>,
    db: Db,
    /// Events the hub dropped that are still on disk.
    dropped: Vec<u64>,
    /// The dropped-through mark last written to disk.
    persisted_mark: u64,
}

/// A change to put on disk.
enum Staged {
    Put(Arc<User>),
    Delete(String),
}

/// What a batch changed: disk writes, events, and how to undo each change in memory.
#[derive(Default)]
struct Stage {
    writes: Vec<Staged>,
    events: Vec<StoredEvent>,
    undo: Vec<(String, Option<Arc<User>>)>,
}

impl Writer {
    /// A writer over `db`, with events to delete from it and the mark it holds.
    pub fn new(domain: Arc<Domain>, db: Db, dropped: Vec<u64>, persisted_mark: u64) -> Self {
        Writer {
            domain,
            db,
            dropped,
            persisted_mark,
        }
    }

    /// Starts the writer thread; it stops when every [`Handle`] is gone.
    pub fn spawn(self) -> std::io::Result<Handle> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let hub = self.domain.hub.clone();
        std::thread::Builder::new()
            .name("ferrochat-writer".into())
            .spawn(move || self.run(rx))?;
        Ok(Handle { tx, hub })
    }

    fn run(mut self, mut rx: mpsc::Receiver<(Op, Reply)>) {
        let mut jobs = Vec::with_capacity(MAX_BATCH);
        while let Some(first) = rx.blocking_recv() {
            jobs.push(first);
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            self.batch(&mut jobs);
        }
    }

    /// Applies, commits and answers `jobs` (emptied).
    fn batch(&mut self, jobs: &mut Vec<(Op, Reply)>) {
        let now = now_ticks();
        let domain = self.domain.clone();
        let mut store = domain.write_store();
        let mut results = Vec::with_capacity(jobs.len());
        let mut replies = Vec::with_capacity(jobs.len());
        let mut stage = Stage::default();
        let mut pending = Vec::new();
        let mut prune = false;
        for (op, reply) in jobs.drain(..) {
            replies.push(reply);
            let changed_before = stage.events.len();
            let result = match op {
                Op::Set { id, patch, cond } => stage.set(&mut store, id, &patch, cond, now),
                Op::Remove { id, cond } => stage.remove(&mut store, id, cond, now),
                Op::Publish(message) => {
                    let timetoken = store.tick(now);
                    stage.events.push(StoredEvent {
                        timetoken,
                        channel: message.channel,
                        kind: EventType::Message,
                        payload: message.payload,
                        publisher: message.publisher,
                        meta: message.meta,
                        message_type: message.message_type,
                    });
                    Ok(Done::Published(timetoken))
                }
                Op::Prune => {
                    prune = true;
                    Ok(Done::Pruned)
                }
            };
            if stage.events.len() > changed_before {
                pending.push(results.len());
            }
            results.push(result);
        }
        if prune {
            let dropped = domain.hub.prune(now);
            self.dropped.extend(dropped);
        }
        domain.hub.writes_settled(replies.len());
        let mark = domain.hub.dropped_max();
        let Stage {
            writes,
            events,
            undo,
        } = stage;
        if !events.is_empty() || !self.dropped.is_empty() || mark > self.persisted_mark {
            let writes: Vec<UserWrite<'_>> = writes
                .iter()
                .map(|s| match s {
                    Staged::Put(user) => UserWrite::Put(user),
                    Staged::Delete(id) => UserWrite::Delete(id),
                })
                .collect();
            let last = store.clock().last();
            let new_mark = (mark > self.persisted_mark).then_some(mark);
            match self
                .db
                .commit(&writes, &events, &self.dropped, last, new_mark)
            {
                Ok(()) => {
                    self.dropped.clear();
                    self.persisted_mark = mark;
                    let dropped = domain.hub.push_batch(&events);
                    self.dropped.extend(dropped);
                    domain.note_timetoken(last);
                }
                Err(e) => {
                    tracing::error!(error = %e, writes = pending.len(), "database commit failed; the batch was undone");
                    for (id, before) in undo.into_iter().rev() {
                        match before {
                            Some(user) => store.insert_shared(user),
                            None => {
                                let _ = store.remove(&id, now);
                            }
                        }
                    }
                    for i in pending {
                        if let Some(r) = results.get_mut(i) {
                            *r = Err(WriteError::Storage(e.to_string()));
                        }
                    }
                }
            }
        }
        drop(store);
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}

/// The current record of `id` (to undo a change with), if `cond` holds for it.
fn checked(
    store: &MemoryStore,
    id: &str,
    cond: Option<Precondition>,
) -> Result<Option<Arc<User>>, WriteError> {
    let before = store.get_shared(id);
    if cond.is_some_and(|c| !c.holds(before.as_deref())) {
        return Err(WriteError::Rejected(ChatError::PreconditionFailed));
    }
    Ok(before)
}

impl Stage {
    /// Applies a set; stages what to write and how to undo it.
    fn set(
        &mut self,
        store: &mut MemoryStore,
        id: String,
        patch: &UserPatch,
        cond: Option<Precondition>,
        now: u64,
    ) -> Result<Done, WriteError> {
        let before = checked(store, &id, cond)?;
        let SetOutcome { user, event } = store.set(&id, patch, SetMode::Upsert, None, now)?;
        // The stored record (shared), not another copy of it.
        let stored = store.get_shared(&id).unwrap_or_else(|| Arc::new(user));
        if let Some(event) = event {
            self.events.push(StoredEvent::from_object_event(&event));
            self.writes.push(Staged::Put(stored.clone()));
            self.undo.push((id, before));
        }
        Ok(Done::User(stored))
    }

    /// Applies a remove; stages what to write and how to undo it.
    fn remove(
        &mut self,
        store: &mut MemoryStore,
        id: String,
        cond: Option<Precondition>,
        now: u64,
    ) -> Result<Done, WriteError> {
        let before = checked(store, &id, cond)?;
        let Some(event) = store.remove(&id, now)? else {
            return Ok(Done::Removed(false));
        };
        self.events.push(StoredEvent::from_object_event(&event));
        self.writes.push(Staged::Delete(id.clone()));
        self.undo.push((id, before));
        Ok(Done::Removed(true))
    }
}
