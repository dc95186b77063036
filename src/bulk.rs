//! Bulk delete and archive (ferrochat addition, after seeds/001–003): by a list of ids or
//! by a filter; in batches of at most 100, with bounded concurrency and paced to a maximum
//! rate; every failure is reported by id; a filter that selects every user is refused.

use crate::chat::{call_back, ChatInner};
use crate::convert;
use crate::error::to_js;
use crate::timer::sleep;
use ferrochat_core::page::MAX_LIMIT;
use ferrochat_core::{ChatError, ListQuery, Result};
use js_sys::{Array, Function, Object, Reflect};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use wasm_bindgen::JsValue;

/// Ids per batch (the seed API's maximum per call).
pub const BATCH: usize = 100;
/// Default pace, users per second (the seed API's rate limit).
pub const DEFAULT_RATE: f64 = 100.0;
/// Default number of deletes in flight.
pub const DEFAULT_CONCURRENCY: usize = 8;

struct Options {
    soft: bool,
    allow_all: bool,
    rate: f64,
    concurrency: usize,
    on_progress: Option<Function>,
}

fn options(v: &JsValue) -> Result<Options> {
    let Some(o) = convert::optional_object(v, "options")? else {
        return Ok(Options {
            soft: false,
            allow_all: false,
            rate: DEFAULT_RATE,
            concurrency: DEFAULT_CONCURRENCY,
            on_progress: None,
        });
    };
    let rate = convert::opt_number(&o, "rate")?.unwrap_or(DEFAULT_RATE);
    if rate <= 0.0 {
        return Err(ChatError::invalid(
            "rate must be a positive number of users per second",
        ));
    }
    let concurrency = convert::opt_number(&o, "concurrency")?.unwrap_or(DEFAULT_CONCURRENCY as f64);
    if concurrency.fract() != 0.0 || !(1.0..=64.0).contains(&concurrency) {
        return Err(ChatError::invalid(
            "concurrency must be an integer between 1 and 64",
        ));
    }
    let progress = convert::get(&o, "onProgress")?;
    Ok(Options {
        soft: convert::opt_bool(&o, "soft")?.unwrap_or(false),
        allow_all: convert::opt_bool(&o, "allowAll")?.unwrap_or(false),
        rate,
        concurrency: concurrency as usize,
        on_progress: if progress.is_undefined() || progress.is_null() {
            None
        } else {
            Some(convert::function(&progress, "onProgress")?)
        },
    })
}

/// Every id matching `filter`, refusing a filter that matches every user.
async fn ids_matching(
    chat: &Rc<ChatInner>,
    filter: String,
    allow_all: bool,
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut start = None;
    loop {
        let page = chat
            .list_where(filter.clone(), MAX_LIMIT, start.take())
            .await?;
        if ids.is_empty() && !allow_all && page.total > 0 {
            let everyone = ListQuery {
                limit: 0,
                ..ListQuery::default()
            };
            if chat.list(everyone, None).await?.total <= page.total {
                return Err(ChatError::RefusedAllUsers);
            }
        }
        ids.extend(page.users.into_iter().map(|u| u.id));
        match page.next {
            Some(next) if ids.len() < page.total => start = Some(next),
            _ => return Ok(ids),
        }
    }
}

/// The ids a `target` names: an array of ids, or `{ filter }`.
async fn target_ids(
    chat: &Rc<ChatInner>,
    target: &JsValue,
    allow_all: bool,
) -> Result<Vec<String>> {
    let mut ids = if Array::is_array(target) {
        Array::from(target)
            .iter()
            .map(|v| convert::id(&v))
            .collect::<Result<Vec<_>>>()?
    } else if let Some(obj) = convert::optional_object(target, "target")? {
        let filter = convert::opt_string(&obj, "filter")?
            .filter(|f| !f.trim().is_empty())
            .ok_or_else(|| {
                ChatError::invalid("target must be an array of ids or { filter: string }")
            })?;
        ids_matching(chat, filter, allow_all).await?
    } else {
        return Err(ChatError::invalid(
            "target must be an array of ids or { filter: string }",
        ));
    };
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    // The signed-in user goes last: deleting it ends this Chat.
    if let Some(i) = ids.iter().position(|id| *id == chat.config.user_id) {
        let me = ids.remove(i);
        ids.push(me);
    }
    Ok(ids)
}

