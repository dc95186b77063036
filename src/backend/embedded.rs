//! The embedded backend: ferrochat-core's `MemoryStore` inside the wasm module, one per JS
//! realm, shared by every `Chat` in it (so streams see changes made through another Chat).

use super::{Backend, BoxFuture, EventSink};
use crate::convert::UserBatch;
use ferrochat_core::time::ms_to_ticks;
use ferrochat_core::{Event, ListPage, ListQuery, MemoryStore, Result, SetMode, User, UserPatch};
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::{Rc, Weak};

/// The realm-wide store and the Chats listening to it.
#[derive(Default)]
struct Hub {
    store: RefCell<MemoryStore>,
    members: RefCell<Vec<Weak<Member>>>,
}

/// One Chat's registration: the channels it subscribes to and where its events go.
struct Member {
    channels: RefCell<HashSet<String>>,
    sink: EventSink,
}

thread_local! {
    static HUB: Rc<Hub> = Rc::new(Hub::default());
}

impl Hub {
    fn publish(&self, event: Option<Event>) {
        let Some(event) = event else { return };
        let targets: Vec<Rc<Member>> = {
            let mut members = self.members.borrow_mut();
            members.retain(|m| m.strong_count() > 0);
            members
                .iter()
                .filter_map(Weak::upgrade)
                .filter(|m| m.channels.borrow().contains(&event.channel))
                .collect()
        };
        for m in targets {
            (m.sink)(event.clone());
        }
    }
}

fn now_ticks() -> u64 {
    ms_to_ticks(js_sys::Date::now())
}

/// A Chat's handle on the realm's embedded store.
pub struct Embedded {
    hub: Rc<Hub>,
    me: Rc<Member>,
}

impl Embedded {
    /// Joins the realm's store; events of subscribed channels go to `sink`.
    pub fn new(sink: EventSink) -> Self {
        let hub = HUB.with(Rc::clone);
        let me = Rc::new(Member {
            channels: RefCell::default(),
            sink,
        });
        hub.members.borrow_mut().push(Rc::downgrade(&me));
        Embedded { hub, me }
    }
}

fn ready<T: 'static>(v: T) -> BoxFuture<T> {
    Box::pin(std::future::ready(v))
}

impl Backend for Embedded {
    fn get_user(&self, id: String) -> BoxFuture<Result<Option<User>>> {
        ready(Ok(self.hub.store.borrow().get(&id).cloned()))
    }

    fn set_user(&self, id: String, patch: UserPatch, mode: SetMode) -> BoxFuture<Result<User>> {
        let outcome = self
            .hub
            .store
            .borrow_mut()
            .set(&id, &patch, mode, None, now_ticks());
        ready(outcome.map(|o| {
            self.hub.publish(o.event);
            o.user
        }))
    }

    fn remove_user(&self, id: String) -> BoxFuture<Result<bool>> {
        let removed = self.hub.store.borrow_mut().remove(&id, now_ticks());
        ready(removed.map(|event| {
            let existed = event.is_some();
            self.hub.publish(event);
            existed
        }))
    }

    fn list_users(&self, query: ListQuery, _filter: Option<String>) -> BoxFuture<Result<ListPage>> {
        ready(self.hub.store.borrow().list(&query))
    }

    fn list_batch(
        &self,
        query: ListQuery,
        _filter: Option<String>,
    ) -> BoxFuture<Result<ListPage<UserBatch>>> {
        let store = self.hub.store.borrow();
        ready(store.select(&query).map(|page| page.map(UserBatch::of)))
    }

    fn subscribe(&self, channel: &str) {
        self.me.channels.borrow_mut().insert(channel.to_string());
    }

    fn unsubscribe(&self, channel: &str) {
        self.me.channels.borrow_mut().remove(channel);
    }

    fn destroy(&self) {
        self.me.channels.borrow_mut().clear();
    }
}
