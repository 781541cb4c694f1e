//! Automation rules carried out: an enabled rule schedules its message when an order is
//! delivered, due after its delay; `run_due` queues what is due once, skips what may not go
//! and says why; a replay of the log rebuilds the same outbox.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use crm::clock::ManualClock;
use crm::crypto::{Encrypted, Kek, MemoryKeys};
use crm::domain::automation::{builtin, AutomationCommand, AutomationRuleDefined};
use crm::domain::contact::ContactCommand;
use crm::domain::details::ConsentChannel;
use crm::domain::message::{Recipient, SkipReason};
use crm::domain::order::OrderCommand;
use crm::event::{Actor, Event};
use crm::ids::CustomerId;
use crm::projection::Delivery;
use crm::store::EventStore;
use crm::{Crm, CrmOptions, MemoryStore, RunDue};
use support::automation::switch_on;
use support::{contact, create_contact, shop, start};

type Store = Encrypted<Arc<MemoryStore>>;

struct Shop {
    crm: Crm<Store>,
    clock: ManualClock,
    inner: Arc<MemoryStore>,
    keys: Arc<MemoryKeys>,
}

fn kek() -> Arc<Kek> {
    Arc::new(Kek::from_bytes(&[9; 32]).unwrap())
}

fn shop_with(rules: &[AutomationRuleDefined]) -> Shop {
    let clock = ManualClock::new(start());
    let inner = Arc::new(MemoryStore::with_clock(Arc::new(clock.clone())));
    let keys = Arc::new(MemoryKeys::new());
    let store = Encrypted::new(inner.clone(), keys.clone(), kek());
    let crm = support::deterministic(store, &clock, CrmOptions::default());
    futures::executor::block_on(async {
        for rule in rules {
            switch_on(&crm, rule).await;
        }
    });
    Shop {
        crm,
        clock,
        inner,
        keys,
    }
}

/// Ana (contact 1) orders a chair and it is delivered one day later, at `delivered()`.
async fn order_delivered(shop: &Shop) {
    let ana = CustomerId::Contact(contact(1));
    shop.crm
        .execute(&Actor::System, create_contact(contact(1), "Ana", "Silva"))
        .await
        .unwrap();
    shop.crm
        .execute(
            &Actor::System,
            shop::place(1, ana, "chair", "chairs", 1, 5_000),
        )
        .await
        .unwrap();
    for step in shop::fulfil(1, 6_545) {
        if matches!(step, OrderCommand::Deliver { .. }) {
            shop.clock.set(delivered());
        }
        shop.crm.execute(&Actor::System, step).await.unwrap();
    }
}

fn delivered() -> DateTime<Utc> {
    start() + TimeDelta::days(1)
}

fn scheduled(shop: &Shop) -> Vec<Event> {
    let log = futures::executor::block_on(shop.crm.store().read_all(0, usize::MAX)).unwrap();
    log.into_iter()
        .map(|e| e.event)
        .filter(|e| matches!(e, Event::MessageScheduled(_)))
        .collect()
}

