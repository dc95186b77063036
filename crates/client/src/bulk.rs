//! Bulk delete and archive (after the seeds' batch APIs): by a list of ids or by a filter,
//! paced to a rate, with bounded concurrency (a sliding window, not waves: a slow delete
//! holds up only its own slot), progress after every user, every failure reported by id,
//! a filter that selects every user refused unless `allowAll`, and a stop on request
//! (what is in flight finishes; the report says `aborted`).

use crate::client::{Client, Outcome, Output, Progress};
use crate::ops::{Done, Form, Job, Waiter};
use crate::rng::Rng;
use crate::Set;
use ferrochat_core::page::MAX_LIMIT;
use ferrochat_core::{ChatError, ListQuery, Result};

/// Default pace, users per second (the seed API's rate limit).
pub const DEFAULT_RATE: f64 = 100.0;
/// Default number of deletes in flight.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Most deletes in flight allowed.
pub const MAX_CONCURRENCY: usize = 64;

/// Which users a bulk operation is about.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkTarget {
    /// These ids (duplicates count once).
    Ids(Vec<String>),
    /// Every user matching this filter.
    Filter(String),
}

/// How a bulk operation runs.
#[derive(Debug, Clone)]
pub struct BulkOptions<L> {
    /// Archive (soft delete) instead of delete.
    pub soft: bool,
    /// Allow a filter that selects every user.
    pub allow_all: bool,
    /// Users per second.
    pub rate: f64,
    /// Deletes in flight at most.
    pub concurrency: usize,
    /// Called with progress after every user.
    pub on_progress: Option<L>,
    /// Stopped before it began (the caller's `AbortSignal` had fired): it settles at once
    /// with nothing done and `aborted: true`.
    pub aborted: bool,
}

impl<L> Default for BulkOptions<L> {
    fn default() -> Self {
        BulkOptions {
            soft: false,
            allow_all: false,
            rate: DEFAULT_RATE,
            concurrency: DEFAULT_CONCURRENCY,
            on_progress: None,
            aborted: false,
        }
    }
}

impl<L> BulkOptions<L> {
    /// The same options with another progress handle.
    pub fn map_progress<M>(self, f: impl FnOnce(L) -> M) -> BulkOptions<M> {
        BulkOptions {
            soft: self.soft,
            allow_all: self.allow_all,
            rate: self.rate,
            concurrency: self.concurrency,
            on_progress: self.on_progress.map(f),
            aborted: self.aborted,
        }
    }

    /// Checks the numbers.
    pub fn check(&self) -> Result<()> {
        if self.rate.is_nan() || self.rate <= 0.0 {
            return Err(ChatError::invalid(
                "rate must be a positive number of users per second",
            ));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(ChatError::invalid(
                "concurrency must be an integer between 1 and 64",
            ));
        }
        Ok(())
    }
}

/// What a bulk operation did.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkReport {
    /// An id for the operation (as the seed API returns).
    pub operation_id: String,
    /// Ids deleted (or archived).
    pub deleted: Vec<String>,
    /// Ids that failed, with why.
    pub failed: Vec<(String, ChatError)>,
    /// Whether it was stopped before the end.
    pub aborted: bool,
}

/// A step of a bulk operation that an operation carries out.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BulkStep {
    /// A page of the filter's matches.
    Page,
    /// How many users there are in all (the every-user check).
    Everyone,
    /// The delete of one user.
    Delete(String),
}

/// A bulk operation in progress.
pub(crate) struct Bulk<L, T> {
    token: Option<T>,
    opts: BulkOptions<L>,
    /// While collecting ids: the filter, and the first page's total.
    filter: Option<String>,
    first_total: Option<usize>,
    cursor: Option<String>,
    ids: Vec<String>,
    next: usize,
    in_flight: usize,
    /// When deleting started (monotonic ms).
    started: f64,
    wake: Option<f64>,
    report: BulkReport,
}

impl<L, T> Bulk<L, T> {
    pub fn new(
        target: BulkTarget,
        opts: BulkOptions<L>,
        token: T,
        me: &str,
        rng: &mut Rng,
    ) -> Self {
        let operation_id = format!(
            "{}-{}-{}-{}",
            rng.hex(4, true),
            rng.hex(4, true),
            rng.hex(4, true),
            rng.hex(4, true)
        );
        let (ids, filter) = match target {
            BulkTarget::Ids(ids) => (order(ids, me), None),
            BulkTarget::Filter(f) => (Vec::new(), Some(f)),
        };
        Bulk {
            token: Some(token),
            opts,
            filter,
            first_total: None,
            cursor: None,
            ids,
            next: 0,
            in_flight: 0,
            started: 0.0,
            wake: None,
            report: BulkReport {
                operation_id,
                deleted: Vec::new(),
                failed: Vec::new(),
                aborted: false,
            },
        }
    }

    /// When the next delete may start.
    pub fn wake_at(&self) -> Option<f64> {
        self.wake
    }
}

/// Ids without duplicates, the signed-in user last (deleting it ends the Chat).
fn order(ids: Vec<String>, me: &str) -> Vec<String> {
    let mut seen = Set::default();
    let mut ids: Vec<String> = ids
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect();
    if let Some(i) = ids.iter().position(|id| id == me) {
        let id = ids.remove(i);
        ids.push(id);
    }
    ids
}

