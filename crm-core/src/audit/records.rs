//! The records a card lists — deals, tasks and orders — and what each event of theirs
//! changed, as a card's trail shows it.

use serde::Serialize;

use super::{Change, Names};
use crate::event::Event;
use crate::money::Money;

/// How a value of the log's own enums reads: its name in the log (`payment_declined`).
fn logged<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name.replace('_', " "),
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}

/// A deal's fields so far.
#[derive(Default)]
pub(super) struct DealFields {
    stage: Option<String>,
    amount: Option<Money>,
    owner: Option<String>,
    close: Option<String>,
    status: Option<&'static str>,
}

impl DealFields {
    pub(super) fn apply(&mut self, event: &Event, names: &Names<'_>) -> Vec<Change> {
        let mut changes = Vec::new();
        let c = &mut changes;
        match event {
            Event::DealOpened(e) => {
                self.status = Some("open");
                self.stage = Some(names.stage(e.pipeline_id, e.stage_id));
                self.amount = Some(e.amount);
                self.owner = Some(names.user(e.owner));
                self.close = Some(e.expected_close.to_string());
                c.push(Change::new(
                    "opened",
                    None,
                    Some(format!(
                        "in {}, {}, owner {}, closes {}",
                        names.stage(e.pipeline_id, e.stage_id),
                        e.amount,
                        names.user(e.owner),
                        e.expected_close
                    )),
                ));
            }
            Event::DealStageChanged(e) => {
                set(
                    c,
                    "stage",
                    &mut self.stage,
                    names.stage(e.pipeline_id, e.to),
                );
            }
            Event::DealAmountChanged(e) => c.push(self.amount_change(e.amount)),
            Event::DealOwnerChanged(e) => set(c, "owner", &mut self.owner, names.user(e.owner)),
            Event::DealExpectedCloseChanged(e) => {
                set(
                    c,
                    "expected close",
                    &mut self.close,
                    e.expected_close.to_string(),
                );
            }
            Event::DealWon(_) => c.push(self.status_change("won")),
            Event::DealLost(e) => {
                let mut change = self.status_change("lost");
                change.to = Some(format!("lost ({})", e.reason));
                c.push(change);
            }
            Event::DealReopened(e) => {
                c.push(self.status_change("open"));
                set(
                    c,
                    "stage",
                    &mut self.stage,
                    names.stage(e.pipeline_id, e.stage_id),
                );
            }
            _ => {}
        }
        changes
    }

    fn amount_change(&mut self, amount: Money) -> Change {
        let old = self.amount.replace(amount);
        Change::new(
            "amount",
            old.map(|m| m.to_string()),
            Some(amount.to_string()),
        )
    }

    fn status_change(&mut self, to: &'static str) -> Change {
        let old = self.status.replace(to);
        Change::new("status", old.map(str::to_owned), Some(to.to_owned()))
    }
}

/// A task's fields so far.
#[derive(Default)]
pub(super) struct TaskFields {
    assignee: Option<String>,
    due: Option<String>,
}

impl TaskFields {
    pub(super) fn apply(&mut self, event: &Event, names: &Names<'_>) -> Vec<Change> {
        match event {
            Event::TaskScheduled(e) => {
                self.assignee = Some(names.user(e.assignee));
                self.due = Some(e.due.format("%Y-%m-%d %H:%M").to_string());
                vec![Change::new(
                    "scheduled",
                    None,
                    Some(format!(
                        "{} for {}, due {}",
                        e.kind,
                        names.user(e.assignee),
                        e.due.format("%Y-%m-%d %H:%M")
                    )),
                )]
            }
            Event::TaskReassigned(e) => {
                let new = names.user(e.assignee);
                let old = self.assignee.replace(new.clone());
                vec![Change::new("assignee", old, Some(new))]
            }
            Event::TaskRescheduled(e) => {
                let new = e.due.format("%Y-%m-%d %H:%M").to_string();
                let old = self.due.replace(new.clone());
                vec![Change::new("due", old, Some(new))]
            }
            Event::TaskCompleted(_) => {
                vec![Change::new(
                    "status",
                    Some("open".into()),
                    Some("done".into()),
                )]
            }
            Event::TaskCancelled(e) => vec![Change::new(
                "status",
                Some("open".into()),
                Some(match &e.reason {
                    Some(reason) => format!("cancelled ({reason})"),
                    None => "cancelled".to_owned(),
                }),
            )],
            _ => Vec::new(),
        }
    }
}

/// An order's fields so far.
#[derive(Default)]
pub(super) struct OrderFields {
    status: Option<String>,
    paid: Option<Money>,
}

impl OrderFields {
    pub(super) fn apply(&mut self, event: &Event) -> Vec<Change> {
        let status = match event {
            Event::OrderPlaced(e) => format!("placed ({})", e.total),
            Event::OrderPreparationStarted(_) => "preparing".to_owned(),
            Event::OrderShipped(e) => format!("shipped ({})", e.carrier),
            Event::OrderDelivered(_) => "delivered".to_owned(),
            Event::OrderCancelled(e) => format!("cancelled ({})", logged(&e.reason)),
            Event::OrderReturned(e) => {
                let units: u64 = e.lines.iter().map(|l| u64::from(l.quantity)).sum();
                format!("returned ({units} units)")
            }
            Event::PaymentReceived(e) => return vec![self.money("paid", e.amount, true)],
            Event::RefundIssued(e) => return vec![self.money("paid", e.amount, false)],
            Event::OrderCheckPassed(e) => {
                return vec![Change::new(
                    format!("check {}", logged(&e.check)),
                    None,
                    Some("passed".into()),
                )]
            }
            _ => return Vec::new(),
        };
        let old = self.status.replace(status.clone());
        vec![Change::new("status", old, Some(status))]
    }

    /// The running net paid after a payment (`received`) or a refund of `amount`.
    fn money(&mut self, field: &'static str, amount: Money, received: bool) -> Change {
        let old = self.paid;
        let signed = if received {
            Some(amount.minor)
        } else {
            amount.minor.checked_neg()
        };
        let delta = signed.map(|minor| Money::new(minor, amount.currency));
        let new = match (old, delta) {
            (None, delta) => delta,
            (Some(old), Some(delta)) => old.checked_add(delta).ok(),
            (Some(_), None) => None,
        };
        self.paid = new;
        Change::new(
            field,
            old.map(|m| m.to_string()),
            Some(new.map_or_else(|| "?".to_owned(), |m| m.to_string())),
        )
    }
}

/// Records a change of `field` to `new` if it differs from what `slot` held.
fn set(changes: &mut Vec<Change>, field: &'static str, slot: &mut Option<String>, new: String) {
    let old = slot.replace(new.clone());
    if old.as_deref() != Some(new.as_str()) {
        changes.push(Change::new(field, old, Some(new)));
    }
}
