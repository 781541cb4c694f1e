//! The pipeline aggregate: a sales funnel of ordered stages, each with a win probability and
//! the next actions a manager must take when a deal enters it.
//!
//! Won and lost are outcomes of a deal, not stages: a pipeline lists only the open stages. A
//! retired stage stays in the pipeline's history (deals that passed through it keep it), but
//! no deal can enter it again.

pub mod events;

use serde::{Deserialize, Serialize};

use events::*;

use super::{Aggregate, DomainError};
use crate::event::Event;
use crate::ids::{PipelineId, StageId};
use crate::normalize;

/// What a manager must do when a deal enters a stage.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Call the customer.
    Call,
    /// Write to the customer (email, messenger).
    Write,
    /// Issue an invoice.
    IssueInvoice,
    /// Ship the goods.
    ShipGoods,
    /// Anything else, described.
    Custom(String),
}

impl ActionKind {
    /// What the resulting task is called.
    pub fn title(&self) -> &str {
        match self {
            Self::Call => "Call the customer",
            Self::Write => "Write to the customer",
            Self::IssueInvoice => "Issue the invoice",
            Self::ShipGoods => "Ship the goods",
            Self::Custom(text) => text,
        }
    }
}

/// One next action of a stage, due some hours after a deal enters the stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextAction {
    /// What to do.
    pub kind: ActionKind,
    /// How long after entering the stage the task is due.
    pub due_in_hours: u32,
}

impl NextAction {
    /// An action due `due_in_hours` after a deal enters the stage.
    pub fn new(kind: ActionKind, due_in_hours: u32) -> Self {
        Self { kind, due_in_hours }
    }
}

/// A stage as defined: wire format of pipeline events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageDefinition {
    /// Chosen by the caller; stable across renames and reorders.
    pub stage_id: StageId,
    /// What managers call it: "Qualified", "Proposal sent".
    pub name: String,
    /// The chance, in percent (0–100), that a deal in this stage is won.
    pub probability: u8,
    /// What a manager must do on entering it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<NextAction>,
}

impl StageDefinition {
    /// A stage with no next actions.
    pub fn new(stage_id: StageId, name: impl Into<String>, probability: u8) -> Self {
        Self {
            stage_id,
            name: name.into(),
            probability,
            actions: Vec::new(),
        }
    }

    /// The same stage with `action` added to what must happen on entering it.
    pub fn with_action(mut self, kind: ActionKind, due_in_hours: u32) -> Self {
        self.actions.push(NextAction::new(kind, due_in_hours));
        self
    }
}

/// A stage of a pipeline as it now stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// Its definition, with its current name.
    pub definition: StageDefinition,
    /// Retired stages accept no deals.
    pub retired: bool,
}

/// A command for one pipeline.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PipelineCommand {
    /// Define a pipeline.
    Define {
        /// Chosen by the caller.
        pipeline_id: PipelineId,
        /// Its name.
        name: String,
        /// At least one stage, in funnel order.
        stages: Vec<StageDefinition>,
        /// Reasons a deal can be lost for; a lost deal must name one of them.
        lost_reasons: Vec<String>,
    },
    /// Add a stage at `index` among the active stages; at the end if `None`.
    AddStage {
        /// The pipeline.
        pipeline_id: PipelineId,
        /// The new stage.
        stage: StageDefinition,
        /// Where to insert it.
        index: Option<usize>,
    },
    /// Rename an active stage.
    RenameStage {
        /// The pipeline.
        pipeline_id: PipelineId,
        /// The stage.
        stage_id: StageId,
        /// Its new name.
        name: String,
    },
    /// Put the active stages in a new order; `order` must list each of them once.
    ReorderStages {
        /// The pipeline.
        pipeline_id: PipelineId,
        /// The new order.
        order: Vec<StageId>,
    },
    /// Retire a stage: no deal may enter it from now on.
    RetireStage {
        /// The pipeline.
        pipeline_id: PipelineId,
        /// The stage.
        stage_id: StageId,
    },
}

impl PipelineCommand {
    /// The pipeline whose stream this command writes to.
    pub fn pipeline_id(&self) -> PipelineId {
        match self {
            Self::Define { pipeline_id, .. }
            | Self::AddStage { pipeline_id, .. }
            | Self::RenameStage { pipeline_id, .. }
            | Self::ReorderStages { pipeline_id, .. }
            | Self::RetireStage { pipeline_id, .. } => *pipeline_id,
        }
    }
}

/// Everything a pipeline decision — and a deal's decision about stages — needs to know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    /// Its id, once defined.
    pub id: Option<PipelineId>,
    /// Its name.
    pub name: String,
    /// Every stage ever defined: active ones in funnel order, retired ones after them.
    pub stages: Vec<Stage>,
    /// Reasons a deal can be lost for.
    pub lost_reasons: Vec<String>,
}

