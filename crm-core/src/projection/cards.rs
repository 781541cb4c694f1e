//! The customer card: everything a manager sees about one person or organization.

use super::merges::Merges;
use super::tag_list::TagList;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use foldhash::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{ActivitySummary, Projection, TaskLine};
use crate::domain::details::{CompanyDetails, ConsentChannel, DocumentRef, PersonalData, Role};
use crate::domain::withdrawal::Withdrawn;
use crate::event::{Actor, Event, RecordedEvent};
use crate::ids::{CompanyId, ContactId, CustomerId, DealId, UserId};
use crate::money::Money;

/// When and by whom something was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// Business time.
    #[serde(with = "super::instant")]
    pub at: DateTime<Utc>,
    /// Who.
    pub by: Actor,
}

impl Stamp {
    fn of(event: &RecordedEvent) -> Self {
        Self {
            at: event.occurred_at,
            by: event.metadata.actor.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ContactRecord {
    // The event's own copy, shared where it can be (`Personal::kept`): replay clones no
    // personal data read from a store.
    pub(crate) personal: Arc<PersonalData>,
    pub(crate) tags: TagList,
    pub(crate) custom_fields: BTreeMap<String, String>,
    pub(crate) owner: Option<UserId>,
    pub(crate) companies: BTreeMap<CompanyId, Role>,
    pub(crate) documents: Vec<DocumentRef>,
    pub(crate) consent: BTreeSet<ConsentChannel>,
    pub(crate) merged_into: Option<ContactId>,
    pub(crate) created: Stamp,
    pub(crate) updated: Stamp,
    // Rare, and 200 bytes together: boxed, so that a card pays 16 bytes for them.
    pub(crate) erased: Option<Box<Erasure>>,
    pub(crate) converted: Option<Box<Conversion>>,
}

/// What a message to a person needs of their card (see [`CustomerCards::reach`]).
#[derive(Debug, Clone, Copy)]
pub struct Reach<'a> {
    /// Name, emails, phones.
    pub personal: &'a PersonalData,
    /// The channels they consented to marketing on.
    pub consent: &'a BTreeSet<ConsentChannel>,
    /// Whether they were erased.
    pub erased: bool,
}

/// When and by whom a lead was converted, and into what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    /// When and by whom.
    pub stamp: Stamp,
    /// The company they represent, and its name.
    pub company: Option<(CompanyId, String)>,
    /// The deal opened for them, and its title (filled by
    /// [`Views::contact_card`](crate::projection::Views::contact_card)).
    pub deal: Option<(DealId, String)>,
}

/// When, by whom and why a person was erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    /// When (business time).
    #[serde(with = "super::instant")]
    pub at: DateTime<Utc>,
    /// Who erased them.
    pub by: Actor,
    /// Why.
    pub reason: String,
}

/// What cards, lists and reports call an erased person.
pub const ERASED_NAME: &str = "erased customer";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CompanyRecord {
    pub(crate) details: CompanyDetails,
    pub(crate) tags: TagList,
    pub(crate) owner: Option<UserId>,
    pub(crate) documents: Vec<DocumentRef>,
    pub(crate) created: Stamp,
    pub(crate) updated: Stamp,
}

/// A company a contact represents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyLink {
    /// The company.
    pub company_id: CompanyId,
    /// Its name now.
    pub name: String,
    /// The contact's role there.
    pub role: Role,
}

/// A person who represents a company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Representative {
    /// The contact.
    pub contact_id: ContactId,
    /// Their name now.
    pub name: String,
    /// Their role.
    pub role: Role,
}

/// An open deal as a customer's card shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDeal {
    /// The deal.
    pub deal_id: DealId,
    /// What managers call it.
    pub title: String,
    /// Its pipeline's name.
    pub pipeline: String,
    /// The stage it is in.
    pub stage: String,
    /// Its value.
    pub amount: Money,
    /// When it is expected to close.
    pub expected_close: NaiveDate,
}

