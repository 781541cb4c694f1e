//! [`Crm::import_csv`]: a file's rows through the commands, with duplicates handled as asked
//! and bad rows reported where they are.

use std::collections::HashSet;

use super::contact_rows::{other_match, Batched, Match};
use super::contacts::{self, ContactRow};
use super::field_map::{FieldMap, Kind};
use super::orders::OrderFiles;
use crate::crm::Crm;
use crate::domain::contact::{Contact, ContactCommand};
use crate::domain::Aggregate;
use crate::error::Error;
use crate::ids::{ContactId, ImportId};
use crate::normalize;
use crate::store::EventStore;

/// What to do with a row that matches another customer by email, phone or tax id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Duplicates {
    /// Leave the existing customer as it is and import nothing of the row.
    #[default]
    Skip,
    /// Update the existing customer with the row.
    Update,
    /// Create the row's contact anyway (a merge can join them later).
    Create,
}

/// How to run an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// This run: every event carries it, with the row.
    pub import_id: ImportId,
    /// Read and check the whole file, write nothing.
    pub dry_run: bool,
    /// What to do with duplicates.
    pub duplicates: Duplicates,
    /// Go on past a bad row, setting it aside, instead of stopping there.
    pub set_aside_bad_rows: bool,
    /// Rows before this one are not imported (to resume after a stop).
    pub from_row: u64,
}

impl ImportOptions {
    /// A real run of `import_id` that skips duplicates and stops at the first bad row.
    pub fn new(import_id: ImportId) -> Self {
        Self {
            import_id,
            dry_run: false,
            duplicates: Duplicates::Skip,
            set_aside_bad_rows: false,
            from_row: 2,
        }
    }
}

/// A row that cannot be imported: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}row {row}{}: {reason}", match file {
    Some(f) => format!("{f} file, "),
    None => String::new(),
}, match (column, value) {
    (Some(c), Some(v)) => format!(", column {c:?}, value {v:?}"),
    (Some(c), None) => format!(", column {c:?}"),
    _ => String::new(),
})]
pub struct RowError {
    /// Which of an import's files, when it has more than one (`lines`, `payments`).
    pub file: Option<String>,
    /// The row, as a spreadsheet numbers it (the header is row 1).
    pub row: u64,
    /// The column's header.
    pub column: Option<String>,
    /// The cell.
    pub value: Option<String>,
    /// Why it cannot be imported.
    pub reason: String,
}

impl RowError {
    /// A row that cannot be imported as a whole, for `reason`.
    pub fn whole(row: u64, reason: impl Into<String>) -> Self {
        Self {
            file: None,
            row,
            column: None,
            value: None,
            reason: reason.into(),
        }
    }
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Data rows read.
    pub rows: u64,
    /// Contacts created.
    pub created: u64,
    /// Existing contacts changed (the row's own, imported before, or a duplicate updated).
    pub updated: u64,
    /// Rows that changed nothing (imported before, as they are).
    pub unchanged: u64,
    /// Rows matching another customer, skipped.
    pub duplicates_skipped: u64,
    /// Rows matching another customer, created anyway.
    pub duplicates_created: u64,
    /// Rows matching another customer, whose data went to that customer.
    pub duplicates_updated: u64,
    /// Customers an orders, deals or feedback file named that were not there yet, created.
    pub customers_created: u64,
    /// Payments above what their order still owed (interest on instalments), taken up to
    /// what it owed.
    pub amounts_capped: u64,
    /// Bad rows: every one for a dry run or a run that sets them aside; else the one it
    /// stopped at.
    pub errors: Vec<RowError>,
    /// The row a real run stopped at (everything before it is imported): resume there.
    pub stopped_at: Option<u64>,
}

impl ImportSummary {
    /// Adds what `other` counted (not its rows, errors or stop).
    pub(crate) fn absorb(&mut self, other: &ImportSummary) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.duplicates_skipped += other.duplicates_skipped;
        self.duplicates_created += other.duplicates_created;
        self.duplicates_updated += other.duplicates_updated;
        self.customers_created += other.customers_created;
        self.amounts_capped += other.amounts_capped;
    }

    /// A run that could not read its file's header.
    pub(crate) fn unreadable(error: RowError) -> Self {
        Self {
            stopped_at: Some(error.row),
            errors: vec![error],
            ..Self::default()
        }
    }

    /// Counts the bad row `error` (at `row`): whether the run goes on past it (a dry run or
    /// one that sets bad rows aside) or stops there.
    pub(crate) fn refuse(&mut self, error: RowError, row: u64, options: &ImportOptions) -> bool {
        self.errors.push(error);
        let goes_on = options.dry_run || options.set_aside_bad_rows;
        if !goes_on {
            self.stopped_at = Some(row);
        }
        goes_on
    }
}

/// `record`, row `row` of a file whose header has `width` cells, or why it is not a row.
pub(crate) fn checked(
    record: Result<csv::StringRecord, csv::Error>,
    width: usize,
    row: u64,
) -> Result<csv::StringRecord, RowError> {
    match record {
        Err(e) => Err(RowError::whole(row, format!("not a CSV row: {e}"))),
        Ok(r) if r.len() != width => Err(RowError::whole(
            row,
            format!("it has {} cells, the header {width}", r.len()),
        )),
        Ok(r) => Ok(r),
    }
}

