//! SledStore and MemoryStore agree on every outcome and on the whole log, for random
//! interleavings of appends — wrong expected versions and retried writes included.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::DateTime;
use crm_core::clock::ManualClock;
use crm_core::event::NewEvent;
use crm_core::ids::StreamId;
use crm_core::store::{
    AppendOutcome, EventStore, ExpectedVersion, ManyAppended, StoreError, StreamAppend,
};
use crm_core::testing::conformance::sample_event;
use crm_store_memory::MemoryStore;
use crm_store_sled::{Durability, SledOptions, SledStore};
use futures::executor::block_on;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Append {
        stream: u8,
        expected: ExpectedVersion,
        size: u8,
    },
    RetryLast,
    /// Several appends through `append_many`: one sled batch up to the first failure.
    Many(Vec<(u8, ExpectedVersion, u8)>),
}

fn op() -> impl Strategy<Value = Op> {
    let expected = prop_oneof![
        Just(ExpectedVersion::Any),
        Just(ExpectedVersion::NoStream),
        Just(ExpectedVersion::StreamExists),
        (0u64..5).prop_map(ExpectedVersion::Exact),
    ];
    prop_oneof![
        5 => (0u8..3, expected.clone(), 1u8..4).prop_map(|(stream, expected, size)| Op::Append { stream, expected, size }),
        1 => Just(Op::RetryLast),
        2 => proptest::collection::vec((0u8..3, expected, 1u8..4), 1..5).prop_map(Op::Many),
    ]
}

/// The part of a result both stores must agree on.
fn summary(result: Result<AppendOutcome, StoreError>) -> String {
    match result {
        Ok(o) => format!(
            "ok v{} p{} written={}",
            o.last_version, o.last_position, o.written
        ),
        Err(StoreError::Conflict { actual, .. }) => format!("conflict at {actual}"),
        Err(other) => format!("error {other}"),
    }
}

fn many(appended: ManyAppended) -> String {
    let done: Vec<String> = appended.done.into_iter().map(|o| summary(Ok(o))).collect();
    let failed = appended
        .failed
        .map(|(i, e)| format!("{i}: {}", summary(Err(e))));
    format!("{done:?} then {failed:?}")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn sled_and_memory_stores_agree(ops in proptest::collection::vec(op(), 1..40)) {
        let clock = ManualClock::new(DateTime::from_timestamp(1_800_000_000, 0).unwrap());
        let memory = MemoryStore::with_clock(Arc::new(clock.clone()));
        let dir = tempfile::tempdir().unwrap();
        let options = SledOptions {
            durability: Durability::Buffered { flush_every_ms: 1000 },
            clock: Arc::new(clock.clone()),
            ..SledOptions::default()
        };
        let sled = SledStore::open_with(dir.path(), options).unwrap();
        let mut last: Option<(StreamId, ExpectedVersion, Vec<NewEvent>)> = None;
        for (n, op) in ops.into_iter().enumerate() {
            clock.advance(chrono::TimeDelta::seconds(1));
            if let Op::Many(specs) = &op {
                let batch: Vec<StreamAppend> = specs
                    .iter()
                    .enumerate()
                    .map(|(k, (stream, expected, size))| {
                        let stream = crm_core::testing::stream(*stream);
                        let events = (0..u64::from(*size))
                            .map(|i| sample_event(&stream, (n * 100 + k * 10) as u64 + i))
                            .collect();
                        StreamAppend { stream, expected: *expected, events }
                    })
                    .collect();
                let in_memory = many(block_on(memory.append_many(batch.clone())));
                let on_disk = many(block_on(sled.append_many(batch)));
                prop_assert_eq!(&on_disk, &in_memory, "op {}: append_many {:?}", n, specs);
                continue;
            }
            let (stream, expected, events) = match op {
                Op::Append { stream, expected, size } => {
                    let stream = crm_core::testing::stream(stream);
                    let events = (0..u64::from(size)).map(|i| sample_event(&stream, n as u64 * 10 + i)).collect();
                    (stream, expected, events)
                }
                Op::RetryLast | Op::Many(_) => match last.clone() {
                    Some(previous) => previous,
                    None => continue,
                },
            };
            let in_memory = summary(block_on(memory.append(&stream, expected, events.clone())));
            let on_disk = summary(block_on(sled.append(&stream, expected, events.clone())));
            prop_assert_eq!(&on_disk, &in_memory, "op {} on {}", n, stream);
            last = Some((stream, expected, events));
        }
        let memory_log = block_on(memory.read_all(0, usize::MAX)).unwrap();
        let sled_log = block_on(sled.read_all(0, usize::MAX)).unwrap();
        prop_assert_eq!(sled_log, memory_log);
        prop_assert!(sled.verify().unwrap().is_ok());
    }
}
