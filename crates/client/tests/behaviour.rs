//! The documented behaviour of every operation, on both backends (the same test body runs
//! against the simulated server and against the embedded store).

mod sim;

use ferrochat_client::{Kind, Outcome, Payload};
use ferrochat_core::patch::{Patch, UserPatch};
use ferrochat_core::{ChatError, ListQuery, StrField};
use sim::{named, World};

fn both(test: impl Fn(&mut World)) {
    for embedded in [false, true] {
        let mut w = World::new(7, embedded);
        test(&mut w);
    }
}

#[test]
fn init_creates_the_signed_in_user_named_after_its_id() {
    both(|w| {
        let a = w.join("ann");
        assert_eq!(
            w.nodes[a].client.current_user().get(StrField::Name),
            Some("ann")
        );
        let again = w.join("ann");
        assert_eq!(
            w.nodes[again].client.current_user().get(StrField::Name),
            Some("ann")
        );
    });
}

#[test]
fn create_get_update_delete_restore() {
    both(|w| {
        let a = w.join("ann");
        let u = w.create(a, "bob", "Bob");
        assert_eq!(u.get(StrField::Name), Some("Bob"));
        assert_eq!(
            w.call(a, |c, t, now| c.create_user(
                "bob".into(),
                named("X"),
                t,
                now
            )),
            Err(ChatError::UserExists)
        );
        let got = World::user(w.call(a, |c, t, now| c.get_user("bob".into(), t, now)));
        assert_eq!(got, u);
        assert_eq!(
            w.call(a, |c, t, now| c.get_user("nobody".into(), t, now)),
            Ok(Outcome::MaybeUser(None))
        );
        let patch = named("Robert").with(StrField::Email, Patch::Set("b@x.io".into()));
        let v = World::user(w.call(a, |c, t, now| {
            c.update_user("bob".into(), patch, None, t, now)
        }));
        assert_eq!(
            (v.get(StrField::Name), v.get(StrField::Email)),
            (Some("Robert"), Some("b@x.io"))
        );
        assert_eq!(
            w.call(a, |c, t, now| c.update_user(
                "nobody".into(),
                named("N"),
                None,
                t,
                now
            )),
            Err(ChatError::UserNotFound)
        );
        let soft = World::user(w.call(a, |c, t, now| c.delete_user("bob".into(), true, t, now)));
        assert_eq!(soft.get(StrField::Status), Some("deleted"));
        assert_eq!(
            soft.get(StrField::Email),
            Some("b@x.io"),
            "a soft delete keeps the fields"
        );
        let back = World::user(w.call(a, |c, t, now| c.restore_user("bob".into(), t, now)));
        assert_eq!(back.get(StrField::Status), None);
        let same = World::user(w.call(a, |c, t, now| c.restore_user("bob".into(), t, now)));
        assert_eq!(
            same.etag, back.etag,
            "restoring a user who is not deleted changes nothing"
        );
        assert_eq!(
            w.call(a, |c, t, now| c.delete_user("bob".into(), false, t, now)),
            Ok(Outcome::True)
        );
        assert_eq!(
            w.call(a, |c, t, now| c.delete_user("bob".into(), false, t, now)),
            Ok(Outcome::True),
            "idempotent"
        );
        assert_eq!(
            w.call(a, |c, t, now| c.restore_user("bob".into(), t, now)),
            Err(ChatError::UserNotFound)
        );
    });
}

#[test]
fn lists_pages_and_lookups() {
    both(|w| {
        let a = w.join("ann");
        for i in 0..5 {
            let p =
                named(&format!("User {i}")).with(StrField::Email, Patch::Set(format!("u{i}@x.io")));
            w.call(a, |c, t, now| c.create_user(format!("u{i}"), p, t, now))
                .unwrap();
        }
        let q = ListQuery {
            filter: Some(ferrochat_core::Filter::parse("name LIKE 'User*'").unwrap()),
            limit: 2,
            ..ListQuery::default()
        };
        let Ok(Outcome::Page(page)) = w.call(a, |c, t, now| {
            c.get_users(q, Some("name LIKE 'User*'".into()), t, now)
        }) else {
            panic!("no page")
        };
        assert_eq!(page.total, 5);
        assert!(page.next.is_some());
        let found = World::user(w.call(a, |c, t, now| c.find_user("email", "u3@x.io", t, now)));
        assert_eq!(found.id, "u3");
        assert_eq!(
            w.call(a, |c, t, now| c.find_user("email", "O'Brien*", t, now)),
            Ok(Outcome::MaybeUser(None))
        );
    });
}

