//! One HTTP exchange with a PubNub-protocol server: URL and common query parameters,
//! optional v2 signing, timeouts, and retries of idempotent requests.

use crate::timer::{clear_timeout, set_timeout, sleep};
use ferrochat_core::decode;
use ferrochat_core::json::{self, Value};
use ferrochat_core::wire::{base64, query_string, string_to_sign, v2_signature};
use ferrochat_core::{ChatError, Result};
use gloo_net::http::{Method, Response};
use js_sys::{Function, Object, Reflect, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, RequestInit};

#[wasm_bindgen(module = "/js/transport.js")]
extern "C" {
    /// `fetch(url, init)` in browsers and workers; in Node, js/node-http.cjs (`node:http`
    /// with keep-alive, which the Node build installs). Called with a plain `init` rather
    /// than through gloo-net's `Request::send`, which first builds a `Request` and a
    /// `URLSearchParams`: in Node that cost as much as the exchange itself. gloo-net still
    /// reads the response.
    #[wasm_bindgen(catch, js_name = send)]
    fn fetch_with_init(
        url: &str,
        init: &RequestInit,
    ) -> std::result::Result<js_sys::Promise, JsValue>;
}

/// Timeout of ordinary requests (ms).
pub const REQUEST_TIMEOUT_MS: f64 = 15_000.0;
/// Timeout of the subscribe long-poll (ms); servers hold it for less.
pub const LONG_POLL_TIMEOUT_MS: f64 = 310_000.0;
/// Attempts of an idempotent request (1 + retries).
const MAX_ATTEMPTS: u32 = 4;
/// Upper bound on the total time spent waiting between retries (ms).
const MAX_RETRY_WAIT_MS: f64 = 20_000.0;

/// The abort reason of a request that timed out.
const TIMEOUT_REASON: &str = "ferrochat: request timed out";

/// Whether a reply with this status is retried (429 and 5xx), honouring `Retry-After`.
fn retried_status(status: u16) -> bool {
    status == 429 || status >= 500
}

/// The SDK identifier sent as `pnsdk`.
const PNSDK: &str = concat!("ferrochat/", env!("CARGO_PKG_VERSION"));

/// Where and as whom to talk.
pub struct HttpConfig {
    /// `http(s)://host[:port]`.
    pub base: String,
    /// Publish key (also part of the string to sign).
    pub publish_key: String,
    /// The signed-in user id, sent as `uuid`.
    pub user_id: String,
    /// Access token / auth key, sent as `auth`.
    pub auth_key: Option<String>,
    /// Secret key: when set (and WebCrypto exists), requests are signed.
    pub secret_key: Option<String>,
}

/// A request to make.
pub struct Call {
    /// HTTP method.
    pub method: Method,
    /// Path, already percent-encoded.
    pub path: String,
    /// Endpoint query parameters (the common ones are added).
    pub query: Vec<(&'static str, String)>,
    /// JSON body.
    pub body: Option<String>,
    /// `If-Match` header.
    pub if_match: Option<String>,
    /// Whether it may be sent again after a failure.
    pub idempotent: bool,
    /// Timeout of one attempt (ms).
    pub timeout_ms: f64,
    /// Lets the caller abort the request (the subscribe loop).
    pub controller: Option<AbortController>,
}

impl Call {
    /// A retried GET with the ordinary timeout.
    pub fn get(path: String, query: Vec<(&'static str, String)>) -> Call {
        Call {
            method: Method::GET,
            path,
            query,
            body: None,
            if_match: None,
            idempotent: true,
            timeout_ms: REQUEST_TIMEOUT_MS,
            controller: None,
        }
    }
}

/// A server's answer: status and body text (JSON, decoded by the caller in one pass).
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub text: String,
    /// `Retry-After`, in ms (capped at 10 s).
    pub retry_after_ms: Option<f64>,
}

/// Number literals of replies, parsed by JS's `parseFloat` (exactly as `JSON.parse`
/// would), so the wasm links no float parser.
pub fn js_number(text: &str) -> Option<f64> {
    Some(js_sys::Number::parse_float(text))
}

impl Reply {
    /// The body as a JSON value (`MALFORMED_RESPONSE` when it is not JSON).
    pub fn json(&self) -> Result<Value> {
        json::parse(&self.text, js_number).map_err(|e| {
            ChatError::MalformedResponse(format!("HTTP {}: body is not JSON ({e})", self.status))
        })
    }

