//! Property tests over random interleavings of subscribe / unsubscribe / writes / replies /
//! errors / server restarts, on both backends:
//!
//! * no event is lost or delivered twice: a stream that lives to the end delivers exactly
//!   the changes made after its snapshot, in order; any stream delivers each at most once;
//! * every list stream converges on the server's state;
//! * the channels held always match the live listeners (counts never go below zero);
//! * after the last stop nothing is left running: no request, no timer.

mod sim;

use ferrochat_client::{Kind, Payload, Snapshot};
use ferrochat_core::patch::{Patch, UserPatch};
use ferrochat_core::{Event, EventKind, StrField, User};
use proptest::prelude::*;
use sim::{Fault, World};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

const USERS: usize = 4;

#[derive(Debug, Clone)]
enum Action {
    Listen {
        node: usize,
        list: bool,
        users: Vec<usize>,
    },
    Stop {
        pick: usize,
    },
    Update {
        node: usize,
        user: usize,
        value: u16,
    },
    Delete {
        node: usize,
        user: usize,
    },
    Create {
        node: usize,
        user: usize,
    },
    Advance {
        ms: u32,
    },
    Restart,
    Fail {
        count: usize,
        status: bool,
    },
    Cut {
        ms: u32,
    },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (0..2usize, any::<bool>(), prop::collection::vec(0..USERS, 1..4)).prop_map(|(node, list, users)| Action::Listen { node, list, users }),
        2 => any::<usize>().prop_map(|pick| Action::Stop { pick }),
        6 => (0..2usize, 0..USERS, any::<u16>()).prop_map(|(node, user, value)| Action::Update { node, user, value }),
        1 => (0..2usize, 0..USERS).prop_map(|(node, user)| Action::Delete { node, user }),
        1 => (0..2usize, 0..USERS).prop_map(|(node, user)| Action::Create { node, user }),
        3 => (0..5_000u32).prop_map(|ms| Action::Advance { ms }),
        1 => Just(Action::Restart),
        1 => (1..4usize, any::<bool>()).prop_map(|(count, status)| Action::Fail { count, status }),
        1 => (0..40_000u32).prop_map(|ms| Action::Cut { ms }),
    ]
}

fn uid(i: usize) -> String {
    format!("p{i}")
}

struct Live {
    node: usize,
    lid: u32,
    handle: u32,
    list: bool,
    users: Vec<String>,
    /// Index into the event history when it started.
    from: usize,
}

struct Run {
    w: World,
    live: Vec<Live>,
    stopped: Vec<Live>,
    history: Vec<Event>,
    recorder: Option<u64>,
    faults: Rc<Cell<(usize, bool, f64)>>,
    next_handle: u32,
}

impl Run {
    fn new(seed: u64, embedded: bool) -> Run {
        let mut w = World::new(seed, embedded);
        let faults = Rc::new(Cell::new((0usize, false, 0.0f64)));
        let f = faults.clone();
        let clock = Rc::new(Cell::new(0.0));
        let _ = clock;
        w.sim.fault = Box::new(move |s| {
            let (count, status, cut_until) = f.get();
            if s.is_subscribe() && cut_until > 0.0 && s.param("tt").is_some() {
                return Fault::Fail;
            }
            if count > 0 {
                f.set((count - 1, status, cut_until));
                return if status {
                    Fault::Status(503, None)
                } else {
                    Fault::Fail
                };
            }
            Fault::None
        });
        let a = w.join("n0");
        w.join("n1");
        for i in 0..USERS {
            let p = UserPatch::default().with(StrField::Name, Patch::Set(uid(i)));
            w.call(a, |c, t, now| c.create_user(uid(i), p, t, now))
                .unwrap();
        }
        let recorder = embedded.then(|| {
            let mut hub = w.hub.borrow_mut();
            let m = hub.join();
            for i in 0..USERS {
                hub.subscribe(m, &uid(i));
            }
            m
        });
        let mut run = Run {
            w,
            live: Vec::new(),
            stopped: Vec::new(),
            history: Vec::new(),
            recorder,
            faults,
            next_handle: 0,
        };
        run.sync_history();
        run
    }