#[tokio::test]
async fn a_delivery_schedules_the_survey_once_and_run_due_queues_it_once_when_due() {
    let shop = shop_with(&[builtin::survey_after_delivery()]);
    order_delivered(&shop).await;
    let messages = scheduled(&shop);
    assert_eq!(messages.len(), 1, "one survey for one delivery");
    let Event::MessageScheduled(survey) = &messages[0] else {
        unreachable!()
    };
    assert_eq!(survey.due, delivered() + TimeDelta::hours(24));
    assert_eq!(
        survey.to,
        Recipient::Customer(CustomerId::Contact(contact(1)))
    );
    // Reacting again (a restart that lost the checkpoint) schedules nothing new.
    shop.crm
        .store()
        .save_checkpoint("policy:automations", 0)
        .await
        .unwrap();
    let again =
        support::deterministic(shop.crm.store().clone(), &shop.clock, CrmOptions::default());
    again.catch_up().await.unwrap();
    again.react().await.unwrap();
    assert_eq!(scheduled(&shop).len(), 1);

    // Not yet due, then due: queued once, however often run_due runs.
    let early = survey.due - TimeDelta::minutes(1);
    assert_eq!(shop.crm.run_due(early).await.unwrap(), RunDue::default());
    let due = survey.due + TimeDelta::minutes(5);
    assert_eq!(
        shop.crm.run_due(due).await.unwrap(),
        RunDue {
            queued: 1,
            ..RunDue::default()
        }
    );
    assert_eq!(shop.crm.run_due(due).await.unwrap(), RunDue::default());
    let queued = shop.crm.query_unfiltered(|v| v.outbox.to_send().len());
    assert_eq!(queued, 1);

    // The outbox is a projection of the log: a replay rebuilds it exactly.
    let live = shop.crm.query_unfiltered(|v| v.outbox.clone());
    let replayed = Crm::open(Encrypted::new(shop.inner.clone(), shop.keys.clone(), kek()))
        .await
        .unwrap();
    assert_eq!(replayed.query_unfiltered(|v| v.outbox.clone()), live);
}

#[tokio::test]
async fn what_may_not_go_is_skipped_with_its_reason() {
    // Marketing by email after delivery, and a survey: Ana has no marketing consent.
    let promo = AutomationRuleDefined {
        rule_id: crm::ids::RuleId::derived("test", "promo"),
        name: "Promotion after delivery".into(),
        ..builtin::birthday_greeting(0)
    };
    let promo = AutomationRuleDefined {
        trigger: crm::domain::automation::Trigger::OrderDelivered,
        ..promo
    };
    let shop = shop_with(&[builtin::survey_after_delivery(), promo]);
    order_delivered(&shop).await;
    let later = delivered() + TimeDelta::days(2);
    let ran = shop.crm.run_due(later).await.unwrap();
    assert_eq!(
        ran,
        RunDue {
            queued: 1,
            skipped: 1,
            ..RunDue::default()
        }
    );
    let reasons: Vec<(String, Delivery)> = shop.crm.query_unfiltered(|v| {
        v.outbox
            .all()
            .into_iter()
            .map(|e| (e.message.template.clone(), e.delivery.clone()))
            .collect()
    });
    assert!(reasons.iter().any(|(t, d)| t == "birthday"
        && matches!(
            d,
            Delivery::Skipped {
                reason: SkipReason::NoConsent,
                ..
            }
        )));
    assert!(reasons
        .iter()
        .any(|(t, d)| t == "survey" && matches!(d, Delivery::Queued { .. })));
}

#[tokio::test]
async fn consent_erasure_and_switched_off_rules_are_checked_when_due_not_when_scheduled() {
    let promo = AutomationRuleDefined {
        rule_id: crm::ids::RuleId::derived("test", "promo"),
        name: "Promotion after delivery".into(),
        trigger: crm::domain::automation::Trigger::OrderDelivered,
        ..builtin::birthday_greeting(0)
    };
    // Consent given after scheduling, before the message is due: it goes.
    let shop = shop_with(std::slice::from_ref(&promo));
    order_delivered(&shop).await;
    let consent = ContactCommand::GrantConsent {
        contact_id: contact(1),
        channel: ConsentChannel::Email,
        evidence: Some("checkout box".into()),
    };
    shop.crm.execute(&Actor::System, consent).await.unwrap();
    let due = delivered() + TimeDelta::hours(1);
    assert_eq!(shop.crm.run_due(due).await.unwrap().queued, 1);

    // Erased before due: skipped.
    let shop = shop_with(&[builtin::survey_after_delivery()]);
    order_delivered(&shop).await;
    let erase = ContactCommand::Erase {
        contact_id: contact(1),
        reason: "request 12".into(),
    };
    shop.crm.execute(&Actor::System, erase).await.unwrap();
    let due = delivered() + TimeDelta::days(2);
    assert_eq!(shop.crm.run_due(due).await.unwrap().skipped, 1);
    let reason = shop
        .crm
        .query_unfiltered(|v| v.outbox.all()[0].delivery.clone());
    assert!(matches!(
        reason,
        Delivery::Skipped {
            reason: SkipReason::Erased,
            ..
        }
    ));

    // The rule switched off before due: skipped.
    let shop = shop_with(&[builtin::survey_after_delivery()]);
    order_delivered(&shop).await;
    let off = AutomationCommand::Disable {
        rule_id: builtin::survey_after_delivery().rule_id,
    };
    shop.crm.execute(&Actor::System, off).await.unwrap();
    shop.crm.run_due(due).await.unwrap();
    let reason = shop
        .crm
        .query_unfiltered(|v| v.outbox.all()[0].delivery.clone());
    assert!(matches!(
        reason,
        Delivery::Skipped {
            reason: SkipReason::RuleDisabled,
            ..
        }
    ));
}

