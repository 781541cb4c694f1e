//! The sales report: orders and money per bucket (and per channel), per currency.
//!
//! Formulas, for the orders of a group in a bucket and one currency:
//! - `placed`, `delivered`, `cancelled`: orders placed, delivered, cancelled in the bucket
//!   (each counted in the bucket of its own event).
//! - `booked`: the sum of the totals (lines + tax + shipping) of the orders placed in the bucket.
//! - `gross`: the sum of payments received in the bucket (cash in).
//! - `refunds`: the sum of refunds issued in the bucket (cash out).
//! - `net`: `gross − refunds`.
//! - `average_order_value`: `booked / placed`, rounded to the minor unit (halves away from
//!   zero); none when nothing was placed.
//! - `items_per_order`: units in the orders placed in the bucket, divided by `placed`.
//!
//! By category, see [`SalesBy::Category`] for how an order's money is split.
//!
//! Money is counted when it moves, so a past bucket's figures never change, and the buckets'
//! counts and sums add up to the period's total row.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::render::{Cell, Table, Tabular};
use super::Period;
use crate::money::{Currency, Money};
use crate::projection::{CustomerActivity, OrderSummary};

/// What the rows are grouped by besides the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SalesBy {
    /// One row per bucket and currency.
    Bucket,
    /// One row per bucket, sales channel and currency.
    Channel,
    /// One row per bucket, product category and currency. An order counts in every category
    /// it has lines in; `booked` and `items` are those lines' value and units (shipping
    /// excluded); payments and refunds are split across the order's categories in proportion
    /// to their lines' value, rounded down to the minor unit, so a category's cash can fall
    /// short of the whole by a few minor units.
    Category,
}

/// Sales of one group, in one bucket and currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SalesRow {
    /// The bucket's label, or `total`.
    pub bucket: String,
    /// The channel or category, or `all`.
    pub group: String,
    /// The currency of every amount in the row.
    pub currency: Currency,
    /// Orders placed.
    pub placed: usize,
    /// Orders delivered.
    pub delivered: usize,
    /// Orders cancelled.
    pub cancelled: usize,
    /// Value of the orders placed.
    pub booked: Money,
    /// Payments received.
    pub gross: Money,
    /// Refunds issued.
    pub refunds: Money,
    /// Gross minus refunds.
    pub net: Money,
    /// Booked value per order placed.
    pub average_order_value: Option<Money>,
    /// Units per order placed.
    pub items_per_order: Option<f64>,
    /// Units in the orders placed.
    pub items: u64,
}

impl SalesRow {
    fn empty(bucket: &str, group: &str, currency: Currency) -> Self {
        Self {
            bucket: bucket.to_owned(),
            group: group.to_owned(),
            currency,
            placed: 0,
            delivered: 0,
            cancelled: 0,
            booked: Money::zero(currency),
            gross: Money::zero(currency),
            refunds: Money::zero(currency),
            net: Money::zero(currency),
            average_order_value: None,
            items_per_order: None,
            items: 0,
        }
    }

    fn add(&mut self, other: &SalesRow) {
        self.placed += other.placed;
        self.delivered += other.delivered;
        self.cancelled += other.cancelled;
        self.items = self.items.saturating_add(other.items);
        for (mine, theirs) in [
            (&mut self.booked, other.booked),
            (&mut self.gross, other.gross),
            (&mut self.refunds, other.refunds),
        ] {
            mine.minor = mine.minor.saturating_add(theirs.minor);
        }
    }

    fn finish(&mut self) {
        self.net = Money::new(
            self.gross.minor.saturating_sub(self.refunds.minor),
            self.currency,
        );
        if self.placed > 0 {
            let placed = self.placed as i128;
            let booked = i128::from(self.booked.minor);
            let rounded = (2 * booked + booked.signum() * placed) / (2 * placed);
            self.average_order_value = Some(Money::new(
                i64::try_from(rounded).unwrap_or(i64::MAX),
                self.currency,
            ));
            self.items_per_order = Some(self.items as f64 / self.placed as f64);
        }
    }
}

/// Sales over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SalesReport {
    /// The period and its buckets.
    pub period: Period,
    /// How rows are grouped.
    pub by: SalesBy,
    /// One row per bucket, group and currency, buckets in order; empty buckets included.
    pub rows: Vec<SalesRow>,
    /// One row per group and currency over the whole period.
    pub totals: Vec<SalesRow>,
}

fn cell<'a>(
    cells: &'a mut HashMap<(String, String, Currency), SalesRow>,
    label: &str,
    group: &str,
    currency: Currency,
) -> &'a mut SalesRow {
    cells
        .entry((label.to_owned(), group.to_owned(), currency))
        .or_insert_with(|| SalesRow::empty(label, group, currency))
}

/// An order's share in one group: the group, the order's value and units in it, and the
/// fraction (`numerator / denominator`) of its payments and refunds that go with them.
struct Share {
    group: String,
    booked: i64,
    items: u64,
    numerator: i128,
    denominator: i128,
}

