//! A team: a group of users, led by whoever in it is head of sales.

use serde::{Deserialize, Serialize};

use super::events::{TeamCreated, TeamRenamed};
use crate::domain::{Aggregate, DomainError};
use crate::event::Event;
use crate::ids::TeamId;

/// A command for one team.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TeamCommand {
    /// Form a team. Forming it again with the same name is a no-op.
    Create {
        /// The team.
        team_id: TeamId,
        /// Its name.
        name: String,
    },
    /// Rename a team.
    Rename {
        /// The team.
        team_id: TeamId,
        /// The new name.
        name: String,
    },
}

impl TeamCommand {
    /// The team whose stream this command writes to.
    pub fn team_id(&self) -> TeamId {
        match self {
            Self::Create { team_id, .. } | Self::Rename { team_id, .. } => *team_id,
        }
    }
}

/// Everything a team decision needs to know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Team {
    /// The team's name; `None` before it is formed.
    pub name: Option<String>,
}

impl Team {
    /// Ok if the team exists; the rejection otherwise.
    pub fn require_exists(&self, team_id: TeamId) -> Result<(), DomainError> {
        match self.name {
            Some(_) => Ok(()),
            None => Err(DomainError::TeamNotFound { team_id }),
        }
    }
}

impl Aggregate for Team {
    type Id = TeamId;
    type Command = TeamCommand;
    const SNAPSHOT_SCHEMA: u32 = 1;

    fn decide(&self, command: &TeamCommand) -> Result<Vec<Event>, DomainError> {
        let team_id = command.team_id();
        match command {
            TeamCommand::Create { name, .. } => {
                let name =
                    super::name(name).map_err(|_| DomainError::EmptyName { what: "team" })?;
                match &self.name {
                    None => Ok(vec![TeamCreated { team_id, name }.into()]),
                    Some(existing) if *existing == name => Ok(Vec::new()),
                    Some(_) => Err(DomainError::TeamAlreadyExists { team_id }),
                }
            }
            TeamCommand::Rename { name, .. } => {
                self.require_exists(team_id)?;
                let name =
                    super::name(name).map_err(|_| DomainError::EmptyName { what: "team" })?;
                if self.name.as_deref() == Some(name.as_str()) {
                    return Ok(Vec::new());
                }
                Ok(vec![TeamRenamed { team_id, name }.into()])
            }
        }
    }

    fn evolve(&mut self, event: &Event) {
        match event {
            Event::TeamCreated(e) => self.name = Some(e.name.clone()),
            Event::TeamRenamed(e) => self.name = Some(e.name.clone()),
            _ => {}
        }
    }
}
