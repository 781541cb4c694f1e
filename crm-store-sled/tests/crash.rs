//! Kill a writer with SIGKILL at a random moment, reopen, and check that every acknowledged
//! batch is there, whole, and that no batch is there in part.
//!
//! The writer is this test binary run again with `CRM_CRASH_CHILD_DIR` set, which turns
//! `crash_child` from a no-op into an endless writer that prints `ack N` after each durable
//! append. `CRM_CRASH_KILLS` sets how many kills to run (default 20; a soak runs hundreds).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use crm_core::event::NewEvent;
use crm_core::ids::{ContactId, EventId, StreamId};
use crm_core::store::{EventStore, ExpectedVersion};
use crm_core::testing::conformance::sample_event;
use crm_store_sled::SledStore;
use futures::executor::block_on;

const CHILD_DIR: &str = "CRM_CRASH_CHILD_DIR";
const CHILD_START: &str = "CRM_CRASH_CHILD_START";

fn batch_size(n: u64) -> u64 {
    1 + n % 23
}

fn stream(n: u64) -> StreamId {
    StreamId::from(ContactId::from_uuid(uuid::Uuid::from_u128(u128::from(n))))
}

fn event_id(n: u64, i: u64) -> EventId {
    EventId::derived("crash", &format!("{n}-{i}"))
}

fn batch(n: u64) -> Vec<NewEvent> {
    (0..batch_size(n))
        .map(|i| NewEvent {
            id: event_id(n, i),
            ..sample_event(&stream(n), n * 100 + i)
        })
        .collect()
}

#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return; // Only a writer when the crash test starts it.
    };
    let start: u64 = std::env::var(CHILD_START).unwrap().parse().unwrap();
    let store = SledStore::open(dir).unwrap();
    let mut out = std::io::stdout().lock();
    for n in start.. {
        block_on(store.append(&stream(n), ExpectedVersion::NoStream, batch(n))).unwrap();
        writeln!(out, "ack {n}").unwrap();
        out.flush().unwrap();
    }
}

/// A pseudo-random delay without a random-number crate: the clock's nanoseconds.
fn jitter(round: u64) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(round * 7919);
    Duration::from_millis(30 + (nanos ^ round.wrapping_mul(2_654_435_761)) % 150)
}

/// Runs one writer, kills it, and returns the batches it acknowledged.
fn write_until_killed(dir: &std::path::Path, start: u64, round: u64) -> Vec<u64> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env(CHILD_START, start.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| line.strip_prefix("ack ").and_then(|n| n.parse().ok()))
            .collect::<Vec<u64>>()
    });
    std::thread::sleep(jitter(round));
    child.kill().unwrap(); // SIGKILL: no destructors, no flush, no goodbye.
    child.wait().unwrap();
    reader.join().unwrap()
}

#[test]
fn acknowledged_batches_survive_sigkill() {
    let kills: u64 = std::env::var("CRM_CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged = Vec::new();
    for round in 0..kills {
        let start = round * 1_000_000;
        acknowledged.extend(write_until_killed(dir.path(), start, round));

        let store = SledStore::open(dir.path())
            .unwrap_or_else(|e| panic!("after kill {round}: cannot reopen: {e:?}"));
        let report = store.verify().unwrap();
        assert!(report.is_ok(), "after kill {round}: {report}");
        for &n in &acknowledged {
            let events = block_on(store.read_stream(&stream(n), 1, usize::MAX)).unwrap();
            let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
            let expected: Vec<EventId> = (0..batch_size(n)).map(|i| event_id(n, i)).collect();
            assert_eq!(
                ids, expected,
                "after kill {round}: acknowledged batch {n} is not intact"
            );
        }
        let mut per_stream: BTreeMap<u64, u64> = BTreeMap::new();
        let mut from = 1;
        loop {
            let page = block_on(store.read_all(from, 1000)).unwrap();
            let Some(last) = page.last() else { break };
            from = last.position + 1;
            for event in &page {
                let n = u64::try_from(event.stream.uuid().as_u128()).unwrap();
                *per_stream.entry(n).or_default() += 1;
            }
        }
        for (n, count) in per_stream {
            assert_eq!(
                count,
                batch_size(n),
                "after kill {round}: batch {n} is only partly there"
            );
        }
    }
    assert!(
        acknowledged.len() as u64 >= kills,
        "the writers acknowledged too little to test anything"
    );
    println!(
        "{kills} kills, {} acknowledged batches, all intact",
        acknowledged.len()
    );
}
