//! A day in a small online furniture shop. Half a year of history first (eight customers,
//! each with their own rhythm of ordering), then Monday 23 November 2026: emails and a web
//! form come in (one from someone new, who becomes a lead), orders are placed, paid, packed
//! and shipped, yesterday's parcels arrive, a manager calls round, reviews come in, and one
//! order is cancelled and refunded. At the end it prints two customer cards and the customers
//! who have gone quiet.
//!
//! Run with `cargo run --example shop_day`.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use crm::access::Role;
use crm::clock::{ManualClock, SequentialIds};
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::domain::details::{Address, LeadSource, PersonName};
use crm::domain::feedback::{FeedbackCommand, FeedbackGiven, Score};
use crm::domain::interaction::{
    Channel, Direction, InteractionCommand, InteractionLogged, Outcome,
};
use crm::domain::order::terms::{CancelReason, OrderLine, PaymentMethod, PlaceOrder, SalesChannel};
use crm::domain::order::OrderCommand;
use crm::domain::user::UserCommand;
use crm::event::Actor;
use crm::ids::{ContactId, CustomerId, FeedbackId, InteractionId, OrderId, UserId};
use crm::money::{Currency, Money};
use crm::{Command, Crm, CrmOptions, InboundMessage, MemoryStore, Request};

type Shop = Crm<MemoryStore>;
type Failure = Box<dyn std::error::Error>;

fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, 0, 0)
        .single()
        .unwrap_or_default()
}

struct Day<'a> {
    crm: &'a Shop,
    clock: &'a ManualClock,
    actor: Actor,
    eur: Currency,
}

impl Day<'_> {
    async fn at(&self, when: DateTime<Utc>, command: impl Into<Command>) -> Result<(), Failure> {
        self.clock.set(when);
        self.crm.execute(&self.actor, command).await?;
        Ok(())
    }

    /// Places an order of one product and returns its total.
    async fn order(
        &self,
        when: DateTime<Utc>,
        order_id: OrderId,
        customer: ContactId,
        product: (&str, &str, i64),
        quantity: u32,
    ) -> Result<Money, Failure> {
        let (name, category, price) = product;
        let line = OrderLine {
            product_id: name.to_lowercase().replace(' ', "-"),
            name: name.into(),
            category: Some(category.into()),
            quantity,
            unit_price: Money::new(price, self.eur),
            tax: Money::new(price * i64::from(quantity) * 21 / 100, self.eur),
        };
        let order = PlaceOrder {
            order_id,
            customer: CustomerId::Contact(customer),
            lines: vec![line],
            shipping: Money::new(595, self.eur),
            shipping_address: Address {
                line1: "Calle Mayor 1".into(),
                city: "Madrid".into(),
                ..Address::default()
            }
            .into(),
            billing_address: None,
            channel: SalesChannel::WebShop,
            promised_delivery: Some(when.date_naive() + TimeDelta::days(4)),
        };
        let total = order.total()?;
        self.at(when, OrderCommand::Place(Box::new(order))).await?;
        Ok(total)
    }

    /// Payment, both checks, packing and hand-over to the carrier, an hour apart.
    async fn pay_and_ship(
        &self,
        when: DateTime<Utc>,
        order_id: OrderId,
        total: Money,
    ) -> Result<(), Failure> {
        let mut steps =
            OrderCommand::pay_and_prepare(order_id, total, PaymentMethod::Card).to_vec();
        steps.push(OrderCommand::Ship {
            order_id,
            carrier: "Correos Express".into(),
            tracking_number: Some(format!("CE{}", &order_id.to_string()[..8])),
            estimated_delivery: Some(when.date_naive() + TimeDelta::days(1)),
        });
        for (hour, step) in steps.into_iter().enumerate() {
            self.at(when + TimeDelta::hours(hour as i64), step).await?;
        }
        Ok(())
    }

    async fn call(
        &self,
        when: DateTime<Utc>,
        customer: ContactId,
        subject: &str,
        outcome: Outcome,
    ) -> Result<(), Failure> {
        let log = InteractionLogged {
            interaction_id: InteractionId::derived("example-calls", &format!("{customer}/{when}")),
            customer: CustomerId::Contact(customer),
            channel: Channel::Call,
            direction: Direction::Outbound,
            handled_by: Some(UserId::from_uuid(uuid::Uuid::from_u128(1))),
            duration_seconds: Some(300),
            subject: subject.into(),
            summary: None,
            outcome: Some(outcome),
            source_message_id: None,
        };
        self.at(when, InteractionCommand::Log(log)).await
    }
}

