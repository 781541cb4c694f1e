//! Reports against figures computed by hand from their formulas.
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

mod support;

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use crm::report::render::{render, Format};
use crm::report::sales::{SalesBy, SalesReport};
use crm::report::{Bucket, Period};
use futures::executor::block_on;
use support::*;

fn madrid() -> Tz {
    "Europe/Madrid".parse().unwrap()
}

/// March to May 2026, by month, in Madrid.
fn spring() -> Period {
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    Period::days(day(3, 1), day(5, 31), madrid())
        .unwrap()
        .by(Bucket::Month)
}

fn sales() -> SalesReport {
    let (crm, clock) = fresh();
    block_on(shop::history(&crm, &clock));
    crm.query_unfiltered(|v| SalesReport::compute(&v.activity, spring(), SalesBy::Bucket))
}

#[test]
fn sales_by_month_match_the_formulas() {
    let report = sales();
    let row = |bucket: &str| {
        report
            .rows
            .iter()
            .chain(&report.totals)
            .find(|r| r.bucket == bucket)
            .unwrap()
    };
    let figures = |bucket: &str| {
        let r = row(bucket);
        (
            r.placed,
            r.delivered,
            r.cancelled,
            r.booked.minor,
            r.gross.minor,
            r.refunds.minor,
            r.net.minor,
            r.average_order_value.map(|m| m.minor),
            r.items_per_order,
        )
    };
    // March: orders 1–4 (125.95 + 488.95 + 1093.95 + 150.15), all paid and delivered;
    // 2 + 1 + 20 + 1 = 24 units over 4 orders.
    assert_eq!(
        figures("2026-03"),
        (
            4,
            4,
            0,
            185_900,
            185_900,
            0,
            185_900,
            Some(46_475),
            Some(6.0)
        )
    );
    // April: order 5 (101.75), paid and delivered, 10.00 refunded.
    assert_eq!(
        figures("2026-04"),
        (
            1,
            1,
            0,
            10_175,
            10_175,
            1_000,
            9_175,
            Some(10_175),
            Some(1.0)
        )
    );
    // May: order 6 (367.95) placed and cancelled, never paid.
    assert_eq!(
        figures("2026-05"),
        (1, 0, 1, 36_795, 0, 0, 0, Some(36_795), Some(1.0))
    );
    // The period: 2328.70 booked over 6 orders = 388.116… → 388.12; 1859.00 + 101.75 paid
    // = 1960.75; 26 units over 6 orders.
    assert_eq!(
        figures("total"),
        (
            6,
            5,
            1,
            232_870,
            196_075,
            1_000,
            195_075,
            Some(38_812),
            Some(26.0 / 6.0)
        )
    );
}

#[test]
fn an_order_just_before_midnight_utc_falls_in_madrid_s_next_month() {
    let (crm, clock) = fresh();
    block_on(shop::history(&crm, &clock));
    // 31 March 22:30 UTC is 1 April 00:30 in Madrid (UTC+2 since 29 March).
    clock.set(Utc.with_ymd_and_hms(2026, 3, 31, 22, 30, 0).unwrap());
    let lucia = crm::ids::CustomerId::Contact(contact(1));
    block_on(crm.execute(
        &manager(),
        shop::place(9, lucia, "rug-wool", "rugs", 1, 100),
    ))
    .unwrap();
    let placed = |period: Period, bucket: &str| {
        crm.query_unfiltered(|v| SalesReport::compute(&v.activity, period, SalesBy::Bucket))
            .rows
            .into_iter()
            .find(|r| r.bucket == bucket)
            .map_or(0, |r| r.placed)
    };
    assert_eq!(placed(spring(), "2026-03"), 4);
    assert_eq!(placed(spring(), "2026-04"), 2);
    let utc = Period::new(spring().from, spring().to)
        .unwrap()
        .by(Bucket::Month);
    assert_eq!(placed(utc, "2026-03"), 5, "in UTC it is still March");
}

#[test]
fn sales_render_as_a_table_csv_and_json() {
    let report = sales();
    insta::assert_snapshot!("sales_table", render(&report, Format::Table).unwrap());
    insta::assert_snapshot!("sales_csv", render(&report, Format::Csv).unwrap());
    let json: serde_json::Value =
        serde_json::from_str(&render(&report, Format::Json).unwrap()).unwrap();
    assert_eq!(json["totals"][0]["placed"], 6);
    assert_eq!(
        "yaml".parse::<Format>().unwrap_err().to_string(),
        "unknown format \"yaml\": use table, csv or json"
    );
}

