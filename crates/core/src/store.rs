//! The in-memory user store: the single implementation of every write rule, used by the
//! embedded backend directly and by ferrochat-server in front of SQLite.

use crate::error::{ChatError, Result};
use crate::event::{Event, EventKind};
use crate::model::User;
use crate::page::{ListPage, ListQuery};
use crate::patch::{stamp, UserPatch};
use crate::time::Clock;
use crate::validate::validate_id;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

/// What a write requires of the existing record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetMode {
    /// Create or update (PATCH semantics on the wire).
    Upsert,
    /// The id must not exist (`createUser`).
    Create,
    /// The id must exist (`updateUser`, soft delete, restore).
    Update,
}

/// The result of a write.
#[derive(Debug, Clone, PartialEq)]
pub struct SetOutcome {
    /// The user after the write.
    pub user: User,
    /// The event to publish, `None` when nothing changed.
    pub event: Option<Event>,
}

/// Users by id, plus the clock that stamps every change.
///
/// `S` hashes the ids: std's `RandomState` by default (an attacker who picks user ids
/// cannot make lookups slow: the server's choice); the wasm SDK picks a smaller, faster
/// hasher for its in-process store, whose ids come from its own app. Records are kept
/// behind `Arc`s (each is immutable once stored; a write replaces it), so
/// [`MemoryStore::snapshot`] can hand out the whole set for one reference count per user.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore<S = RandomState> {
    users: HashMap<String, Arc<User>, S>,
    clock: Clock,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<S: BuildHasher + Default> MemoryStore<S> {
    /// An empty store whose timetokens continue after `clock`.
    pub fn with_clock(clock: Clock) -> Self {
        MemoryStore {
            users: HashMap::default(),
            clock,
        }
    }

    /// The user with this id.
    pub fn get(&self, id: &str) -> Option<&User> {
        self.users.get(id).map(Arc::as_ref)
    }

    /// The user with this id, as a shared handle (no copy of the record).
    pub fn get_shared(&self, id: &str) -> Option<Arc<User>> {
        self.users.get(id).cloned()
    }

    /// Every user as a shared handle, in no particular order. Costs one reference count
    /// per user, not a copy of the records, so a caller behind a lock can take it and
    /// filter and sort after releasing the lock.
    pub fn snapshot(&self) -> Vec<Arc<User>> {
        self.users.values().cloned().collect()
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Every user, in no particular order.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values().map(Arc::as_ref)
    }

    /// Puts a record in as it is (loading from disk).
    pub fn insert(&mut self, user: User) {
        self.insert_shared(Arc::new(user));
    }

    /// Puts a shared record in as it is (undoing a write).
    pub fn insert_shared(&mut self, user: Arc<User>) {
        self.users.insert(user.id.clone(), user);
    }

    /// The store's clock (the last timetoken handed out).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// A fresh timetoken, for events that do not come from a write (e.g. publish).
    pub fn tick(&mut self, now_ticks: u64) -> u64 {
        self.clock.tick(now_ticks)
    }

    /// Applies `patch` to user `id`. `if_match`, when given, must equal the stored eTag
    /// (a missing record never matches): otherwise [`ChatError::PreconditionFailed`].
    /// A write that changes nothing returns the stored user and no event.
    pub fn set(
        &mut self,
        id: &str,
        patch: &UserPatch,
        mode: SetMode,
        if_match: Option<&str>,
        now_ticks: u64,
    ) -> Result<SetOutcome> {
        validate_id(id)?;
        let existing = self.users.get(id).map(Arc::as_ref);
        if let Some(tag) = if_match {
            if existing.is_none_or(|u| u.etag != tag) {
                return Err(ChatError::PreconditionFailed);
            }
        }
        match (mode, existing) {
            (SetMode::Create, Some(_)) => return Err(ChatError::UserExists),
            (SetMode::Update, None) => return Err(ChatError::UserNotFound),
            _ => {}
        }
        let Some((mut user, mut cs)) = patch.apply(id, existing)? else {
            let user = existing.cloned().ok_or(ChatError::UserNotFound)?;
            return Ok(SetOutcome { user, event: None });
        };
        let timetoken = self.clock.tick(now_ticks);
        stamp(&mut user, &mut cs, timetoken);
        self.users.insert(id.to_string(), Arc::new(user.clone()));
        Ok(SetOutcome {
            user,
            event: Some(Event {
                channel: id.to_string(),
                timetoken,
                kind: EventKind::Set(Box::new(cs)),
            }),
        })
    }

    /// Removes user `id`. Returns the delete event, or `None` if there was no such user.
    pub fn remove(&mut self, id: &str, now_ticks: u64) -> Result<Option<Event>> {
        validate_id(id)?;
        if self.users.remove(id).is_none() {
            return Ok(None);
        }
        Ok(Some(Event {
            channel: id.to_string(),
            timetoken: self.clock.tick(now_ticks),
            kind: EventKind::Delete { id: id.to_string() },
        }))
    }

    /// Runs a list query.
    pub fn list(&self, query: &ListQuery) -> Result<ListPage> {
        query.run(self.users())
    }

    /// Runs a list query; the page borrows the store's records.
    pub fn select(&self, query: &ListQuery) -> Result<ListPage<Vec<&User>>> {
        query.select(self.users())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StrField;
    use crate::patch::Patch;

    const NOW: u64 = 17_000_000_000_000_000;

    fn named(name: &str) -> UserPatch {
        UserPatch::default().with(StrField::Name, Patch::Set(name.into()))
    }

    #[test]
    fn create_update_and_modes() {
        let mut s = MemoryStore::new();
        let a = s
            .set("u1", &named("Ann"), SetMode::Create, None, NOW)
            .unwrap();
        assert_eq!(a.user.etag.len(), 32);
        assert_eq!(a.event.as_ref().unwrap().timetoken, NOW);
        assert_eq!(
            s.set("u1", &named("X"), SetMode::Create, None, NOW)
                .unwrap_err(),
            ChatError::UserExists
        );
        assert_eq!(
            s.set("nope", &named("X"), SetMode::Update, None, NOW)
                .unwrap_err(),
            ChatError::UserNotFound
        );
        let same = s
            .set("u1", &named("Ann"), SetMode::Update, None, NOW)
            .unwrap();
        assert!(same.event.is_none());
        assert_eq!(same.user, a.user);
        let b = s
            .set("u1", &named("Bo"), SetMode::Update, None, NOW)
            .unwrap();
        assert_ne!(b.user.etag, a.user.etag);
        let snap = s.snapshot();
        assert_eq!((snap.len(), &*snap[0]), (1, &b.user));
        assert!(Arc::ptr_eq(&snap[0], &s.get_shared("u1").unwrap()));
        assert!(b.user.updated > a.user.updated);
        assert!(b.event.unwrap().timetoken > NOW);
    }

    #[test]
    fn if_match() {
        let mut s = MemoryStore::new();
        let a = s
            .set("u1", &named("Ann"), SetMode::Upsert, None, NOW)
            .unwrap();
        assert_eq!(
            s.set("u1", &named("B"), SetMode::Upsert, Some("stale"), NOW)
                .unwrap_err(),
            ChatError::PreconditionFailed
        );
        assert_eq!(
            s.set("u2", &named("B"), SetMode::Upsert, Some("x"), NOW)
                .unwrap_err(),
            ChatError::PreconditionFailed
        );
        assert!(s
            .set("u1", &named("B"), SetMode::Upsert, Some(&a.user.etag), NOW)
            .is_ok());
    }

    #[test]
    fn remove_is_idempotent() {
        let mut s = MemoryStore::new();
        s.set("u1", &named("Ann"), SetMode::Upsert, None, NOW)
            .unwrap();
        let e = s.remove("u1", NOW).unwrap().unwrap();
        assert!(matches!(e.kind, EventKind::Delete { .. }));
        assert!(s.remove("u1", NOW).unwrap().is_none());
        assert!(s.snapshot().is_empty() && s.get_shared("u1").is_none());
        assert_eq!(s.remove("", NOW).unwrap_err(), ChatError::IdRequired);
        assert!(s.is_empty());
    }
}
