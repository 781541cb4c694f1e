//! Explaining a figure: the events behind it and each one's part, which add up to it exactly
//! (money to the minor unit, counts to the unit); for a rate, its numerator's and its
//! denominator's events.
//!
//! An explanation is found by folding the log (up to a past point, with
//! [`crate::time_travel::AsOf`]) through the figure's own formula, event by event, as the
//! report's documentation states it; a test holds each against the report's figure on the
//! same log.

pub(crate) mod activity;
pub(crate) mod attribution;
pub(crate) mod card;
pub(crate) mod customers;
pub(crate) mod durations;
pub(crate) mod fulfillment;
pub(crate) mod mailings;
pub(crate) mod pipeline;
pub(crate) mod satisfaction;
pub(crate) mod traced;

pub use activity::ActivityFigure;
pub use attribution::{AttributionFigure, Touch};
pub use card::CardFigure;
pub use customers::CustomersFigure;
pub use fulfillment::{FulfillmentFigure, Stage};
pub use mailings::MailingFigure;
pub use pipeline::{DealGroup, PipelineFigure, RowFigure};
pub use satisfaction::SatisfactionFigure;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::event::{Event, RecordedEvent};
use crate::ids::{EventId, OrderId, StreamId};
use crate::money::Currency;
use crate::report::Period;

/// One event's part in a figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contribution {
    /// The event.
    pub event_id: EventId,
    /// Its position in the log.
    pub position: u64,
    /// Its stream.
    pub stream: StreamId,
    /// When it happened (business time).
    pub occurred_at: DateTime<Utc>,
    /// Its type, as the log names it.
    pub event_type: &'static str,
    /// What it adds: minor units of money, or units of a count; negative when it takes away.
    pub amount: i64,
}

/// A sum and the events it is the sum of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// What the figure is, in words.
    pub figure: String,
    /// The currency of a sum of money (`None` for a count).
    pub currency: Option<Currency>,
    /// The figure: the sum of the contributions' amounts.
    pub total: i64,
    /// The events behind it, in log order.
    pub contributions: Vec<Contribution>,
}

impl Explanation {
    pub(crate) fn new(figure: String, currency: Option<Currency>) -> Self {
        Self {
            figure,
            currency,
            total: 0,
            contributions: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, event: &RecordedEvent, amount: i64) {
        self.total = self.total.saturating_add(amount);
        self.contributions.push(Contribution {
            event_id: event.id,
            position: event.position,
            stream: event.stream.clone(),
            occurred_at: event.occurred_at,
            event_type: event.event.type_name(),
            amount,
        });
    }
}

/// A figure explained: a sum, or a rate of two sums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Explained {
    /// A count or a sum of money.
    Sum(Explanation),
    /// A ratio: `numerator / denominator` (an average order value, items per order).
    Rate {
        /// What is divided.
        numerator: Explanation,
        /// What it is divided by.
        denominator: Explanation,
    },
}

/// A figure of the sales report ([`crate::report::sales`]) by bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SalesFigure {
    /// Orders placed.
    Placed,
    /// Orders delivered.
    Delivered,
    /// Orders cancelled.
    Cancelled,
    /// The totals of the orders placed.
    Booked,
    /// Payments received.
    Gross,
    /// Refunds issued.
    Refunds,
    /// Payments less refunds.
    Net,
    /// `booked / placed`.
    AverageOrderValue,
    /// Units in the orders placed, per order placed.
    ItemsPerOrder,
}

impl SalesFigure {
    /// Every figure, by its column name in the report.
    pub const ALL: [(&'static str, Self); 9] = [
        ("placed", Self::Placed),
        ("delivered", Self::Delivered),
        ("cancelled", Self::Cancelled),
        ("booked", Self::Booked),
        ("gross", Self::Gross),
        ("refunds", Self::Refunds),
        ("net", Self::Net),
        ("average_order_value", Self::AverageOrderValue),
        ("items_per_order", Self::ItemsPerOrder),
    ];

    /// The figure a report column names.
    pub fn named(column: &str) -> Option<Self> {
        named_in(&Self::ALL, column)
    }

    fn name(self) -> &'static str {
        name_in(&Self::ALL, self)
    }
}

