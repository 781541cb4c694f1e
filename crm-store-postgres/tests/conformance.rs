//! The store contract, checked on PostgresStore against a real server.
#![allow(clippy::unwrap_used)]

mod support;

use crm_core::testing::conformance;

#[test]
fn postgres_store_passes_the_conformance_suite() {
    let Some(url) = support::url() else { return };
    support::runtime().block_on(async {
        let fresh = || support::fresh_store(&url);
        conformance::run_all(fresh, &support::Tokio).await;
    });
}
