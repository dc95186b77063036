//! Query strings and path segments exactly as PubNub clients encode them (protocol.md §1).
//!
//! Values are percent-decoded (a `+` stays a `+`: PubNub encodes spaces as `%20`); keys are
//! kept as sent. Encoding is the core's [`ferrochat_core::wire::encode`] (the clients'
//! `encodeString`), re-exported here as [`encode`].

use crate::error::{ApiError, Detail, Family};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
pub use ferrochat_core::wire::encode;
use percent_encoding::percent_decode_str;

/// Percent-decodes `s`; `None` when the result is not UTF-8.
pub fn decode(s: &str) -> Option<String> {
    percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// A decoded query string, keeping order and repeated keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (without `?`). Fails on a key or value that is not UTF-8
    /// once decoded.
    pub fn parse(raw: Option<&str>) -> Result<Query, String> {
        let mut pairs = Vec::new();
        for part in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let key = decode(k).ok_or_else(|| "a query parameter name is not UTF-8".to_string())?;
            let value =
                decode(v).ok_or_else(|| format!("query parameter '{key}' is not valid UTF-8"))?;
            pairs.push((key, value));
        }
        Ok(Query { pairs })
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::parse(parts.uri.query()).map_err(|msg| {
            ApiError::invalid(Family::of(parts.uri.path()), Detail::query("query", msg))
        })
    }
}

/// The raw (still percent-encoded) segments of a path: `/a/b%2Fc` → `["a", "b%2Fc"]`.
pub fn raw_segments(path: &str) -> Vec<&str> {
    path.trim_start_matches('/').split('/').collect()
}

/// Decodes raw path segment `index` of `path`, or a 400 naming `what`.
pub fn segment(path: &str, index: usize, what: &str) -> Result<String, ApiError> {
    let family = Family::of(path);
    let raw = raw_segments(path).get(index).copied().unwrap_or("");
    decode(raw).ok_or_else(|| {
        ApiError::invalid(
            family,
            Detail::path(what, format!("{what} is not valid percent-encoded UTF-8")),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_matches_js_encode_string() {
        assert_eq!(encode("otherUUID#1"), "otherUUID%231");
        assert_eq!(encode("a b!~*'()"), "a%20b%21%7E%2A%27%28%29");
        assert_eq!(encode("status,type,custom"), "status%2Ctype%2Ccustom");
        assert_eq!(encode("é"), "%C3%A9");
        assert_eq!(encode("A-z_0.9"), "A-z_0.9");
    }

    #[test]
    fn parse_and_repeat() {
        let q = Query::parse(Some("sort=name%3Aasc&sort=id&count=TRUE&x&a+b=c+d")).unwrap();
        assert_eq!(q.all("sort").collect::<Vec<_>>(), ["name:asc", "id"]);
        assert_eq!(q.get("count"), Some("TRUE"));
        assert_eq!(q.get("x"), Some(""));
        assert_eq!(q.get("a+b"), Some("c+d"));
        assert!(Query::parse(Some("a=%FF")).is_err());
        assert_eq!(Query::parse(None).unwrap().pairs().len(), 0);
    }

    #[test]
    fn segments() {
        assert_eq!(raw_segments("/v2/subscribe/k/a%2Cb,c/0")[3], "a%2Cb,c");
        assert_eq!(
            segment("/v2/objects/k/uuids/a%20b", 4, "uuid").unwrap(),
            "a b"
        );
        assert!(segment("/v2/objects/k/uuids/%C3", 4, "uuid").is_err());
    }
}
