//! Reference-counted channel subscriptions and listener dispatch for one `Chat`.
//!
//! Backends deliver events into [`Subscriptions::queue`]; `Chat` drains the queue from a
//! spawned task and, for each event, asks [`Subscriptions::dispatch`] what to deliver.
//! Dispatch only computes: JS callbacks are called by the caller after the borrow ends.

use ferrochat_core::{Event, EventKind, User};
use js_sys::{Array, Function};
use std::collections::{HashMap, VecDeque};

/// Whether a delete event (at `timetoken`) is older than what `user` already shows: a
/// replay from before the stream started (e.g. delete-then-recreate), to be ignored.
pub fn stale_delete(user: &User, timetoken: u64) -> bool {
    !user.updated.is_empty() && ferrochat_core::time::rfc3339_micros(timetoken) < user.updated
}

/// Listener handle.
pub type ListenerId = u32;

/// What a listener wants and the state it keeps between events.
pub enum Listener {
    /// `user.streamUpdates(cb)`: the latest state of one user.
    One(User),
    /// `User.streamUpdatesOn(users, cb)`: the list in input order; deleted users leave it.
    List(Box<ListState>),
    /// `user.onUpdated(cb)`: like `One`, but a hard delete ends it.
    Updated(User),
    /// `user.onDeleted(cb)`: called once with the user id on a hard or soft delete.
    Deleted(String),
}

/// A callback to make: the listener, its function, the argument.
pub type Call = (ListenerId, Function, Payload);

/// The state of a `streamUpdatesOn` listener.
pub struct ListState {
    /// The users' latest states, in input order.
    pub users: Vec<User>,
    /// The JS array last delivered (at first, a copy of the caller's): an event builds a
    /// new array of the same `User` objects with only the changed entry replaced, instead
    /// of a new `User` per entry per event.
    pub js: Array,
    /// Ids whose state a refresh changed without a callback: re-wrapped on the next one.
    pub refreshed: Vec<String>,
}

/// What to call back with.
pub enum Payload {
    /// One user.
    User(Box<User>),
    /// A list change: the array last delivered, entries to replace (by index), and
    /// entries removed (by index, ascending; an event never does both).
    List {
        /// The array last delivered.
        previous: Array,
        /// Entries to replace with a new `User`.
        changed: Vec<(usize, User)>,
        /// Entries to remove.
        removed: Vec<usize>,
    },
    /// A user id, and whether the delete was soft.
    Deleted(String, bool),
}

struct Entry {
    listener: Listener,
    callback: Function,
    channels: Vec<String>,
}

/// All the subscriptions of one Chat.
#[derive(Default)]
pub struct Subscriptions {
    refcounts: HashMap<String, usize>,
    listeners: HashMap<ListenerId, Entry>,
    next_id: ListenerId,
    /// Events waiting to be dispatched.
    pub queue: VecDeque<Event>,
    /// Whether a drain task is already scheduled.
    pub scheduled: bool,
}

impl Subscriptions {
    /// Adds a listener on `channels`; returns its id and the channels that went from zero
    /// to one subscriber (the backend must subscribe to those).
    pub fn add(
        &mut self,
        listener: Listener,
        callback: Function,
        channels: Vec<String>,
    ) -> (ListenerId, Vec<String>) {
        let mut fresh = Vec::new();
        for ch in &channels {
            let n = self.refcounts.entry(ch.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                fresh.push(ch.clone());
            }
        }
        self.next_id = self.next_id.wrapping_add(1);
        let id = self.next_id;
        self.listeners.insert(
            id,
            Entry {
                listener,
                callback,
                channels,
            },
        );
        (id, fresh)
    }

    /// Holds `channel` without a listener (the Chat watching its own user); returns
    /// whether the channel is new.
    pub fn hold(&mut self, channel: &str) -> bool {
        let n = self.refcounts.entry(channel.to_string()).or_insert(0);
        *n += 1;
        *n == 1
    }

    /// Removes a listener (unknown ids are ignored); returns the channels that no longer
    /// have any subscriber.
    pub fn remove(&mut self, id: ListenerId) -> Vec<String> {
        let Some(entry) = self.listeners.remove(&id) else {
            return Vec::new();
        };
        self.release(entry.channels)
    }

    fn release(&mut self, channels: Vec<String>) -> Vec<String> {
        let mut gone = Vec::new();
        for ch in channels {
            if let Some(n) = self.refcounts.get_mut(&ch) {
                *n -= 1;
                if *n == 0 {
                    self.refcounts.remove(&ch);
                    gone.push(ch);
                }
            }
        }
        gone
    }

    /// Removes every listener; returns every channel.
    pub fn clear(&mut self) -> Vec<String> {
        self.listeners.clear();
        self.queue.clear();
        self.refcounts.drain().map(|(ch, _)| ch).collect()
    }

