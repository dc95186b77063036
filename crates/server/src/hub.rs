//! The event hub: recent events per channel (for long-polls and catch-up) and the wake-up
//! signal waiting subscribers sleep on.
//!
//! Events are pushed in timetoken order (the domain pushes under its write lock), so each
//! channel's buffer is sorted and a cursor lookup is a binary search.

use ferrochat_core::json::write_str;
use ferrochat_core::time::TICKS_PER_MS;
use ferrochat_core::Event;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;
use tokio::time::Instant;

/// Every event younger than this is kept for catch-up: 20 minutes, in timetoken ticks.
pub const RETENTION_TICKS: u64 = 20 * 60 * 1000 * TICKS_PER_MS;
/// The last this-many events of a channel are kept even when older than
/// [`RETENTION_TICKS`] (up to [`MAX_AGE_TICKS`]).
pub const KEEP_LAST: usize = 100;
/// Nothing older than this is kept: 24 hours, in timetoken ticks.
pub const MAX_AGE_TICKS: u64 = 24 * 60 * 60 * 1000 * TICKS_PER_MS;
/// Most events kept per channel, however recent.
pub const MAX_PER_CHANNEL: usize = 1000;
/// Most events returned by one subscribe response.
pub const MAX_PER_RESPONSE: usize = 100;
/// The region reported in every cursor (clients refuse 0).
pub const REGION: u32 = 1;

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

/// An event as kept for delivery: everything needed to write its envelope.
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

    /// Writes the subscribe envelope (protocol.md §5.2/§5.3) for subscribe key `sub_key`.
    pub fn write_envelope(&self, out: &mut String, sub_key: &str) {
        use std::fmt::Write;
        out.push_str("{\"a\":\"1\",\"f\":0,");
        match self.kind {
            EventType::Object => out.push_str("\"e\":2,"),
            EventType::Message => {
                if let Some(publisher) = &self.publisher {
                    out.push_str("\"i\":");
                    let _ = write_str(out, publisher);
                    out.push(',');
                }
            }
        }
        let _ = write!(
            out,
            "\"p\":{{\"t\":\"{}\",\"r\":{REGION}}},\"k\":",
            self.timetoken
        );
        let _ = write_str(out, sub_key);
        out.push_str(",\"c\":");
        let _ = write_str(out, &self.channel);
        out.push_str(",\"d\":");
        out.push_str(&self.payload);
        if let Some(meta) = &self.meta {
            out.push_str(",\"u\":");
            out.push_str(meta);
        }
        if let Some(cmt) = &self.message_type {
            out.push_str(",\"cmt\":");
            let _ = write_str(out, cmt);
        }
        out.push('}');
    }
}

/// Recent events by channel plus a wake-up signal.
#[derive(Debug)]
pub struct Hub {
    channels: Mutex<HashMap<String, VecDeque<Arc<StoredEvent>>>>,
    latest: watch::Sender<u64>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            channels: Mutex::new(HashMap::new()),
            latest: watch::Sender::new(0),
        }
    }
}