#[test]
fn a_stream_delivers_each_change_merged_once() {
    both(|w| {
        let a = w.join("ann");
        let u = w.create(a, "bob", "Bob");
        let l = w.listen(a, Kind::Stream, &[&u], 1);
        w.run(50.0);
        let patch = UserPatch::default().with(StrField::Email, Patch::Set("b@x.io".into()));
        w.call(a, |c, t, now| {
            c.update_user("bob".into(), patch, None, t, now)
        })
        .unwrap();
        w.until(1_000.0, |w| !w.nodes[a].calls.is_empty());
        w.run(500.0);
        let calls = std::mem::take(&mut w.nodes[a].calls);
        assert_eq!(calls.len(), 1, "{calls:?}");
        let Payload::User(got) = &calls[0].1 else {
            panic!()
        };
        assert_eq!(
            (got.get(StrField::Name), got.get(StrField::Email)),
            (Some("Bob"), Some("b@x.io"))
        );
        let now = w.time();
        w.nodes[a].client.unlisten(l, now);
        w.nodes[a].client.unlisten(l, now);
        w.call(a, |c, t, now| {
            c.update_user("bob".into(), named("B2"), None, t, now)
        })
        .unwrap();
        w.run(500.0);
        assert!(w.nodes[a].calls.is_empty(), "stopped");
    });
}

#[test]
fn a_change_made_right_after_the_stream_starts_is_delivered() {
    both(|w| {
        let a = w.join("ann");
        let u = w.create(a, "bob", "Bob");
        w.listen(a, Kind::Stream, &[&u], 1);
        // Before anything is pumped: the write races the handshake and the seed read.
        let wall = w.time().wall;
        w.sim.set("bob", &named("Fast"), wall);
        let hub = w.hub.clone();
        if w.embedded {
            let _ = hub.borrow_mut().set(
                "bob",
                &named("Fast"),
                ferrochat_core::store::SetMode::Update,
                wall,
            );
        }
        w.until(2_000.0, |w| !w.nodes[a].calls.is_empty());
        let Payload::User(got) = &w.nodes[a].calls[0].1 else {
            panic!()
        };
        assert_eq!(got.get(StrField::Name), Some("Fast"));
    });
}

#[test]
fn errors_of_every_kind_reject_and_the_client_goes_on() {
    let mut w = World::network(3);
    let a = w.join("ann");
    w.sim.fault = Box::new(|s| {
        if s.path.ends_with("/uuids/teapot") {
            sim::Fault::Status(418, None)
        } else {
            sim::Fault::None
        }
    });
    let e = w
        .call(a, |c, t, now| c.get_user("teapot".into(), t, now))
        .unwrap_err();
    assert_eq!(e.code(), "HTTP_418");
    w.sim.fault = Box::new(|s| {
        if s.is_objects() {
            sim::Fault::Status(200, None)
        } else {
            sim::Fault::None
        }
    });
    let e = w
        .call(a, |c, t, now| c.get_user("x".into(), t, now))
        .unwrap_err();
    assert_eq!(e.code(), "MALFORMED_RESPONSE");
    w.sim.fault = Box::new(|_| sim::Fault::None);
    assert!(w
        .call(a, |c, t, now| c.get_user("ann".into(), t, now))
        .is_ok());
}

#[test]
fn destroy_rejects_later_calls_and_ends_everything() {
    both(|w| {
        let a = w.join("ann");
        let u = World::user(w.call(a, |c, t, now| c.get_user("ann".into(), t, now)));
        w.listen(a, Kind::Stream, &[&u], 1);
        w.run(100.0);
        let now = w.time();
        w.nodes[a].client.destroy(now);
        w.nodes[a].client.destroy(now);
        assert_eq!(
            w.call(a, |c, t, now| c.get_user("ann".into(), t, now)),
            Err(ChatError::Destroyed)
        );
        w.run(1_000.0);
        assert!(w.nodes[a].client.is_idle(), "nothing left running");
        assert_eq!(w.in_flight(a), 0);
    });
}

#[test]
fn on_deleted_reports_soft_and_hard_deletes_and_ends_with_the_hard_one() {
    both(|w| {
        let a = w.join("ann");
        let b = w.join("bob");
        let u = w.create(a, "carl", "Carl");
        w.listen(a, Kind::Deleted, &[&u], 4);
        w.run(50.0);
        w.call(b, |c, t, now| c.delete_user("carl".into(), true, t, now))
            .unwrap();
        w.call(b, |c, t, now| c.delete_user("carl".into(), false, t, now))
            .unwrap();
        w.until(2_000.0, |w| w.nodes[a].calls.len() >= 2);
        let calls: Vec<Payload> = w.nodes[a].calls.iter().map(|(_, p)| p.clone()).collect();
        assert_eq!(
            calls,
            vec![
                Payload::Deleted {
                    id: "carl".into(),
                    soft: true
                },
                Payload::Deleted {
                    id: "carl".into(),
                    soft: false
                },
            ],
            "embedded: {}",
            w.embedded
        );
        assert_eq!(
            w.nodes[a].client.channel_count(),
            usize::from(w.embedded),
            "the hard delete ended it"
        );
    });
}