/// A person's card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactCard {
    /// The contact.
    pub contact_id: ContactId,
    /// Personal data.
    pub personal: PersonalData,
    /// Labels.
    pub tags: BTreeSet<String>,
    /// Shop-specific fields.
    pub custom_fields: BTreeMap<String, String>,
    /// The owning manager.
    pub owner: Option<UserId>,
    /// Companies represented, by name.
    pub companies: Vec<CompanyLink>,
    /// Attached documents.
    pub documents: Vec<DocumentRef>,
    /// Channels with marketing consent.
    pub consent: BTreeSet<ConsentChannel>,
    /// The contact this one was merged into: look there instead.
    pub merged_into: Option<ContactId>,
    /// Contacts merged into this one.
    pub merged_from: Vec<ContactId>,
    /// Set once the person is erased: their personal data is gone from the card (and
    /// unreadable in the log); orders, amounts and dates stay.
    pub erased: Option<Erasure>,
    /// Set once the lead was converted into a company and a deal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converted: Option<Conversion>,
    /// Created when and by whom.
    pub created: Stamp,
    /// Last changed when and by whom.
    pub updated: Stamp,
    /// Open deals, soonest expected close first. Filled by
    /// [`Views::contact_card`](super::Views::contact_card) and
    /// [`Views::company_card`](super::Views::company_card), which join the deals projection;
    /// empty from `CustomerCards` alone.
    pub open_deals: Vec<OpenDeal>,
    /// Open tasks, soonest due first; filled like `open_deals`.
    pub open_tasks: Vec<TaskLine>,
    /// Orders, lifetime value, conversations, feedback and source; filled like `open_deals`
    /// (the conversations: the latest `CARD_TIMELINE`).
    pub activity: ActivitySummary,
    /// The names of the users the card mentions (owner, stamps, assignees), from the
    /// directory; filled like `open_deals`. A user missing here shows as `user <uuid>`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub users: BTreeMap<UserId, String>,
}

/// An organization's card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyCard {
    /// The company.
    pub company_id: CompanyId,
    /// Name, legal data, contact points.
    pub details: CompanyDetails,
    /// Labels.
    pub tags: BTreeSet<String>,
    /// The owning manager.
    pub owner: Option<UserId>,
    /// The people who represent it, by name.
    pub representatives: Vec<Representative>,
    /// Attached documents.
    pub documents: Vec<DocumentRef>,
    /// Created when and by whom.
    pub created: Stamp,
    /// Last changed when and by whom.
    pub updated: Stamp,
    /// Open deals, soonest expected close first. Filled by
    /// [`Views::contact_card`](super::Views::contact_card) and
    /// [`Views::company_card`](super::Views::company_card), which join the deals projection;
    /// empty from `CustomerCards` alone.
    pub open_deals: Vec<OpenDeal>,
    /// Open tasks, soonest due first; filled like `open_deals`.
    pub open_tasks: Vec<TaskLine>,
    /// Orders, lifetime value, conversations, feedback and source; filled like `open_deals`
    /// (the conversations: the latest `CARD_TIMELINE`).
    pub activity: ActivitySummary,
    /// The names of the users the card mentions (owner, stamps, assignees), from the
    /// directory; filled like `open_deals`. A user missing here shows as `user <uuid>`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub users: BTreeMap<UserId, String>,
}

/// Every customer's card. Names of linked companies and representatives are joined when a
/// card is read, so a renamed company shows its new name on every representative's card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerCards {
    // Boxed: a record is hundreds of bytes, and a hash table keeps up to twice as many slots
    // as entries; a slot of a pointer wastes 8 bytes where one of a record wasted 600.
    contacts: HashMap<ContactId, Box<ContactRecord>>,
    companies: HashMap<CompanyId, Box<CompanyRecord>>,
    representatives: HashMap<CompanyId, BTreeSet<ContactId>>,
    merges: Merges,
}

impl CustomerCards {
    /// How many contacts and companies have cards.
    pub fn len(&self) -> usize {
        self.contacts.len() + self.companies.len()
    }

