//! The user directory: who the users are, their roles and teams, for names on cards and
//! reports and for the teams a head of sales sees.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use super::Projection;
use crate::domain::user::events::{TeamCreated, TeamRenamed};
use crate::domain::user::{User, UserProfile};
use crate::domain::Aggregate;
use crate::event::{Event, RecordedEvent};
use crate::ids::{Category, TeamId, UserId};
use crate::validate::aggregate_of;

/// Users and teams as the log says they stand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Directory {
    users: BTreeMap<UserId, UserProfile>,
    teams: BTreeMap<TeamId, String>,
}

impl Directory {
    /// A user's profile.
    pub fn user(&self, user_id: UserId) -> Option<&UserProfile> {
        self.users.get(&user_id)
    }

    /// Every user, by id.
    pub fn users(&self) -> impl Iterator<Item = &UserProfile> {
        self.users.values()
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// A team's name.
    pub fn team(&self, team_id: TeamId) -> Option<&str> {
        self.teams.get(&team_id).map(String::as_str)
    }

    /// The team called `name` (any case), if there is one.
    pub fn team_named(&self, name: &str) -> Option<TeamId> {
        let wanted = name.trim().to_lowercase();
        self.teams
            .iter()
            .find(|(_, team)| team.to_lowercase() == wanted)
            .map(|(id, _)| *id)
    }

    /// The users in `team`, active or not (their records stay the team's).
    pub fn members(&self, team: TeamId) -> BTreeSet<UserId> {
        self.users
            .values()
            .filter(|u| u.team_id == Some(team))
            .map(|u| u.user_id)
            .collect()
    }
}

impl Projection for Directory {
    fn apply(&mut self, event: &RecordedEvent) {
        match aggregate_of(&event.event) {
            (Category::User, id) => {
                // The directory folds a user exactly as the aggregate does: one fold, no drift.
                let user_id = UserId::from_uuid(id);
                let mut user = User {
                    profile: self.users.remove(&user_id),
                };
                user.evolve(&event.event);
                if let Some(profile) = user.profile {
                    self.users.insert(user_id, profile);
                }
            }
            (Category::Team, _) => match &event.event {
                Event::TeamCreated(TeamCreated { team_id, name })
                | Event::TeamRenamed(TeamRenamed { team_id, name }) => {
                    self.teams.insert(*team_id, name.clone());
                }
                _ => {}
            },
            _ => {}
        }
    }
}
