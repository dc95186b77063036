//! The request policy: what one logical request becomes on the wire (URL, common query
//! parameters, the v2 string to sign), when an attempt has failed for good, how long to
//! wait before the next one (capped exponential backoff with jitter, `Retry-After`), and
//! how long an attempt may take. [`Transfers`] keeps the requests in progress; the driver
//! only sends what [`Request`] says and reports what came back.

use crate::config::{NetConfig, PNSDK};
use crate::keyed::Keyed;
use crate::rng::Rng;
use ferrochat_core::decode;
use ferrochat_core::json::{self, NumberParser, Value};
use ferrochat_core::wire::{parse_timetoken, query_string, string_to_sign};
use ferrochat_core::{ChatError, Result};

/// Timeout of ordinary requests (ms).
pub const REQUEST_TIMEOUT_MS: f64 = 15_000.0;
/// Timeout of the subscribe long-poll (ms); servers hold it for less.
pub const LONG_POLL_TIMEOUT_MS: f64 = 310_000.0;
/// Attempts of an idempotent request (1 + retries).
pub const MAX_ATTEMPTS: u32 = 4;
/// Upper bound on the total time spent waiting between retries (ms).
pub const MAX_RETRY_WAIT_MS: f64 = 20_000.0;
/// The longest `Retry-After` honoured (ms).
pub const MAX_RETRY_AFTER_MS: f64 = 10_000.0;

/// Identifies one attempt of one request: the transfer's key times 8 plus the attempt.
pub type RequestId = u64;

/// An HTTP method the protocol uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// A request for the driver to send, exactly as described.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Report the reply with this id.
    pub id: RequestId,
    /// HTTP method.
    pub method: Method,
    /// The whole URL, query included.
    pub url: String,
    /// `If-Match` header.
    pub if_match: Option<String>,
    /// JSON body (sent with `Content-Type: application/json`).
    pub body: Option<String>,
    /// When set, the driver appends `&signature=` + the v2 signature of this text
    /// (HMAC-SHA256 under the secret key, see [`signature_of`]).
    pub to_sign: Option<String>,
}

/// What came back for a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// An HTTP answer (any status).
    Response(Response),
    /// No answer: connection refused, reset, DNS, CORS… (the platform's message).
    Failed(String),
}

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// The body, `None` when it was not UTF-8.
    pub body: Option<String>,
    /// The `Retry-After` header, when the status is one that is retried (429, 5xx).
    pub retry_after: Option<String>,
}

impl Response {
    /// The body as text (`MALFORMED_RESPONSE` when it was not UTF-8).
    pub fn text(&self) -> Result<&str> {
        self.body.as_deref().ok_or_else(|| {
            ChatError::MalformedResponse(format!("HTTP {}: body is not UTF-8", self.status))
        })
    }

    /// The body as a JSON value (`MALFORMED_RESPONSE` when it is not JSON).
    pub fn json(&self, number: NumberParser) -> Result<Value> {
        json::parse(self.text()?, number).map_err(|e| {
            ChatError::MalformedResponse(format!("HTTP {}: body is not JSON ({e})", self.status))
        })
    }

    /// The server's error (`HTTP_<status>` with its message; 412 is
    /// [`ChatError::PreconditionFailed`]).
    pub fn error(&self, number: NumberParser) -> ChatError {
        if self.status == 412 {
            return ChatError::PreconditionFailed;
        }
        let body = self.json(number).unwrap_or(Value::Null);
        ChatError::Http {
            status: self.status,
            message: decode::error_message(&body)
                .unwrap_or("request failed")
                .to_string(),
        }
    }
}

/// Whether a reply with this status is retried (429 and 5xx).
pub fn retried_status(status: u16) -> bool {
    status == 429 || status >= 500
}

/// The wait before attempt `attempt + 1` (1-based `attempt` just failed), or `None` to
/// give up: capped exponential backoff (250 ms × 2ⁿ, at most 5 s) scaled by `jitter` in
/// `[0.5, 1.5)`, or the server's `Retry-After` (at most 10 s), within
/// [`MAX_ATTEMPTS`] attempts and [`MAX_RETRY_WAIT_MS`] of waiting in all.
pub fn retry_delay(
    attempt: u32,
    waited_ms: f64,
    retry_after_ms: Option<f64>,
    jitter: f64,
) -> Option<f64> {
    if attempt >= MAX_ATTEMPTS {
        return None;
    }
    let backoff = (250.0 * f64::from(1u32 << attempt.min(16))).min(5_000.0);
    let delay = retry_after_ms
        .unwrap_or(backoff * (0.5 + jitter))
        .min(MAX_RETRY_AFTER_MS);
    (waited_ms + delay <= MAX_RETRY_WAIT_MS).then_some(delay)
}