    fn sync_history(&mut self) {
        match self.recorder {
            Some(m) => {
                let events = self.w.hub.borrow_mut().take_events(m);
                self.history.extend(events);
            }
            None => self.history = self.w.sim.history.clone(),
        }
    }

    fn current(&self, id: &str) -> Option<User> {
        if self.w.embedded {
            self.w.hub.borrow().get(id).cloned()
        } else {
            self.w.sim.store.get(id).cloned()
        }
    }

    fn snapshot(&self, id: &str) -> Snapshot {
        let u = self.current(id);
        Snapshot {
            id: id.to_string(),
            etag: u.as_ref().map(|u| u.etag.clone()).unwrap_or_default(),
            updated: u.map(|u| u.updated).unwrap_or_default(),
        }
    }

    fn apply(&mut self, a: &Action) {
        let now = self.w.time();
        match a {
            Action::Listen { node, list, users } => {
                let ids: Vec<String> = if *list {
                    users.iter().map(|&i| uid(i)).collect()
                } else {
                    vec![uid(users[0])]
                };
                // Listeners are made from user objects, which come from existing records.
                if ids.iter().any(|id| self.current(id).is_none()) {
                    return;
                }
                let snaps: Vec<Snapshot> = ids.iter().map(|id| self.snapshot(id)).collect();
                self.next_handle += 1;
                let kind = if *list { Kind::List } else { Kind::Stream };
                self.sync_history();
                let from = self.history.len();
                let lid = self.w.nodes[*node]
                    .client
                    .listen(kind, &snaps, self.next_handle, now)
                    .expect("listen");
                self.live.push(Live {
                    node: *node,
                    lid,
                    handle: self.next_handle,
                    list: *list,
                    users: ids,
                    from,
                });
            }
            Action::Stop { pick } if !self.live.is_empty() => {
                let l = self.live.remove(pick % self.live.len());
                self.w.nodes[l.node].client.unlisten(l.lid, now);
                self.stopped.push(l);
            }
            Action::Stop { .. } => {}
            Action::Update { node, user, value } => {
                let p =
                    UserPatch::default().with(StrField::Email, Patch::Set(format!("{value}@x.io")));
                self.w.start(*node, |c, t, now| {
                    c.update_user(uid(*user), p, None, t, now)
                });
            }
            Action::Delete { node, user } => {
                self.w
                    .start(*node, |c, t, now| c.delete_user(uid(*user), false, t, now));
            }
            Action::Create { node, user } => {
                let p =
                    UserPatch::default().with(StrField::Name, Patch::Set(format!("again {user}")));
                self.w
                    .start(*node, |c, t, now| c.create_user(uid(*user), p, t, now));
            }
            Action::Advance { ms } => self.w.run(f64::from(*ms)),
            Action::Restart if !self.w.embedded => self.w.restart_server(),
            Action::Fail { count, status } if !self.w.embedded => {
                let (_, _, cut) = self.faults.get();
                self.faults.set((*count, *status, cut));
            }
            Action::Cut { ms } if !self.w.embedded => {
                let (count, status, _) = self.faults.get();
                self.faults.set((count, status, 1.0));
                self.w.run(f64::from(*ms));
                self.faults.set((count, status, 0.0));
            }
            _ => {}
        }
        self.w.run(5.0);
        self.check_channels();
    }

    /// The channels each node holds are exactly those of its live listeners (plus its own
    /// user while watched).
    fn check_channels(&self) {
        for n in 0..self.w.nodes.len() {
            let mine: Vec<&Live> = self.live.iter().filter(|l| l.node == n).collect();
            let mut expected: BTreeSet<String> =
                mine.iter().flat_map(|l| l.users.iter().cloned()).collect();
            if self.w.embedded || !mine.is_empty() {
                expected.insert(format!("n{n}"));
            }
            assert_eq!(
                self.w.nodes[n].client.channel_count(),
                expected.len(),
                "node {n}: {expected:?}"
            );
        }
    }

