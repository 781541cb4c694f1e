//! The CRM on the durable sled store: run it twice and the second run finds the first run's
//! customers, rebuilt from the log on disk.
//!
//! Run with `cargo run --features sled --example durable [DIRECTORY]`
//! (default directory: `target/crm-demo`).

use std::time::Instant;

use crm::access::Role as Access;
use crm::domain::company::CompanyCommand;
use crm::domain::contact::{ContactCommand, CreateContact, UpdateContact};
use crm::domain::details::{CompanyDetails, ConsentChannel, Phone, Role};
use crm::domain::user::UserCommand;
use crm::event::Actor;
use crm::ids::{CompanyId, ContactId, UserId};
use crm::store::EventStore;
use crm::{Crm, SledStore};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/crm-demo".into());
    let store = SledStore::open(&dir)?;
    let started = Instant::now();
    let crm = Crm::open(store).await?;
    let found = crm.projected_position();
    println!(
        "Opened {dir}: {found} events from earlier runs, replayed in {:.1?}.",
        started.elapsed()
    );

    // Ids derived from a run number: each run adds a new customer, and the company once.
    let run = crm.query_unfiltered(|v| v.search.by_name("cliente").len());
    // Adding the same user again on a later run changes nothing.
    let marta = UserId::derived("demo", "marta");
    let add = UserCommand::add(marta, "Marta Ruiz", "marta@shop.example", Access::Manager);
    crm.execute(&Actor::System, add).await?;
    let manager = Actor::User { user_id: marta };
    let acme = CompanyId::derived("demo", "acme");
    if crm.query_unfiltered(|v| v.cards.company(acme)).is_none() {
        let details = CompanyDetails {
            name: "Acme Iberia".into(),
            tax_id: Some("B-12345678".into()),
            ..Default::default()
        };
        crm.execute(
            &manager,
            CompanyCommand::Create {
                company_id: acme,
                details,
                tags: Default::default(),
                owner: None,
            },
        )
        .await?;
    }
    let customer = ContactId::derived("demo", &format!("customer-{run}"));
    let create = CreateContact::new(customer, "Cliente", &format!("Número {run}"))
        .email(&format!("cliente{run}@example.com"))
        .phone(Phone::new(format!("+34 600 000 {run:03}")));
    crm.execute(&manager, ContactCommand::Create(create))
        .await?;
    crm.execute(
        &manager,
        ContactCommand::LinkToCompany {
            contact_id: customer,
            company_id: acme,
            role: Role::Buyer,
        },
    )
    .await?;
    crm.execute(
        &manager,
        ContactCommand::GrantConsent {
            contact_id: customer,
            channel: ConsentChannel::Email,
            evidence: Some("demo".into()),
        },
    )
    .await?;
    let mut update = UpdateContact::new(customer);
    update.add_tags.insert(format!("run-{run}"));
    crm.execute(&manager, ContactCommand::Update(update))
        .await?;

    if let Some(card) = crm.query_unfiltered(|v| v.cards.company(acme)) {
        println!("\n{card}");
    }
    if let Some(card) = crm.query_unfiltered(|v| v.cards.contact(customer)) {
        println!("{card}");
    }
    let head = crm.store().head_position().await?;
    let report = crm.store().verify()?;
    println!("The log now holds {head} events; verify: {report}.");
    println!("Run it again: the next run starts from these {head} events.");
    Ok(())
}
