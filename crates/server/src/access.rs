//! Who may talk to the server: the `Host` check (DNS rebinding), the `Origin` check and the
//! CORS answers (a web page the developer happens to have open must not read or change
//! their users), and `Sec-Fetch-Site` for cross-site requests that carry no `Origin`.
//!
//! Loopback names and origins are always allowed: the project's own browser tests and
//! demo page are served from other loopback ports. Anything else needs `--allow-host` /
//! `--allow-origin`.

use crate::cli::Access;
use crate::error::{ApiError, Family};
use crate::server::State;
use axum::extract::{self, Request};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;

/// Methods a preflight may ask for.
const ALLOW_METHODS: &str = "GET, POST, PATCH, DELETE, OPTIONS";
/// Request headers allowed when a preflight names none.
const ALLOW_HEADERS: &str = "Content-Type, If-Match, Content-Encoding, Accept, Accept-Encoding";

/// The host part of a `Host` value (`name`, `name:port`, `[v6]:port`), without the port.
pub fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Whether a host name (no port) is a loopback name: `localhost`, `*.localhost`,
/// `127.0.0.0/8` or `[::1]`.
pub fn is_loopback_name(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    if name.eq_ignore_ascii_case("localhost")
        || name
            .get(name.len().saturating_sub(10)..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(".localhost"))
    {
        return true;
    }
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Access {
    /// Whether a `Host` header value names this server: a loopback name or an allowed host.
    pub fn host_allowed(&self, host: &str) -> bool {
        let name = host_name(host.trim());
        self.any_host
            || is_loopback_name(name)
            || self.hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    /// Whether a browser origin may use the server: a loopback http(s) origin, or one given
    /// with `--allow-origin`.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        if self.any_origin {
            return true;
        }
        let origin = origin.trim().trim_end_matches('/');
        if self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
            return true;
        }
        let rest = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        rest.is_some_and(|authority| {
            !authority.contains('/') && is_loopback_name(host_name(authority))
        })
    }

    /// The `Access-Control-Allow-Origin` value for an allowed origin.
    fn allow_origin_value(&self, origin: &HeaderValue) -> HeaderValue {
        if self.any_origin {
            HeaderValue::from_static("*")
        } else {
            origin.clone()
        }
    }
}

/// Why a request is refused before it reaches a handler.
fn refuse(family: Family, message: String) -> Response {
    ApiError::new(family, StatusCode::FORBIDDEN, message).into_response()
}

/// Checks `Host`, `Origin` and `Sec-Fetch-Site`, answers CORS preflights (204), and adds
/// the CORS headers for allowed origins to every response. A request without `Origin`
/// (every non-browser client) gets no CORS headers: it does not need them.
pub async fn guard(
    extract::State(state): extract::State<State>,
    req: Request,
    next: Next,
) -> Response {
    let family = Family::of(req.uri().path());
    let access = &state.access;
    let headers = req.headers();
    if let Some(host) = headers.get(header::HOST) {
        let text = host.to_str().unwrap_or("");
        if !access.host_allowed(text) {
            let shown: String = text.chars().take(100).collect();
            return refuse(
                family,
                format!(
                    "Host '{shown}' is not allowed: ferrochat-server answers requests addressed to a loopback name (127.0.0.1, localhost, [::1]) or to a host given with --allow-host (needed with --listen 0.0.0.0); this protects against DNS rebinding"
                ),
            );
        }
    }
    let origin = headers.get(header::ORIGIN).cloned();
    match &origin {
        Some(o) if !access.origin_allowed(o.to_str().unwrap_or("")) => {
            let shown: String = o.to_str().unwrap_or("?").chars().take(100).collect();
            return refuse(
                family,
                format!(
                    "Origin '{shown}' is not allowed: ferrochat-server answers loopback origins and those given with --allow-origin"
                ),
            );
        }
        None if is_cross_site(headers) => {
            return refuse(
                family,
                "Cross-site requests without an Origin are not allowed (Sec-Fetch-Site: cross-site)"
                    .to_string(),
            );
        }
        _ => {}
    }
    let preflight = req.method() == Method::OPTIONS;
    let request_headers = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS).cloned();
    let mut response = if preflight {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOW_METHODS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            request_headers.unwrap_or(HeaderValue::from_static(ALLOW_HEADERS)),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("86400"),
        );
        r
    } else {
        next.run(req).await
    };
    let h = response.headers_mut();
    if let Some(origin) = &origin {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            access.allow_origin_value(origin),
        );
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("*"),
        );
    }
    if !access.any_origin {
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

/// A browser request made by another site's page (an `<img>`, a form, a navigation), which
/// carries no `Origin` for GETs.
fn is_cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names() {
        assert_eq!(host_name("127.0.0.1:8090"), "127.0.0.1");
        assert_eq!(host_name("[::1]:8090"), "[::1]");
        assert_eq!(host_name("[::1]"), "[::1]");
        assert_eq!(host_name("example.com"), "example.com");
        for ok in [
            "localhost",
            "LOCALHOST.",
            "app.localhost",
            "127.0.0.1",
            "127.9.8.7",
            "[::1]",
        ] {
            assert!(is_loopback_name(ok), "{ok}");
        }
        for bad in [
            "evil.com",
            "localhost.evil.com",
            "evillocalhost",
            "10.0.0.1",
            "[::2]",
            "0.0.0.0",
            "",
        ] {
            assert!(!is_loopback_name(bad), "{bad}");
        }
    }

    #[test]
    fn hosts_and_origins() {
        let a = Access::default();
        assert!(a.host_allowed("127.0.0.1:8090") && a.host_allowed("localhost:1"));
        assert!(!a.host_allowed("evil.com:8090") && !a.host_allowed("192.168.1.2:8090"));
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:5173",
            "https://localhost",
            "http://[::1]:3000/",
        ] {
            assert!(a.origin_allowed(ok), "{ok}");
        }
        for bad in [
            "http://evil.com",
            "null",
            "http://127.0.0.1.evil.com",
            "file://",
            "http://localhost:80/x",
            "ftp://localhost",
        ] {
            assert!(!a.origin_allowed(bad), "{bad}");
        }
        let b = Access {
            origins: vec!["https://app.example.com".into(), "null".into()],
            hosts: vec!["laptop.local".into()],
            ..Access::default()
        };
        assert!(b.origin_allowed("https://App.example.com") && b.origin_allowed("null"));
        assert!(!b.origin_allowed("https://other.example.com"));
        assert!(b.host_allowed("LAPTOP.local:8090") && !b.host_allowed("other.local"));
        let any = Access {
            any_origin: true,
            any_host: true,
            ..Access::default()
        };
        assert!(any.origin_allowed("http://evil.com") && any.host_allowed("evil.com"));
    }
}
