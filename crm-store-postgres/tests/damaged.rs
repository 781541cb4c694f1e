//! Stored rows another program changed or broke: a read names the row and fails, never
//! panics or skips it; `verify` lists every fault.
#![allow(clippy::unwrap_used)]

mod support;

use crm_core::store::{EventStore, ExpectedVersion, StoreError};
use crm_core::testing::conformance::sample_event;

#[test]
fn damaged_rows_are_named_by_position_and_verify_finds_every_fault() {
    let Some(url) = support::url() else { return };
    support::runtime().block_on(async {
        let store = support::fresh_store(&url).await;
        let s = crm_core::testing::stream("damaged");
        let events = (0..4).map(|n| sample_event(&s, n)).collect();
        store
            .append(&s, ExpectedVersion::NoStream, events)
            .await
            .unwrap();
        for sql in [
            "UPDATE crm_events SET payload = '{\"nope\": 1}' WHERE position = 2",
            "UPDATE crm_events SET schema_version = 99 WHERE position = 3",
            "UPDATE crm_events SET stream = 'not-a-stream' WHERE position = 4",
        ] {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        for (from, position, says) in [
            (1, 2, "ContactTagsChanged v1"),
            (3, 3, "newer release"),
            (4, 4, "not-a-stream"),
        ] {
            match store.read_all(from, 10).await {
                Err(StoreError::Corrupt { location, reason }) => {
                    assert_eq!(location, format!("position {position}"));
                    assert!(reason.contains(says), "{reason}");
                }
                other => panic!("reading from {from}: {other:?}"),
            }
        }
        let report = store.verify().await.unwrap();
        assert!(!report.is_ok());
        // Three rows that do not decode, and the renamed row breaks its new stream's versions.
        assert_eq!(report.faults.len(), 4, "{report}");
        assert!(report
            .faults
            .iter()
            .any(|f| f.contains("expected version 1, found 4")));
        for position in 2..=4 {
            assert!(
                report
                    .faults
                    .iter()
                    .any(|f| f.contains(&format!("position {position}"))),
                "{report}"
            );
        }

        // A row deleted behind the store's back is a gap verify names.
        sqlx::query("DELETE FROM crm_events WHERE position IN (2, 3, 4)")
            .execute(store.pool())
            .await
            .unwrap();
        let more = (4..6).map(|n| sample_event(&s, n)).collect();
        store
            .append(&s, ExpectedVersion::Exact(1), more)
            .await
            .unwrap();
        let report = store.verify().await.unwrap();
        assert!(
            report
                .faults
                .iter()
                .any(|f| f.contains("position 5 follows 1")),
            "{report}"
        );
    });
}
