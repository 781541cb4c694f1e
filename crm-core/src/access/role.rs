//! Roles as data: what a user's events say they are. What each role may do is decided by an
//! [`Authorizer`](super::Authorizer), [`Roles`](super::Roles) by default.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::action::COMMAND_NAMES;

/// A user's role. Stored in the user's events, so changing one is audited like any change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Role {
    /// Everything, including merges, erasure and the user directory.
    Admin,
    /// Everything of the managers in their team (and their own), and reassigning between them.
    HeadOfSales,
    /// The customers, deals, orders and tasks they own, plus unowned ones they pick up.
    Manager,
    /// Orders, payments, refunds and companies' details, of every customer; no conversations.
    Accountant,
    /// Reads what the rules let them see; changes nothing.
    Viewer,
    /// A program's account: only the commands it is granted, by name (`"order.place"`).
    Integration {
        /// The command names granted (see [`COMMAND_NAMES`]).
        grants: BTreeSet<String>,
    },
}

impl Role {
    /// The role's name as the command line writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::HeadOfSales => "head_of_sales",
            Self::Manager => "manager",
            Self::Accountant => "accountant",
            Self::Viewer => "viewer",
            Self::Integration { .. } => "integration",
        }
    }

    /// The first granted name that is no command, if any: a grant must name a real command.
    pub fn unknown_grant(&self) -> Option<&str> {
        match self {
            Self::Integration { grants } => grants
                .iter()
                .map(String::as_str)
                .find(|g| !COMMAND_NAMES.contains(g)),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Integration { grants } => {
                let grants: Vec<&str> = grants.iter().map(String::as_str).collect();
                write!(f, "integration:{}", grants.join(","))
            }
            other => f.write_str(other.name()),
        }
    }
}

/// Why a role name did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    /// Not one of the role names.
    #[error("{0:?} is not a role: use admin, head_of_sales, manager, accountant, viewer or integration:COMMAND,...")]
    Unknown(String),
    /// An integration granted a command that does not exist.
    #[error("{0:?} is not a command name an integration can be granted")]
    UnknownGrant(String),
}

impl FromStr for Role {
    type Err = RoleError;

    /// `admin`, `head_of_sales` (or `head-of-sales`), `manager`, `accountant`, `viewer`, or
    /// `integration:order.place,interaction.log`.
    fn from_str(s: &str) -> Result<Self, RoleError> {
        let s = s.trim();
        if let Some(grants) = s.strip_prefix("integration:") {
            let grants: BTreeSet<String> = grants
                .split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect();
            let role = Self::Integration { grants };
            return match role.unknown_grant() {
                Some(bad) => Err(RoleError::UnknownGrant(bad.to_owned())),
                None => Ok(role),
            };
        }
        match s.replace('-', "_").as_str() {
            "admin" => Ok(Self::Admin),
            "head_of_sales" => Ok(Self::HeadOfSales),
            "manager" => Ok(Self::Manager),
            "accountant" => Ok(Self::Accountant),
            "viewer" => Ok(Self::Viewer),
            "integration" => Ok(Self::Integration {
                grants: BTreeSet::new(),
            }),
            _ => Err(RoleError::Unknown(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_their_display() {
        for text in ["admin", "head_of_sales", "manager", "accountant", "viewer"] {
            let role: Role = text.parse().unwrap();
            assert_eq!(role.to_string(), text);
        }
        let role: Role = "integration:order.place, interaction.log".parse().unwrap();
        assert_eq!(role.to_string(), "integration:interaction.log,order.place");
        assert_eq!(role.to_string().parse::<Role>().unwrap(), role);
        assert_eq!("head-of-sales".parse::<Role>().unwrap(), Role::HeadOfSales);
    }

    #[test]
    fn unknown_roles_and_grants_are_named() {
        assert_eq!(
            "boss".parse::<Role>().unwrap_err().to_string(),
            "\"boss\" is not a role: use admin, head_of_sales, manager, accountant, viewer or integration:COMMAND,..."
        );
        assert_eq!(
            "integration:order.place,order.steal"
                .parse::<Role>()
                .unwrap_err(),
            RoleError::UnknownGrant("order.steal".into())
        );
    }

    #[test]
    fn the_wire_form_is_snake_case() {
        assert_eq!(
            serde_json::to_string(&Role::HeadOfSales).unwrap(),
            "\"head_of_sales\""
        );
        let role: Role = "integration:order.place".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&role).unwrap(),
            r#"{"integration":{"grants":["order.place"]}}"#
        );
    }
}
