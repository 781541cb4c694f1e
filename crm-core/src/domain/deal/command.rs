//! What can be asked of a deal.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::details::LeadSource;
use crate::domain::pipeline::Pipeline;
use crate::domain::Requirement;
use crate::ids::{CustomerId, DealId, PipelineId, StageId, UserId};
use crate::money::Money;

/// What a deal is about: given to open it, and kept (as since changed) in the deal's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealTerms {
    /// Chosen by the caller.
    pub deal_id: DealId,
    /// The pipeline.
    pub pipeline_id: PipelineId,
    /// The stage it starts in (an active stage of the pipeline); in the state, the stage it
    /// is in or was closed from.
    pub stage_id: StageId,
    /// Who it is with: a known contact or company.
    pub customer: CustomerId,
    /// What managers call it.
    pub title: String,
    /// Its value; not negative.
    pub amount: Money,
    /// When it is expected to close.
    pub expected_close: NaiveDate,
    /// The manager who owns it.
    pub owner: UserId,
    /// Where it came from.
    pub source: Option<LeadSource>,
}

/// A command for one deal.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DealCommand {
    /// Open a deal.
    Open(DealTerms),
    /// Move an open deal to another active stage.
    MoveToStage {
        /// The deal.
        deal_id: DealId,
        /// The stage to enter.
        stage_id: StageId,
    },
    /// Change an open deal's amount, in the same currency.
    ChangeAmount {
        /// The deal.
        deal_id: DealId,
        /// The new amount.
        amount: Money,
    },
    /// Give an open deal to another manager.
    ChangeOwner {
        /// The deal.
        deal_id: DealId,
        /// The new owner.
        owner: UserId,
    },
    /// Change an open deal's expected close date.
    ChangeExpectedClose {
        /// The deal.
        deal_id: DealId,
        /// The new date.
        expected_close: NaiveDate,
    },
    /// Win an open deal.
    Win {
        /// The deal.
        deal_id: DealId,
    },
    /// Lose an open deal for one of the pipeline's reasons.
    Lose {
        /// The deal.
        deal_id: DealId,
        /// One of the pipeline's lost reasons.
        reason: String,
        /// Free text.
        note: Option<String>,
    },
    /// Reopen a won or lost deal, in `stage_id` or else the stage it was closed from.
    Reopen {
        /// The deal.
        deal_id: DealId,
        /// The stage to reopen it in.
        stage_id: Option<StageId>,
    },
}

impl DealCommand {
    /// The deal whose stream this command writes to.
    pub fn deal_id(&self) -> DealId {
        match self {
            Self::Open(open) => open.deal_id,
            Self::MoveToStage { deal_id, .. }
            | Self::ChangeAmount { deal_id, .. }
            | Self::ChangeOwner { deal_id, .. }
            | Self::ChangeExpectedClose { deal_id, .. }
            | Self::Win { deal_id }
            | Self::Lose { deal_id, .. }
            | Self::Reopen { deal_id, .. } => *deal_id,
        }
    }

    /// What must hold elsewhere for this command to be accepted.
    pub fn requirements(&self) -> Vec<Requirement> {
        match self {
            Self::Open(open) => vec![Requirement::CustomerExists(open.customer)],
            _ => Vec::new(),
        }
    }
}

/// A deal command together with the deal's pipeline, loaded by the caller (`Crm` does it):
/// stages and lost reasons are the pipeline's, so the deal decides with them in hand.
#[derive(Debug, Clone, PartialEq)]
pub struct DealDecision {
    /// The command.
    pub command: DealCommand,
    /// The pipeline the deal is (or is to be) in.
    pub pipeline: Pipeline,
}
