//! What can be asked of a contact.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::domain::details::{
    Address, ConsentChannel, DocumentRef, LeadSource, PersonName, PersonalData, Phone, Role,
};
use crate::ids::{CampaignId, CompanyId, ContactId, DealId, UserId};

/// A command for one contact.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ContactCommand {
    /// Add a person.
    Create(CreateContact),
    /// Change some of a person's data; fields left `None` stay as they are.
    Update(UpdateContact),
    /// Give the contact to a manager, or unassign it (`None`).
    AssignOwner {
        /// The contact.
        contact_id: ContactId,
        /// The new owner.
        owner: Option<UserId>,
    },
    /// Record that the contact represents a company in a role (or change the role).
    LinkToCompany {
        /// The contact.
        contact_id: ContactId,
        /// The company; it must exist.
        company_id: CompanyId,
        /// In what role.
        role: Role,
    },
    /// Record that the contact no longer represents a company.
    UnlinkFromCompany {
        /// The contact.
        contact_id: ContactId,
        /// The company.
        company_id: CompanyId,
    },
    /// Attach a document by reference.
    AttachDocument {
        /// The contact.
        contact_id: ContactId,
        /// The document.
        document: DocumentRef,
    },
    /// Record marketing consent on a channel.
    GrantConsent {
        /// The contact.
        contact_id: ContactId,
        /// The channel.
        channel: ConsentChannel,
        /// How it was obtained.
        evidence: Option<String>,
    },
    /// Withdraw marketing consent on a channel.
    WithdrawConsent {
        /// The contact.
        contact_id: ContactId,
        /// The channel.
        channel: ConsentChannel,
    },
    /// Merge the duplicate `contact_id` into `survivor`, which must exist and not be merged.
    Merge {
        /// The duplicate, which stops changing.
        contact_id: ContactId,
        /// The contact that lives on.
        survivor: ContactId,
    },
    /// Forget the person: destroy the key of their personal data and record why. Admin only;
    /// for good. Their orders, amounts and dates stay, without their name on them.
    Erase {
        /// The contact.
        contact_id: ContactId,
        /// Why (the request, its date): kept in clear, so write no personal data in it.
        reason: String,
    },
    /// Mark a lead converted into the company it represents and the deal opened for it (see
    /// [`Crm::convert_lead`](crate::Crm::convert_lead), which creates them); once.
    ConvertLead {
        /// The lead.
        contact_id: ContactId,
        /// The company; it must exist.
        company_id: Option<CompanyId>,
        /// The deal; it must exist.
        deal_id: Option<DealId>,
    },
    /// Record where the contact first came from; once.
    RecordSource {
        /// The contact.
        contact_id: ContactId,
        /// The first-touch channel.
        source: LeadSource,
        /// The campaign that brought them: must exist.
        campaign: Option<CampaignId>,
        /// Whether they arrive as a lead.
        lead: bool,
    },
}

impl ContactCommand {
    /// The contact whose stream this command writes to.
    pub fn contact_id(&self) -> ContactId {
        match self {
            Self::Create(c) => c.contact_id,
            Self::Update(c) => c.contact_id,
            Self::AssignOwner { contact_id, .. }
            | Self::LinkToCompany { contact_id, .. }
            | Self::UnlinkFromCompany { contact_id, .. }
            | Self::AttachDocument { contact_id, .. }
            | Self::GrantConsent { contact_id, .. }
            | Self::Erase { contact_id, .. }
            | Self::WithdrawConsent { contact_id, .. }
            | Self::Merge { contact_id, .. }
            | Self::ConvertLead { contact_id, .. }
            | Self::RecordSource { contact_id, .. } => *contact_id,
        }
    }
}

/// Add a person.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateContact {
    /// Chosen by the caller: `ContactId::new()`, or `ContactId::derived` for imports.
    pub contact_id: ContactId,
    /// Name, emails, phones, addresses, birthday, tax id.
    pub personal: PersonalData,
    /// Labels.
    pub tags: BTreeSet<String>,
    /// Shop-specific fields.
    pub custom_fields: BTreeMap<String, String>,
    /// The owning manager.
    pub owner: Option<UserId>,
}

impl CreateContact {
    /// A contact with just a name.
    pub fn new(contact_id: ContactId, given: &str, family: &str) -> Self {
        Self {
            contact_id,
            personal: PersonalData {
                name: PersonName::new(given, family),
                ..PersonalData::default()
            },
            ..Self::default()
        }
    }

    /// Adds an email address.
    pub fn email(mut self, email: &str) -> Self {
        self.personal.emails.push(email.to_owned());
        self
    }

    /// Adds a phone.
    pub fn phone(mut self, phone: Phone) -> Self {
        self.personal.phones.push(phone);
        self
    }

    /// Adds an address.
    pub fn address(mut self, address: Address) -> Self {
        self.personal.addresses.push(address);
        self
    }

    /// Sets the tax id.
    pub fn tax_id(mut self, tax_id: &str) -> Self {
        self.personal.tax_id = Some(tax_id.to_owned());
        self
    }

    /// Sets the birthday.
    pub fn birthday(mut self, birthday: NaiveDate) -> Self {
        self.personal.birthday = Some(birthday);
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, tag: &str) -> Self {
        self.tags.insert(tag.to_owned());
        self
    }

    /// Sets the owner.
    pub fn owner(mut self, owner: UserId) -> Self {
        self.owner = Some(owner);
        self
    }
}

/// Change some of a person's data. `None` leaves a field as it is; lists replace the old
/// list whole.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateContact {
    /// The contact.
    pub contact_id: ContactId,
    /// New name.
    pub name: Option<PersonName>,
    /// New email list.
    pub emails: Option<Vec<String>>,
    /// New phone list.
    pub phones: Option<Vec<Phone>>,
    /// New address list.
    pub addresses: Option<Vec<Address>>,
    /// New birthday (`Some(None)` clears it).
    pub birthday: Option<Option<NaiveDate>>,
    /// New tax id (`Some(None)` clears it).
    pub tax_id: Option<Option<String>>,
    /// Tags to add.
    pub add_tags: BTreeSet<String>,
    /// Tags to remove.
    pub remove_tags: BTreeSet<String>,
    /// Custom fields to set.
    pub set_fields: BTreeMap<String, String>,
    /// Custom fields to remove.
    pub remove_fields: BTreeSet<String>,
}

impl UpdateContact {
    /// An update that changes nothing yet.
    pub fn new(contact_id: ContactId) -> Self {
        Self {
            contact_id,
            ..Self::default()
        }
    }

    /// The personal data after applying this update to `current`; `None` when the update
    /// names none of it, so that a change of tags or fields neither copies nor re-checks it.
    pub(crate) fn apply_to(&self, current: &PersonalData) -> Option<PersonalData> {
        let touches = self.name.is_some()
            || self.emails.is_some()
            || self.phones.is_some()
            || self.addresses.is_some()
            || self.birthday.is_some()
            || self.tax_id.is_some();
        if !touches {
            return None;
        }
        let mut next = current.clone();
        if let Some(name) = &self.name {
            next.name = name.clone();
        }
        if let Some(emails) = &self.emails {
            next.emails = emails.clone();
        }
        if let Some(phones) = &self.phones {
            next.phones = phones.clone();
        }
        if let Some(addresses) = &self.addresses {
            next.addresses = addresses.clone();
        }
        if let Some(birthday) = self.birthday {
            next.birthday = birthday;
        }
        if let Some(tax_id) = &self.tax_id {
            next.tax_id = tax_id.clone();
        }
        Some(next)
    }
}
