use super::*;
use crate::domain::details::Address;
use crate::ids::{ContactId, CustomerId};
use crate::testing::given;

fn id() -> OrderId {
    OrderId::from_uuid(uuid::Uuid::from_u128(0x0de7))
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::new("EUR").unwrap())
}

fn line(product: &str, quantity: u32, unit: i64, tax: i64) -> OrderLine {
    OrderLine {
        product_id: product.into(),
        name: format!("Product {product}"),
        category: Some("furniture".into()),
        quantity,
        unit_price: eur(unit),
        tax: eur(tax),
    }
}

/// Two chairs at 50.00 + 21.00 tax, a lamp at 30.00 + 6.30 tax, 5.00 shipping: 162.30 EUR.
fn place() -> PlaceOrder {
    PlaceOrder {
        order_id: id(),
        customer: CustomerId::Contact(ContactId::from_uuid(uuid::Uuid::from_u128(1))),
        lines: vec![line("chair", 2, 5_000, 2_100), line("lamp", 1, 3_000, 630)],
        shipping: eur(500),
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

fn placed() -> Event {
    OrderPlaced {
        order: place(),
        total: eur(16_230),
    }
    .into()
}

fn paid(minor: i64) -> Event {
    PaymentReceived {
        order_id: id(),
        amount: eur(minor),
        method: PaymentMethod::Card,
    }
    .into()
}

fn refunded(minor: i64) -> Event {
    RefundIssued {
        order_id: id(),
        amount: eur(minor),
        reason: None,
    }
    .into()
}

fn check(check: OrderCheck) -> Event {
    OrderCheckPassed {
        order_id: id(),
        check,
    }
    .into()
}

fn ready() -> Vec<Event> {
    vec![
        placed(),
        paid(16_230),
        check(OrderCheck::CustomerData),
        check(OrderCheck::Stock),
    ]
}

fn preparing() -> Vec<Event> {
    let mut events = ready();
    events.push(OrderPreparationStarted { order_id: id() }.into());
    events
}

fn shipped() -> Vec<Event> {
    let mut events = preparing();
    events.push(
        OrderShipped {
            order_id: id(),
            carrier: "Correos".into(),
            tracking_number: Some("PK123".into()),
            estimated_delivery: None,
        }
        .into(),
    );
    events
}

fn delivered() -> Vec<Event> {
    let mut events = shipped();
    events.push(OrderDelivered { order_id: id() }.into());
    events
}

fn cancelled() -> Vec<Event> {
    vec![
        placed(),
        OrderCancelled {
            order_id: id(),
            reason: CancelReason::Customer,
            note: None,
        }
        .into(),
    ]
}

fn ship() -> OrderCommand {
    OrderCommand::Ship {
        order_id: id(),
        carrier: " Correos ".into(),
        tracking_number: Some("PK123".into()),
        estimated_delivery: None,
    }
}

fn text(rest: &str) -> String {
    rest.replace("ID", &id().to_string())
}

#[test]
fn placing_computes_the_total() {
    given::<Order>([])
        .when(OrderCommand::Place(Box::new(place())))
        .then_events([placed()]);
    given::<Order>([placed()])
        .when(OrderCommand::Place(Box::new(place())))
        .then_nothing();
    let mut other = place();
    other.shipping = eur(0);
    given::<Order>([placed()])
        .when(OrderCommand::Place(Box::new(other)))
        .then_error_text(&text("order ID already exists with different contents"));
}

#[test]
fn an_order_without_lines_is_an_order_in_its_shippings_currency() {
    // A shop's export keeps orders cancelled before their lines were recorded.
    let bare = PlaceOrder {
        lines: Vec::new(),
        ..place()
    };
    let total = crate::validate::place_order(&bare).map(|t| t.minor);
    assert_eq!(total, Ok(bare.shipping.minor));
    assert_eq!(bare.currency(), bare.shipping.currency);
}

#[test]
fn an_order_needs_valid_lines_in_one_currency() {
    let with =
        |lines: Vec<OrderLine>| OrderCommand::Place(Box::new(PlaceOrder { lines, ..place() }));
    given::<Order>([])
        .when(with(vec![line("chair", 0, 100, 0)]))
        .then_error_text("order line \"chair\" is not valid: its quantity is zero");
    given::<Order>([])
        .when(with(vec![line("chair", 1, -100, 0)]))
        .then_error_text("order line \"chair\" is not valid: its price or tax is negative");
    given::<Order>([])
        .when(with(vec![line(" ", 1, 100, 0)]))
        .then_error_text("order line \" \" is not valid: it has no product id");
    let mut dollars = line("lamp", 1, 100, 0);
    dollars.unit_price = Money::new(100, Currency::new("USD").unwrap());
    dollars.tax = Money::new(0, Currency::new("USD").unwrap());
    given::<Order>([])
        .when(with(vec![line("chair", 1, 100, 0), dollars]))
        .then_error_text(&text("order ID is in EUR, not USD"));
}

#[test]
fn payments_are_positive_in_the_order_currency_and_never_exceed_what_is_owed() {
    given::<Order>([placed()])
        .when(OrderCommand::ReceivePayment {
            order_id: id(),
            amount: eur(10_000),
            method: PaymentMethod::Card,
        })
        .then_events([paid(10_000)]);
    given::<Order>([placed(), paid(10_000)])
        .when(OrderCommand::ReceivePayment {
            order_id: id(),
            amount: eur(10_000),
            method: PaymentMethod::Card,
        })
        .then_error_text(&text(
            "order ID has 62.30 EUR outstanding: a payment of 100.00 EUR is too much",
        ));
    given::<Order>([placed()])
        .when(OrderCommand::ReceivePayment {
            order_id: id(),
            amount: Money::new(100, Currency::new("BRL").unwrap()),
            method: PaymentMethod::Boleto,
        })
        .then_error_text(&text("order ID is in EUR, not BRL"));
    given::<Order>([placed()])
        .when(OrderCommand::ReceivePayment {
            order_id: id(),
            amount: eur(0),
            method: PaymentMethod::Card,
        })
        .then_error_text("a payment or refund must be more than zero (0.00 EUR)");
    given::<Order>(cancelled())
        .when(OrderCommand::ReceivePayment {
            order_id: id(),
            amount: eur(100),
            method: PaymentMethod::Card,
        })
        .then_error_text(&text("cannot take a payment for order ID: it is cancelled"));
}

#[test]
fn refunds_never_exceed_what_was_paid() {
    let refund = |minor| OrderCommand::Refund {
        order_id: id(),
        amount: eur(minor),
        reason: Some("damaged".into()),
    };
    given::<Order>([placed(), paid(5_000)])
        .when(refund(5_000))
        .then_events([RefundIssued {
            order_id: id(),
            amount: eur(5_000),
            reason: Some("damaged".into()),
        }
        .into()]);
    given::<Order>([placed(), paid(5_000), refunded(3_000)])
        .when(refund(2_001))
        .then_error_text(&text(
            "cannot refund 20.01 EUR on order ID: only 20.00 EUR was paid and not refunded",
        ));
    given::<Order>([placed()])
        .when(refund(1))
        .then_error_text(&text(
            "cannot refund 0.01 EUR on order ID: only 0.00 EUR was paid and not refunded",
        ));
}

#[test]
fn preparation_waits_for_all_three_checks() {
    let prepare = || OrderCommand::StartPreparation { order_id: id() };
    given::<Order>([placed()]).when(prepare()).then_error_text(&text(
        "cannot prepare order ID: it is placed, waiting for customer data confirmation and stock confirmation and payment in full",
    ));
    given::<Order>([placed(), paid(16_230), check(OrderCheck::Stock)])
        .when(prepare())
        .then_error_text(&text(
            "cannot prepare order ID: it is placed, waiting for customer data confirmation",
        ));
    given::<Order>(ready())
        .when(prepare())
        .then_events([OrderPreparationStarted { order_id: id() }.into()]);
    given::<Order>(preparing()).when(prepare()).then_nothing();
    let mut refunded_after_payment = ready();
    refunded_after_payment.push(refunded(100));
    given::<Order>(refunded_after_payment)
        .when(prepare())
        .then_error_text(&text(
            "cannot prepare order ID: it is placed, waiting for payment in full, partly refunded",
        ));
}

#[test]
fn checks_happen_while_placed_and_only_once() {
    let pass = |c| OrderCommand::PassCheck {
        order_id: id(),
        check: c,
    };
    given::<Order>([placed()])
        .when(pass(OrderCheck::Stock))
        .then_events([check(OrderCheck::Stock)]);
    given::<Order>([placed(), check(OrderCheck::Stock)])
        .when(pass(OrderCheck::Stock))
        .then_nothing();
    given::<Order>(preparing())
        .when(pass(OrderCheck::Stock))
        .then_error_text(&text("cannot check order ID: it is in preparation"));
}

#[test]
fn only_a_prepared_order_ships_and_only_a_shipped_one_is_delivered() {
    given::<Order>([placed()]).when(ship()).then_error_text(&text(
        "cannot ship order ID: it is placed, waiting for customer data confirmation and stock confirmation and payment in full",
    ));
    given::<Order>(preparing())
        .when(ship())
        .then_events([shipped().pop().unwrap()]);
    given::<Order>(preparing())
        .when(OrderCommand::Ship {
            order_id: id(),
            carrier: "".into(),
            tracking_number: None,
            estimated_delivery: None,
        })
        .then_error_text("a carrier needs a name, and the one given has no letters or digits");
    let deliver = || OrderCommand::Deliver { order_id: id() };
    given::<Order>(preparing())
        .when(deliver())
        .then_error_text(&text("cannot deliver order ID: it is in preparation"));
    given::<Order>(cancelled())
        .when(deliver())
        .then_error_text(&text("cannot deliver order ID: it is cancelled"));
    given::<Order>(shipped())
        .when(deliver())
        .then_events([OrderDelivered { order_id: id() }.into()]);
    given::<Order>(delivered()).when(deliver()).then_nothing();
}

#[test]
fn only_an_unshipped_order_can_be_cancelled() {
    let cancel = || OrderCommand::Cancel {
        order_id: id(),
        reason: CancelReason::Inventory,
        note: Some(" supplier out of stock ".into()),
    };
    given::<Order>(preparing())
        .when(cancel())
        .then_events([OrderCancelled {
            order_id: id(),
            reason: CancelReason::Inventory,
            note: Some("supplier out of stock".into()),
        }
        .into()]);
    given::<Order>(shipped())
        .when(cancel())
        .then_error_text(&text("cannot cancel order ID: it is shipped"));
    given::<Order>(cancelled())
        .when(cancel())
        .then_error_text(&text("cannot cancel order ID: it is cancelled"));
}

#[test]
fn returns_take_back_at_most_what_was_delivered() {
    let take_back = |product: &str, quantity| OrderCommand::Return {
        order_id: id(),
        lines: vec![ReturnedLine {
            product_id: product.into(),
            quantity,
        }],
        reason: Some("wrong colour".into()),
    };
    given::<Order>(shipped())
        .when(take_back("chair", 1))
        .then_error_text(&text("cannot take back goods of order ID: it is shipped"));
    given::<Order>(delivered())
        .when(take_back("chair", 2))
        .then_events([OrderReturned {
            order_id: id(),
            lines: vec![ReturnedLine {
                product_id: "chair".into(),
                quantity: 2,
            }],
            reason: Some("wrong colour".into()),
        }
        .into()]);
    let mut once = delivered();
    once.push(
        OrderReturned {
            order_id: id(),
            lines: vec![ReturnedLine {
                product_id: "chair".into(),
                quantity: 1,
            }],
            reason: None,
        }
        .into(),
    );
    given::<Order>(once)
        .when(take_back("chair", 2))
        .then_error_text(&text(
            "cannot take back 2 of \"chair\" on order ID: 1 can still be returned",
        ));
    given::<Order>(delivered())
        .when(take_back("sofa", 1))
        .then_error_text(&text(
            "cannot take back 1 of \"sofa\" on order ID: 0 can still be returned",
        ));
    given::<Order>(delivered())
        .when(OrderCommand::Return {
            order_id: id(),
            lines: vec![],
            reason: None,
        })
        .then_error_text(&text("a return on order ID must name at least one line"));
}

#[test]
fn commands_on_a_missing_order_are_rejected() {
    given::<Order>([])
        .when(ship())
        .then_error_text(&text("order ID does not exist"));
}

#[test]
fn the_state_describes_refunds() {
    let mut events = delivered();
    events.push(refunded(16_230));
    assert_eq!(
        given::<Order>(events).state().describe(),
        "delivered, refunded"
    );
}
