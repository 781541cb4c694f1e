//! `Crm::revert_import`: three imports (contacts, one of them an existing customer updated;
//! orders, one for a customer the orders file brought; reviews) taken back newest first. The
//! views afterwards equal those of a store that never saw the imports; a revert that would
//! take back what a later import built on is refused with nothing written; a revert run
//! again changes nothing; and the same files import again after it.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use crm::csv_import::{headers, Duplicates, FieldMap, ImportOptions, Kind, OrderFiles};
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::event::Actor;
use crm::ids::{Category, ContactId, ImportId};
use crm::projection::Views;
use crm::store::EventStore;
use crm::{Crm, Error, MemoryStore};

const CONTACTS: &[u8] = b"id,name,email,phone,newsletter\n\
    C1,Bob Stone,bob@example.com,,yes\n\
    C2,Ana Silva,ana@example.com,+34600111222,yes\n";
const ORDERS: &[u8] = b"order_id,customer_id,order_date,sku,price,payment\n\
    O1,C1,2026-03-01 10:00:00,MUG,12.00,12.00\n\
    O2,C9,2026-03-01 11:00:00,TEA,3.50,3.50\n";
const REVIEWS: &[u8] = b"review_id,order_id,score,comment\nR1,O1,2,cracked\n";

fn import(n: u128) -> ImportId {
    ImportId::from_uuid(uuid::Uuid::from_u128(0x5000 + n))
}

fn ana() -> ContactId {
    support::contact(1)
}

/// What both stores hold before any import: Ana, entered by a person.
async fn shop() -> Crm<MemoryStore> {
    let (crm, _) = support::fresh();
    let create = CreateContact::new(ana(), "Ana", "Silva").email("ANA@example.com");
    crm.execute(&support::manager(), ContactCommand::Create(create))
        .await
        .unwrap();
    crm
}

fn map(kind: Kind, file: &[u8]) -> FieldMap {
    let mut map = FieldMap::guess(kind, "shop", &headers(file).unwrap());
    map.currency = Some(crm::money::Currency::new("EUR").unwrap());
    map
}

async fn import_all<S: EventStore>(crm: &Crm<S>, first: u128) {
    let options = |n| ImportOptions {
        duplicates: Duplicates::Update,
        ..ImportOptions::new(import(n))
    };
    let contacts = crm
        .import_csv(CONTACTS, &map(Kind::Contacts, CONTACTS), &options(first))
        .await
        .unwrap();
    assert_eq!((contacts.created, contacts.duplicates_updated), (1, 1));
    let files = OrderFiles {
        orders: ORDERS,
        lines: None,
        payments: None,
    };
    let orders = crm
        .import_orders_csv(
            files,
            &map(Kind::Orders, ORDERS),
            &options(first + 1),
            |_| {},
        )
        .await
        .unwrap();
    assert!(orders.errors.is_empty(), "{:?}", orders.errors);
    assert_eq!(orders.customers_created, 1, "C9 came with its order");
    let reviews = crm
        .import_csv(REVIEWS, &map(Kind::Feedback, REVIEWS), &options(first + 2))
        .await
        .unwrap();
    assert!(reviews.errors.is_empty(), "{:?}", reviews.errors);
}

async fn log_length<S: EventStore>(crm: &Crm<S>) -> usize {
    crm.store().read_all(1, 10_000).await.unwrap().len()
}

fn views<S: EventStore>(crm: &Crm<S>) -> Views {
    crm.query_unfiltered(Views::clone)
}

/// `a` and `b` hold the same customers, orders, feedback, deals, tasks and messages; Ana's
/// card differs only in who changed it last — in `a`, the revert that gave her fields back.
fn assert_same(a: &Views, b: &Views, reverted_by: &Actor) {
    assert_eq!(a.activity, b.activity);
    assert_eq!(a.search, b.search);
    assert_eq!(a.deals, b.deals);
    assert_eq!(a.tasks, b.tasks);
    assert_eq!(a.outbox, b.outbox);
    assert_eq!(a.cards.len(), b.cards.len());
    let at = support::start();
    let mut card = a.contact_card(ana(), at).unwrap();
    assert_eq!(
        &card.updated.by, reverted_by,
        "the log says who gave it back"
    );
    card.updated = b.contact_card(ana(), at).unwrap().updated;
    assert_eq!(card, b.contact_card(ana(), at).unwrap());
}

