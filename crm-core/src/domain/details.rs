//! What describes a customer — names, emails, phones, addresses, documents, roles, consent —
//! and the validation every aggregate applies to them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::DomainError;
use crate::ids::DocumentId;
use crate::normalize::{self, Country};
use crate::personal::Personal;

/// A person's name. Together the parts must hold at least one letter or digit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonName {
    /// Given (first) name.
    pub given: String,
    /// Family name(s).
    pub family: String,
}

impl PersonName {
    /// A name from its two parts.
    pub fn new(given: impl Into<String>, family: impl Into<String>) -> Self {
        Self {
            given: given.into(),
            family: family.into(),
        }
    }

    /// "Given Family", trimmed.
    pub fn full(&self) -> String {
        let (given, family) = (self.given.trim(), self.family.trim());
        match (given.is_empty(), family.is_empty()) {
            (_, true) => given.to_owned(),
            (true, false) => family.to_owned(),
            (false, false) => {
                let mut full = String::with_capacity(given.len() + 1 + family.len());
                full.push_str(given);
                full.push(' ');
                full.push_str(family);
                full
            }
        }
    }
}

/// A phone number as typed, with the country that national-format numbers belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phone {
    /// As typed: "+34 600-12-34-56".
    pub number: String,
    /// The country for a number written without its international prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
}

impl Phone {
    /// A phone without a country hint.
    pub fn new(number: impl Into<String>) -> Self {
        Self {
            number: number.into(),
            country: None,
        }
    }

    /// A national-format phone in `country`.
    pub fn in_country(number: impl Into<String>, country: Country) -> Self {
        Self {
            number: number.into(),
            country: Some(country),
        }
    }
}

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Street and number.
    pub line1: String,
    /// Floor, door, building.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// City or town.
    pub city: String,
    /// State, province or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
}

/// A person's personal data, kept apart from the rest of a contact's history so that erasure
/// can later make exactly this unreadable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalData {
    /// Name.
    pub name: PersonName,
    /// Email addresses, preferred first.
    #[serde(default, deserialize_with = "compact")]
    pub emails: Vec<String>,
    /// Phones, preferred first.
    #[serde(default, deserialize_with = "compact")]
    pub phones: Vec<Phone>,
    /// Postal addresses, preferred first.
    #[serde(default, deserialize_with = "compact")]
    pub addresses: Vec<Address>,
    /// Date of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<NaiveDate>,
    /// Tax identification number, as typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
}

impl PersonalData {
    /// Whether its lists hold no spare room: what a view may keep as it is. A list built a
    /// push at a time keeps room for four; a card that kept one address in room for four
    /// would hold 450 bytes for nothing, for every customer.
    fn is_compact(&self) -> bool {
        self.emails.len() == self.emails.capacity()
            && self.phones.len() == self.phones.capacity()
            && self.addresses.len() == self.addresses.capacity()
    }
}

impl Personal<PersonalData> {
    /// What a holder of a person's data (a card, a contact's state) keeps of this event's:
    /// the event's own copy, shared, when it holds no spare room (as a store reads it and a
    /// decider writes it); else a copy without it; empty once the subject is erased.
    pub(crate) fn kept(&self) -> Arc<PersonalData> {
        match self.shared() {
            Some(shared) if shared.is_compact() => Arc::clone(shared),
            Some(roomy) => Arc::new(PersonalData::clone(roomy)),
            None => Arc::default(),
        }
    }
}

/// A list read without spare room: a decoder that does not know a list's length grows it a
/// push at a time, and a view keeps what was read (see [`PersonalData::is_compact`]).
fn compact<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    let mut list = Vec::<T>::deserialize(deserializer)?;
    list.shrink_to_fit();
    Ok(list)
}

/// What kind of document is attached.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// An invoice.
    Invoice,
    /// A quote or offer.
    Quote,
    /// A signed contract.
    Contract,
    /// Anything else, named.
    Other(String),
}

/// A document kept elsewhere (a file store, an ERP), referenced from a customer card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentRef {
    /// Chosen by the caller; attaching the same id twice is a no-op.
    pub document_id: DocumentId,
    /// Invoice, quote, contract, ...
    pub kind: DocumentKind,
    /// What a person sees: "Invoice 2026-0042".
    pub title: String,
    /// Where the document lives.
    pub uri: String,
}

