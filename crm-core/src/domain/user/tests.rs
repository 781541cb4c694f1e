use super::*;
use crate::testing::given;

fn user() -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(7))
}

fn add(name: &str, role: Role) -> UserCommand {
    UserCommand::Add(UserAdded {
        user_id: user(),
        name: name.into(),
        email: " Marta@Shop.example ".into(),
        role,
        team_id: None,
    })
}

fn added() -> Event {
    UserAdded {
        user_id: user(),
        name: "Marta".into(),
        email: "marta@shop.example".into(),
        role: Role::Manager,
        team_id: None,
    }
    .into()
}

#[test]
fn a_user_is_added_once_with_a_name_a_valid_email_and_a_role() {
    given::<User>([])
        .when(add(" Marta ", Role::Manager))
        .then_events([added()]);
    given::<User>([added()])
        .when(add("Marta", Role::Manager))
        .then_nothing();
    given::<User>([added()])
        .when(add("Marta", Role::Admin))
        .then_error_text(
            "user 00000000-0000-0000-0000-000000000007 already exists with other details",
        );
    given::<User>([])
        .when(add("  ", Role::Manager))
        .then_error_text("a user needs a name, and the one given has no letters or digits");
    let mut bad = add("Marta", Role::Manager);
    if let UserCommand::Add(a) = &mut bad {
        a.email = "marta".into();
    }
    given::<User>([])
        .when(bad)
        .then_error(DomainError::InvalidEmail {
            email: "marta".into(),
            reason: "it has no @",
        });
    let grants = ["order.steal".to_owned()].into();
    given::<User>([])
        .when(add("Shop", Role::Integration { grants }))
        .then_error_text("\"order.steal\" is not a command name an integration can be granted");
}

#[test]
fn renames_role_changes_moves_and_deactivation_change_only_what_differs() {
    let user_id = user();
    given::<User>([added()])
        .when(UserCommand::Rename {
            user_id,
            name: "Marta Ruiz".into(),
        })
        .then_events([UserRenamed {
            user_id,
            name: "Marta Ruiz".into(),
        }
        .into()]);
    given::<User>([added()])
        .when(UserCommand::ChangeRole {
            user_id,
            role: Role::Manager,
        })
        .then_nothing();
    given::<User>([added()])
        .when(UserCommand::ChangeRole {
            user_id,
            role: Role::HeadOfSales,
        })
        .then_events([UserRoleChanged {
            user_id,
            role: Role::HeadOfSales,
        }
        .into()]);
    given::<User>([added()])
        .when(UserCommand::Deactivate { user_id })
        .then_events([UserDeactivated { user_id }.into()]);
    given::<User>([added(), UserDeactivated { user_id }.into()])
        .when(UserCommand::Deactivate { user_id })
        .then_nothing();
    given::<User>([added(), UserDeactivated { user_id }.into()])
        .when(UserCommand::Reactivate { user_id })
        .then_events([UserReactivated { user_id }.into()]);
    given::<User>([])
        .when(UserCommand::Deactivate { user_id })
        .then_error(DomainError::UserNotFound { user_id });
}

#[test]
fn teams_are_formed_once_and_renamed() {
    let team_id = TeamId::from_uuid(uuid::Uuid::from_u128(3));
    let created: Event = TeamCreated {
        team_id,
        name: "Madrid".into(),
    }
    .into();
    given::<Team>([])
        .when(TeamCommand::Create {
            team_id,
            name: " Madrid ".into(),
        })
        .then_events([created.clone()]);
    given::<Team>([created.clone()])
        .when(TeamCommand::Create {
            team_id,
            name: "Sevilla".into(),
        })
        .then_error(DomainError::TeamAlreadyExists { team_id });
    given::<Team>([created])
        .when(TeamCommand::Rename {
            team_id,
            name: "Madrid".into(),
        })
        .then_nothing();
    given::<Team>([])
        .when(TeamCommand::Rename {
            team_id,
            name: "Madrid".into(),
        })
        .then_error(DomainError::TeamNotFound { team_id });
}
