//! The outbox: every message an automation scheduled, and where it is — waiting for its due
//! time, queued for the embedding program to send, or skipped and why. A projection of the
//! message events, so a replay of the log rebuilds it exactly.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::Projection;
use crate::domain::message::{MessageScheduled, Recipient, SkipReason};
use crate::event::{Event, RecordedEvent};
use crate::ids::MessageId;

/// Where a scheduled message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Waiting for its due time (or for `run_due` to reach it).
    Pending,
    /// In the outbox, for `to`.
    Queued {
        /// Whom it goes to.
        to: Recipient,
        /// When it was queued (store time).
        at: DateTime<Utc>,
    },
    /// Not to be sent.
    Skipped {
        /// Why.
        reason: SkipReason,
        /// When it was decided (store time).
        at: DateTime<Utc>,
    },
}

/// One scheduled message and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// As scheduled.
    pub message: MessageScheduled,
    /// Where it is.
    pub delivery: Delivery,
}

/// Every scheduled message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outbox {
    entries: BTreeMap<MessageId, OutboxEntry>,
    pending: BTreeSet<(DateTime<Utc>, MessageId)>,
}

impl Outbox {
    /// A message.
    pub fn entry(&self, message_id: MessageId) -> Option<&OutboxEntry> {
        self.entries.get(&message_id)
    }

    /// Every message, in due order.
    pub fn all(&self) -> Vec<&OutboxEntry> {
        let mut all: Vec<&OutboxEntry> = self.entries.values().collect();
        all.sort_by_key(|e| (e.message.due, e.message.message_id));
        all
    }

    /// The pending messages due at or before `now`, soonest first.
    pub fn due(&self, now: DateTime<Utc>) -> Vec<&MessageScheduled> {
        self.pending
            .iter()
            .take_while(|(due, _)| *due <= now)
            .filter_map(|(_, id)| self.entries.get(id))
            .map(|e| &e.message)
            .collect()
    }

    /// The queued messages, soonest due first: what a sender sends.
    pub fn queued(&self) -> Vec<&OutboxEntry> {
        self.all()
            .into_iter()
            .filter(|e| matches!(e.delivery, Delivery::Queued { .. }))
            .collect()
    }

    fn settle(&mut self, message_id: MessageId, delivery: Delivery) {
        if let Some(entry) = self.entries.get_mut(&message_id) {
            self.pending.remove(&(entry.message.due, message_id));
            entry.delivery = delivery;
        }
    }
}

impl Projection for Outbox {
    fn apply(&mut self, event: &RecordedEvent) {
        let at = event.recorded_at;
        match &event.event {
            Event::MessageScheduled(e) => {
                if self.entries.contains_key(&e.message_id) {
                    return;
                }
                self.pending.insert((e.due, e.message_id));
                self.entries.insert(
                    e.message_id,
                    OutboxEntry {
                        message: e.clone(),
                        delivery: Delivery::Pending,
                    },
                );
            }
            Event::MessageQueued(e) => self.settle(e.message_id, Delivery::Queued { to: e.to, at }),
            Event::MessageSkipped(e) => self.settle(
                e.message_id,
                Delivery::Skipped {
                    reason: e.reason,
                    at,
                },
            ),
            _ => {}
        }
    }
}
