//! How `Crm::execute` loads, checks, decides, appends and retries.
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

mod support;

use crm::access::AllowAll;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use crm::domain::contact::{Contact, ContactCommand, CreateContact, UpdateContact};
use crm::domain::details::{Phone, Role};
use crm::domain::DomainError;
use crm::event::{Metadata, NewEvent, RecordedEvent};
use crm::ids::{EventId, StreamId};
use crm::normalize::Country;
use crm::projection::{catch_up_checkpointed, Projection};
use crm::store::{AppendOutcome, EventStore, ExpectedVersion, Snapshot, StoreError, StoredAt};
use crm::{Crm, CrmOptions, Error, MemoryStore};
use support::*;

#[tokio::test]
async fn linking_to_a_company_that_does_not_exist_is_rejected_and_writes_nothing() {
    let (crm, _) = fresh();
    crm.execute(&manager(), create_contact(contact(1), "Ana", "García"))
        .await
        .unwrap();
    let head = crm.store().head_position().await.unwrap();
    let link = ContactCommand::LinkToCompany {
        contact_id: contact(1),
        company_id: company(9),
        role: Role::Buyer,
    };
    let err = crm.execute(&manager(), link).await.unwrap_err();
    assert!(
        matches!(err, Error::Domain(DomainError::CompanyNotFound { company_id }) if company_id == company(9))
    );
    assert_eq!(
        err.to_string(),
        format!("company {} does not exist", company(9))
    );
    assert_eq!(crm.store().head_position().await.unwrap(), head);
}

#[tokio::test]
async fn a_contact_cannot_be_merged_into_a_missing_or_merged_contact() {
    let (crm, _) = fresh();
    for (n, name) in [(1, "Ana"), (2, "Bea"), (3, "Carla")] {
        crm.execute(&manager(), create_contact(contact(n), name, "Silva"))
            .await
            .unwrap();
    }
    let merge = |from, into| ContactCommand::Merge {
        contact_id: contact(from),
        survivor: contact(into),
    };
    let err = crm.execute(&manager(), merge(1, 9)).await.unwrap_err();
    assert!(
        matches!(err, Error::Domain(DomainError::ContactNotFound { .. })),
        "{err}"
    );
    crm.execute(&manager(), merge(2, 3)).await.unwrap();
    let err = crm.execute(&manager(), merge(1, 2)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "contact {} was merged into {}; make changes on {} instead",
            contact(2),
            contact(3),
            contact(3)
        )
    );
}

#[tokio::test]
async fn a_command_that_changes_nothing_writes_nothing() {
    let (crm, _) = fresh();
    crm.execute(&manager(), create_contact(contact(1), "Ana", "García"))
        .await
        .unwrap();
    let done = crm
        .execute(
            &manager(),
            ContactCommand::Update(UpdateContact::new(contact(1))),
        )
        .await
        .unwrap();
    assert!(done.events.is_empty());
    assert_eq!(done.version, 1);
    assert_eq!(crm.store().len(), 1);
}

#[tokio::test]
async fn every_event_of_a_command_shares_its_actor_correlation_and_business_time() {
    let (crm, clock) = fresh();
    clock.advance(chrono::TimeDelta::days(3));
    crm.execute(&manager(), create_contact(contact(1), "Ana", "García"))
        .await
        .unwrap();
    let mut update = UpdateContact::new(contact(1));
    update.add_tags.insert("vip".into());
    update.set_fields.insert("size".into(), "M".into());
    crm.execute(&manager(), ContactCommand::Update(update))
        .await
        .unwrap();
    let log = crm.store().read_all(0, 10).await.unwrap();
    assert_eq!(log.len(), 3);
    assert_eq!(log[1].metadata, log[2].metadata);
    assert_ne!(
        log[0].metadata.correlation_id,
        log[1].metadata.correlation_id
    );
    assert!(log
        .iter()
        .all(|e| e.occurred_at == support::start() + chrono::TimeDelta::days(3)));
    assert!(log.iter().all(|e| e.metadata.actor == manager()));
}

