//! Forgetting a person in an immutable log: personal data is sealed per person on its way
//! into the store, opened on the way out, and erasing the person destroys their key — the
//! card says "erased customer", the totals stay, and nothing of theirs is left to read.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::sync::Arc;

use chrono::NaiveDate;
use crm::clock::ManualClock;
use crm::crypto::{Encrypted, Kek, KeyState, MemoryKeys};
use crm::domain::contact::ContactCommand;
use crm::domain::DomainError;
use crm::event::{Actor, Event};
use crm::ids::CustomerId;
use crm::report::customers::CustomersReport;
use crm::report::sales::{SalesBy, SalesReport};
use crm::report::{Bucket, Period};
use crm::store::{EventStore, StoreError};
use crm::{Crm, CrmOptions, Error, MemoryStore};
use support::{contact, shop, start};

type Sealed = Encrypted<Arc<MemoryStore>>;

/// What identifies Lucía in the shop's history (`support::shop::history`).
const LUCIA: [&str; 5] = [
    "Lucía",
    "Martín",
    "lucia@example.com",
    "Chairs arrived?",
    "1988-03-30",
];

struct Shop {
    crm: Crm<Sealed>,
    clock: ManualClock,
    inner: Arc<MemoryStore>,
    keys: Arc<MemoryKeys>,
    kek: Arc<Kek>,
}

fn kek() -> Arc<Kek> {
    Arc::new(Kek::from_bytes(&[7; 32]).unwrap())
}

fn sealed(inner: &Arc<MemoryStore>, keys: &Arc<MemoryKeys>, kek: &Arc<Kek>) -> Sealed {
    Encrypted::new(inner.clone(), keys.clone(), kek.clone())
}

/// The shop's history on an encrypting memory store.
fn shop() -> Shop {
    let clock = ManualClock::new(start());
    let inner = Arc::new(MemoryStore::with_clock(Arc::new(clock.clone())));
    let (keys, kek) = (Arc::new(MemoryKeys::new()), kek());
    let crm = support::deterministic(sealed(&inner, &keys, &kek), &clock, CrmOptions::default());
    futures::executor::block_on(shop::history(&crm, &clock));
    Shop {
        crm,
        clock,
        inner,
        keys,
        kek,
    }
}

fn spring() -> Period {
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    Period::days(day(3, 1), day(6, 30), chrono_tz::Europe::Madrid)
        .unwrap()
        .by(Bucket::Month)
}

/// The sales and customers reports, without the customers' names (which erasure changes).
fn totals<S: EventStore>(crm: &Crm<S>) -> (SalesReport, CustomersReport) {
    crm.query_unfiltered(|v| {
        let mut customers = CustomersReport::compute(v, spring(), 2.0);
        customers.rfm.iter_mut().for_each(|r| r.name.clear());
        customers.lapsed.iter_mut().for_each(|r| r.name.clear());
        (
            SalesReport::compute(&v.activity, spring(), SalesBy::Bucket),
            customers,
        )
    })
}

/// Everything the memory store underneath holds, as text: every event as the store keeps
/// it, every snapshot of a stream and every snapshot of the views (whose MessagePack keeps
/// strings as they are).
async fn stored_text(inner: &MemoryStore) -> String {
    let events = inner.read_all(0, usize::MAX).await.unwrap();
    let mut text = String::new();
    for info in inner.views_snapshots().await.unwrap() {
        let snapshot = inner
            .load_views_snapshot(info.position)
            .await
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&snapshot.state));
        text.push('\n');
    }
    for event in &events {
        text.push_str(&serde_json::to_string(event).unwrap());
        text.push('\n');
        if let Some(snapshot) = inner.load_snapshot(&event.stream).await.unwrap() {
            text.push_str(&String::from_utf8_lossy(&snapshot.state));
            text.push('\n');
        }
    }
    text
}

fn erase_lucia() -> ContactCommand {
    ContactCommand::Erase {
        contact_id: contact(1),
        reason: "Art. 17 request of 2026-07-01, ticket 4411".into(),
    }
}

