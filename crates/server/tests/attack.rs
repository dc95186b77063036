//! The load-and-attack suite (issue 18): every test runs the real binary on loopback, is
//! bounded in count and time, and asserts behaviour (refused, closed, answered first, nothing
//! lost), never a duration. Latency and throughput figures live in the bench.

mod common;

use common::{enc, raise_fd_limit, signed_target, temp_dir, Server};
use serde_json::{json, Value};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const U: &str = "/v2/objects/sk/uuids";

/// Tests that open thousands of sockets or load the machine run one at a time.
static HEAVY: Mutex<()> = Mutex::new(());

fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

fn tt(v: &Value) -> String {
    v["t"]["t"].as_str().expect("t.t").to_string()
}

fn handshake(s: &Server, channels: &str) -> String {
    tt(&s.get(&format!("/v2/subscribe/sk/{channels}/0")).json())
}

/// A raw connection: send bytes, read whatever comes back within `wait`.
fn exchange(addr: &str, bytes: &[u8], wait: Duration) -> (Vec<u8>, bool) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let _ = stream.write_all(bytes);
    read_until_closed(&mut stream, wait)
}

/// Reads until EOF or `wait` passes; returns the bytes and whether the peer closed.
fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> (Vec<u8>, bool) {
    let until = Instant::now() + wait;
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (out, false);
        }
        let _ = stream.set_read_timeout(Some(left.min(Duration::from_millis(500))));
        match stream.read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return (out, true),
        }
    }
}

/// Status and JSON body of a raw HTTP response (after any interim 1xx responses).
fn parse(raw: &[u8]) -> Option<(u16, String, Value)> {
    let mut text = String::from_utf8_lossy(raw).to_string();
    while text.starts_with("HTTP/1.1 1") {
        text = text.split_once("\r\n\r\n")?.1.to_string();
    }
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let value = serde_json::from_str(body).unwrap_or(Value::Null);
    Some((status, head.to_ascii_lowercase(), value))
}

/// How many of `streams` the server has not closed yet (non-blocking check).
fn still_open(streams: &mut [Option<TcpStream>]) -> usize {
    let mut buf = [0u8; 1024];
    for slot in streams.iter_mut() {
        let Some(s) = slot else { continue };
        let _ = s.set_nonblocking(true);
        let closed = loop {
            match s.read(&mut buf) {
                Ok(0) => break true,
                Ok(_) => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break false,
                Err(_) => break true,
            }
        };
        if closed {
            *slot = None;
        }
    }
    streams.iter().filter(|s| s.is_some()).count()
}

// ---------------------------------------------------------------------------------------
// 1. Bounded work per request.

