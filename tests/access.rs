//! Who may do what: every (role × command × owner) cell, denied commands write nothing,
//! viewers change nothing, managers see only their own, reports per manager and head.
#![allow(clippy::unwrap_used)] // Tests fail loudly.

mod support;

use std::sync::Arc;

use crm::access::{Role, Roles};
use crm::clock::ManualClock;
use crm::crypto::{Encrypted, Kek, MemoryKeys};
use crm::domain::contact::{ContactCommand, CreateContact, UpdateContact};
use crm::domain::interaction::{Channel, Direction, InteractionCommand, InteractionLogged};
use crm::domain::task::{ScheduleTask, TaskCommand, TaskKind};
use crm::domain::user::events::UserAdded;
use crm::domain::user::{TeamCommand, UserCommand};
use crm::event::Actor;
use crm::ids::{ContactId, CustomerId, InteractionId, TaskId, TeamId, UserId};
use crm::report::sales::{SalesBy, SalesReport};
use crm::report::{Bucket, Period};
use crm::store::EventStore;
use crm::{Command, Crm, CrmOptions, Error, MemoryStore};
use futures::executor::block_on;
use proptest::prelude::*;
use support::shop::place;
use support::{start, user};

const ADMIN: u128 = 1;
const HEAD: u128 = 2;
const MANAGER: u128 = 3;
const TEAMMATE: u128 = 4;
const OUTSIDER: u128 = 5;
const ACCOUNTANT: u128 = 6;
const VIEWER: u128 = 7;
const INTEGRATION: u128 = 8;
const GONE: u128 = 9;

fn team(n: u128) -> TeamId {
    TeamId::from_uuid(uuid::Uuid::from_u128(0x7ea0 + n))
}

fn as_user(n: u128) -> Actor {
    Actor::User { user_id: user(n) }
}

/// The shop's directory: everyone but the outsider in team 1, the outsider in team 2, and a
/// deactivated manager.
async fn directory(crm: &Crm<Shop>) {
    for n in [1, 2] {
        let create = TeamCommand::Create {
            team_id: team(n),
            name: format!("Team {n}"),
        };
        crm.execute(&Actor::System, create).await.unwrap();
    }
    let integration = Role::Integration {
        grants: ["order.place".to_owned(), "interaction.log".to_owned()].into(),
    };
    let people = [
        (ADMIN, "Ana", Role::Admin, 1),
        (HEAD, "Hugo", Role::HeadOfSales, 1),
        (MANAGER, "Marta", Role::Manager, 1),
        (TEAMMATE, "Tomás", Role::Manager, 1),
        (OUTSIDER, "Olga", Role::Manager, 2),
        (ACCOUNTANT, "Carla", Role::Accountant, 1),
        (VIEWER, "Víctor", Role::Viewer, 1),
        (INTEGRATION, "Web shop", integration, 1),
        (GONE, "Gonzalo", Role::Manager, 1),
    ];
    for (n, name, role, t) in people {
        let add = UserAdded {
            user_id: user(n),
            name: name.into(),
            email: format!("user{n}@shop.example"),
            role,
            team_id: Some(team(t)),
        };
        crm.execute(&Actor::System, UserCommand::Add(add))
            .await
            .unwrap();
    }
    let gone = UserCommand::Deactivate {
        user_id: user(GONE),
    };
    crm.execute(&Actor::System, gone).await.unwrap();
}

fn customer_of(owner: u128) -> ContactId {
    ContactId::from_uuid(uuid::Uuid::from_u128(0xc0 + owner))
}

/// The shop's store: a memory store that seals personal data, so people can be erased.
type Shop = Encrypted<MemoryStore>;

/// A CRM with the default rules, a stopped clock and counted ids.
fn rules() -> Crm<Shop> {
    let clock = ManualClock::new(start());
    let store = Encrypted::new(
        MemoryStore::with_clock(Arc::new(clock.clone())),
        Arc::new(MemoryKeys::new()),
        Arc::new(Kek::from_bytes(&[1; 32]).unwrap()),
    );
    support::deterministic(store, &clock, CrmOptions::default()).with_authorizer(Roles)
}

