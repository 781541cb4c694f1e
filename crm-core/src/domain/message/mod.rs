//! Messages an automation decided to send: scheduled with their due time, then — when
//! [`Crm::run_due`](crate::Crm::run_due) reaches that time — queued in the outbox for the
//! embedding program to send, or skipped with the reason (no consent, erased, the rule
//! switched off). Each step is an event, so the outbox is a projection of the log and a replay
//! rebuilds it exactly; a message's id derives from its rule and its cause, so scheduling it
//! twice schedules it once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use chrono::NaiveDate;

use super::automation::{AutomationRuleDefined, MessageChannel, ReportFamily, RuleAction};
use super::{Aggregate, DomainError};
use crate::event::Event;
use crate::ids::{CustomerId, EventId, MessageId, RuleId, UserId};

/// Why a message exists: the event or the date that set its rule off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cause {
    /// An event in the log (an order delivered).
    Event(EventId),
    /// A scheduled rule's occurrence, by its local date (a weekly report's Monday).
    Week(NaiveDate),
    /// A date on the customer's card (the day a birthday greeting goes).
    Date(NaiveDate),
    /// An order still unpaid.
    Order(crate::ids::OrderId),
}

/// Whom a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// A customer (for a contact merged away, their survivor when it is queued).
    Customer(CustomerId),
    /// A user of the CRM (a report for the head of sales).
    User(UserId),
}

/// A rule decided a message is due at `due`. Field names are wire format: rename nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageScheduled {
    /// The message; derived from the rule and the cause.
    pub message_id: MessageId,
    /// The rule that decided it.
    pub rule_id: RuleId,
    /// Whom it is for, as the cause named them.
    pub to: Recipient,
    /// Email or SMS.
    pub channel: MessageChannel,
    /// The template's name.
    pub template: String,
    /// Marketing (needs consent) or transactional.
    pub marketing: bool,
    /// The report it carries, for a report rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportFamily>,
    /// When it is due.
    pub due: DateTime<Utc>,
    /// What set it off.
    pub cause: Cause,
}

impl MessageScheduled {
    /// The message `rule` sends `to` for `cause`, due at `due`: from a message action its
    /// channel, template and kind; from a report action an email carrying the report. A task
    /// action sends no message.
    pub fn for_rule(
        rule: &AutomationRuleDefined,
        message_id: MessageId,
        to: Recipient,
        due: DateTime<Utc>,
        cause: Cause,
    ) -> Option<Self> {
        let (channel, template, marketing, report) = match &rule.action {
            RuleAction::Message {
                channel,
                template,
                marketing,
            } => (*channel, template.clone(), *marketing, None),
            RuleAction::Report { family, .. } => (
                MessageChannel::Email,
                format!("report-{family}"),
                false,
                Some(*family),
            ),
            RuleAction::Task { .. } => return None,
        };
        Some(Self {
            message_id,
            rule_id: rule.rule_id,
            to,
            channel,
            template,
            marketing,
            report,
            due,
            cause,
        })
    }
}

/// A due message was put in the outbox, for `to` (the one scheduled, or the contact they
/// were merged into).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageQueued {
    /// The message.
    pub message_id: MessageId,
    /// Whom it goes to.
    pub to: Recipient,
}

/// A due message was not sent, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageSkipped {
    /// The message.
    pub message_id: MessageId,
    /// Why not.
    pub reason: SkipReason,
}

/// Why a due message is not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// A marketing message, and the person has not consented on its channel.
    NoConsent,
    /// The person was erased.
    Erased,
    /// The rule was switched off before the message was due.
    RuleDisabled,
    /// The customer does not exist (any more).
    NoCustomer,
    /// The user it is for is not an active user.
    NoUser,
    /// The order it reminds of was paid or cancelled in the meantime.
    Settled,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NoConsent => "no marketing consent on the channel",
            Self::Erased => "the person was erased",
            Self::RuleDisabled => "the rule was switched off",
            Self::NoCustomer => "no such customer",
            Self::NoUser => "no such active user",
            Self::Settled => "the order was paid or cancelled meanwhile",
        })
    }
}

impl MessageId {
    /// The message a rule sends for the event `cause`: the same rule and cause, the same id.
    pub fn of(rule: RuleId, cause: EventId) -> Self {
        Self::from_uuid(uuid::Uuid::new_v5(
            rule.as_uuid(),
            cause.as_uuid().as_bytes(),
        ))
    }

    /// The message a rule sends `customer` for the date `day` (a birthday greeting).
    pub fn of_date(rule: RuleId, customer: CustomerId, day: NaiveDate) -> Self {
        let name = format!("{customer} {day}");
        Self::from_uuid(uuid::Uuid::new_v5(rule.as_uuid(), name.as_bytes()))
    }

    /// The message a rule sends about an order (a payment reminder).
    pub fn of_order(rule: RuleId, order: crate::ids::OrderId) -> Self {
        Self::from_uuid(uuid::Uuid::new_v5(
            rule.as_uuid(),
            order.as_uuid().as_bytes(),
        ))
    }

    /// The message a scheduled rule sends for its occurrence on the local date `week`.
    pub fn of_week(rule: RuleId, week: NaiveDate) -> Self {
        let name = format!("week {week}");
        Self::from_uuid(uuid::Uuid::new_v5(rule.as_uuid(), name.as_bytes()))
    }
}

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
}

impl MessageCommand {
    /// The message whose stream this command writes to.
    pub fn message_id(&self) -> MessageId {
        match self {
            Self::Schedule(m) => m.message_id,
            Self::Queue(m) => m.message_id,
            Self::Skip(m) => m.message_id,
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
}

/// Everything a message decision needs to know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// As scheduled.
    pub scheduled: Option<MessageScheduled>,
    /// Where it is.
    pub state: MessageState,
}

impl Aggregate for Message {
    type Id = MessageId;
    type Command = MessageCommand;
    const SNAPSHOT_SCHEMA: u32 = 1;

    fn decide(&self, command: &MessageCommand) -> Result<Vec<Event>, DomainError> {
        let message_id = command.message_id();
        match (command, self.state) {
            (MessageCommand::Schedule(m), MessageState::Absent) => Ok(vec![m.clone().into()]),
            // Scheduled once: the same rule and cause again is the same message.
            (MessageCommand::Schedule(_), _) => Ok(Vec::new()),
            (_, MessageState::Absent) => Err(DomainError::MessageNotFound { message_id }),
            (MessageCommand::Queue(m), MessageState::Scheduled) => Ok(vec![m.clone().into()]),
            (MessageCommand::Skip(m), MessageState::Scheduled) => Ok(vec![m.clone().into()]),
            // Queued or skipped once: running what is due again changes nothing.
            (MessageCommand::Queue(_) | MessageCommand::Skip(_), _) => Ok(Vec::new()),
        }
    }

    fn evolve(&mut self, event: &Event) {
        match event {
            Event::MessageScheduled(e) => {
                self.scheduled = Some(e.clone());
                self.state = MessageState::Scheduled;
            }
            Event::MessageQueued(_) => self.state = MessageState::Queued,
            Event::MessageSkipped(_) => self.state = MessageState::Skipped,
            _ => {}
        }
    }
}
