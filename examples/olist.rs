//! Converts the public Olist data (see `../shared/data/olist/SOURCE.md`) into crm's JSONL
//! event log, reading the CSVs as streams and never copying them.
//!
//! ```sh
//! cargo run --release --example olist -- ../shared/data/olist target/olist.jsonl
//! ```
//!
//! - Orders: a person gets one card however many `customer_id`s they used
//!   (`customer_unique_id` says who is who); each order with its items (grouped by product and
//!   price), product categories (in English), freight as shipping, payments, approval (both
//!   checks and the start of preparation), hand-over to the carrier, delivery, the estimated
//!   delivery date as the promised one, cancellation or unavailability, and reviews.
//! - The marketing funnel: each lead a contact marked as a lead, with its first-touch source
//!   (`origin`; empty and `unknown` become "other") and its landing page as the campaign, at
//!   its first contact date; each closed deal a deal in a "Seller acquisition" pipeline,
//!   opened at the lead's first contact, owned by its sales rep, titled with its business
//!   segment, won at `won_date`.
//!
//! Real data is messy. Every row is either imported or reported (on standard error, with its
//! file, line and reason), and the counts of both are printed at the end.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use crm::clock::{ManualClock, SequentialIds};
use crm::domain::campaign::{CampaignCommand, CampaignCreated};
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::domain::deal::{DealCommand, DealTerms};
use crm::domain::details::{Address, LeadSource};
use crm::domain::feedback::{FeedbackCommand, FeedbackGiven, Score};
use crm::domain::order::terms::{
    CancelReason, OrderCheck, OrderLine, PaymentMethod, PlaceOrder, SalesChannel,
};
use crm::domain::order::OrderCommand;
use crm::domain::pipeline::{PipelineCommand, StageDefinition};
use crm::event::Actor;
use crm::ids::{
    CampaignId, ContactId, CustomerId, DealId, FeedbackId, OrderId, PipelineId, StageId, UserId,
};
use crm::money::{Currency, Money};
use crm::normalize::Country;
use crm::{Command, Crm, CrmOptions, MemoryStore, Request};

type Failure = Box<dyn std::error::Error>;
type Row = HashMap<String, String>;

/// Reads a CSV as rows of named fields, with their line numbers.
fn rows(
    dir: &Path,
    file: &str,
) -> Result<impl Iterator<Item = (u64, Result<Row, String>)>, Failure> {
    let path = dir.join(file);
    let mut reader =
        csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let headers: Vec<String> = reader
        .headers()?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    Ok(reader.into_records().enumerate().map(move |(i, record)| {
        let line = i as u64 + 2;
        let row = record.map_err(|e| e.to_string()).map(|r| {
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        });
        (line, row)
    }))
}

fn field<'a>(row: &'a Row, name: &str) -> &'a str {
    row.get(name).map_or("", |v| v.trim())
}

fn time(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|t| t.and_utc())
}

/// Reais with centavos, as minor units.
fn centavos(text: &str) -> Option<i64> {
    let value: f64 = text.parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| (value * 100.0).round() as i64)
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

struct Converter {
    crm: Crm<MemoryStore>,
    clock: ManualClock,
    actor: Request,
    brl: Currency,
    counts: BTreeMap<&'static str, u64>,
    problems: u64,
}

impl Converter {
    fn count(&mut self, what: &'static str) {
        *self.counts.entry(what).or_default() += 1;
    }

    fn problem(&mut self, file: &str, line: u64, why: impl std::fmt::Display) {
        self.problems += 1;
        eprintln!("{file}:{line}: {why}");
    }

    /// Executes `command` at `at`; a rejection is reported against the row, not fatal.
    async fn run(
        &mut self,
        at: DateTime<Utc>,
        command: impl Into<Command>,
        file: &str,
        line: u64,
    ) -> Result<bool, Failure> {
        self.clock.set(at);
        match self
            .crm
            .execute_request(self.actor.clone().at(at), command.into())
            .await
        {
            Ok(_) => Ok(true),
            Err(crm::Error::Domain(why)) => {
                self.problem(file, line, why);
                Ok(false)
            }
            Err(other) => Err(other.into()),
        }
    }
}

