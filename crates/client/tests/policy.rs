//! The request policy over the network: retries and their limits, `Retry-After`, timeouts,
//! signing, and the subscribe loop's reconnects and catch-up.

mod sim;

use ferrochat_client::{Kind, Outcome, Payload};
use ferrochat_core::patch::{Patch, UserPatch};
use ferrochat_core::{ChatError, StrField};
use sim::{named, snap, Fault, World};
use std::cell::Cell;
use std::rc::Rc;

/// Fails the first `n` objects requests with `fault`.
fn first(n: usize, fault: Fault) -> Box<dyn FnMut(&sim::Seen) -> Fault> {
    let left = Rc::new(Cell::new(n));
    Box::new(move |s| {
        if s.is_objects() && left.get() > 0 {
            left.set(left.get() - 1);
            fault.clone()
        } else {
            Fault::None
        }
    })
}

#[test]
fn five_hundreds_and_resets_are_retried_with_backoff_then_succeed() {
    let mut w = World::network(1);
    let a = w.join("ann");
    w.sim.fault = first(2, Fault::Status(503, None));
    let t0 = w.now;
    assert!(w
        .call(a, |c, t, now| c.get_user("ann".into(), t, now))
        .is_ok());
    assert!(w.now - t0 >= 500.0, "waited before retrying");
    w.sim.fault = first(3, Fault::Fail);
    assert!(w
        .call(a, |c, t, now| c.get_user("ann".into(), t, now))
        .is_ok());
}

#[test]
fn retries_stop_after_four_attempts_with_the_last_error() {
    let mut w = World::network(2);
    let a = w.join("ann");
    w.sim.seen.clear();
    w.sim.fault = first(100, Fault::Status(500, None));
    let e = w
        .call(a, |c, t, now| c.get_user("ann".into(), t, now))
        .unwrap_err();
    assert_eq!(e.code(), "HTTP_500");
    assert_eq!(w.objects_requests().len(), 4);
    w.sim.fault = first(100, Fault::Fail);
    assert_eq!(
        w.call(a, |c, t, now| c.get_user("ann".into(), t, now))
            .unwrap_err()
            .code(),
        "NETWORK"
    );
}

#[test]
fn retry_after_is_honoured() {
    let mut w = World::network(3);
    let a = w.join("ann");
    w.sim.fault = first(1, Fault::Status(429, Some(3)));
    let t0 = w.now;
    assert!(w
        .call(a, |c, t, now| c.get_user("ann".into(), t, now))
        .is_ok());
    assert!(w.now - t0 >= 3_000.0);
}

#[test]
fn an_unanswered_request_times_out_and_is_aborted() {
    let mut w = World::network(4);
    let a = w.join("ann");
    w.sim.fault = first(100, Fault::Blackhole);
    let t0 = w.now;
    let e = w
        .call(a, |c, t, now| c.get_user("ann".into(), t, now))
        .unwrap_err();
    assert_eq!(e, ChatError::Timeout);
    assert!(w.now - t0 >= 15_000.0);
    assert_eq!(w.in_flight(a), 0, "every timed-out attempt was aborted");
}

#[test]
fn signed_requests_carry_a_valid_v2_signature() {
    let mut w = World::network(5);
    w.sim.secret = Some("sec-c-test".into());
    let a = w.join("ann");
    let u = w.create(a, "bob", "Bob");
    w.listen(a, Kind::Stream, &[&u], 1);
    w.run(100.0);
    w.call(a, |c, t, now| {
        c.update_user("bob".into(), named("B2"), None, t, now)
    })
    .unwrap();
    w.until(2_000.0, |w| !w.nodes[a].calls.is_empty());
    assert_eq!(w.nodes[a].calls.len(), 1);
    assert!(w
        .sim
        .seen
        .iter()
        .all(|s| s.param("signature").is_some_and(|v| v.starts_with("v2."))));
    // The server refuses a wrong secret: the signature is checked, not just present.
    w.sim.secret = Some("other".into());
    assert_eq!(
        w.call(a, |c, t, now| c.get_user("bob".into(), t, now))
            .unwrap_err()
            .code(),
        "HTTP_403"
    );
}

