//! Benchmarks on the memory store, each beside the limit it is judged against (see
//! docs/performance.md): append vs. materializing the same records, replay into the views
//! vs. a raw scan of the log, and `Crm::execute` at short vs. long aggregate histories.
#![allow(clippy::unwrap_used, missing_docs)] // Benchmarks fail loudly.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use crm::domain::contact::{Contact, ContactCommand, CreateContact, UpdateContact};
use crm::event::{Actor, NewEvent, RecordedEvent};
use crm::ids::{ContactId, StreamId};
use crm::projection::{Tracked, Views};
use crm::store::{EventStore, ExpectedVersion};
use crm::{Crm, CrmOptions, MemoryStore};
use futures::executor::block_on;

mod fixtures;

use fixtures::{at, contact_created, contact_history, for_each_page, stream_of};

const EVENTS: u64 = 10_000;
const BATCH: u64 = 100;

/// Appends of 100 events, each one contact's history.
fn batches() -> Vec<(StreamId, Vec<NewEvent>)> {
    (0..EVENTS / BATCH)
        .map(|b| (stream_of(b), contact_history(b, BATCH)))
        .collect()
}

/// 10 000 customers, each created in its own stream: what the replay benchmarks fold.
fn filled_store() -> MemoryStore {
    let store = MemoryStore::new();
    for n in 0..EVENTS {
        block_on(store.append(
            &stream_of(n),
            ExpectedVersion::NoStream,
            vec![contact_created(n)],
        ))
        .unwrap();
    }
    store
}

fn append(c: &mut Criterion) {
    let mut group = c.benchmark_group("append_batches_of_100");
    group.throughput(Throughput::Elements(EVENTS));
    group.bench_function("memory_store", |b| {
        b.iter_batched(
            batches,
            |batches| {
                let store = MemoryStore::new();
                for (stream, events) in batches {
                    block_on(store.append(&stream, ExpectedVersion::NoStream, events)).unwrap();
                }
                store
            },
            BatchSize::LargeInput,
        );
    });
    // The limit: building the same recorded events in a Vec, with no index and no checks.
    group.bench_function("limit_vec_of_records", |b| {
        b.iter_batched(
            batches,
            |batches| {
                let mut log = Vec::with_capacity(EVENTS as usize);
                for (stream, events) in batches {
                    for (i, e) in events.into_iter().enumerate() {
                        log.push(RecordedEvent {
                            id: e.id,
                            stream: stream.clone(),
                            version: i as u64 + 1,
                            position: log.len() as u64 + 1,
                            occurred_at: e.occurred_at,
                            recorded_at: at(),
                            metadata: e.metadata,
                            event: e.event,
                        });
                    }
                }
                log
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

fn replay(c: &mut Criterion) {
    let store = filled_store();
    let mut group = c.benchmark_group("replay_10k_events");
    group.throughput(Throughput::Elements(EVENTS));
    // Dropping the views is teardown, not replay: it happens outside the timing.
    group.bench_function("into_views", |b| {
        b.iter_with_large_drop(|| {
            let mut views = Tracked::new(Views::default());
            for_each_page(&store, |page| views.apply_batch(page));
            views
        });
    });
    // The limit: reading the same log in the same batches and touching every event.
    group.bench_function("limit_raw_scan", |b| {
        b.iter(|| {
            let mut checksum = 0u64;
            for_each_page(&store, |page| {
                checksum += page.iter().map(|e| black_box(e.version)).sum::<u64>();
            });
            checksum
        });
    });
    // For durable stores to come: what decoding the JSON wire form of the same events costs.
    let lines: Vec<String> = block_on(store.read_all(0, usize::MAX))
        .unwrap()
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    group.bench_function("reference_json_decode", |b| {
        b.iter(|| {
            lines
                .iter()
                .map(|l| serde_json::from_str::<RecordedEvent>(l).unwrap())
                .map(|e| black_box(e.version))
                .sum::<u64>()
        });
    });
    group.finish();
}

/// A CRM whose contact `id` has `history` events, loading as `options` say.
fn crm_with_history(history: u64, options: CrmOptions) -> (Crm<MemoryStore>, ContactId) {
    let crm = Crm::with(
        MemoryStore::new(),
        Arc::new(crm::clock::SystemClock),
        Arc::new(crm::clock::RandomIds),
        options,
    );
    let id = ContactId::derived("bench", "busy");
    let create = CreateContact::new(id, "Ana", "García").email("ana@example.com");
    block_on(crm.execute(&Actor::System, ContactCommand::Create(create))).unwrap();
    for n in 1..history {
        block_on(crm.execute(&Actor::System, visit(id, n))).unwrap();
    }
    (crm, id)
}

fn visit(id: ContactId, n: u64) -> ContactCommand {
    let mut update = UpdateContact::new(id);
    update.set_fields.insert("visits".into(), n.to_string());
    ContactCommand::Update(update)
}

/// Loading an aggregate before a decision, as its history grows: with the state cache, from
/// the latest snapshot (a cold process), and replaying every event (what a framework without
/// snapshots does on each command; the peer this is measured against).
fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load_aggregate_by_history");
    group.throughput(Throughput::Elements(1));
    let ways = [
        ("cached", CrmOptions::default()),
        (
            "snapshot",
            CrmOptions {
                state_cache: 0,
                ..CrmOptions::default()
            },
        ),
        (
            "full_replay",
            CrmOptions {
                state_cache: 0,
                snapshot_every: u64::MAX,
                ..CrmOptions::default()
            },
        ),
    ];
    for history in [20u64, 1_000] {
        for (way, options) in ways.clone() {
            let (crm, id) = crm_with_history(history, options);
            group.bench_function(BenchmarkId::new(way, history), |b| {
                b.iter(|| block_on(crm.load::<Contact>(id)).unwrap());
            });
        }
    }
    group.finish();
}

/// A whole command: load, decide, append, snapshot now and then, catch the views up, let the
/// policies react. The stream grows by one event per iteration, so this is the steady state of
/// a busy contact. The same without policies shows what reacting costs.
fn execute(c: &mut Criterion) {
    let mut group = c.benchmark_group("execute_update");
    group.throughput(Throughput::Elements(1));
    for (name, run_policies) in [("busy_contact", true), ("busy_contact_no_policies", false)] {
        let options = CrmOptions {
            run_policies,
            ..CrmOptions::default()
        };
        let (crm, id) = crm_with_history(1_000, options);
        let mut n = 1_000;
        group.bench_function(name, |b| {
            b.iter(|| {
                n += 1;
                block_on(crm.execute(&Actor::System, visit(id, n))).unwrap()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, append, replay, load, execute);
criterion_main!(benches);
