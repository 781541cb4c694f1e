//! Many processes, one log: real OS processes (this test binary, started again as a child in a
//! role) writing, racing, following and being killed, against a real server.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crm_core::domain::contact::{ContactCommand, CreateContact};
use crm_core::event::Actor;
use crm_core::ids::{Category, ContactId, EventId, StreamId};
use crm_core::store::{EventStore, ExpectedVersion, StoreError};
use crm_core::testing::conformance::sample_event;
use crm_core::Crm;
use crm_store_postgres::PostgresStore;

const WRITERS: usize = 4;
const APPENDS_PER_WRITER: u64 = 150;

fn stream(name: &str) -> StreamId {
    crm_core::testing::stream(format!("processes-{name}"))
}

/// Starts this test binary again as a child in `role`, its stdout piped.
fn start_child(role: &str, schema: &str, extra: &[(&str, String)]) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CRM_PG_ROLE", role)
        .env("CRM_PG_SCHEMA", schema)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (key, value) in extra {
        command.env(key, value);
    }
    command.spawn().unwrap()
}

/// Reads a child's lines until one starts with `want` (the test harness prints its own
/// lines too); returns it.
fn read_until(from: &mut impl BufRead, want: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            from.read_line(&mut line).unwrap() > 0,
            "the child ended before saying {want}"
        );
        if line.starts_with(want) {
            return line.trim().to_owned();
        }
        assert!(
            !["ready", "watching", "seen", "card"]
                .iter()
                .any(|tag| line.starts_with(tag)),
            "the child said {line:?}, not {want}"
        );
    }
}

