//! Why a store could not be opened.

use std::path::PathBuf;

/// Opening a `SledStore` failed. Nothing in the directory was changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The path holds something other than a crm store. Point at an empty or new directory,
    /// or at a directory a `SledStore` created.
    #[error("{path} is not a crm store: {reason}")]
    NotAStore {
        /// The path given.
        path: PathBuf,
        /// What was found there instead.
        reason: String,
    },
    /// No store is there, and the options said not to create one.
    #[error(
        "{path} holds no crm store (create one with `crm import` or `crm demo`, or check the path)"
    )]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// The store's files are damaged: sled's files hold less than the store committed, or
    /// sled could not read them. Nothing was changed.
    #[error("{path} is damaged: {reason}. Restore the directory from a backup, or import an export of it into a new store; do not write to it")]
    Damaged {
        /// The path given.
        path: PathBuf,
        /// What was found.
        reason: String,
    },
    /// The store was written by a newer release of crm; upgrade to read it.
    #[error("{path} was written in store format {found}, but this release reads formats up to {supported}: upgrade crm to open it")]
    NewerFormat {
        /// The path given.
        path: PathBuf,
        /// The format on disk.
        found: u32,
        /// The newest format this release reads.
        supported: u32,
    },
    /// The store needs what this build lacks.
    #[error("{path} cannot be opened by this build: {reason}")]
    Unsupported {
        /// The path given.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// Another process, or a `SledStore` still open in this one, holds the store. Close it
    /// first: one store, one process.
    #[error("{path} is in use by another process or another open SledStore")]
    Locked {
        /// The path given.
        path: PathBuf,
    },
    /// sled or the file system failed.
    #[error("cannot open the store at {path}: {source}")]
    Io {
        /// The path given.
        path: PathBuf,
        /// What failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
