//! The domain: core's `MemoryStore` as the authoritative index, written through to SQLite
//! by the writer thread ([`crate::writer`]), with every change published to the event hub.
//!
//! Reads never wait on a filter: a list request copies the index (one reference count per
//! user) under the read lock and filters and sorts after releasing it. `/time` reads an
//! atomic. Writes go through the writer, which holds the store's write lock from a batch's
//! first change until its events are in the hub.

use crate::cli::Retention;
use crate::db::Db;
use crate::hub::Hub;
use crate::writer::{Done, Handle, Op, Writer};
use ferrochat_core::page::{ListPage, ListQuery};
use ferrochat_core::time::{Clock, TICKS_PER_MS};
use ferrochat_core::{ChatError, MemoryStore, User, UserPatch};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// Why a write failed.
#[derive(Debug)]
pub enum WriteError {
    /// Refused by the core's rules (validation, If-Match, …).
    Rejected(ChatError),
    /// The database commit failed; nothing changed.
    Storage(String),
    /// The writer is gone (the server is stopping).
    Stopped,
}

impl From<ChatError> for WriteError {
    fn from(e: ChatError) -> Self {
        WriteError::Rejected(e)
    }
}

/// A message to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Target channel.
    pub channel: String,
    /// The message, JSON text.
    pub payload: String,
    /// Publisher uuid.
    pub publisher: Option<String>,
    /// `meta`, JSON object text.
    pub meta: Option<String>,
    /// Custom message type.
    pub message_type: Option<String>,
}

/// An `If-Match` condition (RFC 9110 §13.1.1), checked against the stored record under the
/// writer's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `*`: any current record.
    Any,
    /// One of these eTags (strong comparison; weak tags are never listed here).
    Tags(Vec<String>),
}

impl Precondition {
    /// Whether the condition holds for the current record (a missing record never matches).
    pub fn holds(&self, current: Option<&User>) -> bool {
        match (self, current) {
            (_, None) => false,
            (Precondition::Any, Some(_)) => true,
            (Precondition::Tags(tags), Some(user)) => tags.contains(&user.etag),
        }
    }
}

/// What the writer thread and the handlers share.
#[derive(Debug)]
pub struct Domain {
    store: RwLock<MemoryStore>,
    /// The event hub.
    pub hub: Arc<Hub>,
    /// The last timetoken handed out (for `/time` without a lock).
    last_tt: AtomicU64,
}

impl Domain {
    /// The store, for writing.
    pub fn write_store(&self) -> RwLockWriteGuard<'_, MemoryStore> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn read_store(&self) -> RwLockReadGuard<'_, MemoryStore> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records that timetokens up to `tt` were handed out.
    pub fn note_timetoken(&self, tt: u64) {
        self.last_tt.fetch_max(tt, Ordering::Relaxed);
    }
}

/// The server's state.
#[derive(Debug)]
pub struct App {
    domain: Arc<Domain>,
    writer: Handle,
}

/// The wall clock in timetoken ticks (100 ns).
pub fn now_ticks() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos() / 100).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The wall clock in Unix seconds.
pub fn now_secs() -> u64 {
    now_ticks() / (1000 * TICKS_PER_MS)
}

impl App {
    /// Loads the database into memory and the hub, and starts the writer. Timetokens
    /// continue after both the last one persisted and the current time.
    pub fn open(mut db: Db, retention: &Retention) -> Result<App, String> {
        let now = now_ticks();
        let cutoff = now.saturating_sub(retention.max_age.as_secs() * 1000 * TICKS_PER_MS);
        let loaded = db.load(cutoff).map_err(|e| e.to_string())?;
        let old = db.delete_events_before(cutoff).map_err(|e| e.to_string())?;
        // A database that never ran keeps nothing from before now.
        let mark = loaded.dropped_through.unwrap_or(now);
        let hub = Hub::new(retention, mark);
        let mut store =
            MemoryStore::with_clock(Clock::starting_after(loaded.last_timetoken.max(now)));
        let (users, events) = (loaded.users.len(), loaded.events.len());
        for user in loaded.users {
            store.insert(user);
        }
        let mut dropped = hub.push_batch(&loaded.events);
        dropped.extend(hub.prune(now));
        let last = store.clock().last();
        db.commit(&[], &[], &dropped, last, Some(hub.dropped_max()))
            .map_err(|e| e.to_string())?;
        tracing::info!(
            users,
            events,
            dropped = dropped.len() + old,
            skipped = loaded.skipped,
            last_timetoken = loaded.last_timetoken,
            "database loaded"
        );
        let domain = Arc::new(Domain {
            store: RwLock::new(store),
            hub: Arc::new(hub),
            last_tt: AtomicU64::new(last),
        });
        let mark = domain.hub.dropped_max();
        let writer = Writer::new(domain.clone(), db, Vec::new(), mark)
            .spawn()
            .map_err(|e| format!("cannot start the writer thread: {e}"))?;
        Ok(App { domain, writer })
    }

