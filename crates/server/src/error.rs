//! Every failure a request can end in, and the ONE place where it becomes an HTTP response.
//!
//! The body shape depends on the API family of the path (protocol.md §2.7, §5.4, §6):
//! App Context answers `{"status":N,"error":{"message","source":"objects","details"?}}`,
//! publish answers `[0,"message"]`, subscribe/presence answer the PubNub service shape
//! `{"status":N,"error":true,"message","service"}`, and a bad signature answers the Access
//! Manager shape whatever the path.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ferrochat_core::ChatError;
use serde_json::json;

/// The API family of a request path; decides the error body shape and content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `/v2/objects/…` (App Context).
    Objects,
    /// `/v2/subscribe/…`.
    Subscribe,
    /// `/v2/presence/…`.
    Presence,
    /// `/publish/…`.
    Publish,
    /// `/time/…`.
    Time,
    /// Anything else (unknown routes).
    Other,
}

impl Family {
    /// The family of a request path.
    pub fn of(path: &str) -> Family {
        if path.starts_with("/v2/objects/") {
            Family::Objects
        } else if path.starts_with("/v2/subscribe/") {
            Family::Subscribe
        } else if path.starts_with("/v2/presence/") {
            Family::Presence
        } else if path.starts_with("/publish/") {
            Family::Publish
        } else if path.starts_with("/time/") {
            Family::Time
        } else {
            Family::Other
        }
    }

    fn service(self) -> &'static str {
        match self {
            Family::Objects => "objects",
            Family::Subscribe => "Balancer",
            Family::Presence => "Presence",
            Family::Publish => "Publish",
            Family::Time => "Time",
            Family::Other => "ferrochat-server",
        }
    }
}

/// Where an invalid input was found (an entry of `error.details`).
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    /// What is wrong.
    pub message: String,
    /// The field or parameter (`name`, `filter`, `uuid`, …).
    pub location: String,
    /// `body`, `query`, `path` or `header`.
    pub location_type: &'static str,
}

impl Detail {
    /// A detail about a body field.
    pub fn body(location: impl Into<String>, message: impl Into<String>) -> Self {
        Detail {
            message: message.into(),
            location: location.into(),
            location_type: "body",
        }
    }

    /// A detail about a query parameter.
    pub fn query(location: impl Into<String>, message: impl Into<String>) -> Self {
        Detail {
            message: message.into(),
            location: location.into(),
            location_type: "query",
        }
    }

    /// A detail about a path segment.
    pub fn path(location: impl Into<String>, message: impl Into<String>) -> Self {
        Detail {
            message: message.into(),
            location: location.into(),
            location_type: "path",
        }
    }
}

/// A failed request.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Which body shape to answer with.
    pub family: Family,
    /// The message (`error.message`).
    pub message: String,
    /// Validation details (`error.details`), possibly empty.
    pub details: Vec<Detail>,
    /// A signature failure (answered in the Access Manager shape).
    pub access_denied: bool,
}

/// The §2.7 message of a 400 with details.
pub const INVALID_INPUT: &str = "Request payload contained invalid input.";
/// The §2.7 message of a 404.
pub const NOT_FOUND: &str = "Requested object was not found.";