/// The role in which a contact represents a company.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Director or owner.
    Director,
    /// Handles invoices and payments.
    Accountant,
    /// Legal counsel.
    Lawyer,
    /// Places orders.
    Buyer,
    /// Anything else, named.
    Other(String),
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Director => f.write_str("director"),
            Self::Accountant => f.write_str("accountant"),
            Self::Lawyer => f.write_str("lawyer"),
            Self::Buyer => f.write_str("buyer"),
            Self::Other(s) => f.write_str(s),
        }
    }
}

/// A channel on which a contact may receive marketing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentChannel {
    /// Newsletters and promotional email.
    Email,
    /// Text messages.
    Sms,
    /// Phone calls.
    Phone,
    /// Messenger apps.
    Messenger,
    /// Letters.
    Post,
}

impl std::fmt::Display for ConsentChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Phone => "phone",
            Self::Messenger => "messenger",
            Self::Post => "post",
        };
        f.write_str(name)
    }
}

/// Checks every email, phone and the tax id; the first problem found is the error.
pub(crate) fn validate_contact_points(
    emails: &[String],
    phones: &[Phone],
    tax_id: Option<&str>,
) -> Result<(), DomainError> {
    for email in emails {
        if let Some(reason) = normalize::email_problem(email) {
            return Err(DomainError::InvalidEmail {
                email: email.clone(),
                reason,
            });
        }
    }
    for phone in phones {
        if normalize::phone(&phone.number, phone.country).is_none() {
            return Err(DomainError::InvalidPhone {
                phone: phone.number.clone(),
            });
        }
    }
    if let Some(tax_id) = tax_id {
        if normalize::tax_id(tax_id).is_empty() {
            return Err(DomainError::InvalidTaxId {
                tax_id: tax_id.to_owned(),
            });
        }
    }
    Ok(())
}

/// Validates a person's personal data.
pub(crate) fn validate_personal(personal: &PersonalData) -> Result<(), DomainError> {
    // A name the search index cannot hold (no letters or digits) could never be found.
    if normalize::words(&personal.name.full()).is_empty() {
        return Err(DomainError::EmptyName { what: "contact" });
    }
    validate_contact_points(
        &personal.emails,
        &personal.phones,
        personal.tax_id.as_deref(),
    )
}

/// Validates tags: each must be non-blank.
pub(crate) fn validate_tags<'a>(
    tags: impl IntoIterator<Item = &'a String>,
) -> Result<(), DomainError> {
    match tags.into_iter().find(|t| t.trim().is_empty()) {
        Some(tag) => Err(DomainError::InvalidTag { tag: tag.clone() }),
        None => Ok(()),
    }
}

/// Validates custom field keys: each must be non-blank.
pub(crate) fn validate_field_keys<'a>(
    keys: impl IntoIterator<Item = &'a String>,
) -> Result<(), DomainError> {
    match keys.into_iter().find(|k| k.trim().is_empty()) {
        Some(key) => Err(DomainError::InvalidCustomField { key: key.clone() }),
        None => Ok(()),
    }
}

/// Validates a document reference: a title and a location.
pub(crate) fn validate_document(document: &DocumentRef) -> Result<(), DomainError> {
    if document.title.trim().is_empty() || document.uri.trim().is_empty() {
        return Err(DomainError::InvalidDocument {
            document_id: document.document_id,
        });
    }
    Ok(())
}

/// The tags of `add` not in `current`, and of `remove` that are: the effective change.
pub(crate) fn tag_diff(
    current: &BTreeSet<String>,
    add: &BTreeSet<String>,
    remove: &BTreeSet<String>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let added = add.difference(current).cloned().collect();
    let removed = remove.intersection(current).cloned().collect();
    (added, removed)
}

/// The custom fields of `set` that differ from `current`, and of `remove` that exist.
pub(crate) fn field_diff(
    current: &BTreeMap<String, String>,
    set: &BTreeMap<String, String>,
    remove: &BTreeSet<String>,
) -> (BTreeMap<String, String>, BTreeSet<String>) {
    let changed = set
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let removed = remove
        .iter()
        .filter(|k| current.contains_key(*k) && !set.contains_key(*k))
        .cloned()
        .collect();
    (changed, removed)
}

/// What identifies and reaches an organization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyDetails {
    /// The name people use.
    pub name: String,
    /// The registered name, if different.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<String>,
    /// Tax identification number, as typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
    /// Website.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// Email addresses.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Phones.
    #[serde(default)]
    pub phones: Vec<Phone>,
    /// Addresses.
    #[serde(default)]
    pub addresses: Vec<Address>,
}

