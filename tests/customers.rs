//! The e-commerce half end to end: orders, lead capture, the complete card, segments.
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

mod support;

use chrono::TimeDelta;
use crm::domain::details::LeadSource;
use crm::domain::interaction::Channel;
use crm::event::{Event, RecordedEvent};
use crm::ids::CustomerId;
use crm::projection::Segment;
use crm::store::EventStore;
use crm::{Crm, InboundMessage, MemoryStore, Request};
use futures::executor::block_on;
use support::shop::*;
use support::*;

fn log(crm: &Crm<MemoryStore>) -> Vec<RecordedEvent> {
    block_on(crm.store().read_all(0, usize::MAX)).unwrap()
}

fn email_from(address: &str, message_id: &str) -> InboundMessage {
    InboundMessage {
        message_id: message_id.into(),
        channel: Channel::Email,
        from_email: Some(address.into()),
        from_phone: None,
        name: None,
        subject: "Do you ship to Portugal?".into(),
        summary: None,
        handled_by: None,
        outcome: None,
        source: LeadSource::Web,
        campaign: None,
    }
}

#[test]
fn an_email_from_a_new_address_opens_one_lead_even_when_logged_twice() {
    let (crm, _clock) = fresh();
    let message = email_from("new.person@example.org", "<abc@mail.example.org>");
    let first = block_on(crm.log_inbound(Request::by(manager()), message.clone())).unwrap();
    let second = block_on(crm.log_inbound(Request::by(manager()), message)).unwrap();
    assert!(first.new_lead && !second.new_lead);
    assert_eq!(first.customer, second.customer);
    let events = log(&crm);
    let count = |f: fn(&Event) -> bool| events.iter().filter(|e| f(&e.event)).count();
    assert_eq!(count(|e| matches!(e, Event::ContactCreated(_))), 1);
    assert_eq!(count(|e| matches!(e, Event::InteractionLogged(_))), 1);
    assert_eq!(count(|e| matches!(e, Event::ContactSourceRecorded(_))), 1);
    let CustomerId::Contact(lead) = first.customer else {
        panic!("a lead is a person")
    };
    let card = crm
        .query_unfiltered(|v| v.contact_card(lead, start()))
        .unwrap();
    assert_eq!(card.personal.emails, ["new.person@example.org"]);
    let source = card.activity.source.unwrap();
    assert!(source.lead);
    assert_eq!(source.source, LeadSource::Web);
    assert_eq!(card.activity.interactions.len(), 1);
}

#[test]
fn an_email_from_a_known_address_lands_on_that_card() {
    let (crm, clock) = fresh();
    block_on(history(&crm, &clock));
    let message = email_from("LUCIA@example.com", "<xyz@mail.example.com>");
    let captured = block_on(crm.log_inbound(Request::by(manager()), message)).unwrap();
    assert_eq!(captured.customer, CustomerId::Contact(contact(1)));
    assert!(!captured.new_lead);
    let unknown = InboundMessage {
        from_email: None,
        ..email_from("", "<anon@x>")
    };
    let err = block_on(crm.log_inbound(Request::by(manager()), unknown)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "message \"<anon@x>\" comes from an unknown sender and names no email address or phone number"
    );
}

#[test]
fn the_card_sums_orders_and_counts_conversations() {
    let (crm, clock) = fresh();
    block_on(history(&crm, &clock));
    let at = start() + TimeDelta::days(64);
    let card = crm
        .query_unfiltered(|v| v.contact_card(contact(1), at))
        .unwrap();
    let a = &card.activity;
    assert_eq!(a.orders.len(), 3);
    // 125.95 + (101.75 − 10.00) + 0 for the cancelled, unpaid table.
    assert_eq!(a.lifetime_value.to_string(), "217.70 EUR");
    assert_eq!(a.first_order, Some(start()));
    assert_eq!(
        a.last_order,
        Some(start() + TimeDelta::days(30)),
        "the cancelled order is not an order placed"
    );
    assert_eq!(a.average_days_between_orders, Some(30.0));
    assert_eq!(a.interactions_per_channel.get(&Channel::Call), Some(&2));
    assert_eq!(a.last_contact, Some(start() + TimeDelta::days(62)));
    assert_eq!(a.campaign.as_deref(), Some("Spring sale"));
    assert!(matches!(
        a.latest_feedback.as_ref().map(|f| f.score),
        Some(crm::domain::feedback::Score::Nps { score: 9 })
    ));
    for order in &a.orders {
        assert!(order.net_paid().minor >= 0);
    }
}

