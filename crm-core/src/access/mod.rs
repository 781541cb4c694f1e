//! Who may do what: every command is checked before it is decided, and every query is served
//! from what the actor may see.
//!
//! The rules are behind one small trait, [`Authorizer`]: given who acts ([`Principal`]), what
//! the command is ([`Action`]) and the facts of the record it touches ([`Target`]: its owner
//! and their team, read from the aggregates' loaded state by `Crm`), allow or refuse with the
//! rule that refused. Everything a rule may need arrives as data, so an implementation can
//! hand it to a policy engine (Cedar, casbin) without touching the store. [`Roles`] is the
//! default: the roles of [`Role`], with the table in docs/guarantees.md.
//!
//! Who the rules apply to: users (`Actor::User`) by their role in the directory, and
//! automations (`Actor::Automation`) by the grant their policy declares. `Actor::System`,
//! `Actor::Import` and `Actor::Api` are the embedding program itself — whoever holds the
//! store's files or its database URL can write to it anyway — and are allowed everything.
//! An unknown or deactivated user is refused everything.

mod action;
mod facts;
mod role;
mod rules;
mod visibility;

pub use action::{Action, Area, Verb, COMMAND_NAMES};
pub use facts::{claimed, new_owner, OwnedBy};
pub use role::{Role, RoleError};
pub use rules::{AllowAll, Roles};
pub use visibility::{Scope, Visibility};

use std::borrow::Cow;
use std::fmt;

use crate::domain::user::UserProfile;
use crate::event::Actor;
use crate::ids::{TeamId, UserId};
use crate::projection::Directory;

/// Decides what a principal may do and see. Keep implementations pure: `Crm` has already
/// loaded every fact they get.
pub trait Authorizer: Send + Sync {
    /// Ok if `principal` may carry out `action` on `target`; otherwise the rule that refuses
    /// it, in words (the error names the actor and the command around it).
    fn authorize(
        &self,
        principal: &Principal,
        action: &Action,
        target: &Target,
    ) -> Result<(), Cow<'static, str>>;

    /// What `principal` may read; `directory` tells who is in which team.
    fn visibility(&self, principal: &Principal, directory: &Directory) -> Visibility;
}

/// Who is acting, as the rules see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The embedding program (`Actor::System`, `Actor::Import`, `Actor::Api`).
    Program(Actor),
    /// A user of the directory, as they stand now.
    User(UserProfile),
    /// A user id the directory does not know, or one that is deactivated.
    Unknown(UserId),
    /// An automation, limited to the command names its policy is granted.
    Automation {
        /// The policy's name.
        policy: String,
        /// What it may issue.
        grant: Vec<&'static str>,
    },
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Program(actor) => actor.fmt(f),
            Self::User(user) => write!(f, "{} ({})", user.name, user.role.name()),
            Self::Unknown(user_id) => write!(f, "user {user_id}"),
            Self::Automation { policy, .. } => write!(f, "automation {policy}"),
        }
    }
}

/// Who owns a record: a user and the team they are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Owner {
    /// The owning user; `None` for an unowned record.
    pub user: Option<UserId>,
    /// The owning user's team.
    pub team: Option<TeamId>,
}

/// The facts of the record a command touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Target {
    /// Who owns it now; for a new record, whom it is created for. An order, a conversation
    /// or feedback belongs to its customer's owner; a task to its assignee.
    pub owner: Owner,
    /// For an assignment: who will own it.
    pub new_owner: Option<Owner>,
}

/// A command refused by the rules. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{actor} may not {command}: {rule}")]
pub struct Denied {
    /// Who tried, by name and role.
    pub actor: String,
    /// The command's name (see [`COMMAND_NAMES`]).
    pub command: &'static str,
    /// The rule that refused it.
    pub rule: String,
}
