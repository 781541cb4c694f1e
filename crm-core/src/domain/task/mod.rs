//! The task aggregate: a piece of work on a manager's list, with a due time. Overdue is not a
//! state but a query: an open task whose due time has passed at the instant asked about.

pub mod events;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use events::*;

use super::details::free_text;
use super::{Aggregate, DomainError, Requirement};
use crate::event::Event;
use crate::ids::{CustomerId, DealId, TaskId, UserId};
use crate::normalize;

/// What kind of work a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// A phone call.
    Call,
    /// An email or message.
    Email,
    /// A meeting.
    Meeting,
    /// Issuing an invoice.
    Invoice,
    /// Shipping goods.
    Shipment,
    /// Anything else.
    Other,
}

impl std::fmt::Display for TaskKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Call => "call",
            Self::Email => "email",
            Self::Meeting => "meeting",
            Self::Invoice => "invoice",
            Self::Shipment => "shipment",
            Self::Other => "other",
        })
    }
}

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Not scheduled yet.
    #[default]
    Absent,
    /// On someone's list.
    Open,
    /// Done.
    Completed,
    /// Called off.
    Cancelled,
}

impl std::fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Absent => "not scheduled",
            Self::Open => "open",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        })
    }
}

/// Everything needed to schedule a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleTask {
    /// Chosen by the caller. Policies derive it from the causing event, so a replayed
    /// reaction schedules nothing new.
    pub task_id: TaskId,
    /// What to do.
    pub title: String,
    /// Call, email, meeting, ...
    pub kind: TaskKind,
    /// When it must be done by.
    pub due: DateTime<Utc>,
    /// Who must do it.
    pub assignee: UserId,
    /// The customer it concerns, if any: must exist.
    pub customer: Option<CustomerId>,
    /// The deal it concerns, if any: must exist.
    pub deal: Option<DealId>,
}

/// A command for one task.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskCommand {
    /// Put a task on someone's list.
    Schedule(ScheduleTask),
    /// Give an open task to someone else.
    Reassign {
        /// The task.
        task_id: TaskId,
        /// The new assignee.
        assignee: UserId,
    },
    /// Move an open task's due time.
    Reschedule {
        /// The task.
        task_id: TaskId,
        /// The new due time.
        due: DateTime<Utc>,
    },
    /// Mark an open task done.
    Complete {
        /// The task.
        task_id: TaskId,
    },
    /// Call off an open task.
    Cancel {
        /// The task.
        task_id: TaskId,
        /// Why.
        reason: Option<String>,
    },
}

impl TaskCommand {
    /// The task whose stream this command writes to.
    pub fn task_id(&self) -> TaskId {
        match self {
            Self::Schedule(s) => s.task_id,
            Self::Reassign { task_id, .. }
            | Self::Reschedule { task_id, .. }
            | Self::Complete { task_id }
            | Self::Cancel { task_id, .. } => *task_id,
        }
    }

    /// What must hold elsewhere for this command to be accepted.
    pub fn requirements(&self) -> Vec<Requirement> {
        match self {
            Self::Schedule(s) => s
                .customer
                .map(Requirement::CustomerExists)
                .into_iter()
                .chain(s.deal.map(Requirement::DealExists))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Everything a task decision needs to know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Open, completed, cancelled, or not scheduled.
    pub status: TaskStatus,
    /// The task as first scheduled: a repeated schedule that matches it is a no-op.
    pub scheduled: Option<TaskScheduled>,
    /// Who must do it now.
    pub assignee: Option<UserId>,
    /// When it is due now.
    pub due: Option<DateTime<Utc>>,
}

impl Task {
    fn require_open(&self, task_id: TaskId) -> Result<(), DomainError> {
        match self.status {
            TaskStatus::Open => Ok(()),
            TaskStatus::Absent => Err(DomainError::TaskNotFound { task_id }),
            status => Err(DomainError::TaskClosed {
                task_id,
                status: status.to_string(),
            }),
        }
    }
}

impl Aggregate for Task {
    type Id = TaskId;
    type Command = TaskCommand;
    const SNAPSHOT_SCHEMA: u32 = 1;

    fn owned_by(&self) -> Option<crate::access::OwnedBy> {
        use crate::access::OwnedBy;
        self.scheduled
            .as_ref()
            .map(|_| OwnedBy::User(self.assignee))
    }

    fn decide(&self, command: &TaskCommand) -> Result<Vec<Event>, DomainError> {
        let task_id = command.task_id();
        if let TaskCommand::Schedule(s) = command {
            if normalize::words(&s.title).is_empty() {
                return Err(DomainError::EmptyName { what: "task" });
            }
            let scheduled = TaskScheduled {
                task_id,
                title: s.title.trim().to_owned(),
                kind: s.kind,
                due: s.due,
                assignee: s.assignee,
                customer: s.customer,
                deal: s.deal,
            };
            return match &self.scheduled {
                None => Ok(vec![scheduled.into()]),
                // The same schedule again (a retry, a replayed policy) changes nothing, even
                // after the task was reassigned or completed.
                Some(first) if *first == scheduled => Ok(Vec::new()),
                Some(_) => Err(DomainError::TaskAlreadyExists { task_id }),
            };
        }
        self.require_open(task_id)?;
        let events: Vec<Event> = match command {
            TaskCommand::Schedule(_) => Vec::new(),
            TaskCommand::Reassign { assignee, .. } if Some(*assignee) == self.assignee => {
                Vec::new()
            }
            TaskCommand::Reassign { assignee, .. } => vec![TaskReassigned {
                task_id,
                assignee: *assignee,
            }
            .into()],
            TaskCommand::Reschedule { due, .. } if Some(*due) == self.due => Vec::new(),
            TaskCommand::Reschedule { due, .. } => {
                vec![TaskRescheduled { task_id, due: *due }.into()]
            }
            TaskCommand::Complete { .. } => vec![TaskCompleted { task_id }.into()],
            TaskCommand::Cancel { reason, .. } => vec![TaskCancelled {
                task_id,
                reason: free_text(reason.as_deref()),
            }
            .into()],
        };
        Ok(events)
    }

    fn evolve(&mut self, event: &Event) {
        match event {
            Event::TaskScheduled(e) => {
                self.status = TaskStatus::Open;
                self.assignee = Some(e.assignee);
                self.due = Some(e.due);
                self.scheduled = Some(e.clone());
            }
            Event::TaskReassigned(e) => self.assignee = Some(e.assignee),
            Event::TaskRescheduled(e) => self.due = Some(e.due),
            Event::TaskCompleted(_) => self.status = TaskStatus::Completed,
            Event::TaskCancelled(_) => self.status = TaskStatus::Cancelled,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
