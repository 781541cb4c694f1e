//! `crm demo`: a small online shop's summer, written into the store from a seed, then read
//! back: a customer card, the pipeline board, monthly sales, and how fast it all went.

use crm::domain::automation::{builtin, AutomationCommand};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use crm::access::Role;
use crm::clock::{ManualClock, SequentialIds};
use crm::domain::campaign::{CampaignCommand, CampaignCreated};
use crm::domain::company::CompanyCommand;
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::domain::deal::{DealCommand, DealTerms};
use crm::domain::details::{Address, CompanyDetails, LeadSource};
use crm::domain::feedback::{FeedbackCommand, FeedbackGiven, Score};
use crm::domain::interaction::{
    Channel, Direction, InteractionCommand, InteractionLogged, Outcome,
};
use crm::domain::order::terms::{CancelReason, OrderLine, PaymentMethod, PlaceOrder, SalesChannel};
use crm::domain::order::OrderCommand;
use crm::domain::pipeline::{ActionKind, PipelineCommand, StageDefinition};
use crm::domain::user::events::UserAdded;
use crm::domain::user::{TeamCommand, UserCommand};
use crm::event::Actor;
use crm::ids::{
    CampaignId, CompanyId, ContactId, CustomerId, DealId, FeedbackId, InteractionId, OrderId,
    PipelineId, StageId, TeamId, UserId,
};
use crm::money::{Currency, Money};
use crm::report::render::{render, Format};
use crm::report::sales::{SalesBy, SalesReport};
use crm::report::{Bucket, Period};
use crm::store::EventStore;
use crm::{Command, Crm, CrmOptions, Durability, SledOptions};

use super::Failure;
use crate::store::{Location, Store};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seed of the generated history: the same seed writes the same shop.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// How many customers.
    #[arg(long, default_value_t = 60)]
    customers: usize,
}

/// xorshift64*: variety, reproducibly.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % sides.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.roll(100) < percent
    }
}

const GIVEN: [&str; 12] = [
    "Lucía", "Jorge", "Marta", "Pablo", "Elena", "Hugo", "Sara", "Diego", "Irene", "Álvaro",
    "Nuria", "Raúl",
];
const FAMILY: [&str; 10] = [
    "Martín", "Pérez", "Gil", "Sanz", "Ruiz", "Vidal", "Romero", "Navarro", "Castro", "Ortega",
];
const PRODUCTS: [(&str, &str, i64); 6] = [
    ("Oak chair", "chairs", 8_900),
    ("Brass lamp", "lighting", 6_450),
    ("Wool rug", "rugs", 15_900),
    ("Linen cushion", "textiles", 2_490),
    ("Walnut shelf", "shelving", 12_900),
    ("Sofa", "sofas", 54_900),
];

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

struct Shop<'a> {
    crm: &'a Crm<Store>,
    clock: &'a ManualClock,
    dice: Dice,
    eur: Currency,
    commands: u64,
}

