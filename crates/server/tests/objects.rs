//! App Context user endpoints over real HTTP: get / set / remove / get-all, If-Match.

mod common;

use common::{enc, Server};
use serde_json::{json, Value};

const U: &str = "/v2/objects/sub-key/uuids";
const INC: &str = "include=status%2Ctype%2Ccustom";

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn set_get_remove_with_patch_semantics() {
    let s = Server::start(&[]);
    // Upsert creates; standard fields come back as explicit nulls, in the service's order.
    let r = s.patch(
        &format!("{U}/user%231?{INC}&uuid=admin"),
        r#"{"name":"Ann","email":"ann@example.com","custom":{"team":"red","n":1,"ok":true},"unknownKey":5}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.header("access-control-allow-origin"),
        None,
        "no Origin, no CORS headers"
    );
    let created = r.json();
    let d = &created["data"];
    assert_eq!(created["status"], 200);
    assert_eq!(d["id"], "user#1");
    assert_eq!(d["name"], "Ann");
    assert_eq!(d["externalId"], Value::Null);
    assert_eq!(d["custom"], json!({"team":"red","n":1,"ok":true}));
    assert!(d.get("unknownKey").is_none());
    let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "name",
            "externalId",
            "profileUrl",
            "email",
            "type",
            "status",
            "custom",
            "updated",
            "eTag"
        ]
    );
    let etag1 = d["eTag"].as_str().unwrap().to_string();
    assert_eq!(etag1.len(), 32);
    assert!(d["updated"].as_str().unwrap().ends_with('Z'));

    // GET: custom only when included.
    let r = s.get(&format!("{U}/user%231?include=status,type"));
    assert_eq!(r.status, 200);
    assert!(r.json()["data"].get("custom").is_none());
    let r = s.get(&format!("{U}/user%231?include=custom"));
    assert_eq!(r.json()["data"]["custom"]["team"], "red");

    // Absent key keeps, null clears, custom is replaced whole.
    let r = s.patch(
        &format!("{U}/user%231?{INC}"),
        r#"{"email":null,"status":"active","custom":{"only":"this"}}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let d = r.json()["data"].clone();
    assert_eq!(d["name"], "Ann");
    assert_eq!(d["email"], Value::Null);
    assert_eq!(d["status"], "active");
    assert_eq!(d["custom"], json!({"only":"this"}));
    assert_ne!(d["eTag"].as_str().unwrap(), etag1);
    assert!(d["updated"].as_str().unwrap() > created["data"]["updated"].as_str().unwrap());

    // Same data: unchanged eTag (nothing changed).
    let etag2 = d["eTag"].as_str().unwrap().to_string();
    let r = s.patch(&format!("{U}/user%231?{INC}"), r#"{"status":"active"}"#);
    assert_eq!(r.json()["data"]["eTag"], etag2.as_str());

    // Remove: 200 data null, then 404, and remove is idempotent.
    let r = s.delete(&format!("{U}/user%231?uuid=admin"));
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"status":200,"data":null}))
    );
    let r = s.get(&format!("{U}/user%231"));
    assert_eq!(r.status, 404);
    let body = r.json();
    assert_eq!(body["status"], 404);
    assert_eq!(body["error"]["message"], "Requested object was not found.");
    assert_eq!(body["error"]["source"], "objects");
    let r = s.delete(&format!("{U}/user%231"));
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"status":200,"data":null}))
    );
}

