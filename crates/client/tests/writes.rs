//! The conditional-write policy over the network: how many requests each write costs, and
//! that an update never re-creates a user deleted meanwhile, however contended.

mod sim;

use ferrochat_client::{Outcome, CONFLICT_DEADLINE_MS};
use ferrochat_core::patch::{Patch, UserPatch};
use ferrochat_core::{ChatError, StrField};
use sim::{named, World};

#[test]
fn user_update_with_the_users_etag_is_one_conditional_patch() {
    let mut w = World::network(1);
    let a = w.join("ann");
    let u = w.create(a, "bob", "Bob");
    w.sim.seen.clear();
    let v = World::user(w.call(a, |c, t, now| {
        c.update_user("bob".into(), named("B2"), Some(u.etag.clone()), t, now)
    }));
    assert_eq!(w.objects_requests(), vec!["PATCH bob"]);
    assert_eq!(w.sim.seen[0].if_match.as_deref(), Some(u.etag.as_str()));
    assert_eq!(v.get(StrField::Name), Some("B2"));
}

#[test]
fn an_invalid_patch_is_refused_before_any_request_on_either_backend() {
    for embedded in [false, true] {
        let mut w = World::new(9, embedded);
        let a = w.join("ann");
        let u = w.create(a, "bob", "Bob");
        w.sim.seen.clear();
        let long = UserPatch::default().with(StrField::Status, Patch::Set("s".repeat(51)));
        for (patch, hint) in [
            (named(" "), Some(u.etag.clone())),
            (named(""), None),
            (long, None),
        ] {
            let r = w.call(a, |c, t, now| {
                c.update_user("bob".into(), patch, hint, t, now)
            });
            assert_eq!(r.map(|_| ()).unwrap_err().code(), "INVALID_ARGUMENT");
            let r = w.call(a, |c, t, now| {
                c.create_user("carl".into(), named(""), t, now)
            });
            assert_eq!(r.map(|_| ()).unwrap_err().code(), "INVALID_ARGUMENT");
        }
        assert_eq!(w.objects_requests(), Vec::<String>::new());
    }
}

#[test]
fn a_stale_etag_falls_back_to_read_then_patch() {
    let mut w = World::network(2);
    let a = w.join("ann");
    let u = w.create(a, "bob", "Bob");
    let wall = w.time().wall;
    w.sim.set(
        "bob",
        &UserPatch::default().with(StrField::Email, Patch::Set("e@x.io".into())),
        wall,
    );
    w.sim.seen.clear();
    let v = World::user(w.call(a, |c, t, now| {
        c.update_user("bob".into(), named("B2"), Some(u.etag.clone()), t, now)
    }));
    assert_eq!(
        w.objects_requests(),
        vec!["PATCH bob", "GET bob", "PATCH bob"]
    );
    assert!(
        w.sim
            .seen
            .iter()
            .all(|s| s.method != ferrochat_client::Method::Patch || s.if_match.is_some()),
        "only conditional writes"
    );
    assert_eq!(
        (v.get(StrField::Name), v.get(StrField::Email)),
        (Some("B2"), Some("e@x.io"))
    );
}

#[test]
fn an_update_without_etag_reads_then_patches_and_an_unchanged_one_only_reads() {
    let mut w = World::network(3);
    let a = w.join("ann");
    w.call(a, |c, t, now| {
        c.create_user("bob".into(), named("Bob"), t, now)
    })
    .unwrap();
    w.sim.seen.clear();
    w.call(a, |c, t, now| {
        c.update_user("bob".into(), named("B2"), None, t, now)
    })
    .unwrap();
    assert_eq!(w.objects_requests(), vec!["GET bob", "PATCH bob"]);
    w.sim.seen.clear();
    w.call(a, |c, t, now| {
        c.update_user("bob".into(), named("B2"), None, t, now)
    })
    .unwrap();
    assert_eq!(w.objects_requests(), vec!["GET bob"]);
}