/// `Retry-After` in ms: delta-seconds only (an HTTP date is ignored).
pub fn retry_after_ms(header: Option<&str>) -> Option<f64> {
    parse_timetoken(header?.trim()).map(|secs| (secs as f64 * 1000.0).min(MAX_RETRY_AFTER_MS))
}

/// A logical request, before the common parameters are added.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// HTTP method.
    pub method: Method,
    /// Path, already percent-encoded.
    pub path: String,
    /// Endpoint query parameters.
    pub query: Vec<(&'static str, String)>,
    /// JSON body.
    pub body: Option<String>,
    /// `If-Match` header.
    pub if_match: Option<String>,
    /// Whether it may be sent again after a failure.
    pub idempotent: bool,
    /// Timeout of one attempt (ms).
    pub timeout_ms: f64,
}

impl Call {
    /// A retried GET with the ordinary timeout.
    pub fn get(path: String, query: Vec<(&'static str, String)>) -> Call {
        Call {
            method: Method::Get,
            path,
            query,
            body: None,
            if_match: None,
            idempotent: true,
            timeout_ms: REQUEST_TIMEOUT_MS,
        }
    }

    /// The request for one attempt: the common parameters (`uuid`, a fresh `requestid`,
    /// `pnsdk`, `auth`), and with a secret key the `timestamp` and the text to sign.
    pub fn request(
        &self,
        id: RequestId,
        net: &NetConfig,
        user_id: &str,
        wall_ms: f64,
        rng: &mut Rng,
    ) -> Request {
        let mut query = self.query.clone();
        query.push(("uuid", user_id.to_string()));
        query.push(("requestid", rng.uuid()));
        query.push(("pnsdk", PNSDK.to_string()));
        if let Some(auth) = &net.auth_key {
            query.push(("auth", auth.clone()));
        }
        let to_sign = net.secret_key.as_ref().map(|_| {
            query.push(("timestamp", ((wall_ms / 1000.0).floor() as u64).to_string()));
            string_to_sign(
                self.method.as_str(),
                &net.publish_key,
                &self.path,
                &query,
                self.body.as_deref(),
            )
        });
        Request {
            id,
            method: self.method,
            url: format!("{}{}?{}", net.base, self.path, query_string(&query)),
            if_match: self.if_match.clone(),
            body: self.body.clone(),
            to_sign,
        }
    }
}

/// The v2 signature (`v2.` + unpadded URL-safe base64) of an HMAC-SHA256 digest.
pub fn signature_of(digest: &[u8]) -> String {
    ferrochat_core::wire::v2_signature(&ferrochat_core::wire::base64(digest))
}

/// Where a transfer is in its life.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Waiting to be handed to the driver.
    Queued,
    /// Sent; times out at `deadline`.
    Sent { deadline: f64 },
    /// Failed; the next attempt goes out at `until`.
    Waiting { until: f64 },
}

/// One logical request and its attempts.
#[derive(Debug)]
struct Transfer<O> {
    call: Call,
    owner: O,
    /// Attempts made so far (the one in flight included).
    attempt: u32,
    waited: f64,
    phase: Phase,
}

/// How a transfer ended, for its owner.
pub type Outcome<O> = (O, Result<Response>);

/// The requests in progress, each with its owner `O`: attempts, timeouts and retries.
#[derive(Debug)]
pub struct Transfers<O> {
    items: Keyed<Transfer<O>>,
    next: u64,
    aborts: Vec<RequestId>,
    /// The last retry scheduled: what, the attempt that failed, the wait, why (for logs).
    last_retry: Option<(String, u32, f64, String)>,
}

impl<O> Default for Transfers<O> {
    fn default() -> Self {
        Transfers {
            items: Keyed::default(),
            next: 1,
            aborts: Vec::new(),
            last_retry: None,
        }
    }
}

