//! [`Crm::revert_import`]: taking back everything one import did, and nothing else, in events.
//!
//! The import's events are found by the import id every one of them carries. A record the
//! import created is withdrawn ([`RecordWithdrawn`] on its stream); a contact it changed gets
//! its fields back as they were just before the import's first event on it, through the same
//! commands a person would use. Records are taken back newest first, so an order goes before
//! the customer the import created for it.
//!
//! A revert refuses, writing nothing, when something else has built on what the import did: a
//! later change to one of its records by anyone else, or a record of someone else's naming one
//! it created (an order for an imported customer, a review of an imported order). Revert the
//! later import first, or undo the later change. Running a revert again after a crash goes on
//! where it stopped; running it after it finished changes nothing.

use std::collections::{BTreeMap, HashMap};

use crate::crm::{Crm, Request};
use crate::domain::contact::{Contact, ContactCommand, UpdateContact};
use crate::domain::withdrawal::{RecordWithdrawn, WITHDRAWABLE};
use crate::domain::Aggregate;
use crate::error::Error;
use crate::event::{Actor, Event, ImportRow, Metadata, NewEvent, RecordedEvent};
use crate::ids::{Category, CommandId, ContactId, CustomerId, ImportId, StreamId};
use crate::store::{EventStore, ExpectedVersion, StoreError};

/// Something that built on what an import did, so that reverting it would change more than
/// the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevertConflict {
    /// The stream of the later event.
    pub stream: StreamId,
    /// Its version there.
    pub version: u64,
    /// Who wrote it.
    pub actor: String,
    /// What it did to the import's records.
    pub reason: String,
}

impl std::fmt::Display for RevertConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} version {} (by {}): {}",
            self.stream, self.version, self.actor, self.reason
        )
    }
}

/// What reverting an import takes back (or, for a dry run, would take back).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevertSummary {
    /// The import's events in the log.
    pub events: u64,
    /// Records withdrawn, per kind (`contact`, `order`, …).
    pub withdrawn: BTreeMap<Category, u64>,
    /// Contacts that existed before the import, given back their earlier fields.
    pub restored: u64,
    /// Records an earlier, interrupted run of this revert had already withdrawn.
    pub already_withdrawn: u64,
    /// What stands in the way: when not empty, nothing was written.
    pub conflicts: Vec<RevertConflict>,
}

/// The row number a revert's own events carry with the import's id: row 0, the one before
/// the header, is no row of the file. Marked so, they are history to the policies like the
/// import's rows, and a revert run again knows what an earlier run already did.
pub const REVERT_ROW: u64 = 0;

/// One stream the import wrote to.
#[derive(Debug)]
struct Touched {
    /// The import's first event there.
    first_version: u64,
    first_position: u64,
    /// Whether the import's first event there created the record.
    created: bool,
    /// The stream's version at the end of the log.
    version: u64,
    /// Whether a run of this revert withdrew it already.
    withdrawn: bool,
}

impl<S: EventStore> Crm<S> {
    /// Takes back everything import `import_id` did, as `actor`, recorded as events; with
    /// `dry_run`, only says what it would take back. Refuses with
    /// [`Error::RevertRefused`], writing nothing, when anything else built on the import (see
    /// the [module docs](crate::csv_import)); with [`Error::UnknownImport`] when no event in
    /// the log carries the id.
    pub async fn revert_import(
        &self,
        import_id: ImportId,
        actor: Actor,
        dry_run: bool,
    ) -> Result<RevertSummary, Error> {
        let (touched, mut summary) = self.survey(import_id).await?;
        if touched.is_empty() {
            return Err(Error::UnknownImport { import_id });
        }
        if !summary.conflicts.is_empty() {
            return Err(Error::RevertRefused {
                import_id,
                conflicts: summary.conflicts,
            });
        }
        let mut newest_first: Vec<(&StreamId, &Touched)> = touched.iter().collect();
        newest_first.sort_by_key(|(_, t)| std::cmp::Reverse(t.first_position));
        let correlation_id = self.correlation_id();
        for (stream, touch) in newest_first {
            if touch.withdrawn {
                summary.already_withdrawn += 1;
                continue;
            }
            if touch.created {
                *summary.withdrawn.entry(stream.category()).or_default() += 1;
            } else {
                summary.restored += 1;
            }
            if dry_run {
                continue;
            }
            let metadata = Metadata {
                correlation_id: Some(correlation_id),
                import: Some(ImportRow {
                    import_id,
                    row: REVERT_ROW,
                }),
                ..Metadata::by(actor.clone())
            };
            if touch.created {
                self.withdraw_record(stream, touch, import_id, metadata)
                    .await?;
            } else {
                let contact_id = ContactId::from_uuid(stream.uuid());
                self.restore(contact_id, touch, &metadata).await?;
            }
        }
        if !dry_run {
            self.catch_up().await?;
        }
        Ok(summary)
    }

