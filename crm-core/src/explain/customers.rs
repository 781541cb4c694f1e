//! The customers report's figures ([`crate::report::customers`]) traced to the orders behind
//! them: a bucket's new and active customers and its churn, the period's repeat-purchase
//! rate, and a customer's RFM frequency and monetary value.
//!
//! A customer counts once in a count, by one order: a new customer by their first order, an
//! active one by their first order in the bucket, a churned one by their last order in the
//! bucket before, a repeat buyer by their second order in the period. As in the report,
//! orders are the ones placed and not cancelled, before the period's end, and a contact
//! merged into another counts as the survivor.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::traced::{Selection, Side};
use crate::domain::order::Fulfillment;
use crate::ids::{CustomerId, OrderId, StreamId};
use crate::money::Currency;
use crate::projection::Views;
use crate::report::customers::lifetime_value;
use crate::report::stats::nearest_rank;
use crate::report::Period;

/// A figure of the customers report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomersFigure {
    /// Customers whose first order is in the bucket (its label).
    New(String),
    /// Customers with an order in the bucket.
    Active(String),
    /// Of the customers active in the bucket before, those not active in this one, over
    /// those active in the bucket before.
    Churn(String),
    /// Customers with two orders or more in the period, over those with one or more.
    RepeatRate,
    /// The seconds from a customer's last order to the period's end (RFM recency, which the
    /// report gives in days): that order's `OrderPlaced`, carrying them.
    Recency(CustomerId),
    /// A customer's orders before the period's end (RFM frequency).
    Frequency(CustomerId),
    /// A customer's payments less refunds before the period's end, in the currency of their
    /// first order (RFM monetary).
    Monetary(CustomerId),
    /// An edge of the lifetime-value spread in a currency (0 the minimum, 1–4 the 20th to
    /// 80th percentile, 5 the maximum): the customer at that nearest rank, by their payments
    /// and refunds in it before the period's end.
    ValueEdge(Currency, usize),
}

/// A customer's orders as the report counts them: placed before the period's end and not
/// cancelled, oldest first (ties by order id).
fn orders_of(
    views: &Views,
    customer: CustomerId,
    end: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, OrderId)> {
    let mut placed: Vec<(DateTime<Utc>, OrderId)> = views
        .summary(customer)
        .orders
        .iter()
        .filter(|o| o.fulfillment != Fulfillment::Cancelled && o.placed_at < end)
        .map(|o| (o.placed_at, o.order_id))
        .collect();
    placed.sort();
    placed
}

/// Every customer the report counts: those with activity, a merged contact as its survivor.
fn survivors(views: &Views) -> BTreeSet<CustomerId> {
    views
        .activity
        .customers()
        .map(|(c, _)| views.cards.survivor(*c))
        .collect()
}

