//! What a read handle costs (see docs/performance.md): `Crm::reader` copies the part of the
//! views an actor may see, under the views' lock. Measured for a manager who sees a tenth of
//! 10 000 customers and for an admin who sees them all, beside the limit of copying every view
//! once, in the same run.
#![allow(clippy::unwrap_used, missing_docs)] // Benchmarks fail loudly.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use crm::access::Role;
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::domain::user::UserCommand;
use crm::event::Actor;
use crm::ids::{ContactId, UserId};
use crm::{Crm, MemoryStore};
use futures::executor::block_on;

const CUSTOMERS: u64 = 10_000;
const MANAGERS: u64 = 10;

fn manager(n: u64) -> UserId {
    UserId::derived("bench", &format!("manager-{n}"))
}

fn shop() -> Crm<MemoryStore> {
    let crm = Crm::new(MemoryStore::new());
    block_on(async {
        let admin = UserCommand::add(manager(99), "Admin", "admin@shop.example", Role::Admin);
        crm.execute(&Actor::System, admin).await.unwrap();
        for n in 0..MANAGERS {
            let add = UserCommand::add(
                manager(n),
                format!("Manager {n}"),
                format!("m{n}@shop.example"),
                Role::Manager,
            );
            crm.execute(&Actor::System, add).await.unwrap();
        }
        for n in 0..CUSTOMERS {
            let id = ContactId::derived("bench", &n.to_string());
            let create = CreateContact::new(id, "María", &format!("García {n}"))
                .email(&format!("customer{n}@example.com"))
                .owner(manager(n % MANAGERS));
            crm.execute(&Actor::System, ContactCommand::Create(create))
                .await
                .unwrap();
        }
    });
    crm
}

fn reader(c: &mut Criterion) {
    let crm = shop();
    let mut group = c.benchmark_group("reader_10k_customers");
    let as_manager = Actor::User {
        user_id: manager(0),
    };
    let as_admin = Actor::User {
        user_id: manager(99),
    };
    group.bench_function("manager_sees_a_tenth", |b| {
        b.iter_with_large_drop(|| block_on(crm.reader(&as_manager)).unwrap());
    });
    group.bench_function("admin_sees_all", |b| {
        b.iter_with_large_drop(|| block_on(crm.reader(&as_admin)).unwrap());
    });
    // The limit: one copy of every view, with no filtering and no lookups.
    group.bench_function("limit_clone_views", |b| {
        b.iter_with_large_drop(|| crm.query_unfiltered(|v| black_box(v.clone())));
    });
    group.finish();
}

criterion_group!(benches, reader);
criterion_main!(benches);
