//! Who a command acts as: `--as USER` (a name, an email or a user id from the directory), or
//! the system — whoever holds the store's files or its database URL.

use crm::access::{Principal, Role};
use crm::domain::user::UserProfile;
use crm::event::Actor;
use crm::time_travel::AsOf;
use crm::{Crm, CrmOptions, Reader};

use crate::commands::Failure;
use crate::store::{Location, Store};

/// The options every command shares.
#[derive(Debug)]
pub struct Global {
    /// Where the log is.
    pub store: Location,
    /// `--as`: whom to act as.
    pub as_user: Option<String>,
}

/// An opened CRM and the actor a command acts as.
pub struct Session {
    pub crm: Crm<Store>,
    pub actor: Actor,
}

impl Session {
    /// Opens the store, which must exist, rebuilds the projections and resolves `--as`.
    pub async fn open(global: &Global) -> Result<Self, Failure> {
        Self::open_with(global, CrmOptions::default()).await
    }

    /// [`Session::open`] with `options` (the weekly cap, the unsubscribe page).
    pub async fn open_with(global: &Global, options: CrmOptions) -> Result<Self, Failure> {
        let crm = match global.store.open_with_views().await? {
            (store, Some(decoded)) => Crm::open_decoded(store, options, decoded).await?,
            (store, None) => Crm::open_with(store, options).await?,
        };
        for ignored in crm.snapshot_report().ignored {
            eprintln!("crm: {ignored}: ignored, the views were rebuilt from the events");
        }
        let actor = match &global.as_user {
            Some(who) => {
                let user = crm.query_unfiltered(|v| find(v.directory.users(), who))?;
                if !user.active {
                    return Err(format!(
                        "--as {who:?}: {} is deactivated (an admin can run `crm users reactivate`)",
                        user.name
                    )
                    .into());
                }
                Actor::User {
                    user_id: user.user_id,
                }
            }
            None => Actor::System,
        };
        Ok(Self { crm, actor })
    }

    /// The projections as the actor may see them.
    pub async fn reader(&self) -> Result<Reader, Failure> {
        Ok(self.crm.reader(&self.actor).await?)
    }

    /// The projections as the actor may see them now, or as they stood at `as_of` (saying on
    /// standard error which point of the log that is), for a command that reads once and
    /// quits: the views move into the reader, not copied, and the store is closed.
    pub async fn into_reader(self, as_of: Option<AsOf>) -> Result<Reader, Failure> {
        let Some(as_of) = as_of else {
            return Ok(self.crm.into_reader(&self.actor).await?);
        };
        let past = self.crm.as_of(as_of).await?;
        let recorded = past.recorded_at.map_or_else(
            || "nothing recorded yet".to_owned(),
            |t| format!("recorded {}", t.to_rfc3339()),
        );
        eprintln!(
            "as of {as_of}: the log through position {} ({recorded})",
            past.position
        );
        Ok(self.crm.reader_of(&self.actor, past.views).await?)
    }
}

/// Leaves a reader's views to the operating system, which takes a process's memory back at
/// once, rather than freeing them allocation by allocation: for the Olist views that is
/// 80 ms, as long as decoding them, spent after the answer is printed. Only for a command
/// that is about to exit; the store was closed by [`Session::into_reader`].
pub fn leave(reader: Reader) {
    std::mem::forget(reader);
}

/// For a command over the whole log (import, export, replay, verify): with `--as`, the user
/// must be an active admin. Without it the command acts as the system, which holds the files.
pub async fn require_admin(global: &Global, command: &str) -> Result<(), Failure> {
    if global.as_user.is_none() {
        return Ok(());
    }
    let session = Session::open(global).await?;
    match session.crm.principal(&session.actor).await? {
        Principal::User(profile) if profile.role == Role::Admin => Ok(()),
        Principal::User(profile) => Err(format!(
            "{} ({}) may not {command}: it works on the whole log, which only an admin may",
            profile.name, profile.role
        )
        .into()),
        _ => Err(format!("{} may not {command}: they are deactivated", session.actor).into()),
    }
}

/// The one user `who` names, active or not: their id, their email, the part of it before the
/// `@`, or their name (any case).
pub fn find<'a>(
    users: impl Iterator<Item = &'a UserProfile>,
    who: &str,
) -> Result<UserProfile, Failure> {
    let wanted = who.trim().to_lowercase();
    let matching: Vec<&UserProfile> = users
        .filter(|u| {
            u.user_id.to_string() == wanted
                || u.email.to_lowercase() == wanted
                || u.email.to_lowercase().split('@').next() == Some(wanted.as_str())
                || u.name.to_lowercase() == wanted
        })
        .collect();
    match matching.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!(
            "{who:?}: no user has that name, email or id (`crm users list` shows them)"
        )
        .into()),
        several => {
            let emails: Vec<&str> = several.iter().map(|u| u.email.as_str()).collect();
            Err(format!(
                "{who:?}: {} users have that name; give an email ({})",
                several.len(),
                emails.join(", ")
            )
            .into())
        }
    }
}
