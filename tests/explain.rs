//! Explained figures: the events behind a sales, satisfaction or fulfillment figure or a
//! board column add up to the figure exactly, on the shop fixture, the pipeline fixture, as
//! of a past point, and on the Olist data (skipped, with a message, where it is absent).
#![allow(clippy::unwrap_used)] // Tests fail loudly.

#[path = "../examples/olist/import.rs"]
mod olist;

mod support;

use chrono::NaiveDate;
use crm::explain::{
    BoardFigure, Explained, Explanation, FulfillmentFigure, SalesFigure, SatisfactionFigure, Stage,
};
use crm::money::Currency;
use crm::report::fulfillment::FulfillmentReport;
use crm::report::sales::{SalesBy, SalesReport, SalesRow};
use crm::report::satisfaction::{SatisfactionReport, SatisfactionRow};
use crm::report::{Bucket, Period};
use crm::store::EventStore;
use crm::time_travel::AsOf;
use crm::{Crm, CrmOptions};
use support::*;

/// The report row's value of `figure`: a sum, or a rate's numerator and denominator.
fn reported(row: &SalesRow, figure: SalesFigure) -> (i64, i64) {
    let count = |n: usize| i64::try_from(n).unwrap();
    match figure {
        SalesFigure::Placed => (count(row.placed), 0),
        SalesFigure::Delivered => (count(row.delivered), 0),
        SalesFigure::Cancelled => (count(row.cancelled), 0),
        SalesFigure::Booked => (row.booked.minor, 0),
        SalesFigure::Gross => (row.gross.minor, 0),
        SalesFigure::Refunds => (row.refunds.minor, 0),
        SalesFigure::Net => (row.net.minor, 0),
        SalesFigure::AverageOrderValue => (row.booked.minor, count(row.placed)),
        SalesFigure::ItemsPerOrder => (i64::try_from(row.items).unwrap(), count(row.placed)),
    }
}

/// The explanation's sums, checking each is the sum of its contributions.
fn explained(explained: &Explained) -> (i64, i64) {
    let sum = |e: &Explanation| {
        let total: i64 = e.contributions.iter().map(|c| c.amount).sum();
        assert_eq!(
            total, e.total,
            "{}: the parts add up to the figure",
            e.figure
        );
        assert!(e
            .contributions
            .windows(2)
            .all(|w| w[0].position < w[1].position));
        total
    };
    match explained {
        Explained::Sum(e) => (sum(e), 0),
        Explained::Rate {
            numerator,
            denominator,
        } => (sum(numerator), sum(denominator)),
    }
}

/// Every figure of every row of the sales report of `period` on `crm`, as of `as_of`, is
/// what its explanation adds up to.
async fn every_sales_figure_is_explained<S: EventStore>(
    crm: &Crm<S>,
    period: Period,
    as_of: Option<AsOf>,
) -> usize {
    let views = match as_of {
        Some(at) => crm.as_of(at).await.unwrap().views,
        None => crm.query_unfiltered(Clone::clone),
    };
    let report = SalesReport::compute(&views.activity, period, SalesBy::Bucket);
    let mut nonzero = 0;
    for row in &report.rows {
        for (name, figure) in SalesFigure::ALL {
            let why = crm
                .explain_sales(period, &row.bucket, row.currency, figure, as_of)
                .await
                .unwrap();
            let expected = reported(row, figure);
            assert_eq!(explained(&why), expected, "{name} of {}", row.bucket);
            nonzero += usize::from(expected != (0, 0));
        }
    }
    nonzero
}

fn spring() -> Period {
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    Period::days(day(3, 1), day(6, 30), chrono_tz::Europe::Madrid)
        .unwrap()
        .by(Bucket::Week)
}

#[tokio::test]
async fn every_sales_figure_of_the_shop_adds_up_from_its_events_now_and_as_of_the_middle() {
    let (crm, clock) = fresh();
    shop::history(&crm, &clock).await;
    assert!(every_sales_figure_is_explained(&crm, spring(), None).await > 10);
    let middle = crm.store().head_position().await.unwrap() / 2;
    every_sales_figure_is_explained(&crm, spring(), Some(AsOf::Position(middle))).await;

    let refused = crm
        .explain_sales(
            spring(),
            "2026-W10",
            shop::eur(0).currency,
            SalesFigure::Net,
            Some(AsOf::Position(middle * 9)),
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, crm::Error::AsOfAhead { .. }), "{refused}");
}

