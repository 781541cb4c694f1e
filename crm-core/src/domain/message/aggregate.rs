//! The message aggregate: scheduled, then queued or skipped, then sent, failed (and retried)
//! or bounced. Each transition is decided once; reporting it again changes nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::*;
use crate::domain::{Aggregate, DomainError};
use crate::event::Event;
use crate::ids::MessageId;
use crate::personal::Personal;

/// A command for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageCommand {
    /// Record that a rule made a message due.
    Schedule(MessageScheduled),
    /// Put a due message in the outbox.
    Queue(MessageQueued),
    /// Record that a due message will not be sent.
    Skip(MessageSkipped),
    /// Report that a queued message was handed over at `at`.
    Sent {
        /// The message.
        message_id: MessageId,
        /// When.
        at: DateTime<Utc>,
    },
    /// Report that a try to send a queued message failed.
    Failed {
        /// The message.
        message_id: MessageId,
        /// When.
        at: DateTime<Utc>,
        /// What the sender was told.
        reason: String,
        /// The server refused for good (an SMTP 5xx: no such mailbox): not tried again.
        permanent: bool,
    },
    /// Report that a sent message bounced.
    Bounced {
        /// The message.
        message_id: MessageId,
        /// When the bounce arrived.
        at: DateTime<Utc>,
        /// What it said.
        reason: String,
    },
}

impl MessageCommand {
    /// The message whose stream this command writes to.
    pub fn message_id(&self) -> MessageId {
        match self {
            Self::Schedule(m) => m.message_id,
            Self::Queue(m) => m.message_id,
            Self::Skip(m) => m.message_id,
            Self::Sent { message_id, .. }
            | Self::Failed { message_id, .. }
            | Self::Bounced { message_id, .. } => *message_id,
        }
    }
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageState {
    /// Not scheduled.
    #[default]
    Absent,
    /// Scheduled, not yet due or not yet run.
    Scheduled,
    /// In the outbox.
    Queued,
    /// Not to be sent.
    Skipped,
    /// Tried and failed this many times; tried again below [`MAX_ATTEMPTS`].
    Failed(u32),
    /// Handed over.
    Sent,
    /// Handed over and come back.
    Bounced,
}

impl std::fmt::Display for MessageState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Absent => f.write_str("never scheduled"),
            Self::Scheduled => f.write_str("scheduled, not queued"),
            Self::Queued => f.write_str("queued"),
            Self::Skipped => f.write_str("skipped"),
            Self::Failed(n) => write!(f, "failed {n} time{}", if *n == 1 { "" } else { "s" }),
            Self::Sent => f.write_str("sent"),
            Self::Bounced => f.write_str("bounced"),
        }
    }
}

/// Everything a message decision needs to know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// As scheduled.
    pub scheduled: Option<MessageScheduled>,
    /// Whom it was queued for.
    pub to: Option<Recipient>,
    /// Where it is.
    pub state: MessageState,
}

impl Message {
    fn reported(&self, command: &MessageCommand) -> Result<Vec<Event>, DomainError> {
        let message_id = command.message_id();
        let wrong = || DomainError::MessageState {
            message_id,
            state: self.state,
        };
        let to = self.to.ok_or_else(wrong)?;
        let reason = |reason: &String| -> Result<Personal<String>, DomainError> {
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(DomainError::EmptyMessageReason { message_id });
            }
            Ok(Personal::new(reason.to_owned()))
        };
        use MessageState::{Bounced, Failed, Queued, Sent};
        Ok(match (command, self.state) {
            (MessageCommand::Sent { at, .. }, Queued | Failed(_)) => vec![MessageSent {
                message_id,
                to,
                at: *at,
            }
            .into()],
            // Sent twice (a sender that crashed before it reported): recorded once.
            (MessageCommand::Sent { .. }, Sent | Bounced) => Vec::new(),
            (
                MessageCommand::Failed {
                    at,
                    reason: r,
                    permanent,
                    ..
                },
                Queued | Failed(_),
            ) => {
                let tries = match self.state {
                    Failed(n) => n,
                    _ => 0,
                };
                if tries >= MAX_ATTEMPTS {
                    return Err(wrong());
                }
                // A refusal for good counts as the last try: nothing sends it again.
                let attempt = if *permanent { MAX_ATTEMPTS } else { tries + 1 };
                vec![MessageFailed {
                    message_id,
                    to,
                    at: *at,
                    attempt,
                    reason: reason(r)?,
                }
                .into()]
            }
            (MessageCommand::Bounced { at, reason: r, .. }, Sent) => vec![MessageBounced {
                message_id,
                to,
                at: *at,
                reason: reason(r)?,
            }
            .into()],
            (MessageCommand::Bounced { .. }, Bounced) => Vec::new(),
            _ => return Err(wrong()),
        })
    }
}

impl Aggregate for Message {
    type Id = MessageId;
    type Command = MessageCommand;
    const SNAPSHOT_SCHEMA: u32 = 2;