/// The value `name` names in a table of names and values.
fn named_in<T: Copy>(all: &[(&'static str, T)], name: &str) -> Option<T> {
    all.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// The name of `value` in a table of names and values (empty if it has none).
fn name_in<T: PartialEq>(all: &[(&'static str, T)], value: T) -> &'static str {
    all.iter().find(|(_, v)| *v == value).map_or("", |(n, _)| n)
}

/// Folds events into the explanation of one sales figure of one bucket and currency, by the
/// sales report's formulas: each event counts in the bucket of its own business time, a
/// payment or refund only for an order placed before it in the log, in the order's currency.
#[derive(Debug)]
pub struct SalesExplainer {
    period: Period,
    bucket: String,
    currency: Currency,
    figure: SalesFigure,
    orders: HashMap<OrderId, Currency>,
    numerator: Explanation,
    denominator: Explanation,
}

impl SalesExplainer {
    /// An explainer of `figure` for `bucket` (a label of `period`'s buckets) in `currency`.
    pub fn new(period: Period, bucket: &str, currency: Currency, figure: SalesFigure) -> Self {
        let what = |name: &str| format!("sales {name}, {bucket}, {currency}");
        let money = |name: &str| Explanation::new(what(name), Some(currency));
        let count = |name: &str| Explanation::new(what(name), None);
        let (numerator, denominator) = match figure {
            SalesFigure::AverageOrderValue => (money("booked"), count("placed")),
            SalesFigure::ItemsPerOrder => (count("items"), count("placed")),
            SalesFigure::Placed | SalesFigure::Delivered | SalesFigure::Cancelled => {
                (count(figure.name()), count(""))
            }
            _ => (money(figure.name()), count("")),
        };
        Self {
            period,
            bucket: bucket.to_owned(),
            currency,
            figure,
            orders: HashMap::new(),
            numerator,
            denominator,
        }
    }

    /// Takes in the next event of the log.
    pub fn apply(&mut self, event: &RecordedEvent) {
        use SalesFigure as F;
        let in_bucket = self.period.label_of(event.occurred_at).as_deref() == Some(&self.bucket);
        let ours = |orders: &HashMap<OrderId, Currency>, id: &OrderId, currency: Currency| {
            orders.get(id) == Some(&currency)
        };
        match &event.event {
            Event::OrderPlaced(e) => {
                self.orders.insert(e.order.order_id, e.total.currency);
                if !in_bucket || e.total.currency != self.currency {
                    return;
                }
                let items = e
                    .order
                    .lines
                    .iter()
                    .fold(0i64, |n, l| n.saturating_add(i64::from(l.quantity)));
                match self.figure {
                    F::Placed => self.numerator.add(event, 1),
                    F::Booked => self.numerator.add(event, e.total.minor),
                    F::AverageOrderValue => {
                        self.numerator.add(event, e.total.minor);
                        self.denominator.add(event, 1);
                    }
                    F::ItemsPerOrder => {
                        self.numerator.add(event, items);
                        self.denominator.add(event, 1);
                    }
                    _ => {}
                }
            }
            Event::PaymentReceived(e)
                if in_bucket && ours(&self.orders, &e.order_id, self.currency) =>
            {
                if matches!(self.figure, F::Gross | F::Net) {
                    self.numerator.add(event, e.amount.minor);
                }
            }
            Event::RefundIssued(e)
                if in_bucket && ours(&self.orders, &e.order_id, self.currency) =>
            {
                match self.figure {
                    F::Refunds => self.numerator.add(event, e.amount.minor),
                    F::Net => self.numerator.add(event, e.amount.minor.saturating_neg()),
                    _ => {}
                }
            }
            Event::OrderDelivered(e)
                if in_bucket
                    && self.figure == F::Delivered
                    && ours(&self.orders, &e.order_id, self.currency) =>
            {
                self.numerator.add(event, 1);
            }
            Event::OrderCancelled(e)
                if in_bucket
                    && self.figure == F::Cancelled
                    && ours(&self.orders, &e.order_id, self.currency) =>
            {
                self.numerator.add(event, 1);
            }
            _ => {}
        }
    }

    /// The explanation of everything taken in.
    pub fn finish(self) -> Explained {
        match self.figure {
            SalesFigure::AverageOrderValue | SalesFigure::ItemsPerOrder => Explained::Rate {
                numerator: self.numerator,
                denominator: self.denominator,
            },
            _ => Explained::Sum(self.numerator),
        }
    }
}

/// A figure of a board's column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardFigure {
    /// How many open deals the stage holds.
    Count,
    /// The sum of their amounts.
    Total,
    /// The sum of `amount × probability / 100`, each rounded to the minor unit.
    Weighted,
}

impl BoardFigure {
    /// The figure a name (`count`, `total`, `weighted`) names.
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "count" => Some(Self::Count),
            "total" => Some(Self::Total),
            "weighted" => Some(Self::Weighted),
            _ => None,
        }
    }
}
