//! The fulfillment report: how long orders take to get paid, shipped and delivered, which
//! carriers deliver late, and which orders are stuck.
//!
//! Formulas:
//! - Each stage (placed → paid, paid → shipped, shipped → delivered, placed → delivered) is
//!   measured over the orders whose stage *ended* in the period, in hours: "paid" is when the
//!   payments first covered the total. `median` is the middle value (the mean of the two middle
//!   values for an even count); `p90` is the nearest-rank 90th percentile: the value at
//!   position ⌈0.9 n⌉ of the sorted durations.
//! - Late deliveries, per carrier, over orders delivered in the period that had a promised
//!   date: late when the delivery's local date (in the period's zone) is after the promised
//!   date; `late_rate = late / delivered_with_promise`.
//! - Stuck orders: orders that, as they stand now, are placed, in preparation or shipped, and
//!   entered that state at least `threshold_days` before the period's end.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::render::{Cell, Table, Tabular};
use super::stats::{median, percentile, ratio};
use super::Period;
use crate::domain::order::Fulfillment;
use crate::ids::{CustomerId, OrderId};
use crate::projection::{CustomerActivity, OrderSummary};

/// Durations of one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageTime {
    /// "placed → paid", ...
    pub stage: &'static str,
    /// Orders whose stage ended in the period.
    pub orders: usize,
    /// Median hours.
    pub median_hours: Option<f64>,
    /// 90th percentile hours (nearest rank).
    pub p90_hours: Option<f64>,
}

/// One carrier's punctuality.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CarrierLateness {
    /// The carrier.
    pub carrier: String,
    /// Orders delivered in the period that had a promised date.
    pub delivered: usize,
    /// Of those, delivered after the promised date.
    pub late: usize,
    /// `late / delivered`.
    pub late_rate: Option<f64>,
}

/// An order that has not moved for too long.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StuckOrder {
    /// The order.
    pub order_id: OrderId,
    /// Who ordered.
    pub customer: CustomerId,
    /// Where it is stuck.
    pub state: Fulfillment,
    /// Since when.
    pub since: DateTime<Utc>,
    /// Days from then to the period's end.
    pub days: f64,
}

/// How orders moved during a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FulfillmentReport {
    /// The period.
    pub period: Period,
    /// Each stage's durations.
    pub stages: Vec<StageTime>,
    /// Late deliveries per carrier, by name.
    pub carriers: Vec<CarrierLateness>,
    /// How long an order may rest in a state before it counts as stuck.
    pub threshold_days: i64,
    /// Stuck orders, longest first.
    pub stuck: Vec<StuckOrder>,
}

fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 3600.0
}

type StageEnds = fn(&OrderSummary) -> Option<(DateTime<Utc>, DateTime<Utc>)>;

fn stages() -> [(&'static str, StageEnds); 4] {
    [
        ("placed → paid", |o| {
            Some((o.placed_at, o.paid_in_full_at()?))
        }),
        ("paid → shipped", |o| {
            Some((o.paid_in_full_at()?, o.shipped_at?))
        }),
        ("shipped → delivered", |o| {
            Some((o.shipped_at?, o.delivered_at?))
        }),
        ("placed → delivered", |o| {
            Some((o.placed_at, o.delivered_at?))
        }),
    ]
}

impl FulfillmentReport {
    /// The report over `period`; orders resting `threshold_days` or more count as stuck.
    pub fn compute(activity: &CustomerActivity, period: Period, threshold_days: i64) -> Self {
        let orders: Vec<&OrderSummary> = activity.orders().collect();
        let stage_times = stages()
            .into_iter()
            .map(|(stage, ends)| {
                let durations: Vec<f64> = orders
                    .iter()
                    .filter_map(|o| ends(o))
                    .filter(|(_, end)| period.contains(*end))
                    .map(|(start, end)| hours(start, end))
                    .collect();
                StageTime {
                    stage,
                    orders: durations.len(),
                    median_hours: median(&durations),
                    p90_hours: percentile(&durations, 0.9),
                }
            })
            .collect();
        let mut carriers: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for o in &orders {
            let (Some(delivered), Some(promised), Some(carrier)) =
                (o.delivered_at, o.promised_delivery, &o.carrier)
            else {
                continue;
            };
            if period.contains(delivered) {
                let entry = carriers.entry(carrier.clone()).or_default();
                entry.0 += 1;
                if delivered.with_timezone(&period.zone).date_naive() > promised {
                    entry.1 += 1;
                }
            }
        }
        let cutoff = period.to - TimeDelta::days(threshold_days);
        let mut stuck: Vec<StuckOrder> = orders
            .iter()
            .filter_map(|o| {
                let since = match o.fulfillment {
                    Fulfillment::Placed => o.placed_at,
                    Fulfillment::InPreparation => o.preparing_at?,
                    Fulfillment::Shipped => o.shipped_at?,
                    _ => return None,
                };
                (since <= cutoff).then(|| StuckOrder {
                    order_id: o.order_id,
                    customer: o.customer,
                    state: o.fulfillment,
                    since,
                    days: hours(since, period.to) / 24.0,
                })
            })
            .collect();
        stuck.sort_by_key(|s| (s.since, s.order_id));
        Self {
            period,
            stages: stage_times,
            carriers: carriers
                .into_iter()
                .map(|(carrier, (delivered, late))| CarrierLateness {
                    carrier,
                    delivered,
                    late,
                    late_rate: ratio(late, delivered),
                })
                .collect(),
            threshold_days,
            stuck,
        }
    }
}

impl Tabular for FulfillmentReport {
    fn tables(&self) -> Vec<Table> {
        vec![
            Table {
                name: "stages",
                title: format!("Fulfillment, {}", self.period),
                headers: vec!["stage", "orders", "median hours", "p90 hours"],
                rows: self
                    .stages
                    .iter()
                    .map(|s| {
                        vec![
                            Cell::text(s.stage),
                            Cell::count(s.orders),
                            Cell::decimal(s.median_hours),
                            Cell::decimal(s.p90_hours),
                        ]
                    })
                    .collect(),
            },
            Table {
                name: "carriers",
                title: "Late deliveries by carrier".into(),
                headers: vec!["carrier", "delivered", "late", "late %"],
                rows: self
                    .carriers
                    .iter()
                    .map(|c| {
                        vec![
                            Cell::text(&c.carrier),
                            Cell::count(c.delivered),
                            Cell::count(c.late),
                            Cell::percent(c.late_rate),
                        ]
                    })
                    .collect(),
            },
            Table {
                name: "stuck",
                title: format!("Stuck for {} days or more", self.threshold_days),
                headers: vec!["order", "state", "since", "days"],
                rows: self
                    .stuck
                    .iter()
                    .map(|s| {
                        vec![
                            Cell::text(s.order_id.to_string()),
                            Cell::text(s.state.to_string()),
                            Cell::text(s.since.format("%Y-%m-%d %H:%M").to_string()),
                            Cell::decimal(Some(s.days)),
                        ]
                    })
                    .collect(),
            },
        ]
    }
}
