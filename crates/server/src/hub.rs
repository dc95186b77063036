//! The event hub: recent events per channel (for long-polls and catch-up), the long-polls
//! waiting on each channel, and what was dropped.
//!
//! * Events arrive in timetoken order (one writer pushes them), so each channel's buffer is
//!   sorted and a cursor lookup is a binary search. Envelopes are rendered once, at push.
//! * A waiting long-poll registers on each of its channels. A push wakes only the polls
//!   registered on that channel and tells them which channel fired, so a write costs
//!   O(polls on its channel), whatever the number of other idle polls, and a woken poll
//!   reads only the channels that fired.
//! * Retention ([`Retention`]): per channel and in total, by count and by bytes, and by age;
//!   the oldest events go first. Each channel remembers the newest timetoken it dropped
//!   (`dropped_through`); a poll whose cursor is older than that learns it
//!   ([`Batch::truncated`]) instead of silently missing events. Channels forgotten
//!   altogether fold their mark into one hub-wide mark.

use crate::cli::Retention;
use ferrochat_core::json::write_str;
use ferrochat_core::time::TICKS_PER_MS;
use ferrochat_core::Event;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

/// Most events returned by one subscribe response (as the PubNub service).
pub const MAX_PER_RESPONSE: usize = 100;
/// The region reported in every cursor (clients refuse 0).
pub const REGION: u32 = 1;
/// Channels remembered only for what they dropped (no events, no polls) at most; beyond
/// this, the older half is folded into the hub-wide mark.
pub const MAX_TOMBSTONES: usize = 100_000;
/// Bytes counted per event on top of its envelope (bookkeeping).
const EVENT_OVERHEAD: usize = 96;
/// Under load (at least [`BUSY_EVENTS`] events a millisecond), how long a woken poll waits
/// for more events before it answers, so that one reply carries many events instead of a
/// few: fewer round trips for the server and the clients. A light load (a user changed
/// now and then) is answered at once.
pub const COALESCE: std::time::Duration = std::time::Duration::from_millis(2);
/// Events pushed within one millisecond from which the hub counts as busy.
pub const BUSY_EVENTS: usize = 8;

/// Timetoken ticks per second.
const TICKS_PER_SEC: u64 = 1000 * TICKS_PER_MS;

/// What kind of envelope an event is delivered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// A published message (no `e` key).
    Message,
    /// An App Context event (`e: 2`, no `i`).
    Object,
}

impl EventType {
    /// The code stored in the database.
    pub fn code(self) -> i64 {
        match self {
            EventType::Message => 0,
            EventType::Object => 2,
        }
    }

    /// The type for a stored code.
    pub fn from_code(code: i64) -> Option<EventType> {
        match code {
            0 => Some(EventType::Message),
            2 => Some(EventType::Object),
            _ => None,
        }
    }
}

/// An event as stored on disk: everything needed to write its envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// 17-digit timetoken (unique across channels).
    pub timetoken: u64,
    /// The channel it was published on.
    pub channel: String,
    /// Message or App Context event.
    pub kind: EventType,
    /// The `d` payload, as JSON text.
    pub payload: String,
    /// The publisher's uuid (`i`), for messages.
    pub publisher: Option<String>,
    /// The publisher's `meta` object (`u`), as JSON text.
    pub meta: Option<String>,
    /// The custom message type (`cmt`).
    pub message_type: Option<String>,
}

impl StoredEvent {
    /// The stored form of a core App Context event.
    pub fn from_object_event(event: &Event) -> Self {
        StoredEvent {
            timetoken: event.timetoken,
            channel: event.channel.clone(),
            kind: EventType::Object,
            payload: event.payload_json(),
            publisher: None,
            meta: None,
            message_type: None,
        }
    }