    /// The server's error as a `ChatError` (`HTTP_<status>` with its message).
    pub fn error(&self) -> ChatError {
        if self.status == 412 {
            return ChatError::PreconditionFailed;
        }
        let body = self.json().unwrap_or(Value::Null);
        ChatError::Http {
            status: self.status,
            message: decode::error_message(&body)
                .unwrap_or("request failed")
                .to_string(),
        }
    }
}

/// How one attempt ended.
enum Attempt {
    Reply(Reply),
    Retryable(ChatError, Option<f64>),
    Fatal(ChatError),
}

/// Sends requests for one Chat.
pub struct Http {
    config: HttpConfig,
    hmac_key: RefCell<Option<JsValue>>,
}

impl Http {
    /// An HTTP client for `config`.
    pub fn new(config: HttpConfig) -> Self {
        Http {
            config,
            hmac_key: RefCell::default(),
        }
    }

    /// Sends `call`, retrying idempotent requests on 429, 5xx and network errors with
    /// capped exponential backoff and jitter (honouring `Retry-After`). Any HTTP status
    /// comes back as a [`Reply`]; only transport failures are errors.
    pub async fn send(&self, call: &Call) -> Result<Reply> {
        let request_id = random_uuid();
        let mut waited = 0.0;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.attempt(call, &request_id).await;
            let (err, retry_after) = match outcome {
                Attempt::Reply(r) => return Ok(r),
                Attempt::Fatal(e) => return Err(e),
                Attempt::Retryable(e, after) => (e, after),
            };
            if !call.idempotent || attempt >= MAX_ATTEMPTS {
                return Err(err);
            }
            let backoff = (250.0 * f64::from(1u32 << attempt)).min(5_000.0);
            let delay = retry_after
                .unwrap_or(backoff * (0.5 + js_sys::Math::random()))
                .min(10_000.0);
            if waited + delay > MAX_RETRY_WAIT_MS {
                return Err(err);
            }
            waited += delay;
            sleep(delay).await;
        }
    }

