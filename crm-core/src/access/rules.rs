//! The default rules: what each [`Role`] may do. docs/guarantees.md has them as a table.

use std::borrow::Cow;
use std::collections::BTreeSet;

use super::{Action, Area, Authorizer, Owner, Principal, Role, Scope, Target, Verb, Visibility};
use crate::domain::user::UserProfile;
use crate::projection::Directory;

/// The roles of [`Role`], as the issue tracker's users asked for them:
///
/// - **admin**: everything.
/// - **head of sales**: customers, deals, tasks, orders, conversations and feedback owned by
///   anyone in their team or by nobody; assigning them between the team's members; pipelines
///   and campaigns. Reads the same records.
/// - **manager**: the same, for what they own or nobody owns; takes unowned records for
///   themselves, and gives their own back (unowned), but never to someone else.
/// - **accountant**: every order (payments, refunds, shipping, returns) and company details;
///   reads every record but no conversation.
/// - **viewer**: reads everything, changes nothing.
/// - **integration**: exactly the commands granted by name, whoever owns the record; reads
///   nothing through a read handle.
///
/// Merging customers and managing users and teams are for admins only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Roles;

impl Authorizer for Roles {
    fn authorize(
        &self,
        principal: &Principal,
        action: &Action,
        target: &Target,
    ) -> Result<(), Cow<'static, str>> {
        match principal {
            Principal::Program(_) => Ok(()),
            Principal::Unknown(_) => Err(
                "only an active user of the directory may act (add them with `crm users add`)"
                    .into(),
            ),
            Principal::Automation { .. } if action.verb == Verb::Erase => {
                Err("only an admin erases a person, never an automation".into())
            }
            Principal::Automation { grant, .. } if grant.contains(&action.name) => Ok(()),
            Principal::Automation { .. } => {
                Err("an automation issues only the commands its policy is granted".into())
            }
            Principal::User(user) => by_role(user, action, target),
        }
    }

    fn visibility(&self, principal: &Principal, directory: &Directory) -> Visibility {
        let everything = |conversations| Visibility {
            scope: Scope::Everything,
            conversations,
        };
        let user = match principal {
            Principal::Program(_) | Principal::Automation { .. } => return everything(true),
            Principal::Unknown(_) => return Visibility::nothing(),
            Principal::User(user) => user,
        };
        match &user.role {
            Role::Admin | Role::Viewer => everything(true),
            Role::Accountant => everything(false),
            Role::Integration { .. } => Visibility::nothing(),
            Role::Manager | Role::HeadOfSales => {
                let mut users = BTreeSet::from([user.user_id]);
                if let (Role::HeadOfSales, Some(team)) = (&user.role, user.team_id) {
                    users.extend(directory.members(team));
                }
                Visibility {
                    scope: Scope::Owners {
                        users,
                        unowned: true,
                    },
                    conversations: true,
                }
            }
        }
    }
}

fn by_role(user: &UserProfile, action: &Action, target: &Target) -> Result<(), Cow<'static, str>> {
    match &user.role {
        Role::Admin => Ok(()),
        _ if action.verb == Verb::Erase => Err("only an admin erases a person".into()),
        Role::Viewer => Err("a viewer changes nothing".into()),
        Role::Integration { grants } if grants.contains(action.name) => Ok(()),
        Role::Integration { .. } => {
            Err("an integration issues only the commands it is granted".into())
        }
        Role::Accountant
            if action.area == Area::Orders || action.name == "company.update_details" =>
        {
            Ok(())
        }
        Role::Accountant => {
            Err("an accountant changes only orders, payments, refunds and company details".into())
        }
        Role::Manager | Role::HeadOfSales => sales(user, action, target),
    }
}

fn sales(user: &UserProfile, action: &Action, target: &Target) -> Result<(), Cow<'static, str>> {
    let head = user.role == Role::HeadOfSales;
    match action.area {
        Area::Directory => return Err("only an admin manages users and teams".into()),
        Area::Pipelines | Area::Campaigns | Area::Automation if !head => {
            return Err(
                "only an admin or a head of sales sets up pipelines, campaigns and automations"
                    .into(),
            )
        }
        Area::Pipelines | Area::Campaigns | Area::Automation => return Ok(()),
        _ => {}
    }
    if action.verb == Verb::Merge {
        return Err("only an admin merges customers".into());
    }
    let ours = |owner: &Owner| match owner.user {
        None => true,
        Some(id) if id == user.user_id => true,
        Some(_) => head && user.team_id.is_some() && owner.team == user.team_id,
    };
    if !ours(&target.owner) {
        return Err(if head {
            "a head of sales changes only what their team or nobody owns".into()
        } else {
            "a manager changes only what they or nobody owns".into()
        });
    }
    match target.new_owner {
        Some(new) if !ours(&new) => Err(if head {
            "a head of sales assigns only to their team's members".into()
        } else {
            "a manager takes records only for themselves".into()
        }),
        _ => Ok(()),
    }
}

/// Allows every command and shows everything to everyone: for a program that checks access
/// itself before it calls the CRM, and for tests about something else. Greppable on purpose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn authorize(&self, _: &Principal, _: &Action, _: &Target) -> Result<(), Cow<'static, str>> {
        Ok(())
    }

    fn visibility(&self, _: &Principal, _: &Directory) -> Visibility {
        Visibility {
            scope: Scope::Everything,
            conversations: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contact::ContactCommand;
    use crate::ids::ContactId;

    #[test]
    fn no_grant_lets_an_automation_or_an_integration_erase_a_person() {
        let erase = Action::of(
            &ContactCommand::Erase {
                contact_id: ContactId::from_uuid(uuid::Uuid::from_u128(1)),
                reason: "request".into(),
            }
            .into(),
        );
        let automation = Principal::Automation {
            policy: "cleanup".into(),
            grant: vec!["contact.erase"],
        };
        let refused = Roles.authorize(&automation, &erase, &Target::default());
        assert!(refused.is_err_and(|rule| rule.contains("never an automation")));
        let integration = Principal::User(crate::domain::user::UserProfile {
            user_id: crate::ids::UserId::from_uuid(uuid::Uuid::from_u128(2)),
            name: "Importer".into(),
            email: "importer@shop.example".into(),
            role: Role::Integration {
                grants: ["contact.erase".to_owned()].into(),
            },
            team_id: None,
            active: true,
        });
        let refused = Roles.authorize(&integration, &erase, &Target::default());
        assert!(refused.is_err_and(|rule| rule.contains("only an admin erases")));
    }
}