#[test]
fn an_order_for_an_unknown_customer_is_refused() {
    let (crm, _clock) = fresh();
    let err = block_on(crm.execute(
        &manager(),
        place(
            1,
            CustomerId::Contact(contact(9)),
            "chair",
            "chairs",
            1,
            100,
        ),
    ))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("contact {} does not exist", contact(9))
    );
}

#[test]
fn segments_combine_conditions() {
    let (crm, clock) = fresh();
    block_on(history(&crm, &clock));
    let at = start() + TimeDelta::days(64);
    let names = |segment: Segment| {
        crm.query_unfiltered(|v| v.segment(&segment, at))
            .into_iter()
            .map(|r| r.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(Segment {
            bought_category: Some("Chairs".into()),
            ..Segment::default()
        }),
        ["Acme", "Lucía Martín"]
    );
    assert_eq!(
        names(Segment {
            min_spent: Some(eur(30_000)), // Lucía spent 217.70
            ..Segment::default()
        }),
        ["Acme", "Jorge Pérez"]
    );
    let lucia_like = Segment {
        city: Some("MADRID".into()),
        tag: Some("VIP".into()),
        marketing_consent: Some(crm::domain::details::ConsentChannel::Email),
        ..Segment::default()
    };
    assert_eq!(names(lucia_like.clone()), ["Lucía Martín"]);
    // Born 30 March: on 5 May (`at`) the next birthday is 329 days away; on 2 March, 28.
    let birthday = Segment {
        birthday_within_days: Some(30),
        ..lucia_like
    };
    assert!(names(birthday.clone()).is_empty());
    assert_eq!(
        crm.query_unfiltered(|v| v.segment(&birthday, start()))
            .len(),
        1,
        "28 days before her birthday"
    );
    assert_eq!(
        names(Segment {
            min_orders: Some(2),
            not_contacted_for_days: Some(30),
            ..Segment::default()
        }),
        ["Jorge Pérez"]
    );
}

#[test]
fn lapsed_customers_are_silent_for_k_times_their_usual_gap() {
    let (crm, clock) = fresh();
    block_on(history(&crm, &clock));
    // Jorge: orders on days 5 and 25, a 20-day gap; Lucía: days 0 and 30, a 30-day gap.
    let names = |days: i64, k: f64| {
        crm.query_unfiltered(|v| v.lapsed(k, start() + TimeDelta::days(days)))
            .into_iter()
            .map(|l| (l.name, l.silence))
            .collect::<Vec<_>>()
    };
    // Day 60: Jorge silent 35 days = 1.75 gaps; Lucía 30 days = 1 gap.
    assert_eq!(names(60, 2.0), []);
    assert_eq!(names(60, 1.5), [("Jorge Pérez".to_owned(), 1.75)]);
    // Day 120: Jorge 95 / 20 = 4.75; Lucía 90 / 30 = 3.
    assert_eq!(
        names(120, 2.0),
        [
            ("Jorge Pérez".to_owned(), 4.75),
            ("Lucía Martín".to_owned(), 3.0)
        ]
    );
}

#[test]
fn a_call_from_a_known_phone_lands_on_the_card_and_the_timeline_pages() {
    use crm::domain::contact::{ContactCommand, UpdateContact};
    use crm::domain::details::Phone;
    let (crm, clock) = fresh();
    block_on(history(&crm, &clock));
    let add_phone = UpdateContact {
        contact_id: contact(2),
        phones: Some(vec![Phone::new("+34 600 123 456")]),
        ..UpdateContact::default()
    };
    block_on(crm.execute(&manager(), ContactCommand::Update(add_phone))).unwrap();
    for n in 0..12 {
        clock.advance(TimeDelta::hours(1));
        let call = InboundMessage {
            channel: Channel::Call,
            from_email: None,
            from_phone: Some("600 123 456".into()),
            ..email_from("", &format!("call-{n}"))
        };
        let captured = block_on(crm.log_inbound(Request::by(manager()), call)).unwrap();
        assert_eq!(captured.customer, CustomerId::Contact(contact(2)));
    }
    let jorge = CustomerId::Contact(contact(2));
    let first = crm.query_unfiltered(|v| v.timeline(jorge, 0, 10));
    let second = crm.query_unfiltered(|v| v.timeline(jorge, 1, 10));
    assert_eq!((first.len(), second.len()), (10, 2));
    assert!(
        first[0].at > first[9].at && first[9].at > second[0].at,
        "newest first"
    );
    let card = crm
        .query_unfiltered(|v| v.contact_card(contact(2), clock_now(&clock)))
        .unwrap();
    assert_eq!(
        card.activity.interactions.len(),
        crm::projection::CARD_TIMELINE
    );
    assert_eq!(
        card.activity.interactions_per_channel.get(&Channel::Call),
        Some(&12)
    );
}

fn clock_now(clock: &crm::clock::ManualClock) -> chrono::DateTime<chrono::Utc> {
    crm::clock::Clock::now(clock)
}

#[test]
fn a_merged_contact_s_orders_count_for_the_survivor() {
    let (crm, clock) = fresh();
    block_on(history(&crm, &clock));
    block_on(crm.execute(
        &manager(),
        crm::domain::contact::ContactCommand::Merge {
            contact_id: contact(2),
            survivor: contact(1),
        },
    ))
    .unwrap();
    let survivor = crm.query_unfiltered(|v| v.summary(CustomerId::Contact(contact(1))));
    assert_eq!(survivor.orders.len(), 5, "Lucía's three and Jorge's two");
    // 217.70 + 488.95 + 150.15
    assert_eq!(survivor.lifetime_value.to_string(), "856.80 EUR");
    let everyone = crm.query_unfiltered(|v| v.segment(&Segment::default(), start()));
    assert!(everyone
        .iter()
        .all(|r| r.customer != CustomerId::Contact(contact(2))));
}

#[test]
fn a_chain_of_merges_resolves_to_its_end_in_every_projection() {
    use crm::report::customers::CustomersReport;
    let (crm, clock) = fresh();
    block_on(history(&crm, &clock));
    // A third contact, then Jorge (2) into Lucía (1), and Lucía into the third: 2 → 1 → 3.
    block_on(crm.execute(
        &manager(),
        create_contact(contact(3), "Lucía", "García Ruiz"),
    ))
    .unwrap();
    for (merged, survivor) in [(2, 1), (1, 3)] {
        block_on(crm.execute(
            &manager(),
            crm::domain::contact::ContactCommand::Merge {
                contact_id: contact(merged),
                survivor: contact(survivor),
            },
        ))
        .unwrap();
    }
    let end = CustomerId::Contact(contact(3));
    crm.query_unfiltered(|v| {
        assert_eq!(v.cards.survivor(CustomerId::Contact(contact(2))), end);
        let card = v.contact_card(contact(3), start()).unwrap();
        assert_eq!(card.merged_from, vec![contact(1), contact(2)]);
        assert_eq!(card.activity.orders.len(), 5, "all five orders on the end");
        assert_eq!(card.activity.lifetime_value.to_string(), "856.80 EUR");
        let hits = v.search.find("Jorge");
        assert!(
            !hits.is_empty() && hits.iter().all(|h| h.customer == end),
            "{hits:?}"
        );
        let segment = v.segment(&Segment::default(), start());
        assert!(segment
            .iter()
            .all(|r| r.customer != CustomerId::Contact(contact(1))
                && r.customer != CustomerId::Contact(contact(2))));
        let row = segment.iter().find(|r| r.customer == end).unwrap();
        assert_eq!(row.orders, 4, "five orders, one of them cancelled");
        let period = crm::report::Period::new(start(), start() + TimeDelta::days(365)).unwrap();
        let report = CustomersReport::compute(v, period, 2.0);
        assert!(report
            .rfm
            .iter()
            .all(|c| c.customer != CustomerId::Contact(contact(1))));
        let end_rfm = report.rfm.iter().find(|c| c.customer == end).unwrap();
        assert_eq!(end_rfm.frequency, 4, "five orders, one of them cancelled");
    });
}
