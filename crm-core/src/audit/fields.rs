//! The fields of a contact's or a company's card, as the events of its own stream leave
//! them, and what each event changed.

use std::collections::BTreeMap;

use super::{Change, Names};
use crate::domain::details::{Address, CompanyDetails, PersonalData, Phone};
use crate::event::Event;
use crate::ids::CompanyId;
use crate::personal::Personal;

/// A card's fields so far. `company` limits a representative's stream to their links with
/// that company (a company's trail shows who came to represent it, not their own edits).
#[derive(Default)]
pub(super) struct CardFields {
    personal: PersonalData,
    details: CompanyDetails,
    tags: Vec<String>,
    custom: BTreeMap<String, String>,
    owner: Option<String>,
    company: Option<CompanyId>,
}

fn joined(items: impl IntoIterator<Item = String>) -> Option<String> {
    let items: Vec<String> = items.into_iter().collect();
    (!items.is_empty()).then(|| items.join(", "))
}

fn phones(phones: &[Phone]) -> Option<String> {
    joined(phones.iter().map(|p| p.number.clone()))
}

fn addresses(addresses: &[Address]) -> Option<String> {
    joined(addresses.iter().map(|a| format!("{}, {}", a.line1, a.city)))
}

fn personal_fields(p: &PersonalData) -> Vec<(&'static str, Option<String>)> {
    let name = format!("{} {}", p.name.given, p.name.family);
    vec![
        (
            "name",
            Some(name.trim().to_owned()).filter(|n| !n.is_empty()),
        ),
        ("emails", joined(p.emails.iter().cloned())),
        ("phones", phones(&p.phones)),
        ("addresses", addresses(&p.addresses)),
        ("birthday", p.birthday.map(|d| d.to_string())),
        ("tax id", p.tax_id.clone()),
    ]
}

fn company_fields(d: &CompanyDetails) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("name", Some(d.name.clone()).filter(|n| !n.is_empty())),
        ("legal name", d.legal_name.clone()),
        ("tax id", d.tax_id.clone()),
        ("website", d.website.clone()),
        ("emails", joined(d.emails.iter().cloned())),
        ("phones", phones(&d.phones)),
        ("addresses", addresses(&d.addresses)),
    ]
}