/// Lets another writer slip an event in just before the first append to each stream.
struct Interloper {
    inner: MemoryStore,
    armed: AtomicBool,
    appends: AtomicUsize,
    always: bool,
}

impl Interloper {
    fn new(always: bool) -> Self {
        Self {
            inner: MemoryStore::new(),
            armed: AtomicBool::new(false),
            appends: AtomicUsize::new(0),
            always,
        }
    }
}

#[async_trait]
impl EventStore for Interloper {
    async fn append(
        &self,
        s: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        self.appends.fetch_add(1, Ordering::SeqCst);
        if self.always || self.armed.swap(false, Ordering::SeqCst) {
            let tag = format!("by-someone-else-{}", self.appends.load(Ordering::SeqCst));
            let sneaky = NewEvent {
                id: EventId::new(),
                occurred_at: support::start(),
                metadata: Metadata::by(crm::event::Actor::System),
                event: crm::domain::contact::events::ContactTagsChanged {
                    contact_id: contact(1),
                    added: [tag].into(),
                    removed: Default::default(),
                }
                .into(),
            };
            self.inner
                .append(s, ExpectedVersion::Any, vec![sneaky])
                .await?;
        }
        self.inner.append(s, expected, events).await
    }
    async fn read_stream(
        &self,
        s: &StreamId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(s, from, limit).await
    }
    async fn read_all(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(from, limit).await
    }
    async fn stream_version(&self, s: &StreamId) -> Result<u64, StoreError> {
        self.inner.stream_version(s).await
    }
    async fn head_position(&self) -> Result<u64, StoreError> {
        self.inner.head_position().await
    }
    async fn locate(&self, id: EventId) -> Result<Option<StoredAt>, StoreError> {
        self.inner.locate(id).await
    }
    async fn save_snapshot(&self, s: &StreamId, snap: Snapshot) -> Result<(), StoreError> {
        self.inner.save_snapshot(s, snap).await
    }
    async fn load_snapshot(&self, s: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        self.inner.load_snapshot(s).await
    }
    async fn save_checkpoint(&self, name: &str, p: u64) -> Result<(), StoreError> {
        self.inner.save_checkpoint(name, p).await
    }
    async fn load_checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError> {
        self.inner.load_checkpoint(name).await
    }
}

#[tokio::test]
async fn a_conflict_is_resolved_by_reloading_and_deciding_again() {
    let crm = Crm::new(Interloper::new(false)).with_authorizer(AllowAll);
    crm.execute(&manager(), create_contact(contact(1), "Ana", "García"))
        .await
        .unwrap();
    crm.store().armed.store(true, Ordering::SeqCst);
    let mut update = UpdateContact::new(contact(1));
    update.add_tags.insert("vip".into());
    let done = crm
        .execute(&manager(), ContactCommand::Update(update))
        .await
        .unwrap();
    assert_eq!(
        done.version, 3,
        "decided again on top of the other writer's event"
    );
    let (state, version) = crm.load::<Contact>(contact(1)).await.unwrap();
    assert_eq!(version, 3);
    assert!(
        state.tags.contains("vip") && state.tags.len() == 2,
        "{:?}",
        state.tags
    );
}

