//! Imported lines that no command could have produced: each is refused by its line number with
//! the field and the reason, everything before it stays committed, and the store's replay,
//! export and verify keep working and complete.
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

mod support;

use crm::ids::{ContactId, DealId, EventId, OrderId};
use crm::log::{export, import, ImportError, ImportOptions, ImportReport};
use crm::{Crm, SledStore};
use futures::executor::block_on;
use serde_json::{json, Value};
use support::*;

fn first_of(lines: &[String], event_type: &str) -> Value {
    lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["event"]["type"] == event_type)
        .unwrap_or_else(|| panic!("the shop log has no {event_type}"))
}

/// `line` as the first event of a new stream of its own category, with a fresh event id.
fn in_new_stream(mut line: Value, category: &str, id_field: &str) -> Value {
    let id = uuid::Uuid::now_v7();
    line["id"] = json!(EventId::new());
    line["stream"] = json!(format!("{category}-{id}"));
    line["version"] = json!(1);
    line["event"]["data"][id_field] = json!(id);
    line
}

fn new_order(lines: &[String]) -> Value {
    in_new_stream(first_of(lines, "OrderPlaced"), "order", "order_id")
}

/// Imports `text` into a fresh sled store in `dir`.
fn import_into(
    dir: &std::path::Path,
    text: &[u8],
    options: ImportOptions,
) -> (
    SledStore,
    Result<ImportReport, ImportError>,
    Vec<(u64, String)>,
) {
    let store = SledStore::open(dir).unwrap();
    let mut rejected = Vec::new();
    let result = block_on(import(
        &store,
        text,
        options,
        |r| rejected.push((r.line, r.reason.to_owned())),
        |_| {},
    ));
    (store, result, rejected)
}

/// The store is whole: it verifies, replays into every projection, and exports `events` lines.
fn assert_whole(store: SledStore, events: usize) {
    let report = store.verify().unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.events, events as u64);
    let mut out = Vec::new();
    let exported = block_on(export(&store, &mut out, 0, 64)).unwrap();
    assert_eq!(exported, events as u64);
    let crm = block_on(Crm::open(store)).unwrap();
    assert_eq!(crm.projected_position(), events as u64);
}

/// Appends `bad` after the good log, imports, and checks that it stops at exactly that line
/// with a reason containing `expected`, having committed every good line.
fn refused_after_the_log(bad: &[u8], expected: &str) {
    let lines = shop::exported_lines();
    let mut text = lines.join("\n").into_bytes();
    text.push(b'\n');
    text.extend_from_slice(bad);
    let dir = tempfile::tempdir().unwrap();
    let (store, result, _) = import_into(dir.path(), &text, ImportOptions::default());
    match result {
        Err(ImportError::Invalid {
            line,
            reason,
            report,
        }) => {
            assert_eq!(line, lines.len() as u64 + 1, "{reason}");
            assert!(reason.contains(expected), "{reason:?} lacks {expected:?}");
            assert!(reason.len() < 1000, "a long reason: {} bytes", reason.len());
            assert_eq!(report.imported, lines.len() as u64);
        }
        other => panic!("expected the line to be refused, got {other:?}"),
    }
    assert_whole(store, lines.len());
}

fn refused(bad: Value, expected: &str) {
    refused_after_the_log(bad.to_string().as_bytes(), expected);
}

#[test]
fn a_stream_id_with_a_control_character_is_refused_and_the_store_stays_readable() {
    let lines = shop::exported_lines();
    let mut bad = first_of(&lines, "ContactCreated");
    let stream = bad["stream"].as_str().unwrap().to_owned();
    bad["stream"] = json!(format!("{stream}\u{1}"));
    bad["id"] = json!(EventId::new());
    refused(bad, "control character");
}

#[test]
fn a_huge_stream_id_is_refused_without_repeating_it() {
    let lines = shop::exported_lines();
    let mut bad = first_of(&lines, "ContactCreated");
    bad["stream"] = json!(format!("contact-{}", "x".repeat(100_000)));
    refused(bad, "invalid stream id");
}

