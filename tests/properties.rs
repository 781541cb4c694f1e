//! Invariants over random command sequences (proptest).
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

mod support;

use crm::event::{Event, RecordedEvent};
use crm::projection::{Tracked, Views};
use crm::store::EventStore;
use crm::testing::strategies;
use crm::{Crm, MemoryStore};
use futures::executor::block_on;
use proptest::prelude::*;
use support::*;

/// Runs `commands`, checking after each that a rejection wrote nothing; returns the CRM.
fn run(commands: Vec<crm::Command>) -> Result<Crm<MemoryStore>, TestCaseError> {
    let (crm, clock) = fresh();
    block_on(async {
        for command in commands {
            clock.advance(chrono::TimeDelta::minutes(7));
            let head = crm.store().head_position().await.unwrap();
            match crm.execute(&manager(), command.clone()).await {
                Ok(done) => {
                    let written = crm.store().head_position().await.unwrap() - head;
                    prop_assert_eq!(written, done.events.len() as u64, "{:?}", command);
                }
                Err(crm::Error::Domain(_)) => {
                    prop_assert_eq!(
                        crm.store().head_position().await.unwrap(),
                        head,
                        "rejected {:?} wrote",
                        command
                    );
                }
                Err(other) => return Err(TestCaseError::fail(format!("{command:?}: {other}"))),
            }
        }
        Ok(crm)
    })
}

fn queries() -> [&'static str; 7] {
    [
        "ana",
        "jose garcia",
        "600123456",
        "+34 600-12-34-56",
        "b12345678",
        "ana@example.com",
        "acme",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if std::env::var_os("CI").is_some() { 64 } else { 256 }))]

    #[test]
    fn replay_from_zero_equals_the_incremental_views(commands in strategies::commands(40)) {
        let crm = run(commands)?;
        let rebuilt = block_on(Crm::open(crm.store().clone())).unwrap();
        let live = crm.query(|v| v.clone());
        prop_assert_eq!(&rebuilt.query(|v| v.clone()), &live);
        for q in queries() {
            prop_assert_eq!(rebuilt.query(|v| v.search.find(q)), crm.query(|v| v.search.find(q)));
        }
    }

    #[test]
    fn catching_up_in_any_batches_equals_one_pass(commands in strategies::commands(30), cuts in proptest::collection::vec(1usize..6, 1..10)) {
        let crm = run(commands)?;
        let log: Vec<RecordedEvent> = block_on(crm.store().read_all(0, usize::MAX)).unwrap();
        let mut whole = Tracked::new(Views::default());
        whole.apply_batch(&log);
        let mut pieces = Tracked::new(Views::default());
        let mut start = 0;
        for cut in cuts.iter().cycle() {
            if start >= log.len() { break; }
            let end = (start + cut).min(log.len());
            // Overlapping redelivery of the previous batch must change nothing.
            pieces.apply_batch(&log[start.saturating_sub(1)..end]);
            start = end;
        }
        prop_assert_eq!(pieces, whole);
    }

    #[test]
    fn every_event_round_trips_through_its_wire_form(event in strategies::event()) {
        let json = serde_json::to_string(&event).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &event);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(value["type"].as_str(), Some(event.type_name()));
        prop_assert_eq!(value["v"].as_u64(), Some(u64::from(event.schema_version())));
    }

    #[test]
    fn every_recorded_event_round_trips(commands in strategies::commands(15)) {
        let crm = run(commands)?;
        for recorded in block_on(crm.store().read_all(0, usize::MAX)).unwrap() {
            let json = serde_json::to_string(&recorded).unwrap();
            let back: RecordedEvent = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, recorded);
        }
    }

    #[test]
    fn versions_are_contiguous_and_positions_increase(commands in strategies::commands(30)) {
        let crm = run(commands)?;
        let log = block_on(crm.store().read_all(0, usize::MAX)).unwrap();
        prop_assert!(log.windows(2).all(|w| w[0].position < w[1].position));
        let mut versions = std::collections::HashMap::new();
        for e in &log {
            let v = versions.entry(e.stream.clone()).or_insert(0u64);
            *v += 1;
            prop_assert_eq!(e.version, *v, "stream {}", e.stream);
        }
    }
}
