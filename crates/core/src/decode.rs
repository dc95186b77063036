//! What PubNub-protocol servers send, decoded into the model (protocol.md §3, §5): user
//! objects, list pages, subscribe responses and their App Context events.
//!
//! The wasm SDK's network backend parses each reply once with [`crate::json::parse`] and
//! decodes it here, so the decoding is plain Rust, tested with `cargo test`.

use crate::error::{ChatError, Result};
use crate::event::{Event, EventKind};
use crate::json::{NumberParser, Reader, Value};
use crate::model::{Custom, Scalar, ScalarRef, StrField, User, UserRef};
use crate::page::ListPage;
use crate::patch::{Changeset, Patch, UserPatch};
use crate::wire::parse_timetoken;
use std::borrow::Cow;

fn malformed(what: impl Into<String>) -> ChatError {
    ChatError::MalformedResponse(what.into())
}

fn malformed_json(e: String) -> ChatError {
    malformed(format!("body is not the expected JSON ({e})"))
}

/// Custom data as read from a reply.
type CustomRef<'a> = Vec<(Cow<'a, str>, ScalarRef<'a>)>;

/// `custom` as the wire has it: `null`, or an object of scalars. A repeated key keeps its
/// first place and its last value, as in JS.
fn read_custom<'a>(r: &mut Reader<'a>) -> std::result::Result<Option<CustomRef<'a>>, String> {
    if r.null() {
        return Ok(None);
    }
    let mut custom: CustomRef<'a> = Vec::new();
    r.object(|r, k| {
        let v = match r.peek() {
            b'"' => ScalarRef::Str(r.str_ref()?),
            b'{' | b'[' => return Err(format!("custom.{k} is not a scalar")),
            _ => match r.value()? {
                Value::Num(n) => ScalarRef::Num(n),
                Value::Bool(b) => ScalarRef::Bool(b),
                _ => ScalarRef::Null,
            },
        };
        match custom.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => custom.push((k, v)),
        }
        Ok(())
    })?;
    Ok(Some(custom))
}

/// A JSON scalar as a custom value; arrays and objects are not.
fn scalar(v: Value) -> Option<Scalar> {
    match v {
        Value::Str(s) => Some(Scalar::Str(s)),
        Value::Num(n) => Some(Scalar::Num(n)),
        Value::Bool(b) => Some(Scalar::Bool(b)),
        Value::Null => Some(Scalar::Null),
        Value::Arr(_) | Value::Obj(_) => None,
    }
}

/// Sets `k`: a repeated key keeps its first place and its last value, as in JS.
fn put(custom: &mut Custom, k: &str, s: Scalar) {
    match custom.0.iter_mut().find(|(key, _)| key == k) {
        Some(slot) => slot.1 = s,
        None => custom.0.push((k.to_string(), s)),
    }
}

/// A user object (`{id, name, …, custom, updated, eTag}`), read straight from the text.
fn read_user<'a>(r: &mut Reader<'a>) -> std::result::Result<UserRef<'a>, String> {
    let mut u = UserRef::default();
    let mut has_id = false;
    r.object(|r, key| {
        match &*key {
            "id" => {
                u.id = r.str_ref()?;
                has_id = true;
            }
            "custom" => u.custom = read_custom(r)?,
            "updated" => u.updated = r.opt_str_ref()?.unwrap_or_default(),
            "eTag" => u.etag = r.opt_str_ref()?.unwrap_or_default(),
            k => match StrField::from_name(k) {
                Some(f) => u.fields[f.idx()] = r.opt_str_ref()?,
                None => r.skip()?,
            },
        }
        Ok(())
    })?;
    if has_id {
        Ok(u)
    } else {
        Err("user without id".into())
    }
}

/// The `data` of a single-user reply (`GET`/`PATCH /uuids/{id}`).
pub fn user_reply(text: &str, number: NumberParser) -> Result<User> {
    let mut r = Reader::new(text, number);
    let mut user = None;
    r.object(|r, key| {
        if key == "data" {
            user = Some(read_user(r)?);
            Ok(())
        } else {
            r.skip()
        }
    })
    .and_then(|()| r.end())
    .map_err(malformed_json)?;
    user.as_ref()
        .map(User::from)
        .ok_or_else(|| malformed("reply without data"))
}