    /// Every stream the import wrote to, and what stands in the way of taking it back.
    async fn survey(
        &self,
        import_id: ImportId,
    ) -> Result<(HashMap<StreamId, Touched>, RevertSummary), Error> {
        let mut touched: HashMap<StreamId, Touched> = HashMap::new();
        let mut last_withdrawal: HashMap<StreamId, u64> = HashMap::new();
        let mut naming: HashMap<StreamId, Vec<RevertConflict>> = HashMap::new();
        let mut summary = RevertSummary::default();
        let batch = self.options().read_batch.max(1);
        let mut from = 1;
        loop {
            let events = self.store().read_all(from, batch).await?;
            for recorded in &events {
                match recorded.metadata.import {
                    // This revert's own events, from an earlier run that stopped.
                    Some(ImportRow {
                        import_id: id,
                        row: REVERT_ROW,
                    }) if id == import_id => {
                        if let Some(t) = touched.get_mut(&recorded.stream) {
                            t.withdrawn |= matches!(recorded.event, Event::RecordWithdrawn(_));
                            t.version = recorded.version;
                        }
                    }
                    Some(ImportRow { import_id: id, .. }) if id == import_id => {
                        summary.events += 1;
                        let after_withdrawal =
                            last_withdrawal.get(&recorded.stream) == Some(&(recorded.version - 1));
                        touched
                            .entry(recorded.stream.clone())
                            .or_insert(Touched {
                                first_version: recorded.version,
                                first_position: recorded.position,
                                created: recorded.version == 1 || after_withdrawal,
                                version: recorded.version,
                                withdrawn: false,
                            })
                            .version = recorded.version;
                    }
                    _ => {
                        if let Event::RecordWithdrawn(_) = recorded.event {
                            // Withdrawn with another import: what it named no longer counts.
                            last_withdrawal.insert(recorded.stream.clone(), recorded.version);
                            naming.remove(&recorded.stream);
                        }
                        if touched.contains_key(&recorded.stream) {
                            summary.conflicts.push(conflict(
                                recorded,
                                format!(
                                    "{} after the import, on a record it wrote",
                                    recorded.event.type_name()
                                ),
                            ));
                        } else if let Some(named) = names(&recorded.event)
                            .into_iter()
                            .find(|n| touched.get(n).is_some_and(|t| t.created))
                        {
                            let reason = format!(
                                "{} names {named}, which the import created",
                                recorded.event.type_name()
                            );
                            naming
                                .entry(recorded.stream.clone())
                                .or_default()
                                .push(conflict(recorded, reason));
                        }
                    }
                }
            }
            match events.last() {
                Some(last) if events.len() == batch => from = last.position + 1,
                _ => break,
            }
        }
        summary.conflicts.extend(naming.into_values().flatten());
        for (stream, touch) in &touched {
            if !touch.created && stream.category() != Category::Contact {
                summary.conflicts.push(RevertConflict {
                    stream: stream.clone(),
                    version: touch.first_version,
                    actor: "the import".to_owned(),
                    reason: format!(
                        "the import added to a {} it did not create; only a contact's fields can \
                         be given back",
                        stream.category()
                    ),
                });
            }
        }
        summary
            .conflicts
            .sort_by(|a, b| (&a.stream, a.version).cmp(&(&b.stream, b.version)));
        Ok((touched, summary))
    }

    async fn withdraw_record(
        &self,
        stream: &StreamId,
        touch: &Touched,
        import_id: ImportId,
        metadata: Metadata,
    ) -> Result<(), Error> {
        let command = CommandId::derived("revert", &format!("{import_id}/{stream}"));
        let event = NewEvent {
            id: command.event_id(0),
            occurred_at: self.now(),
            metadata,
            event: RecordWithdrawn {
                stream: stream.clone(),
                import_id,
            }
            .into(),
        };
        match self
            .store()
            .append(stream, ExpectedVersion::Exact(touch.version), vec![event])
            .await
        {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict { .. }) => Err(Error::RevertRefused {
                import_id,
                conflicts: vec![RevertConflict {
                    stream: stream.clone(),
                    version: touch.version + 1,
                    actor: "another writer".to_owned(),
                    reason: "written while the revert ran; run it again to see what".to_owned(),
                }],
            }),
            Err(other) => Err(other.into()),
        }
    }

    /// Gives `contact_id` back the fields it had before the import's first event on it.
    async fn restore(
        &self,
        contact_id: ContactId,
        touch: &Touched,
        metadata: &Metadata,
    ) -> Result<(), Error> {
        let stream = StreamId::from(contact_id);
        let mut before = Contact::default();
        let mut from = 1;
        while from < touch.first_version {
            let batch = self
                .store()
                .read_stream(&stream, from, self.options().read_batch.max(1))
                .await?;
            let Some(last) = batch.last().map(|r| r.version) else {
                break;
            };
            for recorded in batch.iter().filter(|r| r.version < touch.first_version) {
                before.fold(&recorded.event);
            }
            from = last + 1;
        }
        let (now, _) = self.load::<Contact>(contact_id).await?;
        for command in restoring(contact_id, &before, &now) {
            let request = Request {
                correlation_id: metadata.correlation_id,
                import: metadata.import,
                ..Request::by(metadata.actor.clone())
            };
            self.execute_request(request, command.into()).await?;
        }
        Ok(())
    }
}

