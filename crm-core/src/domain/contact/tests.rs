use super::*;
use crate::domain::details::{DocumentKind, PersonName, Phone};
use crate::ids::DocumentId;
use crate::testing::given;

fn ana() -> ContactId {
    ContactId::from_uuid(uuid::Uuid::from_u128(1))
}

fn bea() -> ContactId {
    ContactId::from_uuid(uuid::Uuid::from_u128(2))
}

fn acme() -> CompanyId {
    CompanyId::from_uuid(uuid::Uuid::from_u128(100))
}

fn created(id: ContactId) -> Event {
    let create = CreateContact::new(id, "Ana", "García").email("ana@example.com");
    ContactCreated {
        contact_id: id,
        personal: create.personal.into(),
        tags: BTreeSet::new(),
        custom_fields: BTreeMap::new(),
        owner: None,
    }
    .into()
}

fn update(id: ContactId) -> UpdateContact {
    UpdateContact::new(id)
}

#[test]
fn creating_a_contact_records_its_data() {
    let cmd = CreateContact::new(ana(), "Ana", "García").email("ana@example.com");
    given::<Contact>([])
        .when(ContactCommand::Create(cmd))
        .then_events([created(ana())]);
}

#[test]
fn creating_a_contact_twice_is_rejected() {
    given::<Contact>([created(ana())])
        .when(ContactCommand::Create(CreateContact::new(
            ana(),
            "Ana",
            "G",
        )))
        .then_error_text("contact 00000000-0000-0000-0000-000000000001 already exists");
}

#[test]
fn a_blank_name_is_rejected() {
    given::<Contact>([])
        .when(ContactCommand::Create(CreateContact::new(ana(), "  ", "")))
        .then_error_text("a contact needs a name, and the one given has no letters or digits");
}

#[test]
fn a_malformed_email_is_rejected_with_the_reason() {
    given::<Contact>([])
        .when(ContactCommand::Create(
            CreateContact::new(ana(), "Ana", "").email("ana.example.com"),
        ))
        .then_error_text("email \"ana.example.com\" is not valid: it has no @");
}

#[test]
fn a_phone_without_digits_is_rejected() {
    given::<Contact>([])
        .when(ContactCommand::Create(
            CreateContact::new(ana(), "Ana", "").phone(Phone::new("ask reception")),
        ))
        .then_error_text("phone \"ask reception\" is not valid: it must have 1 to 15 digits");
}

#[test]
fn a_tax_id_without_letters_or_digits_is_rejected() {
    given::<Contact>([])
        .when(ContactCommand::Create(
            CreateContact::new(ana(), "Ana", "").tax_id("--"),
        ))
        .then_error_text("tax id \"--\" is not valid: it has no letters or digits");
}

#[test]
fn blank_tags_and_field_names_are_rejected() {
    given::<Contact>([])
        .when(ContactCommand::Create(
            CreateContact::new(ana(), "Ana", "").tag(" "),
        ))
        .then_error_text("tag \" \" is not valid: tags cannot be blank");
    let mut u = update(ana());
    u.set_fields.insert(String::new(), "x".into());
    given::<Contact>([created(ana())])
        .when(ContactCommand::Update(u))
        .then_error_text("custom field \"\" is not valid: field names cannot be blank");
}

#[test]
fn updating_an_unknown_contact_is_rejected() {
    given::<Contact>([])
        .when(ContactCommand::Update(update(ana())))
        .then_error(DomainError::ContactNotFound { contact_id: ana() });
}

#[test]
fn an_update_records_only_what_changed() {
    let mut u = update(ana());
    u.emails = Some(vec!["ana@example.com".into()]);
    u.add_tags.insert("vip".into());
    u.remove_tags.insert("absent".into());
    given::<Contact>([created(ana())])
        .when(ContactCommand::Update(u))
        .then_events([ContactTagsChanged {
            contact_id: ana(),
            added: ["vip".to_owned()].into(),
            removed: BTreeSet::new(),
        }
        .into()]);
}

#[test]
fn an_update_that_changes_nothing_records_nothing() {
    let mut u = update(ana());
    u.name = Some(PersonName::new("Ana", "García"));
    given::<Contact>([created(ana())])
        .when(ContactCommand::Update(u))
        .then_nothing();
}

