//! One module per subcommand.

pub mod audit;
pub mod card;
pub mod demo;
pub mod export;
pub mod import;
pub mod migrate;
pub mod replay;
pub mod report;
pub mod verify;

use crm::Crm;

use crate::store::{AnyStore, Location};

/// What a command fails with: a message for the user.
pub type Failure = Box<dyn std::error::Error>;

/// Opens the store, which must exist, and rebuilds the projections.
pub async fn open_crm(location: &Location) -> Result<Crm<AnyStore>, Failure> {
    Ok(Crm::open(location.open().await?).await?)
}
