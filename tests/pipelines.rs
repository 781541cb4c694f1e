//! Pipelines, deals and tasks end to end: the stage-tasks policy, the board, the report.
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

mod support;

use chrono::{TimeDelta, TimeZone, Utc};
use crm::access::AllowAll;
use crm::domain::task::TaskKind;
use crm::event::{Actor, Event, RecordedEvent};
use crm::ids::CustomerId;
use crm::policy::{Policy, StageTasks};
use crm::report::pipeline::PipelineReport;
use crm::report::Period;
use crm::store::EventStore;
use crm::testing::sales as sample;
use crm::{Crm, Request};
use futures::executor::block_on;
use support::sales::*;
use support::*;

fn log(crm: &Crm<crm::MemoryStore>) -> Vec<RecordedEvent> {
    block_on(crm.store().read_all(0, usize::MAX)).unwrap()
}

fn scheduled_tasks(crm: &Crm<crm::MemoryStore>) -> Vec<RecordedEvent> {
    log(crm)
        .into_iter()
        .filter(|e| matches!(e.event, Event::TaskScheduled(_)))
        .collect()
}

fn march() -> Period {
    Period::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap(),
    )
    .unwrap()
}

/// Opens deal 1 in New, then moves it to Qualified and Negotiation, a day apart.
fn three_stages() -> (Crm<crm::MemoryStore>, crm::clock::ManualClock) {
    let (crm, clock) = fresh();
    block_on(async {
        setup(&crm).await;
        let lucia = CustomerId::Contact(contact(1));
        let steps = [
            open(1, lucia, 0, money(100_000, "EUR"), 1, (2026, 3, 20)),
            move_to(1, 1),
            move_to(1, 3),
        ];
        for command in steps {
            crm.execute(&manager(), command).await.unwrap();
            clock.advance(TimeDelta::days(1));
        }
    });
    (crm, clock)
}