/// A `GET /uuids` reply: `data` (users), `next`, `prev`, `totalCount`, its users owned.
pub fn page(text: &str, number: NumberParser) -> Result<ListPage> {
    let mut users = Vec::with_capacity(100);
    let page = page_with(text, number, &mut |u| users.push(User::from(u)))?;
    Ok(page.map(|_| users))
}

/// A `GET /uuids` reply, each user handed to `on_user` as it is read, its strings borrowed
/// from `text` (no copy per field: the SDK encodes them for JS at once). The page's
/// `users` is how many there were. A malformed reply fails after some users may have
/// been handed over.
pub fn page_with<'a>(
    text: &'a str,
    number: NumberParser,
    on_user: &mut dyn FnMut(&UserRef<'a>),
) -> Result<ListPage<usize>> {
    let mut r = Reader::new(text, number);
    let mut count = None;
    let (mut next, mut prev, mut total) = (None, None, None);
    r.object(|r, key| {
        match &*key {
            // Users already handed over cannot be taken back: a second `data` is an error
            // (not JSON.parse's "the last one wins").
            "data" if count.is_some() => return Err("\"data\" twice".into()),
            "data" => {
                let mut n = 0;
                r.array(|r| {
                    on_user(&read_user(r)?);
                    n += 1;
                    Ok(())
                })?;
                count = Some(n);
            }
            "next" => next = r.opt_string()?.filter(|s| !s.is_empty()),
            "prev" => prev = r.opt_string()?.filter(|s| !s.is_empty()),
            "totalCount" => total = r.value()?.as_f64(),
            _ => r.skip()?,
        }
        Ok(())
    })
    .and_then(|()| r.end())
    .map_err(malformed_json)?;
    let count = count.ok_or_else(|| malformed("getAllUUIDMetadata: data is not an array"))?;
    Ok(ListPage {
        total: total.map_or(count, |t| t.max(0.0) as usize),
        next,
        prev,
        users: count,
    })
}

/// A user object on its own (`{"id":…,…}`, as [`crate::json::write_user`] writes it): how
/// ferrochat-server reads back the records it stored.
pub fn user(text: &str, number: NumberParser) -> Result<User> {
    let mut r = Reader::new(text, number);
    let user = read_user(&mut r)
        .and_then(|u| r.end().map(|()| u))
        .map_err(malformed_json)?;
    Ok(User::from(&user))
}

/// Why a PATCH body is refused: where (`body`, a field name, `custom.<key>`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    /// The part of the body at fault.
    pub location: String,
    /// What is wrong with it.
    pub message: String,
}

