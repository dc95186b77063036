//! The embedded backend's shared part: one in-memory store per JS realm (ferrochat-core's
//! `MemoryStore`) and the clients attached to it, each with the channels it subscribes to
//! and an inbox of their events. A write delivers its event to every subscribed inbox and
//! returns the wakers of those clients, which the caller calls once it holds no borrow
//! (the SDK's wakers only schedule a drain: no user code runs from a write).

use crate::keyed::Keyed;
use crate::Set;
use ferrochat_core::page::{ListPage, ListQuery};
use ferrochat_core::store::{MemoryStore, SetMode};
use ferrochat_core::time::ms_to_ticks;
use ferrochat_core::{Event, Result, User, UserPatch};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// Tells a client's driver that its inbox has events.
pub type Waker = Rc<dyn Fn()>;

/// A hub shared by the clients of one realm.
pub type SharedHub = Rc<RefCell<Hub>>;

/// One attached client.
#[derive(Default)]
struct Member {
    channels: Set<String>,
    inbox: VecDeque<Event>,
    waker: Option<Waker>,
}

/// The realm's store and its clients.
#[derive(Default)]
pub struct Hub {
    store: MemoryStore<rustc_hash::FxBuildHasher>,
    members: Keyed<Member>,
    next: u64,
}

impl Hub {
    /// A new hub, ready to share.
    pub fn shared() -> SharedHub {
        Rc::new(RefCell::new(Hub::default()))
    }

    /// Attaches a client; returns its member id.
    pub fn join(&mut self) -> u64 {
        self.next += 1;
        self.members.insert(self.next, Member::default());
        self.next
    }

    /// Detaches a client (its inbox goes with it).
    pub fn leave(&mut self, member: u64) {
        self.members.remove(member);
    }

    /// Sets what to call when `member`'s inbox gets events.
    pub fn set_waker(&mut self, member: u64, waker: Waker) {
        if let Some(m) = self.members.get_mut(member) {
            m.waker = Some(waker);
        }
    }

    /// `member` receives the events of `channel` from now on.
    pub fn subscribe(&mut self, member: u64, channel: &str) {
        if let Some(m) = self.members.get_mut(member) {
            m.channels.insert(channel.to_string());
        }
    }

    /// `member` no longer receives the events of `channel`.
    pub fn unsubscribe(&mut self, member: u64, channel: &str) {
        if let Some(m) = self.members.get_mut(member) {
            m.channels.remove(channel);
        }
    }

    /// Takes `member`'s waiting events, oldest first.
    pub fn take_events(&mut self, member: u64) -> VecDeque<Event> {
        self.members
            .get_mut(member)
            .map(|m| std::mem::take(&mut m.inbox))
            .unwrap_or_default()
    }

    /// The user with this id.
    pub fn get(&self, id: &str) -> Option<&User> {
        self.store.get(id)
    }

    /// Writes (see `MemoryStore::set`); returns the user and the wakers to call.
    pub fn set(
        &mut self,
        id: &str,
        patch: &UserPatch,
        mode: SetMode,
        wall_ms: f64,
    ) -> Result<(User, Vec<Waker>)> {
        let outcome = self
            .store
            .set(id, patch, mode, None, ms_to_ticks(wall_ms))?;
        let wakers = self.publish(outcome.event);
        Ok((outcome.user, wakers))
    }

    /// Removes a user; returns whether it existed and the wakers to call.
    pub fn remove(&mut self, id: &str, wall_ms: f64) -> Result<(bool, Vec<Waker>)> {
        let event = self.store.remove(id, ms_to_ticks(wall_ms))?;
        let existed = event.is_some();
        Ok((existed, self.publish(event)))
    }

    /// Runs a list query over the store.
    pub fn list(&self, query: &ListQuery) -> Result<ListPage> {
        self.store.list(query)
    }

    /// Runs a list query; the page borrows the store's records.
    pub fn select(&self, query: &ListQuery) -> Result<ListPage<Vec<&User>>> {
        self.store.select(query)
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }

    fn publish(&mut self, event: Option<Event>) -> Vec<Waker> {
        let Some(event) = event else {
            return Vec::new();
        };
        let mut wakers = Vec::new();
        for m in self.members.values_mut() {
            if m.channels.contains(&event.channel) {
                let was_empty = m.inbox.is_empty();
                m.inbox.push_back(event.clone());
                if was_empty {
                    wakers.extend(m.waker.clone());
                }
            }
        }
        wakers
    }
}