    /// Whether there are no cards.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What a message to a person needs of their card, borrowed rather than copied as
    /// [`CustomerCards::contact`] would: their personal data, consents, and whether they were
    /// erased.
    pub fn reach(&self, contact_id: ContactId) -> Option<Reach<'_>> {
        let r = self.contacts.get(&contact_id)?;
        Some(Reach {
            personal: &r.personal,
            consent: &r.consent,
            erased: r.erased.is_some(),
        })
    }

    /// The card of a person.
    pub fn contact(&self, contact_id: ContactId) -> Option<ContactCard> {
        let r = self.contacts.get(&contact_id)?;
        let mut companies: Vec<CompanyLink> = r
            .companies
            .iter()
            .map(|(company_id, role)| CompanyLink {
                company_id: *company_id,
                name: self.company_name(*company_id),
                role: role.clone(),
            })
            .collect();
        companies.sort_by(|a, b| (&a.name, a.company_id).cmp(&(&b.name, b.company_id)));
        Some(ContactCard {
            contact_id,
            personal: PersonalData::clone(&r.personal),
            tags: r.tags.to_set(),
            custom_fields: r.custom_fields.clone(),
            owner: r.owner,
            companies,
            documents: r.documents.clone(),
            consent: r.consent.clone(),
            merged_into: r.merged_into,
            merged_from: self.merges.absorbed(contact_id),
            erased: r.erased.as_deref().cloned(),
            converted: r.converted.as_deref().cloned().map(|mut c| {
                // The company's name as it now stands.
                if let Some((id, name)) = &mut c.company {
                    *name = self.company_name(*id);
                }
                c
            }),
            created: r.created.clone(),
            updated: r.updated.clone(),
            open_deals: Vec::new(),
            open_tasks: Vec::new(),
            activity: ActivitySummary::default(),
            users: BTreeMap::new(),
        })
    }

    /// The card of an organization, with its current representatives.
    pub fn company(&self, company_id: CompanyId) -> Option<CompanyCard> {
        let r = self.companies.get(&company_id)?;
        let mut representatives: Vec<Representative> = self
            .representatives
            .get(&company_id)
            .into_iter()
            .flatten()
            .filter_map(|contact_id| {
                let contact = self.contacts.get(contact_id)?;
                let role = contact.companies.get(&company_id)?;
                contact.merged_into.is_none().then(|| Representative {
                    contact_id: *contact_id,
                    name: contact.display_name(),
                    role: role.clone(),
                })
            })
            .collect();
        representatives.sort_by(|a, b| (&a.name, a.contact_id).cmp(&(&b.name, b.contact_id)));
        Some(CompanyCard {
            company_id,
            details: r.details.clone(),
            tags: r.tags.to_set(),
            owner: r.owner,
            representatives,
            documents: r.documents.clone(),
            created: r.created.clone(),
            updated: r.updated.clone(),
            open_deals: Vec::new(),
            open_tasks: Vec::new(),
            activity: ActivitySummary::default(),
            users: BTreeMap::new(),
        })
    }

    /// Every contact not merged into another, with its record, in no particular order.
    pub(crate) fn active_contacts(&self) -> impl Iterator<Item = (ContactId, &ContactRecord)> {
        self.contacts
            .iter()
            .filter(|(_, r)| r.merged_into.is_none())
            .map(|(id, r)| (*id, &**r))
    }

    /// Every company with its record, in no particular order.
    pub(crate) fn companies(&self) -> impl Iterator<Item = (CompanyId, &CompanyRecord)> {
        self.companies.iter().map(|(id, r)| (*id, &**r))
    }

    /// The customer whose card `customer`'s activity counts on: the end of its chain of
    /// merges, or itself (see [`Merges`]).
    pub fn survivor(&self, customer: CustomerId) -> CustomerId {
        self.merges.resolve(customer)
    }

    /// The contacts that live on as this one, directly or through a chain of merges.
    pub fn merged_from(&self, contact_id: ContactId) -> Vec<ContactId> {
        self.merges.absorbed(contact_id)
    }

    /// Keeps only the customers `keep` says yes to (a read handle's copy).
    pub(crate) fn retain(&mut self, keep: &dyn Fn(CustomerId) -> bool) {
        self.contacts.retain(|id, _| keep(CustomerId::Contact(*id)));
        self.companies
            .retain(|id, _| keep(CustomerId::Company(*id)));
        self.representatives
            .retain(|id, _| keep(CustomerId::Company(*id)));
        for people in self.representatives.values_mut() {
            people.retain(|id| keep(CustomerId::Contact(*id)));
        }
    }

    /// The manager who owns a customer.
    pub fn owner(&self, customer: CustomerId) -> Option<UserId> {
        match customer {
            CustomerId::Contact(id) => self.contacts.get(&id)?.owner,
            CustomerId::Company(id) => self.companies.get(&id)?.owner,
        }
    }

    /// The display name of any customer.
    pub fn name(&self, customer: CustomerId) -> Option<String> {
        match customer {
            CustomerId::Contact(id) => self.contacts.get(&id).map(|r| r.display_name()),
            CustomerId::Company(id) => self.companies.get(&id).map(|c| c.details.name.clone()),
        }
    }

    fn company_name(&self, company_id: CompanyId) -> String {
        self.companies.get(&company_id).map_or_else(
            || format!("company {company_id}"),
            |c| c.details.name.clone(),
        )
    }

    fn touch_contact(
        &mut self,
        id: ContactId,
        event: &RecordedEvent,
    ) -> Option<&mut ContactRecord> {
        let record = self.contacts.get_mut(&id)?;
        record.updated = Stamp::of(event);
        Some(record)
    }

    fn touch_company(
        &mut self,
        id: CompanyId,
        event: &RecordedEvent,
    ) -> Option<&mut CompanyRecord> {
        let record = self.companies.get_mut(&id)?;
        record.updated = Stamp::of(event);
        Some(record)
    }
}

