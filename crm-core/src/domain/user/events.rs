//! What happens to a user of the CRM. Field names are wire format: rename nothing.

use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::ids::{TeamId, UserId};

/// A person or a program got an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserAdded {
    /// The user.
    pub user_id: UserId,
    /// How cards and reports name them.
    pub name: String,
    /// Where they are reached, normalized.
    pub email: String,
    /// What they may do.
    pub role: Role,
    /// The team they work in, if any.
    pub team_id: Option<TeamId>,
}

/// A user's name changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRenamed {
    /// The user.
    pub user_id: UserId,
    /// The new name.
    pub name: String,
}

/// A user was given another role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRoleChanged {
    /// The user.
    pub user_id: UserId,
    /// The new role.
    pub role: Role,
}

/// A user moved to another team, or out of every team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserMovedToTeam {
    /// The user.
    pub user_id: UserId,
    /// The new team; `None` for none.
    pub team_id: Option<TeamId>,
}

/// A user can no longer act. What they did stays, under their name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserDeactivated {
    /// The user.
    pub user_id: UserId,
}

/// A deactivated user may act again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserReactivated {
    /// The user.
    pub user_id: UserId,
}

/// A team was formed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamCreated {
    /// The team.
    pub team_id: TeamId,
    /// What it is called.
    pub name: String,
}

/// A team's name changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamRenamed {
    /// The team.
    pub team_id: TeamId,
    /// The new name.
    pub name: String,
}
