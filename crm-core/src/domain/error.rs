//! Why a command was rejected, in words a person understands, with the ids involved.

use crate::ids::{CompanyId, ContactId, DocumentId};

/// A rejected command. Nothing was written. Each variant says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// The contact does not exist. Check the id, or create the contact first.
    #[error("contact {contact_id} does not exist")]
    ContactNotFound {
        /// The missing contact.
        contact_id: ContactId,
    },
    /// A contact with this id already exists. Use an update instead.
    #[error("contact {contact_id} already exists")]
    ContactAlreadyExists {
        /// The existing contact.
        contact_id: ContactId,
    },
    /// The contact was merged into another and can no longer change. Edit the survivor.
    #[error("contact {contact_id} was merged into {survivor}; make changes on {survivor} instead")]
    ContactWasMerged {
        /// The merged contact.
        contact_id: ContactId,
        /// The contact it was merged into.
        survivor: ContactId,
    },
    /// A contact cannot be merged into itself.
    #[error("contact {contact_id} cannot be merged into itself")]
    MergeIntoSelf {
        /// The contact.
        contact_id: ContactId,
    },
    /// The company does not exist. Check the id, or create the company first.
    #[error("company {company_id} does not exist")]
    CompanyNotFound {
        /// The missing company.
        company_id: CompanyId,
    },
    /// A company with this id already exists. Use an update instead.
    #[error("company {company_id} already exists")]
    CompanyAlreadyExists {
        /// The existing company.
        company_id: CompanyId,
    },
    /// A name is required and the one given has no letters or digits.
    #[error("a {what} needs a name, and the one given has no letters or digits")]
    EmptyName {
        /// What needed the name: "contact" or "company".
        what: &'static str,
    },
    /// An email address is malformed.
    #[error("email {email:?} is not valid: {reason}")]
    InvalidEmail {
        /// The address as given.
        email: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A phone number has no usable digits.
    #[error("phone {phone:?} is not valid: it must have 1 to 15 digits")]
    InvalidPhone {
        /// The number as given.
        phone: String,
    },
    /// A tax id has no letters or digits.
    #[error("tax id {tax_id:?} is not valid: it has no letters or digits")]
    InvalidTaxId {
        /// The tax id as given.
        tax_id: String,
    },
    /// A tag is blank.
    #[error("tag {tag:?} is not valid: tags cannot be blank")]
    InvalidTag {
        /// The tag as given.
        tag: String,
    },
    /// A custom field key is blank.
    #[error("custom field {key:?} is not valid: field names cannot be blank")]
    InvalidCustomField {
        /// The key as given.
        key: String,
    },
    /// A document reference lacks a title or location.
    #[error("document {document_id} needs a title and a location")]
    InvalidDocument {
        /// The document.
        document_id: DocumentId,
    },
    /// A document with this id is already attached with different details.
    #[error("document {document_id} is already attached with different details")]
    DocumentConflict {
        /// The document.
        document_id: DocumentId,
    },
    /// The contact does not represent the company.
    #[error("contact {contact_id} is not linked to company {company_id}")]
    NotLinked {
        /// The contact.
        contact_id: ContactId,
        /// The company.
        company_id: CompanyId,
    },
}
