//! `crm migrate`.

use std::process::ExitCode;

use crm::SledOptions;

use super::Failure;
use crate::store::{AnyStore, Location};

pub async fn run(location: &Location) -> Result<ExitCode, Failure> {
    match location.create(SledOptions::default()).await?.inner() {
        AnyStore::Sled(_) => say!("{location}: a sled store needs no migration"),
        AnyStore::Postgres(store) => {
            say!("{location}: at schema version {}", store.migrate().await?)
        }
    }
    Ok(ExitCode::SUCCESS)
}