/// A review row: id, stars, comment, when, line.
type Review = (String, u8, String, DateTime<Utc>, u64);

struct Item {
    product: String,
    price: i64,
    freight: i64,
}

async fn orders(c: &mut Converter, dir: &Path) -> Result<(), Failure> {
    let mut categories_en: HashMap<String, String> = HashMap::new();
    for (_, row) in rows(dir, "product_category_name_translation.csv")? {
        let row = row?;
        categories_en.insert(
            field(&row, "product_category_name").into(),
            field(&row, "product_category_name_english").into(),
        );
    }
    let mut category: HashMap<String, String> = HashMap::new();
    for (_, row) in rows(dir, "olist_products_dataset.csv")? {
        let row = row?;
        let name = field(&row, "product_category_name");
        if !name.is_empty() {
            let english = categories_en
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.to_owned());
            category.insert(field(&row, "product_id").into(), english);
        }
    }
    let mut people: HashMap<String, (String, Address)> = HashMap::new();
    for (_, row) in rows(dir, "olist_customers_dataset.csv")? {
        let row = row?;
        let address = Address {
            line1: String::new(),
            city: field(&row, "customer_city").into(),
            region: Some(field(&row, "customer_state").to_owned()),
            postal_code: Some(field(&row, "customer_zip_code_prefix").to_owned()),
            country: Country::new("BR").ok(),
            ..Address::default()
        };
        people.insert(
            field(&row, "customer_id").into(),
            (field(&row, "customer_unique_id").into(), address),
        );
    }
    let mut items: HashMap<String, Vec<Item>> = HashMap::new();
    for (line, row) in rows(dir, "olist_order_items_dataset.csv")? {
        let row = row?;
        match (
            centavos(field(&row, "price")),
            centavos(field(&row, "freight_value")),
        ) {
            (Some(price), Some(freight)) => items
                .entry(field(&row, "order_id").into())
                .or_default()
                .push(Item {
                    product: field(&row, "product_id").into(),
                    price,
                    freight,
                }),
            _ => c.problem("order_items", line, "price or freight is not a number"),
        }
    }
    let mut payments: HashMap<String, Vec<(u32, String, i64)>> = HashMap::new();
    for (line, row) in rows(dir, "olist_order_payments_dataset.csv")? {
        let row = row?;
        match (
            field(&row, "payment_sequential").parse::<u32>(),
            centavos(field(&row, "payment_value")),
        ) {
            (Ok(seq), Some(value)) => payments
                .entry(field(&row, "order_id").into())
                .or_default()
                .push((seq, field(&row, "payment_type").into(), value)),
            _ => c.problem("order_payments", line, "sequence or value is not a number"),
        }
    }
    let mut reviews: HashMap<String, Vec<Review>> = HashMap::new();
    for (line, row) in rows(dir, "olist_order_reviews_dataset.csv")? {
        let row = row?;
        let score = field(&row, "review_score").parse::<u8>();
        let at = time(field(&row, "review_creation_date"));
        match (score, at) {
            (Ok(score), Some(at)) => reviews
                .entry(field(&row, "order_id").into())
                .or_default()
                .push((
                    field(&row, "review_id").into(),
                    score,
                    field(&row, "review_comment_message").into(),
                    at,
                    line,
                )),
            _ => c.problem("order_reviews", line, "score or date is missing"),
        }
    }
    // Orders in time order, so cards are created at a person's first purchase.
    let mut order_rows = Vec::new();
    for (line, row) in rows(dir, "olist_orders_dataset.csv")? {
        let row = row?;
        match time(field(&row, "order_purchase_timestamp")) {
            Some(at) => order_rows.push((at, line, row)),
            None => c.problem("orders", line, "no purchase time"),
        }
    }
    order_rows.sort_by_key(|o| (o.0, o.1));
    let mut known: HashMap<String, ContactId> = HashMap::new();
    for (placed, line, row) in order_rows {
        let order_key = field(&row, "order_id").to_owned();
        let Some((person, address)) = people.get(field(&row, "customer_id")).cloned() else {
            c.problem("orders", line, "its customer is not in the customers file");
            continue;
        };
        let contact_id = match known.get(&person) {
            Some(id) => *id,
            None => {
                let id = ContactId::derived("olist", &person);
                let create = CreateContact::new(id, "Customer", short(&person)).address(Address {
                    line1: format!("CEP {}", address.postal_code.clone().unwrap_or_default()),
                    ..address
                });
                if c.run(placed, ContactCommand::Create(create), "orders", line)
                    .await?
                {
                    c.count("people");
                }
                known.insert(person.clone(), id);
                id
            }
        };
        let Some(order_items) = items.get(&order_key) else {
            c.problem(
                "orders",
                line,
                format!("order {order_key} has no items; not imported"),
            );
            c.count("orders without items (skipped)");
            continue;
        };
        let mut lines: BTreeMap<(String, i64), u32> = BTreeMap::new();
        for item in order_items {
            *lines.entry((item.product.clone(), item.price)).or_default() += 1;
        }
        let order_id = OrderId::derived("olist", &order_key);
        let place = PlaceOrder {
            order_id,
            customer: CustomerId::Contact(contact_id),
            lines: lines
                .into_iter()
                .map(|((product, price), quantity)| OrderLine {
                    name: format!("Product {}", short(&product)),
                    category: category.get(&product).cloned(),
                    product_id: product,
                    quantity,
                    unit_price: Money::new(price, c.brl),
                    tax: Money::zero(c.brl),
                })
                .collect(),
            shipping: Money::new(order_items.iter().map(|i| i.freight).sum(), c.brl),
            shipping_address: Address {
                line1: "—".into(),
                city: "—".into(),
                ..Address::default()
            }
            .into(),
            billing_address: None,
            channel: SalesChannel::Marketplace,
            promised_delivery: time(field(&row, "order_estimated_delivery_date"))
                .map(|t| t.date_naive()),
        };
        let total = place.total()?.minor;
        if !c
            .run(placed, OrderCommand::Place(Box::new(place)), "orders", line)
            .await?
        {
            continue;
        }
        c.count("orders");
        let approved = time(field(&row, "order_approved_at"));
        let status = field(&row, "order_status").to_owned();
        // Payments land when the order is approved (Olist has no payment times); never more
        // than the total: interest on instalments is not the shop's revenue.
        let mut paid = 0;
        let mut order_payments = payments.remove(&order_key).unwrap_or_default();
        order_payments.sort();
        if let Some(at) = approved
            .or(Some(placed))
            .filter(|_| !order_payments.is_empty())
        {
            for (_, kind, value) in order_payments {
                let amount = value.min(total - paid);
                if amount <= 0 {
                    c.count("payment rows above the order total (ignored)");
                    continue;
                }
                let method = match kind.as_str() {
                    "credit_card" | "debit_card" => PaymentMethod::Card,
                    "boleto" => PaymentMethod::Boleto,
                    "voucher" => PaymentMethod::Voucher,
                    _ => PaymentMethod::Other,
                };
                let pay = OrderCommand::ReceivePayment {
                    order_id,
                    amount: Money::new(amount, c.brl),
                    method,
                };
                if c.run(at, pay, "order_payments", line).await? {
                    paid += amount;
                    c.count("payments");
                }
            }
        }
        if let Some(at) = approved {
            for check in [OrderCheck::CustomerData, OrderCheck::Stock] {
                c.run(
                    at,
                    OrderCommand::PassCheck { order_id, check },
                    "orders",
                    line,
                )
                .await?;
            }
            if paid >= total {
                c.run(
                    at,
                    OrderCommand::StartPreparation { order_id },
                    "orders",
                    line,
                )
                .await?;
            } else if !matches!(status.as_str(), "canceled" | "unavailable") {
                c.count("orders not paid in full (left unprepared)");
            }
        }
        let carrier = time(field(&row, "order_delivered_carrier_date"));
        if matches!(status.as_str(), "canceled" | "unavailable") && carrier.is_none() {
            let reason = if status == "unavailable" {
                CancelReason::Inventory
            } else {
                CancelReason::Other
            };
            let at = approved.unwrap_or(placed);
            let note = Some(format!("Olist status: {status}"));
            if c.run(
                at,
                OrderCommand::Cancel {
                    order_id,
                    reason,
                    note,
                },
                "orders",
                line,
            )
            .await?
            {
                c.count("orders cancelled or unavailable");
            }
        } else if let Some(at) = carrier {
            let ship = OrderCommand::Ship {
                order_id,
                carrier: "Olist logistics".into(),
                tracking_number: None,
                estimated_delivery: None,
            };
            if c.run(at, ship, "orders", line).await? {
                if let Some(at) = time(field(&row, "order_delivered_customer_date")) {
                    if c.run(at, OrderCommand::Deliver { order_id }, "orders", line)
                        .await?
                    {
                        c.count("orders delivered");
                    }
                }
            }
        }
        for (review_id, stars, comment, at, review_line) in
            reviews.remove(&order_key).unwrap_or_default()
        {
            // Olist reuses review ids across orders: the pair is the key.
            let feedback = FeedbackGiven {
                feedback_id: FeedbackId::derived("olist", &format!("{review_id}/{order_key}")),
                customer: CustomerId::Contact(contact_id),
                score: Score::Review { order_id, stars },
                comment: (!comment.is_empty()).then_some(comment.into()),
            };
            if c.run(
                at,
                FeedbackCommand::Give(feedback),
                "order_reviews",
                review_line,
            )
            .await?
            {
                c.count("reviews");
            }
        }
    }
    Ok(())
}