    async fn attempt(&self, call: &Call, request_id: &str) -> Attempt {
        let c = &self.config;
        let mut query = call.query.clone();
        query.push(("uuid", c.user_id.clone()));
        query.push(("requestid", request_id.to_string()));
        query.push(("pnsdk", PNSDK.to_string()));
        if let Some(auth) = &c.auth_key {
            query.push(("auth", auth.clone()));
        }
        if let Some(secret) = &c.secret_key {
            let timestamp = (js_sys::Date::now() / 1000.0).floor() as u64;
            query.push(("timestamp", timestamp.to_string()));
            let method = call.method.to_string();
            let text = string_to_sign(
                &method,
                &c.publish_key,
                &call.path,
                &query,
                call.body.as_deref(),
            );
            match self.sign(secret, &text).await {
                Ok(sig) => query.push(("signature", sig)),
                Err(e) => return Attempt::Fatal(e),
            }
        }
        let url = format!("{}{}?{}", c.base, call.path, query_string(&query));
        let controller = match &call.controller {
            Some(c) => c.clone(),
            None => match AbortController::new() {
                Ok(c) => c,
                Err(_) => {
                    return Attempt::Fatal(ChatError::Network(
                        "AbortController is not available".into(),
                    ))
                }
            },
        };
        // The timer calls `controller.abort(TIMEOUT_REASON)`: a bound method, not a Rust
        // closure per request, and the reason tells a timeout from the caller's abort.
        let Some(abort) = Reflect::get(&controller, &"abort".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
        else {
            return Attempt::Fatal(ChatError::Network(
                "AbortController.abort is missing".into(),
            ));
        };
        let on_timeout: Function = abort
            .bind1(&controller, &JsValue::from(TIMEOUT_REASON))
            .unchecked_into();
        let timer = set_timeout(&on_timeout, call.timeout_ms);
        let result = self.fetch(call, &url, &controller).await;
        clear_timeout(&timer);
        let timed_out =
            || controller.signal().reason().as_string().as_deref() == Some(TIMEOUT_REASON);
        match result {
            Err(_) if timed_out() => Attempt::Retryable(ChatError::Timeout, None),
            Err(e) if controller.signal().aborted() => Attempt::Fatal(e),
            Err(e) => Attempt::Retryable(e, None),
            Ok(reply) if retried_status(reply.status) => {
                Attempt::Retryable(reply.error(), reply.retry_after_ms)
            }
            Ok(reply) => Attempt::Reply(reply),
        }
    }

    async fn fetch(&self, call: &Call, url: &str, controller: &AbortController) -> Result<Reply> {
        let init = RequestInit::new();
        init.set_method(call.method.as_ref());
        init.set_signal(Some(&controller.signal()));
        if call.if_match.is_some() || call.body.is_some() {
            let headers = Object::new();
            if let Some(tag) = &call.if_match {
                let _ = Reflect::set(&headers, &"If-Match".into(), &tag.into());
            }
            if call.body.is_some() {
                let _ = Reflect::set(&headers, &"Content-Type".into(), &"application/json".into());
            }
            init.set_headers(&headers);
        }
        if let Some(body) = &call.body {
            init.set_body(&body.into());
        }
        let network = |e: JsValue| {
            ChatError::Network(
                e.dyn_ref::<js_sys::Error>()
                    .map_or_else(|| "fetch failed".to_string(), |e| String::from(e.message())),
            )
        };
        let response: Response = JsFuture::from(fetch_with_init(url, &init).map_err(network)?)
            .await
            .map_err(network)?
            .unchecked_into::<web_sys::Response>()
            .into();
        let status = response.status();
        // Only retried statuses wait: no header lookup on the others.
        let retry_after_ms = retried_status(status)
            .then(|| response.headers().get("retry-after"))
            .flatten()
            .and_then(|v| ferrochat_core::wire::parse_timetoken(v.trim()))
            .map(|secs| (secs as f64 * 1000.0).min(10_000.0));
        // The body's bytes as they came (UTF-8): no decoding to a JS string and back.
        let bytes = response
            .binary()
            .await
            .map_err(|e| ChatError::Network(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            ChatError::MalformedResponse(format!("HTTP {status}: body is not UTF-8"))
        })?;
        Ok(Reply {
            status,
            text,
            retry_after_ms,
        })
    }

    /// HMAC-SHA256 with WebCrypto (Node ≥ 18 and browsers), as a v2 signature.
    async fn sign(&self, secret: &str, text: &str) -> Result<String> {
        let fail = |what: &str| ChatError::invalid(format!("cannot sign requests: {what}"));
        let subtle = Reflect::get(&js_sys::global(), &"crypto".into())
            .and_then(|c| Reflect::get(&c, &"subtle".into()))
            .ok()
            .filter(|s| s.is_object())
            .ok_or_else(|| fail("WebCrypto (crypto.subtle) is not available"))?;
        let call = |name: &str, args: &[JsValue]| -> Result<JsFuture> {
            let f: Function = Reflect::get(&subtle, &name.into())
                .ok()
                .and_then(|f| f.dyn_into().ok())
                .ok_or_else(|| fail(name))?;
            let p = f
                .apply(&subtle, &args.iter().collect())
                .map_err(|_| fail(name))?;
            Ok(JsFuture::from(js_sys::Promise::resolve(&p)))
        };
        let cached = self.hmac_key.borrow().clone();
        let key = match cached {
            Some(k) => k,
            None => {
                let algo = Object::new();
                let _ = Reflect::set(&algo, &"name".into(), &"HMAC".into());
                let _ = Reflect::set(&algo, &"hash".into(), &"SHA-256".into());
                let usages = js_sys::Array::of1(&"sign".into());
                let raw = Uint8Array::from(secret.as_bytes());
                let k = call(
                    "importKey",
                    &[
                        "raw".into(),
                        raw.into(),
                        algo.into(),
                        false.into(),
                        usages.into(),
                    ],
                )?
                .await
                .map_err(|_| fail("importKey failed"))?;
                *self.hmac_key.borrow_mut() = Some(k.clone());
                k
            }
        };
        let data = Uint8Array::from(text.as_bytes());
        let sig = call("sign", &["HMAC".into(), key, data.into()])?
            .await
            .map_err(|_| fail("sign failed"))?;
        Ok(v2_signature(&base64(&Uint8Array::new(&sig).to_vec())))
    }
}

/// A random RFC 4122 version-4 UUID (for `requestid`).
fn random_uuid() -> String {
    let mut s = String::with_capacity(36);
    // 12 random hex digits per `Math.random()` (48 of its 52 bits): 3 calls, not 32.
    let mut bits = 0u64;
    for i in 0..36 {
        if i % 12 == 0 {
            bits = (js_sys::Math::random() * (1u64 << 48) as f64) as u64;
        }
        let r = (bits & 15) as u32;
        bits >>= 4;
        let c = match i {
            8 | 13 | 18 | 23 => '-',
            14 => '4',
            19 => char::from_digit((r & 3) | 8, 16).unwrap_or('8'),
            _ => char::from_digit(r, 16).unwrap_or('0'),
        };
        s.push(c);
    }
    s
}

/// Exposed for the wasm tests: the v2 signature of `text` under `secret`.
pub async fn sign_for_test(secret: &str, text: &str) -> Result<String> {
    let http = Http::new(HttpConfig {
        base: String::new(),
        publish_key: String::new(),
        user_id: String::new(),
        auth_key: None,
        secret_key: None,
    });
    http.sign(secret, text).await
}