#[test]
fn a_report_is_written_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sales.csv");
    crm::report::render::write(&sales(), Format::Csv, &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("bucket,group,currency,placed"), "{text}");
    let err = crm::report::render::write(&sales(), Format::Csv, dir.path()).unwrap_err();
    assert!(err.to_string().starts_with("could not write "), "{err}");
}

mod fulfillment {
    use super::*;
    use crm::domain::order::OrderCommand;
    use crm::ids::CustomerId;
    use crm::report::fulfillment::FulfillmentReport;

    /// The shop's history, plus order 9 (placed day 40, promised for day 42, everything done
    /// on day 44) and order 10 (placed day 45, paid and in preparation from day 46, no further).
    fn report() -> FulfillmentReport {
        let (crm, clock) = fresh();
        block_on(shop::history(&crm, &clock));
        let day = |d| start() + chrono::TimeDelta::days(d);
        let jorge = CustomerId::Contact(contact(2));
        let OrderCommand::Place(mut nine) = shop::place(9, jorge, "rug-wool", "rugs", 1, 10_000)
        else {
            unreachable!()
        };
        nine.promised_delivery = Some(day(42).date_naive());
        clock.set(day(40));
        block_on(crm.execute(&manager(), OrderCommand::Place(nine))).unwrap();
        // 100.00 + 21.00 + 4.95
        for step in shop::fulfil(9, 12_595) {
            clock.set(day(44));
            block_on(crm.execute(&manager(), step)).unwrap();
        }
        clock.set(day(45));
        block_on(crm.execute(
            &manager(),
            shop::place(10, jorge, "lamp", "lighting", 1, 1_000),
        ))
        .unwrap();
        // 10.00 + 2.10 + 4.95; the first four steps: pay, both checks, start preparing.
        for step in shop::fulfil(10, 1_705).into_iter().take(4) {
            clock.set(day(46));
            block_on(crm.execute(&manager(), step)).unwrap();
        }
        crm.query_unfiltered(|v| FulfillmentReport::compute(&v.activity, spring(), 7))
    }

    #[test]
    fn stage_times_lateness_and_stuck_orders_match_the_formulas() {
        let r = report();
        let stages: Vec<(usize, Option<f64>, Option<f64>)> = r
            .stages
            .iter()
            .map(|s| (s.orders, s.median_hours, s.p90_hours))
            .collect();
        assert_eq!(
            stages,
            [
                // 24, 24, 48, 24, 24, 96 and order 10's 24: median 24, p90 = 7th of 7 = 96.
                (7, Some(24.0), Some(96.0)),
                // Paid and shipped at the same instant, six times.
                (6, Some(0.0), Some(0.0)),
                (6, Some(0.0), Some(0.0)),
                // 24, 24, 24, 24, 48, 96: median (24 + 24) / 2, p90 = 6th of 6 = 96.
                (6, Some(24.0), Some(96.0)),
            ]
        );
        assert_eq!(r.carriers.len(), 1);
        let c = &r.carriers[0];
        assert_eq!((c.carrier.as_str(), c.delivered, c.late), ("Correos", 1, 1));
        assert_eq!(r.stuck.len(), 1);
        let stuck = &r.stuck[0];
        assert_eq!(stuck.order_id, shop::order(10));
        // From 17 April 09:30 UTC to 31 May 22:00 UTC (Madrid's midnight): 44 days 12.5 hours.
        assert!(
            (stuck.days - (44.0 + 12.5 / 24.0)).abs() < 1e-9,
            "{}",
            stuck.days
        );
    }

    #[test]
    fn fulfillment_renders_as_tables_and_csv() {
        let r = report();
        insta::assert_snapshot!("fulfillment_table", render(&r, Format::Table).unwrap());
        insta::assert_snapshot!("fulfillment_csv", csv_tables(&r));
    }
}

mod satisfaction {
    use super::*;
    use crm::domain::contact::ContactCommand;
    use crm::domain::feedback::{FeedbackCommand, FeedbackGiven, Score};
    use crm::ids::{CustomerId, FeedbackId};
    use crm::report::satisfaction::SatisfactionReport;

