//! Command-line parsing (no dependency: the flags are simple) and the settings they make.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// `--help` text.
pub const USAGE: &str = "\
ferrochat-server: a local server speaking the PubNub REST protocol subset used by ferrochat
(App Context users, subscribe v2 long-poll, publish, presence leave/heartbeat, time).

USAGE:
    ferrochat-server [OPTIONS]

OPTIONS:
    --listen ADDR              Address to bind [default: 127.0.0.1:8090]. Port 0 picks a free
                               port; the bound address is printed on stdout as
                               `ferrochat-server listening on http://ADDR`.
    --db PATH                  SQLite database file (created if missing). Without it the data
                               lives in an in-memory database and is lost on exit.
    --secret-key KEY           Require a valid v2 request signature (PubNub Access Manager
                               style) on every request except /time; needs --publish-key.
                               A signed write seen before (same signature) is refused.
    --publish-key KEY          The publish key clients sign with (part of the signed string).
    --signature-max-skew SECS  Accepted distance between a signed `timestamp` and the server
                               clock [default: 60]; 0 disables the check.
    --subscribe-timeout SECS   How long a subscribe long-poll is held when nothing happens
                               [default: 280; keep it under the clients' 310 s].

  Who may talk to it (see README, \"Limits and security\"):
    --allow-origin ORIGIN      Also answer CORS for this browser origin (e.g.
                               https://app.example.com); repeatable. `*` allows every origin.
                               Loopback origins (http://127.0.0.1:*, http://localhost:*,
                               http://[::1]:*) are always allowed.
    --allow-host HOST          Also accept requests whose Host header names HOST (any port);
                               repeatable. `*` accepts any Host. Loopback names are always
                               accepted; with --listen 0.0.0.0 add the names clients use.

  Limits:
    --max-connections N        Open connections at most [default: 10000, and never more than
                               the file-descriptor limit allows]; more are refused with 503.
    --header-read-timeout SECS A request head must arrive within this [default: 10].
    --body-read-timeout SECS   A request body must arrive within this [default: 10].
    --keep-alive-timeout SECS  An idle keep-alive connection is closed after this [default: 30].
    --send-timeout SECS        A connection whose reply cannot be written for this long is
                               closed [default: 30].
    --max-header-bytes BYTES   Largest request head (request line + headers) [default: 96K].
    --retain-per-channel N     Events kept per channel for catch-up [default: 1000].
    --retain-per-channel-bytes BYTES
                               Bytes of events kept per channel [default: 1M].
    --retain-total N           Events kept over all channels [default: 100000].
    --retain-total-bytes BYTES Bytes of events kept over all channels [default: 32M].
    --retain-age SECS          Events younger than this are kept (within the caps)
                               [default: 1200].
    --retain-last N            The last N events of a channel are kept past --retain-age, up
                               to --retain-max-age [default: 100].
    --retain-max-age SECS      No event is kept longer than this [default: 86400].
                               The oldest events go first; a subscriber whose cursor is
                               older than a dropped event gets `\"truncated\":true`.

    -h, --help                 Print this help.
    -V, --version              Print the version.

BYTES take a K or M suffix (KiB, MiB). Logging goes to stderr; set RUST_LOG (e.g.
RUST_LOG=ferrochat_server=debug) for more.";

/// Default bind address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8090";
/// Default long-poll hold, in seconds.
pub const DEFAULT_SUBSCRIBE_TIMEOUT_SECS: u64 = 280;
/// Default accepted clock skew of signed requests, in seconds.
pub const DEFAULT_SIGNATURE_MAX_SKEW_SECS: u64 = 60;

/// Server settings from the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Address to bind.
    pub listen: SocketAddr,
    /// SQLite file; `None` for an in-memory database.
    pub db: Option<PathBuf>,
    /// Signing settings, when signatures are required.
    pub signing: Option<Signing>,
    /// How long a subscribe long-poll is held.
    pub subscribe_timeout: Duration,
    /// Which browser origins and Host names are served.
    pub access: Access,
    /// Connection and request limits.
    pub limits: Limits,
    /// How many events are kept for catch-up, and how long.
    pub retention: Retention,
}

/// Request-signature settings (`--secret-key`, `--publish-key`, `--signature-max-skew`).
#[derive(Debug, Clone, PartialEq)]
pub struct Signing {
    /// The secret key signatures are computed with.
    pub secret_key: String,
    /// The publish key that is part of the signed string.
    pub publish_key: String,
    /// Largest accepted |timestamp - now|, in seconds; `None` disables the check.
    pub max_skew_secs: Option<u64>,
}

/// Which browser origins get CORS answers and which `Host` names are served, beyond the
/// loopback ones that always are (`--allow-origin`, `--allow-host`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Access {
    /// Extra allowed origins, lowercased, without a trailing `/`.
    pub origins: Vec<String>,
    /// `--allow-origin '*'`: every origin.
    pub any_origin: bool,
    /// Extra allowed host names, lowercased, without a port.
    pub hosts: Vec<String>,
    /// `--allow-host '*'`: any Host.
    pub any_host: bool,
}

/// Connection and request limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Most open connections.
    pub max_connections: usize,
    /// Time for a request head to arrive, from its first byte or from the connection's start.
    pub header_read_timeout: Duration,
    /// Time for a request body to arrive.
    pub body_read_timeout: Duration,
    /// Idle time after which a keep-alive connection is closed.
    pub keep_alive_timeout: Duration,
    /// Time a reply may stay unwritable before the connection is closed.
    pub send_timeout: Duration,
    /// Largest request head, in bytes.
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 10_000,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(30),
            send_timeout: Duration::from_secs(30),
            max_header_bytes: 96 * 1024,
        }
    }
}

