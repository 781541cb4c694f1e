//! The audit trail of a contact's card: who changed which field, when, from what to what,
//! and through what (a person, an import, the API, a policy) — read from the contact's own
//! stream, so it can never disagree with the events.
//!
//! **Edits in a row are one entry.** Edits of one field by one actor within ten minutes of the
//! first of them (a manager correcting a typo twice) are shown as one entry: from the value
//! before the first edit, to the value after the last, with how many edits it stands for. An
//! edit by someone else, or of another field, in between ends the run; so does the ten-minute
//! window, measured from the run's first edit in store time, so a run never hides a change
//! made much later.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::details::{Address, PersonalData, Phone};
use crate::event::{Actor, Event, RecordedEvent};
use crate::ids::{ContactId, StreamId};
use crate::store::{EventStore, StoreError};

/// How long a run of one actor's edits of one field may last and still be one entry.
pub const MERGE_WINDOW: TimeDelta = TimeDelta::minutes(10);

/// One change of one field of a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The position of the (last) event behind it.
    pub position: u64,
    /// When the store recorded it (the run's last edit).
    pub recorded_at: DateTime<Utc>,
    /// When the run's first edit was recorded (equal to `recorded_at` for one edit).
    pub first_at: DateTime<Utc>,
    /// Who or what made it.
    pub actor: Actor,
    /// Which field: "name", "emails", "tags", "custom field plan", "owner", …
    pub field: String,
    /// The value before; `None` when the field was empty.
    pub from: Option<String>,
    /// The value after; `None` when the field was emptied.
    pub to: Option<String>,
    /// How many edits this entry stands for (see the module docs).
    pub edits: u32,
}

impl fmt::Display for AuditEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".to_owned());
        write!(
            f,
            "{}  {:<18} {} → {}  by {}",
            self.recorded_at.format("%Y-%m-%d %H:%M"),
            self.field,
            shown(&self.from),
            shown(&self.to),
            self.actor
        )?;
        if self.edits > 1 {
            write!(f, " ({} edits)", self.edits)?;
        }
        Ok(())
    }
}

/// The audit trail of `contact_id`, newest first.
pub async fn contact_trail<S: EventStore + ?Sized>(
    store: &S,
    contact_id: ContactId,
) -> Result<Vec<AuditEntry>, StoreError> {
    let stream = StreamId::of(crate::ids::Category::Contact, *contact_id.as_uuid());
    let mut events = Vec::new();
    let mut from = 1;
    loop {
        let page = store.read_stream(&stream, from, 1000).await?;
        let Some(last) = page.last() else { break };
        from = last.version + 1;
        let full = page.len() == 1000;
        events.extend(page);
        if !full {
            break;
        }
    }
    Ok(trail(&events))
}

/// The trail of the events of one contact's stream, in version order; newest first.
pub fn trail(events: &[RecordedEvent]) -> Vec<AuditEntry> {
    let mut state = Fields::default();
    let mut entries: Vec<AuditEntry> = Vec::new();
    for event in events {
        for (field, from, to) in state.apply(&event.event) {
            let entry = AuditEntry {
                position: event.position,
                recorded_at: event.recorded_at,
                first_at: event.recorded_at,
                actor: event.metadata.actor.clone(),
                field,
                from,
                to,
                edits: 1,
            };
            push_merged(&mut entries, entry);
        }
    }
    entries.reverse();
    entries
}

/// Appends `entry`, or folds it into the last one when it continues that one's run.
fn push_merged(entries: &mut Vec<AuditEntry>, entry: AuditEntry) {
    if let Some(last) = entries.last_mut() {
        let same_run = last.field == entry.field && last.actor == entry.actor;
        if same_run && entry.recorded_at - last.first_at <= MERGE_WINDOW {
            last.to = entry.to;
            last.position = entry.position;
            last.recorded_at = entry.recorded_at;
            last.edits += 1;
            return;
        }
    }
    entries.push(entry);
}

/// The card's fields as the events so far left them, rendered as the trail shows them.
#[derive(Default)]
struct Fields {
    personal: PersonalData,
    tags: Vec<String>,
    custom: BTreeMap<String, String>,
    owner: Option<String>,
}

type Change = (String, Option<String>, Option<String>);

fn joined(items: impl IntoIterator<Item = String>) -> Option<String> {
    let items: Vec<String> = items.into_iter().collect();
    (!items.is_empty()).then(|| items.join(", "))
}

