//! The payloads of contact events. Field names are wire format: rename nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::details::{ConsentChannel, DocumentRef, LeadSource, PersonalData, Role};
use crate::ids::{CampaignId, CompanyId, ContactId, CustomerId, DealId, UserId};
use crate::personal::Personal;

/// A person was added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactCreated {
    /// The new contact.
    pub contact_id: ContactId,
    /// Name, emails, phones, addresses, birthday, tax id.
    pub personal: Personal<PersonalData>,
    /// Free-form labels.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub tags: BTreeSet<String>,
    /// Shop-specific fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, String>,
    /// The manager who owns the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserId>,
}

/// The whole personal data after a change (not a diff), so that each event's personal data
/// can be encrypted and shredded as one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPersonalDataChanged {
    /// The contact.
    pub contact_id: ContactId,
    /// The personal data as it now stands.
    pub personal: Personal<PersonalData>,
}

/// Tags added and removed; only effective changes are recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactTagsChanged {
    /// The contact.
    pub contact_id: ContactId,
    /// Tags it did not have before.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub added: BTreeSet<String>,
    /// Tags it had before.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub removed: BTreeSet<String>,
}

/// Custom fields set and removed; only effective changes are recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactCustomFieldsChanged {
    /// The contact.
    pub contact_id: ContactId,
    /// New values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set: BTreeMap<String, String>,
    /// Keys removed.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub removed: BTreeSet<String>,
}

/// The owning manager changed; `None` means unassigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactOwnerAssigned {
    /// The contact.
    pub contact_id: ContactId,
    /// The new owner.
    pub owner: Option<UserId>,
}

/// The contact represents the company in a role (a new link, or a changed role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactLinkedToCompany {
    /// The representative.
    pub contact_id: ContactId,
    /// The company represented.
    pub company_id: CompanyId,
    /// In what role.
    pub role: Role,
}

/// The contact no longer represents the company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactUnlinkedFromCompany {
    /// The former representative.
    pub contact_id: ContactId,
    /// The company.
    pub company_id: CompanyId,
}

/// Marketing consent given on a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketingConsentGranted {
    /// The contact.
    pub contact_id: ContactId,
    /// Where marketing may now be sent.
    pub channel: ConsentChannel,
    /// How consent was obtained ("signup form, double opt-in").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// Marketing consent withdrawn on a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketingConsentWithdrawn {
    /// The contact.
    pub contact_id: ContactId,
    /// Where marketing must no longer be sent.
    pub channel: ConsentChannel,
}

/// A duplicate contact was merged into the surviving one. The duplicate's stream ends here;
/// its card points to the survivor, and searches for it find the survivor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactMerged {
    /// The duplicate.
    pub contact_id: ContactId,
    /// The contact that lives on.
    pub survivor: ContactId,
}

/// A document was attached to a customer by reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentAttached {
    /// The contact or company.
    pub customer: CustomerId,
    /// The document.
    pub document: DocumentRef,
}

/// A person was forgotten: the key of their personal data is destroyed, so every personal
/// value of theirs in the log stays sealed for good. Who erased them and when are the
/// event's metadata and times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactErased {
    /// The person.
    pub contact_id: ContactId,
    /// Why (the request and its date), in clear.
    pub reason: String,
}

/// A lead became a customer being sold to: its company (created or found) and its deal. The
/// contact stays the same record, so its card keeps everything the lead did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadConverted {
    /// The lead.
    pub contact_id: ContactId,
    /// The company they represent, when the lead named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<CompanyId>,
    /// The deal opened for them, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_id: Option<DealId>,
}

/// Where a contact first came from: recorded once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactSourceRecorded {
    /// The contact.
    pub contact_id: ContactId,
    /// The first-touch channel.
    pub source: LeadSource,
    /// The campaign that brought them, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<CampaignId>,
    /// Whether they arrived as a lead (not yet a customer).
    #[serde(default)]
    pub lead: bool,
}
