//! crm beside cqrs-es 0.5 (`CqrsFramework` over its `MemStore`) on the simplest workload, in
//! the same run (issue 17): `A` customers created, then `N − A` commands round-robin over
//! them, one in five changing the email and the rest recording a call — for crm a custom
//! field set to a new value, one event on the contact's stream; for cqrs-es one event on its
//! aggregate. (N, A) = (200 k, 10 k), (50 k, 1 k) and (100 k, 100): 20, 50 and 1 000 events
//! per customer. crm runs with its projections and policies inline, and once with the
//! policies off (its projections cannot be turned off: every command catches them up).
//!
//! cqrs-es's `MemStore` prints two lines to stdout per command, so its time depends on where
//! stdout goes; `cqrs_es_quiet` is the same framework over a copy of that store without the
//! printing, the steadier peer. Run with stdout in a file, as the docs' figures were:
//!
//! ```sh
//! cargo bench --bench peers -- --warm-up-time 1 --measurement-time 5 > peers.log
//! grep -A2 '^peers' peers.log
//! ```
#![allow(clippy::unwrap_used, missing_docs)] // Benchmarks fail loudly.

use std::sync::Arc;

use cqrs_es::event_sink::EventSink;
use cqrs_es::mem_store::MemStore;
use cqrs_es::{Aggregate, CqrsFramework, DomainEvent, EventStore};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use crm::clock::{RandomIds, SystemClock};
use crm::domain::contact::{ContactCommand, CreateContact, UpdateContact};
use crm::event::Actor;
use crm::ids::ContactId;
use crm::{Crm, CrmOptions, MemoryStore};
use serde::{Deserialize, Serialize};

mod quiet_mem_store;

use quiet_mem_store::QuietMemStore;

/// The three history lengths: (commands in all, customers).
const SIZES: [(u64, u64); 3] = [(200_000, 10_000), (50_000, 1_000), (100_000, 100)];

/// What the i-th command after the creations does to customer `i % customers`.
enum Step {
    Email(String),
    Call(u64),
}

fn step(i: u64) -> Step {
    match i % 5 {
        0 => Step::Email(format!("customer-{i}@example.com")),
        _ => Step::Call(i),
    }
}

// --- cqrs-es: the aggregate its users write for this workload ---

#[derive(Debug, Default, Serialize, Deserialize)]
struct Customer {
    created: bool,
    email: String,
    last_call: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum CustomerEvent {
    Created { email: String },
    EmailChanged { email: String },
    CallRecorded { at: u64 },
}

impl DomainEvent for CustomerEvent {
    fn event_type(&self) -> String {
        match self {
            Self::Created { .. } => "Created",
            Self::EmailChanged { .. } => "EmailChanged",
            Self::CallRecorded { .. } => "CallRecorded",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

enum CustomerCommand {
    Create { email: String },
    ChangeEmail { email: String },
    RecordCall { at: u64 },
}

#[derive(Debug)]
struct CustomerError(&'static str);

impl std::fmt::Display for CustomerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for CustomerError {}

impl Aggregate for Customer {
    const TYPE: &'static str = "customer";
    type Command = CustomerCommand;
    type Event = CustomerEvent;
    type Error = CustomerError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let event = match command {
            CustomerCommand::Create { .. } if self.created => {
                return Err(CustomerError("already created"))
            }
            _ if !self.created && !matches!(command, CustomerCommand::Create { .. }) => {
                return Err(CustomerError("no such customer"))
            }
            CustomerCommand::Create { email } => CustomerEvent::Created { email },
            CustomerCommand::ChangeEmail { email } => CustomerEvent::EmailChanged { email },
            CustomerCommand::RecordCall { at } => CustomerEvent::CallRecorded { at },
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            CustomerEvent::Created { email } => {
                self.created = true;
                self.email = email;
            }
            CustomerEvent::EmailChanged { email } => self.email = email,
            CustomerEvent::CallRecorded { at } => self.last_call = at,
        }
    }
}

async fn cqrs_es_run<S: EventStore<Customer>>(store: S, commands: u64, customers: u64) {
    let cqrs = CqrsFramework::new(store, vec![], ());
    // Named before the clock starts, as crm's are: the ids are the workload, not its cost.
    let ids: Vec<String> = (0..customers).map(|n| n.to_string()).collect();
    let id = |n: u64| &ids[n as usize];
    for n in 0..customers {
        let email = format!("customer-{n}@example.com");
        cqrs.execute(id(n), CustomerCommand::Create { email })
            .await
            .unwrap();
    }
    for i in 0..commands - customers {
        let command = match step(i) {
            Step::Email(email) => CustomerCommand::ChangeEmail { email },
            Step::Call(at) => CustomerCommand::RecordCall { at },
        };
        cqrs.execute(id(i % customers), command).await.unwrap();
    }
}

// --- crm: the same workload through `Crm::execute` ---

async fn crm_run(crm: Crm<MemoryStore>, commands: u64, customers: u64) {
    let ids: Vec<ContactId> = (0..customers)
        .map(|n| ContactId::derived("peers", &n.to_string()))
        .collect();
    let id = |n: u64| ids[n as usize];
    for n in 0..customers {
        let create = CreateContact::new(id(n), "Customer", &n.to_string())
            .email(&format!("customer-{n}@example.com"));
        crm.execute(&Actor::System, ContactCommand::Create(create))
            .await
            .unwrap();
    }
    for i in 0..commands - customers {
        let mut update = UpdateContact::new(id(i % customers));
        match step(i) {
            Step::Email(email) => update.emails = Some(vec![email]),
            Step::Call(at) => {
                update.set_fields.insert("last_call".into(), at.to_string());
            }
        }
        crm.execute(&Actor::System, ContactCommand::Update(update))
            .await
            .unwrap();
    }
}

fn peers(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for (commands, customers) in SIZES {
        let per = commands / customers;
        let mut group = c.benchmark_group(format!("peers_{per}_events_per_customer"));
        group.sample_size(10);
        group.bench_function("cqrs_es", |b| {
            b.iter(|| runtime.block_on(cqrs_es_run(MemStore::default(), commands, customers)));
        });
        group.bench_function("cqrs_es_quiet", |b| {
            b.iter(|| runtime.block_on(cqrs_es_run(QuietMemStore::default(), commands, customers)));
        });
        group.bench_function("crm", |b| {
            b.iter_batched(
                || Crm::new(MemoryStore::new()),
                |crm| runtime.block_on(crm_run(crm, commands, customers)),
                BatchSize::PerIteration,
            );
        });
        group.bench_function("crm_policies_off", |b| {
            b.iter_batched(
                || {
                    let options = CrmOptions {
                        run_policies: false,
                        ..CrmOptions::default()
                    };
                    Crm::with(
                        MemoryStore::new(),
                        Arc::new(SystemClock),
                        Arc::new(RandomIds),
                        options,
                    )
                },
                |crm| runtime.block_on(crm_run(crm, commands, customers)),
                BatchSize::PerIteration,
            );
        });
        group.finish();
    }
}

criterion_group!(benches, peers);
criterion_main!(benches);