#[test]
fn pathological_filters_do_not_stall_time_or_writes() {
    let _heavy = heavy();
    let s = Server::start_with(&["--subscribe-timeout", "5"], "ferrochat_server=info", None);
    // 300 users with 16,000-character names, and filters of 16 LIKE conditions that each
    // scan a whole name without matching: the most a filter may cost, on every user.
    for i in 0..300 {
        let name = format!("{}{i:04}", "a".repeat(16_000));
        let r = s.patch(
            &format!("{U}/big-{i}"),
            &json!({ "name": name }).to_string(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let filter = enc(&vec!["name LIKE '*zz*'"; 16].join(" || "));
    let lists = 3;
    let done = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..lists {
            scope.spawn(|| {
                let r = s.get(&format!("{U}?filter={filter}&count=true"));
                assert_eq!(r.status, 200, "{}", r.text());
                assert_eq!(r.json()["totalCount"], 0);
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        // While they run: /time, writes and a handshake all answer first.
        for _ in 0..20 {
            assert_eq!(s.get("/time/0").status, 200);
        }
        for i in 0..5 {
            let r = s.patch(&format!("{U}/small-{i}"), r#"{"name":"Small"}"#);
            assert_eq!(r.status, 200);
        }
        assert_eq!(s.get("/v2/subscribe/sk/x/0").status, 200);
        assert!(
            done.load(Ordering::SeqCst) < lists,
            "every filter finished before /time and writes were answered: they waited on them"
        );
    });
    assert_eq!(done.load(Ordering::SeqCst), lists);
}

#[test]
fn filter_caps_are_clear_400s() {
    let s = Server::start(&[]);
    let cases = [
        (
            format!("name LIKE '{}'", "x".repeat(1025)),
            "LIKE pattern is longer than 1024",
        ),
        (
            vec!["id LIKE 'a*'"; 17].join(" || "),
            "more than 16 LIKE conditions",
        ),
        ("x".repeat(8193), "longer than 8192 bytes"),
    ];
    for (filter, needle) in cases {
        let r = s.get(&format!("{U}?filter={}", enc(&filter)));
        assert_eq!(r.status, 400, "{}", r.text());
        let v = r.json();
        assert_eq!(v["error"]["details"][0]["location"], "filter");
        let msg = v["error"]["message"].as_str().unwrap_or("");
        assert!(msg.contains(needle), "{msg}");
    }
}

// ---------------------------------------------------------------------------------------
// 2. No silent loss.

#[test]
fn a_paused_subscriber_past_the_window_learns_it_and_nothing_else_is_lost() {
    let s = Server::start(&[
        "--retain-per-channel",
        "50",
        "--retain-total",
        "400",
        "--subscribe-timeout",
        "1",
    ]);
    let t0 = handshake(&s, "u1,u2");
    for i in 0..120 {
        let r = s.patch(&format!("{U}/u1"), &format!(r#"{{"email":"e{i}@x.io"}}"#));
        assert_eq!(r.status, 200);
    }
    let v = s.get(&format!("/v2/subscribe/sk/u1,u2/0?tt={t0}")).json();
    assert_eq!(v["truncated"], true, "{v}");
    let m = v["m"].as_array().unwrap();
    assert_eq!(m.len(), 50, "the last 50 are kept");
    assert_eq!(m[49]["d"]["data"]["email"], "e119@x.io");
    // From the reply's cursor on, nothing is missing: no more truncation.
    let after = tt(&v);
    let v = s
        .get(&format!("/v2/subscribe/sk/u1,u2/0?tt={after}"))
        .json();
    assert!(v.get("truncated").is_none() && v["m"] == json!([]), "{v}");
    // The true state is one GET away.
    assert_eq!(
        s.get(&format!("{U}/u1")).json()["data"]["email"],
        "e119@x.io"
    );

    // Within the window, a reply holds at most 100 messages, without a truncation mark,
    // and the next polls deliver the rest: 0 lost.
    let t1 = handshake(&s, "a,b,c,d,e");
    for ch in ["a", "b", "c", "d", "e"] {
        for i in 0..45 {
            let r = s.get(&format!("/publish/pk/sk/0/{ch}/0/{i}"));
            assert_eq!(r.status, 200);
        }
    }
    let (mut cursor, mut got, mut replies) = (t1, 0, Vec::new());
    while got < 225 {
        let v = s
            .get(&format!("/v2/subscribe/sk/a,b,c,d,e/0?tt={cursor}"))
            .json();
        let n = v["m"].as_array().unwrap().len();
        assert!(n > 0 && v.get("truncated").is_none(), "{v}");
        replies.push(n);
        got += n;
        cursor = tt(&v);
    }
    assert_eq!((got, replies), (225, vec![100, 100, 25]));
}

#[test]
fn events_past_the_retention_age_are_reported() {
    let s = Server::start(&[
        "--retain-age",
        "1",
        "--retain-last",
        "0",
        "--subscribe-timeout",
        "1",
    ]);
    let t0 = handshake(&s, "aged");
    assert_eq!(s.get("/publish/pk/sk/0/aged/0/1").status, 200);
    // Pruning runs every second; wait (bounded) until the event is gone.
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let v = s.get(&format!("/v2/subscribe/sk/aged/0?tt={t0}")).json();
        if v["truncated"] == true {
            assert_eq!(v["m"], json!([]));
            assert!(tt(&v) >= t0, "the cursor moves past the gap");
            break;
        }
        assert!(
            Instant::now() < until,
            "the aged event was never dropped: {v}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn truncation_is_still_reported_after_a_restart() {
    let dir = temp_dir("trunc");
    let db = dir.join("t.db");
    let args = [
        "--db",
        db.to_str().unwrap(),
        "--retain-per-channel",
        "5",
        "--subscribe-timeout",
        "1",
    ];
    let s = Server::start(&args);
    let t0 = handshake(&s, "r");
    for i in 0..20 {
        assert_eq!(s.get(&format!("/publish/pk/sk/0/r/0/{i}")).status, 200);
    }
    let t_mid = tt(&s.get(&format!("/v2/subscribe/sk/r/0?tt={t0}")).json());
    s.kill9();
    let s = Server::start(&args);
    let v = s.get(&format!("/v2/subscribe/sk/r/0?tt={t0}")).json();
    assert_eq!(v["truncated"], true, "{v}");
    assert_eq!(
        v["m"].as_array().unwrap().len(),
        5,
        "the kept events survived"
    );
    // A cursor at the newest event is not truncated and waits.
    let v = s.get(&format!("/v2/subscribe/sk/r/0?tt={t_mid}")).json();
    assert!(v.get("truncated").is_none(), "{v}");
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------------------
// 3. Wake only what changed.

#[test]
fn idle_polls_on_other_channels_are_not_woken() {
    let _heavy = heavy();
    assert!(raise_fd_limit() > 2_300, "this test needs 2,300 open files");
    let s = Server::start_with(
        &["--subscribe-timeout", "60"],
        "ferrochat_server=info",
        None,
    );
    let t0 = handshake(&s, "hot");
    let mut idle: Vec<Option<TcpStream>> = (0..2000)
        .map(|i| {
            let mut c = TcpStream::connect(&s.addr).expect("connect");
            let req = format!(
                "GET /v2/subscribe/sk/idle-{i}/0?tt={t0} HTTP/1.1\r\nHost: {}\r\n\r\n",
                s.addr
            );
            c.write_all(req.as_bytes()).unwrap();
            Some(c)
        })
        .collect();
    std::thread::scope(|scope| {
        let hot = scope.spawn(|| s.get(&format!("/v2/subscribe/sk/hot/0?tt={t0}")).json());
        for i in 0..200 {
            let r = s.patch(&format!("{U}/writer-{i}"), r#"{"name":"W"}"#);
            assert_eq!(r.status, 200);
        }
        assert_eq!(
            s.patch(&format!("{U}/hot"), r#"{"name":"Hot"}"#).status,
            200
        );
        let v = hot.join().unwrap();
        assert_eq!(v["m"][0]["c"], "hot", "{v}");
    });
    // None of the 2,000 idle polls was answered (or closed).
    let mut buf = [0u8; 16];
    for c in idle.iter_mut().flatten() {
        c.set_nonblocking(true).unwrap();
        match c.read(&mut buf) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            other => panic!("an idle poll got {other:?}"),
        }
    }
    assert_eq!(still_open(&mut idle), 2000);
}

// ---------------------------------------------------------------------------------------
// 4. Limits.

#[test]
fn past_the_connection_cap_new_clients_get_503_json() {
    let _heavy = heavy();
    let s = Server::start(&["--max-connections", "20"]);
    // 20 keep-alive connections, each served once so it surely holds a slot.
    let mut held: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut c = TcpStream::connect(&s.addr).unwrap();
            let req = format!("GET /time/0 HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr);
            c.write_all(req.as_bytes()).unwrap();
            let mut buf = [0u8; 1024];
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            assert!(c.read(&mut buf).unwrap() > 0);
            c
        })
        .collect();
    let (raw, closed) = exchange(
        &s.addr,
        format!("GET /time/0 HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr).as_bytes(),
        Duration::from_secs(10),
    );
    let (status, head, body) = parse(&raw).expect("a response");
    assert_eq!(status, 503);
    assert!(head.contains("application/json") && closed);
    assert_eq!(body["status"], 503);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--max-connections"));
    // Slots come back when connections close.
    held.truncate(10);
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let (raw, _) = exchange(
            &s.addr,
            format!(
                "GET /time/0 HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                s.addr
            )
            .as_bytes(),
            Duration::from_secs(5),
        );
        if parse(&raw).is_some_and(|(st, _, _)| st == 200) {
            break;
        }
        assert!(Instant::now() < until, "no slot came back");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn slowloris_and_silent_connections_are_closed_while_others_are_served() {
    let _heavy = heavy();
    assert!(raise_fd_limit() > 2_300, "this test needs 2,300 open files");
    let s = Server::start_with(
        &["--header-read-timeout", "2", "--keep-alive-timeout", "2"],
        "ferrochat_server=info",
        None,
    );
    let mut silent: Vec<Option<TcpStream>> = (0..1000)
        .map(|_| Some(TcpStream::connect(&s.addr).unwrap()))
        .collect();
    let mut slow: Vec<Option<TcpStream>> = (0..1000)
        .map(|_| {
            let mut c = TcpStream::connect(&s.addr).unwrap();
            c.write_all(b"GET /time/0 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                .unwrap();
            Some(c)
        })
        .collect();
    let until = Instant::now() + Duration::from_secs(30);
    let mut served = 0;
    loop {
        // Trickle one byte to every slow connection still open.
        for slot in slow.iter_mut() {
            if let Some(c) = slot {
                if c.write_all(b"a").is_err() {
                    *slot = None;
                }
            }
        }
        // A normal client is served meanwhile.
        assert_eq!(s.get("/time/0").status, 200);
        served += 1;
        let open = still_open(&mut silent) + still_open(&mut slow);
        if open == 0 {
            break;
        }
        assert!(
            Instant::now() < until,
            "{open} of 2,000 connections still open well past the 2 s header-read timeout"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(served > 0);
}

#[test]
fn idle_keep_alive_connections_are_closed_and_told_when() {
    let s = Server::start(&["--keep-alive-timeout", "2"]);
    let mut c = TcpStream::connect(&s.addr).unwrap();
    let req = format!("GET /time/0 HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr);
    c.write_all(req.as_bytes()).unwrap();
    let (raw, closed) = read_until_closed(&mut c, Duration::from_secs(20));
    assert!(closed, "the idle keep-alive connection was not closed");
    let (status, head, _) = parse(&raw).expect("a response first");
    assert_eq!(status, 200);
    assert!(head.contains("keep-alive: timeout=2"), "{head}");
}

#[test]
fn a_slow_body_gets_408_and_an_oversized_content_length_413_before_the_body() {
    let s = Server::start(&["--body-read-timeout", "2"]);
    let head = |len: usize| {
        format!(
            "PATCH {U}/x HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n",
            s.addr
        )
    };
    // The declared length is over 32 KiB: refused at once, the body never sent.
    let (raw, _) = exchange(&s.addr, head(1_000_000).as_bytes(), Duration::from_secs(20));
    let (status, h, body) = parse(&raw).expect("a 413 without sending the body");
    assert_eq!(status, 413);
    assert_eq!(body["status"], 413);
    assert!(h.contains("connection: close"));
    // A body that stops coming: 408 after the body-read timeout.
    let mut bytes = head(100).into_bytes();
    bytes.extend_from_slice(br#"{"name":"#);
    let (raw, _) = exchange(&s.addr, &bytes, Duration::from_secs(20));
    let (status, _, body) = parse(&raw).expect("a 408");
    assert_eq!(status, 408);
    assert_eq!(body["status"], 408);
    // A chunked body over the limit: 413 too.
    let big = "x".repeat(40_000);
    let chunked = format!(
        "PATCH {U}/x HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        s.addr,
        big.len()
    );
    let (raw, _) = exchange(&s.addr, chunked.as_bytes(), Duration::from_secs(20));
    assert_eq!(parse(&raw).map(|p| p.0), Some(413));
    assert_eq!(s.get(&format!("{U}/x")).status, 404, "nothing stored");
}

#[test]
fn the_open_file_limit_is_raised_to_the_hard_one() {
    let Ok(mine) = std::fs::read_to_string("/proc/self/limits") else {
        return; // not Linux
    };
    let hard_of = |limits: &str| -> Option<(String, String)> {
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        let f: Vec<&str> = line.split_whitespace().collect();
        Some((f[3].to_string(), f[4].to_string()))
    };
    let (_, hard) = hard_of(&mine).unwrap();
    let s = Server::start_with(&[], "ferrochat_server=info", Some(256));
    let theirs = std::fs::read_to_string(format!("/proc/{}/limits", s.pid())).unwrap();
    let (soft, their_hard) = hard_of(&theirs).unwrap();
    assert_eq!(their_hard, hard);
    assert_eq!(
        soft, hard,
        "started with a soft limit of 256, raised to the hard limit"
    );
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn disk_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn retained_publishes_are_capped_in_memory_and_on_disk() {
    let _heavy = heavy();
    let dir = temp_dir("retain");
    let db = dir.join("r.db");
    let s = Server::start_with(
        &[
            "--db",
            db.to_str().unwrap(),
            "--retain-total-bytes",
            "4M",
            "--retain-per-channel-bytes",
            "1M",
        ],
        "ferrochat_server=info",
        None,
    );
    let t0 = handshake(&s, "room-0");
    let payload = format!("\"{}\"", "p".repeat(30_000));
    let publish = |i: usize| {
        let r = s.request(
            "POST",
            &format!("/publish/pk/sk/0/room-{}/0", i % 20),
            &[("Content-Type", "application/json")],
            payload.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    };
    for i in 0..200 {
        publish(i);
    }
    let (rss0, disk0) = (rss_kib(s.pid()), disk_bytes(&dir));
    for i in 0..3000 {
        publish(i);
    }
    let (rss1, disk1) = (rss_kib(s.pid()), disk_bytes(&dir));
    // 3,000 x 30 KB = 90 MB published; 4 MiB kept. (Before the caps: +95 MB RSS, +102 MB.)
    let grew_mib = (rss1.saturating_sub(rss0)) / 1024;
    assert!(grew_mib < 40, "RSS grew {grew_mib} MiB");
    let disk_mib = disk1.saturating_sub(disk0) / (1024 * 1024);
    assert!(disk_mib < 40, "the database grew {disk_mib} MiB");
    let v = s.get(&format!("/v2/subscribe/sk/room-0/0?tt={t0}")).json();
    assert_eq!(v["truncated"], true);
    let kept = v["m"].as_array().unwrap().len();
    assert!(
        (1..=33).contains(&kept),
        "{kept} kept on room-0 (1 MiB / 30 KB)"
    );
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------------------
// 5. Safe by default.

fn refused(r: &common::Resp, needle: &str) {
    assert_eq!(r.status, 403, "{}", r.text());
    let v = r.json();
    // Publish errors are [0, "message"]; the others carry a status.
    assert!(v["status"] == 403 || v[0] == 0, "{v}");
    let msg = v["error"]["message"]
        .as_str()
        .or(v["message"].as_str())
        .or(v[1].as_str())
        .unwrap_or("");
    assert!(msg.contains(needle), "{msg}");
    assert!(r.header("access-control-allow-origin").is_none());
}

#[test]
fn foreign_origins_hosts_and_cross_site_requests_are_refused() {
    let s = Server::start(&[]);
    assert_eq!(
        s.patch(&format!("{U}/victim"), r#"{"name":"V"}"#).status,
        200
    );
    let evil = [("Origin", "https://evil.example")];
    refused(
        &s.request("DELETE", &format!("{U}/victim"), &evil, b""),
        "Origin",
    );
    refused(
        &s.request("GET", &format!("{U}/victim"), &evil, b""),
        "Origin",
    );
    refused(
        &s.request("OPTIONS", &format!("{U}/victim"), &evil, b""),
        "Origin",
    );
    refused(
        &s.request("GET", "/publish/pk/sk/0/c/0/1", &[("Origin", "null")], b""),
        "Origin",
    );
    // DNS rebinding: the page's origin looks local to the browser, the Host does not.
    let raw = format!(
        "DELETE {U}/victim HTTP/1.1\r\nHost: rebind.evil.example:{}\r\nConnection: close\r\n\r\n",
        s.port()
    );
    let (raw, _) = exchange(&s.addr, raw.as_bytes(), Duration::from_secs(10));
    let (status, _, body) = parse(&raw).unwrap();
    assert_eq!(status, 403);
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("--allow-host") && msg.contains("0.0.0.0"),
        "{msg}"
    );
    // An <img> or a form from another site carries no Origin, but says it is cross-site.
    refused(
        &s.request(
            "GET",
            "/publish/pk/sk/0/c/0/1",
            &[("Sec-Fetch-Site", "cross-site")],
            b"",
        ),
        "Cross-site",
    );
    assert_eq!(s.get(&format!("{U}/victim")).status, 200, "still there");
    // Loopback pages on other ports are served, with CORS for their origin.
    for origin in [
        "http://127.0.0.1:8080",
        "http://localhost:5173",
        "http://[::1]:3000",
    ] {
        let r = s.request("GET", &format!("{U}/victim"), &[("Origin", origin)], b"");
        assert_eq!(r.status, 200, "{origin}");
        assert_eq!(r.header("access-control-allow-origin"), Some(origin));
    }
    let r = s.request(
        "GET",
        "/time/0",
        &[
            ("Sec-Fetch-Site", "same-site"),
            ("Origin", "http://localhost:1"),
        ],
        b"",
    );
    assert_eq!(r.status, 200);
}

#[test]
fn more_origins_and_hosts_by_flag() {
    let s = Server::start(&[
        "--allow-origin",
        "https://app.example.com",
        "--allow-host",
        "laptop.local",
    ]);
    let r = s.request(
        "GET",
        "/time/0",
        &[("Origin", "https://app.example.com")],
        b"",
    );
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    refused(
        &s.request(
            "GET",
            "/time/0",
            &[("Origin", "https://other.example.com")],
            b"",
        ),
        "Origin",
    );
    let (raw, _) = exchange(
        &s.addr,
        b"GET /time/0 HTTP/1.1\r\nHost: laptop.local:8090\r\nConnection: close\r\n\r\n",
        Duration::from_secs(10),
    );
    assert_eq!(parse(&raw).map(|p| p.0), Some(200));
    let any = Server::start(&["--allow-origin", "*", "--allow-host", "*"]);
    let r = any.request("GET", "/time/0", &[("Origin", "https://evil.example")], b"");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}

/// A signed request target (protocol.md §7) with a requestid.
fn signed(method: &str, path: &str, body: &[u8], request_id: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let pairs = vec![
        ("requestid".to_string(), request_id.to_string()),
        ("timestamp".to_string(), now.to_string()),
        ("uuid".to_string(), "admin".to_string()),
    ];
    signed_target("sec", "pub", method, path, &pairs, body)
}

#[test]
fn replayed_signed_writes_are_refused_reads_are_not() {
    let s = Server::start(&["--secret-key", "sec", "--publish-key", "pub"]);
    let path = format!("{U}/target");
    let body = br#"{"name":"T"}"#;
    let create = signed("PATCH", &path, body, "req-1");
    assert_eq!(s.request("PATCH", &create, &[], body).status, 200);
    let delete = signed("DELETE", &path, b"", "req-2");
    assert_eq!(s.request("DELETE", &delete, &[], b"").status, 200);
    // Re-created by a fresh request…
    let again = signed("PATCH", &path, body, "req-3");
    assert_eq!(s.request("PATCH", &again, &[], body).status, 200);
    // …a replay of the DELETE (or of any write) is refused, in the Access Manager shape.
    for (method, target, b) in [("DELETE", &delete, &b""[..]), ("PATCH", &create, &body[..])] {
        let r = s.request(method, target, &[], b);
        assert_eq!(r.status, 403, "{}", r.text());
        let v = r.json();
        assert_eq!(v["service"], "Access Manager");
        assert_eq!(v["status"], 403);
        assert_eq!(v["error"]["details"][0]["location"], "signature");
    }
    let get = signed("GET", &path, b"", "req-4");
    assert_eq!(s.request("GET", &get, &[], b"").status, 200);
    assert_eq!(
        s.request("GET", &get, &[], b"").status,
        200,
        "reads may repeat"
    );
    let publish = signed("GET", "/publish/pub/sk/0/c/0/1", b"", "req-5");
    assert_eq!(s.get(&publish).status, 200);
    assert_eq!(s.get(&publish).status, 403, "a GET publish is a write");
}

// ---------------------------------------------------------------------------------------
// 6. HTTP as the RFCs say.

#[test]
fn if_match_follows_rfc_9110() {
    let s = Server::start(&[]);
    let with = |method: &str, id: &str, tag: &str, status: &str| {
        let body = format!(r#"{{"status":"{status}"}}"#);
        s.request(
            method,
            &format!("{U}/{id}"),
            &[("If-Match", tag), ("Content-Type", "application/json")],
            if method == "PATCH" {
                body.as_bytes()
            } else {
                b""
            },
        )
    };
    let etag_of = |id: &str| {
        s.get(&format!("{U}/{id}")).json()["data"]["eTag"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        with("PATCH", "nobody", "*", "a").status,
        412,
        "* needs a current record"
    );
    assert_eq!(s.get(&format!("{U}/nobody")).status, 404);
    assert_eq!(s.patch(&format!("{U}/u"), r#"{"name":"U"}"#).status, 200);
    assert_eq!(
        with("PATCH", "u", "*", "b").status,
        200,
        "* matches any current record"
    );
    let etag = etag_of("u");
    let weak = format!("W/\"{etag}\"");
    assert_eq!(
        with("PATCH", "u", &weak, "c").status,
        412,
        "weak never matches"
    );
    let list = format!("\"nope\", \"{etag}\"");
    assert_eq!(
        with("PATCH", "u", &list, "d").status,
        200,
        "one of a list matches"
    );
    assert_eq!(
        with("PATCH", "u", &etag, "e").status,
        412,
        "that eTag is stale now"
    );
    assert_eq!(s.get(&format!("{U}/u")).json()["data"]["status"], "d");
    assert_eq!(with("DELETE", "u", "\"stale\"", "").status, 412);
    assert_eq!(
        s.get(&format!("{U}/u")).status,
        200,
        "a failed DELETE deletes nothing"
    );
    assert_eq!(with("DELETE", "u", &etag_of("u"), "").status, 200);
    assert_eq!(s.get(&format!("{U}/u")).status, 404);
    assert_eq!(with("DELETE", "u", "*", "").status, 412);
    assert_eq!(
        s.delete(&format!("{U}/u")).status,
        200,
        "without If-Match: idempotent"
    );
}

#[test]
fn http_layer_errors_have_json_bodies() {
    let s = Server::start(&[]);
    let long_uri = format!(
        "GET /v2/subscribe/sk/{}/0 HTTP/1.1\r\nHost: {}\r\n\r\n",
        "c".repeat(70_000),
        s.addr
    );
    let big_head = format!(
        "GET /v2/objects/sk/uuids HTTP/1.1\r\nHost: {}\r\nX-Big: {}\r\n\r\n",
        s.addr,
        "h".repeat(120_000)
    );
    for (raw, status, shape) in [
        (long_uri.into_bytes(), 414, "subscribe"),
        (big_head.into_bytes(), 431, "objects"),
        (b"GET\r\n\r\n".to_vec(), 400, "other"),
        (b"\x00\x01garbage\r\n\r\n".to_vec(), 400, "other"),
        (b"GET /time/0 HTTP/9.9\r\n\r\n".to_vec(), 400, "time"),
    ] {
        let (bytes, _) = exchange(&s.addr, &raw, Duration::from_secs(10));
        let (got, head, body) = parse(&bytes)
            .unwrap_or_else(|| panic!("no response: {:?}", String::from_utf8_lossy(&bytes)));
        assert!(
            got == status || (status == 400 && (400..500).contains(&got)),
            "{got} for a {status} case"
        );
        assert_eq!(body["status"], json!(got), "{head}");
        match shape {
            "subscribe" | "time" => assert_eq!(body["error"], true),
            "objects" => assert_eq!(body["error"]["source"], "objects"),
            _ => assert!(body["error"].is_object()),
        }
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        assert!(len > 0, "{head}");
    }
    assert_eq!(s.get("/time/0").status, 200);
}

/// Random requests from a small grammar of good and bad parts: none gets a 5xx, every
/// response has a JSON body, and the server keeps answering.
#[test]
fn malformed_request_fuzz_never_gets_a_5xx() {
    let s = Server::start(&["--subscribe-timeout", "1"]);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |m: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % m as u64) as usize
    };
    let methods = ["GET", "PATCH", "DELETE", "POST", "PUT", "OPTIONS", "HEAD"];
    let paths = [
        "/v2/objects/sk/uuids/{}",
        "/v2/objects/sk/uuids",
        "/v2/subscribe/sk/{}/0",
        "/publish/pk/sk/0/{}/0/{}",
        "/publish/pk/sk/0/{}/0",
        "/v2/presence/sub-key/sk/channel/{}/leave",
        "/time/{}",
        "/{}",
    ];
    let junk = [
        "a",
        "%",
        "%FF",
        "%00",
        "..",
        "a,b,,",
        "%2F",
        "é",
        "*",
        "x%20y",
        "\"",
        "{}",
        "9999999999999999999999",
    ];
    let queries = [
        "",
        "?tt=abc",
        "?tt=1",
        "?filter=%28",
        "?filter=name%20LIKE%20%27*%27",
        "?limit=-1",
        "?sort=nope",
        "?start=%%%",
        "?count=maybe",
        "?include=custom&tt=0",
        "?meta=%7B",
    ];
    let headers = [
        "",
        "If-Match: *\r\n",
        "If-Match: W/\"x\"\r\n",
        "Content-Encoding: gzip\r\n",
        "Content-Encoding: br\r\n",
        "Origin: http://localhost:1\r\n",
        "Content-Length: abc\r\n",
        "Expect: 100-continue\r\n",
    ];
    let bodies: [&[u8]; 6] = [
        b"",
        b"{}",
        b"{\"name\":5}",
        b"[1,2",
        b"\xff\xfe",
        b"{\"custom\":{\"a\":{}}}",
    ];
    let (mut answered, mut fives) = (0, Vec::new());
    for _ in 0..1500 {
        let path = paths[next(paths.len())]
            .replacen("{}", junk[next(junk.len())], 1)
            .replacen("{}", junk[next(junk.len())], 1);
        let body = bodies[next(bodies.len())];
        let method = methods[next(methods.len())];
        let raw = format!(
            "{} {}{} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{}Content-Length: {}\r\n\r\n",
            method,
            path,
            queries[next(queries.len())],
            s.addr,
            headers[next(headers.len())],
            body.len()
        );
        let mut bytes = raw.into_bytes();
        bytes.extend_from_slice(body);
        let (out, _) = exchange(&s.addr, &bytes, Duration::from_secs(10));
        if let Some((status, _, value)) = parse(&out) {
            answered += 1;
            if status >= 500 {
                fives.push(String::from_utf8_lossy(&bytes).to_string());
            }
            let has_body = method != "HEAD" && status != 204;
            assert!(
                !has_body || value != Value::Null,
                "not JSON: {}",
                String::from_utf8_lossy(&out)
            );
        }
    }
    assert!(fives.is_empty(), "5xx for: {fives:?}");
    assert!(answered > 1400, "only {answered} of 1,500 answered");
    assert_eq!(s.get("/time/0").status, 200);
}
