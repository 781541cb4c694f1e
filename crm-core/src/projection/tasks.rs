//! Every task, by assignee, customer and deal. Overdue is computed at the instant asked
//! about: an open task whose due time is before it.

use std::collections::BTreeSet;

use foldhash::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Projection;
use crate::domain::task::{TaskKind, TaskStatus};
use crate::event::{Actor, Event, RecordedEvent};
use crate::ids::{CustomerId, DealId, TaskId, UserId};

/// A task as it now stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskView {
    /// The task.
    pub task_id: TaskId,
    /// What to do.
    pub title: String,
    /// Call, email, ...
    pub kind: TaskKind,
    /// When it is due.
    #[serde(with = "super::instant")]
    pub due: DateTime<Utc>,
    /// Who must do it.
    pub assignee: UserId,
    /// The customer it concerns.
    pub customer: Option<CustomerId>,
    /// The deal it concerns.
    pub deal: Option<DealId>,
    /// Open, completed or cancelled.
    pub status: TaskStatus,
    /// Who scheduled it: a manager, or a policy.
    pub scheduled_by: Actor,
    /// When it was completed or cancelled.
    #[serde(with = "super::instant::optional")]
    pub closed_at: Option<DateTime<Utc>>,
}

impl TaskView {
    /// Whether it is open and past due at `at`.
    pub fn is_overdue(&self, at: DateTime<Utc>) -> bool {
        self.status == TaskStatus::Open && self.due < at
    }
}

/// A task on a list, marked overdue or not at the instant the list was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLine {
    /// The task.
    pub task: TaskView,
    /// Open and past due.
    pub overdue: bool,
}

/// Tasks, folded from the log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tasks {
    tasks: HashMap<TaskId, TaskView>,
    by_assignee: HashMap<UserId, BTreeSet<TaskId>>,
    by_customer: HashMap<CustomerId, BTreeSet<TaskId>>,
    by_deal: HashMap<DealId, BTreeSet<TaskId>>,
}

impl Tasks {
    /// Keeps only the tasks `keep` says yes to (a read handle's copy).
    pub(crate) fn retain(&mut self, keep: &dyn Fn(&TaskView) -> bool) {
        self.tasks.retain(|_, task| keep(task));
        let tasks = &self.tasks;
        for ids in self.by_assignee.values_mut() {
            ids.retain(|id| tasks.contains_key(id));
        }
        for ids in self.by_customer.values_mut() {
            ids.retain(|id| tasks.contains_key(id));
        }
        for ids in self.by_deal.values_mut() {
            ids.retain(|id| tasks.contains_key(id));
        }
    }

    /// A task.
    pub fn get(&self, task_id: TaskId) -> Option<&TaskView> {
        self.tasks.get(&task_id)
    }

    /// Every task, in no particular order.
    pub fn all(&self) -> impl Iterator<Item = &TaskView> {
        self.tasks.values()
    }

    /// How many tasks were ever scheduled.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no task was scheduled.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// A user's open tasks, soonest due first, overdue ones marked as of `at`.
    pub fn open_for_assignee(&self, assignee: UserId, at: DateTime<Utc>) -> Vec<TaskLine> {
        self.open_lines(self.by_assignee.get(&assignee), at)
    }

    /// A customer's open tasks, soonest due first, overdue ones marked as of `at`.
    pub fn open_for_customer(&self, customer: CustomerId, at: DateTime<Utc>) -> Vec<TaskLine> {
        self.open_lines(self.by_customer.get(&customer), at)
    }

    /// Every task about a deal, open or not, in due order.
    pub fn for_deal(&self, deal: DealId) -> Vec<&TaskView> {
        self.in_due_order(self.by_deal.get(&deal))
    }

    /// Every task about a customer, open or not, in due order.
    pub fn for_customer(&self, customer: CustomerId) -> Vec<&TaskView> {
        self.in_due_order(self.by_customer.get(&customer))
    }

    fn in_due_order(&self, ids: Option<&BTreeSet<TaskId>>) -> Vec<&TaskView> {
        let mut all: Vec<_> = ids
            .into_iter()
            .flatten()
            .filter_map(|id| self.tasks.get(id))
            .collect();
        all.sort_by_key(|t| (t.due, t.task_id));
        all
    }

    fn open_lines(&self, ids: Option<&BTreeSet<TaskId>>, at: DateTime<Utc>) -> Vec<TaskLine> {
        let mut lines: Vec<TaskLine> = ids
            .into_iter()
            .flatten()
            .filter_map(|id| self.tasks.get(id))
            .filter(|t| t.status == TaskStatus::Open)
            .map(|t| TaskLine {
                overdue: t.is_overdue(at),
                task: t.clone(),
            })
            .collect();
        lines.sort_by_key(|l| (l.task.due, l.task.task_id));
        lines
    }
}

impl Projection for Tasks {
    fn apply(&mut self, recorded: &RecordedEvent) {
        let at = recorded.occurred_at;
        match &recorded.event {
            Event::TaskScheduled(e) => {
                self.tasks.insert(
                    e.task_id,
                    TaskView {
                        task_id: e.task_id,
                        title: e.title.clone(),
                        kind: e.kind,
                        due: e.due,
                        assignee: e.assignee,
                        customer: e.customer,
                        deal: e.deal,
                        status: TaskStatus::Open,
                        scheduled_by: recorded.metadata.actor.clone(),
                        closed_at: None,
                    },
                );
                self.by_assignee
                    .entry(e.assignee)
                    .or_default()
                    .insert(e.task_id);
                if let Some(customer) = e.customer {
                    self.by_customer
                        .entry(customer)
                        .or_default()
                        .insert(e.task_id);
                }
                if let Some(deal) = e.deal {
                    self.by_deal.entry(deal).or_default().insert(e.task_id);
                }
            }
            Event::TaskReassigned(e) => {
                if let Some(task) = self.tasks.get_mut(&e.task_id) {
                    if let Some(ids) = self.by_assignee.get_mut(&task.assignee) {
                        ids.remove(&e.task_id);
                    }
                    task.assignee = e.assignee;
                    self.by_assignee
                        .entry(e.assignee)
                        .or_default()
                        .insert(e.task_id);
                }
            }
            Event::TaskRescheduled(e) => {
                if let Some(task) = self.tasks.get_mut(&e.task_id) {
                    task.due = e.due;
                }
            }
            Event::TaskCompleted(e) => {
                if let Some(task) = self.tasks.get_mut(&e.task_id) {
                    task.status = TaskStatus::Completed;
                    task.closed_at = Some(at);
                }
            }
            Event::TaskCancelled(e) => {
                if let Some(task) = self.tasks.get_mut(&e.task_id) {
                    task.status = TaskStatus::Cancelled;
                    task.closed_at = Some(at);
                }
            }
            _ => {}
        }
    }
}
