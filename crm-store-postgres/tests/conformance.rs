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

/// Sealed per person, with the data keys in `crm_subject_keys`: the contract holds, and an
/// erasure leaves only a tombstone row.
#[test]
fn an_encrypting_postgres_store_passes_and_erasure_keeps_no_key() {
    use std::sync::Arc;

    use crm_core::crypto::{Encrypted, KeyState, KeyStore};
    use crm_core::domain::contact::{ContactCommand, CreateContact};
    use crm_core::event::Actor;
    use crm_core::ids::{ContactId, CustomerId};

    let Some(url) = support::url() else { return };
    support::runtime().block_on(async {
        let fresh = || async {
            let store = support::fresh_store(&url).await;
            let kek = store.stored_kek().await.unwrap();
            Encrypted::new(store.clone(), Arc::new(store.subject_keys()), Arc::new(kek))
        };
        conformance::run_all(fresh, &support::Tokio).await;

        let store = support::fresh_store(&url).await;
        let keys = store.subject_keys();
        let kek = store.stored_kek().await.unwrap();
        assert_eq!(
            format!("{kek:?}"),
            "Kek(..)",
            "a key-encryption key is never printed"
        );
        let crm = crm_core::Crm::new(Encrypted::new(
            store.clone(),
            Arc::new(keys.clone()),
            Arc::new(kek),
        ));
        let ana = ContactId::from_uuid(uuid::Uuid::from_u128(42));
        let create = CreateContact::new(ana, "Ana", "Borrada").email("ana.borrada@pg.example");
        crm.execute(&Actor::System, ContactCommand::Create(create))
            .await
            .unwrap();
        let subject = CustomerId::Contact(ana);
        assert!(matches!(
            keys.get(subject).await.unwrap(),
            KeyState::Live(_)
        ));
        let payloads: Vec<String> = sqlx::query_scalar("SELECT payload::text FROM crm_events")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert!(payloads.iter().all(|p| !p.contains("ana.borrada")));
        let erase = ContactCommand::Erase {
            contact_id: ana,
            reason: "request 9".into(),
        };
        crm.execute(&Actor::System, erase).await.unwrap();
        assert_eq!(keys.get(subject).await.unwrap(), KeyState::Destroyed);
        let wrapped: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT wrapped FROM crm_subject_keys WHERE subject = $1")
                .bind(serde_json::to_string(&subject).unwrap())
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(wrapped, None, "a tombstone: the row stays, the key is gone");
        let card = crm
            .query_unfiltered(|v| v.contact_card(ana, chrono::Utc::now()))
            .unwrap();
        assert!(card.erased.is_some());
    });
}
