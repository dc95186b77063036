//! JSON in: request bodies into core patches, stored records back into users, both with
//! ferrochat-core's codec (`decode::patch`, `decode::user`): the same reader the SDK uses, so
//! the client and the server cannot disagree about a record or a patch.

use crate::error::{ApiError, Detail, Family};
use ferrochat_core::decode;
use ferrochat_core::json::std_number;
use ferrochat_core::model::User;
use ferrochat_core::patch::UserPatch;

/// Parses a PATCH body into a patch: a missing key keeps the field, `null` clears it, a
/// string sets it; `custom` is an object of scalars (or `null`) replacing the old one whole.
/// Unknown keys (including `id`) are ignored, as the service does.
pub fn parse_patch(body: &[u8]) -> Result<UserPatch, ApiError> {
    let refuse = |location: String, message: String| {
        ApiError::invalid_body(Family::Objects, Detail::body(location, message))
    };
    let text = std::str::from_utf8(body).map_err(|_| {
        refuse(
            "body".into(),
            "Request payload must be a JSON object: it is not UTF-8".into(),
        )
    })?;
    decode::patch(text, std_number).map_err(|e| refuse(e.location, e.message))
}

/// Rebuilds a user from the JSON the server stored (`json::user_to_json(user, true)`).
pub fn user_from_stored(text: &str) -> Option<User> {
    decode::user(text, std_number).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrochat_core::json::user_to_json;
    use ferrochat_core::model::{Custom, Scalar, StrField};
    use ferrochat_core::patch::Patch;

    #[test]
    fn patch_bodies_go_through_the_core_codec() {
        // Patch semantics are tested in ferrochat-core (decode::patch_bodies_are_read_as_the_service_does).
        let p = parse_patch(br#"{"name":"Ann","email":null}"#).unwrap();
        assert_eq!(p.fields[StrField::Email.idx()], Patch::Clear);
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
        // The codec itself is tested in ferrochat-core (decode::bare_users_round_trip).
        let mut u = User::new("u1");
        u.custom = Some(Custom(vec![("z".into(), Scalar::Num(1.5))]));
        assert_eq!(user_from_stored(&user_to_json(&u, true)), Some(u));
        assert!(user_from_stored("nope").is_none());
    }
}
