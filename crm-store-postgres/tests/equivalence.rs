//! PostgresStore and MemoryStore (the reference) agree on every outcome and on the whole log,
//! for random sequences of appends and multi-stream `append_many` runs — wrong expected
//! versions, retried writes and one stream twice in a run included — so the one-statement
//! path, its version guard and the checked path all answer as the contract says.
#![allow(clippy::unwrap_used)]

mod support;

use crm_core::event::NewEvent;
use crm_core::ids::StreamId;
use crm_core::store::{
    AppendOutcome, EventStore, ExpectedVersion, ManyAppended, StoreError, StreamAppend,
};
use crm_core::testing::conformance::sample_event;
use crm_store_memory::MemoryStore;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Spec {
    stream: u8,
    expected: ExpectedVersion,
    size: u8,
}

#[derive(Debug, Clone)]
enum Op {
    Append(Spec),
    Many(Vec<Spec>),
    RetryLast,
}

fn spec() -> impl Strategy<Value = Spec> {
    let expected = prop_oneof![
        1 => Just(ExpectedVersion::Any),
        1 => Just(ExpectedVersion::NoStream),
        1 => Just(ExpectedVersion::StreamExists),
        4 => (0u64..6).prop_map(ExpectedVersion::Exact),
    ];
    (0u8..3, expected, 1u8..4).prop_map(|(stream, expected, size)| Spec {
        stream,
        expected,
        size,
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => spec().prop_map(Op::Append),
        2 => proptest::collection::vec(spec(), 1..5).prop_map(Op::Many),
        1 => Just(Op::RetryLast),
    ]
}

fn summary(result: &Result<AppendOutcome, StoreError>) -> String {
    match result {
        Ok(o) => format!(
            "ok v{} p{} written={}",
            o.last_version, o.last_position, o.written
        ),
        Err(StoreError::Conflict { actual, .. }) => format!("conflict at {actual}"),
        Err(StoreError::DuplicateEventId { .. }) => "duplicate id".into(),
        Err(other) => format!("error {other}"),
    }
}

fn many_summary(many: ManyAppended) -> String {
    let done: Vec<String> = many.done.into_iter().map(|o| summary(&Ok(o))).collect();
    let failed = many
        .failed
        .map(|(i, e)| format!("{i}: {}", summary(&Err(e))));
    format!("{done:?} then {failed:?}")
}

fn appends(specs: &[Spec], n: usize) -> Vec<StreamAppend> {
    specs
        .iter()
        .enumerate()
        .map(|(k, spec)| {
            let stream = crm_core::testing::stream(spec.stream);
            let events = (0..u64::from(spec.size))
                .map(|i| sample_event(&stream, (n * 100 + k * 10) as u64 + i))
                .collect();
            StreamAppend {
                stream,
                expected: spec.expected,
                events,
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn postgres_and_memory_stores_agree(ops in proptest::collection::vec(op(), 1..30)) {
        let Some(url) = support::url() else { return Ok(()) };
        let runtime = support::runtime();
        let (memory, postgres) = (MemoryStore::new(), runtime.block_on(support::fresh_store(&url)));
        let mut last: Option<(StreamId, ExpectedVersion, Vec<NewEvent>)> = None;
        for (n, op) in ops.into_iter().enumerate() {
            match op {
                Op::Many(specs) => {
                    let batch = appends(&specs, n);
                    let in_memory = many_summary(runtime.block_on(memory.append_many(batch.clone())));
                    let shared = many_summary(runtime.block_on(postgres.append_many(batch)));
                    prop_assert_eq!(&shared, &in_memory, "op {}: append_many {:?}", n, specs);
                }
                single => {
                    let (stream, expected, events) = match single {
                        Op::Append(spec) => {
                            let mut one = appends(&[spec], n);
                            let a = one.remove(0);
                            (a.stream, a.expected, a.events)
                        }
                        _ => match last.clone() {
                            Some(previous) => previous,
                            None => continue,
                        },
                    };
                    let in_memory = summary(&runtime.block_on(memory.append(&stream, expected, events.clone())));
                    let shared = summary(&runtime.block_on(postgres.append(&stream, expected, events.clone())));
                    prop_assert_eq!(&shared, &in_memory, "op {} on {} expecting {}", n, stream, expected);
                    last = Some((stream, expected, events));
                }
            }
        }
        let strip = |log: Vec<crm_core::event::RecordedEvent>| {
            log.into_iter()
                .map(|e| (e.id, e.stream, e.version, e.position, e.occurred_at, e.metadata, e.event))
                .collect::<Vec<_>>()
        };
        let memory_log = strip(runtime.block_on(memory.read_all(0, usize::MAX)).unwrap());
        let shared_log = strip(runtime.block_on(postgres.read_all(0, usize::MAX)).unwrap());
        prop_assert_eq!(shared_log, memory_log);
        prop_assert!(runtime.block_on(postgres.verify()).unwrap().is_ok());
    }
}
