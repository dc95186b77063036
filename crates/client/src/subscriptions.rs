//! Listeners and their channels: per-channel reference counts, each listener's state (the
//! users it streams, merged with every event), and what to call back with.
//!
//! Generic over the callback handle `L` (a JS function in the SDK, anything in tests).
//! Nothing here calls anything: [`Subscriptions::dispatch`] returns the calls to make, and
//! the client queues them for the driver, which makes them from a clean stack.
//!
//! A listener starts from the version stamps (`eTag`, `updated`) of the user object it was
//! made from. Its fields come from a *seed*: the store's record (embedded), or a read of
//! the current records (network). Until every user of a listener is seeded, its events
//! wait in the listener, then are replayed in order. The seed keeps the snapshot's stamps,
//! so the event of a change made right after the snapshot is still news and calls back.

use crate::keyed::Keyed;
use crate::Map;
use ferrochat_core::{Event, EventKind, StrField, User, DELETED_STATUS};

/// Listener handle.
pub type ListenerId = u32;

/// Gives a user's current record at once (the embedded store).
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<User>;

/// Most events a listener keeps while it waits for its seed; past that it drops them and
/// delivers the seeded state instead (as a resync does).
pub const MAX_PENDING: usize = 10_000;

/// What a listener delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `user.streamUpdates(cb)`: the latest state of one user on every change.
    Stream,
    /// `user.onUpdated(cb)`: like `Stream`, until the user is hard-deleted.
    Updated,
    /// `user.onDeleted(cb)`: `{ id, soft }` on a soft or hard delete; a hard delete ends it.
    Deleted,
    /// `User.streamUpdatesOn(users, cb)`: the list in input order, changed entries
    /// replaced, hard-deleted users removed.
    List,
}

/// The identity and version of a user object a listener is made from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// User id.
    pub id: String,
    /// Its `eTag` when the object was made.
    pub etag: String,
    /// Its `updated` stamp when the object was made.
    pub updated: String,
}

/// What to call a listener back with.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// One user (`Stream`, `Updated`).
    User(User),
    /// A list change (`List`): entries to replace, by index in the array last delivered,
    /// and entries removed (ascending indices in that array). One event never does both.
    List {
        /// `(index, new state)`.
        changed: Vec<(usize, User)>,
        /// Indices removed.
        removed: Vec<usize>,
    },
    /// A delete (`Deleted`).
    Deleted {
        /// User id.
        id: String,
        /// Whether it was a soft delete.
        soft: bool,
    },
}

/// A call to make: the listener, its handle, the argument.
pub type Call<L> = (ListenerId, L, Payload);

struct Entry<L> {
    kind: Kind,
    handle: L,
    /// One user, or the list's users in input order (slots).
    users: Vec<User>,
    /// List: slots removed by a hard delete, ascending.
    removed: Vec<usize>,
    /// Slots whose state is newer than the object last delivered for them.
    stale_js: Vec<usize>,
    /// Slots whose seed is still awaited (`None`: every slot is seeded).
    unseeded: Option<Vec<bool>>,
    /// Events for users whose seed is still awaited, in order.
    pending: Vec<Event>,
    /// More than [`MAX_PENDING`] events arrived before the seeds.
    overflowed: bool,
}

impl<L> Entry<L> {
    fn ready(&self) -> bool {
        self.unseeded.is_none()
    }

    /// Whether every one of `slots` has its seed.
    fn seeded(&self, slots: &[usize]) -> bool {
        self.unseeded
            .as_ref()
            .is_none_or(|u| slots.iter().all(|&i| !u[i]))
    }

    /// The index in the delivered array of slot `i`.
    fn rank(&self, i: usize) -> usize {
        i - self.removed.partition_point(|&r| r < i)
    }

    fn is_removed(&self, i: usize) -> bool {
        self.removed.binary_search(&i).is_ok()
    }
}

/// Who holds one channel: `(listener, slot)` for each place a listener streams its user
/// (in the order they came, so listeners ascend), plus holds without a listener.
#[derive(Default)]
struct Holders {
    listeners: Vec<(ListenerId, usize)>,
    holds: u32,
}

impl Holders {
    fn is_empty(&self) -> bool {
        self.holds == 0 && self.listeners.is_empty()
    }
}

/// All the listeners of one client.
pub struct Subscriptions<L> {
    channels: Map<String, Holders>,
    listeners: Keyed<Entry<L>>,
    next_id: ListenerId,
    /// Users whose events started waiting for their seed since the last
    /// [`Subscriptions::take_waiting`] (their seeds are worth reading first).
    waiting: Vec<(ListenerId, String)>,
}

