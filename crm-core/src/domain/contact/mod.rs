//! The contact aggregate: a person the shop deals with, decided one command at a time.

mod command;
pub mod events;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use command::{ContactCommand, CreateContact, UpdateContact};
use events::*;

use super::details::{self, ConsentChannel, DocumentRef, PersonalData, Role};
pub use super::requirement::Requirement;
use super::{Aggregate, DomainError};
use crate::event::Event;
use crate::ids::{CompanyId, ContactId, CustomerId, UserId};

/// Where a contact is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lifecycle {
    /// Not created yet.
    #[default]
    Absent,
    /// Created and editable.
    Active,
    /// Merged into another contact; frozen.
    MergedInto(ContactId),
    /// Forgotten: their personal data is unreadable and nothing changes them any more.
    Erased,
}

/// Everything a contact decision needs to know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// Its id (nil until created).
    pub id: Option<ContactId>,
    /// Absent, active or merged.
    pub lifecycle: Lifecycle,
    /// Personal data: the last event's own copy, shared, so that folding an event and
    /// cloning a cached state copy no names, emails or addresses.
    pub personal: Arc<PersonalData>,
    /// Labels.
    pub tags: BTreeSet<String>,
    /// Shop-specific fields.
    pub custom_fields: BTreeMap<String, String>,
    /// The owning manager.
    pub owner: Option<UserId>,
    /// Companies represented, and in what role.
    pub companies: BTreeMap<CompanyId, Role>,
    /// Attached documents.
    pub documents: Vec<DocumentRef>,
    /// Channels with marketing consent.
    pub consent: BTreeSet<ConsentChannel>,
    /// Where they first came from, once recorded.
    #[serde(default)]
    pub first_touch: Option<ContactSourceRecorded>,
    /// What the lead was converted into, once it was.
    #[serde(default)]
    pub converted: Option<LeadConverted>,
}