#[tokio::test]
async fn a_board_columns_weighted_value_is_its_deals_each_by_its_latest_event() {
    let (crm, clock) = fresh();
    sales::month(&crm, &clock).await;
    let pipeline = crm::testing::sales::pipeline_id();
    let board = crm.query_unfiltered(|v| v.deals.board(pipeline)).unwrap();
    let mut explained_columns = 0;
    for column in &board.columns {
        for weighted in column.weighted.iter() {
            let (currency, weighted) = (weighted.currency, weighted.minor);
            let why = crm
                .explain_board(
                    pipeline,
                    column.stage_id,
                    BoardFigure::Weighted,
                    currency,
                    None,
                )
                .await
                .unwrap()
                .unwrap();
            assert_eq!(why.total, weighted, "{}", column.name);
            assert_eq!(
                why.contributions.iter().map(|c| c.amount).sum::<i64>(),
                weighted
            );
            let total = crm
                .explain_board(
                    pipeline,
                    column.stage_id,
                    BoardFigure::Total,
                    currency,
                    None,
                )
                .await
                .unwrap()
                .unwrap();
            assert_eq!(total.total, column.total.get(currency).minor);
            explained_columns += 1;
        }
        let count = crm
            .explain_board(
                pipeline,
                column.stage_id,
                BoardFigure::Count,
                shop::eur(0).currency,
                None,
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(count.total, i64::try_from(column.deals.len()).unwrap());
    }
    assert!(explained_columns >= 2, "{board}");

    // Deal 3 (300.00 EUR) sits in Negotiation, moved there on day 6 by its latest event.
    let negotiation = crm::testing::sales::stage_ids()[3];
    let why = crm
        .explain_board(
            pipeline,
            negotiation,
            BoardFigure::Weighted,
            shop::eur(0).currency,
            None,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(why.contributions.len(), 1);
    assert_eq!(why.contributions[0].event_type, "DealStageChanged");
    assert_eq!(
        why.contributions[0].occurred_at,
        start() + chrono::TimeDelta::days(6)
    );
    // On day 5 it was still in Qualified: the column held nothing.
    let log = crm.store().read_all(0, usize::MAX).await.unwrap();
    let before = log
        .iter()
        .filter(|e| e.occurred_at < start() + chrono::TimeDelta::days(6))
        .count();
    let then = crm
        .explain_board(
            pipeline,
            negotiation,
            BoardFigure::Weighted,
            shop::eur(0).currency,
            Some(AsOf::Position(before as u64)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((then.total, then.contributions.len()), (0, 0));
}

#[tokio::test]
async fn the_olist_datas_monthly_net_sales_fulfillment_customers_and_stars_add_up_from_their_events(
) {
    let Some(dir) = support::olist_data() else {
        return;
    };
    let clock = crm::clock::ManualClock::new(support::start());
    let store = crm::MemoryStore::with_clock(std::sync::Arc::new(clock.clone()));
    let options = CrmOptions {
        run_policies: false,
        ..CrmOptions::default()
    };
    let crm = support::deterministic(store, &clock, options);
    olist::import(&crm, &dir).await.unwrap();
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let period = Period::days(
        day(2017, 1, 1),
        day(2018, 12, 31),
        chrono_tz::America::Sao_Paulo,
    )
    .unwrap()
    .by(Bucket::Month);
    let brl = Currency::new("BRL").unwrap();
    let report =
        crm.query_unfiltered(|v| SalesReport::compute(&v.activity, period, SalesBy::Bucket));
    let mut months = 0;
    for row in report
        .rows
        .iter()
        .filter(|r| r.currency == brl && r.net.minor != 0)
    {
        let Explained::Sum(why) = crm
            .explain_sales(period, &row.bucket, brl, SalesFigure::Net, None)
            .await
            .unwrap()
        else {
            panic!("net sales are a sum")
        };
        assert_eq!(why.total, row.net.minor, "net sales of {}", row.bucket);
        assert_eq!(
            why.contributions.iter().map(|c| c.amount).sum::<i64>(),
            row.net.minor
        );
        assert!(why
            .contributions
            .iter()
            .all(|c| c.event_type == "PaymentReceived" || c.event_type == "RefundIssued"));
        months += 1;
    }
    assert!(months >= 12, "{months} months with sales");

    // The fulfillment report's stages and the carrier's late deliveries over the two years,
    // and the reviews' stars, each from their events.
    assert!(every_fulfillment_figure_is_explained(&crm, period).await >= 5);
    // Two quarters, so that churn has a quarter before it; each figure walks every
    // customer, which in a debug build takes seconds.
    let quarters = Period::days(
        day(2018, 1, 1),
        day(2018, 6, 30),
        chrono_tz::America::Sao_Paulo,
    )
    .unwrap()
    .by(Bucket::Quarter);
    assert!(every_customers_figure_is_explained(&crm, quarters).await >= 5);
    let satisfaction = crm.query_unfiltered(|v| SatisfactionReport::compute(v, period));
    assert!(satisfaction.total.reviews > 10_000);
    for (name, figure) in SatisfactionFigure::ALL {
        if name == "reviews" || name.contains("stars") {
            let why = crm
                .explain_satisfaction(period, "total", figure, None)
                .await
                .unwrap();
            satisfaction_row_is_explained(&satisfaction.total, figure, &why);
        }
    }
}

/// A rate's explanation gives the reported value: its parts' quotient, over as many answers.
fn same_rate(explained: (i64, i64), reported: Option<f64>, answers: usize, scale: f64) -> bool {
    let (numerator, denominator) = explained;
    match reported {
        None => (numerator, denominator) == (0, 0),
        Some(value) => {
            denominator == i64::try_from(answers).unwrap()
                && (numerator as f64 / denominator as f64 / scale - value).abs() < 1e-9
        }
    }
}

/// Every figure of a satisfaction row is what its explanation adds up to.
fn satisfaction_row_is_explained(
    row: &SatisfactionRow,
    figure: SatisfactionFigure,
    why: &Explained,
) {
    let count = |n: usize| (i64::try_from(n).unwrap(), 0);
    let sums = explained(why);
    let ok = match figure {
        SatisfactionFigure::Reviews => sums == count(row.reviews),
        SatisfactionFigure::Stars(k) => sums == count(row.stars[usize::from(k) - 1]),
        SatisfactionFigure::AverageStars => same_rate(sums, row.average_stars, row.reviews, 1.0),
        SatisfactionFigure::NpsAnswers => sums == count(row.nps_answers),
        SatisfactionFigure::Promoters => sums == count(row.promoters),
        SatisfactionFigure::Passives => sums == count(row.passives),
        SatisfactionFigure::Detractors => sums == count(row.detractors),
        SatisfactionFigure::Nps => same_rate(sums, row.nps, row.nps_answers, 1.0),
        SatisfactionFigure::CesAnswers => sums == count(row.ces_answers),
        SatisfactionFigure::AverageCes => same_rate(sums, row.average_ces, row.ces_answers, 1.0),
    };
    assert!(
        ok,
        "{figure:?} of {}: {sums:?} explained, {row:?} reported",
        row.group
    );
}

#[tokio::test]
async fn every_satisfaction_figure_of_the_shop_adds_up_from_its_feedback() {
    use crm::domain::feedback::{FeedbackCommand, FeedbackGiven, Score};
    use crm::ids::{CustomerId, FeedbackId};
    let (crm, clock) = fresh();
    shop::history(&crm, &clock).await;
    let answers = [
        (20, CustomerId::Contact(contact(2)), Score::Nps { score: 3 }),
        (40, CustomerId::Company(company(1)), Score::Ces { score: 6 }),
        (41, CustomerId::Contact(contact(1)), Score::Nps { score: 7 }),
        (42, CustomerId::Contact(contact(2)), Score::Ces { score: 3 }),
        (
            43,
            CustomerId::Contact(contact(2)),
            Score::Nps { score: 10 },
        ),
    ];
    for (n, (day, customer, score)) in (1u128..).zip(answers) {
        clock.set(start() + chrono::TimeDelta::days(day));
        let feedback = FeedbackGiven {
            feedback_id: FeedbackId::from_uuid(uuid::Uuid::from_u128(n)),
            customer,
            score,
            comment: None,
        };
        crm.execute(&manager(), FeedbackCommand::Give(feedback))
            .await
            .unwrap();
    }
    let assign = crm::domain::contact::ContactCommand::AssignOwner {
        contact_id: contact(1),
        owner: Some(user(1)),
    };
    crm.execute(&manager(), assign).await.unwrap();
    let report = crm.query_unfiltered(|v| SatisfactionReport::compute(v, spring()));
    assert!(report.total.nps_answers >= 3 && report.total.ces_answers == 2);
    assert!(
        report.by_manager.len() >= 2,
        "an owned customer and unassigned ones"
    );
    let rows = report.by_bucket.iter().chain(&report.by_manager);
    for row in rows.chain([&report.total]) {
        for (_, figure) in SatisfactionFigure::ALL {
            let why = crm
                .explain_satisfaction(spring(), &row.group, figure, None)
                .await
                .unwrap();
            satisfaction_row_is_explained(row, figure, &why);
        }
    }
    // Each NPS answer is one FeedbackGiven event: +100 a promoter, 0 a passive, −100 a
    // detractor, over one per answer.
    let Explained::Rate {
        numerator,
        denominator,
    } = crm
        .explain_satisfaction(spring(), "total", SatisfactionFigure::Nps, None)
        .await
        .unwrap()
    else {
        panic!("NPS is a rate")
    };
    let mut parts: Vec<i64> = numerator.contributions.iter().map(|c| c.amount).collect();
    parts.sort_unstable();
    assert_eq!(parts, [-100, 0, 100, 100]);
    assert_eq!(denominator.total, 4);
    assert!(numerator
        .contributions
        .iter()
        .all(|c| c.event_type == "FeedbackGiven"));
}

/// Every stage figure and carrier figure of the fulfillment report over `period` is what
/// its explanation adds up to; returns how many were not empty.
async fn every_fulfillment_figure_is_explained<S: EventStore>(
    crm: &Crm<S>,
    period: Period,
) -> usize {
    let report = crm.query_unfiltered(|v| FulfillmentReport::compute(&v.activity, period, 7));
    let mut nonempty = 0;
    for ((_, stage), row) in Stage::ALL.into_iter().zip(&report.stages) {
        let why = |figure| async move {
            explained(
                &crm.explain_fulfillment(period, &figure, None)
                    .await
                    .unwrap(),
            )
        };
        let orders = why(FulfillmentFigure::Orders(stage)).await;
        assert_eq!(
            orders,
            (i64::try_from(row.orders).unwrap(), 0),
            "{}",
            row.stage
        );
        let median = why(FulfillmentFigure::Median(stage)).await;
        let middle = if row.orders % 2 == 1 { 1 } else { 2 };
        assert!(
            same_rate(median, row.median_hours, middle, 3600.0),
            "median of {}: {median:?}, {:?} h reported",
            row.stage,
            row.median_hours
        );
        let (p90, _) = why(FulfillmentFigure::P90(stage)).await;
        assert_eq!(
            row.p90_hours.map(|h| (h * 3600.0).round() as i64),
            (row.orders > 0).then_some(p90),
            "p90 of {}",
            row.stage
        );
        nonempty += usize::from(row.orders > 0);
    }
    for carrier in &report.carriers {
        let why = |figure| async move {
            explained(
                &crm.explain_fulfillment(period, &figure, None)
                    .await
                    .unwrap(),
            )
        };
        let name = carrier.carrier.clone();
        let delivered = why(FulfillmentFigure::Delivered(name.clone())).await;
        assert_eq!(delivered, (i64::try_from(carrier.delivered).unwrap(), 0));
        let late = why(FulfillmentFigure::Late(name.clone())).await;
        assert_eq!(late, (i64::try_from(carrier.late).unwrap(), 0));
        let rate = why(FulfillmentFigure::LateRate(name)).await;
        assert!(same_rate(rate, carrier.late_rate, carrier.delivered, 1.0));
        nonempty += usize::from(carrier.delivered > 0);
    }
    nonempty
}

#[tokio::test]
async fn every_fulfillment_figure_of_the_shop_adds_up_from_its_order_events() {
    let (crm, clock) = fresh();
    shop::history(&crm, &clock).await;
    assert!(every_fulfillment_figure_is_explained(&crm, spring()).await >= 2);
    // A median is its middle order's (or two orders') duration, carried by the event that
    // ended the stage, beside the one that started it.
    let Explained::Rate { numerator, .. } = crm
        .explain_fulfillment(
            spring(),
            &FulfillmentFigure::Median(Stage::PlacedToDelivered),
            None,
        )
        .await
        .unwrap()
    else {
        panic!("a median is a rate")
    };
    let types: Vec<&str> = numerator
        .contributions
        .iter()
        .map(|c| c.event_type)
        .collect();
    assert!(
        types.contains(&"OrderPlaced") && types.contains(&"OrderDelivered"),
        "{types:?}"
    );
}

#[tokio::test]
async fn a_cards_lifetime_value_orders_and_conversations_add_up_from_their_events() {
    use crm::explain::CardFigure;
    use crm::ids::CustomerId;
    let (crm, clock) = fresh();
    shop::history(&crm, &clock).await;
    let customers = [
        CustomerId::Contact(contact(1)),
        CustomerId::Contact(contact(2)),
        CustomerId::Company(company(1)),
    ];
    let mut valued = 0;
    for customer in customers {
        let summary = crm.query_unfiltered(|v| v.summary(customer));
        for value in summary.lifetime_value.iter() {
            let why = crm
                .explain_card(customer, CardFigure::LifetimeValue(value.currency), None)
                .await
                .unwrap();
            assert_eq!(explained(&why), (value.minor, 0), "{customer} {value}");
            valued += usize::from(value.minor != 0);
        }
        let orders = crm
            .explain_card(customer, CardFigure::Orders, None)
            .await
            .unwrap();
        assert_eq!(
            explained(&orders).0,
            i64::try_from(summary.orders.len()).unwrap()
        );
        let talks: usize = summary.interactions_per_channel.values().sum();
        let interactions = crm
            .explain_card(customer, CardFigure::Interactions, None)
            .await
            .unwrap();
        assert_eq!(explained(&interactions).0, i64::try_from(talks).unwrap());
    }
    assert!(valued >= 1, "someone on the shop fixture has spent");

    // As of the middle of the log, against the card as it was then.
    let middle = crm.store().head_position().await.unwrap() / 2;
    let past = crm.as_of(AsOf::Position(middle)).await.unwrap();
    for customer in customers {
        let then = past.views.summary(customer);
        for value in then.lifetime_value.iter() {
            let why = crm
                .explain_card(
                    customer,
                    CardFigure::LifetimeValue(value.currency),
                    Some(AsOf::Position(middle)),
                )
                .await
                .unwrap();
            assert_eq!(explained(&why), (value.minor, 0));
        }
    }
}

/// Every bucket's new and active customers and churn, the repeat rate, and each customer's
/// RFM frequency and monetary value in the customers report over `period` is what its
/// explanation adds up to; returns how many were not zero.
async fn every_customers_figure_is_explained<S: EventStore>(crm: &Crm<S>, period: Period) -> usize {
    use crm::explain::CustomersFigure as F;
    use crm::report::customers::CustomersReport;
    let report = crm.query_unfiltered(|v| CustomersReport::compute(v, period, 2.0));
    let why = |figure: F| async move {
        explained(&crm.explain_customers(period, &figure, None).await.unwrap())
    };
    let count = |n: usize| i64::try_from(n).unwrap();
    let mut nonzero = 0;
    for (i, bucket) in report.buckets.iter().enumerate() {
        let label = bucket.bucket.clone();
        assert_eq!(
            why(F::New(label.clone())).await,
            (count(bucket.new), 0),
            "new in {label}"
        );
        assert_eq!(
            why(F::Active(label.clone())).await,
            (count(bucket.active), 0),
            "active in {label}"
        );
        let before = i.checked_sub(1).map_or(0, |b| report.buckets[b].active);
        let churn = why(F::Churn(label.clone())).await;
        assert!(
            same_rate(churn, bucket.churn, before, 1.0),
            "churn in {label}: {churn:?}"
        );
        nonzero += usize::from(bucket.active > 0);
    }
    let repeat = why(F::RepeatRate).await;
    assert!(
        repeat.1 > 0 || report.repeat_rate.is_none(),
        "{repeat:?} against {:?}",
        report.repeat_rate
    );
    assert!(same_rate(
        repeat,
        report.repeat_rate,
        usize::try_from(repeat.1).unwrap(),
        1.0
    ));
    // Every customer's on a small log; the first few hundred of a large one.
    for row in report.rfm.iter().take(300) {
        assert_eq!(
            why(F::Frequency(row.customer)).await,
            (count(row.frequency), 0)
        );
        let recency = why(F::Recency(row.customer)).await;
        assert!(
            (recency.0 as f64 / 86_400.0 - row.recency_days).abs() < 1e-9,
            "{recency:?} against {} days",
            row.recency_days
        );
        assert_eq!(
            why(F::Monetary(row.customer)).await,
            (row.monetary.minor, 0)
        );
        nonzero += usize::from(row.monetary.minor != 0);
    }
    // Each edge of the lifetime-value spread is one customer's payments and refunds.
    for spread in &report.lifetime_value {
        for (edge, value) in spread.edges.iter().enumerate() {
            let at_edge = why(F::ValueEdge(spread.currency, edge)).await;
            assert_eq!(at_edge, (*value, 0), "{} edge {edge}", spread.currency);
        }
        nonzero += usize::from(spread.customers > 1);
    }
    nonzero
}

#[tokio::test]
async fn every_customers_figure_of_the_shop_adds_up_from_its_orders() {
    let (crm, clock) = fresh();
    shop::history(&crm, &clock).await;
    assert!(every_customers_figure_is_explained(&crm, spring()).await >= 2);
}

#[tokio::test]
async fn every_activity_figure_of_the_shop_adds_up_from_its_conversations_and_tasks() {
    use crm::domain::task::{ScheduleTask, TaskCommand, TaskKind};
    use crm::explain::ActivityFigure as F;
    use crm::ids::TaskId;
    use crm::report::activity::ActivityReport;
    let (crm, clock) = fresh();
    shop::history(&crm, &clock).await;
    // Two inbound conversations (one settled at once), each answered by a call two and
    // five days later, and two tasks: one done, one overdue.
    use crm::domain::interaction::{
        Channel, Direction, InteractionCommand, InteractionLogged, Outcome,
    };
    let talk = |n: u128, who: u128, direction: Direction, outcome: Option<Outcome>| {
        InteractionCommand::Log(InteractionLogged {
            interaction_id: crm::ids::InteractionId::from_uuid(uuid::Uuid::from_u128(9000 + n)),
            customer: crm::ids::CustomerId::Contact(contact(who)),
            channel: match direction {
                Direction::Inbound => Channel::Email,
                _ => Channel::Call,
            },
            direction,
            handled_by: Some(user(1)),
            duration_seconds: None,
            subject: format!("talk {n}").as_str().into(),
            summary: None,
            outcome,
            source_message_id: None,
        })
    };
    for (n, day, who, direction, outcome) in [
        (1, 50, 1, Direction::Inbound, Some(Outcome::Resolved)),
        (2, 51, 2, Direction::Inbound, None),
        (3, 52, 1, Direction::Outbound, None),
        (4, 56, 2, Direction::Outbound, None),
    ] {
        clock.set(start() + chrono::TimeDelta::days(day));
        crm.execute(&manager(), talk(n, who, direction, outcome))
            .await
            .unwrap();
    }
    for n in 1..=2u128 {
        let schedule = TaskCommand::Schedule(ScheduleTask {
            task_id: TaskId::from_uuid(uuid::Uuid::from_u128(n)),
            title: format!("Call back {n}"),
            kind: TaskKind::Call,
            due: start() + chrono::TimeDelta::days(60),
            assignee: user(1),
            customer: None,
            deal: None,
        });
        crm.execute(&manager(), schedule).await.unwrap();
    }
    clock.set(start() + chrono::TimeDelta::days(61));
    let done = TaskCommand::Complete {
        task_id: TaskId::from_uuid(uuid::Uuid::from_u128(1)),
    };
    crm.execute(&manager(), done).await.unwrap();
    let report = crm.query_unfiltered(|v| ActivityReport::compute(v, spring()));
    let why = |figure: F| {
        let crm = &crm;
        async move { explained(&crm.explain_activity(spring(), figure, None).await.unwrap()) }
    };
    let count = |n: usize| (i64::try_from(n).unwrap(), 0);
    let mut nonzero = 0;
    for row in &report.managers {
        let who = row.user_id;
        assert_eq!(
            why(F::Interactions(who)).await,
            count(row.interactions),
            "{}",
            row.manager
        );
        assert_eq!(
            why(F::Calls(who)).await,
            count(row.calls),
            "{}",
            row.manager
        );
        if let Some(user) = who {
            assert_eq!(
                why(F::TasksCompleted(user)).await,
                count(row.tasks_completed)
            );
            assert_eq!(why(F::TasksOverdue(user)).await, count(row.tasks_overdue));
        }
        nonzero += row.interactions + row.tasks_completed + row.tasks_overdue;
    }
    let r = &report.responsiveness;
    assert_eq!(why(F::Inbound).await, count(r.inbound));
    assert_eq!(why(F::Answered).await, count(r.answered));
    for row in &report.managers {
        for (channel, n) in &row.per_channel {
            let on = why(F::InteractionsOn(row.user_id, *channel)).await;
            assert_eq!(on, count(*n), "{} on {channel:?}", row.manager);
        }
    }
    let median = why(F::ResponseMedian).await;
    let middle = if r.answered % 2 == 1 { 1 } else { 2 };
    assert!(
        same_rate(median, r.median_hours, middle, 3600.0),
        "{median:?} {r:?}"
    );
    let (p90, _) = why(F::ResponseP90).await;
    assert_eq!(r.p90_hours.map(|h| (h * 3600.0).round() as i64), Some(p90));
    let fcr = why(F::FirstContactResolution).await;
    assert!(
        same_rate(fcr, r.first_contact_resolution, r.inbound, 1.0),
        "{fcr:?}"
    );
    assert!(nonzero >= 4 && r.answered >= 2, "{report:?}");
    assert!(
        report
            .managers
            .iter()
            .any(|m| m.tasks_completed == 1 && m.tasks_overdue == 1),
        "{report:?}"
    );
}

#[tokio::test]
async fn every_pipeline_figure_adds_up_from_its_deal_events() {
    use crm::explain::PipelineFigure as F;
    use crm::report::pipeline::PipelineReport;
    let (crm, clock) = fresh();
    sales::month(&crm, &clock).await;
    let pipeline = crm::testing::sales::pipeline_id();
    let report = crm
        .query_unfiltered(|v| PipelineReport::compute(&v.deals, pipeline, spring()))
        .unwrap();
    let why = |figure: F| {
        let crm = &crm;
        async move {
            explained(
                &crm.explain_pipeline(pipeline, spring(), &figure, None)
                    .await
                    .unwrap(),
            )
        }
    };
    let count = |n: usize| (i64::try_from(n).unwrap(), 0);
    assert_eq!(why(F::Opened).await, count(report.opened));
    assert_eq!(why(F::Won).await, count(report.won));
    assert_eq!(why(F::Lost).await, count(report.lost));
    let rate = why(F::WinRate).await;
    assert!(
        same_rate(rate, report.win_rate, report.won + report.lost, 1.0),
        "{rate:?}"
    );
    let mut amounts = 0;
    for won in report.won_amount.iter() {
        assert_eq!(why(F::WonAmount(won.currency)).await, (won.minor, 0));
        amounts += 1;
    }
    assert!(report.opened >= 3 && report.won >= 1 && report.lost >= 1 && amounts >= 1);

    // Each row of the per-bucket and per-owner tables, figure by figure.
    use crm::explain::{DealGroup, RowFigure as R};
    let buckets = report
        .by_bucket
        .iter()
        .map(|row| (DealGroup::Bucket(row.group.clone()), row));
    let owners = report
        .by_owner
        .iter()
        .map(|row| (DealGroup::Owner(row.group.parse().unwrap()), row));
    let mut rows = 0;
    for (group, row) in buckets.chain(owners) {
        let of = |figure: R| F::Row(group.clone(), figure);
        assert_eq!(why(of(R::Opened)).await, count(row.opened), "{group:?}");
        assert_eq!(why(of(R::Won)).await, count(row.won), "{group:?}");
        assert_eq!(why(of(R::Lost)).await, count(row.lost), "{group:?}");
        for won in row.won_amount.iter() {
            let amount = why(of(R::WonAmount(won.currency))).await;
            assert_eq!(amount, (won.minor, 0), "{group:?}");
        }
        rows += usize::from(row.opened + row.won + row.lost > 0);
    }
    assert!(rows >= 3, "rows with deals in both tables: {rows}");

    for stage in &report.conversion {
        let rate = why(F::Conversion(stage.stage_id)).await;
        assert_eq!(rate.1, count(stage.entered).0, "{}", stage.name);
        assert!(
            same_rate(rate, stage.rate, stage.entered, 1.0),
            "{}: {rate:?}",
            stage.name
        );
    }
    assert!(report.conversion.iter().any(|c| c.advanced > 0));
    for reason in &report.lost_reasons {
        assert_eq!(
            why(F::LostDeals(reason.reason.clone())).await,
            count(reason.deals)
        );
        for money in reason.amount.iter() {
            let lost = why(F::LostAmount(reason.reason.clone(), money.currency)).await;
            assert_eq!(lost, (money.minor, 0), "{}", reason.reason);
        }
    }
    assert!(!report.lost_reasons.is_empty() && !report.forecast.is_empty());
    for stage in &report.time_in_stage {
        let mean = why(F::StageTime(stage.stage_id)).await;
        assert!(
            same_rate(mean, stage.average_days, stage.stays, 86_400.0),
            "{}: {mean:?} against {:?} days",
            stage.name,
            stage.average_days
        );
    }
    let cycle = why(F::CycleMean).await;
    assert!(
        same_rate(cycle, report.average_cycle_days, report.won, 86_400.0),
        "{cycle:?}"
    );
    let median = why(F::CycleMedian).await;
    let middle = if report.won % 2 == 1 { 1 } else { 2 };
    assert!(
        same_rate(median, report.median_cycle_days, middle, 86_400.0),
        "{median:?}"
    );
    for month in &report.forecast {
        let name = month.month.clone();
        assert_eq!(
            why(F::ForecastDeals(name.clone())).await,
            count(month.deals)
        );
        for money in month.total.iter() {
            let total = why(F::ForecastTotal(name.clone(), money.currency)).await;
            assert_eq!(total, (money.minor, 0), "{name}");
        }
        for money in month.weighted.iter() {
            let weighted = why(F::ForecastWeighted(name.clone(), money.currency)).await;
            assert_eq!(weighted, (money.minor, 0), "{name}");
        }
    }
}

#[tokio::test]
async fn every_attribution_figure_of_a_source_and_a_campaign_adds_up_from_its_events() {
    use crm::explain::{AttributionFigure as F, Touch};
    use crm::report::attribution::{AttributionReport, AttributionRow};
    let (crm, clock) = fresh();
    shop::history(&crm, &clock).await;
    // Lucía also buys for her office: a deal won on day 55.
    let lucia = crm::ids::CustomerId::Contact(contact(1));
    crm.execute(&manager(), crm::testing::sales::define_pipeline())
        .await
        .unwrap();
    let open = sales::open(1, lucia, 0, shop::eur(250_000), 1, (2026, 5, 31));
    crm.execute(&manager(), open).await.unwrap();
    clock.set(start() + chrono::TimeDelta::days(55));
    let win = crm::domain::deal::DealCommand::Win {
        deal_id: sales::deal(1),
    };
    crm.execute(&manager(), win).await.unwrap();

    let (report, campaigns) = crm.query_unfiltered(|v| {
        let campaigns: Vec<(String, crm::ids::CampaignId)> = v
            .activity
            .campaigns()
            .map(|c| (c.name.clone(), c.campaign_id))
            .collect();
        (
            AttributionReport::compute(&v.activity, &v.deals, &v.outbox, spring()),
            campaigns,
        )
    });
    let check = |touch: Touch, row: AttributionRow| {
        let crm = &crm;
        async move {
            let why = |figure| {
                let touch = touch.clone();
                async move {
                    explained(
                        &crm.explain_attribution(spring(), &touch, figure, None)
                            .await
                            .unwrap(),
                    )
                }
            };
            let count = |n: usize| (i64::try_from(n).unwrap(), 0);
            assert_eq!(why(F::Leads).await, count(row.leads), "{}", row.name);
            assert_eq!(
                why(F::Converted).await,
                count(row.converted),
                "{}",
                row.name
            );
            assert_eq!(why(F::Orders).await, count(row.orders), "{}", row.name);
            assert_eq!(why(F::DealsWon).await, count(row.deals_won), "{}", row.name);
            for money in row.revenue.iter() {
                assert_eq!(why(F::Revenue(money.currency)).await, (money.minor, 0));
            }
            for money in row.won_value.iter() {
                assert_eq!(why(F::WonValue(money.currency)).await, (money.minor, 0));
            }
            let rate = why(F::WinRate).await;
            assert!(same_rate(rate, row.win_rate, row.leads, 1.0), "{rate:?}");
            if let Some(cost) = row.cost.filter(|c| c.minor > 0) {
                let (numerator, denominator) = why(F::Roi).await;
                assert_eq!(denominator, cost.minor, "{}", row.name);
                let revenue = row.revenue.get(cost.currency).minor;
                assert_eq!(numerator, revenue - cost.minor, "{}", row.name);
                let roi = row.roi.unwrap();
                assert!((numerator as f64 / denominator as f64 - roi).abs() < 1e-9);
            }
            row.leads + row.deals_won
        }
    };
    let mut seen = 0;
    for row in report.by_source.clone() {
        seen += check(Touch::Source(row.name.clone()), row).await;
    }
    for row in report.by_campaign.clone() {
        let id = campaigns.iter().find(|(n, _)| *n == row.name).unwrap().1;
        seen += check(Touch::Campaign(id), row).await;
    }
    assert!(seen >= 3, "{report:?}");
}
