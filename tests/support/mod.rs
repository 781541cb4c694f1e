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

pub mod sales {
    //! A small pipeline scenario: four deals over ten days in March 2026.
    use super::*;
    use chrono::{NaiveDate, TimeDelta};
    use crm::domain::deal::{DealCommand, DealTerms};
    use crm::ids::{CustomerId, DealId};
    use crm::money::{Currency, Money};
    use crm::testing::sales;

    pub fn deal(n: u128) -> DealId {
        DealId::from_uuid(uuid_of(3000 + n))
    }

    pub fn money(minor: i64, currency: &str) -> Money {
        Money::new(minor, Currency::new(currency).unwrap())
    }

    pub fn open(
        n: u128,
        customer: CustomerId,
        stage: usize,
        amount: Money,
        owner: u128,
        closes: (i32, u32, u32),
    ) -> DealCommand {
        DealCommand::Open(DealTerms {
            deal_id: deal(n),
            pipeline_id: sales::pipeline_id(),
            stage_id: sales::stage_ids()[stage],
            customer,
            title: format!("Deal {n}"),
            amount,
            expected_close: NaiveDate::from_ymd_opt(closes.0, closes.1, closes.2).unwrap(),
            owner: user(owner),
            source: None,
        })
    }

    pub fn move_to(n: u128, stage: usize) -> DealCommand {
        DealCommand::MoveToStage {
            deal_id: deal(n),
            stage_id: sales::stage_ids()[stage],
        }
    }

    /// Customers and the sample pipeline; the clock stays at `start()`.
    pub async fn setup(crm: &Crm<MemoryStore>) {
        let m = manager();
        crm.execute(&m, create_contact(contact(1), "Lucía", "Martín"))
            .await
            .unwrap();
        crm.execute(&m, create_contact(contact(2), "Jorge", "Pérez"))
            .await
            .unwrap();
        crm.execute(&m, create_company(company(1), "Acme"))
            .await
            .unwrap();
        crm.execute(&m, sales::define_pipeline()).await.unwrap();
    }

    /// Day by day (each day at 09:30 UTC from 2 March 2026):
    /// - deal 1, Lucía, 1000.00 EUR, user 1: opened in New on day 0, Qualified day 2,
    ///   Proposal day 5, won day 9;
    /// - deal 2, Acme, 5000.00 EUR, user 2: opened in New day 1, Qualified day 3, lost for
    ///   "Price" day 10;
    /// - deal 3, Jorge, 300.00 EUR, user 1: opened in Qualified day 4, Negotiation day 6, open,
    ///   closes 15 April;
    /// - deal 4, Acme, 2000.00 USD, user 2: opened in New day 7, open, closes 31 March.
    pub async fn month(crm: &Crm<MemoryStore>, clock: &ManualClock) {
        setup(crm).await;
        let lucia = CustomerId::Contact(contact(1));
        let jorge = CustomerId::Contact(contact(2));
        let acme = CustomerId::Company(company(1));
        let steps: Vec<(i64, DealCommand)> = vec![
            (
                0,
                open(1, lucia, 0, money(100_000, "EUR"), 1, (2026, 3, 20)),
            ),
            (1, open(2, acme, 0, money(500_000, "EUR"), 2, (2026, 3, 25))),
            (2, move_to(1, 1)),
            (3, move_to(2, 1)),
            (4, open(3, jorge, 1, money(30_000, "EUR"), 1, (2026, 4, 15))),
            (5, move_to(1, 2)),
            (6, move_to(3, 3)),
            (7, open(4, acme, 0, money(200_000, "USD"), 2, (2026, 3, 31))),
            (9, DealCommand::Win { deal_id: deal(1) }),
            (
                10,
                DealCommand::Lose {
                    deal_id: deal(2),
                    reason: "price".into(),
                    note: Some("went with a cheaper supplier".into()),
                },
            ),
        ];
        for (day, command) in steps {
            clock.set(start() + TimeDelta::days(day));
            crm.execute(&manager(), command).await.unwrap();
        }
    }
}
