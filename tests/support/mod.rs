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

/// Where the Olist data is, if it is there; says it skips where it is not.
pub fn olist_data() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/olist");
    if dir.join("olist_orders_dataset.csv").exists() {
        Some(dir)
    } else {
        eprintln!("skipped: the Olist data is not in {}", dir.display());
        None
    }
}

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
/// Its users are not in a directory, so it lets everyone do everything (`AllowAll`): these
/// fixtures serve tests about other things; tests/access.rs tests the rules.
pub fn deterministic<S: EventStore>(store: S, clock: &ManualClock, options: CrmOptions) -> Crm<S> {
    Crm::with(
        store,
        Arc::new(clock.clone()),
        Arc::new(SequentialIds::new(1)),
        options,
    )
    .with_authorizer(crm::access::AllowAll)
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

pub mod shop {
    //! A small shop's first months: orders through their lifecycle, calls and emails, a review
    //! and an NPS answer, a campaign, and a lead from an inbound email.
    use super::*;
    use chrono::{NaiveDate, TimeDelta};
    use crm::domain::campaign::{CampaignCommand, CampaignCreated};
    use crm::domain::contact::ContactCommand;
    use crm::domain::details::{Address, ConsentChannel, LeadSource};
    use crm::domain::feedback::{FeedbackCommand, FeedbackGiven, Score};
    use crm::domain::interaction::{
        Channel, Direction, InteractionCommand, InteractionLogged, Outcome,
    };
    use crm::domain::order::terms::{OrderLine, PaymentMethod, PlaceOrder, SalesChannel};
    use crm::domain::order::OrderCommand;
    use crm::ids::{CampaignId, CustomerId, FeedbackId, InteractionId, OrderId};
    use crm::money::{Currency, Money};
    use crm::Command;

    pub fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::new("EUR").unwrap())
    }

    pub fn order(n: u128) -> OrderId {
        OrderId::from_uuid(uuid_of(4000 + n))
    }

    pub fn campaign() -> CampaignId {
        CampaignId::from_uuid(uuid_of(5000))
    }

    pub fn madrid() -> Address {
        Address {
            line1: "Calle Mayor 1".into(),
            city: "Madrid".into(),
            postal_code: Some("28013".into()),
            ..Address::default()
        }
    }

    pub fn place(
        n: u128,
        customer: CustomerId,
        product: &str,
        category: &str,
        quantity: u32,
        unit: i64,
    ) -> OrderCommand {
        OrderCommand::Place(Box::new(PlaceOrder {
            order_id: order(n),
            customer,
            lines: vec![OrderLine {
                product_id: product.into(),
                name: product.replace('-', " "),
                category: Some(category.into()),
                quantity,
                unit_price: eur(unit),
                tax: eur(unit * i64::from(quantity) * 21 / 100),
            }],
            shipping: eur(495),
            shipping_address: madrid().into(),
            billing_address: None,
            channel: SalesChannel::WebShop,
            promised_delivery: None,
        }))
    }

    /// Everything from payment in full to delivery, for an order of `total` minor units.
    pub fn fulfil(n: u128, total: i64) -> Vec<OrderCommand> {
        let order_id = order(n);
        let mut steps =
            OrderCommand::pay_and_prepare(order_id, eur(total), PaymentMethod::Card).to_vec();
        steps.push(OrderCommand::Ship {
            order_id,
            carrier: "Correos".into(),
            tracking_number: Some(format!("PK{n:04}")),
            estimated_delivery: None,
        });
        steps.push(OrderCommand::Deliver { order_id });
        steps
    }

    fn call(n: u128, customer: CustomerId, subject: &str, outcome: Outcome) -> Command {
        InteractionCommand::Log(InteractionLogged {
            interaction_id: InteractionId::from_uuid(uuid_of(6000 + n)),
            customer,
            channel: Channel::Call,
            direction: Direction::Outbound,
            handled_by: Some(user(1)),
            duration_seconds: Some(240),
            subject: subject.into(),
            summary: None,
            outcome: Some(outcome),
            source_message_id: None,
        })
        .into()
    }

    /// [`history`] exported as JSONL lines: a valid log to damage in tests.
    pub fn exported_lines() -> Vec<String> {
        let (crm, clock) = fresh();
        futures::executor::block_on(history(&crm, &clock));
        let mut out = Vec::new();
        futures::executor::block_on(crm::log::export(crm.store(), &mut out, 0, 100)).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The shop's history, one step per day from `start()`:
    /// - Lucía (contact 1, Madrid, tag vip, born 30 March, email consent) came from the
    ///   "Spring sale" email campaign; three orders: 2 chairs (day 0, delivered), a lamp
    ///   (day 30, delivered, 10.00 refunded), a table (day 60, cancelled before shipping);
    ///   a call, a review of 4 stars, an NPS of 9.
    /// - Jorge (contact 2) ordered a sofa on day 5 and a rug on day 25 (both delivered), then
    ///   nothing: by day 120 he is lapsed.
    /// - Acme (company 1) ordered 20 chairs on day 10 (delivered).
    pub async fn history<S: EventStore>(crm: &Crm<S>, clock: &ManualClock) {
        let lucia = CustomerId::Contact(contact(1));
        let jorge = CustomerId::Contact(contact(2));
        let acme = CustomerId::Company(company(1));
        let day = |d: i64| start() + TimeDelta::days(d);
        let steps: Vec<(i64, Command)> = vec![
            (
                0,
                CampaignCommand::Create(CampaignCreated {
                    campaign_id: campaign(),
                    name: "Spring sale".into(),
                    channel: LeadSource::Email,
                    starts: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                    ends: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
                    cost: eur(50_000),
                })
                .into(),
            ),
            (
                0,
                ContactCommand::Create(
                    crm::domain::contact::CreateContact::new(contact(1), "Lucía", "Martín")
                        .email("lucia@example.com")
                        .address(madrid())
                        .birthday(NaiveDate::from_ymd_opt(1988, 3, 30).unwrap())
                        .tag("vip"),
                )
                .into(),
            ),
            (
                0,
                ContactCommand::RecordSource {
                    contact_id: contact(1),
                    source: LeadSource::Email,
                    campaign: Some(campaign()),
                    lead: false,
                }
                .into(),
            ),
            (
                0,
                ContactCommand::GrantConsent {
                    contact_id: contact(1),
                    channel: ConsentChannel::Email,
                    evidence: Some("newsletter form".into()),
                }
                .into(),
            ),
            (0, create_contact(contact(2), "Jorge", "Pérez").into()),
            (0, create_company(company(1), "Acme").into()),
            (0, place(1, lucia, "chair-oak", "chairs", 2, 5_000).into()),
        ];
        let mut all = steps;
        // 2 × 50.00 + 21.00 tax + 4.95 shipping = 125.95
        all.extend(fulfil(1, 12_595).into_iter().map(|c| (1, c.into())));
        all.push((5, place(2, jorge, "sofa-grey", "sofas", 1, 40_000).into()));
        // 400.00 + 84.00 + 4.95 = 488.95
        all.extend(fulfil(2, 48_895).into_iter().map(|c| (6, c.into())));
        all.push((10, place(3, acme, "chair-oak", "chairs", 20, 4_500).into()));
        // 900.00 + 189.00 + 4.95 = 1093.95
        all.extend(fulfil(3, 109_395).into_iter().map(|c| (12, c.into())));
        all.push((14, call(1, lucia, "Chairs arrived?", Outcome::Resolved)));
        all.push((
            15,
            FeedbackCommand::Give(FeedbackGiven {
                feedback_id: FeedbackId::from_uuid(uuid_of(7001)),
                customer: lucia,
                score: Score::Review {
                    order_id: order(1),
                    stars: 4,
                },
                comment: Some("Comfortable, slow delivery".into()),
            })
            .into(),
        ));
        all.push((25, place(4, jorge, "rug-wool", "rugs", 1, 12_000).into()));
        // 120.00 + 25.20 + 4.95 = 150.15
        all.extend(fulfil(4, 15_015).into_iter().map(|c| (26, c.into())));
        all.push((
            30,
            place(5, lucia, "lamp-brass", "lighting", 1, 8_000).into(),
        ));
        // 80.00 + 16.80 + 4.95 = 101.75
        all.extend(fulfil(5, 10_175).into_iter().map(|c| (31, c.into())));
        all.push((
            33,
            OrderCommand::Refund {
                order_id: order(5),
                amount: eur(1_000),
                reason: Some("scratched base".into()),
            }
            .into(),
        ));
        all.push((60, place(6, lucia, "table-oak", "tables", 1, 30_000).into()));
        all.push((
            61,
            OrderCommand::Cancel {
                order_id: order(6),
                reason: crm::domain::order::terms::CancelReason::Customer,
                note: None,
            }
            .into(),
        ));
        all.push((
            62,
            call(
                2,
                lucia,
                "Why the table was cancelled",
                Outcome::FollowUpNeeded,
            ),
        ));
        all.push((
            63,
            FeedbackCommand::Give(FeedbackGiven {
                feedback_id: FeedbackId::from_uuid(uuid_of(7002)),
                customer: lucia,
                score: Score::Nps { score: 9 },
                comment: None,
            })
            .into(),
        ));
        for (d, command) in all {
            clock.set(day(d));
            crm.execute(&manager(), command).await.unwrap();
        }
    }
}