/// A reader of the CSV file `bytes`: without its byte-order mark, split on the separator its
/// header uses most (`,`, `;` or a tab), and its headers, trimmed.
pub(crate) fn open(bytes: &[u8]) -> Result<(csv::Reader<&[u8]>, Vec<String>), RowError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let header = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |sep: u8| header.iter().filter(|b| **b == sep).count();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|sep| count(*sep))
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| RowError::whole(1, format!("the header cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    Ok((reader, headers))
}

/// The headers of the CSV file `bytes` (for guessing a map).
pub fn headers(bytes: &[u8]) -> Result<Vec<String>, RowError> {
    open(bytes).map(|(_, headers)| headers)
}

impl<S: EventStore> Crm<S> {
    /// Imports the CSV file `bytes` as `map` says (see the [module docs](crate::csv_import)):
    /// contacts, orders (a file that holds their lines too; [`Crm::import_orders_csv`] takes
    /// lines and payments from files of their own), deals or feedback.
    pub async fn import_csv(
        &self,
        bytes: &[u8],
        map: &FieldMap,
        options: &ImportOptions,
    ) -> Result<ImportSummary, Error> {
        self.import_csv_watched(bytes, map, options, |_| {}).await
    }

    /// [`Crm::import_csv`], calling `on_row` with each row's number once it is done (for a
    /// progress bar).
    pub async fn import_csv_watched(
        &self,
        bytes: &[u8],
        map: &FieldMap,
        options: &ImportOptions,
        mut on_row: impl FnMut(u64),
    ) -> Result<ImportSummary, Error> {
        if let Err(reason) = map.check() {
            return Err(Error::FieldMap { reason });
        }
        match map.kind {
            Kind::Contacts => {}
            Kind::Orders => {
                let files = OrderFiles {
                    orders: bytes,
                    ..OrderFiles::default()
                };
                return self.import_orders_csv(files, map, options, on_row).await;
            }
            Kind::Deals | Kind::Feedback | Kind::Companies | Kind::Interactions => {
                return self.import_records(bytes, map, options, on_row).await
            }
        }
        let mut summary = ImportSummary::default();
        let (mut reader, headers) = match open(bytes) {
            Ok(opened) => opened,
            Err(e) => return Ok(ImportSummary::unreadable(e)),
        };
        self.catch_up().await?;
        // What a dry run would have created: its keys, so later rows see them.
        let mut seen_ids: HashSet<ContactId> = HashSet::new();
        let mut seen_keys: HashSet<String> = HashSet::new();
        let mut batched = Batched::default();
        for (index, record) in reader.records().enumerate() {
            let row = index as u64 + 2;
            if row < options.from_row {
                continue;
            }
            let outcome = checked(record, headers.len(), row)
                .and_then(|r| contacts::read(map, &headers, &r, row));
            on_row(row);
            summary.rows += 1;
            let contact = match outcome {
                Ok(contact) => contact,
                Err(e) => {
                    if summary.refuse(e, row, options) {
                        continue;
                    }
                    break;
                }
            };
            let own = contact.create.contact_id;
            let found = self.query_unfiltered(|v| {
                if v.cards.reach(own).is_some() || seen_ids.contains(&own) {
                    Match::Own
                } else {
                    match other_match(v, &contact, own) {
                        Some(other) => Match::Other(other),
                        None => Match::New,
                    }
                }
            });
            let found = match found {
                // In a dry run, a key met earlier in the file stands for a contact made.
                Match::New if options.dry_run && dry_duplicate(&contact, &seen_keys) => {
                    Match::Other(own)
                }
                other => other,
            };
            if options.dry_run {
                // The same decider a real run meets, on a contact that does not exist yet: a
                // dry run refuses what the real run would.
                let creates = matches!(
                    (found, options.duplicates),
                    (Match::New, _) | (Match::Other(_), Duplicates::Create)
                );
                if creates {
                    let create = ContactCommand::Create(contact.create.clone());
                    if let Err(e) = Contact::default().decide(&create) {
                        summary.errors.push(RowError::whole(row, e.to_string()));
                        continue;
                    }
                }
                match (found, options.duplicates) {
                    (Match::New, _) => summary.created += 1,
                    (Match::Own, _) => summary.unchanged += 1,
                    (Match::Other(_), Duplicates::Skip) => summary.duplicates_skipped += 1,
                    (Match::Other(_), Duplicates::Update) => summary.duplicates_updated += 1,
                    (Match::Other(_), Duplicates::Create) => summary.duplicates_created += 1,
                }
                seen_ids.insert(own);
                seen_keys.extend(keys_of(&contact));
                continue;
            }
            match self
                .contact_row_batched(row, contact, map, options, &mut batched, &mut summary)
                .await?
            {
                Ok(()) => {}
                Err(e) => {
                    if !summary.refuse(e, row, options) {
                        break;
                    }
                }
            }
        }
        self.flush_contacts(&mut batched, map, options, &mut summary)
            .await?;
        Ok(summary)
    }
}

/// The email, phone and tax id keys of a row, for a dry run's matching within the file.
pub(super) fn keys_of(row: &ContactRow) -> Vec<String> {
    let p = &row.create.personal;
    p.emails
        .iter()
        .map(|e| format!("email {}", normalize::email(e)))
        .chain(p.phones.iter().filter_map(|ph| {
            normalize::phone(&ph.number, ph.country)
                .and_then(|k| k.international.or(k.national))
                .map(|k| format!("phone {k}"))
        }))
        .chain(
            p.tax_id
                .iter()
                .map(|t| format!("tax {}", normalize::tax_id(t))),
        )
        .collect()
}

fn dry_duplicate(row: &ContactRow, seen: &HashSet<String>) -> bool {
    keys_of(row).iter().any(|k| seen.contains(k))
}
