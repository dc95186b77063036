//! Request signatures (protocol.md §7) over real HTTP, with the JS SDK's test vectors.

mod common;

use common::Server;
use ferrochat_server::signature::{sign, string_to_sign};
use std::time::{SystemTime, UNIX_EPOCH};

const VECTOR_ARGS: [&str; 6] = [
    "--secret-key",
    "mySecretKey",
    "--publish-key",
    "myPublishKey",
    "--signature-max-skew",
    "0",
];

fn assert_denied(r: &common::Resp) {
    assert_eq!(r.status, 403, "{}", r.text());
    let v = r.json();
    assert_eq!(v["status"], 403);
    assert_eq!(v["service"], "Access Manager");
    assert_eq!(v["error"]["message"], "Invalid signature");
    assert_eq!(v["error"]["details"][0]["location"], "signature");
}

#[test]
fn js_vectors_are_accepted_and_tampering_is_refused() {
    let s = Server::start(&VECTOR_ARGS);
    // The PATCH vector: a signed upsert goes through.
    let target = "/v2/objects/mySubKey/uuids/myUUID?include=status%2Ctype%2Ccustom&uuid=myUUID&pnsdk=PubNub-JS-Nodejs%2FsuchJavascript&timestamp=1317427200&signature=v2.ThBBwveKZyOF8VZGNYQOV7IGWVJRS-j1MYUfxFq6FUI";
    let r = s.request(
        "PATCH",
        target,
        &[("Content-Type", "application/json")],
        br#"{"name":"Ann"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["data"]["name"], "Ann");
    // Same signature, other body / other method / other path: refused.
    assert_denied(&s.request("PATCH", target, &[], br#"{"name":"Eve"}"#));
    assert_denied(&s.request("DELETE", target, &[], b""));
    assert_denied(&s.request(
        "PATCH",
        &target.replace("myUUID?", "other?"),
        &[],
        br#"{"name":"Ann"}"#,
    ));
    // The GET vector passes the signature check (then 404: PAM audit is not served).
    let audit = "/v2/auth/audit/sub-key/mySubscribeKey?uuid=myUUID&timestamp=1317427200&channel=ch1&pnsdk=PubNub-JS-Nodejs%2FsuchJavascript&signature=v2.I7AFqanrAAtwVfvLHyKECTWw7UcZmwbRnwENpXdGB9E";
    assert_eq!(s.get(audit).status, 404);
    assert_denied(&s.get(&audit.replace("channel=ch1", "channel=ch2")));
    assert_denied(&s.get(&audit.replace("&signature=", "&x=1&signature=")));
    // Unsigned requests are refused; /time and preflights are never signed.
    assert_denied(&s.get("/v2/objects/mySubKey/uuids/myUUID"));
    assert_denied(&s.get("/v2/subscribe/mySubKey/ch/0"));
    assert_eq!(s.get("/time/0").status, 200);
    assert_eq!(
        s.request("OPTIONS", "/v2/objects/k/uuids/x", &[], b"")
            .status,
        204
    );
}

#[test]
fn fresh_signatures_pass_and_stale_timestamps_fail() {
    let s = Server::start(&["--secret-key", "sec", "--publish-key", "pub"]);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let signed =
        |method: &str, path: &str, query: &[(&str, &str)], body: &[u8], ts: u64| -> String {
            let mut pairs: Vec<(String, String)> = query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            pairs.push(("timestamp".into(), ts.to_string()));
            common::signed_target("sec", "pub", method, path, &pairs, body)
        };
    let path = "/v2/objects/sk/uuids/u%201";
    let body = br#"{"name":"Signed"}"#;
    let q = [("uuid", "me"), ("include", "custom")];
    let r = s.request("PATCH", &signed("PATCH", path, &q, body, now), &[], body);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s.get(&signed("GET", path, &q, b"", now));
    assert_eq!(r.json()["data"]["name"], "Signed");
    // Publish is signed as GET even when POSTed (so without the body).
    let r = s.request(
        "POST",
        &signed("GET", "/publish/pub/sk/0/ch/0", &[("uuid", "me")], b"", now),
        &[],
        b"\"m\"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // Two minutes off: refused (default skew 60 s).
    assert_denied(&s.get(&signed("GET", path, &q, b"", now - 120)));
    assert_denied(&s.get(&signed("GET", path, &q, b"", now + 120)));
    // Wrong key.
    let pairs = vec![("timestamp".to_string(), now.to_string())];
    let bad = sign("other", &string_to_sign("GET", "pub", path, &pairs, b""));
    assert_denied(&s.get(&format!("{path}?timestamp={now}&signature={bad}")));
}

#[test]
fn secret_key_without_publish_key_is_refused_at_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrochat-server"))
        .args(["--listen", "127.0.0.1:0", "--secret-key", "s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--publish-key"));
}
