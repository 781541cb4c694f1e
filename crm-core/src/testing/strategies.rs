//! Proptest strategies for commands and events, for property tests in this crate and in
//! yours.
//!
//! Commands draw their ids from small pools ([`contact_pool`], [`company_pool`]) so that a
//! random sequence creates, edits, links and merges the same few customers — and now and then
//! breaks a rule, so rejections are exercised too.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use proptest::collection::{btree_map, btree_set, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use crate::crm::Command;
use crate::domain::company::CompanyCommand;
use crate::domain::contact::events::*;
use crate::domain::contact::{ContactCommand, CreateContact, UpdateContact};
use crate::domain::details::*;
use crate::event::Event;
use crate::ids::{CompanyId, ContactId, CustomerId, DocumentId, UserId};
use crate::normalize::Country;

/// The contact ids commands draw from.
pub fn contact_pool() -> Vec<ContactId> {
    (1..=4u128)
        .map(|n| ContactId::from_uuid(uuid::Uuid::from_u128(n)))
        .collect()
}

/// The company ids commands draw from.
pub fn company_pool() -> Vec<CompanyId> {
    (101..=102u128)
        .map(|n| CompanyId::from_uuid(uuid::Uuid::from_u128(n)))
        .collect()
}

fn users() -> Vec<UserId> {
    (201..=202u128)
        .map(|n| UserId::from_uuid(uuid::Uuid::from_u128(n)))
        .collect()
}

/// A name; blank one time in twenty.
pub fn person_name() -> impl Strategy<Value = PersonName> {
    let given = select(vec!["Ana", "José", "Zoë", "Bruno", "María José", "li"]);
    let family = select(vec!["García", "Müller", "Ñúñez", "Silva", "O'Neil", ""]);
    prop_oneof![
        19 => (given, family).prop_map(|(g, f)| PersonName::new(g, f)),
        1 => Just(PersonName::new(" ", "")),
    ]
}

/// An email; malformed one time in twenty.
pub fn email() -> impl Strategy<Value = String> {
    prop_oneof![
        19 => (select(vec!["ana", "jose.g", "buyer", "INFO"]), select(vec!["example.com", "shop.es", "Mail.COM.br"]))
            .prop_map(|(local, domain)| format!("{local}@{domain}")),
        1 => select(vec!["no-at-sign", "a@b", "two@@x.com"]).prop_map(str::to_owned),
    ]
}

/// A phone in one of the ways people write them; digitless one time in twenty.
pub fn phone() -> impl Strategy<Value = Phone> {
    let country = option::of(
        select(vec!["ES", "BR", "GB"])
            .prop_map(|c| Country::new(c).unwrap_or_else(|e| panic!("{e}"))),
    );
    prop_oneof![
        19 => (select(vec!["+34 600-12-34-56", "600123456", "0034 611 22 33 44", "(11) 98765-4321", "07700 900123"]), country)
            .prop_map(|(n, c)| Phone { number: n.to_owned(), country: c }),
        1 => Just(Phone::new("n/a")),
    ]
}

fn address() -> impl Strategy<Value = Address> {
    (
        select(vec!["Calle Mayor 1", "Rua Augusta 200"]),
        select(vec!["Madrid", "São Paulo"]),
    )
        .prop_map(|(line1, city)| Address {
            line1: line1.to_owned(),
            city: city.to_owned(),
            ..Address::default()
        })
}

/// Personal data, sometimes invalid in one field.
pub fn personal_data() -> impl Strategy<Value = PersonalData> {
    (
        person_name(),
        vec(email(), 0..3),
        vec(phone(), 0..3),
        vec(address(), 0..2),
        option::of((1950..2005i32, 1..=12u32, 1..=28u32)),
        option::of(prop_oneof![9 => select(vec!["12345678Z", "b-1234 5678"]), 1 => Just("--")]),
    )
        .prop_map(
            |(name, emails, phones, addresses, birthday, tax_id)| PersonalData {
                name,
                emails,
                phones,
                addresses,
                birthday: birthday.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
                tax_id: tax_id.map(str::to_owned),
            },
        )
}

fn tags() -> impl Strategy<Value = BTreeSet<String>> {
    btree_set(
        select(vec!["vip", "wholesale", "b2b", "newsletter"]).prop_map(str::to_owned),
        0..3,
    )
}

fn fields() -> impl Strategy<Value = BTreeMap<String, String>> {
    btree_map(
        select(vec!["size", "segment"]).prop_map(str::to_owned),
        select(vec!["M", "L", "retail"]).prop_map(str::to_owned),
        0..2,
    )
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![
        Just(Role::Director),
        Just(Role::Accountant),
        Just(Role::Lawyer),
        Just(Role::Buyer),
        Just(Role::Other("logistics".into())),
    ]
}

