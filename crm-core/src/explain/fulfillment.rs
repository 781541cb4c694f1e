//! The fulfillment report's figures ([`crate::report::fulfillment`]) traced to the order
//! events behind them: a stage's count, its median and 90th percentile, and a carrier's late
//! deliveries.
//!
//! A duration is explained in seconds (the report prints hours, the same figure ÷ 3 600), as
//! [`super::durations`] says.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::durations::{self, Duration, Statistic};
use super::traced::{Selection, Side};
use crate::ids::StreamId;
use crate::projection::{OrderSummary, Views};
use crate::report::Period;

/// A figure of the fulfillment report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentFigure {
    /// Orders whose stage ended in the period.
    Orders(Stage),
    /// The median duration of the stage, in seconds.
    Median(Stage),
    /// The nearest-rank 90th percentile of the stage's durations, in seconds.
    P90(Stage),
    /// Orders the carrier delivered in the period that had a promised date.
    Delivered(String),
    /// Of those, delivered after the promised date.
    Late(String),
    /// `late / delivered`.
    LateRate(String),
}

/// A stage of an order's way, as the report names its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Placed → paid in full.
    PlacedToPaid,
    /// Paid in full → shipped.
    PaidToShipped,
    /// Shipped → delivered.
    ShippedToDelivered,
    /// Placed → delivered.
    PlacedToDelivered,
}

/// An end of a stage: when, and the event that marks it.
type End = (DateTime<Utc>, &'static str);

impl Stage {
    /// Every stage, by the name the command line gives it.
    pub const ALL: [(&'static str, Self); 4] = [
        ("placed-paid", Self::PlacedToPaid),
        ("paid-shipped", Self::PaidToShipped),
        ("shipped-delivered", Self::ShippedToDelivered),
        ("placed-delivered", Self::PlacedToDelivered),
    ];

    /// The stage a name names.
    pub fn named(name: &str) -> Option<Self> {
        super::named_in(&Self::ALL, name)
    }

    fn name(self) -> &'static str {
        super::name_in(&Self::ALL, self)
    }

    /// The stage's start and end in `order`, as the report measures them.
    fn ends(self, order: &OrderSummary) -> Option<(End, End)> {
        let placed = (order.placed_at, "OrderPlaced");
        let paid = order.paid_in_full_at().map(|at| (at, "PaymentReceived"));
        let shipped = order.shipped_at.map(|at| (at, "OrderShipped"));
        let delivered = order.delivered_at.map(|at| (at, "OrderDelivered"));
        match self {
            Self::PlacedToPaid => Some((placed, paid?)),
            Self::PaidToShipped => Some((paid?, shipped?)),
            Self::ShippedToDelivered => Some((shipped?, delivered?)),
            Self::PlacedToDelivered => Some((placed, delivered?)),
        }
    }
}

/// The events behind `figure` of the fulfillment report over `period`, as `views` hold them.
pub(crate) fn select(views: &Views, period: &Period, figure: &FulfillmentFigure) -> Selection {
    use FulfillmentFigure as F;
    match figure {
        F::Orders(stage) | F::Median(stage) | F::P90(stage) => {
            stage_figure(views, period, figure, *stage)
        }
        F::Delivered(carrier) | F::Late(carrier) | F::LateRate(carrier) => {
            lateness(views, period, figure, carrier)
        }
    }
}

fn stage_figure(
    views: &Views,
    period: &Period,
    figure: &FulfillmentFigure,
    stage: Stage,
) -> Selection {
    let ended: Vec<Duration> = views
        .activity
        .orders()
        .filter_map(|o| {
            let ((start, started_by), (end, ended_by)) = stage.ends(o)?;
            let stream = StreamId::from(o.order_id);
            period.contains(end).then(|| Duration {
                start: (stream.clone(), started_by, start),
                end: (stream, ended_by, end),
            })
        })
        .collect();
    let what = format!("fulfillment {}, {period}", stage.name());
    match figure {
        FulfillmentFigure::Median(_) => durations::explained(&what, ended, Statistic::Median),
        FulfillmentFigure::P90(_) => durations::explained(&what, ended, Statistic::P90),
        _ => {
            let mut selection = Selection::sum(format!("{what}, orders"));
            for d in ended {
                selection.add(Side::Numerator, d.end.0, d.end.1, d.end.2, 1);
            }
            selection
        }
    }
}

fn lateness(
    views: &Views,
    period: &Period,
    figure: &FulfillmentFigure,
    carrier: &str,
) -> Selection {
    let (what, rate) = match figure {
        FulfillmentFigure::Delivered(_) => ("delivered", false),
        FulfillmentFigure::Late(_) => ("late", false),
        _ => ("late rate", true),
    };
    let what = format!("fulfillment {carrier}, {what}, {period}");
    let mut selection = if rate {
        Selection::rate(&what, "late", "delivered with a promised date")
    } else {
        Selection::sum(what)
    };
    for o in views.activity.orders() {
        let (Some(delivered), Some(promised), Some(by)) =
            (o.delivered_at, o.promised_delivery, &o.carrier)
        else {
            continue;
        };
        if by != carrier || !period.contains(delivered) {
            continue;
        }
        let late = delivered.with_timezone(&period.zone).date_naive() > promised;
        let stream = StreamId::from(o.order_id);
        let (numerator, denominator) = match figure {
            FulfillmentFigure::Delivered(_) => (Some(1), None),
            FulfillmentFigure::Late(_) => (late.then_some(1), None),
            _ => (Some(i64::from(late)), Some(1)),
        };
        selection.add_to_sides(
            &stream,
            "OrderDelivered",
            delivered,
            (numerator, denominator),
        );
    }
    selection
}
