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

    fn grant(&self) -> Vec<&'static str> {
        vec!["task.schedule"]
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
                    // Past chrono's range only on a corrupt log; the task is then refused by its bounds.
                    due: recorded
                        .occurred_at
                        .checked_add_signed(Duration::hours(i64::from(action.due_in_hours)))
                        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC),
                    assignee: *owner,
                    customer: Some(*customer),
                    deal: Some(deal_id),
                })
                .into()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deal::events::{DealOpened, DealOwnerChanged, DealStageChanged};
    use crate::domain::pipeline::events::PipelineDefined;
    use crate::ids::ContactId;
    use crate::money::{Currency, Money};
    use crate::testing::sales;
    use chrono::TimeZone;

    fn recorded(position: u64, event: impl Into<Event>) -> RecordedEvent {
        let at = chrono::Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap();
        crate::testing::recorded(crate::testing::stream("deal-x"), position, at, event)
    }

    fn user(n: u128) -> UserId {
        UserId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn deal() -> DealId {
        DealId::from_uuid(uuid::Uuid::from_u128(9))
    }

    fn history() -> Vec<RecordedEvent> {
        let [new, qualified, _, negotiation] = sales::stage_ids();
        let amount = Money::new(100, Currency::new("EUR").unwrap());
        vec![
            recorded(
                1,
                PipelineDefined {
                    pipeline_id: sales::pipeline_id(),
                    name: "Wholesale".into(),
                    stages: sales::stages(),
                    lost_reasons: vec![],
                },
            ),
            recorded(
                2,
                DealOpened {
                    deal_id: deal(),
                    pipeline_id: sales::pipeline_id(),
                    stage_id: new,
                    probability: 10,
                    customer: CustomerId::Contact(ContactId::from_uuid(uuid::Uuid::from_u128(1))),
                    title: "Chairs".into(),
                    amount,
                    expected_close: chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
                    owner: user(1),
                    source: None,
                },
            ),
            recorded(
                3,
                DealOwnerChanged {
                    deal_id: deal(),
                    owner: user(2),
                },
            ),
            recorded(
                4,
                DealStageChanged {
                    deal_id: deal(),
                    pipeline_id: sales::pipeline_id(),
                    from: qualified,
                    to: negotiation,
                    probability: 80,
                    amount,
                },
            ),
        ]
    }

    fn schedules(commands: Vec<Command>) -> Vec<ScheduleTask> {
        commands
            .into_iter()
            .map(|c| match c {
                Command::Task(TaskCommand::Schedule(s)) => s,
                other => panic!("not a schedule: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn entering_a_stage_schedules_its_actions_for_the_current_owner() {
        let mut policy = StageTasks::new();
        let log = history();
        let mut reactions = Vec::new();
        for event in &log {
            policy.apply(event);
            reactions.push(schedules(policy.react(event)));
        }
        assert!(reactions[0].is_empty() && reactions[2].is_empty());
        assert_eq!(reactions[1].len(), 1, "New: one call");
        assert_eq!(reactions[1][0].assignee, user(1));
        let negotiation = &reactions[3];
        assert_eq!(negotiation.len(), 2, "Negotiation: a call and a contract");
        assert!(
            negotiation.iter().all(|s| s.assignee == user(2)),
            "the new owner"
        );
        assert_eq!(negotiation[0].due, log[3].occurred_at + Duration::hours(4));
        assert_eq!(negotiation[1].title, "Prepare the contract");
        assert_eq!(negotiation[1].kind, TaskKind::Other);
    }

    #[test]
    fn task_ids_come_from_the_causing_event() {
        let mut policy = StageTasks::new();
        let log = history();
        log.iter().for_each(|e| policy.apply(e));
        let once = schedules(policy.react(&log[3]));
        let twice = schedules(policy.react(&log[3]));
        assert_eq!(once, twice);
        assert_ne!(once[0].task_id, once[1].task_id);
        assert_eq!(once[0].task_id, StageTasks::task_id(&log[3], 0));
    }
}