    /// Renders the subscribe envelope (protocol.md §5.2/§5.3) without its `k` value: the
    /// text, and where the subscribe key goes.
    fn render(&self) -> (String, usize) {
        use std::fmt::Write;
        let mut out = String::with_capacity(96 + self.channel.len() + self.payload.len());
        out.push_str("{\"a\":\"1\",\"f\":0,");
        match self.kind {
            EventType::Object => out.push_str("\"e\":2,"),
            EventType::Message => {
                if let Some(publisher) = &self.publisher {
                    out.push_str("\"i\":");
                    let _ = write_str(&mut out, publisher);
                    out.push(',');
                }
            }
        }
        let _ = write!(
            out,
            "\"p\":{{\"t\":\"{}\",\"r\":{REGION}}},\"k\":",
            self.timetoken
        );
        let split = out.len();
        out.push_str(",\"c\":");
        let _ = write_str(&mut out, &self.channel);
        out.push_str(",\"d\":");
        out.push_str(&self.payload);
        if let Some(meta) = &self.meta {
            out.push_str(",\"u\":");
            out.push_str(meta);
        }
        if let Some(cmt) = &self.message_type {
            out.push_str(",\"cmt\":");
            let _ = write_str(&mut out, cmt);
        }
        out.push('}');
        (out, split)
    }
}

/// An event as the hub keeps it: its envelope, rendered once.
#[derive(Debug)]
pub struct HubEvent {
    /// Its timetoken.
    pub timetoken: u64,
    /// Its channel (shared with the hub's index).
    pub channel: Arc<str>,
    text: Box<str>,
    split: usize,
}

impl HubEvent {
    /// Appends the envelope, with `sub_key_json` (a JSON string literal) as `k`.
    pub fn write_envelope(&self, out: &mut String, sub_key_json: &str) {
        let (head, tail) = self.text.split_at(self.split);
        out.push_str(head);
        out.push_str(sub_key_json);
        out.push_str(tail);
    }

    /// The bytes it is counted for.
    pub fn size(&self) -> usize {
        self.text.len() + self.channel.len() + EVENT_OVERHEAD
    }
}

/// The retention rules in timetoken ticks.
#[derive(Debug, Clone)]
struct Rules {
    per_channel: usize,
    per_channel_bytes: usize,
    total: usize,
    total_bytes: usize,
    age: u64,
    keep_last: usize,
    max_age: u64,
}

impl From<&Retention> for Rules {
    fn from(r: &Retention) -> Self {
        let ticks = |d: std::time::Duration| d.as_secs().saturating_mul(TICKS_PER_SEC);
        Rules {
            per_channel: r.per_channel.max(1),
            per_channel_bytes: r.per_channel_bytes,
            total: r.total.max(1),
            total_bytes: r.total_bytes,
            age: ticks(r.age),
            keep_last: r.keep_last,
            max_age: ticks(r.max_age),
        }
    }
}

/// A long-poll waiting for events.
#[derive(Debug, Default)]
struct Waiter {
    notify: Notify,
    /// Channels pushed to since the poll last looked.
    fired: Mutex<Vec<Arc<str>>>,
}

impl Waiter {
    fn fire(&self, channel: &Arc<str>) {
        {
            let mut fired = self.fired.lock().unwrap_or_else(PoisonError::into_inner);
            if !fired.iter().any(|c| Arc::ptr_eq(c, channel)) {
                fired.push(channel.clone());
            }
        }
        self.notify.notify_one();
    }
}

#[derive(Debug, Default)]
struct Channel {
    events: VecDeque<Arc<HubEvent>>,
    bytes: usize,
    /// The newest timetoken dropped from this channel (or inherited at creation).
    dropped_through: u64,
    /// The newest timetoken pushed (so a poll skips a channel without touching its events).
    newest: u64,
    waiters: HashMap<u64, Arc<Waiter>>,
}

impl Channel {
    /// Drops the oldest event; returns it.
    fn drop_oldest(&mut self) -> Option<Arc<HubEvent>> {
        let e = self.events.pop_front()?;
        self.bytes = self.bytes.saturating_sub(e.size());
        self.dropped_through = self.dropped_through.max(e.timetoken);
        Some(e)
    }

    fn is_idle(&self) -> bool {
        self.events.is_empty() && self.waiters.is_empty()
    }
}

