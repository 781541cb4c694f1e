//! The Olist public data through the CSV import and the example's shipped field maps, checked
//! against figures computed here straight from the CSV files: orders per purchase month in
//! Brazilian local time, payments, review scores, the orders without items and the leads
//! whose origin Olist calls `unknown`. Every order is imported or set aside with its row,
//! never silently dropped; importing again changes nothing. Skips (with a message) where the
//! data is absent.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

#[path = "../examples/olist/import.rs"]
mod olist;

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDateTime;
use crm::domain::details::LeadSource;
use crm::domain::feedback::Score;
use crm::store::EventStore;

fn rows(dir: &Path, file: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(dir.join(file)).unwrap();
    reader.deserialize().map(Result::unwrap).collect()
}

fn cents(text: &str) -> i64 {
    let (units, fraction) = text.split_once('.').unwrap_or((text, ""));
    let fraction = format!("{fraction:0<2}");
    units.parse::<i64>().unwrap() * 100 + fraction[..2].parse::<i64>().unwrap()
}

/// What the CSV files say, computed without crm.
#[derive(Default)]
struct Expected {
    orders_per_month: BTreeMap<String, u64>,
    without_items: HashSet<String>,
    /// Per order: payments, up to what the order costs (items and freight).
    paid: HashMap<String, i64>,
    stars: BTreeMap<u8, u64>,
    unknown_origin: u64,
}

fn expected(dir: &Path) -> Expected {
    let mut e = Expected::default();
    let mut total: HashMap<String, i64> = HashMap::new();
    for item in rows(dir, "olist_order_items_dataset.csv") {
        *total.entry(item["order_id"].clone()).or_default() +=
            cents(&item["price"]) + cents(&item["freight_value"]);
    }
    let mut payments: HashMap<String, i64> = HashMap::new();
    for p in rows(dir, "olist_order_payments_dataset.csv") {
        *payments.entry(p["order_id"].clone()).or_default() += cents(&p["payment_value"]);
    }
    for order in rows(dir, "olist_orders_dataset.csv") {
        let id = order["order_id"].clone();
        // Olist's times are São Paulo's: the month is read as written.
        let placed =
            NaiveDateTime::parse_from_str(&order["order_purchase_timestamp"], "%Y-%m-%d %H:%M:%S")
                .unwrap();
        *e.orders_per_month
            .entry(placed.format("%Y-%m").to_string())
            .or_default() += 1;
        let cost = total.get(&id).copied().unwrap_or(0);
        if !total.contains_key(&id) {
            e.without_items.insert(id.clone());
        }
        let paid = payments.get(&id).copied().unwrap_or(0).min(cost);
        e.paid.insert(id, paid);
    }
    let mut seen = HashSet::new();
    for review in rows(dir, "olist_order_reviews_dataset.csv") {
        if seen.insert((review["review_id"].clone(), review["order_id"].clone())) {
            *e.stars
                .entry(review["review_score"].parse().unwrap())
                .or_default() += 1;
        }
    }
    e.unknown_origin = rows(dir, "olist_marketing_qualified_leads_dataset.csv")
        .iter()
        .filter(|l| l["origin"] == "unknown")
        .count() as u64;
    e
}

