//! Time travel (`Crm::as_of`): the past is the views of the log cut at that point, rebuilt
//! apart from the live views.
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

mod support;

use crm::event::RecordedEvent;
use crm::projection::snapshot::{SnapshotError, ViewsSnapshot, VIEWS_SCHEMA};
use crm::store::EventStore;
use crm::time_travel::AsOf;
use crm::SnapshotReport;
use crm::{Crm, MemoryStore};
use futures::executor::block_on;
use proptest::prelude::*;
use support::*;

/// Runs `commands` on a fresh CRM whose clock moves seven minutes before each; rejected
/// commands are part of the workload.
fn run(commands: Vec<crm::Command>) -> Crm<MemoryStore> {
    run_with_snapshots(commands, &[])
}

/// [`run`], saving a snapshot of the views after each command whose index is in `after`.
fn run_with_snapshots(commands: Vec<crm::Command>, after: &[usize]) -> Crm<MemoryStore> {
    let (crm, clock) = fresh();
    block_on(async {
        for (i, command) in commands.into_iter().enumerate() {
            clock.advance(chrono::TimeDelta::minutes(7));
            let _ = crm.execute(&manager(), command).await;
            if after.contains(&i) {
                crm.save_views_snapshot().await.unwrap();
            }
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

    /// The same through snapshots of the views taken along the way, before `p` and after it:
    /// `as_of(p)` starts from the nearest at or before `p` and still equals a fresh store of
    /// the first `p` events; a reopened CRM starts from the latest and equals the live views.
    #[test]
    fn as_of_through_snapshots_before_and_after_the_cut_is_the_same(
        commands in crm::testing::events::every_command(12),
        after in proptest::collection::vec(0usize..48, 1..6),
        cut in 0.0f64..=1.0,
    ) {
        let crm = run_with_snapshots(commands, &after);
        let held = block_on(crm.store().views_snapshots()).unwrap();
        let log: Vec<RecordedEvent> = block_on(crm.store().read_all(0, usize::MAX)).unwrap();
        let p = (log.len() as f64 * cut).round() as u64;

        let past = block_on(crm.as_of(AsOf::Position(p))).unwrap();
        let nearest = held.iter().map(|s| s.position).filter(|&s| s <= p).max();
        prop_assert_eq!(past.from_snapshot, nearest);
        prop_assert_eq!(&past.views, &fresh_store_of_first(&crm, p));

        let reopened = block_on(Crm::open(crm.store().clone())).unwrap();
        prop_assert_eq!(
            reopened.snapshot_report().opened_from,
            held.iter().map(|s| s.position).max()
        );
        prop_assert_eq!(
            reopened.query_unfiltered(Clone::clone),
            crm.query_unfiltered(Clone::clone)
        );
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

/// A store with 40 contacts' events and a snapshot of the views at position 20.
fn with_a_snapshot_at_20() -> Crm<MemoryStore> {
    let commands = (1..=40)
        .map(|n| create_contact(contact(n), "Ada", &format!("Lovelace{n}")).into())
        .collect();
    run_with_snapshots(commands, &[19])
}

/// Opens `store` and checks it was rebuilt from the events, ignoring the snapshot for the
/// reason `why` matches, and that its cards are right all the same.
fn opens_without_the_snapshot(crm: &Crm<MemoryStore>, why: impl Fn(&SnapshotError) -> bool) {
    let reopened = block_on(Crm::open(crm.store().clone())).unwrap();
    let report = reopened.snapshot_report();
    assert_eq!(report.opened_from, None, "{report:?}");
    assert!(report.ignored.iter().any(&why), "{report:?}");
    assert_eq!(
        reopened.query_unfiltered(Clone::clone),
        crm.query_unfiltered(Clone::clone)
    );
    let card = reopened.query_unfiltered(|v| v.contact_card(contact(7), start()));
    assert!(card.unwrap().to_string().contains("Ada Lovelace7"));
}

/// `crm`'s stored snapshot at 20 with `change` applied.
fn tamper(crm: &Crm<MemoryStore>, change: impl FnOnce(&mut ViewsSnapshot)) {
    block_on(async {
        let mut snapshot = crm.store().load_views_snapshot(20).await.unwrap().unwrap();
        change(&mut snapshot);
        crm.store().save_views_snapshot(snapshot).await.unwrap();
    });
}

#[test]
fn a_reopened_crm_starts_from_its_snapshot() {
    let crm = with_a_snapshot_at_20();
    let reopened = block_on(Crm::open(crm.store().clone())).unwrap();
    assert_eq!(
        reopened.snapshot_report(),
        SnapshotReport {
            opened_from: Some(20),
            ignored: vec![]
        }
    );
    assert_eq!(
        reopened.query_unfiltered(Clone::clone),
        crm.query_unfiltered(Clone::clone)
    );
}

#[test]
fn a_snapshot_of_the_previous_schema_is_ignored_with_a_message() {
    let crm = with_a_snapshot_at_20();
    tamper(&crm, |s| s.info.schema = VIEWS_SCHEMA - 1);
    opens_without_the_snapshot(&crm, |e| {
        matches!(e, SnapshotError::Schema { position: 20, found } if *found == VIEWS_SCHEMA - 1)
            && e.to_string()
                == format!(
                    "the snapshot at position 20 has schema {}, this build reads {VIEWS_SCHEMA}",
                    VIEWS_SCHEMA - 1
                )
    });
}

#[test]
fn a_damaged_snapshot_is_ignored_with_a_message() {
    let crm = with_a_snapshot_at_20();
    tamper(&crm, |s| s.state.truncate(s.state.len() / 3));
    opens_without_the_snapshot(&crm, |e| {
        matches!(e, SnapshotError::Undecodable { position: 20, .. })
    });
}

#[test]
fn a_snapshot_of_another_log_is_ignored_with_a_message() {
    let crm = with_a_snapshot_at_20();
    // Filed under position 21, it names the event at 20: not the one this log has at 21.
    block_on(async {
        let mut moved = crm.store().load_views_snapshot(20).await.unwrap().unwrap();
        moved.info.position = 21;
        crm.store().delete_views_snapshot(20).await.unwrap();
        crm.store().save_views_snapshot(moved).await.unwrap();
    });
    opens_without_the_snapshot(&crm, |e| {
        matches!(e, SnapshotError::OtherLog { position: 21, .. })
    });
}

/// Views decoded while the store opened are checked as a loaded snapshot is: used when they
/// are this log's, and passed over for the store's own snapshots when they are not.
#[test]
fn views_decoded_ahead_are_checked_against_the_log_like_a_loaded_snapshot() {
    use crm::projection::snapshot::Decoded;
    let crm = with_a_snapshot_at_20();
    let stored = block_on(crm.store().load_views_snapshot(20))
        .unwrap()
        .unwrap();
    let open = |decoded| {
        block_on(Crm::open_decoded(
            crm.store().clone(),
            crm::CrmOptions::default(),
            decoded,
        ))
        .unwrap()
    };
    let reopened = open(Decoded::new(&stored).unwrap());
    assert_eq!(reopened.snapshot_report().opened_from, Some(20));
    assert_eq!(
        reopened.query_unfiltered(Clone::clone),
        crm.query_unfiltered(Clone::clone)
    );
    // Decoded as if it stood at 21, it names the event at 20: not this log's at 21.
    let mut elsewhere = stored.clone();
    elsewhere.info.position = 21;
    let decoded = Decoded::new(&elsewhere).unwrap();
    assert_eq!(decoded.info().position, 21);
    let reopened = open(decoded);
    assert_eq!(
        reopened.snapshot_report(),
        SnapshotReport {
            opened_from: Some(20),
            ignored: vec![]
        },
        "the store's own snapshot, not the stranger"
    );
    assert_eq!(
        reopened.query_unfiltered(Clone::clone),
        crm.query_unfiltered(Clone::clone)
    );
}

#[test]
fn as_of_an_instant_starts_from_the_snapshot_recorded_by_then() {
    let crm = with_a_snapshot_at_20();
    let log = block_on(crm.store().read_all(0, usize::MAX)).unwrap();
    let at = |p: usize| log[p - 1].recorded_at;
    let past = block_on(crm.as_of(AsOf::Recorded(at(30)))).unwrap();
    assert_eq!((past.position, past.from_snapshot), (30, Some(20)));
    let early = block_on(crm.as_of(AsOf::Recorded(at(10)))).unwrap();
    assert_eq!((early.position, early.from_snapshot), (10, None));
}

#[test]
fn an_open_saves_one_snapshot_at_the_head_unless_asked_for_every_mark_on_the_way() {
    let commands = (1..=30)
        .map(|n| create_contact(contact(n), "Ada", &format!("Lovelace{n}")).into())
        .collect();
    let crm = run(commands);
    let positions = |while_replaying: bool| {
        let store = MemoryStore::new();
        block_on(async {
            let mut log = Vec::new();
            crm::log::export(crm.store(), &mut log, 0, 64)
                .await
                .unwrap();
            crm::log::import(&store, log.as_slice(), Default::default(), |_| {}, |_| {})
                .await
                .unwrap();
            let options = crm::CrmOptions {
                read_batch: 4,
                views_snapshot_every: 10,
                views_snapshots_while_replaying: while_replaying,
                ..crm::CrmOptions::default()
            };
            Crm::open_with(store.clone(), options).await.unwrap();
            let held = store.views_snapshots().await.unwrap();
            held.iter().map(|s| s.position).collect::<Vec<_>>()
        })
    };
    assert_eq!(positions(false), vec![30]);
    assert_eq!(
        positions(true),
        vec![12, 24],
        "at the first batch past each mark"
    );
}