fn document() -> impl Strategy<Value = DocumentRef> {
    (
        1..=3u128,
        select(vec!["Invoice 42", "Quote 7", ""]),
        prop_oneof![Just(DocumentKind::Invoice), Just(DocumentKind::Contract)],
    )
        .prop_map(|(n, title, kind)| DocumentRef {
            document_id: DocumentId::from_uuid(uuid::Uuid::from_u128(300 + n)),
            kind,
            title: title.to_owned(),
            uri: format!("s3://docs/{n}.pdf"),
        })
}

fn consent_channel() -> impl Strategy<Value = ConsentChannel> {
    select(vec![
        ConsentChannel::Email,
        ConsentChannel::Sms,
        ConsentChannel::Phone,
    ])
}

/// A contact command on the pool.
pub fn contact_command() -> impl Strategy<Value = ContactCommand> {
    let contact = select(contact_pool());
    let company = select(company_pool());
    let owner = option::of(select(users()));
    prop_oneof![
        3 => (contact.clone(), personal_data(), tags(), fields(), owner.clone()).prop_map(|(contact_id, personal, tags, custom_fields, owner)| {
            ContactCommand::Create(CreateContact { contact_id, personal, tags, custom_fields, owner })
        }),
        3 => (contact.clone(), option::of(person_name()), option::of(vec(email(), 0..2)), option::of(vec(phone(), 0..2)), tags(), tags(), fields())
            .prop_map(|(contact_id, name, emails, phones, add_tags, remove_tags, set_fields)| {
                ContactCommand::Update(UpdateContact { contact_id, name, emails, phones, add_tags, remove_tags, set_fields, ..UpdateContact::default() })
            }),
        1 => (contact.clone(), owner).prop_map(|(contact_id, owner)| ContactCommand::AssignOwner { contact_id, owner }),
        2 => (contact.clone(), company.clone(), role()).prop_map(|(contact_id, company_id, role)| ContactCommand::LinkToCompany { contact_id, company_id, role }),
        1 => (contact.clone(), company).prop_map(|(contact_id, company_id)| ContactCommand::UnlinkFromCompany { contact_id, company_id }),
        1 => (contact.clone(), document()).prop_map(|(contact_id, document)| ContactCommand::AttachDocument { contact_id, document }),
        1 => (contact.clone(), consent_channel()).prop_map(|(contact_id, channel)| ContactCommand::GrantConsent { contact_id, channel, evidence: Some("web form".into()) }),
        1 => (contact.clone(), consent_channel()).prop_map(|(contact_id, channel)| ContactCommand::WithdrawConsent { contact_id, channel }),
        1 => (contact.clone(), contact).prop_map(|(contact_id, survivor)| ContactCommand::Merge { contact_id, survivor }),
    ]
}

fn company_details() -> impl Strategy<Value = CompanyDetails> {
    (
        select(vec!["Acme S.L.", "Lojas Ótima", "Nordic Goods AB", " "]),
        option::of(select(vec!["B12345678", "12.345.678/0001-90"])),
        vec(email(), 0..2),
        vec(phone(), 0..2),
    )
        .prop_map(|(name, tax_id, emails, phones)| CompanyDetails {
            name: name.to_owned(),
            tax_id: tax_id.map(str::to_owned),
            emails,
            phones,
            ..CompanyDetails::default()
        })
}

/// A company command on the pool.
pub fn company_command() -> impl Strategy<Value = CompanyCommand> {
    let company = select(company_pool());
    prop_oneof![
        2 => (company.clone(), company_details(), tags(), option::of(select(users())))
            .prop_map(|(company_id, details, tags, owner)| CompanyCommand::Create { company_id, details, tags, owner }),
        2 => (company.clone(), company_details()).prop_map(|(company_id, details)| CompanyCommand::UpdateDetails { company_id, details }),
        1 => (company.clone(), tags(), tags()).prop_map(|(company_id, add, remove)| CompanyCommand::ChangeTags { company_id, add, remove }),
        1 => (company.clone(), option::of(select(users()))).prop_map(|(company_id, owner)| CompanyCommand::AssignOwner { company_id, owner }),
        1 => (company, document()).prop_map(|(company_id, document)| CompanyCommand::AttachDocument { company_id, document }),
    ]
}

/// Any command on the pools.
pub fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        3 => contact_command().prop_map(Command::Contact),
        1 => company_command().prop_map(Command::Company),
    ]
}

