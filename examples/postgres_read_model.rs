//! A read model of the program's own, in a PostgreSQL table beside the log: a contact
//! directory (name, first email, how many tags) kept by a `Subscription`, which follows the
//! log from a checkpoint the store keeps and is woken by `NOTIFY` when anything appends.
//!
//! ```sh
//! scripts/postgres-dev.sh run -- cargo run --features postgres --example postgres_read_model
//! ```
//!
//! The handler is an upsert guarded by the event's position, so an event delivered twice
//! (after a crash between the table's write and the checkpoint) changes nothing.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use crm::domain::contact::{ContactCommand, CreateContact, UpdateContact};
use crm::event::{Actor, Event, RecordedEvent};
use crm::ids::ContactId;
use crm::sqlx::{self, PgPool};
use crm::subscription::{Handler, HandlerError, Retry, Subscription};
use crm::{Crm, PostgresOptions, PostgresStore};

const SCHEMA: &str = "example_read_model";

/// Keeps `contact_directory` up to date.
struct Directory {
    pool: PgPool,
}

#[async_trait]
impl Handler for Directory {
    async fn handle(&mut self, event: &RecordedEvent) -> Result<(), HandlerError> {
        let (contact_id, name, email, tags) = match &event.event {
            // Personal data reads as `None` once the contact is erased.
            Event::ContactCreated(e) => (
                e.contact_id,
                Some(
                    e.personal
                        .get()
                        .map_or_else(|| "erased customer".to_owned(), |p| p.name.full()),
                ),
                e.personal.get().and_then(|p| p.emails.first().cloned()),
                Some(e.tags.len()),
            ),
            Event::ContactPersonalDataChanged(e) => (
                e.contact_id,
                Some(
                    e.personal
                        .get()
                        .map_or_else(|| "erased customer".to_owned(), |p| p.name.full()),
                ),
                e.personal.get().and_then(|p| p.emails.first().cloned()),
                None,
            ),
            Event::ContactTagsChanged(e) => {
                sqlx::query(
                    "UPDATE contact_directory SET tags = tags + $2 - $3, position = $4 \
                     WHERE contact_id = $1 AND position < $4",
                )
                .bind(e.contact_id.as_uuid())
                .bind(i64::try_from(e.added.len())?)
                .bind(i64::try_from(e.removed.len())?)
                .bind(i64::try_from(event.position)?)
                .execute(&self.pool)
                .await?;
                return Ok(());
            }
            // A read model that copies personal data must forget it too.
            Event::ContactErased(e) => {
                sqlx::query(
                    "UPDATE contact_directory SET name = 'erased customer', email = NULL, \
                     position = $2 WHERE contact_id = $1 AND position < $2",
                )
                .bind(e.contact_id.as_uuid())
                .bind(i64::try_from(event.position)?)
                .execute(&self.pool)
                .await?;
                return Ok(());
            }
            _ => return Ok(()),
        };
        sqlx::query(
            "INSERT INTO contact_directory (contact_id, name, email, tags, position) \
             VALUES ($1, $2, $3, COALESCE($4, 0), $5) \
             ON CONFLICT (contact_id) DO UPDATE SET name = excluded.name, \
                 email = excluded.email, tags = COALESCE($4, contact_directory.tags), \
                 position = excluded.position \
             WHERE contact_directory.position < excluded.position",
        )
        .bind(contact_id.as_uuid())
        .bind(name)
        .bind(email)
        .bind(tags.map(i64::try_from).transpose()?)
        .bind(i64::try_from(event.position)?)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

async fn print_directory(pool: &PgPool) -> Result<(), sqlx::Error> {
    let rows: Vec<(String, Option<String>, i64)> =
        sqlx::query_as("SELECT name, email, tags FROM contact_directory ORDER BY name")
            .fetch_all(pool)
            .await?;
    for (name, email, tags) in rows {
        println!("  {name:<16} {:<24} {tags} tags", email.unwrap_or_default());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(url) = std::env::var("CRM_POSTGRES_URL") else {
        eprintln!(
            "set CRM_POSTGRES_URL, or run: scripts/postgres-dev.sh run -- \
             cargo run --features postgres --example postgres_read_model"
        );
        std::process::exit(2);
    };
    // A fresh log and table on every run, so the output is always the same.
    let admin = PgPool::connect(&url).await?;
    sqlx::query("DROP SCHEMA IF EXISTS example_read_model CASCADE")
        .execute(&admin)
        .await?;
    let store =
        PostgresStore::connect(PostgresOptions::new(&url).schema(SCHEMA).migrate(true)).await?;
    sqlx::query(
        "CREATE TABLE contact_directory (contact_id uuid PRIMARY KEY, name text NOT NULL, \
         email text, tags bigint NOT NULL, position bigint NOT NULL)",
    )
    .execute(store.pool())
    .await?;

    let crm = Crm::open(store.clone()).await?;
    let ana = ContactId::from_uuid(uuid::Uuid::from_u128(1));
    let bea = ContactId::from_uuid(uuid::Uuid::from_u128(2));
    let create = |id, given, family, email| {
        ContactCommand::Create(CreateContact::new(id, given, family).email(email))
    };
    crm.execute(
        &Actor::System,
        create(ana, "Ana", "García", "ana@example.com"),
    )
    .await?;
    crm.execute(
        &Actor::System,
        create(bea, "Bea", "Silva", "bea@example.com"),
    )
    .await?;

    let subscription = Subscription::new(store.clone(), "contact-directory").retry(
        Retry::default(),
        Arc::new(|delay| Box::pin(tokio::time::sleep(delay))),
    );
    let mut directory = Directory {
        pool: store.pool().clone(),
    };
    let reached = subscription.catch_up(&mut directory).await?;
    println!("caught up to position {reached}:");
    print_directory(store.pool()).await?;

    // Following: another writer's command reaches the table through NOTIFY, no polling.
    let follower = tokio::spawn(async move { subscription.follow(&mut directory).await });
    let mut update = UpdateContact::new(ana);
    update.add_tags = ["vip".to_owned(), "madrid".to_owned()].into();
    let done = crm
        .execute(&Actor::System, ContactCommand::Update(update))
        .await?;
    let checkpoints = Subscription::new(store.clone(), "contact-directory");
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        // The example's own check that its table has the update; the subscription itself
        // does not poll.
        while checkpoints.position().await.unwrap_or(0) < done.position {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    if waited.is_err() {
        return Err("the subscription did not follow within 10 s".into());
    }
    println!("after a tag update at position {}:", done.position);
    print_directory(store.pool()).await?;
    follower.abort();
    Ok(())
}
