//! A contacts file's rows in a real run: matched against the customers there (their own key,
//! else another customer's email, phone or tax id), created or brought up to date as the
//! duplicates policy says, and committed many rows at a time.
//!
//! A row that touches what the pending batch holds (its own contact, a key a row of the batch
//! had, or a customer the batch changes) waits for the batch to be written, so that every row
//! is matched against the views as the rows before it left them — the same outcome, row by
//! row, as committing each row alone.

use std::collections::HashSet;
use std::ops::Range;

use super::contacts::{self, ContactRow};
use super::field_map::FieldMap;
use super::run::{keys_of, Duplicates, ImportOptions, ImportSummary, RowError};
use crate::crm::{Batch, Crm, Executed, Request};
use crate::domain::contact::{Contact, ContactCommand};
use crate::domain::Aggregate;
use crate::error::Error;
use crate::event::{Actor, ImportRow};
use crate::ids::{ContactId, CustomerId};
use crate::projection::Views;
use crate::store::EventStore;

/// Rows decided and not yet written: several hundred contacts in one store round trip.
const BATCH: usize = 512;

/// What a row is to the store as it stands.
#[derive(Clone, Copy)]
pub(super) enum Match {
    /// Its own contact does not exist, and no other customer has its keys.
    New,
    /// Its own contact exists (imported before).
    Own,
    /// Another contact has its email, phone or tax id.
    Other(ContactId),
}

/// The customer other than `own` that has one of `row`'s emails, phones or tax id.
pub(super) fn other_match(views: &Views, row: &ContactRow, own: ContactId) -> Option<ContactId> {
    let p = &row.create.personal;
    let hits = p
        .emails
        .iter()
        .flat_map(|e| views.search.by_email(e))
        .chain(
            p.phones
                .iter()
                .flat_map(|ph| views.search.by_phone(&ph.number)),
        )
        .chain(p.tax_id.iter().flat_map(|t| views.search.by_tax_id(t)));
    hits.filter_map(|h| match h.customer {
        CustomerId::Contact(c) if c != own => Some(c),
        _ => None,
    })
    .next()
}

/// The rows decided into a batch, with what each will count once written and which of the
/// batch's appends are its own; and what they touch.
#[derive(Default)]
pub(super) struct Batched {
    batch: Batch,
    rows: Vec<(u64, ContactRow, ImportSummary, Range<usize>)>,
    ids: HashSet<ContactId>,
    keys: HashSet<String>,
}

impl<S: EventStore> Crm<S> {
    /// Carries out a real run's row `row`, into `batched`: written when the batch is full, when
    /// a later row touches it, and at the end ([`Crm::flush_contacts`]). A row the rules refuse
    /// is reported once everything before it is written.
    pub(super) async fn contact_row_batched(
        &self,
        row: u64,
        contact: ContactRow,
        map: &FieldMap,
        options: &ImportOptions,
        batched: &mut Batched,
        summary: &mut ImportSummary,
    ) -> Result<Result<(), RowError>, Error> {
        let own = contact.create.contact_id;
        let keys = keys_of(&contact);
        let touches = |b: &Batched, found: Match| {
            b.ids.contains(&own)
                || keys.iter().any(|k| b.keys.contains(k))
                || matches!(found, Match::Other(id) if b.ids.contains(&id))
        };
        let mut found = self.match_row(&contact);
        if touches(batched, found) {
            self.flush_contacts(batched, map, options, summary).await?;
            found = self.match_row(&contact);
        }
        let mut counted = ImportSummary::default();
        let start = batched.batch.len();
        let outcome = self
            .contact_row(
                row,
                &contact,
                found,
                map,
                options,
                &mut counted,
                Some(&mut batched.batch),
            )
            .await?;
        match outcome {
            Ok(()) => {
                batched.ids.insert(own);
                if let Match::Other(id) = found {
                    batched.ids.insert(id);
                }
                batched.keys.extend(keys);
                let end = batched.batch.len();
                batched.rows.push((row, contact, counted, start..end));
                if batched.batch.len() >= BATCH {
                    self.flush_contacts(batched, map, options, summary).await?;
                }
                Ok(Ok(()))
            }
            Err(e) => {
                summary.absorb(&counted);
                self.flush_contacts(batched, map, options, summary).await?;
                Ok(Err(e))
            }
        }
    }

    /// Writes the batch and counts its rows; the rows another writer cut off are carried out
    /// again one by one.
    pub(super) async fn flush_contacts(
        &self,
        batched: &mut Batched,
        map: &FieldMap,
        options: &ImportOptions,
        summary: &mut ImportSummary,
    ) -> Result<(), Error> {
        let Batched { batch, rows, .. } = std::mem::take(batched);
        let written = self.commit(batch).await?;
        for (row, contact, counted, appends) in rows {
            if appends.end <= written {
                summary.absorb(&counted);
                continue;
            }
            let found = self.match_row(&contact);
            if let Err(e) = self
                .contact_row(row, &contact, found, map, options, summary, None)
                .await?
            {
                summary.refuse(e, row, options);
            }
        }
        Ok(())
    }

    /// What `contact` is to the customers the views hold.
    fn match_row(&self, contact: &ContactRow) -> Match {
        let own = contact.create.contact_id;
        self.query_unfiltered(|v| {
            if v.cards.reach(own).is_some() {
                Match::Own
            } else {
                match other_match(v, contact, own) {
                    Some(other) => Match::Other(other),
                    None => Match::New,
                }
            }
        })
    }

