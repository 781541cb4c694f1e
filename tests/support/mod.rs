//! Shared fixtures for the cross-crate tests: fixed ids, a stopped clock, and commands.
#![allow(clippy::unwrap_used, dead_code)] // Fixtures for tests, which should fail loudly.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use crm::clock::{ManualClock, SequentialIds};
use crm::domain::company::CompanyCommand;
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::domain::details::CompanyDetails;
use crm::event::Actor;
use crm::ids::{CompanyId, ContactId, UserId};
use crm::store::EventStore;
use crm::{Crm, CrmOptions, MemoryStore};

pub fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .map(|t| t.to_utc())
        .unwrap()
}

pub fn contact(n: u128) -> ContactId {
    ContactId::from_uuid(uuid_of(n))
}

pub fn company(n: u128) -> CompanyId {
    CompanyId::from_uuid(uuid_of(1000 + n))
}

pub fn user(n: u128) -> UserId {
    UserId::from_uuid(uuid_of(2000 + n))
}

fn uuid_of(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
}

pub fn manager() -> Actor {
    Actor::User { user_id: user(1) }
}

/// A CRM on `store` with a stopped clock and counted ids: every run writes the same log.
pub fn deterministic<S: EventStore>(store: S, clock: &ManualClock, options: CrmOptions) -> Crm<S> {
    Crm::with(
        store,
        Arc::new(clock.clone()),
        Arc::new(SequentialIds::new(1)),
        options,
    )
}

pub fn fresh() -> (Crm<MemoryStore>, ManualClock) {
    let clock = ManualClock::new(start());
    let store = MemoryStore::with_clock(Arc::new(clock.clone()));
    (deterministic(store, &clock, CrmOptions::default()), clock)
}

pub fn create_company(id: CompanyId, name: &str) -> CompanyCommand {
    CompanyCommand::Create {
        company_id: id,
        details: CompanyDetails {
            name: name.into(),
            ..CompanyDetails::default()
        },
        tags: Default::default(),
        owner: None,
    }
}

pub fn create_contact(id: ContactId, given: &str, family: &str) -> ContactCommand {
    ContactCommand::Create(CreateContact::new(id, given, family))
}
