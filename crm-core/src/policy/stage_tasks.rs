//! The policy that puts a stage's next actions on the deal owner's task list.

use std::collections::HashMap;

use chrono::Duration;

use super::Policy;
use crate::crm::Command;
use crate::domain::pipeline::{ActionKind, NextAction};
use crate::domain::task::{ScheduleTask, TaskCommand, TaskKind};
use crate::event::{Event, RecordedEvent};
use crate::ids::{CustomerId, DealId, PipelineId, StageId, TaskId, UserId};

/// When a deal enters a stage — opened in it, moved into it, or reopened in it — schedules
/// each of the stage's next actions as a task for the deal's owner, due the action's delay
/// after the event's business time.
///
/// Task ids are derived from the causing event's id and the action's place in the stage's
/// list, so reacting to the same event twice schedules each task once.
#[derive(Debug, Clone, Default)]
pub struct StageTasks {
    stages: HashMap<(PipelineId, StageId), Vec<NextAction>>,
    deals: HashMap<DealId, (UserId, CustomerId)>,
}

impl StageTasks {
    /// The policy's name, which its tasks show as their author.
    pub const NAME: &'static str = "stage-tasks";

    /// A policy that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of the task for action number `index` caused by event `cause`.
    pub fn task_id(cause: &RecordedEvent, index: usize) -> TaskId {
        TaskId::derived(Self::NAME, &format!("{}/{index}", cause.id))
    }

    fn entered(&self, event: &Event) -> Option<(DealId, PipelineId, StageId)> {
        match event {
            Event::DealOpened(e) => Some((e.deal_id, e.pipeline_id, e.stage_id)),
            Event::DealStageChanged(e) => Some((e.deal_id, e.pipeline_id, e.to)),
            Event::DealReopened(e) => Some((e.deal_id, e.pipeline_id, e.stage_id)),
            _ => None,
        }
    }
}

fn task_kind(action: &ActionKind) -> TaskKind {
    match action {
        ActionKind::Call => TaskKind::Call,
        ActionKind::Write => TaskKind::Email,
        ActionKind::IssueInvoice => TaskKind::Invoice,
        ActionKind::ShipGoods => TaskKind::Shipment,
        ActionKind::Custom(_) => TaskKind::Other,
    }
}

impl Policy for StageTasks {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn apply(&mut self, recorded: &RecordedEvent) {
        match &recorded.event {
            Event::PipelineDefined(e) => {
                for stage in &e.stages {
                    self.stages
                        .insert((e.pipeline_id, stage.stage_id), stage.actions.clone());
                }
            }
            Event::PipelineStageAdded(e) => {
                self.stages
                    .insert((e.pipeline_id, e.stage.stage_id), e.stage.actions.clone());
            }
            Event::DealOpened(e) => {
                self.deals.insert(e.deal_id, (e.owner, e.customer));
            }
            Event::DealOwnerChanged(e) => {
                if let Some((owner, _)) = self.deals.get_mut(&e.deal_id) {
                    *owner = e.owner;
                }
            }
            _ => {}
        }
    }

    fn react(&self, recorded: &RecordedEvent) -> Vec<Command> {
        let Some((deal_id, pipeline_id, stage_id)) = self.entered(&recorded.event) else {
            return Vec::new();
        };
        let (Some(actions), Some((owner, customer))) = (
            self.stages.get(&(pipeline_id, stage_id)),
            self.deals.get(&deal_id),
        ) else {
            return Vec::new();
        };
        actions
            .iter()
            .enumerate()
            .map(|(index, action)| {
                TaskCommand::Schedule(ScheduleTask {
                    task_id: Self::task_id(recorded, index),
                    title: action.kind.title().to_owned(),
                    kind: task_kind(&action.kind),
                    due: recorded.occurred_at + Duration::hours(i64::from(action.due_in_hours)),
                    assignee: *owner,
                    customer: Some(*customer),
                    deal: Some(deal_id),
                })
                .into()
            })
            .collect()
    }
}
