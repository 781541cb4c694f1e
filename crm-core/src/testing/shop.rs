//! Random order histories for property tests: a few orders of two customers, driven through
//! random lifecycle commands — many of them invalid, so rejections are exercised too.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use crate::crm::Command;
use crate::domain::contact::{ContactCommand, CreateContact};
use crate::domain::details::Address;
use crate::domain::order::terms::{
    CancelReason, OrderCheck, OrderLine, PaymentMethod, PlaceOrder, ReturnedLine, SalesChannel,
};
use crate::domain::order::OrderCommand;
use crate::ids::{ContactId, CustomerId, OrderId};
use crate::money::{Currency, Money};

/// The customers random orders are for; [`order_commands`] creates them first.
pub fn customers() -> Vec<CustomerId> {
    (501..=502u128)
        .map(|n| CustomerId::Contact(ContactId::from_uuid(uuid::Uuid::from_u128(n))))
        .collect()
}

fn order_pool() -> Vec<OrderId> {
    (601..=604u128)
        .map(|n| OrderId::from_uuid(uuid::Uuid::from_u128(n)))
        .collect()
}

fn eur(minor: i64) -> Money {
    Money::new(
        minor,
        Currency::new("EUR").unwrap_or_else(|_| unreachable!()),
    )
}

fn products() -> Vec<&'static str> {
    vec!["chair", "lamp", "rug"]
}

fn line() -> impl Strategy<Value = OrderLine> {
    (select(products()), 1u32..4, 100i64..20_000).prop_map(|(product, quantity, unit)| OrderLine {
        product_id: product.into(),
        name: product.into(),
        category: Some(format!("{product}s")),
        quantity,
        unit_price: eur(unit),
        tax: eur(unit / 5),
    })
}

/// An order lifecycle command on a small pool of orders.
pub fn order_command() -> impl Strategy<Value = OrderCommand> {
    let order = select(order_pool());
    let amount = prop_oneof![1 => Just(0i64), 8 => 1i64..30_000, 1 => Just(1_000_000)];
    prop_oneof![
        3 => (order.clone(), select(customers()), vec(line(), 1..3), 0i64..1_000).prop_map(
            |(order_id, customer, lines, shipping)| OrderCommand::Place(Box::new(PlaceOrder {
                order_id,
                customer,
                lines,
                shipping: eur(shipping),
                shipping_address: (Address { line1: "Rua Augusta 1".into(), city: "Lisboa".into(), ..Address::default() }).into(),
                billing_address: None,
                channel: SalesChannel::WebShop,
                promised_delivery: None,
            }))
        ),
        5 => (order.clone(), amount.clone()).prop_map(|(order_id, minor)| OrderCommand::ReceivePayment {
            order_id, amount: eur(minor), method: PaymentMethod::Card,
        }),
        2 => (order.clone(), amount).prop_map(|(order_id, minor)| OrderCommand::Refund {
            order_id, amount: eur(minor), reason: None,
        }),
        2 => (order.clone(), select(vec![OrderCheck::CustomerData, OrderCheck::Stock]))
            .prop_map(|(order_id, check)| OrderCommand::PassCheck { order_id, check }),
        2 => order.clone().prop_map(|order_id| OrderCommand::StartPreparation { order_id }),
        2 => order.clone().prop_map(|order_id| OrderCommand::Ship {
            order_id, carrier: "CTT".into(), tracking_number: None, estimated_delivery: None,
        }),
        2 => order.clone().prop_map(|order_id| OrderCommand::Deliver { order_id }),
        1 => order.clone().prop_map(|order_id| OrderCommand::Cancel { order_id, reason: CancelReason::Staff, note: None }),
        1 => (order, select(products()), 0u32..3).prop_map(|(order_id, product, quantity)| OrderCommand::Return {
            order_id,
            lines: vec![ReturnedLine { product_id: product.into(), quantity }],
            reason: None,
        }),
    ]
}

/// The two [`customers`], then `1..max_len` random order commands.
pub fn order_commands(max_len: usize) -> impl Strategy<Value = Vec<Command>> {
    let setup: Vec<Command> = customers()
        .into_iter()
        .filter_map(|c| match c {
            CustomerId::Contact(id) => {
                Some(ContactCommand::Create(CreateContact::new(id, "Cliente", "Teste")).into())
            }
            CustomerId::Company(_) => None,
        })
        .collect();
    vec(order_command().prop_map(Command::Order), 1..max_len)
        .prop_map(move |rest| setup.iter().cloned().chain(rest).collect())
}