/// A store with the directory and one customer owned by each user.
fn shop() -> Crm<Shop> {
    let crm = rules();
    block_on(async {
        directory(&crm).await;
        for n in ADMIN..=GONE {
            let create =
                CreateContact::new(customer_of(n), "Client", &format!("of {n}")).owner(user(n));
            crm.execute(&Actor::System, ContactCommand::Create(create))
                .await
                .unwrap();
        }
    });
    crm
}

/// The command of `kind` by `actor` on the customer owned by `owner`.
fn command(kind: &str, actor: u128, owner: u128) -> Command {
    let customer = customer_of(owner);
    let cell = uuid::Uuid::from_u128((actor << 16) | owner);
    match kind {
        "contact.update" => {
            let mut update = UpdateContact::new(customer);
            update.add_tags.insert(format!("seen-by-{actor}"));
            ContactCommand::Update(update).into()
        }
        "contact.assign_owner" => ContactCommand::AssignOwner {
            contact_id: customer,
            owner: Some(user(actor)),
        }
        .into(),
        "contact.erase" => ContactCommand::Erase {
            contact_id: customer,
            reason: format!("request {cell}"),
        }
        .into(),
        "contact.merge" => ContactCommand::Merge {
            contact_id: customer,
            survivor: customer_of(if owner == ADMIN { HEAD } else { ADMIN }),
        }
        .into(),
        "order.place" => place(
            (actor << 16) | owner,
            CustomerId::Contact(customer),
            "chair",
            "furniture",
            1,
            10_000,
        )
        .into(),
        "interaction.log" => InteractionCommand::Log(InteractionLogged {
            interaction_id: InteractionId::from_uuid(cell),
            customer: CustomerId::Contact(customer),
            channel: Channel::Call,
            direction: Direction::Outbound,
            handled_by: Some(user(actor)),
            duration_seconds: None,
            subject: "Follow-up".into(),
            summary: None,
            outcome: None,
            source_message_id: None,
        })
        .into(),
        "task.schedule" => TaskCommand::Schedule(ScheduleTask {
            task_id: TaskId::from_uuid(cell),
            title: "Call back".into(),
            kind: TaskKind::Call,
            due: start(),
            assignee: user(owner),
            customer: Some(CustomerId::Contact(customer)),
            deal: None,
        })
        .into(),
        "user.rename" => UserCommand::Rename {
            user_id: user(owner),
            name: format!("Renamed by {actor}"),
        }
        .into(),
        other => panic!("no command {other}"),
    }
}

const KINDS: [&str; 8] = [
    "contact.update",
    "contact.assign_owner",
    "contact.merge",
    "contact.erase",
    "order.place",
    "interaction.log",
    "task.schedule",
    "user.rename",
];

/// Allowed (Y) or denied (n) on the actor's own customer, a teammate's, an outsider's.
#[rustfmt::skip]
const TABLE: &[(u128, &str, [&str; 8])] = &[
    //                              update assign merge  erase  order  log    task   user
    (ADMIN, "admin",               ["YYY", "YYY", "YYY", "YYY", "YYY", "YYY", "YYY", "YYY"]),
    (HEAD, "head of sales",        ["YYn", "YYn", "nnn", "nnn", "YYn", "YYn", "YYn", "nnn"]),
    (MANAGER, "manager",           ["Ynn", "Ynn", "nnn", "nnn", "Ynn", "Ynn", "Ynn", "nnn"]),
    (ACCOUNTANT, "accountant",     ["nnn", "nnn", "nnn", "nnn", "YYY", "nnn", "nnn", "nnn"]),
    (VIEWER, "viewer",             ["nnn", "nnn", "nnn", "nnn", "nnn", "nnn", "nnn", "nnn"]),
    (INTEGRATION, "integration",   ["nnn", "nnn", "nnn", "nnn", "YYY", "YYY", "nnn", "nnn"]),
    (GONE, "deactivated",          ["nnn", "nnn", "nnn", "nnn", "nnn", "nnn", "nnn", "nnn"]),
];

