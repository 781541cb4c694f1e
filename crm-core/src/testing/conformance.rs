//! The store conformance suite: the [`EventStore`] contract as executable checks, run against
//! every store.
//!
//! In a store crate's tests (see `crm-store-memory/tests/conformance.rs`):
//!
//! ```text
//! #[test]
//! fn my_store_passes_the_conformance_suite() {
//!     let fresh = || async { MyStore::new() };
//!     futures::executor::block_on(conformance::run_all(fresh, &conformance::Threads));
//! }
//! ```
//!
//! Each check panics with a message naming the broken rule. The suite needs no particular
//! async runtime: the race checks run their writers and readers through a [`Spawn`] the
//! caller gives, [`Threads`] (an OS thread each, for stores that need no runtime) or one of
//! its own (a tokio task each, for a store on a tokio driver; see
//! `crm-store-postgres/tests/conformance.rs`).

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use futures::future::{join_all, BoxFuture, FutureExt, Shared};

use crate::domain::contact::events::ContactTagsChanged;
use crate::event::{Actor, Metadata, NewEvent, RecordedEvent};
use crate::ids::{ContactId, EventId, StreamId};
use crate::store::{
    EventStore, ExpectedVersion, Snapshot, SnapshotInfo, StoreError, ViewsSnapshot,
};