#[tokio::test]
async fn a_message_for_a_merged_contact_goes_to_the_survivor() {
    let shop = shop_with(&[builtin::survey_after_delivery()]);
    order_delivered(&shop).await;
    shop.crm
        .execute(
            &Actor::System,
            create_contact(contact(2), "Ana", "Silva Gómez"),
        )
        .await
        .unwrap();
    let merge = ContactCommand::Merge {
        contact_id: contact(1),
        survivor: contact(2),
    };
    shop.crm.execute(&Actor::System, merge).await.unwrap();
    shop.crm
        .run_due(delivered() + TimeDelta::days(2))
        .await
        .unwrap();
    let delivery = shop
        .crm
        .query_unfiltered(|v| v.outbox.all()[0].delivery.clone());
    assert!(matches!(
        delivery,
        Delivery::Queued { to, .. } if to == Recipient::Customer(CustomerId::Contact(contact(2)))
    ));
}

#[tokio::test]
async fn a_rule_switched_on_after_a_delivery_does_not_reach_back_to_it() {
    let shop = shop_with(&[]);
    order_delivered(&shop).await;
    let rule = builtin::survey_after_delivery();
    switch_on(&shop.crm, &rule).await;
    assert!(scheduled(&shop).is_empty());
}

#[tokio::test]
async fn the_weekly_report_is_due_mondays_at_nine_madrid_time_across_the_clock_change_once_each() {
    let head = support::user(7);
    let shop = shop_with(&[]);
    let add = crm::domain::user::UserCommand::add(
        head,
        "Elena Vidal",
        "elena@shop.example",
        crm::access::Role::HeadOfSales,
    );
    shop.crm.execute(&Actor::System, add).await.unwrap();
    // Switched on Monday 2 March 2026 at 09:30 UTC, after that day's 09:00 Madrid (08:00 UTC).
    let rule = builtin::weekly_sales_report(head);
    switch_on(&shop.crm, &rule).await;
    // run_due every six hours for five weeks: each Monday's report is scheduled and queued
    // once, at 09:00 Madrid — 08:00 UTC before Spain's change to summer time on 29 March,
    // 07:00 UTC after it.
    let mut at = start();
    while at < start() + TimeDelta::days(36) {
        at += TimeDelta::hours(6);
        shop.clock.set(at);
        shop.crm.run_due(at).await.unwrap();
    }
    let dues: Vec<String> = shop.crm.query_unfiltered(|v| {
        v.outbox
            .all()
            .into_iter()
            .inspect(|e| assert!(matches!(e.delivery, Delivery::Queued { .. })))
            .map(|e| e.message.due.to_rfc3339())
            .collect()
    });
    assert_eq!(
        dues,
        [
            "2026-03-09T08:00:00+00:00",
            "2026-03-16T08:00:00+00:00",
            "2026-03-23T08:00:00+00:00",
            "2026-03-30T07:00:00+00:00",
            "2026-04-06T07:00:00+00:00",
        ]
    );
    // A month without run_due: only the last week's report is caught up.
    let later = start() + TimeDelta::days(70);
    let ran = shop.crm.run_due(later).await.unwrap();
    assert_eq!((ran.scheduled, ran.queued), (1, 1));
    // A deactivated head gets nothing: skipped, with the reason.
    let gone = crm::domain::user::UserCommand::Deactivate { user_id: head };
    shop.crm.execute(&Actor::System, gone).await.unwrap();
    let ran = shop.crm.run_due(later + TimeDelta::days(7)).await.unwrap();
    assert_eq!((ran.scheduled, ran.skipped), (1, 1));
}

