//! Protocol text shared by the network backend and ferrochat-server: PubNub's percent
//! encoding, query strings, request paths and the v2 string-to-sign (protocol.md §1, §7).

/// PubNub's `encodeString`: `encodeURIComponent` plus `! ~ * ' ( )`, so only
/// `A-Z a-z 0-9 - _ .` stay as they are; UTF-8 bytes become uppercase `%XX`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
    out
}

/// Insertion sort: linear on sorted input (channel lists arrive sorted), fine for the few
/// query parameters, and far smaller in wasm than another `slice::sort` instantiation.
fn insertion_sort<T>(v: &mut [T], less: impl Fn(&T, &T) -> bool) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && less(&v[j], &v[j - 1]) {
            v.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// `key=encode(value)` pairs joined with `&`, in the given order (keys are not encoded).
pub fn query_string(pairs: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

/// The v2 string-to-sign: `METHOD\npubKey\npath\nsortedQuery\n` plus the body for POST and
/// PATCH. Paths starting with `/publish` are signed as `GET`. `query` must already hold
/// `timestamp` and not `signature`; it is sorted here (by key, then value).
pub fn string_to_sign(
    method: &str,
    publish_key: &str,
    path: &str,
    query: &[(&str, String)],
    body: Option<&str>,
) -> String {
    let mut sorted: Vec<&(&str, String)> = query.iter().collect();
    insertion_sort(&mut sorted, |a, b| (a.0, &a.1) < (b.0, &b.1));
    let method = if path.starts_with("/publish") {
        "GET"
    } else {
        method
    };
    let owned: Vec<(&str, String)> = sorted.iter().map(|(k, v)| (*k, v.clone())).collect();
    let mut s = format!(
        "{method}\n{publish_key}\n{path}\n{}\n",
        query_string(&owned)
    );
    if matches!(method, "POST" | "PATCH") {
        s.push_str(body.unwrap_or(""));
    }
    s
}

/// Turns standard base64 of an HMAC into a v2 signature: `v2.` + URL-safe, unpadded.
pub fn v2_signature(standard_base64: &str) -> String {
    let body: String = standard_base64
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    format!("v2.{body}")
}

/// `/v2/objects/{sub}/uuids/{id}`.
pub fn uuid_path(sub_key: &str, id: &str) -> String {
    format!("/v2/objects/{}/uuids/{}", encode(sub_key), encode(id))
}

/// `/v2/objects/{sub}/uuids`.
pub fn uuids_path(sub_key: &str) -> String {
    format!("/v2/objects/{}/uuids", encode(sub_key))
}

/// `/v2/subscribe/{sub}/{channels}/0`, channels sorted, encoded and joined with `,`.
pub fn subscribe_path<'a>(sub_key: &str, channels: impl IntoIterator<Item = &'a str>) -> String {
    format!(
        "/v2/subscribe/{}/{}/0",
        encode(sub_key),
        channel_list(channels)
    )
}

/// `/v2/presence/sub-key/{sub}/channel/{channels}/leave`.
pub fn leave_path<'a>(sub_key: &str, channels: impl IntoIterator<Item = &'a str>) -> String {
    format!(
        "/v2/presence/sub-key/{}/channel/{}/leave",
        encode(sub_key),
        channel_list(channels)
    )
}

fn channel_list<'a>(channels: impl IntoIterator<Item = &'a str>) -> String {
    let mut v: Vec<&str> = channels.into_iter().collect();
    insertion_sort(&mut v, |a, b| a < b);
    v.dedup();
    let list: Vec<String> = v.into_iter().map(encode).collect();
    if list.is_empty() {
        ",".to_string()
    } else {
        list.join(",")
    }
}

/// Standard base64 with padding (for HMAC digests).
pub fn base64(bytes: &[u8]) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Parses a 17-digit timetoken (or any decimal u64); `None` for anything else.
pub fn parse_timetoken(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_matches_the_js_sdk() {
        assert_eq!(encode("otherUUID#1"), "otherUUID%231");
        assert_eq!(encode("a b!~*'()"), "a%20b%21%7E%2A%27%28%29");
        assert_eq!(encode("é"), "%C3%A9");
        assert_eq!(encode("A-z_0.9"), "A-z_0.9");
        assert_eq!(
            query_string(&[("include", "status,type,custom".into())]),
            "include=status%2Ctype%2Ccustom"
        );
    }

    #[test]
    fn strings_to_sign_match_protocol_vectors() {
        let q = [
            ("uuid", "myUUID".to_string()),
            ("pnsdk", "PubNub-JS-Nodejs/suchJavascript".to_string()),
            ("timestamp", "1317427200".to_string()),
            ("channel", "ch1".to_string()),
        ];
        assert_eq!(
            string_to_sign("GET", "myPublishKey", "/v2/auth/audit/sub-key/mySubscribeKey", &q, None),
            "GET\nmyPublishKey\n/v2/auth/audit/sub-key/mySubscribeKey\nchannel=ch1&pnsdk=PubNub-JS-Nodejs%2FsuchJavascript&timestamp=1317427200&uuid=myUUID\n"
        );
        let q = [
            ("include", "status,type,custom".to_string()),
            ("uuid", "myUUID".to_string()),
            ("pnsdk", "PubNub-JS-Nodejs/suchJavascript".to_string()),
            ("timestamp", "1317427200".to_string()),
        ];
        assert_eq!(
            string_to_sign("PATCH", "myPublishKey", "/v2/objects/mySubKey/uuids/myUUID", &q, Some("{\"name\":\"Ann\"}")),
            "PATCH\nmyPublishKey\n/v2/objects/mySubKey/uuids/myUUID\ninclude=status%2Ctype%2Ccustom&pnsdk=PubNub-JS-Nodejs%2FsuchJavascript&timestamp=1317427200&uuid=myUUID\n{\"name\":\"Ann\"}"
        );
        assert!(
            string_to_sign("POST", "k", "/publish/k/s/0/ch/0", &[], Some("b")).starts_with("GET\n")
        );
        assert_eq!(v2_signature("I7AF+/x=="), "v2.I7AF-_x");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"M"), "TQ==");
    }

    #[test]
    fn paths() {
        assert_eq!(uuid_path("sub", "a b"), "/v2/objects/sub/uuids/a%20b");
        assert_eq!(
            subscribe_path("s", ["b", "a,", "b"]),
            "/v2/subscribe/s/a%2C,b/0"
        );
        assert_eq!(subscribe_path("s", []), "/v2/subscribe/s/,/0");
        assert_eq!(
            parse_timetoken("17113796871100314"),
            Some(17_113_796_871_100_314)
        );
        assert_eq!(parse_timetoken("-1"), None);
    }
}