impl Pipeline {
    /// Whether it was defined.
    pub fn exists(&self) -> bool {
        self.id.is_some()
    }

    /// Ok if the pipeline was defined; the rejection otherwise.
    pub fn require_exists(&self, pipeline_id: PipelineId) -> Result<(), DomainError> {
        if self.exists() {
            Ok(())
        } else {
            Err(DomainError::PipelineNotFound { pipeline_id })
        }
    }

    /// The stage with this id, active or retired.
    pub fn stage(&self, stage_id: StageId) -> Option<&Stage> {
        self.stages
            .iter()
            .find(|s| s.definition.stage_id == stage_id)
    }

    /// The active stages, in funnel order.
    pub fn active_stages(&self) -> impl Iterator<Item = &StageDefinition> {
        self.stages
            .iter()
            .filter(|s| !s.retired)
            .map(|s| &s.definition)
    }

    /// The stage a deal may enter: it must exist and not be retired.
    pub fn enterable_stage(
        &self,
        pipeline_id: PipelineId,
        stage_id: StageId,
    ) -> Result<&StageDefinition, DomainError> {
        self.require_exists(pipeline_id)?;
        match self.stage(stage_id) {
            None => Err(DomainError::UnknownStage {
                pipeline_id,
                stage_id,
            }),
            Some(stage) if stage.retired => Err(DomainError::StageRetired {
                stage: stage.definition.name.clone(),
                stage_id,
            }),
            Some(stage) => Ok(&stage.definition),
        }
    }

    /// Ok if `reason` is one of the pipeline's lost reasons (compared ignoring case).
    pub fn require_lost_reason(&self, reason: &str) -> Result<(), DomainError> {
        let wanted = normalize::fold(reason);
        if self
            .lost_reasons
            .iter()
            .any(|r| normalize::fold(r) == wanted)
        {
            Ok(())
        } else {
            Err(DomainError::UnknownLostReason {
                reason: reason.to_owned(),
                known: self.lost_reasons.clone(),
            })
        }
    }

    fn check_new_stage(&self, stage: &StageDefinition) -> Result<(), DomainError> {
        if self.stage(stage.stage_id).is_some() {
            return Err(DomainError::DuplicateStage {
                stage_id: stage.stage_id,
            });
        }
        check_stage(stage)?;
        self.check_name_free(&stage.name, None)
    }

    fn check_name_free(&self, name: &str, except: Option<StageId>) -> Result<(), DomainError> {
        let wanted = normalize::fold(name);
        match self
            .active_stages()
            .find(|s| Some(s.stage_id) != except && normalize::fold(&s.name) == wanted)
        {
            Some(_) => Err(DomainError::StageNameTaken {
                name: name.trim().to_owned(),
            }),
            None => Ok(()),
        }
    }
}

fn check_name(name: &str, what: &'static str) -> Result<(), DomainError> {
    if normalize::words(name).is_empty() {
        Err(DomainError::EmptyName { what })
    } else {
        Ok(())
    }
}

fn check_stage(stage: &StageDefinition) -> Result<(), DomainError> {
    check_name(&stage.name, "stage")?;
    if stage.probability > 100 {
        return Err(DomainError::InvalidProbability {
            stage: stage.name.trim().to_owned(),
            probability: stage.probability,
        });
    }
    if let Some(blank) = stage
        .actions
        .iter()
        .find(|a| matches!(&a.kind, ActionKind::Custom(text) if normalize::words(text).is_empty()))
    {
        return Err(DomainError::InvalidAction {
            stage: stage.name.trim().to_owned(),
            action: blank.kind.title().to_owned(),
        });
    }
    Ok(())
}

fn check_lost_reasons(reasons: &[String]) -> Result<(), DomainError> {
    let mut seen = std::collections::HashSet::new();
    for reason in reasons {
        let folded = normalize::fold(reason);
        if normalize::words(reason).is_empty() || !seen.insert(folded) {
            return Err(DomainError::InvalidLostReason {
                reason: reason.clone(),
            });
        }
    }
    Ok(())
}

impl Aggregate for Pipeline {
    type Id = PipelineId;
    type Command = PipelineCommand;
    const SNAPSHOT_SCHEMA: u32 = 1;

