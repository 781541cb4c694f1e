//! One module per subcommand.

pub mod card;
pub mod demo;
pub mod export;
pub mod import;
pub mod replay;
pub mod report;
pub mod verify;

use std::path::Path;

use crm::{Crm, SledStore};

/// What a command fails with: a message for the user.
pub type Failure = Box<dyn std::error::Error>;

/// Opens the store in `dir`, which must exist: reading never creates a store.
pub fn open(dir: &Path) -> Result<SledStore, Failure> {
    Ok(SledStore::open_existing(dir)?)
}

/// Opens the store and rebuilds the projections.
pub async fn open_crm(dir: &Path) -> Result<Crm<SledStore>, Failure> {
    Ok(Crm::open(open(dir)?).await?)
}
