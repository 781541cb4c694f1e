//! Invariants over random command sequences (proptest).
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

mod support;

use crm::event::{Event, RecordedEvent};
use crm::projection::{Tracked, Views};
use crm::store::EventStore;
use crm::testing::strategies;
use crm::{Crm, MemoryStore};
use futures::executor::block_on;
use proptest::prelude::*;
use support::*;

/// Runs `commands`, checking after each that a rejection wrote nothing; returns the CRM.
fn run(commands: Vec<crm::Command>) -> Result<Crm<MemoryStore>, TestCaseError> {
    let (crm, clock) = fresh();
    block_on(async {
        for command in commands {
            clock.advance(chrono::TimeDelta::minutes(7));
            let head = crm.store().head_position().await.unwrap();
            match crm.execute(&manager(), command.clone()).await {
                Ok(done) => {
                    // The command's events, then whatever policies did in reaction to them.
                    let written = crm.store().read_all(head + 1, usize::MAX).await.unwrap();
                    let (own, reactions) = written.split_at(done.events.len().min(written.len()));
                    let own: Vec<&Event> = own.iter().map(|e| &e.event).collect();
                    prop_assert_eq!(own, done.events.iter().collect::<Vec<_>>(), "{:?}", command);
                    prop_assert!(
                        reactions.iter().all(|e| matches!(
                            e.metadata.actor,
                            crm::event::Actor::Automation { .. }
                        )),
                        "{:?} wrote more than its events and reactions",
                        command
                    );
                }
                Err(crm::Error::Domain(_)) => {
                    prop_assert_eq!(
                        crm.store().head_position().await.unwrap(),
                        head,
                        "rejected {:?} wrote",
                        command
                    );
                }
                Err(other) => return Err(TestCaseError::fail(format!("{command:?}: {other}"))),
            }
        }
        Ok(crm)
    })
}

/// The views fed `log` in batches of the sizes in `cuts` (cycled), each batch overlapping the
/// previous one by an event: redelivery must change nothing.
fn in_pieces(log: &[RecordedEvent], cuts: &[usize]) -> Tracked<Views> {
    let mut pieces = Tracked::new(Views::default());
    let mut start = 0;
    for cut in cuts.iter().cycle() {
        if start >= log.len() {
            break;
        }
        let end = (start + cut).min(log.len());
        pieces.apply_batch(&log[start.saturating_sub(1)..end]);
        start = end;
    }
    pieces
}

