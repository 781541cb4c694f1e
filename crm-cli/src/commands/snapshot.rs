//! `crm snapshot`.

use std::process::ExitCode;

use crm::store::EventStore;

use super::Failure;
use crate::session::{Global, Session};

pub async fn run(global: &Global) -> Result<ExitCode, Failure> {
    let session = Session::open(global).await?;
    match session.crm.save_views_snapshot().await? {
        Some(position) => say!("saved a snapshot of the views at position {position}"),
        None => say!("the log is empty: there is nothing to take a snapshot of"),
    }
    let held = session.crm.store().views_snapshots().await?;
    let listed: Vec<String> = held.iter().map(|s| s.position.to_string()).collect();
    say!(
        "the store keeps snapshots at positions {}",
        listed.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}
