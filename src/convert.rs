//! Every conversion between JS values and Rust, under one policy, and the only place that
//! touches a caller's value. Each access that can run the caller's code (a getter, a
//! Proxy trap, `Array.isArray` or `Object.entries` on a revoked Proxy) goes through a
//! binding that catches what it throws: that becomes `INVALID_ARGUMENT` with the thrown
//! value as `cause`, never an exception unwinding through wasm (which would leave the
//! module's state half-changed). `undefined` and `null` mean "not given", except in
//! patches where `null` clears a field; output is plain objects. Nothing here panics.

use crate::error::{Fail, Result};
use ferrochat_client::batch::split_utf16;
use ferrochat_client::bulk::{BulkOptions, BulkTarget, MAX_CONCURRENCY};
use ferrochat_client::{BulkReport, Kind, Progress, RawConfig, Snapshot, Status};
use ferrochat_core::model::{Custom, Scalar, StrField};
use ferrochat_core::page::{check_limit, ListQuery};
use ferrochat_core::patch::{Patch, UserPatch};
use ferrochat_core::validate::{validate_custom_input, validate_id};
use ferrochat_core::{ChatError, Filter, SortKey};
use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `Array.isArray(v)`, which throws for a revoked Proxy.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn array_is_array(v: &JsValue) -> std::result::Result<bool, JsValue>;
    /// `Object.entries(v)`, which runs getters and Proxy traps.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = entries)]
    fn object_entries(v: &JsValue) -> std::result::Result<Array, JsValue>;
}

thread_local! {
    /// JS strings of the property names we read, made once.
    static KEYS: std::cell::RefCell<Vec<(&'static str, JsValue)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The JS string for a property name (cached).
pub fn key(name: &'static str) -> JsValue {
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if let Some((_, v)) = keys.iter().find(|(k, _)| *k == name) {
            return v.clone();
        }
        let v = JsValue::from_str(name);
        keys.push((name, v.clone()));
        v
    })
}

/// Reads `obj[name]`; what a getter or Proxy throws becomes `INVALID_ARGUMENT`.
pub fn get(obj: &JsValue, name: &'static str) -> Result<JsValue> {
    Reflect::get(obj, &key(name)).map_err(|e| Fail::thrown(format!("could not read '{name}'"), e))
}

fn is_array(v: &JsValue, what: &str) -> Result<bool> {
    array_is_array(v).map_err(|e| Fail::thrown(format!("{what} could not be read"), e))
}

/// `[key, value]` pairs of an object's own enumerable string keys, in order.
fn entries(v: &JsValue, what: &str) -> Result<Vec<(String, JsValue)>> {
    let pairs =
        object_entries(v).map_err(|e| Fail::thrown(format!("{what} could not be read"), e))?;
    // An array the engine just made: reading it runs no caller code.
    Ok(pairs
        .iter()
        .map(|pair| {
            let k = Reflect::get_u32(&pair, 0)
                .ok()
                .and_then(|k| k.as_string())
                .unwrap_or_default();
            (k, Reflect::get_u32(&pair, 1).unwrap_or(JsValue::UNDEFINED))
        })
        .collect())
}

fn is_absent(v: &JsValue) -> bool {
    v.is_undefined() || v.is_null()
}

fn invalid(message: String) -> Fail {
    ChatError::invalid(message).into()
}

/// Whether `v` is a non-null object that is neither an array nor a function.
pub fn is_plain_object(v: &JsValue, what: &str) -> Result<bool> {
    Ok(v.is_object() && !v.is_function() && !is_array(v, what)?)
}

/// An object argument that may be omitted (`undefined`/`null` → `None`).
pub fn optional_object(v: &JsValue, what: &str) -> Result<Option<JsValue>> {
    if is_absent(v) {
        Ok(None)
    } else if is_plain_object(v, what)? {
        Ok(Some(v.clone()))
    } else {
        Err(invalid(format!("{what} must be an object")))
    }
}

/// A required object argument.
pub fn required_object(v: &JsValue, what: &str) -> Result<JsValue> {
    optional_object(v, what)?.ok_or_else(|| invalid(format!("{what} must be an object")))
}