/// The fields that differ between `before` and `after`.
fn differences(
    before: Vec<(&'static str, Option<String>)>,
    after: Vec<(&'static str, Option<String>)>,
) -> Vec<Change> {
    before
        .into_iter()
        .zip(after)
        .filter(|((_, old), (_, new))| old != new)
        .map(|((field, old), (_, new))| Change::new(field, old, new))
        .collect()
}

/// `tags` after removing `removed` and adding `added`, sorted.
fn retagged<'a>(
    tags: &[String],
    added: impl IntoIterator<Item = &'a String>,
    removed: &std::collections::BTreeSet<String>,
) -> Vec<String> {
    let mut next: Vec<String> = tags
        .iter()
        .filter(|t| !removed.contains(*t))
        .cloned()
        .collect();
    for tag in added {
        if !next.contains(tag) {
            next.push(tag.clone());
        }
    }
    next.sort();
    next
}

/// A contact's personal data as the event holds it: empty once they are erased.
fn readable(personal: &Personal<PersonalData>) -> PersonalData {
    personal.get().cloned().unwrap_or_default()
}

impl CardFields {
    /// Only the links between a representative and `company`.
    pub(super) fn links_with(company: CompanyId) -> Self {
        Self {
            company: Some(company),
            ..Self::default()
        }
    }

    fn personal_changes(&mut self, next: &PersonalData) -> Vec<Change> {
        let changes = differences(personal_fields(&self.personal), personal_fields(next));
        self.personal = next.clone();
        changes
    }

    fn company_changes(&mut self, next: &CompanyDetails) -> Vec<Change> {
        let changes = differences(company_fields(&self.details), company_fields(next));
        self.details = next.clone();
        changes
    }

    fn tags_change(&mut self, tags: Vec<String>) -> Vec<Change> {
        let old = joined(self.tags.iter().cloned());
        self.tags = tags;
        let new = joined(self.tags.iter().cloned());
        if old == new {
            return Vec::new();
        }
        vec![Change::new("tags", old, new)]
    }

    fn owner_change(&mut self, owner: Option<String>) -> Vec<Change> {
        let old = std::mem::replace(&mut self.owner, owner.clone());
        if old == owner {
            return Vec::new();
        }
        vec![Change::new("owner", old, owner)]
    }

    /// What `event` changed on the card.
    pub(super) fn apply(&mut self, event: &Event, names: &Names<'_>) -> Vec<Change> {
        if let Some(company) = self.company {
            return match event {
                Event::ContactLinkedToCompany(e) if e.company_id == company => vec![Change::new(
                    format!("representative {}", names.contact(e.contact_id)),
                    None,
                    Some(e.role.to_string()),
                )],
                Event::ContactUnlinkedFromCompany(e) if e.company_id == company => {
                    vec![Change::new(
                        format!("representative {}", names.contact(e.contact_id)),
                        Some("linked".into()),
                        None,
                    )]
                }
                _ => Vec::new(),
            };
        }
        match event {
            Event::ContactCreated(e) => {
                let mut changes = self.personal_changes(&readable(&e.personal));
                changes.extend(self.tags_change(e.tags.iter().cloned().collect()));
                for (key, value) in &e.custom_fields {
                    self.custom.insert(key.clone(), value.clone());
                    changes.push(Change::new(
                        format!("custom field {key}"),
                        None,
                        Some(value.clone()),
                    ));
                }
                changes.extend(self.owner_change(e.owner.map(|o| names.user(o))));
                changes
            }
            Event::ContactPersonalDataChanged(e) => self.personal_changes(&readable(&e.personal)),
            Event::ContactTagsChanged(e) => {
                let tags = retagged(&self.tags, &e.added, &e.removed);
                self.tags_change(tags)
            }
            Event::ContactCustomFieldsChanged(e) => {
                let mut changes = Vec::new();
                for (key, value) in &e.set {
                    let old = self.custom.insert(key.clone(), value.clone());
                    if old.as_ref() != Some(value) {
                        changes.push(Change::new(
                            format!("custom field {key}"),
                            old,
                            Some(value.clone()),
                        ));
                    }
                }
                for key in &e.removed {
                    if let Some(old) = self.custom.remove(key) {
                        changes.push(Change::new(format!("custom field {key}"), Some(old), None));
                    }
                }
                changes
            }
            Event::ContactOwnerAssigned(e) => self.owner_change(e.owner.map(|o| names.user(o))),
            Event::MarketingConsentGranted(e) => vec![Change::new(
                format!("consent {}", e.channel),
                None,
                Some("granted".into()),
            )],
            Event::MarketingConsentWithdrawn(e) => vec![Change::new(
                format!("consent {}", e.channel),
                Some("granted".into()),
                Some("withdrawn".into()),
            )],
            Event::ContactLinkedToCompany(e) => vec![Change::new(
                format!("company {}", names.company(e.company_id)),
                None,
                Some(e.role.to_string()),
            )],
            Event::ContactUnlinkedFromCompany(e) => vec![Change::new(
                format!("company {}", names.company(e.company_id)),
                Some("linked".into()),
                None,
            )],
            Event::ContactMerged(e) => vec![Change::new(
                "merged into",
                None,
                Some(names.contact(e.survivor)),
            )],
            Event::ContactSourceRecorded(e) => {
                vec![Change::new("source", None, Some(e.source.to_string()))]
            }
            Event::DocumentAttached(e) => vec![Change::new(
                "documents",
                None,
                Some(e.document.title.clone()),
            )],
            Event::CompanyCreated(e) => {
                let mut changes = self.company_changes(&e.details);
                changes.extend(self.tags_change(e.tags.iter().cloned().collect()));
                changes.extend(self.owner_change(e.owner.map(|o| names.user(o))));
                changes
            }
            Event::CompanyDetailsChanged(e) => self.company_changes(&e.details),
            Event::CompanyTagsChanged(e) => {
                let tags = retagged(&self.tags, &e.added, &e.removed);
                self.tags_change(tags)
            }
            Event::CompanyOwnerAssigned(e) => self.owner_change(e.owner.map(|o| names.user(o))),
            _ => Vec::new(),
        }
    }
}
