//! The index against the plainest model of it: every live contact's keys, searched by scanning
//! them all.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;
use crate::domain::contact::events::{ContactCreated, ContactErased, ContactPersonalDataChanged};
use crate::domain::details::{PersonName, Phone};

fn contact(n: u8) -> ContactId {
    ContactId::from_uuid(uuid::Uuid::from_u128(u128::from(n) + 1))
}

fn recorded(position: u64, event: Event) -> RecordedEvent {
    crate::testing::recorded(
        contact(0).into(),
        position,
        chrono::DateTime::UNIX_EPOCH,
        event,
    )
}

/// How the model reads one kind of key out of a contact's data.
type KeysOf = fn(&PersonalData) -> Vec<String>;

/// What happens to one of a few contacts: created or changed to this data, or erased.
#[derive(Debug, Clone)]
enum Step {
    Set(u8, PersonalData),
    Erase(u8),
}

/// Few words, emails and phones, so that contacts share them and lose them again.
fn personal() -> impl Strategy<Value = PersonalData> {
    let word = prop::sample::select(vec![
        "Ana", "ana", "Anabel", "José", "Jose", "García", "Li", "O'Neil",
    ]);
    let email = prop::sample::select(vec!["a@x.es", "A@X.es ", "b@x.es", "c@y.com"]);
    let phone = prop::sample::select(vec![
        "+34 600 111 222",
        "600111222",
        "0034600111222",
        "612 000 000",
    ]);
    (
        prop::collection::vec(word, 1..4),
        prop::collection::vec(email, 0..3),
        prop::collection::vec(phone, 0..3),
        prop::option::of(prop::sample::select(vec!["B-123", "b123", "X9"])),
    )
        .prop_map(|(words, emails, phones, tax_id)| PersonalData {
            name: PersonName {
                given: words[0].to_owned(),
                family: words[1..].join(" "),
            },
            emails: emails.into_iter().map(str::to_owned).collect(),
            phones: phones
                .into_iter()
                .map(|number| Phone {
                    number: number.to_owned(),
                    country: Country::new("ES").ok(),
                })
                .collect(),
            addresses: Vec::new(),
            birthday: None,
            tax_id: tax_id.map(str::to_owned),
        })
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        4 => (0u8..5, personal()).prop_map(|(n, p)| Step::Set(n, p)),
        1 => (0u8..5).prop_map(Step::Erase),
    ];
    prop::collection::vec(step, 1..30)
}

/// The model: each live contact's data, searched by looking at every one.
#[derive(Default)]
struct Model(BTreeMap<ContactId, PersonalData>);

impl Model {
    fn with(&self, keys: impl Fn(&PersonalData) -> Vec<String>, key: &str) -> BTreeSet<ContactId> {
        self.0
            .iter()
            .filter(|(_, p)| keys(p).iter().any(|k| k == key))
            .map(|(id, _)| *id)
            .collect()
    }

    fn named(&self, query: &str) -> BTreeSet<ContactId> {
        self.0
            .iter()
            .filter(|(_, p)| {
                let words = normalize::words(&p.name.full());
                normalize::words(query)
                    .iter()
                    .all(|q| words.iter().any(|w| w.starts_with(q.as_str())))
            })
            .map(|(id, _)| *id)
            .collect()
    }
}

fn emails(p: &PersonalData) -> Vec<String> {
    p.emails.iter().map(|e| normalize::email(e)).collect()
}

fn phones(p: &PersonalData) -> Vec<String> {
    p.phones
        .iter()
        .filter_map(|ph| normalize::phone(&ph.number, ph.country))
        .flat_map(|k| k.international.into_iter().chain(k.national))
        .collect()
}

fn found(hits: Vec<SearchHit>) -> BTreeSet<ContactId> {
    hits.into_iter()
        .filter_map(|h| match h.customer {
            CustomerId::Contact(c) => Some(c),
            CustomerId::Company(_) => None,
        })
        .collect()
}

fn play(steps: &[Step]) -> (SearchIndex, Model) {
    let mut index = SearchIndex::default();
    let mut model = Model::default();
    for (at, step) in steps.iter().enumerate() {
        let position = at as u64 + 1;
        let event: Event = match step {
            Step::Set(n, personal) if model.0.contains_key(&contact(*n)) => {
                ContactPersonalDataChanged {
                    contact_id: contact(*n),
                    personal: personal.clone().into(),
                }
                .into()
            }
            Step::Set(n, personal) => ContactCreated {
                contact_id: contact(*n),
                personal: personal.clone().into(),
                tags: BTreeSet::new(),
                custom_fields: BTreeMap::new(),
                owner: None,
            }
            .into(),
            Step::Erase(n) => ContactErased {
                contact_id: contact(*n),
                reason: "asked".into(),
            }
            .into(),
        };
        match step {
            Step::Set(n, personal) => {
                model.0.insert(contact(*n), personal.clone());
            }
            Step::Erase(n) => {
                model.0.remove(&contact(*n));
            }
        }
        index.apply(&recorded(position, event));
    }
    (index, model)
}

