//! Hostile input for everything in ferrochat-core that reads text it did not write: the
//! JSON reader and the reply decoders (bodies from a server), the filter language, sort
//! keys and page cursors (strings from app code). In the wasm SDK a panic aborts the
//! module for every later call, so each of these must return an error, never panic.
//!
//! Inputs are seed documents mutated by a deterministic generator (same inputs on every
//! run; a failure prints the seed, iteration and input). The JSON reader is also checked
//! against `serde_json` as a reference: the same documents are accepted and rejected, and
//! accepted ones decode to the same value.
//!
//! More iterations: `FERROCHAT_FUZZ_ITERS=200000 cargo test -p ferrochat-core --test
//! hostile_input --release`; another stream of inputs: `FERROCHAT_FUZZ_SEED=<n>`.

use ferrochat_core::decode;
use ferrochat_core::filter::{parse_decimal, Filter};
use ferrochat_core::json::{self, std_number, Value};
use ferrochat_core::model::{Custom, Scalar, StrField};
use ferrochat_core::page::decode_cursor;
use ferrochat_core::{SortKey, User};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Fragments that steer mutations towards the grammar's edges.
const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\\",
    "\\u",
    "\\ud83d",
    "\\ude00",
    "\\ud800",
    "\\u00",
    "\\n",
    "\\x",
    "-",
    "+",
    ".",
    "e",
    "E",
    "0",
    "00",
    "1e400",
    "-0",
    "1.",
    ".5",
    "1e",
    "9007199254740993",
    "123456789012345678901234567890",
    "true",
    "null",
    "nul",
    "fals",
    " ",
    "\t",
    "\n",
    "\u{0}",
    "\u{1f}",
    "é",
    "😀",
    "\u{2028}",
    "\"data\"",
    "\"custom\"",
    "\"id\"",
    "\"totalCount\"",
    "\"m\"",
    "\"d\"",
    "\"t\"",
    "[[[[[[[[",
    "]]]]",
    "{\"a\":{\"b\":",
];

const FILTER_TOKENS: &[&str] = &[
    "(", ")", "!", "&&", "||", "==", "!=", "<", ">", "<=", ">=", " LIKE ", " like ", "'", "\"",
    "\\", "*", "\\*", "custom.", "custom[", "]", "[\"", "\"]", "id", "name", "updated", "true",
    "false", "null", "1e", "-", ".", "1e999", "0.1", " ", "é", "😀", "\u{0}", "((((((((", "))))",
];

fn mutate(rng: &mut Rng, seed: &str, tokens: &[&str], others: &[&str]) -> Vec<u8> {
    let mut b = seed.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(7) {
            0 if !b.is_empty() => {
                // delete a short run
                let end = (at + 1 + rng.below(8)).min(b.len());
                b.drain(at.min(end)..end);
            }
            1 => {
                let t = rng.pick(tokens).as_bytes();
                b.splice(at..at, t.iter().copied());
            }
            2 if at < b.len() => b[at] = rng.next() as u8,
            3 => b.truncate(at),
            4 if !b.is_empty() => {
                // duplicate a run (nests, repeats keys)
                let start = rng.below(b.len());
                let end = (start + 1 + rng.below(32)).min(b.len());
                let run = b[start..end].to_vec();
                b.splice(at..at, run);
            }
            5 => {
                // splice in part of another seed
                let o = rng.pick(others).as_bytes();
                let start = rng.below(o.len());
                let end = (start + rng.below(40)).min(o.len());
                b.splice(at..at, o[start..end].iter().copied());
            }
            _ => {
                let t = rng.pick(tokens).as_bytes();
                if let (Some(slot), Some(&c)) = (b.get_mut(at), t.first()) {
                    *slot = c;
                }
            }
        }
    }
    b
}