impl Share {
    /// `minor × numerator / denominator`, rounded down.
    fn of(&self, minor: i64) -> i64 {
        let part = i128::from(minor) * self.numerator / self.denominator.max(1);
        i64::try_from(part).unwrap_or(0)
    }
}

fn shares(order: &OrderSummary, by: SalesBy) -> Vec<Share> {
    let whole = |group: String| Share {
        group,
        booked: order.total.minor,
        items: order.items,
        numerator: 1,
        denominator: 1,
    };
    match by {
        SalesBy::Bucket => vec![whole("all".to_owned())],
        SalesBy::Channel => vec![whole(order.channel_name().to_owned())],
        SalesBy::Category => {
            let lines_total: i128 = order.lines.iter().map(|l| i128::from(l.total.minor)).sum();
            let mut per: BTreeMap<String, (i64, u64)> = BTreeMap::new();
            for line in &order.lines {
                let name = line
                    .category
                    .clone()
                    .unwrap_or_else(|| "uncategorized".into());
                let entry = per.entry(name).or_default();
                entry.0 = entry.0.saturating_add(line.total.minor);
                entry.1 = entry.1.saturating_add(u64::from(line.quantity));
            }
            per.into_iter()
                .map(|(group, (value, items))| Share {
                    group,
                    booked: value,
                    items,
                    numerator: i128::from(value),
                    denominator: lines_total,
                })
                .collect()
        }
    }
}

impl SalesReport {
    /// Sales of every order in `activity` over `period`.
    pub fn compute(activity: &CustomerActivity, period: Period, by: SalesBy) -> Self {
        let spans = period.spans();
        let mut keys: BTreeSet<(String, Currency)> = BTreeSet::new();
        let mut cells: HashMap<(String, String, Currency), SalesRow> = HashMap::new();
        for order in activity.orders() {
            let currency = order.total.currency;
            for share in shares(order, by) {
                let group = &share.group;
                keys.insert((group.clone(), currency));
                if let Some(label) = period.label_of(order.placed_at) {
                    let r = cell(&mut cells, &label, group, currency);
                    r.placed += 1;
                    r.booked.minor = r.booked.minor.saturating_add(share.booked);
                    r.items = r.items.saturating_add(share.items);
                }
                if let Some(label) = order.delivered_at.and_then(|t| period.label_of(t)) {
                    cell(&mut cells, &label, group, currency).delivered += 1;
                }
                if let Some(label) = order.cancelled_at.and_then(|t| period.label_of(t)) {
                    cell(&mut cells, &label, group, currency).cancelled += 1;
                }
                for (t, amount) in &order.payments {
                    if let Some(label) = period.label_of(*t) {
                        let gross = &mut cell(&mut cells, &label, group, currency).gross;
                        gross.minor = gross.minor.saturating_add(share.of(amount.minor));
                    }
                }
                for (t, amount) in &order.refunds {
                    if let Some(label) = period.label_of(*t) {
                        let refunds = &mut cell(&mut cells, &label, group, currency).refunds;
                        refunds.minor = refunds.minor.saturating_add(share.of(amount.minor));
                    }
                }
            }
        }
        let mut all = Vec::new();
        let mut totals = Vec::new();
        for (group, currency) in &keys {
            let mut total = SalesRow::empty("total", group, *currency);
            for span in &spans {
                let mut r = cells
                    .remove(&(span.label.clone(), group.clone(), *currency))
                    .unwrap_or_else(|| SalesRow::empty(&span.label, group, *currency));
                total.add(&r);
                r.finish();
                all.push(r);
            }
            total.finish();
            totals.push(total);
        }
        let order_of = |label: &str| spans.iter().position(|s| s.label == label);
        all.sort_by(|a, b| {
            (order_of(&a.bucket), &a.group, a.currency).cmp(&(
                order_of(&b.bucket),
                &b.group,
                b.currency,
            ))
        });
        Self {
            period,
            by,
            rows: all,
            totals,
        }
    }
}

impl Tabular for SalesReport {
    fn tables(&self) -> Vec<Table> {
        let rows = self
            .rows
            .iter()
            .chain(&self.totals)
            .map(|r| {
                vec![
                    Cell::text(&r.bucket),
                    Cell::text(&r.group),
                    Cell::text(r.currency.code()),
                    Cell::count(r.placed),
                    Cell::count(r.delivered),
                    Cell::count(r.cancelled),
                    Cell::money(r.booked),
                    Cell::money(r.gross),
                    Cell::money(r.refunds),
                    Cell::money(r.net),
                    r.average_order_value.map_or(Cell::Empty, Cell::money),
                    Cell::decimal(r.items_per_order),
                ]
            })
            .collect();
        vec![Table {
            name: "sales",
            title: format!("Sales, {}", self.period),
            headers: vec![
                "bucket",
                "group",
                "currency",
                "placed",
                "delivered",
                "cancelled",
                "booked",
                "gross",
                "refunds",
                "net",
                "avg order",
                "items/order",
            ],
            rows,
        }]
    }
}