impl ContactCommand {
    /// What must hold elsewhere for this command to be accepted.
    pub fn requirements(&self) -> Vec<Requirement> {
        match self {
            Self::LinkToCompany { company_id, .. } => vec![Requirement::CompanyExists(*company_id)],
            Self::RecordSource {
                campaign: Some(campaign),
                ..
            } => vec![Requirement::CampaignExists(*campaign)],
            Self::Merge {
                contact_id,
                survivor,
            } if contact_id != survivor => vec![Requirement::ContactActive(*survivor)],
            Self::ConvertLead {
                company_id,
                deal_id,
                ..
            } => company_id
                .map(Requirement::CompanyExists)
                .into_iter()
                .chain(deal_id.map(Requirement::DealExists))
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Contact {
    /// Whether the contact was created and not merged away.
    pub fn is_active(&self) -> bool {
        self.lifecycle == Lifecycle::Active
    }

    /// Ok if this contact can be changed; the rejection otherwise.
    pub fn require_active(&self, contact_id: ContactId) -> Result<(), DomainError> {
        match self.lifecycle {
            Lifecycle::Active => Ok(()),
            Lifecycle::Absent => Err(DomainError::ContactNotFound { contact_id }),
            Lifecycle::MergedInto(survivor) => Err(DomainError::ContactWasMerged {
                contact_id,
                survivor,
            }),
            Lifecycle::Erased => Err(DomainError::ContactErased { contact_id }),
        }
    }

    fn decide_create(&self, c: &CreateContact) -> Result<Vec<Event>, DomainError> {
        if self.lifecycle != Lifecycle::Absent {
            return Err(DomainError::ContactAlreadyExists {
                contact_id: c.contact_id,
            });
        }
        details::validate_personal(&c.personal)?;
        details::validate_tags(&c.tags)?;
        details::validate_field_keys(c.custom_fields.keys())?;
        Ok(vec![ContactCreated {
            contact_id: c.contact_id,
            personal: c.personal.clone().into(),
            tags: c.tags.clone(),
            custom_fields: c.custom_fields.clone(),
            owner: c.owner,
        }
        .into()])
    }

    fn decide_update(&self, u: &UpdateContact) -> Result<Vec<Event>, DomainError> {
        let contact_id = u.contact_id;
        let personal = u.apply_to(&self.personal);
        if let Some(personal) = &personal {
            details::validate_personal(personal)?;
        }
        details::validate_tags(u.add_tags.iter().chain(&u.remove_tags))?;
        details::validate_field_keys(u.set_fields.keys().chain(&u.remove_fields))?;
        let mut events = Vec::new();
        if let Some(personal) = personal.filter(|p| *p != *self.personal) {
            events.push(
                ContactPersonalDataChanged {
                    contact_id,
                    personal: personal.into(),
                }
                .into(),
            );
        }
        let (added, removed) = details::tag_diff(&self.tags, &u.add_tags, &u.remove_tags);
        if !added.is_empty() || !removed.is_empty() {
            events.push(
                ContactTagsChanged {
                    contact_id,
                    added,
                    removed,
                }
                .into(),
            );
        }
        let (set, removed) =
            details::field_diff(&self.custom_fields, &u.set_fields, &u.remove_fields);
        if !set.is_empty() || !removed.is_empty() {
            events.push(
                ContactCustomFieldsChanged {
                    contact_id,
                    set,
                    removed,
                }
                .into(),
            );
        }
        Ok(events)
    }

    /// A created contact, merged away or not, may be erased; erasing twice changes nothing.
    fn decide_erase(&self, contact_id: ContactId, reason: &str) -> Result<Vec<Event>, DomainError> {
        match self.lifecycle {
            Lifecycle::Absent => Err(DomainError::ContactNotFound { contact_id }),
            Lifecycle::Erased => Ok(Vec::new()),
            Lifecycle::Active | Lifecycle::MergedInto(_) => {
                let reason = details::free_text(Some(reason))
                    .ok_or(DomainError::EmptyReason { contact_id })?;
                Ok(vec![ContactErased { contact_id, reason }.into()])
            }
        }
    }

    fn decide_attach(
        &self,
        contact_id: ContactId,
        document: &DocumentRef,
    ) -> Result<Vec<Event>, DomainError> {
        details::validate_document(document)?;
        match self
            .documents
            .iter()
            .find(|d| d.document_id == document.document_id)
        {
            Some(existing) if existing == document => Ok(Vec::new()),
            Some(_) => Err(DomainError::DocumentConflict {
                document_id: document.document_id,
            }),
            None => Ok(vec![DocumentAttached {
                customer: CustomerId::Contact(contact_id),
                document: document.clone(),
            }
            .into()]),
        }
    }
}

impl Aggregate for Contact {
    type Id = ContactId;
    type Command = ContactCommand;
    const SNAPSHOT_SCHEMA: u32 = 2;

    fn owned_by(&self) -> Option<crate::access::OwnedBy> {
        use crate::access::OwnedBy;
        self.id.map(|_| OwnedBy::User(self.owner))
    }

    fn decide(&self, command: &ContactCommand) -> Result<Vec<Event>, DomainError> {
        let contact_id = command.contact_id();
        if let ContactCommand::Create(c) = command {
            return self.decide_create(c);
        }
        if let ContactCommand::Erase { reason, .. } = command {
            return self.decide_erase(contact_id, reason);
        }
        if let ContactCommand::Merge { survivor, .. } = command {
            if *survivor == contact_id {
                return Err(DomainError::MergeIntoSelf { contact_id });
            }
        }
        self.require_active(contact_id)?;
        let events: Vec<Event> = match command {
            ContactCommand::Create(_) | ContactCommand::Erase { .. } => Vec::new(),
            ContactCommand::Update(u) => return self.decide_update(u),
            ContactCommand::AssignOwner { owner, .. } if *owner != self.owner => {
                vec![ContactOwnerAssigned {
                    contact_id,
                    owner: *owner,
                }
                .into()]
            }
            ContactCommand::AssignOwner { .. } => Vec::new(),
            ContactCommand::LinkToCompany {
                company_id, role, ..
            } => {
                if self.companies.get(company_id) == Some(role) {
                    Vec::new()
                } else {
                    vec![ContactLinkedToCompany {
                        contact_id,
                        company_id: *company_id,
                        role: role.clone(),
                    }
                    .into()]
                }
            }
            ContactCommand::UnlinkFromCompany { company_id, .. } => {
                if !self.companies.contains_key(company_id) {
                    return Err(DomainError::NotLinked {
                        contact_id,
                        company_id: *company_id,
                    });
                }
                vec![ContactUnlinkedFromCompany {
                    contact_id,
                    company_id: *company_id,
                }
                .into()]
            }
            ContactCommand::AttachDocument { document, .. } => {
                return self.decide_attach(contact_id, document)
            }
            ContactCommand::GrantConsent {
                channel, evidence, ..
            } if !self.consent.contains(channel) => vec![MarketingConsentGranted {
                contact_id,
                channel: *channel,
                evidence: evidence.clone(),
            }
            .into()],
            ContactCommand::GrantConsent { .. } => Vec::new(),
            ContactCommand::WithdrawConsent { channel, .. } if self.consent.contains(channel) => {
                vec![MarketingConsentWithdrawn {
                    contact_id,
                    channel: *channel,
                }
                .into()]
            }
            ContactCommand::WithdrawConsent { .. } => Vec::new(),
            ContactCommand::Merge { survivor, .. } => vec![ContactMerged {
                contact_id,
                survivor: *survivor,
            }
            .into()],
            ContactCommand::ConvertLead {
                company_id,
                deal_id,
                ..
            } => {
                let converted = LeadConverted {
                    contact_id,
                    company_id: *company_id,
                    deal_id: *deal_id,
                };
                match &self.converted {
                    None if self.first_touch.as_ref().is_some_and(|t| t.lead) => {
                        vec![converted.into()]
                    }
                    None => return Err(DomainError::NotALead { contact_id }),
                    Some(done) if *done == converted => Vec::new(),
                    Some(_) => return Err(DomainError::LeadAlreadyConverted { contact_id }),
                }
            }
            ContactCommand::RecordSource {
                source,
                campaign,
                lead,
                ..
            } => {
                let recorded = ContactSourceRecorded {
                    contact_id,
                    source: source.clone(),
                    campaign: *campaign,
                    lead: *lead,
                };
                match &self.first_touch {
                    None => vec![recorded.into()],
                    Some(first) if *first == recorded => Vec::new(),
                    Some(_) => return Err(DomainError::FirstTouchAlreadyRecorded { contact_id }),
                }
            }
        };
        Ok(events)
    }

    fn evolve(&mut self, event: &Event) {
        match event {
            Event::ContactCreated(e) => {
                self.id = Some(e.contact_id);
                self.lifecycle = Lifecycle::Active;
                self.personal = e.personal.kept();
                self.tags = e.tags.clone();
                self.custom_fields = e.custom_fields.clone();
                self.owner = e.owner;
            }
            Event::ContactPersonalDataChanged(e) => {
                self.personal = e.personal.kept();
            }
            Event::ContactTagsChanged(e) => {
                self.tags.retain(|t| !e.removed.contains(t));
                self.tags.extend(e.added.iter().cloned());
            }
            Event::ContactCustomFieldsChanged(e) => {
                self.custom_fields.retain(|k, _| !e.removed.contains(k));
                self.custom_fields.extend(e.set.clone());
            }
            Event::ContactOwnerAssigned(e) => self.owner = e.owner,
            Event::ContactLinkedToCompany(e) => {
                self.companies.insert(e.company_id, e.role.clone());
            }
            Event::ContactUnlinkedFromCompany(e) => {
                self.companies.remove(&e.company_id);
            }
            Event::DocumentAttached(e) if matches!(e.customer, CustomerId::Contact(_)) => {
                self.documents.push(e.document.clone());
            }
            Event::MarketingConsentGranted(e) => {
                self.consent.insert(e.channel);
            }
            Event::MarketingConsentWithdrawn(e) => {
                self.consent.remove(&e.channel);
            }
            Event::ContactMerged(e) => self.lifecycle = Lifecycle::MergedInto(e.survivor),
            Event::ContactSourceRecorded(e) => self.first_touch = Some(e.clone()),
            Event::LeadConverted(e) => self.converted = Some(e.clone()),
            Event::ContactErased(_) => {
                self.lifecycle = Lifecycle::Erased;
                self.personal = Arc::default();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
