//! Test helpers: start the real `ferrochat-server` binary on a free port and talk HTTP/1.1
//! to it over a plain `TcpStream` (so tests can also send malformed requests).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A running server; killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Where the server's stderr goes.
    pub log: PathBuf,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh temporary directory for this test process.
pub fn temp_dir(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!(
        "ferrochat-server-test-{}-{tag}-{n}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

impl Server {
    /// Starts the server with `--listen 127.0.0.1:0` plus `args` and waits for its
    /// "listening" line.
    pub fn start(args: &[&str]) -> Server {
        Self::start_with(args, "ferrochat_server=debug", None)
    }

    /// Like [`Server::start`], with a log filter and, optionally, a soft open-file limit
    /// for the server process (to check that it raises it).
    pub fn start_with(args: &[&str], rust_log: &str, nofile_soft: Option<u64>) -> Server {
        let log = temp_dir("log").join("server.log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_ferrochat-server"));
        command
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"));
        #[cfg(unix)]
        if let Some(soft) = nofile_soft {
            use std::os::unix::process::CommandExt;
            // SAFETY: only async-signal-safe calls (getrlimit/setrlimit) between fork and exec.
            unsafe {
                command.pre_exec(move || {
                    let mut lim = libc::rlimit {
                        rlim_cur: 0,
                        rlim_max: 0,
                    };
                    libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
                    lim.rlim_cur = soft.min(lim.rlim_max);
                    libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
                    Ok(())
                });
            }
        }
        let mut child = command.spawn().expect("spawn ferrochat-server");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read listening line");
        let prefix = "ferrochat-server listening on http://";
        assert!(
            line.starts_with(prefix) && line.ends_with('\n'),
            "unexpected first line {line:?}; log: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        let addr = line[prefix.len()..].trim().to_string();
        Server {
            child,
            _stdout: stdout,
            addr,
            log,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// Sends one request (Connection: close) and reads the whole response.
    pub fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || matches!(method, "POST" | "PATCH" | "PUT") {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut raw = head.into_bytes();
        raw.extend_from_slice(body);
        self.raw(&raw)
    }

    /// Sends raw bytes and parses the response.
    pub fn raw(&self, bytes: &[u8]) -> Resp {
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        // The server may answer (and close) before reading everything; ignore write errors.
        let _ = stream.write_all(bytes);
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out);
        Resp::parse(&out)
    }

    /// GET.
    pub fn get(&self, target: &str) -> Resp {
        self.request("GET", target, &[], b"")
    }

    /// PATCH a JSON body.
    pub fn patch(&self, target: &str, body: &str) -> Resp {
        self.request(
            "PATCH",
            target,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    }

    /// DELETE.
    pub fn delete(&self, target: &str) -> Resp {
        self.request("DELETE", target, &[], b"")
    }

    /// Kills the process with SIGKILL (no clean shutdown) and waits for it.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits; returns whether it exited successfully in time.
    pub fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    fn parse(raw: &[u8]) -> Resp {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        Resp {
            status,
            headers,
            body,
        }
    }

    /// A header value (lowercase name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }

    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {} body is not JSON ({e}): {}",
                self.status,
                self.text()
            )
        })
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = body.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&body[..pos]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = pos + 2;
        out.extend_from_slice(&body[start..(start + size).min(body.len())]);
        body = &body[(start + size + 2).min(body.len())..];
    }
    out
}

/// Raises this test process's soft open-file limit to its hard limit (tests that open
/// thousands of sockets); returns the soft limit now in force.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: reads and writes the struct we pass.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    lim.rlim_cur
}

/// PubNub-style percent-encoding of a query value or path segment.
pub fn enc(s: &str) -> String {
    ferrochat_server::query::encode(s)
}

/// A request target signed as protocol.md §7 says: `pairs` (with the `timestamp`) in the
/// query, then `signature`, computed with `secret` and `publish_key`.
pub fn signed_target(
    secret: &str,
    publish_key: &str,
    method: &str,
    path: &str,
    pairs: &[(String, String)],
    body: &[u8],
) -> String {
    use ferrochat_server::signature::{sign, string_to_sign};
    let sig = sign(
        secret,
        &string_to_sign(method, publish_key, path, pairs, body),
    );
    let q: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    format!("{path}?{}&signature={sig}", q.join("&"))
}
