//! The interaction aggregate: one conversation with a customer — a call, an email, a meeting,
//! a chat — logged once. Its id is derived from the source message's id when there is one,
//! so logging the same message twice changes nothing.

use crate::personal::Personal;
use serde::{Deserialize, Serialize};

use super::{details, Aggregate, DomainError, Requirement};
use crate::event::Event;
use crate::ids::{CustomerId, InteractionId, UserId};
use crate::normalize;

/// How the conversation happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A phone call.
    Call,
    /// An email.
    Email,
    /// A meeting, in person or online.
    Meeting,
    /// The website's chat.
    Chat,
    /// A messenger app (WhatsApp, Telegram, ...).
    Messenger,
    /// A social network message.
    Social,
    /// A text message.
    Sms,
    /// A web form submission.
    WebForm,
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Call => "call",
            Self::Email => "email",
            Self::Meeting => "meeting",
            Self::Chat => "chat",
            Self::Messenger => "messenger",
            Self::Social => "social",
            Self::Sms => "sms",
            Self::WebForm => "web form",
        })
    }
}

/// Who started it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The customer reached out.
    Inbound,
    /// The shop reached out.
    Outbound,
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The matter was settled.
    Resolved,
    /// Someone must follow up.
    FollowUpNeeded,
    /// Nobody answered.
    NoAnswer,
}

/// A conversation was logged (at the event's `occurred_at`). Field names are wire format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionLogged {
    /// The interaction.
    pub interaction_id: InteractionId,
    /// Whom it was with.
    pub customer: CustomerId,
    /// How.
    pub channel: Channel,
    /// Who started it.
    pub direction: Direction,
    /// The manager who handled it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_by: Option<UserId>,
    /// How long it took, for calls and meetings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u32>,
    /// What it was about.
    pub subject: Personal<String>,
    /// What was said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Personal<String>>,
    /// How it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// The id of the message in its source system (an email's Message-ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_message_id: Option<String>,
}

/// A command for one interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InteractionCommand {
    /// Log a conversation with a known customer.
    Log(InteractionLogged),
}

impl InteractionCommand {
    /// The interaction whose stream this command writes to.
    pub fn interaction_id(&self) -> InteractionId {
        match self {
            Self::Log(i) => i.interaction_id,
        }
    }

    /// What must hold elsewhere: the customer exists.
    pub fn requirements(&self) -> Vec<Requirement> {
        let Self::Log(i) = self;
        vec![Requirement::CustomerExists(i.customer)]
    }
}

/// Everything an interaction decision needs to know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// The interaction as logged.
    pub logged: Option<InteractionLogged>,
}

impl Aggregate for Interaction {
    type Id = InteractionId;
    type Command = InteractionCommand;
    const SNAPSHOT_SCHEMA: u32 = 1;

    fn owned_by(&self) -> Option<crate::access::OwnedBy> {
        use crate::access::OwnedBy;
        self.logged.as_ref().map(|i| OwnedBy::Customer(i.customer))
    }

    fn decide(&self, command: &InteractionCommand) -> Result<Vec<Event>, DomainError> {
        let InteractionCommand::Log(i) = command;
        let subject = details::clear(&i.subject, "subject")?;
        let wanted = InteractionLogged {
            subject: subject.trim().into(),
            summary: details::personal_text(i.summary.as_ref(), "summary")?,
            ..i.clone()
        };
        match &self.logged {
            Some(existing) if *existing == wanted => Ok(Vec::new()),
            Some(_) => Err(DomainError::InteractionAlreadyLogged {
                interaction_id: i.interaction_id,
            }),
            None if normalize::words(subject).is_empty() => Err(DomainError::EmptySubject {
                interaction_id: i.interaction_id,
            }),
            None => Ok(vec![wanted.into()]),
        }
    }

    fn evolve(&mut self, event: &Event) {
        if let Event::InteractionLogged(e) = event {
            self.logged = Some(e.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ContactId;
    use crate::testing::given;

    fn log(subject: &str) -> InteractionCommand {
        InteractionCommand::Log(InteractionLogged {
            interaction_id: InteractionId::from_uuid(uuid::Uuid::from_u128(4)),
            customer: CustomerId::Contact(ContactId::from_uuid(uuid::Uuid::from_u128(1))),
            channel: Channel::Call,
            direction: Direction::Outbound,
            handled_by: None,
            duration_seconds: Some(180),
            subject: subject.into(),
            summary: None,
            outcome: Some(Outcome::NoAnswer),
            source_message_id: None,
        })
    }

    #[test]
    fn an_interaction_is_logged_once_and_needs_a_subject() {
        let InteractionCommand::Log(logged) = log("Delivery date");
        given::<Interaction>([])
            .when(log(" Delivery date "))
            .then_events([logged.clone().into()]);
        given::<Interaction>([logged.clone().into()])
            .when(log("Delivery date"))
            .then_nothing();
        given::<Interaction>([logged.into()])
            .when(log("Something else"))
            .then_error_text(
                "interaction 00000000-0000-0000-0000-000000000004 was already logged with other details",
            );
        given::<Interaction>([])
            .when(log(""))
            .then_error_text("interaction 00000000-0000-0000-0000-000000000004 needs a subject");
    }
}