#[tokio::test]
async fn a_reverted_import_leaves_the_views_of_a_store_that_never_saw_it() {
    let crm = shop().await;
    let untouched = shop().await;
    import_all(&crm, 1).await;
    let bob = map(Kind::Contacts, CONTACTS).contact_id("C1");
    assert!(views(&crm).cards.contact(bob).is_some());
    assert_eq!(views(&crm).activity.orders().count(), 2);
    let revert = |n| crm.revert_import(import(n), support::manager(), false);

    // The orders name Bob, whom the contacts import created: that import cannot go first.
    let before = log_length(&crm).await;
    let refused = revert(1).await.unwrap_err();
    let Error::RevertRefused { conflicts, .. } = &refused else {
        panic!("{refused}");
    };
    assert!(
        conflicts
            .iter()
            .any(|c| c.reason.contains("OrderPlaced names contact-")),
        "{refused}"
    );
    assert_eq!(
        log_length(&crm).await,
        before,
        "a refused revert writes nothing"
    );

    revert(3).await.unwrap();
    let before = log_length(&crm).await;
    let dry = crm
        .revert_import(import(2), support::manager(), true)
        .await
        .unwrap();
    assert_eq!(dry.withdrawn.get(&Category::Order), Some(&2));
    assert_eq!(dry.withdrawn.get(&Category::Contact), Some(&1), "C9");
    assert_eq!(log_length(&crm).await, before, "a dry run writes nothing");

    revert(2).await.unwrap();
    let contacts = revert(1).await.unwrap();
    assert_eq!(contacts.withdrawn.get(&Category::Contact), Some(&1), "Bob");
    assert_eq!(contacts.restored, 1, "Ana");
    assert_same(&views(&crm), &views(&untouched), &support::manager());

    // Rebuilt from the log, the views are the same: the withdrawals are in it.
    let replayed = support::fresh_on(crm.store().clone());
    replayed.catch_up().await.unwrap();
    assert_eq!(views(&replayed), views(&crm));

    // Again: nothing left to take back.
    let length = log_length(&crm).await;
    let again = revert(1).await.unwrap();
    assert_eq!((again.already_withdrawn, again.restored), (1, 1));
    assert_eq!(log_length(&crm).await, length);

    // And the same files import anew, though their command ids were used once.
    import_all(&crm, 11).await;
    assert!(views(&crm).cards.contact(bob).is_some());
    assert_eq!(views(&crm).activity.orders().count(), 2);
    let reimported = views(&crm);
    assert_eq!(reimported.activity.summary(&[bob.into()]).orders.len(), 1);
}

#[tokio::test]
async fn a_change_made_after_the_import_stands_in_the_way_of_its_revert() {
    let crm = shop().await;
    import_all(&crm, 1).await;
    let bob = map(Kind::Contacts, CONTACTS).contact_id("C1");
    let mut update = crm::domain::contact::UpdateContact::new(bob);
    update.add_tags.insert("vip".into());
    crm.execute(&support::manager(), ContactCommand::Update(update))
        .await
        .unwrap();
    for n in [3, 2] {
        crm.revert_import(import(n), support::manager(), false)
            .await
            .unwrap();
    }
    let refused = crm
        .revert_import(import(1), support::manager(), false)
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("ContactTagsChanged after the import, on a record it wrote"),
        "{refused}"
    );
    let unknown = crm
        .revert_import(import(99), support::manager(), false)
        .await
        .unwrap_err();
    assert!(matches!(unknown, Error::UnknownImport { .. }), "{unknown}");
}

#[tokio::test]
async fn a_revert_cut_short_by_a_failure_goes_on_where_it_stopped_when_run_again() {
    use crm::testing::faults::FailAfterWrite;
    let clock = crm::clock::ManualClock::new(support::start());
    let store = FailAfterWrite::new(MemoryStore::with_clock(std::sync::Arc::new(clock.clone())));
    let crm = support::deterministic(store, &clock, crm::CrmOptions::default());
    let create = CreateContact::new(ana(), "Ana", "Silva").email("ANA@example.com");
    crm.execute(&support::manager(), ContactCommand::Create(create))
        .await
        .unwrap();
    let untouched = shop().await;
    import_all(&crm, 1).await;
    for n in [3, 2] {
        crm.revert_import(import(n), support::manager(), false)
            .await
            .unwrap();
    }
    // The contacts import's first step back (Ana's fields) is written, and then the
    // connection drops.
    let before = log_length(&crm).await;
    crm.store().arm(1);
    let cut = crm
        .revert_import(import(1), support::manager(), false)
        .await;
    assert!(cut.is_err(), "{cut:?}");
    assert!(log_length(&crm).await > before, "part of it was written");
    crm.revert_import(import(1), support::manager(), false)
        .await
        .unwrap();
    assert_same(&views(&crm), &views(&untouched), &support::manager());
}
