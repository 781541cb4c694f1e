//! The order aggregate: what a customer bought, and how it moves to their door.
//!
//! Payment and fulfillment are tracked separately, as Shopify does: money received and
//! refunded on one side; placed → in preparation → shipped → delivered (or cancelled, or
//! returned) on the other. An order is prepared only once three checks hold: the customer's
//! data confirmed, every line reported in stock by the shop's inventory, and payment in full.
//! Every rejection names the order's current state.

mod command;
pub mod events;
pub mod terms;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use command::OrderCommand;
use events::*;
use terms::*;

use super::details::free_text;
use super::{Aggregate, DomainError, Requirement};
use crate::event::Event;
use crate::ids::OrderId;
use crate::money::{Currency, Money};
use crate::normalize;

/// Where the goods are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fulfillment {
    /// Not placed yet.
    #[default]
    Absent,
    /// Placed; waiting for its checks.
    Placed,
    /// Being prepared in the warehouse.
    InPreparation,
    /// With the carrier.
    Shipped,
    /// With the customer.
    Delivered,
    /// Cancelled before it shipped.
    Cancelled,
}

impl std::fmt::Display for Fulfillment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Absent => "not placed",
            Self::Placed => "placed",
            Self::InPreparation => "in preparation",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        })
    }
}

/// Everything an order decision needs to know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Where the goods are.
    pub fulfillment: Fulfillment,
    /// The order as placed, once placed.
    pub placed: Option<OrderPlaced>,
    /// Received, in minor units of the order's currency.
    pub paid: i64,
    /// Refunded, in minor units of the order's currency.
    pub refunded: i64,
    /// Checks passed so far.
    pub checks: Vec<OrderCheck>,
    /// Units returned so far, per product.
    pub returned: BTreeMap<String, u32>,
}

impl Order {
    fn currency(&self) -> Option<Currency> {
        self.placed.as_ref().map(|p| p.total.currency)
    }

    fn total(&self) -> i64 {
        self.placed.as_ref().map_or(0, |p| p.total.minor)
    }

    /// Ok if the order was placed; the rejection otherwise.
    pub fn require_exists(&self, order_id: OrderId) -> Result<(), DomainError> {
        match self.placed {
            Some(_) => Ok(()),
            None => Err(DomainError::OrderNotFound { order_id }),
        }
    }

    /// Payments less refunds, in minor units.
    fn net_paid(&self) -> i64 {
        self.paid.saturating_sub(self.refunded)
    }

    /// Whether the payments, less refunds, cover the total.
    pub fn is_paid_in_full(&self) -> bool {
        self.placed.is_some() && self.net_paid() >= self.total()
    }

    /// The order's state in words, for rejections: "placed, waiting for payment in full and
    /// stock confirmation", "cancelled", "delivered".
    pub fn describe(&self) -> String {
        let mut waiting = Vec::new();
        if self.fulfillment == Fulfillment::Placed {
            if !self.checks.contains(&OrderCheck::CustomerData) {
                waiting.push("customer data confirmation");
            }
            if !self.checks.contains(&OrderCheck::Stock) {
                waiting.push("stock confirmation");
            }
            if !self.is_paid_in_full() {
                waiting.push("payment in full");
            }
        }
        let mut state = self.fulfillment.to_string();
        if !waiting.is_empty() {
            state = format!("{state}, waiting for {}", waiting.join(" and "));
        }
        if self.refunded > 0 {
            state.push_str(if self.refunded >= self.paid {
                ", refunded"
            } else {
                ", partly refunded"
            });
        }
        state
    }

    fn not_allowed(&self, order_id: OrderId, action: &'static str) -> DomainError {
        DomainError::OrderNotAllowed {
            order_id,
            action,
            state: self.describe(),
        }
    }

    fn in_currency(&self, order_id: OrderId, amount: Money) -> Result<(), DomainError> {
        if let Some(currency) = self.currency() {
            crate::validate::order_currency(order_id, currency, amount)?;
        }
        if amount.minor <= 0 {
            return Err(DomainError::NonPositiveAmount { amount });
        }
        Ok(())
    }
}

impl Aggregate for Order {
    type Id = OrderId;
    type Command = OrderCommand;
    const SNAPSHOT_SCHEMA: u32 = 1;

    fn owned_by(&self) -> Option<crate::access::OwnedBy> {
        use crate::access::OwnedBy;
        self.placed
            .as_ref()
            .map(|p| OwnedBy::Customer(p.order.customer))
    }