#[tokio::test]
async fn the_olist_files_through_the_field_maps_give_the_figures_the_files_give() {
    let Some(dir) = support::olist_data() else {
        return;
    };
    let clock = crm::clock::ManualClock::new(support::start());
    let store = crm::MemoryStore::with_clock(std::sync::Arc::new(clock.clone()));
    // Stage tasks are the shop's automation, not part of Olist's history.
    let options = crm::CrmOptions {
        run_policies: false,
        ..crm::CrmOptions::default()
    };
    let crm = support::deterministic(store, &clock, options);
    let summaries = olist::import(&crm, &dir).await.unwrap();
    let e = expected(&dir);
    let maps = olist::Maps::shipped().unwrap();
    let sao_paulo = chrono_tz::America::Sao_Paulo;

    // Every order is imported or set aside by its row; those set aside are the ones the
    // order rules refuse (shipped though not paid in full), each named.
    let orders = &summaries[0].1;
    assert_eq!(orders.rows, 15_000);
    assert_eq!(orders.created + orders.errors.len() as u64, 15_000);
    assert!(orders.errors.len() < 50, "{:?}", orders.errors);
    assert!(
        orders.errors.iter().all(|e| e.reason.starts_with("ship: ")),
        "only orders shipped before the rules allow are set aside: {:?}",
        orders.errors
    );
    let set_aside: HashSet<u64> = orders.errors.iter().map(|e| e.row).collect();
    let order_keys: Vec<String> = rows(&dir, "olist_orders_dataset.csv")
        .into_iter()
        .map(|o| o["order_id"].clone())
        .collect();
    let refused: HashSet<&String> = order_keys
        .iter()
        .enumerate()
        .filter(|(i, _)| set_aside.contains(&(*i as u64 + 2)))
        .map(|(_, k)| k)
        .collect();

    let (per_month, without_items, paid) = crm.query_unfiltered(|v| {
        let mut per_month: BTreeMap<String, u64> = BTreeMap::new();
        let mut paid: HashMap<crm::ids::OrderId, i64> = HashMap::new();
        for o in v.activity.orders() {
            let month = o.placed_at.with_timezone(&sao_paulo).format("%Y-%m");
            *per_month.entry(month.to_string()).or_default() += 1;
            paid.insert(o.order_id, o.paid.minor);
        }
        let without_items = e
            .without_items
            .iter()
            .filter(|k| v.activity.order(maps.orders.order_id(k)).is_some())
            .count();
        (per_month, without_items, paid)
    });
    let mut refused_per_month: BTreeMap<String, u64> = BTreeMap::new();
    for order in rows(&dir, "olist_orders_dataset.csv") {
        if refused.contains(&order["order_id"]) {
            let month = order["order_purchase_timestamp"][..7].to_owned();
            *refused_per_month.entry(month).or_default() += 1;
        }
    }
    for (month, count) in &e.orders_per_month {
        let imported = per_month.get(month).copied().unwrap_or(0);
        let aside = refused_per_month.get(month).copied().unwrap_or(0);
        assert_eq!(imported + aside, *count, "orders placed in {month}");
    }
    assert!(
        per_month.keys().all(|m| e.orders_per_month.contains_key(m)),
        "no order in a month the files do not have: {per_month:?}"
    );
    assert_eq!(
        without_items,
        e.without_items.len(),
        "an order without items is still an order"
    );
    assert_eq!(e.without_items.len(), 115);
    for (key, expected_paid) in &e.paid {
        if refused.contains(key) {
            continue;
        }
        assert_eq!(
            paid.get(&maps.orders.order_id(key)).copied(),
            Some(*expected_paid),
            "paid for order {key}"
        );
    }

    // Dates alone on a day whose midnight São Paulo skipped (2017-10-15) are read too.
    for (file, summary) in &summaries[3..] {
        assert_eq!(summary.errors, [], "{file}");
    }

    // Reviews: every one, by its stars, including those of orders without items.
    let (stars, unknown) = crm.query_unfiltered(|v| {
        let mut stars: BTreeMap<u8, u64> = BTreeMap::new();
        let mut unknown = 0;
        for (_, activity) in v.activity.customers() {
            for f in &activity.feedback {
                if let Score::Review { stars: s, .. } = f.score {
                    *stars.entry(s).or_default() += 1;
                }
            }
            if activity
                .source
                .as_ref()
                .is_some_and(|s| s.source == LeadSource::Named("unknown".into()))
            {
                unknown += 1;
            }
        }
        (stars, unknown)
    });
    let reviews_of_refused: u64 = rows(&dir, "olist_order_reviews_dataset.csv")
        .iter()
        .filter(|r| refused.contains(&r["order_id"]))
        .count() as u64;
    assert_eq!(
        stars.values().sum::<u64>() + reviews_of_refused,
        e.stars.values().sum::<u64>()
    );
    if reviews_of_refused == 0 {
        assert_eq!(stars, e.stars);
    }
    assert_eq!(unknown, e.unknown_origin, "leads whose origin is `unknown`");
    assert!(e.unknown_origin > 0);

    // Importing the same files again changes nothing.
    let before = crm.store().read_all(1, usize::MAX).await.unwrap().len();
    let again = olist::import(&crm, &dir).await.unwrap();
    let after = crm.store().read_all(1, usize::MAX).await.unwrap().len();
    let changed: Vec<_> = again
        .iter()
        .map(|(f, s)| (f, s.created, s.updated, s.customers_created))
        .collect();
    assert_eq!(before, after, "{changed:?}");
}