#[test]
fn an_update_carries_the_whole_new_personal_data() {
    let mut u = update(ana());
    u.birthday = Some(chrono::NaiveDate::from_ymd_opt(1990, 4, 12));
    let given = given::<Contact>([created(ana())]);
    let mut expected = PersonalData::clone(&given.state().personal);
    expected.birthday = chrono::NaiveDate::from_ymd_opt(1990, 4, 12);
    given
        .when(ContactCommand::Update(u))
        .then_events([ContactPersonalDataChanged {
            contact_id: ana(),
            personal: expected.into(),
        }
        .into()]);
}

#[test]
fn an_update_that_blanks_the_name_is_rejected() {
    let mut u = update(ana());
    u.name = Some(PersonName::new("", ""));
    given::<Contact>([created(ana())])
        .when(ContactCommand::Update(u))
        .then_error(DomainError::EmptyName { what: "contact" });
}

#[test]
fn assigning_the_same_owner_again_records_nothing() {
    let owner = UserId::from_uuid(uuid::Uuid::from_u128(9));
    let assigned: Event = ContactOwnerAssigned {
        contact_id: ana(),
        owner: Some(owner),
    }
    .into();
    given::<Contact>([created(ana())])
        .when(ContactCommand::AssignOwner {
            contact_id: ana(),
            owner: Some(owner),
        })
        .then_events([assigned.clone()]);
    given::<Contact>([created(ana()), assigned])
        .when(ContactCommand::AssignOwner {
            contact_id: ana(),
            owner: Some(owner),
        })
        .then_nothing();
}

#[test]
fn linking_records_the_role_and_relinking_changes_it() {
    let linked: Event = ContactLinkedToCompany {
        contact_id: ana(),
        company_id: acme(),
        role: Role::Buyer,
    }
    .into();
    let link = |role| ContactCommand::LinkToCompany {
        contact_id: ana(),
        company_id: acme(),
        role,
    };
    given::<Contact>([created(ana())])
        .when(link(Role::Buyer))
        .then_events([linked.clone()]);
    given::<Contact>([created(ana()), linked.clone()])
        .when(link(Role::Buyer))
        .then_nothing();
    given::<Contact>([created(ana()), linked])
        .when(link(Role::Director))
        .then_events([ContactLinkedToCompany {
            contact_id: ana(),
            company_id: acme(),
            role: Role::Director,
        }
        .into()]);
}

#[test]
fn linking_names_the_company_as_a_requirement() {
    let cmd = ContactCommand::LinkToCompany {
        contact_id: ana(),
        company_id: acme(),
        role: Role::Lawyer,
    };
    assert_eq!(cmd.requirements(), [Requirement::CompanyExists(acme())]);
}

#[test]
fn unlinking_a_company_not_linked_is_rejected() {
    given::<Contact>([created(ana())])
        .when(ContactCommand::UnlinkFromCompany { contact_id: ana(), company_id: acme() })
        .then_error_text(
            "contact 00000000-0000-0000-0000-000000000001 is not linked to company 00000000-0000-0000-0000-000000000064",
        );
}

#[test]
fn attaching_a_document_is_idempotent_by_id() {
    let doc = DocumentRef {
        document_id: DocumentId::from_uuid(uuid::Uuid::from_u128(7)),
        kind: DocumentKind::Invoice,
        title: "Invoice 7".into(),
        uri: "s3://docs/7.pdf".into(),
    };
    let attached: Event = DocumentAttached {
        customer: CustomerId::Contact(ana()),
        document: doc.clone(),
    }
    .into();
    let attach = |document| ContactCommand::AttachDocument {
        contact_id: ana(),
        document,
    };
    given::<Contact>([created(ana())])
        .when(attach(doc.clone()))
        .then_events([attached.clone()]);
    given::<Contact>([created(ana()), attached.clone()])
        .when(attach(doc.clone()))
        .then_nothing();
    let changed = DocumentRef {
        title: "Other".into(),
        ..doc.clone()
    };
    given::<Contact>([created(ana()), attached])
        .when(attach(changed))
        .then_error(DomainError::DocumentConflict {
            document_id: doc.document_id,
        });
    let untitled = DocumentRef {
        title: " ".into(),
        ..doc
    };
    given::<Contact>([created(ana())])
        .when(attach(untitled))
        .then_error_text(
            "document 00000000-0000-0000-0000-000000000007 needs a title and a location",
        );
}

