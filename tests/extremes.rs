//! Extreme values through the whole path — command, decider, projections, every report —
//! never panic and never wrap: each is refused with a clear error or counted exactly. These
//! tests run with overflow checks on (the test profile), so a wrapping sum would panic here.
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

mod support;

use chrono::NaiveDate;
use chrono_tz::Tz;
use crm::domain::order::OrderCommand;
use crm::report::activity::ActivityReport;
use crm::report::attribution::AttributionReport;
use crm::report::customers::CustomersReport;
use crm::report::fulfillment::FulfillmentReport;
use crm::report::sales::{SalesBy, SalesReport};
use crm::report::satisfaction::SatisfactionReport;
use crm::report::{Bucket, Period};
use crm::validate::{MAX_MINOR, MAX_QUANTITY};
use crm::{Crm, Error, MemoryStore};
use futures::executor::block_on;
use proptest::prelude::*;
use support::*;

/// Every year an event can have, by year.
fn all_time() -> Period {
    let day = |y| NaiveDate::from_ymd_opt(y, 1, 1).unwrap();
    Period::days(day(1900), day(2200), Tz::UTC)
        .unwrap()
        .by(Bucket::Year)
}

fn every_report(crm: &Crm<MemoryStore>) {
    let period = all_time();
    crm.query_unfiltered(|v| {
        for by in [SalesBy::Bucket, SalesBy::Channel, SalesBy::Category] {
            SalesReport::compute(&v.activity, period, by);
        }
        CustomersReport::compute(v, period, 2.0);
        FulfillmentReport::compute(&v.activity, period, 7);
        SatisfactionReport::compute(v, period);
        ActivityReport::compute(v, period);
        AttributionReport::compute(&v.activity, &v.deals, &v.outbox, period);
    });
}

fn with_a_customer() -> Crm<MemoryStore> {
    let (crm, _clock) = fresh();
    block_on(crm.execute(&manager(), create_contact(contact(1), "Lucía", "García"))).unwrap();
    crm
}

/// Places an order of `quantity` units at `unit` each; the outcome of the command.
fn place(crm: &Crm<MemoryStore>, n: u128, quantity: u32, unit: i64) -> Result<(), Error> {
    let command = shop::place(n, contact(1).into(), "chair", "chairs", quantity, 0);
    let OrderCommand::Place(mut order) = command else {
        unreachable!()
    };
    order.lines[0].unit_price.minor = unit;
    order.lines[0].tax.minor = 0;
    block_on(crm.execute(&manager(), OrderCommand::Place(order))).map(|_| ())
}

#[test]
fn three_billion_units_are_refused_at_the_command() {
    let crm = with_a_customer();
    let err = place(&crm, 1, 3_000_000_000, 100).unwrap_err();
    assert!(
        err.to_string().contains("lines.quantity is 3000000000"),
        "{err}"
    );
    assert_eq!(crm.store().len(), 1, "a refused order wrote something");
}

#[test]
fn the_largest_orders_add_up_exactly_in_the_sales_report() {
    let crm = with_a_customer();
    for n in 1..=5 {
        // Shipping (4.95) on top of the lines stays within the bound.
        place(
            &crm,
            n,
            MAX_QUANTITY,
            (MAX_MINOR - 1_000) / i64::from(MAX_QUANTITY),
        )
        .unwrap();
    }
    let report =
        crm.query_unfiltered(|v| SalesReport::compute(&v.activity, all_time(), SalesBy::Bucket));
    let items: u64 = report.rows.iter().map(|r| r.items).sum();
    assert_eq!(items, 5 * u64::from(MAX_QUANTITY));
    every_report(&crm);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_quantity_and_price_is_refused_or_reported_never_a_panic(
        orders in proptest::collection::vec(
            (
                prop_oneof![Just(0u32), Just(1), Just(MAX_QUANTITY), Just(MAX_QUANTITY + 1), Just(u32::MAX), any::<u32>()],
                prop_oneof![Just(0i64), Just(1), Just(MAX_MINOR), Just(i64::MAX), Just(-1), Just(i64::MIN), any::<i64>()],
            ),
            1..6,
        )
    ) {
        let crm = with_a_customer();
        let mut accepted_units = 0u64;
        for (n, (quantity, unit)) in orders.into_iter().enumerate() {
            match place(&crm, n as u128 + 1, quantity, unit) {
                Ok(()) => accepted_units += u64::from(quantity),
                Err(Error::Domain(_)) => {}
                Err(other) => prop_assert!(false, "not a rejection: {other}"),
            }
        }
        let report = crm.query_unfiltered(|v| SalesReport::compute(&v.activity, all_time(), SalesBy::Category));
        let items: u64 = report.rows.iter().map(|r| r.items).sum();
        prop_assert_eq!(items, accepted_units);
        every_report(&crm);
    }
}