impl<L> Default for Subscriptions<L> {
    fn default() -> Self {
        Subscriptions {
            channels: Map::default(),
            listeners: Keyed::default(),
            next_id: 0,
            waiting: Vec::new(),
        }
    }
}

/// Whether a delete event (at `timetoken`) is older than what `user` already shows: a
/// replay from before the stream started (e.g. delete-then-recreate), to be ignored.
pub fn stale_delete(user: &User, timetoken: u64) -> bool {
    !user.updated.is_empty() && ferrochat_core::time::rfc3339_micros(timetoken) < user.updated
}

/// A user with the snapshot's id and stamps and no fields yet.
fn unseeded(s: &Snapshot) -> User {
    let mut u = User::new(s.id.clone());
    u.etag.clone_from(&s.etag);
    u.updated.clone_from(&s.updated);
    u
}

/// Takes `fresh`'s fields (not its stamps); says whether `fresh` is newer than `u`'s stamps.
fn seed_fields(u: &mut User, fresh: &User) -> bool {
    u.fields.clone_from(&fresh.fields);
    u.custom.clone_from(&fresh.custom);
    fresh.updated > u.updated
}

impl<L: Clone> Subscriptions<L> {
    /// The slots in which listener `lid` streams user `id`.
    fn slots(&self, lid: ListenerId, id: &str) -> Vec<usize> {
        let mut out = Vec::new();
        if let Some(h) = self.channels.get(id) {
            for &(l, slot) in &h.listeners {
                if l == lid {
                    out.push(slot);
                }
            }
        }
        out
    }

    /// Adds a listener of `kind` on the users of `snapshots` (one, or the list's users in
    /// order). `seed` gives each user's current record at once (embedded store); without
    /// it the listener waits for [`Subscriptions::seed`]. Returns the listener id and the
    /// channels that went from no holder to one (to subscribe to).
    pub fn add(
        &mut self,
        kind: Kind,
        handle: L,
        snapshots: &[Snapshot],
        seed: Option<Lookup<'_>>,
    ) -> (ListenerId, Vec<String>) {
        self.next_id = self.next_id.wrapping_add(1);
        let lid = self.next_id;
        let mut entry = Entry {
            kind,
            handle,
            users: snapshots.iter().map(unseeded).collect(),
            removed: Vec::new(),
            stale_js: Vec::new(),
            unseeded: None,
            pending: Vec::new(),
            overflowed: false,
        };
        let mut fresh = Vec::new();
        for (i, s) in snapshots.iter().enumerate() {
            let holders = self.channels.entry(s.id.clone()).or_default();
            if holders.is_empty() {
                fresh.push(s.id.clone());
            }
            holders.listeners.push((lid, i));
            match seed {
                // onDeleted needs no fields.
                _ if kind == Kind::Deleted => {}
                Some(lookup) => {
                    if let Some(f) = lookup(&s.id) {
                        if seed_fields(&mut entry.users[i], &f) {
                            entry.stale_js.push(i);
                        }
                    }
                }
                None => {
                    entry
                        .unseeded
                        .get_or_insert_with(|| vec![false; snapshots.len()])[i] = true
                }
            }
        }
        if kind != Kind::List {
            entry.stale_js.clear();
        }
        self.listeners.insert(u64::from(lid), entry);
        (lid, fresh)
    }

    /// The distinct user ids of listener `lid`, in input order.
    pub fn ids(&self, lid: ListenerId) -> Vec<String> {
        let Some(e) = self.listeners.get(u64::from(lid)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, u) in e.users.iter().enumerate() {
            if self.slots(lid, &u.id).first() == Some(&i) {
                out.push(u.id.clone());
            }
        }
        out
    }

    /// Whether listener `lid` waits for seeds.
    pub fn needs_seed(&self, lid: ListenerId) -> bool {
        self.listeners
            .get(u64::from(lid))
            .is_some_and(|e| !e.ready())
    }

    /// Holds `channel` without a listener (the client watching its own user); returns
    /// whether the channel is new.
    pub fn hold(&mut self, channel: &str) -> bool {
        let h = self.channels.entry(channel.to_string()).or_default();
        let fresh = h.is_empty();
        h.holds += 1;
        fresh
    }

