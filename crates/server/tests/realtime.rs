//! Subscribe v2, publish, presence and time over real HTTP: handshake, long-poll,
//! App Context events, catch-up, many channels.

mod common;

use common::{enc, Server};
use flate2::write::ZlibEncoder;
use flate2::Compression;
use serde_json::{json, Value};
use std::io::Write;
use std::time::{Duration, Instant};

const U: &str = "/v2/objects/sk/uuids";
const INC: &str = "include=status%2Ctype%2Ccustom";

fn sub_path(channels: &[&str]) -> String {
    let list: Vec<String> = channels.iter().map(|c| enc(c)).collect();
    format!("/v2/subscribe/sk/{}/0", list.join(","))
}

fn handshake(s: &Server, channels: &[&str]) -> String {
    let r = s.get(&format!("{}?uuid=me&ee=", sub_path(channels)));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=\"UTF-8\"")
    );
    let v = r.json();
    assert_eq!(v["m"], json!([]));
    let tt = v["t"]["t"].as_str().expect("t.t is a string").to_string();
    assert_eq!(tt.len(), 17, "{tt}");
    assert!(v["t"]["r"].as_u64().unwrap() >= 1);
    tt
}

fn poll(s: &Server, channels: &[&str], tt: &str) -> Value {
    let r = s.get(&format!("{}?tt={tt}&tr=1&uuid=me", sub_path(channels)));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=\"UTF-8\"")
    );
    assert!(!r.text().contains("\"e\":0"), "never e:0: {}", r.text());
    r.json()
}

fn check_envelope(m: &Value, channel: &str) {
    assert_eq!(m["c"], channel);
    assert_eq!(m["k"], "sk");
    assert!(m["a"].is_string());
    assert!(m.get("b").is_none(), "b must be absent: {m}");
    let pt = m["p"]["t"].as_str().expect("p.t string");
    assert_eq!(pt.len(), 17);
    assert!(m["p"]["r"].as_u64().unwrap() >= 1);
}

#[test]
fn handshake_is_immediate_and_an_empty_poll_echoes_the_cursor() {
    let s = Server::start(&["--subscribe-timeout", "1"]);
    let started = Instant::now();
    let t1 = handshake(&s, &["ch"]);
    let r = s.get(&format!("{}?tt=0", sub_path(&["ch"])));
    let t2 = r.json()["t"]["t"].as_str().unwrap().to_string();
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "handshakes do not wait"
    );
    assert!(t2 > t1, "cursors increase");
    let started = Instant::now();
    let v = poll(&s, &["ch"], &t2);
    let held = started.elapsed();
    assert!(
        held >= Duration::from_millis(900) && held < Duration::from_secs(5),
        "{held:?}"
    );
    assert_eq!(v, json!({"t":{"t": t2, "r": 1}, "m": []}));
    // time/0 is a bare 17-digit number, not before the last cursor.
    let r = s.get("/time/0");
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=\"UTF-8\"")
    );
    let text = r.text();
    assert!(
        text.starts_with('[') && text.ends_with(']') && text.len() == 19,
        "{text}"
    );
    assert!(text[1..18] >= *t2.as_str());
}

