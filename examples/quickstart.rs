//! A small shop's first customers: a company with two representatives, a person who was
//! entered twice and merged, and the searches a manager would type.
//!
//! Run with `cargo run --example quickstart`.

use crm::access::Role as Access;
use crm::domain::company::CompanyCommand;
use crm::domain::contact::{ContactCommand, CreateContact, UpdateContact};
use crm::domain::details::{
    Address, CompanyDetails, ConsentChannel, DocumentKind, DocumentRef, Phone, Role,
};
use crm::domain::user::UserCommand;
use crm::event::Actor;
use crm::ids::{CompanyId, ContactId, DocumentId, UserId};
use crm::normalize::Country;
use crm::{Crm, CrmOptions, MemoryStore};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let spain = Country::new("ES")?;
    let options = CrmOptions {
        default_country: Some(spain),
        ..CrmOptions::default()
    };
    let crm = Crm::with(
        MemoryStore::new(),
        std::sync::Arc::new(crm::clock::SystemClock),
        std::sync::Arc::new(crm::clock::RandomIds),
        options,
    );
    // Bootstrapping is explicit: the program itself (the system) adds the first users.
    let (ana, marta) = (UserId::new(), UserId::new());
    let ana_gil = UserCommand::add(ana, "Ana Gil", "ana@shop.example", Access::Admin);
    crm.execute(&Actor::System, ana_gil).await?;
    let marta_ruiz = UserCommand::add(marta, "Marta Ruiz", "marta@shop.example", Access::Manager);
    crm.execute(&Actor::System, marta_ruiz).await?;
    let manager = Actor::User { user_id: marta };
    let admin = Actor::User { user_id: ana };
    let import = Actor::Import {
        source: "the web shop's customer export".into(),
    };

    let acme = CompanyId::new();
    crm.execute(
        &manager,
        CompanyCommand::Create {
            company_id: acme,
            details: CompanyDetails {
                name: "Acme Iberia".into(),
                legal_name: Some("Acme Iberia S.L.".into()),
                tax_id: Some("B-12345678".into()),
                website: Some("https://acme.example".into()),
                emails: vec!["compras@acme.example".into()],
                phones: vec![Phone::in_country("910 000 111", spain)],
                addresses: vec![Address {
                    line1: "Calle Mayor 1".into(),
                    city: "Madrid".into(),
                    postal_code: Some("28013".into()),
                    country: Some(spain),
                    ..Address::default()
                }],
            },
            tags: ["b2b".to_owned()].into(),
            owner: Some(marta),
        },
    )
    .await?;

    let jose = ContactId::new();
    let create = CreateContact::new(jose, "José", "Núñez")
        .email("jose@acme.example")
        .phone(Phone::new("+34 600-12-34-56"))
        .owner(marta);
    crm.execute(&manager, ContactCommand::Create(create))
        .await?;
    let lucia = ContactId::new();
    let create = CreateContact::new(lucia, "Lucía", "Ferrer").email("contabilidad@acme.example");
    crm.execute(&manager, ContactCommand::Create(create))
        .await?;
    for (contact_id, role) in [(jose, Role::Director), (lucia, Role::Accountant)] {
        crm.execute(
            &manager,
            ContactCommand::LinkToCompany {
                contact_id,
                company_id: acme,
                role,
            },
        )
        .await?;
    }
    crm.execute(
        &manager,
        CompanyCommand::AttachDocument {
            company_id: acme,
            document: DocumentRef {
                document_id: DocumentId::new(),
                kind: DocumentKind::Contract,
                title: "Framework agreement 2026".into(),
                uri: "https://files.acme.example/contracts/2026.pdf".into(),
            },
        },
    )
    .await?;

    // The web shop export brings José in again, with his phone written the Spanish way.
    let duplicate = ContactId::derived("webshop", "customer-1042");
    let create = CreateContact::new(duplicate, "Jose", "Nunez")
        .phone(Phone::in_country("600 12 34 56", spain))
        .tag("newsletter");
    crm.execute(&import, ContactCommand::Create(create)).await?;
    crm.execute(
        &import,
        ContactCommand::GrantConsent {
            contact_id: duplicate,
            channel: ConsentChannel::Email,
            evidence: Some("web shop signup, double opt-in".into()),
        },
    )
    .await?;

    println!("== What a manager types, and who comes back\n");
    for query in [
        "nunez",
        "JOSÉ",
        "600123456",
        "+34 600 12 34 56",
        "b12345678",
        "CONTABILIDAD@acme.example",
    ] {
        let names: Vec<String> = crm
            .query_unfiltered(|v| v.search.find(query))
            .into_iter()
            .map(|hit| hit.name)
            .collect();
        println!("  {query:<28} -> {}", names.join(", "));
    }

    println!("\n== Likely duplicates\n");
    for group in crm.query_unfiltered(|v| v.search.duplicates()) {
        let names: Vec<String> = group
            .contacts
            .iter()
            .filter_map(|id| crm.query_unfiltered(|v| v.cards.name((*id).into())))
            .collect();
        let reasons: Vec<String> = group.reasons.iter().map(ToString::to_string).collect();
        println!("  {} share {}", names.join(" and "), reasons.join(", "));
    }

    let merge = ContactCommand::Merge {
        contact_id: duplicate,
        survivor: jose,
    };
    if let Err(why) = crm.execute(&manager, merge.clone()).await {
        println!("\nA manager may not merge: {why}");
    }
    crm.execute(&admin, merge).await?;
    let mut update = UpdateContact::new(jose);
    update.add_tags.insert("newsletter".into());
    crm.execute(&manager, ContactCommand::Update(update))
        .await?;
    crm.execute(
        &manager,
        ContactCommand::GrantConsent {
            contact_id: jose,
            channel: ConsentChannel::Email,
            evidence: Some("carried over from the merged web shop record".into()),
        },
    )
    .await?;

    println!("\n== After merging the duplicate into José\n");
    if let Some(card) = crm.query_unfiltered(|v| v.contact_card(jose, chrono::Utc::now())) {
        println!("{card}");
    }
    if let Some(card) = crm.query_unfiltered(|v| v.contact_card(duplicate, chrono::Utc::now())) {
        println!("{card}");
    }
    if let Some(card) = crm.query_unfiltered(|v| v.company_card(acme, chrono::Utc::now())) {
        println!("{card}");
    }
    let rejected = crm
        .execute(
            &import,
            ContactCommand::AssignOwner {
                contact_id: duplicate,
                owner: None,
            },
        )
        .await;
    if let Err(why) = rejected {
        println!("Editing the merged record is refused: {why}");
    }
    println!("\n{} events in the log.", crm.store().len());
    Ok(())
}