#[test]
fn a_contact_created_in_a_deal_stream_or_another_contacts_is_refused() {
    let lines = shop::exported_lines();
    let mut in_deal = first_of(&lines, "ContactCreated");
    in_deal["id"] = json!(EventId::new());
    in_deal["stream"] = json!(crm::ids::StreamId::from(DealId::new()).to_string());
    in_deal["version"] = json!(1);
    refused(in_deal, "belongs in stream contact-");

    let mut in_other = first_of(&lines, "ContactCreated");
    in_other["id"] = json!(EventId::new());
    in_other["stream"] = json!(crm::ids::StreamId::from(ContactId::new()).to_string());
    in_other["version"] = json!(1);
    refused(in_other, "belongs in stream contact-");
}

#[test]
fn order_lines_out_of_bounds_are_refused() {
    let lines = shop::exported_lines();
    let mut huge = new_order(&lines);
    huge["event"]["data"]["lines"][0]["quantity"] = json!(3_000_000_000u64);
    refused(huge, "lines.quantity is 3000000000");

    let mut negative = new_order(&lines);
    negative["event"]["data"]["lines"][0]["unit_price"]["minor"] = json!(-500);
    refused(negative, "its price or tax is negative");

    let mut two_currencies = new_order(&lines);
    two_currencies["event"]["data"]["lines"][0]["unit_price"]["currency"] = json!("USD");
    refused(two_currencies, "is in USD, not EUR");

    let mut unknown_currency = new_order(&lines);
    for path in ["shipping", "total"] {
        unknown_currency["event"]["data"][path]["currency"] = json!("XYZ");
    }
    for line in unknown_currency["event"]["data"]["lines"]
        .as_array_mut()
        .unwrap()
    {
        line["unit_price"]["currency"] = json!("XYZ");
        line["tax"]["currency"] = json!("XYZ");
    }
    refused(unknown_currency, "not an ISO 4217 currency");

    let mut wrong_total = new_order(&lines);
    wrong_total["event"]["data"]["total"]["minor"] = json!(1);
    refused(wrong_total, "add up to");
}

#[test]
fn unknown_fields_anywhere_in_a_line_are_refused() {
    let lines = shop::exported_lines();
    let mut in_line = new_order(&lines);
    in_line["event"]["data"]["lines"][0]["colour"] = json!("red");
    refused(in_line, "unknown field `colour`");

    let mut in_money = new_order(&lines);
    in_money["event"]["data"]["total"]["cents"] = json!(1);
    refused(in_money, "unknown field `cents`");

    let mut in_order = new_order(&lines);
    in_order["event"]["data"]["coupon"] = json!("SUMMER");
    refused(in_order, "unknown field `coupon`");

    let mut in_metadata = new_order(&lines);
    in_metadata["metadata"]["ip"] = json!("127.0.0.1");
    refused(in_metadata, "unknown field `ip`");
}

#[test]
fn dates_outside_the_sane_range_are_refused() {
    let lines = shop::exported_lines();
    let mut late = new_order(&lines);
    late["occurred_at"] = json!("2500-01-01T00:00:00Z");
    refused(late, "occurred_at is 2500-01-01");

    let mut birthday = in_new_stream(first_of(&lines, "ContactCreated"), "contact", "contact_id");
    birthday["event"]["data"]["personal"]["birthday"] = json!("1066-10-14");
    refused(birthday, "personal.birthday is 1066-10-14");
}

#[test]
fn a_line_with_a_stored_events_place_but_other_content_is_a_conflict() {
    let lines = shop::exported_lines();
    let mut changed = first_of(&lines, "ContactCreated");
    changed["event"]["data"]["tags"] = json!(["rewritten"]);
    refused(changed, "conflict");
}

#[test]
fn a_line_that_is_not_utf8_is_refused_by_number() {
    refused_after_the_log(b"{\"id\": \"\xff\xfe\"}", "not UTF-8");
}

