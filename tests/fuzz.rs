//! A structured mutation fuzzer for what comes from outside: JSONL lines and whole logs.
//!
//! Valid lines — a real shop's log and generated events of every type — are damaged the
//! ways files get damaged and the ways people and other systems get them wrong: bytes
//! flipped, inserted, cut; a value replaced by an extreme number, a hostile string, a wrong
//! type; a key added or removed; lines of one stream moved into another. Each input must be
//! decoded or refused, never panic; each damaged log must import what it can, and leave a
//! store whose export, re-import and replay are whole.
//!
//! CI runs a short burst. The soak (see docs/guarantees.md for the numbers it ran):
//!
//! ```text
//! CRM_FUZZ_INPUTS=1000000 cargo test --release --all-features --test fuzz -- --nocapture
//! ```
//!
//! The machine has only the stable toolchain, on which libFuzzer's coverage instrumentation
//! is not available; this mutator is seeded and deterministic instead, so a failure is
//! reproduced by its iteration number (printed) and `CRM_FUZZ_SEED`.
#![allow(clippy::unwrap_used)] // A test that meets an error should fail loudly.

mod support;

use crm::log::{export, import, ImportOptions, LogLine};
use crm::store::EventStore;
use crm::{Crm, MemoryStore};
use futures::executor::block_on;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};
use support::*;

