//! The payloads of order events. Field names are wire format: rename nothing.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::terms::{
    CancelReason, OrderCheck, OrderLine, PaymentMethod, PlaceOrder, ReturnedLine, SalesChannel,
};
use crate::domain::details::Address;
use crate::ids::{CustomerId, OrderId};
use crate::money::Money;
use crate::personal::Personal;

/// An order was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "OrderPlacedWire")]
pub struct OrderPlaced {
    /// The order as placed.
    #[serde(flatten)]
    pub order: PlaceOrder,
    /// Lines plus shipping.
    pub total: Money,
}

/// How `OrderPlaced` is read: serde cannot refuse unknown fields next to a flattened
/// struct, so the fields are spelled out once more here, where unknown ones are an error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderPlacedWire {
    order_id: OrderId,
    customer: CustomerId,
    lines: Vec<OrderLine>,
    shipping: Money,
    shipping_address: Personal<Address>,
    #[serde(default)]
    billing_address: Option<Personal<Address>>,
    channel: SalesChannel,
    #[serde(default)]
    promised_delivery: Option<NaiveDate>,
    total: Money,
}

impl From<OrderPlacedWire> for OrderPlaced {
    fn from(w: OrderPlacedWire) -> Self {
        Self {
            order: PlaceOrder {
                order_id: w.order_id,
                customer: w.customer,
                lines: w.lines,
                shipping: w.shipping,
                shipping_address: w.shipping_address,
                billing_address: w.billing_address,
                channel: w.channel,
                promised_delivery: w.promised_delivery,
            },
            total: w.total,
        }
    }
}

/// Money was received for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentReceived {
    /// The order.
    pub order_id: OrderId,
    /// How much.
    pub amount: Money,
    /// How.
    pub method: PaymentMethod,
}

/// Money was paid back to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundIssued {
    /// The order.
    pub order_id: OrderId,
    /// How much.
    pub amount: Money,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A check the order needs before preparation passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderCheckPassed {
    /// The order.
    pub order_id: OrderId,
    /// Which check.
    pub check: OrderCheck,
}

/// The warehouse started preparing the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderPreparationStarted {
    /// The order.
    pub order_id: OrderId,
}

/// The order was handed to a carrier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderShipped {
    /// The order.
    pub order_id: OrderId,
    /// Who carries it.
    pub carrier: String,
    /// The carrier's tracking number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// When the carrier expects to deliver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_delivery: Option<NaiveDate>,
}

/// The customer received the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderDelivered {
    /// The order.
    pub order_id: OrderId,
}

/// The order was cancelled before it shipped.
///
/// Schema v2. In v1 a reason outside the list was `{"other": "text"}`; v2 has a plain
/// `"other"` and every reason may carry a `note` (the upcaster moves v1's text there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderCancelled {
    /// The order.
    pub order_id: OrderId,
    /// Why.
    pub reason: CancelReason,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Some delivered goods came back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderReturned {
    /// The order.
    pub order_id: OrderId,
    /// What came back.
    pub lines: Vec<ReturnedLine>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
