use super::*;
use crate::domain::details::LeadSource;
use crate::domain::pipeline::events::{PipelineDefined, PipelineStageRetired};
use crate::ids::{ContactId, CustomerId, StageId, UserId};
use crate::money::Currency;
use crate::testing::{given, sales};
use chrono::NaiveDate;

fn deal_id() -> DealId {
    DealId::from_uuid(uuid::Uuid::from_u128(0xdea1))
}

fn customer() -> CustomerId {
    CustomerId::Contact(ContactId::from_uuid(uuid::Uuid::from_u128(7)))
}

fn ana() -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(0xa7a))
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::new("EUR").unwrap())
}

fn stage(n: usize) -> StageId {
    sales::stage_ids()[n]
}

fn close_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()
}

fn pipeline_with(events: impl IntoIterator<Item = Event>) -> Pipeline {
    let mut p = Pipeline::default();
    let defined: Event = PipelineDefined {
        pipeline_id: sales::pipeline_id(),
        name: "Wholesale".into(),
        stages: sales::stages(),
        lost_reasons: sales::lost_reasons(),
    }
    .into();
    for e in std::iter::once(defined).chain(events) {
        p.evolve(&e);
    }
    p
}

fn decision(command: DealCommand) -> DealDecision {
    DealDecision {
        command,
        pipeline: pipeline_with([]),
    }
}

fn open_request() -> DealTerms {
    DealTerms {
        deal_id: deal_id(),
        pipeline_id: sales::pipeline_id(),
        stage_id: stage(0),
        customer: customer(),
        title: " 40 chairs for the new office ".into(),
        amount: eur(480_000),
        expected_close: close_date(),
        owner: ana(),
        source: Some(LeadSource::Referral),
    }
}

fn opened() -> Event {
    DealOpened {
        deal_id: deal_id(),
        pipeline_id: sales::pipeline_id(),
        stage_id: stage(0),
        probability: 10,
        customer: customer(),
        title: "40 chairs for the new office".into(),
        amount: eur(480_000),
        expected_close: close_date(),
        owner: ana(),
        source: Some(LeadSource::Referral),
    }
    .into()
}

fn moved(from: usize, to: usize, probability: u8) -> Event {
    DealStageChanged {
        deal_id: deal_id(),
        pipeline_id: sales::pipeline_id(),
        from: stage(from),
        to: stage(to),
        probability,
        amount: eur(480_000),
    }
    .into()
}

fn won() -> Event {
    DealWon {
        deal_id: deal_id(),
        pipeline_id: sales::pipeline_id(),
        stage_id: stage(0),
        amount: eur(480_000),
    }
    .into()
}

fn lost() -> Event {
    DealLost {
        deal_id: deal_id(),
        pipeline_id: sales::pipeline_id(),
        stage_id: stage(0),
        amount: eur(480_000),
        reason: "Price".into(),
        note: None,
    }
    .into()
}

fn move_to(n: usize) -> DealDecision {
    decision(DealCommand::MoveToStage {
        deal_id: deal_id(),
        stage_id: stage(n),
    })
}

#[test]
fn opening_a_deal_records_the_stage_probability() {
    given::<Deal>([])
        .when(decision(DealCommand::Open(open_request())))
        .then_events([opened()]);
}

#[test]
fn opening_is_checked() {
    let mut untitled = open_request();
    untitled.title = " ".into();
    given::<Deal>([])
        .when(decision(DealCommand::Open(untitled)))
        .then_error_text("a deal needs a name, and the one given has no letters or digits");
    let mut negative = open_request();
    negative.amount = eur(-1);
    given::<Deal>([])
        .when(decision(DealCommand::Open(negative)))
        .then_error_text("an amount cannot be negative (-0.01 EUR)");
    let mut nowhere = open_request();
    nowhere.pipeline_id = PipelineId::from_uuid(uuid::Uuid::from_u128(1));
    given::<Deal>([])
        .when(DealDecision {
            command: DealCommand::Open(nowhere),
            pipeline: Pipeline::default(),
        })
        .then_error_text("pipeline 00000000-0000-0000-0000-000000000001 does not exist");
    given::<Deal>([opened()])
        .when(decision(DealCommand::Open(open_request())))
        .then_nothing();
    let mut other = open_request();
    other.amount = eur(1);
    given::<Deal>([opened()])
        .when(decision(DealCommand::Open(other)))
        .then_error_text(&format!("deal {} already exists", deal_id()));
}

#[test]
fn no_deal_enters_an_unknown_or_retired_stage() {
    let unknown = StageId::from_uuid(uuid::Uuid::from_u128(3));
    given::<Deal>([opened()])
        .when(decision(DealCommand::MoveToStage {
            deal_id: deal_id(),
            stage_id: unknown,
        }))
        .then_error_text(&format!(
            "stage {unknown} is not a stage of pipeline {}",
            sales::pipeline_id()
        ));
    let retired = pipeline_with([PipelineStageRetired {
        pipeline_id: sales::pipeline_id(),
        stage_id: stage(2),
    }
    .into()]);
    given::<Deal>([opened()])
        .when(DealDecision {
            command: DealCommand::MoveToStage {
                deal_id: deal_id(),
                stage_id: stage(2),
            },
            pipeline: retired,
        })
        .then_error_text(&format!(
            "stage \"Proposal\" ({}) is retired: no deal can enter it",
            stage(2)
        ));
}

#[test]
fn moving_records_from_and_to_with_the_new_probability() {
    given::<Deal>([opened()])
        .when(move_to(2))
        .then_events([moved(0, 2, 60)]);
    given::<Deal>([opened(), moved(0, 2, 60)])
        .when(move_to(2))
        .then_nothing();
}

