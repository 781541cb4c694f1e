//! The Olist public data through crm's CSV import: field maps (`maps/*.json`, beside this
//! file) say what each column is; what a map cannot say is the small, named code below —
//! putting back together what Olist spreads over several files ([`crm::csv_import::join`]),
//! one campaign per landing page, and the seller-acquisition pipeline.
//!
//! Shared by the example (`examples/olist/main.rs`) and the test that checks its figures
//! against the CSV files (`tests/olist_csv.rs`).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use crm::csv_import::{join, parse_instant, FieldMap, ImportOptions, ImportSummary, OrderFiles};
use crm::domain::campaign::{CampaignCommand, CampaignCreated};
use crm::domain::details::LeadSource;
use crm::domain::pipeline::{PipelineCommand, StageDefinition};
use crm::event::Actor;
use crm::ids::{CommandId, ImportId, PipelineId, StageId};
use crm::money::{Currency, Money};
use crm::store::EventStore;
use crm::{Crm, Request};

pub type Failure = Box<dyn std::error::Error>;

/// The shipped field maps.
pub struct Maps {
    pub customers: FieldMap,
    pub orders: FieldMap,
    pub reviews: FieldMap,
    pub leads: FieldMap,
    pub deals: FieldMap,
}

impl Maps {
    pub fn shipped() -> Result<Self, Failure> {
        let read = |text: &str| serde_json::from_str::<FieldMap>(text);
        Ok(Self {
            customers: read(include_str!("maps/customers.json"))?,
            orders: read(include_str!("maps/orders.json"))?,
            reviews: read(include_str!("maps/reviews.json"))?,
            leads: read(include_str!("maps/leads.json"))?,
            deals: read(include_str!("maps/deals.json"))?,
        })
    }
}

/// What each file's import did, by file.
pub type Summaries = Vec<(&'static str, ImportSummary)>;

fn read(dir: &Path, file: &str) -> Result<Vec<u8>, Failure> {
    let path = dir.join(file);
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()).into())
}

fn options(run: u128) -> ImportOptions {
    ImportOptions {
        // Bad rows are listed, not fatal: real data is messy.
        set_aside_bad_rows: true,
        ..ImportOptions::new(ImportId::from_uuid(uuid::Uuid::from_u128(
            0x0115_7000 + run,
        )))
    }
}

/// Imports the Olist files in `dir`: orders (with their buyers, lines and payments), then the
/// customers' addresses, the reviews, the marketing-qualified leads and the closed deals.
pub async fn import<S: EventStore>(crm: &Crm<S>, dir: &Path) -> Result<Summaries, Failure> {
    let maps = Maps::shipped()?;
    let customers = read(dir, "olist_customers_dataset.csv")?;
    // An order names its buyer by a per-order customer id; the person is the unique id.
    let orders = join(
        &read(dir, "olist_orders_dataset.csv")?,
        "customer_id",
        &customers,
        "customer_id",
    )?;
    // A line names its product; the category (in English) is the product's.
    let products = join(
        &read(dir, "olist_products_dataset.csv")?,
        "product_category_name",
        &read(dir, "product_category_name_translation.csv")?,
        "product_category_name",
    )?;
    let lines = join(
        &read(dir, "olist_order_items_dataset.csv")?,
        "product_id",
        &products,
        "product_id",
    )?;
    let payments = read(dir, "olist_order_payments_dataset.csv")?;
    let files = OrderFiles {
        orders: &orders,
        lines: Some(&lines),
        payments: Some(&payments),
    };
    let mut done = Vec::new();
    done.push((
        "orders",
        crm.import_orders_csv(files, &maps.orders, &options(1), |_| {})
            .await?,
    ));
    done.push((
        "customers",
        crm.import_csv(&customers, &maps.customers, &options(2))
            .await?,
    ));
    let reviews = read(dir, "olist_order_reviews_dataset.csv")?;
    done.push((
        "reviews",
        crm.import_csv(&reviews, &maps.reviews, &options(3)).await?,
    ));
    let leads = read(dir, "olist_marketing_qualified_leads_dataset.csv")?;
    landing_pages(crm, &leads, &maps.leads).await?;
    done.push((
        "leads",
        crm.import_csv(&leads, &maps.leads, &options(4)).await?,
    ));
    seller_pipeline(crm).await?;
    // A closed deal opens at its lead's first contact, which is in the leads file.
    let deals = join(
        &read(dir, "olist_closed_deals_dataset.csv")?,
        "mql_id",
        &leads,
        "mql_id",
    )?;
    done.push((
        "deals",
        crm.import_csv(&deals, &maps.deals, &options(5)).await?,
    ));
    Ok(done)
}

fn actor() -> Request {
    Request::by(Actor::Import {
        source: "csv:olist".into(),
    })
}

/// One campaign per landing page, spanning its leads' first contacts, with the channel of
/// its first lead.
async fn landing_pages<S: EventStore>(
    crm: &Crm<S>,
    leads: &[u8],
    map: &FieldMap,
) -> Result<(), Failure> {
    let mut reader = csv::Reader::from_reader(leads);
    let mut pages: BTreeMap<String, (NaiveDate, NaiveDate, Option<LeadSource>)> = BTreeMap::new();
    for row in reader.deserialize::<BTreeMap<String, String>>() {
        let row = row?;
        let (Some(page), Some(at)) = (row.get("landing_page_id"), row.get("first_contact_date"))
        else {
            continue;
        };
        let Ok(at) = parse_instant(at, map.zone) else {
            continue; // the lead's own import reports the row
        };
        let day = at.with_timezone(&map.zone).date_naive();
        let source = row.get("origin").and_then(|o| LeadSource::from_name(o));
        let entry = pages.entry(page.clone()).or_insert((day, day, source));
        entry.0 = entry.0.min(day);
        entry.1 = entry.1.max(day);
    }
    let brl = Currency::new("BRL")?;
    for (page, (starts, ends, channel)) in pages {
        let campaign = CampaignCreated {
            campaign_id: map.campaign_id(&page),
            name: format!("Landing page {}", page.get(..8).unwrap_or(&page)),
            channel: channel.unwrap_or(LeadSource::Other),
            starts,
            ends,
            cost: Money::zero(brl),
        };
        let at = starts.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let request = actor()
            .at(at)
            .with_command_id(CommandId::derived("csv:olist", &format!("campaign/{page}")));
        crm.execute_request(request, CampaignCommand::Create(campaign).into())
            .await?;
    }
    Ok(())
}

/// The pipeline the closed deals are won in.
async fn seller_pipeline<S: EventStore>(crm: &Crm<S>) -> Result<(), Failure> {
    let define = PipelineCommand::Define {
        pipeline_id: PipelineId::derived("olist", "seller-acquisition"),
        name: "Seller acquisition".into(),
        stages: vec![StageDefinition::new(
            StageId::derived("olist", "qualified"),
            "Qualified lead",
            20,
        )],
        lost_reasons: vec!["Not closed".into()],
    };
    let start = NaiveDate::from_ymd_opt(2017, 6, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
        .and_utc();
    let request = actor()
        .at(start)
        .with_command_id(CommandId::derived("csv:olist", "pipeline"));
    crm.execute_request(request, define.into()).await?;
    Ok(())
}
