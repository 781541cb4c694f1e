//! Taking back a record an import created: [`RecordWithdrawn`].
//!
//! An import that went wrong (the wrong file, the wrong map, the wrong time zone) is undone
//! by `Crm::revert_import`. What the import created is withdrawn with one event on the
//! record's own stream, so every reader of that stream — a decider, a cached state, another
//! process — sees it, and the log still says what was imported and that it was taken back.

use serde::{Deserialize, Serialize};

use crate::ids::{
    CampaignId, Category, CompanyId, ContactId, DealId, FeedbackId, ImportId, InteractionId,
    OrderId, StreamId,
};

/// A record an import created was taken back when that import was reverted: from here on
/// the record is as if it had never been created (a later import may create it again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordWithdrawn {
    /// The record's stream: the record itself.
    pub stream: StreamId,
    /// The import that created it.
    pub import_id: ImportId,
}

/// The kinds of record an import creates, and so the only ones that can be withdrawn:
/// pipelines, users, automations and the rest are the shop's set-up, never imported rows.
pub const WITHDRAWABLE: [Category; 7] = [
    Category::Contact,
    Category::Company,
    Category::Deal,
    Category::Order,
    Category::Interaction,
    Category::Campaign,
    Category::Feedback,
];

/// The record a withdrawal takes back, by its typed id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawn {
    /// A person.
    Contact(ContactId),
    /// An organization.
    Company(CompanyId),
    /// A deal.
    Deal(DealId),
    /// An order.
    Order(OrderId),
    /// A conversation.
    Interaction(InteractionId),
    /// A campaign.
    Campaign(CampaignId),
    /// A review or a survey answer.
    Feedback(FeedbackId),
}

impl RecordWithdrawn {
    /// The record, or `None` for a stream of a kind that is never withdrawn (which
    /// validation refuses before it is stored).
    pub fn record(&self) -> Option<Withdrawn> {
        let uuid = self.stream.uuid();
        Some(match self.stream.category() {
            Category::Contact => Withdrawn::Contact(ContactId::from_uuid(uuid)),
            Category::Company => Withdrawn::Company(CompanyId::from_uuid(uuid)),
            Category::Deal => Withdrawn::Deal(DealId::from_uuid(uuid)),
            Category::Order => Withdrawn::Order(OrderId::from_uuid(uuid)),
            Category::Interaction => Withdrawn::Interaction(InteractionId::from_uuid(uuid)),
            Category::Campaign => Withdrawn::Campaign(CampaignId::from_uuid(uuid)),
            Category::Feedback => Withdrawn::Feedback(FeedbackId::from_uuid(uuid)),
            _ => return None,
        })
    }
}