#[test]
fn updating_a_user_deleted_meanwhile_is_not_found_and_never_recreates_it() {
    let mut w = World::network(4);
    let a = w.join("ann");
    let u = w.create(a, "bob", "Bob");
    let wall = w.time().wall;
    w.sim.remove("bob", wall);
    let r = w.call(a, |c, t, now| {
        c.update_user("bob".into(), named("B2"), Some(u.etag.clone()), t, now)
    });
    assert_eq!(r, Err(ChatError::UserNotFound));
    assert!(w.sim.store.get("bob").is_none());
    let r = w.call(a, |c, t, now| c.delete_user("bob".into(), true, t, now));
    assert_eq!(
        r,
        Err(ChatError::UserNotFound),
        "a soft delete is an update too"
    );
    assert!(w.sim.store.get("bob").is_none());
}

#[test]
fn create_checks_with_a_list_that_answers_200_not_a_404() {
    let mut w = World::network(5);
    let a = w.join("ann");
    w.sim.seen.clear();
    w.call(a, |c, t, now| {
        c.create_user("bob".into(), named("Bob"), t, now)
    })
    .unwrap();
    assert_eq!(w.objects_requests(), vec!["GET uuids", "PATCH bob"]);
    assert_eq!(w.sim.seen[0].param("filter"), Some("id == 'bob'"));
}

/// 20 clients update one user while one hard-deletes it, 40 rounds: the user never comes
/// back, and every update either succeeds before the delete or fails.
#[test]
fn contended_updates_never_resurrect_a_hard_deleted_user() {
    for round in 0..40u64 {
        let mut w = World::network(100 + round);
        w.latency = 0.5 + (round % 5) as f64;
        let admin = w.join("admin");
        w.call(admin, |c, t, now| {
            c.create_user("hot".into(), named("Hot"), t, now)
        })
        .unwrap();
        let writers: Vec<usize> = (0..20).map(|i| w.join(&format!("w{i}"))).collect();
        let mut tokens = Vec::new();
        for (i, &n) in writers.iter().enumerate() {
            let patch = UserPatch::default().with(StrField::Email, Patch::Set(format!("{i}@x.io")));
            tokens.push((
                n,
                w.start(n, |c, t, now| {
                    c.update_user("hot".into(), patch, None, t, now)
                }),
            ));
            if i == (round as usize % 20) {
                tokens.push((
                    admin,
                    w.start(admin, |c, t, now| {
                        c.delete_user("hot".into(), false, t, now)
                    }),
                ));
            }
        }
        w.until(CONFLICT_DEADLINE_MS + 5_000.0, |w| {
            tokens
                .iter()
                .all(|(n, t)| w.nodes[*n].settled.contains_key(t))
        });
        for (n, t) in &tokens {
            match w.nodes[*n].settled.get(t) {
                Some(Ok(Outcome::User(_) | Outcome::True)) => {}
                Some(Err(ChatError::UserNotFound | ChatError::Conflict)) => {}
                other => panic!("round {round}: unexpected {other:?}"),
            }
        }
        assert!(
            w.sim.store.get("hot").is_none(),
            "round {round}: the deleted user came back"
        );
    }
}

#[test]
fn endless_conflicts_end_in_conflict_at_the_deadline() {
    let mut w = World::network(6);
    let a = w.join("ann");
    w.call(a, |c, t, now| {
        c.create_user("bob".into(), named("Bob"), t, now)
    })
    .unwrap();
    // Every conditional write finds another version (someone writes each time).
    w.sim.fault = Box::new(|s| {
        if s.if_match.is_some() {
            sim::Fault::Status(412, None)
        } else {
            sim::Fault::None
        }
    });
    let start = w.now;
    let r = w.call(a, |c, t, now| {
        c.update_user("bob".into(), named("B2"), None, t, now)
    });
    assert_eq!(r, Err(ChatError::Conflict));
    assert_eq!(r.unwrap_err().code(), "CONFLICT");
    assert!(w.now - start >= CONFLICT_DEADLINE_MS);
    let patches = w.sim.seen.iter().filter(|s| s.if_match.is_some()).count();
    assert!(
        (5..200).contains(&patches),
        "backed off between tries: {patches}"
    );
}