    fn decide(&self, command: &MessageCommand) -> Result<Vec<Event>, DomainError> {
        let message_id = command.message_id();
        match (command, self.state) {
            (MessageCommand::Schedule(m), MessageState::Absent) => Ok(vec![m.clone().into()]),
            // Scheduled once: the same rule and cause again is the same message.
            (MessageCommand::Schedule(_), _) => Ok(Vec::new()),
            (_, MessageState::Absent) => Err(DomainError::MessageNotFound { message_id }),
            (MessageCommand::Queue(m), MessageState::Scheduled) => Ok(vec![m.clone().into()]),
            // Skipped when due, or still when it comes to sending it (consent withdrawn or the
            // person erased since it was queued).
            (
                MessageCommand::Skip(m),
                MessageState::Scheduled | MessageState::Queued | MessageState::Failed(_),
            ) => Ok(vec![m.clone().into()]),
            // Queued or skipped once: running what is due again changes nothing.
            (MessageCommand::Queue(_) | MessageCommand::Skip(_), _) => Ok(Vec::new()),
            _ => self.reported(command),
        }
    }

    fn evolve(&mut self, event: &Event) {
        match event {
            Event::MessageScheduled(e) => {
                self.scheduled = Some(e.clone());
                self.state = MessageState::Scheduled;
            }
            Event::MessageQueued(e) => {
                self.to = Some(e.to);
                self.state = MessageState::Queued;
            }
            Event::MessageSkipped(_) => self.state = MessageState::Skipped,
            Event::MessageSent(_) => self.state = MessageState::Sent,
            Event::MessageFailed(e) => self.state = MessageState::Failed(e.attempt),
            Event::MessageBounced(_) => self.state = MessageState::Bounced,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::automation::MessageChannel;
    use crate::ids::{ContactId, CustomerId, EventId, RuleId};
    use crate::testing::given;

    fn id() -> MessageId {
        MessageId::from_uuid(uuid::Uuid::from_u128(7))
    }

    fn at(minute: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 2, 9, minute, 0).unwrap()
    }

    fn to() -> Recipient {
        Recipient::Customer(CustomerId::Contact(ContactId::from_uuid(
            uuid::Uuid::from_u128(1),
        )))
    }

    fn scheduled() -> Event {
        MessageScheduled {
            message_id: id(),
            rule_id: Some(RuleId::from_uuid(uuid::Uuid::from_u128(2))),
            to: to(),
            channel: MessageChannel::Email,
            template: "survey".into(),
            marketing: false,
            report: None,
            due: at(0),
            cause: Cause::Event(EventId::from_uuid(uuid::Uuid::from_u128(3))),
        }
        .into()
    }

    fn queued() -> Event {
        MessageQueued {
            message_id: id(),
            to: to(),
        }
        .into()
    }

    fn sent(minute: u32) -> MessageCommand {
        MessageCommand::Sent {
            message_id: id(),
            at: at(minute),
        }
    }

    fn failed(reason: &str) -> MessageCommand {
        MessageCommand::Failed {
            message_id: id(),
            at: at(1),
            reason: reason.into(),
            permanent: false,
        }
    }

    fn failure(attempt: u32) -> Event {
        MessageFailed {
            message_id: id(),
            to: to(),
            at: at(1),
            attempt,
            reason: "421 busy".into(),
        }
        .into()
    }

    #[test]
    fn a_queued_message_is_sent_once_even_when_reported_twice() {
        let sent_event: Event = MessageSent {
            message_id: id(),
            to: to(),
            at: at(5),
        }
        .into();
        given::<Message>([scheduled(), queued()])
            .when(sent(5))
            .then_events([sent_event.clone()]);
        given::<Message>([scheduled(), queued(), sent_event])
            .when(sent(9))
            .then_nothing();
    }

    #[test]
    fn failures_are_counted_and_a_sender_gives_up_after_three() {
        given::<Message>([scheduled(), queued()])
            .when(failed(" 421 busy "))
            .then_events([failure(1)]);
        given::<Message>([scheduled(), queued(), failure(1)])
            .when(failed("421 busy"))
            .then_events([failure(2)]);
        given::<Message>([scheduled(), queued(), failure(1), failure(2), failure(3)])
            .when(failed("421 busy"))
            .then_error_text(
                "message 00000000-0000-0000-0000-000000000007 is failed 3 times: that cannot be reported of it now",
            );
        let refused = MessageCommand::Failed {
            message_id: id(),
            at: at(1),
            reason: "421 busy".into(),
            permanent: true,
        };
        given::<Message>([scheduled(), queued()])
            .when(refused)
            .then_events([failure(3)]);
        given::<Message>([scheduled(), queued(), failure(1)])
            .when(failed("  "))
            .then_error_text(
                "a failure or bounce of message 00000000-0000-0000-0000-000000000007 needs a reason",
            );
    }

    #[test]
    fn only_a_queued_message_is_sent_and_only_a_sent_one_bounces() {
        given::<Message>([scheduled()])
            .when(sent(5))
            .then_error_text(
                "message 00000000-0000-0000-0000-000000000007 is scheduled, not queued: that cannot be reported of it now",
            );
        given::<Message>([scheduled(), queued()])
            .when(MessageCommand::Bounced {
                message_id: id(),
                at: at(7),
                reason: "550".into(),
            })
            .then_error_text(
                "message 00000000-0000-0000-0000-000000000007 is queued: that cannot be reported of it now",
            );
        given::<Message>([])
            .when(sent(5))
            .then_error_text("message 00000000-0000-0000-0000-000000000007 was never scheduled");
    }
}
