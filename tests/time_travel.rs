//! Time travel (`Crm::as_of`): the past is the views of the log cut at that point, rebuilt
//! apart from the live views.
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

mod support;

use crm::event::RecordedEvent;
use crm::store::EventStore;
use crm::time_travel::AsOf;
use crm::{Crm, MemoryStore};
use futures::executor::block_on;
use proptest::prelude::*;
use support::*;

/// Runs `commands` on a fresh CRM whose clock moves seven minutes before each; rejected
/// commands are part of the workload.
fn run(commands: Vec<crm::Command>) -> Crm<MemoryStore> {
    let (crm, clock) = fresh();
    block_on(async {
        for command in commands {
            clock.advance(chrono::TimeDelta::minutes(7));
            let _ = crm.execute(&manager(), command).await;
        }
    });
    crm
}

/// The live views of a new store given only the first `p` events of `crm`'s log, through
/// the log's own export and import.
fn fresh_store_of_first(crm: &Crm<MemoryStore>, p: u64) -> crm::projection::Views {
    block_on(async {
        let mut out = Vec::new();
        crm::log::export(crm.store(), &mut out, 0, 64)
            .await
            .unwrap();
        let first: Vec<u8> = out
            .split_inclusive(|b| *b == b'\n')
            .take(p as usize)
            .flatten()
            .copied()
            .collect();
        let copy = MemoryStore::new();
        crm::log::import(&copy, first.as_slice(), Default::default(), |_| {}, |_| {})
            .await
            .unwrap();
        Crm::open(copy)
            .await
            .unwrap()
            .query_unfiltered(Clone::clone)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// `as_of(p)` is the views of a fresh store given only the first `p` events, and
    /// `as_of(instant)` is `as_of` the last position recorded by then; the live views are not
    /// touched by either.
    #[test]
    fn as_of_a_cut_is_a_fresh_store_of_the_events_before_it(
        commands in crm::testing::events::every_command(12),
        cut in 0.0f64..=1.0,
    ) {
        let crm = run(commands);
        let live = crm.query_unfiltered(Clone::clone);
        let log: Vec<RecordedEvent> = block_on(crm.store().read_all(0, usize::MAX)).unwrap();
        let p = (log.len() as f64 * cut).round() as u64;

        let past = block_on(crm.as_of(AsOf::Position(p))).unwrap();
        prop_assert_eq!(past.position, p);
        prop_assert_eq!(&past.views, &fresh_store_of_first(&crm, p));

        if let Some(event) = p.checked_sub(1).and_then(|i| log.get(i as usize)) {
            let by_time = block_on(crm.as_of(AsOf::Recorded(event.recorded_at))).unwrap();
            let last_recorded_by_then = log
                .iter()
                .take_while(|e| e.recorded_at <= event.recorded_at)
                .last()
                .map_or(0, |e| e.position);
            prop_assert_eq!(by_time.position, last_recorded_by_then);
            prop_assert_eq!(by_time.recorded_at, Some(event.recorded_at));
        }
        prop_assert_eq!(&crm.query_unfiltered(Clone::clone), &live, "the live views moved");
    }
}

#[test]
fn a_position_past_the_end_of_the_log_is_refused_by_name() {
    let crm = run(vec![create_contact(contact(1), "Ada", "Lovelace").into()]);
    let head = block_on(crm.store().head_position()).unwrap();
    let refused = block_on(crm.as_of(AsOf::Position(head + 1))).unwrap_err();
    assert!(
        matches!(refused, crm::Error::AsOfAhead { position, head: h } if position == head + 1 && h == head),
        "{refused}"
    );
    assert_eq!(
        refused.to_string(),
        format!(
            "the log ends at position {head}: there is no position {} to go back to",
            head + 1
        )
    );
}

#[test]
fn before_the_first_recording_there_is_nothing() {
    let crm = run(vec![create_contact(contact(1), "Ada", "Lovelace").into()]);
    let past = block_on(crm.as_of(AsOf::Recorded(start()))).unwrap();
    assert_eq!((past.position, past.recorded_at), (0, None));
    assert_eq!(past.views, crm::projection::Views::default());
}
