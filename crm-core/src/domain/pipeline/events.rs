//! The payloads of pipeline events. Field names are wire format: rename nothing.

use serde::{Deserialize, Serialize};

use super::StageDefinition;
use crate::ids::{PipelineId, StageId};

/// A pipeline was defined with its first stages and the reasons a deal can be lost for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineDefined {
    /// The new pipeline.
    pub pipeline_id: PipelineId,
    /// What managers call it: "Wholesale", "Online shop B2B".
    pub name: String,
    /// The stages, in funnel order.
    pub stages: Vec<StageDefinition>,
    /// The reasons a deal in this pipeline can be lost for.
    #[serde(default)]
    pub lost_reasons: Vec<String>,
}

/// A stage was added at `index` in the order of active stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineStageAdded {
    /// The pipeline.
    pub pipeline_id: PipelineId,
    /// The new stage.
    pub stage: StageDefinition,
    /// Where it was inserted among the active stages (0 is first).
    pub index: usize,
}

/// A stage was renamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineStageRenamed {
    /// The pipeline.
    pub pipeline_id: PipelineId,
    /// The stage.
    pub stage_id: StageId,
    /// Its new name.
    pub name: String,
}

/// The active stages were put in a new order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineStagesReordered {
    /// The pipeline.
    pub pipeline_id: PipelineId,
    /// Every active stage, in the new funnel order.
    pub order: Vec<StageId>,
}

/// A stage was retired: no deal can enter it any more; its history stays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineStageRetired {
    /// The pipeline.
    pub pipeline_id: PipelineId,
    /// The stage.
    pub stage_id: StageId,
}
