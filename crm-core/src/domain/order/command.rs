//! What can be asked of an order.

use chrono::NaiveDate;

use super::terms::{CancelReason, OrderCheck, PaymentMethod, PlaceOrder, ReturnedLine};
use crate::ids::OrderId;
use crate::money::Money;

/// A command for one order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrderCommand {
    /// Place an order for a known customer. Boxed: an order is far larger than any other
    /// command.
    Place(Box<PlaceOrder>),
    /// Record money received; never more than what is outstanding.
    ReceivePayment {
        /// The order.
        order_id: OrderId,
        /// How much, in the order's currency.
        amount: Money,
        /// How.
        method: PaymentMethod,
    },
    /// Pay money back; never more than was paid and not yet refunded.
    Refund {
        /// The order.
        order_id: OrderId,
        /// How much, in the order's currency.
        amount: Money,
        /// Why.
        reason: Option<String>,
    },
    /// Record that a check passed (the customer's data, or the inventory's stock report).
    PassCheck {
        /// The order.
        order_id: OrderId,
        /// Which check.
        check: OrderCheck,
    },
    /// Start preparing a checked, fully paid order.
    StartPreparation {
        /// The order.
        order_id: OrderId,
    },
    /// Hand a prepared order to a carrier.
    Ship {
        /// The order.
        order_id: OrderId,
        /// Who carries it.
        carrier: String,
        /// The carrier's tracking number.
        tracking_number: Option<String>,
        /// When the carrier expects to deliver.
        estimated_delivery: Option<NaiveDate>,
    },
    /// Record that the customer received a shipped order.
    Deliver {
        /// The order.
        order_id: OrderId,
    },
    /// Cancel an order that has not shipped.
    Cancel {
        /// The order.
        order_id: OrderId,
        /// Why.
        reason: CancelReason,
        /// Free text.
        note: Option<String>,
    },
    /// Take back delivered goods (refund them with `Refund`).
    Return {
        /// The order.
        order_id: OrderId,
        /// What came back.
        lines: Vec<ReturnedLine>,
        /// Why.
        reason: Option<String>,
    },
}

impl OrderCommand {
    /// The usual way from placed to packed: payment of `amount`, both checks passed, and
    /// preparation started — in that order.
    pub fn pay_and_prepare(
        order_id: OrderId,
        amount: Money,
        method: PaymentMethod,
    ) -> [OrderCommand; 4] {
        [
            Self::ReceivePayment {
                order_id,
                amount,
                method,
            },
            Self::PassCheck {
                order_id,
                check: OrderCheck::CustomerData,
            },
            Self::PassCheck {
                order_id,
                check: OrderCheck::Stock,
            },
            Self::StartPreparation { order_id },
        ]
    }

    /// The order whose stream this command writes to.
    pub fn order_id(&self) -> OrderId {
        match self {
            Self::Place(order) => order.order_id,
            Self::ReceivePayment { order_id, .. }
            | Self::Refund { order_id, .. }
            | Self::PassCheck { order_id, .. }
            | Self::StartPreparation { order_id }
            | Self::Ship { order_id, .. }
            | Self::Deliver { order_id }
            | Self::Cancel { order_id, .. }
            | Self::Return { order_id, .. } => *order_id,
        }
    }
}
