//! The customers report: how many customers are new, active, repeat buyers and churning; how
//! lifetime value is spread; RFM segments; and who has lapsed.
//!
//! Orders here are orders placed and not cancelled; a contact merged into another counts as
//! the survivor. Formulas:
//! - Per bucket: `new` customers placed their first order in it; `active` ones placed at
//!   least one; `churn = |active in the previous bucket but not in this one| / |active in the
//!   previous bucket|` (none for the first bucket or an empty previous one).
//! - `repeat_rate = |customers with ≥ 2 orders in the period| / |customers with ≥ 1|`.
//! - Lifetime value at the period's end (payments minus refunds before it), per currency,
//!   over customers who have paid anything in it: quintile edges by nearest rank
//!   (minimum, 20th, 40th, 60th, 80th percentile, maximum).
//! - RFM, over customers with an order before the period's end: recency (days since the last
//!   order), frequency (orders) and monetary (lifetime value in their first order's currency)
//!   are each scored 1–5 by quintile: sorted from worst to best (longest silence first), the
//!   customer at 0-based position `i` of `n` scores `1 + ⌊5 i / n⌋` (ties share the lower
//!   position's score). Segments: Champions (R ≥ 4, F ≥ 4), Loyal (F ≥ 4), New (R ≥ 4,
//!   F = 1), At risk (R ≤ 2, F ≥ 3), Lost (R ≤ 2), otherwise Needs attention.
//! - Lapsed: see `Views::lapsed`, at the period's end with the report's `k`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::render::{Cell, Table, Tabular};
use super::stats::{percentile, ratio};
use super::Period;
use crate::domain::order::Fulfillment;
use crate::ids::CustomerId;
use crate::money::{Currency, Money};
use crate::projection::{LapsedCustomer, OrderSummary, Views};

/// Customers in one bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerBucket {
    /// The bucket's label.
    pub bucket: String,
    /// First order in this bucket.
    pub new: usize,
    /// At least one order in this bucket.
    pub active: usize,
    /// Share of the previous bucket's active customers not active in this one.
    pub churn: Option<f64>,
}

/// How lifetime value is spread in one currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueSpread {
    /// The currency.
    pub currency: Currency,
    /// Customers who paid anything in it.
    pub customers: usize,
    /// Minimum, 20th, 40th, 60th, 80th percentile and maximum, in minor units.
    pub edges: [i64; 6],
}

/// A customer's RFM scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rfm {
    /// The customer.
    pub customer: CustomerId,
    /// Their name.
    pub name: String,
    /// Days since the last order at the period's end.
    pub recency_days: f64,
    /// Orders.
    pub frequency: usize,
    /// Lifetime value in their first order's currency.
    pub monetary: Money,
    /// Scores 1–5: recency, frequency, monetary.
    pub scores: [u8; 3],
    /// The named segment.
    pub segment: &'static str,
}

/// Customers over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomersReport {
    /// The period.
    pub period: Period,
    /// Per bucket, in order.
    pub buckets: Vec<CustomerBucket>,
    /// Customers with two or more orders in the period over customers with one or more.
    pub repeat_rate: Option<f64>,
    /// Lifetime value spread, per currency.
    pub lifetime_value: Vec<ValueSpread>,
    /// RFM scores, best segments first, then by name.
    pub rfm: Vec<Rfm>,
    /// The `k` of the lapsed list.
    pub lapsed_k: f64,
    /// Customers silent for more than `k` of their usual gaps at the period's end.
    pub lapsed: Vec<LapsedCustomer>,
}

struct Customer {
    id: CustomerId,
    name: String,
    placed: Vec<DateTime<Utc>>,
    currency: Option<Currency>,
    value: BTreeMap<Currency, i64>,
}

/// What a customer's `orders` brought in before `end`, per currency (of each order): payments
/// less refunds.
pub(crate) fn lifetime_value(
    orders: &[OrderSummary],
    end: DateTime<Utc>,
) -> BTreeMap<Currency, i64> {
    let mut value = BTreeMap::new();
    for o in orders {
        let moves = o
            .payments
            .iter()
            .map(|(t, m)| (*t, m.minor))
            .chain(o.refunds.iter().map(|(t, m)| (*t, -m.minor)));
        for (_, minor) in moves.filter(|(t, _)| *t < end) {
            let sum: &mut i64 = value.entry(o.total.currency).or_insert(0);
            *sum = sum.saturating_add(minor);
        }
    }
    value
}

