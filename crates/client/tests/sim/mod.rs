//! A simulated PubNub-protocol server and a virtual clock to drive ferrochat-client with.
//!
//! The server keeps users in ferrochat-core's `MemoryStore` (so it applies the same rules
//! as ferrochat-server), answers the requests the client makes (objects v2, subscribe v2
//! long-polls with catch-up and an event window, leave), can be told to fail, refuse,
//! delay, restart or verify signatures, and logs every request. [`World`] runs clients
//! against it (or against one shared embedded store) on virtual time: replies arrive after
//! a latency, long-polls are held, timers fire exactly when due. Everything is
//! deterministic for a given seed.
#![allow(dead_code)]

use ferrochat_client::request::signature_of;
use ferrochat_client::{
    Client, Config, Hub, Method, Now, Outcome, Output, Payload, Progress, RawConfig, Reply,
    Request, RequestId, Response, SharedHub, Status,
};
use ferrochat_core::json::{std_number, std_number_writer, write_user};
use ferrochat_core::page::{check_limit, ListQuery};
use ferrochat_core::store::{MemoryStore, SetMode};
use ferrochat_core::time::ms_to_ticks;
use ferrochat_core::wire::{parse_timetoken, string_to_sign};
use ferrochat_core::{decode, ChatError, Event, Filter, Result, SortKey};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;

/// The simulated origin.
pub const BASE: &str = "http://sim.invalid";
/// Wall clock at virtual time 0 (ms since the epoch).
pub const WALL0: f64 = 1_780_000_000_000.0;

/// What the server does with a request instead of answering it normally.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer normally.
    None,
    /// No HTTP answer (connection reset).
    Fail,
    /// Answer with this status (and `Retry-After` seconds).
    Status(u16, Option<u32>),
    /// Never answer (the client's timeout must fire).
    Blackhole,
}

/// A request as the server sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub if_match: Option<String>,
    pub body: Option<String>,
}

impl Seen {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `METHOD last-path-segment` (for request-count assertions).
    pub fn short(&self) -> String {
        format!(
            "{} {}",
            self.method.as_str(),
            self.path.rsplit('/').next().unwrap_or("")
        )
    }

    pub fn is_subscribe(&self) -> bool {
        self.path.starts_with("/v2/subscribe/")
    }

    pub fn is_objects(&self) -> bool {
        self.path.starts_with("/v2/objects/")
    }
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).expect("utf-8")
}

/// Parses a request URL of the simulated origin.
pub fn parse(req: &Request) -> Seen {
    let rest = req.url.strip_prefix(BASE).expect("the simulated origin");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), pct_decode(v))
        })
        .collect();
    Seen {
        method: req.method,
        path: path.to_string(),
        query,
        if_match: req.if_match.clone(),
        body: req.body.clone(),
    }
}

/// How the server answers.
pub enum Answer {
    /// Now.
    Now(Reply),
    /// A long-poll held until events arrive on `channels` after `tt`, or `until`.
    Park {
        channels: Vec<String>,
        tt: u64,
        until: f64,
    },
    /// Never.
    Never,
}

fn json_reply(status: u16, body: String) -> Reply {
    Reply::Response(Response {
        status,
        body: Some(body),
        retry_after: None,
    })
}