    /// The shop's history (Lucía: a 4-star review on 17 March, NPS 9 on 4 May), plus Jorge's
    /// NPS 3 on 22 March, Acme's CES 6 on 11 April and Lucía's NPS 7 on 12 April; Lucía is
    /// owned by user 1, the others by nobody.
    fn report() -> SatisfactionReport {
        let (crm, clock) = fresh();
        block_on(shop::history(&crm, &clock));
        let give = |n: u128, day: i64, customer: CustomerId, score: Score| {
            clock.set(start() + chrono::TimeDelta::days(day));
            let feedback = FeedbackGiven {
                feedback_id: FeedbackId::from_uuid(uuid::Uuid::from_u128(n)),
                customer,
                score,
                comment: None,
            };
            block_on(crm.execute(&manager(), FeedbackCommand::Give(feedback))).unwrap();
        };
        give(
            1,
            20,
            CustomerId::Contact(contact(2)),
            Score::Nps { score: 3 },
        );
        give(
            2,
            40,
            CustomerId::Company(company(1)),
            Score::Ces { score: 6 },
        );
        give(
            3,
            41,
            CustomerId::Contact(contact(1)),
            Score::Nps { score: 7 },
        );
        let assign = ContactCommand::AssignOwner {
            contact_id: contact(1),
            owner: Some(user(1)),
        };
        block_on(crm.execute(&manager(), assign)).unwrap();
        crm.query_unfiltered(|v| SatisfactionReport::compute(v, spring()))
    }

    type Figures = (
        usize,
        Option<f64>,
        usize,
        usize,
        usize,
        usize,
        Option<f64>,
        usize,
        Option<f64>,
    );

    fn figures(r: &crm::report::satisfaction::SatisfactionRow) -> Figures {
        (
            r.reviews,
            r.average_stars,
            r.nps_answers,
            r.promoters,
            r.passives,
            r.detractors,
            r.nps,
            r.ces_answers,
            r.average_ces,
        )
    }

    #[test]
    fn scores_nps_and_ces_match_the_formulas() {
        let r = report();
        let months: Vec<Figures> = r.by_bucket.iter().map(figures).collect();
        assert_eq!(
            months,
            [
                // March: the 4-star review; NPS 3 is a detractor: (0 − 1) × 100 / 1.
                (1, Some(4.0), 1, 0, 0, 1, Some(-100.0), 0, None),
                // April: NPS 7 is a passive: (0 − 0) × 100 / 1; CES 6.
                (0, None, 1, 0, 1, 0, Some(0.0), 1, Some(6.0)),
                // May: NPS 9 is a promoter.
                (0, None, 1, 1, 0, 0, Some(100.0), 0, None),
            ]
        );
        assert_eq!(r.by_bucket[0].stars, [0, 0, 0, 1, 0]);
        // The period: (1 − 1) × 100 / 3.
        assert_eq!(
            figures(&r.total),
            (1, Some(4.0), 3, 1, 1, 1, Some(0.0), 1, Some(6.0))
        );
        let managers: Vec<(String, Option<f64>)> = r
            .by_manager
            .iter()
            .map(|m| (m.group.clone(), m.nps))
            .collect();
        assert_eq!(
            managers,
            [
                // User 1 (Lucía): NPS 7 and 9: (1 − 0) × 100 / 2.
                (user(1).to_string(), Some(50.0)),
                ("unassigned".to_owned(), Some(-100.0)),
            ]
        );
    }

    #[test]
    fn satisfaction_renders_as_tables_and_csv() {
        let r = report();
        insta::assert_snapshot!("satisfaction_table", render(&r, Format::Table).unwrap());
        insta::assert_snapshot!("satisfaction_csv", csv_tables(&r));
    }
}

mod sales_by_channel {
    use super::*;

    #[test]
    fn sales_by_channel_render_as_a_table_and_csv() {
        let (crm, clock) = fresh();
        block_on(shop::history(&crm, &clock));
        let r = crm.query_unfiltered(|v| {
            SalesReport::compute(&v.activity, spring().by(Bucket::Quarter), SalesBy::Channel)
        });
        insta::assert_snapshot!("sales_by_channel_table", render(&r, Format::Table).unwrap());
        insta::assert_snapshot!("sales_by_channel_csv", render(&r, Format::Csv).unwrap());
    }
}

mod attribution {
    use super::*;
    use crm::report::attribution::AttributionReport;
    use crm::{InboundMessage, Request};