/// Scores 1–5 by quintile of `values`, higher values better; ties share a score.
fn quintiles(values: &[f64]) -> Vec<u8> {
    let n = values.len();
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|w| w < v);
            1 + (5 * below / n.max(1)) as u8
        })
        .collect()
}

fn segment([r, f, _]: [u8; 3]) -> &'static str {
    match (r, f) {
        (4.., 4..) => "Champions",
        (_, 4..) => "Loyal",
        (4.., 1) => "New",
        (..=2, 3..) => "At risk",
        (..=2, _) => "Lost",
        _ => "Needs attention",
    }
}

impl CustomersReport {
    /// The report over `period`, with lapsed customers silent for more than `k` gaps.
    pub fn compute(views: &Views, period: Period, k: f64) -> Self {
        let survivors: BTreeSet<CustomerId> = views
            .activity
            .customers()
            .map(|(c, _)| views.cards.survivor(*c))
            .collect();
        let customers: Vec<Customer> = survivors
            .into_iter()
            .map(|id| {
                let summary = views.summary(id);
                let mut placed: Vec<DateTime<Utc>> = summary
                    .orders
                    .iter()
                    .filter(|o| o.fulfillment != Fulfillment::Cancelled && o.placed_at < period.to)
                    .map(|o| o.placed_at)
                    .collect();
                placed.sort();
                let value = lifetime_value(&summary.orders, period.to);
                let first_currency = summary.orders.last().map(|o| o.total.currency);
                Customer {
                    name: views.cards.name(id).unwrap_or_else(|| id.to_string()),
                    id,
                    placed,
                    currency: first_currency,
                    value,
                }
            })
            .collect();
        let spans = period.spans();
        let active_in = |from, to| -> BTreeSet<CustomerId> {
            customers
                .iter()
                .filter(|c| c.placed.iter().any(|t| *t >= from && *t < to))
                .map(|c| c.id)
                .collect()
        };
        let mut buckets = Vec::new();
        let mut previous: Option<BTreeSet<CustomerId>> = None;
        for span in &spans {
            let active = active_in(span.from, span.to);
            let new = customers
                .iter()
                .filter(|c| {
                    c.placed
                        .first()
                        .is_some_and(|t| *t >= span.from && *t < span.to)
                })
                .count();
            let churn = previous.as_ref().and_then(|prev| {
                ratio(
                    prev.iter().filter(|c| !active.contains(c)).count(),
                    prev.len(),
                )
            });
            buckets.push(CustomerBucket {
                bucket: span.label.clone(),
                new,
                active: active.len(),
                churn,
            });
            previous = Some(active);
        }
        let in_period = |c: &Customer| c.placed.iter().filter(|t| period.contains(**t)).count();
        let buyers = customers.iter().filter(|c| in_period(c) >= 1).count();
        let repeaters = customers.iter().filter(|c| in_period(c) >= 2).count();
        let mut spread: BTreeMap<Currency, Vec<f64>> = BTreeMap::new();
        for c in &customers {
            for (currency, minor) in &c.value {
                if *minor != 0 {
                    spread.entry(*currency).or_default().push(*minor as f64);
                }
            }
        }
        let lifetime_value = spread
            .into_iter()
            .map(|(currency, values)| {
                let edge = |q: f64| percentile(&values, q).unwrap_or(0.0) as i64;
                ValueSpread {
                    currency,
                    customers: values.len(),
                    edges: [
                        edge(0.0),
                        edge(0.2),
                        edge(0.4),
                        edge(0.6),
                        edge(0.8),
                        edge(1.0),
                    ],
                }
            })
            .collect();
        let scored: Vec<&Customer> = customers.iter().filter(|c| !c.placed.is_empty()).collect();
        let recency: Vec<f64> = scored
            .iter()
            .map(|c| {
                c.placed
                    .last()
                    .map_or(0.0, |t| (period.to - *t).num_seconds() as f64 / 86_400.0)
            })
            .collect();
        let frequency: Vec<f64> = scored.iter().map(|c| c.placed.len() as f64).collect();
        let monetary: Vec<Money> = scored
            .iter()
            .map(|c| {
                let currency = c
                    .currency
                    .unwrap_or_else(|| Currency::new("XXX").unwrap_or_else(|_| unreachable!()));
                Money::new(c.value.get(&currency).copied().unwrap_or(0), currency)
            })
            .collect();
        let (r, f, m) = (
            quintiles(&recency.iter().map(|d| -d).collect::<Vec<_>>()),
            quintiles(&frequency),
            quintiles(&monetary.iter().map(|m| m.minor as f64).collect::<Vec<_>>()),
        );
        let mut rfm: Vec<Rfm> = scored
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let scores = [r[i], f[i], m[i]];
                Rfm {
                    customer: c.id,
                    name: c.name.clone(),
                    recency_days: recency[i],
                    frequency: c.placed.len(),
                    monetary: monetary[i],
                    scores,
                    segment: segment(scores),
                }
            })
            .collect();
        let rank = |s: &str| {
            [
                "Champions",
                "Loyal",
                "New",
                "Needs attention",
                "At risk",
                "Lost",
            ]
            .iter()
            .position(|x| *x == s)
        };
        rfm.sort_by(|a, b| (rank(a.segment), &a.name).cmp(&(rank(b.segment), &b.name)));
        Self {
            period,
            buckets,
            repeat_rate: ratio(repeaters, buyers),
            lifetime_value,
            rfm,
            lapsed_k: k,
            lapsed: views.lapsed(k, period.to),
        }
    }
}

