//! The activity report's figures ([`crate::report::activity`]) traced to their events: a
//! manager's conversations (on one channel or all), calls, completed and overdue tasks; the
//! shop's inbound conversations, those answered, the response time's median and 90th
//! percentile (in seconds, from the inbound conversation to the answer, as
//! [`super::durations`] says) and its first-contact resolution; and per channel the
//! messages sent, failed, bounced and skipped, each by its delivery event.

use serde::Serialize;

use super::durations::{self, Duration, Statistic};
use super::traced::{Find, Selection, Side};
use crate::domain::automation::MessageChannel;
use crate::domain::interaction::{Channel, Direction, Outcome};
use crate::domain::task::TaskStatus;
use crate::ids::{StreamId, UserId};
use crate::projection::{Delivery, Views};
use crate::report::Period;

/// A figure of the activity report. A manager is a user, or `None` for the conversations
/// handled by nobody ("unassigned").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityFigure {
    /// Conversations the manager handled in the period.
    Interactions(Option<UserId>),
    /// Of those, the ones on a channel.
    InteractionsOn(Option<UserId>, Channel),
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
    /// The median time from an inbound conversation to its answer.
    ResponseMedian,
    /// The nearest-rank 90th percentile of the same.
    ResponseP90,
    /// Messages to customers on a channel handed over in the period.
    Sent(MessageChannel),
    /// Those whose last try failed in the period.
    Failed(MessageChannel),
    /// Those that came back in the period.
    Bounced(MessageChannel),
    /// Those decided not to send in the period.
    Skipped(MessageChannel),
}

/// The events behind `figure` of the activity report over `period`, as `views` hold them.
pub(crate) fn select(views: &Views, period: &Period, figure: ActivityFigure) -> Selection {
    use ActivityFigure as F;
    let what = |name: &str| format!("activity {name}, {period}");
    match figure {
        F::ResponseMedian => return responses(views, period, &what("response"), Statistic::Median),
        F::ResponseP90 => return responses(views, period, &what("response"), Statistic::P90),
        F::Sent(channel) | F::Failed(channel) | F::Bounced(channel) | F::Skipped(channel) => {
            return messages(views, period, figure, channel)
        }
        _ => {}
    }
    let mut selection = match figure {
        F::Interactions(who) => Selection::sum(what(&format!("interactions of {}", named(who)))),
        F::InteractionsOn(who, channel) => Selection::sum(what(&format!(
            "interactions of {} on {channel:?}",
            named(who)
        ))),
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
        _ => Selection::sum(what("")),
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
                F::InteractionsOn(who, channel) => {
                    talk.handled_by == who && talk.channel == channel
                }
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
                _ => false,
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

/// The response times: each inbound conversation in the period to the next outbound one on
/// the same card.
fn responses(views: &Views, period: &Period, what: &str, statistic: Statistic) -> Selection {
    let mut waits = Vec::new();
    for (_, activity) in views.activity.customers() {
        let timeline = &activity.interactions;
        for (i, talk) in timeline.iter().enumerate() {
            if !period.contains(talk.at) || talk.direction != Direction::Inbound {
                continue;
            }
            let answer = timeline[i + 1..]
                .iter()
                .find(|a| a.direction == Direction::Outbound);
            if let Some(answer) = answer {
                let end = |t: &crate::projection::InteractionView| {
                    (StreamId::from(t.interaction_id), "InteractionLogged", t.at)
                };
                waits.push(Duration {
                    start: end(talk),
                    end: end(answer),
                });
            }
        }
    }
    durations::explained(what, waits, statistic)
}

/// The messages to customers on `channel` that `figure` counts, each by its delivery event.
fn messages(
    views: &Views,
    period: &Period,
    figure: ActivityFigure,
    channel: MessageChannel,
) -> Selection {
    use ActivityFigure as F;
    let (name, event_type) = match figure {
        F::Sent(_) => ("sent", "MessageSent"),
        F::Failed(_) => ("failed", "MessageFailed"),
        F::Bounced(_) => ("bounced", "MessageBounced"),
        _ => ("skipped", "MessageSkipped"),
    };
    let mut selection =
        Selection::sum(format!("activity messages {name} on {channel:?}, {period}"));
    for entry in views.outbox.all() {
        let to = entry.delivery.to().unwrap_or(entry.message.to);
        if to.customer().is_none() || entry.message.channel != channel {
            continue;
        }
        let at = match (figure, &entry.delivery) {
            (F::Sent(_), delivery) => delivery.sent_at(),
            (F::Failed(_), Delivery::Failed { at, .. })
            | (F::Bounced(_), Delivery::Bounced { at, .. })
            | (F::Skipped(_), Delivery::Skipped { at, .. }) => Some(*at),
            _ => None,
        };
        if at.is_some_and(|at| period.contains(at)) {
            let stream = StreamId::from(entry.message.message_id);
            selection.add_found(Side::Numerator, stream, Find::LatestOf(event_type), 1);
        }
    }
    selection
}