impl Shop<'_> {
    async fn run(
        &mut self,
        at: DateTime<Utc>,
        actor: UserId,
        command: impl Into<Command>,
    ) -> Result<(), Failure> {
        self.clock.set(at);
        self.crm
            .execute(&Actor::User { user_id: actor }, command)
            .await?;
        self.commands += 1;
        Ok(())
    }

    /// An order of one or two products, taken through its life.
    async fn order(
        &mut self,
        n: u64,
        customer: CustomerId,
        at: DateTime<Utc>,
        owner: UserId,
    ) -> Result<(), Failure> {
        let order_id = OrderId::derived("demo", &n.to_string());
        let mut lines = Vec::new();
        for _ in 0..1 + self.dice.roll(2) {
            let (name, category, price) = PRODUCTS[self.dice.roll(PRODUCTS.len() as u64) as usize];
            if lines.iter().any(|l: &OrderLine| l.name == name) {
                continue;
            }
            let quantity = 1 + self.dice.roll(3) as u32;
            lines.push(OrderLine {
                product_id: name.to_lowercase().replace(' ', "-"),
                name: name.into(),
                category: Some(category.into()),
                quantity,
                unit_price: Money::new(price, self.eur),
                tax: Money::new(price * i64::from(quantity) * 21 / 100, self.eur),
            });
        }
        let channel = [
            SalesChannel::WebShop,
            SalesChannel::WebShop,
            SalesChannel::Phone,
            SalesChannel::Marketplace,
        ][self.dice.roll(4) as usize];
        let order = PlaceOrder {
            order_id,
            customer,
            lines,
            shipping: Money::new(595, self.eur),
            shipping_address: Address {
                line1: "Calle Mayor 1".into(),
                city: "Madrid".into(),
                ..Address::default()
            }
            .into(),
            billing_address: None,
            channel,
            promised_delivery: Some((at + Duration::days(4)).date_naive()),
        };
        let total = order.total()?;
        self.run(at, owner, OrderCommand::Place(Box::new(order)))
            .await?;
        if self.dice.chance(6) {
            let reason = CancelReason::Customer;
            return self
                .run(
                    at + Duration::hours(2),
                    owner,
                    OrderCommand::Cancel {
                        order_id,
                        reason,
                        note: None,
                    },
                )
                .await;
        }
        let paid = at + Duration::hours(1 + self.dice.roll(30) as i64);
        let steps = OrderCommand::pay_and_prepare(order_id, total, PaymentMethod::Card);
        for step in steps {
            self.run(paid, owner, step).await?;
        }
        let shipped = paid + Duration::hours(4 + self.dice.roll(40) as i64);
        let carrier = ["Correos", "SEUR", "MRW"][self.dice.roll(3) as usize];
        let ship = OrderCommand::Ship {
            order_id,
            carrier: carrier.into(),
            tracking_number: Some(format!("TR{n:06}")),
            estimated_delivery: None,
        };
        self.run(shipped, owner, ship).await?;
        let delivered = shipped + Duration::hours(12 + self.dice.roll(120) as i64);
        self.run(delivered, owner, OrderCommand::Deliver { order_id })
            .await?;
        if self.dice.chance(50) {
            let stars = 2 + self.dice.roll(4) as u8;
            let review = FeedbackGiven {
                feedback_id: FeedbackId::derived("demo-review", &n.to_string()),
                customer,
                score: Score::Review { order_id, stars },
                comment: (stars <= 3).then(|| "Slow delivery".into()),
            };
            self.run(
                delivered + Duration::days(1),
                owner,
                FeedbackCommand::Give(review),
            )
            .await?;
        }
        if self.dice.chance(5) {
            let refund = OrderCommand::Refund {
                order_id,
                amount: Money::new(total.minor / 4, self.eur),
                reason: Some("damaged in transit".into()),
            };
            self.run(delivered + Duration::days(2), owner, refund)
                .await?;
        }
        Ok(())
    }
}

/// The shop's users, added by the system as a program bootstrapping a store would: an admin,
/// the head of sales and two managers of the Madrid team, and an accountant.
async fn add_directory(crm: &Crm<Store>, team: &[UserId; 3]) -> Result<(), Failure> {
    let madrid = TeamId::derived("demo", "madrid");
    let create = TeamCommand::Create {
        team_id: madrid,
        name: "Madrid".into(),
    };
    crm.execute(&Actor::System, create).await?;
    let people = [
        (
            UserId::derived("demo", "admin"),
            "Ana Gil",
            Role::Admin,
            None,
        ),
        (team[0], "Elena Vidal", Role::HeadOfSales, Some(madrid)),
        (team[1], "Jorge Sanz", Role::Manager, Some(madrid)),
        (team[2], "Pilar Moreno", Role::Manager, Some(madrid)),
        (
            UserId::derived("demo", "accountant"),
            "Luis Ortega",
            Role::Accountant,
            None,
        ),
    ];
    for (user_id, name, role, team_id) in people {
        let given = name.split(' ').next().unwrap_or(name).to_lowercase();
        let add = UserAdded {
            user_id,
            name: name.into(),
            email: format!("{given}@shop.example"),
            role,
            team_id,
        };
        crm.execute(&Actor::System, UserCommand::Add(add)).await?;
    }
    Ok(())
}