/// What kind of JSON value comes next (for error messages), without reading it.
fn kind_at(r: &mut Reader<'_>) -> &'static str {
    match r.peek() {
        b'"' => "a string",
        b'{' => "an object",
        b'[' => "an array",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        _ => "a number",
    }
}

/// A PATCH body (the wire's user patch, as [`crate::json::write_patch`] writes it): a
/// missing key keeps the field, `null` clears it, a string sets it; `custom` is an object
/// of scalars (or `null`) replacing the old one whole. Unknown keys (`id` included) are
/// ignored, as the service does; a repeated key keeps its last value.
pub fn patch(text: &str, number: NumberParser) -> std::result::Result<UserPatch, PatchError> {
    // Strict: a lone surrogate would be stored as U+FFFD, not as written.
    let mut r = Reader::new(text, number).strict();
    let mut patch = UserPatch::default();
    let mut bad: Option<PatchError> = None;
    let mut refuse = |location: String, message: String| {
        bad.get_or_insert(PatchError { location, message });
        Err(String::new())
    };
    let read = r
        .object(|r, key| {
            if key == "custom" {
                if r.null() {
                    patch.custom = Patch::Clear;
                    return Ok(());
                }
                if r.peek() != b'{' {
                    let got = kind_at(r);
                    r.skip()?;
                    return refuse(
                        "custom".into(),
                        format!("custom must be an object or null (got {got})"),
                    );
                }
                let mut custom = Custom::default();
                let mut nested = None;
                r.object(|r, k| {
                    let v = match r.peek() {
                        b'{' | b'[' => {
                            let what = kind_at(r);
                            r.skip()?;
                            nested = Some((k.to_string(), what));
                            return Err(String::new());
                        }
                        _ => scalar(r.value()?).unwrap_or(Scalar::Null),
                    };
                    put(&mut custom, &k, v);
                    Ok(())
                })
                .or_else(|e| match nested.take() {
                    Some((k, what)) => refuse(
                        format!("custom.{k}"),
                        format!("custom.{k} must be a string, number, boolean or null (got {what}); custom can only contain scalar values"),
                    ),
                    None => Err(e),
                })?;
                patch.custom = Patch::Set(custom);
                return Ok(());
            }
            let Some(f) = StrField::from_name(&key) else {
                return r.skip();
            };
            patch.fields[f.idx()] = if r.null() {
                Patch::Clear
            } else if r.peek() == b'"' {
                Patch::Set(r.string()?)
            } else {
                let got = kind_at(r);
                r.skip()?;
                return refuse(
                    f.name().into(),
                    format!("{} must be a string or null (got {got})", f.name()),
                );
            };
            Ok(())
        })
        .and_then(|()| r.end());
    match (read, bad) {
        (_, Some(e)) => Err(e),
        (Ok(()), None) => Ok(patch),
        (Err(e), None) => Err(PatchError {
            location: "body".into(),
            message: format!("Request payload must be a JSON object: {e}"),
        }),
    }
}

/// The cursor of a subscribe reply: `t.t` (timetoken) and `t.r` (region, `"1"` when
/// missing). `None` when the timetoken is missing or malformed.
pub fn cursor(body: &Value) -> Option<(u64, String)> {
    let tt = parse_timetoken(body.at(&["t", "t"])?.as_str()?)?;
    let region = body
        .at(&["t", "r"])
        .and_then(Value::as_f64)
        .map_or_else(|| "1".to_string(), |r| (r.max(0.0) as u32).to_string());
    Some((tt, region))
}

/// The App Context user events (`e: 2`, `source: "objects"`, `type: "uuid"`) of a
/// subscribe reply's `m`, in order. Messages, presence, other object types and malformed
/// envelopes are skipped.
pub fn events(mut body: Value) -> Vec<Event> {
    match body.take("m") {
        Value::Arr(messages) => messages.into_iter().filter_map(event).collect(),
        _ => Vec::new(),
    }
}

/// A string member of an event's data: absent or `null` is `None`, a non-string fails.
fn take_str(obj: &mut Value, key: &str) -> Option<Option<String>> {
    match obj.take(key) {
        Value::Null => Some(None),
        Value::Str(s) => Some(Some(s)),
        _ => None,
    }
}

/// `custom` of an event's data: `null`, or an object of scalars.
fn custom(v: Value) -> Option<Option<Custom>> {
    let members = match v {
        Value::Null => return Some(None),
        Value::Obj(members) => members,
        _ => return None,
    };
    let mut custom = Custom(Vec::with_capacity(members.len()));
    for (k, v) in members {
        put(&mut custom, &k, scalar(v)?);
    }
    Some(Some(custom))
}

/// One envelope as an App Context user event, if it is one.
pub fn event(mut envelope: Value) -> Option<Event> {
    let mut d = envelope.take("d");
    if envelope.get("e")?.as_f64() != Some(2.0)
        || d.get("source")?.as_str() != Some("objects")
        || d.get("type")?.as_str() != Some("uuid")
    {
        return None;
    }
    let timetoken = parse_timetoken(envelope.at(&["p", "t"])?.as_str()?)?;
    let Value::Str(channel) = envelope.take("c") else {
        return None;
    };
    let mut data = d.take("data");
    let id = take_str(&mut data, "id")??;
    let kind = match d.get("event")?.as_str()? {
        "delete" => EventKind::Delete { id },
        "set" => {
            let mut cs = Changeset::new(&id);
            for f in StrField::ALL {
                if data.get(f.name()).is_some() {
                    cs.fields[f.idx()] = Some(take_str(&mut data, f.name())?);
                }
            }
            if data.get("custom").is_some() {
                cs.custom = Some(custom(data.take("custom"))?);
            }
            cs.updated = take_str(&mut data, "updated")?.unwrap_or_default();
            cs.etag = take_str(&mut data, "eTag")?.unwrap_or_default();
            EventKind::Set(Box::new(cs))
        }
        _ => return None,
    };
    Some(Event {
        channel,
        timetoken,
        kind,
    })
}

/// The message of an error reply: `error.message`, `message` or `error` (a string).
pub fn error_message(body: &Value) -> Option<&str> {
    [&["error", "message"][..], &["message"], &["error"]]
        .iter()
        .find_map(|path| body.at(path)?.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse_std, std_number, user_to_json};

    #[test]
    fn patches_round_trip_through_the_codec() {
        use crate::json::{std_number_writer, write_patch};
        let mut rng = crate::test_rng(99);
        let pick = |rng: &mut dyn FnMut(u64) -> u64| -> Patch<String> {
            match rng(3) {
                0 => Patch::Keep,
                1 => Patch::Clear,
                _ => Patch::Set(
                    ["", "Ann", "\"q\" \\ \n\u{1}", "\u{e9}\u{1F600}"][rng(4) as usize].into(),
                ),
            }
        };
        for _ in 0..500 {
            let mut p = UserPatch::default();
            for f in StrField::ALL {
                p.fields[f.idx()] = pick(&mut rng);
            }
            p.custom = match rng(3) {
                0 => Patch::Keep,
                1 => Patch::Clear,
                _ => Patch::Set(Custom(
                    (0..rng(4))
                        .map(|i| {
                            let v = match rng(4) {
                                0 => Scalar::Str(format!("v{i}\"")),
                                1 => Scalar::Num([0.1 + 0.2, -3.0, 1e300, 5e-324][rng(4) as usize]),
                                2 => Scalar::Bool(rng(2) == 0),
                                _ => Scalar::Null,
                            };
                            (format!("k{i}"), v)
                        })
                        .collect(),
                )),
            };
            let text = write_patch(&p, std_number_writer);
            assert_eq!(patch(&text, std_number), Ok(p.clone()), "{text}");
            // serde_json agrees on the text (it is the reference JSON parser here).
            assert!(
                serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                "{text}"
            );
        }
        assert_eq!(write_patch(&UserPatch::default(), std_number_writer), "{}");
    }

    #[test]
    fn patch_bodies_are_read_as_the_service_does() {
        let p = patch(
            r#"{"name":"Ann","email":null,"id":"ignored","bogus":[1,{"x":2}],"custom":{"b":1,"a":"x","n":null,"b":2}}"#,
            std_number,
        )
        .unwrap();
        assert_eq!(p.fields[StrField::Name.idx()], Patch::Set("Ann".into()));
        assert_eq!(p.fields[StrField::Email.idx()], Patch::Clear);
        assert_eq!(p.fields[StrField::Status.idx()], Patch::Keep);
        let Patch::Set(c) = &p.custom else {
            panic!("custom not set")
        };
        assert_eq!(
            c.0[0],
            ("b".to_string(), Scalar::Num(2.0)),
            "first place, last value"
        );
        assert_eq!(c.0.len(), 3);
        assert_eq!(
            patch(r#"{"name":"a","name":"b"}"#, std_number)
                .unwrap()
                .fields[0],
            Patch::Set("b".into())
        );
        assert_eq!(
            patch(r#"{"custom":null}"#, std_number).unwrap().custom,
            Patch::Clear
        );
        for (body, location) in [
            (r#"{"name":5}"#, "name"),
            (r#"{"custom":{"a":{"b":1}}}"#, "custom.a"),
            (r#"{"custom":{"ok":1,"a":[1]}}"#, "custom.a"),
            (r#"{"custom":"x"}"#, "custom"),
            (r#"{"type":true}"#, "type"),
            ("[1]", "body"),
            (r#"{"name":"#, "body"),
            ("", "body"),
            (r#"{"custom":{"n":1e999}}"#, "body"),
            (r#"{} {}"#, "body"),
        ] {
            let e = patch(body, std_number).unwrap_err();
            assert_eq!(e.location, location, "{body}: {e:?}");
            assert!(!e.message.is_empty());
        }
        let e = patch(r#"{"custom":{"deep":{}}}"#, std_number).unwrap_err();
        assert_eq!(
            e.message,
            "custom.deep must be a string, number, boolean or null (got an object); custom can only contain scalar values"
        );
        assert_eq!(
            patch(r#"{"name":[]}"#, std_number).unwrap_err().message,
            "name must be a string or null (got an array)"
        );
    }

    #[test]
    fn bare_users_round_trip() {
        let mut u = User::new("u\"1");
        u.set(StrField::Email, Some("a@b.c".into()));
        u.custom = Some(Custom(vec![
            ("z".into(), Scalar::Num(1.5)),
            ("a".into(), Scalar::Bool(true)),
        ]));
        u.updated = "2024-01-01T00:00:00.000000Z".into();
        u.etag = "abc".into();
        assert_eq!(user(&user_to_json(&u, true), std_number).unwrap(), u);
        assert!(user("{}", std_number).is_err());
        assert!(user("nope", std_number).is_err());
    }

    #[test]
    fn user_round_trips_through_the_writer() {
        let mut u = User::new("ann");
        u.set(StrField::Name, Some("Ann \"A\" \u{e9}\u{1F600}".into()));
        u.set(StrField::Email, Some("a@x".into()));
        u.custom = Some(Custom(vec![
            ("n".into(), Scalar::Num(0.1 + 0.2)),
            ("b".into(), Scalar::Bool(false)),
            ("s".into(), Scalar::Str("\\/\n".into())),
        ]));
        u.updated = "2024-01-01T00:00:00.000000Z".into();
        u.etag = "AbC".into();
        let body = format!("{{\"status\":200,\"data\":{}}}", user_to_json(&u, true));
        assert_eq!(user_reply(&body, std_number).unwrap(), u);
    }

    #[test]
    fn malformed_users_are_errors_not_panics() {
        for text in [
            r#"{"data":[]}"#,
            r#"{"data":{"name":"no id"}}"#,
            r#"{"data":{"id":5}}"#,
            r#"{"data":{"id":"a","name":1}}"#,
            r#"{"data":{"id":"a","custom":[1]}}"#,
            r#"{"data":{"id":"a","custom":{"x":{"y":1}}}}"#,
        ] {
            let err = user_reply(text, std_number).unwrap_err();
            assert_eq!(err.code(), "MALFORMED_RESPONSE", "{text}");
        }
        assert!(page(r#"{"data":{}}"#, std_number).is_err());
        assert!(page("[]", std_number).is_err());
        assert!(user_reply(r#"{"data":{"id":"a"}} x"#, std_number).is_err());
    }

    #[test]
    fn pages_carry_cursors_and_total() {
        let body = r#"{"status":200,"data":[{"id":"a","extra":[{"x":1}]},{"id":"b","custom":null}],"next":"Mg","prev":"","totalCount":7}"#;
        let p = page(body, std_number).unwrap();
        assert_eq!(p.users.len(), 2);
        assert_eq!(
            (p.next.as_deref(), p.prev.as_deref(), p.total),
            (Some("Mg"), None, 7)
        );
    }

    #[test]
    fn page_with_borrows_plain_strings_and_decodes_escaped_ones() {
        let body = r#"{"data":[
            {"id":"a","name":"Ann","email":null,"custom":{"k":"v","n":2,"k":"w","t":true,"z":null},"updated":"u1","eTag":"e1"},
            {"id":"b\u00e9","name":"line\nbreak","status":"deleted"}
        ],"next":"Mg","totalCount":9}"#;
        let mut seen = Vec::new();
        let meta = page_with(body, std_number, &mut |u| {
            seen.push((matches!(u.id, Cow::Borrowed(_)), User::from(u)));
            if u.id == "a" {
                assert!(matches!(u.fields[0], Some(Cow::Borrowed("Ann"))));
                // A repeated key keeps its first place and its last value, as in JS.
                let keys: Vec<&str> = u.custom.iter().flatten().map(|(k, _)| &**k).collect();
                assert_eq!(keys, ["k", "n", "t", "z"]);
                assert_eq!(u.custom_get("k"), Some(&ScalarRef::Str(Cow::Borrowed("w"))));
            }
        })
        .unwrap();
        assert_eq!(
            (meta.users, meta.total, meta.next.as_deref()),
            (2, 9, Some("Mg"))
        );
        assert!(seen[0].0);
        assert!(!seen[1].0, "an escaped id is decoded, not borrowed");
        assert_eq!(seen[1].1.id, "b\u{e9}");
        assert_eq!(seen[1].1.get(StrField::Name), Some("line\nbreak"));
        // The owned page is the same users.
        let owned = page(body, std_number).unwrap();
        assert_eq!(
            owned.users,
            seen.into_iter().map(|(_, u)| u).collect::<Vec<_>>()
        );
        assert_eq!(
            owned.users[0].custom.as_ref().unwrap().get("k"),
            Some(&Scalar::Str("w".into()))
        );
        for bad in [
            r#"{"data":[{"id":"a","custom":{"x":[1]}}]}"#,
            r#"{"data":[{"id":"a","custom":{"x":{}}}]}"#,
            r#"{"data":[{"id":"a","name":"unterminated}]}"#,
            r#"{"data":[{"id":"a"}],"data":[{"id":"b"}]}"#,
        ] {
            let err = page_with(bad, std_number, &mut |_| {}).unwrap_err();
            assert_eq!(err.code(), "MALFORMED_RESPONSE", "{bad}");
        }
    }

    #[test]
    fn subscribe_replies_give_cursor_and_user_events_only() {
        let body = parse_std(
            r#"{"t":{"t":"17000000000000001","r":12},"m":[
              {"e":2,"c":"ann","p":{"t":"17000000000000000"},"d":{"source":"objects","version":"2.0","event":"set","type":"uuid","data":{"id":"ann","name":null,"custom":{"k":1},"updated":"u","eTag":"e"}}},
              {"e":2,"c":"ann","p":{"t":"17000000000000000"},"d":{"source":"objects","event":"set","type":"channel","data":{"id":"ch"}}},
              {"c":"ann","p":{"t":"17000000000000000"},"d":{"text":"a message"}},
              {"e":2,"c":"bob","p":{"t":"17000000000000002"},"d":{"source":"objects","event":"delete","type":"uuid","data":{"id":"bob"}}}
            ]}"#,
        )
        .unwrap();
        assert_eq!(cursor(&body), Some((17_000_000_000_000_001, "12".into())));
        let evs = events(body.clone());
        assert_eq!(evs.len(), 2);
        match &evs[0].kind {
            EventKind::Set(cs) => {
                assert_eq!(cs.fields[StrField::Name.idx()], Some(None));
                assert_eq!(cs.fields[StrField::Email.idx()], None);
                assert!(cs.custom.is_some());
                assert_eq!(cs.etag, "e");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&evs[1].kind, EventKind::Delete { id } if id == "bob"));
        assert_eq!(cursor(&parse_std(r#"{"t":{"t":"x"}}"#).unwrap()), None);
    }

    #[test]
    fn error_messages_are_found_where_servers_put_them() {
        for (text, want) in [
            (r#"{"error":{"message":"deep"}}"#, Some("deep")),
            (r#"{"message":"flat"}"#, Some("flat")),
            (r#"{"error":"plain"}"#, Some("plain")),
            (r#"{"error":true}"#, None),
        ] {
            assert_eq!(error_message(&parse_std(text).unwrap()), want);
        }
    }
}
