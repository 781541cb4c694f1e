//! The user directory: users (people and programs that act in the CRM) and their teams, as
//! aggregates like the others, so every change to who may do what is an event in the log.

pub mod events;
mod team;

pub use team::{Team, TeamCommand};

use serde::{Deserialize, Serialize};

use self::events::*;
use super::{Aggregate, DomainError, Requirement};
use crate::access::Role;
use crate::event::Event;
use crate::ids::{TeamId, UserId};
use crate::normalize;

/// A command for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserCommand {
    /// Give someone an account. Adding the same user again with the same details is a no-op.
    Add(UserAdded),
    /// Change a user's name.
    Rename {
        /// The user.
        user_id: UserId,
        /// The new name.
        name: String,
    },
    /// Give a user another role.
    ChangeRole {
        /// The user.
        user_id: UserId,
        /// The new role.
        role: Role,
    },
    /// Move a user to another team (`None`: out of every team).
    MoveToTeam {
        /// The user.
        user_id: UserId,
        /// The team; must exist.
        team_id: Option<TeamId>,
    },
    /// Stop a user from acting.
    Deactivate {
        /// The user.
        user_id: UserId,
    },
    /// Let a deactivated user act again.
    Reactivate {
        /// The user.
        user_id: UserId,
    },
}

impl UserCommand {
    /// Adds a user outside any team: the usual first command, issued by `Actor::System`.
    pub fn add(
        user_id: UserId,
        name: impl Into<String>,
        email: impl Into<String>,
        role: Role,
    ) -> Self {
        Self::Add(UserAdded {
            user_id,
            name: name.into(),
            email: email.into(),
            role,
            team_id: None,
        })
    }

    /// The user whose stream this command writes to.
    pub fn user_id(&self) -> UserId {
        match self {
            Self::Add(a) => a.user_id,
            Self::Rename { user_id, .. }
            | Self::ChangeRole { user_id, .. }
            | Self::MoveToTeam { user_id, .. }
            | Self::Deactivate { user_id }
            | Self::Reactivate { user_id } => *user_id,
        }
    }

    /// What must hold elsewhere for this command to be accepted.
    pub fn requirements(&self) -> Vec<Requirement> {
        let team = match self {
            Self::Add(a) => a.team_id,
            Self::MoveToTeam { team_id, .. } => *team_id,
            _ => None,
        };
        team.map(Requirement::TeamExists).into_iter().collect()
    }
}

/// A user as the directory knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    /// The user.
    pub user_id: UserId,
    /// Their name.
    pub name: String,
    /// Their email.
    pub email: String,
    /// Their role.
    pub role: Role,
    /// Their team.
    pub team_id: Option<TeamId>,
    /// Whether they may act.
    pub active: bool,
}

/// Everything a user decision needs to know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The user as they stand; `None` before they are added.
    pub profile: Option<UserProfile>,
}

impl User {
    /// The user's profile, or the rejection naming the missing user.
    pub fn require_exists(&self, user_id: UserId) -> Result<&UserProfile, DomainError> {
        self.profile
            .as_ref()
            .ok_or(DomainError::UserNotFound { user_id })
    }
}

impl Aggregate for User {
    type Id = UserId;
    type Command = UserCommand;
    const SNAPSHOT_SCHEMA: u32 = 1;

    fn decide(&self, command: &UserCommand) -> Result<Vec<Event>, DomainError> {
        let user_id = command.user_id();
        if let UserCommand::Add(add) = command {
            let wanted = UserAdded {
                name: name(&add.name)?,
                email: email(&add.email)?,
                role: role(&add.role)?,
                ..add.clone()
            };
            return match &self.profile {
                None => Ok(vec![wanted.into()]),
                Some(p) if added_as(p, &wanted) => Ok(Vec::new()),
                Some(_) => Err(DomainError::UserAlreadyExists { user_id }),
            };
        }
        let profile = self.require_exists(user_id)?;
        let events: Vec<Event> = match command {
            UserCommand::Add(_) => Vec::new(),
            UserCommand::Rename { name: new, .. } => {
                let new = name(new)?;
                if new == profile.name {
                    Vec::new()
                } else {
                    vec![UserRenamed { user_id, name: new }.into()]
                }
            }
            UserCommand::ChangeRole { role: new, .. } if *new == profile.role => Vec::new(),
            UserCommand::ChangeRole { role: new, .. } => vec![UserRoleChanged {
                user_id,
                role: role(new)?,
            }
            .into()],
            UserCommand::MoveToTeam { team_id, .. } if *team_id == profile.team_id => Vec::new(),
            UserCommand::MoveToTeam { team_id, .. } => vec![UserMovedToTeam {
                user_id,
                team_id: *team_id,
            }
            .into()],
            UserCommand::Deactivate { .. } if !profile.active => Vec::new(),
            UserCommand::Deactivate { .. } => vec![UserDeactivated { user_id }.into()],
            UserCommand::Reactivate { .. } if profile.active => Vec::new(),
            UserCommand::Reactivate { .. } => vec![UserReactivated { user_id }.into()],
        };
        Ok(events)
    }

    fn evolve(&mut self, event: &Event) {
        if let Event::UserAdded(e) = event {
            self.profile = Some(UserProfile {
                user_id: e.user_id,
                name: e.name.clone(),
                email: e.email.clone(),
                role: e.role.clone(),
                team_id: e.team_id,
                active: true,
            });
            return;
        }
        let Some(profile) = self.profile.as_mut() else {
            return;
        };
        match event {
            Event::UserRenamed(e) => profile.name = e.name.clone(),
            Event::UserRoleChanged(e) => profile.role = e.role.clone(),
            Event::UserMovedToTeam(e) => profile.team_id = e.team_id,
            Event::UserDeactivated(_) => profile.active = false,
            Event::UserReactivated(_) => profile.active = true,
            _ => {}
        }
    }
}

/// Whether `profile` is what adding `wanted` would have made (a repeated add).
fn added_as(profile: &UserProfile, wanted: &UserAdded) -> bool {
    profile.name == wanted.name
        && profile.email == wanted.email
        && profile.role == wanted.role
        && profile.team_id == wanted.team_id
}

pub(crate) fn name(raw: &str) -> Result<String, DomainError> {
    if normalize::words(raw).is_empty() {
        return Err(DomainError::EmptyName { what: "user" });
    }
    Ok(raw.trim().to_owned())
}

fn email(raw: &str) -> Result<String, DomainError> {
    match normalize::email_problem(raw) {
        Some(reason) => Err(DomainError::InvalidEmail {
            email: raw.to_owned(),
            reason,
        }),
        None => Ok(normalize::email(raw)),
    }
}

fn role(role: &Role) -> Result<Role, DomainError> {
    crate::validate::grants(role)?;
    Ok(role.clone())
}

#[cfg(test)]
mod tests;
