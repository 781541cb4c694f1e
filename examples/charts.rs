//! Writes two SVG charts for a small shop: monthly net revenue over half a year, and the
//! funnel of its sales pipeline. Run with
//! `cargo run --features charts --example charts -- DIRECTORY` (default `target/charts`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use crm::access::Role;
use crm::clock::{ManualClock, SequentialIds};
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::domain::deal::{DealCommand, DealTerms};
use crm::domain::details::Address;
use crm::domain::order::terms::{OrderLine, PaymentMethod, PlaceOrder, SalesChannel};
use crm::domain::order::OrderCommand;
use crm::domain::pipeline::{PipelineCommand, StageDefinition};
use crm::domain::user::UserCommand;
use crm::event::Actor;
use crm::ids::{ContactId, CustomerId, DealId, OrderId, PipelineId, StageId, UserId};
use crm::money::{Currency, Money};
use crm::report::charts::{funnel, revenue_bars};
use crm::report::pipeline::PipelineReport;
use crm::report::sales::{SalesBy, SalesReport};
use crm::report::{Bucket, Period};
use crm::{Command, Crm, CrmOptions, MemoryStore};

type Failure = Box<dyn std::error::Error>;

fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0)
        .single()
        .unwrap_or_default()
        + TimeDelta::days(n)
}

/// Builds the shop's half year and writes `revenue.svg` and `funnel.svg` into `dir`.
pub async fn write_charts(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let clock = ManualClock::new(day(0));
    let crm = Crm::with(
        MemoryStore::with_clock(Arc::new(clock.clone())),
        Arc::new(clock.clone()),
        Arc::new(SequentialIds::new(5)),
        CrmOptions::default(),
    );
    let user_id = UserId::from_uuid(uuid::Uuid::from_u128(1));
    let add = UserCommand::add(
        user_id,
        "Nuria Costa",
        "nuria@shop.example",
        Role::HeadOfSales,
    );
    crm.execute(&Actor::System, add).await?;
    let actor = Actor::User { user_id };
    let eur = Currency::new("EUR")?;
    let run = |at: DateTime<Utc>, command: Command| {
        clock.set(at);
        let (crm, actor) = (&crm, &actor);
        async move { crm.execute(actor, command).await.map(|_| ()) }
    };
    let customer = ContactId::derived("example-charts", "ana");
    run(
        day(0),
        ContactCommand::Create(CreateContact::new(customer, "Ana", "Ríos")).into(),
    )
    .await?;
    // Orders grow through the summer: order n on day 4n, of (50 + 5n) euros.
    for n in 0..45i64 {
        let order_id = OrderId::derived("example-charts", &n.to_string());
        let unit = Money::new(5_000 + 500 * n, eur);
        let order = PlaceOrder {
            order_id,
            customer: CustomerId::Contact(customer),
            lines: vec![OrderLine {
                product_id: "chair".into(),
                name: "Chair".into(),
                category: Some("chairs".into()),
                quantity: 1,
                unit_price: unit,
                tax: Money::zero(eur),
            }],
            shipping: Money::zero(eur),
            shipping_address: Address {
                line1: "Calle 1".into(),
                city: "Madrid".into(),
                ..Address::default()
            }
            .into(),
            billing_address: None,
            channel: SalesChannel::WebShop,
            promised_delivery: None,
        };
        run(day(4 * n), OrderCommand::Place(Box::new(order)).into()).await?;
        let pay = OrderCommand::ReceivePayment {
            order_id,
            amount: unit,
            method: PaymentMethod::Card,
        };
        run(day(4 * n + 1), pay.into()).await?;
    }
    let pipeline_id = PipelineId::derived("example-charts", "b2b");
    let stages: Vec<StageId> = ["lead", "qualified", "proposal", "negotiation"]
        .iter()
        .map(|s| StageId::derived("example-charts", s))
        .collect();
    let define = PipelineCommand::Define {
        pipeline_id,
        name: "B2B".into(),
        stages: stages
            .iter()
            .zip(["Lead", "Qualified", "Proposal", "Negotiation"])
            .zip([10, 30, 60, 80])
            .map(|((id, name), p)| StageDefinition::new(*id, name, p))
            .collect(),
        lost_reasons: vec!["Price".into()],
    };
    run(day(0), define.into()).await?;
    // Twenty deals; deal n gets through the first n % 5 stages after the first.
    for n in 0..20u32 {
        let deal_id = DealId::derived("example-charts", &n.to_string());
        let open = DealTerms {
            deal_id,
            pipeline_id,
            stage_id: stages[0],
            customer: CustomerId::Contact(customer),
            title: format!("Office {n}"),
            amount: Money::new(100_000, eur),
            expected_close: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
            owner: UserId::from_uuid(uuid::Uuid::from_u128(1)),
            source: None,
        };
        run(day(i64::from(n)), DealCommand::Open(open).into()).await?;
        for stage in stages.iter().skip(1).take((n % 5) as usize) {
            let step = DealCommand::MoveToStage {
                deal_id,
                stage_id: *stage,
            };
            run(day(i64::from(n) + 2), step.into()).await?;
        }
    }
    let midnight = |m| {
        Utc.with_ymd_and_hms(2026, m, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
    };
    let period = Period::new(midnight(5), midnight(11))?.by(Bucket::Month);
    let (sales, pipeline) = crm.query_unfiltered(|v| {
        (
            SalesReport::compute(&v.activity, period, SalesBy::Bucket),
            PipelineReport::compute(&v.deals, pipeline_id, period),
        )
    });
    let pipeline = pipeline.ok_or("the pipeline is missing")?;
    std::fs::create_dir_all(dir)?;
    let files = [
        (dir.join("revenue.svg"), revenue_bars(&sales, eur)),
        (dir.join("funnel.svg"), funnel(&pipeline)),
    ];
    for (path, svg) in &files {
        std::fs::write(path, svg)?;
    }
    Ok(files.into_iter().map(|(path, _)| path).collect())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/charts"), PathBuf::from);
    for path in write_charts(&dir).await? {
        println!("wrote {}", path.display());
    }
    Ok(())
}
