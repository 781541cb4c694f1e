//! Destroyed means unrecoverable, on disk: after a person is erased from a sled store and the
//! store is closed, no byte of any file in its directory holds their name, email, phone,
//! addresses or data key.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use crm::crypto::{Encrypted, FileKeys, Kek};
use crm::domain::contact::{ContactCommand, CreateContact};
use crm::domain::details::{Address, Phone};
use crm::event::Actor;
use crm::ids::CustomerId;
use crm::{Crm, CrmOptions, SledStore};
use support::{contact, shop, start};

const NAME: (&str, &str) = ("Wiremu", "Pfeffernüsse-Quixote");
const EMAIL: &str = "wiremu.quixote@shred.example";
const PHONE: &str = "+34 611 222 333";
const HOME: &str = "Calle del Olvido 13";
const DELIVERY: &str = "Avenida Desaparecida 7";

fn open(dir: &Path) -> Crm<Encrypted<SledStore>> {
    let store = Encrypted::new(
        SledStore::open(dir).unwrap(),
        Arc::new(FileKeys::open(dir.join("keys")).unwrap()),
        Arc::new(Kek::load_or_create(&dir.join("kek")).unwrap()),
    );
    let clock = crm::clock::ManualClock::new(start());
    support::deterministic(store, &clock, CrmOptions::default())
}

/// Every file under `dir`, with its bytes.
fn files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn an_erased_persons_data_and_key_are_in_no_file_of_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let wiremu = contact(9);
    let customer = CustomerId::Contact(wiremu);
    let key = {
        let crm = open(dir.path());
        let create = CreateContact::new(wiremu, NAME.0, NAME.1)
            .email(EMAIL)
            .phone(Phone::new(PHONE))
            .address(Address {
                line1: HOME.into(),
                city: "Madrid".into(),
                ..Address::default()
            });
        crm.execute(&Actor::System, ContactCommand::Create(create))
            .await
            .unwrap();
        let mut order = shop::place(9, customer, "sofa-grey", "sofas", 1, 40_000);
        if let crm::domain::order::OrderCommand::Place(place) = &mut order {
            place.shipping_address = Address {
                line1: DELIVERY.into(),
                city: "Madrid".into(),
                ..Address::default()
            }
            .into();
        }
        crm.execute(&Actor::System, order).await.unwrap();
        for step in shop::fulfil(9, 48_895).into_iter().take(5) {
            crm.execute(&Actor::System, step).await.unwrap();
        }
        let keys = crm.store().export_keys().await.unwrap();
        let (_, id, key) = keys.into_iter().find(|(s, _, _)| *s == customer).unwrap();
        // As the key file holds it: wrapped, on the line that names its id.
        let file = std::fs::read_to_string(dir.path().join("keys")).unwrap();
        let line = file.lines().find(|l| l.contains(&id.to_string())).unwrap();
        let wrapped: serde_json::Value = serde_json::from_str(line).unwrap();
        let wrapped = wrapped["wrapped"].as_str().unwrap().to_owned();
        let erase = ContactCommand::Erase {
            contact_id: wiremu,
            reason: "asked on 2026-03-09, ticket 17".into(),
        };
        crm.execute(&Actor::System, erase).await.unwrap();
        crm.store().inner().flush().unwrap();
        (key, wrapped)
    };
    let (key, wrapped) = key;

    let encoded = base64::engine::general_purpose::STANDARD.encode(&key);
    let needles: Vec<(&str, Vec<u8>)> = vec![
        ("given name", NAME.0.as_bytes().to_vec()),
        ("family name", NAME.1.as_bytes().to_vec()),
        ("email", EMAIL.as_bytes().to_vec()),
        ("phone", PHONE.as_bytes().to_vec()),
        ("phone digits", b"611222333".to_vec()),
        ("home address", HOME.as_bytes().to_vec()),
        ("delivery address", DELIVERY.as_bytes().to_vec()),
        ("data key", key.clone()),
        ("data key in base64", encoded.into_bytes()),
        ("wrapped data key", wrapped.into_bytes()),
    ];
    let all = files(dir.path());
    assert!(
        all.len() >= 4,
        "the sled files, the keys and the key-encryption key"
    );
    for (path, bytes) in &all {
        for (what, needle) in &needles {
            assert!(
                !contains(bytes, needle),
                "the {what} is still in {}",
                path.display()
            );
        }
    }

    // Reopened, the store reads: the person is erased, the order is there.
    let crm = open(dir.path());
    crm.catch_up().await.unwrap();
    let card = crm
        .query_unfiltered(|v| v.contact_card(wiremu, start()))
        .unwrap();
    assert!(card.erased.is_some());
    assert_eq!(card.activity.orders.len(), 1);
}
