//! How the log becomes something to query: the [`Projection`] trait and the catch-up loop.
//!
//! Projections pull from `read_all`, starting after the last position they processed, so they
//! see every committed event exactly once in position order. A full rebuild from position 0
//! and any sequence of incremental catch-ups give the same state.

mod activity;
mod automations;
mod board;
mod card_text;
mod cards;
mod deals;
mod directory;
mod id_set;
mod instant;
mod merges;
mod outbox;
mod search;
mod segments;
pub mod snapshot;
mod tag_list;
mod tasks;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

pub use activity::{
    Activity, ActivitySummary, CustomerActivity, FeedbackView, InteractionView, LineSummary,
    MessageLine, OrderSummary,
};
pub use automations::{Automations, RuleView};
pub use board::{Board, BoardColumn, Outcome};
pub use cards::{
    CompanyCard, CompanyLink, ContactCard, Conversion, CustomerCards, OpenDeal, Reach,
    Representative, Stamp,
};
pub use deals::{DealRecord, Deals, PipelineView, StageExit, StageView, StageVisit};
pub use directory::Directory;
pub use merges::Merges;
pub use outbox::{Delivery, Outbox, OutboxEntry};
pub use search::{DuplicateGroup, MatchKey, SearchHit, SearchIndex};
pub use segments::{LapsedCustomer, Segment, SegmentRow};
pub use tasks::{TaskLine, TaskView, Tasks};

use crate::domain::message::Recipient;
use crate::event::RecordedEvent;
use crate::ids::{CompanyId, ContactId, CustomerId, UserId};
use crate::store::{EventStore, StoreError};

/// A fold of the event log into queryable state.
pub trait Projection: Send {
    /// Folds one event. Must not fail: every event in the log was valid when written.
    fn apply(&mut self, event: &RecordedEvent);
}

/// A projection together with the last position it processed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tracked<P> {
    /// The last global position applied; 0 before any.
    pub position: u64,
    /// The projection.
    pub projection: P,
}

impl<P: Projection> Tracked<P> {
    /// A projection that has seen nothing.
    pub fn new(projection: P) -> Self {
        Self {
            position: 0,
            projection,
        }
    }

    /// Applies the events after `self.position`; events already seen are skipped, so
    /// delivering a batch twice (at-least-once) changes nothing.
    pub fn apply_batch(&mut self, batch: &[RecordedEvent]) {
        let seen = self.position;
        for event in batch.iter().filter(|e| e.position > seen) {
            self.projection.apply(event);
            self.position = event.position;
        }
    }
}

/// Catches a durable projection up from its checkpoint named `name`, saving the checkpoint
/// after each batch. For projections whose state outlives the process (a table the embedding
/// program keeps); the in-memory [`Views`] rebuild from 0 instead.
///
/// If the process stops between applying a batch and saving the checkpoint, that batch is
/// delivered again: `projection` must tolerate seeing an event twice.
pub async fn catch_up_checkpointed<S, P>(
    store: &S,
    name: &str,
    projection: &mut P,
    batch: usize,
) -> Result<u64, StoreError>
where
    S: EventStore + ?Sized,
    P: Projection,
{
    let batch = batch.max(1);
    let mut position = store.load_checkpoint(name).await?.unwrap_or(0);
    loop {
        let events = store.read_all(position + 1, batch).await?;
        for event in &events {
            projection.apply(event);
            position = event.position;
        }
        if !events.is_empty() {
            store.save_checkpoint(name, position).await?;
        }
        if events.len() < batch {
            return Ok(position);
        }
    }
}

/// Every projection the CRM serves queries from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Views {
    /// Customer cards.
    pub cards: CustomerCards,
    /// Name, email, phone and tax id lookup.
    pub search: SearchIndex,
    /// Pipelines and deals with their stage history; the boards.
    pub deals: Deals,
    /// Tasks by assignee, customer and deal.
    pub tasks: Tasks,
    /// Orders, conversations, feedback and sources, per customer.
    pub activity: CustomerActivity,
    /// Users and teams.
    pub directory: Directory,
    /// Automation rules.
    pub automations: Automations,
    /// Messages automations scheduled, queued and skipped.
    pub outbox: Outbox,
}

/// How many conversations a card shows; [`Views::timeline`] pages through the rest.
pub const CARD_TIMELINE: usize = 10;

impl Views {
    /// Empty views; phone searches without a prefix are read in `default_country`.
    pub fn new(default_country: Option<crate::normalize::Country>) -> Self {
        Self {
            cards: CustomerCards::default(),
            search: default_country
                .map(SearchIndex::with_default_country)
                .unwrap_or_default(),
            deals: Deals::default(),
            tasks: Tasks::default(),
            activity: CustomerActivity::default(),
            directory: Directory::default(),
            automations: Automations::default(),
            outbox: Outbox::default(),
        }
    }

