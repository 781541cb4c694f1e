//! The audit trail of a card: who changed which field, when, from what to what, and through
//! what — read from the events, so it cannot disagree with them.
#![allow(clippy::unwrap_used)]

mod support;

use chrono::TimeDelta;
use crm::audit::{contact_trail, AuditEntry};
use crm::domain::contact::{ContactCommand, CreateContact, UpdateContact};
use crm::domain::details::Phone;
use crm::event::Actor;
use crm::Request;
use support::*;

fn manager_two() -> Actor {
    Actor::User { user_id: user(2) }
}

#[tokio::test]
async fn a_cards_trail_names_each_change_its_author_and_merges_quick_corrections() {
    let (crm, clock) = fresh();
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

    let trail = contact_trail(crm.store(), ana).await.unwrap();
    let shown: Vec<String> = trail.iter().map(AuditEntry::to_string).collect();
    insta::assert_snapshot!(shown.join("\n"));

    // Newest first, and the merged entry counts its edits and keeps the first "from".
    assert!(trail.windows(2).all(|w| w[0].position >= w[1].position));
    let corrected = trail
        .iter()
        .find(|e| e.field == "emails" && e.edits == 2)
        .unwrap();
    assert_eq!(corrected.from.as_deref(), Some("ana@exmaple.com"));
    assert_eq!(corrected.to.as_deref(), Some("ana@example.com"));
    assert_eq!(
        corrected.recorded_at - corrected.first_at,
        TimeDelta::minutes(3)
    );
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
    let trail = contact_trail(crm.store(), ana).await.unwrap();
    let tax_entries: Vec<(u32, Option<&str>, Option<&str>)> = trail
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
