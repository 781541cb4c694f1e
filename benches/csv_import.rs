//! What a CSV import of contacts costs (see docs/performance.md): 2 000 rows read, mapped,
//! checked for duplicates and put through the contact commands, beside the limit of executing
//! the same `CreateContact` commands directly, in the same run.
#![allow(clippy::unwrap_used, missing_docs)] // Benchmarks fail loudly.

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

criterion_group!(benches, csv_import);
criterion_main!(benches);