/// Validates a company's details.
pub(crate) fn validate_company(details: &CompanyDetails) -> Result<(), DomainError> {
    if normalize::words(&details.name).is_empty() {
        return Err(DomainError::EmptyName { what: "company" });
    }
    validate_contact_points(&details.emails, &details.phones, details.tax_id.as_deref())
}

/// Free text as it is recorded: trimmed, and absent when blank.
/// The clear value of a command's personal `field`, refusing a sealed one.
pub(crate) fn clear<'a, T>(
    value: &'a Personal<T>,
    field: &'static str,
) -> Result<&'a T, DomainError> {
    value.get().ok_or(DomainError::SealedInput { field })
}

/// Trimmed personal free text, `None` when there is none (refusing a sealed one).
pub(crate) fn personal_text(
    text: Option<&Personal<String>>,
    field: &'static str,
) -> Result<Option<Personal<String>>, DomainError> {
    match text {
        None => Ok(None),
        Some(text) => Ok(free_text(Some(clear(text, field)?)).map(Personal::new)),
    }
}

pub(crate) fn free_text(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Where a customer or a deal came from: the first touch.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadSource {
    /// The shop's website, typed in directly.
    Web,
    /// Unpaid search results.
    OrganicSearch,
    /// Search advertising.
    PaidSearch,
    /// Social networks.
    Social,
    /// Email campaigns.
    Email,
    /// Recommended by someone.
    Referral,
    /// A phone call.
    Phone,
    /// A marketplace listing.
    Marketplace,
    /// Anything else.
    Other,
    /// A source system's own name for a source none of the others is (Olist's `unknown`,
    /// `display`, `other_publicities`), kept so that reports can tell them apart.
    Named(String),
}

impl LeadSource {
    /// The source that `name` names: one of crm's own by its snake-case name (or a usual
    /// synonym), else `name` itself as a [`LeadSource::Named`] (folded: lowercase, `_`
    /// between words). `None` for an empty name.
    pub fn from_name(name: &str) -> Option<Self> {
        let folded = normalize::words(name).join("_");
        Some(match folded.as_str() {
            "" => return None,
            "web" | "website" | "direct" | "direct_traffic" => Self::Web,
            "organic_search" | "organic" | "seo" => Self::OrganicSearch,
            "paid_search" | "ppc" | "sem" | "google_ads" => Self::PaidSearch,
            "social" | "social_media" => Self::Social,
            "email" | "newsletter" => Self::Email,
            "referral" | "referred" => Self::Referral,
            "phone" | "call" => Self::Phone,
            "marketplace" => Self::Marketplace,
            "other" => Self::Other,
            _ => Self::Named(folded),
        })
    }
}

impl std::fmt::Display for LeadSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Web => "web",
            Self::OrganicSearch => "organic search",
            Self::PaidSearch => "paid search",
            Self::Social => "social",
            Self::Email => "email",
            Self::Referral => "referral",
            Self::Phone => "phone",
            Self::Marketplace => "marketplace",
            Self::Other => "other",
            Self::Named(name) => name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_read_without_spare_room_in_its_lists() {
        let json = r#"{"name":{"given":"Ana","family":"Lima"},"emails":["a@x.example"],
            "phones":[{"number":"600 000 001"}],"addresses":[{"line1":"Calle Mayor 1","city":"Madrid"}]}"#;
        let read: PersonalData = serde_json::from_str(json).unwrap();
        assert_eq!(read.emails, ["a@x.example"]);
        assert_eq!(read.addresses[0].city, "Madrid");
        assert!(read.is_compact(), "{read:?}");
        assert!(PersonalData::default().is_compact());
    }

    #[test]
    fn a_source_systems_own_name_is_kept_unless_it_is_one_of_crms() {
        assert_eq!(
            LeadSource::from_name("Direct traffic"),
            Some(LeadSource::Web)
        );
        assert_eq!(
            LeadSource::from_name("organic_search"),
            Some(LeadSource::OrganicSearch)
        );
        assert_eq!(
            LeadSource::from_name("Other publicities"),
            Some(LeadSource::Named("other_publicities".into()))
        );
        assert_eq!(LeadSource::from_name(" "), None);
        let named = LeadSource::Named("unknown".into());
        assert_eq!(named.to_string(), "unknown");
        let json = serde_json::to_string(&named).unwrap_or_default();
        assert_eq!(json, r#"{"named":"unknown"}"#);
    }
}