/// Polls every future to completion (no executor needed: they share the caller's task).
async fn join_all<T>(futures: Vec<Pin<Box<dyn Future<Output = T>>>>) -> Vec<T> {
    let mut pending: Vec<Option<Pin<Box<dyn Future<Output = T>>>>> =
        futures.into_iter().map(Some).collect();
    let mut results: Vec<Option<T>> = pending.iter().map(|_| None).collect();
    poll_fn(move |cx| {
        let mut done = true;
        for (slot, result) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => {
                        *result = Some(v);
                        *slot = None;
                    }
                    Poll::Pending => done = false,
                }
            }
        }
        if done {
            Poll::Ready(results.drain(..).flatten().collect())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// One delete of a bulk operation: the id and how it went.
type Task = Pin<Box<dyn Future<Output = (String, Result<JsValue>)>>>;

fn operation_id() -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let hex = |n: usize| -> String {
        (0..n)
            .map(|_| HEX[(js_sys::Math::random() * 16.0) as usize & 15] as char)
            .collect()
    };
    format!("{}-{}-{}-{}", hex(4), hex(4), hex(4), hex(4))
}

fn set(obj: &Object, k: &str, v: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(k), v);
}

/// `chat.deleteUsers(target, options)`.
pub async fn delete_users(
    chat: Rc<ChatInner>,
    target: JsValue,
    options_value: JsValue,
) -> Result<JsValue> {
    chat.check()?;
    let opts = options(&options_value)?;
    let ids = target_ids(&chat, &target, opts.allow_all).await?;
    let total = ids.len();
    let started = js_sys::Date::now();
    let deleted = Array::new();
    let failed = Array::new();
    let mut done = 0usize;
    for (b, batch) in ids.chunks(BATCH).enumerate() {
        for (w, wave) in batch.chunks(opts.concurrency).enumerate() {
            let first = b * BATCH + w * opts.concurrency;
            let tasks: Vec<Task> = wave
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    let (chat, id, soft) = (chat.clone(), id.clone(), opts.soft);
                    // Pace: operation n starts no earlier than n / rate seconds in.
                    let not_before = started + (first + i) as f64 * 1000.0 / opts.rate;
                    let fut: Pin<Box<dyn Future<Output = (String, Result<JsValue>)>>> =
                        Box::pin(async move {
                            let wait = not_before - js_sys::Date::now();
                            if wait > 0.0 {
                                sleep(wait).await;
                            }
                            let r = chat.delete(id.clone(), soft).await;
                            (id, r)
                        });
                    fut
                })
                .collect();
            for (id, result) in join_all(tasks).await {
                done += 1;
                match result {
                    Ok(_) => {
                        deleted.push(&JsValue::from_str(&id));
                    }
                    Err(e) => {
                        let f = Object::new();
                        set(&f, "id", &JsValue::from_str(&id));
                        set(&f, "error", &to_js(&e));
                        failed.push(&f);
                    }
                }
            }
            if let Some(cb) = &opts.on_progress {
                let p = Object::new();
                set(&p, "done", &JsValue::from(done as u32));
                set(&p, "total", &JsValue::from(total as u32));
                set(&p, "failed", &JsValue::from(failed.length()));
                call_back(cb, &p);
            }
        }
    }
    let out = Object::new();
    set(&out, "operationId", &JsValue::from_str(&operation_id()));
    set(&out, "deleted", &deleted);
    set(&out, "failed", &failed);
    Ok(out.into())
}
