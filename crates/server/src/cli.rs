//! Command-line parsing (no dependency: the flags are few and simple).

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
    --publish-key KEY          The publish key clients sign with (part of the signed string).
    --signature-max-skew SECS  Accepted distance between a signed `timestamp` and the server
                               clock [default: 60]; 0 disables the check.
    --subscribe-timeout SECS   How long a subscribe long-poll is held when nothing happens
                               [default: 280; keep it under the clients' 310 s].
    -h, --help                 Print this help.
    -V, --version              Print the version.

Logging goes to stderr; set RUST_LOG (e.g. RUST_LOG=ferrochat_server=debug) for more.";

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

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run the server.
    Run(Config),
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
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--listen" => listen = value()?,
            "--db" => db = Some(PathBuf::from(value()?)),
            "--secret-key" => secret_key = Some(value()?),
            "--publish-key" => publish_key = Some(value()?),
            "--signature-max-skew" => skew = parse_secs(&flag, &value()?)?,
            "--subscribe-timeout" => timeout = parse_secs(&flag, &value()?)?,
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
    Ok(Command::Run(Config {
        listen: parse_addr(&listen)?,
        db,
        signing,
        subscribe_timeout: Duration::from_secs(timeout),
    }))
}

fn parse_secs(flag: &str, v: &str) -> Result<u64, String> {
    v.parse()
        .map_err(|_| format!("{flag} takes a whole number of seconds (got '{v}')"))
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
            Command::Run(c) => Ok(c),
            other => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn defaults_and_flags() {
        let c = run(&[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8090");
        assert_eq!(c.db, None);
        assert_eq!(c.subscribe_timeout, Duration::from_secs(280));
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
    fn errors_and_help() {
        assert!(run(&["--nope"]).is_err());
        assert!(run(&["--listen"]).is_err());
        assert!(run(&["--listen", "not an address"]).is_err());
        assert!(run(&["--secret-key", "s"]).is_err());
        assert!(run(&["--subscribe-timeout", "-1"]).is_err());
        assert_eq!(parse(["--help".to_string()]).unwrap(), Command::Help);
    }
}
