//! What the views hold after a long replay (see docs/performance.md): the resident memory
//! they take per customer, per order and per interaction, measured over 10 M events, and the
//! peak above what they keep.
//!
//! Not a timing benchmark: it prints one table. `CRM_BENCH_CUSTOMERS` sets the number of
//! customers (default 1 000 000: each has one creation event, one order of eight events and
//! one interaction, so 10 events per customer). The events are generated a chunk of customers
//! at a time, by command on a scratch store, and applied to one `Views` as a replay applies
//! the pages it reads; the scratch store is dropped before the next chunk.
#![allow(clippy::unwrap_used, missing_docs)] // Benchmarks fail loudly.

mod fixtures;

use std::ops::Range;

use crm::domain::interaction::{
    Channel, Direction, InteractionCommand, InteractionLogged, Outcome,
};
use crm::event::{Actor, RecordedEvent};
use crm::ids::{ContactId, CustomerId, InteractionId};
use crm::projection::{Projection, Views};
use crm::store::EventStore;
use crm::{Crm, MemoryStore};
use futures::executor::block_on;

const CHUNK: u64 = 10_000;

/// (resident, peak resident) in bytes, from `/proc/self/status`.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches(" kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Customers `range` as an import would have created them: name, email, phone, address, tag
/// and owner (about 470 bytes of JSON each).
fn customers(range: Range<u64>) -> Vec<RecordedEvent> {
    range
        .map(|n| {
            let new = fixtures::contact_created(n);
            RecordedEvent {
                id: new.id,
                stream: fixtures::stream_of(n),
                version: 1,
                position: 0,
                occurred_at: new.occurred_at,
                recorded_at: new.occurred_at,
                metadata: new.metadata,
                event: new.event,
            }
        })
        .collect()
}

/// What `then` adds to a scratch store that holds customers `range`.
fn after_customers(
    range: Range<u64>,
    then: impl AsyncFnOnce(&Crm<MemoryStore>),
) -> Vec<RecordedEvent> {
    let crm = Crm::new(MemoryStore::new());
    block_on(async {
        fixtures::create_buyers(&crm, range.clone()).await;
        then(&crm).await;
        let first = range.end - range.start + 1;
        crm.store().read_all(first, usize::MAX).await.unwrap()
    })
}

/// One order per customer of `range`, placed to delivered: eight events each.
fn orders(range: Range<u64>, customers: u64) -> Vec<RecordedEvent> {
    after_customers(range.clone(), async |crm| {
        for n in range {
            for step in fixtures::order_lifecycle(n, customers) {
                crm.execute(&Actor::System, step).await.unwrap();
            }
        }
    })
}

/// One logged call per customer of `range`.
fn interactions(range: Range<u64>) -> Vec<RecordedEvent> {
    after_customers(range.clone(), async |crm| {
        for n in range {
            let customer = ContactId::derived("bench", &n.to_string());
            let call = InteractionLogged {
                interaction_id: InteractionId::derived("bench", &n.to_string()),
                customer: CustomerId::Contact(customer),
                channel: Channel::Call,
                direction: Direction::Outbound,
                handled_by: None,
                duration_seconds: Some(240),
                subject: "Delivery follow-up".into(),
                summary: Some("Asked whether the parcel arrived in good condition".into()),
                outcome: Some(Outcome::Resolved),
                source_message_id: None,
            };
            crm.execute(&Actor::System, InteractionCommand::Log(call))
                .await
                .unwrap();
        }
    })
}

fn main() {
    let customers_total: u64 = std::env::var("CRM_BENCH_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut views = Views::default();
    let mut position = 0u64;
    let mut apply = |views: &mut Views, events: Vec<RecordedEvent>| {
        for mut event in events {
            position += 1;
            event.position = position;
            views.apply(&event);
        }
    };
    let chunks = || {
        (0..customers_total.div_ceil(CHUNK))
            .map(|c| c * CHUNK..((c + 1) * CHUNK).min(customers_total))
    };
    let (start, _) = memory();
    println!("| phase | events | resident after | added | per item |");
    println!("| --- | --- | --- | --- | --- |");
    let mut before = start;
    let mut events_total = 0u64;
    type Phase = (
        &'static str,
        u64,
        Box<dyn Fn(Range<u64>) -> Vec<RecordedEvent>>,
    );
    let phases: [Phase; 3] = [
        ("customers", 1, Box::new(customers)),
        (
            "orders (8 events each)",
            8,
            Box::new(move |r| orders(r, customers_total)),
        ),
        ("interactions", 1, Box::new(interactions)),
    ];
    for (name, per_item, generate) in phases {
        for range in chunks() {
            apply(&mut views, generate(range));
        }
        let (now, _) = memory();
        let events = customers_total * per_item;
        events_total += events;
        let added = now.saturating_sub(before);
        println!(
            "| {name} | {events} | {} MB | {} MB | {} bytes |",
            now >> 20,
            added >> 20,
            added / customers_total.max(1)
        );
        before = now;
    }
    let (end, peak) = memory();
    println!(
        "\n{events_total} events: the views hold {} MB (resident {} MB at the start); peak resident {} MB, {} MB above the end",
        end.saturating_sub(start) >> 20,
        start >> 20,
        peak >> 20,
        peak.saturating_sub(end) >> 20
    );
    drop(views);
}
