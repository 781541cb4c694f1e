//! Opening from a snapshot of the views, and time travel, beside a full replay, in the same
//! run (issue 18), on the Olist data (skipped, with a message, where it is absent): the log
//! the `olist` example writes, imported into a sealing sled store as `crm import` does, with
//! snapshots every 50 000 events as `crm import` leaves them.
//!
//! - `card_full_replay`: what `crm card` did before snapshots: replay the whole log, find a
//!   customer, build the card.
//! - `card_from_snapshot`: `Crm::open` (the latest snapshot plus the events after it), then
//!   the same card.
//! - `as_of_middle`: the views at the log's middle position, from the nearest snapshot
//!   before it.
//! - `replay_one_interval`: the views as of position 50 000, below the first snapshot:
//!   a replay of one snapshot interval from nothing.
//!
//! ```sh
//! cargo bench --features sled --bench views_snapshot
//! ```
#![allow(clippy::unwrap_used, missing_docs)] // Benchmarks fail loudly.

#[path = "../examples/olist/import.rs"]
mod olist;

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use crm::clock::{ManualClock, RandomIds, SequentialIds, SystemClock};
use crm::crypto::{Encrypted, Kek, MemoryKeys};
use crm::store::EventStore;
use crm::time_travel::AsOf;
use crm::{Crm, CrmOptions, MemoryStore, SledStore};

const INTERVAL: u64 = 50_000;

type Store = Encrypted<SledStore>;

/// The Olist log in a sealing sled store with snapshots every [`INTERVAL`] events.
fn olist_store(runtime: &tokio::runtime::Runtime, dir: &Path) -> Option<Store> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/olist");
    if !data.join("olist_orders_dataset.csv").exists() {
        eprintln!("skipped: the Olist data is not in {}", data.display());
        return None;
    }
    runtime.block_on(async {
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2018, 10, 18, 0, 0, 0).unwrap());
        let source = Crm::with(
            MemoryStore::with_clock(Arc::new(clock.clone())),
            Arc::new(clock),
            Arc::new(SequentialIds::new(2016)),
            CrmOptions {
                run_policies: false,
                ..CrmOptions::default()
            },
        );
        olist::import(&source, &data).await.unwrap();
        let mut log = Vec::new();
        crm::log::export(source.store(), &mut log, 1, 4096)
            .await
            .unwrap();
        let kek = Kek::from_bytes(&[3; 32]).unwrap();
        let store = Encrypted::new(
            SledStore::open(dir).unwrap(),
            Arc::new(MemoryKeys::new()),
            Arc::new(kek),
        );
        crm::log::import(&store, log.as_slice(), Default::default(), |_| {}, |_| {})
            .await
            .unwrap();
        let options = CrmOptions {
            views_snapshot_every: INTERVAL,
            views_snapshots_while_replaying: true,
            ..CrmOptions::default()
        };
        Crm::open_with(&store, options)
            .await
            .unwrap()
            .close()
            .await
            .unwrap();
        Some(store)
    })
}

/// A card found by an email, as `crm card` prints it.
fn card<S: EventStore>(crm: &Crm<S>) -> String {
    crm.query_unfiltered(|v| {
        let hit = v
            .search
            .find("Customer 8d3a54507421dbd2ce0a1d58046826e0")
            .into_iter()
            .next()
            .unwrap();
        match hit.customer {
            crm::ids::CustomerId::Contact(id) => {
                v.contact_card(id, Utc::now()).unwrap().to_string()
            }
            crm::ids::CustomerId::Company(id) => {
                v.company_card(id, Utc::now()).unwrap().to_string()
            }
        }
    })
}

fn views_snapshot(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let Some(store) = olist_store(&runtime, dir.path()) else {
        return;
    };
    let head = runtime.block_on(store.head_position()).unwrap();
    let mut group = c.benchmark_group("views_snapshot");
    group.sample_size(10);
    // Freeing the views is left out of the timing on both sides: `crm card` leaves them to
    // the operating system at exit, and it would add the same ~80 ms to each.
    group.bench_function("card_full_replay", |b| {
        b.iter_with_large_drop(|| {
            runtime.block_on(async {
                // Made without `open`, so no snapshot is looked at.
                let crm = Crm::with(
                    &store,
                    Arc::new(SystemClock),
                    Arc::new(RandomIds),
                    CrmOptions {
                        views_snapshot_every: 0,
                        ..CrmOptions::default()
                    },
                );
                crm.catch_up().await.unwrap();
                let card = card(&crm);
                (crm, card)
            })
        });
    });
    group.bench_function("card_from_snapshot", |b| {
        b.iter_with_large_drop(|| {
            runtime.block_on(async {
                let crm = Crm::open(&store).await.unwrap();
                assert_eq!(crm.snapshot_report().opened_from, Some(head));
                let card = card(&crm);
                (crm, card)
            })
        });
    });
    let crm = runtime.block_on(Crm::open(&store)).unwrap();
    group.bench_function("as_of_middle", |b| {
        b.iter_with_large_drop(|| {
            let past = runtime
                .block_on(crm.as_of(AsOf::Position(head / 2)))
                .unwrap();
            assert!(past.from_snapshot.is_some());
            past
        });
    });
    group.bench_function("replay_one_interval", |b| {
        b.iter_with_large_drop(|| {
            let past = runtime
                .block_on(crm.as_of(AsOf::Position(INTERVAL)))
                .unwrap();
            assert_eq!(past.from_snapshot, None);
            past
        });
    });
    group.finish();
}

criterion_group!(benches, views_snapshot);
criterion_main!(benches);