impl ApiError {
    /// An error with a status and message and no details.
    pub fn new(family: Family, status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            family,
            message: message.into(),
            details: Vec::new(),
            access_denied: false,
        }
    }

    /// 400 with one detail; the message is the detail's message.
    pub fn invalid(family: Family, detail: Detail) -> Self {
        let mut e = ApiError::new(family, StatusCode::BAD_REQUEST, detail.message.clone());
        e.details.push(detail);
        e
    }

    /// 400 "Request payload contained invalid input." with one body detail.
    pub fn invalid_body(family: Family, detail: Detail) -> Self {
        let mut e = ApiError::new(family, StatusCode::BAD_REQUEST, INVALID_INPUT);
        e.details.push(detail);
        e
    }

    /// 404 with the §2.7 message.
    pub fn not_found(family: Family) -> Self {
        ApiError::new(family, StatusCode::NOT_FOUND, NOT_FOUND)
    }

    /// 413: the body is over the limit.
    pub fn too_large(family: Family) -> Self {
        ApiError::new(
            family,
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request Entity Too Large",
        )
    }

    /// 500: something failed on the server's side (details are logged, not sent).
    pub fn internal(family: Family) -> Self {
        ApiError::new(
            family,
            StatusCode::INTERNAL_SERVER_ERROR,
            "An unexpected error ocurred while processing the request.",
        )
    }

    /// 403 "Invalid signature" in the Access Manager shape.
    pub fn invalid_signature(why: impl Into<String>) -> Self {
        Self::access_denied("Invalid signature", why)
    }

    /// 403 for a signed write seen before, in the Access Manager shape.
    pub fn replayed(why: impl Into<String>) -> Self {
        Self::access_denied("Signature already used (replayed request)", why)
    }

    fn access_denied(message: &str, why: impl Into<String>) -> Self {
        let mut e = ApiError::new(Family::Other, StatusCode::FORBIDDEN, message);
        e.details.push(Detail::query("signature", why));
        e.access_denied = true;
        e
    }

    /// Maps a core error. `location` is where the offending input came from (for
    /// `INVALID_ARGUMENT`): a body field is reported as "invalid input" with a detail, a
    /// query or path input with the core's message itself.
    pub fn from_chat(family: Family, err: ChatError, location: Detail) -> Self {
        let status = StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        match err {
            ChatError::InvalidArgument(_) | ChatError::IdRequired => {
                let detail = Detail {
                    message: err.to_string(),
                    ..location
                };
                if detail.location_type == "body" {
                    ApiError::invalid_body(family, detail)
                } else {
                    ApiError::invalid(family, detail)
                }
            }
            ChatError::UserNotFound => ApiError::not_found(family),
            ChatError::PreconditionFailed | ChatError::UserExists => {
                ApiError::new(family, status, err.to_string())
            }
            other => {
                tracing::error!(error = %other, "unexpected core error");
                ApiError::internal(family)
            }
        }
    }

    /// 408: the body did not arrive in time.
    pub fn body_timeout(family: Family) -> Self {
        ApiError::new(
            family,
            StatusCode::REQUEST_TIMEOUT,
            "The request body did not arrive in time",
        )
    }

    /// The content type and body of the response (the one place the shapes are written).
    pub fn content(&self) -> (&'static str, String) {
        let content_type = match (self.access_denied, self.family) {
            (false, Family::Objects | Family::Other) | (true, _) => crate::respond::JSON,
            _ => crate::respond::JAVASCRIPT,
        };
        (content_type, self.body())
    }

    fn body(&self) -> String {
        let details: Vec<_> = self
            .details
            .iter()
            .map(|d| json!({"message": d.message, "location": d.location, "locationType": d.location_type}))
            .collect();
        let status = self.status.as_u16();
        if self.access_denied {
            return json!({
                "error": {"message": self.message, "source": "signature", "details": details},
                "service": "Access Manager",
                "status": status,
            })
            .to_string();
        }
        match self.family {
            Family::Objects | Family::Other => {
                let mut error = json!({"message": self.message, "source": self.family.service()});
                if !details.is_empty() {
                    error["details"] = details.into();
                }
                json!({"status": status, "error": error}).to_string()
            }
            Family::Publish => json!([0, self.message]).to_string(),
            Family::Subscribe | Family::Presence | Family::Time => json!({
                "status": status,
                "error": true,
                "message": self.message,
                "service": self.family.service(),
            })
            .to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = %self.status, message = %self.message, "request failed");
        } else {
            tracing::debug!(status = %self.status, message = %self.message, "request rejected");
        }
        let (content_type, body) = self.content();
        let mut response = (self.status, body).into_response();
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if matches!(
            self.status,
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT
        ) {
            // The body was not (all) read: the connection cannot be reused.
            h.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(e: ApiError) -> serde_json::Value {
        serde_json::from_str(&e.body()).unwrap()
    }

    #[test]
    fn shapes() {
        let b = body(ApiError::not_found(Family::Objects));
        assert_eq!(b["status"], 404);
        assert_eq!(b["error"]["source"], "objects");
        assert!(b["error"].get("details").is_none());
        let b = body(ApiError::from_chat(
            Family::Objects,
            ChatError::invalid("bad filter"),
            Detail::query("filter", ""),
        ));
        assert_eq!(b["error"]["message"], "bad filter");
        assert_eq!(b["error"]["details"][0]["location"], "filter");
        let b = body(ApiError::from_chat(
            Family::Objects,
            ChatError::PreconditionFailed,
            Detail::body("", ""),
        ));
        assert_eq!(b["status"], 412);
        assert_eq!(
            body(ApiError::too_large(Family::Publish)),
            json!([0, "Request Entity Too Large"])
        );
        let b = body(ApiError::invalid_signature("mismatch"));
        assert_eq!(b["service"], "Access Manager");
        assert_eq!(b["status"], 403);
        assert_eq!(b["error"]["details"][0]["location"], "signature");
    }

    #[test]
    fn families() {
        assert_eq!(Family::of("/v2/objects/k/uuids"), Family::Objects);
        assert_eq!(Family::of("/v2/subscribe/k/c/0"), Family::Subscribe);
        assert_eq!(Family::of("/publish/a/b/0/c/0"), Family::Publish);
        assert_eq!(Family::of("/nope"), Family::Other);
    }
}
