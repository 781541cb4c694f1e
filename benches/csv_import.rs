//! What a CSV import costs (see docs/performance.md), each beside the limit of executing the
//! same commands directly in the same run: 2 000 contacts read, mapped, checked for duplicates
//! and put through the contact commands; 1 000 orders (two lines, a payment, approval,
//! shipping and delivery each) read from two files, decided whole and written an order at a
//! time.
#![allow(clippy::unwrap_used, missing_docs)] // Benchmarks fail loudly.

mod fixtures;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use crm::csv_import::{headers, FieldMap, ImportOptions, Kind};
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::event::Actor;
use crm::ids::{ContactId, ImportId};
use crm::{Crm, MemoryStore};
use futures::executor::block_on;

const ROWS: u64 = 2_000;

fn file() -> Vec<u8> {
    let mut text = String::from("id;first_name;last_name;email;phone;city\n");
    for n in 0..ROWS {
        text.push_str(&format!(
            "C{n};María;García {n};customer{n}@example.com;+34 600 {n:06};Madrid\n"
        ));
    }
    text.into_bytes()
}

fn csv_import(c: &mut Criterion) {
    let file = file();
    let map = FieldMap::guess(Kind::Contacts, "bench", &headers(&file).unwrap());
    let mut group = c.benchmark_group("csv_import_2000_contacts");
    group.sample_size(10);
    group.bench_function("import_csv", |b| {
        b.iter_batched(
            || Crm::new(MemoryStore::new()),
            |crm| {
                let options = ImportOptions::new(ImportId::from_uuid(uuid::Uuid::from_u128(1)));
                let done = block_on(crm.import_csv(&file, &map, &options)).unwrap();
                assert_eq!(done.created, ROWS);
                crm
            },
            BatchSize::PerIteration,
        );
    });
    // The limit: the same contacts created by command, with nothing to read or look up.
    group.bench_function("limit_create_commands", |b| {
        b.iter_batched(
            || Crm::new(MemoryStore::new()),
            |crm| {
                block_on(async {
                    for n in 0..ROWS {
                        let id = ContactId::derived("bench", &n.to_string());
                        let mut create = CreateContact::new(id, "María", &format!("García {n}"))
                            .email(&format!("customer{n}@example.com"));
                        create
                            .personal
                            .phones
                            .push(crm::domain::details::Phone::new(format!("+34 600 {n:06}")));
                        create
                            .personal
                            .addresses
                            .push(crm::domain::details::Address {
                                city: "Madrid".into(),
                                ..Default::default()
                            });
                        crm.execute(&Actor::System, ContactCommand::Create(create))
                            .await
                            .unwrap();
                    }
                });
                crm
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

const ORDERS: u64 = 1_000;
const BUYERS: u64 = 250;

/// 1 000 orders of two lines each (a row per line), paid, approved, shipped and delivered;
/// their payments in a file of their own.
fn order_files() -> (Vec<u8>, Vec<u8>) {
    let mut orders = String::from(
        "order_id,customer_id,order_date,approved_at,shipped_at,delivered_at,sku,price\n",
    );
    let mut payments = String::from("order_id,payment_type,amount\n");
    for n in 0..ORDERS {
        let when = |h: u64| format!("2026-03-{:02} {:02}:00:00", 1 + n % 28, h);
        let cells = format!(
            "O{n},C{},{},{},{},{}",
            n % BUYERS,
            when(9),
            when(10),
            when(15),
            when(20)
        );
        orders.push_str(&format!("{cells},MUG,12.50\n{cells},TEA,5.00\n"));
        payments.push_str(&format!("O{n},card,17.50\n"));
    }
    (orders.into_bytes(), payments.into_bytes())
}

fn orders_import(c: &mut Criterion) {
    use crm::money::Currency;
    let (orders, payments) = order_files();
    let mut map = FieldMap::guess(
        Kind::Orders,
        "bench",
        &[headers(&orders).unwrap(), headers(&payments).unwrap()].concat(),
    );
    map.currency = Some(Currency::new("EUR").unwrap());
    let mut group = c.benchmark_group("csv_import_1000_orders");
    group.sample_size(10);
    group.bench_function("import_orders_csv", |b| {
        b.iter_batched(
            || Crm::new(MemoryStore::new()),
            |crm| {
                let options = ImportOptions::new(ImportId::from_uuid(uuid::Uuid::from_u128(2)));
                let files = crm::csv_import::OrderFiles {
                    orders: &orders,
                    lines: None,
                    payments: Some(&payments),
                };
                let done = block_on(crm.import_orders_csv(files, &map, &options, |_| {})).unwrap();
                assert_eq!((done.created, done.errors.len()), (ORDERS, 0), "{done:?}");
                crm
            },
            BatchSize::PerIteration,
        );
    });
    // The limit: the same customers and the same orders' commands executed one by one, with
    // nothing to read, look up or decide beforehand.
    group.bench_function("limit_order_commands", |b| {
        b.iter_batched(
            || Crm::new(MemoryStore::new()),
            |crm| {
                block_on(async {
                    for n in 0..BUYERS {
                        let id = ContactId::derived("bench", &n.to_string());
                        let create = CreateContact::new(id, "Customer", &format!("C{n}"));
                        crm.execute(&Actor::System, ContactCommand::Create(create))
                            .await
                            .unwrap();
                    }
                    for n in 0..ORDERS {
                        let steps = fixtures::order_lifecycle(n, BUYERS);
                        for step in steps {
                            crm.execute(&Actor::System, step).await.unwrap();
                        }
                    }
                });
                crm
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, csv_import, orders_import);
criterion_main!(benches);