    /// What each listener received: `(handle) -> [(user id, etag)]`.
    fn deliveries(&self) -> BTreeMap<u32, Vec<(String, String)>> {
        let mut out: BTreeMap<u32, Vec<(String, String)>> = BTreeMap::new();
        for node in &self.w.nodes {
            for (h, p) in &node.calls {
                let entry = out.entry(*h).or_default();
                match p {
                    Payload::User(u) => entry.push((u.id.clone(), u.etag.clone())),
                    Payload::List { changed, .. } => {
                        entry.extend(changed.iter().map(|(_, u)| (u.id.clone(), u.etag.clone())))
                    }
                    Payload::Deleted { .. } => {}
                }
            }
        }
        out
    }

    fn finish(mut self) {
        // Quiet: no more faults; everything settles.
        self.faults.set((0, false, 0.0));
        self.w.run(200_000.0);
        self.sync_history();
        let delivered = self.deliveries();
        for l in self.live.iter().chain(self.stopped.iter()) {
            let got = delivered.get(&l.handle).cloned().unwrap_or_default();
            if !l.list {
                let mut seen = BTreeSet::new();
                for d in &got {
                    assert!(seen.insert(d.clone()), "delivered twice: {d:?}");
                }
            }
        }
        for l in &self.live {
            let got = delivered.get(&l.handle).cloned().unwrap_or_default();
            if l.list {
                // Converged: the last state delivered for each user is the server's.
                let mut last: BTreeMap<String, String> = BTreeMap::new();
                for (id, etag) in got {
                    last.insert(id, etag);
                }
                for id in &l.users {
                    if let (Some(u), Some(etag)) = (self.current(id), last.get(id)) {
                        let after = &self.history[l.from..];
                        let changed_after = after.iter().any(|e| e.user_id() == id);
                        // A hard-deleted user leaves the list for good.
                        let deleted = after.iter().any(|e| {
                            e.user_id() == id && matches!(e.kind, EventKind::Delete { .. })
                        });
                        if changed_after && !deleted {
                            assert_eq!(&u.etag, etag, "list stream on {id} did not converge");
                        }
                    }
                }
            } else {
                let id = &l.users[0];
                let expected: Vec<(String, String)> = self.history[l.from..]
                    .iter()
                    .filter_map(|e| match &e.kind {
                        EventKind::Set(cs) if cs.id == *id => Some((id.clone(), cs.etag.clone())),
                        _ => None,
                    })
                    .collect();
                assert_eq!(got, expected, "stream on {id} from event {}", l.from);
            }
        }
        // Stop everything: nothing may be left running.
        let now = self.w.time();
        for l in std::mem::take(&mut self.live) {
            self.w.nodes[l.node].client.unlisten(l.lid, now);
        }
        self.w.run(60_000.0);
        for n in 0..self.w.nodes.len() {
            let c = &self.w.nodes[n].client;
            if !self.w.embedded {
                assert!(c.is_idle(), "node {n} still busy after the last stop");
                assert_eq!(self.w.in_flight(n), 0, "node {n} has requests in flight");
                assert!(c.poll_timeout().is_none(), "node {n} still has a timer");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn network_interleavings(seed in any::<u64>(), actions in prop::collection::vec(action(), 1..50)) {
        let mut run = Run::new(seed, false);
        for a in &actions {
            run.apply(a);
        }
        run.finish();
    }

    #[test]
    fn embedded_interleavings(seed in any::<u64>(), actions in prop::collection::vec(action(), 1..50)) {
        let mut run = Run::new(seed, true);
        for a in &actions {
            run.apply(a);
        }
        run.finish();
    }
}