    /// One row, `found` as it is: created, brought up to date, or skipped as the duplicates
    /// policy says, counted into `counted`. The rules' refusal is the row's error.
    #[allow(clippy::too_many_arguments)]
    async fn contact_row(
        &self,
        row: u64,
        contact: &ContactRow,
        found: Match,
        map: &FieldMap,
        options: &ImportOptions,
        counted: &mut ImportSummary,
        batch: Option<&mut Batch>,
    ) -> Result<Result<(), RowError>, Error> {
        let own = contact.create.contact_id;
        let at = ImportRow {
            import_id: options.import_id,
            row,
        };
        let done =
            match (found, options.duplicates) {
                (Match::Other(_), Duplicates::Skip) => {
                    counted.duplicates_skipped += 1;
                    Ok(())
                }
                (Match::Other(other), Duplicates::Update) => self
                    .update_from(other, contact, map, at, batch)
                    .await
                    .map(|changed| match changed {
                        true => counted.duplicates_updated += 1,
                        false => counted.unchanged += 1,
                    }),
                (Match::Own, _) => self.update_from(own, contact, map, at, batch).await.map(
                    |changed| match changed {
                        true => counted.updated += 1,
                        false => counted.unchanged += 1,
                    },
                ),
                (Match::New, _) | (Match::Other(_), Duplicates::Create) => {
                    let create = ContactCommand::Create(contact.create.clone());
                    // Refused before the company it names is created for it.
                    let refused = match contact.company {
                        Some(_) => Contact::default().decide(&create).err().map(Error::from),
                        None => None,
                    };
                    let written = match refused {
                        Some(e) => Err(e),
                        None => {
                            let mut steps = vec![create];
                            steps.extend(self.follow_ups(own, contact, map, at, true).await?);
                            self.contact_steps(own, steps, contact.created, map, at, batch)
                                .await
                        }
                    };
                    written.map(|_| match found {
                        Match::Other(_) => counted.duplicates_created += 1,
                        _ => counted.created += 1,
                    })
                }
            };
        match done {
            Ok(()) => Ok(Ok(())),
            // The deciders' (or the rules') own refusal of the row, where it is.
            Err(e @ (Error::Domain(_) | Error::Denied(_))) => {
                Ok(Err(RowError::whole(row, e.to_string())))
            }
            Err(e) => Err(e),
        }
    }

    fn request(
        &self,
        map: &FieldMap,
        at: ImportRow,
        created: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Request {
        let request = Request::by(Actor::Import {
            source: map.namespace(),
        })
        .from_row(at);
        match created {
            Some(t) => request.at(t),
            None => request,
        }
    }

    /// What follows a row's contact: its consents; for a contact the row created, its source
    /// (a contact already in the CRM came from somewhere first, so a later row is not their
    /// first touch); and the company it represents, created here if there is none yet.
    async fn follow_ups(
        &self,
        id: ContactId,
        row: &ContactRow,
        map: &FieldMap,
        at: ImportRow,
        created: bool,
    ) -> Result<Vec<ContactCommand>, Error> {
        let mut steps: Vec<ContactCommand> = row
            .consents
            .iter()
            .map(|channel| ContactCommand::GrantConsent {
                contact_id: id,
                channel: *channel,
                evidence: Some(format!("imported from {} (row {})", map.source, at.row)),
            })
            .collect();
        steps.extend(
            row.source
                .iter()
                .filter(|_| created)
                .map(|(source, lead, campaign)| ContactCommand::RecordSource {
                    contact_id: id,
                    source: source.clone(),
                    campaign: *campaign,
                    lead: *lead,
                }),
        );
        if let Some((cell, role)) = &row.company {
            let (company_id, exists) =
                self.query_unfiltered(|v| super::companies::represented(map, cell, v));
            if !exists {
                let create = crate::domain::company::CompanyCommand::Create {
                    company_id,
                    details: crate::domain::details::CompanyDetails {
                        name: cell.clone(),
                        ..Default::default()
                    },
                    tags: Default::default(),
                    owner: None,
                };
                self.execute_request(self.request(map, at, row.created), create.into())
                    .await?;
            }
            steps.push(ContactCommand::LinkToCompany {
                contact_id: id,
                company_id,
                role: role.clone(),
            });
        }
        Ok(steps)
    }

    /// A row's commands on contact `id`, in one append (or into `batch`, to be written with
    /// the batch), at business time `when` (the source's sign-up date for a contact it
    /// creates; now for a change to one already there): whether anything is written.
    async fn contact_steps(
        &self,
        id: ContactId,
        steps: Vec<ContactCommand>,
        when: Option<chrono::DateTime<chrono::Utc>>,
        map: &FieldMap,
        at: ImportRow,
        batch: Option<&mut Batch>,
    ) -> Result<bool, Error> {
        let steps = steps
            .into_iter()
            .map(|command| (self.request(map, at, when), command))
            .collect();
        let done = match batch {
            Some(batch) => self.decide_into::<Contact>(batch, id, steps).await?,
            None => self.execute_together::<Contact>(id, steps).await?,
        };
        Ok(done.iter().any(Executed::wrote))
    }

    /// Applies `row` to the existing contact `id`; whether anything changed.
    async fn update_from(
        &self,
        id: ContactId,
        row: &ContactRow,
        map: &FieldMap,
        at: ImportRow,
        batch: Option<&mut Batch>,
    ) -> Result<bool, Error> {
        let Some(existing) =
            self.query_unfiltered(|v| v.cards.reach(id).map(|r| r.personal.clone()))
        else {
            return Ok(false);
        };
        let mut steps = vec![ContactCommand::Update(contacts::update(&existing, row, id))];
        steps.extend(self.follow_ups(id, row, map, at, false).await?);
        self.contact_steps(id, steps, None, map, at, batch).await
    }
}