#[test]
fn every_line_before_a_non_utf8_one_is_committed() {
    let lines = shop::exported_lines();
    let cut = lines.len() / 2;
    let mut text = lines[..cut].join("\n").into_bytes();
    text.extend_from_slice(b"\n\xff\n");
    text.extend_from_slice(lines[cut..].join("\n").as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let (store, result, _) = import_into(dir.path(), &text, ImportOptions::default());
    match result {
        Err(ImportError::Invalid { line, report, .. }) => {
            assert_eq!(line, cut as u64 + 1);
            assert_eq!(report.imported, cut as u64);
        }
        other => panic!("{other:?}"),
    }
    assert_whole(store, cut);
}

#[test]
fn skip_invalid_sets_aside_bad_lines_of_every_kind_and_imports_the_rest() {
    let lines = shop::exported_lines();
    let mut text = lines.join("\n").into_bytes();
    let mut bad_order = new_order(&lines);
    bad_order["event"]["data"]["lines"][0]["quantity"] = json!(0);
    let too_long = format!("{{\"pad\": \"{}\"}}", "x".repeat(5000));
    for bad in [
        b"\xff\xfe not text".to_vec(),
        bad_order.to_string().into_bytes(),
        too_long.into_bytes(),
        b"{}".to_vec(),
    ] {
        text.push(b'\n');
        text.extend_from_slice(&bad);
    }
    let dir = tempfile::tempdir().unwrap();
    let options = ImportOptions {
        skip_invalid: true,
        max_line_bytes: 4096,
        ..ImportOptions::default()
    };
    let (store, result, rejected) = import_into(dir.path(), &text, options);
    let report = result.unwrap();
    assert_eq!(report.imported, lines.len() as u64);
    let numbers: Vec<u64> = rejected.iter().map(|(n, _)| *n).collect();
    let n = lines.len() as u64;
    assert_eq!(numbers, [n + 1, n + 2, n + 3, n + 4]);
    assert!(rejected[0].1.contains("not UTF-8"), "{}", rejected[0].1);
    assert!(
        rejected[1].1.contains("quantity is zero"),
        "{}",
        rejected[1].1
    );
    assert!(
        rejected[2].1.contains("over the limit"),
        "{}",
        rejected[2].1
    );
    assert_whole(store, lines.len());
}

#[test]
fn an_order_id_in_the_wrong_stream_is_refused() {
    let lines = shop::exported_lines();
    let mut bad = new_order(&lines);
    bad["event"]["data"]["order_id"] = json!(OrderId::new());
    refused(bad, "belongs in stream order-");
}

#[test]
fn the_largest_version_is_refused_not_overflowed() {
    let lines = shop::exported_lines();
    let mut bad = first_of(&lines, "ContactCreated");
    bad["id"] = json!(EventId::new());
    bad["version"] = json!(u64::MAX);
    refused(bad, "the next event must have version");
}

#[test]
fn a_payment_in_another_currency_than_its_order_is_refused() {
    let lines = shop::exported_lines();
    let payment = first_of(&lines, "PaymentReceived");
    let stream = payment["stream"].as_str().unwrap().to_owned();
    let last_version = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["stream"] == stream.as_str())
        .map(|v| v["version"].as_u64().unwrap())
        .max()
        .unwrap();
    let mut bad = payment;
    bad["id"] = json!(EventId::new());
    bad["version"] = json!(last_version + 1);
    bad["event"]["data"]["amount"]["currency"] = json!("USD");
    refused(bad, "is in EUR, not USD");
}

#[test]
fn a_user_granted_a_command_that_does_not_exist_or_an_unknown_role_is_refused() {
    let user_id = uuid::Uuid::now_v7();
    let line = |role: Value| {
        json!({
            "id": EventId::new(),
            "stream": format!("user-{user_id}"),
            "version": 1,
            "occurred_at": "2026-03-01T08:00:00Z",
            "metadata": {"actor": {"kind": "system"}},
            "event": {"type": "UserAdded", "v": 1, "data": {
                "user_id": user_id, "name": "Web shop", "email": "shop@example.com",
                "role": role, "team_id": null
            }}
        })
    };
    refused(
        line(json!({"integration": {"grants": ["order.place", "order.steal"]}})),
        "\"order.steal\" is not a command name an integration can be granted",
    );
    refused(line(json!("boss")), "unknown variant `boss`");
}
