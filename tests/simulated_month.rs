//! A simulated March on a small shop with a fixed clock: every six hours the shop runs
//! `run_due` and sends what is due as files, across the change to summer time on 29 March,
//! with a run repeated and a crash between scheduling and sending. Exactly the hand-computed
//! messages go, each once, at the right local times; none to a person without consent, none
//! to an erased person; a message for a merged contact goes to the survivor; and a replay of
//! the log rebuilds the same outbox.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use crm::clock::{ManualClock, SequentialIds};
use crm::crypto::{Encrypted, Kek, MemoryKeys};
use crm::domain::automation::builtin;
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::domain::details::ConsentChannel;
use crm::domain::message::Recipient;
use crm::domain::order::OrderCommand;
use crm::domain::user::events::UserAdded;
use crm::domain::user::UserCommand;
use crm::event::{Actor, Event};
use crm::ids::CustomerId;
use crm::outbox::FileSender;
use crm::projection::Delivery;
use crm::store::EventStore;
use crm::{Crm, CrmOptions, MemoryStore};
use support::automation::switch_on;
use support::{contact, shop, user};

type Store = Encrypted<Arc<MemoryStore>>;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn options() -> CrmOptions {
    CrmOptions {
        zone: chrono_tz::Europe::Madrid,
        ..CrmOptions::default()
    }
}

/// A CRM on `store` whose ids start at `first`: a restarted process draws new ones.
fn open(store: &Store, clock: &ManualClock, first: u32) -> Crm<Store> {
    let ids = Arc::new(SequentialIds::new(first));
    Crm::with(store.clone(), Arc::new(clock.clone()), ids, options())
        .with_authorizer(crm::access::AllowAll)
}

async fn at<C: Into<crm::Command>>(crm: &Crm<Store>, clock: &ManualClock, when: &str, c: C) {
    clock.set(utc(when));
    crm.execute(&Actor::System, c).await.unwrap();
}

async fn person(crm: &Crm<Store>, n: u128, given: &str, birthday: Option<(i32, u32, u32)>) {
    let mut create = CreateContact::new(contact(n), given, "Test")
        .email(&format!("{}@example.com", given.to_lowercase()));
    create.personal.birthday = birthday.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d));
    crm.execute(&Actor::System, ContactCommand::Create(create))
        .await
        .unwrap();
}

