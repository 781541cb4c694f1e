//! The core of crm, an event-sourced CRM for e-commerce: the domain (contacts, companies),
//! the event model and its wire form, the [`EventStore`](store::EventStore) contract,
//! command execution ([`Crm`]) and the projections that serve queries.
//!
//! Nothing here does I/O but through an `EventStore`, and nothing starts an async runtime.
//! See the `crm` facade crate for a runnable introduction.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access;
pub mod audit;
pub mod clock;
mod code_text;
mod crm;
pub mod crypto;
pub mod csv_import;
pub mod domain;
mod error;
pub mod event;
pub mod explain;
pub mod ids;
mod lead_capture;
pub mod lead_conversion;
pub mod log;
pub mod money;
pub mod normalize;
pub mod outbox;
pub mod personal;
pub mod policy;
pub mod projection;
mod reader;
pub mod report;
mod run_due;
mod state_cache;
pub mod store;
pub mod subject_access;
pub mod subscription;
pub mod template_preview;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod time_travel;
pub mod upcast;
pub mod validate;

pub use crate::crm::{Command, Crm, CrmOptions, Executed, Request, SnapshotReport};
pub use error::Error;
pub use lead_capture::{Captured, InboundMessage};
pub use reader::Reader;
pub use run_due::RunDue;
