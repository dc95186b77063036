//! Bulk delete and archive over a virtual clock: pacing, the concurrency window, progress
//! per user, failures by id, the every-user guard, and abort.

mod sim;

use ferrochat_client::{BulkOptions, BulkReport, BulkTarget, Outcome};
use ferrochat_core::patch::{Patch, UserPatch};
use ferrochat_core::{ChatError, StrField};
use sim::World;

fn seed_users(w: &mut World, n: usize, prefix: &str) -> usize {
    let a = w.join("admin");
    for i in 0..n {
        let p = UserPatch::default().with(StrField::Name, Patch::Set(format!("{prefix} {i}")));
        w.call(a, |c, t, now| {
            c.create_user(format!("{prefix}{i}"), p, t, now)
        })
        .unwrap();
    }
    a
}

fn report(r: Result<Outcome, ChatError>) -> BulkReport {
    match r {
        Ok(Outcome::Bulk(b)) => b,
        other => panic!("{other:?}"),
    }
}

#[test]
fn deletes_are_paced_windowed_and_reported_per_user() {
    for embedded in [false, true] {
        let mut w = World::new(1, embedded);
        w.latency = 30.0;
        let a = seed_users(&mut w, 50, "b");
        let ids: Vec<String> = (0..50).map(|i| format!("b{i}")).collect();
        let opts = BulkOptions {
            rate: 20.0,
            concurrency: 3,
            on_progress: Some(7),
            ..BulkOptions::default()
        };
        let t0 = w.now;
        w.nodes[a].peak_in_flight = 0;
        let r = report(w.call(a, |c, t, now| {
            c.delete_users(BulkTarget::Ids(ids.clone()), opts, t, now);
        }));
        assert_eq!(r.deleted.len(), 50);
        assert!(r.failed.is_empty() && !r.aborted);
        assert!(w.now - t0 >= 49.0 * 1000.0 / 20.0, "paced to 20 users/s");
        if !embedded {
            assert!(
                w.nodes[a].peak_in_flight <= 3,
                "window of 3: {}",
                w.nodes[a].peak_in_flight
            );
        }
        let progress = &w.nodes[a].progress;
        assert_eq!(progress.len(), 50, "progress after every user");
        assert_eq!(progress.last().unwrap().1.done, 50);
    }
}

#[test]
fn a_filter_that_selects_everyone_is_refused_unless_allowed() {
    let mut w = World::network(2);
    let a = seed_users(&mut w, 5, "f");
    let everyone = BulkTarget::Filter("id LIKE '*'".into());
    let r = w.call(a, |c, t, now| {
        c.delete_users(everyone.clone(), BulkOptions::default(), t, now);
    });
    assert_eq!(r, Err(ChatError::RefusedAllUsers));
    let some = BulkTarget::Filter("name LIKE 'f *'".into());
    let r = report(w.call(a, |c, t, now| {
        c.delete_users(
            some,
            BulkOptions {
                rate: 1000.0,
                soft: true,
                ..BulkOptions::default()
            },
            t,
            now,
        );
    }));
    assert_eq!(r.deleted.len(), 5);
    assert_eq!(
        w.sim.store.get("f0").unwrap().get(StrField::Status),
        Some("deleted"),
        "archived"
    );
}

#[test]
fn failures_are_reported_by_id_and_the_rest_goes_on() {
    let mut w = World::network(3);
    let a = seed_users(&mut w, 4, "x");
    w.sim.fault = Box::new(|s| {
        if s.path.ends_with("/x2") {
            sim::Fault::Status(403, None)
        } else {
            sim::Fault::None
        }
    });
    let ids: Vec<String> = (0..4).map(|i| format!("x{i}")).collect();
    let r = report(w.call(a, |c, t, now| {
        c.delete_users(BulkTarget::Ids(ids), BulkOptions::default(), t, now);
    }));
    assert_eq!(r.deleted.len(), 3);
    assert_eq!(r.failed.len(), 1);
    assert_eq!(
        (r.failed[0].0.as_str(), r.failed[0].1.code()),
        ("x2", "HTTP_403".to_string())
    );
}

#[test]
fn abort_stops_starting_and_reports_what_was_done() {
    let mut w = World::network(4);
    let a = seed_users(&mut w, 30, "y");
    let ids: Vec<String> = (0..30).map(|i| format!("y{i}")).collect();
    let t = w.token();
    let now = w.time();
    let key = w.nodes[a].client.delete_users(
        BulkTarget::Ids(ids),
        BulkOptions {
            rate: 10.0,
            ..BulkOptions::default()
        },
        t,
        now,
    );
    w.run(1_050.0);
    let now = w.time();
    w.nodes[a].client.abort(key, now);
    w.until(5_000.0, |w| w.nodes[a].settled.contains_key(&t));
    let r = report(w.nodes[a].settled.remove(&t).unwrap());
    assert!(r.aborted);
    assert!((10..=13).contains(&r.deleted.len()), "{}", r.deleted.len());
    assert_eq!(w.sim.store.len(), 1 + 30 - r.deleted.len());
}

#[test]
fn started_aborted_it_settles_at_once_with_nothing_done() {
    for embedded in [false, true] {
        let mut w = World::new(6, embedded);
        let a = seed_users(&mut w, 5, "s");
        let ids = BulkTarget::Ids((0..5).map(|i| format!("s{i}")).collect());
        let by_filter = BulkTarget::Filter("name LIKE 's *'".into());
        for target in [ids, by_filter] {
            let opts = BulkOptions {
                aborted: true,
                ..BulkOptions::default()
            };
            let r = report(w.call(a, |c, t, now| {
                c.delete_users(target, opts, t, now);
            }));
            assert!(r.aborted && r.deleted.is_empty() && r.failed.is_empty());
            for i in 0..5 {
                let got = w.call(a, |c, t, now| c.get_user(format!("s{i}"), t, now));
                assert!(
                    matches!(got, Ok(Outcome::MaybeUser(Some(_)))),
                    "s{i} is still there (embedded: {embedded})"
                );
            }
        }
    }
}

#[test]
fn many_embedded_deletes_need_no_stack() {
    let mut w = World::embedded(5);
    let a = seed_users(&mut w, 3_000, "z");
    let ids: Vec<String> = (0..3_000).map(|i| format!("z{i}")).collect();
    let r = report(w.call(a, |c, t, now| {
        c.delete_users(
            BulkTarget::Ids(ids),
            BulkOptions {
                rate: 1e9,
                concurrency: 64,
                ..BulkOptions::default()
            },
            t,
            now,
        );
    }));
    assert_eq!(r.deleted.len(), 3_000);
}