fn queries_agree(index: &SearchIndex, model: &Model) -> Result<(), TestCaseError> {
    for email in ["a@x.es", "B@x.es", "c@y.com", "nobody@x.es"] {
        prop_assert_eq!(
            found(index.by_email(email)),
            model.with(emails, &normalize::email(email)),
            "email {}",
            email
        );
    }
    for phone in [
        "+34600111222",
        "600 111 222",
        "612000000",
        "+34612000000",
        "999",
    ] {
        let expected: BTreeSet<ContactId> = normalize::phone(phone, index.default_country())
            .map(|keys| keys.keys().flat_map(|k| model.with(phones, k)).collect())
            .unwrap_or_default();
        prop_assert_eq!(found(index.by_phone(phone)), expected, "phone {}", phone);
    }
    for name in ["an", "ana", "jo", "josé gar", "o", "neil", "li", "zz"] {
        prop_assert_eq!(
            found(index.by_name(name)),
            model.named(name),
            "name {}",
            name
        );
    }
    for tax_id in ["b-123", "X9", "Y1"] {
        let tax = |p: &PersonalData| p.tax_id.iter().map(|t| normalize::tax_id(t)).collect();
        prop_assert_eq!(
            found(index.by_tax_id(tax_id)),
            model.with(tax, &normalize::tax_id(tax_id)),
            "tax id {}",
            tax_id
        );
    }
    let mut shared: BTreeMap<Vec<ContactId>, BTreeSet<MatchKey>> = BTreeMap::new();
    let kinds: [(KeysOf, KeyKind); 2] = [(emails, MatchKey::Email), (phones, MatchKey::Phone)];
    for (keys, reason) in kinds {
        let all: BTreeSet<String> = model.0.values().flat_map(keys).collect();
        for key in all {
            let holders: Vec<ContactId> = model.with(keys, &key).into_iter().collect();
            if holders.len() > 1 {
                shared.entry(holders).or_default().insert(reason(key));
            }
        }
    }
    let duplicates: BTreeMap<Vec<ContactId>, BTreeSet<MatchKey>> = index
        .duplicates()
        .into_iter()
        .map(|g| (g.contacts, g.reasons.into_iter().collect()))
        .collect();
    let tax_free: BTreeMap<Vec<ContactId>, BTreeSet<MatchKey>> = duplicates
        .into_iter()
        .map(|(c, r)| {
            (
                c,
                r.into_iter()
                    .filter(|r| !matches!(r, MatchKey::TaxId(_)))
                    .collect::<BTreeSet<_>>(),
            )
        })
        .filter(|(_, r)| !r.is_empty())
        .collect();
    let expected: BTreeMap<Vec<ContactId>, BTreeSet<MatchKey>> = shared
        .into_iter()
        .map(|(c, r)| (c, without_national_echoes(r).into_iter().collect()))
        .collect();
    prop_assert_eq!(tax_free, expected);
    Ok(())
}

proptest! {
    #[test]
    fn answers_as_a_scan_of_every_contact_would(steps in steps()) {
        let (index, model) = play(&steps);
        queries_agree(&index, &model)?;
    }

    #[test]
    fn a_snapshot_read_back_is_the_same_index(steps in steps()) {
        let (index, model) = play(&steps);
        let bytes = rmp_serde::to_vec_named(&index).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: SearchIndex = rmp_serde::from_slice(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &index);
        queries_agree(&back, &model)?;
    }
}

#[test]
fn keys_compare_by_what_they_hold_not_how_they_were_written() {
    let person = |emails: &[&str]| PersonalData {
        name: PersonName::new("Ana", "Ana García"),
        emails: emails.iter().map(|e| (*e).to_owned()).collect(),
        phones: Vec::new(),
        addresses: Vec::new(),
        birthday: None,
        tax_id: None,
    };
    let keys = |p: &PersonalData| Keys::of_person(p, &p.name.full());
    let one = keys(&person(&["b@x.es", "A@x.es"]));
    let other = keys(&person(&["a@x.es", "b@x.es", "B@X.ES"]));
    assert_eq!(one, other);
    let words: Vec<&str> = one.of_kind(Kind::Word).map(|(_, w)| w).collect();
    assert_eq!(words.len(), 2, "ana once, garcia once: {words:?}");
    assert!(one.contains(Kind::Word, "garcia") && !one.contains(Kind::Word, "garc"));
    assert_ne!(one, keys(&person(&["a@x.es"])));
}