/// The catch-up window: events kept per channel and in total (count and bytes), and for how
/// long. The oldest events go first.
#[derive(Debug, Clone, PartialEq)]
pub struct Retention {
    /// Most events kept per channel.
    pub per_channel: usize,
    /// Most bytes of events kept per channel.
    pub per_channel_bytes: usize,
    /// Most events kept over all channels.
    pub total: usize,
    /// Most bytes of events kept over all channels.
    pub total_bytes: usize,
    /// Events younger than this are kept (within the caps).
    pub age: Duration,
    /// The last this-many events of a channel are kept past `age`, up to `max_age`.
    pub keep_last: usize,
    /// No event is kept longer than this.
    pub max_age: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            per_channel: 1000,
            per_channel_bytes: 1024 * 1024,
            total: 100_000,
            total_bytes: 32 * 1024 * 1024,
            age: Duration::from_secs(20 * 60),
            keep_last: 100,
            max_age: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run the server.
    Run(Box<Config>),
    /// Print the help.
    Help,
    /// Print the version.
    Version,
}

/// Parses the arguments (without the program name). `--flag value` and `--flag=value`.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut listen = DEFAULT_LISTEN.to_string();
    let mut db = None;
    let mut secret_key = None;
    let mut publish_key = None;
    let mut skew = DEFAULT_SIGNATURE_MAX_SKEW_SECS;
    let mut timeout = DEFAULT_SUBSCRIBE_TIMEOUT_SECS;
    let mut access = Access::default();
    let mut limits = Limits::default();
    let mut retention = Retention::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let f = flag.as_str();
        match f {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--listen" => listen = value()?,
            "--db" => db = Some(PathBuf::from(value()?)),
            "--secret-key" => secret_key = Some(value()?),
            "--publish-key" => publish_key = Some(value()?),
            "--signature-max-skew" => skew = parse_secs(f, &value()?)?,
            "--subscribe-timeout" => timeout = parse_secs(f, &value()?)?,
            "--allow-origin" => allow_origin(&mut access, &value()?)?,
            "--allow-host" => allow_host(&mut access, &value()?)?,
            "--max-connections" => limits.max_connections = positive(f, &value()?)?,
            "--header-read-timeout" => limits.header_read_timeout = duration(f, &value()?)?,
            "--body-read-timeout" => limits.body_read_timeout = duration(f, &value()?)?,
            "--keep-alive-timeout" => limits.keep_alive_timeout = duration(f, &value()?)?,
            "--send-timeout" => limits.send_timeout = duration(f, &value()?)?,
            "--max-header-bytes" => limits.max_header_bytes = parse_bytes(f, &value()?)?,
            "--retain-per-channel" => retention.per_channel = positive(f, &value()?)?,
            "--retain-per-channel-bytes" => {
                retention.per_channel_bytes = parse_bytes(f, &value()?)?
            }
            "--retain-total" => retention.total = positive(f, &value()?)?,
            "--retain-total-bytes" => retention.total_bytes = parse_bytes(f, &value()?)?,
            "--retain-age" => retention.age = Duration::from_secs(parse_secs(f, &value()?)?),
            "--retain-last" => retention.keep_last = parse_count(f, &value()?)?,
            "--retain-max-age" => retention.max_age = duration(f, &value()?)?,
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    let signing = match (secret_key, publish_key) {
        (None, _) => None,
        (Some(_), None) => {
            return Err("--secret-key needs --publish-key (the key clients sign with)".into())
        }
        (Some(secret_key), Some(publish_key)) => Some(Signing {
            secret_key,
            publish_key,
            max_skew_secs: (skew > 0).then_some(skew),
        }),
    };
    if timeout == 0 {
        return Err("--subscribe-timeout must be at least 1 second".into());
    }
    if limits.max_header_bytes < 8192 {
        return Err("--max-header-bytes must be at least 8K".into());
    }
    Ok(Command::Run(Box::new(Config {
        listen: parse_addr(&listen)?,
        db,
        signing,
        subscribe_timeout: Duration::from_secs(timeout),
        access,
        limits,
        retention,
    })))
}

