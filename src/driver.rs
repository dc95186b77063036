//! The I/O driver: executes what a `ferrochat_client::Client` asks for. It sends requests
//! (through `js/transport.js`: `fetch`, or `node:http` in Node), aborts them, keeps one
//! timer for the client's next deadline (unref'd in Node when only background work
//! waits, so an idle script exits), signs with WebCrypto, and makes the client's callbacks
//! and settles its Promises from a clean stack: a scheduled microtask, never while the
//! client is borrowed, so a callback may call any method of the Chat.

use crate::chat::Chat;
use crate::convert;
use crate::error::{rejection, Fail};
use crate::user;
use ferrochat_client::config::LogLevel;
use ferrochat_client::keyed::Keyed;
use ferrochat_client::{
    BulkOptions, BulkTarget, Client, Config, Hub, Now, Outcome, Output, Payload, Reply, Request,
    Response, SharedHub,
};
use ferrochat_core::ChatError;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array, WeakRef};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::AbortController;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
    /// `performance.now()`: a monotonic clock with sub-millisecond resolution.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(msg: &str, err: &JsValue);
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(f: &Function);
}

#[wasm_bindgen(module = "/js/user.js")]
extern "C" {
    /// The log of a Chat (its `level`, `line(level, message)`, `request(...)`).
    #[wasm_bindgen(js_name = makeLog)]
    fn make_log(config: &JsValue, subscribe_key: &str, publish_key: &str) -> Log;
    #[wasm_bindgen(method, getter)]
    fn level(log: &Log) -> u32;
    #[wasm_bindgen(method, js_name = line)]
    fn log_line(log: &Log, level: u32, message: &str);
    #[wasm_bindgen(method, js_name = request)]
    fn log_request(log: &Log, method: &str, url: &str, status: &str, ms: f64);
    /// A Chat's log (see `makeLog`).
    pub type Log;
}

#[wasm_bindgen(module = "/js/transport.js")]
extern "C" {
    /// One exchange (js/transport.js): signs when `to_sign` is given, sends over `fetch`
    /// (or the Node build's `node:http`), reads the body, calls `done` once.
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(catch, js_name = exchange)]
    fn transport_exchange(
        url: &str,
        method: &str,
        if_match: Option<String>,
        body: Option<String>,
        signal: &web_sys::AbortSignal,
        secret: Option<String>,
        to_sign: Option<String>,
        done: &JsValue,
    ) -> std::result::Result<(), JsValue>;
    /// The v2 signature of `text` under `secret` (WebCrypto), as a Promise of a string.
    #[wasm_bindgen(js_name = signV2)]
    pub fn sign_v2(secret: &str, text: &str) -> Promise;
}

thread_local! {
    /// The embedded store of this JS realm, shared by its Chats.
    static HUB: SharedHub = Hub::shared();
}

/// Both clocks, now.
pub fn now() -> Now {
    Now {
        mono: performance_now(),
        wall: js_sys::Date::now(),
    }
}

/// Number literals of replies, parsed by JS's `parseFloat` (exactly as `JSON.parse`
/// would), so the wasm links no float parser.
fn js_number(text: &str) -> Option<f64> {
    Some(js_sys::Number::parse_float(text))
}

/// Numbers of request bodies, written by JS (`String(n)`, what `JSON.stringify` writes),
/// so the wasm links no float formatting.
fn js_number_writer(out: &mut String, n: f64) {
    if let Ok(s) = js_sys::Number::from(n).to_string_with_radix(10) {
        out.push_str(&String::from(s));
    }
}

/// A caller's callback, and for `streamUpdatesOn` the array it was last given.
pub struct Callback {
    /// The function.
    pub f: Function,
    /// The list delivered last (`streamUpdatesOn`).
    pub array: RefCell<Option<Array>>,
}

/// The callback handle the client keeps.
pub type Handle = Rc<Callback>;