impl CustomerCards {
    fn unrepresent(&mut self, company: CompanyId, contact: ContactId) {
        if let Some(reps) = self.representatives.get_mut(&company) {
            reps.remove(&contact);
            if reps.is_empty() {
                self.representatives.remove(&company);
            }
        }
    }
}

impl ContactRecord {
    /// The name lists show: "erased customer" once they are erased.
    pub(crate) fn display_name(&self) -> String {
        match self.erased {
            Some(_) => ERASED_NAME.to_owned(),
            None => self.personal.name.full(),
        }
    }
}

impl Projection for CustomerCards {
    fn apply(&mut self, recorded: &RecordedEvent) {
        match &recorded.event {
            Event::ContactCreated(e) => {
                self.contacts.insert(
                    e.contact_id,
                    Box::new(ContactRecord {
                        personal: e.personal.kept(),
                        tags: TagList::of(&e.tags),
                        custom_fields: e.custom_fields.clone(),
                        owner: e.owner,
                        companies: BTreeMap::new(),
                        documents: Vec::new(),
                        consent: BTreeSet::new(),
                        merged_into: None,
                        created: Stamp::of(recorded),
                        updated: Stamp::of(recorded),
                        erased: None,
                        converted: None,
                    }),
                );
            }
            Event::ContactPersonalDataChanged(e) => {
                if let Some(r) = self.touch_contact(e.contact_id, recorded) {
                    r.personal = e.personal.kept();
                }
            }
            Event::ContactTagsChanged(e) => {
                if let Some(r) = self.touch_contact(e.contact_id, recorded) {
                    r.tags.change(&e.added, &e.removed);
                }
            }
            Event::ContactCustomFieldsChanged(e) => {
                if let Some(r) = self.touch_contact(e.contact_id, recorded) {
                    r.custom_fields.retain(|k, _| !e.removed.contains(k));
                    r.custom_fields.extend(e.set.clone());
                }
            }
            Event::ContactOwnerAssigned(e) => {
                if let Some(r) = self.touch_contact(e.contact_id, recorded) {
                    r.owner = e.owner;
                }
            }
            Event::ContactLinkedToCompany(e) => {
                if let Some(r) = self.touch_contact(e.contact_id, recorded) {
                    r.companies.insert(e.company_id, e.role.clone());
                    self.representatives
                        .entry(e.company_id)
                        .or_default()
                        .insert(e.contact_id);
                }
            }
            Event::ContactUnlinkedFromCompany(e) => {
                if let Some(r) = self.touch_contact(e.contact_id, recorded) {
                    r.companies.remove(&e.company_id);
                    self.unrepresent(e.company_id, e.contact_id);
                }
            }
            Event::MarketingConsentGranted(e) => {
                if let Some(r) = self.touch_contact(e.contact_id, recorded) {
                    r.consent.insert(e.channel);
                }
            }
            Event::MarketingConsentWithdrawn(e) => {
                if let Some(r) = self.touch_contact(e.contact_id, recorded) {
                    r.consent.remove(&e.channel);
                }
            }
            Event::ContactErased(e) => {
                if let Some(r) = self.touch_contact(e.contact_id, recorded) {
                    r.personal = Arc::default();
                    r.erased = Some(Box::new(Erasure {
                        at: recorded.occurred_at,
                        by: recorded.metadata.actor.clone(),
                        reason: e.reason.clone(),
                    }));
                }
            }
            Event::LeadConverted(e) => {
                if let Some(r) = self.touch_contact(e.contact_id, recorded) {
                    r.converted = Some(Box::new(Conversion {
                        stamp: Stamp::of(recorded),
                        company: e.company_id.map(|id| (id, String::new())),
                        deal: e.deal_id.map(|id| (id, String::new())),
                    }));
                }
            }
            Event::ContactMerged(e) => {
                if let Some(r) = self.touch_contact(e.contact_id, recorded) {
                    r.merged_into = Some(e.survivor);
                    self.merges.record(e.contact_id, e.survivor);
                }
            }
            Event::DocumentAttached(e) => match e.customer {
                CustomerId::Contact(id) => {
                    if let Some(r) = self.touch_contact(id, recorded) {
                        r.documents.push(e.document.clone());
                    }
                }
                CustomerId::Company(id) => {
                    if let Some(r) = self.touch_company(id, recorded) {
                        r.documents.push(e.document.clone());
                    }
                }
            },
            Event::CompanyCreated(e) => {
                self.companies.insert(
                    e.company_id,
                    Box::new(CompanyRecord {
                        details: e.details.clone(),
                        tags: TagList::of(&e.tags),
                        owner: e.owner,
                        documents: Vec::new(),
                        created: Stamp::of(recorded),
                        updated: Stamp::of(recorded),
                    }),
                );
            }
            Event::CompanyDetailsChanged(e) => {
                if let Some(r) = self.touch_company(e.company_id, recorded) {
                    r.details = e.details.clone();
                }
            }
            Event::CompanyTagsChanged(e) => {
                if let Some(r) = self.touch_company(e.company_id, recorded) {
                    r.tags.change(&e.added, &e.removed);
                }
            }
            Event::CompanyOwnerAssigned(e) => {
                if let Some(r) = self.touch_company(e.company_id, recorded) {
                    r.owner = e.owner;
                }
            }
            Event::RecordWithdrawn(e) => match e.record() {
                Some(Withdrawn::Contact(id)) => {
                    if let Some(r) = self.contacts.remove(&id) {
                        for company in r.companies.keys() {
                            self.unrepresent(*company, id);
                        }
                    }
                }
                Some(Withdrawn::Company(id)) => {
                    self.companies.remove(&id);
                    self.representatives.remove(&id);
                }
                _ => {}
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contact::events::{
        ContactCreated, ContactErased, ContactPersonalDataChanged,
    };
    use crate::domain::details::PersonName;

    fn recorded(position: u64, event: impl Into<Event>) -> RecordedEvent {
        let stream = ContactId::derived("cards", "ana").into();
        crate::testing::recorded(stream, position, DateTime::UNIX_EPOCH, event)
    }

    fn ana(email: &str) -> PersonalData {
        PersonalData {
            name: PersonName::new("Ana", "Lima"),
            emails: vec![email.to_owned()],
            ..PersonalData::default()
        }
    }

    #[test]
    fn a_card_shares_the_personal_data_of_the_event_it_folded_instead_of_copying_it() {
        let contact_id = ContactId::derived("cards", "ana");
        let mut cards = CustomerCards::default();
        let created = recorded(
            1,
            ContactCreated {
                contact_id,
                personal: ana("ana@example.com").into(),
                tags: BTreeSet::new(),
                custom_fields: BTreeMap::new(),
                owner: None,
            },
        );
        cards.apply(&created);
        let Event::ContactCreated(e) = &created.event else {
            unreachable!()
        };
        let shared = |cards: &CustomerCards| Arc::clone(&cards.contacts[&contact_id].personal);
        assert!(Arc::ptr_eq(&shared(&cards), e.personal.shared().unwrap()));

        let changed = recorded(
            2,
            ContactPersonalDataChanged {
                contact_id,
                personal: ana("ana@lima.example").into(),
            },
        );
        cards.apply(&changed);
        let Event::ContactPersonalDataChanged(e) = &changed.event else {
            unreachable!()
        };
        assert!(Arc::ptr_eq(&shared(&cards), e.personal.shared().unwrap()));
        assert_eq!(
            cards.contact(contact_id).unwrap().personal.emails,
            ["ana@lima.example"]
        );

        // An event built by hand, its list with room to spare: the card keeps a tight copy.
        let mut roomy = ana("ana@roomy.example");
        roomy.emails.reserve(8);
        let roomy = recorded(
            3,
            ContactPersonalDataChanged {
                contact_id,
                personal: roomy.into(),
            },
        );
        cards.apply(&roomy);
        let kept = shared(&cards);
        assert_eq!(kept.emails, ["ana@roomy.example"]);
        assert_eq!(kept.emails.capacity(), 1);

        // Erasure empties the card; the event's data is not touched through it.
        cards.apply(&recorded(
            4,
            ContactErased {
                contact_id,
                reason: "request of 2026-12-04".into(),
            },
        ));
        assert_eq!(*shared(&cards), PersonalData::default());
        assert_eq!(e.personal.get().unwrap().emails, ["ana@lima.example"]);
    }
}
