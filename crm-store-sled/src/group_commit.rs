//! Many durable appends, one batch and one flush: group commit on a committer thread.
//!
//! A durable append hands its (already encoded) events to the committer and waits. The
//! committer takes every append that is waiting, commits them all as one sled batch, flushes
//! and fsyncs once, and answers each. While it flushes, new appends queue up and form the next
//! group, so the flush's cost is shared by everyone who arrived during the previous one.
//!
//! Handing the writes to one thread, rather than letting each writer apply its own batch and
//! wait for a shared flush, matters on sled 0.34: its `apply_batch` takes a process-wide lock
//! that its flush holds writers back on, which kept groups at three or four appends instead of
//! one per waiting writer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crm_core::store::{AppendOutcome, StoreError};
use tokio::sync::oneshot;

use crate::append::{Append, Writer};

/// How the committer answers a job: into a oneshot an async caller awaits (its task waits,
/// never its worker thread), or a channel a blocking caller waits on.
type Reply<T> = Box<dyn FnOnce(T) + Send>;

enum Job {
    Append(Append, Reply<Result<AppendOutcome, StoreError>>),
    Flush(Reply<Result<(), StoreError>>),
}

/// A reply an async caller awaits, and the future of its answer.
fn awaited<T: Send + 'static>() -> (Reply<T>, oneshot::Receiver<T>) {
    let (sender, receiver) = oneshot::channel();
    // A waiter that has gone away needs no answer, so a failed send is ignored.
    let reply: Reply<T> = Box::new(move |answer| {
        let _ = sender.send(answer);
    });
    (reply, receiver)
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    shutdown: bool,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    work: Condvar,
    flushes: AtomicU64,
}

fn lock(shared: &Shared) -> MutexGuard<'_, Queue> {
    shared.queue.lock().unwrap_or_else(PoisonError::into_inner)
}

fn stopped() -> StoreError {
    failure("the store's committer stopped")
}

fn failure(why: impl Into<String>) -> StoreError {
    StoreError::Backend(Box::new(std::io::Error::other(why.into())))
}

/// Commits appends and makes them durable, in groups, on its own thread.
pub(crate) struct GroupCommit {
    shared: Arc<Shared>,
    committer: Option<JoinHandle<()>>,
}

impl GroupCommit {
    /// Starts the committer thread; `flush` must make every write applied before it started
    /// durable.
    pub(crate) fn start(
        writer: Arc<Writer>,
        flush: impl Fn() -> Result<(), String> + Send + 'static,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let for_thread = shared.clone();
        let committer = std::thread::Builder::new()
            .name("crm-sled-committer".into())
            .spawn(move || run(&for_thread, &writer, flush))?;
        Ok(Self {
            shared,
            committer: Some(committer),
        })
    }