#[derive(Debug, Default)]
struct Inner {
    channels: HashMap<Arc<str>, Channel>,
    /// (timetoken, channel) of every kept event in timetoken order, plus some already
    /// dropped by a per-channel rule (skipped when reached, compacted when they pile up).
    /// It does not hold the events: a dropped event's memory is freed at once.
    order: VecDeque<(u64, Arc<str>)>,
    live: usize,
    bytes: usize,
    /// Mark of the channels no longer in `channels` (and inherited by new ones).
    forgotten_through: u64,
    /// Newest timetoken dropped anywhere.
    dropped_max: u64,
    last_pushed: u64,
}

/// What a poll gets: events after its cursor, whether some were dropped, the next cursor.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    /// Events after the cursor, oldest first, at most [`MAX_PER_RESPONSE`].
    pub events: Vec<Arc<HubEvent>>,
    /// Events after the cursor on a requested channel are no longer kept.
    pub truncated: bool,
    /// The cursor to answer with (`t.t`).
    pub next: u64,
}

impl Batch {
    /// Whether a poll should answer now.
    pub fn is_ready(&self) -> bool {
        !self.events.is_empty() || self.truncated
    }
}

/// Recent events by channel, the polls waiting on them, and what was dropped.
#[derive(Debug)]
pub struct Hub {
    inner: Mutex<Inner>,
    rules: Rules,
    next_waiter: AtomicU64,
    /// Writes accepted whose events are not pushed yet.
    writes_pending: AtomicU64,
    /// Whether events arrive at [`BUSY_EVENTS`] a millisecond or more.
    busy: std::sync::atomic::AtomicBool,
    /// Start of the current millisecond window and the events pushed in it.
    rate: Mutex<(Option<Instant>, usize)>,
}

impl Hub {
    /// An empty hub with these retention rules. `dropped_through`: events up to this
    /// timetoken may have existed and are not kept (a previous run's mark, or the start time
    /// of a fresh database).
    pub fn new(retention: &Retention, dropped_through: u64) -> Self {
        Hub {
            inner: Mutex::new(Inner {
                forgotten_through: dropped_through,
                dropped_max: dropped_through,
                ..Inner::default()
            }),
            rules: Rules::from(retention),
            next_waiter: AtomicU64::new(1),
            writes_pending: AtomicU64::new(0),
            busy: std::sync::atomic::AtomicBool::new(false),
            rate: Mutex::new((None, 0)),
        }
    }

    /// A write was queued (its events, if any, will be pushed later).
    pub fn write_queued(&self) {
        self.writes_pending.fetch_add(1, Ordering::Relaxed);
    }