impl Callback {
    /// A handle for `f`.
    pub fn new(f: Function, array: Option<Array>) -> Handle {
        Rc::new(Callback {
            f,
            array: RefCell::new(array),
        })
    }
}

/// A command started on the client, with its Promise.
type Command = Box<dyn FnOnce(&mut Client<Handle, Settle>, Settle, Now)>;

/// A Promise's two functions.
pub struct Settle {
    resolve: Function,
    reject: Function,
}

/// The client of one Chat and everything its I/O needs.
pub struct Driver {
    client: RefCell<Client<Handle, Settle>>,
    /// Requests in flight: how to abort them, and when they were sent (for the log).
    inflight: RefCell<Keyed<(AbortController, f64)>>,
    /// The log, when the config asks for one.
    log: Option<Log>,
    /// The armed timer: its handle and when it fires (monotonic ms).
    timer: RefCell<Option<(JsValue, f64)>>,
    tick: RefCell<Option<Closure<dyn FnMut()>>>,
    /// What a scheduled microtask calls: `pump`.
    microtask: RefCell<Option<Closure<dyn FnMut()>>>,
    scheduled: Cell<bool>,
    /// The JS `Chat` of this driver, weakly: every `User` holds it strongly.
    js: RefCell<Option<WeakRef>>,
    /// Itself, while a Promise is unsettled or an operation is under way: a Chat that
    /// nothing refers to still finishes what it was asked (its timers hold it weakly).
    keep: RefCell<Option<Rc<Driver>>>,
}

/// Calls a caller's callback; what it throws is reported and the stream goes on.
pub fn call_back(f: &Function, arg: &JsValue) {
    if let Err(e) = f.call1(&JsValue::NULL, arg) {
        console_error("ferrochat: a callback threw:", &e);
    }
}

impl Driver {
    /// A driver for a new client of `config`.
    pub fn new(mut config: Config, js_config: &JsValue) -> Rc<Driver> {
        let seed = (js_sys::Math::random() * 9.007_199_254_740_992e15) as u64;
        let net = config.network.as_ref();
        let (sub, publish) = net.map_or(("", ""), |n| {
            (n.subscribe_key.as_str(), n.publish_key.as_str())
        });
        let log = make_log(js_config, sub, publish);
        config.log_level = LogLevel::from_number(log.level());
        let log = (config.log_level != LogLevel::None).then_some(log);
        let client = HUB.with(|hub| Client::new(config, hub, js_number, js_number_writer, seed));
        let driver = Rc::new(Driver {
            client: RefCell::new(client),
            inflight: RefCell::default(),
            log,
            timer: RefCell::default(),
            tick: RefCell::default(),
            scheduled: Cell::new(false),
            microtask: RefCell::default(),
            js: RefCell::default(),
            keep: RefCell::default(),
        });
        let weak = Rc::downgrade(&driver);
        let wake = weak.clone();
        driver.with(|c| c.set_waker(Rc::new(move || Driver::schedule_weak(&wake))));
        let on_microtask = weak.clone();
        *driver.microtask.borrow_mut() = Some(Closure::new(move || {
            if let Some(d) = on_microtask.upgrade() {
                d.pump();
            }
        }));
        *driver.tick.borrow_mut() = Some(Closure::new(move || {
            if let Some(d) = weak.upgrade() {
                d.on_timer();
            }
        }));
        driver
    }

    /// Runs `f` on the client (never while it is borrowed: `None` then, which cannot
    /// happen as no JS runs under a borrow).
    pub fn with<R>(&self, f: impl FnOnce(&mut Client<Handle, Settle>) -> R) -> Option<R> {
        self.client.try_borrow_mut().ok().map(|mut c| f(&mut c))
    }