fn source_of(origin: &str) -> LeadSource {
    match origin {
        "organic_search" => LeadSource::OrganicSearch,
        "paid_search" => LeadSource::PaidSearch,
        "social" => LeadSource::Social,
        "email" => LeadSource::Email,
        "referral" => LeadSource::Referral,
        "direct_traffic" => LeadSource::Web,
        _ => LeadSource::Other,
    }
}

async fn funnel(c: &mut Converter, dir: &Path) -> Result<(), Failure> {
    let mut leads = Vec::new();
    for (line, row) in rows(dir, "olist_marketing_qualified_leads_dataset.csv")? {
        let row = row?;
        match time(field(&row, "first_contact_date")) {
            Some(at) => leads.push((at, line, row)),
            None => c.problem("marketing_qualified_leads", line, "no first contact date"),
        }
    }
    leads.sort_by_key(|l| (l.0, l.1));
    // One campaign per landing page, spanning its leads' first contacts.
    let mut pages: BTreeMap<String, (DateTime<Utc>, DateTime<Utc>, LeadSource)> = BTreeMap::new();
    for (at, _, row) in &leads {
        let page = field(row, "landing_page_id").to_owned();
        let entry = pages
            .entry(page)
            .or_insert((*at, *at, source_of(field(row, "origin"))));
        entry.1 = *at;
    }
    for (page, (first, last, channel)) in &pages {
        let campaign = CampaignCreated {
            campaign_id: CampaignId::derived("olist", page),
            name: format!("Landing page {}", short(page)),
            channel: channel.clone(),
            starts: first.date_naive(),
            ends: last.date_naive(),
            cost: Money::zero(c.brl),
        };
        if c.run(
            *first,
            CampaignCommand::Create(campaign),
            "marketing_qualified_leads",
            0,
        )
        .await?
        {
            c.count("campaigns (landing pages)");
        }
    }
    let mut contacted: HashMap<String, (ContactId, DateTime<Utc>)> = HashMap::new();
    for (at, line, row) in leads {
        let mql = field(&row, "mql_id").to_owned();
        let id = ContactId::derived("olist-lead", &mql);
        let create = CreateContact::new(id, "Lead", short(&mql));
        if !c
            .run(
                at,
                ContactCommand::Create(create),
                "marketing_qualified_leads",
                line,
            )
            .await?
        {
            continue;
        }
        let origin = field(&row, "origin");
        if origin.is_empty() || origin == "unknown" {
            c.count("leads with an unknown source");
        }
        let record = ContactCommand::RecordSource {
            contact_id: id,
            source: source_of(origin),
            campaign: Some(CampaignId::derived("olist", field(&row, "landing_page_id"))),
            lead: true,
        };
        c.run(at, record, "marketing_qualified_leads", line).await?;
        c.count("leads");
        contacted.insert(mql, (id, at));
    }
    let pipeline_id = PipelineId::derived("olist", "seller-acquisition");
    let qualified = StageId::derived("olist", "qualified");
    let define = PipelineCommand::Define {
        pipeline_id,
        name: "Seller acquisition".into(),
        stages: vec![StageDefinition::new(qualified, "Qualified lead", 20)],
        lost_reasons: vec!["Not closed".into()],
    };
    let start = pages.values().map(|p| p.0).min().unwrap_or_default();
    c.run(start, define, "closed_deals", 0).await?;
    for (line, row) in rows(dir, "olist_closed_deals_dataset.csv")? {
        let row = row?;
        let mql = field(&row, "mql_id");
        let Some((contact_id, first_contact)) = contacted.get(mql).copied() else {
            c.problem(
                "closed_deals",
                line,
                format!("lead {mql} is not among the leads"),
            );
            continue;
        };
        let Some(won) = time(field(&row, "won_date")) else {
            c.problem("closed_deals", line, "no won date");
            continue;
        };
        let opened = if won < first_contact {
            c.problem(
                "closed_deals",
                line,
                "won before the lead's first contact: opened when won",
            );
            won
        } else {
            first_contact
        };
        let segment = field(&row, "business_segment");
        let deal_id = DealId::derived("olist", mql);
        let revenue = centavos(field(&row, "declared_monthly_revenue")).unwrap_or(0);
        let terms = DealTerms {
            deal_id,
            pipeline_id,
            stage_id: qualified,
            customer: CustomerId::Contact(contact_id),
            title: if segment.is_empty() {
                "Seller (segment unknown)".into()
            } else {
                format!("Seller: {segment}")
            },
            amount: Money::new(revenue, c.brl),
            expected_close: won.date_naive(),
            owner: UserId::derived("olist-sr", field(&row, "sr_id")),
            source: None,
        };
        if c.run(opened, DealCommand::Open(terms), "closed_deals", line)
            .await?
            && c.run(won, DealCommand::Win { deal_id }, "closed_deals", line)
                .await?
        {
            c.count("deals won");
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "../shared/data/olist".into()));
    let out = PathBuf::from(args.next().unwrap_or_else(|| "target/olist.jsonl".into()));
    if !dir.join("olist_orders_dataset.csv").exists() {
        eprintln!(
            "The Olist data is not in {}: nothing to convert (see ../shared/data/olist/SOURCE.md).",
            dir.display()
        );
        return Ok(());
    }
    let clock = ManualClock::new(DateTime::UNIX_EPOCH);
    let crm = Crm::with(
        MemoryStore::with_clock(Arc::new(clock.clone())),
        Arc::new(clock.clone()),
        Arc::new(SequentialIds::new(2016)),
        // Stage tasks are the shop's automation, not part of Olist's history.
        CrmOptions {
            run_policies: false,
            ..CrmOptions::default()
        },
    );
    let mut c = Converter {
        crm,
        clock,
        actor: Request::by(Actor::Import {
            source: "Olist public data".into(),
        }),
        brl: Currency::new("BRL")?,
        counts: BTreeMap::new(),
        problems: 0,
    };
    let started = std::time::Instant::now();
    orders(&mut c, &dir).await?;
    funnel(&mut c, &dir).await?;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = BufWriter::new(File::create(&out)?);
    let events = crm::log::export(c.crm.store(), &mut file, 1, 4096).await?;
    file.flush()?;
    for (what, n) in &c.counts {
        println!("{n:>7} {what}");
    }
    println!("{:>7} rows reported (see standard error)", c.problems);
    println!(
        "{events} events written to {} in {:.1} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