    /// `n` queued writes are done (their events are about to be pushed, or there are none).
    pub fn writes_settled(&self, n: usize) {
        let n = n as u64;
        let _ = self
            .writes_pending
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| {
                Some(p.saturating_sub(n))
            });
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The newest timetoken dropped anywhere (persisted, so that a restart stays
    /// conservative).
    pub fn dropped_max(&self) -> u64 {
        self.lock().dropped_max
    }

    /// Adds events (timetokens increasing across calls), wakes the polls of their channels
    /// and applies the count and byte caps. Returns the timetokens of the events dropped.
    pub fn push_batch(&self, events: &[StoredEvent]) -> Vec<u64> {
        let rendered: Vec<(u64, &str, String, usize)> = events
            .iter()
            .map(|e| {
                let (text, split) = e.render();
                (e.timetoken, e.channel.as_str(), text, split)
            })
            .collect();
        self.count_rate(events.len());
        let rules = &self.rules;
        let mut dropped = Vec::new();
        let mut guard = self.lock();
        let inner = &mut *guard;
        for (timetoken, name, text, split) in rendered {
            let forgotten = inner.forgotten_through;
            let key = match inner.channels.get_key_value(name) {
                Some((k, _)) => k.clone(),
                None => {
                    let k: Arc<str> = Arc::from(name);
                    inner.channels.insert(
                        k.clone(),
                        Channel {
                            dropped_through: forgotten,
                            ..Channel::default()
                        },
                    );
                    k
                }
            };
            let event = Arc::new(HubEvent {
                timetoken,
                channel: key.clone(),
                text: text.into_boxed_str(),
                split,
            });
            let size = event.size();
            let Some(ch) = inner.channels.get_mut(&key) else {
                continue;
            };
            ch.events.push_back(event);
            ch.bytes += size;
            ch.newest = timetoken;
            for w in ch.waiters.values() {
                w.fire(&key);
            }
            inner.live += 1;
            inner.bytes += size;
            while ch.events.len() > rules.per_channel
                || (ch.bytes > rules.per_channel_bytes && ch.events.len() > 1)
            {
                if let Some(gone) = ch.drop_oldest() {
                    inner.live -= 1;
                    inner.bytes = inner.bytes.saturating_sub(gone.size());
                    dropped.push(gone.timetoken);
                }
            }
            inner.order.push_back((timetoken, key));
            inner.last_pushed = timetoken;
        }
        while inner.live > rules.total || (inner.bytes > rules.total_bytes && inner.live > 1) {
            let Some((tt, channel)) = inner.order.pop_front() else {
                break;
            };
            let Some(ch) = inner.channels.get_mut(&channel) else {
                continue;
            };
            if ch.events.front().is_some_and(|f| f.timetoken == tt) {
                if let Some(gone) = ch.drop_oldest() {
                    inner.live -= 1;
                    inner.bytes = inner.bytes.saturating_sub(gone.size());
                    dropped.push(tt);
                }
            }
        }
        inner.note_dropped(&dropped);
        inner.compact();
        dropped
    }

    /// Counts `n` pushed events into the rate that decides whether polls coalesce.
    fn count_rate(&self, n: usize) {
        const WINDOW: std::time::Duration = std::time::Duration::from_millis(1);
        let now = Instant::now();
        let mut rate = self.rate.lock().unwrap_or_else(PoisonError::into_inner);
        let (start, count) = &mut *rate;
        match start {
            Some(s) if now.saturating_duration_since(*s) < WINDOW => *count += n,
            _ => {
                // A new window: the previous one says whether the load goes on.
                let contiguous =
                    start.is_some_and(|s| now.saturating_duration_since(s) < 2 * WINDOW);
                self.busy
                    .store(contiguous && *count >= BUSY_EVENTS, Ordering::Relaxed);
                *start = Some(now);
                *count = n;
            }
        }
        if *count >= BUSY_EVENTS {
            self.busy.store(true, Ordering::Relaxed);
        }
    }

    /// Drops events by age (relative to `now_ticks`): those older than the maximum age, and
    /// those older than the retention age that are not among the last few of their channel.
    /// Forgets idle channels. Returns the timetokens of the events dropped.
    pub fn prune(&self, now_ticks: u64) -> Vec<u64> {
        let rules = &self.rules;
        let recent = now_ticks.saturating_sub(rules.age);
        let oldest = now_ticks.saturating_sub(rules.max_age);
        let mut dropped = Vec::new();
        let mut guard = self.lock();
        let inner = &mut *guard;
        for ch in inner.channels.values_mut() {
            while ch.events.front().is_some_and(|e| {
                e.timetoken < oldest || (e.timetoken < recent && ch.events.len() > rules.keep_last)
            }) {
                if let Some(gone) = ch.drop_oldest() {
                    inner.live -= 1;
                    inner.bytes = inner.bytes.saturating_sub(gone.size());
                    dropped.push(gone.timetoken);
                }
            }
        }
        inner.note_dropped(&dropped);
        // Forget idle channels: those with nothing to remember at once, tombstones once
        // their mark is older than the maximum age or when there are too many.
        let mut forgotten = inner.forgotten_through;
        let floor = inner.forgotten_through;
        inner.channels.retain(|_, ch| {
            let keep =
                !ch.is_idle() || (ch.dropped_through > floor && ch.dropped_through >= oldest);
            if !keep {
                forgotten = forgotten.max(ch.dropped_through);
            }
            keep
        });
        let mut marks: Vec<u64> = inner
            .channels
            .values()
            .filter(|ch| ch.is_idle())
            .map(|ch| ch.dropped_through)
            .collect();
        if marks.len() > MAX_TOMBSTONES {
            let mid = marks.len() / 2;
            let (_, median, _) = marks.select_nth_unstable(mid);
            let median = *median;
            inner
                .channels
                .retain(|_, ch| !(ch.is_idle() && ch.dropped_through <= median));
            forgotten = forgotten.max(median);
        }
        inner.forgotten_through = forgotten;
        inner.compact();
        dropped
    }

    /// Events after `after` on `channels`, now.
    pub fn since(&self, channels: &[String], after: u64) -> Batch {
        self.lock()
            .collect(channels.iter().map(String::as_str), after)
    }

    /// Registers a poll on `channels`; `key` names the list (the raw path segment) so a
    /// connection can reuse the registration for its next poll on the same list.
    pub fn subscribe(self: &Arc<Self>, key: String, channels: Vec<String>) -> Subscription {
        let waiter = Arc::new(Waiter::default());
        let id = self.next_waiter.fetch_add(1, Ordering::Relaxed);
        self.lock().register(&channels, id, &waiter);
        Subscription {
            hub: self.clone(),
            key,
            channels,
            id,
            waiter,
            resume: None,
        }
    }

    /// Waits until there are events after `after` on the subscription's channels (or some
    /// were dropped), `deadline` passes or `shutdown` turns true; returns what there is
    /// then. Looks at every channel only when it must (a new subscription, another cursor,
    /// a full reply last time); otherwise only at the channels pushed to since. Woken while
    /// more writes are queued, it waits for them (at most [`COALESCE`]) so that one reply
    /// carries them all.
    pub async fn wait(
        &self,
        sub: &mut Subscription,
        after: u64,
        deadline: Instant,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Batch {
        let mut everything = sub.resume != Some(after);
        sub.resume = None;
        loop {
            let batch = {
                let inner = self.lock();
                let fired = std::mem::take(
                    &mut *sub
                        .waiter
                        .fired
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner),
                );
                if std::mem::take(&mut everything) {
                    inner.collect(sub.channels.iter().map(String::as_str), after)
                } else {
                    inner.collect(fired.iter().map(|c| &**c), after)
                }
            };
            if batch.is_ready() {
                // A full reply may leave more on the channels it read: look at all next time.
                if batch.events.len() < MAX_PER_RESPONSE {
                    sub.resume = Some(batch.next);
                }
                return batch;
            }
            if *shutdown.borrow_and_update() {
                sub.resume = Some(after);
                return self.idle(after);
            }
            tokio::select! {
                _ = sub.waiter.notify.notified() => {}
                _ = tokio::time::sleep_until(deadline) => {
                    sub.resume = Some(after);
                    return self.idle(after);
                }
                _ = shutdown.changed() => {
                    sub.resume = Some(after);
                    return self.idle(after);
                }
            }
            if self.writes_pending.load(Ordering::Relaxed) > 0 || self.busy.load(Ordering::Relaxed)
            {
                tokio::time::sleep_until((Instant::now() + COALESCE).min(deadline)).await;
            }
        }
    }

    fn idle(&self, after: u64) -> Batch {
        Batch {
            events: Vec::new(),
            truncated: false,
            next: after,
        }
    }

    /// How many polls are registered (for tests and logs).
    pub fn waiting(&self) -> usize {
        self.lock().channels.values().map(|c| c.waiters.len()).sum()
    }

    /// Kept events and their bytes (for tests and logs).
    pub fn kept(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.live, inner.bytes)
    }
}

