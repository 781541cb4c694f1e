//! The company aggregate: an organization that buys from the shop.
//!
//! Representatives are recorded on the contact's side (`ContactLinkedToCompany`), so that
//! linking a person never contends with edits to the company.

pub mod events;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use events::*;

use super::contact::events::DocumentAttached;
use super::details::{self, CompanyDetails, DocumentRef};
use super::{Aggregate, DomainError};
use crate::event::Event;
use crate::ids::{CompanyId, CustomerId, UserId};

/// A command for one company.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CompanyCommand {
    /// Add an organization.
    Create {
        /// Chosen by the caller.
        company_id: CompanyId,
        /// Name, legal data, contact points.
        details: CompanyDetails,
        /// Labels.
        tags: BTreeSet<String>,
        /// The owning manager.
        owner: Option<UserId>,
    },
    /// Replace the company's details.
    UpdateDetails {
        /// The company.
        company_id: CompanyId,
        /// The new details, whole.
        details: CompanyDetails,
    },
    /// Add and remove tags.
    ChangeTags {
        /// The company.
        company_id: CompanyId,
        /// Tags to add.
        add: BTreeSet<String>,
        /// Tags to remove.
        remove: BTreeSet<String>,
    },
    /// Give the company to a manager, or unassign it.
    AssignOwner {
        /// The company.
        company_id: CompanyId,
        /// The new owner.
        owner: Option<UserId>,
    },
    /// Attach a document by reference.
    AttachDocument {
        /// The company.
        company_id: CompanyId,
        /// The document.
        document: DocumentRef,
    },
}

impl CompanyCommand {
    /// The company whose stream this command writes to.
    pub fn company_id(&self) -> CompanyId {
        match self {
            Self::Create { company_id, .. }
            | Self::UpdateDetails { company_id, .. }
            | Self::ChangeTags { company_id, .. }
            | Self::AssignOwner { company_id, .. }
            | Self::AttachDocument { company_id, .. } => *company_id,
        }
    }
}

/// Everything a company decision needs to know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Company {
    /// Whether it was created.
    pub exists: bool,
    /// Name, legal data, contact points.
    pub details: CompanyDetails,
    /// Labels.
    pub tags: BTreeSet<String>,
    /// The owning manager.
    pub owner: Option<UserId>,
    /// Attached documents.
    pub documents: Vec<DocumentRef>,
}

impl Company {
    /// Ok if the company exists; the rejection otherwise.
    pub fn require_exists(&self, company_id: CompanyId) -> Result<(), DomainError> {
        if self.exists {
            Ok(())
        } else {
            Err(DomainError::CompanyNotFound { company_id })
        }
    }
}

impl Aggregate for Company {
    type Id = CompanyId;
    type Command = CompanyCommand;
    const SNAPSHOT_SCHEMA: u32 = 1;

    fn owned_by(&self) -> Option<crate::access::OwnedBy> {
        use crate::access::OwnedBy;
        self.exists.then_some(OwnedBy::User(self.owner))
    }

    fn decide(&self, command: &CompanyCommand) -> Result<Vec<Event>, DomainError> {
        let company_id = command.company_id();
        if let CompanyCommand::Create {
            details,
            tags,
            owner,
            ..
        } = command
        {
            if self.exists {
                return Err(DomainError::CompanyAlreadyExists { company_id });
            }
            details::validate_company(details)?;
            details::validate_tags(tags)?;
            return Ok(vec![CompanyCreated {
                company_id,
                details: details.clone(),
                tags: tags.clone(),
                owner: *owner,
            }
            .into()]);
        }
        self.require_exists(company_id)?;
        let events: Vec<Event> = match command {
            CompanyCommand::Create { .. } => Vec::new(),
            CompanyCommand::UpdateDetails { details, .. } => {
                details::validate_company(details)?;
                if *details == self.details {
                    Vec::new()
                } else {
                    vec![CompanyDetailsChanged {
                        company_id,
                        details: details.clone(),
                    }
                    .into()]
                }
            }
            CompanyCommand::ChangeTags { add, remove, .. } => {
                details::validate_tags(add.iter().chain(remove))?;
                let (added, removed) = details::tag_diff(&self.tags, add, remove);
                if added.is_empty() && removed.is_empty() {
                    Vec::new()
                } else {
                    vec![CompanyTagsChanged {
                        company_id,
                        added,
                        removed,
                    }
                    .into()]
                }
            }
            CompanyCommand::AssignOwner { owner, .. } if *owner != self.owner => {
                vec![CompanyOwnerAssigned {
                    company_id,
                    owner: *owner,
                }
                .into()]
            }
            CompanyCommand::AssignOwner { .. } => Vec::new(),
            CompanyCommand::AttachDocument { document, .. } => {
                details::validate_document(document)?;
                match self
                    .documents
                    .iter()
                    .find(|d| d.document_id == document.document_id)
                {
                    Some(existing) if existing == document => Vec::new(),
                    Some(_) => {
                        return Err(DomainError::DocumentConflict {
                            document_id: document.document_id,
                        })
                    }
                    None => vec![DocumentAttached {
                        customer: CustomerId::Company(company_id),
                        document: document.clone(),
                    }
                    .into()],
                }
            }
        };
        Ok(events)
    }

    fn evolve(&mut self, event: &Event) {
        match event {
            Event::CompanyCreated(e) => {
                self.exists = true;
                self.details = e.details.clone();
                self.tags = e.tags.clone();
                self.owner = e.owner;
            }
            Event::CompanyDetailsChanged(e) => self.details = e.details.clone(),
            Event::CompanyTagsChanged(e) => {
                self.tags.retain(|t| !e.removed.contains(t));
                self.tags.extend(e.added.iter().cloned());
            }
            Event::CompanyOwnerAssigned(e) => self.owner = e.owner,
            Event::DocumentAttached(e) if matches!(e.customer, CustomerId::Company(_)) => {
                self.documents.push(e.document.clone());
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