/// Why a long-poll stopped waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitEnd {
    /// Events arrived.
    Events,
    /// The hold time ran out.
    Timeout,
    /// The server is shutting down.
    Shutdown,
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an event (timetokens must increase across calls) and wakes the subscribers.
    pub fn push(&self, event: StoredEvent) {
        let tt = event.timetoken;
        {
            let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
            let buf = channels.entry(event.channel.clone()).or_default();
            buf.push_back(Arc::new(event));
            while buf.len() > MAX_PER_CHANNEL {
                buf.pop_front();
            }
        }
        self.latest.send_replace(tt);
    }

    /// Drops expired events (relative to `now_ticks`): those older than 24 hours, and
    /// those older than 20 minutes that are not among the last 100 of their channel.
    pub fn prune(&self, now_ticks: u64) {
        let recent = now_ticks.saturating_sub(RETENTION_TICKS);
        let oldest = now_ticks.saturating_sub(MAX_AGE_TICKS);
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        channels.retain(|_, buf| {
            while buf.front().is_some_and(|e| {
                e.timetoken < oldest || (e.timetoken < recent && buf.len() > KEEP_LAST)
            }) {
                buf.pop_front();
            }
            !buf.is_empty()
        });
    }

    /// Events after timetoken `after` on any of `channels`, oldest first, at most
    /// [`MAX_PER_RESPONSE`].
    pub fn since(&self, channels: &[String], after: u64) -> Vec<Arc<StoredEvent>> {
        let map = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        let mut found: Vec<Arc<StoredEvent>> = Vec::new();
        for name in channels {
            if let Some(buf) = map.get(name) {
                let from = buf.partition_point(|e| e.timetoken <= after);
                found.extend(buf.range(from..).cloned());
            }
        }
        drop(map);
        found.sort_unstable_by_key(|e| e.timetoken);
        found.truncate(MAX_PER_RESPONSE);
        found
    }

    /// Waits until there are events after `after` on `channels`, `deadline` passes or
    /// `shutdown` turns true; returns the events (possibly none) and why it stopped.
    pub async fn wait(
        &self,
        channels: &[String],
        after: u64,
        deadline: Instant,
        shutdown: &mut watch::Receiver<bool>,
    ) -> (Vec<Arc<StoredEvent>>, WaitEnd) {
        let mut latest = self.latest.subscribe();
        loop {
            latest.borrow_and_update();
            let found = self.since(channels, after);
            if !found.is_empty() {
                return (found, WaitEnd::Events);
            }
            if *shutdown.borrow_and_update() {
                return (found, WaitEnd::Shutdown);
            }
            tokio::select! {
                changed = latest.changed() => {
                    if changed.is_err() {
                        return (Vec::new(), WaitEnd::Shutdown);
                    }
                }
                _ = tokio::time::sleep_until(deadline) => return (Vec::new(), WaitEnd::Timeout),
                _ = shutdown.changed() => return (Vec::new(), WaitEnd::Shutdown),
            }
        }
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

    #[test]
    fn since_merges_channels_in_order() {
        let hub = Hub::new();
        hub.push(msg(10, "a"));
        hub.push(msg(20, "b"));
        hub.push(msg(30, "a"));
        let chans = ["a".to_string(), "b".to_string()];
        let got: Vec<_> = hub.since(&chans, 10).iter().map(|e| e.timetoken).collect();
        assert_eq!(got, [20, 30]);
        assert!(hub.since(&["c".to_string()], 0).is_empty());
        for i in 0..(MAX_PER_CHANNEL as u64 + 5) {
            hub.push(msg(100 + i, "big"));
        }
        let got = hub.since(&["big".to_string()], 0);
        assert_eq!(got.len(), MAX_PER_RESPONSE);
        assert_eq!(got[0].timetoken, 105);
        // Old events: the last 100 of a channel stay for a day, the rest go.
        hub.prune(RETENTION_TICKS + 2000);
        assert_eq!(hub.since(&chans, 0).len(), 3);
        assert_eq!(hub.since(&["big".to_string()], 1000).len(), KEEP_LAST);
        assert_eq!(hub.since(&["big".to_string()], 0)[0].timetoken, 100 + 905);
        hub.prune(MAX_AGE_TICKS + 2000);
        assert!(hub.since(&chans, 0).is_empty());
        assert!(hub.since(&["big".to_string()], 0).is_empty());
    }

    #[test]
    fn envelopes() {
        let mut s = String::new();
        msg(17_000_000_000_000_000, "c\"1").write_envelope(&mut s, "sub");
        assert_eq!(
            s,
            r#"{"a":"1","f":0,"i":"me","p":{"t":"17000000000000000","r":1},"k":"sub","c":"c\"1","d":"hi"}"#
        );
        let mut o = msg(5, "u1");
        o.kind = EventType::Object;
        o.payload = "{}".into();
        let mut s = String::new();
        o.write_envelope(&mut s, "k");
        assert_eq!(
            s,
            r#"{"a":"1","f":0,"e":2,"p":{"t":"5","r":1},"k":"k","c":"u1","d":{}}"#
        );
    }

    #[tokio::test]
    async fn wait_wakes_on_push_and_times_out() {
        let hub = Arc::new(Hub::new());
        let (_tx, mut rx) = watch::channel(false);
        let chans = vec!["a".to_string()];
        let (found, end) = hub
            .wait(
                &chans,
                0,
                Instant::now() + Duration::from_millis(20),
                &mut rx,
            )
            .await;
        assert!(found.is_empty() && end == WaitEnd::Timeout);
        let h2 = hub.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            h2.push(msg(7, "b"));
            h2.push(msg(8, "a"));
        });
        let (found, end) = hub
            .wait(&chans, 0, Instant::now() + Duration::from_secs(5), &mut rx)
            .await;
        assert_eq!(end, WaitEnd::Events);
        assert_eq!(found[0].timetoken, 8);
    }
}