#[test]
fn commands_on_a_missing_deal_are_rejected() {
    given::<Deal>([])
        .when(move_to(1))
        .then_error_text(&format!("deal {} does not exist", deal_id()));
    given::<Deal>([])
        .when(decision(DealCommand::Reopen {
            deal_id: deal_id(),
            stage_id: None,
        }))
        .then_error_text(&format!("deal {} does not exist", deal_id()));
}

#[test]
fn the_amount_keeps_its_currency_and_is_not_negative() {
    let change = |amount| {
        decision(DealCommand::ChangeAmount {
            deal_id: deal_id(),
            amount,
        })
    };
    given::<Deal>([opened()])
        .when(change(eur(500_000)))
        .then_events([DealAmountChanged {
            deal_id: deal_id(),
            amount: eur(500_000),
        }
        .into()]);
    given::<Deal>([opened()])
        .when(change(eur(480_000)))
        .then_nothing();
    given::<Deal>([opened()])
        .when(change(Money::new(5, Currency::new("USD").unwrap())))
        .then_error_text(&format!(
            "deal {} is in EUR: its amount cannot change to USD",
            deal_id()
        ));
    given::<Deal>([opened()])
        .when(change(eur(-5)))
        .then_error_text("an amount cannot be negative (-0.05 EUR)");
}

#[test]
fn owner_and_expected_close_change_only_when_different() {
    let bob = UserId::from_uuid(uuid::Uuid::from_u128(0xb0b));
    given::<Deal>([opened()])
        .when(decision(DealCommand::ChangeOwner {
            deal_id: deal_id(),
            owner: bob,
        }))
        .then_events([DealOwnerChanged {
            deal_id: deal_id(),
            owner: bob,
        }
        .into()]);
    given::<Deal>([opened()])
        .when(decision(DealCommand::ChangeOwner {
            deal_id: deal_id(),
            owner: ana(),
        }))
        .then_nothing();
    let later = NaiveDate::from_ymd_opt(2027, 1, 31).unwrap();
    given::<Deal>([opened()])
        .when(decision(DealCommand::ChangeExpectedClose {
            deal_id: deal_id(),
            expected_close: later,
        }))
        .then_events([DealExpectedCloseChanged {
            deal_id: deal_id(),
            expected_close: later,
        }
        .into()]);
    given::<Deal>([opened()])
        .when(decision(DealCommand::ChangeExpectedClose {
            deal_id: deal_id(),
            expected_close: close_date(),
        }))
        .then_nothing();
}

#[test]
fn winning_and_losing_close_the_deal() {
    given::<Deal>([opened()])
        .when(decision(DealCommand::Win { deal_id: deal_id() }))
        .then_events([won()]);
    given::<Deal>([opened()])
        .when(decision(DealCommand::Lose {
            deal_id: deal_id(),
            reason: "price".into(),
            note: Some("  ".into()),
        }))
        .then_events([lost()]);
    given::<Deal>([opened()])
        .when(decision(DealCommand::Lose {
            deal_id: deal_id(),
            reason: "Weather".into(),
            note: None,
        }))
        .then_error_text(
            "\"Weather\" is not a lost reason of this pipeline; choose one of: Price, Competitor, No budget, No response",
        );
}

#[test]
fn a_closed_deal_changes_only_by_reopening() {
    let text = |status| {
        format!(
            "deal {} is {status}: reopen it before changing it",
            deal_id()
        )
    };
    given::<Deal>([opened(), won()])
        .when(move_to(1))
        .then_error_text(&text("won"));
    given::<Deal>([opened(), lost()])
        .when(decision(DealCommand::ChangeAmount {
            deal_id: deal_id(),
            amount: eur(1),
        }))
        .then_error_text(&text("lost"));
    given::<Deal>([opened(), won()])
        .when(decision(DealCommand::Win { deal_id: deal_id() }))
        .then_error_text(&text("won"));
    given::<Deal>([opened(), lost()])
        .when(decision(DealCommand::Lose {
            deal_id: deal_id(),
            reason: "Price".into(),
            note: None,
        }))
        .then_error_text(&text("lost"));
}

#[test]
fn reopening_returns_to_the_last_stage_or_the_one_asked_for() {
    given::<Deal>([opened(), moved(0, 1, 30), lost()])
        .when(decision(DealCommand::Reopen {
            deal_id: deal_id(),
            stage_id: None,
        }))
        .then_events([DealReopened {
            deal_id: deal_id(),
            pipeline_id: sales::pipeline_id(),
            stage_id: stage(1),
            probability: 30,
        }
        .into()]);
    given::<Deal>([opened(), won()])
        .when(decision(DealCommand::Reopen {
            deal_id: deal_id(),
            stage_id: Some(stage(3)),
        }))
        .then_events([DealReopened {
            deal_id: deal_id(),
            pipeline_id: sales::pipeline_id(),
            stage_id: stage(3),
            probability: 80,
        }
        .into()]);
    given::<Deal>([opened()])
        .when(decision(DealCommand::Reopen {
            deal_id: deal_id(),
            stage_id: None,
        }))
        .then_error_text(&format!(
            "deal {} is open: only a won or lost deal can be reopened",
            deal_id()
        ));
}

#[test]
fn evolve_tracks_status_stage_and_terms() {
    let state = given::<Deal>([opened(), moved(0, 3, 80), lost()])
        .state()
        .clone();
    assert_eq!(state.status, DealStatus::Lost);
    let facts = state.facts.unwrap();
    assert_eq!(
        facts.stage_id,
        stage(3),
        "the last open stage is remembered"
    );
}
