//! The seam between the SDK and where users live. `Chat` talks only to [`Backend`]; the
//! embedded store and the PubNub protocol both sit behind it.

use crate::convert::UserBatch;
use ferrochat_core::{Event, ListPage, ListQuery, Result, SetMode, User, UserPatch};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

pub mod embedded;
pub mod http;
pub mod network;

/// A boxed, single-threaded future (wasm has one thread).
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Where a backend delivers the events of the channels it was asked to subscribe to.
/// It only queues: JS callbacks run later from a clean stack.
pub type EventSink = Rc<dyn Fn(Event)>;

/// User storage plus change events. Futures are `'static`: implementations clone the
/// cheap handles they need before returning.
pub trait Backend {
    /// The user with this id, or `None`.
    fn get_user(&self, id: String) -> BoxFuture<Result<Option<User>>>;
    /// Applies `patch` to user `id` under `mode`; resolves the user after the write.
    fn set_user(&self, id: String, patch: UserPatch, mode: SetMode) -> BoxFuture<Result<User>>;
    /// Removes user `id`; resolves whether it existed (deleting nothing is not an error).
    fn remove_user(&self, id: String) -> BoxFuture<Result<bool>>;
    /// One page of users. `filter` is the filter text `query.filter` was parsed from
    /// (the network backend sends the text; the embedded store runs the parsed form).
    fn list_users(&self, query: ListQuery, filter: Option<String>) -> BoxFuture<Result<ListPage>>;
    /// One page for `getUsers`, its users already in the form JS `User`s are built from,
    /// without copying them into [`User`]s first: the embedded store encodes its records
    /// in place, the network backend the strings of the reply's text.
    fn list_batch(
        &self,
        query: ListQuery,
        filter: Option<String>,
    ) -> BoxFuture<Result<ListPage<UserBatch>>>;
    /// Starts delivering events of `channel` to the sink (reference counting is the
    /// caller's job: this is called once per channel).
    fn subscribe(&self, channel: &str);
    /// Stops delivering events of `channel`.
    fn unsubscribe(&self, channel: &str);
    /// Whether a subscription holds a live connection (then the Chat watches its own
    /// user only while something else is subscribed, so idle Node scripts can exit).
    fn keeps_alive(&self) -> bool {
        false
    }
    /// Releases everything (connections, timers). Idempotent.
    fn destroy(&self);
}