fn inputs(default: u64) -> u64 {
    std::env::var("CRM_FUZZ_INPUTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn seed() -> u64 {
    std::env::var("CRM_FUZZ_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0x5eed)
}

/// splitmix64: a few lines, seeded, the same on every machine — all a mutator needs.
struct TestRng(u64);

impl TestRng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
}

fn rng(salt: u64) -> TestRng {
    TestRng(seed() ^ salt.wrapping_mul(0x2545_f491_4f6c_dd1d))
}

/// Lines holding generated events of every type (valid JSON, not necessarily valid events).
fn generated_lines(n: usize) -> Vec<String> {
    let mut runner = TestRunner::deterministic();
    let strategy = crm::testing::strategies::event();
    let template: LogLine = serde_json::from_str(&shop::exported_lines()[0]).unwrap();
    (0..n)
        .map(|_| {
            let event = strategy.new_tree(&mut runner).unwrap().current();
            let mut line = template.clone();
            line.stream = crm::validate::stream_of(&event);
            line.event = event;
            serde_json::to_string(&line).unwrap()
        })
        .collect()
}

fn hostile_value(rng: &mut TestRng) -> Value {
    let pick = rng.next_u32() % 22;
    match pick {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(0),
        4 => json!(4_294_967_296u64),
        5 => json!(u64::MAX),
        6 => json!(i64::MIN),
        7 => json!(1e308),
        8 => json!(""),
        9 => json!("\u{0}\u{1}\n\r\t"),
        10 => json!("x".repeat(100_000)),
        11 => json!("🪑e\u{301}\u{200b}שלום"),
        12 => json!("contact-00000000-0000-0000-0000-000000000001"),
        13 => json!("deal-0190c7a4-2f3e-7b4c-9d1a-3e5f6a7b8c9d"),
        14 => json!("XYZ"),
        15 => json!("99999-12-31"),
        16 => json!("+262142-12-31T23:59:59Z"),
        17 => json!({}),
        18 => json!([]),
        19 => json!({"other": "text"}),
        20 => json!(uuid::Uuid::from_u128(u128::from(rng.next_u64()))),
        _ => json!(-1e-9),
    }
}

/// A random place in `value` (an object's field or an array's element), replaced or removed,
/// or a field added.
fn mutate_value(value: &mut Value, rng: &mut TestRng, depth: u32) {
    let descend = depth < 6 && !rng.next_u32().is_multiple_of(3);
    match value {
        Value::Object(map) if !map.is_empty() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[rng.next_u32() as usize % keys.len()];
            match rng.next_u32() % 8 {
                0 => {
                    map.remove(key);
                }
                1 => {
                    map.insert(format!("unknown{}", rng.next_u32() % 3), hostile_value(rng));
                }
                _ if descend => mutate_value(map.get_mut(key).unwrap(), rng, depth + 1),
                _ => {
                    map.insert(key.clone(), hostile_value(rng));
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let i = rng.next_u32() as usize % items.len();
            match rng.next_u32() % 6 {
                0 => {
                    items.remove(i);
                }
                1 => items.push(items[i].clone()),
                _ if descend => mutate_value(&mut items[i], rng, depth + 1),
                _ => items[i] = hostile_value(rng),
            }
        }
        other => *other = hostile_value(rng),
    }
}

fn mutate_bytes(line: &mut Vec<u8>, rng: &mut TestRng) {
    if line.is_empty() {
        line.push(b'{');
    }
    let at = rng.next_u32() as usize % line.len();
    match rng.next_u32() % 6 {
        0 => line[at] ^= 1 << (rng.next_u32() % 8),
        1 => line.insert(at, (rng.next_u32() % 256) as u8),
        2 => line.truncate(at),
        3 => {
            let end = (at + 1 + rng.next_u32() as usize % 16).min(line.len());
            line.drain(at..end);
        }
        4 => line.splice(at..at, [0xff, 0xfe]).for_each(drop),
        _ => {
            let token: &[u8] =
                [&b"\\u0000"[..], b"\"", b"}", b",", b"null", b"\\"][rng.next_u32() as usize % 6];
            line.splice(at..at, token.iter().copied()).for_each(drop);
        }
    }
}

/// One damaged version of `line`.
fn damaged(line: &str, corpus: &[String], rng: &mut TestRng) -> Vec<u8> {
    match rng.next_u32() % 4 {
        0 => {
            let mut bytes = line.as_bytes().to_vec();
            for _ in 0..=rng.next_u32() % 3 {
                mutate_bytes(&mut bytes, rng);
            }
            bytes
        }
        1 => {
            // Another line's stream or id: an event moved where it does not belong.
            let mut value: Value = serde_json::from_str(line).unwrap();
            let other: Value =
                serde_json::from_str(&corpus[rng.next_u32() as usize % corpus.len()]).unwrap();
            let field = ["stream", "id", "version"][rng.next_u32() as usize % 3];
            value[field] = other[field].clone();
            value.to_string().into_bytes()
        }
        _ => {
            let mut value: Value = serde_json::from_str(line).unwrap();
            for _ in 0..=rng.next_u32() % 2 {
                mutate_value(&mut value, rng, 0);
            }
            value.to_string().into_bytes()
        }
    }
}

/// Decoding and checking one line never panics, whatever it holds.
#[test]
fn damaged_lines_are_decoded_or_refused_never_a_panic() {
    let mut corpus = shop::exported_lines();
    corpus.extend(generated_lines(400));
    let mut rng = rng(2);
    let n = inputs(20_000);
    let mut refused = 0u64;
    for i in 0..n {
        let line = &corpus[rng.next_u32() as usize % corpus.len()];
        let bytes = damaged(line, &corpus, &mut rng);
        let Ok(text) = std::str::from_utf8(&bytes) else {
            refused += 1;
            continue;
        };
        let outcome = std::panic::catch_unwind(|| match serde_json::from_str::<LogLine>(text) {
            Ok(l) => crm::validate::check(&l.stream, l.occurred_at, &l.event).is_ok(),
            Err(_) => false,
        });
        match outcome {
            Ok(accepted) => refused += u64::from(!accepted),
            Err(_) => panic!("input {i} (seed {}) panicked: {text:?}", seed()),
        }
    }
    println!("{n} damaged lines decoded without a panic ({refused} refused)");
}

/// A damaged log imports what it can with `skip_invalid`, and the store stays whole: its
/// export re-imports completely, and it replays.
#[test]
fn damaged_logs_never_break_a_store() {
    let corpus = shop::exported_lines();
    let mut rng = rng(3);
    let n = inputs(20_000) / 100;
    for i in 0..n.max(20) {
        let mut text = Vec::new();
        for line in &corpus {
            if rng.next_u32().is_multiple_of(10) {
                text.extend(damaged(line, &corpus, &mut rng));
            } else {
                text.extend_from_slice(line.as_bytes());
            }
            text.push(b'\n');
        }
        let store = MemoryStore::new();
        let options = ImportOptions {
            skip_invalid: true,
            batch: 1 + rng.next_u32() as usize % 8,
            ..ImportOptions::default()
        };
        let report = block_on(import(&store, text.as_slice(), options, |_| {}, |_| {}))
            .unwrap_or_else(|e| panic!("log {i} (seed {}): {e}", seed()));
        let held = block_on(store.head_position()).unwrap();
        assert_eq!(report.imported, held, "log {i}");
        let mut out = Vec::new();
        block_on(export(&store, &mut out, 0, 50)).unwrap();
        let copy = MemoryStore::new();
        let again = block_on(import(
            &copy,
            out.as_slice(),
            ImportOptions::default(),
            |_| {},
            |_| {},
        ))
        .unwrap_or_else(|e| panic!("log {i} (seed {}): its export does not import: {e}", seed()));
        assert_eq!(again.imported, held, "log {i}");
        block_on(Crm::open(store)).unwrap_or_else(|e| panic!("log {i}: replay failed: {e}"));
    }
    println!(
        "{} damaged logs imported, exported, re-imported and replayed",
        n.max(20)
    );
}
