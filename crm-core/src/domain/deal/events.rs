//! The payloads of deal events. Field names are wire format: rename nothing.
//!
//! Events that put a deal into a stage carry the stage's probability and the deal's amount at
//! that moment, so a forecast for any past day can be recomputed from the log alone.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::DealTerms;
use crate::domain::details::LeadSource;
use crate::ids::{CustomerId, DealId, PipelineId, StageId, UserId};
use crate::money::Money;

/// A deal was opened in a pipeline's stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealOpened {
    /// The new deal.
    pub deal_id: DealId,
    /// Its pipeline.
    pub pipeline_id: PipelineId,
    /// The stage it starts in.
    pub stage_id: StageId,
    /// That stage's win probability, in percent, at the time.
    pub probability: u8,
    /// Who it is with.
    pub customer: CustomerId,
    /// What managers call it.
    pub title: String,
    /// Its value.
    pub amount: Money,
    /// When it is expected to close.
    pub expected_close: NaiveDate,
    /// The manager who owns it.
    pub owner: UserId,
    /// Where it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<LeadSource>,
}

impl DealOpened {
    /// The deal's terms as opened.
    pub fn terms(&self) -> DealTerms {
        DealTerms {
            deal_id: self.deal_id,
            pipeline_id: self.pipeline_id,
            stage_id: self.stage_id,
            customer: self.customer,
            title: self.title.clone(),
            amount: self.amount,
            expected_close: self.expected_close,
            owner: self.owner,
            source: self.source.clone(),
        }
    }
}

/// An open deal moved from one stage to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealStageChanged {
    /// The deal.
    pub deal_id: DealId,
    /// Its pipeline.
    pub pipeline_id: PipelineId,
    /// The stage it left.
    pub from: StageId,
    /// The stage it entered.
    pub to: StageId,
    /// The entered stage's win probability, in percent, at the time.
    pub probability: u8,
    /// The deal's amount at the time.
    pub amount: Money,
}

/// An open deal's amount changed (same currency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealAmountChanged {
    /// The deal.
    pub deal_id: DealId,
    /// The new amount.
    pub amount: Money,
}

/// An open deal was given to another manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealOwnerChanged {
    /// The deal.
    pub deal_id: DealId,
    /// The new owner.
    pub owner: UserId,
}

/// An open deal's expected close date changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealExpectedCloseChanged {
    /// The deal.
    pub deal_id: DealId,
    /// The new date.
    pub expected_close: NaiveDate,
}

/// A deal was won.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealWon {
    /// The deal.
    pub deal_id: DealId,
    /// Its pipeline.
    pub pipeline_id: PipelineId,
    /// The stage it was won from.
    pub stage_id: StageId,
    /// The amount won.
    pub amount: Money,
}

/// A deal was lost, for one of the pipeline's reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealLost {
    /// The deal.
    pub deal_id: DealId,
    /// Its pipeline.
    pub pipeline_id: PipelineId,
    /// The stage it was lost from.
    pub stage_id: StageId,
    /// The amount lost.
    pub amount: Money,
    /// One of the pipeline's lost reasons.
    pub reason: String,
    /// Free text from the manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A won or lost deal was reopened into a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealReopened {
    /// The deal.
    pub deal_id: DealId,
    /// Its pipeline.
    pub pipeline_id: PipelineId,
    /// The stage it is open in again.
    pub stage_id: StageId,
    /// That stage's win probability, in percent, at the time.
    pub probability: u8,
}
