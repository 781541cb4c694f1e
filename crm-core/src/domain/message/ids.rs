//! Message ids derive from the rule (or campaign) and the cause, so deciding the same message
//! twice decides it once: after a crash, `run_due` finds the message already there.

use chrono::NaiveDate;

use crate::ids::{CustomerId, EventId, MessageId, RuleId};

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

    /// The message a campaign's mailing sends `customer`: one per person and campaign.
    pub fn of_mailing(campaign: crate::ids::CampaignId, customer: CustomerId) -> Self {
        let name = format!("mailing {customer}");
        Self::from_uuid(uuid::Uuid::new_v5(campaign.as_uuid(), name.as_bytes()))
    }

    /// The message a scheduled rule sends for its occurrence on the local date `week`.
    pub fn of_week(rule: RuleId, week: NaiveDate) -> Self {
        let name = format!("week {week}");
        Self::from_uuid(uuid::Uuid::new_v5(rule.as_uuid(), name.as_bytes()))
    }
}