#[tokio::test]
async fn personal_data_reaches_the_store_sealed_and_reads_back_in_clear() {
    let shop = shop();
    let text = stored_text(&shop.inner).await;
    for needle in LUCIA {
        assert!(!text.contains(needle), "{needle:?} is stored in clear");
    }
    assert!(text.contains("\"sealed\""), "sealed values are there");
    // Through the store as the program sees it, every value opens.
    let card = shop
        .crm
        .query_unfiltered(|v| v.contact_card(contact(1), start()))
        .unwrap();
    assert_eq!(card.personal.emails, ["lucia@example.com"]);
    let opened = shop.crm.store().read_all(0, usize::MAX).await.unwrap();
    let subjects = opened
        .iter()
        .filter_map(|e| match &e.event {
            Event::InteractionLogged(i) => i.subject.get().cloned(),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert!(subjects.contains(&"Chairs arrived?".to_owned()));
    // A fresh CRM over the same store and keys rebuilds the same views.
    let again = Crm::open(sealed(&shop.inner, &shop.keys, &shop.kek))
        .await
        .unwrap();
    assert_eq!(
        again.query_unfiltered(|v| v.contact_card(contact(1), start())),
        Some(card)
    );
}

#[tokio::test]
async fn a_sealed_value_moved_to_another_person_or_event_is_refused() {
    let shop = shop();
    let events = shop.inner.read_all(0, usize::MAX).await.unwrap();
    let lucias = events
        .iter()
        .find(|e| matches!(&e.event, Event::ContactCreated(c) if c.contact_id == contact(1)))
        .unwrap();
    let Event::ContactCreated(created) = &lucias.event else {
        unreachable!()
    };
    // Her sealed personal data, copied into a new contact's creation: another subject.
    let thief = contact(77);
    let mut stolen = created.clone();
    stolen.contact_id = thief;
    let new = crm::event::NewEvent {
        id: crm::ids::EventId::new(),
        occurred_at: start(),
        metadata: crm::event::Metadata::by(Actor::System),
        event: stolen.into(),
    };
    let stream = crm::ids::StreamId::from(thief);
    let refused = shop
        .crm
        .store()
        .append(
            &stream,
            crm::store::ExpectedVersion::NoStream,
            vec![new.clone()],
        )
        .await;
    match refused {
        Err(StoreError::Refused { reason, .. }) => {
            assert!(reason.contains("belongs to"), "{reason}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Her own stream, a new event id: the associated data names the old one.
    let mut replayed = created.clone();
    replayed.contact_id = contact(1);
    let again = crm::event::NewEvent {
        id: crm::ids::EventId::new(),
        event: crm::domain::contact::events::ContactPersonalDataChanged {
            contact_id: contact(1),
            personal: replayed.personal,
        }
        .into(),
        ..new
    };
    let version = shop.inner.stream_version(&contact(1).into()).await.unwrap();
    let refused = shop
        .crm
        .store()
        .append(
            &contact(1).into(),
            crm::store::ExpectedVersion::Exact(version),
            vec![again],
        )
        .await;
    match refused {
        Err(StoreError::Refused { reason, .. }) => {
            assert!(reason.contains("does not open"), "{reason}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn erasing_a_person_forgets_them_everywhere_and_keeps_the_totals() {
    let shop = shop();
    let before = totals(&shop.crm);
    let card_before = shop
        .crm
        .query_unfiltered(|v| v.contact_card(contact(1), start()))
        .unwrap();
    let keys_before = shop.crm.store().export_keys().await.unwrap();
    let lucia = CustomerId::Contact(contact(1));
    let her_key = keys_before
        .iter()
        .find(|(subject, _, _)| *subject == lucia)
        .map(|(_, _, key)| key.clone())
        .unwrap();
    // A snapshot of the views holds her in clear until she is erased.
    shop.crm.save_views_snapshot().await.unwrap().unwrap();
    let text = stored_text(&shop.inner).await;
    assert!(LUCIA.iter().any(|needle| text.contains(needle)));

    shop.clock.set(start() + chrono::TimeDelta::days(121));
    shop.crm
        .execute(&Actor::System, erase_lucia())
        .await
        .unwrap();

    // The card: erased, no personal data, her orders and their amounts intact.
    let card = shop
        .crm
        .query_unfiltered(|v| v.contact_card(contact(1), start()))
        .unwrap();
    assert!(card.erased.is_some());
    assert_eq!(card.personal, Default::default());
    assert_eq!(card.activity.orders, card_before.activity.orders);
    assert_eq!(
        card.activity.lifetime_value,
        card_before.activity.lifetime_value
    );
    assert!(card
        .activity
        .interactions
        .iter()
        .all(|i| i.subject.is_none() && i.summary.is_none()));
    insta::assert_snapshot!("erased_card", card.to_string());
    // Search forgets her; the totals do not change.
    for needle in ["lucia@example.com", "Martín", "Lucía"] {
        assert!(
            shop.crm
                .query_unfiltered(|v| v.search.find(needle))
                .is_empty(),
            "{needle}"
        );
    }
    assert_eq!(totals(&shop.crm), before);

    // Nothing of hers is left to read: not in the store (the snapshot of the views taken
    // before is gone), not among the keys.
    let text = stored_text(&shop.inner).await;
    for needle in LUCIA {
        assert!(!text.contains(needle), "{needle:?} is still stored");
    }
    assert_eq!(
        shop.keys
            .snapshot()
            .into_iter()
            .find(|(subject, _)| *subject == lucia)
            .map(|(_, state)| state),
        Some(KeyState::Destroyed)
    );
    let keys_after = shop.crm.store().export_keys().await.unwrap();
    assert!(keys_after.iter().all(|(_, _, key)| *key != her_key));
    assert!(keys_after.iter().all(|(subject, _, _)| *subject != lucia));

    // A replay from the log alone gives the same card and the same totals.
    let replayed = Crm::open(sealed(&shop.inner, &shop.keys, &shop.kek))
        .await
        .unwrap();
    assert_eq!(totals(&replayed), before);
    let again = replayed
        .query_unfiltered(|v| v.contact_card(contact(1), start()))
        .unwrap();
    assert_eq!(again.to_string(), card.to_string());

    // She can be erased twice (nothing happens) but not changed.
    let twice = shop
        .crm
        .execute(&Actor::System, erase_lucia())
        .await
        .unwrap();
    assert!(!twice.wrote());
    let tag = ContactCommand::AssignOwner {
        contact_id: contact(1),
        owner: None,
    };
    match shop.crm.execute(&Actor::System, tag).await {
        Err(Error::Domain(DomainError::ContactErased { .. })) => {}
        other => panic!("expected ContactErased, got {other:?}"),
    }
}

#[tokio::test]
async fn a_store_that_keeps_personal_data_in_clear_refuses_to_erase() {
    let (crm, clock) = support::fresh();
    shop::history(&crm, &clock).await;
    match crm.execute(&Actor::System, erase_lucia()).await {
        Err(Error::Domain(DomainError::ErasureUnsupported { .. })) => {}
        other => panic!("expected ErasureUnsupported, got {other:?}"),
    }
}

#[test]
fn the_encrypting_store_passes_the_conformance_suite() {
    let keys = Arc::new(MemoryKeys::new());
    let kek = kek();
    let fresh = || {
        std::future::ready(Encrypted::new(
            MemoryStore::new(),
            keys.clone(),
            kek.clone(),
        ))
    };
    futures::executor::block_on(crm::testing::conformance::run_all(
        fresh,
        &crm::testing::conformance::Threads,
    ));
}

#[tokio::test]
async fn a_personal_streams_snapshot_is_sealed_and_no_longer_opens_once_erased() {
    let clock = ManualClock::new(start());
    let inner = Arc::new(MemoryStore::with_clock(Arc::new(clock.clone())));
    let (keys, kek) = (Arc::new(MemoryKeys::new()), kek());
    // A snapshot after every event, and no state cache: every load goes through them.
    let options = CrmOptions {
        snapshot_every: 1,
        state_cache: 0,
        ..CrmOptions::default()
    };
    let crm = support::deterministic(sealed(&inner, &keys, &kek), &clock, options);
    let create = crm::domain::contact::CreateContact::new(contact(1), "Lucía", "Martín")
        .email("lucia@example.com");
    crm.execute(&Actor::System, ContactCommand::Create(create))
        .await
        .unwrap();
    let tag = |t: &str| {
        let mut update = crm::domain::contact::UpdateContact::new(contact(1));
        update.add_tags = [t.to_owned()].into();
        ContactCommand::Update(update)
    };
    crm.execute(&Actor::System, tag("vip")).await.unwrap();
    let stream = crm::ids::StreamId::from(contact(1));
    let stored = inner.load_snapshot(&stream).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&stored.state);
    assert!(text.starts_with("crm-sealed-snapshot/1"), "{text}");
    assert!(!text.contains("lucia@example.com") && !text.contains("Martín"));
    // Through the sealing store it opens, and decisions use it.
    assert!(crm.store().load_snapshot(&stream).await.unwrap().is_some());
    crm.execute(&Actor::System, tag("gold")).await.unwrap();

    crm.execute(&Actor::System, erase_lucia()).await.unwrap();
    assert!(
        inner.load_snapshot(&stream).await.unwrap().is_some(),
        "still stored, sealed"
    );
    assert_eq!(
        crm.store().load_snapshot(&stream).await.unwrap(),
        None,
        "its key is gone: the state is rebuilt from the events"
    );
    match crm.execute(&Actor::System, tag("again")).await {
        Err(Error::Domain(DomainError::ContactErased { .. })) => {}
        other => panic!("expected ContactErased, got {other:?}"),
    }
}
