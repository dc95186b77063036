//! `Chat.init` configuration: what the caller gave ([`RawConfig`], already converted from
//! JS) and what it means ([`Config`]): defaults, the origin URL, which backend.

use crate::request::{LONG_POLL_TIMEOUT_MS, REQUEST_TIMEOUT_MS};
use ferrochat_core::validate::validate_id;
use ferrochat_core::{ChatError, Result};

/// Default `storeUserActivityInterval` (10 minutes), as the PubNub Chat SDK.
pub const DEFAULT_ACTIVITY_INTERVAL_MS: f64 = 600_000.0;
/// Smallest `storeUserActivityInterval` accepted.
pub const MIN_ACTIVITY_INTERVAL_MS: f64 = 60_000.0;
/// The PubNub network's origin.
pub const DEFAULT_ORIGIN: &str = "ps.pndsn.com";
/// The SDK identifier sent as `pnsdk`.
pub const PNSDK: &str = concat!("ferrochat/", env!("CARGO_PKG_VERSION"));

/// How much the client logs. Ordered: a level logs what is at it or above. The numbers are
/// PubNub's `LogLevel` (0 trace … 5 none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum LogLevel {
    /// Everything.
    Trace,
    /// Every request, stream changes.
    Debug,
    /// Retries, reconnects, re-reads.
    Info,
    /// Failures the client works around.
    Warn,
    /// Failures.
    Error,
    /// Nothing (the default).
    #[default]
    None,
}

impl LogLevel {
    /// The level numbered `n` (PubNub's numbering); anything else is `None`.
    pub fn from_number(n: u32) -> LogLevel {
        const ALL: [LogLevel; 6] = [
            LogLevel::Trace,
            LogLevel::Debug,
            LogLevel::Info,
            LogLevel::Warn,
            LogLevel::Error,
            LogLevel::None,
        ];
        ALL.get(n as usize).copied().unwrap_or_default()
    }
}

/// The options of `Chat.init` as given (`None`: absent, `null` or `undefined`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawConfig {
    /// `userId`.
    pub user_id: String,
    /// `publishKey`.
    pub publish_key: Option<String>,
    /// `subscribeKey`: its presence selects the network backend.
    pub subscribe_key: Option<String>,
    /// `secretKey`: requests are signed (v2) when set.
    pub secret_key: Option<String>,
    /// `authKey`, sent as `auth`.
    pub auth_key: Option<String>,
    /// `origin`: `host[:port]` or a full `http(s)://host[:port]`.
    pub origin: Option<String>,
    /// `ssl` (default true).
    pub ssl: Option<bool>,
    /// `storeUserActivityTimestamps`.
    pub store_activity: Option<bool>,
    /// `storeUserActivityInterval` (ms).
    pub activity_interval_ms: Option<f64>,
    /// `transactionalRequestTimeout` (s): how long one attempt of an ordinary request may take.
    pub request_timeout_s: Option<f64>,
    /// `subscribeRequestTimeout` (s): how long a subscribe long-poll may take.
    pub subscribe_timeout_s: Option<f64>,
    /// `logLevel` (or `logVerbosity: true` as [`LogLevel::Debug`]).
    pub log_level: Option<LogLevel>,
}

/// Where and as whom to talk, for the network backend.
#[derive(Debug, Clone, PartialEq)]
pub struct NetConfig {
    /// `http(s)://host[:port]`.
    pub base: String,
    /// Subscribe key.
    pub subscribe_key: String,
    /// Publish key (also part of the string to sign).
    pub publish_key: String,
    /// Auth key / access token, sent as `auth`.
    pub auth_key: Option<String>,
    /// Secret key: when set, requests carry a string to sign.
    pub secret_key: Option<String>,
    /// Timeout of one attempt of an ordinary request (ms).
    pub request_timeout_ms: f64,
    /// Timeout of a subscribe long-poll (ms).
    pub subscribe_timeout_ms: f64,
}

/// A parsed configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The signed-in user.
    pub user_id: String,
    /// Whether `custom.lastActiveTimestamp` is written every `activity_interval_ms`.
    pub store_activity: bool,
    /// Activity interval (ms), also what `user.active` measures against.
    pub activity_interval_ms: f64,
    /// The network backend's settings; `None` selects the embedded store.
    pub network: Option<NetConfig>,
    /// What the client logs.
    pub log_level: LogLevel,
}