fn id_of(key: u64, attempt: u32) -> RequestId {
    key * 8 + u64::from(attempt)
}

impl<O: Clone> Transfers<O> {
    /// Queues `call` for `owner`; returns its key (stable across attempts).
    pub fn start(&mut self, call: Call, owner: O) -> u64 {
        let key = self.next;
        self.next += 1;
        self.items.insert(
            key,
            Transfer {
                call,
                owner,
                attempt: 0,
                waited: 0.0,
                phase: Phase::Queued,
            },
        );
        key
    }

    /// Forgets transfer `key`; an attempt in flight is aborted. Unknown keys are ignored.
    pub fn cancel(&mut self, key: u64) {
        if let Some(t) = self.items.remove(key) {
            if let Phase::Sent { .. } = t.phase {
                self.aborts.push(id_of(key, t.attempt));
            }
        }
    }

    /// Cancels every transfer whose owner matches.
    pub fn cancel_where(&mut self, mut pred: impl FnMut(&O) -> bool) {
        let keys = self.items.keys_where(|t| pred(&t.owner));
        for k in keys {
            self.cancel(k);
        }
    }

    /// Whether transfer `key` is still in progress.
    pub fn contains(&self, key: u64) -> bool {
        self.items.contains_key(key)
    }

    /// Number of transfers in progress.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is in progress.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The owners of the transfers in progress.
    pub fn owners(&self) -> impl Iterator<Item = &O> {
        self.items.values().map(|t| &t.owner)
    }

    /// The next attempt to send (queued, or whose retry wait is over).
    pub fn next_to_send(&mut self, now: f64) -> Option<(RequestId, &Call)> {
        let (key, t) = self.items.iter_mut().find(|(_, t)| match t.phase {
            Phase::Queued => true,
            Phase::Waiting { until } => until <= now,
            Phase::Sent { .. } => false,
        })?;
        t.attempt += 1;
        t.phase = Phase::Sent {
            deadline: now + t.call.timeout_ms,
        };
        Some((id_of(key, t.attempt), &t.call))
    }

    /// The retry scheduled since the last call, if any: what, the attempt that failed, the
    /// wait (ms), why.
    pub fn take_retry(&mut self) -> Option<(String, u32, f64, String)> {
        self.last_retry.take()
    }

    /// The next abort for the driver.
    pub fn next_abort(&mut self) -> Option<RequestId> {
        self.aborts.pop()
    }

    /// The earliest moment something is due: a timeout or the end of a retry wait.
    pub fn deadline(&self) -> Option<f64> {
        self.items.min_of(|t| match t.phase {
            Phase::Sent { deadline } => Some(deadline),
            Phase::Waiting { until } => Some(until),
            Phase::Queued => None,
        })
    }

    /// Whether an attempt is queued (to send at once).
    pub fn has_queued(&self) -> bool {
        self.items.values().any(|t| t.phase == Phase::Queued)
    }

    /// Takes a reply. Returns the finished transfer's owner and result, or `None` when the
    /// reply is stale (aborted, timed out) or will be retried.
    pub fn reply(
        &mut self,
        id: RequestId,
        reply: Reply,
        now: f64,
        number: NumberParser,
        jitter: f64,
    ) -> Option<Outcome<O>> {
        let key = id / 8;
        let t = self.items.get(key)?;
        if id_of(key, t.attempt) != id || !matches!(t.phase, Phase::Sent { .. }) {
            return None;
        }
        let (err, retry_after) = match reply {
            Reply::Response(r) if !retried_status(r.status) => return self.finish(key, Ok(r)),
            Reply::Response(r) => {
                let after = retry_after_ms(r.retry_after.as_deref());
                (r.error(number), after)
            }
            Reply::Failed(message) => (ChatError::Network(message), None),
        };
        self.failed(key, err, retry_after, now, jitter)
    }

    /// Times out attempts past their deadline (aborting them); returns the transfers that
    /// thereby ended.
    pub fn expire(&mut self, now: f64, jitter: &mut dyn FnMut() -> f64) -> Vec<Outcome<O>> {
        let late = self
            .items
            .keys_where(|t| matches!(t.phase, Phase::Sent { deadline } if deadline <= now));
        let mut done = Vec::new();
        for key in late {
            if let Some(t) = self.items.get(key) {
                self.aborts.push(id_of(key, t.attempt));
            }
            done.extend(self.failed(key, ChatError::Timeout, None, now, jitter()));
        }
        done
    }

