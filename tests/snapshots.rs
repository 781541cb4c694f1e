//! What people read: customer cards, rendered for a fixed scenario (insta snapshots).
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

mod support;

use crm::domain::contact::{ContactCommand, CreateContact, UpdateContact};
use crm::domain::details::{
    Address, CompanyDetails, ConsentChannel, DocumentKind, DocumentRef, Phone, Role,
};
use crm::event::Actor;
use crm::ids::DocumentId;
use crm::normalize::Country;
use support::*;

fn es() -> Country {
    Country::new("ES").unwrap()
}

#[tokio::test]
async fn company_card_with_two_representatives() {
    let (crm, clock) = fresh();
    let details = CompanyDetails {
        name: "Acme Iberia".into(),
        legal_name: Some("Acme Iberia S.L.".into()),
        tax_id: Some("B-12345678".into()),
        website: Some("https://acme.example".into()),
        emails: vec!["compras@acme.example".into()],
        phones: vec![Phone::in_country("910 000 111", es())],
        addresses: vec![Address {
            line1: "Calle Mayor 1".into(),
            line2: Some("3º izquierda".into()),
            city: "Madrid".into(),
            postal_code: Some("28013".into()),
            country: Some(es()),
            ..Address::default()
        }],
    };
    let create = crm::domain::company::CompanyCommand::Create {
        company_id: company(1),
        details,
        tags: ["b2b".to_owned(), "wholesale".to_owned()].into(),
        owner: Some(user(1)),
    };
    crm.execute(&manager(), create).await.unwrap();
    for (n, given, family, role) in [
        (1, "Lucía", "Ferrer", Role::Accountant),
        (2, "José", "Núñez", Role::Director),
    ] {
        clock.advance(chrono::TimeDelta::hours(1));
        crm.execute(&manager(), create_contact(contact(n), given, family))
            .await
            .unwrap();
        let link = ContactCommand::LinkToCompany {
            contact_id: contact(n),
            company_id: company(1),
            role,
        };
        crm.execute(&manager(), link).await.unwrap();
    }
    clock.advance(chrono::TimeDelta::days(2));
    let contract = DocumentRef {
        document_id: DocumentId::from_uuid(uuid::Uuid::from_u128(77)),
        kind: DocumentKind::Contract,
        title: "Framework agreement 2026".into(),
        uri: "https://files.acme.example/contracts/2026.pdf".into(),
    };
    let attach = crm::domain::company::CompanyCommand::AttachDocument {
        company_id: company(1),
        document: contract,
    };
    crm.execute(&manager(), attach).await.unwrap();

    let card = crm
        .query_unfiltered(|v| v.cards.company(company(1)))
        .unwrap();
    assert_eq!(card.representatives.len(), 2);
    insta::assert_snapshot!(card.to_string());
}