#[tokio::test]
async fn birthdays_and_unpaid_orders_make_their_messages_due_at_the_shops_local_time() {
    let clock = ManualClock::new(start());
    let inner = Arc::new(MemoryStore::with_clock(Arc::new(clock.clone())));
    let store = Encrypted::new(inner, Arc::new(MemoryKeys::new()), kek());
    let options = CrmOptions {
        zone: chrono_tz::Europe::Madrid,
        ..CrmOptions::default()
    };
    let crm = support::deterministic(store, &clock, options);
    for rule in [builtin::birthday_greeting(3), builtin::unpaid_reminder(3)] {
        switch_on(&crm, &rule).await;
    }
    // Bea, born on 10 March, said yes to email; Carlos, born on 11 March, did not.
    for (n, given, day, consent) in [(1, "Bea", 10, true), (2, "Carlos", 11, false)] {
        let born = chrono::NaiveDate::from_ymd_opt(1990, 3, day).unwrap();
        let create =
            crm::domain::contact::CreateContact::new(contact(n), given, "Ruiz").birthday(born);
        crm.execute(&Actor::System, ContactCommand::Create(create))
            .await
            .unwrap();
        if consent {
            let yes = ContactCommand::GrantConsent {
                contact_id: contact(n),
                channel: ConsentChannel::Email,
                evidence: None,
            };
            crm.execute(&Actor::System, yes).await.unwrap();
        }
    }
    // Bea's order stays unpaid; Carlos pays his.
    let bea = CustomerId::Contact(contact(1));
    let carlos = CustomerId::Contact(contact(2));
    crm.execute(
        &Actor::System,
        shop::place(1, bea, "lamp", "lighting", 1, 2_000),
    )
    .await
    .unwrap();
    crm.execute(
        &Actor::System,
        shop::place(2, carlos, "lamp", "lighting", 1, 2_000),
    )
    .await
    .unwrap();
    let pay = OrderCommand::ReceivePayment {
        order_id: shop::order(2),
        amount: shop::eur(2_000 + 420 + 495),
        method: crm::domain::order::terms::PaymentMethod::Card,
    };
    crm.execute(&Actor::System, pay).await.unwrap();

    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    let ran = crm.run_due(at("2026-03-09T12:00:00Z")).await.unwrap();
    assert_eq!((ran.scheduled, ran.queued, ran.skipped), (3, 2, 1));
    let again = crm.run_due(at("2026-03-09T12:00:00Z")).await.unwrap();
    assert_eq!(again, RunDue::default());
    let outbox: Vec<(String, String, Delivery)> = crm.query_unfiltered(|v| {
        v.outbox
            .all()
            .into_iter()
            .map(|e| {
                (
                    e.message.template.clone(),
                    e.message.due.to_rfc3339(),
                    e.delivery.clone(),
                )
            })
            .collect()
    });
    let shown: Vec<(&str, &str, bool)> = outbox
        .iter()
        .map(|(t, d, delivery)| {
            (
                t.as_str(),
                d.as_str(),
                matches!(delivery, Delivery::Queued { .. }),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            // Bea's order, placed 2 March 09:30 UTC, unpaid three days later.
            ("unpaid-reminder", "2026-03-05T09:30:00+00:00", true),
            // Three days before 10 and 11 March, 09:00 Madrid (08:00 UTC in winter).
            ("birthday", "2026-03-07T08:00:00+00:00", true),
            ("birthday", "2026-03-08T08:00:00+00:00", false),
        ]
    );
}

#[tokio::test]
async fn a_customer_who_went_quiet_gets_a_call_on_the_owners_list_once() {
    let shop = shop_with(&[builtin::reactivation()]);
    let marta = support::user(1);
    let create = crm::domain::contact::CreateContact::new(contact(1), "Ana", "Silva").owner(marta);
    shop.crm
        .execute(&Actor::System, ContactCommand::Create(create))
        .await
        .unwrap();
    let ana = CustomerId::Contact(contact(1));
    // Orders ten days apart: twice that gap of silence is twenty days after the second.
    for (n, day) in [(1, 0), (2, 10)] {
        shop.clock.set(start() + TimeDelta::days(day));
        shop.crm
            .execute(
                &Actor::System,
                shop::place(n, ana, "cup", "kitchen", 1, 900),
            )
            .await
            .unwrap();
    }
    let quiet = start() + TimeDelta::days(30);
    let before = shop.crm.run_due(quiet - TimeDelta::hours(1)).await.unwrap();
    assert_eq!(before.scheduled, 0);
    let after = shop.crm.run_due(quiet + TimeDelta::hours(1)).await.unwrap();
    assert_eq!(after.scheduled, 1);
    assert_eq!(
        shop.crm
            .run_due(quiet + TimeDelta::days(2))
            .await
            .unwrap()
            .scheduled,
        0,
        "once per silence"
    );
    let tasks = shop
        .crm
        .query_unfiltered(|v| v.tasks.open_for_assignee(marta, quiet + TimeDelta::days(2)));
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].task.due, quiet);
    assert_eq!(tasks[0].task.customer, Some(ana));
    assert_eq!(
        tasks[0].task.scheduled_by,
        Actor::Automation {
            policy: "automations".into()
        }
    );
}

