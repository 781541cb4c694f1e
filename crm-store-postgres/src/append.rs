//! Appends, grouped: every append waiting in this process goes into one statement.
//!
//! An append is encoded by its caller and handed to the committer task, which takes every
//! append that is waiting, checks them all with one query (stream versions and stored event
//! ids), and writes the accepted ones with one statement: take the log's head row (the append
//! lock), insert every event with `UNNEST`, notify followers, commit. Positions are handed out
//! under the head row's lock, which is held until commit, so commit order is position order
//! and a reader never passes an event that is still committing (docs/guarantees.md).
//!
//! The checks run before the lock, so another process can write in between: the unique
//! constraints then refuse the statement, nothing is written, and the appends are checked
//! again one by one, so that only the append that lost its race learns of it.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use crm_core::event::NewEvent;
use crm_core::ids::StreamId;
use crm_core::store::{self, AppendOutcome, ExpectedVersion, HeadWatch, StoreError, StoredAt};

use crate::rows::{self, Encoded};
use crate::sqlstate::{self, Failure};
use crate::statements;

/// Events in one statement at most; a group stops growing there.
const MAX_GROUP_EVENTS: usize = 5_000;
/// How often one append is checked and written again when other processes keep winning.
const MAX_ATTEMPTS: usize = 32;

/// One append, checked for bad input and encoded.
pub(crate) struct Prepared {
    pub(crate) stream: StreamId,
    pub(crate) expected: ExpectedVersion,
    pub(crate) events: Vec<NewEvent>,
    pub(crate) rows: Vec<Encoded>,
}

impl Prepared {
    pub(crate) fn new(
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Self, StoreError> {
        if events.is_empty() {
            return Err(StoreError::EmptyAppend {
                stream: stream.clone(),
            });
        }
        store::check_append(stream, &events)?;
        let rows = events
            .iter()
            .enumerate()
            .map(|(index, event)| rows::encode(stream, index, event))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            stream: stream.clone(),
            expected,
            events,
            rows,
        })
    }
}

struct Job {
    append: Prepared,
    reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

impl Job {
    fn answer(self, result: Result<AppendOutcome, StoreError>) {
        // The caller may have stopped waiting; the append stands all the same.
        let _ = self.reply.send(result);
    }
}

pub(crate) fn backend(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(error))
}

fn stopped() -> StoreError {
    backend(std::io::Error::other("the store's committer has stopped"))
}

/// The handle appends are sent through; the committer stops when the last one is dropped.
pub(crate) struct Committer {
    jobs: mpsc::UnboundedSender<Job>,
    /// What the committer writes with, for writes that need no grouping.
    pub(crate) context: Arc<Context>,
}

impl Committer {
    /// Starts the committer on the current tokio runtime.
    pub(crate) fn start(pool: PgPool, channel: String, head: Arc<HeadWatch>) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        let context = Arc::new(Context {
            pool,
            channel,
            head,
        });
        tokio::spawn(run(context.clone(), queue));
        Self { jobs, context }
    }

    pub(crate) async fn append(&self, append: Prepared) -> Result<AppendOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { append, reply })
            .map_err(|_| stopped())?;
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

pub(crate) struct Context {
    pool: PgPool,
    channel: String,
    head: Arc<HeadWatch>,
}

async fn run(context: Arc<Context>, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut pending: VecDeque<Job> = VecDeque::new();
    loop {
        if pending.is_empty() {
            match queue.recv().await {
                Some(job) => pending.push_back(job),
                None => return,
            }
        }
        while let Ok(job) = queue.try_recv() {
            pending.push_back(job);
        }
        let mut group = Vec::new();
        let mut events = 0;
        while let Some(job) = pending.front() {
            let size = job.append.events.len();
            if !group.is_empty() && events + size > MAX_GROUP_EVENTS {
                break;
            }
            events += size;
            group.extend(pending.pop_front());
        }
        let deferred = commit_group(&context, group).await;
        for job in deferred.into_iter().rev() {
            pending.push_front(job);
        }
    }
}

/// Commits `group`; returns the appends that must wait for the next group.
async fn commit_group(context: &Context, group: Vec<Job>) -> Vec<Job> {
    let (mut contended, mut deferred) = match attempt(context, group).await {
        Attempted::Done { deferred } => return deferred,
        Attempted::Contended { accepted, deferred } => (accepted, deferred),
    };
    // Another process won a race with one of them: each alone, so only the loser fails.
    for job in contended.drain(..) {
        let mut alone = vec![job];
        for _ in 0..MAX_ATTEMPTS {
            match attempt(context, alone).await {
                Attempted::Done { deferred: more } => {
                    deferred.extend(more);
                    alone = Vec::new();
                    break;
                }
                Attempted::Contended {
                    accepted,
                    deferred: more,
                } => {
                    deferred.extend(more);
                    alone = accepted;
                }
            }
        }
        for job in alone {
            let why = format!(
                "other writers kept winning the race for {} after {MAX_ATTEMPTS} attempts",
                job.append.stream
            );
            job.answer(Err(backend(std::io::Error::other(why))));
        }
    }
    deferred
}

enum Attempted {
    /// Every append was answered, but for `deferred`.
    Done { deferred: Vec<Job> },
    /// The statement lost a race to another process: nothing was written; `accepted` are
    /// unanswered and must be checked again.
    Contended {
        accepted: Vec<Job>,
        deferred: Vec<Job>,
    },
}

