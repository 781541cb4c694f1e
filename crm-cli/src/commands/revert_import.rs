//! `crm revert-import`: take back everything one CSV import did, recorded as events.

use std::process::ExitCode;

use crm::ids::{Category, ImportId};

use super::Failure;
use crate::session::{Global, Session};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The import: the id `crm import-csv` printed (every event it wrote carries it).
    import_id: uuid::Uuid,
    /// Say what would be taken back, write nothing.
    #[arg(long)]
    dry_run: bool,
}

pub async fn run(global: &Global, args: Args) -> Result<ExitCode, Failure> {
    let session = Session::open(global).await?;
    let import_id = ImportId::from_uuid(args.import_id);
    let done = match session
        .crm
        .revert_import(import_id, session.actor.clone(), args.dry_run)
        .await
    {
        Ok(done) => done,
        Err(crm::Error::RevertRefused { conflicts, .. }) => {
            say!("import {import_id} cannot be reverted: what came after it builds on it");
            for conflict in &conflicts {
                say!("  {conflict}");
            }
            say!("nothing was written; revert the later imports first, or undo those changes");
            return Ok(ExitCode::FAILURE);
        }
        Err(other) => return Err(other.into()),
    };
    session.crm.store().inner().flush()?;
    let withdrawn: Vec<String> = done
        .withdrawn
        .iter()
        .map(|(kind, n)| format!("{n} {}", records(*kind, *n)))
        .collect();
    say!(
        "{} {} events of import {import_id}: {} {}; {} existing contacts {} their earlier fields{}",
        if args.dry_run {
            "would take back"
        } else {
            "took back"
        },
        done.events,
        if args.dry_run {
            "would withdraw"
        } else {
            "withdrew"
        },
        if withdrawn.is_empty() {
            "nothing".to_owned()
        } else {
            withdrawn.join(", ")
        },
        done.restored,
        if args.dry_run { "would get" } else { "got" },
        match done.already_withdrawn {
            0 => String::new(),
            n => format!("; {n} records were withdrawn by an earlier run"),
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// "1 order", "2 orders", "3 companies", "2 feedback".
fn records(kind: Category, n: u64) -> String {
    match (kind, n) {
        (_, 1) | (Category::Feedback, _) => kind.to_string(),
        (Category::Company, _) => "companies".to_owned(),
        _ => format!("{kind}s"),
    }
}
