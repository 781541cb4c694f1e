//! The outbox: every message an automation or a mailing scheduled, and where it is — waiting
//! for its due time, queued for the embedding program to send, skipped and why, sent, failed
//! or bounced. A projection of the message events, so a replay of the log rebuilds it exactly.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::Projection;
use crate::domain::message::{MessageScheduled, Recipient, SkipReason, MAX_ATTEMPTS};
use crate::event::{Event, RecordedEvent};
use crate::ids::MessageId;

/// Where a scheduled message is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Tried and failed `attempts` times; sent again while below [`MAX_ATTEMPTS`].
    Failed {
        /// Whom it is for.
        to: Recipient,
        /// When the last try failed (the sender's time).
        at: DateTime<Utc>,
        /// How many tries failed.
        attempts: u32,
        /// What the sender was told the last time; `None` once the person is erased.
        reason: Option<String>,
    },
    /// Handed over.
    Sent {
        /// Whom it went to.
        to: Recipient,
        /// When (the sender's time).
        at: DateTime<Utc>,
    },
    /// Handed over, and come back.
    Bounced {
        /// Whom it was for.
        to: Recipient,
        /// When it was sent.
        sent: DateTime<Utc>,
        /// When it came back.
        at: DateTime<Utc>,
        /// What the bounce said; `None` once the person is erased.
        reason: Option<String>,
    },
}

impl Delivery {
    /// Whom it was queued for, once it was.
    pub fn to(&self) -> Option<Recipient> {
        match *self {
            Self::Pending | Self::Skipped { .. } => None,
            Self::Queued { to, .. }
            | Self::Failed { to, .. }
            | Self::Sent { to, .. }
            | Self::Bounced { to, .. } => Some(to),
        }
    }

    /// When it was handed over, if it was.
    pub fn sent_at(&self) -> Option<DateTime<Utc>> {
        match *self {
            Self::Sent { at, .. } => Some(at),
            Self::Bounced { sent, .. } => Some(sent),
            _ => None,
        }
    }

    /// A sender still has to send it: queued, or failed fewer than [`MAX_ATTEMPTS`] times.
    pub fn to_send(&self) -> bool {
        match self {
            Self::Queued { .. } => true,
            Self::Failed { attempts, .. } => *attempts < MAX_ATTEMPTS,
            _ => false,
        }
    }
}

impl std::fmt::Display for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = |r: &Option<String>| r.clone().unwrap_or_else(|| "(erased)".to_owned());
        match self {
            Self::Pending => f.write_str("pending"),
            Self::Queued { .. } => f.write_str("queued"),
            Self::Skipped { reason, .. } => write!(f, "skipped: {reason}"),
            Self::Failed {
                attempts, reason, ..
            } => write!(f, "failed ×{attempts}: {}", why(reason)),
            Self::Sent { .. } => f.write_str("sent"),
            Self::Bounced { reason, .. } => write!(f, "bounced: {}", why(reason)),
        }
    }
}

/// One scheduled message and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// As scheduled.
    pub message: MessageScheduled,
    /// Where it is.
    pub delivery: Delivery,
}

/// Every scheduled message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outbox {
    entries: BTreeMap<MessageId, OutboxEntry>,
    pending: BTreeSet<(DateTime<Utc>, MessageId)>,
    by_recipient: BTreeMap<Recipient, BTreeSet<(DateTime<Utc>, MessageId)>>,
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

    /// What a sender sends: the queued messages and the failed ones it may try again,
    /// soonest due first.
    pub fn to_send(&self) -> Vec<&OutboxEntry> {
        self.all()
            .into_iter()
            .filter(|e| e.delivery.to_send())
            .collect()
    }

    /// The messages queued for any of `recipients` (a card and the contacts merged into it),
    /// soonest due first.
    pub fn for_recipients(&self, recipients: &[Recipient]) -> Vec<&OutboxEntry> {
        let mut ids: Vec<(DateTime<Utc>, MessageId)> = recipients
            .iter()
            .filter_map(|r| self.by_recipient.get(r))
            .flatten()
            .copied()
            .collect();
        ids.sort();
        ids.iter()
            .filter_map(|(_, id)| self.entries.get(id))
            .collect()
    }

    /// Keeps only the messages whose recipient passes `keep` (a read handle's filter).
    pub fn retain(&mut self, keep: &dyn Fn(Recipient) -> bool) {
        self.entries
            .retain(|_, e| keep(e.delivery.to().unwrap_or(e.message.to)));
        let entries = &self.entries;
        self.pending.retain(|(_, id)| entries.contains_key(id));
        self.by_recipient.retain(|to, _| keep(*to));
    }

    fn settle(&mut self, message_id: MessageId, delivery: Delivery) {
        if let Some(entry) = self.entries.get_mut(&message_id) {
            self.pending.remove(&(entry.message.due, message_id));
            if let Delivery::Queued { to, .. } = delivery {
                self.by_recipient
                    .entry(to)
                    .or_default()
                    .insert((entry.message.due, message_id));
            }
            entry.delivery = delivery;
        }
    }

    fn sent(&self, message_id: MessageId) -> Option<DateTime<Utc>> {
        self.entries.get(&message_id)?.delivery.sent_at()
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
            Event::ContactErased(e) => {
                // What a mail server said about them goes; that they were written to stays.
                let person = Recipient::Customer(crate::ids::CustomerId::Contact(e.contact_id));
                for (_, id) in self.by_recipient.get(&person).into_iter().flatten() {
                    if let Some(entry) = self.entries.get_mut(id) {
                        if let Delivery::Failed { reason, .. } | Delivery::Bounced { reason, .. } =
                            &mut entry.delivery
                        {
                            *reason = None;
                        }
                    }
                }
            }
            Event::MessageSent(e) => {
                self.settle(e.message_id, Delivery::Sent { to: e.to, at: e.at })
            }
            Event::MessageFailed(e) => self.settle(
                e.message_id,
                Delivery::Failed {
                    to: e.to,
                    at: e.at,
                    attempts: e.attempt,
                    reason: e.reason.get().cloned(),
                },
            ),
            Event::MessageBounced(e) => {
                let sent = self.sent(e.message_id).unwrap_or(e.at);
                self.settle(
                    e.message_id,
                    Delivery::Bounced {
                        to: e.to,
                        sent,
                        at: e.at,
                        reason: e.reason.get().cloned(),
                    },
                );
            }
            _ => {}
        }
    }
}
