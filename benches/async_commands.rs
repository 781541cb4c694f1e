//! Whether a durable store holds async workers through its fsync (issue 17): 512 commands on a
//! durable sled store, each creating a contact, carried out by 1, 8 or 64 concurrent tasks on
//! a tokio runtime of two worker threads. If a durable append blocked its worker until the
//! fsync, no more than two appends could wait at once, and 64 tasks would run no faster than
//! two; when the tasks await instead, one group commit serves every task that waits.
//!
//! ```sh
//! cargo bench --features sled --bench async_commands -- --warm-up-time 1 --measurement-time 10
//! ```
#![allow(clippy::unwrap_used, missing_docs)] // Benchmarks fail loudly.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::event::Actor;
use crm::ids::ContactId;
use crm::{Crm, SledStore};

const COMMANDS: u64 = 512;
const WORKERS: usize = 2;

async fn create(crm: &Crm<SledStore>, n: u64) {
    let id = ContactId::derived("async", &n.to_string());
    let create = CreateContact::new(id, "Ada", &format!("Lovelace {n}"));
    crm.execute(&Actor::System, ContactCommand::Create(create))
        .await
        .unwrap();
}

/// `COMMANDS` creations shared among `tasks` concurrent tasks.
async fn run(crm: &Arc<Crm<SledStore>>, next: &Arc<AtomicU64>, tasks: u64) {
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (crm, next) = (Arc::clone(crm), Arc::clone(next));
            tokio::spawn(async move {
                for _ in 0..COMMANDS / tasks {
                    create(&crm, next.fetch_add(1, Ordering::Relaxed)).await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
}

fn async_commands(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let crm = Arc::new(Crm::new(SledStore::open(dir.path()).unwrap()));
    let next = Arc::new(AtomicU64::new(0));
    let mut group = c.benchmark_group("durable_sled_512_commands_2_workers");
    group.sample_size(10);
    group.throughput(Throughput::Elements(COMMANDS));
    for tasks in [1, 8, 64] {
        group.bench_with_input(BenchmarkId::new("tasks", tasks), &tasks, |b, &tasks| {
            b.iter(|| runtime.block_on(run(&crm, &next, tasks)));
        });
    }
    group.finish();
}

criterion_group!(benches, async_commands);
criterion_main!(benches);