/// An optional property: `None` when absent, else `convert`ed or `{key} must be {what}`.
fn opt<T>(
    obj: &JsValue,
    key: &'static str,
    what: &str,
    convert: impl Fn(&JsValue) -> Option<T>,
) -> Result<Option<T>> {
    let v = get(obj, key)?;
    if is_absent(&v) {
        return Ok(None);
    }
    convert(&v)
        .map(Some)
        .ok_or_else(|| invalid(format!("{key} must be {what}")))
}

/// An optional string property.
pub fn opt_string(obj: &JsValue, key: &'static str) -> Result<Option<String>> {
    opt(obj, key, "a string", JsValue::as_string)
}

/// An optional boolean property.
pub fn opt_bool(obj: &JsValue, key: &'static str) -> Result<Option<bool>> {
    opt(obj, key, "a boolean", JsValue::as_bool)
}

/// An optional finite number property.
pub fn opt_number(obj: &JsValue, key: &'static str) -> Result<Option<f64>> {
    opt(obj, key, "a finite number", |v| {
        v.as_f64().filter(|n| n.is_finite())
    })
}

/// A user id: missing or empty → `ID is required`; not a string or not a valid id →
/// `INVALID_ARGUMENT`.
pub fn id(v: &JsValue) -> Result<String> {
    if is_absent(v) {
        return Err(ChatError::IdRequired.into());
    }
    let id = v
        .as_string()
        .ok_or_else(|| invalid("id must be a string".into()))?;
    validate_id(&id)?;
    Ok(id)
}

/// A string argument (`what` names it).
pub fn string(v: &JsValue, what: &str) -> Result<String> {
    v.as_string()
        .ok_or_else(|| invalid(format!("{what} must be a string")))
}

/// A function argument (checked with `typeof`, which no Proxy can intercept).
pub fn function(v: &JsValue, what: &str) -> Result<Function> {
    if v.is_function() {
        Ok(v.clone().unchecked_into())
    } else {
        Err(invalid(format!("{what} must be a function")))
    }
}

/// A JS value as a custom scalar (`null` passes here; validation refuses it on input).
fn scalar(v: &JsValue) -> Option<Scalar> {
    if let Some(s) = v.as_string() {
        Some(Scalar::Str(s))
    } else if let Some(n) = v.as_f64() {
        Some(Scalar::Num(n))
    } else if let Some(b) = v.as_bool() {
        Some(Scalar::Bool(b))
    } else if v.is_null() {
        Some(Scalar::Null)
    } else {
        None
    }
}

/// A custom object from JS (own enumerable string keys, in order).
pub fn custom_from_js(v: &JsValue) -> Result<Custom> {
    if !is_plain_object(v, "custom")? {
        return Err(invalid(
            "custom must be an object of strings, numbers and booleans".into(),
        ));
    }
    let mut custom = Custom::default();
    for (key, value) in entries(v, "custom")? {
        let s = scalar(&value).ok_or_else(|| {
            invalid(format!(
                "custom.{key} must be a string, number or boolean (arrays and objects are not supported)"
            ))
        })?;
        custom.0.push((key, s));
    }
    Ok(custom)
}

/// A `UserFields`-without-id patch: absent/`undefined` keeps, `null` clears, a value sets.
pub fn patch(v: &JsValue) -> Result<UserPatch> {
    let data = required_object(v, "data")?;
    let mut p = UserPatch::default();
    for f in StrField::ALL {
        let value = get(&data, f.name())?;
        p.fields[f.idx()] = if value.is_undefined() {
            Patch::Keep
        } else if value.is_null() {
            Patch::Clear
        } else {
            Patch::Set(
                value
                    .as_string()
                    .ok_or_else(|| invalid(format!("{} must be a string or null", f.name())))?,
            )
        };
    }
    let custom = get(&data, "custom")?;
    p.custom = if custom.is_undefined() {
        Patch::Keep
    } else if custom.is_null() {
        Patch::Clear
    } else {
        let c = custom_from_js(&custom)?;
        validate_custom_input(&c)?;
        Patch::Set(c)
    };
    Ok(p)
}