    fn failed(
        &mut self,
        key: u64,
        err: ChatError,
        retry_after: Option<f64>,
        now: f64,
        jitter: f64,
    ) -> Option<Outcome<O>> {
        let t = self.items.get_mut(key)?;
        let delay = if t.call.idempotent {
            retry_delay(t.attempt, t.waited, retry_after, jitter)
        } else {
            None
        };
        match delay {
            Some(d) => {
                t.waited += d;
                t.phase = Phase::Waiting { until: now + d };
                let what = format!("{} {}", t.call.method.as_str(), t.call.path);
                self.last_retry = Some((what, t.attempt, d, err.to_string()));
                None
            }
            None => self.finish(key, Err(err)),
        }
    }

    fn finish(&mut self, key: u64, result: Result<Response>) -> Option<Outcome<O>> {
        self.items.remove(key).map(|t| (t.owner, result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrochat_core::json::std_number;

    fn ok(status: u16) -> Reply {
        Reply::Response(Response {
            status,
            body: Some("{}".into()),
            retry_after: None,
        })
    }

    #[test]
    fn backoff_is_capped_and_bounded_in_attempts_and_total_wait() {
        assert_eq!(retry_delay(1, 0.0, None, 0.5), Some(500.0));
        assert_eq!(retry_delay(3, 0.0, None, 0.5), Some(2000.0));
        assert_eq!(retry_delay(4, 0.0, None, 0.5), None, "4 attempts in all");
        assert_eq!(retry_delay(1, 0.0, Some(60_000.0), 0.5), Some(10_000.0));
        assert_eq!(retry_delay(1, 15_000.0, Some(6_000.0), 0.5), None);
        assert_eq!(retry_after_ms(Some(" 3 ")), Some(3000.0));
        assert_eq!(retry_after_ms(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
    }

    #[test]
    fn a_transfer_retries_5xx_and_network_errors_then_reports() {
        let mut t: Transfers<&str> = Transfers::default();
        t.start(Call::get("/p".into(), vec![]), "op");
        let (id, _) = t.next_to_send(0.0).unwrap();
        assert!(
            t.reply(id, ok(503), 0.0, std_number, 0.5).is_none(),
            "retried"
        );
        assert!(t.next_to_send(100.0).is_none(), "still waiting");
        assert_eq!(t.deadline(), Some(500.0));
        let (id2, _) = t.next_to_send(500.0).unwrap();
        assert_ne!(id, id2);
        assert!(
            t.reply(id, ok(200), 501.0, std_number, 0.5).is_none(),
            "a stale attempt's reply is ignored"
        );
        assert!(t
            .reply(id2, Reply::Failed("reset".into()), 501.0, std_number, 0.5)
            .is_none());
        let (id3, _) = t.next_to_send(2000.0).unwrap();
        let (owner, result) = t.reply(id3, ok(404), 2001.0, std_number, 0.5).unwrap();
        assert_eq!(owner, "op");
        assert_eq!(result.unwrap().status, 404);
        assert!(t.is_empty());
    }

    #[test]
    fn timeouts_abort_and_non_idempotent_calls_are_not_retried() {
        let mut t: Transfers<u8> = Transfers::default();
        let call = Call {
            idempotent: false,
            ..Call::get("/p".into(), vec![])
        };
        t.start(call, 1);
        let (id, _) = t.next_to_send(0.0).unwrap();
        assert!(t.expire(14_999.0, &mut || 0.5).is_empty());
        let done = t.expire(15_000.0, &mut || 0.5);
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].1.as_ref().unwrap_err(), &ChatError::Timeout);
        assert_eq!(t.next_abort(), Some(id));
        assert!(t.next_abort().is_none());
    }

    #[test]
    fn cancelling_a_sent_transfer_aborts_it() {
        let mut t: Transfers<u8> = Transfers::default();
        let key = t.start(Call::get("/p".into(), vec![]), 1);
        let (id, _) = t.next_to_send(0.0).unwrap();
        t.cancel(key);
        assert_eq!(t.next_abort(), Some(id));
        assert!(t.reply(id, ok(200), 1.0, std_number, 0.5).is_none());
        assert!(t.is_empty());
    }
}
