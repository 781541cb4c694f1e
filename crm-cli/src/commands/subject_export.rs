//! `crm subject-export`: everything held about a person, as JSON (the right of access).

use std::process::ExitCode;

use super::erase::one_contact;
use super::Failure;
use crate::session::{Global, Session};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The person: a name, email address, phone number or tax id that finds exactly one.
    query: String,
}

pub async fn run(global: &Global, args: Args) -> Result<ExitCode, Failure> {
    let session = Session::open(global).await?;
    let reader = session.reader().await?;
    let contact_id = one_contact(&reader, &args.query)?;
    let Some(export) = session.crm.subject_export(&reader, contact_id).await? else {
        return Err(format!("no person matches {:?}", args.query).into());
    };
    say!("{}", serde_json::to_string_pretty(&export)?);
    Ok(ExitCode::SUCCESS)
}