fn queries() -> [&'static str; 7] {
    [
        "ana",
        "jose garcia",
        "600123456",
        "+34 600-12-34-56",
        "b12345678",
        "ana@example.com",
        "acme",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if std::env::var_os("CI").is_some() { 64 } else { 256 }))]

    #[test]
    fn replay_from_zero_equals_the_incremental_views(commands in strategies::commands(40)) {
        let crm = run(commands)?;
        let rebuilt = block_on(Crm::open(crm.store().clone())).unwrap();
        let live = crm.query_unfiltered(|v| v.clone());
        prop_assert_eq!(&rebuilt.query_unfiltered(|v| v.clone()), &live);
        for q in queries() {
            prop_assert_eq!(rebuilt.query_unfiltered(|v| v.search.find(q)), crm.query_unfiltered(|v| v.search.find(q)));
        }
    }

    #[test]
    fn catching_up_in_any_batches_equals_one_pass(commands in strategies::commands(30), cuts in proptest::collection::vec(1usize..6, 1..10)) {
        let crm = run(commands)?;
        let log: Vec<RecordedEvent> = block_on(crm.store().read_all(0, usize::MAX)).unwrap();
        let mut whole = Tracked::new(Views::default());
        whole.apply_batch(&log);
        prop_assert_eq!(in_pieces(&log, &cuts), whole);
    }

    #[test]
    fn every_event_round_trips_through_its_wire_form(event in strategies::event()) {
        let json = serde_json::to_string(&event).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &event);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(value["type"].as_str(), Some(event.type_name()));
        prop_assert_eq!(value["v"].as_u64(), Some(u64::from(event.schema_version())));
    }

    #[test]
    fn every_recorded_event_round_trips(commands in strategies::commands(15)) {
        let crm = run(commands)?;
        for recorded in block_on(crm.store().read_all(0, usize::MAX)).unwrap() {
            let json = serde_json::to_string(&recorded).unwrap();
            let back: RecordedEvent = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, recorded);
        }
    }

    #[test]
    fn versions_are_contiguous_and_positions_increase(commands in strategies::commands(30)) {
        let crm = run(commands)?;
        let log = block_on(crm.store().read_all(0, usize::MAX)).unwrap();
        prop_assert!(log.windows(2).all(|w| w[0].position < w[1].position));
        let mut versions = std::collections::HashMap::new();
        for e in &log {
            let v = versions.entry(e.stream.clone()).or_insert(0u64);
            *v += 1;
            prop_assert_eq!(e.version, *v, "stream {}", e.stream);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        max_global_rejects: 20_000,
        ..ProptestConfig::with_cases(if std::env::var_os("CI").is_some() { 256 } else { 1024 })
    })]

    /// Bad input gets an error, never a panic: damaged wire forms, whatever the damage.
    #[test]
    fn damaged_event_json_is_an_error_not_a_panic(
        event in strategies::event(),
        cut in 0usize..400,
        noise in "[\\PC]{0,8}",
    ) {
        let json = serde_json::to_string(&event).unwrap();
        let cut = cut.min(json.len());
        let mut damaged: String = json.chars().take(cut).collect();
        damaged.push_str(&noise);
        damaged.extend(json.chars().skip(cut + noise.chars().count()));
        let _ = serde_json::from_str::<Event>(&damaged);
        let _ = serde_json::from_str::<RecordedEvent>(&damaged);
    }

    /// Whatever a person types into a form, deciding on it never panics, and whatever is
    /// accepted can be found again.
    #[test]
    fn any_typed_text_is_decided_without_panicking(
        given in "\\PC{0,12}",
        family in "\\PC{0,12}",
        email in prop_oneof![1 => "\\PC{0,20}", 4 => "[a-zA-Z0-9._%+-]{1,10}@[a-zA-Z0-9-]{1,8}\\.[a-z]{2,4}"],
        phone in prop_oneof![1 => "\\PC{0,20}", 4 => "[+]?[0-9 ().-]{1,15}[0-9]"],
        tax_id in prop_oneof![1 => "\\PC{0,12}", 4 => "[A-Za-z0-9 .-]{1,12}[0-9]"],
    ) {
        use crm::domain::contact::{ContactCommand, CreateContact};
        use crm::domain::details::Phone;
        let (crm, _) = fresh();
        let create = CreateContact::new(contact(1), &given, &family)
            .email(&email)
            .phone(Phone::new(phone.clone()))
            .tax_id(&tax_id);
        let accepted = block_on(crm.execute(&manager(), ContactCommand::Create(create))).is_ok();
        prop_assume!(accepted, "rejected input is covered by the other properties");
        {
            let found = |hits: Vec<crm::projection::SearchHit>| hits.iter().any(|h| h.customer == contact(1).into());
            prop_assert!(found(crm.query_unfiltered(|v| v.search.by_email(&email))), "email {:?}", email);
            prop_assert!(found(crm.query_unfiltered(|v| v.search.by_phone(&phone))), "phone {:?}", phone);
            prop_assert!(found(crm.query_unfiltered(|v| v.search.by_tax_id(&tax_id))), "tax id {:?}", tax_id);
            let name = format!("{given} {family}");
            prop_assert!(found(crm.query_unfiltered(|v| v.search.by_name(&name))), "name {:?}", name);
            // `find` reads any query with an @ as an email address.
            if !name.contains('@') {
                prop_assert!(found(crm.query_unfiltered(|v| v.search.find(&name))), "find {:?}", name);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if std::env::var_os("CI").is_some() { 64 } else { 256 }))]

    /// The board a live CRM keeps up to date after every command equals the board rebuilt
    /// from the whole log, and it holds every deal ever opened exactly once.
    #[test]
    fn the_board_is_the_same_incrementally_and_from_a_replay(
        commands in crm::testing::sales::deal_commands(40),
        cuts in proptest::collection::vec(1usize..6, 1..10),
    ) {
        let crm = run(commands)?;
        let pipeline = crm::testing::sales::pipeline_id();
        let live = crm.query_unfiltered(|v| v.deals.board(pipeline)).unwrap();
        let rebuilt = block_on(Crm::open(crm.store().clone())).unwrap();
        prop_assert_eq!(&rebuilt.query_unfiltered(|v| v.deals.board(pipeline)).unwrap(), &live);

        let log = block_on(crm.store().read_all(0, usize::MAX)).unwrap();
        let pieces = in_pieces(&log, &cuts);
        prop_assert_eq!(&pieces.projection.deals.board(pipeline).unwrap(), &live);
        prop_assert_eq!(&pieces.projection.tasks, &crm.query_unfiltered(|v| v.tasks.clone()));

        let opened = log.iter().filter(|e| matches!(e.event, Event::DealOpened(_))).count();
        prop_assert_eq!(live.deal_count(), opened);
        let mut placed: Vec<_> = live.columns.iter().flat_map(|c| c.deals.iter().map(|d| d.deal_id)).collect();
        let open = placed.len();
        placed.sort_unstable();
        placed.dedup();
        prop_assert_eq!(placed.len(), open, "a deal in two columns");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if std::env::var_os("CI").is_some() { 64 } else { 256 }))]

    /// Money on orders: paid minus refunded never goes negative at any point of the log and
    /// is what the card shows; a customer's lifetime value is the sum of it over their orders;
    /// the views are the same incrementally, in any batches and from a replay.
    #[test]
    fn order_money_adds_up_on_the_card(
        commands in crm::testing::shop::order_commands(60),
        cuts in proptest::collection::vec(1usize..6, 1..10),
    ) {
        use crm::ids::OrderId;
        let crm = run(commands)?;
        let log = block_on(crm.store().read_all(0, usize::MAX)).unwrap();
        let mut net: std::collections::HashMap<OrderId, i64> = Default::default();
        for e in &log {
            match &e.event {
                Event::PaymentReceived(p) => *net.entry(p.order_id).or_default() += p.amount.minor,
                Event::RefundIssued(r) => {
                    let n = net.entry(r.order_id).or_default();
                    *n -= r.amount.minor;
                    prop_assert!(*n >= 0, "order {} refunded more than paid at position {}", r.order_id, e.position);
                }
                _ => {}
            }
        }
        for customer in crm::testing::shop::customers() {
            let summary = crm.query_unfiltered(|v| v.summary(customer));
            let mut sum = 0i64;
            for order in &summary.orders {
                let expected = net.get(&order.order_id).copied().unwrap_or(0);
                prop_assert_eq!(order.net_paid().minor, expected);
                sum += expected;
            }
            let currency = crm::money::Currency::new("EUR").unwrap();
            prop_assert_eq!(summary.lifetime_value.get(currency).minor, sum);
        }
        let live = crm.query_unfiltered(|v| v.clone());
        let rebuilt = block_on(Crm::open(crm.store().clone())).unwrap();
        prop_assert_eq!(&rebuilt.query_unfiltered(|v| v.clone()), &live);
        prop_assert_eq!(&in_pieces(&log, &cuts).projection, &live);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if std::env::var_os("CI").is_some() { 48 } else { 192 }))]

    /// Sales buckets partition the period: their counts and sums are the totals. And an
    /// order's bucket is the one its local time says, in whatever zone the period is cut.
    #[test]
    fn sales_buckets_add_up_and_follow_local_time(
        commands in crm::testing::shop::order_commands(40),
        gaps in proptest::collection::vec(0i64..(3 * 24 * 60), 40),
        zone in proptest::sample::select(vec!["UTC", "Europe/Madrid", "America/Sao_Paulo", "Asia/Tokyo", "Pacific/Kiritimati"]),
        bucket in proptest::sample::select(vec![crm::report::Bucket::Day, crm::report::Bucket::Week, crm::report::Bucket::Month]),
    ) {
        use crm::report::sales::{SalesBy, SalesReport};
        let zone: chrono_tz::Tz = zone.parse().unwrap();
        let (crm, clock) = fresh();
        for (command, gap) in commands.into_iter().zip(gaps.iter().cycle()) {
            clock.advance(chrono::TimeDelta::minutes(*gap));
            let _ = block_on(crm.execute(&manager(), command));
        }
        let from = start() - chrono::TimeDelta::days(1);
        let period = crm::report::Period::new(from, from + chrono::TimeDelta::days(150))
            .unwrap()
            .in_zone(zone)
            .by(bucket);
        let report = crm.query_unfiltered(|v| SalesReport::compute(&v.activity, period, SalesBy::Channel));
        let rebuilt = block_on(Crm::open(crm.store().clone())).unwrap();
        prop_assert_eq!(
            &rebuilt.query_unfiltered(|v| SalesReport::compute(&v.activity, period, SalesBy::Channel)),
            &report,
            "the report after a full replay differs"
        );
        let customers = |c: &Crm<crm::MemoryStore>| {
            c.query_unfiltered(|v| crm::report::customers::CustomersReport::compute(v, period, 2.0))
        };
        prop_assert_eq!(customers(&rebuilt), customers(&crm));
        for total in &report.totals {
            let rows: Vec<_> = report.rows.iter()
                .filter(|r| r.group == total.group && r.currency == total.currency)
                .collect();
            prop_assert_eq!(rows.len(), period.spans().len());
            prop_assert_eq!(rows.iter().map(|r| r.placed).sum::<usize>(), total.placed);
            prop_assert_eq!(rows.iter().map(|r| r.delivered).sum::<usize>(), total.delivered);
            prop_assert_eq!(rows.iter().map(|r| r.booked.minor).sum::<i64>(), total.booked.minor);
            prop_assert_eq!(rows.iter().map(|r| r.gross.minor).sum::<i64>(), total.gross.minor);
            prop_assert_eq!(rows.iter().map(|r| r.net.minor).sum::<i64>(), total.net.minor);
        }
        if bucket == crm::report::Bucket::Day {
            let mut expected: std::collections::BTreeMap<String, usize> = Default::default();
            crm.query_unfiltered(|v| {
                for order in v.activity.orders() {
                    let local = order.placed_at.with_timezone(&zone).format("%Y-%m-%d").to_string();
                    *expected.entry(local).or_default() += 1;
                }
            });
            let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
            for r in report.rows.iter().filter(|r| r.placed > 0) {
                *seen.entry(r.bucket.clone()).or_default() += r.placed;
            }
            prop_assert_eq!(seen, expected);
        }
    }
}