/// The events behind `figure` of the customers report over `period`, as `views` hold them.
pub(crate) fn select(views: &Views, period: &Period, figure: &CustomersFigure) -> Selection {
    use CustomersFigure as F;
    // Every customer's orders, for the figures over all of them.
    let everyone = || -> Vec<Vec<(DateTime<Utc>, OrderId)>> {
        survivors(views)
            .iter()
            .map(|c| orders_of(views, *c, period.to))
            .collect()
    };
    let placed = |selection: &mut Selection, side, (at, order): (DateTime<Utc>, OrderId)| {
        selection.add(side, StreamId::from(order), "OrderPlaced", at, 1);
    };
    let spans = period.spans();
    let span_of = |label: &str| spans.iter().position(|s| s.label == label);
    let first_in = |orders: &[(DateTime<Utc>, OrderId)], from, to| {
        orders.iter().copied().find(|(t, _)| *t >= from && *t < to)
    };
    match figure {
        F::New(bucket) | F::Active(bucket) => {
            let mut selection = Selection::sum(format!(
                "customers {}, {bucket}",
                match figure {
                    F::New(_) => "new",
                    _ => "active",
                }
            ));
            let Some(span) = span_of(bucket).and_then(|i| spans.get(i)) else {
                return selection;
            };
            for orders in &everyone() {
                let counted = match figure {
                    F::New(_) => orders
                        .first()
                        .copied()
                        .filter(|(t, _)| *t >= span.from && *t < span.to),
                    _ => first_in(orders, span.from, span.to),
                };
                if let Some(order) = counted {
                    placed(&mut selection, Side::Numerator, order);
                }
            }
            selection
        }
        F::Churn(bucket) => {
            let mut selection = Selection::rate(
                &format!("customers churn, {bucket}"),
                "active in the bucket before, not in this one",
                "active in the bucket before",
            );
            let Some(i) = span_of(bucket).filter(|i| *i > 0) else {
                return selection;
            };
            let (before, this) = (&spans[i - 1], &spans[i]);
            for orders in &everyone() {
                let Some(then) = first_in(orders, before.from, before.to) else {
                    continue;
                };
                placed(&mut selection, Side::Denominator, then);
                if first_in(orders, this.from, this.to).is_none() {
                    let last = orders
                        .iter()
                        .copied()
                        .rfind(|(t, _)| *t >= before.from && *t < before.to)
                        .unwrap_or(then);
                    placed(&mut selection, Side::Numerator, last);
                }
            }
            selection
        }
        F::RepeatRate => {
            let mut selection = Selection::rate(
                &format!("customers repeat rate, {period}"),
                "with two orders or more",
                "with an order",
            );
            for orders in &everyone() {
                let mut within = orders.iter().copied().filter(|(t, _)| period.contains(*t));
                if let Some(first) = within.next() {
                    placed(&mut selection, Side::Denominator, first);
                }
                if let Some(second) = within.next() {
                    placed(&mut selection, Side::Numerator, second);
                }
            }
            selection
        }
        F::Frequency(customer) => {
            let survivor = views.cards.survivor(*customer);
            let mut selection =
                Selection::sum(format!("customers frequency of {survivor}, {period}"));
            for order in orders_of(views, survivor, period.to) {
                placed(&mut selection, Side::Numerator, order);
            }
            selection
        }
        F::Recency(customer) => {
            let survivor = views.cards.survivor(*customer);
            let mut selection = Selection::sum(format!(
                "customers recency of {survivor} in seconds, {period}"
            ));
            if let Some((at, order)) = orders_of(views, survivor, period.to).last().copied() {
                let seconds = (period.to - at).num_seconds();
                selection.add(
                    Side::Numerator,
                    StreamId::from(order),
                    "OrderPlaced",
                    at,
                    seconds,
                );
            }
            selection
        }
        F::Monetary(customer) => monetary(views, period, views.cards.survivor(*customer)),
        F::ValueEdge(currency, edge) => value_edge(views, period, *currency, *edge),
    }
}

/// The customer at an edge of the lifetime-value spread, as the report ranks them: every
/// customer who paid anything in `currency` by the period's end, by that value (ties by id),
/// at the nearest rank of the edge's quantile.
fn value_edge(views: &Views, period: &Period, currency: Currency, edge: usize) -> Selection {
    let names = [
        "minimum",
        "20th percentile",
        "40th percentile",
        "60th percentile",
        "80th percentile",
        "maximum",
    ];
    let name = names.get(edge).copied().unwrap_or("no edge");
    let mut selection = Selection::money(
        format!("customers lifetime value {name} in {currency}, {period}"),
        currency,
    );
    if edge >= names.len() {
        return selection;
    }
    let mut valued: Vec<(i64, CustomerId)> = survivors(views)
        .into_iter()
        .filter_map(|customer| {
            let value = lifetime_value(&views.summary(customer).orders, period.to);
            let value = value.get(&currency).copied().filter(|v| *v != 0)?;
            Some((value, customer))
        })
        .collect();
    valued.sort();
    let Some((_, customer)) =
        nearest_rank(valued.len(), edge as f64 / 5.0).and_then(|at| valued.get(at))
    else {
        return selection;
    };
    let in_currency = |o: &&crate::projection::OrderSummary| o.total.currency == currency;
    for o in views.summary(*customer).orders.iter().filter(in_currency) {
        selection.add_payments(o, currency, |at| at < period.to);
    }
    selection
}

fn monetary(views: &Views, period: &Period, customer: CustomerId) -> Selection {
    let summary = views.summary(customer);
    // The report values a customer in the currency of their first order (the summary lists
    // orders newest first).
    let currency: Option<Currency> = summary.orders.last().map(|o| o.total.currency);
    let what = format!("customers monetary of {customer}, {period}");
    let Some(currency) = currency else {
        return Selection::sum(what);
    };
    let mut selection = Selection::money(what, currency);
    for o in &summary.orders {
        selection.add_payments(o, currency, |at| at < period.to);
    }
    selection
}