    /// Drops one hold of `channel`; returns whether the channel has no holder left.
    pub fn release(&mut self, channel: &str) -> bool {
        let Some(h) = self.channels.get_mut(channel) else {
            return false;
        };
        h.holds = h.holds.saturating_sub(1);
        self.forget_if_unheld(channel)
    }

    fn forget_if_unheld(&mut self, channel: &str) -> bool {
        let unheld = self.channels.get(channel).is_some_and(Holders::is_empty);
        if unheld {
            self.channels.remove(channel);
        }
        unheld
    }

    /// Removes a listener (unknown ids are ignored); returns the channels that no longer
    /// have any holder.
    pub fn remove(&mut self, lid: ListenerId) -> Vec<String> {
        let Some(entry) = self.listeners.remove(u64::from(lid)) else {
            return Vec::new();
        };
        let mut gone = Vec::new();
        for u in &entry.users {
            let Some(h) = self.channels.get_mut(&u.id) else {
                continue;
            };
            let before = h.listeners.len();
            h.listeners.retain(|(l, _)| *l != lid);
            if before != h.listeners.len() && self.forget_if_unheld(&u.id) {
                gone.push(u.id.clone());
            }
        }
        gone
    }

    /// Removes every listener and hold; returns every channel.
    pub fn clear(&mut self) -> Vec<String> {
        self.listeners.clear();
        let mut all = Vec::with_capacity(self.channels.len());
        for (ch, _) in self.channels.drain() {
            all.push(ch);
        }
        all
    }

    /// Number of listeners.
    pub fn len(&self) -> usize {
        self.listeners.len()
    }

    /// Whether there is no listener.
    pub fn is_empty(&self) -> bool {
        self.listeners.is_empty()
    }

    /// Number of channels with a holder.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Whether `channel` has a holder.
    pub fn is_subscribed(&self, channel: &str) -> bool {
        self.channels.contains_key(channel)
    }

    /// Whether listener `lid` is still there (a callback may remove another).
    pub fn is_live(&self, lid: ListenerId) -> bool {
        self.listeners.contains_key(u64::from(lid))
    }

    /// The listeners on any of `channels`, in the order met.
    pub fn listeners_on(&self, channels: &[String]) -> Vec<ListenerId> {
        let mut out: Vec<ListenerId> = Vec::new();
        for (lid, _) in channels
            .iter()
            .filter_map(|c| self.channels.get(c))
            .flat_map(|h| &h.listeners)
        {
            if !out.contains(lid) {
                out.push(*lid);
            }
        }
        out
    }

    /// Updates listener state for `event` and appends the calls to make. Returns the
    /// channels left without holders by listeners the event finished (`onDeleted` after a
    /// hard delete, `onUpdated` after a delete).
    pub fn dispatch(&mut self, event: &Event, out: &mut Vec<Call<L>>) -> Vec<String> {
        let holders = match self.channels.get(&event.channel) {
            Some(h) => h.listeners.clone(),
            None => return Vec::new(),
        };
        let mut finished = Vec::new();
        let mut rest = &holders[..];
        while let Some(&(lid, _)) = rest.first() {
            // A listener's places in one channel are next to each other.
            let n = rest.iter().take_while(|(l, _)| *l == lid).count();
            let mut slots = Vec::with_capacity(n);
            for &(_, slot) in &rest[..n] {
                slots.push(slot);
            }
            rest = &rest[n..];
            let Some(entry) = self.listeners.get_mut(u64::from(lid)) else {
                continue;
            };
            if !entry.seeded(&slots) {
                if entry.pending.len() < MAX_PENDING {
                    let id = event.user_id();
                    if !entry.pending.iter().any(|e| e.user_id() == id) {
                        self.waiting.push((lid, id.to_string()));
                    }
                    entry.pending.push(event.clone());
                } else {
                    entry.pending.clear();
                    entry.overflowed = true;
                }
                continue;
            }
            if apply(lid, entry, event, &slots, out) {
                finished.push(lid);
            }
        }
        let mut gone = Vec::new();
        for l in finished {
            gone.extend(self.remove(l));
        }
        gone
    }

    /// The users whose events started waiting for their seed (see `waiting`).
    pub fn take_waiting(&mut self) -> Vec<(ListenerId, String)> {
        std::mem::take(&mut self.waiting)
    }

