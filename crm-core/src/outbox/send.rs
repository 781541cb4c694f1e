//! [`Sender`] and [`Crm::send`]: handing queued messages over and recording what came of it.

use async_trait::async_trait;

use super::compose::{Composed, Outgoing};
use crate::crm::{Crm, Request};
use crate::domain::automation::MessageChannel;
use crate::domain::message::{MessageCommand, MessageSkipped};
use crate::error::Error;
use crate::event::Actor;
use crate::ids::MessageId;
use crate::policy::Automations;
use crate::store::EventStore;

/// Why a sender could not hand a message over: what the mail server or gateway said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct SendError {
    /// The reason, recorded with the failure (as the recipient's personal data).
    pub reason: String,
    /// Refused for good (an SMTP 5xx such as "no such mailbox"): not tried again.
    pub permanent: bool,
}

impl SendError {
    /// A failure for `reason`, worth trying again later.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            permanent: false,
        }
    }

    /// A refusal for good for `reason`.
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            permanent: true,
        }
    }
}

/// Hands messages over: to a mail server, an SMS gateway, a directory of files.
#[async_trait]
pub trait Sender: Send + Sync {
    /// The channels it sends; messages on others wait for a sender that does.
    fn channels(&self) -> &[MessageChannel];

    /// Hands `message` over. Called again for the same message after a crash before its
    /// outcome was recorded: a sender that can, dedupes on `message.message_id`.
    async fn send(&self, message: &Outgoing) -> Result<(), SendError>;
}

/// What [`Crm::send`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendRun {
    /// Messages handed over.
    pub sent: usize,
    /// Tries that failed (the message is tried again on a later run, up to three times).
    pub failed: usize,
    /// Messages that must not go any more, skipped with the reason recorded.
    pub skipped: usize,
}

impl<S: EventStore> Crm<S> {
    /// Sends every message a sender still has to send on `sender`'s channels, soonest due
    /// first, and records each outcome (see the [module docs](crate::outbox)).
    pub async fn send(&self, sender: &dyn Sender) -> Result<SendRun, Error> {
        self.catch_up().await?;
        let channels = sender.channels();
        let ids: Vec<MessageId> = self.query_unfiltered(|v| {
            v.outbox
                .to_send()
                .into_iter()
                .filter(|e| channels.contains(&e.message.channel))
                .map(|e| e.message.message_id)
                .collect()
        });
        let mut run = SendRun::default();
        let mut templates = super::compose::Templates::new();
        for message_id in ids {
            let Some(composed) = self.compose_with(message_id, &mut templates).await? else {
                continue;
            };
            let command = match composed {
                Composed::Skip(reason) => {
                    run.skipped += 1;
                    MessageCommand::Skip(MessageSkipped { message_id, reason })
                }
                Composed::Undeliverable(reason) => {
                    run.failed += 1;
                    // The card or the template may be fixed before the next run.
                    self.failure(message_id, SendError::new(reason))
                }
                Composed::Ready(outgoing) => match sender.send(&outgoing).await {
                    Ok(()) => {
                        run.sent += 1;
                        MessageCommand::Sent {
                            message_id,
                            at: self.clock_now(),
                        }
                    }
                    Err(e) => {
                        run.failed += 1;
                        self.failure(message_id, e)
                    }
                },
            };
            let by = Request::by(Actor::Automation {
                policy: Automations::NAME.to_owned(),
            });
            self.execute_request(by, command.into()).await?;
        }
        Ok(run)
    }

    fn failure(&self, message_id: MessageId, error: SendError) -> MessageCommand {
        // A reason is bounded at the door; a long server answer keeps its start.
        let reason: String = error
            .reason
            .chars()
            .take(crate::validate::MAX_MESSAGE_REASON)
            .collect();
        MessageCommand::Failed {
            message_id,
            at: self.clock_now(),
            reason: if reason.trim().is_empty() {
                "no reason given".into()
            } else {
                reason
            },
            permanent: error.permanent,
        }
    }
}
