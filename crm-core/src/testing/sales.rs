//! A fixed sales pipeline for tests, examples and property tests: four stages with next
//! actions, and four lost reasons.

use crate::domain::pipeline::{ActionKind, PipelineCommand, StageDefinition};
use crate::ids::{PipelineId, StageId};

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