/// `{ soft?: boolean }` → `soft`.
pub fn delete_options(v: &JsValue) -> Result<bool> {
    match optional_object(v, "options")? {
        Some(o) => Ok(opt_bool(&o, "soft")?.unwrap_or(false)),
        None => Ok(false),
    }
}

/// `getUsers` params → a list query, plus the filter text it was parsed from.
pub fn list_query(v: &JsValue) -> Result<(ListQuery, Option<String>)> {
    let mut q = ListQuery::default();
    let Some(params) = optional_object(v, "params")? else {
        return Ok((q, None));
    };
    let filter = opt_string(&params, "filter")?.filter(|f| !f.trim().is_empty());
    if let Some(f) = &filter {
        q.filter = Some(Filter::parse(f)?);
    }
    if let Some(limit) = opt_number(&params, "limit")? {
        // (No float formatting here: it would link ~15 KB of wasm.)
        if limit.fract() != 0.0 || !(0.0..=1e9).contains(&limit) {
            return Err(invalid("limit must be an integer between 0 and 100".into()));
        }
        q.limit = check_limit(limit as usize)?;
    }
    let sort = get(&params, "sort")?;
    if let Some(key) = sort.as_string() {
        // PubNub's `MetadataSortingOptions` also allows one bare key: ascending.
        q.sort.push(SortKey::parse(&format!("{key}:asc"))?);
    } else if let Some(sort) = optional_object(&sort, "sort")? {
        for (key, dir) in entries(&sort, "sort")? {
            let dir = if is_absent(&dir) {
                "asc".to_string()
            } else {
                dir.as_string().ok_or_else(|| {
                    invalid(format!("sort.{key} must be \"asc\", \"desc\" or null"))
                })?
            };
            q.sort.push(SortKey::parse(&format!("{key}:{dir}"))?);
        }
    }
    if let Some(page) = optional_object(&get(&params, "page")?, "page")? {
        q.start = opt_string(&page, "next")?.filter(|s| !s.is_empty());
        q.end = opt_string(&page, "prev")?.filter(|s| !s.is_empty());
    }
    Ok((q, filter))
}

/// `Chat.init`'s config (`uuid` is the PubNub SDKs' older name of `userId`).
pub fn config(v: &JsValue) -> Result<RawConfig> {
    let c = required_object(v, "config")?;
    let user = match get(&c, "userId")? {
        u if is_absent(&u) => get(&c, "uuid")?,
        u => u,
    };
    Ok(RawConfig {
        user_id: id(&user)?,
        publish_key: opt_string(&c, "publishKey")?,
        subscribe_key: opt_string(&c, "subscribeKey")?,
        secret_key: opt_string(&c, "secretKey")?,
        auth_key: opt_string(&c, "authKey")?,
        origin: opt_string(&c, "origin")?,
        ssl: opt_bool(&c, "ssl")?,
        store_activity: opt_bool(&c, "storeUserActivityTimestamps")?,
        activity_interval_ms: opt_number(&c, "storeUserActivityInterval")?,
        request_timeout_s: opt_number(&c, "transactionalRequestTimeout")?,
        subscribe_timeout_s: opt_number(&c, "subscribeRequestTimeout")?,
        log_level: None,
    })
}

/// Reads an array's items one by one (each read guarded).
fn array_items(v: &JsValue, what: &str) -> Result<Vec<JsValue>> {
    let len = get(v, "length")?.as_f64().unwrap_or(0.0);
    if !(0.0..=1e7).contains(&len) {
        return Err(invalid(format!("{what} is too long")));
    }
    (0..len as u32)
        .map(|i| {
            Reflect::get_u32(v, i)
                .map_err(|e| Fail::thrown(format!("{what}[{i}] could not be read"), e))
        })
        .collect()
}

/// `deleteUsers`' target: an array of ids, or `{ filter }`.
pub fn bulk_target(v: &JsValue) -> Result<BulkTarget> {
    let bad = || invalid("target must be an array of ids or { filter: string }".into());
    if is_array(v, "target")? {
        return Ok(BulkTarget::Ids(
            array_items(v, "target")?
                .iter()
                .map(id)
                .collect::<Result<_>>()?,
        ));
    }
    let obj = optional_object(v, "target")?.ok_or_else(bad)?;
    let filter = opt_string(&obj, "filter")?
        .filter(|f| !f.trim().is_empty())
        .ok_or_else(bad)?;
    Ok(BulkTarget::Filter(filter))
}

