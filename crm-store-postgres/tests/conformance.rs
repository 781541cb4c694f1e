//! The store contract, checked on PostgresStore against a real server.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Mutex;

use crm_core::testing::conformance;

#[test]
fn postgres_store_passes_the_conformance_suite() {
    let Some(url) = support::url() else { return };
    support::runtime().block_on(async {
        let stores = Mutex::new(Vec::new());
        let fresh = || async {
            let store = support::fresh_store(&url).await;
            stores.lock().unwrap().push(store.clone());
            store
        };
        conformance::run_all(fresh, &support::Tokio).await;
        // What the checks left behind is a log `verify` finds sound: no gaps, all decodable.
        for store in stores.into_inner().unwrap() {
            let report = store.verify().await.unwrap();
            assert!(report.is_ok(), "{}: {report}", store.schema());
        }
    });
}