#[test]
fn consent_is_granted_and_withdrawn_once() {
    let grant = || ContactCommand::GrantConsent {
        contact_id: ana(),
        channel: ConsentChannel::Email,
        evidence: None,
    };
    let granted: Event = MarketingConsentGranted {
        contact_id: ana(),
        channel: ConsentChannel::Email,
        evidence: None,
    }
    .into();
    given::<Contact>([created(ana())])
        .when(grant())
        .then_events([granted.clone()]);
    given::<Contact>([created(ana()), granted.clone()])
        .when(grant())
        .then_nothing();
    given::<Contact>([created(ana()), granted])
        .when(ContactCommand::WithdrawConsent {
            contact_id: ana(),
            channel: ConsentChannel::Email,
        })
        .then_events([MarketingConsentWithdrawn {
            contact_id: ana(),
            channel: ConsentChannel::Email,
        }
        .into()]);
    given::<Contact>([created(ana())])
        .when(ContactCommand::WithdrawConsent {
            contact_id: ana(),
            channel: ConsentChannel::Sms,
        })
        .then_nothing();
}

#[test]
fn merging_a_contact_into_itself_is_rejected() {
    given::<Contact>([created(ana())])
        .when(ContactCommand::Merge {
            contact_id: ana(),
            survivor: ana(),
        })
        .then_error_text(
            "contact 00000000-0000-0000-0000-000000000001 cannot be merged into itself",
        );
}

#[test]
fn merging_records_the_survivor_and_requires_it_active() {
    let cmd = ContactCommand::Merge {
        contact_id: ana(),
        survivor: bea(),
    };
    assert_eq!(cmd.requirements(), [Requirement::ContactActive(bea())]);
    given::<Contact>([created(ana())])
        .when(cmd)
        .then_events([ContactMerged {
            contact_id: ana(),
            survivor: bea(),
        }
        .into()]);
}

#[test]
fn a_merged_contact_cannot_be_edited() {
    let merged: Event = ContactMerged {
        contact_id: ana(),
        survivor: bea(),
    }
    .into();
    given::<Contact>([created(ana()), merged])
        .when(ContactCommand::AssignOwner { contact_id: ana(), owner: None })
        .then_error_text(
            "contact 00000000-0000-0000-0000-000000000001 was merged into 00000000-0000-0000-0000-000000000002; \
             make changes on 00000000-0000-0000-0000-000000000002 instead",
        );
}

#[test]
fn evolve_folds_tags_fields_and_links() {
    let state = given::<Contact>([
        created(ana()),
        ContactTagsChanged {
            contact_id: ana(),
            added: ["a".into(), "b".into()].into(),
            removed: BTreeSet::new(),
        }
        .into(),
        ContactTagsChanged {
            contact_id: ana(),
            added: BTreeSet::new(),
            removed: ["a".into()].into(),
        }
        .into(),
        ContactCustomFieldsChanged {
            contact_id: ana(),
            set: [("k".into(), "v".into())].into(),
            removed: BTreeSet::new(),
        }
        .into(),
        ContactLinkedToCompany {
            contact_id: ana(),
            company_id: acme(),
            role: Role::Buyer,
        }
        .into(),
        ContactUnlinkedFromCompany {
            contact_id: ana(),
            company_id: acme(),
        }
        .into(),
    ]);
    let state = state.state();
    assert_eq!(state.tags, ["b".to_owned()].into());
    assert_eq!(state.custom_fields.get("k").map(String::as_str), Some("v"));
    assert!(state.companies.is_empty());
    assert!(state.is_active());
}

#[test]
fn the_first_touch_is_recorded_once() {
    use crate::domain::details::LeadSource;
    let record = |source| ContactCommand::RecordSource {
        contact_id: ana(),
        source,
        campaign: None,
        lead: true,
    };
    let recorded = ContactSourceRecorded {
        contact_id: ana(),
        source: LeadSource::Email,
        campaign: None,
        lead: true,
    };
    given::<Contact>([created(ana())])
        .when(record(LeadSource::Email))
        .then_events([recorded.clone().into()]);
    given::<Contact>([created(ana()), recorded.clone().into()])
        .when(record(LeadSource::Email))
        .then_nothing();
    given::<Contact>([created(ana()), recorded.into()])
        .when(record(LeadSource::Social))
        .then_error_text(&format!(
            "contact {} already has a different first-touch source",
            ana()
        ));
    let campaign = crate::ids::CampaignId::from_uuid(uuid::Uuid::from_u128(8));
    let with_campaign = ContactCommand::RecordSource {
        contact_id: ana(),
        source: LeadSource::PaidSearch,
        campaign: Some(campaign),
        lead: false,
    };
    assert_eq!(
        with_campaign.requirements(),
        [Requirement::CampaignExists(campaign)]
    );
}
