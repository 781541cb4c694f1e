//! The activity report: what each manager did, how fast the shop answers, and how often the
//! first answer settles the matter.
//!
//! Formulas, over the period:
//! - Per manager: `interactions` they handled, `calls` they made (outbound calls), tasks they
//!   `completed` in the period, and their tasks `overdue` at the period's end (open, due
//!   before it). Conversations handled by nobody count under "unassigned".
//! - Per manager and channel: interactions handled.
//! - Response time: for each inbound interaction in the period, the time until the first
//!   outbound interaction on the same card after it, in hours; `median` and nearest-rank
//!   `p90` over those answered; `unanswered` counts those with no outbound one yet.
//! - First-contact resolution: inbound interactions in the period whose outcome is "resolved",
//!   divided by all inbound interactions in the period.

use std::collections::BTreeMap;

use serde::Serialize;

use super::render::{Cell, Table, Tabular};
use super::stats::{median, percentile, ratio};
use super::Period;
use crate::domain::automation::MessageChannel;
use crate::domain::interaction::{Channel, Direction, Outcome};
use crate::domain::task::TaskStatus;
use crate::ids::UserId;
use crate::projection::Views;

/// One manager's activity.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ManagerActivity {
    /// The manager's name in the directory (their id if it has none), or `unassigned`.
    pub manager: String,
    /// The manager's id; `None` for conversations handled by nobody.
    pub user_id: Option<UserId>,
    /// Interactions handled.
    pub interactions: usize,
    /// Outbound calls made.
    pub calls: usize,
    /// Tasks completed in the period.
    pub tasks_completed: usize,
    /// Tasks open and past due at the period's end.
    pub tasks_overdue: usize,
    /// Interactions handled, per channel.
    pub per_channel: BTreeMap<Channel, usize>,
}

/// How the shop answered inbound messages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Responsiveness {
    /// Inbound interactions in the period.
    pub inbound: usize,
    /// Of those, answered by an outbound interaction on the same card.
    pub answered: usize,
    /// Median hours to the answer.
    pub median_hours: Option<f64>,
    /// 90th percentile hours (nearest rank).
    pub p90_hours: Option<f64>,
    /// Resolved inbound / all inbound.
    pub first_contact_resolution: Option<f64>,
}

/// Activity over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityReport {
    /// The period.
    pub period: Period,
    /// Per manager, by name (`unassigned` last).
    pub managers: Vec<ManagerActivity>,
    /// Answering inbound messages.
    pub responsiveness: Responsiveness,
    /// Messages to customers, per channel.
    pub messages: Vec<MessageActivity>,
}

/// What became of the messages to customers on one channel in the period: sent (handed over),
/// failed (tries given up on in the period, by their last try), bounced, skipped at the last
/// moment (no consent, erased, capped, ...). Messages to users (reports) are not counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageActivity {
    /// Email or SMS.
    pub channel: MessageChannel,
    /// Handed over in the period.
    pub sent: usize,
    /// Tries that failed in the period (the last of each message's).
    pub failed: usize,
    /// Came back in the period.
    pub bounced: usize,
    /// Skipped in the period.
    pub skipped: usize,
}

fn messages(views: &Views, period: &Period) -> Vec<MessageActivity> {
    use crate::projection::Delivery;
    let mut per: BTreeMap<MessageChannel, MessageActivity> = BTreeMap::new();
    // A read handle's outbox holds only the messages of the customers its reader may see.
    for entry in views.outbox.all() {
        let to = entry.delivery.to().unwrap_or(entry.message.to);
        if to.customer().is_none() {
            continue;
        }
        let channel = entry.message.channel;
        let row = per.entry(channel).or_insert_with(|| MessageActivity {
            channel,
            sent: 0,
            failed: 0,
            bounced: 0,
            skipped: 0,
        });
        if entry
            .delivery
            .sent_at()
            .is_some_and(|at| period.contains(at))
        {
            row.sent += 1;
        }
        match &entry.delivery {
            Delivery::Failed { at, .. } if period.contains(*at) => row.failed += 1,
            Delivery::Bounced { at, .. } if period.contains(*at) => row.bounced += 1,
            Delivery::Skipped { at, .. } if period.contains(*at) => row.skipped += 1,
            _ => {}
        }
    }
    per.into_values()
        .filter(|r| r.sent + r.failed + r.bounced + r.skipped > 0)
        .collect()
}

/// A row's key: the unassigned row last, the others by name (two users of one name apart).
type Key = (bool, String, Option<UserId>);

fn key(views: &Views, user: Option<UserId>) -> Key {
    let name = match user {
        None => "unassigned".to_owned(),
        Some(id) => views
            .directory
            .user(id)
            .map_or_else(|| id.to_string(), |u| u.name.clone()),
    };
    (user.is_none(), name, user)
}

