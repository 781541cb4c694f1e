//! Conditions a command needs of other aggregates, checked by `Crm` before it decides.
//!
//! A decider sees only its own stream; what it needs of another (the company a contact joins,
//! the customer a deal is for) is stated as a [`Requirement`], which `Crm::execute` checks by
//! loading that aggregate. The check and the append are not one transaction: a company
//! created and a contact linked at the same instant is fine; a customer merged away in the
//! same instant a deal is opened for them may slip through, and the deal then shows on the
//! survivor's card through the merge.

use crate::ids::{CampaignId, CompanyId, ContactId, CustomerId, DealId, OrderId, TeamId};

/// A condition on another aggregate that a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Requirement {
    /// The company must exist.
    CompanyExists(CompanyId),
    /// The contact must exist and not be merged.
    ContactActive(ContactId),
    /// The customer must exist (and, for a person, not be merged).
    CustomerExists(CustomerId),
    /// The deal must exist.
    DealExists(DealId),
    /// The order must exist.
    OrderExists(OrderId),
    /// The campaign must exist.
    CampaignExists(CampaignId),
    /// The team must exist.
    TeamExists(TeamId),
}