impl Inner {
    fn note_dropped(&mut self, dropped: &[u64]) {
        if let Some(max) = dropped.iter().max() {
            self.dropped_max = self.dropped_max.max(*max);
        }
    }

    /// Removes the entries of `order` already dropped by a per-channel rule, once they
    /// outnumber the kept ones.
    fn compact(&mut self) {
        if self.order.len() <= 2 * self.live + 1024 {
            return;
        }
        let channels = &self.channels;
        self.order.retain(|(tt, channel)| {
            channels
                .get(channel)
                .and_then(|c| c.events.front())
                .is_some_and(|f| f.timetoken <= *tt)
        });
    }

    fn collect<'a>(&self, names: impl Iterator<Item = &'a str>, after: u64) -> Batch {
        let mut events: Vec<Arc<HubEvent>> = Vec::new();
        let mut truncated = false;
        for name in names {
            match self.channels.get(name) {
                Some(ch) => {
                    truncated |= after < ch.dropped_through;
                    if ch.newest > after {
                        let from = ch.events.partition_point(|e| e.timetoken <= after);
                        events.extend(ch.events.range(from..).take(MAX_PER_RESPONSE).cloned());
                    }
                }
                None => truncated |= after < self.forgotten_through,
            }
        }
        events.sort_unstable_by_key(|e| e.timetoken);
        events.truncate(MAX_PER_RESPONSE);
        let next = match events.last() {
            Some(e) => e.timetoken,
            // Nothing kept after `after` on these channels: every event up to the last one
            // pushed is either delivered or gone, so the cursor can move past the gap.
            None if truncated => after.max(self.last_pushed),
            None => after,
        };
        Batch {
            events,
            truncated,
            next,
        }
    }

    fn register(&mut self, channels: &[String], id: u64, waiter: &Arc<Waiter>) {
        let forgotten = self.forgotten_through;
        for name in channels {
            match self.channels.get_mut(name.as_str()) {
                Some(ch) => {
                    ch.waiters.insert(id, waiter.clone());
                }
                None => {
                    let mut ch = Channel {
                        dropped_through: forgotten,
                        ..Channel::default()
                    };
                    ch.waiters.insert(id, waiter.clone());
                    self.channels.insert(Arc::from(name.as_str()), ch);
                }
            }
        }
    }

    fn unregister(&mut self, channels: &[String], id: u64) {
        let forgotten = self.forgotten_through;
        for name in channels {
            let remove = match self.channels.get_mut(name.as_str()) {
                Some(ch) => {
                    ch.waiters.remove(&id);
                    ch.is_idle() && ch.dropped_through <= forgotten
                }
                None => false,
            };
            if remove {
                self.channels.remove(name.as_str());
            }
        }
    }
}