/// Order `n` for contact `who`, placed at `placed` and — unless `unpaid` — paid, shipped
/// and delivered at `delivered`.
async fn order(
    crm: &Crm<Store>,
    clock: &ManualClock,
    n: u128,
    who: u128,
    placed: &str,
    delivered: Option<&str>,
) {
    let customer = CustomerId::Contact(contact(who));
    at(
        crm,
        clock,
        placed,
        shop::place(n, customer, "chair", "chairs", 1, 5_000),
    )
    .await;
    if let Some(delivered) = delivered {
        for step in shop::fulfil(n, 6_545) {
            if matches!(step, OrderCommand::Deliver { .. }) {
                clock.set(utc(delivered));
            }
            crm.execute(&Actor::System, step).await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_simulated_march_sends_exactly_the_expected_messages_once_each() {
    let clock = ManualClock::new(utc("2026-03-02T09:30:00Z"));
    let inner = Arc::new(MemoryStore::with_clock(Arc::new(clock.clone())));
    let kek = Arc::new(Kek::from_bytes(&[3; 32]).unwrap());
    let store = Encrypted::new(inner, Arc::new(MemoryKeys::new()), kek);
    let mut crm = open(&store, &clock, 1);
    let head = user(1);
    let hugo = UserAdded {
        user_id: head,
        name: "Hugo Head".into(),
        email: "hugo@tienda.example".into(),
        role: crm::access::Role::HeadOfSales,
        team_id: None,
    };
    crm.execute(&Actor::System, UserCommand::Add(hugo))
        .await
        .unwrap();
    // On since Monday 2 March, 10:30 in Madrid: that morning's report is not due.
    for rule in [
        builtin::survey_after_delivery(),
        builtin::birthday_greeting(7),
        builtin::unpaid_reminder(3),
        builtin::weekly_sales_report(head),
    ] {
        switch_on(&crm, &rule).await;
    }
    // Ana consents (birthday 20 March); Bea does not (25 March); Carla consents (5 April:
    // her greeting falls on 29 March, the day Spain moves to summer time); Dora consents
    // (15 March) but is erased on 4 March; Eva is Ana's duplicate, merged into her.
    for (n, given, birthday) in [
        (1, "Ana", Some((1990, 3, 20))),
        (2, "Bea", Some((1985, 3, 25))),
        (3, "Carla", Some((1992, 4, 5))),
        (4, "Dora", Some((1980, 3, 15))),
        (5, "Eva", None),
    ] {
        person(&crm, n, given, birthday).await;
        if given != "Bea" {
            let grant = ContactCommand::GrantConsent {
                contact_id: contact(n),
                channel: ConsentChannel::Email,
                evidence: Some("checkout box".into()),
            };
            crm.execute(&Actor::System, grant).await.unwrap();
        }
    }
    order(
        &crm,
        &clock,
        4,
        4,
        "2026-03-02T10:00:00Z",
        Some("2026-03-03T10:00:00Z"),
    )
    .await;
    order(
        &crm,
        &clock,
        1,
        1,
        "2026-03-03T10:00:00Z",
        Some("2026-03-05T10:00:00Z"),
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let sender = FileSender::new(dir.path(), "Tienda <hola@tienda.example>".parse().unwrap());
    let mut t = utc("2026-03-02T12:00:00Z");
    let end = utc("2026-04-01T12:00:00Z");
    let mut restarts = 0;
    while t <= end {
        // What the shop does meanwhile, at its business time.
        match t.to_rfc3339().as_str() {
            "2026-03-04T06:00:00+00:00" => {
                let erase = ContactCommand::Erase {
                    contact_id: contact(4),
                    reason: "request of 3 March".into(),
                };
                crm.execute(&Actor::System, erase).await.unwrap();
            }
            "2026-03-10T06:00:00+00:00" => {
                order(&crm, &clock, 2, 2, "2026-03-10T10:00:00Z", None).await
            }
            "2026-03-12T06:00:00+00:00" => {
                order(
                    &crm,
                    &clock,
                    5,
                    5,
                    "2026-03-12T10:00:00Z",
                    Some("2026-03-20T10:00:00Z"),
                )
                .await;
            }
            _ => {}
        }
        if t == utc("2026-03-15T00:00:00Z") {
            let merge = ContactCommand::Merge {
                contact_id: contact(5),
                survivor: contact(1),
            };
            crm.execute(&Actor::System, merge).await.unwrap();
        }
        clock.set(t);
        crm.run_due(t).await.unwrap();
        if t == utc("2026-03-13T12:00:00Z") {
            // The cron job fires twice.
            crm.run_due(t).await.unwrap();
        }
        if t == utc("2026-03-21T12:00:00Z") || t == utc("2026-03-30T12:00:00Z") {
            // The process dies after scheduling and queueing, before it sends.
            restarts += 1;
            drop(crm);
            crm = open(&store, &clock, 100 + restarts);
            crm.catch_up().await.unwrap();
        }
        crm.send(&sender).await.unwrap();
        t += TimeDelta::hours(6);
    }

    let log = store.read_all(0, usize::MAX).await.unwrap();
    let sent: Vec<_> = log
        .iter()
        .filter_map(|e| match &e.event {
            Event::MessageSent(s) => Some(s.message_id),
            _ => None,
        })
        .collect();
    let distinct: BTreeSet<_> = sent.iter().collect();
    assert_eq!(sent.len(), distinct.len(), "each message sent once");
    let files: BTreeSet<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), sent.len(), "one file per message: {files:?}");

    let ana = Recipient::Customer(CustomerId::Contact(contact(1)));
    let bea = Recipient::Customer(CustomerId::Contact(contact(2)));
    let carla = Recipient::Customer(CustomerId::Contact(contact(3)));
    let dora = Recipient::Customer(CustomerId::Contact(contact(4)));
    let hugo = Recipient::User(head);
    let outbox = crm.query_unfiltered(|v| {
        v.outbox
            .all()
            .into_iter()
            .map(|e| {
                let to = e.delivery.to().unwrap_or(e.message.to);
                let state = match &e.delivery {
                    Delivery::Sent { .. } => "sent".to_owned(),
                    Delivery::Skipped { reason, .. } => format!("skipped: {reason:?}"),
                    other => format!("{other}"),
                };
                (
                    e.message.template.clone(),
                    to,
                    e.message.due.to_rfc3339(),
                    state,
                )
            })
            .collect::<Vec<_>>()
    });
    let expected = [
        (
            "survey",
            dora,
            "2026-03-04T10:00:00+00:00",
            "skipped: Erased",
        ),
        ("survey", ana, "2026-03-06T10:00:00+00:00", "sent"),
        // Mondays at 09:00 in Madrid: 08:00 UTC in winter...
        ("report-sales", hugo, "2026-03-09T08:00:00+00:00", "sent"),
        ("birthday", ana, "2026-03-13T08:00:00+00:00", "sent"),
        ("unpaid-reminder", bea, "2026-03-13T10:00:00+00:00", "sent"),
        ("report-sales", hugo, "2026-03-16T08:00:00+00:00", "sent"),
        (
            "birthday",
            bea,
            "2026-03-18T08:00:00+00:00",
            "skipped: NoConsent",
        ),
        // Eva's order, delivered after she was merged into Ana: to Ana.
        ("survey", ana, "2026-03-21T10:00:00+00:00", "sent"),
        ("report-sales", hugo, "2026-03-23T08:00:00+00:00", "sent"),
        // ...and 07:00 UTC in summer.
        ("birthday", carla, "2026-03-29T07:00:00+00:00", "sent"),
        ("report-sales", hugo, "2026-03-30T07:00:00+00:00", "sent"),
    ];
    let expected: Vec<(String, Recipient, String, String)> = expected
        .iter()
        .map(|(t, to, due, state)| (t.to_string(), *to, due.to_string(), state.to_string()))
        .collect();
    assert_eq!(outbox, expected);
    assert_eq!(sent.len(), 9);

    // A replay of the log rebuilds the same outbox.
    let replayed = open(&store, &clock, 900);
    replayed.catch_up().await.unwrap();
    let live = crm.query_unfiltered(|v| v.outbox.clone());
    assert_eq!(replayed.query_unfiltered(|v| v.outbox.clone()), live);
}