    /// Seeds listener `lid` with the current records of `ids` (`fresh`: the ones that
    /// exist). Events that waited for these users are replayed in order (their calls
    /// appended); other users keep waiting for their own seeds. Returns the channels
    /// freed by listeners that finished.
    pub fn seed(
        &mut self,
        lid: ListenerId,
        ids: &[String],
        fresh: &[User],
        out: &mut Vec<Call<L>>,
    ) -> Vec<String> {
        let mut places: Vec<(usize, Option<&User>)> = Vec::new();
        for rid in ids {
            let f = fresh.iter().find(|f| f.id == *rid);
            for i in self.slots(lid, rid) {
                places.push((i, f));
            }
        }
        let Some(entry) = self.listeners.get_mut(u64::from(lid)) else {
            return Vec::new();
        };
        let Some(unseeded) = entry.unseeded.as_mut() else {
            return Vec::new();
        };
        let mut now_seeded = Vec::new();
        for (i, f) in places {
            if !std::mem::replace(&mut unseeded[i], false) {
                continue;
            }
            now_seeded.push(i);
            if let Some(f) = f {
                if seed_fields(&mut entry.users[i], f) {
                    entry.stale_js.push(i);
                }
            }
        }
        if unseeded.iter().all(|u| !u) {
            entry.unseeded = None;
        }
        // The events for these users, in order; the others keep waiting.
        let mut waiting = Vec::new();
        let mut ready = Vec::new();
        for e in std::mem::take(&mut entry.pending) {
            if ids.iter().any(|id| id == e.user_id()) {
                ready.push(e);
            } else {
                waiting.push(e);
            }
        }
        entry.pending = waiting;
        if entry.overflowed {
            // Events were dropped while waiting: deliver the seeded state of these users
            // where it changed since their snapshot, instead of replaying.
            if entry.ready() {
                entry.overflowed = false;
            }
            let mut changed = Vec::new();
            for &i in &now_seeded {
                if entry.stale_js.contains(&i) && !entry.is_removed(i) {
                    changed.push((entry.rank(i), entry.users[i].clone()));
                }
            }
            entry.stale_js.retain(|i| !now_seeded.contains(i));
            let payload = match entry.kind {
                Kind::List if !changed.is_empty() => Some(Payload::List {
                    changed,
                    removed: Vec::new(),
                }),
                Kind::Stream | Kind::Updated if !changed.is_empty() => {
                    Some(Payload::User(entry.users[0].clone()))
                }
                _ => None,
            };
            out.extend(payload.map(|p| (lid, entry.handle.clone(), p)));
            return Vec::new();
        }
        if entry.kind != Kind::List {
            entry.stale_js.clear();
        }
        self.replay(lid, &ready, out)
    }

    /// Applies `events` to listener `lid` in order; returns freed channels.
    fn replay(&mut self, lid: ListenerId, events: &[Event], out: &mut Vec<Call<L>>) -> Vec<String> {
        for event in events {
            let slots = self.slots(lid, event.user_id());
            let Some(entry) = self.listeners.get_mut(u64::from(lid)) else {
                break;
            };
            if apply(lid, entry, event, &slots, out) {
                return self.remove(lid);
            }
        }
        Vec::new()
    }

    /// Brings listener `lid` to the true state after events may have been lost: for each
    /// of `ids`, the record in `fresh` (or none: the user is gone). Users whose state
    /// changes are delivered as events would have been. Returns freed channels.
    pub fn resync(
        &mut self,
        lid: ListenerId,
        ids: &[String],
        fresh: &[User],
        out: &mut Vec<Call<L>>,
    ) -> Vec<String> {
        let Some(entry) = self.listeners.get(u64::from(lid)) else {
            return Vec::new();
        };
        let mut events = Vec::new();
        for rid in ids {
            let slots = self.slots(lid, rid);
            // A user still waiting for its seed gets the truth from that seed.
            if !entry.seeded(&slots) {
                continue;
            }
            let kind = match fresh.iter().find(|f| f.id == *rid) {
                Some(f) if slots.iter().all(|&i| entry.users[i].etag == f.etag) => continue,
                Some(f) => {
                    let mut cs = ferrochat_core::Changeset::full(f);
                    // Newer than everything the listener has, whatever its stamps say.
                    for &i in &slots {
                        cs.updated = cs.updated.max(entry.users[i].updated.clone());
                    }
                    EventKind::Set(Box::new(cs))
                }
                None if slots.iter().all(|&i| entry.is_removed(i)) => continue,
                None => EventKind::Delete { id: rid.clone() },
            };
            events.push(Event {
                channel: rid.clone(),
                timetoken: u64::MAX,
                kind,
            });
        }
        self.replay(lid, &events, out)
    }
}