/// The event strategy reaches every event type this release writes, so the wire, damage and
/// replay properties above cover them all.
#[test]
fn the_event_strategy_reaches_every_event_type() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = strategies::event();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..20_000 {
        let event = strategy.new_tree(&mut runner).unwrap().current();
        seen.insert(event.type_name());
    }
    let missing: Vec<&str> = Event::TYPES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !seen.contains(name))
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if std::env::var_os("CI").is_some() { 128 } else { 512 }))]

    /// An `OrderCancelled` written as v1 (a reason outside the list as `{"other": text}`)
    /// reads as the v2 event with the text as its note, whatever the text.
    #[test]
    fn any_v1_cancellation_upcasts_to_its_v2_event(
        event in strategies::event().prop_filter("a cancellation", |e| matches!(e, Event::OrderCancelled(_)))
    ) {
        use crm::domain::order::terms::CancelReason;
        let Event::OrderCancelled(mut current) = event else { unreachable!() };
        let mut data = serde_json::to_value(&current).unwrap();
        if current.reason == CancelReason::Other {
            let note = current.note.clone().unwrap_or_default();
            data["reason"] = serde_json::json!({ "other": note });
            data.as_object_mut().unwrap().remove("note");
            current.note = Some(note);
        } else {
            // v1 had no note for listed reasons.
            data.as_object_mut().unwrap().remove("note");
            current.note = None;
        }
        let v1 = serde_json::json!({"type": "OrderCancelled", "v": 1, "data": data});
        let back: Event = serde_json::from_value(v1).unwrap();
        prop_assert_eq!(back, Event::OrderCancelled(current));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if std::env::var_os("CI").is_some() { 24 } else { 96 }))]

    /// Commands for every aggregate, hostile text included: rejections write nothing, the
    /// views rebuilt from the log equal the live ones, and the log survives a JSONL export
    /// and import into a fresh store unchanged (every accepted event passes the import's
    /// checks, so a command can never write what an import would refuse).
    #[test]
    fn every_aggregates_commands_replay_and_round_trip_through_the_log(
        commands in crm::testing::events::every_command(12),
        cuts in proptest::collection::vec(1usize..6, 1..6),
    ) {
        let crm = run(commands)?;
        let rebuilt = block_on(Crm::open(crm.store().clone())).unwrap();
        prop_assert_eq!(&rebuilt.query_unfiltered(|v| v.clone()), &crm.query_unfiltered(|v| v.clone()));
        let log: Vec<RecordedEvent> = block_on(crm.store().read_all(0, usize::MAX)).unwrap();
        let mut whole = Tracked::new(Views::default());
        whole.apply_batch(&log);
        prop_assert_eq!(in_pieces(&log, &cuts), whole);

        let mut out = Vec::new();
        block_on(crm::log::export(crm.store(), &mut out, 0, 64)).unwrap();
        let copy = MemoryStore::new();
        let report = block_on(crm::log::import(&copy, out.as_slice(), Default::default(), |_| {}, |_| {}));
        let report = report.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(report.imported, log.len() as u64);
        let again: Vec<RecordedEvent> = block_on(copy.read_all(0, usize::MAX)).unwrap();
        prop_assert_eq!(
            again.iter().map(|e| (&e.id, &e.stream, e.version, &e.event)).collect::<Vec<_>>(),
            log.iter().map(|e| (&e.id, &e.stream, e.version, &e.event)).collect::<Vec<_>>()
        );
    }
}
