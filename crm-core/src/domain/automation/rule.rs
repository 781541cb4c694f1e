//! What an automation rule is made of: a trigger, a delay and an action. Field names are
//! wire format: rename nothing.

use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::task::TaskKind;
use crate::ids::UserId;

/// What sets a rule off, for each customer it concerns (or, for a schedule, once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// An order reached its customer.
    OrderDelivered,
    /// `days_before` days before a contact's birthday, every year.
    Birthday {
        /// How many days ahead (0: on the day).
        days_before: u16,
    },
    /// A customer who went quiet: no order for `silence_percent` % of their usual gap between
    /// orders (200: twice as long as usual), as the lapsed segment says.
    Lapsed {
        /// The silence, as a percentage of the customer's average gap.
        silence_percent: u32,
    },
    /// An order still not paid in full `after_days` days after it was placed.
    Unpaid {
        /// Days after placing.
        after_days: u16,
    },
    /// Every week on `weekday` at `time`, local time in `zone` (so across daylight saving
    /// changes it stays at that local time).
    Weekly {
        /// The day.
        weekday: Weekday,
        /// The local time.
        time: NaiveTime,
        /// The time zone, an IANA name.
        zone: Tz,
    },
}

/// How a message reaches the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageChannel {
    /// An email, HTML-escaped.
    Email,
    /// A text message, plain.
    Sms,
}

/// The report families a rule can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportFamily {
    /// Orders and revenue.
    Sales,
    /// New, active, churned and lapsed customers.
    Customers,
    /// Deals per stage, win rate, forecast.
    Pipeline,
}

/// What a rule does once its trigger fires and its delay has passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleAction {
    /// A message to the customer, from the template of that name.
    Message {
        /// Email or SMS.
        channel: MessageChannel,
        /// The template's name.
        template: String,
        /// Marketing (needs consent on the channel, counts against frequency caps, carries an
        /// unsubscribe link) or transactional (a survey, a payment reminder).
        marketing: bool,
    },
    /// A task for the customer's owner.
    Task {
        /// Call, email, ...
        kind: TaskKind,
        /// What to do.
        title: String,
    },
    /// A report, as a message to a user.
    Report {
        /// Which report.
        family: ReportFamily,
        /// Who receives it.
        to: UserId,
    },
}

impl RuleAction {
    /// Whether it is a message to the customer that needs their marketing consent.
    pub fn is_marketing(&self) -> bool {
        matches!(
            self,
            Self::Message {
                marketing: true,
                ..
            }
        )
    }
}

impl std::fmt::Display for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OrderDelivered => f.write_str("an order is delivered"),
            Self::Birthday { days_before: 0 } => f.write_str("a birthday"),
            Self::Birthday { days_before } => write!(f, "{days_before} days before a birthday"),
            Self::Lapsed { silence_percent } => {
                write!(
                    f,
                    "a customer quiet for {silence_percent} % of their usual gap"
                )
            }
            Self::Unpaid { after_days } => write!(f, "an order unpaid after {after_days} days"),
            Self::Weekly {
                weekday,
                time,
                zone,
            } => write!(f, "every {weekday} at {} {zone}", time.format("%H:%M")),
        }
    }
}

impl std::fmt::Display for RuleAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Message {
                channel,
                template,
                marketing,
            } => {
                let channel = match channel {
                    MessageChannel::Email => "email",
                    MessageChannel::Sms => "SMS",
                };
                let kind = if *marketing {
                    "marketing"
                } else {
                    "transactional"
                };
                write!(f, "{kind} {channel} from template {template:?}")
            }
            Self::Task { kind, title } => write!(f, "{kind} task for the owner: {title}"),
            Self::Report { family, to } => write!(f, "the {family} report to user {to}"),
        }
    }
}

impl From<MessageChannel> for crate::domain::details::ConsentChannel {
    /// The consent a marketing message on the channel needs.
    fn from(channel: MessageChannel) -> Self {
        match channel {
            MessageChannel::Email => Self::Email,
            MessageChannel::Sms => Self::Sms,
        }
    }
}

impl std::fmt::Display for MessageChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Email => "email",
            Self::Sms => "SMS",
        })
    }
}

impl std::fmt::Display for ReportFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sales => "sales",
            Self::Customers => "customers",
            Self::Pipeline => "pipeline",
        })
    }
}