    /// The shop's history (Lucía first touched by email through "Spring sale", 500.00), plus a
    /// web lead on day 50 who never orders.
    fn report() -> AttributionReport {
        let (crm, clock) = fresh();
        block_on(shop::history(&crm, &clock));
        clock.set(start() + chrono::TimeDelta::days(50));
        let form = InboundMessage {
            message_id: "form-1".into(),
            channel: crm::domain::interaction::Channel::WebForm,
            from_email: Some("new@example.org".into()),
            from_phone: None,
            name: None,
            subject: "Catalogue, please".into(),
            summary: None,
            handled_by: None,
            outcome: None,
            source: crm::domain::details::LeadSource::Web,
            campaign: None,
        };
        block_on(crm.log_inbound(Request::by(manager()), form)).unwrap();
        // Lucía also buys for her office: a deal of 2500.00 EUR, won on day 55.
        let lucia = crm::ids::CustomerId::Contact(contact(1));
        block_on(crm.execute(&manager(), crm::testing::sales::define_pipeline())).unwrap();
        let open = support::sales::open(1, lucia, 0, shop::eur(250_000), 1, (2026, 5, 31));
        block_on(crm.execute(&manager(), open)).unwrap();
        clock.set(start() + chrono::TimeDelta::days(55));
        let win = crm::domain::deal::DealCommand::Win {
            deal_id: support::sales::deal(1),
        };
        block_on(crm.execute(&manager(), win)).unwrap();
        crm.query_unfiltered(|v| {
            AttributionReport::compute(&v.activity, &v.deals, &v.outbox, spring())
        })
    }

    #[test]
    fn leads_revenue_and_roi_match_the_formulas() {
        let r = report();
        let row = |rows: &[crm::report::attribution::AttributionRow], name: &str| {
            let r = rows.iter().find(|r| r.name == name).unwrap().clone();
            (r.leads, r.converted, r.orders, r.revenue.to_string(), r.roi)
        };
        // Lucía: orders 1 and 5 (order 6 cancelled); 125.95 + 101.75 paid − 10.00 refunded.
        assert_eq!(
            row(&r.by_source, "email"),
            (1, 1, 2, "217.70 EUR".to_owned(), None)
        );
        assert_eq!(row(&r.by_source, "web"), (1, 0, 0, "0".to_owned(), None));
        let deals = |name: &str| {
            let r = r.by_source.iter().find(|r| r.name == name).unwrap();
            (r.deals_won, r.won_value.to_string(), r.win_rate)
        };
        // One lead of one won a deal: 1 / 1; the web lead none: 0 / 1.
        assert_eq!(deals("email"), (1, "2500.00 EUR".to_owned(), Some(1.0)));
        assert_eq!(deals("web"), (0, "0".to_owned(), Some(0.0)));
        // (217.70 − 500.00) / 500.00 = −0.5646
        let (leads, converted, orders, revenue, roi) = row(&r.by_campaign, "Spring sale");
        assert_eq!(
            (leads, converted, orders, revenue.as_str()),
            (1, 1, 2, "217.70 EUR")
        );
        assert!((roi.unwrap() - (-0.5646)).abs() < 1e-12, "{roi:?}");
    }

    #[test]
    fn attribution_renders_as_tables_and_csv() {
        let r = report();
        insta::assert_snapshot!("attribution_table", render(&r, Format::Table).unwrap());
        insta::assert_snapshot!("attribution_csv", csv_tables(&r));
    }
}

mod activity {
    use super::*;
    use crm::domain::interaction::{
        Channel, Direction, InteractionCommand, InteractionLogged, Outcome,
    };
    use crm::domain::task::{ScheduleTask, TaskCommand, TaskKind};
    use crm::ids::{CustomerId, InteractionId, TaskId};
    use crm::report::activity::ActivityReport;

