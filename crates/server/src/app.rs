//! The domain: core's `MemoryStore` as the authoritative index, written through to SQLite,
//! with every change published to the event hub.
//!
//! Lock order: `db` (serialises writers) → `store` → the hub's own lock. A write applies
//! to the store, commits to SQLite, and only then is visible to subscribers; if the commit
//! fails, the in-memory change is undone and the caller gets a storage error.

use crate::db::Db;
use crate::hub::{EventType, Hub, StoredEvent};
use ferrochat_core::page::{ListPage, ListQuery};
use ferrochat_core::time::{Clock, TICKS_PER_MS};
use ferrochat_core::{ChatError, MemoryStore, SetMode, User, UserPatch};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// Why a write failed.
#[derive(Debug)]
pub enum WriteError {
    /// Refused by the core's rules (validation, If-Match, …).
    Rejected(ChatError),
    /// The database write failed; nothing changed.
    Storage(rusqlite::Error),
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

/// The server's state.
#[derive(Debug)]
pub struct App {
    db: Mutex<Db>,
    store: RwLock<MemoryStore>,
    hub: Hub,
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
    /// Loads the database into memory and the hub. Timetokens continue after both the last
    /// one persisted and the current time.
    pub fn open(db: Db) -> rusqlite::Result<App> {
        let now = now_ticks();
        let loaded = db.load(now)?;
        let hub = Hub::new();
        let mut store =
            MemoryStore::with_clock(Clock::starting_after(loaded.last_timetoken.max(now)));
        let (users, events) = (loaded.users.len(), loaded.events.len());
        for user in loaded.users {
            store.insert(user);
        }
        for event in loaded.events {
            hub.push(event);
        }
        hub.prune(now);
        tracing::info!(
            users,
            events,
            skipped = loaded.skipped,
            last_timetoken = loaded.last_timetoken,
            "database loaded"
        );
        Ok(App {
            db: Mutex::new(db),
            store: RwLock::new(store),
            hub,
        })
    }

    /// The event hub.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The user with this id.
    pub fn get_user(&self, id: &str) -> Option<User> {
        self.read().get(id).cloned()
    }

    /// Runs a list query and hands the page, borrowing the stored records, to `f` (which
    /// runs under the read lock: it should only encode).
    pub fn list_users<R>(
        &self,
        query: &ListQuery,
        f: impl FnOnce(ListPage<Vec<&User>>) -> R,
    ) -> Result<R, ChatError> {
        self.read().select(query).map(f)
    }

    /// A fresh timetoken for a subscribe handshake: later events are all after it.
    pub fn handshake_token(&self) -> u64 {
        self.write().tick(now_ticks())
    }

    /// The current time as a timetoken (never behind the last one handed out).
    pub fn now_token(&self) -> u64 {
        now_ticks().max(self.read().clock().last())
    }

    /// Upserts user `id` (PATCH). Returns the user as stored; an event is published when
    /// something changed.
    pub fn set_user(
        &self,
        id: &str,
        patch: &UserPatch,
        if_match: Option<&str>,
    ) -> Result<User, WriteError> {
        let mut db = self.db.lock().unwrap_or_else(PoisonError::into_inner);
        let mut store = self.write();
        let before = store.get(id).cloned();
        let outcome = store.set(id, patch, SetMode::Upsert, if_match, now_ticks())?;
        let Some(event) = outcome.event else {
            return Ok(outcome.user);
        };
        let stored = StoredEvent::from_object_event(&event);
        if let Err(e) = db.put_user(&outcome.user, &stored) {
            match before {
                Some(old) => store.insert(old),
                None => {
                    let _ = store.remove(id, now_ticks());
                }
            }
            return Err(WriteError::Storage(e));
        }
        self.hub.push(stored);
        Ok(outcome.user)
    }

    /// Hard-deletes user `id`; `Ok(false)` when there was no such user (idempotent).
    pub fn remove_user(&self, id: &str) -> Result<bool, WriteError> {
        let mut db = self.db.lock().unwrap_or_else(PoisonError::into_inner);
        let mut store = self.write();
        let before = store.get(id).cloned();
        let Some(event) = store.remove(id, now_ticks())? else {
            return Ok(false);
        };
        let stored = StoredEvent::from_object_event(&event);
        if let Err(e) = db.delete_user(id, &stored) {
            if let Some(old) = before {
                store.insert(old);
            }
            return Err(WriteError::Storage(e));
        }
        self.hub.push(stored);
        Ok(true)
    }

    /// Publishes a message; returns its timetoken.
    pub fn publish(&self, message: Message) -> Result<u64, WriteError> {
        let mut db = self.db.lock().unwrap_or_else(PoisonError::into_inner);
        let timetoken = self.write().tick(now_ticks());
        let stored = StoredEvent {
            timetoken,
            channel: message.channel,
            kind: EventType::Message,
            payload: message.payload,
            publisher: message.publisher,
            meta: message.meta,
            message_type: message.message_type,
        };
        db.put_event(&stored).map_err(WriteError::Storage)?;
        self.hub.push(stored);
        Ok(timetoken)
    }

    /// Drops expired events from memory and disk.
    pub fn prune(&self) {
        let now = now_ticks();
        self.hub.prune(now);
        let result = self
            .db
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .prune(now);
        match result {
            Ok(n) if n > 0 => tracing::debug!(deleted = n, "pruned expired events"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning events failed"),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, MemoryStore> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, MemoryStore> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
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

    #[test]
    fn a_failed_commit_is_undone_in_memory() {
        let dir = std::env::temp_dir().join(format!("ferrochat-app-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("a.db");
        let _ = std::fs::remove_file(&path);
        let app = App::open(Db::open(Some(&path)).unwrap()).unwrap();
        let ann = app.set_user("ann", &named("Ann"), None).unwrap();
        app.set_user("bob", &named("Bob"), None).unwrap();
        let tt_before = app.now_token();
        // Break the database behind the server's back: every write now fails.
        let other = rusqlite::Connection::open(&path).unwrap();
        other.execute_batch("DROP TABLE events;").unwrap();
        assert!(matches!(
            app.set_user("ann", &named("Changed"), None),
            Err(WriteError::Storage(_))
        ));
        assert_eq!(app.get_user("ann"), Some(ann.clone()), "update undone");
        assert!(matches!(
            app.set_user("carl", &named("Carl"), None),
            Err(WriteError::Storage(_))
        ));
        assert_eq!(app.get_user("carl"), None, "create undone");
        assert!(matches!(
            app.remove_user("bob"),
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
            .is_err());
        assert!(
            app.hub()
                .since(
                    &["ann".into(), "carl".into(), "bob".into(), "c".into()],
                    tt_before
                )
                .is_empty(),
            "no event for failed writes"
        );
        // Core refusals are not storage errors.
        assert!(matches!(
            app.set_user("ann", &named("X"), Some("stale")),
            Err(WriteError::Rejected(ChatError::PreconditionFailed))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