async fn write_history(crm: &Crm<Store>, clock: &ManualClock, args: &Args) -> Result<u64, Failure> {
    let team = [1u128, 2, 3].map(|n| UserId::derived("demo", &format!("manager-{n}")));
    let mut shop = Shop {
        crm,
        clock,
        dice: Dice(args.seed | 1),
        eur: Currency::new("EUR")?,
        commands: 0,
    };
    let boss = team[0];
    add_directory(crm, &team).await?;
    // The head of sales switches on the survey after delivery before the summer starts.
    let survey = builtin::survey_after_delivery();
    let survey_id = survey.rule_id;
    shop.run(start(), boss, AutomationCommand::Define(survey))
        .await?;
    shop.run(
        start(),
        boss,
        AutomationCommand::Enable { rule_id: survey_id },
    )
    .await?;
    let campaign = CampaignId::derived("demo", "summer-newsletter");
    let created = CampaignCreated {
        campaign_id: campaign,
        name: "Summer newsletter".into(),
        channel: LeadSource::Email,
        starts: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default(),
        ends: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or_default(),
        cost: Money::new(120_000, shop.eur),
    };
    shop.run(start(), boss, CampaignCommand::Create(created))
        .await?;
    let pipeline_id = PipelineId::derived("demo", "b2b");
    let stage = |s: &str| StageId::derived("demo", s);
    let stages = vec![
        StageDefinition::new(stage("lead"), "Lead", 10).with_action(ActionKind::Call, 24),
        StageDefinition::new(stage("quote"), "Quote sent", 50)
            .with_action(ActionKind::IssueInvoice, 48),
        StageDefinition::new(stage("negotiation"), "Negotiation", 80)
            .with_action(ActionKind::Call, 8),
    ];
    let define = PipelineCommand::Define {
        pipeline_id,
        name: "Offices and hotels".into(),
        stages,
        lost_reasons: ["Price", "Competitor", "No budget"]
            .map(String::from)
            .to_vec(),
    };
    shop.run(start(), boss, define).await?;
    let mut order_number = 0;
    for i in 0..args.customers {
        let owner = team[i % 3];
        let joined = start() + Duration::hours(shop.dice.roll(24 * 20) as i64);
        let customer = if i % 6 == 5 {
            let company_id = CompanyId::derived("demo", &i.to_string());
            let name = format!(
                "{} {}",
                ["Hotel", "Oficinas", "Clínica", "Café"][i % 4],
                FAMILY[i % FAMILY.len()]
            );
            let title = format!("Furnishing {name}");
            let details = CompanyDetails {
                name,
                ..CompanyDetails::default()
            };
            shop.run(
                joined,
                owner,
                CompanyCommand::Create {
                    company_id,
                    details,
                    tags: Default::default(),
                    owner: Some(owner),
                },
            )
            .await?;
            let deal_id = DealId::derived("demo", &i.to_string());
            let terms = DealTerms {
                deal_id,
                pipeline_id,
                stage_id: stage("lead"),
                customer: CustomerId::Company(company_id),
                title,
                amount: Money::new((200 + shop.dice.roll(1800) as i64) * 1000, shop.eur),
                expected_close: (joined + Duration::days(45)).date_naive(),
                owner,
                source: Some(LeadSource::Referral),
            };
            shop.run(joined, owner, DealCommand::Open(terms)).await?;
            let mut at = joined;
            for next in ["quote", "negotiation"] {
                if !shop.dice.chance(65) {
                    break;
                }
                at += Duration::days(3 + shop.dice.roll(12) as i64);
                shop.run(
                    at,
                    owner,
                    DealCommand::MoveToStage {
                        deal_id,
                        stage_id: stage(next),
                    },
                )
                .await?;
            }
            if shop.dice.chance(60) {
                at += Duration::days(2 + shop.dice.roll(10) as i64);
                let close = if shop.dice.chance(55) {
                    DealCommand::Win { deal_id }
                } else {
                    DealCommand::Lose {
                        deal_id,
                        reason: "Price".into(),
                        note: None,
                    }
                };
                shop.run(at, owner, close).await?;
            }
            CustomerId::Company(company_id)
        } else {
            let contact_id = ContactId::derived("demo", &i.to_string());
            let (given, family) = (GIVEN[i % GIVEN.len()], FAMILY[(i * 7) % FAMILY.len()]);
            let email = format!(
                "{}.{}{i}@example.com",
                given.to_lowercase(),
                family.to_lowercase()
            );
            let create = CreateContact::new(contact_id, given, family)
                .email(&email)
                .owner(owner);
            shop.run(joined, owner, ContactCommand::Create(create))
                .await?;
            let source = [
                LeadSource::Web,
                LeadSource::Email,
                LeadSource::Social,
                LeadSource::PaidSearch,
            ][i % 4]
                .clone();
            let record = ContactCommand::RecordSource {
                contact_id,
                campaign: (source == LeadSource::Email).then_some(campaign),
                source,
                lead: false,
            };
            shop.run(joined, owner, record).await?;
            CustomerId::Contact(contact_id)
        };
        // Orders every few weeks; a third of the customers stop after July.
        let every = 10 + shop.dice.roll(30) as i64;
        let stops = if i % 3 == 0 {
            start() + Duration::days(60)
        } else {
            start() + Duration::days(90)
        };
        let mut at = joined + Duration::days(shop.dice.roll(10) as i64);
        while at < stops {
            order_number += 1;
            shop.order(order_number, customer, at, owner).await?;
            if shop.dice.chance(40) {
                let call = InteractionLogged {
                    interaction_id: InteractionId::derived("demo", &format!("call-{order_number}")),
                    customer,
                    channel: [Channel::Call, Channel::Email][shop.dice.roll(2) as usize],
                    direction: Direction::Outbound,
                    handled_by: Some(owner),
                    duration_seconds: Some(60 + shop.dice.roll(600) as u32),
                    subject: "How was your order?".into(),
                    summary: None,
                    outcome: Some(
                        [Outcome::Resolved, Outcome::NoAnswer][shop.dice.roll(2) as usize],
                    ),
                    source_message_id: None,
                };
                shop.run(at + Duration::days(6), owner, InteractionCommand::Log(call))
                    .await?;
            }
            at += Duration::days(every);
        }
    }
    Ok(shop.commands)
}

