//! The subscribe engine of the network backend (subscribe v2 long-poll, protocol.md §5).
//!
//! One loop per *shard* multiplexes its channels; past [`MAX_CHANNEL_BYTES`] of channel
//! names a new shard takes the rest, so URLs stay short however many users stream. A
//! handshake gives the cursor, each poll advances it; a change of channels aborts the poll
//! in flight and resumes from the same cursor (the server's catch-up fills the gap). A
//! channel joining a running loop would get the history since the cursor replayed: events
//! from before it joined are dropped. Failures back off exponentially (capped, jittered).
//! Leaves are sent once per turn, and not for a channel subscribed again meanwhile.
//!
//! A reply that may have been cut short (the server says `truncated`, or it carries the
//! most messages a reply holds) means events may be lost: the users streamed on that
//! shard are read again and their true state delivered.

use crate::client::{Backend, Client, Owner};
use crate::config::{LogLevel, NetConfig};
use crate::keyed::Keyed;
use crate::request::{Call, Response};
use crate::{Map, Set};
use ferrochat_core::decode;
use ferrochat_core::json::Value;
use ferrochat_core::wire::{encode, leave_path, subscribe_path};
use ferrochat_core::{ChatError, Result};

/// The most channel-list bytes (percent-encoded) one subscribe request carries.
pub const MAX_CHANNEL_BYTES: usize = 16 * 1024;
/// The most messages one subscribe reply carries (the PubNub network's cap, and
/// ferrochat-server's): a reply this full may have left events behind.
pub const MAX_MESSAGES_PER_REPLY: usize = 100;
/// How long a loop that may have lost events waits to catch up before its users are re-read
/// anyway (ms).
pub const LOST_GRACE_MS: f64 = 2_000.0;
/// Channels per `leave` request.
const LEAVE_CHUNK: usize = 100;

/// Milliseconds as timetoken ticks, keeping sub-millisecond precision.
fn ticks(ms: f64) -> u64 {
    (ms * 10_000.0).max(0.0) as u64
}

/// The wait after the `n`th consecutive failure of a loop: 0.5 s × 2ⁿ (at most 30 s),
/// scaled by `jitter` in [0.5, 1.5).
pub fn reconnect_backoff(n: u32, jitter: f64) -> f64 {
    (500.0 * f64::from(1u32 << n.min(6))).min(30_000.0) * (0.5 + jitter)
}

/// One long-poll loop over a share of the channels.
#[derive(Debug, Default)]
struct Shard {
    channels: Set<String>,
    /// Encoded size of the channel list (with separators).
    bytes: usize,
    /// `(tt, tr)` of the last reply.
    cursor: Option<(u64, String)>,
    /// Channels that joined a running loop: events before this timetoken are history.
    joined: Map<String, u64>,
    /// The poll in flight (transfer key).
    poll: Option<u64>,
    /// The channels changed: abort the poll in flight and poll again.
    restart: bool,
    /// When the first stream on a loop without a cursor started (monotonic ms).
    started_at: Option<f64>,
    failures: u32,
    backoff_until: Option<f64>,
    /// Since when a reply may have left events behind (monotonic ms): the users are
    /// re-read once the loop has caught up, or [`LOST_GRACE_MS`] later at the latest.
    lost_at: Option<f64>,
}

/// The network backend's subscribe state.
#[derive(Debug)]
pub struct Net {
    /// Where and as whom.
    pub config: NetConfig,
    shards: Keyed<Shard>,
    next: u64,
    /// Server time minus the monotonic clock (ms), from the last handshake.
    offset: Option<f64>,
    /// Channels to leave at the next flush.
    leaving: Set<String>,
}

impl Net {
    /// No loops yet.
    pub fn new(config: NetConfig) -> Self {
        Net {
            config,
            shards: Keyed::default(),
            next: 0,
            offset: None,
            leaving: Set::default(),
        }
    }

    fn shard_of(&self, channel: &str) -> Option<u64> {
        self.shards
            .iter()
            .find(|(_, s)| s.channels.contains(channel))
            .map(|(k, _)| k)
    }

