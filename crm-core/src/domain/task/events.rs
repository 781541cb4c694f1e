//! The payloads of task events. Field names are wire format: rename nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::TaskKind;
use crate::ids::{CustomerId, DealId, TaskId, UserId};

/// A task was put on someone's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskScheduled {
    /// The new task.
    pub task_id: TaskId,
    /// What to do.
    pub title: String,
    /// Call, email, meeting, ...
    pub kind: TaskKind,
    /// When it must be done by.
    pub due: DateTime<Utc>,
    /// Who must do it.
    pub assignee: UserId,
    /// The customer it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerId>,
    /// The deal it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal: Option<DealId>,
}

/// An open task was given to someone else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskReassigned {
    /// The task.
    pub task_id: TaskId,
    /// The new assignee.
    pub assignee: UserId,
}

/// An open task got a new due time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskRescheduled {
    /// The task.
    pub task_id: TaskId,
    /// The new due time.
    pub due: DateTime<Utc>,
}

/// A task was done (at the event's `occurred_at`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskCompleted {
    /// The task.
    pub task_id: TaskId,
}

/// A task was called off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskCancelled {
    /// The task.
    pub task_id: TaskId,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