/// Applies `event` to a ready listener at its `slots` for the event's user; appends its
/// call; says whether it finished.
fn apply<L: Clone>(
    lid: ListenerId,
    entry: &mut Entry<L>,
    event: &Event,
    slots: &[usize],
    out: &mut Vec<Call<L>>,
) -> bool {
    let id = event.user_id();
    if slots.is_empty() {
        return false;
    }
    let mut call = |payload| out.push((lid, entry.handle.clone(), payload));
    match (entry.kind, &event.kind) {
        (Kind::Stream | Kind::Updated, EventKind::Set(cs)) => {
            if cs.merge_into(&mut entry.users[0]) {
                call(Payload::User(entry.users[0].clone()));
            }
            false
        }
        (Kind::Stream, EventKind::Delete { .. }) => false,
        (Kind::Updated, EventKind::Delete { .. }) => {
            !stale_delete(&entry.users[0], event.timetoken)
        }
        (Kind::Deleted, EventKind::Delete { .. }) => {
            if stale_delete(&entry.users[0], event.timetoken) {
                return false;
            }
            call(Payload::Deleted {
                id: id.to_string(),
                soft: false,
            });
            true
        }
        (Kind::Deleted, EventKind::Set(cs)) => {
            let soft =
                matches!(&cs.fields[StrField::Status.idx()], Some(Some(s)) if s == DELETED_STATUS);
            if soft {
                call(Payload::Deleted {
                    id: id.to_string(),
                    soft: true,
                });
            }
            false
        }
        (Kind::List, EventKind::Set(cs)) => {
            let mut changed = Vec::new();
            for &i in slots {
                if !entry.is_removed(i) && cs.merge_into(&mut entry.users[i]) {
                    changed.push((entry.rank(i), entry.users[i].clone()));
                }
            }
            if changed.is_empty() {
                return false;
            }
            // Entries a seed updated silently get their new state now too.
            for i in std::mem::take(&mut entry.stale_js) {
                if !entry.is_removed(i) && !slots.contains(&i) {
                    changed.push((entry.rank(i), entry.users[i].clone()));
                }
            }
            out.push((
                lid,
                entry.handle.clone(),
                Payload::List {
                    changed,
                    removed: Vec::new(),
                },
            ));
            false
        }
        (Kind::List, EventKind::Delete { .. }) => {
            let mut gone = Vec::new();
            let mut removed = Vec::new();
            for &i in slots {
                if !entry.is_removed(i) && !stale_delete(&entry.users[i], event.timetoken) {
                    gone.push(i);
                    removed.push(entry.rank(i));
                }
            }
            if gone.is_empty() {
                return false;
            }
            for i in gone {
                let at = entry.removed.partition_point(|&r| r < i);
                entry.removed.insert(at, i);
            }
            out.push((
                lid,
                entry.handle.clone(),
                Payload::List {
                    changed: Vec::new(),
                    removed,
                },
            ));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrochat_core::patch::Changeset;

    fn snap(id: &str, updated: &str) -> Snapshot {
        Snapshot {
            id: id.into(),
            etag: format!("e-{updated}"),
            updated: updated.into(),
        }
    }

    fn set(id: &str, name: &str, updated: &str) -> Event {
        let mut cs = Changeset::new(id);
        cs.fields[StrField::Name.idx()] = Some(Some(name.into()));
        cs.updated = updated.into();
        cs.etag = format!("e-{updated}");
        Event {
            channel: id.into(),
            timetoken: 1,
            kind: EventKind::Set(Box::new(cs)),
        }
    }

    fn delete(id: &str) -> Event {
        Event {
            channel: id.into(),
            timetoken: 17_999_999_999_999_999,
            kind: EventKind::Delete { id: id.into() },
        }
    }

    fn record(id: &str, name: &str, updated: &str) -> User {
        let mut u = User::new(id);
        u.set(StrField::Name, Some(name.into()));
        u.updated = updated.into();
        u.etag = format!("e-{updated}");
        u
    }

    #[test]
    fn reference_counts_subscribe_once_and_release_last() {
        let mut s: Subscriptions<u8> = Subscriptions::default();
        let (a, fresh) = s.add(Kind::Stream, 1, &[snap("u", "1")], Some(&|_| None));
        assert_eq!(fresh, vec!["u".to_string()]);
        let (b, fresh) = s.add(
            Kind::List,
            2,
            &[snap("u", "1"), snap("v", "1"), snap("u", "1")],
            Some(&|_| None),
        );
        assert_eq!(fresh, vec!["v".to_string()]);
        assert!(!s.hold("u"));
        assert!(s.remove(a).is_empty());
        assert!(s.remove(a).is_empty(), "removing twice is harmless");
        let mut gone = s.remove(b);
        gone.sort();
        assert_eq!(gone, vec!["v".to_string()]);
        assert!(s.release("u"));
        assert!(!s.release("u"), "never below zero");
        assert_eq!(s.channel_count(), 0);
    }

    #[test]
    fn unseeded_listeners_wait_then_replay_in_order() {
        let mut s: Subscriptions<u8> = Subscriptions::default();
        let (l, _) = s.add(Kind::Stream, 7, &[snap("u", "1")], None);
        let mut out = Vec::new();
        s.dispatch(&set("u", "B", "3"), &mut out);
        assert!(out.is_empty(), "waits for its seed");
        // The seed already shows the change (read after it): it still calls back once.
        s.seed(l, &["u".into()], &[record("u", "B", "3")], &mut out);
        assert_eq!(out.len(), 1);
        let Payload::User(u) = &out[0].2 else {
            panic!()
        };
        assert_eq!(u.get(StrField::Name), Some("B"));
        s.dispatch(&set("u", "B", "3"), &mut out);
        assert_eq!(out.len(), 1, "the same change again is stale");
    }

    #[test]
    fn list_changes_and_removals_carry_indices_of_the_delivered_array() {
        let mut s: Subscriptions<u8> = Subscriptions::default();
        let users = [snap("a", "1"), snap("b", "1"), snap("c", "1")];
        s.add(
            Kind::List,
            1,
            &users,
            Some(&|id: &str| Some(record(id, id, "1"))),
        );
        let mut out = Vec::new();
        s.dispatch(&delete("a"), &mut out);
        s.dispatch(&set("c", "C", "2"), &mut out);
        assert_eq!(
            out[0].2,
            Payload::List {
                changed: vec![],
                removed: vec![0]
            }
        );
        let Payload::List { changed, .. } = &out[1].2 else {
            panic!()
        };
        assert_eq!(changed[0].0, 1, "c is second once a is gone");
    }

    #[test]
    fn resync_delivers_what_was_missed_and_removes_the_gone() {
        let mut s: Subscriptions<u8> = Subscriptions::default();
        let users = [snap("a", "1"), snap("b", "1")];
        let (l, _) = s.add(
            Kind::List,
            1,
            &users,
            Some(&|id: &str| Some(record(id, id, "1"))),
        );
        let mut out = Vec::new();
        s.resync(
            l,
            &["a".into(), "b".into()],
            &[record("a", "A2", "5")],
            &mut out,
        );
        assert_eq!(out.len(), 2);
        let Payload::List { changed, .. } = &out[0].2 else {
            panic!()
        };
        assert_eq!(changed[0].1.get(StrField::Name), Some("A2"));
        assert_eq!(
            out[1].2,
            Payload::List {
                changed: vec![],
                removed: vec![1]
            }
        );
        out.clear();
        s.resync(
            l,
            &["a".into(), "b".into()],
            &[record("a", "A2", "5")],
            &mut out,
        );
        assert!(out.is_empty(), "nothing new the second time");
    }

    #[test]
    fn a_list_delivers_events_of_seeded_users_while_others_wait() {
        let mut s: Subscriptions<u8> = Subscriptions::default();
        let (l, _) = s.add(Kind::List, 1, &[snap("a", "1"), snap("b", "1")], None);
        let mut out = Vec::new();
        s.dispatch(&set("b", "B2", "2"), &mut out);
        s.seed(l, &["a".into()], &[record("a", "A", "1")], &mut out);
        assert!(out.is_empty(), "b's event waits for b's seed");
        s.dispatch(&set("a", "A2", "2"), &mut out);
        assert_eq!(out.len(), 1, "a is seeded: its event goes through");
        s.seed(l, &["b".into()], &[record("b", "B", "1")], &mut out);
        assert_eq!(out.len(), 2, "b's event replayed once b is seeded");
        let Payload::List { changed, .. } = &out[1].2 else {
            panic!()
        };
        assert_eq!(
            (changed[0].0, changed[0].1.get(StrField::Name)),
            (1, Some("B2"))
        );
        assert!(!s.needs_seed(l));
    }
}
