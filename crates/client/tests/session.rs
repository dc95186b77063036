//! The Chat session rules: what is held and when, what runs after the last stop, and what
//! happens when the signed-in user is deleted.

mod sim;

use ferrochat_client::{Kind, Outcome};
use ferrochat_core::{ChatError, StrField};
use sim::{named, World};

#[test]
fn an_idle_network_chat_holds_nothing_and_a_stream_holds_only_while_it_lives() {
    let mut w = World::network(1);
    let a = w.join("ann");
    w.run(30_000.0);
    assert_eq!(w.in_flight(a), 0, "no poll without a stream");
    assert!(w.nodes[a].client.is_idle());
    let u = w.create(a, "bob", "Bob");
    let l = w.listen(a, Kind::Stream, &[&u], 1);
    w.run(100.0);
    assert_eq!(
        w.polls_of(a),
        1,
        "one long-poll for the stream and the self-watch"
    );
    assert_eq!(w.nodes[a].client.channel_count(), 2);
    let now = w.time();
    w.nodes[a].client.unlisten(l, now);
    w.run(100.0);
    assert_eq!(
        w.nodes[a].client.channel_count(),
        0,
        "the self-watch went with the last stream"
    );
    assert_eq!(
        w.in_flight(a),
        0,
        "the poll was aborted and the leave answered"
    );
    assert!(
        w.nodes[a].client.is_idle(),
        "nothing left running after the last stop"
    );
    assert!(
        w.nodes[a].client.poll_timeout().is_none(),
        "no timer either"
    );
    let leaves = w
        .sim
        .seen
        .iter()
        .filter(|s| s.path.ends_with("/leave"))
        .count();
    assert_eq!(leaves, 1);
}

#[test]
fn a_status_listener_alone_holds_the_self_watch() {
    let mut w = World::network(2);
    let a = w.join("ann");
    let now = w.time();
    let s = w.nodes[a].client.add_status_listener(9, now).unwrap();
    w.run(100.0);
    assert_eq!(w.nodes[a].client.channel_count(), 1);
    let now = w.time();
    w.nodes[a].client.remove_status_listener(s, now);
    w.run(100.0);
    assert!(w.nodes[a].client.is_idle());
}

#[test]
fn deleting_the_signed_in_user_ends_the_chat_and_tells_status_listeners() {
    for (embedded, soft) in [(false, false), (false, true), (true, false), (true, true)] {
        let mut w = World::new(3, embedded);
        let a = w.join("ann");
        let b = w.join("admin");
        let now = w.time();
        w.nodes[a].client.add_status_listener(5, now).unwrap();
        w.run(100.0);
        w.call(b, |c, t, now| c.delete_user("ann".into(), soft, t, now))
            .unwrap();
        w.until(2_000.0, |w| !w.nodes[a].statuses.is_empty());
        let (h, status) = &w.nodes[a].statuses[0];
        assert_eq!(
            (*h, status.reason, status.soft),
            (5, "userDeleted", soft),
            "embedded {embedded}"
        );
        assert_eq!(
            w.call(a, |c, t, now| c.get_user("x".into(), t, now)),
            Err(ChatError::CurrentUserDeleted)
        );
        w.run(1_000.0);
        assert!(
            w.nodes[a].client.is_idle(),
            "embedded {embedded} soft {soft}"
        );
    }
}

#[test]
fn init_of_a_soft_deleted_user_is_refused() {
    let mut w = World::network(4);
    let admin = w.join("admin");
    w.call(admin, |c, t, now| {
        c.create_user("gone".into(), named("G"), t, now)
    })
    .unwrap();
    w.call(admin, |c, t, now| {
        c.delete_user("gone".into(), true, t, now)
    })
    .unwrap();
    let raw = w.raw("gone");
    let n = w.add(raw);
    let r = w.call(n, |c, t, now| c.init(t, now));
    assert_eq!(r.unwrap_err().code(), "USER_DELETED");
    assert!(w.nodes[n].client.is_idle());
}

#[test]
fn current_user_follows_own_writes_and_others_while_watched() {
    let mut w = World::network(5);
    let a = w.join("ann");
    let b = w.join("admin");
    w.call(a, |c, t, now| {
        c.update_user("ann".into(), named("Ann A"), None, t, now)
    })
    .unwrap();
    assert_eq!(
        w.nodes[a].client.current_user().get(StrField::Name),
        Some("Ann A")
    );
    let now = w.time();
    w.nodes[a].client.add_status_listener(1, now).unwrap();
    w.run(100.0);
    w.call(b, |c, t, now| {
        c.update_user("ann".into(), named("Ann B"), None, t, now)
    })
    .unwrap();
    w.until(2_000.0, |w| {
        w.nodes[a].client.current_user().get(StrField::Name) == Some("Ann B")
    });
    assert_eq!(
        w.nodes[a].client.current_user().get(StrField::Name),
        Some("Ann B")
    );
}

#[test]
fn activity_stamps_are_written_on_a_background_timer() {
    let mut w = World::network(6);
    let mut raw = w.raw("ann");
    raw.store_activity = Some(true);
    raw.activity_interval_ms = Some(60_000.0);
    let a = w.add(raw);
    assert_eq!(w.call(a, |c, t, now| c.init(t, now)), Ok(Outcome::Ready));
    let mine = w.nodes[a].client.current_user().clone();
    assert!(
        mine.custom
            .as_ref()
            .and_then(|c| c.get("lastActiveTimestamp"))
            .is_some(),
        "init waits for the first stamp"
    );
    let stamp = |w: &World| {
        w.sim
            .store
            .get("ann")
            .and_then(|u| u.custom.as_ref()?.get("lastActiveTimestamp").cloned())
    };
    let first = stamp(&w).expect("stamped at init");
    let wake = w.nodes[a].client.poll_timeout().expect("a timer");
    assert!(
        !wake.keep_alive,
        "the activity timer alone does not keep a process alive"
    );
    w.run(60_500.0);
    assert_ne!(stamp(&w), Some(first), "stamped again after the interval");
}
