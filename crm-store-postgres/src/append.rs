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

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};
use tokio::sync::{mpsc, oneshot};

use crm_core::event::NewEvent;
use crm_core::ids::StreamId;
use crm_core::store::{self, AppendOutcome, ExpectedVersion, HeadWatch, StoreError, StoredAt};

use crate::rows::{self, Encoded};
use crate::sqlstate::{self, Failure};

/// Events in one statement at most; a group stops growing there.
const MAX_GROUP_EVENTS: usize = 5_000;
/// How often one append is checked and written again when other processes keep winning.
const MAX_ATTEMPTS: usize = 32;

/// One append, checked for bad input and encoded.
pub(crate) struct Prepared {
    stream: StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    rows: Vec<Encoded>,
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
    let stored = match check(&context.pool, &group).await {
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
    match write(context, &appends, &[]).await {
        Ok(None) => Attempted::Contended {
            accepted: accepted.into_iter().map(|(job, _)| job).collect(),
            deferred,
        },
        Ok(Some(head)) => {
            answer_written(context, accepted, head);
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

/// Answers appends that `write` wrote, ending at `head`.
fn answer_written(context: &Context, accepted: Vec<(Job, u64)>, head: u64) {
    let total: usize = accepted
        .iter()
        .map(|(job, _)| job.append.events.len())
        .sum();
    let mut position = head.saturating_sub(total as u64);
    for (job, first_version) in accepted {
        let count = job.append.events.len() as u64;
        position += count;
        job.answer(Ok(AppendOutcome {
            last_version: first_version + count - 1,
            last_position: position,
            written: true,
        }));
    }
    context.head.advance(head);
}

/// Each stream's version before its first append in a statement: what the statement checks.
type Guard<'a> = Vec<(&'a str, i64)>;

/// The versions `appends` would take if every stream is at the version its append names
/// (`Exact`, or `NoStream` for 0): the first version of each, and the guard the statement
/// checks (each stream's version before its first append here). `None` when an append names
/// no version, or names one its stream's earlier append here does not end at.
fn versions_named<'a>(appends: &[&'a Prepared]) -> Option<(Vec<u64>, Guard<'a>)> {
    let mut running: HashMap<&'a str, u64> = HashMap::with_capacity(appends.len());
    let mut firsts = Vec::with_capacity(appends.len());
    let mut guard = Vec::with_capacity(appends.len());
    for append in appends {
        let base = match append.expected {
            ExpectedVersion::Exact(v) => v,
            ExpectedVersion::NoStream => 0,
            ExpectedVersion::Any | ExpectedVersion::StreamExists => return None,
        };
        let stream = append.stream.as_str();
        match running.get(stream) {
            Some(&end) if end != base => return None,
            Some(_) => {}
            None => guard.push((stream, i64::try_from(base).ok()?)),
        }
        running.insert(stream, base + append.events.len() as u64);
        firsts.push(base + 1);
    }
    Some((firsts, guard))
}

/// Writes `appends` in one statement if every stream is at the version its append names;
/// returns each one's outcome, or `None` when anything is in doubt (a stream at another
/// version, a stored id, a race, a failure): then nothing was written by this call, and the
/// checked path will say exactly what is wrong.
pub(crate) async fn write_named(
    context: &Context,
    appends: &[&Prepared],
) -> Option<Vec<AppendOutcome>> {
    let (firsts, guard) = versions_named(appends)?;
    let pairs: Vec<(&Prepared, u64)> = appends
        .iter()
        .copied()
        .zip(firsts.iter().copied())
        .collect();
    // A failure here may still have committed (a lost connection): the checked path finds
    // the events stored and answers them as a retry.
    let head = write(context, &pairs, &guard).await.ok()??;
    context.head.advance(head);
    let total: u64 = appends.iter().map(|a| a.events.len() as u64).sum();
    let mut position = head.saturating_sub(total);
    Some(
        pairs
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
            .collect(),
    )
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

/// What the log holds that the group's checks need.
struct Stored {
    versions: HashMap<String, u64>,
    ids: HashMap<uuid::Uuid, StoredAt>,
}

const CHECK: &str = "\
    SELECT NULL::uuid, s.stream, \
           (SELECT e.version FROM crm_events e WHERE e.stream = s.stream \
            ORDER BY e.version DESC LIMIT 1), NULL::bigint \
    FROM UNNEST($1::text[]) AS s(stream) \
    UNION ALL \
    SELECT event_id, stream, version, position FROM crm_events WHERE event_id = ANY($2::uuid[])";

async fn check(pool: &PgPool, group: &[Job]) -> Result<Stored, StoreError> {
    let streams: Vec<&str> = group
        .iter()
        .map(|job| job.append.stream.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let ids: Vec<uuid::Uuid> = group
        .iter()
        .flat_map(|job| job.append.rows.iter().map(|row| row.id))
        .collect();
    let found = sqlx::query(CHECK)
        .bind(&streams)
        .bind(&ids)
        .fetch_all(pool)
        .await
        .map_err(backend)?;
    let mut stored = Stored {
        versions: HashMap::with_capacity(streams.len()),
        ids: HashMap::new(),
    };
    for row in found {
        let id: Option<uuid::Uuid> = row.try_get(0).map_err(backend)?;
        let stream: String = row.try_get(1).map_err(backend)?;
        let version: Option<i64> = row.try_get(2).map_err(backend)?;
        let version = rows::unsigned(version.unwrap_or(0), "version", -1)?;
        match id {
            None => {
                stored.versions.insert(stream, version);
            }
            Some(id) => {
                let position: Option<i64> = row.try_get(3).map_err(backend)?;
                let position = rows::unsigned(position.unwrap_or(-1), "position", -1)?;
                let stream = stream.parse().map_err(|e| StoreError::Corrupt {
                    location: format!("position {position}"),
                    reason: format!("{e}"),
                })?;
                stored.ids.insert(
                    id,
                    StoredAt {
                        stream,
                        version,
                        position,
                    },
                );
            }
        }
    }
    Ok(stored)
}

/// Answers the appends that fail their checks or are retries; returns the rest with the
/// version each one's first event takes, and those that must wait for the next group (they
/// share an event id with an append accepted before them).
fn decide(group: Vec<Job>, stored: Stored) -> (Vec<(Job, u64)>, Vec<Job>) {
    let Stored { mut versions, ids } = stored;
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

const WRITE: &str = "\
    WITH guard AS ( \
        SELECT coalesce(bool_and(coalesce((SELECT e.version FROM crm_events e \
            WHERE e.stream = g.stream ORDER BY e.version DESC LIMIT 1), 0) = g.base), true) \
            AS ok \
        FROM UNNEST($11::text[], $12::bigint[]) AS g(stream, base) \
    ), head AS ( \
        UPDATE crm_log SET head = head + cardinality($1::uuid[]) \
        WHERE id = 1 AND (SELECT ok FROM guard) RETURNING head \
    ), written AS ( \
        INSERT INTO crm_events (position, stream, version, event_id, event_type, \
            schema_version, payload, metadata, occurred_at, occurred_ns, recorded_at) \
        SELECT head.head - cardinality($1::uuid[]) + r.n, r.stream, r.version, r.event_id, \
            r.event_type, r.schema_version, r.payload::jsonb, r.metadata::jsonb, \
            r.occurred_at, r.occurred_ns, now() \
        FROM head, UNNEST($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::integer[], \
            $6::text[], $7::text[], $8::timestamptz[], $9::smallint[]) WITH ORDINALITY \
            AS r(event_id, stream, version, event_type, schema_version, payload, metadata, \
                 occurred_at, occurred_ns, n) \
    ), notified AS ( \
        SELECT pg_notify($10, head::text) FROM head \
    ) \
    SELECT head.head FROM head, notified";

/// Writes `appends` (each with the version its first event takes) in one statement, one
/// transaction; returns the new head, or `None` when a stream of `guard` was not at its
/// version (then nothing was written).
async fn write(
    context: &Context,
    appends: &[(&Prepared, u64)],
    guard: &[(&str, i64)],
) -> Result<Option<u64>, sqlx::Error> {
    let guard_streams: Vec<&str> = guard.iter().map(|(stream, _)| *stream).collect();
    let guard_bases: Vec<i64> = guard.iter().map(|(_, base)| *base).collect();
    let total: usize = appends.iter().map(|(append, _)| append.rows.len()).sum();
    let mut ids = Vec::with_capacity(total);
    let mut streams = Vec::with_capacity(total);
    let mut versions = Vec::with_capacity(total);
    let mut types = Vec::with_capacity(total);
    let mut schemas = Vec::with_capacity(total);
    let mut payloads = Vec::with_capacity(total);
    let mut metadata = Vec::with_capacity(total);
    let mut occurred: Vec<DateTime<Utc>> = Vec::with_capacity(total);
    let mut nanos = Vec::with_capacity(total);
    for (append, first_version) in appends {
        for (offset, row) in append.rows.iter().enumerate() {
            ids.push(row.id);
            streams.push(append.stream.as_str());
            versions.push(i64::try_from(first_version + offset as u64).unwrap_or(i64::MAX));
            types.push(row.event_type);
            schemas.push(row.schema_version);
            payloads.push(row.payload.as_str());
            metadata.push(row.metadata.as_str());
            occurred.push(row.occurred_at);
            nanos.push(row.occurred_ns);
        }
    }
    let head: Option<i64> = sqlx::query_scalar(WRITE)
        .bind(&ids)
        .bind(&streams)
        .bind(&versions)
        .bind(&types)
        .bind(&schemas)
        .bind(&payloads)
        .bind(&metadata)
        .bind(&occurred)
        .bind(&nanos)
        .bind(&context.channel)
        .bind(&guard_streams)
        .bind(&guard_bases)
        .fetch_optional(&context.pool)
        .await?;
    Ok(head.map(|head| u64::try_from(head).unwrap_or(0)))
}