    /// Adds `channel` to a loop with room for it (or a new loop).
    pub fn add_channel(&mut self, channel: &str, now: f64) {
        if self.shard_of(channel).is_some() {
            return;
        }
        let cost = encode(channel).len() + 1;
        let room = self
            .shards
            .iter()
            .find(|(_, s)| s.bytes + cost <= MAX_CHANNEL_BYTES || s.bytes == 0)
            .map(|(k, _)| k);
        let key = room.unwrap_or_else(|| {
            self.next += 1;
            self.shards.insert(self.next, Shard::default());
            self.next
        });
        let offset = self.offset;
        let Some(s) = self.shards.get_mut(key) else {
            return;
        };
        s.channels.insert(channel.to_string());
        s.bytes += cost;
        match (&s.cursor, offset) {
            // Joining a running loop: events from before now are history.
            (Some(_), Some(offset)) => {
                s.joined.insert(channel.to_string(), ticks(now + offset));
            }
            (None, _) => {
                s.started_at.get_or_insert(now);
            }
            _ => {}
        }
        s.restart = true;
    }

    /// Removes `channel` from its loop and queues its leave.
    pub fn remove_channel(&mut self, channel: &str) {
        let Some(key) = self.shard_of(channel) else {
            return;
        };
        if let Some(s) = self.shards.get_mut(key) {
            s.channels.remove(channel);
            s.bytes = s.bytes.saturating_sub(encode(channel).len() + 1);
            s.restart = true;
        }
        self.leaving.insert(channel.to_string());
    }

    /// Every channel goes (its leave queued); loops stop at the next flush.
    pub fn shutdown(&mut self) {
        for s in self.shards.values_mut() {
            self.leaving.extend(std::mem::take(&mut s.channels));
            s.bytes = 0;
            s.restart = true;
        }
    }

    /// The end of the earliest reconnect backoff.
    pub fn backoff_deadline(&self) -> Option<f64> {
        self.shards.min_of(|s| {
            let backoff = s
                .backoff_until
                .filter(|_| s.poll.is_none() && !s.channels.is_empty());
            let lost = s.lost_at.map(|t| t + LOST_GRACE_MS);
            match (backoff, lost) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        })
    }

    /// The loops whose grace to catch up after a possible loss is over.
    pub fn overdue_resyncs(&self, now: f64) -> Vec<u64> {
        self.shards
            .keys_where(|s| s.lost_at.is_some_and(|t| t + LOST_GRACE_MS <= now))
    }

    /// Number of loops (for tests).
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }
}

