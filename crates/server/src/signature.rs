//! Request signatures v2 (protocol.md §7): the string to sign, the HMAC, and verification.

use crate::cli::Signing;
use crate::query::Query;
use ferrochat_core::wire;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The string to sign, built by the core (the network backend signs with the same code):
/// `"{method}\n{publishKey}\n{path}\n{sorted query}\n"` plus the body for POST/PATCH;
/// paths under `/publish` are signed as `GET`. `query` must not contain `signature`. A body
/// that is not UTF-8 is read the way the JS SDK's `TextDecoder` would (lossily).
pub fn string_to_sign(
    method: &str,
    publish_key: &str,
    path: &str,
    query: &[(String, String)],
    body: &[u8],
) -> String {
    let pairs: Vec<(&str, String)> = query.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let body = String::from_utf8_lossy(body);
    wire::string_to_sign(method, publish_key, path, &pairs, Some(&body))
}

/// `"v2." + base64url(HMAC-SHA256(secret, input))` without padding.
pub fn sign(secret_key: &str, input: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()) else {
        return String::new();
    };
    mac.update(input.as_bytes());
    wire::v2_signature(&wire::base64(&mac.finalize().into_bytes()))
}

/// A request whose signature checked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signed<'a> {
    /// Its `signature` parameter.
    pub signature: &'a str,
    /// Its `timestamp` parameter (Unix seconds).
    pub timestamp: u64,
}

/// Checks a request's `signature` and `timestamp`. `Err` says why it is refused.
pub fn verify<'q>(
    signing: &Signing,
    method: &str,
    path: &str,
    query: &'q Query,
    body: &[u8],
    now_secs: u64,
) -> Result<Signed<'q>, String> {
    let given = query
        .get("signature")
        .ok_or("the request has no signature parameter")?;
    let timestamp: u64 = query
        .get("timestamp")
        .ok_or("the request has no timestamp parameter")?
        .parse()
        .map_err(|_| "timestamp must be Unix seconds")?;
    if let Some(max) = signing.max_skew_secs {
        if timestamp.abs_diff(now_secs) > max {
            return Err(format!(
                "timestamp is more than {max} s away from the server clock"
            ));
        }
    }
    let signed: Vec<(String, String)> = query
        .pairs()
        .iter()
        .filter(|(k, _)| k != "signature")
        .cloned()
        .collect();
    let input = string_to_sign(method, &signing.publish_key, path, &signed, body);
    let expected = sign(&signing.secret_key, &input);
    let given = given.trim_end_matches('=');
    if constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(Signed {
            signature: given,
            timestamp,
        })
    } else {
        Err("the signature does not match the request".into())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        Query::parse(Some(q)).unwrap().pairs().to_vec()
    }

    #[test]
    fn js_test_vector() {
        let input = string_to_sign(
            "GET",
            "myPublishKey",
            "/v2/auth/audit/sub-key/mySubscribeKey",
            &pairs("uuid=myUUID&timestamp=1317427200&channel=ch1&pnsdk=PubNub-JS-Nodejs%2FsuchJavascript"),
            b"",
        );
        assert_eq!(
            input,
            "GET\nmyPublishKey\n/v2/auth/audit/sub-key/mySubscribeKey\nchannel=ch1&pnsdk=PubNub-JS-Nodejs%2FsuchJavascript&timestamp=1317427200&uuid=myUUID\n"
        );
        assert_eq!(
            sign("mySecretKey", &input),
            "v2.I7AFqanrAAtwVfvLHyKECTWw7UcZmwbRnwENpXdGB9E"
        );
    }

    #[test]
    fn patch_vector_includes_body() {
        let input = string_to_sign(
            "PATCH",
            "myPublishKey",
            "/v2/objects/mySubKey/uuids/myUUID",
            &pairs("include=status%2Ctype%2Ccustom&uuid=myUUID&pnsdk=PubNub-JS-Nodejs%2FsuchJavascript&timestamp=1317427200"),
            br#"{"name":"Ann"}"#,
        );
        assert_eq!(
            sign("mySecretKey", &input),
            "v2.ThBBwveKZyOF8VZGNYQOV7IGWVJRS-j1MYUfxFq6FUI"
        );
    }

    #[test]
    fn verify_checks_skew_and_mismatch() {
        let signing = Signing {
            secret_key: "mySecretKey".into(),
            publish_key: "myPublishKey".into(),
            max_skew_secs: Some(60),
        };
        let path = "/v2/objects/mySubKey/uuids/myUUID";
        let q = "include=status%2Ctype%2Ccustom&uuid=myUUID&pnsdk=PubNub-JS-Nodejs%2FsuchJavascript&timestamp=1317427200&signature=v2.ThBBwveKZyOF8VZGNYQOV7IGWVJRS-j1MYUfxFq6FUI";
        let query = Query::parse(Some(q)).unwrap();
        let body = br#"{"name":"Ann"}"#;
        assert!(verify(&signing, "PATCH", path, &query, body, 1_317_427_210).is_ok());
        assert!(verify(&signing, "PATCH", path, &query, body, 1_317_428_000).is_err());
        assert!(verify(
            &signing,
            "PATCH",
            path,
            &query,
            br#"{"name":"Bo"}"#,
            1_317_427_200
        )
        .is_err());
        assert!(verify(&signing, "GET", path, &query, body, 1_317_427_200).is_err());
        let unsigned = Query::parse(Some("uuid=myUUID&timestamp=1317427200")).unwrap();
        assert!(verify(&signing, "PATCH", path, &unsigned, body, 1_317_427_200).is_err());
    }
}
