use super::*;
use crate::testing::given;

fn acme() -> CompanyId {
    CompanyId::from_uuid(uuid::Uuid::from_u128(100))
}

fn details(name: &str) -> CompanyDetails {
    CompanyDetails {
        name: name.into(),
        tax_id: Some("B12345678".into()),
        ..CompanyDetails::default()
    }
}

fn create(name: &str) -> CompanyCommand {
    CompanyCommand::Create {
        company_id: acme(),
        details: details(name),
        tags: BTreeSet::new(),
        owner: None,
    }
}

fn created() -> Event {
    CompanyCreated {
        company_id: acme(),
        details: details("Acme"),
        tags: BTreeSet::new(),
        owner: None,
    }
    .into()
}

#[test]
fn creating_a_company_records_its_details() {
    given::<Company>([])
        .when(create("Acme"))
        .then_events([created()]);
}

#[test]
fn creating_a_company_twice_is_rejected() {
    given::<Company>([created()])
        .when(create("Acme"))
        .then_error_text("company 00000000-0000-0000-0000-000000000064 already exists");
}

#[test]
fn a_company_needs_a_name() {
    given::<Company>([])
        .when(create(" "))
        .then_error_text("a company needs a name, and the one given has no letters or digits");
}

#[test]
fn a_company_with_a_bad_email_is_rejected() {
    let mut d = details("Acme");
    d.emails.push("sales@acme".into());
    given::<Company>([])
        .when(CompanyCommand::Create {
            company_id: acme(),
            details: d,
            tags: BTreeSet::new(),
            owner: None,
        })
        .then_error_text("email \"sales@acme\" is not valid: the domain has no dot");
}

#[test]
fn editing_an_unknown_company_is_rejected() {
    given::<Company>([])
        .when(CompanyCommand::UpdateDetails {
            company_id: acme(),
            details: details("Acme"),
        })
        .then_error_text("company 00000000-0000-0000-0000-000000000064 does not exist");
}

#[test]
fn updating_details_records_them_unless_unchanged() {
    given::<Company>([created()])
        .when(CompanyCommand::UpdateDetails {
            company_id: acme(),
            details: details("Acme"),
        })
        .then_nothing();
    given::<Company>([created()])
        .when(CompanyCommand::UpdateDetails {
            company_id: acme(),
            details: details("Acme Iberia"),
        })
        .then_events([CompanyDetailsChanged {
            company_id: acme(),
            details: details("Acme Iberia"),
        }
        .into()]);
}

#[test]
fn tags_change_only_by_what_is_new() {
    let cmd = CompanyCommand::ChangeTags {
        company_id: acme(),
        add: ["b2b".into()].into(),
        remove: ["x".into()].into(),
    };
    given::<Company>([created()])
        .when(cmd)
        .then_events([CompanyTagsChanged {
            company_id: acme(),
            added: ["b2b".into()].into(),
            removed: BTreeSet::new(),
        }
        .into()]);
}

#[test]
fn owner_assignment_is_recorded_once() {
    let owner = Some(UserId::from_uuid(uuid::Uuid::from_u128(5)));
    let assigned: Event = CompanyOwnerAssigned {
        company_id: acme(),
        owner,
    }
    .into();
    given::<Company>([created()])
        .when(CompanyCommand::AssignOwner {
            company_id: acme(),
            owner,
        })
        .then_events([assigned.clone()]);
    given::<Company>([created(), assigned])
        .when(CompanyCommand::AssignOwner {
            company_id: acme(),
            owner,
        })
        .then_nothing();
}