/// The lines a child printed that start with `tag`, without it.
fn lines(output: &[u8], tag: &str) -> Vec<Vec<String>> {
    String::from_utf8_lossy(output)
        .lines()
        .filter_map(|line| line.strip_prefix(tag))
        .map(|rest| rest.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// What a child does, chosen by `CRM_PG_ROLE`; the parent tests start it.
#[test]
#[ignore = "a child process of the multi-process tests, not a test of its own"]
fn child() {
    let (Ok(role), Ok(schema)) = (std::env::var("CRM_PG_ROLE"), std::env::var("CRM_PG_SCHEMA"))
    else {
        return;
    };
    let url = support::url().unwrap();
    // The harness has printed "test child ... " without a newline: end it, so that every
    // line the role prints starts with its tag.
    println!();
    support::runtime().block_on(async {
        let store = support::connect(&url, &schema).await;
        match role.as_str() {
            "writer" => writer(&store).await,
            "follower" => follower(&store).await,
            "killed" => killed_writer(&store).await,
            "card-reader" => card_reader(store).await,
            other => panic!("unknown role {other}"),
        }
    });
}

/// Appends to a stream of its own, to streams shared with the other writers (any version),
/// and races them on one stream (exact versions); prints every acknowledged event.
async fn writer(store: &PostgresStore) {
    let me: u64 = std::env::var("CRM_PG_WRITER").unwrap().parse().unwrap();
    let own = stream(&format!("own-{me}"));
    let race = stream("race");
    let mut out = std::io::stdout().lock();
    for n in 0..APPENDS_PER_WRITER {
        let (target, expected, count) = match n % 3 {
            0 => (own.clone(), ExpectedVersion::Exact(n / 3 * 2), 2),
            1 => (
                stream(&format!("shared-{}", n % 5)),
                ExpectedVersion::Any,
                1,
            ),
            _ => {
                let version = store.stream_version(&race).await.unwrap();
                (race.clone(), ExpectedVersion::Exact(version), 1)
            }
        };
        let events: Vec<_> = (0..count)
            .map(|i| sample_event(&target, me * 1_000_000 + n * 10 + i))
            .collect();
        let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
        match store.append(&target, expected, events).await {
            Ok(outcome) => {
                for (i, id) in ids.iter().enumerate() {
                    let version = outcome.last_version + 1 - (ids.len() - i) as u64;
                    writeln!(out, "ack {id} {target} {version}").unwrap();
                }
                if target == race {
                    writeln!(out, "won {}", outcome.last_version).unwrap();
                }
            }
            Err(StoreError::Conflict { .. }) if target == race => {
                writeln!(out, "lost").unwrap();
            }
            Err(other) => panic!("writer {me}: {other}"),
        }
    }
}

/// Follows `read_all` from the start, waiting for notifications between pages, until it
/// reads an event of the stream `processes-end`, which the parent appends once the writers are
/// done.
async fn follower(store: &PostgresStore) {
    let end = stream("end");
    let mut out = std::io::stdout().lock();
    // Listening before the writers start, so no append goes unannounced.
    store.listen().await.unwrap();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    let mut from = 1;
    loop {
        let page = store.read_all(from, 50).await.unwrap();
        for event in &page {
            writeln!(out, "seen {} {}", event.position, event.id).unwrap();
            if event.stream == end {
                return;
            }
        }
        match page.last() {
            Some(last) => from = last.position + 1,
            None => store.wait_for_append(from - 1).await.unwrap(),
        }
    }
}

#[test]
fn four_processes_append_while_a_fifth_follows_and_every_reader_sees_one_order() {
    let Some(url) = support::url() else { return };
    let schema = support::fresh_schema();
    let runtime = support::runtime();
    let store = runtime.block_on(support::connect(&url, &schema));
    let mut follower = start_child("follower", &schema, &[]);
    let mut follower_out = BufReader::new(follower.stdout.take().unwrap());
    read_until(&mut follower_out, "ready");

    let writers: Vec<Child> = (0..WRITERS)
        .map(|w| start_child("writer", &schema, &[("CRM_PG_WRITER", w.to_string())]))
        .collect();
    let outputs: Vec<Vec<u8>> = writers
        .into_iter()
        .map(|w| {
            let output = w.wait_with_output().unwrap();
            assert!(output.status.success(), "a writer failed");
            output.stdout
        })
        .collect();
    // The writers are done: a last event tells the follower where to stop.
    let end = stream("end");
    let sentinel = sample_event(&end, 0);
    runtime.block_on(async {
        store
            .append(&end, ExpectedVersion::NoStream, vec![sentinel])
            .await
            .unwrap()
    });
    let mut followed = Vec::new();
    follower_out.read_to_end(&mut followed).unwrap();
    assert!(follower.wait().unwrap().success(), "the follower failed");

    let log = runtime.block_on(store.read_all(0, usize::MAX)).unwrap();
    // Positions have no gaps and no repeats; each stream's versions count 1, 2, 3.
    let positions: Vec<u64> = log.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=log.len() as u64).collect::<Vec<_>>());
    let mut versions: HashMap<&StreamId, u64> = HashMap::new();
    for event in &log {
        let last = versions.entry(&event.stream).or_default();
        assert_eq!(event.version, *last + 1, "{} skips a version", event.stream);
        *last = event.version;
    }
    // Every acknowledged event is there exactly once, where it was acknowledged.
    let stored: HashMap<EventId, (&StreamId, u64)> =
        log.iter().map(|e| (e.id, (&e.stream, e.version))).collect();
    assert_eq!(stored.len(), log.len(), "an event is stored twice");
    let mut acked = HashSet::new();
    for output in &outputs {
        for ack in lines(output, "ack ") {
            let id: EventId = ack[0].parse().unwrap();
            let (stream, version) = stored
                .get(&id)
                .unwrap_or_else(|| panic!("acknowledged event {id} is missing"));
            assert_eq!(
                (stream.as_str(), version.to_string()),
                (&*ack[1], ack[2].clone())
            );
            assert!(acked.insert(id), "event {id} acknowledged twice");
        }
    }
    assert_eq!(
        acked.len() + 1,
        log.len(),
        "the log holds events nobody was told of"
    );
    // Exactly one racer won each version of the raced stream.
    let mut winners: BTreeMap<u64, usize> = BTreeMap::new();
    let mut losses = 0;
    for output in &outputs {
        for won in lines(output, "won ") {
            *winners.entry(won[0].parse().unwrap()).or_default() += 1;
        }
        losses += lines(output, "lost").len();
    }
    let raced = versions.get(&stream("race")).copied().unwrap_or(0);
    assert_eq!(
        winners.len() as u64,
        raced,
        "versions of the raced stream without a winner"
    );
    assert!(
        winners.values().all(|&n| n == 1),
        "a version with two winners: {winners:?}"
    );
    assert_eq!(
        raced as usize + losses,
        WRITERS * (APPENDS_PER_WRITER as usize / 3),
        "a racer's attempt is unaccounted for"
    );
    // The follower, tailing while they wrote, saw exactly the same order.
    let seen: Vec<(u64, EventId)> = lines(&followed, "seen ")
        .iter()
        .map(|s| (s[0].parse().unwrap(), s[1].parse().unwrap()))
        .collect();
    let order: Vec<(u64, EventId)> = log.iter().map(|e| (e.position, e.id)).collect();
    assert_eq!(
        seen.len(),
        order.len(),
        "the follower skipped or repeated events"
    );
    assert_eq!(seen, order, "the follower saw another order");
    eprintln!(
        "{} events from {WRITERS} processes, {raced} race wins and {losses} losses; the follower saw all",
        log.len()
    );
}