impl Config {
    /// Reads a raw configuration: empty strings count as absent; no `subscribeKey` means
    /// the embedded store.
    pub fn new(raw: RawConfig) -> Result<Config> {
        validate_id(&raw.user_id)?;
        let text = |v: Option<String>| v.filter(|s| !s.is_empty());
        let interval = raw
            .activity_interval_ms
            .unwrap_or(DEFAULT_ACTIVITY_INTERVAL_MS);
        if interval < MIN_ACTIVITY_INTERVAL_MS {
            return Err(ChatError::invalid(
                "storeUserActivityInterval must be at least 60000 ms",
            ));
        }
        let (ssl, origin) = (raw.ssl.unwrap_or(true), text(raw.origin));
        let timeout = |secs: Option<f64>, name: &str, default_ms: f64| match secs {
            None => Ok(default_ms),
            Some(s) if s > 0.0 && s.is_finite() => Ok(s * 1000.0),
            Some(_) => Err(ChatError::invalid(format!(
                "{name} must be a positive number of seconds"
            ))),
        };
        let request_timeout_ms = timeout(
            raw.request_timeout_s,
            "transactionalRequestTimeout",
            REQUEST_TIMEOUT_MS,
        )?;
        let subscribe_timeout_ms = timeout(
            raw.subscribe_timeout_s,
            "subscribeRequestTimeout",
            LONG_POLL_TIMEOUT_MS,
        )?;
        let network = text(raw.subscribe_key).map(|subscribe_key| {
            let origin = origin.unwrap_or_else(|| DEFAULT_ORIGIN.to_string());
            let origin = origin.trim_end_matches('/');
            let base = if origin.starts_with("http://") || origin.starts_with("https://") {
                origin.to_string()
            } else {
                format!("{}://{origin}", if ssl { "https" } else { "http" })
            };
            NetConfig {
                base,
                subscribe_key,
                publish_key: text(raw.publish_key).unwrap_or_default(),
                auth_key: text(raw.auth_key),
                secret_key: text(raw.secret_key),
                request_timeout_ms,
                subscribe_timeout_ms,
            }
        });
        Ok(Config {
            user_id: raw.user_id,
            store_activity: raw.store_activity.unwrap_or(false),
            activity_interval_ms: interval,
            network,
            log_level: raw.log_level.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(user: &str) -> RawConfig {
        RawConfig {
            user_id: user.into(),
            ..RawConfig::default()
        }
    }

    #[test]
    fn no_subscribe_key_is_embedded_and_origins_become_urls() {
        let c = Config::new(raw("ann")).unwrap();
        assert!(c.network.is_none());
        assert_eq!(c.activity_interval_ms, DEFAULT_ACTIVITY_INTERVAL_MS);
        let net = |origin: Option<&str>, ssl: Option<bool>| {
            Config::new(RawConfig {
                subscribe_key: Some("sub".into()),
                origin: origin.map(String::from),
                ssl,
                ..raw("ann")
            })
            .unwrap()
            .network
            .unwrap()
            .base
        };
        assert_eq!(net(None, None), "https://ps.pndsn.com");
        assert_eq!(
            net(Some("127.0.0.1:8090"), Some(false)),
            "http://127.0.0.1:8090"
        );
        assert_eq!(net(Some("http://h:1/"), Some(true)), "http://h:1");
        let empty_key = RawConfig {
            subscribe_key: Some(String::new()),
            ..raw("ann")
        };
        assert!(Config::new(empty_key).unwrap().network.is_none());
    }

    #[test]
    fn bad_ids_and_intervals_are_refused() {
        assert_eq!(Config::new(raw("")).unwrap_err(), ChatError::IdRequired);
        assert_eq!(
            Config::new(raw("a/b")).unwrap_err().code(),
            "INVALID_ARGUMENT"
        );
        let short = RawConfig {
            activity_interval_ms: Some(59_999.0),
            ..raw("ann")
        };
        assert_eq!(Config::new(short).unwrap_err().code(), "INVALID_ARGUMENT");
    }

    #[test]
    fn log_levels_count_as_pubnub_numbers_them() {
        assert_eq!(LogLevel::from_number(1), LogLevel::Debug);
        assert_eq!(LogLevel::from_number(9), LogLevel::None);
        assert!(LogLevel::Debug < LogLevel::Info && LogLevel::Error < LogLevel::None);
    }
}