    /// The shop's history (user 1 called Lucía on days 14 and 62), plus: Jorge emails on day
    /// 20 (not resolved) and user 2 calls him back three hours later; Lucía chats on day 40
    /// (resolved by user 1), next answered by the call of day 62; user 1's task due on day 10
    /// left open; user 2's task completed on day 25.
    fn report() -> ActivityReport {
        let (crm, clock) = fresh();
        // User 2 is in the directory and shown by name; user 1 is not, and shown by id.
        let tomas = crm::domain::user::UserCommand::add(
            user(2),
            "Tomás Gil",
            "tomas@shop.example",
            crm::access::Role::Manager,
        );
        block_on(crm.execute(&crm::event::Actor::System, tomas)).unwrap();
        block_on(shop::history(&crm, &clock));
        let at =
            |d: i64, h: i64| start() + chrono::TimeDelta::days(d) + chrono::TimeDelta::hours(h);
        let log = |n: u128, when, customer, channel, direction, by, outcome| {
            clock.set(when);
            let i = InteractionLogged {
                interaction_id: InteractionId::from_uuid(uuid::Uuid::from_u128(n)),
                customer,
                channel,
                direction,
                handled_by: by,
                duration_seconds: None,
                subject: format!("conversation {n}").into(),
                summary: None,
                outcome: Some(outcome),
                source_message_id: None,
            };
            block_on(crm.execute(&manager(), InteractionCommand::Log(i))).unwrap();
        };
        let (lucia, jorge) = (
            CustomerId::Contact(contact(1)),
            CustomerId::Contact(contact(2)),
        );
        log(
            1,
            at(20, 0),
            jorge,
            Channel::Email,
            Direction::Inbound,
            None,
            Outcome::FollowUpNeeded,
        );
        log(
            2,
            at(20, 3),
            jorge,
            Channel::Call,
            Direction::Outbound,
            Some(user(2)),
            Outcome::Resolved,
        );
        log(
            3,
            at(40, 0),
            lucia,
            Channel::Chat,
            Direction::Inbound,
            Some(user(1)),
            Outcome::Resolved,
        );
        let task = |n: u128, who, due| {
            TaskCommand::Schedule(ScheduleTask {
                task_id: TaskId::from_uuid(uuid::Uuid::from_u128(n)),
                title: format!("task {n}"),
                kind: TaskKind::Call,
                due,
                assignee: who,
                customer: None,
                deal: None,
            })
        };
        clock.set(at(5, 0));
        block_on(crm.execute(&manager(), task(1, user(1), at(10, 0)))).unwrap();
        block_on(crm.execute(&manager(), task(2, user(2), at(30, 0)))).unwrap();
        clock.set(at(25, 0));
        let done = TaskCommand::Complete {
            task_id: TaskId::from_uuid(uuid::Uuid::from_u128(2)),
        };
        block_on(crm.execute(&manager(), done)).unwrap();
        crm.query_unfiltered(|v| ActivityReport::compute(v, spring()))
    }

    #[test]
    fn managers_response_times_and_resolution_match_the_formulas() {
        let r = report();
        let managers: Vec<(String, usize, usize, usize, usize)> = r
            .managers
            .iter()
            .map(|m| {
                (
                    m.manager.clone(),
                    m.interactions,
                    m.calls,
                    m.tasks_completed,
                    m.tasks_overdue,
                )
            })
            .collect();
        assert_eq!(
            managers,
            [
                // User 1: calls on days 14 and 62, the chat of day 40; the overdue task.
                (user(1).to_string(), 3, 2, 0, 1),
                // User 2: the call back; the completed task.
                ("Tomás Gil".to_owned(), 1, 1, 1, 0),
                // Jorge's email, handled by nobody.
                ("unassigned".to_owned(), 1, 0, 0, 0),
            ]
        );
        let resp = &r.responsiveness;
        assert_eq!((resp.inbound, resp.answered), (2, 2));
        // 3 hours, and 22 days minus nothing (day 40 00:00 + 09:30 to day 62 09:30) = 528 h:
        // median (3 + 528) / 2, p90 the 2nd of 2.
        assert_eq!(
            (resp.median_hours, resp.p90_hours),
            (Some(265.5), Some(528.0))
        );
        assert_eq!(resp.first_contact_resolution, Some(0.5));
    }

    #[test]
    fn activity_renders_as_tables_and_csv() {
        let r = report();
        insta::assert_snapshot!("activity_table", render(&r, Format::Table).unwrap());
        insta::assert_snapshot!("activity_csv", csv_tables(&r));
    }
}

mod customers {
    use super::*;
    use crm::report::customers::CustomersReport;

    fn report() -> CustomersReport {
        let (crm, clock) = fresh();
        block_on(shop::history(&crm, &clock));
        crm.query_unfiltered(|v| CustomersReport::compute(v, spring(), 2.0))
    }