impl<L: Clone, T> Client<L, T> {
    pub(crate) fn bulk_start(&mut self, key: u64) {
        let Some(b) = self.bulks.get_mut(key) else {
            return;
        };
        match b.filter.clone() {
            Some(filter) => self.bulk_page(key, filter, None),
            None => {
                b.started = self.now.mono;
                self.bulk_pump(key);
            }
        }
    }

    fn bulk_page(&mut self, key: u64, filter: String, start: Option<String>) {
        match Job::list_where(filter, MAX_LIMIT, start, Form::Users) {
            Ok(job) => {
                self.start_op(job, Waiter::Bulk(key, BulkStep::Page));
            }
            Err(e) => self.bulk_fail(key, e),
        }
    }

    pub(crate) fn bulk_step_done(&mut self, key: u64, step: BulkStep, result: Result<Done>) {
        let Some(b) = self.bulks.get_mut(key) else {
            return;
        };
        match step {
            BulkStep::Delete(id) => {
                b.in_flight -= 1;
                match result {
                    Ok(_) => b.report.deleted.push(id),
                    Err(e) => b.report.failed.push((id, e)),
                }
                let progress = Progress {
                    done: b.report.deleted.len() + b.report.failed.len(),
                    total: b.ids.len(),
                    failed: b.report.failed.len(),
                };
                if let Some(l) = b.opts.on_progress.clone() {
                    self.outputs
                        .push_back((None, Output::Progress(l, progress)));
                }
                self.bulk_pump(key);
            }
            _ if b.report.aborted => self.bulk_finish(key),
            BulkStep::Page => match result {
                Ok(Done::Users(page)) => {
                    for u in page.users {
                        b.ids.push(u.id);
                    }
                    b.cursor = page.next.filter(|_| b.ids.len() < page.total);
                    if b.first_total.is_none() {
                        b.first_total = Some(page.total);
                        if !b.opts.allow_all && page.total > 0 {
                            let everyone = Job::List {
                                query: ListQuery {
                                    limit: 0,
                                    ..ListQuery::default()
                                },
                                filter: None,
                                form: Form::Users,
                            };
                            self.start_op(everyone, Waiter::Bulk(key, BulkStep::Everyone));
                            return;
                        }
                    }
                    self.bulk_collected(key);
                }
                Ok(_) => self.bulk_fail(key, ChatError::MalformedResponse("not a page".into())),
                Err(e) => self.bulk_fail(key, e),
            },
            BulkStep::Everyone => match result {
                Ok(Done::Users(all)) if b.first_total.is_some_and(|t| all.total <= t) => {
                    self.bulk_fail(key, ChatError::RefusedAllUsers)
                }
                Ok(_) => self.bulk_collected(key),
                Err(e) => self.bulk_fail(key, e),
            },
        }
    }

    /// A page of ids is in: read the next, or start deleting.
    fn bulk_collected(&mut self, key: u64) {
        let Some(b) = self.bulks.get_mut(key) else {
            return;
        };
        match (b.cursor.take(), b.filter.clone()) {
            (Some(cursor), Some(filter)) => self.bulk_page(key, filter, Some(cursor)),
            _ => {
                b.filter = None;
                let ids = std::mem::take(&mut b.ids);
                b.ids = order(ids, &self.config.user_id);
                b.started = self.now.mono;
                self.bulk_pump(key);
            }
        }
    }

    /// Starts the deletes that are due and have a slot; finishes when all are done.
    pub(crate) fn bulk_pump(&mut self, key: u64) {
        loop {
            let Some(b) = self.bulks.get_mut(key) else {
                return;
            };
            if b.filter.is_some() {
                return; // still collecting ids
            }
            b.wake = None;
            let finished = b.in_flight == 0 && (b.report.aborted || b.next >= b.ids.len());
            if finished {
                return self.bulk_finish(key);
            }
            if b.report.aborted || b.in_flight >= b.opts.concurrency || b.next >= b.ids.len() {
                return;
            }
            // Pace: delete n starts no earlier than n / rate seconds in.
            let not_before = b.started + b.next as f64 * 1000.0 / b.opts.rate;
            if not_before > self.now.mono {
                b.wake = Some(not_before);
                return;
            }
            let id = b.ids[b.next].clone();
            b.next += 1;
            b.in_flight += 1;
            let job = Job::delete(id.clone(), b.opts.soft);
            self.start_op(job, Waiter::Bulk(key, BulkStep::Delete(id)));
        }
    }

    pub(crate) fn bulk_abort(&mut self, key: u64) {
        if let Some(b) = self.bulks.get_mut(key) {
            b.report.aborted = true;
            b.wake = None;
            if b.filter.is_none() {
                self.bulk_pump(key);
            }
        }
    }

    fn bulk_fail(&mut self, key: u64, e: ChatError) {
        if let Some(mut b) = self.bulks.remove(key) {
            if let Some(token) = b.token.take() {
                self.settle(token, Err(e));
            }
        }
    }

    pub(crate) fn bulk_finish(&mut self, key: u64) {
        if let Some(mut b) = self.bulks.remove(key) {
            if let Some(token) = b.token.take() {
                self.settle(token, Ok(Outcome::Bulk(b.report)));
            }
        }
    }
}
