//! The policy that carries out the automation rules whose trigger is an event: when an order
//! is delivered, each rule switched on for it schedules its message (or its task for the
//! customer's owner), due the rule's delay after the delivery's business time.
//!
//! Which rules were on is folded from the log in order, so a rule reacts to what happens
//! after it is switched on, never to the past. Ids derive from the rule and the causing event
//! ([`MessageId::of`], [`task_id`]), so reacting twice schedules once.

use std::collections::{BTreeMap, HashMap};

use super::Policy;
use crate::crm::Command;
use crate::domain::automation::{AutomationRuleDefined, RuleAction, Trigger};
use crate::domain::message::{Cause, MessageCommand, MessageScheduled, Recipient};
use crate::domain::task::TaskCommand;
use crate::event::{Event, RecordedEvent};
use crate::ids::{CustomerId, MessageId, OrderId, RuleId, TaskId, UserId};

/// Carries out the event-triggered automation rules (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Automations {
    rules: BTreeMap<RuleId, AutomationRuleDefined>,
    enabled: std::collections::BTreeSet<RuleId>,
    orders: HashMap<OrderId, CustomerId>,
    owners: HashMap<CustomerId, UserId>,
}

/// The task a rule schedules for the event `cause`.
pub fn task_id(rule: RuleId, cause: &RecordedEvent) -> TaskId {
    TaskId::from_uuid(uuid::Uuid::new_v5(
        rule.as_uuid(),
        cause.id.as_uuid().as_bytes(),
    ))
}

impl Automations {
    /// The policy's name, which its messages and tasks show as their author.
    pub const NAME: &'static str = "automations";

    /// A policy that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn owner(&mut self, customer: CustomerId, owner: Option<UserId>) {
        match owner {
            Some(owner) => self.owners.insert(customer, owner),
            None => self.owners.remove(&customer),
        };
    }

    fn for_delivery(
        &self,
        rule: &AutomationRuleDefined,
        cause: &RecordedEvent,
        customer: CustomerId,
    ) -> Option<Command> {
        // Past chrono's range only on a corrupt log; the command is then refused by its bounds.
        let due = rule
            .due_after(cause.occurred_at)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        match &rule.action {
            RuleAction::Message { .. } => MessageScheduled::for_rule(
                rule,
                MessageId::of(rule.rule_id, cause.id),
                Recipient::Customer(customer),
                due,
                Cause::Event(cause.id),
            )
            .map(|m| MessageCommand::Schedule(m).into()),
            RuleAction::Task { .. } => {
                let assignee = *self.owners.get(&customer)?;
                rule.owner_task(task_id(rule.rule_id, cause), customer, assignee, due)
                    .map(|task| TaskCommand::Schedule(task).into())
            }
            // A report goes out on a schedule, not for one delivery.
            RuleAction::Report { .. } => None,
        }
    }
}

impl Policy for Automations {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn grant(&self) -> Vec<&'static str> {
        vec![
            "message.schedule",
            "message.queue",
            "message.skip",
            "message.sent",
            "message.failed",
            "message.bounced",
            "task.schedule",
        ]
    }

    fn apply(&mut self, recorded: &RecordedEvent) {
        match &recorded.event {
            Event::AutomationRuleDefined(e) => {
                self.rules.insert(e.rule_id, e.clone());
            }
            Event::AutomationRuleEnabled(e) => {
                self.enabled.insert(e.rule_id);
            }
            Event::AutomationRuleDisabled(e) => {
                self.enabled.remove(&e.rule_id);
            }
            Event::OrderPlaced(e) => {
                self.orders.insert(e.order.order_id, e.order.customer);
            }
            Event::ContactCreated(e) => self.owner(CustomerId::Contact(e.contact_id), e.owner),
            Event::ContactOwnerAssigned(e) => {
                self.owner(CustomerId::Contact(e.contact_id), e.owner)
            }
            Event::CompanyCreated(e) => self.owner(CustomerId::Company(e.company_id), e.owner),
            Event::CompanyOwnerAssigned(e) => {
                self.owner(CustomerId::Company(e.company_id), e.owner)
            }
            _ => {}
        }
    }

    fn react(&self, recorded: &RecordedEvent) -> Vec<Command> {
        let Event::OrderDelivered(e) = &recorded.event else {
            return Vec::new();
        };
        let Some(customer) = self.orders.get(&e.order_id) else {
            return Vec::new();
        };
        self.enabled
            .iter()
            .filter_map(|id| self.rules.get(id))
            .filter(|rule| rule.trigger == Trigger::OrderDelivered)
            .filter_map(|rule| self.for_delivery(rule, recorded, *customer))
            .collect()
    }
}
