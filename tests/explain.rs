//! Explained figures: the events behind a sales figure or a board column add up to the figure
//! exactly, on the shop fixture, the pipeline fixture, as of a past point, and on the Olist
//! data (skipped, with a message, where it is absent).
#![allow(clippy::unwrap_used)] // Tests fail loudly.

#[path = "../examples/olist/import.rs"]
mod olist;

mod support;

use chrono::NaiveDate;
use crm::explain::{BoardFigure, Explained, Explanation, SalesFigure};
use crm::money::Currency;
use crm::report::sales::{SalesBy, SalesReport, SalesRow};
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
async fn net_sales_of_each_month_of_the_olist_data_add_up_from_their_events() {
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
}
