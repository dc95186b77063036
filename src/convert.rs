//! Every conversion between JS values and ferrochat-core types, under one policy:
//! `undefined` and `null` mean "not given" on input, except in patches where `null`
//! clears a field; anything of the wrong type is `INVALID_ARGUMENT` naming the field;
//! output is plain objects (never `Map`s). No function here panics on any input.

use ferrochat_core::model::{Custom, Scalar, ScalarRef, StrField, User, UserRef};
use ferrochat_core::page::{check_limit, ListQuery};
use ferrochat_core::patch::{Patch, UserPatch};
use ferrochat_core::validate::{validate_custom_input, validate_id};
use ferrochat_core::{ChatError, Filter, Result, SortKey};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    /// JS strings of the property names we read, made once: a `getUsers` page reads ten
    /// properties of each of 100 users, and re-creating each key in JS every time was a
    /// third of its cost (bench/README.md).
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

/// Reads `obj[key]`; a throwing getter or proxy becomes `INVALID_ARGUMENT`.
pub fn get(obj: &JsValue, name: &'static str) -> Result<JsValue> {
    Reflect::get(obj, &key(name))
        .map_err(|_| ChatError::invalid(format!("could not read '{name}'")))
}

/// Whether `v` is a non-null object that is neither an array nor a function.
pub fn is_plain_object(v: &JsValue) -> bool {
    v.is_object() && !Array::is_array(v) && !v.is_function()
}

fn is_absent(v: &JsValue) -> bool {
    v.is_undefined() || v.is_null()
}

/// An object argument that may be omitted (`undefined`/`null` → `None`).
pub fn optional_object(v: &JsValue, what: &str) -> Result<Option<JsValue>> {
    if is_absent(v) {
        Ok(None)
    } else if is_plain_object(v) {
        Ok(Some(v.clone()))
    } else {
        Err(ChatError::invalid(format!("{what} must be an object")))
    }
}

/// A required object argument.
pub fn required_object(v: &JsValue, what: &str) -> Result<JsValue> {
    optional_object(v, what)?.ok_or_else(|| ChatError::invalid(format!("{what} must be an object")))
}

/// An optional property: `None` when absent, else `convert`ed or `INVALID_ARGUMENT`
/// saying `{key} must be {what}`.
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
        .ok_or_else(|| ChatError::invalid(format!("{key} must be {what}")))
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

/// A user id argument: missing or empty → `ID is required`; not a string or not a valid
/// id → `INVALID_ARGUMENT`.
pub fn id(v: &JsValue) -> Result<String> {
    if is_absent(v) {
        return Err(ChatError::IdRequired);
    }
    let id = v
        .as_string()
        .ok_or_else(|| ChatError::invalid("id must be a string"))?;
    validate_id(&id)?;
    Ok(id)
}

