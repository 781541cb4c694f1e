//! The payloads of company events. Field names are wire format: rename nothing.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::domain::details::CompanyDetails;
use crate::ids::{CompanyId, UserId};

/// An organization was added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyCreated {
    /// The new company.
    pub company_id: CompanyId,
    /// Name, legal data, contact points.
    pub details: CompanyDetails,
    /// Labels.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub tags: BTreeSet<String>,
    /// The owning manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserId>,
}

/// The company's details as they now stand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyDetailsChanged {
    /// The company.
    pub company_id: CompanyId,
    /// The details after the change.
    pub details: CompanyDetails,
}

/// Tags added and removed; only effective changes are recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyTagsChanged {
    /// The company.
    pub company_id: CompanyId,
    /// Tags it did not have before.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub added: BTreeSet<String>,
    /// Tags it had before.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub removed: BTreeSet<String>,
}

/// The owning manager changed; `None` means unassigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyOwnerAssigned {
    /// The company.
    pub company_id: CompanyId,
    /// The new owner.
    pub owner: Option<UserId>,
}