/// `deleteUsers`' options and its `signal` (an `AbortSignal`, unchecked here).
pub fn bulk_options(v: &JsValue) -> Result<(BulkOptions<Function>, Option<JsValue>)> {
    let mut opts = BulkOptions::default();
    let Some(o) = optional_object(v, "options")? else {
        return Ok((opts, None));
    };
    opts.soft = opt_bool(&o, "soft")?.unwrap_or(false);
    opts.allow_all = opt_bool(&o, "allowAll")?.unwrap_or(false);
    opts.rate = opt_number(&o, "rate")?.unwrap_or(opts.rate);
    let concurrency = opt_number(&o, "concurrency")?.unwrap_or(opts.concurrency as f64);
    opts.concurrency =
        if concurrency.fract() == 0.0 && (1.0..=MAX_CONCURRENCY as f64).contains(&concurrency) {
            concurrency as usize
        } else {
            0 // refused by the client's check, with its message
        };
    let progress = get(&o, "onProgress")?;
    if !is_absent(&progress) {
        opts.on_progress = Some(function(&progress, "onProgress")?);
    }
    let signal = get(&o, "signal")?;
    Ok((opts, (!is_absent(&signal)).then_some(signal)))
}

/// A listener kind as `js/user.js` names it.
pub fn kind(name: &str) -> Result<Kind> {
    Ok(match name {
        "stream" => Kind::Stream,
        "updated" => Kind::Updated,
        "deleted" => Kind::Deleted,
        "list" => Kind::List,
        _ => return Err(invalid(format!("unknown listener kind {name}"))),
    })
}

/// Users as `js/user.js` hands them over: one string, cut by UTF-16 lengths into id, eTag
/// and `updated` per user.
pub fn snapshots(text: &str, lengths: &[f64]) -> Result<Vec<Snapshot>> {
    let bad = || invalid("users must be an array of User objects".into());
    if lengths.len() % 3 != 0 || lengths.iter().any(|n| n.fract() != 0.0 || *n < 0.0) {
        return Err(bad());
    }
    let pieces = split_utf16(text, lengths.iter().map(|n| *n as usize)).ok_or_else(bad)?;
    Ok(pieces
        .chunks(3)
        .map(|p| Snapshot {
            id: p[0].to_string(),
            etag: p[1].to_string(),
            updated: p[2].to_string(),
        })
        .collect())
}

/// A fresh plain object with these properties (no caller code can run on it).
pub fn object(props: &[(&'static str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in props {
        let _ = Reflect::set(&o, &key(k), v);
    }
    o.into()
}

/// `{ id, soft }` for `onDeleted`.
pub fn deleted_info(id: &str, soft: bool) -> JsValue {
    object(&[("id", id.into()), ("soft", soft.into())])
}

/// The status object of connection status listeners.
pub fn status(s: &Status) -> JsValue {
    object(&[
        ("category", s.category.into()),
        ("reason", s.reason.into()),
        ("userId", s.user_id.as_str().into()),
        ("soft", s.soft.into()),
    ])
}

/// `{ done, total, failed }` for `onProgress`.
pub fn progress(p: &Progress) -> JsValue {
    object(&[
        ("done", (p.done as f64).into()),
        ("total", (p.total as f64).into()),
        ("failed", (p.failed as f64).into()),
    ])
}

/// `{ operationId, deleted, failed: [{ id, error }], aborted }`.
pub fn bulk_report(r: BulkReport) -> JsValue {
    let deleted: Array = r.deleted.iter().map(|id| JsValue::from_str(id)).collect();
    let failed: Array = r
        .failed
        .into_iter()
        .map(|(id, e)| object(&[("id", id.into()), ("error", crate::error::chat_error(e))]))
        .collect();
    object(&[
        ("operationId", r.operation_id.into()),
        ("deleted", deleted.into()),
        ("failed", failed.into()),
        ("aborted", r.aborted.into()),
    ])
}
