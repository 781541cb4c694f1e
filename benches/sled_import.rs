//! `crm import` of a JSONL log into a durable sled store (see docs/performance.md), beside
//! raw sled writes of the same lines in the same run: one `apply_batch` and one flush per
//! thousand lines, as the import commits them, with one key per event (the plain limit) and
//! with the three keys per event the store keeps (event, stream index, id index).
//! `CRM_BENCH_LOG=path` measures that JSONL log instead of the generated one.
#![allow(clippy::unwrap_used, missing_docs)] // Benchmarks fail loudly.

mod fixtures;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use crm::log::{import, ImportOptions, LogLine};
use crm::{Durability, SledOptions, SledStore};
use futures::executor::block_on;

const BUYERS: u64 = 1_000;
const ORDERS: u64 = 3_000;
/// Lines per commit, as `ImportOptions::default()` batches them.
const BATCH: usize = 1_000;

/// A shop's log as `crm export` writes it: 1 000 customers, then 3 000 orders from placed to
/// delivered (25 000 events).
fn log() -> Vec<u8> {
    let crm = fixtures::shop(BUYERS, ORDERS);
    let mut out = Vec::new();
    block_on(crm::log::export(crm.store(), &mut out, 1, 4096)).unwrap();
    out
}

/// Each line's keys and values as the store lays them out (`crm-store-sled/src/keys.rs`), in
/// batches of [`BATCH`] lines; with `indexes: false`, the event key alone.
fn raw_batches(log: &[u8], indexes: bool) -> Vec<Vec<(Vec<u8>, Vec<u8>)>> {
    let lines: Vec<&[u8]> = log
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    lines
        .chunks(BATCH)
        .enumerate()
        .map(|(c, chunk)| {
            let mut entries = Vec::new();
            for (i, line) in chunk.iter().enumerate() {
                let parsed: LogLine = serde_json::from_slice(line).unwrap();
                let position = ((c * BATCH + i + 1) as u64).to_be_bytes();
                entries.push(([&[b'E'][..], &position].concat(), line.to_vec()));
                if indexes {
                    let stream = parsed.stream.as_str().as_bytes();
                    let version = parsed.version.to_be_bytes();
                    let stream_key = [&[b'S'][..], stream, &[0], &version].concat();
                    entries.push((stream_key, position.to_vec()));
                    let id_key = [&[b'I'][..], parsed.id.as_uuid().as_bytes()].concat();
                    entries.push((id_key, [&position[..], &version, stream].concat()));
                }
            }
            entries
        })
        .collect()
}

fn raw_write(batches: Vec<Vec<(Vec<u8>, Vec<u8>)>>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = sled::open(dir.path()).unwrap();
    let tree = db.open_tree("log").unwrap();
    for entries in batches {
        let mut batch = sled::Batch::default();
        for (key, value) in entries {
            batch.insert(key, value);
        }
        tree.apply_batch(batch).unwrap();
        db.flush().unwrap();
    }
    dir
}

fn sled_import(c: &mut Criterion) {
    // Another log (the Olist one, say) can be measured the same way; none is committed.
    let log = match std::env::var_os("CRM_BENCH_LOG") {
        Some(path) => std::fs::read(path).unwrap(),
        None => log(),
    };
    let events = log.iter().filter(|&&b| b == b'\n').count() as u64;
    let mut group = c.benchmark_group("sled_import");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events));
    group.bench_function("crm_import", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let options = SledOptions {
                    durability: Durability::Durable,
                    ..SledOptions::default()
                };
                let store = SledStore::open_with(dir.path(), options).unwrap();
                (dir, store)
            },
            |(dir, store)| {
                let done = block_on(import(
                    &store,
                    log.as_slice(),
                    ImportOptions::default(),
                    |_| {},
                    |_| {},
                ))
                .unwrap();
                assert_eq!(done.imported, events);
                (dir, store)
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function("limit_raw_three_keys", |b| {
        b.iter_batched(
            || raw_batches(&log, true),
            raw_write,
            BatchSize::PerIteration,
        );
    });
    group.bench_function("limit_raw_one_key", |b| {
        b.iter_batched(
            || raw_batches(&log, false),
            raw_write,
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, sled_import);
criterion_main!(benches);
