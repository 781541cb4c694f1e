//! Whether queries stop the world (issue 17): one thread executes commands while four others
//! read cards and compute the sales report over 10 000 customers and their 20 000 orders. The
//! figure is the writer's rate beside its rate alone, in the same run.
//!
//! The readers are people at screens, not a load test: each runs a card and a report (about
//! 15 ms), then waits 50 ms, so that the four keep about one core busy and on a 2-core machine
//! leave the writer its own. What the figure shows is then the cost of sharing the views — a
//! report holding them while a command wants to apply its events — not a fight for cores.
//!
//! ```sh
//! cargo bench --bench concurrent_queries -- --warm-up-time 1 --measurement-time 10
//! ```
#![allow(clippy::unwrap_used, missing_docs)] // Benchmarks fail loudly.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use crm::domain::contact::{ContactCommand, CreateContact, UpdateContact};
use crm::domain::details::Address;
use crm::domain::order::terms::{OrderLine, PlaceOrder, SalesChannel};
use crm::domain::order::OrderCommand;
use crm::event::Actor;
use crm::ids::{ContactId, CustomerId, OrderId};
use crm::money::{Currency, Money};
use crm::report::sales::{SalesBy, SalesReport};
use crm::report::{Bucket, Period};
use crm::{Crm, MemoryStore};
use futures::executor::block_on;

const CUSTOMERS: u64 = 10_000;
const ORDERS_EACH: u64 = 2;
const READERS: usize = 4;
/// How long a reader waits between rounds.
const PAUSE: Duration = Duration::from_millis(50);
/// Commands per measured iteration.
const COMMANDS: u64 = 2_000;

fn customer(n: u64) -> ContactId {
    ContactId::derived("concurrent", &n.to_string())
}

fn order(customer_id: ContactId, n: u64) -> OrderCommand {
    let eur = Currency::new("EUR").unwrap();
    let line = OrderLine {
        product_id: format!("product-{}", n % 50),
        name: format!("Product {}", n % 50),
        category: Some(format!("category-{}", n % 7)),
        quantity: 1,
        unit_price: Money::new(1_000 + (n % 90) as i64 * 100, eur),
        tax: Money::new(210, eur),
    };
    OrderCommand::Place(Box::new(PlaceOrder {
        order_id: OrderId::derived("concurrent", &n.to_string()),
        customer: CustomerId::Contact(customer_id),
        lines: vec![line],
        shipping: Money::new(495, eur),
        shipping_address: Address {
            line1: "Calle Mayor 1".into(),
            city: "Madrid".into(),
            ..Address::default()
        }
        .into(),
        billing_address: None,
        channel: SalesChannel::WebShop,
        promised_delivery: None,
    }))
}

fn shop() -> Arc<Crm<MemoryStore>> {
    let crm = Crm::new(MemoryStore::new());
    block_on(async {
        for n in 0..CUSTOMERS {
            let create = CreateContact::new(customer(n), "María", &format!("García {n}"))
                .email(&format!("customer{n}@example.com"));
            crm.execute(&Actor::System, ContactCommand::Create(create))
                .await
                .unwrap();
            for k in 0..ORDERS_EACH {
                crm.execute(&Actor::System, order(customer(n), n * ORDERS_EACH + k))
                    .await
                    .unwrap();
            }
        }
    });
    Arc::new(crm)
}

/// The writer's work: `COMMANDS` updates, one event each, round-robin over the customers.
fn write(crm: &Crm<MemoryStore>, round: &AtomicU64) -> Duration {
    let first = round.fetch_add(COMMANDS, Ordering::Relaxed);
    let start = Instant::now();
    block_on(async {
        for i in first..first + COMMANDS {
            let mut update = UpdateContact::new(customer(i % CUSTOMERS));
            update.set_fields.insert("visits".into(), i.to_string());
            crm.execute(&Actor::System, ContactCommand::Update(update))
                .await
                .unwrap();
        }
    });
    start.elapsed()
}

/// 2026 by month: what the sales report is asked for.
fn months() -> Period {
    Period::new(
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap(),
    )
    .unwrap()
    .by(Bucket::Month)
}

/// A person at a screen: a card, the month's sales by category, a pause.
fn read(crm: &Crm<MemoryStore>, stop: &AtomicBool, done: &AtomicU64) {
    let months = months();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let now = Utc::now();
        crm.query_unfiltered(|v| black_box(v.contact_card(customer(n % CUSTOMERS), now)));
        crm.query_unfiltered(|v| {
            black_box(SalesReport::compute(&v.activity, months, SalesBy::Category))
        });
        done.fetch_add(1, Ordering::Relaxed);
        n += 7;
        std::thread::sleep(PAUSE);
    }
}

fn concurrent_queries(c: &mut Criterion) {
    let crm = shop();
    let round = AtomicU64::new(0);
    let mut group = c.benchmark_group("writer_2000_commands_10k_customers");
    group.sample_size(20);
    group.bench_function("alone", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| write(&crm, &round)).sum());
    });
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let months = months();
    group.bench_function("one_sales_report", |b| {
        b.iter(|| {
            crm.query_unfiltered(|v| {
                black_box(SalesReport::compute(&v.activity, months, SalesBy::Category))
            })
        });
    });
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (crm, stop, done) = (Arc::clone(&crm), Arc::clone(&stop), Arc::clone(&done));
            std::thread::spawn(move || read(&crm, &stop, &done))
        })
        .collect();
    group.bench_function("with_4_readers", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| write(&crm, &round)).sum());
    });
    stop.store(true, Ordering::Relaxed);
    readers.into_iter().for_each(|r| r.join().unwrap());
    group.finish();
    println!(
        "readers ran {} card-and-report rounds",
        done.load(Ordering::Relaxed)
    );
}

criterion_group!(benches, concurrent_queries);
criterion_main!(benches);