impl ActivityReport {
    /// The report over `period`.
    pub fn compute(views: &Views, period: Period) -> Self {
        let mut rows: BTreeMap<Key, ManagerActivity> = BTreeMap::new();
        let mut row = |user: Option<UserId>| -> Key {
            let key = key(views, user);
            rows.entry(key.clone()).or_insert_with(|| ManagerActivity {
                manager: key.1.clone(),
                user_id: user,
                ..ManagerActivity::default()
            });
            key
        };
        let mut keys_and_changes: Vec<(Key, Change)> = Vec::new();
        let (mut inbound, mut resolved) = (0, 0);
        let mut waits = Vec::new();
        for (_, activity) in views.activity.customers() {
            let timeline = &activity.interactions;
            for (i, interaction) in timeline.iter().enumerate() {
                if !period.contains(interaction.at) {
                    continue;
                }
                let key = row(interaction.handled_by);
                keys_and_changes.push((key.clone(), Change::Handled(interaction.channel)));
                if interaction.direction == Direction::Outbound
                    && interaction.channel == Channel::Call
                {
                    keys_and_changes.push((key, Change::Called));
                }
                if interaction.direction == Direction::Inbound {
                    inbound += 1;
                    if interaction.outcome == Some(Outcome::Resolved) {
                        resolved += 1;
                    }
                    // The timeline is in time order: the answer is the next outbound one.
                    if let Some(answer) = timeline[i + 1..]
                        .iter()
                        .find(|a| a.direction == Direction::Outbound)
                    {
                        waits.push((answer.at - interaction.at).num_seconds() as f64 / 3600.0);
                    }
                }
            }
        }
        for task in views.tasks.all() {
            let key = row(Some(task.assignee));
            match task.status {
                TaskStatus::Completed if task.closed_at.is_some_and(|t| period.contains(t)) => {
                    keys_and_changes.push((key, Change::Completed));
                }
                TaskStatus::Open if task.due < period.to => {
                    keys_and_changes.push((key, Change::Overdue));
                }
                _ => {}
            }
        }
        for (key, change) in keys_and_changes {
            if let Some(m) = rows.get_mut(&key) {
                match change {
                    Change::Handled(channel) => {
                        m.interactions += 1;
                        *m.per_channel.entry(channel).or_default() += 1;
                    }
                    Change::Called => m.calls += 1,
                    Change::Completed => m.tasks_completed += 1,
                    Change::Overdue => m.tasks_overdue += 1,
                }
            }
        }
        Self {
            messages: messages(views, &period),
            period,
            managers: rows.into_values().collect(),
            responsiveness: Responsiveness {
                inbound,
                answered: waits.len(),
                median_hours: median(&waits),
                p90_hours: percentile(&waits, 0.9),
                first_contact_resolution: ratio(resolved, inbound),
            },
        }
    }
}

enum Change {
    Handled(Channel),
    Called,
    Completed,
    Overdue,
}

impl Tabular for ActivityReport {
    fn tables(&self) -> Vec<Table> {
        let r = &self.responsiveness;
        let mut tables = vec![
            Table {
                name: "managers",
                title: format!("Activity per manager, {}", self.period),
                headers: vec![
                    "manager",
                    "interactions",
                    "calls made",
                    "tasks completed",
                    "tasks overdue",
                ],
                rows: self
                    .managers
                    .iter()
                    .map(|m| {
                        vec![
                            Cell::text(&m.manager),
                            Cell::count(m.interactions),
                            Cell::count(m.calls),
                            Cell::count(m.tasks_completed),
                            Cell::count(m.tasks_overdue),
                        ]
                    })
                    .collect(),
            },
            Table {
                name: "channels",
                title: "Interactions per manager and channel".into(),
                headers: vec!["manager", "channel", "interactions"],
                rows: self
                    .managers
                    .iter()
                    .flat_map(|m| {
                        m.per_channel.iter().map(|(channel, n)| {
                            vec![
                                Cell::text(&m.manager),
                                Cell::text(channel.to_string()),
                                Cell::count(*n),
                            ]
                        })
                    })
                    .collect(),
            },
            Table {
                name: "messages",
                title: "Messages to customers".into(),
                headers: vec!["channel", "sent", "failed", "bounced", "skipped"],
                rows: self
                    .messages
                    .iter()
                    .map(|m| {
                        vec![
                            Cell::text(m.channel.to_string()),
                            Cell::count(m.sent),
                            Cell::count(m.failed),
                            Cell::count(m.bounced),
                            Cell::count(m.skipped),
                        ]
                    })
                    .collect(),
            },
            Table {
                name: "inbound",
                title: "Answering inbound messages".into(),
                headers: vec![
                    "inbound",
                    "answered",
                    "median hours",
                    "p90 hours",
                    "first-contact resolution %",
                ],
                rows: vec![vec![
                    Cell::count(r.inbound),
                    Cell::count(r.answered),
                    Cell::decimal(r.median_hours),
                    Cell::decimal(r.p90_hours),
                    Cell::percent(r.first_contact_resolution),
                ]],
            },
        ];
        // A shop that sends no messages sees no empty table of them.
        tables.retain(|t| t.name != "messages" || !self.messages.is_empty());
        tables
    }
}