/// Runs `task` concurrently with its caller: how the race checks start their writers and
/// readers, so that the suite works under whatever runtime a store needs.
pub trait Spawn: Sync {
    /// Starts `task`; the returned future resolves once it has finished (or panicked).
    fn spawn(&self, task: BoxFuture<'static, ()>) -> BoxFuture<'static, ()>;
}

/// Each task on an OS thread of its own, driven by `futures::executor::block_on`: for stores
/// that need no runtime.
#[derive(Debug, Clone, Copy, Default)]
pub struct Threads;

impl Spawn for Threads {
    fn spawn(&self, task: BoxFuture<'static, ()>) -> BoxFuture<'static, ()> {
        let (done, finished) = futures::channel::oneshot::channel::<()>();
        std::thread::spawn(move || {
            futures::executor::block_on(task);
            let _ = done.send(());
        });
        // A task that panicked drops `done`: it has finished all the same.
        finished.map(|_| ()).boxed()
    }
}

/// Runs every check, each on a fresh store from `new_store`, the race checks' tasks through
/// `spawn`.
pub async fn run_all<S, F>(mut new_store: impl FnMut() -> F, spawn: &impl Spawn)
where
    S: EventStore + 'static,
    F: Future<Output = S>,
{
    versions_start_at_one_and_are_contiguous(&new_store().await).await;
    expected_version_cases(&new_store().await).await;
    conflicts_and_failed_appends_write_nothing(&new_store().await).await;
    retried_appends_are_recognized(&new_store().await).await;
    batched_reads_cross_boundaries(&new_store().await).await;
    snapshots_and_checkpoints(&new_store().await).await;
    views_snapshots_are_kept_listed_and_deleted(&new_store().await).await;
    racing_writers_on_one_stream(Arc::new(new_store().await), spawn, 8, 25).await;
    tailing_reader_never_skips(Arc::new(new_store().await), spawn, 4, 200).await;
    events_are_located_by_id(&new_store().await).await;
    events_of_other_streams_are_refused(&new_store().await).await;
    appends_wake_followers(Arc::new(new_store().await), spawn).await;
    subscriptions_stop_at_a_failing_event_and_resume_there(&new_store().await).await;
}

/// A gate tasks wait at until the caller opens it: the writers of a round start together.
fn gate() -> (
    futures::channel::oneshot::Sender<()>,
    Shared<BoxFuture<'static, ()>>,
) {
    let (open, opened) = futures::channel::oneshot::channel::<()>();
    (open, opened.map(|_| ()).boxed().shared())
}

/// Lets other tasks run once: the tailing reader must not hold its thread.
fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
}

fn take<T>(slot: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

fn stream(name: &str) -> StreamId {
    super::stream(format!("conformance-{name}"))
}

fn at(second: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000 + second, 0).unwrap_or_default()
}

/// A distinct, recognizable event for `stream` (a contact's, such as [`super::stream`]
/// makes); `n` is in its payload.
pub fn sample_event(stream: &StreamId, n: u64) -> NewEvent {
    NewEvent {
        id: EventId::new(),
        occurred_at: at(i64::try_from(n).unwrap_or(0)),
        metadata: Metadata::by(Actor::System),
        event: ContactTagsChanged {
            contact_id: ContactId::from_uuid(stream.uuid()),
            added: [format!("tag-{n}")].into(),
            removed: Default::default(),
        }
        .into(),
    }
}

fn samples(stream: &StreamId, range: std::ops::Range<u64>) -> Vec<NewEvent> {
    range.map(|n| sample_event(stream, n)).collect()
}

async fn read_whole_stream<S: EventStore>(store: &S, s: &StreamId) -> Vec<RecordedEvent> {
    store
        .read_stream(s, 1, usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("read_stream: {e}"))
}

async fn read_whole_log<S: EventStore>(store: &S) -> Vec<RecordedEvent> {
    store
        .read_all(0, usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("read_all: {e}"))
}

#[track_caller]
fn assert_same(recorded: &RecordedEvent, new: &NewEvent) {
    assert_eq!(recorded.id, new.id, "event id changed");
    assert_eq!(recorded.event, new.event, "payload changed");
    assert_eq!(recorded.metadata, new.metadata, "metadata changed");
    assert_eq!(recorded.occurred_at, new.occurred_at, "occurred_at changed");
}

#[track_caller]
fn assert_conflict(result: Result<crate::store::AppendOutcome, StoreError>, expected_actual: u64) {
    match result {
        Err(StoreError::Conflict { actual, .. }) => {
            assert_eq!(actual, expected_actual, "Conflict.actual")
        }
        other => panic!("expected a Conflict at version {expected_actual}, got {other:?}"),
    }
}

/// Versions count 1, 2, 3 per stream; positions strictly increase across streams; what was
/// appended reads back unchanged.
pub async fn versions_start_at_one_and_are_contiguous<S: EventStore>(store: &S) {
    let (a, b) = (stream("a"), stream("b"));
    let first = samples(&a, 0..3);
    let outcome = store
        .append(&a, ExpectedVersion::NoStream, first.clone())
        .await;
    let outcome = outcome.unwrap_or_else(|e| panic!("first append: {e}"));
    assert_eq!(outcome.last_version, 3);
    assert!(outcome.written);
    let second = samples(&b, 3..5);
    store
        .append(&b, ExpectedVersion::NoStream, second.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .append(&a, ExpectedVersion::Exact(3), samples(&a, 5..6))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let in_a = read_whole_stream(store, &a).await;
    assert_eq!(
        in_a.iter().map(|e| e.version).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    for (recorded, new) in in_a.iter().zip(&first) {
        assert_same(recorded, new);
        assert_eq!(recorded.stream, a);
    }
    let log = read_whole_log(store).await;
    assert_eq!(log.len(), 6);
    assert!(
        log.windows(2).all(|w| w[0].position < w[1].position),
        "positions must strictly increase"
    );
    assert_eq!(
        store.head_position().await.ok(),
        log.last().map(|e| e.position)
    );
    assert_eq!(store.stream_version(&a).await.ok(), Some(4));
    assert_eq!(store.stream_version(&stream("none")).await.ok(), Some(0));
    assert!(read_whole_stream(store, &stream("none")).await.is_empty());
}

/// Each `ExpectedVersion` admits exactly its case.
pub async fn expected_version_cases<S: EventStore>(store: &S) {
    let s = stream("ev");
    assert_conflict(
        store
            .append(&s, ExpectedVersion::StreamExists, samples(&s, 0..1))
            .await,
        0,
    );
    assert_conflict(
        store
            .append(&s, ExpectedVersion::Exact(1), samples(&s, 0..1))
            .await,
        0,
    );
    store
        .append(&s, ExpectedVersion::Exact(0), samples(&s, 1..2))
        .await
        .unwrap_or_else(|e| panic!("Exact(0) on empty: {e}"));
    assert_conflict(
        store
            .append(&s, ExpectedVersion::NoStream, samples(&s, 2..3))
            .await,
        1,
    );
    assert_conflict(
        store
            .append(&s, ExpectedVersion::Exact(0), samples(&s, 2..3))
            .await,
        1,
    );
    assert_conflict(
        store
            .append(&s, ExpectedVersion::Exact(2), samples(&s, 2..3))
            .await,
        1,
    );
    store
        .append(&s, ExpectedVersion::StreamExists, samples(&s, 3..4))
        .await
        .unwrap_or_else(|e| panic!("StreamExists: {e}"));
    store
        .append(&s, ExpectedVersion::Any, samples(&s, 4..5))
        .await
        .unwrap_or_else(|e| panic!("Any: {e}"));
    store
        .append(&s, ExpectedVersion::Exact(3), samples(&s, 5..6))
        .await
        .unwrap_or_else(|e| panic!("Exact(3): {e}"));
    store
        .append(
            &stream("ev-any"),
            ExpectedVersion::Any,
            samples(&stream("ev-any"), 6..7),
        )
        .await
        .unwrap_or_else(|e| panic!("Any on empty: {e}"));
    assert_eq!(store.stream_version(&s).await.ok(), Some(4));
    assert_eq!(
        read_whole_log(store).await.len(),
        5,
        "rejected appends must write nothing"
    );
}

/// A conflict, an empty append, or a batch with a reused id writes nothing at all.
pub async fn conflicts_and_failed_appends_write_nothing<S: EventStore>(store: &S) {
    let s = stream("atomic");
    let first = samples(&s, 0..2);
    store
        .append(&s, ExpectedVersion::NoStream, first.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let head = store
        .head_position()
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    assert_conflict(
        store
            .append(&s, ExpectedVersion::Exact(1), samples(&s, 2..12))
            .await,
        2,
    );
    assert!(matches!(
        store.append(&s, ExpectedVersion::Any, Vec::new()).await,
        Err(StoreError::EmptyAppend { .. })
    ));
    // The third event reuses an id already in another stream: the first two must not land.
    let mut batch = samples(&stream("atomic-other"), 20..23);
    batch[2].id = first[0].id;
    let other = stream("atomic-other");
    let result = store.append(&other, ExpectedVersion::Any, batch).await;
    assert!(
        matches!(result, Err(StoreError::DuplicateEventId { .. })),
        "reused id: got {result:?}"
    );
    // The same id twice in one batch is also a reuse.
    let mut twice = samples(&other, 30..32);
    twice[1].id = twice[0].id;
    let result = store.append(&other, ExpectedVersion::Any, twice).await;
    assert!(
        matches!(result, Err(StoreError::DuplicateEventId { .. })),
        "id twice in a batch: got {result:?}"
    );

    assert_eq!(
        store.head_position().await.ok(),
        Some(head),
        "a failed append moved the head"
    );
    assert_eq!(
        store.stream_version(&other).await.ok(),
        Some(0),
        "a failed append left events"
    );
    assert_eq!(read_whole_log(store).await.len(), 2);
}

/// Appending the same event ids again succeeds and writes nothing new.
pub async fn retried_appends_are_recognized<S: EventStore>(store: &S) {
    let s = stream("retry");
    let batch = samples(&s, 0..3);
    let first = store
        .append(&s, ExpectedVersion::NoStream, batch.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .append(&s, ExpectedVersion::Exact(3), samples(&s, 3..4))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The same expectation as the first attempt, which would now conflict.
    let retry = store
        .append(&s, ExpectedVersion::NoStream, batch.clone())
        .await;
    let retry = retry.unwrap_or_else(|e| panic!("a retried append must succeed: {e}"));
    assert!(!retry.written, "a retry must report that it wrote nothing");
    assert_eq!(
        retry.last_position, first.last_position,
        "a retry reports the original position"
    );
    let retry = store
        .append(&s, ExpectedVersion::Any, batch.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!retry.written);
    assert_eq!(
        read_whole_log(store).await.len(),
        4,
        "a retry duplicated events"
    );
    // A batch that repeats a stored event but adds a new one is no retry of anything.
    let mut extended = vec![batch[2].clone()];
    extended.extend(samples(&s, 9..10));
    let result = store.append(&s, ExpectedVersion::Any, extended).await;
    assert!(
        matches!(result, Err(StoreError::DuplicateEventId { .. })),
        "a partial repeat must be refused: {result:?}"
    );
    assert_eq!(
        read_whole_log(store).await.len(),
        4,
        "a refused partial repeat wrote events"
    );
    // The same ids on events of another stream.
    let elsewhere = stream("retry-elsewhere");
    let moved: Vec<NewEvent> = batch
        .iter()
        .zip(samples(&elsewhere, 0..3))
        .map(|(original, event)| NewEvent {
            id: original.id,
            ..event
        })
        .collect();
    let moved = store.append(&elsewhere, ExpectedVersion::Any, moved).await;
    assert!(
        matches!(moved, Err(StoreError::DuplicateEventId { .. })),
        "same ids, other stream: {moved:?}"
    );
}

/// Reading in batches of any size yields exactly the whole, in order.
pub async fn batched_reads_cross_boundaries<S: EventStore>(store: &S) {
    let streams = [stream("r0"), stream("r1"), stream("r2")];
    for n in 0..25u64 {
        let s = &streams[usize::try_from(n % 3).unwrap_or(0)];
        store
            .append(s, ExpectedVersion::Any, samples(s, n..n + 1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let whole = read_whole_log(store).await;
    assert_eq!(whole.len(), 25);
    assert_eq!(
        store.read_all(1, usize::MAX).await.ok().as_ref(),
        Some(&whole),
        "from 0 and from 1 differ"
    );
    for batch in [1usize, 2, 7, 24, 25, 100] {
        let mut got = Vec::new();
        let mut from = 0;
        loop {
            let page = store
                .read_all(from, batch)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(page.len() <= batch, "read_all returned more than its limit");
            let Some(last) = page.last() else { break };
            from = last.position + 1;
            got.extend(page);
        }
        assert_eq!(got, whole, "read_all in batches of {batch}");
    }
    let in_r0 = read_whole_stream(store, &streams[0]).await;
    assert_eq!(in_r0.len(), 9);
    for batch in [1usize, 4, 9] {
        let mut got = Vec::new();
        let mut from = 1;
        loop {
            let page = store
                .read_stream(&streams[0], from, batch)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let Some(last) = page.last() else { break };
            from = last.version + 1;
            got.extend(page);
        }
        assert_eq!(got, in_r0, "read_stream in batches of {batch}");
    }
    let middle = store
        .read_stream(&streams[0], 4, 2)
        .await
        .unwrap_or_default();
    assert_eq!(middle.iter().map(|e| e.version).collect::<Vec<_>>(), [4, 5]);
    let past = whole.last().map_or(0, |e| e.position) + 1;
    assert!(store
        .read_all(past, 10)
        .await
        .unwrap_or_default()
        .is_empty());
    assert!(store
        .read_stream(&streams[0], 10, 10)
        .await
        .unwrap_or_default()
        .is_empty());
    assert!(
        store.read_all(1, 0).await.unwrap_or_default().is_empty(),
        "limit 0 returns nothing"
    );
}

/// Snapshots and checkpoints are kept and replaced.
pub async fn snapshots_and_checkpoints<S: EventStore>(store: &S) {
    let s = stream("snap");
    assert_eq!(store.load_snapshot(&s).await.ok(), Some(None));
    let snapshot = Snapshot {
        version: 7,
        schema: 1,
        state: b"{\"x\":1}".to_vec(),
    };
    store
        .save_snapshot(&s, snapshot.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.load_snapshot(&s).await.ok(), Some(Some(snapshot)));
    let newer = Snapshot {
        version: 9,
        schema: 1,
        state: vec![1, 2, 3],
    };
    store
        .save_snapshot(&s, newer.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.load_snapshot(&s).await.ok(), Some(Some(newer)));

    assert_eq!(store.load_checkpoint("cards").await.ok(), Some(None));
    store
        .save_checkpoint("cards", 41)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .save_checkpoint("cards", 42)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .save_checkpoint("search", 5)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.load_checkpoint("cards").await.ok(), Some(Some(42)));
    assert_eq!(store.load_checkpoint("search").await.ok(), Some(Some(5)));
}

/// Snapshots of the views: several kept, listed by position without their state, replaced at
/// the same position, deleted one by one.
pub async fn views_snapshots_are_kept_listed_and_deleted<S: EventStore>(store: &S) {
    let snapshot = |position: u64, schema: u32, state: &[u8]| ViewsSnapshot {
        info: SnapshotInfo {
            position,
            recorded_at: at(i64::try_from(position).unwrap_or(0)),
            schema,
        },
        state: state.to_vec(),
    };
    assert_eq!(listed(store).await, Vec::new(), "a new store has none");
    assert_eq!(store.load_views_snapshot(3).await.ok(), Some(None));
    let (late, early, replaced) = (
        snapshot(300, 1, b"late"),
        snapshot(3, 1, &[0, 255, 7]),
        snapshot(3, 2, b"early again"),
    );
    for s in [&late, &early, &replaced] {
        store
            .save_views_snapshot(s.clone())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(
        listed(store).await,
        vec![replaced.info, late.info],
        "listed by position; a second save at a position replaces the first"
    );
    assert_eq!(
        store.load_views_snapshot(3).await.ok(),
        Some(Some(replaced))
    );
    assert_eq!(
        store.load_views_snapshot(300).await.ok(),
        Some(Some(late.clone()))
    );
    store
        .delete_views_snapshot(3)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .delete_views_snapshot(4)
        .await
        .unwrap_or_else(|e| panic!("deleting none: {e}"));
    assert_eq!(listed(store).await, vec![late.info]);
    assert_eq!(store.load_views_snapshot(3).await.ok(), Some(None));
}

async fn listed<S: EventStore>(store: &S) -> Vec<SnapshotInfo> {
    store
        .views_snapshots()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `writers` tasks append to one stream, each round all with the same expected version:
/// exactly one wins each round, the rest get `Conflict`, nothing is lost or duplicated.
pub async fn racing_writers_on_one_stream<S: EventStore + 'static>(
    store: Arc<S>,
    spawn: &impl Spawn,
    writers: usize,
    rounds: u64,
) {
    let s = stream("race");
    // Writers never panic; they record what happened and the checks run afterwards.
    type Attempt = (u64, EventId, Result<u64, String>);
    let outcomes: Arc<Mutex<Vec<Attempt>>> = Arc::default();
    for round in 0..rounds {
        let (open, opened) = gate();
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let (store, s, opened, outcomes) =
                    (store.clone(), s.clone(), opened.clone(), outcomes.clone());
                spawn.spawn(
                    async move {
                        opened.await;
                        let event = sample_event(&s, round * 1000 + w as u64);
                        let id = event.id;
                        let outcome = store
                            .append(&s, ExpectedVersion::Exact(round), vec![event])
                            .await;
                        let outcome = match outcome {
                            Ok(outcome) => Ok(outcome.last_version),
                            Err(StoreError::Conflict { actual, .. }) if actual > round => {
                                Err("conflict".to_owned())
                            }
                            Err(other) => {
                                Err(format!("writer {w} round {round}: unexpected {other:?}"))
                            }
                        };
                        take(&outcomes).push((round, id, outcome));
                    }
                    .boxed(),
                )
            })
            .collect();
        let _ = open.send(());
        join_all(tasks).await;
    }
    let attempts = std::mem::take(&mut *take(&outcomes));
    assert_eq!(
        attempts.len(),
        writers * usize::try_from(rounds).unwrap_or(0),
        "a writer panicked"
    );
    let attempts = [attempts];
    let store = &*store;
    let winners: Vec<(u64, EventId)> = attempts
        .iter()
        .flatten()
        .filter(|(_, _, outcome)| outcome.is_ok())
        .map(|(round, id, _)| (*round, *id))
        .collect();
    for round in 0..rounds {
        let count = winners.iter().filter(|(r, _)| *r == round).count();
        assert_eq!(count, 1, "round {round} had {count} winners");
    }
    for (round, _, outcome) in attempts.iter().flatten() {
        match outcome {
            Ok(version) => assert_eq!(
                *version,
                round + 1,
                "the winner of round {round} got version {version}"
            ),
            Err(why) => assert_eq!(why, "conflict", "{why}"),
        }
    }
    let stored = read_whole_stream(store, &s).await;
    assert_eq!(stored.len() as u64, rounds, "events lost or duplicated");
    for (recorded, (round, id)) in stored.iter().zip({
        let mut w = winners.clone();
        w.sort_by_key(|(r, _)| *r);
        w
    }) {
        assert_eq!(recorded.version, round + 1);
        assert_eq!(
            recorded.id, id,
            "version {} holds a loser's event",
            recorded.version
        );
    }
    assert!(stored.windows(2).all(|w| w[0].position < w[1].position));
}

/// `writers` tasks append to their own streams while a reader tails `read_all`; the
/// reader must see every event exactly once, in position order, never skipping one that
/// commits later with a lower position.
///
/// The reader stops once every writer is done and it has read to the end, so a store that
/// skips an event fails this check instead of hanging it.
pub async fn tailing_reader_never_skips<S: EventStore + 'static>(
    store: Arc<S>,
    spawn: &impl Spawn,
    writers: usize,
    per_writer: u64,
) {
    let finished = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut tasks: Vec<Pin<Box<dyn Future<Output = ()> + Send>>> = (0..writers)
        .map(|w| {
            let (store, finished, failures) = (store.clone(), finished.clone(), failures.clone());
            spawn.spawn(
                async move {
                    let s = stream(&format!("tail-{w}"));
                    for n in 0..per_writer {
                        let event = sample_event(&s, w as u64 * 100_000 + n);
                        let appended = store
                            .append(&s, ExpectedVersion::Exact(n), vec![event])
                            .await;
                        if let Err(e) = appended {
                            take(&failures).push(format!("writer {w}: {e}"));
                            break;
                        }
                    }
                    finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                .boxed(),
            )
        })
        .collect();
    let seen: Arc<Mutex<Vec<RecordedEvent>>> = Arc::default();
    {
        let (store, seen, failures) = (store.clone(), seen.clone(), failures.clone());
        tasks.push(
            spawn.spawn(
                async move {
                    let mut from = 1;
                    loop {
                        // Read before looking at the writers: a page read after they all
                        // finished that comes back empty means the reader has seen all it ever
                        // will.
                        let done = finished.load(std::sync::atomic::Ordering::SeqCst) == writers;
                        let page = match store.read_all(from, 17).await {
                            Ok(page) => page,
                            Err(e) => {
                                take(&failures).push(format!("reader: {e}"));
                                break;
                            }
                        };
                        match page.last() {
                            Some(last) => from = last.position + 1,
                            None if done => break,
                            None => {}
                        }
                        take(&seen).extend(page);
                        yield_now().await;
                    }
                }
                .boxed(),
            ),
        );
    }
    join_all(tasks).await;
    let failures = take(&failures).clone();
    assert!(failures.is_empty(), "{failures:?}");
    let tailed = std::mem::take(&mut *take(&seen));
    let total = writers * usize::try_from(per_writer).unwrap_or(0);
    assert!(tailed.len() <= total, "the tailing reader saw events twice");
    let store = &*store;
    let whole = read_whole_log(store).await;
    assert_eq!(
        tailed.len(),
        whole.len(),
        "the tailing reader saw a different number of events"
    );
    assert_eq!(
        tailed, whole,
        "the tailing reader skipped or reordered events"
    );
    let unique: HashSet<EventId> = whole.iter().map(|e| e.id).collect();
    assert_eq!(unique.len(), whole.len());
}

/// `locate` finds every stored event by its id, at its stream, version and position, and
/// nothing for an id never stored.
pub async fn events_are_located_by_id<S: EventStore>(store: &S) {
    let (a, b) = (stream("locate-a"), stream("locate-b"));
    for (s, range) in [(&a, 0..2), (&b, 2..5), (&a, 5..6)] {
        store
            .append(s, ExpectedVersion::Any, samples(s, range))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for event in read_whole_log(store).await {
        let at = store
            .locate(event.id)
            .await
            .unwrap_or_else(|e| panic!("locate: {e}"))
            .unwrap_or_else(|| panic!("event {} was not located", event.id));
        assert_eq!(
            (at.stream, at.version, at.position),
            (event.stream.clone(), event.version, event.position),
            "event {} located at the wrong place",
            event.id
        );
    }
    let never = store
        .locate(EventId::new())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(never.is_none(), "an id never stored was located");
}

/// An event that belongs to another stream, or breaks a rule of `crate::validate`, is
/// refused as bad input and nothing is written.
pub async fn events_of_other_streams_are_refused<S: EventStore>(store: &S) {
    let (mine, other) = (stream("refuse-mine"), stream("refuse-other"));
    let mut batch = samples(&mine, 0..2);
    batch.extend(samples(&other, 2..3));
    let result = store.append(&mine, ExpectedVersion::Any, batch).await;
    assert!(
        matches!(result, Err(StoreError::Refused { index: 2, .. })),
        "an event of another stream: got {result:?}"
    );
    let mut late = samples(&mine, 3..4);
    late[0].occurred_at = DateTime::from_timestamp(30_000_000_000, 0).unwrap_or_default();
    let result = store.append(&mine, ExpectedVersion::Any, late).await;
    assert!(
        matches!(result, Err(StoreError::Refused { index: 0, .. })),
        "a time in the year 2920: got {result:?}"
    );
    assert_eq!(
        store.head_position().await.ok(),
        Some(0),
        "a refused append wrote"
    );
}

/// A follower waiting in `wait_for_append` is woken by an append, and a wait for a position
/// the log has already passed returns at once.
pub async fn appends_wake_followers<S: EventStore + 'static>(store: Arc<S>, spawn: &impl Spawn) {
    let s = stream("wake");
    let woken = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let follower = {
        let (store, woken) = (store.clone(), woken.clone());
        spawn.spawn(
            async move {
                if store.wait_for_append(0).await.is_ok() {
                    woken.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            }
            .boxed(),
        )
    };
    store
        .append(&s, ExpectedVersion::NoStream, samples(&s, 0..1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    follower.await;
    assert!(
        woken.load(std::sync::atomic::Ordering::SeqCst),
        "wait_for_append failed"
    );
    store
        .wait_for_append(0)
        .await
        .unwrap_or_else(|e| panic!("wait_for_append past the head: {e}"));
}

/// A handler that fails on the event at `fail_at` while `broken`, and records what it took.
struct Recorder {
    fail_at: u64,
    broken: bool,
    tries: u32,
    handled: Vec<u64>,
}

#[async_trait::async_trait]
impl crate::subscription::Handler for Recorder {
    async fn handle(
        &mut self,
        event: &RecordedEvent,
    ) -> Result<(), crate::subscription::HandlerError> {
        if self.broken && event.position == self.fail_at {
            self.tries += 1;
            return Err("the read model's table is locked".into());
        }
        self.handled.push(event.position);
        Ok(())
    }
}

/// A subscription whose handler keeps failing on one event stops there (retried, reported,
/// checkpoint just before it); fixed, it resumes at that event: nothing skipped, nothing twice.
pub async fn subscriptions_stop_at_a_failing_event_and_resume_there<S: EventStore>(store: &S) {
    use crate::subscription::{Retry, Subscription, SubscriptionError};
    let s = stream("subscribed");
    store
        .append(&s, ExpectedVersion::NoStream, samples(&s, 0..7))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let positions: Vec<u64> = read_whole_log(store)
        .await
        .iter()
        .map(|e| e.position)
        .collect();
    let retry = Retry {
        attempts: 3,
        first_delay: std::time::Duration::ZERO,
        max_delay: std::time::Duration::ZERO,
    };
    let subscription = Subscription::new(store, "read-model")
        .batch(2)
        .retry(retry, Arc::new(|_| Box::pin(std::future::ready(()))));
    let mut handler = Recorder {
        fail_at: positions[4],
        broken: true,
        tries: 0,
        handled: Vec::new(),
    };
    match subscription.catch_up(&mut handler).await {
        Err(SubscriptionError::Handler {
            position, attempts, ..
        }) => {
            assert_eq!(position, positions[4], "stopped at the wrong event");
            assert_eq!(attempts, 3, "the failing event was not retried");
        }
        other => panic!("a failing handler must stop the subscription: {other:?}"),
    }
    assert_eq!(handler.tries, 3);
    assert_eq!(handler.handled, positions[..4], "events before the failure");
    assert_eq!(
        subscription.position().await.ok(),
        Some(positions[3]),
        "the checkpoint must be just before the failing event"
    );
    handler.broken = false;
    let reached = subscription
        .catch_up(&mut handler)
        .await
        .unwrap_or_else(|e| panic!("after the fix: {e}"));
    assert_eq!(reached, positions[6]);
    assert_eq!(handler.handled, positions, "skipped or repeated events");
    let again = subscription
        .catch_up(&mut handler)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, positions[6]);
    assert_eq!(
        handler.handled, positions,
        "a caught-up subscription delivered again"
    );
}
