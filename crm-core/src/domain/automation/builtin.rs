//! The rules a shop switches on first, ready to define: each has a fixed id, so defining it
//! twice defines it once, and a shop may redefine it (another delay, another template).

use chrono::{NaiveTime, Weekday};

use super::{AutomationRuleDefined, MessageChannel, ReportFamily, RuleAction, Trigger};
use crate::ids::{RuleId, UserId};

fn id(name: &str) -> RuleId {
    RuleId::derived("builtin rule", name)
}

/// A satisfaction survey by email, 24 hours after an order is delivered (transactional).
pub fn survey_after_delivery() -> AutomationRuleDefined {
    AutomationRuleDefined {
        rule_id: id("survey after delivery"),
        name: "Satisfaction survey the day after delivery".into(),
        trigger: Trigger::OrderDelivered,
        delay_minutes: 24 * 60,
        action: RuleAction::Message {
            channel: MessageChannel::Email,
            template: "survey".into(),
            marketing: false,
        },
    }
}

/// A birthday greeting with a discount, `days_before` days ahead, by email (marketing).
pub fn birthday_greeting(days_before: u16) -> AutomationRuleDefined {
    AutomationRuleDefined {
        rule_id: id("birthday greeting"),
        name: format!("Birthday greeting {days_before} days before"),
        trigger: Trigger::Birthday { days_before },
        delay_minutes: 0,
        action: RuleAction::Message {
            channel: MessageChannel::Email,
            template: "birthday".into(),
            marketing: true,
        },
    }
}

/// A call for the owner when a customer has been quiet twice as long as usual.
pub fn reactivation() -> AutomationRuleDefined {
    AutomationRuleDefined {
        rule_id: id("reactivation"),
        name: "Win back a customer who went quiet".into(),
        trigger: Trigger::Lapsed {
            silence_percent: 200,
        },
        delay_minutes: 0,
        action: RuleAction::Task {
            kind: crate::domain::task::TaskKind::Call,
            title: "Call a customer who went quiet".into(),
        },
    }
}

/// A reminder by email of an order still unpaid `after_days` days after it was placed.
pub fn unpaid_reminder(after_days: u16) -> AutomationRuleDefined {
    AutomationRuleDefined {
        rule_id: id("unpaid reminder"),
        name: format!("Payment reminder after {after_days} days"),
        trigger: Trigger::Unpaid { after_days },
        delay_minutes: 0,
        action: RuleAction::Message {
            channel: MessageChannel::Email,
            template: "unpaid-reminder".into(),
            marketing: false,
        },
    }
}

/// The week's sales report to `head`, Mondays at 09:00 Madrid time.
pub fn weekly_sales_report(head: UserId) -> AutomationRuleDefined {
    AutomationRuleDefined {
        rule_id: id("weekly sales report"),
        name: "Weekly sales report, Mondays 09:00".into(),
        trigger: Trigger::Weekly {
            weekday: Weekday::Mon,
            time: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            zone: chrono_tz::Europe::Madrid,
        },
        delay_minutes: 0,
        action: RuleAction::Report {
            family: ReportFamily::Sales,
            to: head,
        },
    }
}

/// Every built-in rule, for `crm automation` to offer.
pub fn all(head: UserId) -> Vec<AutomationRuleDefined> {
    vec![
        survey_after_delivery(),
        birthday_greeting(7),
        reactivation(),
        unpaid_reminder(3),
        weekly_sales_report(head),
    ]
}