/// A JS value as a custom scalar (`null` only where `allow_null`).
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
    if !is_plain_object(v) {
        return Err(ChatError::invalid(
            "custom must be an object of strings, numbers and booleans",
        ));
    }
    let entries = Object::entries(v.unchecked_ref());
    let mut custom = Custom::default();
    for entry in entries.iter() {
        let key = Reflect::get_u32(&entry, 0)
            .ok()
            .and_then(|k| k.as_string())
            .unwrap_or_default();
        let value = Reflect::get_u32(&entry, 1).unwrap_or(JsValue::UNDEFINED);
        let s = scalar(&value).ok_or_else(|| {
            ChatError::invalid(format!(
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
            Patch::Set(value.as_string().ok_or_else(|| {
                ChatError::invalid(format!("{} must be a string or null", f.name()))
            })?)
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
            return Err(ChatError::invalid(
                "limit must be an integer between 0 and 100",
            ));
        }
        q.limit = check_limit(limit as usize)?;
    }
    if let Some(sort) = optional_object(&get(&params, "sort")?, "sort")? {
        for entry in Object::entries(sort.unchecked_ref()).iter() {
            let key = Reflect::get_u32(&entry, 0)
                .ok()
                .and_then(|k| k.as_string())
                .unwrap_or_default();
            let dir = Reflect::get_u32(&entry, 1).unwrap_or(JsValue::UNDEFINED);
            let dir = if is_absent(&dir) {
                "asc".to_string()
            } else {
                dir.as_string().ok_or_else(|| {
                    ChatError::invalid(format!("sort.{key} must be \"asc\", \"desc\" or null"))
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

/// A patch as the JSON body of a PATCH: set fields as values, cleared ones as `null`
/// (JS `JSON.stringify` writes the numbers, so the wasm never formats floats).
pub fn patch_to_json(p: &UserPatch) -> String {
    let obj = Object::new();
    let put = |k: &str, v: &JsValue| {
        let _ = Reflect::set(&obj, &JsValue::from_str(k), v);
    };
    for f in StrField::ALL {
        match &p.fields[f.idx()] {
            Patch::Keep => {}
            Patch::Clear => put(f.name(), &JsValue::NULL),
            Patch::Set(s) => put(f.name(), &JsValue::from_str(s)),
        }
    }
    match &p.custom {
        Patch::Keep => {}
        Patch::Clear => put("custom", &JsValue::NULL),
        Patch::Set(c) => put("custom", &custom_to_js(c)),
    }
    js_sys::JSON::stringify(&obj)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "{}".to_string())
}

/// A custom object as a frozen plain JS object. Built with `Object.fromEntries`, so every
/// key (even `__proto__`) becomes an own property.
pub fn custom_to_js(c: &Custom) -> JsValue {
    let entries: Array =
        c.0.iter()
            .map(|(k, v)| {
                let value = match v {
                    Scalar::Str(s) => JsValue::from_str(s),
                    Scalar::Num(n) => JsValue::from_f64(*n),
                    Scalar::Bool(b) => JsValue::from_bool(*b),
                    Scalar::Null => JsValue::NULL,
                };
                JsValue::from(Array::of2(&JsValue::from_str(k), &value))
            })
            .collect();
    let obj = Object::from_entries(&entries).unwrap_or_default();
    Object::freeze(&obj).into()
}

/// Users as one string and one array of numbers, from which `js/user.js` (`makeUsers`)
/// builds its `User`s: one crossing and one UTF-8 decode per batch (a `getUsers` page)
/// instead of one per field. Per user, `nums` holds the UTF-16 length (or -1: absent) of
/// id, name, externalId, profileUrl, email, type, status, updated and eTag, whose text
/// follows in `text`; then `lastActiveTimestamp` (NaN: absent); then the number of custom
/// entries (-1: no custom) and, per entry, the key's length and a tag: 0 and the string's
/// length, 1 and the number, 2 and 0/1, or 3 (null).
#[derive(Default)]
pub struct UserBatch {
    /// Every string, concatenated.
    pub text: String,
    /// Lengths, tags and numbers (see above).
    pub nums: Vec<f64>,
}

impl UserBatch {
    /// The batch for `users`, in order.
    pub fn of<'a>(users: impl IntoIterator<Item = &'a User>) -> UserBatch {
        let users = users.into_iter();
        let mut b = UserBatch::with_capacity(users.size_hint().0);
        for u in users {
            b.push(u);
        }
        b
    }

    /// An empty batch with room for about `n` users.
    pub fn with_capacity(n: usize) -> UserBatch {
        UserBatch {
            text: String::with_capacity(n * 160),
            nums: Vec::with_capacity(n * 16),
        }
    }

    /// Appends a stored user (not generic, so the callers of [`of`](UserBatch::of) share it).
    #[inline(never)]
    fn push(&mut self, u: &User) {
        self.str(Some(&u.id));
        for f in &u.fields {
            self.str(f.as_deref());
        }
        let custom = u.custom.as_ref().map(|c| &c.0);
        self.tail(&u.updated, &u.etag, last_active(u), custom.map(Vec::len));
        if let Some(custom) = custom {
            for (k, v) in custom {
                self.entry(k, &v.view());
            }
        }
    }

    /// Appends a user as read from a reply (its strings still borrowed from the text).
    pub fn push_ref(&mut self, u: &UserRef) {
        self.str(Some(&u.id));
        for f in &u.fields {
            self.str(f.as_deref());
        }
        let last = u.custom_get(LAST_ACTIVE_KEY).and_then(last_active_value);
        self.tail(&u.updated, &u.etag, last, u.custom.as_ref().map(Vec::len));
        if let Some(custom) = &u.custom {
            for (k, v) in custom {
                self.entry(k, v);
            }
        }
    }

    /// What follows a user's id and fields (shared by both kinds of user, so nothing here
    /// is generic): the stamps, `lastActiveTimestamp` and the number of custom entries
    /// (`None`: no custom), which [`entry`](UserBatch::entry) appends next.
    fn tail(
        &mut self,
        updated: &str,
        etag: &str,
        last_active: Option<f64>,
        custom_len: Option<usize>,
    ) {
        self.str(Some(updated).filter(|s| !s.is_empty()));
        self.str(Some(etag));
        self.nums.push(last_active.unwrap_or(f64::NAN));
        self.nums.push(custom_len.map_or(-1.0, |n| n as f64));
    }

    /// One custom entry.
    fn entry(&mut self, k: &str, v: &ScalarRef) {
        self.str(Some(k));
        match v {
            ScalarRef::Str(s) => {
                self.nums.push(0.0);
                self.str(Some(s));
            }
            ScalarRef::Num(n) => self.nums.extend([1.0, *n]),
            ScalarRef::Bool(x) => self.nums.extend([2.0, f64::from(u8::from(*x))]),
            ScalarRef::Null => self.nums.push(3.0),
        }
    }

    fn str(&mut self, s: Option<&str>) {
        match s {
            None => self.nums.push(-1.0),
            Some(s) => {
                self.text.push_str(s);
                let units = if s.is_ascii() {
                    s.len()
                } else {
                    s.chars().map(char::len_utf16).sum()
                };
                self.nums.push(units as f64);
            }
        }
    }
}

/// A `User` as `js/user.js` hands it back (`{"data":{…}}`, the wire's single-user reply).
pub fn user_record(text: &str) -> Result<User> {
    ferrochat_core::decode::user_reply(text, crate::backend::http::js_number)
        .map_err(|_| ChatError::invalid("expected a User"))
}

/// Several `User`s as `js/user.js` hands them back (`{"data":[…]}`).
pub fn user_records(text: &str) -> Result<Vec<User>> {
    ferrochat_core::decode::page(text, crate::backend::http::js_number)
        .map(|page| page.users)
        .map_err(|_| not_users())
}

/// The error for a `users` argument that is not an array of `User`s.
pub fn not_users() -> ChatError {
    ChatError::invalid("users must be an array of User objects")
}

/// `custom.lastActiveTimestamp`, where the Chat SDK keeps it.
pub fn last_active(u: &User) -> Option<f64> {
    last_active_value(&u.custom.as_ref()?.get(LAST_ACTIVE_KEY)?.view())
}

/// A `lastActiveTimestamp` value as a number (a number, or a string of one).
fn last_active_value(v: &ScalarRef) -> Option<f64> {
    match v {
        ScalarRef::Num(n) => Some(*n),
        ScalarRef::Str(s) => ferrochat_core::filter::parse_decimal(s),
        _ => None,
    }
}

/// The custom key that holds the last-active timestamp (as the PubNub Chat SDK uses).
pub const LAST_ACTIVE_KEY: &str = "lastActiveTimestamp";

/// A JS function argument.
pub fn function(v: &JsValue, what: &str) -> Result<js_sys::Function> {
    v.dyn_ref::<js_sys::Function>()
        .cloned()
        .ok_or_else(|| ChatError::invalid(format!("{what} must be a function")))
}