/// A long-poll's registration on its channels. A connection keeps it between its polls
/// ([`PollSlot`]) while they ask for the same channels, so a subscriber's next poll costs
/// the channels that changed, not all of its channels. Unregisters when dropped (the
/// connection closed, or asked for other channels).
#[derive(Debug)]
pub struct Subscription {
    hub: Arc<Hub>,
    key: String,
    channels: Vec<String>,
    id: u64,
    waiter: Arc<Waiter>,
    /// A cursor from which only the channels pushed to since can have news.
    resume: Option<u64>,
}

impl Subscription {
    /// The channel list (raw path segment) it was made for.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.lock().unregister(&self.channels, self.id);
    }
}

/// Where a connection keeps its subscription between polls (a request extension).
#[derive(Debug, Clone, Default)]
pub struct PollSlot(Arc<Mutex<Option<Subscription>>>);

impl PollSlot {
    /// Takes the kept subscription if it is for `key`; drops it otherwise.
    pub fn take(&self, key: &str) -> Option<Subscription> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
        kept.filter(|s| s.key == key)
    }

    /// Keeps `sub` for the connection's next poll.
    pub fn keep(&self, sub: Subscription) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(sub);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn msg(tt: u64, channel: &str) -> StoredEvent {
        StoredEvent {
            timetoken: tt,
            channel: channel.into(),
            kind: EventType::Message,
            payload: "\"hi\"".into(),
            publisher: Some("me".into()),
            meta: None,
            message_type: None,
        }
    }

    fn hub(r: Retention) -> Hub {
        Hub::new(&r, 0)
    }

    fn tts(b: &Batch) -> Vec<u64> {
        b.events.iter().map(|e| e.timetoken).collect()
    }

    #[test]
    fn since_merges_channels_in_order_and_caps_replies() {
        let h = hub(Retention::default());
        h.push_batch(&[msg(10, "a"), msg(20, "b"), msg(30, "a")]);
        let chans = ["a".to_string(), "b".to_string()];
        let b = h.since(&chans, 10);
        assert_eq!((tts(&b), b.truncated, b.next), (vec![20, 30], false, 30));
        let none = h.since(&["c".to_string()], 0);
        assert!(!none.is_ready() && none.next == 0);
        let many: Vec<_> = (0..250).map(|i| msg(100 + i, "big")).collect();
        h.push_batch(&many);
        let b = h.since(&["big".to_string()], 0);
        assert_eq!((b.events.len(), b.next), (MAX_PER_RESPONSE, 199));
        assert!(!b.truncated, "a full reply is not a loss");
    }

    #[test]
    fn caps_drop_the_oldest_and_polls_learn_it() {
        let h = hub(Retention {
            per_channel: 3,
            total: 3,
            ..Retention::default()
        });
        let dropped = h.push_batch(&(1..=5).map(|i| msg(i, "a")).collect::<Vec<_>>());
        assert_eq!(dropped, [1, 2]);
        let a = ["a".to_string()];
        let b = h.since(&a, 1);
        assert_eq!((tts(&b), b.truncated), (vec![3, 4, 5], true));
        let b = h.since(&a, 2);
        assert_eq!((tts(&b), b.truncated), (vec![3, 4, 5], false));
        // The total cap takes the oldest across channels.
        let dropped = h.push_batch(&[msg(6, "b"), msg(7, "b"), msg(8, "c")]);
        assert_eq!(dropped, [3, 4, 5]);
        assert_eq!(h.kept().0, 3);
        let b = h.since(&a, 2);
        assert!(b.truncated && b.events.is_empty());
        assert_eq!(b.next, 8, "past the gap, up to the last event pushed");
        assert!(!h.since(&a, 8).is_ready());
        assert_eq!(h.dropped_max(), 5);
    }

    #[test]
    fn byte_caps_keep_memory_bounded() {
        let big = |tt: u64, ch: &str| StoredEvent {
            payload: format!("\"{}\"", "x".repeat(30_000)),
            ..msg(tt, ch)
        };
        let h = hub(Retention {
            per_channel_bytes: 100_000,
            total_bytes: 200_000,
            ..Retention::default()
        });
        for i in 0..50 {
            h.push_batch(&[big(i, if i % 2 == 0 { "a" } else { "b" })]);
        }
        let (n, bytes) = h.kept();
        assert!(bytes <= 200_000 && n >= 2, "{n} events, {bytes} bytes");
        // A dropped event's memory goes at once (nothing else holds it).
        let first = h.since(&["a".to_string(), "b".to_string()], 0).events[0].clone();
        for i in 50..60 {
            h.push_batch(&[big(i, "a"), big(i + 100, "b")]);
        }
        assert_eq!(Arc::strong_count(&first), 1, "only this test holds it now");
        let one = hub(Retention {
            per_channel_bytes: 10,
            ..Retention::default()
        });
        one.push_batch(&[big(1, "a"), big(2, "a")]);
        assert_eq!(
            tts(&one.since(&["a".to_string()], 0)),
            [2],
            "the newest stays"
        );
    }

    #[test]
    fn age_pruning_and_forgotten_channels() {
        let r = Retention {
            age: Duration::from_secs(10),
            keep_last: 2,
            max_age: Duration::from_secs(100),
            ..Retention::default()
        };
        let h = hub(r);
        let s = TICKS_PER_SEC;
        h.push_batch(&[
            msg(s, "a"),
            msg(2 * s, "a"),
            msg(3 * s, "a"),
            msg(4 * s, "b"),
        ]);
        assert_eq!(
            h.prune(20 * s),
            [s],
            "older than 10 s and not among the last 2"
        );
        let a = ["a".to_string()];
        assert!(h.since(&a, 0).truncated);
        assert!(!h.since(&a, s).truncated);
        assert_eq!(
            h.prune(200 * s).len(),
            3,
            "past the maximum age everything goes"
        );
        // Tombstones past the maximum age are forgotten into the hub-wide mark.
        h.prune(400 * s);
        assert!(h.lock().channels.is_empty());
        assert!(h.since(&["never-seen".to_string()], 3 * s).truncated);
        assert!(!h.since(&["never-seen".to_string()], 4 * s).truncated);
    }

    #[test]
    fn envelopes() {
        let h = hub(Retention::default());
        let mut o = msg(5, "u1");
        o.kind = EventType::Object;
        o.payload = "{}".into();
        h.push_batch(&[msg(17_000_000_000_000_000, "c\"1"), o]);
        let mut s = String::new();
        h.since(&["c\"1".to_string()], 0).events[0].write_envelope(&mut s, "\"sub\"");
        assert_eq!(
            s,
            r#"{"a":"1","f":0,"i":"me","p":{"t":"17000000000000000","r":1},"k":"sub","c":"c\"1","d":"hi"}"#
        );
    }

    fn sub(h: &Arc<Hub>, channels: &[&str]) -> Subscription {
        let list: Vec<String> = channels.iter().map(|c| c.to_string()).collect();
        h.subscribe(list.join(","), list)
    }

    #[tokio::test]
    async fn a_push_wakes_only_the_polls_of_its_channel() {
        let h = Arc::new(hub(Retention::default()));
        let (_tx, mut rx) = watch::channel(false);
        let mut a = sub(&h, &["a"]);
        let soon = || Instant::now() + Duration::from_millis(20);
        let b = h.wait(&mut a, 0, soon(), &mut rx).await;
        assert!(!b.is_ready() && b.next == 0);
        assert_eq!(h.waiting(), 1, "kept for the next poll");
        drop(a);
        assert_eq!(h.waiting(), 0, "a dropped subscription unregisters");
        assert!(h.lock().channels.is_empty(), "and leaves nothing behind");
        let mut idle = Vec::new();
        for i in 0..50 {
            let h = h.clone();
            let mut rx = rx.clone();
            let mut s = sub(&h, &[&format!("idle-{i}")]);
            idle.push(tokio::spawn(async move {
                h.wait(&mut s, 0, Instant::now() + Duration::from_secs(30), &mut rx)
                    .await
            }));
        }
        let h2 = h.clone();
        let mut az = sub(&h, &["a", "z"]);
        let mut rx2 = rx.clone();
        let waiter = tokio::spawn(async move {
            let rx = &mut rx2;
            let b = h2
                .wait(&mut az, 0, Instant::now() + Duration::from_secs(30), rx)
                .await;
            (b, az)
        });
        while h.waiting() < 52 {
            tokio::task::yield_now().await;
        }
        h.push_batch(&[msg(7, "b")]);
        h.push_batch(&[msg(8, "a")]);
        let (b, mut az) = waiter.await.unwrap();
        assert_eq!(tts(&b), [8]);
        for t in &idle {
            assert!(!t.is_finished(), "the idle polls are still waiting");
        }
        for t in idle {
            t.abort();
            let _ = t.await;
        }
        assert_eq!(h.waiting(), 2, "aborted polls unregister; a and z stay");
        // The kept subscription's next poll reads only what was pushed since.
        h.push_batch(&[msg(9, "z"), msg(10, "b")]);
        let b = h.wait(&mut az, 8, soon(), &mut rx).await;
        assert_eq!(tts(&b), [9]);
        // Another cursor reads every channel again.
        let b = h.wait(&mut az, 0, soon(), &mut rx).await;
        assert_eq!(tts(&b), [8, 9]);
        let b = h.wait(&mut az, 9, soon(), &mut rx).await;
        assert!(!b.is_ready());
    }

    #[test]
    fn a_slot_keeps_a_subscription_for_the_same_channels_only() {
        let h = Arc::new(hub(Retention::default()));
        let slot = PollSlot::default();
        slot.keep(sub(&h, &["a", "b"]));
        assert!(slot.take("a,c").is_none(), "another list drops it");
        assert_eq!(h.waiting(), 0);
        slot.keep(sub(&h, &["a", "b"]));
        assert_eq!(
            slot.take("a,b").map(|s| s.key().to_string()).as_deref(),
            Some("a,b")
        );
    }
}