/// Every table of `report` as its own CSV, each checked to be valid alone (one header row,
/// every row as wide as it), headed by its file name: what `crm report --csv-dir` writes.
pub fn csv_tables<R: crm::report::render::Tabular>(report: &R) -> String {
    use crm::report::render::{render_table, Format};
    report
        .tables()
        .iter()
        .map(|table| {
            let csv = render_table(report, Format::Csv, table.name).unwrap();
            let mut reader = csv::Reader::from_reader(csv.as_bytes());
            let width = reader.headers().unwrap().len();
            for record in reader.records() {
                assert_eq!(record.unwrap().len(), width, "{}: a ragged row", table.name);
            }
            format!("== {}.csv\n{csv}", table.name)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub mod automation {
    //! Switching rules on and delivering orders, for the tests of what automations send.
    use super::*;
    use crm::clock::ManualClock;
    use crm::domain::automation::{AutomationCommand, AutomationRuleDefined};
    use crm::domain::order::OrderCommand;
    use crm::ids::CustomerId;

    /// Defines `rule` and switches it on, as the system.
    pub async fn switch_on<S: EventStore>(crm: &Crm<S>, rule: &AutomationRuleDefined) {
        crm.execute(&Actor::System, AutomationCommand::Define(rule.clone()))
            .await
            .unwrap();
        let on = AutomationCommand::Enable {
            rule_id: rule.rule_id,
        };
        crm.execute(&Actor::System, on).await.unwrap();
    }

    /// Order `n` of a chair for contact `who`, placed now and paid, shipped and delivered at
    /// `delivered`.
    pub async fn deliver<S: EventStore>(
        crm: &Crm<S>,
        clock: &ManualClock,
        n: u128,
        who: u128,
        delivered: DateTime<Utc>,
    ) {
        let customer = CustomerId::Contact(contact(who));
        let place = super::shop::place(n, customer, "chair", "chairs", 1, 5_000);
        crm.execute(&Actor::System, place).await.unwrap();
        for step in super::shop::fulfil(n, 6_545) {
            if matches!(step, OrderCommand::Deliver { .. }) {
                clock.set(delivered);
            }
            crm.execute(&Actor::System, step).await.unwrap();
        }
    }
}

/// Another CRM on `store` (a memory store's clone shares its events), as a second process
/// or a restart would open it.
pub fn fresh_on(store: MemoryStore) -> Crm<MemoryStore> {
    deterministic(store, &ManualClock::new(start()), CrmOptions::default())
}