    /// The event hub.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.domain.hub
    }

    /// The user with this id.
    pub fn get_user(&self, id: &str) -> Option<Arc<User>> {
        self.domain.read_store().get_shared(id)
    }

    /// Runs a list query and hands the page to `f`. The store's lock is held only to copy
    /// the index; filtering and sorting run after it is released. Blocking: call it off
    /// the async workers.
    pub fn list_users<R>(
        &self,
        query: &ListQuery,
        f: impl FnOnce(ListPage<Vec<&User>>) -> R,
    ) -> Result<R, ChatError> {
        let users = self.domain.read_store().snapshot();
        query.select(users.iter().map(|u| &**u)).map(f)
    }

    /// A fresh timetoken for a subscribe handshake: later events are all after it.
    /// Blocking (it waits for a batch being committed): call it off the async workers.
    pub fn handshake_token(&self) -> u64 {
        let tt = self.domain.write_store().tick(now_ticks());
        self.domain.note_timetoken(tt);
        tt
    }

    /// The current time as a timetoken (never behind the last one handed out). Lock-free.
    pub fn now_token(&self) -> u64 {
        now_ticks().max(self.domain.last_tt.load(Ordering::Relaxed))
    }

    /// Upserts user `id` (PATCH) if `cond` holds. Returns the user as stored; an event is
    /// published when something changed. Resolves once the change is committed.
    pub async fn set_user(
        &self,
        id: String,
        patch: UserPatch,
        cond: Option<Precondition>,
    ) -> Result<Arc<User>, WriteError> {
        match self.writer.submit(Op::Set { id, patch, cond }).await? {
            Done::User(user) => Ok(user),
            _ => Err(WriteError::Stopped),
        }
    }

    /// Hard-deletes user `id` if `cond` holds; `Ok(false)` when there was no such user
    /// (idempotent).
    pub async fn remove_user(
        &self,
        id: String,
        cond: Option<Precondition>,
    ) -> Result<bool, WriteError> {
        match self.writer.submit(Op::Remove { id, cond }).await? {
            Done::Removed(removed) => Ok(removed),
            _ => Err(WriteError::Stopped),
        }
    }

    /// Publishes a message; returns its timetoken once it is committed.
    pub async fn publish(&self, message: Message) -> Result<u64, WriteError> {
        match self.writer.submit(Op::Publish(message)).await? {
            Done::Published(tt) => Ok(tt),
            _ => Err(WriteError::Stopped),
        }
    }

    /// Drops expired events from memory and disk.
    pub async fn prune(&self) {
        if let Err(e) = self.writer.submit(Op::Prune).await {
            tracing::warn!(error = ?e, "pruning events failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrochat_core::model::StrField;
    use ferrochat_core::Patch;

    fn named(name: &str) -> UserPatch {
        UserPatch::default().with(StrField::Name, Patch::Set(name.into()))
    }

    #[tokio::test]
    async fn a_failed_commit_is_undone_in_memory() {
        let dir = std::env::temp_dir().join(format!("ferrochat-app-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("a.db");
        let _ = std::fs::remove_file(&path);
        let app = App::open(Db::open(Some(&path)).unwrap(), &Retention::default()).unwrap();
        let set = |id: &str, name: &str, cond: Option<Precondition>| {
            app.set_user(id.into(), named(name), cond)
        };
        let ann = set("ann", "Ann", None).await.unwrap();
        set("bob", "Bob", None).await.unwrap();
        let tt_before = app.now_token();
        // Break the database behind the server's back: every write now fails.
        let other = rusqlite::Connection::open(&path).unwrap();
        other.execute_batch("DROP TABLE events;").unwrap();
        assert!(matches!(
            set("ann", "Changed", None).await,
            Err(WriteError::Storage(_))
        ));
        assert_eq!(app.get_user("ann"), Some(ann.clone()), "update undone");
        assert!(matches!(
            set("carl", "Carl", None).await,
            Err(WriteError::Storage(_))
        ));
        assert_eq!(app.get_user("carl"), None, "create undone");
        assert!(matches!(
            app.remove_user("bob".into(), None).await,
            Err(WriteError::Storage(_))
        ));
        assert!(app.get_user("bob").is_some(), "delete undone");
        assert!(app
            .publish(Message {
                channel: "c".into(),
                payload: "1".into(),
                publisher: None,
                meta: None,
                message_type: None,
            })
            .await
            .is_err());
        let chans = ["ann".into(), "carl".into(), "bob".into(), "c".into()];
        assert!(
            app.hub().since(&chans, tt_before).events.is_empty(),
            "no event for failed writes"
        );
        // Core refusals and preconditions are not storage errors, and a no-op is fine.
        for cond in [
            Some(Precondition::Tags(vec!["stale".into()])),
            Some(Precondition::Tags(vec![])),
        ] {
            assert!(matches!(
                set("ann", "X", cond).await,
                Err(WriteError::Rejected(ChatError::PreconditionFailed))
            ));
        }
        assert_eq!(
            set("ann", "Ann", Some(Precondition::Any)).await.unwrap(),
            ann
        );
        assert!(matches!(
            app.remove_user("nobody".into(), Some(Precondition::Any))
                .await,
            Err(WriteError::Rejected(ChatError::PreconditionFailed))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn preconditions() {
        let mut u = User::new("u");
        u.etag = "abc".into();
        assert!(Precondition::Any.holds(Some(&u)));
        assert!(!Precondition::Any.holds(None));
        assert!(Precondition::Tags(vec!["x".into(), "abc".into()]).holds(Some(&u)));
        assert!(!Precondition::Tags(vec!["x".into()]).holds(Some(&u)));
        assert!(!Precondition::Tags(vec!["abc".into()]).holds(None));
    }
}