fn phone(p: &Phone) -> String {
    p.number.clone()
}

fn address(a: &Address) -> String {
    format!("{}, {}", a.line1, a.city)
}

fn personal_fields(p: &PersonalData) -> [(&'static str, Option<String>); 6] {
    let name = format!("{} {}", p.name.given, p.name.family);
    [
        (
            "name",
            Some(name.trim().to_owned()).filter(|n| !n.is_empty()),
        ),
        ("emails", joined(p.emails.iter().cloned())),
        ("phones", joined(p.phones.iter().map(phone))),
        ("addresses", joined(p.addresses.iter().map(address))),
        ("birthday", p.birthday.map(|d| d.to_string())),
        ("tax id", p.tax_id.clone()),
    ]
}

impl Fields {
    fn personal_changes(&mut self, next: &PersonalData) -> Vec<Change> {
        let before = personal_fields(&self.personal);
        let after = personal_fields(next);
        self.personal = next.clone();
        before
            .into_iter()
            .zip(after)
            .filter(|((_, old), (_, new))| old != new)
            .map(|((field, old), (_, new))| (field.to_owned(), old, new))
            .collect()
    }

    fn tags_change(&mut self, tags: Vec<String>) -> Vec<Change> {
        let old = joined(self.tags.iter().cloned());
        self.tags = tags;
        let new = joined(self.tags.iter().cloned());
        if old == new {
            return Vec::new();
        }
        vec![("tags".to_owned(), old, new)]
    }

    fn apply(&mut self, event: &Event) -> Vec<Change> {
        match event {
            Event::ContactCreated(e) => {
                let mut changes = self.personal_changes(&e.personal);
                changes.extend(self.tags_change(e.tags.iter().cloned().collect()));
                for (key, value) in &e.custom_fields {
                    self.custom.insert(key.clone(), value.clone());
                    changes.push((format!("custom field {key}"), None, Some(value.clone())));
                }
                if let Some(owner) = e.owner {
                    self.owner = Some(owner.to_string());
                    changes.push(("owner".into(), None, self.owner.clone()));
                }
                changes
            }
            Event::ContactPersonalDataChanged(e) => self.personal_changes(&e.personal),
            Event::ContactTagsChanged(e) => {
                let mut tags: Vec<String> = self
                    .tags
                    .iter()
                    .filter(|t| !e.removed.contains(*t))
                    .cloned()
                    .collect();
                tags.extend(
                    e.added
                        .iter()
                        .filter(|t| !tags.contains(t))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
                tags.sort();
                self.tags_change(tags)
            }
            Event::ContactCustomFieldsChanged(e) => {
                let mut changes = Vec::new();
                for (key, value) in &e.set {
                    let old = self.custom.insert(key.clone(), value.clone());
                    if old.as_ref() != Some(value) {
                        changes.push((format!("custom field {key}"), old, Some(value.clone())));
                    }
                }
                for key in &e.removed {
                    if let Some(old) = self.custom.remove(key) {
                        changes.push((format!("custom field {key}"), Some(old), None));
                    }
                }
                changes
            }
            Event::ContactOwnerAssigned(e) => {
                let new = e.owner.map(|o| o.to_string());
                let old = std::mem::replace(&mut self.owner, new.clone());
                if old == new {
                    return Vec::new();
                }
                vec![("owner".into(), old, new)]
            }
            Event::MarketingConsentGranted(e) => {
                vec![(
                    format!("consent {}", e.channel),
                    None,
                    Some("granted".into()),
                )]
            }
            Event::MarketingConsentWithdrawn(e) => vec![(
                format!("consent {}", e.channel),
                Some("granted".into()),
                Some("withdrawn".into()),
            )],
            Event::ContactLinkedToCompany(e) => vec![(
                format!("company {}", e.company_id),
                None,
                Some(e.role.to_string()),
            )],
            Event::ContactUnlinkedFromCompany(e) => {
                vec![(
                    format!("company {}", e.company_id),
                    Some("linked".into()),
                    None,
                )]
            }
            Event::ContactMerged(e) => {
                vec![("merged into".into(), None, Some(e.survivor.to_string()))]
            }
            Event::ContactSourceRecorded(e) => {
                vec![("source".into(), None, Some(e.source.to_string()))]
            }
            _ => Vec::new(),
        }
    }
}
