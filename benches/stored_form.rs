//! Would a binary stored form make replay faster? (see docs/performance.md) The same events in
//! two raw sled trees — as JSON, the store's form, and as MessagePack — scanned and decoded,
//! and replayed into every view, in the same run.
//!
//! MessagePack (`rmp-serde`, structs as maps) stands in for "binary": postcard, the format the
//! issue suggests, cannot read our events back. It has no field names, so it cannot skip the
//! empty fields our payloads leave out (`skip_serializing_if`), and it cannot drive
//! `deserialize_any`, which the event envelope's upcasting path needs.
#![allow(clippy::unwrap_used, missing_docs)] // Benchmarks fail loudly.

mod fixtures;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crm::event::RecordedEvent;
use crm::projection::{Projection, Views};
use crm::store::EventStore;
use futures::executor::block_on;

type Encode = fn(&RecordedEvent) -> Vec<u8>;
type Decode = fn(&[u8]) -> RecordedEvent;

fn json(event: &RecordedEvent) -> Vec<u8> {
    serde_json::to_vec(event).unwrap()
}

fn from_json(bytes: &[u8]) -> RecordedEvent {
    serde_json::from_slice(bytes).unwrap()
}

fn msgpack(event: &RecordedEvent) -> Vec<u8> {
    rmp_serde::to_vec_named(event).unwrap()
}

fn from_msgpack(bytes: &[u8]) -> RecordedEvent {
    rmp_serde::from_slice(bytes).unwrap()
}

/// A raw sled tree holding `events` encoded by `encode`, keyed by position.
fn tree(events: &[RecordedEvent], encode: Encode) -> (sled::Db, sled::Tree) {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let tree = db.open_tree("log").unwrap();
    let mut bytes = 0;
    for event in events {
        let value = encode(event);
        bytes += value.len();
        tree.insert(event.position.to_be_bytes(), value).unwrap();
    }
    println!(
        "stored form: {} bytes per event",
        bytes / events.len().max(1)
    );
    (db, tree)
}

fn scan(tree: &sled::Tree, decode: Decode, mut f: impl FnMut(RecordedEvent)) {
    for entry in tree.iter() {
        f(decode(&entry.unwrap().1));
    }
}

fn stored_form(c: &mut Criterion) {
    let shop = fixtures::shop(1_000, 3_000);
    let events = block_on(shop.store().read_all(1, usize::MAX)).unwrap();
    for event in &events {
        assert_eq!(
            &from_msgpack(&msgpack(event)),
            event,
            "MessagePack round trip"
        );
    }
    let forms: [(&str, Encode, Decode); 2] = [
        ("json", json, from_json),
        ("msgpack", msgpack, from_msgpack),
    ];
    let mut group = c.benchmark_group("stored_form");
    group.throughput(Throughput::Elements(events.len() as u64));
    for (name, encode, decode) in forms {
        let (_db, tree) = tree(&events, encode);
        group.bench_function(format!("{name}_scan_and_decode"), |b| {
            b.iter(|| {
                let mut versions = 0u64;
                scan(&tree, decode, |e| versions += black_box(e.version));
                versions
            });
        });
        group.bench_function(format!("{name}_replay_into_views"), |b| {
            b.iter_with_large_drop(|| {
                let mut views = Views::default();
                scan(&tree, decode, |e| views.apply(&e));
                views
            });
        });
    }
    group.finish();
}

criterion_group!(benches, stored_form);
criterion_main!(benches);
