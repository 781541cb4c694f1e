//! Personal data is declared, not guessed: once an event's declared personal fields are
//! sealed, nothing that looks like a person's name, contact point, address, birthday or words
//! is left in its payload, for any event of any type. A new field of that kind added without
//! the `Personal` wrapper fails here, unless it is listed below as not a person's on purpose.
#![allow(clippy::unwrap_used)]

use crm::ids::{ContactId, CustomerId};
use crm::personal::Sealed;
use crm::testing::strategies;
use proptest::prelude::*;

/// Keys that name what identifies a person, or what a person wrote.
const PERSONAL_LOOKING: &[&str] = &[
    "name",
    "given",
    "family",
    "email",
    "emails",
    "phone",
    "phones",
    "number",
    "address",
    "addresses",
    "line1",
    "line2",
    "city",
    "postal_code",
    "region",
    "birthday",
    "tax_id",
    "subject",
    "summary",
    "comment",
    "note",
    "reason",
    "text",
    "message",
];

/// Such keys that are in clear on purpose, per event type: an organization's details (not a
/// person's), the shop's own staff directory, product and pipeline names, and what a manager
/// or the shop wrote about a deal, a task, an order or an erasure.
fn allowed(event_type: &str, key: &str) -> bool {
    let company = [
        "name",
        "legal_name",
        "emails",
        "phones",
        "number",
        "addresses",
        "line1",
        "line2",
        "city",
        "postal_code",
        "region",
        "tax_id",
    ];
    match event_type {
        "CompanyCreated" | "CompanyDetailsChanged" => company.contains(&key),
        "UserAdded" => ["name", "email"].contains(&key),
        "UserRenamed" | "TeamCreated" | "TeamRenamed" | "CampaignCreated" => key == "name",
        // A rule's name and its variants' tags: `message` (a template's name, not a person's
        // words), `birthday` (days before one, not a date), a report's `family`.
        "AutomationRuleDefined" => ["name", "message", "birthday", "family"].contains(&key),
        // A template's name and subject line: the shop's words, not a person's.
        "TemplateSaved" => ["name", "subject"].contains(&key),
        "PipelineDefined" | "PipelineStageAdded" | "PipelineStageRenamed" => key == "name",
        "OrderPlaced" => key == "name", // a line's product name
        "DealLost" => ["reason", "note"].contains(&key),
        "TaskCancelled" | "RefundIssued" | "OrderReturned" | "ContactErased" | "MessageSkipped" => {
            key == "reason"
        }
        "OrderCancelled" => ["reason", "note"].contains(&key), // a reason from a list
        // What a mail server said about a message to a user of the shop, not to a customer.
        "MessageFailed to staff" | "MessageBounced to staff" => key == "reason",
        _ => false,
    }
}

fn clear_personal_keys(
    event_type: &str,
    value: &serde_json::Value,
    path: &str,
    found: &mut Vec<String>,
) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let is_envelope = inner
                    .as_object()
                    .is_some_and(|o| o.len() == 1 && o.contains_key("sealed"));
                if is_envelope {
                    continue;
                }
                let here = format!("{path}.{key}");
                if PERSONAL_LOOKING.contains(&key.as_str()) && !allowed(event_type, key) {
                    found.push(here.clone());
                }
                clear_personal_keys(event_type, inner, &here, found);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                clear_personal_keys(event_type, item, path, found);
            }
        }
        _ => {}
    }
}

fn sealed_stand_in() -> Sealed {
    Sealed {
        subject: CustomerId::Contact(ContactId::from_uuid(uuid::Uuid::from_u128(1))),
        key: uuid::Uuid::from_u128(2),
        nonce: vec![0; 24],
        ciphertext: vec![0; 16],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if std::env::var_os("CI").is_some() { 512 } else { 2048 }))]

    #[test]
    fn once_sealed_no_event_carries_personal_data_in_clear(mut event in strategies::event()) {
        let subject = event.data_subject();
        let fields = event.personal_fields_mut();
        prop_assert_eq!(subject.is_some(), !fields.is_empty(), "a subject exactly when there is personal data");
        for (_, field) in fields {
            field.set_sealed(sealed_stand_in());
        }
        let json = serde_json::to_value(&event).unwrap();
        let mut found = Vec::new();
        let to_staff = json.pointer("/data/to/user").is_some();
        let kind = if to_staff { format!("{} to staff", event.type_name()) } else { event.type_name().to_owned() };
        clear_personal_keys(&kind, &json, "", &mut found);
        prop_assert!(found.is_empty(), "{} keeps {:?} in clear: {}", event.type_name(), found, json);
    }
}