    /// Commits `append` and returns once it is durable (or why it is not). The caller's task
    /// waits through the fsync; its thread is free for other tasks meanwhile.
    pub(crate) async fn append(&self, append: Append) -> Result<AppendOutcome, StoreError> {
        let (reply, answer) = awaited();
        self.submit(Job::Append(append, reply));
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// Returns once everything committed before the call is durable.
    pub(crate) async fn flush(&self) -> Result<(), StoreError> {
        let (reply, answer) = awaited();
        self.submit(Job::Flush(reply));
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// [`GroupCommit::flush`] for a caller outside async code, blocking its thread.
    pub(crate) fn flush_blocking(&self) -> Result<(), StoreError> {
        let (sender, answer) = sync_channel(1);
        self.submit(Job::Flush(Box::new(move |flushed| {
            let _ = sender.send(flushed);
        })));
        answer.recv().unwrap_or_else(|_| Err(stopped()))
    }

    /// Flushes done so far: how well appends were grouped.
    #[cfg(test)]
    pub(crate) fn flushes(&self) -> u64 {
        self.shared.flushes.load(Ordering::SeqCst)
    }

    fn submit(&self, job: Job) {
        lock(&self.shared).jobs.push(job);
        self.shared.work.notify_one();
    }
}

/// Waits for work and takes it. When fewer jobs wait than the last group held, it gives the
/// others up to `patience` to arrive: writers answered together come back one by one, and the
/// first must not leave alone, or groups alternate between one append and all the rest.
fn next_group(shared: &Shared, last_size: usize, patience: Duration) -> Option<Vec<Job>> {
    let mut queue = lock(shared);
    while queue.jobs.is_empty() && !queue.shutdown {
        queue = shared
            .work
            .wait(queue)
            .unwrap_or_else(PoisonError::into_inner);
    }
    let deadline = Instant::now() + patience;
    while queue.jobs.len() < last_size && !queue.shutdown {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        queue = shared
            .work
            .wait_timeout(queue, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
    if queue.jobs.is_empty() {
        return None; // Shutting down with nothing left to do.
    }
    Some(std::mem::take(&mut queue.jobs))
}

fn run(shared: &Shared, writer: &Writer, flush: impl Fn() -> Result<(), String>) {
    let (mut last_size, mut patience) = (0, Duration::ZERO);
    while let Some(jobs) = next_group(shared, last_size, patience) {
        last_size = jobs.len();
        let mut appends = Vec::new();
        let mut waiting = Vec::new();
        let mut flush_waiting = Vec::new();
        for job in jobs {
            match job {
                Job::Append(append, reply) => {
                    appends.push(append);
                    waiting.push(reply);
                }
                Job::Flush(reply) => flush_waiting.push(reply),
            }
        }
        let outcomes = if appends.is_empty() {
            Vec::new()
        } else {
            writer.commit(&appends)
        };
        // Also flush after a group of retries: a retried append was acknowledged once and may
        // be retried precisely because its flush failed.
        let started = Instant::now();
        let flushed = flush();
        // Waiting a fraction of a flush for the rest of a group costs less than the extra
        // flush that leaving without them would.
        patience = started.elapsed() / 4;
        shared.flushes.fetch_add(1, Ordering::SeqCst);
        if let Err(why) = &flushed {
            tracing::warn!(%why, "flush failed; the appends waiting on it are told so");
        }
        for (reply, outcome) in waiting.into_iter().zip(outcomes) {
            reply(match (outcome, &flushed) {
                (Ok(_), Err(why)) => Err(failure(format!(
                    "written but not known to be durable: {why}; retry the append"
                ))),
                (outcome, _) => outcome,
            });
        }
        for reply in flush_waiting {
            reply(flushed.clone().map_err(failure));
        }
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        lock(&self.shared).shutdown = true;
        self.shared.work.notify_all();
        if let Some(committer) = self.committer.take() {
            let _ = committer.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_core::event::NewEvent;
    use crm_core::store::ExpectedVersion;
    use crm_core::testing::conformance::sample_event;
    use futures::executor::block_on;
    use std::sync::atomic::AtomicUsize;

    fn writer() -> Arc<Writer> {
        let db = sled::Config::new().temporary(true).open().unwrap();
        Arc::new(Writer::new(db.open_tree("log").unwrap(), 1))
    }

    fn append(stream: &str, expected: ExpectedVersion, event: &NewEvent) -> Append {
        let stream = crm_core::testing::stream(stream);
        Append::prepare(&stream, expected, vec![event.clone()], chrono::Utc::now()).unwrap()
    }

    #[test]
    fn concurrent_appends_share_flushes() {
        let group = GroupCommit::start(writer(), || {
            std::thread::sleep(Duration::from_micros(300));
            Ok(())
        })
        .unwrap();
        let seeds = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for writer in 0..8 {
                let (group, seeds) = (&group, &seeds);
                scope.spawn(move || {
                    for version in 0..50 {
                        let stream = format!("w-{writer}");
                        let event = sample_event(
                            &crm_core::testing::stream(&stream),
                            seeds.fetch_add(1, Ordering::SeqCst),
                        );
                        let next = append(&stream, ExpectedVersion::Exact(version), &event);
                        block_on(group.append(next)).unwrap();
                    }
                });
            }
        });
        let flushes = group.flushes();
        assert!(
            flushes < 200,
            "{flushes} flushes for 400 appends: too little was shared"
        );
    }

    #[test]
    fn appends_in_one_group_see_each_other() {
        let writer = writer();
        let s = crm_core::testing::stream("s");
        let first = sample_event(&s, 1);
        let outcomes = writer.commit(&[
            append("s", ExpectedVersion::NoStream, &first),
            append("s", ExpectedVersion::Exact(1), &sample_event(&s, 2)),
            append("s", ExpectedVersion::NoStream, &sample_event(&s, 3)),
            append("s", ExpectedVersion::Exact(2), &first),
        ]);
        let versions: Vec<_> = outcomes
            .iter()
            .map(|o| o.as_ref().map(|o| (o.last_version, o.written)))
            .collect();
        assert!(matches!(versions[0], Ok((1, true))));
        assert!(matches!(versions[1], Ok((2, true))));
        assert!(
            matches!(outcomes[2], Err(StoreError::Conflict { actual: 2, .. })),
            "the third append sees the first two: {:?}",
            outcomes[2]
        );
        assert!(
            matches!(outcomes[3], Ok(AppendOutcome { written: false, .. })),
            "a repeat of the first append in the same group is a retry: {:?}",
            outcomes[3]
        );
        assert_eq!(writer.head(), 2);
    }

    #[test]
    fn a_failed_flush_is_reported_and_a_retry_is_made_durable() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let group = GroupCommit::start(writer(), move || {
            match counted.fetch_add(1, Ordering::SeqCst) {
                0 => Err("disk full".to_owned()),
                _ => Ok(()),
            }
        })
        .unwrap();
        let event = sample_event(&crm_core::testing::stream("s"), 7);
        let err =
            block_on(group.append(append("s", ExpectedVersion::NoStream, &event))).unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        let retried =
            block_on(group.append(append("s", ExpectedVersion::NoStream, &event))).unwrap();
        assert!(!retried.written);
        assert_eq!(calls.load(Ordering::SeqCst), 2, "the retry flushed again");
    }

    #[test]
    fn dropping_stops_the_committer() {
        let group = GroupCommit::start(writer(), || Ok(())).unwrap();
        group.flush_blocking().unwrap();
        block_on(group.flush()).unwrap();
        drop(group); // Joins the thread; a hang here fails the test by timeout.
    }
}
