//! `crm verify`.

use std::process::ExitCode;

use super::Failure;
use crate::store::{AnyStore, Location};

pub async fn run(location: &Location) -> Result<ExitCode, Failure> {
    let (text, ok) = match location.open().await?.inner() {
        AnyStore::Sled(store) => {
            let report = store.verify()?;
            (report.to_string(), report.is_ok())
        }
        AnyStore::Postgres(store) => {
            let report = store.verify().await?;
            (report.to_string(), report.is_ok())
        }
    };
    say!("{text}");
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