#[test]
fn app_context_events_are_delivered_live_and_caught_up() {
    let s = Server::start(&["--subscribe-timeout", "1"]);
    let t0 = handshake(&s, &["alice"]);
    // A long-poll waiting when the change happens returns with it.
    let waiting = {
        let addr_server = &s;
        std::thread::scope(|scope| {
            let h = scope.spawn(|| poll(addr_server, &["alice", "other"], &t0));
            std::thread::sleep(Duration::from_millis(200));
            let r = addr_server.patch(
                &format!("{U}/alice?{INC}"),
                r#"{"name":"Alice","custom":{"x":1}}"#,
            );
            assert_eq!(r.status, 200);
            h.join().unwrap()
        })
    };
    let m = &waiting["m"];
    assert_eq!(m.as_array().unwrap().len(), 1, "{waiting}");
    check_envelope(&m[0], "alice");
    assert_eq!(m[0]["e"], 2);
    assert!(m[0].get("i").is_none(), "no i on object events");
    let d = &m[0]["d"];
    assert_eq!(
        (
            d["source"].as_str(),
            d["version"].as_str(),
            d["event"].as_str(),
            d["type"].as_str()
        ),
        (Some("objects"), Some("2.0"), Some("set"), Some("uuid"))
    );
    assert_eq!(d["data"]["name"], "Alice");
    assert_eq!(d["data"]["custom"], json!({"x":1}));
    assert_eq!(
        waiting["t"]["t"], m[0]["p"]["t"],
        "t.t is the last event's timetoken"
    );
    let t1 = waiting["t"]["t"].as_str().unwrap().to_string();

    // More changes while nobody listens: a changeset, a no-op (no event), a delete.
    s.patch(
        &format!("{U}/alice?{INC}"),
        r#"{"email":"a@x.io","name":"Alice"}"#,
    );
    s.patch(&format!("{U}/alice?{INC}"), r#"{"email":"a@x.io"}"#);
    s.patch(&format!("{U}/bob?{INC}"), r#"{"name":"Bob"}"#);
    s.delete(&format!("{U}/alice"));
    s.delete(&format!("{U}/alice"));
    let v = poll(&s, &["alice"], &t1);
    let m = v["m"].as_array().unwrap();
    assert_eq!(m.len(), 2, "{v}");
    let set = &m[0]["d"]["data"];
    assert_eq!(set["email"], "a@x.io");
    assert!(
        set.get("name").is_none(),
        "unchanged fields are not in the changeset: {set}"
    );
    assert!(set["eTag"].is_string() && set["updated"].is_string() && set["id"] == "alice");
    assert_eq!(
        m[1]["d"],
        json!({"source":"objects","version":"2.0","event":"delete","type":"uuid","data":{"id":"alice"}})
    );
    assert!(m[0]["p"]["t"].as_str() < m[1]["p"]["t"].as_str());
    // From the very first cursor, all three alice events in order.
    let all = poll(&s, &["alice"], &t0);
    assert_eq!(all["m"].as_array().unwrap().len(), 3);
    // The cursor after the last event: nothing more, echo after the hold.
    let t2 = v["t"]["t"].as_str().unwrap();
    assert_eq!(
        poll(&s, &["alice"], t2),
        json!({"t":{"t": t2, "r": 1}, "m": []})
    );
    // Bob's channel has only bob's event.
    let b = poll(&s, &["bob"], &t0);
    assert_eq!(b["m"].as_array().unwrap().len(), 1);
    assert_eq!(b["m"][0]["c"], "bob");
}

#[test]
fn percent_encoded_and_many_channels() {
    let s = Server::start(&["--subscribe-timeout", "2"]);
    let t0 = handshake(&s, &["x"]);
    let odd = "user #1 (é)";
    s.patch(&format!("{U}/{}?{INC}", enc(odd)), r#"{"name":"Odd"}"#);
    let v = poll(&s, &["zzz", odd], &t0);
    assert_eq!(v["m"][0]["c"], odd);
    // 1,400 channel names of ~40 characters in one URL (about 55 KB; the `http`
    // crate caps a URI at 64 KiB, beyond which hyper answers 414).
    let mut names: Vec<String> = (0..1400)
        .map(|i| format!("channel-with-a-long-name-{i:05}-padding"))
        .collect();
    names.insert(1234, "needle".to_string());
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let path = sub_path(&refs);
    assert!(path.len() > 54_000);
    s.patch(&format!("{U}/needle?{INC}"), r#"{"name":"Needle"}"#);
    let r = s.get(&format!("{path}?tt={t0}"));
    assert_eq!(r.status, 200, "{}", &r.text()[..r.text().len().min(300)]);
    let v = r.json();
    assert_eq!(v["m"].as_array().unwrap().len(), 1);
    assert_eq!(v["m"][0]["c"], "needle");
    // Past 64 KiB: 414, and the server carries on.
    let huge: Vec<String> = (0..2000)
        .map(|i| format!("channel-with-a-long-name-{i:05}-padding"))
        .collect();
    let refs: Vec<&str> = huge.iter().map(String::as_str).collect();
    assert_eq!(s.get(&format!("{}?tt={t0}", sub_path(&refs))).status, 414);
    assert_eq!(s.get("/time/0").status, 200);
}

#[test]
fn publish_get_and_post_reach_subscribers() {
    let s = Server::start(&["--subscribe-timeout", "1"]);
    let t0 = handshake(&s, &["room"]);
    let msg = json!({"text": "hello / world", "n": 12345678901234567u64});
    let r = s.get(&format!(
        "/publish/pk/sk/0/room/0/{}?uuid=sender&meta={}&custom_message_type=chat-text",
        enc(&msg.to_string()),
        enc(r#"{"k":"v"}"#)
    ));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=\"UTF-8\"")
    );
    let sent = r.json();
    assert_eq!(
        (sent[0].clone(), sent[1].clone()),
        (json!(1), json!("Sent"))
    );
    let tt = sent[2].as_str().unwrap().to_string();
    assert_eq!(tt.len(), 17);
    // POST with a zlib-deflated body, as the JS SDK's sendByPost does.
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    z.write_all(br#"{"text":"by post"}"#).unwrap();
    let r = s.request(
        "POST",
        "/publish/pk/sk/0/room/0?uuid=poster",
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "deflate"),
        ],
        &z.finish().unwrap(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = poll(&s, &["room"], &t0);
    let m = v["m"].as_array().unwrap();
    assert_eq!(m.len(), 2, "{v}");
    check_envelope(&m[0], "room");
    assert!(m[0].get("e").is_none(), "messages carry no e");
    assert_eq!(m[0]["i"], "sender");
    assert_eq!(m[0]["p"]["t"], tt.as_str());
    assert_eq!(m[0]["u"], json!({"k":"v"}));
    assert_eq!(m[0]["cmt"], "chat-text");
    assert!(
        v.to_string().contains("12345678901234567"),
        "numbers pass through unchanged"
    );
    assert_eq!(m[0]["d"]["text"], "hello / world");
    assert_eq!(m[1]["d"], json!({"text":"by post"}));
    assert_eq!(m[1]["i"], "poster");
    // Bad publishes: array error bodies.
    for target in [
        "/publish/pk/sk/0/room/0/%7Bnot-json".to_string(),
        "/publish/pk/sk/0/room/0/1?meta=%5B1%5D".to_string(),
        "/publish/pk/sk/0/room/0/1?custom_message_type=pn_x".to_string(),
        format!("/publish/pk/sk/0/{}/0/1", enc("a,b")),
    ] {
        let r = s.get(&target);
        assert_eq!(r.status, 400, "{target}: {}", r.text());
        assert_eq!(r.json()[0], 0);
    }
    let big = format!("\"{}\"", "x".repeat(33_000));
    let r = s.request("POST", "/publish/pk/sk/0/room/0", &[], big.as_bytes());
    assert_eq!(r.status, 413);
}

#[test]
fn leave_and_heartbeat() {
    let s = Server::start(&[]);
    let r = s.get("/v2/presence/sub-key/sk/channel/a,b%20c/leave?uuid=me");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"status":200,"message":"OK","action":"leave","service":"Presence"})
    );
    let r = s.request(
        "GET",
        "/v2/presence/sub-key/sk/channel/a/heartbeat?heartbeat=300&uuid=me",
        &[("Origin", "http://127.0.0.1:8080")],
        b"",
    );
    assert_eq!(
        r.json(),
        json!({"status":200,"message":"OK","service":"Presence"})
    );
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://127.0.0.1:8080")
    );
}

#[test]
fn bad_subscribe_requests() {
    let s = Server::start(&["--subscribe-timeout", "1"]);
    for target in [
        "/v2/subscribe/sk/ch/0?tt=abc",
        "/v2/subscribe/sk/ch/0?tt=-5",
        "/v2/subscribe/sk/ch/0?tt=99999999999999999999999",
        "/v2/subscribe/sk/,/0?tt=1",
        "/v2/subscribe/sk/%FF/0",
        "/v2/subscribe/sk/a%00b/0",
    ] {
        let r = s.get(target);
        assert_eq!(r.status, 400, "{target}: {}", r.text());
        let v = r.json();
        assert_eq!(v["status"], 400);
        assert_eq!(v["error"], true);
    }
    // A cursor in the future simply waits and echoes.
    let v = poll(&s, &["ch"], "99999999999999999");
    assert_eq!(v["t"]["t"], "99999999999999999");
}
