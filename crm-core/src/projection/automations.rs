//! The automation rules as they stand: each one's definition, whether it is on, and since
//! when — what `crm automation list` shows and what the scheduler runs.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::Projection;
use crate::domain::automation::AutomationRuleDefined;
use crate::event::{Event, RecordedEvent};
use crate::ids::RuleId;

/// One rule as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleView {
    /// Its latest definition.
    pub definition: AutomationRuleDefined,
    /// Whether it is on.
    pub enabled: bool,
    /// When it was last switched on or off, or defined (store time).
    #[serde(with = "super::instant")]
    pub since: DateTime<Utc>,
}

/// Every rule, by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Automations {
    rules: BTreeMap<RuleId, RuleView>,
}

impl Automations {
    /// A rule.
    pub fn rule(&self, rule_id: RuleId) -> Option<&RuleView> {
        self.rules.get(&rule_id)
    }

    /// Every rule, by name.
    pub fn rules(&self) -> Vec<&RuleView> {
        let mut rules: Vec<&RuleView> = self.rules.values().collect();
        rules.sort_by(|a, b| {
            (&a.definition.name, a.definition.rule_id)
                .cmp(&(&b.definition.name, b.definition.rule_id))
        });
        rules
    }

    /// The rules that are on.
    pub fn enabled(&self) -> impl Iterator<Item = &RuleView> {
        self.rules.values().filter(|r| r.enabled)
    }
}

impl Projection for Automations {
    fn apply(&mut self, event: &RecordedEvent) {
        let at = event.recorded_at;
        match &event.event {
            Event::AutomationRuleDefined(e) => {
                let rule = self.rules.entry(e.rule_id).or_insert_with(|| RuleView {
                    definition: e.clone(),
                    enabled: false,
                    since: at,
                });
                rule.definition = e.clone();
            }
            Event::AutomationRuleEnabled(e) => {
                if let Some(rule) = self.rules.get_mut(&e.rule_id) {
                    rule.enabled = true;
                    rule.since = at;
                }
            }
            Event::AutomationRuleDisabled(e) => {
                if let Some(rule) = self.rules.get_mut(&e.rule_id) {
                    rule.enabled = false;
                    rule.since = at;
                }
            }
            _ => {}
        }
    }
}