#[tokio::test]
async fn a_saved_template_renders_for_a_customer_and_a_broken_one_is_refused_with_its_line() {
    use crm::domain::automation::MessageChannel;
    use crm::domain::template::{TemplateCommand, TemplateSaved};
    use crm::ids::TemplateId;
    let shop = shop_with(&[]);
    shop.crm
        .execute(
            &Actor::System,
            create_contact(contact(1), "Ana", "O'Brien & Silva"),
        )
        .await
        .unwrap();
    let survey = TemplateSaved {
        template_id: TemplateId::named("survey"),
        name: "survey".into(),
        channel: MessageChannel::Email,
        subject: Some("How did we do, {{ customer.given_name }}?".into()),
        body: "<p>Dear {{ customer.name }},</p>\n<p>we hope your order of {{ due_date }} arrived well. \
               Tell us how it went: reply with a number from 0 to 10.</p>"
            .into(),
    };
    shop.crm
        .execute(&Actor::System, TemplateCommand::Save(survey.clone()))
        .await
        .unwrap();
    let reader = shop.crm.reader(&Actor::System).await.unwrap();
    let rendered = shop
        .crm
        .preview(&reader, "Survey", contact(1))
        .await
        .unwrap()
        .unwrap();
    insta::assert_snapshot!(
        "rendered_survey_email",
        format!(
            "Subject: {}\n\n{}",
            rendered.subject.unwrap(),
            rendered.body
        )
    );
    // A broken version is refused, naming the line; the saved one stays.
    let broken = TemplateSaved {
        body: "<p>Dear {{ customer.name }},</p>\n<p>{% if %}</p>".into(),
        ..survey
    };
    let refused = shop
        .crm
        .execute(&Actor::System, TemplateCommand::Save(broken))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("template \"survey\" is refused at line 2"),
        "{refused}"
    );
    assert!(shop
        .crm
        .preview(&reader, "survey", contact(1))
        .await
        .unwrap()
        .is_some());
    assert!(shop
        .crm
        .preview(&reader, "no such", contact(1))
        .await
        .unwrap()
        .is_none());
}
