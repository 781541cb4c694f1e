//! Converts the public Olist data (see `../shared/data/olist/SOURCE.md`) into crm's JSONL
//! event log through the CSV import and the field maps in `examples/olist/maps/`, reading the
//! files where they are and never copying them.
//!
//! ```sh
//! cargo run --release --example olist -- ../shared/data/olist target/olist.jsonl
//! ```
//!
//! - Orders: a person gets one card however many `customer_id`s they used
//!   (`customer_unique_id` says who is who), created at their first purchase; each order with
//!   its items (the same product at the same price added up), product categories (in
//!   English), freight as shipping, payments, approval, hand-over to the carrier, delivery,
//!   the estimated delivery date as the promised one, and cancellation or unavailability.
//!   An order without item rows (cancelled or unavailable before its items were recorded) is
//!   an order too, and its reviews count. Times are Brazilian local time (America/Sao_Paulo).
//! - Customers: their city, state and postal code; reviews, by order.
//! - The marketing funnel: each lead a contact marked as a lead, with its first-touch source
//!   as Olist names it (`unknown`, `display` and `other_publicities` kept apart) and its
//!   landing page as the campaign; each closed deal a deal in a "Seller acquisition"
//!   pipeline, opened at the lead's first contact, owned by its sales rep, titled with its
//!   business segment, won at `won_date`.
//!
//! Real data is messy: every row is imported or listed on standard error with its file, row
//! and reason, and the counts of both are printed at the end.

mod import;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use crm::clock::{ManualClock, SequentialIds};
use crm::{Crm, CrmOptions, MemoryStore};

use import::Failure;

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
    // Recorded when the data set was published, so that the log is the same on every run.
    let clock = ManualClock::new(
        Utc.with_ymd_and_hms(2018, 10, 18, 0, 0, 0)
            .single()
            .unwrap_or_default(),
    );
    let crm = Crm::with(
        MemoryStore::with_clock(Arc::new(clock.clone())),
        Arc::new(clock),
        Arc::new(SequentialIds::new(2016)),
        // Stage tasks are the shop's automation, not part of Olist's history.
        CrmOptions {
            run_policies: false,
            ..CrmOptions::default()
        },
    );
    let started = std::time::Instant::now();
    let summaries = import::import(&crm, &dir).await?;
    let mut problems = 0;
    for (file, summary) in &summaries {
        for error in &summary.errors {
            eprintln!("{file}: {error}");
        }
        problems += summary.errors.len();
        println!(
            "{file:>9}: {} rows, {} created, {} updated, {} unchanged, {} customers created, {} payments capped at the order's total",
            summary.rows,
            summary.created,
            summary.updated,
            summary.unchanged,
            summary.customers_created,
            summary.amounts_capped
        );
    }
    println!("{problems:>7} rows set aside (see standard error)");
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = BufWriter::new(File::create(&out)?);
    let events = crm::log::export(crm.store(), &mut file, 1, 4096).await?;
    file.flush()?;
    println!(
        "{events} events written to {} in {:.1} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
