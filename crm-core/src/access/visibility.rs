//! What a principal may read: whose records, and whether conversations.

use std::collections::BTreeSet;

use crate::ids::UserId;

/// Whose records a principal may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every record.
    Everything,
    /// Records owned by these users, and (if `unowned`) records nobody owns.
    Owners {
        /// The owners whose records are visible.
        users: BTreeSet<UserId>,
        /// Whether unowned records are visible (to be picked up).
        unowned: bool,
    },
    /// No record.
    Nothing,
}

impl Scope {
    /// Whether a record owned by `owner` is visible.
    pub fn sees(&self, owner: Option<UserId>) -> bool {
        match (self, owner) {
            (Self::Everything, _) => true,
            (Self::Nothing, _) => false,
            (Self::Owners { unowned, .. }, None) => *unowned,
            (Self::Owners { users, .. }, Some(owner)) => users.contains(&owner),
        }
    }

    /// The same scope without the unowned records: what reports count, so that a
    /// manager's figures are their own customers', not the unassigned pool's.
    pub fn owned_only(&self) -> Self {
        match self {
            Self::Owners { users, .. } => Self::Owners {
                users: users.clone(),
                unowned: false,
            },
            other => other.clone(),
        }
    }
}

/// What a principal may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visibility {
    /// Whose records.
    pub scope: Scope,
    /// Whether logged conversations (subjects, summaries) are shown.
    pub conversations: bool,
}

impl Visibility {
    /// Nothing at all.
    pub fn nothing() -> Self {
        Self {
            scope: Scope::Nothing,
            conversations: false,
        }
    }
}