impl<L: Clone, T> Client<L, T> {
    /// Aborts polls whose channels changed, starts the polls that are due, drops emptied
    /// loops, and sends the leaves queued this turn.
    pub(crate) fn flush_network(&mut self) {
        let now = self.now.mono;
        let Backend::Network(net) = &mut self.backend else {
            return;
        };
        for s in net.shards.values_mut() {
            if std::mem::take(&mut s.restart) {
                if let Some(t) = s.poll.take() {
                    self.transfers.cancel(t);
                }
            }
        }
        net.shards
            .retain(|_, s| !s.channels.is_empty() || s.poll.is_some());
        for (key, s) in net.shards.iter_mut() {
            if s.poll.is_some() || s.channels.is_empty() || s.backoff_until.is_some_and(|t| t > now)
            {
                continue;
            }
            s.backoff_until = None;
            let mut query: Vec<(&'static str, String)> = Vec::new();
            if let Some((tt, tr)) = &s.cursor {
                query.push(("tt", tt.to_string()));
                query.push(("tr", tr.clone()));
            }
            query.push(("ee", String::new()));
            let call = Call {
                idempotent: false,
                timeout_ms: net.config.subscribe_timeout_ms,
                ..Call::get(
                    subscribe_path(
                        &net.config.subscribe_key,
                        s.channels.iter().map(String::as_str),
                    ),
                    query,
                )
            };
            s.poll = Some(self.transfers.start(call, Owner::Poll(key)));
        }
        if net.leaving.is_empty() {
            return;
        }
        let mut leaving = Vec::new();
        for c in std::mem::take(&mut net.leaving) {
            if net.shard_of(&c).is_none() {
                leaving.push(c);
            }
        }
        for chunk in leaving.chunks(LEAVE_CHUNK) {
            let call = Call {
                idempotent: false,
                timeout_ms: net.config.request_timeout_ms,
                ..Call::get(
                    leave_path(&net.config.subscribe_key, chunk.iter().map(String::as_str)),
                    Vec::new(),
                )
            };
            self.transfers.start(call, Owner::Leave);
        }
    }

    /// A poll ended.
    pub(crate) fn poll_done(&mut self, key: u64, result: Result<Response>) {
        let number = self.number;
        let body = match result {
            Ok(r) if r.status == 200 => r.json(number),
            Ok(r) => Err(r.error(number)),
            Err(e) => Err(e),
        };
        let jitter = self.rng.unit();
        let now = self.now.mono;
        let Backend::Network(net) = &mut self.backend else {
            return;
        };
        let offset = &mut net.offset;
        let Some(s) = net.shards.get_mut(key) else {
            return;
        };
        s.poll = None;
        let body = match body {
            // The long-poll outlived its timeout: poll again at once.
            Err(ChatError::Timeout) => return,
            Ok(body) => body,
            Err(e) => {
                let wait = fail(s, now, jitter);
                return self.log(LogLevel::Warn, || {
                    format!("subscribe failed ({e}); reconnecting in {} ms", wait as u64)
                });
            }
        };
        let Some((mut tt, region)) = decode::cursor(&body) else {
            let wait = fail(s, now, jitter);
            return self.log(LogLevel::Warn, || {
                format!(
                    "subscribe reply without a cursor; reconnecting in {} ms",
                    wait as u64
                )
            });
        };
        let failures = std::mem::take(&mut s.failures);
        let handshake = s.cursor.is_none();
        let channels = s.channels.len();
        let mut lost = false;
        if handshake {
            s.joined.clear();
            // The handshake answers with the server's time, some time before we read it:
            // that maps our monotonic clock onto the server's without wall-clock skew. We
            // take the lower bound (as if the answer took no time to arrive), so a change
            // made right after a subscribe is never dropped; at worst one made a few ms
            // before it is replayed (and ignored by listeners whose snapshot has it).
            let o = tt as f64 / 10_000.0 - now;
            *offset = Some(o);
            if let Some(start) = s.started_at.take() {
                tt = tt.min(ticks(start + o));
            }
        } else {
            let count = match body.get("m") {
                Some(Value::Arr(m)) => m.len(),
                _ => 0,
            };
            // Events may have been lost: re-read once the loop has caught up (a reply that
            // is not full), not after every full reply of a burst.
            if count >= MAX_MESSAGES_PER_REPLY || body.get("truncated") == Some(&Value::Bool(true))
            {
                s.lost_at.get_or_insert(now);
            }
            lost = s.lost_at.is_some() && count < MAX_MESSAGES_PER_REPLY;
            for event in decode::events(body) {
                if s.joined
                    .get(&event.channel)
                    .is_none_or(|since| event.timetoken >= *since)
                {
                    self.events.push_back(event);
                }
            }
            s.joined.retain(|_, since| *since > tt);
        }
        s.cursor = Some((tt, region));
        if handshake {
            self.log(LogLevel::Debug, || {
                format!("subscribed to {channels} channels")
            });
        }
        if failures > 0 {
            self.log(LogLevel::Info, || {
                format!("subscribe reconnected after {failures} failed attempts")
            });
        }
        if lost {
            self.log(LogLevel::Info, || {
                "a subscribe reply may have left events behind: re-reading its users".into()
            });
            self.resync_shard(key);
        }
    }

    /// Re-reads the users streamed on loop `key` (it may have lost events).
    pub(crate) fn resync_shard(&mut self, key: u64) {
        let Backend::Network(net) = &mut self.backend else {
            return;
        };
        let Some(s) = net.shards.get_mut(key) else {
            return;
        };
        s.lost_at = None;
        let channels: Vec<String> = s.channels.iter().cloned().collect();
        self.resync_channels(&channels);
    }
}

/// A loop failed: back off before its next poll; returns the wait (ms).
fn fail(s: &mut Shard, now: f64, jitter: f64) -> f64 {
    s.failures = s.failures.saturating_add(1);
    let wait = reconnect_backoff(s.failures, jitter);
    s.backoff_until = Some(now + wait);
    wait
}