async fn attempt(context: &Context, group: Vec<Job>) -> Attempted {
    let group = match optimistic(context, group).await {
        Ok(()) => {
            return Attempted::Done {
                deferred: Vec::new(),
            }
        }
        Err(group) => group,
    };
    let appends: Vec<&Prepared> = group.iter().map(|job| &job.append).collect();
    let stored = match statements::check(&context.pool, &appends).await {
        Ok(stored) => stored,
        Err(error) => {
            let error = Arc::new(error);
            for job in group {
                job.answer(Err(backend(SharedError(error.clone()))));
            }
            return Attempted::Done {
                deferred: Vec::new(),
            };
        }
    };
    let (accepted, deferred) = decide(group, stored);
    if accepted.is_empty() {
        return Attempted::Done { deferred };
    }
    let appends: Vec<(&Prepared, u64)> = accepted
        .iter()
        .map(|(job, first)| (&job.append, *first))
        .collect();
    match statements::write(&context.pool, &context.channel, &appends, &[]).await {
        Ok(None) => Attempted::Contended {
            accepted: accepted.into_iter().map(|(job, _)| job).collect(),
            deferred,
        },
        Ok(Some(head)) => {
            let answers = outcomes(&appends, head);
            drop(appends);
            for ((job, _), outcome) in accepted.into_iter().zip(answers) {
                job.answer(Ok(outcome));
            }
            context.head.advance(head);
            Attempted::Done { deferred }
        }
        Err(error) => match sqlstate::classify(&error) {
            Failure::VersionTaken | Failure::IdTaken | Failure::Retryable => Attempted::Contended {
                accepted: accepted.into_iter().map(|(job, _)| job).collect(),
                deferred,
            },
            Failure::Other => {
                let error = Arc::new(error);
                for (job, _) in accepted {
                    job.answer(Err(backend(SharedError(error.clone()))));
                }
                Attempted::Done { deferred }
            }
        },
    }
}

/// The outcomes of `written` (each append with the version of its first event), which one
/// statement wrote ending at `head`, in order.
fn outcomes(written: &[(&Prepared, u64)], head: u64) -> Vec<AppendOutcome> {
    let total: u64 = written.iter().map(|(a, _)| a.events.len() as u64).sum();
    let mut position = head.saturating_sub(total);
    written
        .iter()
        .map(|(append, first)| {
            let count = append.events.len() as u64;
            position += count;
            AppendOutcome {
                last_version: first + count - 1,
                last_position: position,
                written: true,
            }
        })
        .collect()
}

/// Writes `appends` in one statement if every stream is at the version its append names;
/// returns each one's outcome, or `None` when anything is in doubt (a stream at another
/// version, a stored id, a race, a failure): then nothing was written by this call, and the
/// checked path will say exactly what is wrong.
pub(crate) async fn write_named(
    context: &Context,
    appends: &[&Prepared],
) -> Option<Vec<AppendOutcome>> {
    let (firsts, guard) = statements::versions_named(appends)?;
    let pairs: Vec<(&Prepared, u64)> = appends
        .iter()
        .copied()
        .zip(firsts.iter().copied())
        .collect();
    // A failure here may still have committed (a lost connection): the checked path finds
    // the events stored and answers them as a retry.
    let head = statements::write(&context.pool, &context.channel, &pairs, &guard)
        .await
        .ok()??;
    context.head.advance(head);
    Some(outcomes(&pairs, head))
}

/// The common case in one round trip: see [`write_named`].
async fn optimistic(context: &Context, group: Vec<Job>) -> Result<(), Vec<Job>> {
    let appends: Vec<&Prepared> = group.iter().map(|job| &job.append).collect();
    match write_named(context, &appends).await {
        Some(outcomes) => {
            for (job, outcome) in group.into_iter().zip(outcomes) {
                job.answer(Ok(outcome));
            }
            Ok(())
        }
        None => Err(group),
    }
}

/// A failure that several appends of one group report.
#[derive(Debug)]
struct SharedError<E>(Arc<E>);

impl<E: std::fmt::Display> std::fmt::Display for SharedError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: std::error::Error + 'static> std::error::Error for SharedError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// Answers the appends that fail their checks or are retries; returns the rest with the
/// version each one's first event takes, and those that must wait for the next group (they
/// share an event id with an append accepted before them).
fn decide(group: Vec<Job>, stored: statements::Stored) -> (Vec<(Job, u64)>, Vec<Job>) {
    let statements::Stored { mut versions, ids } = stored;
    let mut accepted = Vec::with_capacity(group.len());
    let mut deferred = Vec::new();
    let mut taken: HashSet<uuid::Uuid> = HashSet::new();
    for job in group {
        let append = &job.append;
        if append.rows.iter().any(|row| taken.contains(&row.id)) {
            deferred.push(job);
            continue;
        }
        let actual = versions.get(append.stream.as_str()).copied().unwrap_or(0);
        let at: Vec<Option<StoredAt>> = append
            .rows
            .iter()
            .map(|row| ids.get(&row.id).cloned())
            .collect();
        match store::recognize_retry(&append.stream, &append.events, &at, actual + 1) {
            Err(error) => job.answer(Err(error)),
            Ok(Some(last_position)) => job.answer(Ok(AppendOutcome {
                last_version: actual,
                last_position,
                written: false,
            })),
            Ok(None) if !append.expected.admits(actual) => {
                let conflict = StoreError::Conflict {
                    stream: append.stream.clone(),
                    expected: append.expected,
                    actual,
                };
                job.answer(Err(conflict));
            }
            Ok(None) => {
                versions.insert(
                    append.stream.as_str().to_owned(),
                    actual + append.events.len() as u64,
                );
                taken.extend(append.rows.iter().map(|row| row.id));
                accepted.push((job, actual + 1));
            }
        }
    }
    (accepted, deferred)
}
