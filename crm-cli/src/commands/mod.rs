//! One module per subcommand.

pub mod audit;
pub mod automation;
pub mod board;
pub mod card;
pub mod convert_lead;
pub mod demo;
pub mod erase;
pub mod explain;
pub mod export;
pub mod import;
pub mod import_csv;
pub mod migrate;
pub mod outbox;
pub mod replay;
pub mod report;
pub mod revert_import;
pub mod send;
pub mod snapshot;
pub mod subject_export;
pub mod template;
pub mod users;
pub mod verify;

use crate::session::Global;

/// What a command fails with: a message for the user.
pub type Failure = Box<dyn std::error::Error>;

/// Refuses `--as` for a command that only the system runs: `demo` writes a new shop's users
/// itself, `migrate` changes tables, not records.
pub fn system_only(global: &Global, command: &str) -> Result<(), Failure> {
    match &global.as_user {
        Some(who) => Err(format!(
            "crm {command} acts as the system (whoever holds the store), not as a user: run it without --as {who:?}"
        )
        .into()),
        None => Ok(()),
    }
}