    /// Number of channels with at least one subscriber.
    pub fn channel_count(&self) -> usize {
        self.refcounts.len()
    }

    /// Records the array a list listener last delivered.
    pub fn set_list_array(&mut self, id: ListenerId, array: Array) {
        if let Some(Entry {
            listener: Listener::List(list),
            ..
        }) = self.listeners.get_mut(&id)
        {
            list.js = array;
        }
    }

    /// Whether listener `id` is still subscribed (a callback may unsubscribe another).
    pub fn is_live(&self, id: ListenerId) -> bool {
        self.listeners.contains_key(&id)
    }

    /// Brings a listener's starting state up to `fresh` (a record read after subscribing)
    /// when it is newer, without calling back: a stream started from a stale snapshot
    /// must still deliver the latest state on the next change. The version stamps stay
    /// those of the snapshot, so if the event of `fresh`'s own change is still on its
    /// way it is not mistaken for stale and still calls back.
    pub fn refresh(&mut self, id: ListenerId, fresh: &User) {
        let Some(entry) = self.listeners.get_mut(&id) else {
            return;
        };
        let refresh = |u: &mut User| {
            let newer = fresh.id == u.id && fresh.updated > u.updated;
            if newer {
                u.fields.clone_from(&fresh.fields);
                u.custom.clone_from(&fresh.custom);
            }
            newer
        };
        match &mut entry.listener {
            Listener::One(u) | Listener::Updated(u) => {
                refresh(u);
            }
            Listener::List(list) => {
                let mut any = false;
                for u in list.users.iter_mut() {
                    any |= refresh(u);
                }
                if any {
                    list.refreshed.push(fresh.id.clone());
                }
            }
            Listener::Deleted(_) => {}
        }
    }

    /// Updates listener state for `event` and returns the calls to make, and the
    /// listeners the event finishes (`onDeleted`, `onUpdated` after a delete), which the
    /// caller removes once their last call is made.
    #[allow(clippy::type_complexity)]
    pub fn dispatch(
        &mut self,
        event: &Event,
    ) -> (Vec<(ListenerId, Function, Payload)>, Vec<ListenerId>) {
        let mut out = Vec::new();
        let mut finished = Vec::new();
        let id = event.user_id();
        for (lid, entry) in self.listeners.iter_mut() {
            if !entry.channels.iter().any(|c| c == &event.channel) {
                continue;
            }
            let payload = match (&mut entry.listener, &event.kind) {
                (Listener::One(u) | Listener::Updated(u), EventKind::Set(cs)) => {
                    cs.merge_into(u).then(|| Payload::User(Box::new(u.clone())))
                }
                (Listener::Updated(u), EventKind::Delete { .. }) => {
                    if !stale_delete(u, event.timetoken) {
                        finished.push(*lid);
                    }
                    None
                }
                (Listener::One(_), EventKind::Delete { .. }) => None,
                (Listener::List(list), EventKind::Set(cs)) => {
                    let mut changed = Vec::new();
                    for (i, u) in list.users.iter_mut().enumerate() {
                        if u.id == id && cs.merge_into(u) {
                            changed.push((i, u.clone()));
                        }
                    }
                    (!changed.is_empty()).then(|| {
                        // Entries a refresh updated silently get their new state now too.
                        for rid in std::mem::take(&mut list.refreshed) {
                            for (i, u) in list.users.iter().enumerate() {
                                if u.id == rid && u.id != id {
                                    changed.push((i, u.clone()));
                                }
                            }
                        }
                        Payload::List {
                            previous: list.js.clone(),
                            changed,
                            removed: Vec::new(),
                        }
                    })
                }
                (Listener::List(list), EventKind::Delete { .. }) => {
                    let removed: Vec<usize> = (0..list.users.len())
                        .filter(|&i| {
                            list.users[i].id == id && !stale_delete(&list.users[i], event.timetoken)
                        })
                        .collect();
                    for &i in removed.iter().rev() {
                        list.users.remove(i);
                    }
                    (!removed.is_empty()).then(|| Payload::List {
                        previous: list.js.clone(),
                        changed: Vec::new(),
                        removed,
                    })
                }
                (Listener::Deleted(uid), EventKind::Delete { .. }) => {
                    finished.push(*lid);
                    Some(Payload::Deleted(uid.clone(), false))
                }
                (Listener::Deleted(uid), EventKind::Set(cs)) => {
                    let soft = matches!(&cs.fields[ferrochat_core::StrField::Status.idx()], Some(Some(s)) if s == ferrochat_core::DELETED_STATUS);
                    soft.then(|| Payload::Deleted(uid.clone(), true))
                }
            };
            if let Some(p) = payload {
                out.push((*lid, entry.callback.clone(), p));
            }
        }
        (out, finished)
    }
}