#[test]
fn if_match_gives_412_on_stale_etag() {
    let s = Server::start(&[]);
    let r = s.patch(&format!("{U}/u1?{INC}"), r#"{"name":"A"}"#);
    let etag = r.json()["data"]["eTag"].as_str().unwrap().to_string();
    let r = s.request(
        "PATCH",
        &format!("{U}/u1?{INC}"),
        &[
            ("Content-Type", "application/json"),
            ("If-Match", "stale-etag"),
        ],
        br#"{"name":"B"}"#,
    );
    assert_eq!(r.status, 412);
    assert_eq!(
        r.json(),
        json!({"status":412,"error":{"message":"User to update has been modified after it was read.","source":"objects"}})
    );
    assert_eq!(s.get(&format!("{U}/u1")).json()["data"]["name"], "A");
    let r = s.request(
        "PATCH",
        &format!("{U}/u1?{INC}"),
        &[("Content-Type", "application/json"), ("If-Match", &etag)],
        br#"{"name":"B"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["data"]["name"], "B");
    // If-Match on a missing user is 412 too.
    let r = s.request(
        "PATCH",
        &format!("{U}/ghost"),
        &[("If-Match", &etag)],
        br#"{"name":"G"}"#,
    );
    assert_eq!(r.status, 412);
    assert_eq!(s.get(&format!("{U}/ghost")).status, 404);
}

#[test]
fn get_all_filter_sort_paging_count() {
    let s = Server::start(&[]);
    for i in 0..25 {
        let team = if i % 2 == 0 { "even" } else { "odd" };
        let body =
            json!({"name": format!("User {i:02}"), "status": team, "custom": {"rank": 100 - i}});
        let r = s.patch(&format!("{U}/u{i:02}?{INC}"), &body.to_string());
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // Defaults: limit 100, no totalCount, no cursors, no custom unless included.
    let r = s.get(U);
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["data"].as_array().unwrap().len(), 25);
    assert!(v.get("totalCount").is_none() && v.get("next").is_none() && v.get("prev").is_none());
    assert!(v["data"][0].get("custom").is_none());

    // Filter + count (case-insensitive) + sort desc.
    let filter = enc(r#"status == "even" && name LIKE 'User 1*'"#);
    let v = s
        .get(&format!(
            "{U}?count=True&filter={filter}&sort=name%3Adesc&include=custom"
        ))
        .json();
    assert_eq!(v["totalCount"], 5);
    assert_eq!(ids(&v), ["u18", "u16", "u14", "u12", "u10"]);
    assert_eq!(v["data"][0]["custom"]["rank"], 82);

    // Custom field filter.
    let v = s
        .get(&format!("{U}?filter={}", enc("custom.rank >= 98")))
        .json();
    assert_eq!(ids(&v), ["u00", "u01", "u02"]);

    // Sort repeated vs comma-joined give the same order.
    let a = ids(&s
        .get(&format!("{U}?sort=status%3Adesc&sort=id%3Adesc"))
        .json());
    let b = ids(&s
        .get(&format!("{U}?sort={}", enc("status:desc,id:desc")))
        .json());
    assert_eq!(a, b);
    assert_eq!(a[0], "u23");
    assert_eq!(a[24], "u00");

    // Paging forward with next, back with prev.
    let p1 = s.get(&format!("{U}?limit=10&sort=id&count=true")).json();
    assert_eq!(ids(&p1).len(), 10);
    assert_eq!(p1["totalCount"], 25);
    assert!(p1.get("prev").is_none());
    let next = p1["next"].as_str().unwrap().to_string();
    assert_eq!(next, "MTA");
    let p2 = s.get(&format!("{U}?limit=10&sort=id&start={next}")).json();
    assert_eq!(ids(&p2)[0], "u10");
    assert_eq!(p2["prev"], "MTA");
    let p3 = s
        .get(&format!(
            "{U}?limit=10&sort=id&start={}",
            p2["next"].as_str().unwrap()
        ))
        .json();
    assert_eq!(ids(&p3).len(), 5);
    assert!(p3.get("next").is_none());
    let back = s
        .get(&format!(
            "{U}?limit=10&sort=id&end={}",
            p3["prev"].as_str().unwrap()
        ))
        .json();
    assert_eq!(ids(&back), ids(&p2));
    // `start` wins over `end`.
    let both = s
        .get(&format!("{U}?limit=10&sort=id&start=MTA&end=MjA"))
        .json();
    assert_eq!(ids(&both), ids(&p2));
}

#[test]
fn get_all_rejects_bad_parameters() {
    let s = Server::start(&[]);
    s.patch(&format!("{U}/a"), r#"{"name":"A"}"#);
    for (query, location) in [
        (format!("filter={}", enc("name LIKE")), "filter"),
        (format!("filter={}", enc("name ~= 'x'")), "filter"),
        (format!("filter={}", enc(&"(".repeat(500))), "filter"),
        ("sort=bogus".to_string(), "sort"),
        ("sort=name%3Asideways".to_string(), "sort"),
        ("limit=101".to_string(), "limit"),
        ("limit=-1".to_string(), "limit"),
        ("limit=ten".to_string(), "limit"),
        ("start=%21%21%21".to_string(), "start"),
        ("end=bm90LWEtbnVtYmVy".to_string(), "end"),
        ("count=maybe".to_string(), "count"),
    ] {
        let r = s.get(&format!("{U}?{query}"));
        assert_eq!(r.status, 400, "{query}: {}", r.text());
        let v = r.json();
        assert_eq!(v["status"], 400, "{query}");
        assert_eq!(v["error"]["source"], "objects");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(!msg.is_empty());
        assert_eq!(v["error"]["details"][0]["location"], location, "{query}");
        assert_eq!(v["error"]["details"][0]["locationType"], "query");
        assert_eq!(v["error"]["details"][0]["message"], msg);
    }
    // The filter error carries the core parser's message.
    let core_msg = ferrochat_core::Filter::parse("name LIKE")
        .unwrap_err()
        .to_string();
    let v = s.get(&format!("{U}?filter={}", enc("name LIKE"))).json();
    assert_eq!(v["error"]["message"], core_msg.as_str());
    // limit=0 is allowed and returns nothing.
    let v = s.get(&format!("{U}?limit=0&count=true")).json();
    assert_eq!(
        (
            v["data"].as_array().unwrap().len(),
            v["totalCount"].as_u64()
        ),
        (0, Some(1))
    );
}

#[test]
fn bad_bodies_and_ids_are_400_in_the_objects_shape() {
    let s = Server::start(&[]);
    let cases: Vec<(String, Vec<u8>)> = vec![
        (format!("{U}/u1"), b"{not json".to_vec()),
        (format!("{U}/u1"), br#"{"name":5}"#.to_vec()),
        (format!("{U}/u1"), br#"{"email":["a"]}"#.to_vec()),
        (format!("{U}/u1"), br#"{"custom":{"a":{"b":1}}}"#.to_vec()),
        (format!("{U}/u1"), br#"{"custom":{"a":[1,2]}}"#.to_vec()),
        (format!("{U}/u1"), br#"{"custom":[1]}"#.to_vec()),
        (format!("{U}/u1"), br#""just a string""#.to_vec()),
        (format!("{U}/u1"), br#"{"name":"   "}"#.to_vec()),
        (
            format!("{U}/u1"),
            format!(r#"{{"status":"{}"}}"#, "s".repeat(51)).into_bytes(),
        ),
        (
            format!("{U}/u1"),
            format!(r#"{{"custom":{{"big":"{}"}}}}"#, "x".repeat(32_700)).into_bytes(),
        ),
        (format!("{U}/{}", enc("a,b")), br#"{"name":"x"}"#.to_vec()),
        (
            format!("{U}/{}", "x".repeat(93)),
            br#"{"name":"x"}"#.to_vec(),
        ),
        (format!("{U}/a%0Ab"), br#"{"name":"x"}"#.to_vec()),
        (format!("{U}/%FF%FE"), br#"{"name":"x"}"#.to_vec()),
    ];
    for (path, body) in cases {
        let r = s.request(
            "PATCH",
            &path,
            &[("Content-Type", "application/json")],
            &body,
        );
        assert_eq!(
            r.status,
            400,
            "{path} {}: {}",
            String::from_utf8_lossy(&body[..body.len().min(60)]),
            r.text()
        );
        let v = r.json();
        assert_eq!(v["status"], 400);
        assert_eq!(v["error"]["source"], "objects");
        assert!(
            v["error"]["details"][0]["message"].as_str().is_some(),
            "{}",
            r.text()
        );
    }
    let v = s.patch(&format!("{U}/u1"), r#"{"name":5}"#).json();
    assert_eq!(
        v["error"]["message"],
        "Request payload contained invalid input."
    );
    assert_eq!(v["error"]["details"][0]["location"], "name");
    assert_eq!(v["error"]["details"][0]["locationType"], "body");
    // Over 32 KiB: 413.
    let big = format!(r#"{{"name":"{}"}}"#, "n".repeat(40_000));
    let r = s.patch(&format!("{U}/u1"), &big);
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.json()["status"], 413);
    // Nothing was stored by any of that.
    assert_eq!(s.get(&format!("{U}?count=true")).json()["totalCount"], 0);
}

#[test]
fn cors_preflight_and_unknown_routes() {
    let s = Server::start(&[]);
    let origin = ("Origin", "http://localhost:5173");
    let r = s.request(
        "OPTIONS",
        &format!("{U}/u1"),
        &[
            origin,
            ("Access-Control-Request-Method", "PATCH"),
            ("Access-Control-Request-Headers", "content-type,if-match"),
        ],
        b"",
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert_eq!(r.header("vary"), Some("Origin"));
    assert!(r
        .header("access-control-allow-methods")
        .unwrap()
        .contains("PATCH"));
    assert!(r
        .header("access-control-allow-headers")
        .unwrap()
        .contains("if-match"));
    for path in ["/", "/nope", "/v2/objects/k/channels/x", "/v3/pam/k/grant"] {
        let r = s.request("GET", path, &[origin], b"");
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json()["status"], 404);
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some("http://localhost:5173")
        );
    }
    let r = s.request("POST", &format!("{U}/u1"), &[], b"{}");
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["status"], 405);
    assert!(s.log_text().contains("/nope"), "404s are logged");
}
