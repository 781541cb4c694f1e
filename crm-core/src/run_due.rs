//! [`Crm::run_due`]: turning the messages that are due into outbox entries, deciding at the
//! last moment whether each may go.
//!
//! **Who gets what.** A due message is skipped, with the reason recorded, when its rule has
//! been switched off since it was scheduled, when its customer no longer exists, or when the
//! person was erased. A *marketing* message also needs the person's consent on its channel
//! (email, SMS) at that moment. A *transactional* one (a survey about an order, a payment
//! reminder) needs no marketing consent: it is about something the customer did. A message for
//! a contact merged into another goes to the survivor — once, because it is one message.
//! Companies have no consent record: marketing to a company is skipped.

use chrono::{DateTime, Utc};

use crate::crm::{Crm, Request};
use crate::domain::automation::MessageChannel;
use crate::domain::details::ConsentChannel;
use crate::domain::message::{
    MessageCommand, MessageQueued, MessageScheduled, MessageSkipped, SkipReason,
};
use crate::error::Error;
use crate::event::Actor;
use crate::ids::CustomerId;
use crate::policy::Automations;
use crate::projection::Views;
use crate::store::EventStore;

/// What [`Crm::run_due`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunDue {
    /// Messages put in the outbox.
    pub queued: usize,
    /// Messages not to be sent, with their reasons recorded.
    pub skipped: usize,
}

/// Whether `message` may go, and to whom, as `views` stand now.
fn delivery(views: &Views, message: &MessageScheduled) -> Result<CustomerId, SkipReason> {
    if !views
        .automations
        .rule(message.rule_id)
        .is_some_and(|r| r.enabled)
    {
        return Err(SkipReason::RuleDisabled);
    }
    let customer = views.cards.survivor(message.customer);
    match customer {
        CustomerId::Contact(id) => {
            let card = views.cards.contact(id).ok_or(SkipReason::NoCustomer)?;
            if card.erased.is_some() {
                return Err(SkipReason::Erased);
            }
            let channel = match message.channel {
                MessageChannel::Email => ConsentChannel::Email,
                MessageChannel::Sms => ConsentChannel::Sms,
            };
            if message.marketing && !card.consent.contains(&channel) {
                return Err(SkipReason::NoConsent);
            }
        }
        CustomerId::Company(id) => {
            views.cards.company(id).ok_or(SkipReason::NoCustomer)?;
            if message.marketing {
                return Err(SkipReason::NoConsent);
            }
        }
    }
    Ok(customer)
}

impl<S: EventStore> Crm<S> {
    /// Puts every message due at or before `now` in the outbox, or records why it will not
    /// be sent (see the module docs). Runs nothing in the background: the embedding program
    /// calls it when it likes (a timer, a cron job, `crm run-due`), then sends what
    /// `views.outbox.queued()` lists. Calling it again, or after a crash half-way, queues
    /// nothing twice: a message is queued or skipped once.
    pub async fn run_due(&self, now: DateTime<Utc>) -> Result<RunDue, Error> {
        self.catch_up().await?;
        let decided: Vec<(MessageScheduled, Result<CustomerId, SkipReason>)> = self
            .query_unfiltered(|v| {
                v.outbox
                    .due(now)
                    .into_iter()
                    .map(|m| (m.clone(), delivery(v, m)))
                    .collect()
            });
        let mut done = RunDue::default();
        for (message, decision) in decided {
            let queued = decision.is_ok();
            let command = match decision {
                Ok(customer) => MessageCommand::Queue(MessageQueued {
                    message_id: message.message_id,
                    customer,
                }),
                Err(reason) => MessageCommand::Skip(MessageSkipped {
                    message_id: message.message_id,
                    reason,
                }),
            };
            let request = Request::by(Actor::Automation {
                policy: Automations::NAME.to_owned(),
            })
            .at(now);
            // Another process may have settled it since: then nothing is written.
            if self.execute_request(request, command.into()).await?.wrote() {
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