fn parse_count(flag: &str, v: &str) -> Result<usize, String> {
    v.parse()
        .map_err(|_| format!("{flag} takes a whole number (got '{v}')"))
}

fn positive(flag: &str, v: &str) -> Result<usize, String> {
    match parse_count(flag, v)? {
        0 => Err(format!("{flag} must be at least 1")),
        n => Ok(n),
    }
}

fn parse_secs(flag: &str, v: &str) -> Result<u64, String> {
    v.parse()
        .map_err(|_| format!("{flag} takes a whole number of seconds (got '{v}')"))
}

fn duration(flag: &str, v: &str) -> Result<Duration, String> {
    match parse_secs(flag, v)? {
        0 => Err(format!("{flag} must be at least 1 second")),
        n => Ok(Duration::from_secs(n)),
    }
}

/// A byte count: digits with an optional `K` (KiB) or `M` (MiB) suffix; at least 1.
fn parse_bytes(flag: &str, v: &str) -> Result<usize, String> {
    let (digits, unit) = match v.char_indices().last() {
        Some((i, 'k' | 'K')) => (&v[..i], 1024),
        Some((i, 'm' | 'M')) => (&v[..i], 1024 * 1024),
        _ => (v, 1),
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{flag} takes a byte count such as 65536, 64K or 1M (got '{v}')"))
}

fn allow_origin(access: &mut Access, v: &str) -> Result<(), String> {
    let origin = v.trim().trim_end_matches('/').to_ascii_lowercase();
    if origin == "*" {
        access.any_origin = true;
    } else if origin == "null" || origin.starts_with("http://") || origin.starts_with("https://") {
        access.origins.push(origin);
    } else {
        return Err(format!(
            "--allow-origin takes an origin such as https://app.example.com, `null` or `*` (got '{v}')"
        ));
    }
    Ok(())
}

fn allow_host(access: &mut Access, v: &str) -> Result<(), String> {
    let host = v.trim().to_ascii_lowercase();
    if host == "*" {
        access.any_host = true;
        return Ok(());
    }
    let name = crate::access::host_name(&host);
    if name.is_empty() || name.contains(['/', ' ']) {
        return Err(format!(
            "--allow-host takes a host name or address such as my-laptop.local or 192.168.1.20 (got '{v}')"
        ));
    }
    access.hosts.push(name.to_string());
    Ok(())
}

fn parse_addr(v: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = v.parse() {
        return Ok(addr);
    }
    v.to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| format!("--listen takes HOST:PORT (got '{v}')"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Config, String> {
        match parse(args.iter().map(|s| s.to_string()))? {
            Command::Run(c) => Ok(*c),
            other => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn defaults_and_flags() {
        let c = run(&[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8090");
        assert_eq!(c.db, None);
        assert_eq!(c.subscribe_timeout, Duration::from_secs(280));
        assert_eq!(c.limits, Limits::default());
        assert_eq!(c.retention, Retention::default());
        assert_eq!(c.access, Access::default());
        let c = run(&[
            "--listen=127.0.0.1:0",
            "--db",
            "x.db",
            "--secret-key",
            "s",
            "--publish-key",
            "p",
            "--signature-max-skew",
            "0",
            "--subscribe-timeout",
            "5",
        ])
        .unwrap();
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.db, Some(PathBuf::from("x.db")));
        let s = c.signing.unwrap();
        assert_eq!((s.secret_key.as_str(), s.max_skew_secs), ("s", None));
        assert_eq!(c.subscribe_timeout, Duration::from_secs(5));
    }

    #[test]
    fn limits_retention_and_access() {
        let c = run(&[
            "--max-connections=50",
            "--header-read-timeout=2",
            "--body-read-timeout=3",
            "--keep-alive-timeout=4",
            "--send-timeout=5",
            "--max-header-bytes=16K",
            "--retain-per-channel=10",
            "--retain-per-channel-bytes=2K",
            "--retain-total=20",
            "--retain-total-bytes=1M",
            "--retain-age=0",
            "--retain-last=0",
            "--retain-max-age=60",
            "--allow-origin=https://App.example.com/",
            "--allow-origin=null",
            "--allow-host=Laptop.local:8090",
            "--allow-host=[fe80::1]:80",
        ])
        .unwrap();
        let l = &c.limits;
        assert_eq!(l.max_connections, 50);
        assert_eq!(l.header_read_timeout, Duration::from_secs(2));
        assert_eq!(l.body_read_timeout, Duration::from_secs(3));
        assert_eq!(l.keep_alive_timeout, Duration::from_secs(4));
        assert_eq!(l.send_timeout, Duration::from_secs(5));
        assert_eq!(l.max_header_bytes, 16 * 1024);
        let r = &c.retention;
        assert_eq!((r.per_channel, r.per_channel_bytes), (10, 2048));
        assert_eq!((r.total, r.total_bytes), (20, 1024 * 1024));
        assert_eq!((r.age, r.keep_last), (Duration::ZERO, 0));
        assert_eq!(r.max_age, Duration::from_secs(60));
        assert_eq!(c.access.origins, ["https://app.example.com", "null"]);
        assert_eq!(c.access.hosts, ["laptop.local", "[fe80::1]"]);
        assert!(!c.access.any_origin && !c.access.any_host);
        let c = run(&["--allow-origin", "*", "--allow-host", "*"]).unwrap();
        assert!(c.access.any_origin && c.access.any_host);
    }

    #[test]
    fn errors_and_help() {
        for bad in [
            &["--nope"][..],
            &["--listen"],
            &["--listen", "not an address"],
            &["--secret-key", "s"],
            &["--subscribe-timeout", "-1"],
            &["--max-connections", "0"],
            &["--header-read-timeout", "0"],
            &["--max-header-bytes", "1K"],
            &["--retain-total-bytes", "12X"],
            &["--retain-total-bytes", "0"],
            &["--allow-origin", "example.com"],
            &["--allow-host", "a b"],
        ] {
            assert!(run(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse(["--help".to_string()]).unwrap(), Command::Help);
    }
}
