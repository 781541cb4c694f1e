//! The JSONL interchange format: export, import, resuming after a bad line, idempotency.
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

mod support;

use crm::log::{export, import, ImportError, ImportOptions, LogLine};
use crm::store::EventStore;
use crm::MemoryStore;
use futures::executor::block_on;
use support::*;

/// The shop's history as JSONL.
fn shop_log() -> (String, usize) {
    let (crm, clock) = fresh();
    block_on(shop::history(&crm, &clock));
    let mut out = Vec::new();
    let n = block_on(export(crm.store(), &mut out, 0, 7)).unwrap();
    (String::from_utf8(out).unwrap(), n as usize)
}

fn lines_of(store: &MemoryStore) -> Vec<LogLine> {
    let mut out = Vec::new();
    block_on(export(store, &mut out, 0, 100)).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            let mut line: LogLine = serde_json::from_str(l).unwrap();
            line.recorded_at = None; // the importing store's own time
            line
        })
        .collect()
}

fn import_all(
    store: &MemoryStore,
    text: &str,
    options: ImportOptions,
) -> Result<crm::log::ImportReport, ImportError> {
    block_on(import(store, text.as_bytes(), options, |_| {}, |_| {}))
}

#[test]
fn export_then_import_gives_the_same_log() {
    let (text, n) = shop_log();
    let source = MemoryStore::new();
    import_all(&source, &text, ImportOptions::default()).unwrap();
    let copy = MemoryStore::new();
    let report = import_all(
        &copy,
        &text,
        ImportOptions {
            batch: 3,
            ..ImportOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        (report.lines, report.imported, report.already_present),
        (n as u64, n as u64, 0)
    );
    assert_eq!(lines_of(&copy), lines_of(&source));
    assert_eq!(lines_of(&copy).len(), n);
}

#[test]
fn importing_the_same_file_twice_changes_nothing() {
    let (text, n) = shop_log();
    let store = MemoryStore::new();
    import_all(&store, &text, ImportOptions::default()).unwrap();
    let again = import_all(
        &store,
        &text,
        ImportOptions {
            batch: 5,
            ..ImportOptions::default()
        },
    )
    .unwrap();
    assert_eq!((again.imported, again.already_present), (0, n as u64));
    assert_eq!(block_on(store.head_position()).unwrap(), n as u64);
}

#[test]
fn a_bad_line_stops_the_import_there_and_the_fixed_file_completes_it() {
    let (text, n) = shop_log();
    let mut lines: Vec<&str> = text.lines().collect();
    let good = lines[20].to_owned();
    lines[20] = r#"{"id": "not a uuid"}"#;
    let broken = lines.join("\n");
    let store = MemoryStore::new();
    let err = import_all(
        &store,
        &broken,
        ImportOptions {
            batch: 4,
            ..ImportOptions::default()
        },
    )
    .unwrap_err();
    let ImportError::Invalid { line, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(*line, 21);
    assert!(err.to_string().starts_with("line 21: "), "{err}");
    assert!(
        err.to_string()
            .contains("Everything before line 21 is imported"),
        "{err}"
    );
    assert_eq!(
        block_on(store.head_position()).unwrap(),
        20,
        "the 20 lines before it"
    );
    lines[20] = &good;
    let fixed = lines.join("\n");
    let report = import_all(
        &store,
        &fixed,
        ImportOptions {
            batch: 3,
            ..ImportOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        (report.imported, report.already_present),
        (n as u64 - 20, 20)
    );
    assert_eq!(
        block_on(store.head_position()).unwrap(),
        n as u64,
        "no duplicates"
    );
}

#[test]
fn skip_invalid_sets_lines_aside_and_goes_on() {
    let (text, n) = shop_log();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.insert(5, "this is not json".into());
    // A line whose stream version leaves a gap: version 99 of the first event's stream.
    let mut gap: LogLine = serde_json::from_str(&lines[0]).unwrap();
    gap.version = 99;
    gap.id = crm::ids::EventId::new();
    lines.push(serde_json::to_string(&gap).unwrap());
    let store = MemoryStore::new();
    let mut rejected = Vec::new();
    let report = block_on(import(
        &store,
        lines.join("\n").as_bytes(),
        ImportOptions {
            batch: 10,
            skip_invalid: true,
            ..ImportOptions::default()
        },
        |r| rejected.push((r.line, r.reason.to_owned())),
        |_| {},
    ))
    .unwrap();
    assert_eq!((report.imported, report.rejected), (n as u64, 2));
    assert_eq!(rejected[0].0, 6);
    assert!(
        rejected[0].1.contains("expected ident"),
        "{}",
        rejected[0].1
    );
    assert_eq!(rejected[1].0, n as u64 + 2);
    assert!(
        rejected[1]
            .1
            .contains("so the next event must have version"),
        "{}",
        rejected[1].1
    );
}

/// A log written before `OrderCancelled` v2: one cancellation with a reason outside the list
/// (`{"other": "…"}`), one with a listed reason.
const V1_LOG: &str = include_str!("fixtures/log-v1-order-cancelled.jsonl");

#[test]
fn a_log_in_an_older_schema_version_loads_and_replays_to_the_right_state() {
    use crm::domain::order::terms::CancelReason;
    use crm::domain::order::{Fulfillment, Order};
    use crm::event::Event;
    assert!(V1_LOG.contains(r#""type":"OrderCancelled","v":1"#));
    let store = MemoryStore::new();
    let report = import_all(&store, V1_LOG, ImportOptions::default()).unwrap();
    assert_eq!(report.imported, 5);
    let cancelled: Vec<(CancelReason, Option<String>)> = block_on(store.read_all(0, 100))
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.event {
            Event::OrderCancelled(c) => Some((c.reason, c.note)),
            _ => None,
        })
        .collect();
    assert_eq!(
        cancelled,
        [
            (
                CancelReason::Other,
                Some("the address does not exist".to_owned())
            ),
            (CancelReason::Customer, None),
        ]
    );
    // Replayed through the aggregate and the projections, both orders are cancelled.
    let crm = block_on(crm::Crm::open(store)).unwrap();
    for n in [1, 2] {
        let (order, _) = block_on(crm.load::<Order>(shop::order(n))).unwrap();
        assert_eq!(order.fulfillment, Fulfillment::Cancelled);
        let summary = crm
            .query_unfiltered(|v| v.activity.order(shop::order(n)).cloned())
            .unwrap();
        assert_eq!(summary.fulfillment, Fulfillment::Cancelled);
    }
    // Exported again, the log is in the current version.
    let mut out = Vec::new();
    block_on(export(crm.store(), &mut out, 0, 100)).unwrap();
    assert!(String::from_utf8(out)
        .unwrap()
        .contains(r#""type":"OrderCancelled","v":2"#));
}

#[test]
fn the_documented_example_of_every_event_type_parses() {
    let doc = include_str!("../docs/event-log.md");
    let block = doc
        .split("## One example line of every event type")
        .nth(1)
        .and_then(|rest| rest.split("```jsonl\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the examples section of docs/event-log.md");
    let mut documented = std::collections::BTreeSet::new();
    for (n, line) in block.lines().enumerate() {
        let parsed: LogLine = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("example {} does not parse: {e}\n{line}", n + 1));
        documented.insert((parsed.event.type_name(), parsed.event.schema_version()));
    }
    for (name, v) in crm::event::Event::TYPES {
        assert!(
            documented.contains(&(*name, *v)),
            "docs/event-log.md has no example of {name} v{v}"
        );
    }
}
