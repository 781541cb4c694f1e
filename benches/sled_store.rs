//! Benchmarks of the durable store, each beside the raw sled operation it is judged against
//! (see docs/performance.md): appends vs. a raw sled batch of the same bytes, eight durable
//! writers vs. one, and replay into the cards vs. a raw scan-and-decode of the same log.
#![allow(clippy::unwrap_used, missing_docs)] // Benchmarks fail loudly.

mod fixtures;

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use crm::event::{NewEvent, RecordedEvent};
use crm::ids::StreamId;
use crm::projection::{CustomerCards, Projection, Tracked, Views};
use crm::store::{EventStore, ExpectedVersion};
use crm::{Durability, SledOptions, SledStore};
use crm_core::testing::stream as named_stream;
use fixtures::{at, contact_created, contact_history, for_each_page, stream_of};
use futures::executor::block_on;

const REPLAYED: u64 = 10_000;

fn store(dir: &tempfile::TempDir, durability: Durability) -> SledStore {
    SledStore::open_with(
        dir.path(),
        SledOptions {
            durability,
            ..SledOptions::default()
        },
    )
    .unwrap()
}

fn buffered() -> Durability {
    Durability::Buffered {
        flush_every_ms: 500,
    }
}

/// A fresh contact's history of `size` events, for its own new stream: an append never meets
/// a retry or a conflict.
fn fresh_batch(counter: &AtomicU64, size: u64) -> (StreamId, Vec<NewEvent>) {
    let n = counter.fetch_add(1, Ordering::Relaxed);
    (stream_of(n), contact_history(n, size))
}

/// The same bytes as one JSON-encoded recorded event, for the raw sled limits.
fn raw_value(event: &NewEvent, position: u64) -> Vec<u8> {
    serde_json::to_vec(&RecordedEvent {
        id: event.id,
        stream: named_stream("raw"),
        version: position,
        position,
        occurred_at: event.occurred_at,
        recorded_at: at(),
        metadata: event.metadata.clone(),
        event: event.event.clone(),
    })
    .unwrap()
}

fn append(c: &mut Criterion) {
    let mut group = c.benchmark_group("sled_append");
    group.measurement_time(Duration::from_secs(4));
    for size in [1u64, 10, 100] {
        group.throughput(Throughput::Elements(size));
        for (mode, durability) in [("durable", Durability::Durable), ("buffered", buffered())] {
            let dir = tempfile::tempdir().unwrap();
            let store = store(&dir, durability);
            let counter = AtomicU64::new(0);
            group.bench_function(BenchmarkId::new(format!("store_{mode}"), size), |b| {
                b.iter_batched(
                    || fresh_batch(&counter, size),
                    |(s, events)| {
                        block_on(store.append(&s, ExpectedVersion::NoStream, events)).unwrap()
                    },
                    criterion::BatchSize::SmallInput,
                );
            });
            // The limit: one raw sled batch of the same JSON bytes, flushed the same way.
            let raw_dir = tempfile::tempdir().unwrap();
            let db = sled::open(raw_dir.path()).unwrap();
            let file = std::fs::File::open(raw_dir.path().join("db")).unwrap();
            let mut position = 0u64;
            group.bench_function(
                BenchmarkId::new(format!("limit_raw_sled_{mode}"), size),
                |b| {
                    b.iter_batched(
                        || fresh_batch(&counter, size).1,
                        |events| {
                            let mut batch = sled::Batch::default();
                            for event in &events {
                                position += 1;
                                batch.insert(&position.to_be_bytes(), raw_value(event, position));
                            }
                            db.apply_batch(batch).unwrap();
                            if durability == Durability::Durable {
                                db.flush().unwrap();
                                file.sync_all().unwrap();
                            }
                        },
                        criterion::BatchSize::SmallInput,
                    );
                },
            );
        }
    }
    group.finish();
}

/// `writers` threads each appending single events durably, for `per_writer` events each.
fn concurrent_durable(
    store: &SledStore,
    writers: u64,
    per_writer: u64,
    counter: &AtomicU64,
) -> Duration {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..writers {
            scope.spawn(|| {
                // One contact per writer, one event per append.
                let (s, history) = fresh_batch(counter, per_writer);
                for (v, event) in history.into_iter().enumerate() {
                    block_on(store.append(&s, ExpectedVersion::Exact(v as u64), vec![event]))
                        .unwrap();
                }
            });
        }
    });
    start.elapsed()
}

