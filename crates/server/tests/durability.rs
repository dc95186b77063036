//! With `--db`, acknowledged writes survive `kill -9`, timetokens stay monotonic across
//! restarts, and a subscriber's cursor from before a restart still catches up.

mod common;

use common::{temp_dir, Server};
use serde_json::{json, Value};

const U: &str = "/v2/objects/sk/uuids";
const INC: &str = "include=status%2Ctype%2Ccustom";

fn tt_of(v: &Value) -> u64 {
    v["t"]["t"].as_str().unwrap().parse().unwrap()
}

#[test]
fn writes_and_events_survive_kill_9() {
    let dir = temp_dir("durable");
    let db = dir.join("ferrochat.db");
    let db_arg = db.to_str().unwrap();
    let args = ["--db", db_arg, "--subscribe-timeout", "1"];

    let s = Server::start(&args);
    let t0 = tt_of(&s.get("/v2/subscribe/sk/u1,u2,room/0").json());
    let a = s.patch(
        &format!("{U}/u1?{INC}"),
        r#"{"name":"Ann","custom":{"z":1,"a":"two"}}"#,
    );
    assert_eq!(a.status, 200);
    let b = s
        .patch(&format!("{U}/u1?{INC}"), r#"{"email":"ann@x.io"}"#)
        .json();
    s.patch(&format!("{U}/u2?{INC}"), r#"{"name":"Gone"}"#);
    assert_eq!(s.delete(&format!("{U}/u2")).status, 200);
    let sent = s.get("/publish/pk/sk/0/room/0/%22hi%22?uuid=me").json();
    let last: u64 = sent[2].as_str().unwrap().parse().unwrap();
    s.kill9();

    let s = Server::start(&args);
    let got = s.get(&format!("{U}/u1?{INC}"));
    assert_eq!(got.status, 200);
    assert_eq!(
        got.json()["data"],
        b["data"],
        "the record is exactly as acknowledged"
    );
    let keys: Vec<String> = got.json()["data"]["custom"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["z", "a"], "custom key order survives");
    assert_eq!(s.get(&format!("{U}/u2")).status, 404);
    assert_eq!(s.get(&format!("{U}?count=true")).json()["totalCount"], 1);

    // Catch-up from the pre-restart cursor: every event, in order.
    let v = s
        .get(&format!("/v2/subscribe/sk/u1,u2,room/0?tt={t0}&tr=1"))
        .json();
    let m = v["m"].as_array().unwrap();
    let kinds: Vec<(String, Value)> = m
        .iter()
        .map(|e| {
            (
                e["c"].as_str().unwrap().to_string(),
                e["d"].get("event").cloned().unwrap_or(json!("message")),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("u1".to_string(), json!("set")),
            ("u1".to_string(), json!("set")),
            ("u2".to_string(), json!("set")),
            ("u2".to_string(), json!("delete")),
            ("room".to_string(), json!("message")),
        ]
    );
    assert_eq!(tt_of(&v), last);

    // Timetokens continue after the last one handed out before the crash.
    let hs = tt_of(&s.get("/v2/subscribe/sk/u1/0").json());
    assert!(hs > last);
    let time: u64 = s
        .get("/time/0")
        .text()
        .trim_matches(['[', ']'])
        .parse()
        .unwrap();
    assert!(time >= last);
    let c = s
        .patch(&format!("{U}/u1?{INC}"), r#"{"status":"back"}"#)
        .json();
    assert!(c["data"]["updated"].as_str().unwrap() > b["data"]["updated"].as_str().unwrap());
    let v = s.get(&format!("/v2/subscribe/sk/u1/0?tt={last}")).json();
    assert!(tt_of(&v) > hs, "new events come after the handshake cursor");
    s.kill9();

    // A second crash cycle keeps the newest write.
    let s = Server::start(&args);
    assert_eq!(s.get(&format!("{U}/u1")).json()["data"]["status"], "back");
    assert!(s.terminate(), "SIGTERM stops the server cleanly");
    let s = Server::start(&args);
    assert_eq!(s.get(&format!("{U}/u1")).json()["data"]["status"], "back");
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn without_db_nothing_is_kept() {
    let s = Server::start(&[]);
    s.patch(&format!("{U}/u1"), r#"{"name":"A"}"#);
    s.kill9();
    let s = Server::start(&[]);
    assert_eq!(s.get(&format!("{U}/u1")).status, 404);
}

#[test]
fn unusable_db_path_fails_at_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrochat-server"))
        .args(["--listen", "127.0.0.1:0", "--db", "/nonexistent-dir/x/y.db"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("database"));
}

/// Group commit under concurrent writers: 8 writers keep PATCHes going, the server is
/// killed with SIGKILL mid-stream, and after a restart every acknowledged write is there
/// (each user holds at least the last value acknowledged for it) and every acknowledged
/// change has its event, in order, for a subscriber that catches up.
#[test]
fn concurrent_acknowledged_writes_survive_kill_9() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;
    let dir = temp_dir("group");
    let db = dir.join("g.db");
    let args = ["--db", db.to_str().unwrap(), "--subscribe-timeout", "1"];
    let s = Server::start(&args);
    let users: Vec<String> = (0..8).map(|w| format!("w{w}")).collect();
    let t0 = tt_of(
        &s.get(&format!("/v2/subscribe/sk/{}/0", users.join(",")))
            .json(),
    );
    let acked: Mutex<Vec<u64>> = Mutex::new(vec![0; 8]);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for w in 0..8 {
            let (s, acked, stop) = (&s, &acked, &stop);
            scope.spawn(move || {
                for n in 1..=100_000u64 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let body = format!(r#"{{"custom":{{"n":{n}}}}}"#);
                    let mut stream = match std::net::TcpStream::connect(&s.addr) {
                        Ok(c) => c,
                        Err(_) => break,
                    };
                    let req = format!(
                        "PATCH {U}/w{w} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        s.addr,
                        body.len()
                    );
                    use std::io::{Read, Write};
                    if stream.write_all(req.as_bytes()).is_err() {
                        break;
                    }
                    let mut out = Vec::new();
                    let _ = stream.read_to_end(&mut out);
                    if !out.starts_with(b"HTTP/1.1 200") {
                        break; // killed: this one was not acknowledged
                    }
                    acked.lock().unwrap()[w] = n;
                }
            });
        }
        // Let them write, then kill the server under their feet.
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while acked.lock().unwrap().iter().sum::<u64>() < 1500 && std::time::Instant::now() < until
        {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let pid = s.pid().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status();
        stop.store(true, Ordering::SeqCst);
    });
    drop(s);
    let acked = acked.into_inner().unwrap();
    assert!(acked.iter().sum::<u64>() >= 1500, "{acked:?}");
    let s = Server::start(&args);
    for (w, n) in acked.iter().enumerate() {
        let v = s.get(&format!("{U}/w{w}?{INC}")).json();
        let stored = v["data"]["custom"]["n"].as_u64().unwrap_or(0);
        assert!(stored >= *n, "w{w}: acknowledged {n}, stored {stored}");
    }
    // Every acknowledged change has its event: a subscriber from before catches up on all.
    let mut cursor = t0.to_string();
    let mut last = [0u64; 8];
    loop {
        let v = s
            .get(&format!(
                "/v2/subscribe/sk/{}/0?tt={cursor}",
                users.join(",")
            ))
            .json();
        assert!(v.get("truncated").is_none(), "nothing was dropped");
        let m = v["m"].as_array().unwrap().clone();
        if m.is_empty() {
            break;
        }
        for e in &m {
            let w: usize = e["c"].as_str().unwrap()[1..].parse().unwrap();
            let n = e["d"]["data"]["custom"]["n"].as_u64().unwrap();
            assert_eq!(n, last[w] + 1, "w{w}: events in order, none missing");
            last[w] = n;
        }
        cursor = v["t"]["t"].as_str().unwrap().to_string();
    }
    for (w, n) in acked.iter().enumerate() {
        assert!(
            last[w] >= *n,
            "w{w}: events up to {} of {n} acknowledged",
            last[w]
        );
    }
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}