#[tokio::test]
async fn endless_conflicts_give_up_after_the_bounded_retries() {
    let crm = Crm::new(Interloper::new(true)).with_authorizer(AllowAll);
    let err = crm
        .execute(&manager(), create_contact(contact(1), "Ana", "García"))
        .await
        .unwrap_err();
    let attempts = CrmOptions::default().max_retries + 1;
    assert!(
        matches!(&err, Error::TooManyConflicts { attempts: a, .. } if *a == attempts),
        "{err}"
    );
    let log = crm.store().read_all(0, 100).await.unwrap();
    assert!(
        log.iter()
            .all(|e| e.metadata.actor == crm::event::Actor::System),
        "the command itself wrote nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_commands_on_one_contact_all_land() {
    let (crm, _) = fresh();
    let crm = std::sync::Arc::new(crm);
    crm.execute(&manager(), create_contact(contact(1), "Ana", "García"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|n| {
            let crm = crm.clone();
            tokio::spawn(async move {
                let mut update = UpdateContact::new(contact(1));
                update.add_tags.insert(format!("tag-{n}"));
                crm.execute(&manager(), ContactCommand::Update(update))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let card = crm
        .query_unfiltered(|v| v.cards.contact(contact(1)))
        .unwrap();
    assert_eq!(card.tags.len(), 16);
    assert_eq!(
        crm.store()
            .stream_version(&contact(1).into())
            .await
            .unwrap(),
        17
    );
}

#[tokio::test]
async fn snapshots_bound_the_replay_and_a_bad_one_is_rebuilt_from_events() {
    let clock = crm::clock::ManualClock::new(support::start());
    let options = CrmOptions {
        snapshot_every: 4,
        ..CrmOptions::default()
    };
    let crm = deterministic(MemoryStore::new(), &clock, options);
    crm.execute(&manager(), create_contact(contact(1), "Ana", "García"))
        .await
        .unwrap();
    for n in 0..9 {
        let mut update = UpdateContact::new(contact(1));
        update.add_tags.insert(format!("t{n}"));
        crm.execute(&manager(), ContactCommand::Update(update))
            .await
            .unwrap();
    }
    let stream: StreamId = contact(1).into();
    let snapshot = crm
        .store()
        .load_snapshot(&stream)
        .await
        .unwrap()
        .expect("a snapshot");
    assert_eq!(snapshot.version, 8);
    let (from_snapshot, version) = crm.load::<Contact>(contact(1)).await.unwrap();
    assert_eq!(version, 10);

    let garbage = Snapshot {
        version: 9,
        schema: 1,
        state: b"{not json".to_vec(),
    };
    crm.store().save_snapshot(&stream, garbage).await.unwrap();
    let (rebuilt, version) = crm.load::<Contact>(contact(1)).await.unwrap();
    assert_eq!(version, 10);
    assert_eq!(rebuilt, from_snapshot);
    assert_eq!(rebuilt.tags.len(), 9);
}

#[tokio::test]
async fn opening_a_store_rebuilds_the_same_views() {
    let (crm, _) = fresh();
    crm.execute(&manager(), create_company(company(1), "Acme"))
        .await
        .unwrap();
    crm.execute(&manager(), create_contact(contact(1), "Ana", "García"))
        .await
        .unwrap();
    let link = ContactCommand::LinkToCompany {
        contact_id: contact(1),
        company_id: company(1),
        role: Role::Buyer,
    };
    crm.execute(&manager(), link).await.unwrap();
    let reopened = Crm::open(crm.store().clone()).await.unwrap();
    assert_eq!(reopened.projected_position(), 3);
    assert_eq!(
        reopened.query_unfiltered(|v| v.clone()),
        crm.query_unfiltered(|v| v.clone())
    );
}

#[tokio::test]
async fn phone_search_finds_one_number_however_it_is_written() {
    let clock = crm::clock::ManualClock::new(support::start());
    let es = Country::new("ES").unwrap();
    let options = CrmOptions {
        default_country: Some(es),
        ..CrmOptions::default()
    };
    let crm = deterministic(MemoryStore::new(), &clock, options);
    let create =
        CreateContact::new(contact(1), "Ana", "García").phone(Phone::new("+34 600-12-34-56"));
    crm.execute(&manager(), ContactCommand::Create(create))
        .await
        .unwrap();
    for query in [
        "+34 600-12-34-56",
        "600123456",
        "0034600123456",
        "600 12 34 56",
    ] {
        let hits = crm.query_unfiltered(|v| v.search.by_phone(query));
        assert_eq!(hits.len(), 1, "{query}");
    }
    assert!(crm
        .query_unfiltered(|v| v.search.by_phone("600123457"))
        .is_empty());
}

#[tokio::test]
async fn duplicates_are_found_by_email_and_vanish_after_a_merge() {
    let (crm, _) = fresh();
    let a = CreateContact::new(contact(1), "Ana", "García").email("ana@example.com");
    let b = CreateContact::new(contact(2), "A.", "Garcia").email("ANA@Example.com");
    let c = CreateContact::new(contact(3), "Carla", "Silva").email("carla@example.com");
    for create in [a, b, c] {
        crm.execute(&manager(), ContactCommand::Create(create))
            .await
            .unwrap();
    }
    let groups = crm.query_unfiltered(|v| v.search.duplicates());
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].contacts, [contact(1), contact(2)]);
    assert_eq!(groups[0].reasons[0].to_string(), "email ana@example.com");

    crm.execute(
        &manager(),
        ContactCommand::Merge {
            contact_id: contact(2),
            survivor: contact(1),
        },
    )
    .await
    .unwrap();
    assert!(crm.query_unfiltered(|v| v.search.duplicates()).is_empty());
    let hits = crm.query_unfiltered(|v| v.search.by_name("garcia"));
    assert_eq!(hits.len(), 1, "the merged contact resolves to its survivor");
    assert_eq!(hits[0].customer, contact(1).into());
}

#[derive(Default)]
struct Counter(usize);

impl Projection for Counter {
    fn apply(&mut self, _: &RecordedEvent) {
        self.0 += 1;
    }
}

#[tokio::test]
async fn a_checkpointed_projection_resumes_where_it_stopped() {
    let (crm, _) = fresh();
    for n in 0..5 {
        crm.execute(&manager(), create_contact(contact(n), "Ana", "García"))
            .await
            .unwrap();
    }
    let mut counter = Counter::default();
    let reached = catch_up_checkpointed(crm.store(), "counter", &mut counter, 2)
        .await
        .unwrap();
    assert_eq!((reached, counter.0), (5, 5));
    crm.execute(&manager(), create_contact(contact(9), "Bea", "Silva"))
        .await
        .unwrap();
    let mut resumed = Counter::default();
    let reached = catch_up_checkpointed(crm.store(), "counter", &mut resumed, 2)
        .await
        .unwrap();
    assert_eq!(
        (reached, resumed.0),
        (6, 1),
        "only the new event is delivered"
    );
    assert_eq!(
        crm.store().load_checkpoint("counter").await.unwrap(),
        Some(6)
    );
}

#[tokio::test]
async fn a_cached_state_never_hides_another_writers_events() {
    let (first, clock) = fresh();
    // Another process: its own id sequence (shared ids would read as a retried append).
    let second = Crm::with(
        first.store().clone(),
        std::sync::Arc::new(clock.clone()),
        std::sync::Arc::new(crm::clock::SequentialIds::new(2)),
        CrmOptions::default(),
    )
    .with_authorizer(AllowAll);
    first
        .execute(&manager(), create_contact(contact(1), "Ana", "García"))
        .await
        .unwrap();
    let (_, version) = second.load::<Contact>(contact(1)).await.unwrap();
    assert_eq!(version, 1, "the second process has cached version 1");
    let mut update = UpdateContact::new(contact(1));
    update.add_tags.insert("from-first".into());
    first
        .execute(&manager(), ContactCommand::Update(update))
        .await
        .unwrap();
    let mut update = UpdateContact::new(contact(1));
    update.add_tags.insert("from-second".into());
    let done = second
        .execute(&manager(), ContactCommand::Update(update))
        .await
        .unwrap();
    assert_eq!(done.version, 3);
    let (state, _) = second.load::<Contact>(contact(1)).await.unwrap();
    assert_eq!(state.tags.len(), 2, "{:?}", state.tags);
}

#[test]
fn a_read_batch_of_zero_is_clamped_not_an_endless_loop() {
    let store = MemoryStore::new();
    let options = CrmOptions {
        read_batch: 0,
        snapshot_every: 0,
        ..CrmOptions::default()
    };
    let crm = Crm::with(
        store,
        std::sync::Arc::new(crm::clock::SystemClock),
        std::sync::Arc::new(crm::clock::RandomIds),
        options,
    )
    .with_authorizer(AllowAll);
    futures::executor::block_on(async {
        crm.execute(&manager(), create_contact(contact(1), "Ana", "García"))
            .await
            .unwrap();
        let (state, version) = crm.load::<Contact>(contact(1)).await.unwrap();
        assert_eq!(version, 1);
        assert!(state.require_active(contact(1)).is_ok());
    });
}

#[test]
fn a_snapshot_ahead_of_its_stream_is_ignored() {
    futures::executor::block_on(async {
        let store = MemoryStore::new();
        let crm = Crm::new(store.clone()).with_authorizer(AllowAll);
        crm.execute(&manager(), create_contact(contact(1), "Ana", "García"))
            .await
            .unwrap();
        // A snapshot claiming version 50, of another contact's state: from a restored backup
        // of a store that had gone further, say.
        let other = Crm::new(MemoryStore::new()).with_authorizer(AllowAll);
        other
            .execute(&manager(), create_contact(contact(1), "Impostor", "Ahead"))
            .await
            .unwrap();
        let (ahead, _) = other.load::<Contact>(contact(1)).await.unwrap();
        let snapshot = Snapshot {
            version: 50,
            schema: <Contact as crm::domain::Aggregate>::SNAPSHOT_SCHEMA,
            state: serde_json::to_vec(&ahead).unwrap(),
        };
        store
            .save_snapshot(&contact(1).into(), snapshot)
            .await
            .unwrap();
        let fresh = Crm::new(store).with_authorizer(AllowAll);
        let (state, version) = fresh.load::<Contact>(contact(1)).await.unwrap();
        assert_eq!(version, 1, "the snapshot's version was trusted");
        let (real, _) = crm.load::<Contact>(contact(1)).await.unwrap();
        assert_eq!(
            serde_json::to_value(&state).unwrap(),
            serde_json::to_value(&real).unwrap()
        );
    });
}

#[test]
fn requirements_are_checked_again_after_a_conflict() {
    use crm::domain::contact::events::ContactMerged;
    use crm::ids::Category;
    use crm::testing::faults::Interleaved;
    futures::executor::block_on(async {
        let store = MemoryStore::new();
        let setup = Crm::new(store.clone()).with_authorizer(AllowAll);
        support::sales::setup(&setup).await;
        // While the deal for Lucía is being opened, someone merges Lucía into Jorge.
        let merge = NewEvent {
            id: EventId::new(),
            occurred_at: start(),
            metadata: Metadata::by(crm::event::Actor::System),
            event: ContactMerged {
                contact_id: contact(1),
                survivor: contact(2),
            }
            .into(),
        };
        let racing = Interleaved::new(store, Category::Deal, (contact(1).into(), vec![merge]));
        let crm = Crm::new(racing).with_authorizer(AllowAll);
        let open = support::sales::open(
            1,
            contact(1).into(),
            0,
            support::sales::money(1_000, "EUR"),
            1,
            (2026, 6, 1),
        );
        let result = crm.execute(&manager(), open).await;
        assert!(
            matches!(
                result,
                Err(Error::Domain(DomainError::ContactWasMerged { .. }))
            ),
            "a deal was opened for a contact merged in the meantime: {result:?}"
        );
    });
}

/// Two instances over one store: what one writes, the other shows once it has waited for
/// the command's position, and `follow` keeps it showing later writes without being asked.
#[tokio::test]
async fn an_instance_waits_for_another_instances_command_by_its_position() {
    let (writer, _) = fresh();
    let reader = Crm::new(writer.store().clone());
    let done = writer
        .execute(&manager(), create_contact(contact(1), "Ana", "García"))
        .await
        .unwrap();
    assert_eq!(done.position, writer.store().head_position().await.unwrap());
    assert!(done.position > 0);
    assert!(reader.query_unfiltered(|v| v.contact_card(contact(1), start()).is_none()));
    assert_eq!(reader.wait_for(done.position).await.unwrap(), done.position);
    assert!(reader.query_unfiltered(|v| v.contact_card(contact(1), start()).is_some()));

    let following = tokio::spawn(async move {
        let follow = reader.follow();
        let seen = async {
            while reader.projected_position() < 2 {
                tokio::task::yield_now().await;
            }
        };
        tokio::select! {
            result = follow => panic!("follow ended: {result:?}"),
            () = seen => reader.query_unfiltered(|v| v.contact_card(contact(2), start()).is_some()),
        }
    });
    writer
        .execute(&manager(), create_contact(contact(2), "Bea", "Silva"))
        .await
        .unwrap();
    assert!(
        following.await.unwrap(),
        "the follower missed the second contact"
    );
    // An update that changes nothing is accepted and writes nothing.
    let nothing = writer
        .execute(
            &manager(),
            ContactCommand::Update(UpdateContact::new(contact(2))),
        )
        .await
        .unwrap();
    assert!(nothing.events.is_empty());
    assert_eq!(
        nothing.position, 0,
        "a command that wrote nothing has no position"
    );
}

/// `execute_together`: an order with its payment and its shipping in one append — all of it,
/// or (a step refused) none; again, nothing.
#[tokio::test]
async fn steps_on_one_record_are_written_together_or_not_at_all() {
    use crm::domain::order::{Order, OrderCommand};
    use crm::ids::CommandId;
    let (crm, _) = support::fresh();
    crm.execute(
        &support::manager(),
        support::create_contact(support::contact(1), "Ana", "Silva"),
    )
    .await
    .unwrap();
    let customer = support::contact(1).into();
    let place = support::shop::place(1, customer, "chair-oak", "chairs", 2, 5_000);
    let order_id = support::shop::order(1);
    let total = 2 * 5_000 + 2_100 + 495;
    let step = |n: usize, command: OrderCommand| {
        let id = CommandId::derived("test", &format!("order-1/{n}"));
        (
            crm::Request::by(support::manager()).with_command_id(id),
            command,
        )
    };
    let log = || async { crm.store().read_all(1, 1000).await.unwrap().len() };
    let before = log().await;
    let ship_unpaid = vec![
        step(0, place.clone()),
        step(
            9,
            OrderCommand::Ship {
                order_id,
                carrier: "Correos".into(),
                tracking_number: None,
                estimated_delivery: None,
            },
        ),
    ];
    let refused = crm.execute_together::<Order>(order_id, ship_unpaid).await;
    assert!(refused.is_err());
    assert_eq!(log().await, before, "not the placing either");

    let mut steps = vec![step(0, place)];
    steps.extend(
        support::shop::fulfil(1, total)
            .into_iter()
            .enumerate()
            .map(|(n, c)| step(n + 1, c)),
    );
    let count = steps.len();
    let done = crm
        .execute_together::<Order>(order_id, steps.clone())
        .await
        .unwrap();
    assert_eq!(done.len(), count);
    assert!(done.iter().all(|d| d.wrote()));
    let written = log().await - before;
    assert_eq!(written, done.iter().map(|d| d.events.len()).sum::<usize>());
    let order = crm
        .query_unfiltered(|v| v.activity.order(order_id).cloned())
        .unwrap();
    assert_eq!(
        order.fulfillment,
        crm::domain::order::Fulfillment::Delivered
    );

    let again = crm
        .execute_together::<Order>(order_id, steps)
        .await
        .unwrap();
    assert!(again.iter().all(|d| d.repeated));
    assert_eq!(log().await - before, written);
}