#[test]
fn every_role_command_and_owner_is_allowed_or_denied_as_the_table_says() {
    let mut checked = 0;
    for (actor, role, row) in TABLE {
        for (kind, expected) in KINDS.iter().zip(row) {
            let teammate = if *actor == MANAGER { TEAMMATE } else { MANAGER };
            for (owner, allowed) in [*actor, teammate, OUTSIDER]
                .into_iter()
                .zip(expected.chars())
            {
                let crm = shop();
                let before = crm.store().inner().len();
                let result = block_on(crm.execute(&as_user(*actor), command(kind, *actor, owner)));
                let cell = format!("{role} × {kind} × owner {owner}");
                match (allowed, result) {
                    ('Y', Ok(_)) => {}
                    ('n', Err(Error::Denied(denied))) => {
                        assert_eq!(denied.command, *kind, "{cell}");
                        assert!(!denied.rule.is_empty(), "{cell}");
                        assert_eq!(
                            crm.store().inner().len(),
                            before,
                            "{cell}: a denied command wrote"
                        );
                    }
                    (want, got) => panic!("{cell}: expected {want}, got {got:?}"),
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, TABLE.len() * KINDS.len() * 3);
}

#[test]
fn a_denied_command_names_the_actor_the_command_and_the_rule() {
    let crm = shop();
    let err = block_on(crm.execute(
        &as_user(MANAGER),
        command("contact.merge", MANAGER, MANAGER),
    ))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Marta (manager) may not contact.merge: only an admin merges customers"
    );
    let stranger = Actor::User {
        user_id: UserId::from_uuid(uuid::Uuid::from_u128(404)),
    };
    let err =
        block_on(crm.execute(&stranger, command("contact.update", 404, MANAGER))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "user 00000000-0000-0000-0000-000000000194 may not contact.update: only an active user \
         of the directory may act (add them with `crm users add`)"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn no_sequence_of_commands_by_a_viewer_changes_the_store(
        commands in crm::testing::events::every_command(6)
    ) {
        let crm = shop();
        let before = block_on(crm.store().read_all(1, usize::MAX)).unwrap();
        for command in commands {
            let result = block_on(crm.execute(&as_user(VIEWER), command));
            prop_assert!(!matches!(result, Ok(ref done) if done.wrote()), "{result:?}");
        }
        let after = block_on(crm.store().read_all(1, usize::MAX)).unwrap();
        prop_assert_eq!(before, after);
    }

    #[test]
    fn a_managers_queries_return_only_their_own_and_unowned_records(
        owners in proptest::collection::vec(prop_oneof![Just(None), (3u128..=5).prop_map(Some)], 1..12)
    ) {
        let crm = rules();
        block_on(directory(&crm));
        for (i, owner) in owners.iter().enumerate() {
            let id = ContactId::from_uuid(uuid::Uuid::from_u128(0xabc0 + i as u128));
            let mut create = CreateContact::new(id, "Sofía", &format!("Núñez {i}"));
            create.owner = owner.map(user);
            block_on(crm.execute(&Actor::System, ContactCommand::Create(create))).unwrap();
            let order = place(100 + i as u128, CustomerId::Contact(id), "desk", "furniture", 1, 20_000);
            block_on(crm.execute(&Actor::System, order)).unwrap();
        }
        let reader = block_on(crm.reader(&as_user(MANAGER))).unwrap();
        let visible = |owner: Option<UserId>| owner.is_none() || owner == Some(user(MANAGER));
        for hit in reader.views().search.find("nunez") {
            let owner = crm.query_unfiltered(|v| v.cards.owner(hit.customer));
            prop_assert!(visible(owner), "search showed a card owned by {owner:?}");
        }
        let expected = owners.iter().filter(|o| visible(o.map(user))).count();
        prop_assert_eq!(reader.views().search.find("nunez").len(), expected);
        for (customer, _) in reader.views().activity.customers() {
            let owner = crm.query_unfiltered(|v| v.cards.owner(*customer));
            prop_assert!(visible(owner));
        }
        let counted = reader.report_views().activity.orders().count();
        prop_assert_eq!(counted, owners.iter().filter(|o| **o == Some(MANAGER)).count());
    }
}

#[test]
fn sales_reports_cover_a_managers_customers_and_a_heads_team() {
    let crm = rules();
    block_on(async {
        directory(&crm).await;
        // Marta's customer buys two chairs at 100.00 (plus 21 % tax), Tomás's a
        // desk, Olga's (another team) a lamp, and an unowned walk-in a sofa.
        let orders = [
            (Some(MANAGER), 1, "chair", 2, 10_000),
            (Some(TEAMMATE), 2, "desk", 1, 30_000),
            (Some(OUTSIDER), 3, "lamp", 1, 5_000),
            (None, 4, "sofa", 1, 90_000),
        ];
        for (owner, n, product, quantity, unit) in orders {
            let id = ContactId::from_uuid(uuid::Uuid::from_u128(0xd0 + n));
            let mut create = CreateContact::new(id, "Cliente", &n.to_string());
            create.owner = owner.map(user);
            crm.execute(&Actor::System, ContactCommand::Create(create))
                .await
                .unwrap();
            let order = place(
                n,
                CustomerId::Contact(id),
                product,
                "furniture",
                quantity,
                unit,
            );
            crm.execute(&Actor::System, order).await.unwrap();
        }
    });
    let day = chrono::TimeDelta::days(1);
    let period = Period::new(start() - day, start() + day)
        .unwrap()
        .by(Bucket::Month);
    let revenue = |actor: u128| {
        let reader = block_on(crm.reader(&as_user(actor))).unwrap();
        let report =
            SalesReport::compute(&reader.report_views().activity, period, SalesBy::Category);
        let leaves = report
            .rows
            .iter()
            .filter(|r| r.bucket != "total" && r.group != "all");
        leaves.map(|r| r.booked.minor).sum::<i64>()
    };
    // Hand-computed booked value by category: lines plus their 21 % tax (shipping belongs to
    // no category).
    let chair = 2 * 10_000 + 4_200;
    let desk = 30_000 + 6_300;
    let lamp = 5_000 + 1_050;
    let sofa = 90_000 + 18_900;
    assert_eq!(revenue(MANAGER), chair);
    assert_eq!(revenue(TEAMMATE), desk);
    assert_eq!(revenue(HEAD), chair + desk);
    assert_eq!(revenue(ADMIN), chair + desk + lamp + sofa);
    assert_eq!(revenue(VIEWER), chair + desk + lamp + sofa);
    assert_eq!(revenue(INTEGRATION), 0);
}

#[test]
fn an_accountant_sees_orders_but_no_conversation() {
    let crm = shop();
    block_on(async {
        let customer = CustomerId::Contact(customer_of(MANAGER));
        crm.execute(
            &as_user(MANAGER),
            command("interaction.log", MANAGER, MANAGER),
        )
        .await
        .unwrap();
        crm.execute(
            &as_user(ACCOUNTANT),
            place(77, customer, "chair", "furniture", 1, 10_000),
        )
        .await
        .unwrap();
    });
    let reader = block_on(crm.reader(&as_user(ACCOUNTANT))).unwrap();
    let card = reader
        .views()
        .contact_card(customer_of(MANAGER), start())
        .unwrap();
    assert!(card.activity.interactions.is_empty());
    assert_eq!(card.activity.orders.len(), 1);
    let full = crm
        .query_unfiltered(|v| v.contact_card(customer_of(MANAGER), start()))
        .unwrap();
    assert_eq!(full.activity.interactions.len(), 1);
    insta::assert_snapshot!("card_seen_by_an_accountant", card.to_string());
}

/// Schedules a call for every new contact, granted `grant`.
struct Welcome(Vec<&'static str>);

impl crm::policy::Policy for Welcome {
    fn name(&self) -> &str {
        "welcome"
    }
    fn apply(&mut self, _: &crm::event::RecordedEvent) {}
    fn react(&self, event: &crm::event::RecordedEvent) -> Vec<Command> {
        let crm::event::Event::ContactCreated(created) = &event.event else {
            return Vec::new();
        };
        vec![TaskCommand::Schedule(ScheduleTask {
            task_id: TaskId::from_uuid(*event.id.as_uuid()),
            title: "Welcome call".into(),
            kind: TaskKind::Call,
            due: start(),
            assignee: user(MANAGER),
            customer: Some(CustomerId::Contact(created.contact_id)),
            deal: None,
        })
        .into()]
    }
    fn grant(&self) -> Vec<&'static str> {
        self.0.clone()
    }
}

#[test]
fn an_automation_acts_under_its_grant_and_a_refused_reaction_is_recorded_not_fatal() {
    for (grant, scheduled) in [(vec![], false), (vec!["task.schedule"], true)] {
        let crm = rules().with_policy(Welcome(grant));
        block_on(directory(&crm));
        let create = CreateContact::new(customer_of(MANAGER), "Eva", "Ruiz").owner(user(MANAGER));
        block_on(crm.execute(&as_user(MANAGER), ContactCommand::Create(create))).unwrap();
        assert_eq!(block_on(crm.react()).unwrap(), 0);
        let tasks = crm.query_unfiltered(|v| v.tasks.len());
        let failures = crm.policy_failures();
        if scheduled {
            assert_eq!((tasks, failures.len()), (1, 0), "{failures:?}");
        } else {
            assert_eq!(tasks, 0);
            assert_eq!(failures.len(), 1);
            assert_eq!(
                failures[0].error,
                "automation welcome may not task.schedule: an automation issues only the \
                 commands its policy is granted"
            );
        }
    }
}

#[test]
fn unowned_records_are_picked_up_and_assignments_stay_within_the_rules() {
    let crm = shop();
    let walk_in = ContactId::from_uuid(uuid::Uuid::from_u128(0xfee));
    let create = CreateContact::new(walk_in, "Walk", "In");
    block_on(crm.execute(&Actor::System, ContactCommand::Create(create))).unwrap();
    let assign = |actor: u128, contact_id: ContactId, owner: Option<u128>| {
        let command = ContactCommand::AssignOwner {
            contact_id,
            owner: owner.map(user),
        };
        block_on(crm.execute(&as_user(actor), command)).map(|done| done.wrote())
    };
    // A manager takes an unowned customer, may give it back, but not to a teammate.
    assert!(assign(MANAGER, walk_in, Some(MANAGER)).unwrap());
    assert!(matches!(
        assign(MANAGER, walk_in, Some(TEAMMATE)),
        Err(Error::Denied(_))
    ));
    assert!(assign(MANAGER, walk_in, None).unwrap());
    // The head reassigns between the team's members, never to another team.
    let of_teammate = customer_of(TEAMMATE);
    assert!(assign(HEAD, of_teammate, Some(MANAGER)).unwrap());
    let err = assign(HEAD, of_teammate, Some(OUTSIDER)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Hugo (head_of_sales) may not contact.assign_owner: a head of sales assigns only to \
         their team's members"
    );
}

#[test]
fn an_accountant_changes_company_details_but_not_their_tags() {
    use crm::domain::company::CompanyCommand;
    use crm::domain::details::CompanyDetails;
    let crm = shop();
    let company_id = support::company(1);
    block_on(crm.execute(&Actor::System, support::create_company(company_id, "Acme"))).unwrap();
    let details = CompanyDetails {
        name: "Acme".into(),
        tax_id: Some("B-12345678".into()),
        ..CompanyDetails::default()
    };
    let update = CompanyCommand::UpdateDetails {
        company_id,
        details,
    };
    assert!(block_on(crm.execute(&as_user(ACCOUNTANT), update))
        .unwrap()
        .wrote());
    let tags = CompanyCommand::ChangeTags {
        company_id,
        add: ["vip".to_owned()].into(),
        remove: Default::default(),
    };
    let before = crm.store().inner().len();
    assert!(matches!(
        block_on(crm.execute(&as_user(ACCOUNTANT), tags)),
        Err(Error::Denied(_))
    ));
    assert_eq!(crm.store().inner().len(), before);
}

#[test]
fn automations_are_set_up_by_an_admin_or_a_head_of_sales_only() {
    use crm::domain::automation::{builtin, AutomationCommand};
    let crm = shop();
    let define = || AutomationCommand::Define(builtin::survey_after_delivery());
    block_on(crm.execute(&as_user(HEAD), define())).unwrap();
    let enable = AutomationCommand::Enable {
        rule_id: builtin::survey_after_delivery().rule_id,
    };
    block_on(crm.execute(&as_user(ADMIN), enable)).unwrap();
    for who in [MANAGER, ACCOUNTANT, VIEWER] {
        let before = crm.store().inner().len();
        let disable = AutomationCommand::Disable {
            rule_id: builtin::survey_after_delivery().rule_id,
        };
        match block_on(crm.execute(&as_user(who), disable)) {
            Err(Error::Denied(denied)) => assert_eq!(denied.command, "automation.disable"),
            other => panic!("user {who}: expected a denial, got {other:?}"),
        }
        assert_eq!(crm.store().inner().len(), before);
    }
}