#[test]
fn the_stream_reconnects_after_a_restart_without_losing_or_repeating_events() {
    let mut w = World::network(6);
    let a = w.join("ann");
    let b = w.join("bob");
    let u = World::user(w.call(a, |c, t, now| c.get_user("bob".into(), t, now)));
    w.listen(a, Kind::Stream, &[&u], 1);
    w.run(100.0);
    for i in 0..30 {
        let p = UserPatch::default().with(StrField::Email, Patch::Set(format!("{i}@x.io")));
        w.call(b, |c, t, now| c.update_user("bob".into(), p, None, t, now))
            .unwrap();
        if i % 7 == 3 {
            w.restart_server();
        }
        if i % 11 == 5 {
            w.sim.fault = first(1, Fault::Status(502, None));
        }
    }
    w.heal();
    w.run(120_000.0);
    let seen: Vec<String> = w.nodes[a]
        .calls
        .iter()
        .map(|(_, p)| match p {
            Payload::User(u) => u.get(StrField::Email).unwrap_or("").to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    let expected: Vec<String> = (0..30).map(|i| format!("{i}@x.io")).collect();
    assert_eq!(seen, expected, "every change once, in order");
}

#[test]
fn a_truncated_reply_makes_the_stream_reread_and_converge() {
    let mut w = World::network(7);
    w.sim.window = 20;
    let a = w.join("ann");
    let b = w.join("bob");
    let u = World::user(w.call(a, |c, t, now| c.get_user("bob".into(), t, now)));
    w.listen(a, Kind::List, &[&u], 1);
    w.run(100.0);
    // A's poll is cut off while 60 changes happen: the window keeps 20.
    w.sim.fault = Box::new(|s| {
        if s.is_subscribe() && s.param("uuid") == Some("ann") {
            Fault::Blackhole
        } else {
            Fault::None
        }
    });
    w.restart_server();
    for i in 0..60 {
        let p = UserPatch::default().with(StrField::Email, Patch::Set(format!("{i}@x.io")));
        w.call(b, |c, t, now| c.update_user("bob".into(), p, None, t, now))
            .unwrap();
    }
    w.heal();
    w.run(120_000.0);
    let last = w.nodes[a].calls.last().expect("calls");
    let Payload::List { changed, .. } = &last.1 else {
        panic!()
    };
    assert_eq!(
        changed[0].1.get(StrField::Email),
        Some("59@x.io"),
        "the last callback is the server's state"
    );
    assert_eq!(changed[0].1.etag, w.sim.store.get("bob").unwrap().etag);
}

#[test]
fn a_full_reply_without_the_flag_also_triggers_a_reread() {
    let mut w = World::network(8);
    w.sim.window = 150;
    w.sim.flags_truncation = false; // as the PubNub network: no flag, only a full reply
    let a = w.join("ann");
    let ids: Vec<String> = (0..3).map(|i| format!("u{i}")).collect();
    let mut snaps = Vec::new();
    for id in &ids {
        snaps.push(snap(&World::user(w.call(a, |c, t, now| {
            c.create_user(id.clone(), named(id), t, now)
        }))));
    }
    let now = w.time();
    w.nodes[a]
        .client
        .listen(Kind::List, &snaps, 1, now)
        .unwrap();
    w.run(100.0);
    w.cut_subscribes();
    let wall = w.time().wall;
    for i in 0..400 {
        let p = UserPatch::default().with(StrField::Email, Patch::Set(format!("{i}@x.io")));
        w.sim.set(&ids[i % 3], &p, wall + i as f64);
    }
    w.heal();
    let before = w.sim.seen.len();
    w.run(120_000.0);
    let rereads = w.sim.seen[before..]
        .iter()
        .filter(|s| {
            s.path.ends_with("/uuids") && s.param("filter").is_some_and(|f| f.contains("||"))
        })
        .count();
    assert!(rereads >= 1, "re-read after a full reply");
    let Some((_, Payload::List { .. })) = w.nodes[a].calls.last() else {
        panic!()
    };
    let _ = Outcome::Ready;
}

#[test]
fn a_full_reply_then_silence_rereads_after_the_grace_not_the_hold() {
    let mut w = World::network(9);
    w.sim.flags_truncation = false;
    w.sim.hold_ms = 60_000.0;
    let a = w.join("ann");
    let u = w.create(a, "bob", "Bob");
    w.listen(a, Kind::Stream, &[&u], 1);
    w.run(100.0);
    w.cut_subscribes();
    let wall = w.time().wall;
    for i in 0..100 {
        let p = UserPatch::default().with(StrField::Email, Patch::Set(format!("{i}@x.io")));
        w.sim.set("bob", &p, wall + i as f64);
    }
    w.heal();
    // The reconnect gets exactly 100 messages (full), then nothing more comes.
    w.until(30_000.0, |w| {
        w.sim.seen.iter().filter(|s| s.is_subscribe()).count() >= 3
    });
    let full_at = w.now;
    let reads_before = w
        .sim
        .seen
        .iter()
        .filter(|s| s.param("filter").is_some_and(|f| f.starts_with("id == ")))
        .count();
    w.run(3_000.0);
    let reads = w
        .sim
        .seen
        .iter()
        .filter(|s| s.param("filter").is_some_and(|f| f.starts_with("id == ")))
        .count();
    assert!(
        reads > reads_before,
        "re-read within the 2 s grace after {full_at}, not the 60 s hold"
    );
}

#[test]
fn logs_say_what_failed_and_what_happens_next_and_nothing_when_off() {
    use ferrochat_client::config::LogLevel;
    let mut w = World::network(21);
    let quiet = w.join("quiet");
    let mut raw = w.raw("ann");
    raw.log_level = Some(LogLevel::Debug);
    let a = w.add(raw);
    assert_eq!(w.call(a, |c, t, now| c.init(t, now)), Ok(Outcome::Ready));
    let bob = w.create(a, "bob", "Bob");
    w.listen(a, Kind::Stream, &[&bob], 1);
    w.listen(quiet, Kind::Stream, &[&bob], 2);
    w.run(1_000.0);
    // A retried read.
    w.sim.fault = first(1, Fault::Status(503, None));
    assert!(w
        .call(a, |c, t, now| c.get_user("bob".into(), t, now))
        .is_ok());
    // The subscribe loop loses its server, then gets it back.
    w.sim.fault = Box::new(|s| {
        if s.is_subscribe() {
            Fault::Status(502, None)
        } else {
            Fault::None
        }
    });
    w.restart_server();
    w.run(3_000.0);
    w.heal();
    w.run(40_000.0);
    let logs: Vec<String> = w.nodes[a]
        .logs
        .iter()
        .map(|(l, m)| format!("{l:?} {m}"))
        .collect();
    let has = |pattern: &str| logs.iter().any(|l| l.contains(pattern));
    assert!(has("Debug subscribed to 2 channels"), "{logs:#?}");
    assert!(
        has("Info GET /v2/objects/sub/uuids/bob failed (HTTP 503"),
        "{logs:#?}"
    );
    assert!(has("attempt 2 in"), "{logs:#?}");
    assert!(has("Warn subscribe failed (HTTP 502"), "{logs:#?}");
    assert!(has("reconnecting in"), "{logs:#?}");
    assert!(has("Info subscribe reconnected after"), "{logs:#?}");
    assert!(
        w.nodes[quiet].logs.is_empty(),
        "off by default: {:?}",
        w.nodes[quiet].logs
    );
}