/// Appends batches of ten events, each to a new stream, printing each batch once it is
/// acknowledged, until it is killed.
async fn killed_writer(store: &PostgresStore) {
    let round: u64 = std::env::var("CRM_PG_ROUND").unwrap().parse().unwrap();
    let mut out = std::io::stdout().lock();
    for batch in 0.. {
        let target = StreamId::of(Category::Contact, uuid::Uuid::new_v4());
        let events: Vec<_> = (0..10)
            .map(|i| sample_event(&target, round * 1_000_000 + batch * 10 + i))
            .collect();
        store
            .append(&target, ExpectedVersion::NoStream, events)
            .await
            .unwrap();
        writeln!(out, "acked {target}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn a_writer_killed_mid_append_leaves_every_acknowledged_batch_and_no_batch_in_part() {
    let Some(url) = support::url() else { return };
    let schema = support::fresh_schema();
    let runtime = support::runtime();
    let store = runtime.block_on(support::connect(&url, &schema));
    let kills = std::env::var("CRM_PG_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5u64);
    let mut acked = Vec::new();
    for round in 0..kills {
        let mut writer = start_child("killed", &schema, &[("CRM_PG_ROUND", round.to_string())]);
        let out = BufReader::new(writer.stdout.take().unwrap());
        let started = Instant::now();
        // Kill it at a different moment each round, always mid-stream of appends.
        let after = Duration::from_millis(150 + 70 * round);
        let reader = std::thread::spawn(move || {
            out.lines()
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("acked ").map(str::to_owned))
                .collect::<Vec<_>>()
        });
        while started.elapsed() < after {
            std::thread::sleep(Duration::from_millis(10));
        }
        writer.kill().unwrap(); // SIGKILL
        writer.wait().unwrap();
        let got = reader.join().unwrap();
        assert!(
            !got.is_empty(),
            "round {round}: the writer acknowledged nothing before the kill"
        );
        acked.extend(got);
    }
    let log = runtime.block_on(store.read_all(0, usize::MAX)).unwrap();
    let mut per_stream: HashMap<&str, usize> = HashMap::new();
    for event in &log {
        *per_stream.entry(event.stream.as_str()).or_default() += 1;
    }
    for stream in &acked {
        assert_eq!(
            per_stream.get(stream.as_str()),
            Some(&10),
            "acknowledged batch {stream}"
        );
    }
    assert!(
        per_stream.values().all(|&n| n == 10),
        "a batch is stored in part"
    );
    let positions: Vec<u64> = log.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=log.len() as u64).collect::<Vec<_>>());
    eprintln!(
        "{kills} kills: {} batches acknowledged, {} stored, none in part",
        acked.len(),
        per_stream.len()
    );
}

/// A `Crm` of its own on the shared store, answering the parent on stdin: `watch ID` waits for
/// notifications until contact ID's card appears and says how many it took; `wait ID POSITION`
/// waits for the position and prints the card at once.
async fn card_reader(store: PostgresStore) {
    let crm = Crm::open(store).await.unwrap();
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    let stdin = std::io::stdin();
    loop {
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).unwrap() == 0 {
            return;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let id: ContactId = words[1].parse().unwrap();
        let name = || {
            crm.query_unfiltered(|v| v.contact_card(id, chrono::Utc::now()))
                .map(|card| card.personal.name.given.clone())
        };
        match words[0] {
            "watch" => {
                crm.store().listen().await.unwrap();
                let mut reached = crm.catch_up().await.unwrap();
                writeln!(out, "watching").unwrap();
                out.flush().unwrap();
                let mut wakeups = 0;
                while name().is_none() {
                    crm.store().wait_for_append(reached).await.unwrap();
                    wakeups += 1;
                    reached = crm.catch_up().await.unwrap();
                }
                writeln!(out, "seen {wakeups}").unwrap();
            }
            "wait" => {
                crm.wait_for(words[2].parse().unwrap()).await.unwrap();
                writeln!(out, "card {}", name().unwrap_or_default()).unwrap();
            }
            other => panic!("unknown request {other}"),
        }
        out.flush().unwrap();
    }
}

#[test]
fn a_command_in_one_process_shows_on_another_process_card_after_one_notification() {
    let Some(url) = support::url() else { return };
    let schema = support::fresh_schema();
    support::runtime().block_on(async {
        let crm = Crm::open(support::connect(&url, &schema).await)
            .await
            .unwrap();
        let actor = Actor::System;
        let create = |n: u128, given: &str| {
            ContactCommand::Create(CreateContact::new(
                ContactId::from_uuid(uuid::Uuid::from_u128(n)),
                given,
                "Silva",
            ))
        };
        crm.execute(&actor, create(1, "Ana")).await.unwrap();

        let mut reader = start_child("card-reader", &schema, &[]);
        let mut to_reader = reader.stdin.take().unwrap();
        let mut from_reader = BufReader::new(reader.stdout.take().unwrap());
        let mut expect = |want: &str| read_until(&mut from_reader, want);
        expect("ready");

        // Without asking for a position: the other process's views follow the notification.
        let second = ContactId::from_uuid(uuid::Uuid::from_u128(2));
        writeln!(to_reader, "watch {second}").unwrap();
        expect("watching");
        crm.execute(&actor, create(2, "Bea")).await.unwrap();
        let seen = expect("seen ");
        assert_eq!(seen, "seen 1", "the card needed more than one notification");

        // With the command's position: deterministic, whatever the notifications do.
        let third = ContactId::from_uuid(uuid::Uuid::from_u128(3));
        let done = crm.execute(&actor, create(3, "Carla")).await.unwrap();
        writeln!(to_reader, "wait {third} {}", done.position).unwrap();
        assert_eq!(expect("card "), "card Carla");
        drop(to_reader);
        assert!(reader.wait().unwrap().success(), "the card reader failed");
    });
}