/// A sequence of commands: first an attempt to create every customer of the pools (some
/// with invalid data, so a few are rejected), then `1..max_len` random commands on them.
pub fn commands(max_len: usize) -> impl Strategy<Value = Vec<Command>> {
    let creates_contacts: Vec<_> = contact_pool()
        .into_iter()
        .map(|contact_id| {
            (personal_data(), tags()).prop_map(move |(personal, tags)| {
                Command::Contact(ContactCommand::Create(CreateContact {
                    contact_id,
                    personal,
                    tags,
                    ..CreateContact::default()
                }))
            })
        })
        .collect();
    let creates_companies: Vec<_> = company_pool()
        .into_iter()
        .map(|company_id| {
            company_details().prop_map(move |details| {
                Command::Company(CompanyCommand::Create {
                    company_id,
                    details,
                    tags: BTreeSet::new(),
                    owner: None,
                })
            })
        })
        .collect();
    (
        creates_companies,
        creates_contacts,
        vec(command(), 1..max_len),
    )
        .prop_map(|(companies, contacts, rest)| {
            companies.into_iter().chain(contacts).chain(rest).collect()
        })
}

/// Any event of any type, with payloads that need not pass validation: for wire-format
/// properties.
pub fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        1 => customer_event().boxed(),
        2 => super::events::other_event().boxed(),
    ]
}

/// Any event of a contact or a company.
pub fn customer_event() -> impl Strategy<Value = Event> {
    let contact = select(contact_pool());
    let company = select(company_pool());
    prop_oneof![
        (
            contact.clone(),
            personal_data(),
            tags(),
            fields(),
            option::of(select(users()))
        )
            .prop_map(|(contact_id, personal, tags, custom_fields, owner)| {
                ContactCreated {
                    contact_id,
                    personal: personal.into(),
                    tags,
                    custom_fields,
                    owner,
                }
                .into()
            }),
        (contact.clone(), personal_data()).prop_map(|(contact_id, personal)| {
            ContactPersonalDataChanged {
                contact_id,
                personal: personal.into(),
            }
            .into()
        }),
        (contact.clone(), tags(), tags()).prop_map(|(contact_id, added, removed)| {
            ContactTagsChanged {
                contact_id,
                added,
                removed,
            }
            .into()
        }),
        (contact.clone(), fields(), tags()).prop_map(|(contact_id, set, removed)| {
            ContactCustomFieldsChanged {
                contact_id,
                set,
                removed,
            }
            .into()
        }),
        (contact.clone(), option::of(select(users())))
            .prop_map(|(contact_id, owner)| ContactOwnerAssigned { contact_id, owner }.into()),
        (contact.clone(), company.clone(), role()).prop_map(|(contact_id, company_id, role)| {
            ContactLinkedToCompany {
                contact_id,
                company_id,
                role,
            }
            .into()
        }),
        (contact.clone(), company.clone()).prop_map(|(contact_id, company_id)| {
            ContactUnlinkedFromCompany {
                contact_id,
                company_id,
            }
            .into()
        }),
        (
            contact.clone(),
            consent_channel(),
            option::of(Just("form".to_owned()))
        )
            .prop_map(|(contact_id, channel, evidence)| MarketingConsentGranted {
                contact_id,
                channel,
                evidence
            }
            .into()),
        (contact.clone(), consent_channel()).prop_map(|(contact_id, channel)| {
            MarketingConsentWithdrawn {
                contact_id,
                channel,
            }
            .into()
        }),
        (contact.clone(), contact.clone()).prop_map(|(contact_id, survivor)| ContactMerged {
            contact_id,
            survivor
        }
        .into()),
        (contact, document()).prop_map(|(id, document)| DocumentAttached {
            customer: CustomerId::Contact(id),
            document
        }
        .into()),
        (company.clone(), company_details(), tags()).prop_map(|(company_id, details, tags)| {
            crate::domain::company::events::CompanyCreated {
                company_id,
                details,
                tags,
                owner: None,
            }
            .into()
        }),
        (company.clone(), company_details()).prop_map(|(company_id, details)| {
            crate::domain::company::events::CompanyDetailsChanged {
                company_id,
                details,
            }
            .into()
        }),
        (company.clone(), tags(), tags()).prop_map(|(company_id, added, removed)| {
            crate::domain::company::events::CompanyTagsChanged {
                company_id,
                added,
                removed,
            }
            .into()
        }),
        (company, option::of(select(users()))).prop_map(|(company_id, owner)| {
            crate::domain::company::events::CompanyOwnerAssigned { company_id, owner }.into()
        }),
    ]
}
