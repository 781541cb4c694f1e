use super::*;
use crate::domain::contact::events::ContactCreated;
use crate::domain::details::Address;
use crate::domain::details::PersonalData;
use crate::domain::order::events::OrderPlaced;
use crate::domain::order::terms::SalesChannel;
use crate::ids::{ContactId, DealId, OrderId};
use crate::money::Currency;

mod sales {
    use super::*;

    /// One chair at `price` and no tax, free shipping.
    pub fn order(order_id: OrderId, customer: CustomerId, price: Money) -> PlaceOrder {
        let zero = Money::zero(price.currency);
        PlaceOrder {
            order_id,
            customer,
            lines: vec![OrderLine {
                product_id: "chair".into(),
                name: "Chair".into(),
                category: None,
                quantity: 1,
                unit_price: price,
                tax: zero,
            }],
            shipping: zero,
            shipping_address: Address {
                line1: "Calle Mayor 1".into(),
                city: "Madrid".into(),
                ..Address::default()
            }
            .into(),
            billing_address: None,
            channel: SalesChannel::WebShop,
            promised_delivery: None,
        }
    }
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::new("EUR").unwrap())
}

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000, 0).unwrap()
}

fn placed(order: PlaceOrder) -> Event {
    let total = order.total().unwrap();
    OrderPlaced { order, total }.into()
}

fn created(contact_id: ContactId) -> Event {
    ContactCreated {
        contact_id,
        personal: PersonalData::default().into(),
        tags: Default::default(),
        custom_fields: Default::default(),
        owner: None,
    }
    .into()
}

#[test]
fn an_event_belongs_only_in_its_aggregates_stream() {
    let contact = ContactId::new();
    let event = created(contact);
    assert!(check(&contact.into(), at(), &event).is_ok());
    for elsewhere in [StreamId::from(ContactId::new()), DealId::new().into()] {
        let err = check(&elsewhere, at(), &event).unwrap_err();
        assert!(matches!(err, DomainError::WrongStream { .. }), "{err}");
        assert!(
            err.to_string().contains("belongs in stream contact-"),
            "{err}"
        );
    }
}

#[test]
fn an_order_line_of_three_billion_units_is_refused() {
    let mut order = sales::order(OrderId::new(), ContactId::new().into(), eur(1_00));
    order.lines[0].quantity = 3_000_000_000;
    let err = check(&order.order_id.into(), at(), &placed(order)).unwrap_err();
    assert!(
        err.to_string().contains("lines.quantity is 3000000000"),
        "{err}"
    );
}

#[test]
fn an_order_priced_in_two_currencies_is_refused() {
    let mut order = sales::order(OrderId::new(), ContactId::new().into(), eur(1_00));
    let mut second = order.lines[0].clone();
    second.product_id = "other".into();
    second.unit_price = Money::new(5_00, Currency::new("USD").unwrap());
    second.tax = Money::new(0, Currency::new("USD").unwrap());
    order.lines.push(second);
    let total = eur(1_00);
    let event: Event = OrderPlaced {
        order: order.clone(),
        total,
    }
    .into();
    let err = check(&order.order_id.into(), at(), &event).unwrap_err();
    assert!(matches!(err, DomainError::OrderCurrency { .. }), "{err}");
}

#[test]
fn negative_prices_unknown_currencies_and_wrong_totals_are_refused() {
    let id = OrderId::new();
    let mut negative = sales::order(id, ContactId::new().into(), eur(1_00));
    negative.lines[0].unit_price.minor = -5;
    assert!(check(&id.into(), at(), &placed(negative)).is_err());

    let xyz = Money::new(1_00, Currency::new("XYZ").unwrap());
    let unknown = sales::order(id, ContactId::new().into(), xyz);
    let err = place_order(&unknown).unwrap_err();
    assert!(matches!(err, DomainError::UnknownCurrency { .. }), "{err}");

    let order = sales::order(id, ContactId::new().into(), eur(1_00));
    let wrong: Event = OrderPlaced {
        order,
        total: eur(1),
    }
    .into();
    let err = check(&id.into(), at(), &wrong).unwrap_err();
    assert!(err.to_string().contains("add up to"), "{err}");
}

#[test]
fn times_and_dates_outside_the_sane_range_are_refused() {
    let contact = ContactId::new();
    let far = DateTime::from_timestamp(300_000_000_000, 0).unwrap();
    let err = check(&contact.into(), far, &created(contact)).unwrap_err();
    assert!(err.to_string().starts_with("occurred_at is"), "{err}");
}

#[test]
fn a_reported_failure_needs_a_try_from_one_to_three_and_a_reason_of_sane_length() {
    use crate::domain::message::{MessageFailed, Recipient};
    use crate::ids::MessageId;
    let message_id = MessageId::from_uuid(uuid::Uuid::from_u128(7));
    let failed = |attempt: u32, reason: String| -> Event {
        MessageFailed {
            message_id,
            to: Recipient::Customer(CustomerId::Contact(ContactId::from_uuid(
                uuid::Uuid::from_u128(1),
            ))),
            at: at(),
            attempt,
            reason: reason.into(),
        }
        .into()
    };
    let check_one = |e: &Event| check(&message_id.into(), at(), e).map_err(|e| e.to_string());
    assert!(check_one(&failed(3, "421 busy".into())).is_ok());
    for attempt in [0, 4] {
        let refused = check_one(&failed(attempt, "421 busy".into())).unwrap_err();
        assert!(refused.contains("attempt"), "{refused}");
    }
    for reason in [" ".to_owned(), "x".repeat(MAX_MESSAGE_REASON + 1)] {
        let refused = check_one(&failed(1, reason)).unwrap_err();
        assert!(refused.contains("reason"), "{refused}");
    }
}