fn error_reply(status: u16, message: &str) -> Reply {
    json_reply(
        status,
        format!(r#"{{"status":{status},"error":{{"message":"{message}"}}}}"#),
    )
}

/// The simulated server.
pub struct Sim {
    pub store: MemoryStore,
    /// `(timetoken, channel, envelope)` of retained events, oldest first.
    pub log: Vec<(u64, String, String)>,
    /// Events retained at most (older ones are dropped).
    pub window: usize,
    /// The newest dropped event's timetoken (0: none dropped).
    pub dropped_upto: u64,
    /// Whether a reply over a dropped range says `truncated` (ferrochat-server does).
    pub flags_truncation: bool,
    /// Every request, in order.
    pub seen: Vec<Seen>,
    /// Decides faults per request.
    pub fault: Box<dyn FnMut(&Seen) -> Fault>,
    /// How long a long-poll is held without events (ms).
    pub hold_ms: f64,
    /// With a secret, every request must carry a valid v2 signature.
    pub secret: Option<String>,
    pub publish_key: String,
    /// Every event ever published (for loss/duplicate checks): `(timetoken, event)`.
    pub history: Vec<Event>,
}

impl Default for Sim {
    fn default() -> Self {
        Sim {
            store: MemoryStore::new(),
            log: Vec::new(),
            window: 100_000,
            dropped_upto: 0,
            flags_truncation: true,
            seen: Vec::new(),
            fault: Box::new(|_| Fault::None),
            hold_ms: 10_000.0,
            secret: None,
            publish_key: "pub".into(),
            history: Vec::new(),
        }
    }
}

impl Sim {
    fn publish(&mut self, event: Option<Event>) {
        let Some(event) = event else { return };
        let env = format!(
            r#"{{"a":"1","f":0,"e":2,"p":{{"t":"{}","r":1}},"k":"sub","c":{},"d":{}}}"#,
            event.timetoken,
            json_str(&event.channel),
            event.payload_json()
        );
        self.log.push((event.timetoken, event.channel.clone(), env));
        while self.log.len() > self.window {
            let (tt, _, _) = self.log.remove(0);
            self.dropped_upto = tt;
        }
        self.history.push(event);
    }

    /// Writes directly (as another client would), publishing the event.
    pub fn set(
        &mut self,
        id: &str,
        patch: &ferrochat_core::UserPatch,
        wall: f64,
    ) -> ferrochat_core::User {
        let out = self
            .store
            .set(id, patch, SetMode::Upsert, None, ms_to_ticks(wall))
            .expect("write");
        self.publish(out.event);
        out.user
    }

    /// Deletes directly.
    pub fn remove(&mut self, id: &str, wall: f64) {
        let ev = self.store.remove(id, ms_to_ticks(wall)).expect("remove");
        self.publish(ev);
    }

    fn check_signature(&self, req: &Request, seen: &Seen) -> bool {
        let Some(secret) = &self.secret else {
            return true;
        };
        let Some(sig) = seen.param("signature") else {
            return false;
        };
        let query: Vec<(&str, String)> = seen
            .query
            .iter()
            .filter(|(k, _)| k != "signature")
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let text = string_to_sign(
            req.method.as_str(),
            &self.publish_key,
            &seen.path,
            &query,
            req.body.as_deref(),
        );
        sig == sign(secret, &text)
    }

    /// Answers a request at wall time `wall` (ms).
    pub fn handle(&mut self, req: &Request, now: f64, wall: f64) -> Answer {
        let seen = parse(req);
        self.seen.push(seen.clone());
        match (self.fault)(&seen) {
            Fault::None => {}
            Fault::Fail => return Answer::Now(Reply::Failed("connection reset".into())),
            Fault::Blackhole => return Answer::Never,
            Fault::Status(status, after) => {
                return Answer::Now(Reply::Response(Response {
                    status,
                    body: Some(format!(
                        r#"{{"status":{status},"error":{{"message":"injected"}}}}"#
                    )),
                    retry_after: after.map(|s| s.to_string()),
                }))
            }
        }
        if !self.check_signature(req, &seen) {
            return Answer::Now(error_reply(403, "Invalid signature"));
        }
        let parts: Vec<&str> = seen.path.split('/').collect();
        match (req.method, parts.as_slice()) {
            (Method::Get, ["", "v2", "objects", _, "uuids", id]) => {
                let id = pct_decode(id);
                match self.store.get(&id) {
                    Some(u) => Answer::Now(json_reply(
                        200,
                        format!(r#"{{"status":200,"data":{}}}"#, user_json(u)),
                    )),
                    None => Answer::Now(error_reply(404, "Requested object was not found.")),
                }
            }
            (Method::Patch, ["", "v2", "objects", _, "uuids", id]) => {
                let id = pct_decode(id);
                let patch = match decode::patch(req.body.as_deref().unwrap_or(""), std_number) {
                    Ok(p) => p,
                    Err(e) => return Answer::Now(error_reply(400, &e.message)),
                };
                let tag = req.if_match.as_deref();
                match self
                    .store
                    .set(&id, &patch, SetMode::Upsert, tag, ms_to_ticks(wall))
                {
                    Ok(out) => {
                        let body = format!(r#"{{"status":200,"data":{}}}"#, user_json(&out.user));
                        self.publish(out.event);
                        Answer::Now(json_reply(200, body))
                    }
                    Err(ChatError::PreconditionFailed) => {
                        Answer::Now(error_reply(412, "precondition failed"))
                    }
                    Err(e) => Answer::Now(error_reply(400, &e.to_string())),
                }
            }
            (Method::Delete, ["", "v2", "objects", _, "uuids", id]) => {
                let id = pct_decode(id);
                match self.store.remove(&id, ms_to_ticks(wall)) {
                    Ok(ev) => {
                        self.publish(ev);
                        Answer::Now(json_reply(200, r#"{"status":200,"data":null}"#.into()))
                    }
                    Err(e) => Answer::Now(error_reply(400, &e.to_string())),
                }
            }
            (Method::Get, ["", "v2", "objects", _, "uuids"]) => Answer::Now(self.list(&seen)),
            (Method::Get, ["", "v2", "subscribe", _, channels, "0"]) => {
                let channels: Vec<String> = channels
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(pct_decode)
                    .collect();
                match seen
                    .param("tt")
                    .and_then(parse_timetoken)
                    .filter(|t| *t > 0)
                {
                    None => {
                        let tt = ms_to_ticks(wall).max(self.store.clock().last());
                        Answer::Now(json_reply(
                            200,
                            format!(r#"{{"t":{{"t":"{tt}","r":1}},"m":[]}}"#),
                        ))
                    }
                    Some(tt) => match self.poll(&channels, tt) {
                        Some(reply) => Answer::Now(reply),
                        None => Answer::Park {
                            channels,
                            tt,
                            until: now + self.hold_ms,
                        },
                    },
                }
            }
            (Method::Get, ["", "v2", "presence", "sub-key", _, "channel", _, "leave"]) => {
                Answer::Now(json_reply(
                    200,
                    r#"{"status":200,"message":"OK","action":"leave","service":"Presence"}"#.into(),
                ))
            }
            _ => Answer::Now(error_reply(404, "no such endpoint")),
        }
    }

    /// The reply to a long-poll on `channels` after `tt`, if there are events for it.
    pub fn poll(&self, channels: &[String], tt: u64) -> Option<Reply> {
        let events: Vec<&(u64, String, String)> = self
            .log
            .iter()
            .filter(|(t, c, _)| *t > tt && channels.contains(c))
            .take(100)
            .collect();
        let last = events.last()?.0;
        let truncated = self.flags_truncation && self.dropped_upto > tt;
        let m: Vec<&str> = events.iter().map(|(_, _, e)| e.as_str()).collect();
        let flag = if truncated {
            r#","truncated":true"#
        } else {
            ""
        };
        Some(json_reply(
            200,
            format!(
                r#"{{"t":{{"t":"{last}","r":1}},"m":[{}]{flag}}}"#,
                m.join(",")
            ),
        ))
    }

    /// The empty reply of a held poll that timed out.
    pub fn empty_poll(tt: u64) -> Reply {
        json_reply(200, format!(r#"{{"t":{{"t":"{tt}","r":1}},"m":[]}}"#))
    }

    fn list(&self, seen: &Seen) -> Reply {
        let run = || -> Result<String> {
            let mut q = ListQuery::default();
            if let Some(f) = seen.param("filter") {
                q.filter = Some(Filter::parse(f)?);
            }
            if let Some(l) = seen.param("limit") {
                q.limit = check_limit(l.parse().unwrap_or(100))?;
            }
            let sorts: Vec<&str> = seen
                .query
                .iter()
                .filter(|(k, _)| k == "sort")
                .map(|(_, v)| v.as_str())
                .collect();
            q.sort = SortKey::parse_all(sorts)?;
            q.start = seen.param("start").map(String::from);
            q.end = seen.param("end").map(String::from);
            let page = self.store.list(&q)?;
            let users: Vec<String> = page.users.iter().map(user_json).collect();
            let mut body = format!(
                r#"{{"status":200,"data":[{}],"totalCount":{}"#,
                users.join(","),
                page.total
            );
            if let Some(n) = &page.next {
                body.push_str(&format!(r#","next":"{n}""#));
            }
            if let Some(p) = &page.prev {
                body.push_str(&format!(r#","prev":"{p}""#));
            }
            body.push('}');
            Ok(body)
        };
        match run() {
            Ok(body) => json_reply(200, body),
            Err(e) => error_reply(400, &e.to_string()),
        }
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::new();
    ferrochat_core::json::write_str(&mut out, s).expect("string");
    out
}

fn user_json(u: &ferrochat_core::User) -> String {
    let mut s = String::new();
    write_user(&mut s, u, true).expect("user");
    s
}

/// The v2 signature of `text` under `secret`.
pub fn sign(secret: &str, text: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(text.as_bytes());
    signature_of(&mac.finalize().into_bytes())
}

/// A patch that sets `name`.
pub fn named(name: &str) -> ferrochat_core::UserPatch {
    use ferrochat_core::{Patch, StrField};
    ferrochat_core::UserPatch::default().with(StrField::Name, Patch::Set(name.into()))
}

/// The snapshot a JS `User` object of `u` would give a listener.
pub fn snap(u: &ferrochat_core::User) -> ferrochat_client::Snapshot {
    ferrochat_client::Snapshot {
        id: u.id.clone(),
        etag: u.etag.clone(),
        updated: u.updated.clone(),
    }
}

/// A listener's label in the tests.
pub type Handle = u32;
/// A Promise's label in the tests.
pub type Token = u64;

/// One client and what it produced.
pub struct Node {
    pub client: Client<Handle, Token>,
    pub settled: BTreeMap<Token, Result<Outcome>>,
    pub calls: Vec<(Handle, Payload)>,
    pub statuses: Vec<(Handle, Status)>,
    pub progress: Vec<(Handle, Progress)>,
    /// Log lines (when the config asks for them).
    pub logs: Vec<(ferrochat_client::config::LogLevel, String)>,
    /// Most requests of this node in flight at once.
    pub peak_in_flight: usize,
}

struct Flight {
    node: usize,
    id: RequestId,
    due: f64,
    state: FlightState,
}

enum FlightState {
    Reply(Reply),
    Parked {
        channels: Vec<String>,
        tt: u64,
        until: f64,
    },
    Never,
}

/// Clients, the server and the virtual clock.
pub struct World {
    pub now: f64,
    pub sim: Sim,
    pub hub: SharedHub,
    pub nodes: Vec<Node>,
    flights: Vec<Flight>,
    next_token: Token,
    /// Reply latency (ms).
    pub latency: f64,
    pub seed: u64,
    pub embedded: bool,
}

impl World {
    /// Clients over the network (the simulated server).
    pub fn network(seed: u64) -> World {
        World::new(seed, false)
    }

    /// Clients on one shared embedded store.
    pub fn embedded(seed: u64) -> World {
        World::new(seed, true)
    }

    pub fn new(seed: u64, embedded: bool) -> World {
        World {
            now: 0.0,
            sim: Sim::default(),
            hub: Hub::shared(),
            nodes: Vec::new(),
            flights: Vec::new(),
            next_token: 0,
            latency: 1.0,
            seed,
            embedded,
        }
    }

    pub fn time(&self) -> Now {
        Now {
            mono: self.now,
            wall: WALL0 + self.now,
        }
    }

    /// The raw config of a client for `user` on this world's backend.
    pub fn raw(&self, user: &str) -> RawConfig {
        RawConfig {
            user_id: user.into(),
            subscribe_key: (!self.embedded).then(|| "sub".into()),
            publish_key: Some(self.sim.publish_key.clone()),
            origin: Some(BASE.into()),
            secret_key: self.sim.secret.clone(),
            ..RawConfig::default()
        }
    }

    /// Adds a client (not yet initialised); returns its index.
    pub fn add(&mut self, raw: RawConfig) -> usize {
        let config = Config::new(raw).expect("config");
        let seed = self
            .seed
            .wrapping_mul(31)
            .wrapping_add(self.nodes.len() as u64 + 1);
        let client = Client::new(config, &self.hub, std_number, std_number_writer, seed);
        self.nodes.push(Node {
            client,
            settled: BTreeMap::new(),
            calls: Vec::new(),
            statuses: Vec::new(),
            progress: Vec::new(),
            logs: Vec::new(),
            peak_in_flight: 0,
        });
        self.nodes.len() - 1
    }

    /// Adds a client for `user` and runs `Chat.init` to the end; panics if it fails.
    pub fn join(&mut self, user: &str) -> usize {
        let raw = self.raw(user);
        let n = self.add(raw);
        let r = self.call(n, |c, t, now| c.init(t, now));
        assert_eq!(r, Ok(Outcome::Ready), "init of {user}");
        n
    }

    pub fn token(&mut self) -> Token {
        self.next_token += 1;
        self.next_token
    }

    /// Starts an API call on node `n`; returns its token (see [`World::result`]).
    pub fn start(
        &mut self,
        n: usize,
        f: impl FnOnce(&mut Client<Handle, Token>, Token, Now),
    ) -> Token {
        let t = self.token();
        let now = self.time();
        f(&mut self.nodes[n].client, t, now);
        t
    }

    /// Runs an API call on node `n` to its end (at most 120 virtual seconds).
    pub fn call(
        &mut self,
        n: usize,
        f: impl FnOnce(&mut Client<Handle, Token>, Token, Now),
    ) -> Result<Outcome> {
        let t = self.start(n, f);
        self.until(120_000.0, |w| w.nodes[n].settled.contains_key(&t));
        self.nodes[n]
            .settled
            .remove(&t)
            .unwrap_or_else(|| panic!("call {t} did not settle"))
    }

    /// Creates user `id` named `name` through node `n`; panics if it fails.
    pub fn create(&mut self, n: usize, id: &str, name: &str) -> ferrochat_core::User {
        let id = id.to_string();
        World::user(self.call(n, |c, t, now| c.create_user(id, named(name), t, now)))
    }

    /// Node `n` listens (`kind`) on `users` with callback label `handle`.
    pub fn listen(
        &mut self,
        n: usize,
        kind: ferrochat_client::Kind,
        users: &[&ferrochat_core::User],
        handle: Handle,
    ) -> u32 {
        let now = self.time();
        let snaps: Vec<_> = users.iter().map(|u| snap(u)).collect();
        self.nodes[n]
            .client
            .listen(kind, &snaps, handle, now)
            .expect("listen")
    }

    /// The user an outcome carries.
    pub fn user(outcome: Result<Outcome>) -> ferrochat_core::User {
        match outcome {
            Ok(Outcome::User(u)) | Ok(Outcome::MaybeUser(Some(u))) => u,
            other => panic!("not a user: {other:?}"),
        }
    }

    /// Delivers outputs, sends and aborts requests of every node until nothing moves.
    pub fn pump(&mut self) {
        loop {
            let mut moved = false;
            for n in 0..self.nodes.len() {
                moved |= self.pump_node(n);
            }
            if !moved {
                return;
            }
        }
    }

    fn pump_node(&mut self, n: usize) -> bool {
        let mut moved = false;
        let now = self.time();
        while let Some(out) = self.nodes[n].client.poll_output() {
            moved = true;
            let node = &mut self.nodes[n];
            match out {
                Output::Settle(t, r) => {
                    node.settled.insert(t, r);
                }
                Output::Call(h, p) => node.calls.push((h, p)),
                Output::Status(h, s) => node.statuses.push((h, s)),
                Output::Progress(h, p) => node.progress.push((h, p)),
                Output::Log(level, line) => node.logs.push((level, line)),
            }
        }
        while let Some(mut req) = self.nodes[n].client.poll_transmit(now) {
            moved = true;
            if let Some(text) = req.to_sign.take() {
                let net = self.nodes[n].client.config().network.as_ref();
                let secret = net
                    .and_then(|c| c.secret_key.clone())
                    .expect("signing needs a secret");
                req.url
                    .push_str(&format!("&signature={}", sign(&secret, &text)));
            }
            let state = match self.sim.handle(&req, now.mono, now.wall) {
                Answer::Now(r) => FlightState::Reply(r),
                Answer::Park {
                    channels,
                    tt,
                    until,
                } => FlightState::Parked {
                    channels,
                    tt,
                    until,
                },
                Answer::Never => FlightState::Never,
            };
            self.flights.push(Flight {
                node: n,
                id: req.id,
                due: self.now + self.latency,
                state,
            });
        }
        while let Some(id) = self.nodes[n].client.poll_abort() {
            moved = true;
            self.flights.retain(|f| !(f.node == n && f.id == id));
        }
        let in_flight = self.flights.iter().filter(|f| f.node == n).count();
        let node = &mut self.nodes[n];
        node.peak_in_flight = node.peak_in_flight.max(in_flight);
        moved
    }

    /// Wakes held polls that now have events.
    fn wake_polls(&mut self) {
        for f in &mut self.flights {
            if let FlightState::Parked { channels, tt, .. } = &f.state {
                if let Some(reply) = self.sim.poll(channels, *tt) {
                    f.state = FlightState::Reply(reply);
                    f.due = self.now + self.latency;
                }
            }
        }
    }

    /// The next moment something happens, if anything will.
    fn next_event(&self) -> Option<f64> {
        let flights = self.flights.iter().filter_map(|f| match &f.state {
            FlightState::Reply(_) => Some(f.due),
            FlightState::Parked { until, .. } => Some(*until),
            FlightState::Never => None,
        });
        let timers = self
            .nodes
            .iter()
            .filter_map(|n| n.client.poll_timeout().map(|w| w.at));
        flights.chain(timers).min_by(f64::total_cmp)
    }

    /// One step: pump, then advance the clock to the next event (not past `limit`) and
    /// handle it. Returns false when nothing is left to happen before `limit`.
    pub fn step(&mut self, limit: f64) -> bool {
        self.pump();
        self.wake_polls();
        let Some(next) = self.next_event() else {
            return false;
        };
        if next > limit {
            self.now = limit;
            return false;
        }
        self.now = self.now.max(next);
        let now = self.time();
        let mut i = 0;
        while i < self.flights.len() {
            let f = &self.flights[i];
            let due = match &f.state {
                FlightState::Reply(_) => f.due <= self.now,
                FlightState::Parked { until, .. } => *until <= self.now,
                FlightState::Never => false,
            };
            if !due {
                i += 1;
                continue;
            }
            let f = self.flights.remove(i);
            let reply = match f.state {
                FlightState::Reply(r) => r,
                FlightState::Parked { tt, .. } => Sim::empty_poll(tt),
                FlightState::Never => unreachable!(),
            };
            self.nodes[f.node].client.handle_reply(f.id, reply, now);
        }
        for node in &mut self.nodes {
            if node.client.poll_timeout().is_some_and(|w| w.at <= self.now) {
                node.client.handle_timeout(now);
            }
        }
        self.pump();
        self.wake_polls();
        true
    }

    /// Runs until `done` holds or `ms` of virtual time pass.
    pub fn until(&mut self, ms: f64, mut done: impl FnMut(&mut World) -> bool) -> bool {
        let limit = self.now + ms;
        loop {
            self.pump();
            if done(self) {
                return true;
            }
            if !self.step(limit) {
                self.pump();
                return done(self);
            }
        }
    }

    /// Runs `ms` of virtual time.
    pub fn run(&mut self, ms: f64) {
        self.until(ms, |_| false);
    }

    /// Drops every held poll and reply in flight with a connection error, as a server
    /// restart would (the data stays: it is durable).
    pub fn restart_server(&mut self) {
        let now = self.time();
        let flights = std::mem::take(&mut self.flights);
        for f in flights {
            self.nodes[f.node].client.handle_reply(
                f.id,
                Reply::Failed("server restarted".into()),
                now,
            );
        }
    }

    /// Cuts every client's subscribe long-polls off (they hang until healed), as a network
    /// partition would; the objects API keeps working.
    pub fn cut_subscribes(&mut self) {
        self.sim.fault = Box::new(|s| {
            if s.is_subscribe() {
                Fault::Blackhole
            } else {
                Fault::None
            }
        });
        self.restart_server();
    }

    /// Ends every fault.
    pub fn heal(&mut self) {
        self.sim.fault = Box::new(|_| Fault::None);
    }

    /// Requests of node-independent kinds the server saw (for counting).
    pub fn objects_requests(&self) -> Vec<String> {
        self.sim
            .seen
            .iter()
            .filter(|s| s.is_objects())
            .map(Seen::short)
            .collect()
    }

    /// Polls held or in flight for node `n`.
    pub fn polls_of(&self, n: usize) -> usize {
        self.flights
            .iter()
            .filter(|f| f.node == n && !matches!(f.state, FlightState::Never))
            .count()
    }

    /// Requests in flight for node `n`.
    pub fn in_flight(&self, n: usize) -> usize {
        self.flights.iter().filter(|f| f.node == n).count()
    }
}