    fn decide(&self, command: &PipelineCommand) -> Result<Vec<Event>, DomainError> {
        let pipeline_id = command.pipeline_id();
        if let PipelineCommand::Define {
            name,
            stages,
            lost_reasons,
            ..
        } = command
        {
            let defined = PipelineDefined {
                pipeline_id,
                name: name.trim().to_owned(),
                stages: stages.clone(),
                lost_reasons: lost_reasons.clone(),
            };
            if self.exists() {
                // Defining the same pipeline again is a retry, not a conflict.
                return match self.as_defined() == defined {
                    true => Ok(Vec::new()),
                    false => Err(DomainError::PipelineAlreadyExists { pipeline_id }),
                };
            }
            check_name(name, "pipeline")?;
            if stages.is_empty() {
                return Err(DomainError::PipelineWithoutStages { pipeline_id });
            }
            let mut draft = Pipeline::default();
            for stage in stages {
                draft.check_new_stage(stage)?;
                draft.stages.push(Stage {
                    definition: stage.clone(),
                    retired: false,
                });
            }
            check_lost_reasons(lost_reasons)?;
            return Ok(vec![defined.into()]);
        }
        self.require_exists(pipeline_id)?;
        let events: Vec<Event> = match command {
            PipelineCommand::Define { .. } => Vec::new(),
            PipelineCommand::AddStage { stage, index, .. } => {
                if self.stage(stage.stage_id).map(|s| &s.definition) == Some(stage) {
                    return Ok(Vec::new());
                }
                self.check_new_stage(stage)?;
                let active = self.active_stages().count();
                let index = index.unwrap_or(active);
                if index > active {
                    return Err(DomainError::StageIndexOutOfRange { index, active });
                }
                vec![PipelineStageAdded {
                    pipeline_id,
                    stage: stage.clone(),
                    index,
                }
                .into()]
            }
            PipelineCommand::RenameStage { stage_id, name, .. } => {
                let current = self.enterable_stage(pipeline_id, *stage_id)?;
                check_name(name, "stage")?;
                if current.name == name.trim() {
                    return Ok(Vec::new());
                }
                self.check_name_free(name, Some(*stage_id))?;
                vec![PipelineStageRenamed {
                    pipeline_id,
                    stage_id: *stage_id,
                    name: name.trim().to_owned(),
                }
                .into()]
            }
            PipelineCommand::ReorderStages { order, .. } => {
                let current: Vec<StageId> = self.active_stages().map(|s| s.stage_id).collect();
                let mut wanted = order.clone();
                wanted.sort_unstable();
                let mut have = current.clone();
                have.sort_unstable();
                if wanted != have {
                    return Err(DomainError::StageOrderMismatch {
                        pipeline_id,
                        expected: current.len(),
                    });
                }
                if *order == current {
                    return Ok(Vec::new());
                }
                vec![PipelineStagesReordered {
                    pipeline_id,
                    order: order.clone(),
                }
                .into()]
            }
            PipelineCommand::RetireStage { stage_id, .. } => {
                let stage = self.stage(*stage_id).ok_or(DomainError::UnknownStage {
                    pipeline_id,
                    stage_id: *stage_id,
                })?;
                if stage.retired {
                    return Ok(Vec::new());
                }
                if self.active_stages().count() == 1 {
                    return Err(DomainError::LastActiveStage {
                        stage: stage.definition.name.clone(),
                    });
                }
                vec![PipelineStageRetired {
                    pipeline_id,
                    stage_id: *stage_id,
                }
                .into()]
            }
        };
        Ok(events)
    }

    fn evolve(&mut self, event: &Event) {
        match event {
            Event::PipelineDefined(e) => {
                self.id = Some(e.pipeline_id);
                self.name = e.name.clone();
                self.stages = e
                    .stages
                    .iter()
                    .map(|definition| Stage {
                        definition: definition.clone(),
                        retired: false,
                    })
                    .collect();
                self.lost_reasons = e.lost_reasons.clone();
            }
            Event::PipelineStageAdded(e) => {
                let at = self
                    .stages
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| !s.retired)
                    .nth(e.index)
                    .map_or(self.active_stages().count(), |(i, _)| i);
                self.stages.insert(
                    at,
                    Stage {
                        definition: e.stage.clone(),
                        retired: false,
                    },
                );
            }
            Event::PipelineStageRenamed(e) => {
                if let Some(stage) = self
                    .stages
                    .iter_mut()
                    .find(|s| s.definition.stage_id == e.stage_id)
                {
                    stage.definition.name = e.name.clone();
                }
            }
            Event::PipelineStagesReordered(e) => {
                let rank = |s: &Stage| {
                    e.order
                        .iter()
                        .position(|id| *id == s.definition.stage_id)
                        .unwrap_or(usize::MAX)
                };
                // Stable: retired stages (not in `order`) keep their relative order at the end.
                self.stages.sort_by_key(|s| (s.retired, rank(s)));
            }
            Event::PipelineStageRetired(e) => {
                if let Some(stage) = self
                    .stages
                    .iter_mut()
                    .find(|s| s.definition.stage_id == e.stage_id)
                {
                    stage.retired = true;
                }
                self.stages.sort_by_key(|s| s.retired);
            }
            _ => {}
        }
    }
}

impl Pipeline {
    fn as_defined(&self) -> PipelineDefined {
        PipelineDefined {
            pipeline_id: self
                .id
                .unwrap_or_else(|| PipelineId::from_uuid(uuid::Uuid::nil())),
            name: self.name.clone(),
            stages: self.stages.iter().map(|s| s.definition.clone()).collect(),
            lost_reasons: self.lost_reasons.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