    fn decide(&self, command: &OrderCommand) -> Result<Vec<Event>, DomainError> {
        let order_id = command.order_id();
        if let OrderCommand::Place(order) = command {
            return match &self.placed {
                // Placing the same order again is a retry (an import run twice).
                Some(placed) if placed.order == **order => Ok(Vec::new()),
                Some(_) => Err(DomainError::OrderAlreadyExists { order_id }),
                None => {
                    let total = crate::validate::place_order(order)?;
                    Ok(vec![OrderPlaced {
                        order: (**order).clone(),
                        total,
                    }
                    .into()])
                }
            };
        }
        if self.placed.is_none() {
            return Err(DomainError::OrderNotFound { order_id });
        }
        let stage = self.fulfillment;
        let events: Vec<Event> = match command {
            OrderCommand::Place(_) => Vec::new(),
            OrderCommand::ReceivePayment { amount, method, .. } => {
                if stage == Fulfillment::Cancelled {
                    return Err(self.not_allowed(order_id, "take a payment for"));
                }
                self.in_currency(order_id, *amount)?;
                let outstanding = self.total().saturating_sub(self.net_paid());
                if amount.minor > outstanding {
                    return Err(DomainError::Overpayment {
                        order_id,
                        amount: *amount,
                        outstanding: Money::new(outstanding.max(0), amount.currency),
                    });
                }
                vec![PaymentReceived {
                    order_id,
                    amount: *amount,
                    method: *method,
                }
                .into()]
            }
            OrderCommand::Refund { amount, reason, .. } => {
                self.in_currency(order_id, *amount)?;
                let refundable = self.net_paid();
                if amount.minor > refundable {
                    return Err(DomainError::RefundExceedsPaid {
                        order_id,
                        amount: *amount,
                        refundable: Money::new(refundable, amount.currency),
                    });
                }
                vec![RefundIssued {
                    order_id,
                    amount: *amount,
                    reason: reason.clone(),
                }
                .into()]
            }
            OrderCommand::PassCheck { check, .. } => {
                if stage != Fulfillment::Placed {
                    return Err(self.not_allowed(order_id, "check"));
                }
                if self.checks.contains(check) {
                    return Ok(Vec::new());
                }
                vec![OrderCheckPassed {
                    order_id,
                    check: *check,
                }
                .into()]
            }
            OrderCommand::StartPreparation { .. } => {
                let ready = self.checks.contains(&OrderCheck::CustomerData)
                    && self.checks.contains(&OrderCheck::Stock)
                    && self.is_paid_in_full();
                match stage {
                    Fulfillment::InPreparation => return Ok(Vec::new()),
                    Fulfillment::Placed if ready => {
                        vec![OrderPreparationStarted { order_id }.into()]
                    }
                    _ => return Err(self.not_allowed(order_id, "prepare")),
                }
            }
            OrderCommand::Ship {
                carrier,
                tracking_number,
                estimated_delivery,
                ..
            } => {
                if stage != Fulfillment::InPreparation {
                    return Err(self.not_allowed(order_id, "ship"));
                }
                if normalize::words(carrier).is_empty() {
                    return Err(DomainError::EmptyName { what: "carrier" });
                }
                vec![OrderShipped {
                    order_id,
                    carrier: carrier.trim().to_owned(),
                    tracking_number: tracking_number.clone(),
                    estimated_delivery: *estimated_delivery,
                }
                .into()]
            }
            OrderCommand::Deliver { .. } => match stage {
                Fulfillment::Delivered => Vec::new(),
                Fulfillment::Shipped => vec![OrderDelivered { order_id }.into()],
                _ => return Err(self.not_allowed(order_id, "deliver")),
            },
            OrderCommand::Cancel { reason, note, .. } => match stage {
                Fulfillment::Placed | Fulfillment::InPreparation => {
                    vec![OrderCancelled {
                        order_id,
                        reason: reason.clone(),
                        note: free_text(note.as_deref()),
                    }
                    .into()]
                }
                _ => return Err(self.not_allowed(order_id, "cancel")),
            },
            OrderCommand::Return { lines, reason, .. } => {
                if stage != Fulfillment::Delivered {
                    return Err(self.not_allowed(order_id, "take back goods of"));
                }
                self.check_return(order_id, lines)?;
                vec![OrderReturned {
                    order_id,
                    lines: lines.clone(),
                    reason: reason.clone(),
                }
                .into()]
            }
        };
        Ok(events)
    }

    fn evolve(&mut self, event: &Event) {
        match event {
            Event::OrderPlaced(e) => {
                self.fulfillment = Fulfillment::Placed;
                self.placed = Some(e.clone());
            }
            Event::PaymentReceived(e) => self.paid = self.paid.saturating_add(e.amount.minor),
            Event::RefundIssued(e) => self.refunded = self.refunded.saturating_add(e.amount.minor),
            Event::OrderCheckPassed(e) => self.checks.push(e.check),
            Event::OrderPreparationStarted(_) => self.fulfillment = Fulfillment::InPreparation,
            Event::OrderShipped(_) => self.fulfillment = Fulfillment::Shipped,
            Event::OrderDelivered(_) => self.fulfillment = Fulfillment::Delivered,
            Event::OrderCancelled(_) => self.fulfillment = Fulfillment::Cancelled,
            Event::OrderReturned(e) => {
                for line in &e.lines {
                    let returned = self.returned.entry(line.product_id.clone()).or_default();
                    *returned = returned.saturating_add(line.quantity);
                }
            }
            _ => {}
        }
    }
}

impl Order {
    fn check_return(&self, order_id: OrderId, lines: &[ReturnedLine]) -> Result<(), DomainError> {
        if lines.is_empty() {
            return Err(DomainError::EmptyReturn { order_id });
        }
        let mut asked: BTreeMap<&str, u32> = BTreeMap::new();
        for line in lines {
            let sum = asked.entry(line.product_id.as_str()).or_default();
            *sum = sum.saturating_add(line.quantity);
        }
        let ordered = |product: &str| -> u32 {
            self.placed
                .iter()
                .flat_map(|p| &p.order.lines)
                .filter(|l| l.product_id == product)
                .fold(0u32, |n, l| n.saturating_add(l.quantity))
        };
        for (product, quantity) in asked {
            let returnable =
                ordered(product).saturating_sub(self.returned.get(product).copied().unwrap_or(0));
            if quantity == 0 || quantity > returnable {
                return Err(DomainError::ReturnExceedsDelivered {
                    order_id,
                    product_id: product.to_owned(),
                    quantity,
                    returnable,
                });
            }
        }
        Ok(())
    }
}

impl OrderCommand {
    /// What must hold elsewhere for this command to be accepted.
    pub fn requirements(&self) -> Vec<Requirement> {
        match self {
            Self::Place(order) => vec![Requirement::CustomerExists(order.customer)],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