    #[test]
    fn new_active_churn_value_rfm_and_lapsed_match_the_formulas() {
        let r = report();
        let buckets: Vec<(usize, usize, Option<f64>)> = r
            .buckets
            .iter()
            .map(|b| (b.new, b.active, b.churn))
            .collect();
        // March: Lucía, Jorge and Acme order for the first time. April: only Lucía, so two of
        // March's three churn. May: Lucía's order is cancelled, so nobody is active.
        assert_eq!(
            buckets,
            [(3, 3, None), (0, 1, Some(2.0 / 3.0)), (0, 0, Some(1.0))]
        );
        // Lucía and Jorge ordered twice, Acme once.
        assert_eq!(r.repeat_rate, Some(2.0 / 3.0));
        // 217.70, 639.10, 1093.95 by nearest rank.
        assert_eq!(r.lifetime_value.len(), 1);
        assert_eq!(
            r.lifetime_value[0].edges,
            [21_770, 21_770, 63_910, 63_910, 109_395, 109_395]
        );
        let rfm: Vec<(&str, [u8; 3], &str)> = r
            .rfm
            .iter()
            .map(|c| (c.name.as_str(), c.scores, c.segment))
            .collect();
        assert_eq!(
            rfm,
            [
                // Most recent (2 of 3 below her: 1 + ⌊10/3⌋ = 4), two orders, least value.
                ("Lucía Martín", [4, 2, 1], "Needs attention"),
                ("Acme", [1, 1, 4], "Lost"),
                ("Jorge Pérez", [2, 2, 2], "Lost"),
            ]
        );
        let lapsed: Vec<&str> = r.lapsed.iter().map(|l| l.name.as_str()).collect();
        // At 31 May 22:00 UTC: Jorge 65.5 days / 20 = 3.3 gaps; Lucía 60.5 / 30 = 2.02.
        assert_eq!(lapsed, ["Jorge Pérez", "Lucía Martín"]);
    }

    #[test]
    fn customers_render_as_tables_and_csv() {
        let r = report();
        insta::assert_snapshot!("customers_table", render(&r, Format::Table).unwrap());
        insta::assert_snapshot!("customers_csv", csv_tables(&r));
    }
}

mod sales_by_category {
    use super::*;

    #[test]
    fn categories_get_their_lines_and_their_share_of_the_money() {
        let (crm, clock) = fresh();
        block_on(shop::history(&crm, &clock));
        let r = crm.query_unfiltered(|v| {
            SalesReport::compute(&v.activity, spring().by(Bucket::Quarter), SalesBy::Category)
        });
        let row = |bucket: &str, group: &str| {
            let r = r
                .rows
                .iter()
                .find(|r| r.bucket == bucket && r.group == group)
                .unwrap();
            (
                r.placed,
                r.items,
                r.booked.minor,
                r.gross.minor,
                r.refunds.minor,
                r.cancelled,
            )
        };
        // Chairs: Lucía's 2 (100.00 + 21.00 tax) and Acme's 20 (900.00 + 189.00); each order
        // has only chairs, so all its payment (shipping included) goes with them.
        assert_eq!(row("2026-Q1", "chairs"), (2, 22, 121_000, 121_990, 0, 0));
        assert_eq!(row("2026-Q1", "sofas"), (1, 1, 48_400, 48_895, 0, 0));
        assert_eq!(row("2026-Q2", "lighting"), (1, 1, 9_680, 10_175, 1_000, 0));
        assert_eq!(row("2026-Q2", "tables"), (1, 1, 36_300, 0, 0, 1));
        insta::assert_snapshot!("sales_by_category_csv", render(&r, Format::Csv).unwrap());
    }
}

#[test]
fn a_report_of_several_tables_is_never_one_csv() {
    let (crm, clock) = fresh();
    block_on(shop::history(&crm, &clock));
    let r = crm.query_unfiltered(|v| {
        crm::report::fulfillment::FulfillmentReport::compute(&v.activity, spring(), 7)
    });
    let err = render(&r, Format::Csv).unwrap_err();
    assert!(err.to_string().contains("stages, carriers, stuck"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let files = crm::report::render::write_csv_tables(&r, dir.path(), "fulfillment").unwrap();
    assert_eq!(files.len(), 3);
    let err = crm::report::render::render_table(&r, Format::Csv, "nope").unwrap_err();
    assert!(
        err.to_string()
            .contains("no table \"nope\"; its tables are stages, carriers, stuck"),
        "{err}"
    );
    let missing = dir.path().join("no-such-dir");
    let err = crm::report::render::write_csv_tables(&r, &missing, "fulfillment").unwrap_err();
    assert!(err.to_string().contains("no-such-dir"), "{err}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let width = reader.headers().unwrap().len();
        assert!(
            reader.records().all(|r| r.unwrap().len() == width),
            "{}",
            file.display()
        );
    }
}