    /// A Promise for a command: `arg` is the converted arguments (a conversion failure
    /// rejects), `f` starts the command on the client.
    pub fn promise<A: 'static>(
        self: &Rc<Self>,
        arg: Result<A, Fail>,
        f: impl FnOnce(&mut Client<Handle, Settle>, A, Settle, Now) + 'static,
    ) -> Promise {
        match arg {
            Ok(a) => self.start(Box::new(move |c, s, now| f(c, a, s, now))),
            Err(e) => Promise::reject(&rejection(&e)),
        }
    }

    /// The part of [`Driver::promise`] every command shares (not generic: one copy).
    fn start(self: &Rc<Self>, f: Command) -> Promise {
        let mut settle = None;
        let promise =
            Promise::new(&mut |resolve, reject| settle = Some(Settle { resolve, reject }));
        if let Some(s) = settle {
            self.with(|c| f(c, s, now()));
        }
        self.schedule();
        self.hold();
        promise
    }

    /// `deleteUsers`: starts the operation, stopped when its `signal` aborts (at once if
    /// it already has).
    pub fn bulk(self: &Rc<Self>, args: Result<BulkArgs, Fail>) -> Promise {
        let key = Rc::new(Cell::new(None));
        let aborted = match &args {
            Ok((_, (_, Some(signal)))) => match watch_signal(self, signal, key.clone()) {
                Ok(aborted) => aborted,
                Err(e) => return Promise::reject(&rejection(&e)),
            },
            _ => false,
        };
        self.promise(args, move |c, (target, (opts, _)), t, now| {
            let mut opts = opts.map_progress(|f| Callback::new(f, None));
            opts.aborted = aborted;
            key.set(Some(c.delete_users(target, opts, t, now)));
        })
    }

    /// Runs a synchronous command and schedules what follows from it.
    pub fn command<R>(
        self: &Rc<Self>,
        f: impl FnOnce(&mut Client<Handle, Settle>, Now) -> R,
    ) -> Option<R> {
        let r = self.with(|c| f(c, now()));
        self.schedule();
        r
    }

    /// Schedules a pump on a clean stack (a microtask), once.
    pub fn schedule(self: &Rc<Self>) {
        Driver::schedule_weak(&Rc::downgrade(self));
    }

    fn schedule_weak(weak: &std::rc::Weak<Driver>) {
        let Some(d) = weak.upgrade() else { return };
        if !d.scheduled.replace(true) {
            if let Some(f) = d.microtask.borrow().as_ref() {
                queue_microtask(f.as_ref().unchecked_ref());
            }
        }
    }

    /// Makes the calls, sends and aborts the requests, and arms the timer the client
    /// asks for, until it asks for nothing more.
    fn pump(self: &Rc<Self>) {
        self.scheduled.set(false);
        loop {
            while let Some(out) = self.with(|c| c.poll_output()).flatten() {
                self.deliver(out);
            }
            let t = now();
            while let Some(req) = self.with(|c| c.poll_transmit(t)).flatten() {
                self.send(req);
            }
            while let Some(id) = self.with(|c| c.poll_abort()).flatten() {
                let controller = self.inflight.borrow_mut().remove(id);
                if let Some((c, _)) = controller {
                    c.abort();
                }
            }
            if !self.with(|c| c.has_output()).unwrap_or(false) {
                break;
            }
        }
        self.arm_timer();
        self.hold();
    }

    /// Keeps this driver alive exactly while it has pending work.
    fn hold(self: &Rc<Self>) {
        let busy = self.with(|c| c.has_pending()).unwrap_or(false);
        *self.keep.borrow_mut() = busy.then(|| self.clone());
    }

    #[inline(never)]
    fn deliver(self: &Rc<Self>, out: Output<Handle, Settle>) {
        match out {
            Output::Settle(s, Ok(outcome)) => {
                let v = self.outcome(outcome);
                let _ = s.resolve.call1(&JsValue::NULL, &v);
            }
            Output::Settle(s, Err(e)) => {
                let _ = s.reject.call1(&JsValue::NULL, &rejection(&e.into()));
            }
            Output::Call(h, payload) => {
                let arg = self.payload(&h, payload);
                call_back(&h.f, &arg);
            }
            Output::Status(h, s) => call_back(&h.f, &convert::status(&s)),
            Output::Progress(h, p) => call_back(&h.f, &convert::progress(&p)),
            Output::Log(level, message) => {
                if let Some(log) = &self.log {
                    log.log_line(level as u32, &message);
                }
            }
        }
    }

    #[inline(never)]
    fn outcome(self: &Rc<Self>, outcome: Outcome) -> JsValue {
        match outcome {
            Outcome::Ready => self.handle(),
            Outcome::User(u) | Outcome::MaybeUser(Some(u)) => self.wrap(&u),
            Outcome::MaybeUser(None) => JsValue::NULL,
            Outcome::True => JsValue::TRUE,
            Outcome::Page(p) => {
                // Both keys, `undefined` when there is no such page (as @pubnub/chat).
                let cursor = |c: Option<String>| c.map_or(JsValue::UNDEFINED, JsValue::from);
                let cursors = [("next", cursor(p.next)), ("prev", cursor(p.prev))];
                convert::object(&[
                    ("users", user::from_batch(self, &p.users).into()),
                    ("page", convert::object(&cursors)),
                    ("total", (p.total as f64).into()),
                ])
            }
            Outcome::Bulk(r) => convert::bulk_report(r),
        }
    }

    #[inline(never)]
    fn payload(self: &Rc<Self>, h: &Callback, payload: Payload) -> JsValue {
        match payload {
            Payload::User(u) => self.wrap(&u),
            Payload::Deleted { id, soft } => convert::deleted_info(&id, soft),
            Payload::List { changed, removed } => {
                let previous = h.array.borrow().clone().unwrap_or_default();
                let next = previous.slice(0, previous.length());
                if !removed.is_empty() {
                    // Our own array: its `splice` is the engine's.
                    if let Ok(splice) =
                        Reflect::get(&next, &"splice".into()).and_then(|f| f.dyn_into::<Function>())
                    {
                        for &i in removed.iter().rev() {
                            let _ =
                                splice.call2(&next, &JsValue::from(i as u32), &JsValue::from(1));
                        }
                    }
                }
                let fresh = user::from_batch(
                    self,
                    &ferrochat_client::UserBatch::of(changed.iter().map(|(_, u)| u)),
                );
                for (k, (i, _)) in changed.iter().enumerate() {
                    next.set(*i as u32, fresh.get(k as u32));
                }
                *h.array.borrow_mut() = Some(next.clone());
                next.into()
            }
        }
    }

    /// A user as a JS `User` of this Chat.
    pub fn wrap(self: &Rc<Self>, u: &ferrochat_core::User) -> JsValue {
        user::from_batch(self, &ferrochat_client::UserBatch::of([u])).get(0)
    }

    /// The Chat's `storeUserActivityInterval` (for `user.active`).
    pub fn interval(&self) -> f64 {
        self.with(|c| c.config().activity_interval_ms)
            .unwrap_or(0.0)
    }

    /// The JS `Chat` object of this driver: the caller's while it is alive, else a new one.
    pub fn handle(self: &Rc<Self>) -> JsValue {
        if let Some(js) = self.js.borrow().as_ref().and_then(WeakRef::deref) {
            return js.into();
        }
        let js = JsValue::from(Chat::wrap(self.clone()));
        self.js
            .replace(Some(WeakRef::new(js.unchecked_ref::<Object>())));
        js
    }

    fn send(self: &Rc<Self>, req: Request) {
        let Ok(controller) = AbortController::new() else {
            let failed = Reply::Failed("AbortController is not available".into());
            self.with(|c| c.handle_reply(req.id, failed, now()));
            return self.schedule();
        };
        self.inflight
            .borrow_mut()
            .insert(req.id, (controller.clone(), performance_now()));
        let (me, id) = (self.clone(), req.id);
        let logged = self
            .log
            .is_some()
            .then(|| (req.method.as_str(), req.url.clone()));
        let done = Closure::once_into_js(
            move |status: u16,
                  body: Option<Uint8Array>,
                  retry_after: Option<String>,
                  failure: Option<String>| {
                let reply = match failure {
                    Some(message) => Reply::Failed(message),
                    None => Reply::Response(Response {
                        status,
                        body: body.and_then(|b| String::from_utf8(b.to_vec()).ok()),
                        retry_after,
                    }),
                };
                // Aborted requests were forgotten by the client already.
                let sent = me.inflight.borrow_mut().remove(id);
                if let (Some((method, url)), Some((_, at)), Some(log)) =
                    (&logged, sent.as_ref(), &me.log)
                {
                    let status = match &reply {
                        Reply::Response(r) => r.status.to_string(),
                        Reply::Failed(why) => format!("failed ({why})"),
                    };
                    log.log_request(method, url, &status, performance_now() - at);
                }
                if sent.is_some() {
                    me.with(|c| c.handle_reply(id, reply, now()));
                    me.pump();
                }
            },
        );
        let secret = req.to_sign.as_ref().and_then(|_| {
            self.with(|c| {
                c.config()
                    .network
                    .as_ref()
                    .and_then(|n| n.secret_key.clone())
            })
            .flatten()
        });
        let method = req.method.as_str();
        let signal = controller.signal();
        if let Err(e) = transport_exchange(
            &req.url,
            method,
            req.if_match,
            req.body,
            &signal,
            secret,
            req.to_sign,
            &done,
        ) {
            console_error("ferrochat: the transport failed to start a request:", &e);
        }
    }

    #[inline(never)]
    fn arm_timer(self: &Rc<Self>) {
        let wake = self.with(|c| c.poll_timeout()).flatten();
        let mut timer = self.timer.borrow_mut();
        if let Some((handle, at)) = timer.as_ref() {
            if wake.map(|w| w.at) == Some(*at) {
                return;
            }
            clear_timeout(handle);
            *timer = None;
        }
        let (Some(w), Some(tick)) = (
            wake,
            self.tick.borrow().as_ref().map(|t| t.as_ref().clone()),
        ) else {
            return;
        };
        let handle = set_timeout(tick.unchecked_ref(), (w.at - performance_now()).max(0.0));
        if !w.keep_alive {
            // Node: a timer for background work only does not keep the process alive.
            if let Ok(unref) =
                Reflect::get(&handle, &"unref".into()).and_then(|f| f.dyn_into::<Function>())
            {
                let _ = unref.call0(&handle);
            }
        }
        *timer = Some((handle, w.at));
    }

    fn on_timer(self: &Rc<Self>) {
        *self.timer.borrow_mut() = None;
        self.with(|c| c.handle_timeout(now()));
        self.pump();
    }
}