impl Tabular for CustomersReport {
    fn tables(&self) -> Vec<Table> {
        vec![
            Table {
                name: "buckets",
                title: format!(
                    "Customers, {}; repeat-purchase rate {}",
                    self.period,
                    self.repeat_rate
                        .map_or_else(|| "—".to_owned(), |r| format!("{:.1} %", r * 100.0))
                ),
                headers: vec!["bucket", "new", "active", "churn %"],
                rows: self
                    .buckets
                    .iter()
                    .map(|b| {
                        vec![
                            Cell::text(&b.bucket),
                            Cell::count(b.new),
                            Cell::count(b.active),
                            Cell::percent(b.churn),
                        ]
                    })
                    .collect(),
            },
            Table {
                name: "lifetime-value",
                title: "Lifetime value spread".into(),
                headers: vec![
                    "currency",
                    "customers",
                    "min",
                    "p20",
                    "p40",
                    "p60",
                    "p80",
                    "max",
                ],
                rows: self
                    .lifetime_value
                    .iter()
                    .map(|s| {
                        let mut row = vec![Cell::text(s.currency.code()), Cell::count(s.customers)];
                        row.extend(
                            s.edges
                                .iter()
                                .map(|e| Cell::money(Money::new(*e, s.currency))),
                        );
                        row
                    })
                    .collect(),
            },
            Table {
                name: "rfm",
                title: "RFM segments".into(),
                headers: vec![
                    "customer",
                    "segment",
                    "R",
                    "F",
                    "M",
                    "days since",
                    "orders",
                    "value",
                ],
                rows: self
                    .rfm
                    .iter()
                    .map(|c| {
                        vec![
                            Cell::text(&c.name),
                            Cell::text(c.segment),
                            Cell::count(c.scores[0].into()),
                            Cell::count(c.scores[1].into()),
                            Cell::count(c.scores[2].into()),
                            Cell::decimal(Some(c.recency_days)),
                            Cell::count(c.frequency),
                            Cell::text(c.monetary.to_string()),
                        ]
                    })
                    .collect(),
            },
            Table {
                name: "lapsed",
                title: format!(
                    "Lapsed: silent for more than {} of their usual gaps",
                    self.lapsed_k
                ),
                headers: vec![
                    "customer",
                    "orders",
                    "usual gap days",
                    "silent days",
                    "gaps",
                ],
                rows: self
                    .lapsed
                    .iter()
                    .map(|l| {
                        vec![
                            Cell::text(&l.name),
                            Cell::count(l.orders),
                            Cell::decimal(Some(l.average_gap_days)),
                            Cell::decimal(Some(l.days_since_last_order)),
                            Cell::decimal(Some(l.silence)),
                        ]
                    })
                    .collect(),
            },
        ]
    }
}