#[test]
fn entering_three_stages_schedules_exactly_their_actions_once() {
    let (crm, _clock) = three_stages();
    let tasks = scheduled_tasks(&crm);
    let mut seen: Vec<(String, TaskKind, chrono::DateTime<Utc>)> = tasks
        .iter()
        .map(|e| match &e.event {
            Event::TaskScheduled(t) => {
                assert_eq!(t.assignee, user(1), "the deal owner's task");
                assert_eq!(t.deal, Some(deal(1)));
                assert_eq!(t.customer, Some(CustomerId::Contact(contact(1))));
                assert_eq!(
                    e.metadata.actor,
                    Actor::Automation {
                        policy: "stage-tasks".into()
                    }
                );
                assert!(
                    e.metadata.causation_id.is_some(),
                    "caused by the stage event"
                );
                (t.title.clone(), t.kind, t.due)
            }
            _ => unreachable!(),
        })
        .collect();
    seen.sort();
    let day = |d| start() + TimeDelta::days(d);
    let mut expected = vec![
        (
            "Call the customer".to_owned(),
            TaskKind::Call,
            day(0) + TimeDelta::hours(24),
        ),
        (
            "Write to the customer".to_owned(),
            TaskKind::Email,
            day(1) + TimeDelta::hours(48),
        ),
        (
            "Call the customer".to_owned(),
            TaskKind::Call,
            day(2) + TimeDelta::hours(4),
        ),
        (
            "Prepare the contract".to_owned(),
            TaskKind::Other,
            day(2) + TimeDelta::hours(72),
        ),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    // Each task's causation is the event that entered the stage.
    let log = log(&crm);
    for task in &tasks {
        let cause = log
            .iter()
            .find(|e| Some(e.id) == task.metadata.causation_id)
            .unwrap();
        assert!(matches!(
            cause.event,
            Event::DealOpened(_) | Event::DealStageChanged(_)
        ));
    }
}

#[test]
fn a_replayed_policy_schedules_nothing_new() {
    let (crm, clock) = three_stages();
    let before = log(&crm).len();
    // Forget the policy's progress: a new CRM on the same log reacts to everything again.
    let store = crm.store().clone();
    block_on(store.save_checkpoint("policy:stage-tasks", 0)).unwrap();
    let again = deterministic(store, &clock, Default::default());
    let issued = block_on(again.react()).unwrap();
    assert_eq!(issued, 0, "every reaction was already carried out");
    assert_eq!(log(&again).len(), before);
    assert!(again.policy_failures().is_empty());
}

#[test]
fn the_same_event_seen_twice_schedules_its_tasks_once() {
    let (crm, _clock) = three_stages();
    let log = log(&crm);
    let before = scheduled_tasks(&crm).len();
    let mut policy = StageTasks::new();
    let moved = log
        .iter()
        .rfind(|e| matches!(e.event, Event::DealStageChanged(_)))
        .unwrap();
    for event in log.iter().take_while(|e| e.position <= moved.position) {
        policy.apply(event);
    }
    for _ in 0..2 {
        for command in policy.react(moved) {
            let request = Request {
                causation_id: Some(moved.id),
                ..Request::by(Actor::Automation {
                    policy: StageTasks::NAME.into(),
                })
            };
            block_on(crm.execute_request(request, command)).unwrap();
        }
    }
    assert_eq!(scheduled_tasks(&crm).len(), before);
}

#[test]
fn tasks_are_listed_per_assignee_with_overdue_ones_marked() {
    let (crm, _clock) = three_stages();
    let at = start() + TimeDelta::days(2) + TimeDelta::hours(5);
    let lines = crm.query_unfiltered(|v| v.tasks.open_for_assignee(user(1), at));
    let marks: Vec<(&str, bool)> = lines
        .iter()
        .map(|l| (l.task.title.as_str(), l.overdue))
        .collect();
    assert_eq!(
        marks,
        [
            ("Call the customer", true),      // due day 1, 09:30
            ("Call the customer", true),      // due day 2, 13:30
            ("Write to the customer", false), // due day 3
            ("Prepare the contract", false),  // due day 5
        ]
    );
    assert!(crm
        .query_unfiltered(|v| v.tasks.open_for_assignee(user(2), at))
        .is_empty());
}

fn month_crm() -> Crm<crm::MemoryStore> {
    let (crm, clock) = fresh();
    block_on(month(&crm, &clock));
    crm
}

#[test]
fn the_board_puts_every_deal_in_one_place_with_weighted_values() {
    let crm = month_crm();
    let board = crm
        .query_unfiltered(|v| v.deals.board(sample::pipeline_id()))
        .unwrap();
    let columns: Vec<(&str, usize, String, String)> = board
        .columns
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.deals.len(),
                c.total.to_string(),
                c.weighted.to_string(),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("New", 1, "2000.00 USD".into(), "200.00 USD".into()), // deal 4 at 10 %
            ("Qualified", 0, "0".into(), "0".into()),
            ("Proposal", 0, "0".into(), "0".into()),
            ("Negotiation", 1, "300.00 EUR".into(), "240.00 EUR".into()), // deal 3 at 80 %
        ]
    );
    assert_eq!(
        (board.won.count, board.won.total.to_string()),
        (1, "1000.00 EUR".into())
    );
    assert_eq!(
        (board.lost.count, board.lost.total.to_string()),
        (1, "5000.00 EUR".into())
    );
    assert_eq!(board.deal_count(), 4);
}

