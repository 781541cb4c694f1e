//! Automation rules as values in the log: a trigger, a delay and an action, defined, switched
//! on and off by commands, so every change to them is audited and a replay knows exactly which
//! rules were in force when. [`builtin`] has the ones a shop switches on first.

pub mod builtin;
mod rule;

use serde::{Deserialize, Serialize};

pub use rule::{MessageChannel, ReportFamily, RuleAction, Trigger};

use super::{Aggregate, DomainError};
use crate::event::Event;
use crate::ids::RuleId;

/// A rule was defined, or its definition replaced (whether it is on does not change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomationRuleDefined {
    /// The rule.
    pub rule_id: RuleId,
    /// What people call it.
    pub name: String,
    /// What sets it off.
    pub trigger: Trigger,
    /// How long after the trigger the action is due, in minutes.
    #[serde(default)]
    pub delay_minutes: u32,
    /// What it does.
    pub action: RuleAction,
}

impl AutomationRuleDefined {
    /// When the action is due for a trigger at `at`: the rule's delay later (`None` past the
    /// calendar's end).
    pub fn due_after(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        at.checked_add_signed(chrono::Duration::minutes(i64::from(self.delay_minutes)))
    }

    /// The task a task rule puts on `assignee`'s list about `customer`, due at `due`; `None`
    /// for a rule that sends a message or a report.
    pub fn owner_task(
        &self,
        task_id: crate::ids::TaskId,
        customer: crate::ids::CustomerId,
        assignee: crate::ids::UserId,
        due: chrono::DateTime<chrono::Utc>,
    ) -> Option<crate::domain::task::ScheduleTask> {
        let RuleAction::Task { kind, title } = &self.action else {
            return None;
        };
        Some(crate::domain::task::ScheduleTask {
            task_id,
            title: title.clone(),
            kind: *kind,
            due,
            assignee,
            customer: Some(customer),
            deal: None,
        })
    }
}

/// A rule was switched on: from now, what it triggers is scheduled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomationRuleEnabled {
    /// The rule.
    pub rule_id: RuleId,
}

/// A rule was switched off: nothing more is scheduled by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomationRuleDisabled {
    /// The rule.
    pub rule_id: RuleId,
}

/// A command for one automation rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AutomationCommand {
    /// Define a rule, or replace its definition; a new rule starts switched off.
    Define(AutomationRuleDefined),
    /// Switch a rule on.
    Enable {
        /// The rule.
        rule_id: RuleId,
    },
    /// Switch a rule off.
    Disable {
        /// The rule.
        rule_id: RuleId,
    },
}

impl AutomationCommand {
    /// The rule whose stream this command writes to.
    pub fn rule_id(&self) -> RuleId {
        match self {
            Self::Define(d) => d.rule_id,
            Self::Enable { rule_id } | Self::Disable { rule_id } => *rule_id,
        }
    }
}

/// Everything a rule decision needs to know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AutomationRule {
    /// The rule as last defined.
    pub definition: Option<AutomationRuleDefined>,
    /// Whether it is on.
    pub enabled: bool,
}

impl AutomationRule {
    fn require_defined(&self, rule_id: RuleId) -> Result<(), DomainError> {
        match self.definition {
            Some(_) => Ok(()),
            None => Err(DomainError::RuleNotFound { rule_id }),
        }
    }
}

impl Aggregate for AutomationRule {
    type Id = RuleId;
    type Command = AutomationCommand;
    const SNAPSHOT_SCHEMA: u32 = 1;

    fn decide(&self, command: &AutomationCommand) -> Result<Vec<Event>, DomainError> {
        match command {
            AutomationCommand::Define(d) => {
                let wanted = AutomationRuleDefined {
                    name: d.name.trim().to_owned(),
                    ..d.clone()
                };
                if self.definition.as_ref() == Some(&wanted) {
                    return Ok(Vec::new());
                }
                Ok(vec![wanted.into()])
            }
            AutomationCommand::Enable { rule_id } => {
                self.require_defined(*rule_id)?;
                Ok(if self.enabled {
                    Vec::new()
                } else {
                    vec![AutomationRuleEnabled { rule_id: *rule_id }.into()]
                })
            }
            AutomationCommand::Disable { rule_id } => {
                self.require_defined(*rule_id)?;
                Ok(if self.enabled {
                    vec![AutomationRuleDisabled { rule_id: *rule_id }.into()]
                } else {
                    Vec::new()
                })
            }
        }
    }

    fn evolve(&mut self, event: &Event) {
        match event {
            Event::AutomationRuleDefined(e) => self.definition = Some(e.clone()),
            Event::AutomationRuleEnabled(_) => self.enabled = true,
            Event::AutomationRuleDisabled(_) => self.enabled = false,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