/// The limit for group commit: raw sled committing `writers` three-key appends as one
/// `apply_batch` and making them durable with one `flush` + `fsync` — perfect grouping, with
/// no checks, no encoding and no threads to hand over to.
fn raw_group_commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("sled_durable_single_event_appends");
    group
        .measurement_time(Duration::from_secs(4))
        .sample_size(10);
    let dir = tempfile::tempdir().unwrap();
    let db = sled::Config::new()
        .path(dir.path())
        .mode(sled::Mode::HighThroughput)
        .open()
        .unwrap();
    let file = std::fs::File::open(dir.path().join("db")).unwrap();
    let mut key = 0u64;
    for writers in [1u64, 8] {
        group.throughput(Throughput::Elements(writers));
        group.bench_function(
            BenchmarkId::new("limit_one_flush_per_group", writers),
            |b| {
                b.iter(|| {
                    let mut batch = sled::Batch::default();
                    for _ in 0..writers * 3 {
                        batch.insert(&key.to_be_bytes(), vec![1u8; 160]);
                        key += 1;
                    }
                    db.apply_batch(batch).unwrap();
                    db.flush().unwrap();
                    file.sync_all().unwrap();
                });
            },
        );
    }
    group.finish();
}

fn group_commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("sled_durable_single_event_appends");
    group
        .measurement_time(Duration::from_secs(4))
        .sample_size(10);
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir, Durability::Durable);
    let counter = AtomicU64::new(0);
    for writers in [1u64, 8] {
        let per_writer = 40;
        group.throughput(Throughput::Elements(writers * per_writer));
        group.bench_function(BenchmarkId::new("writers", writers), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| concurrent_durable(&store, writers, per_writer, &counter))
                    .sum()
            });
        });
    }
    group.finish();
}

fn replay(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir, buffered());
    for b in 0..REPLAYED / 100 {
        // Each of the 100 customers in its own stream, as in the memory benchmark.
        for n in b * 100..(b + 1) * 100 {
            block_on(store.append(
                &stream_of(n),
                ExpectedVersion::NoStream,
                vec![contact_created(n)],
            ))
            .unwrap();
        }
    }
    store.flush().unwrap();
    let raw_dir = tempfile::tempdir().unwrap();
    let db = sled::open(raw_dir.path()).unwrap();
    for (i, event) in block_on(store.read_all(0, usize::MAX))
        .unwrap()
        .iter()
        .enumerate()
    {
        db.insert(
            (i as u64 + 1).to_be_bytes(),
            serde_json::to_vec(event).unwrap(),
        )
        .unwrap();
    }

    let mut group = c.benchmark_group("sled_replay_10k_events");
    group.throughput(Throughput::Elements(REPLAYED));
    group.bench_function("read_all_decoded", |b| {
        b.iter(|| {
            let mut count = 0u64;
            for_each_page(&store, |page| count += page.len() as u64);
            count
        });
    });
    group.bench_function("into_card_projection", |b| {
        b.iter_with_large_drop(|| {
            let mut cards = CustomerCards::default();
            for_each_page(&store, |page| page.iter().for_each(|e| cards.apply(e)));
            cards
        });
    });
    // What opening a CRM does: every view, as issue 17's replay target counts it.
    group.bench_function("into_views", |b| {
        b.iter_with_large_drop(|| {
            let mut views = Tracked::new(Views::default());
            for_each_page(&store, |page| views.apply_batch(page));
            views
        });
    });
    // The limit: scanning a raw sled tree of the same events as JSON and decoding each.
    group.bench_function("limit_raw_scan_and_decode", |b| {
        b.iter(|| {
            db.iter()
                .map(|entry| serde_json::from_slice::<RecordedEvent>(&entry.unwrap().1).unwrap())
                .map(|e| black_box(e.version))
                .sum::<u64>()
        });
    });
    group.finish();
}

criterion_group!(benches, append, group_commit, raw_group_commit, replay);
criterion_main!(benches);
