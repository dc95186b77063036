//! JSON in: request bodies into core patches, stored records back into users.
//!
//! The core has no JSON parser (the wasm side uses JS's); the server parses with serde_json
//! and hands typed values to the core, which owns every rule (patch semantics, validation).

use crate::error::{ApiError, Detail, Family};
use ferrochat_core::model::{Custom, Scalar, StrField, User};
use ferrochat_core::patch::{Patch, UserPatch};
use serde_json::{Map, Value};

/// Parses a PATCH body into a patch: a missing key keeps the field, `null` clears it, a
/// string sets it; `custom` is an object of scalars (or `null`) replacing the old one whole.
/// Unknown keys (including `id`) are ignored, as the service does.
pub fn parse_patch(body: &[u8]) -> Result<UserPatch, ApiError> {
    let family = Family::Objects;
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid_body(
            family,
            Detail::body(
                "body",
                format!("Request payload must be a JSON object: {e}"),
            ),
        )
    })?;
    let Value::Object(map) = value else {
        return Err(ApiError::invalid_body(
            family,
            Detail::body("body", "Request payload must be a JSON object."),
        ));
    };
    let mut patch = UserPatch::default();
    for field in StrField::ALL {
        let name = field.name();
        patch.fields[field.idx()] = match map.get(name) {
            None => Patch::Keep,
            Some(Value::Null) => Patch::Clear,
            Some(Value::String(s)) => Patch::Set(s.clone()),
            Some(other) => {
                return Err(ApiError::invalid_body(
                    family,
                    Detail::body(
                        name,
                        format!("{name} must be a string or null (got {})", kind(other)),
                    ),
                ))
            }
        };
    }
    patch.custom = match map.get("custom") {
        None => Patch::Keep,
        Some(Value::Null) => Patch::Clear,
        Some(Value::Object(obj)) => Patch::Set(custom_from_json(obj).map_err(|(key, what)| {
            ApiError::invalid_body(
                family,
                Detail::body(
                    format!("custom.{key}"),
                    format!(
                        "custom.{key} must be a string, number, boolean or null (got {what}); custom can only contain scalar values"
                    ),
                ),
            )
        })?),
        Some(other) => {
            return Err(ApiError::invalid_body(
                family,
                Detail::body(
                    "custom",
                    format!("custom must be an object or null (got {})", kind(other)),
                ),
            ))
        }
    };
    Ok(patch)
}

/// A flat custom object, keys in their JSON order; `Err((key, kind))` on a nested value.
pub fn custom_from_json(obj: &Map<String, Value>) -> Result<Custom, (String, &'static str)> {
    let mut custom = Custom::default();
    for (k, v) in obj {
        let scalar = match v {
            Value::String(s) => Scalar::Str(s.clone()),
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Null => Scalar::Null,
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.is_finite() => Scalar::Num(f),
                _ => return Err((k.clone(), "a number out of range")),
            },
            other => return Err((k.clone(), kind(other))),
        };
        custom.0.push((k.clone(), scalar));
    }
    Ok(custom)
}

/// Rebuilds a user from the JSON the server stored (`json::user_to_json(user, true)`).
pub fn user_from_stored(text: &str) -> Option<User> {
    let Value::Object(map) = serde_json::from_str(text).ok()? else {
        return None;
    };
    let str_of = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
    let mut user = User::new(str_of("id")?);
    for field in StrField::ALL {
        user.set(field, str_of(field.name()));
    }
    user.custom = match map.get("custom") {
        Some(Value::Object(obj)) => Some(custom_from_json(obj).ok()?),
        _ => None,
    };
    user.updated = str_of("updated")?;
    user.etag = str_of("eTag")?;
    Some(user)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrochat_core::json::user_to_json;

    #[test]
    fn patch_semantics() {
        let p = parse_patch(
            br#"{"name":"Ann","email":null,"id":"ignored","bogus":[1],"custom":{"b":1,"a":"x","n":null}}"#,
        )
        .unwrap();
        assert_eq!(p.fields[StrField::Name.idx()], Patch::Set("Ann".into()));
        assert_eq!(p.fields[StrField::Email.idx()], Patch::Clear);
        assert_eq!(p.fields[StrField::Status.idx()], Patch::Keep);
        let Patch::Set(c) = &p.custom else {
            panic!("custom not set")
        };
        assert_eq!(c.0[0].0, "b", "key order kept");
        assert!(parse_patch(br#"{"custom":null}"#).unwrap().custom == Patch::Clear);
    }

    #[test]
    fn bad_bodies() {
        for body in [
            &br#"{"name":5}"#[..],
            br#"{"custom":{"a":{"b":1}}}"#,
            br#"{"custom":{"a":[1]}}"#,
            br#"{"custom":"x"}"#,
            br#"[1]"#,
            br#"{"name":"#,
            b"",
            b"\xff\xfe",
        ] {
            let e = parse_patch(body).unwrap_err();
            assert_eq!(e.status.as_u16(), 400, "{}", String::from_utf8_lossy(body));
            assert_eq!(e.details.len(), 1);
        }
        let e = parse_patch(br#"{"custom":{"deep":{}}}"#).unwrap_err();
        assert_eq!(e.details[0].location, "custom.deep");
    }

    #[test]
    fn stored_round_trip() {
        let mut u = User::new("u\"1");
        u.set(StrField::Email, Some("a@b.c".into()));
        u.custom = Some(Custom(vec![
            ("z".into(), Scalar::Num(1.5)),
            ("a".into(), Scalar::Bool(true)),
        ]));
        u.updated = "2024-01-01T00:00:00.000000Z".into();
        u.etag = "abc".into();
        let back = user_from_stored(&user_to_json(&u, true)).unwrap();
        assert_eq!(back, u);
        assert_eq!(back.custom.unwrap().0[0].0, "z");
        assert!(user_from_stored("{}").is_none());
        assert!(user_from_stored("nope").is_none());
    }
}
