//! The audit trail of a card: who changed which field, when, from what to what, and through
//! what — read from the events, so it cannot disagree with them.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::TimeDelta;
use crm::access::{Role, Roles};
use crm::audit::{AuditEntry, AuditTrail};
use crm::domain::contact::{ContactCommand, CreateContact, UpdateContact};
use crm::domain::details::Phone;
use crm::domain::task::TaskCommand;
use crm::domain::user::UserCommand;
use crm::event::Actor;
use crm::ids::CustomerId;
use crm::{Crm, MemoryStore, Request};
use support::*;

fn manager_two() -> Actor {
    Actor::User { user_id: user(2) }
}

/// Marta (user 1) and Tomás (user 2), managers: the trail names them.
async fn directory(crm: &Crm<MemoryStore>) {
    for (n, name) in [(1, "Marta Ruiz"), (2, "Tomás Gil")] {
        let add = UserCommand::add(
            user(n),
            name,
            format!("user{n}@shop.example"),
            Role::Manager,
        );
        crm.execute(&Actor::System, add).await.unwrap();
    }
}

async fn trail_of(crm: &Crm<MemoryStore>, customer: CustomerId) -> AuditTrail {
    let reader = crm.reader(&Actor::System).await.unwrap();
    crm.audit_trail(&reader, customer).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_cards_trail_names_each_change_its_author_and_merges_quick_corrections() {
    let (crm, clock) = fresh();
    directory(&crm).await;
    crm.execute(&Actor::System, crm::testing::sales::define_pipeline())
        .await
        .unwrap();
    let ana = contact(1);
    let import = Actor::Import {
        source: "webshop export of 1 March".into(),
    };
    let create = CreateContact::new(ana, "Ana", "Garcia").email("ana@exmaple.com");
    crm.execute(&import, ContactCommand::Create(create))
        .await
        .unwrap();

    // A manager fixes the email twice in three minutes, then the name: two entries.
    clock.advance(TimeDelta::hours(20));
    let email = |address: &str| {
        let mut update = UpdateContact::new(ana);
        update.emails = Some(vec![address.to_owned()]);
        ContactCommand::Update(update)
    };
    crm.execute(&manager(), email("ana@example.con"))
        .await
        .unwrap();
    clock.advance(TimeDelta::minutes(3));
    crm.execute(&manager(), email("ana@example.com"))
        .await
        .unwrap();
    clock.advance(TimeDelta::minutes(1));
    let mut name = UpdateContact::new(ana);
    name.name = Some(crm::domain::details::PersonName::new("Ana", "García"));
    crm.execute(&manager(), ContactCommand::Update(name))
        .await
        .unwrap();

    // Another manager tags her and notes her plan.
    clock.advance(TimeDelta::minutes(30));
    let mut tags = UpdateContact::new(ana);
    tags.add_tags = ["vip".to_owned()].into();
    tags.set_fields = [("plan".to_owned(), "gold".to_owned())].into();
    crm.execute(&manager_two(), ContactCommand::Update(tags))
        .await
        .unwrap();

    // A policy assigns her an owner.
    clock.advance(TimeDelta::minutes(1));
    let assign = ContactCommand::AssignOwner {
        contact_id: ana,
        owner: Some(user(1)),
    };
    let automation = Actor::Automation {
        policy: "round-robin owners".into(),
    };
    crm.execute_request(Request::by(automation), assign.into())
        .await
        .unwrap();

    // The owner opens a deal and moves it on; the stage-tasks policy schedules her calls and
    // emails, and she does the first.
    clock.advance(TimeDelta::minutes(10));
    let customer = CustomerId::Contact(ana);
    crm.execute(
        &manager(),
        sales::open(
            1,
            customer,
            0,
            sales::money(120_000, "EUR"),
            1,
            (2026, 4, 30),
        ),
    )
    .await
    .unwrap();
    clock.advance(TimeDelta::hours(1));
    crm.execute(&manager(), sales::move_to(1, 1)).await.unwrap();
    let first_call = crm.query_unfiltered(|v| v.tasks.for_deal(sales::deal(1))[0].task_id);
    crm.execute(
        &manager(),
        TaskCommand::Complete {
            task_id: first_call,
        },
    )
    .await
    .unwrap();

    // The web shop places and is paid for an order.
    let web = Actor::Api {
        client: "web shop".into(),
    };
    crm.execute(&web, shop::place(1, customer, "chair", "chairs", 2, 4_500))
        .await
        .unwrap();
    let paid = crm::domain::order::OrderCommand::pay_and_prepare(
        shop::order(1),
        shop::eur(11_385),
        crm::domain::order::terms::PaymentMethod::Card,
    );
    crm.execute(&web, paid[0].clone()).await.unwrap();

    // Hours later the first manager changes the email again: a new entry, not merged.
    clock.advance(TimeDelta::hours(3));
    crm.execute(&manager(), email("ana.garcia@example.com"))
        .await
        .unwrap();
    let mut phone = UpdateContact::new(ana);
    phone.phones = Some(vec![Phone::new("+34 600 12 34 56")]);
    crm.execute(&manager(), ContactCommand::Update(phone))
        .await
        .unwrap();

    let trail = trail_of(&crm, customer).await;
    let shown: Vec<String> = trail.entries.iter().map(AuditEntry::to_string).collect();
    insta::assert_snapshot!(shown.join("\n"));

    // Newest first, and the merged entry counts its edits and keeps the first "from".
    let entries = &trail.entries;
    assert!(entries.windows(2).all(|w| w[0].position >= w[1].position));
    let corrected = entries
        .iter()
        .find(|e| e.field == "emails" && e.edits == 2)
        .unwrap();
    assert_eq!(corrected.from.as_deref(), Some("ana@exmaple.com"));
    assert_eq!(corrected.to.as_deref(), Some("ana@example.com"));
    assert_eq!(
        corrected.recorded_at - corrected.first_at,
        TimeDelta::minutes(3)
    );
    // The policy's tasks are there, by the policy; paging walks the same list.
    let by_policy = entries
        .iter()
        .filter(|e| e.by == "automation stage-tasks" && e.field == "scheduled")
        .count();
    assert_eq!(
        by_policy, 2,
        "a call on entering New, an email on Qualified"
    );
    let paged: Vec<&AuditEntry> = (0..entries.len())
        .step_by(4)
        .flat_map(|skip| trail.page(skip, 4))
        .collect();
    assert_eq!(paged, entries.iter().collect::<Vec<_>>());
    assert!(trail.page(entries.len() + 5, 4).is_empty());
}

#[tokio::test]
async fn a_reader_gets_no_trail_of_a_card_they_may_not_see() {
    let (crm, _clock) = fresh();
    let crm = crm.with_authorizer(Roles);
    directory(&crm).await;
    let ana = contact(1);
    let create = CreateContact::new(ana, "Ana", "Silva").owner(user(1));
    crm.execute(&Actor::System, ContactCommand::Create(create))
        .await
        .unwrap();
    let customer = CustomerId::Contact(ana);
    let owner = crm.reader(&manager()).await.unwrap();
    let other = crm.reader(&manager_two()).await.unwrap();
    let trail = crm.audit_trail(&owner, customer).await.unwrap().unwrap();
    assert_eq!(trail.entries[0].by, "the system");
    assert_eq!(crm.audit_trail(&other, customer).await.unwrap(), None);
}

#[tokio::test]
async fn edits_further_apart_than_the_window_or_by_someone_else_stay_apart() {
    let (crm, clock) = fresh();
    let ana = contact(1);
    crm.execute(&manager(), create_contact(ana, "Ana", "Silva"))
        .await
        .unwrap();
    let tax = |id: &str| {
        let mut update = UpdateContact::new(ana);
        update.tax_id = Some(Some(id.to_owned()));
        ContactCommand::Update(update)
    };
    // Four edits, nine minutes apart: the window runs from a run's first edit, so the run
    // that starts at 0 takes the one at 9 and not the one at 18.
    for (n, id) in ["A1", "A2", "A3", "A4"].iter().enumerate() {
        if n > 0 {
            clock.advance(TimeDelta::minutes(9));
        }
        crm.execute(&manager(), tax(id)).await.unwrap();
    }
    clock.advance(TimeDelta::minutes(1));
    crm.execute(&manager_two(), tax("B1")).await.unwrap();
    let trail = trail_of(&crm, CustomerId::Contact(ana)).await;
    let tax_entries: Vec<(u32, Option<&str>, Option<&str>)> = trail
        .entries
        .iter()
        .filter(|e| e.field == "tax id")
        .map(|e| (e.edits, e.from.as_deref(), e.to.as_deref()))
        .collect();
    assert_eq!(
        tax_entries,
        [
            (1, Some("A4"), Some("B1")),
            (2, Some("A2"), Some("A4")),
            (2, None, Some("A2")),
        ]
    );
}

#[tokio::test]
async fn a_companys_trail_shows_its_details_and_who_came_to_represent_it() {
    let (crm, clock) = fresh();
    directory(&crm).await;
    let acme = company(1);
    crm.execute(&manager(), create_company(acme, "Acme"))
        .await
        .unwrap();
    let lucia = contact(1);
    crm.execute(&manager(), create_contact(lucia, "Lucía", "Martín"))
        .await
        .unwrap();
    clock.advance(TimeDelta::hours(1));
    let link = ContactCommand::LinkToCompany {
        contact_id: lucia,
        company_id: acme,
        role: crm::domain::details::Role::Buyer,
    };
    crm.execute(&manager_two(), link).await.unwrap();
    // Her own edits belong to her card, not the company's.
    let mut renamed = UpdateContact::new(lucia);
    renamed.add_tags = ["wholesale".to_owned()].into();
    crm.execute(&manager_two(), ContactCommand::Update(renamed))
        .await
        .unwrap();
    clock.advance(TimeDelta::hours(1));
    let details = crm::domain::details::CompanyDetails {
        name: "Acme".into(),
        tax_id: Some("B12345678".into()),
        ..Default::default()
    };
    crm.execute(
        &manager(),
        crm::domain::company::CompanyCommand::UpdateDetails {
            company_id: acme,
            details,
        },
    )
    .await
    .unwrap();
    let trail = trail_of(&crm, CustomerId::Company(acme)).await;
    let shown: Vec<(String, Option<&str>, Option<&str>, &str)> = trail
        .entries
        .iter()
        .map(|e| {
            (
                e.field.clone(),
                e.from.as_deref(),
                e.to.as_deref(),
                e.by.as_str(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("tax id".to_owned(), None, Some("B12345678"), "Marta Ruiz"),
            (
                "representative Lucía Martín".to_owned(),
                None,
                Some("buyer"),
                "Tomás Gil"
            ),
            ("name".to_owned(), None, Some("Acme"), "Marta Ruiz"),
        ]
    );
}
