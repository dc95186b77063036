//! A barrage of malformed requests and concurrent writers: the server answers every one
//! with a 4xx (never a crash or a hang) and keeps answering correctly afterwards.

mod common;

use common::{enc, Server};
use flate2::write::ZlibEncoder;
use flate2::Compression;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const U: &str = "/v2/objects/sk/uuids";

/// method, target, headers, body
type Case = (
    &'static str,
    String,
    Vec<(&'static str, &'static str)>,
    Vec<u8>,
);

#[test]
fn malformed_requests_get_4xx_and_the_server_survives() {
    let mut s = Server::start(&["--subscribe-timeout", "1"]);
    s.patch(&format!("{U}/keep"), r#"{"name":"Keep"}"#);

    // Well-formed HTTP, bad content: each must be a 4xx with a JSON body.
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_filter = enc(&format!(
        "{}name == 'x'{}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    ));
    let not_filter = enc(&"!".repeat(5_000));
    let mut bomb = ZlibEncoder::new(Vec::new(), Compression::best());
    bomb.write_all(&vec![b' '; 5_000_000]).unwrap();
    let bomb = bomb.finish().unwrap();
    let cases: Vec<Case> = vec![
        (
            "PATCH",
            format!("{U}/x"),
            vec![],
            deep_json.clone().into_bytes(),
        ),
        ("PATCH", format!("{U}/x"), vec![], b"\xff\xfe\x00".to_vec()),
        (
            "PATCH",
            format!("{U}/x"),
            vec![],
            br#"{"custom":{"n":1e400}}"#.to_vec(),
        ),
        (
            "PATCH",
            format!("{U}/x"),
            vec![],
            br#"{"name":"a\ud800"}"#.to_vec(),
        ),
        ("PATCH", format!("{U}/x"), vec![], b"null".to_vec()),
        (
            "PATCH",
            format!("{U}/x"),
            vec![("Content-Encoding", "deflate")],
            bomb,
        ),
        (
            "PATCH",
            format!("{U}/x"),
            vec![("Content-Encoding", "deflate")],
            b"not deflate".to_vec(),
        ),
        (
            "PATCH",
            format!("{U}/x"),
            vec![("Content-Encoding", "br")],
            b"{}".to_vec(),
        ),
        (
            "PATCH",
            format!("{U}/x"),
            vec![("If-Match", "é")],
            b"{}".to_vec(),
        ),
        ("GET", format!("{U}?filter={deep_filter}"), vec![], vec![]),
        ("GET", format!("{U}?filter={not_filter}"), vec![], vec![]),
        ("GET", format!("{U}?filter=%FF"), vec![], vec![]),
        (
            "GET",
            format!("{U}?limit=99999999999999999999999"),
            vec![],
            vec![],
        ),
        (
            "GET",
            format!("{U}?start={}", "A".repeat(5000)),
            vec![],
            vec![],
        ),
        ("GET", format!("{U}/{}", "%".repeat(3)), vec![], vec![]),
        ("GET", format!("{U}/"), vec![], vec![]),
        ("DELETE", format!("{U}/a%2Fb%5C"), vec![], vec![]),
        (
            "GET",
            "/v2/subscribe/sk/ch/0?tt=1.5".to_string(),
            vec![],
            vec![],
        ),
        (
            "GET",
            format!("/v2/subscribe/sk/{}/0", enc(&"c".repeat(300))),
            vec![],
            vec![],
        ),
        (
            "GET",
            "/publish/pk/sk/0/ch/0/%7B%7B".to_string(),
            vec![],
            vec![],
        ),
        (
            "GET",
            "/publish/pk/sk/0/ch/0/1/extra".to_string(),
            vec![],
            vec![],
        ),
        ("POST", "/publish/pk/sk/0/ch/0".to_string(), vec![], vec![]),
        ("PUT", format!("{U}/x"), vec![], b"{}".to_vec()),
        (
            "GET",
            "/v2/presence/sub-key/sk/channel/%FF/leave".to_string(),
            vec![],
            vec![],
        ),
        ("GET", "/../../etc/passwd".to_string(), vec![], vec![]),
    ];
    for (method, target, headers, body) in &cases {
        let r = s.request(method, target, headers, body);
        let shown = format!("{} {:?}", &target[..target.len().min(80)], headers);
        assert!(
            (400..500).contains(&r.status),
            "{method} {shown}: {} {}",
            r.status,
            r.text()
        );
        assert!(
            serde_json::from_slice::<serde_json::Value>(&r.body).is_ok(),
            "{method} {shown}: {} not JSON: {}",
            r.status,
            r.text()
        );
        assert!(s.alive(), "server died on {method} {shown}");
    }

    // Broken HTTP: garbage, truncated bodies, half-open connections, huge headers.
    let raw_cases: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02garbage\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        format!(
            "PATCH {U}/x HTTP/1.1\r\nHost: a\r\nIf-Match: \x7f\r\nContent-Length: 2\r\n\r\n{{}}"
        )
        .into_bytes(),
        b"GET /time/0 HTTP/9.9\r\n\r\n".to_vec(),
        format!("PATCH {U}/x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n{{\"na")
            .into_bytes(),
        format!("PATCH {U}/x HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n{{}}").into_bytes(),
        format!("PATCH {U}/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n")
            .into_bytes(),
        format!(
            "GET /time/0 HTTP/1.1\r\nHost: a\r\nX-Big: {}\r\n\r\n",
            "h".repeat(200_000)
        )
        .into_bytes(),
    ];
    for raw in &raw_cases {
        let mut stream = TcpStream::connect(&s.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = stream.write_all(raw);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out);
        assert!(s.alive());
    }
    // A client that connects and sends nothing does not block others.
    let _idle = TcpStream::connect(&s.addr).unwrap();

    // Still correct afterwards.
    let r = s.get(&format!("{U}/keep"));
    assert_eq!(
        (r.status, r.json()["data"]["name"].as_str()),
        (200, Some("Keep"))
    );
    let count = s.get(&format!("{U}?count=true")).json()["totalCount"].as_u64();
    assert_eq!(count, Some(1), "no malformed request stored anything");
    let r = s.patch(
        &format!("{U}/after?include=custom"),
        r#"{"name":"After","custom":{"a":1}}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(s.get("/time/0").status, 200);
}

#[test]
fn concurrent_writers_and_pollers_are_consistent() {
    let s = Server::start(&["--subscribe-timeout", "2"]);
    let t0 = s.get("/v2/subscribe/sk/shared/0").json()["t"]["t"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::scope(|scope| {
        for w in 0..6 {
            let s = &s;
            scope.spawn(move || {
                for i in 0..25 {
                    let body = format!(r#"{{"name":"w{w} i{i}","custom":{{"w":{w},"i":{i}}}}}"#);
                    let r = s.patch(&format!("{U}/u-{w}-{i}?include=custom"), &body);
                    assert_eq!(r.status, 200, "{}", r.text());
                    let r = s.patch(
                        &format!("{U}/shared?include=custom"),
                        &format!(r#"{{"name":"w{w} i{i}"}}"#),
                    );
                    assert_eq!(r.status, 200, "{}", r.text());
                }
            });
        }
        for _ in 0..3 {
            let s = &s;
            let t0 = t0.clone();
            scope.spawn(move || {
                let r = s.get(&format!("/v2/subscribe/sk/shared/0?tt={t0}"));
                assert_eq!(r.status, 200);
            });
        }
    });
    let v = s.get(&format!("{U}?count=true&limit=0")).json();
    assert_eq!(v["totalCount"], 151);
    // Every change to `shared` produced exactly one event, in strictly increasing order.
    let mut cursor = t0;
    let mut seen = Vec::new();
    loop {
        let v = s
            .get(&format!("/v2/subscribe/sk/shared/0?tt={cursor}"))
            .json();
        let m = v["m"].as_array().unwrap().clone();
        if m.is_empty() {
            break;
        }
        for e in &m {
            seen.push(e["p"]["t"].as_str().unwrap().parse::<u64>().unwrap());
        }
        cursor = v["t"]["t"].as_str().unwrap().to_string();
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    // 150 writes, some of which may have set the same name as before (no event then).
    assert!(seen.len() > 100 && seen.len() <= 150, "{}", seen.len());
}