#[tokio::test]
async fn person_card_after_a_merge() {
    let (crm, clock) = fresh();
    let import = Actor::Import {
        source: "webshop export 2026-03-01".into(),
    };
    let jose = CreateContact::new(contact(1), "José", "Núñez")
        .email("jose@acme.example")
        .phone(Phone::new("+34 600-12-34-56"))
        .birthday(chrono::NaiveDate::from_ymd_opt(1984, 7, 9).unwrap())
        .tax_id("12345678Z")
        .owner(user(1))
        .address(Address {
            line1: "Rua Augusta 200".into(),
            city: "Lisboa".into(),
            postal_code: Some("1100-053".into()),
            country: Some(Country::new("PT").unwrap()),
            ..Address::default()
        });
    crm.execute(&manager(), ContactCommand::Create(jose))
        .await
        .unwrap();
    clock.advance(chrono::TimeDelta::days(1));
    let duplicate = CreateContact::new(contact(2), "Jose", "Nunez")
        .phone(Phone::in_country("600 12 34 56", es()))
        .tag("newsletter");
    crm.execute(&import, ContactCommand::Create(duplicate))
        .await
        .unwrap();
    let grant = ContactCommand::GrantConsent {
        contact_id: contact(2),
        channel: ConsentChannel::Email,
        evidence: None,
    };
    crm.execute(&import, grant).await.unwrap();

    let groups = crm.query_unfiltered(|v| v.search.duplicates());
    assert_eq!(groups.len(), 1);
    clock.advance(chrono::TimeDelta::hours(3));
    crm.execute(
        &manager(),
        ContactCommand::Merge {
            contact_id: contact(2),
            survivor: contact(1),
        },
    )
    .await
    .unwrap();
    let mut update = UpdateContact::new(contact(1));
    update.add_tags.insert("newsletter".into());
    update
        .set_fields
        .insert("preferred size".into(), "L".into());
    crm.execute(&manager(), ContactCommand::Update(update))
        .await
        .unwrap();

    let survivor = crm
        .query_unfiltered(|v| v.cards.contact(contact(1)))
        .unwrap();
    let merged = crm
        .query_unfiltered(|v| v.cards.contact(contact(2)))
        .unwrap();
    assert_eq!(survivor.merged_from, [contact(2)]);
    assert_eq!(merged.merged_into, Some(contact(1)));
    insta::assert_snapshot!("survivor", survivor.to_string());
    insta::assert_snapshot!("merged", merged.to_string());
    insta::assert_json_snapshot!("survivor_json", survivor);
}

fn march() -> crm::report::Period {
    let at = |m| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, m, 1, 0, 0, 0).unwrap();
    crm::report::Period::new(at(3), at(4)).unwrap()
}

#[tokio::test]
async fn pipeline_board_and_report_for_a_month() {
    let (crm, clock) = fresh();
    support::sales::month(&crm, &clock).await;
    let pipeline = crm::testing::sales::pipeline_id();
    let board = crm.query_unfiltered(|v| v.deals.board(pipeline)).unwrap();
    insta::assert_snapshot!("board", board.to_string());
    insta::assert_json_snapshot!("board_json", board);
    let report = crm
        .query_unfiltered(|v| {
            crm::report::pipeline::PipelineReport::compute(&v.deals, pipeline, march())
        })
        .unwrap();
    insta::assert_snapshot!("pipeline_report", report.to_string());
    insta::assert_json_snapshot!("pipeline_report_json", report);
    use crm::report::render::{render, Format};
    insta::assert_snapshot!(
        "pipeline_report_table",
        render(&report, Format::Table).unwrap()
    );
    insta::assert_snapshot!("pipeline_report_csv", support::csv_tables(&report));
}

#[tokio::test]
async fn card_with_open_deals_and_tasks() {
    let (crm, clock) = fresh();
    support::sales::month(&crm, &clock).await;
    let at = support::start() + chrono::TimeDelta::days(12);
    let card = crm
        .query_unfiltered(|v| v.contact_card(contact(2), at))
        .unwrap();
    insta::assert_snapshot!("card_with_work", card.to_string());
}

#[tokio::test]
async fn complete_customer_card_and_a_segment() {
    let (crm, clock) = fresh();
    support::shop::history(&crm, &clock).await;
    let at = support::start() + chrono::TimeDelta::days(64);
    let card = crm
        .query_unfiltered(|v| v.contact_card(contact(1), at))
        .unwrap();
    insta::assert_snapshot!("complete_card", card.to_string());
    insta::assert_json_snapshot!("complete_card_json", card);
    let segment = crm::projection::Segment {
        min_orders: Some(1),
        bought_category: Some("chairs".into()),
        ..Default::default()
    };
    let rows = crm.query_unfiltered(|v| v.segment(&segment, at));
    insta::assert_json_snapshot!("segment_chair_buyers", rows);
    let lapsed =
        crm.query_unfiltered(|v| v.lapsed(2.0, support::start() + chrono::TimeDelta::days(120)));
    insta::assert_json_snapshot!("lapsed_at_day_120", lapsed);
}
