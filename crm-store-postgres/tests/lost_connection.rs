//! An append whose connection is cut mid-statement: the caller gets success or
//! `StoreError::Backend`, never a half-written batch, and appending the same events again
//! leaves them in the log exactly once.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use crm_core::ids::{Category, StreamId};
use crm_core::store::{EventStore, ExpectedVersion, StoreError};
use crm_core::testing::conformance::sample_event;

#[test]
fn a_connection_cut_during_an_append_loses_nothing_and_duplicates_nothing() {
    let Some(url) = support::url() else { return };
    support::runtime().block_on(async {
        let schema = support::fresh_schema();
        let store = support::connect(&url, &schema).await;
        let killer = support::connect(&url, &schema).await;
        let (mut cut, mut backend_errors) = (0, 0);
        for round in 0..10u64 {
            let s = StreamId::of(Category::Contact, uuid::Uuid::new_v4());
            let events: Vec<_> = (0..3000)
                .map(|i| sample_event(&s, round * 10_000 + i))
                .collect();
            let appending = {
                let (store, s, events) = (store.clone(), s.clone(), events.clone());
                tokio::spawn(
                    async move { store.append(&s, ExpectedVersion::NoStream, events).await },
                )
            };
            // Terminate whichever of the store's connections runs the write, as a network
            // drop would, again and again until the append gives up or gets through.
            for _ in 0..400 {
                let n: i64 = sqlx::query_scalar(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                     WHERE state = 'active' AND query LIKE '%INSERT INTO crm_events%' \
                     AND pid <> pg_backend_pid()",
                )
                .fetch_one(killer.pool())
                .await
                .unwrap();
                cut += n;
                if appending.is_finished() {
                    break;
                }
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            match appending.await.unwrap() {
                Ok(_) => {}
                Err(StoreError::Backend(_)) => {
                    backend_errors += 1;
                    // Whether it committed is unknown: the same events again are safe.
                    store
                        .append(&s, ExpectedVersion::NoStream, events.clone())
                        .await
                        .unwrap();
                }
                Err(other) => panic!("round {round}: a cut connection gave {other}"),
            }
            let stored = store.read_stream(&s, 1, usize::MAX).await.unwrap();
            assert_eq!(
                stored.len(),
                3000,
                "round {round}: the batch is not there whole"
            );
            let ids: Vec<_> = stored.iter().map(|e| e.id).collect();
            assert_eq!(ids, events.iter().map(|e| e.id).collect::<Vec<_>>());
        }
        let report = store.verify().await.unwrap();
        assert!(report.is_ok(), "{report}");
        eprintln!(
            "10 rounds: {cut} statements cut, {backend_errors} reported as Backend and retried"
        );
    });
}
