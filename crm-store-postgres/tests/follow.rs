//! A follower whose listening connection drops misses notifications, never appends.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use crm_core::store::{EventStore, ExpectedVersion};
use crm_core::testing::conformance::sample_event;

#[test]
fn a_follower_whose_listening_connection_was_cut_still_wakes_for_the_next_append() {
    let Some(url) = support::url() else { return };
    support::runtime().block_on(async {
        let schema = support::fresh_schema();
        let follower = support::connect(&url, &schema).await;
        let writer = support::connect(&url, &schema).await;
        let s = crm_core::testing::stream("follow");
        writer
            .append(&s, ExpectedVersion::NoStream, vec![sample_event(&s, 0)])
            .await
            .unwrap();
        follower.listen().await.unwrap();
        let waiting = {
            let follower = follower.clone();
            tokio::spawn(async move { follower.wait_for_append(1).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "woken with nothing appended");

        // Cut the LISTEN connection, as a network drop or a server restart would, and append
        // at once: that append's notification is lost.
        let cut: i64 = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE query = 'LISTEN \"' || $1 || '\"'",
        )
        .bind(format!("crm_events_{schema}"))
        .fetch_one(writer.pool())
        .await
        .unwrap();
        assert_eq!(cut, 1, "the follower's LISTEN connection was not found");
        writer
            .append(&s, ExpectedVersion::Exact(1), vec![sample_event(&s, 1)])
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("the follower was never woken")
            .unwrap()
            .unwrap();

        // And it goes on following on the new connection.
        let again = {
            let follower = follower.clone();
            tokio::spawn(async move { follower.wait_for_append(2).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        writer
            .append(&s, ExpectedVersion::Exact(2), vec![sample_event(&s, 2)])
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(10), again)
            .await
            .expect("not woken after the reconnection")
            .unwrap()
            .unwrap();
    });
}