const CUSTOMERS: [(&str, &str, &str, i64); 8] = [
    // name, family, email, days between orders
    ("Lucía", "Martín", "lucia@example.com", 30),
    ("Jorge", "Pérez", "jorge@example.com", 21),
    ("Marta", "Gil", "marta@example.com", 45),
    ("Pablo", "Sanz", "pablo@example.com", 14),
    ("Elena", "Ruiz", "elena@example.com", 60),
    ("Hugo", "Vidal", "hugo@example.com", 28),
    ("Sara", "Romero", "sara@example.com", 35),
    ("Diego", "Navarro", "diego@example.com", 20),
];

const PRODUCTS: [(&str, &str, i64); 5] = [
    ("Oak chair", "chairs", 8_900),
    ("Brass lamp", "lighting", 6_450),
    ("Wool rug", "rugs", 15_900),
    ("Linen cushion", "textiles", 2_490),
    ("Walnut shelf", "shelving", 12_900),
];

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let clock = ManualClock::new(at(5, 1, 9));
    let crm = Crm::with(
        MemoryStore::with_clock(Arc::new(clock.clone())),
        Arc::new(clock.clone()),
        Arc::new(SequentialIds::new(23)),
        CrmOptions::default(),
    );
    let clerk = UserId::from_uuid(uuid::Uuid::from_u128(1));
    let add = UserCommand::add(clerk, "Inés Prado", "ines@shop.example", Role::Admin);
    crm.execute(&Actor::System, add).await?;
    let shop = Day {
        crm: &crm,
        clock: &clock,
        actor: Actor::User { user_id: clerk },
        eur: Currency::new("EUR")?,
    };

    // Half a year of history. Marta, Elena and Sara stopped ordering in mid-August: they are
    // the ones a manager should call.
    let ids: Vec<ContactId> = CUSTOMERS
        .iter()
        .map(|(_, _, email, _)| ContactId::derived("example-shop", email))
        .collect();
    for (i, (given, family, email, every)) in CUSTOMERS.iter().enumerate() {
        let create = CreateContact::new(ids[i], given, family).email(email);
        shop.at(at(5, 1, 9), ContactCommand::Create(create)).await?;
        let stop = if i % 2 == 0 && i > 0 {
            at(8, 15, 0)
        } else {
            at(11, 20, 0)
        };
        let mut when = at(5, 2, 10) + TimeDelta::days(i as i64 * 3);
        let mut n = 0;
        while when < stop {
            let order_id = OrderId::derived("example-shop", &format!("{email}/{n}"));
            let product = PRODUCTS[(i + n) % PRODUCTS.len()];
            let total = shop
                .order(when, order_id, ids[i], product, 1 + (n % 2) as u32)
                .await?;
            shop.pay_and_ship(when + TimeDelta::hours(1), order_id, total)
                .await?;
            shop.at(
                when + TimeDelta::days(2),
                OrderCommand::Deliver { order_id },
            )
            .await?;
            when += TimeDelta::days(*every);
            n += 1;
        }
    }
    // Yesterday's parcel for Lucía, still on its way.
    let yesterday = OrderId::derived("example-shop", "sunday-order");
    let total = shop
        .order(at(11, 22, 10), yesterday, ids[0], PRODUCTS[2], 1)
        .await?;
    shop.pay_and_ship(at(11, 22, 11), yesterday, total).await?;

    // Monday 23 November.
    let inbox = Request::by(Actor::Api {
        client: "mailbox".into(),
    });
    let ask = |id: &str, from: &str, subject: &str| InboundMessage {
        message_id: id.into(),
        channel: Channel::Email,
        from_email: Some(from.into()),
        from_phone: None,
        name: None,
        subject: subject.into(),
        summary: None,
        handled_by: None,
        outcome: Some(Outcome::FollowUpNeeded),
        source: LeadSource::Web,
        campaign: None,
    };
    clock.set(at(11, 23, 8));
    crm.log_inbound(
        inbox.clone(),
        ask("<m1@mail>", "LUCIA@example.com", "Where is my rug?"),
    )
    .await?;
    clock.set(at(11, 23, 8) + TimeDelta::minutes(40));
    let form = InboundMessage {
        channel: Channel::WebForm,
        name: Some(PersonName::new("Irene", "Castro")),
        from_phone: Some("+34 600 111 222".into()),
        ..ask(
            "form-8841",
            "irene.castro@example.net",
            "Quote for 12 oak chairs for a café",
        )
    };
    let lead = crm.log_inbound(inbox.clone(), form.clone()).await?;
    // The form plugin retries the webhook: still one lead.
    crm.log_inbound(inbox, form).await?;

    let today = [(ids[1], 9), (ids[3], 10), (ids[5], 11)];
    for (n, (customer, hour)) in today.into_iter().enumerate() {
        let order_id = OrderId::derived("example-shop", &format!("monday/{n}"));
        let total = shop
            .order(at(11, 23, hour), order_id, customer, PRODUCTS[n], 2)
            .await?;
        if n < 2 {
            shop.pay_and_ship(at(11, 23, hour + 1), order_id, total)
                .await?;
        } else {
            // Paid, then the customer changed their mind before packing.
            shop.at(
                at(11, 23, 15),
                OrderCommand::ReceivePayment {
                    order_id,
                    amount: total,
                    method: PaymentMethod::Card,
                },
            )
            .await?;
            shop.at(
                at(11, 23, 17),
                OrderCommand::Cancel {
                    order_id,
                    reason: CancelReason::Customer,
                    note: Some("changed their mind before packing".into()),
                },
            )
            .await?;
            shop.at(
                at(11, 23, 17),
                OrderCommand::Refund {
                    order_id,
                    amount: total,
                    reason: Some("cancelled by the customer".into()),
                },
            )
            .await?;
        }
    }
    shop.at(
        at(11, 23, 11),
        OrderCommand::Deliver {
            order_id: yesterday,
        },
    )
    .await?;
    shop.call(
        at(11, 23, 12),
        ids[0],
        "Rug delivered this morning?",
        Outcome::Resolved,
    )
    .await?;
    shop.call(
        at(11, 23, 12) + TimeDelta::minutes(20),
        ids[2],
        "We miss you: 10% off shelving",
        Outcome::NoAnswer,
    )
    .await?;
    shop.at(
        at(11, 23, 15),
        FeedbackCommand::Give(FeedbackGiven {
            feedback_id: FeedbackId::derived("example-reviews", "rug"),
            customer: CustomerId::Contact(ids[0]),
            score: Score::Review {
                order_id: yesterday,
                stars: 5,
            },
            comment: Some("Beautiful rug, and fast".into()),
        }),
    )
    .await?;

    let evening = at(11, 23, 19);
    crm.query_unfiltered(|v| -> Result<(), Failure> {
        let lucia = v.contact_card(ids[0], evening).ok_or("Lucía has no card")?;
        println!("{lucia}");
        if let CustomerId::Contact(irene) = lead.customer {
            let card = v
                .contact_card(irene, evening)
                .ok_or("the lead has no card")?;
            println!("{card}");
        }
        println!("Gone quiet (silent for more than twice their usual gap):");
        for l in v.lapsed(2.0, evening) {
            println!(
                "  {:<16} {:>2} orders, every {:>4.0} days; silent for {:>4.0} days ({:.1}×)",
                l.name, l.orders, l.average_gap_days, l.days_since_last_order, l.silence
            );
        }
        Ok(())
    })?;
    Ok(())
}
