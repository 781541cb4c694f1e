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
    /// A mailing of the campaign to a segment: the message is the campaign's, for attribution.
    Mailing(crate::ids::CampaignId),
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

impl Recipient {
    /// The customer, for a message to a customer.
    pub fn customer(self) -> Option<CustomerId> {
        match self {
            Self::Customer(c) => Some(c),
            Self::User(_) => None,
        }
    }
}

/// A rule decided a message is due at `due`. Field names are wire format: rename nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageScheduled {
    /// The message; derived from the rule and the cause.
    pub message_id: MessageId,
    /// The rule that decided it; `None` for a campaign's mailing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<RuleId>,
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
            rule_id: Some(rule.rule_id),
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
    /// A marketing message over the shop's weekly cap for the person.
    Capped,
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
            Self::Capped => "over the weekly cap of marketing messages",
        })
    }
}

mod aggregate;
mod ids;
mod outcome;

pub use aggregate::{Message, MessageCommand, MessageState};
pub use outcome::{MessageBounced, MessageFailed, MessageSent, MAX_ATTEMPTS};