    /// A person's card with their open deals and open tasks (overdue marked as of `at`).
    pub fn contact_card(&self, contact_id: ContactId, at: DateTime<Utc>) -> Option<ContactCard> {
        let mut card = self.cards.contact(contact_id)?;
        if let Some((deal_id, title)) = card.converted.as_mut().and_then(|c| c.deal.as_mut()) {
            *title = self
                .deals
                .deal(*deal_id)
                .map_or_else(|| deal_id.to_string(), |d| d.terms.title.clone());
        }
        let customer = CustomerId::Contact(contact_id);
        card.open_deals = self.open_deals(customer);
        card.open_tasks = self.tasks.open_for_customer(customer, at);
        card.activity = self.summary(customer);
        card.activity.interactions.truncate(CARD_TIMELINE);
        card.activity.messages.truncate(CARD_TIMELINE);
        let erasure = card.erased.as_ref().map(|e| Stamp {
            at: e.at,
            by: e.by.clone(),
        });
        card.users = self.names(mentioned(
            card.owner,
            [&card.created, &card.updated].into_iter().chain(&erasure),
            &card.open_tasks,
        ));
        Some(card)
    }

    /// An organization's card with its open deals and open tasks (overdue marked as of `at`).
    pub fn company_card(&self, company_id: CompanyId, at: DateTime<Utc>) -> Option<CompanyCard> {
        let mut card = self.cards.company(company_id)?;
        let customer = CustomerId::Company(company_id);
        card.open_deals = self.open_deals(customer);
        card.open_tasks = self.tasks.open_for_customer(customer, at);
        card.activity = self.summary(customer);
        card.activity.interactions.truncate(CARD_TIMELINE);
        card.activity.messages.truncate(CARD_TIMELINE);
        card.users = self.names(mentioned(
            card.owner,
            [&card.created, &card.updated],
            &card.open_tasks,
        ));
        Some(card)
    }

    /// A customer's activity, with that of the contacts merged into them, and the messages
    /// queued for any of them.
    pub fn summary(&self, customer: CustomerId) -> ActivitySummary {
        let ids = self.with_merged(customer);
        let mut summary = self.activity.summary(&ids);
        let recipients: Vec<Recipient> = ids.into_iter().map(Recipient::Customer).collect();
        summary.messages = self
            .outbox
            .for_recipients(&recipients)
            .into_iter()
            .rev()
            .map(|e| MessageLine {
                message_id: e.message.message_id,
                due: e.message.due,
                channel: e.message.channel,
                template: e.message.template.clone(),
                campaign: match e.message.cause {
                    crate::domain::message::Cause::Mailing(c) => Some(
                        self.activity
                            .campaign(c)
                            .map_or_else(|| c.to_string(), |c| c.name.clone()),
                    ),
                    _ => None,
                },
                outcome: e.delivery.to_string(),
            })
            .collect();
        summary
    }

    /// `customer` and the contacts merged into it: whose records make up its card.
    pub fn with_merged(&self, customer: CustomerId) -> Vec<CustomerId> {
        let mut ids = vec![customer];
        if let CustomerId::Contact(id) = customer {
            ids.extend(
                self.cards
                    .merged_from(id)
                    .into_iter()
                    .map(CustomerId::Contact),
            );
        }
        ids
    }

    /// A page of a customer's conversations, newest first: page 0 is what the card shows.
    pub fn timeline(
        &self,
        customer: CustomerId,
        page: usize,
        per_page: usize,
    ) -> Vec<InteractionView> {
        self.summary(customer)
            .interactions
            .into_iter()
            .skip(page.saturating_mul(per_page))
            .take(per_page)
            .collect()
    }

    /// The directory's names of `users` (those it knows).
    pub fn names(&self, users: impl IntoIterator<Item = UserId>) -> BTreeMap<UserId, String> {
        users
            .into_iter()
            .filter_map(|id| Some((id, self.directory.user(id)?.name.clone())))
            .collect()
    }

    fn open_deals(&self, customer: CustomerId) -> Vec<OpenDeal> {
        self.deals
            .open_for(customer)
            .into_iter()
            .map(|record| {
                let d = &record.terms;
                let pipeline = self.deals.pipeline(d.pipeline_id);
                OpenDeal {
                    deal_id: d.deal_id,
                    title: d.title.clone(),
                    pipeline: pipeline
                        .map_or_else(|| d.pipeline_id.to_string(), |p| p.name.clone()),
                    stage: pipeline
                        .map_or_else(|| d.stage_id.to_string(), |p| p.stage_name(d.stage_id)),
                    amount: d.amount,
                    expected_close: d.expected_close,
                }
            })
            .collect()
    }
}

/// The users a card mentions: its owner, who made the stamped changes, the tasks' assignees.
fn mentioned<'a>(
    owner: Option<UserId>,
    stamps: impl IntoIterator<Item = &'a Stamp>,
    tasks: &[TaskLine],
) -> Vec<UserId> {
    let stamped = stamps.into_iter().filter_map(|s| match s.by {
        crate::event::Actor::User { user_id } => Some(user_id),
        _ => None,
    });
    owner
        .into_iter()
        .chain(stamped)
        .chain(tasks.iter().map(|t| t.task.assignee))
        .collect()
}

impl Projection for Views {
    fn apply(&mut self, event: &RecordedEvent) {
        self.cards.apply(event);
        self.search.apply(event);
        self.deals.apply(event);
        self.tasks.apply(event);
        self.activity.apply(event);
        self.directory.apply(event);
        self.automations.apply(event);
        self.outbox.apply(event);
    }
}
