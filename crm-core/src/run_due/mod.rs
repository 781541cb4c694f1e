//! [`Crm::run_due`]: scheduling what the calendar makes due, and turning the messages that are
//! due into outbox entries, deciding at the last moment whether each may go.
//!
//! **Dates on the card.** A birthday greeting is due at 09:00 in the shop's time zone
//! ([`CrmOptions::zone`](crate::CrmOptions)) `days_before` days before the birthday (28
//! February in a common year for one born on 29 February), for every contact not erased nor
//! merged away; a payment reminder is due `after_days` days after an order that is neither
//! paid in full nor cancelled, and is skipped if it is settled by the time it is due. A
//! customer is lapsed once silent for the rule's percentage of their usual gap between orders
//! (the lapsed list's rule): its message, or its task for the customer's owner (unowned
//! customers get none), is due at that instant, once per silence.
//!
//! **Scheduled rules.** A weekly rule's occurrence (Mondays 09:00 Europe/Madrid) is its local
//! time on that day, whatever the offset that day (a daylight saving change moves it in UTC,
//! never in local time); a local time that does not exist that day (inside a spring-forward
//! gap) is taken as the first instant after the gap. `run_due(now)` schedules the occurrences
//! up to `now` since the rule was switched on, going back at most [`CATCH_UP_DAYS`] days: a
//! shop that did not run it for a month gets last week's report, not four.
//!
//! **Who gets what.** A due message is skipped, with the reason recorded, when its rule has
//! been switched off since it was scheduled, when its customer no longer exists, or when the
//! person was erased. A *marketing* message also needs the person's consent on its channel
//! (email, SMS) at that moment. A *transactional* one (a survey about an order, a payment
//! reminder) needs no marketing consent: it is about something the customer did. A message for
//! a contact merged into another goes to the survivor — once, because it is one message.
//! Companies have no consent record: marketing to a company is skipped. A report for a user
//! goes while the user is active.

use chrono::{DateTime, Utc};

use crate::crm::{Crm, Request};
use crate::domain::message::{MessageCommand, MessageQueued, MessageScheduled, MessageSkipped};
use crate::domain::task::{ScheduleTask, TaskCommand};
use crate::error::Error;
use crate::event::Actor;
use crate::policy::Automations;
use crate::store::EventStore;

mod calendar;
mod delivery;

use calendar::{lapsed_tasks, occurrences};
use delivery::delivery;
pub(crate) use delivery::recipient;

/// How far back `run_due` schedules a scheduled rule's missed occurrences.
pub const CATCH_UP_DAYS: i64 = 7;

/// What [`Crm::run_due`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunDue {
    /// Messages and tasks the calendar made due, newly scheduled.
    pub scheduled: usize,
    /// Messages put in the outbox.
    pub queued: usize,
    /// Messages not to be sent, with their reasons recorded.
    pub skipped: usize,
}

impl<S: EventStore> Crm<S> {
    /// Schedules what the scheduled rules make due by `now`, then puts every message due at
    /// or before `now` in the outbox, or records why it will not be sent (see the module
    /// docs). Runs nothing in the background: the embedding program calls it when it likes (a
    /// timer, a cron job, `crm run-due`), then sends what `views.outbox.queued()` lists.
    /// Calling it again, or after a crash half-way, schedules and queues nothing twice.
    pub async fn run_due(&self, now: DateTime<Utc>) -> Result<RunDue, Error> {
        self.catch_up().await?;
        let mut done = RunDue::default();
        let zone = self.options().zone;
        let occurring: Vec<MessageScheduled> = self.query_unfiltered(|v| {
            v.automations
                .enabled()
                .flat_map(|rule| occurrences(rule, v, zone, now))
                .collect()
        });
        let automation = || {
            Request::by(Actor::Automation {
                policy: Automations::NAME.to_owned(),
            })
        };
        for message in occurring {
            let at = message.due;
            let schedule = MessageCommand::Schedule(message);
            if self
                .execute_request(automation().at(at), schedule.into())
                .await?
                .wrote()
            {
                done.scheduled += 1;
            }
        }
        let tasks: Vec<ScheduleTask> = self.query_unfiltered(|v| {
            v.automations
                .enabled()
                .flat_map(|rule| lapsed_tasks(rule, v, now))
                .collect()
        });
        for task in tasks {
            let at = task.due;
            let schedule = TaskCommand::Schedule(task);
            if self
                .execute_request(automation().at(at), schedule.into())
                .await?
                .wrote()
            {
                done.scheduled += 1;
            }
        }
        let cap = self.options().marketing_per_week;
        let due: Vec<MessageScheduled> =
            self.query_unfiltered(|v| v.outbox.due(now).into_iter().cloned().collect());
        for message in due {
            // Decided one by one, so the weekly cap counts what this run queued before.
            let rule = self.options().transactional;
            let decision = self.query_unfiltered(|v| delivery(v, &message, cap, rule));
            let queued = decision.is_ok();
            let command = match decision {
                Ok(to) => MessageCommand::Queue(MessageQueued {
                    message_id: message.message_id,
                    to,
                }),
                Err(reason) => MessageCommand::Skip(MessageSkipped {
                    message_id: message.message_id,
                    reason,
                }),
            };
            // Another process may have settled it since: then nothing is written.
            if self
                .execute_request(automation().at(now), command.into())
                .await?
                .wrote()
            {
                if queued {
                    done.queued += 1;
                } else {
                    done.skipped += 1;
                }
            }
        }
        Ok(done)
    }
}
