//! What an order is made of: lines, the channel it came through, payment methods, and the
//! reasons an order can be cancelled. Wire format of order events: rename nothing.

use crate::personal::Personal;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::details::Address;
use crate::ids::{CustomerId, OrderId};
use crate::money::{Currency, Money, MoneyError};

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// The shop's product id (SKU).
    pub product_id: String,
    /// The product's name at the time of the order.
    pub name: String,
    /// The product's category, for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// How many; at least one.
    pub quantity: u32,
    /// Price of one unit, before tax.
    pub unit_price: Money,
    /// Tax on the whole line.
    pub tax: Money,
}

impl OrderLine {
    /// `quantity × unit_price + tax`.
    pub fn total(&self) -> Result<Money, MoneyError> {
        let overflow = MoneyError::Overflow {
            minor: self.unit_price.minor,
            currency: self.unit_price.currency,
        };
        let net = self
            .unit_price
            .minor
            .checked_mul(i64::from(self.quantity))
            .ok_or(overflow)?;
        Money::new(net, self.unit_price.currency).checked_add(self.tax)
    }
}

/// Where an order was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SalesChannel {
    /// The shop's own website.
    WebShop,
    /// By phone.
    Phone,
    /// A marketplace (Amazon, Mercado Livre, ...).
    Marketplace,
    /// In a physical shop.
    Store,
    /// Anything else.
    Other,
}

/// How a payment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Credit or debit card.
    Card,
    /// Bank transfer.
    BankTransfer,
    /// A voucher or gift card.
    Voucher,
    /// Bank slip (boleto).
    Boleto,
    /// Cash on delivery.
    CashOnDelivery,
    /// Anything else.
    Other,
}

/// Why an order was cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The customer asked.
    Customer,
    /// The payment was declined.
    Declined,
    /// Suspected fraud.
    Fraud,
    /// The goods are not available.
    Inventory,
    /// A staff decision.
    Staff,
    /// Anything else (say what in the cancellation's note).
    Other,
}

/// A check that must pass before an order is prepared. Payment in full is the third, derived
/// from the payments themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderCheck {
    /// The customer's data (name, address, contact point) was confirmed complete.
    CustomerData,
    /// The shop's inventory reported every line in stock.
    Stock,
}

/// A returned quantity of one product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnedLine {
    /// The product.
    pub product_id: String,
    /// How many units came back.
    pub quantity: u32,
}

/// Everything needed to place an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceOrder {
    /// Chosen by the caller (derived from the shop's order number on import).
    pub order_id: OrderId,
    /// Who ordered: a known contact or company.
    pub customer: CustomerId,
    /// At least one line, all in one currency.
    pub lines: Vec<OrderLine>,
    /// Shipping cost, in the lines' currency.
    pub shipping: Money,
    /// Where the goods go.
    pub shipping_address: Personal<Address>,
    /// Where the invoice goes, if elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Personal<Address>>,
    /// Where it was placed.
    pub channel: SalesChannel,
    /// The delivery date promised to the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promised_delivery: Option<NaiveDate>,
}

impl PlaceOrder {
    /// The order's currency: its first line's, or its shipping's for an order without lines.
    pub fn currency(&self) -> Currency {
        self.lines
            .first()
            .map_or(self.shipping.currency, |l| l.unit_price.currency)
    }

    /// Lines plus shipping, refusing to mix currencies or overflow.
    pub fn total(&self) -> Result<Money, MoneyError> {
        let mut total = self.shipping;
        for line in &self.lines {
            total = total.checked_add(line.total()?)?;
        }
        Ok(total)
    }
}