pub async fn run(location: &Location, args: Args) -> Result<ExitCode, Failure> {
    let clock = ManualClock::new(start());
    let options = SledOptions {
        durability: Durability::Buffered {
            flush_every_ms: 500,
        },
        clock: Arc::new(clock.clone()),
        ..SledOptions::default()
    };
    let store = location.create(options).await?;
    let fresh = store.head_position().await? == 0;
    let crm = Crm::with(
        store.clone(),
        Arc::new(clock.clone()),
        Arc::new(SequentialIds::new(args.seed as u32)),
        CrmOptions::default(),
    );
    let mut timing = Vec::new();
    if fresh {
        let started = Instant::now();
        let commands = write_history(&crm, &clock, &args).await?;
        store.inner().flush()?;
        let events = store.head_position().await?;
        let seconds = started.elapsed().as_secs_f64();
        timing.push(format!("wrote {events} events ({commands} commands, then an fsync) in {seconds:.2} s: {:.0} events/s", events as f64 / seconds.max(1e-9)));
    } else {
        say!("The store in {location} already holds the demo; reading it back.\n");
    }
    let started = Instant::now();
    let replayed = Crm::open(store.clone()).await?;
    let seconds = started.elapsed().as_secs_f64();
    let events = store.head_position().await?;
    timing.push(format!(
        "replayed {events} events into every projection in {seconds:.2} s: {:.0} events/s",
        events as f64 / seconds.max(1e-9)
    ));
    let end = start() + Duration::days(92);
    let months = Period::days(
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(2026, 8, 31).unwrap_or_default(),
        "Europe/Madrid".parse().unwrap_or(chrono_tz::Tz::UTC),
    )?
    .by(Bucket::Month);
    let text = replayed.query_unfiltered(|v| -> Result<String, Failure> {
        let best = v
            .activity
            .customers()
            .filter_map(|(c, a)| match c {
                CustomerId::Contact(id) => Some((a.orders.len(), *id)),
                CustomerId::Company(_) => None,
            })
            .max()
            .map(|(_, id)| id)
            .ok_or("the demo wrote no customers")?;
        let card = v
            .contact_card(best, end)
            .ok_or("the best customer has no card")?;
        let board = v
            .deals
            .pipelines()
            .first()
            .and_then(|p| v.deals.board(p.pipeline_id))
            .ok_or("the demo wrote no pipeline")?;
        let sales = SalesReport::compute(&v.activity, months, SalesBy::Bucket);
        Ok(format!(
            "{card}\n{board}\n{}",
            render(&sales, Format::Table)?
        ))
    })?;
    say!("{text}");
    for line in timing {
        say!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}