#[test]
fn the_pipeline_report_matches_the_hand_computed_figures() {
    let crm = month_crm();
    let r = crm
        .query_unfiltered(|v| PipelineReport::compute(&v.deals, sample::pipeline_id(), march()))
        .unwrap();
    assert_eq!((r.opened, r.won, r.lost), (4, 1, 1));
    assert_eq!(r.win_rate, Some(0.5)); // 1 / (1 + 1)
    assert_eq!(r.won_amount.to_string(), "1000.00 EUR");
    // Deal 1: opened day 0, won day 9.
    assert_eq!(
        (r.average_cycle_days, r.median_cycle_days),
        (Some(9.0), Some(9.0))
    );
    let stays: Vec<(usize, Option<f64>)> = r
        .time_in_stage
        .iter()
        .map(|t| (t.stays, t.average_days))
        .collect();
    assert_eq!(
        stays,
        [
            (2, Some(2.0)), // New: deal 1 days 0–2, deal 2 days 1–3
            (3, Some(4.0)), // Qualified: 2–5, 3–10, 4–6 → (3 + 7 + 2) / 3
            (1, Some(4.0)), // Proposal: deal 1 days 5–9
            (0, None),      // Negotiation: deal 3 is still there
        ]
    );
    let conversion: Vec<(&str, usize, usize)> = r
        .conversion
        .iter()
        .map(|c| (c.next.as_str(), c.entered, c.advanced))
        .collect();
    assert_eq!(
        conversion,
        [
            ("Qualified", 3, 2),   // deals 1, 2, 4 entered; 1 and 2 moved on
            ("Proposal", 3, 2),    // deals 1, 2, 3; 1 to Proposal, 3 to Negotiation
            ("Negotiation", 1, 1), // deal 1, won
            ("won", 1, 0),         // deal 3, still open
        ]
    );
    assert_eq!(r.lost_reasons.len(), 1);
    assert_eq!(
        (r.lost_reasons[0].reason.as_str(), r.lost_reasons[0].deals),
        ("Price", 1)
    );
    let counts = |rows: &[crm::report::pipeline::DealCounts]| {
        rows.iter()
            .map(|c| {
                (
                    c.group.clone(),
                    c.opened,
                    c.won,
                    c.lost,
                    c.won_amount.to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        counts(&r.by_bucket),
        [("2026-03".to_owned(), 4, 1, 1, "1000.00 EUR".to_owned())]
    );
    assert_eq!(
        counts(&r.by_owner),
        [
            // User 1 owns deals 1 (won) and 3; user 2 owns deals 2 (lost) and 4.
            (user(1).to_string(), 2, 1, 0, "1000.00 EUR".to_owned()),
            (user(2).to_string(), 2, 0, 1, "0".to_owned()),
        ]
    );
    let forecast: Vec<(&str, usize, String)> = r
        .forecast
        .iter()
        .map(|m| (m.month.as_str(), m.deals, m.weighted.to_string()))
        .collect();
    assert_eq!(
        forecast,
        [
            ("2026-03", 1, "200.00 USD".into()), // deal 4: 2000 USD × 10 %
            ("2026-04", 1, "240.00 EUR".into()), // deal 3: 300 EUR × 80 %
        ]
    );
}

#[test]
fn a_later_period_does_not_see_earlier_moves() {
    let crm = month_crm();
    let april = Period::new(
        Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap(),
    )
    .unwrap();
    let r = crm
        .query_unfiltered(|v| PipelineReport::compute(&v.deals, sample::pipeline_id(), april))
        .unwrap();
    assert_eq!((r.opened, r.won, r.lost, r.win_rate), (0, 0, 0, None));
    assert!(r.conversion.iter().all(|c| c.entered == 0));
}

#[test]
fn cards_show_open_deals_and_tasks() {
    let crm = month_crm();
    let at = start() + TimeDelta::days(30);
    let card = crm
        .query_unfiltered(|v| v.company_card(support::company(1), at))
        .unwrap();
    assert_eq!(card.open_deals.len(), 1, "deal 2 is lost, deal 4 is open");
    assert_eq!(card.open_deals[0].stage, "New");
    // Deal 2's tasks (New, Qualified) and deal 4's (New) are still open, all overdue by now.
    assert_eq!(card.open_tasks.len(), 3);
    assert!(card.open_tasks.iter().all(|t| t.overdue));
}

#[test]
fn deals_and_tasks_need_known_customers_and_deals() {
    let (crm, _clock) = fresh();
    block_on(setup(&crm));
    let stranger = CustomerId::Contact(contact(9));
    let err = block_on(crm.execute(
        &manager(),
        open(1, stranger, 0, money(100, "EUR"), 1, (2026, 3, 20)),
    ))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("contact {} does not exist", contact(9))
    );
    let nowhere = CustomerId::Company(support::company(9));
    let err = block_on(crm.execute(
        &manager(),
        open(1, nowhere, 0, money(100, "EUR"), 1, (2026, 3, 20)),
    ))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("company {} does not exist", support::company(9))
    );
    let err = block_on(crm.execute(&manager(), move_to(5, 1))).unwrap_err();
    assert_eq!(err.to_string(), format!("deal {} does not exist", deal(5)));
    let task = crm::domain::task::TaskCommand::Schedule(crm::domain::task::ScheduleTask {
        task_id: crm::ids::TaskId::new(),
        title: "Call back".into(),
        kind: TaskKind::Call,
        due: start(),
        assignee: user(1),
        customer: None,
        deal: Some(deal(5)),
    });
    let err = block_on(crm.execute(&manager(), task)).unwrap_err();
    assert_eq!(err.to_string(), format!("deal {} does not exist", deal(5)));
}

#[test]
fn a_deal_for_a_merged_contact_is_refused() {
    let (crm, _clock) = fresh();
    block_on(setup(&crm));
    block_on(crm.execute(
        &manager(),
        crm::domain::contact::ContactCommand::Merge {
            contact_id: contact(2),
            survivor: contact(1),
        },
    ))
    .unwrap();
    let err = block_on(crm.execute(
        &manager(),
        open(
            1,
            CustomerId::Contact(contact(2)),
            0,
            money(100, "EUR"),
            1,
            (2026, 3, 20),
        ),
    ))
    .unwrap_err();
    assert!(err.to_string().contains("was merged into"), "{err}");
}

#[test]
fn reassigned_completed_and_cancelled_tasks_leave_the_right_lists() {
    use crm::domain::task::TaskCommand;
    let (crm, _clock) = three_stages();
    let at = start() + TimeDelta::days(10);
    let mine = crm.query_unfiltered(|v| v.tasks.open_for_assignee(user(1), at));
    let [first, second, third, ..] = mine.as_slice() else {
        panic!("expected four tasks, got {}", mine.len())
    };
    let run = |command| block_on(crm.execute(&manager(), command)).unwrap();
    run(TaskCommand::Reassign {
        task_id: first.task.task_id,
        assignee: user(2),
    });
    run(TaskCommand::Complete {
        task_id: second.task.task_id,
    });
    run(TaskCommand::Cancel {
        task_id: third.task.task_id,
        reason: Some("the customer called first".into()),
    });
    let titles = |user| {
        crm.query_unfiltered(|v| v.tasks.open_for_assignee(user, at))
            .into_iter()
            .map(|l| l.task.task_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(titles(user(2)), [first.task.task_id]);
    assert_eq!(titles(user(1)).len(), 1, "only the contract is left");
    let done = crm
        .query_unfiltered(|v| v.tasks.get(second.task.task_id).cloned())
        .unwrap();
    assert_eq!(done.status, crm::domain::task::TaskStatus::Completed);
    assert_eq!(crm.query_unfiltered(|v| v.tasks.for_deal(deal(1)).len()), 4);
}

/// Deals entering stages with next actions, exported without the tasks they called for.
fn history_without_reactions() -> (String, crm::clock::ManualClock) {
    let (source, clock) = fresh();
    let source = deterministic(
        source.store().clone(),
        &clock,
        crm::CrmOptions {
            run_policies: false,
            ..Default::default()
        },
    );
    block_on(async {
        setup(&source).await;
        let lucia = CustomerId::Contact(contact(1));
        for command in [
            open(1, lucia, 0, money(100_000, "EUR"), 1, (2026, 3, 20)),
            move_to(1, 1),
            move_to(1, 3),
        ] {
            source.execute(&manager(), command).await.unwrap();
            clock.advance(TimeDelta::days(1));
        }
    });
    assert!(scheduled_tasks(&source).is_empty());
    let mut out = Vec::new();
    block_on(crm::log::export(source.store(), &mut out, 0, 100)).unwrap();
    (String::from_utf8(out).unwrap(), clock)
}

#[test]
fn imported_history_is_not_reacted_to_but_what_follows_is() {
    let (text, _clock) = history_without_reactions();
    let store = crm::MemoryStore::new();
    block_on(crm::log::import(
        &store,
        text.as_bytes(),
        Default::default(),
        |_| {},
        |_| {},
    ))
    .unwrap();
    let crm = block_on(Crm::open(store))
        .unwrap()
        .with_authorizer(AllowAll);
    // The next command, whatever it is, lets the policies run: nothing for the history.
    block_on(crm.execute(&manager(), create_contact(contact(9), "Eva", "Ruiz"))).unwrap();
    assert_eq!(block_on(crm.react()).unwrap(), 0);
    assert!(
        scheduled_tasks(&crm).is_empty(),
        "imported stage entries were reacted to"
    );
    // A stage entered after the import is reacted to as usual.
    block_on(crm.execute(&manager(), move_to(1, 1))).unwrap();
    assert!(!scheduled_tasks(&crm).is_empty());
}
