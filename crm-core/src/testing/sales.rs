//! A fixed sales pipeline for tests, examples and property tests — four stages with next
//! actions, and four lost reasons — and random command sequences on it.

use chrono::NaiveDate;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use crate::crm::Command;
use crate::domain::contact::{ContactCommand, CreateContact};
use crate::domain::deal::{DealCommand, DealTerms};
use crate::domain::pipeline::{ActionKind, PipelineCommand, StageDefinition};
use crate::ids::{ContactId, CustomerId, DealId, PipelineId, StageId, UserId};
use crate::money::{Currency, Money};

/// The sample pipeline's id.
pub fn pipeline_id() -> PipelineId {
    PipelineId::from_uuid(uuid::Uuid::from_u128(0x5a1e5))
}

/// The sample pipeline's stages, in funnel order: New, Qualified, Proposal, Negotiation.
pub fn stage_ids() -> [StageId; 4] {
    [1, 2, 3, 4].map(|n| StageId::from_uuid(uuid::Uuid::from_u128(0x57a6e00 + n)))
}

/// The stages' definitions: probabilities 10, 30, 60 and 80 %; calls, an email, an invoice
/// and a contract to prepare.
pub fn stages() -> Vec<StageDefinition> {
    let [new, qualified, proposal, negotiation] = stage_ids();
    vec![
        StageDefinition::new(new, "New", 10).with_action(ActionKind::Call, 24),
        StageDefinition::new(qualified, "Qualified", 30).with_action(ActionKind::Write, 48),
        StageDefinition::new(proposal, "Proposal", 60).with_action(ActionKind::IssueInvoice, 24),
        StageDefinition::new(negotiation, "Negotiation", 80)
            .with_action(ActionKind::Call, 4)
            .with_action(ActionKind::Custom("Prepare the contract".into()), 72),
    ]
}

/// The reasons a deal in the sample pipeline can be lost for.
pub fn lost_reasons() -> Vec<String> {
    ["Price", "Competitor", "No budget", "No response"]
        .map(String::from)
        .to_vec()
}

/// The command that defines the sample pipeline.
pub fn define_pipeline() -> PipelineCommand {
    PipelineCommand::Define {
        pipeline_id: pipeline_id(),
        name: "Wholesale".into(),
        stages: stages(),
        lost_reasons: lost_reasons(),
    }
}

/// The customers random deal commands are for (created first by [`deal_commands`]), and one
/// that never exists.
pub fn customers() -> Vec<CustomerId> {
    (301..=303u128)
        .map(|n| CustomerId::Contact(ContactId::from_uuid(uuid::Uuid::from_u128(n))))
        .collect()
}

fn deal_pool() -> Vec<DealId> {
    (401..=406u128)
        .map(|n| DealId::from_uuid(uuid::Uuid::from_u128(n)))
        .collect()
}

/// Every stage of the sample pipeline, and one that is not in it.
fn any_stage() -> impl Strategy<Value = StageId> {
    let mut stages = stage_ids().to_vec();
    stages.push(StageId::from_uuid(uuid::Uuid::from_u128(0xbad)));
    select(stages)
}

fn amount() -> impl Strategy<Value = Money> {
    let currencies = ["EUR", "USD"].map(|c| Currency::new(c).unwrap_or_else(|_| unreachable!()));
    (-5i64..2_000_000, select(currencies.to_vec()))
        .prop_map(|(minor, currency)| Money::new(minor, currency))
}

/// A deal command on a small pool of deals in the sample pipeline; now and then invalid
/// (unknown stage or customer, negative amount, other currency, unknown lost reason).
pub fn deal_command() -> impl Strategy<Value = DealCommand> {
    let deal = select(deal_pool());
    let owners: Vec<UserId> = (201..=202u128)
        .map(|n| UserId::from_uuid(uuid::Uuid::from_u128(n)))
        .collect();
    let day = (0u32..90).prop_map(|d| {
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default() + chrono::Days::new(d.into())
    });
    let mut reasons = lost_reasons();
    reasons.push("Weather".into());
    prop_oneof![
        3 => (deal.clone(), any_stage(), select(customers()), amount(), day.clone(), select(owners.clone()))
            .prop_map(|(deal_id, stage_id, customer, amount, expected_close, owner)| {
                DealCommand::Open(DealTerms {
                    deal_id,
                    pipeline_id: pipeline_id(),
                    stage_id,
                    customer,
                    title: format!("Deal {}", deal_id.as_uuid().as_u128()),
                    amount,
                    expected_close,
                    owner,
                    source: None,
                })
            }),
        4 => (deal.clone(), any_stage()).prop_map(|(deal_id, stage_id)| DealCommand::MoveToStage { deal_id, stage_id }),
        1 => (deal.clone(), amount()).prop_map(|(deal_id, amount)| DealCommand::ChangeAmount { deal_id, amount }),
        1 => (deal.clone(), select(owners)).prop_map(|(deal_id, owner)| DealCommand::ChangeOwner { deal_id, owner }),
        1 => (deal.clone(), day).prop_map(|(deal_id, expected_close)| DealCommand::ChangeExpectedClose { deal_id, expected_close }),
        2 => deal.clone().prop_map(|deal_id| DealCommand::Win { deal_id }),
        2 => (deal.clone(), select(reasons)).prop_map(|(deal_id, reason)| DealCommand::Lose { deal_id, reason, note: None }),
        1 => (deal, option::of(any_stage())).prop_map(|(deal_id, stage_id)| DealCommand::Reopen { deal_id, stage_id }),
    ]
}

/// A pipeline change: retire a stage, or add one (with next actions) at the end.
fn pipeline_command() -> impl Strategy<Value = PipelineCommand> {
    prop_oneof![
        select(stage_ids().to_vec()).prop_map(|stage_id| PipelineCommand::RetireStage {
            pipeline_id: pipeline_id(),
            stage_id,
        }),
        Just(PipelineCommand::AddStage {
            pipeline_id: pipeline_id(),
            stage: StageDefinition::new(
                StageId::from_uuid(uuid::Uuid::from_u128(0x57a6e99)),
                "Contract sent",
                90
            )
            .with_action(ActionKind::Call, 2),
            index: None,
        }),
    ]
}

/// The sample pipeline and two of [`customers`], then `1..max_len` random deal commands with
/// an occasional pipeline change.
pub fn deal_commands(max_len: usize) -> impl Strategy<Value = Vec<Command>> {
    let setup: Vec<Command> = std::iter::once(define_pipeline().into())
        .chain(customers().into_iter().take(2).filter_map(|c| match c {
            CustomerId::Contact(id) => {
                Some(ContactCommand::Create(CreateContact::new(id, "Client", "Number")).into())
            }
            CustomerId::Company(_) => None,
        }))
        .collect();
    let step = prop_oneof![
        12 => deal_command().prop_map(Command::Deal),
        1 => pipeline_command().prop_map(Command::Pipeline),
    ];
    vec(step, 1..max_len).prop_map(move |rest| setup.iter().cloned().chain(rest).collect())
}