/// Runs `body` on `input`, turning a panic into a test failure that shows the input.
fn no_panic(what: &str, seed: u64, i: u64, input: &[u8], body: impl FnOnce()) {
    if catch_unwind(AssertUnwindSafe(body)).is_err() {
        panic!(
            "{what} failed (FERROCHAT_FUZZ_SEED={seed}, iteration {i}) on input {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

const JSON_SEEDS: &[&str] = &[
    r#"{"status":200,"data":{"id":"ann","name":"Ann \"A\" \u00e9\ud83d\ude00","externalId":null,"profileUrl":"https://x/y","email":"a@x","custom":{"n":0.30000000000000004,"b":false,"s":"\\/\n","big":1e300,"neg":-0},"status":"active","type":"admin","updated":"2024-01-01T00:00:00.000000Z","eTag":"AbC"}}"#,
    r#"{"status":200,"data":[{"id":"a","name":"A","custom":{"k":1}},{"id":"b","custom":null,"updated":"x","eTag":"y"}],"next":"MTAw","prev":"","totalCount":2}"#,
    r#"{"t":{"t":"17000000000000000","r":12},"m":[{"a":"2","f":0,"e":2,"i":"srv","p":{"t":"17000000000000001","r":12},"k":"demo","c":"ann","d":{"source":"objects","version":"2.0","event":"set","type":"uuid","data":{"id":"ann","name":"Ann","custom":{"x":"y","n":2.5},"updated":"2024","eTag":"E"}}},{"e":2,"p":{"t":"17000000000000002"},"c":"bob","d":{"source":"objects","event":"delete","type":"uuid","data":{"id":"bob"}}},{"e":0,"c":"ch","d":"hello"}]}"#,
    r#"{"status":403,"error":{"message":"Forbidden","source":"objects"},"service":"Access Manager"}"#,
    r#"[1,-2.5e-7,1E+2,0,-0,true,false,null,"",[],{},[[{}]],{"":{"":""}},"\u0000\u001f\u2028"]"#,
    "  \n\t{ \"a\" : [ 1 , 2 ] , \"a\" : \"last wins\" }\r\n ",
];

/// How deeply brackets nest in `text` (outside strings or not: an upper bound is enough).
fn bracket_depth(text: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text {
        match b {
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Whether our value equals serde_json's (objects: same distinct keys, last one wins).
fn same(ours: &Value, theirs: &serde_json::Value) -> bool {
    use serde_json::Value as S;
    match (ours, theirs) {
        (Value::Null, S::Null) => true,
        (Value::Bool(a), S::Bool(b)) => a == b,
        (Value::Num(a), S::Number(b)) => b.as_f64() == Some(*a),
        (Value::Str(a), S::String(b)) => a == b,
        (Value::Arr(a), S::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Obj(a), S::Object(b)) => {
            let mut keys: Vec<&str> = a.iter().map(|(k, _)| k.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            keys.len() == b.len()
                && b.iter()
                    .all(|(k, v)| ours.get(k).is_some_and(|mine| same(mine, v)))
        }
        _ => false,
    }
}

/// Where serde_json knowingly differs from `JSON.parse`, which is what the SDK follows:
/// lone surrogate escapes (JS keeps them; we read U+FFFD, serde_json refuses) and numbers
/// beyond f64 (JS reads Infinity, serde_json refuses).
fn reference_differs_by_design(text: &str, err: &serde_json::Error) -> bool {
    let surrogate_escape = text.as_bytes().windows(4).any(|w| {
        w[0] == b'\\'
            && w[1] == b'u'
            && w[2].eq_ignore_ascii_case(&b'd')
            && matches!(w[3].to_ascii_lowercase(), b'8'..=b'9' | b'a'..=b'f')
    });
    surrogate_escape || err.to_string().contains("out of range")
}

fn check_json(seed: u64, i: u64, input: &[u8]) {
    let Ok(text) = std::str::from_utf8(input) else {
        return; // the SDK refuses bodies that are not UTF-8 before reading them
    };
    no_panic("json::parse", seed, i, input, || {
        let ours = json::parse_std(text);
        if bracket_depth(input) >= 60 {
            return; // our depth limit (64) is below serde_json's (128)
        }
        match (&ours, serde_json::from_str::<serde_json::Value>(text)) {
            (Ok(a), Ok(b)) => assert!(
                same(a, &b),
                "json::parse disagrees with serde_json on {text:?}: {a:?} vs {b}"
            ),
            (Err(_), Err(_)) => {}
            (Ok(a), Err(e)) => assert!(
                reference_differs_by_design(text, &e),
                "json::parse accepted what serde_json refuses ({e}) in {text:?}: {a:?}"
            ),
            (Err(e), Ok(b)) => {
                panic!("json::parse refused ({e}) what serde_json accepts in {text:?}: {b}")
            }
        }
    });
    no_panic("decode::user_reply", seed, i, input, || {
        if let Ok(u) = decode::user_reply(text, std_number) {
            assert!(!u.id.is_empty() || text.contains("\"id\""));
        }
    });
    no_panic("decode::page", seed, i, input, || {
        let _ = decode::page(text, std_number);
    });
    no_panic("decode::events", seed, i, input, || {
        if let Ok(v) = json::parse_std(text) {
            let _ = decode::cursor(&v);
            let _ = decode::error_message(&v);
            let _ = decode::events(v);
        }
    });
    no_panic("json::Reader::skip", seed, i, input, || {
        let mut r = json::Reader::new(text, std_number);
        if r.skip().is_ok() {
            let _ = r.end();
        }
    });
}

#[test]
fn json_reader_and_decoders_survive_mutated_replies_and_agree_with_serde_json() {
    let seed = env("FERROCHAT_FUZZ_SEED", 0x5EED_F00D);
    let iters = env("FERROCHAT_FUZZ_ITERS", 4_000);
    let mut rng = Rng(seed | 1);
    for s in JSON_SEEDS {
        check_json(seed, 0, s.as_bytes());
    }
    for i in 0..iters {
        for s in JSON_SEEDS {
            let input = mutate(&mut rng, s, JSON_TOKENS, JSON_SEEDS);
            check_json(seed, i, &input);
        }
    }
}

#[test]
fn deep_and_long_documents_are_errors_not_stack_overflows() {
    for n in [63, 64, 65, 1_000, 100_000] {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let text = format!("{}1{}", open.repeat(n), close.repeat(n));
            let parsed = json::parse_std(&text);
            assert_eq!(parsed.is_ok(), n <= 64, "depth {n} of {open}");
            let wrapped = format!("{{\"data\":{{\"id\":\"a\",\"x\":{text}}}}}");
            let _ = decode::user_reply(&wrapped, std_number);
            let mut r = json::Reader::new(&text, std_number);
            let _ = r.skip();
        }
    }
    let long = format!("\"{}\"", "\\u00e9".repeat(200_000));
    assert_eq!(
        json::parse_std(&long)
            .ok()
            .and_then(|v| v.as_str().map(|s| s.chars().count())),
        Some(200_000)
    );
}

fn sample_users() -> Vec<User> {
    let mut a = User::new("ann");
    a.set(StrField::Name, Some("Ann*".into()));
    a.set(StrField::Email, Some("ann@x".into()));
    a.custom = Some(Custom(vec![
        ("age".into(), Scalar::Num(30.0)),
        ("x y".into(), Scalar::Str("it's \"q\"".into())),
        ("ok".into(), Scalar::Bool(true)),
    ]));
    a.updated = "2024-01-01T00:00:00.000000Z".into();
    let mut b = User::new("😀");
    b.set(StrField::Status, Some("deleted".into()));
    vec![a, b, User::new("")]
}

const FILTER_SEEDS: &[&str] = &[
    "name == 'Ann*' && (custom.age >= 18 || !(status == \"deleted\"))",
    "id LIKE 'a\\*n*' || email != null",
    "custom[\"x y\"] == 'it\\'s \"q\"' && custom.ok == true",
    "updated > '2023-12-31' && custom.age < 1.5e2 && type == null",
    "((((id == 'a'))))",
    "!!!name LIKE '*'",
];

#[test]
fn filter_language_survives_mutated_filters() {
    let seed = env("FERROCHAT_FUZZ_SEED", 0x5EED_F00D);
    let iters = env("FERROCHAT_FUZZ_ITERS", 4_000);
    let mut rng = Rng(seed.rotate_left(17) | 1);
    let users = sample_users();
    for i in 0..iters {
        for s in FILTER_SEEDS {
            let input = mutate(&mut rng, s, FILTER_TOKENS, FILTER_SEEDS);
            let text = String::from_utf8_lossy(&input);
            no_panic(
                "Filter::parse / matches",
                seed,
                i,
                &input,
                || match Filter::parse(&text) {
                    Ok(f) => {
                        for u in &users {
                            let _ = f.matches(u);
                        }
                    }
                    Err(e) => assert!(!e.to_string().is_empty()),
                },
            );
            no_panic("parse_decimal", seed, i, &input, || {
                let _ = parse_decimal(&text);
            });
        }
    }
    // Deep nesting is an error, not a stack overflow.
    for n in [100, 10_000] {
        let deep = format!("{}id == 'a'{}", "(".repeat(n), ")".repeat(n));
        no_panic("Filter::parse (deep)", seed, 0, deep.as_bytes(), || {
            let _ = Filter::parse(&deep);
        });
        let nots = format!("{}id == 'a'", "!".repeat(n));
        no_panic("Filter::parse (nots)", seed, 0, nots.as_bytes(), || {
            let _ = Filter::parse(&nots);
        });
    }
}

/// A random decimal literal of the filter grammar: leading zeros, long mantissas, and
/// exponents with leading zeros, from far below to far above f64's range.
fn decimal_literal(rng: &mut Rng) -> String {
    let digits = |rng: &mut Rng, n: usize| -> String {
        (0..n)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect()
    };
    let mut t = String::new();
    if rng.below(3) == 0 {
        t.push('-');
    }
    let zeros = "0".repeat(rng.below(4));
    let n = 1 + rng.below(22);
    t += &format!("{zeros}{}", digits(rng, n));
    if rng.below(2) == 0 {
        let n = 1 + rng.below(22);
        t += &format!(".{}", digits(rng, n));
    }
    if rng.below(2) == 0 {
        t.push(*rng.pick(&['e', 'E']));
        t += *rng.pick(&["", "+", "-"]);
        let zeros = "0".repeat(rng.below(8));
        let magnitude = rng.below(420);
        t += &format!("{zeros}{magnitude}");
    }
    t
}

#[test]
fn filter_numbers_agree_with_rusts_float_parser() {
    let seed = env("FERROCHAT_FUZZ_SEED", 0x5EED_F00D);
    let iters = env("FERROCHAT_FUZZ_ITERS", 4_000);
    let mut rng = Rng(seed.rotate_left(41) | 1);
    for i in 0..iters * 4 {
        let t = decimal_literal(&mut rng);
        let want: f64 = t.parse().expect("the generator writes valid literals");
        let got = parse_decimal(&t);
        // Exact in the common range (see parse_decimal); a few ulps elsewhere, and
        // subnormal results only need the right sign and scale.
        let ok = got.is_some_and(|got| {
            got == want
                || (want.abs() >= f64::MIN_POSITIVE && (got - want).abs() <= want.abs() * 1e-14)
                || (want.abs() < f64::MIN_POSITIVE
                    && got.abs() < f64::MIN_POSITIVE
                    && got.is_sign_negative() == want.is_sign_negative())
        });
        assert!(
            ok,
            "parse_decimal({t:?}) = {got:?}, Rust reads {want} (FERROCHAT_FUZZ_SEED={seed}, iteration {i})"
        );
        if want.is_finite() {
            assert!(Filter::parse(&format!("custom.n == {t}")).is_ok(), "{t}");
        }
    }
}

#[test]
fn sort_keys_and_cursors_survive_random_strings() {
    let seed = env("FERROCHAT_FUZZ_SEED", 0x5EED_F00D);
    let iters = env("FERROCHAT_FUZZ_ITERS", 4_000);
    let mut rng = Rng(seed.rotate_left(29) | 1);
    let seeds = [
        "name:desc",
        "updated:asc",
        "id",
        "MTAw",
        "MA==",
        "OTk5OTk5OTk5OTk5OTk5OTk5",
    ];
    let tokens = [
        ":", "=", "+", "/", "asc", "desc", "é", "A", "9", "", "\u{0}",
    ];
    for i in 0..iters * 4 {
        let start = *rng.pick(&seeds);
        let input = mutate(&mut rng, start, &tokens, &seeds);
        let text = String::from_utf8_lossy(&input);
        no_panic("SortKey::parse", seed, i, &input, || {
            let _ = SortKey::parse(&text);
        });
        no_panic("decode_cursor", seed, i, &input, || {
            let _ = decode_cursor(&text);
        });
    }
}
