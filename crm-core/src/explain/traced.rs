//! What a figure counts, as the report selects it from the views: each item's part in the
//! figure and where in the log to find the event that put the item there.

use chrono::{DateTime, Utc};

use crate::ids::StreamId;
use crate::money::{Currency, Money};
use crate::projection::OrderSummary;

/// Which side of a rate a part counts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Side {
    /// A sum's only side, or a rate's numerator.
    Numerator,
    /// A rate's denominator.
    Denominator,
}

/// Which event of a stream a part is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Find {
    /// One of this type (as [`crate::event::Event::type_name`] names it) that happened at
    /// this business time: the oldest not used yet.
    Typed(&'static str, DateTime<Utc>),
    /// The latest of any type: the one that left the item as it stands (a task's due date
    /// and assignee).
    Latest,
    /// The latest of this type, whenever it happened (a message's delivery, whose time is
    /// the sender's, not the event's).
    LatestOf(&'static str),
}

/// One event's part, to be found on its stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// The stream the event is on.
    pub(crate) stream: StreamId,
    /// Which of its events.
    pub(crate) find: Find,
    /// What it adds.
    pub(crate) amount: i64,
    /// Where it adds it.
    pub(crate) side: Side,
}

/// A figure's parts, before their events are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selection {
    /// What the figure (or a rate's numerator) is, in words.
    pub(crate) figure: String,
    /// A rate's denominator, in words; `None` for a sum.
    pub(crate) denominator: Option<String>,
    /// The currency of a sum of money, or of a rate's numerator (`None` for a count).
    pub(crate) currency: Option<Currency>,
    /// The currency of a rate's denominator when it is money (a campaign's cost).
    pub(crate) denominator_currency: Option<Currency>,
    /// The parts, on both sides.
    pub(crate) parts: Vec<Part>,
}

impl Selection {
    /// A sum.
    pub(crate) fn sum(figure: String) -> Self {
        Self {
            figure,
            denominator: None,
            currency: None,
            denominator_currency: None,
            parts: Vec::new(),
        }
    }

    /// A sum of money in `currency`.
    pub(crate) fn money(figure: String, currency: Currency) -> Self {
        Self {
            currency: Some(currency),
            ..Self::sum(figure)
        }
    }

    /// A rate of `figure`: `numerator` over `denominator`.
    pub(crate) fn rate(figure: &str, numerator: &str, denominator: &str) -> Self {
        Self {
            figure: format!("{figure}: {numerator}"),
            denominator: Some(format!("{figure}: {denominator}")),
            currency: None,
            denominator_currency: None,
            parts: Vec::new(),
        }
    }

    pub(crate) fn add(
        &mut self,
        side: Side,
        stream: StreamId,
        event_type: &'static str,
        occurred_at: DateTime<Utc>,
        amount: i64,
    ) {
        self.parts.push(Part {
            stream,
            find: Find::Typed(event_type, occurred_at),
            amount,
            side,
        });
    }

    /// Adds one event to either side or both: what it adds to the numerator and to the
    /// denominator, where it counts there.
    pub(crate) fn add_to_sides(
        &mut self,
        stream: &StreamId,
        event_type: &'static str,
        occurred_at: DateTime<Utc>,
        (numerator, denominator): (Option<i64>, Option<i64>),
    ) {
        let find = Find::Typed(event_type, occurred_at);
        self.add_to_sides_found(stream, find, (numerator, denominator));
    }

    /// [`Selection::add_to_sides`] for an event that `find` names.
    pub(crate) fn add_to_sides_found(
        &mut self,
        stream: &StreamId,
        find: Find,
        (numerator, denominator): (Option<i64>, Option<i64>),
    ) {
        for (side, amount) in [
            (Side::Numerator, numerator),
            (Side::Denominator, denominator),
        ] {
            if let Some(amount) = amount {
                self.add_found(side, stream.clone(), find.clone(), amount);
            }
        }
    }

    /// Adds the latest event of `stream` that `find` names.
    pub(crate) fn add_found(&mut self, side: Side, stream: StreamId, find: Find, amount: i64) {
        self.parts.push(Part {
            stream,
            find,
            amount,
            side,
        });
    }

    /// Adds an order's payments (each `PaymentReceived`, plus) and refunds (each
    /// `RefundIssued`, minus) in `currency` at the instants `when` keeps.
    pub(crate) fn add_payments(
        &mut self,
        order: &OrderSummary,
        currency: Currency,
        when: impl Fn(DateTime<Utc>) -> bool,
    ) {
        let stream = StreamId::from(order.order_id);
        let moves = order
            .payments
            .iter()
            .map(|(at, m)| (*at, *m, "PaymentReceived", m.minor))
            .chain(
                order
                    .refunds
                    .iter()
                    .map(|(at, m)| (*at, *m, "RefundIssued", m.minor.saturating_neg())),
            );
        for (at, money, event_type, amount) in moves {
            if money.currency == currency && when(at) {
                self.add(Side::Numerator, stream.clone(), event_type, at, amount);
            }
        }
    }

    /// Adds the latest event of `stream`.
    pub(crate) fn add_latest(&mut self, side: Side, stream: StreamId, amount: i64) {
        self.add_found(side, stream, Find::Latest, amount);
    }
}

/// What an item adds to a figure that is a sum of money in `currency` (its amount, or nothing
/// in another currency) or, without one, a count (1).
pub(crate) fn part_of(amount: Money, currency: Option<Currency>) -> Option<i64> {
    match currency {
        None => Some(1),
        Some(c) => (amount.currency == c).then_some(amount.minor),
    }
}
