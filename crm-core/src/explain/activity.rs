//! The activity report's figures ([`crate::report::activity`]) traced to their events: a
//! manager's conversations, calls, completed and overdue tasks, and the shop's inbound
//! conversations, those answered, and its first-contact resolution.

use serde::Serialize;

use super::traced::{Selection, Side};
use crate::domain::interaction::{Channel, Direction, Outcome};
use crate::domain::task::TaskStatus;
use crate::ids::{StreamId, UserId};
use crate::projection::Views;
use crate::report::Period;

/// A figure of the activity report. A manager is a user, or `None` for the conversations
/// handled by nobody ("unassigned").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityFigure {
    /// Conversations the manager handled in the period.
    Interactions(Option<UserId>),
    /// Outbound calls the manager made in the period.
    Calls(Option<UserId>),
    /// Tasks the user completed in the period, each by its `TaskCompleted`.
    TasksCompleted(UserId),
    /// The user's open tasks due before the period's end, each by its latest event (the one
    /// that set its due date or gave it to them).
    TasksOverdue(UserId),
    /// Inbound conversations in the period.
    Inbound,
    /// Of those, answered by an outbound one on the same card after it.
    Answered,
    /// Inbound conversations resolved at once, over all inbound ones.
    FirstContactResolution,
}

/// The events behind `figure` of the activity report over `period`, as `views` hold them.
pub(crate) fn select(views: &Views, period: &Period, figure: ActivityFigure) -> Selection {
    use ActivityFigure as F;
    let what = |name: &str| format!("activity {name}, {period}");
    let mut selection = match figure {
        F::Interactions(who) => Selection::sum(what(&format!("interactions of {}", named(who)))),
        F::Calls(who) => Selection::sum(what(&format!("calls of {}", named(who)))),
        F::TasksCompleted(who) => Selection::sum(what(&format!("tasks completed by {who}"))),
        F::TasksOverdue(who) => Selection::sum(what(&format!("tasks overdue of {who}"))),
        F::Inbound => Selection::sum(what("inbound")),
        F::Answered => Selection::sum(what("answered")),
        F::FirstContactResolution => Selection::rate(
            &what("first-contact resolution"),
            "resolved inbound",
            "inbound",
        ),
    };
    if let F::TasksCompleted(who) | F::TasksOverdue(who) = figure {
        for task in views.tasks.all().filter(|t| t.assignee == who) {
            let stream = StreamId::from(task.task_id);
            match (figure, task.status, task.closed_at) {
                (F::TasksCompleted(_), TaskStatus::Completed, Some(at)) if period.contains(at) => {
                    selection.add(Side::Numerator, stream, "TaskCompleted", at, 1);
                }
                (F::TasksOverdue(_), TaskStatus::Open, _) if task.due < period.to => {
                    selection.add_latest(Side::Numerator, stream, 1);
                }
                _ => {}
            }
        }
        return selection;
    }
    for (_, activity) in views.activity.customers() {
        let timeline = &activity.interactions;
        for (i, talk) in timeline.iter().enumerate() {
            if !period.contains(talk.at) {
                continue;
            }
            let inbound = talk.direction == Direction::Inbound;
            let counts = match figure {
                F::Interactions(who) => talk.handled_by == who,
                F::Calls(who) => {
                    talk.handled_by == who
                        && talk.direction == Direction::Outbound
                        && talk.channel == Channel::Call
                }
                F::Inbound | F::FirstContactResolution => inbound,
                // The timeline is in time order: the answer is the next outbound one.
                F::Answered => {
                    inbound
                        && timeline[i + 1..]
                            .iter()
                            .any(|a| a.direction == Direction::Outbound)
                }
                F::TasksCompleted(_) | F::TasksOverdue(_) => false,
            };
            if !counts {
                continue;
            }
            let stream = StreamId::from(talk.interaction_id);
            if figure == F::FirstContactResolution {
                let resolved = i64::from(talk.outcome == Some(Outcome::Resolved));
                selection.add(
                    Side::Numerator,
                    stream.clone(),
                    "InteractionLogged",
                    talk.at,
                    resolved,
                );
                selection.add(Side::Denominator, stream, "InteractionLogged", talk.at, 1);
            } else {
                selection.add(Side::Numerator, stream, "InteractionLogged", talk.at, 1);
            }
        }
    }
    selection
}

fn named(who: Option<UserId>) -> String {
    who.map_or_else(|| "unassigned".to_owned(), |u| u.to_string())
}
