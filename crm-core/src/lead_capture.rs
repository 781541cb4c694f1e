//! Inbound messages: land on the sender's card, or open a new lead.
//!
//! An inbound email, call or form from an address the CRM knows (found through the search
//! index, so a merged duplicate's address finds the survivor) is logged on that card. From an
//! unknown address it first creates a contact marked as a lead, with its first-touch source.
//! Every id involved is derived from the message's id in its source system, so logging the same
//! message twice — a mailbox poller that restarts, a webhook delivered again — creates one lead
//! and one interaction.

use crate::crm::{Crm, Request};
use crate::domain::contact::{ContactCommand, CreateContact};
use crate::domain::details::{LeadSource, PersonName, Phone};
use crate::domain::interaction::{
    Channel, Direction, InteractionCommand, InteractionLogged, Outcome,
};
use crate::domain::DomainError;
use crate::error::Error;
use crate::ids::{CampaignId, ContactId, CustomerId, InteractionId, UserId};
use crate::personal::Personal;
use crate::store::EventStore;

/// A message a customer (or someone who may become one) sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// The message's id in its source system (an email's Message-ID, a form submission's id).
    pub message_id: String,
    /// How it arrived.
    pub channel: Channel,
    /// The sender's email address, if known.
    pub from_email: Option<String>,
    /// The sender's phone number, if known.
    pub from_phone: Option<String>,
    /// The sender's name, if the message gives one.
    pub name: Option<PersonName>,
    /// What it is about.
    pub subject: String,
    /// What it says.
    pub summary: Option<String>,
    /// The manager who handled it.
    pub handled_by: Option<UserId>,
    /// How it ended.
    pub outcome: Option<Outcome>,
    /// Where a new lead came from.
    pub source: LeadSource,
    /// The campaign that brought a new lead, if any.
    pub campaign: Option<CampaignId>,
}

impl InboundMessage {
    /// The interaction the message is logged as.
    pub fn interaction_id(&self) -> InteractionId {
        InteractionId::derived("message", &self.message_id)
    }

    /// The contact a new lead from this message gets.
    pub fn lead_id(&self) -> ContactId {
        ContactId::derived("lead", &self.message_id)
    }
}

/// What logging an inbound message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Captured {
    /// The card it landed on.
    pub customer: CustomerId,
    /// Whether a new lead was opened for it (false when it is logged again).
    pub new_lead: bool,
    /// The interaction it was logged as.
    pub interaction_id: InteractionId,
}

impl<S: EventStore> Crm<S> {
    /// Logs an inbound message on its sender's card, opening a lead for an unknown sender.
    pub async fn log_inbound(
        &self,
        request: Request,
        message: InboundMessage,
    ) -> Result<Captured, Error> {
        let interaction_id = message.interaction_id();
        let logged = self
            .load::<crate::domain::interaction::Interaction>(interaction_id)
            .await?
            .0
            .logged;
        let (customer, new_lead) = match logged {
            Some(earlier) => (earlier.customer, false),
            None => match self.find_sender(&message) {
                Some(known) => (known, false),
                None => (
                    CustomerId::Contact(message.lead_id()),
                    self.open_lead(&request, &message).await?,
                ),
            },
        };
        let log = InteractionLogged {
            interaction_id,
            customer,
            channel: message.channel,
            direction: Direction::Inbound,
            handled_by: message.handled_by,
            duration_seconds: None,
            subject: message.subject.clone().into(),
            summary: message.summary.clone().map(Personal::new),
            outcome: message.outcome,
            source_message_id: Some(message.message_id.clone()),
        };
        self.execute_request(request, InteractionCommand::Log(log).into())
            .await?;
        Ok(Captured {
            customer,
            new_lead,
            interaction_id,
        })
    }

    fn find_sender(&self, message: &InboundMessage) -> Option<CustomerId> {
        self.query_unfiltered(|v| {
            let first = |hits: Vec<crate::projection::SearchHit>| hits.first().map(|h| h.customer);
            let by_email = message
                .from_email
                .as_deref()
                .and_then(|e| first(v.search.by_email(e)));
            by_email.or_else(|| {
                message
                    .from_phone
                    .as_deref()
                    .and_then(|p| first(v.search.by_phone(p)))
            })
        })
    }

    /// Creates the lead's contact and records its source, unless an earlier attempt did;
    /// returns whether this call created it.
    async fn open_lead(&self, request: &Request, message: &InboundMessage) -> Result<bool, Error> {
        let contact_id = message.lead_id();
        let (existing, _) = self
            .load::<crate::domain::contact::Contact>(contact_id)
            .await?;
        let created = !existing.is_active();
        if created {
            let fallback = message
                .from_email
                .clone()
                .or_else(|| message.from_phone.clone())
                .ok_or_else(|| DomainError::UnknownSender {
                    message_id: message.message_id.clone(),
                })?;
            let name = message
                .name
                .clone()
                .unwrap_or_else(|| PersonName::new(fallback, ""));
            let mut create = CreateContact::new(contact_id, &name.given, &name.family);
            if let Some(email) = &message.from_email {
                create = create.email(email);
            }
            if let Some(phone) = &message.from_phone {
                create = create.phone(Phone::new(phone.clone()));
            }
            self.execute_request(request.clone(), ContactCommand::Create(create).into())
                .await?;
        }
        let source = ContactCommand::RecordSource {
            contact_id,
            source: message.source.clone(),
            campaign: message.campaign,
            lead: true,
        };
        self.execute_request(request.clone(), source.into()).await?;
        Ok(created)
    }
}
