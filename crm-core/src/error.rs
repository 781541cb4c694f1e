//! The one error type `Crm` returns, wrapping the error of whichever layer failed.

use crate::domain::DomainError;
use crate::ids::{CommandId, StreamId};
use crate::store::StoreError;

/// Why a `Crm` call failed. Match on the variant: each wraps a narrower error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command was rejected by a business rule; nothing was written. Show the message to
    /// the person who issued the command.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The rules refused the command (see [`crate::access`]); nothing was written. The message
    /// names the actor, the command and the rule.
    #[error(transparent)]
    Denied(#[from] crate::access::Denied),
    /// The store failed. See [`StoreError`] for which failures are safe to retry.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Other writers kept changing the stream; after this many attempts the command gave up.
    /// Nothing was written by this command. Retrying later is safe.
    #[error(
        "gave up on stream {stream} after {attempts} attempts: other writers kept changing it"
    )]
    TooManyConflicts {
        /// The contended stream.
        stream: StreamId,
        /// How many times the command was decided.
        attempts: u32,
    },
    /// The command id was already used by a command on another stream: an idempotency key
    /// names one command only. Nothing was written; choose a fresh id.
    #[error(
        "command id {command_id} was already used for a command on stream {used_on}, not {stream}"
    )]
    CommandIdReused {
        /// The reused id.
        command_id: CommandId,
        /// Where the earlier command wrote.
        used_on: StreamId,
        /// Where this one would write.
        stream: StreamId,
    },
    /// Time travel to a position the log has not reached.
    #[error("the log ends at position {head}: there is no position {position} to go back to")]
    AsOfAhead {
        /// The position asked for.
        position: u64,
        /// The log's last position.
        head: u64,
    },
    /// A CSV import's field map cannot be used with its file (a field its kind does not take,
    /// no currency for amounts); nothing was read.
    #[error("the field map cannot be used: {reason}")]
    FieldMap {
        /// What is wrong with it.
        reason: String,
    },
    /// A lead cannot be converted with this map (no currency for the deal, no such pipeline,
    /// an amount that does not read); nothing was written.
    #[error("the lead cannot be converted: {reason}")]
    Conversion {
        /// What is missing or wrong.
        reason: String,
    },
    /// No event in the log carries this import id.
    #[error("no import {import_id} in the log (its id is in every event it wrote: `crm log`)")]
    UnknownImport {
        /// The id asked for.
        import_id: crate::ids::ImportId,
    },
    /// Reverting the import would take back more than the import: something else built on
    /// it. Nothing was written.
    #[error("import {import_id} cannot be reverted: {}{}", conflicts.first().map(ToString::to_string).unwrap_or_default(), match conflicts.len() { 0 | 1 => String::new(), n => format!(" (and {} more)", n - 1) })]
    RevertRefused {
        /// The import.
        import_id: crate::ids::ImportId,
        /// What stands in the way, in stream order.
        conflicts: Vec<crate::csv_import::RevertConflict>,
    },
}
