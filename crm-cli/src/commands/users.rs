//! `crm users`: the directory of people and programs who act on the CRM.
//!
//! The first admin is added without `--as` (as the system, whoever holds the store); from
//! then on an admin adds the others with `--as`. A user's id derives from their email, so
//! adding the same person twice changes nothing.

use std::process::ExitCode;

use crm::access::Role;
use crm::domain::user::events::UserAdded;
use crm::domain::user::{TeamCommand, UserCommand};
use crm::ids::{TeamId, UserId};

use super::Failure;
use crate::session::{find, Global, Session};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: UsersCommand,
}

#[derive(Debug, clap::Subcommand)]
enum UsersCommand {
    /// Give someone an account.
    Add {
        /// Their name, as cards and reports show it.
        name: String,
        /// Their email; it identifies them.
        email: String,
        /// admin, head_of_sales, manager, accountant, viewer, or integration:GRANTS (command
        /// names, comma-separated, e.g. integration:order.place,interaction.log).
        #[arg(long)]
        role: Role,
        /// Their team, by name; created if there is none of that name.
        #[arg(long)]
        team: Option<String>,
    },
    /// Every user, with role, team and whether they may act.
    List,
    /// Give a user another role.
    Role {
        /// A name, email or user id.
        user: String,
        /// The new role (as for `add`).
        role: Role,
    },
    /// Stop a user from acting; their records stay theirs.
    Deactivate {
        /// A name, email or user id.
        user: String,
    },
    /// Let a deactivated user act again.
    Reactivate {
        /// A name, email or user id.
        user: String,
    },
}

pub async fn run(global: &Global, args: Args) -> Result<ExitCode, Failure> {
    let session = Session::open(global).await?;
    let crm = &session.crm;
    let named = |who: &str| crm.query_unfiltered(|v| find(v.directory.users(), who));
    let (command, done): (UserCommand, String) = match args.command {
        UsersCommand::List => {
            let reader = session.reader().await?;
            let directory = &reader.views().directory;
            let mut users: Vec<_> = directory.users().collect();
            users.sort_by_key(|u| (u.name.to_lowercase(), u.user_id));
            for user in users {
                let team = user.team_id.and_then(|t| directory.team(t)).unwrap_or("—");
                let state = if user.active { "" } else { "  (deactivated)" };
                say!(
                    "{:<24} {:<28} {:<16}  {}{state}",
                    user.name,
                    user.email,
                    user.role.to_string(),
                    team
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        UsersCommand::Add {
            name,
            email,
            role,
            team,
        } => {
            let team_id = match team {
                Some(team) => Some(team_of(&session, &team).await?),
                None => None,
            };
            let add = UserAdded {
                user_id: UserId::derived("crm users", &email.trim().to_lowercase()),
                name: name.clone(),
                email,
                role: role.clone(),
                team_id,
            };
            (UserCommand::Add(add), format!("added {name} as {role}"))
        }
        UsersCommand::Role { user, role } => {
            let user = named(&user)?;
            let done = format!("{} is now {role}", user.name);
            let change = UserCommand::ChangeRole {
                user_id: user.user_id,
                role,
            };
            (change, done)
        }
        UsersCommand::Deactivate { user } => {
            let user = named(&user)?;
            let done = format!("{} may no longer act", user.name);
            (
                UserCommand::Deactivate {
                    user_id: user.user_id,
                },
                done,
            )
        }
        UsersCommand::Reactivate { user } => {
            let user = named(&user)?;
            let done = format!("{} may act again", user.name);
            (
                UserCommand::Reactivate {
                    user_id: user.user_id,
                },
                done,
            )
        }
    };
    let executed = crm.execute(&session.actor, command).await?;
    if executed.wrote() {
        say!("{done}");
    } else {
        say!("nothing to change: {done} already");
    }
    Ok(ExitCode::SUCCESS)
}

/// The team called `name`, created (by the session's actor) if there is none.
async fn team_of(session: &Session, name: &str) -> Result<TeamId, Failure> {
    if let Some(team) = session
        .crm
        .query_unfiltered(|v| v.directory.team_named(name))
    {
        return Ok(team);
    }
    let team_id = TeamId::derived("crm users", &name.trim().to_lowercase());
    let create = TeamCommand::Create {
        team_id,
        name: name.trim().to_owned(),
    };
    session.crm.execute(&session.actor, create).await?;
    Ok(team_id)
}
