//! What sealing personal data costs (see docs/performance.md): appending and replaying the
//! same 10 000 new customers on a plain memory store and on the same store wrapped in
//! `crypto::Encrypted`, in the same run. Each customer is a new data subject, so every append
//! also makes, wraps and keeps a data key: the worst case for sealing.
#![allow(clippy::unwrap_used, missing_docs)] // Benchmarks fail loudly.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use crm::crypto::{Encrypted, Kek, MemoryKeys};
use crm::event::NewEvent;
use crm::ids::StreamId;
use crm::projection::{Tracked, Views};
use crm::store::{EventStore, ExpectedVersion};
use crm::MemoryStore;
use futures::executor::block_on;

mod fixtures;

use fixtures::{contact_created, for_each_page, stream_of};

const CUSTOMERS: u64 = 10_000;

fn creations() -> Vec<(StreamId, NewEvent)> {
    (0..CUSTOMERS)
        .map(|n| (stream_of(n), contact_created(n)))
        .collect()
}

fn encrypted() -> Encrypted<MemoryStore> {
    let kek = Kek::from_bytes(&[3; 32]).unwrap();
    Encrypted::new(
        MemoryStore::new(),
        Arc::new(MemoryKeys::new()),
        Arc::new(kek),
    )
}

fn fill<S: EventStore>(store: &S, events: Vec<(StreamId, NewEvent)>) {
    for (stream, event) in events {
        block_on(store.append(&stream, ExpectedVersion::NoStream, vec![event])).unwrap();
    }
}

fn append(c: &mut Criterion) {
    let mut group = c.benchmark_group("sealing_append_10k_new_customers");
    group.throughput(Throughput::Elements(CUSTOMERS));
    group.bench_function("plain", |b| {
        b.iter_batched(
            creations,
            |events| {
                let store = MemoryStore::new();
                fill(&store, events);
                store
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("sealed", |b| {
        b.iter_batched(
            creations,
            |events| {
                let store = encrypted();
                fill(&store, events);
                store
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

fn replay(c: &mut Criterion) {
    let plain = MemoryStore::new();
    fill(&plain, creations());
    let sealed = encrypted();
    fill(&sealed, creations());
    let mut group = c.benchmark_group("sealing_replay_10k_customers");
    group.throughput(Throughput::Elements(CUSTOMERS));
    group.bench_function("plain", |b| {
        b.iter_with_large_drop(|| {
            let mut views = Tracked::new(Views::default());
            for_each_page(&plain, |page| views.apply_batch(page));
            views
        });
    });
    group.bench_function("sealed", |b| {
        b.iter_with_large_drop(|| {
            let mut views = Tracked::new(Views::default());
            for_each_page(&sealed, |page| views.apply_batch(page));
            views
        });
    });
    group.finish();
}

criterion_group!(benches, append, replay);
criterion_main!(benches);