/// What `deleteUsers` takes, converted.
pub type BulkArgs = (BulkTarget, (BulkOptions<Function>, Option<JsValue>));

/// Listens for `signal`'s `abort` (every access guarded: it is the caller's value); says
/// whether it has aborted already. The operation's key arrives in `key` once started.
fn watch_signal(
    driver: &Rc<Driver>,
    signal: &JsValue,
    key: Rc<Cell<Option<u64>>>,
) -> Result<bool, Fail> {
    let bad = |e| Fail::thrown("signal must be an AbortSignal", e);
    let aborted = Reflect::get(signal, &"aborted".into())
        .map_err(bad)?
        .as_bool();
    let add = Reflect::get(signal, &"addEventListener".into()).map_err(bad)?;
    let (Some(aborted), Some(add)) = (aborted, add.dyn_ref::<Function>()) else {
        return Err(ChatError::invalid("signal must be an AbortSignal").into());
    };
    let weak = Rc::downgrade(driver);
    let on_abort = Closure::once_into_js(move || {
        if let (Some(d), Some(k)) = (weak.upgrade(), key.get()) {
            d.command(|c, now| c.abort(k, now));
        }
    });
    let once = convert::object(&[("once", true.into())]);
    add.call3(signal, &"abort".into(), &on_abort, &once)
        .map_err(bad)?;
    Ok(aborted)
}