/// The commands that take `now` back to `before`.
fn restoring(contact_id: ContactId, before: &Contact, now: &Contact) -> Vec<ContactCommand> {
    let (b, n) = (&before.personal, &now.personal);
    let update = UpdateContact {
        name: (b.name != n.name).then(|| b.name.clone()),
        emails: (b.emails != n.emails).then(|| b.emails.clone()),
        phones: (b.phones != n.phones).then(|| b.phones.clone()),
        addresses: (b.addresses != n.addresses).then(|| b.addresses.clone()),
        birthday: (b.birthday != n.birthday).then_some(b.birthday),
        tax_id: (b.tax_id != n.tax_id).then(|| b.tax_id.clone()),
        add_tags: before.tags.difference(&now.tags).cloned().collect(),
        remove_tags: now.tags.difference(&before.tags).cloned().collect(),
        set_fields: before
            .custom_fields
            .iter()
            .filter(|(k, v)| now.custom_fields.get(*k) != Some(v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        remove_fields: now
            .custom_fields
            .keys()
            .filter(|k| !before.custom_fields.contains_key(*k))
            .cloned()
            .collect(),
        ..UpdateContact::new(contact_id)
    };
    let mut commands = Vec::new();
    if update != UpdateContact::new(contact_id) {
        commands.push(ContactCommand::Update(update));
    }
    commands.extend(now.consent.difference(&before.consent).map(|channel| {
        ContactCommand::WithdrawConsent {
            contact_id,
            channel: *channel,
        }
    }));
    commands.extend(before.consent.difference(&now.consent).map(|channel| {
        ContactCommand::GrantConsent {
            contact_id,
            channel: *channel,
            evidence: Some("given back by the revert of an import".to_owned()),
        }
    }));
    for (company_id, role) in &now.companies {
        if before.companies.get(company_id) != Some(role) {
            commands.push(match before.companies.get(company_id) {
                Some(earlier) => ContactCommand::LinkToCompany {
                    contact_id,
                    company_id: *company_id,
                    role: earlier.clone(),
                },
                None => ContactCommand::UnlinkFromCompany {
                    contact_id,
                    company_id: *company_id,
                },
            });
        }
    }
    if before.owner != now.owner {
        commands.push(ContactCommand::AssignOwner {
            contact_id,
            owner: before.owner,
        });
    }
    commands
}

fn conflict(recorded: &RecordedEvent, reason: String) -> RevertConflict {
    RevertConflict {
        stream: recorded.stream.clone(),
        version: recorded.version,
        actor: recorded.metadata.actor.to_string(),
        reason,
    }
}

/// The records other than its own that an event names.
fn names(event: &Event) -> Vec<StreamId> {
    let customer = |c: &CustomerId| match c {
        CustomerId::Contact(id) => StreamId::from(*id),
        CustomerId::Company(id) => StreamId::from(*id),
    };
    let mut named = Vec::new();
    match event {
        Event::OrderPlaced(e) => named.push(customer(&e.order.customer)),
        Event::DealOpened(e) => named.push(customer(&e.customer)),
        Event::InteractionLogged(e) => named.push(customer(&e.customer)),
        Event::FeedbackGiven(e) => {
            named.push(customer(&e.customer));
            if let crate::domain::feedback::Score::Review { order_id, .. } = e.score {
                named.push(order_id.into());
            }
        }
        Event::TaskScheduled(e) => {
            named.extend(e.customer.iter().map(customer));
            named.extend(e.deal.map(StreamId::from));
        }
        Event::ContactLinkedToCompany(e) => named.push(e.company_id.into()),
        Event::ContactMerged(e) => named.push(e.survivor.into()),
        Event::ContactSourceRecorded(e) => named.extend(e.campaign.map(StreamId::from)),
        Event::MessageScheduled(e) => named.extend(e.to.customer().as_ref().map(customer)),
        Event::MessageQueued(e) => named.extend(e.to.customer().as_ref().map(customer)),
        _ => {}
    }
    named.retain(|s| WITHDRAWABLE.contains(&s.category()));
    named
}
