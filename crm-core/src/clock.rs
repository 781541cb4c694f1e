//! Where time and fresh ids come from, injected so that tests and replays are deterministic.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::ids::{CorrelationId, EventId};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to: for tests and deterministic demos.
///
/// Clones share the same time, so a test can hold one and advance it while a store holds
/// another.
#[derive(Debug, Clone)]
pub struct ManualClock {
    micros: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self {
            micros: Arc::new(AtomicI64::new(at.timestamp_micros())),
        }
    }

    /// Moves the clock forward (or back, for a negative delta).
    pub fn advance(&self, by: TimeDelta) {
        let micros = by.num_microseconds().unwrap_or(i64::MAX);
        self.micros.fetch_add(micros, Ordering::SeqCst);
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        self.micros.store(at.timestamp_micros(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.micros.load(Ordering::SeqCst)).unwrap_or_default()
    }
}

/// A source of fresh event and correlation ids.
pub trait IdSource: Send + Sync {
    /// A new event id, unique across the whole log.
    fn event_id(&self) -> EventId;
    /// A new correlation id for one request.
    fn correlation_id(&self) -> CorrelationId;
}

/// Random, time-ordered UUID v7 ids.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn event_id(&self) -> EventId {
        EventId::new()
    }
    fn correlation_id(&self) -> CorrelationId {
        CorrelationId::new()
    }
}

/// Ids counted up from a seed: the same program run twice mints the same ids.
#[derive(Debug, Default)]
pub struct SequentialIds {
    next: AtomicU64,
}

impl SequentialIds {
    /// Counting starts at `seed`; two sources with different seeds never collide for the
    /// first 2^32 ids each.
    pub fn new(seed: u32) -> Self {
        Self {
            next: AtomicU64::new(u64::from(seed) << 32),
        }
    }

    fn next_uuid(&self, kind: u64) -> Uuid {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        // Version 8 ("custom") bits keep these visibly apart from random ids.
        uuid::Builder::from_custom_bytes(((u128::from(kind) << 64) | u128::from(n)).to_be_bytes())
            .into_uuid()
    }
}

impl IdSource for SequentialIds {
    fn event_id(&self) -> EventId {
        EventId::from_uuid(self.next_uuid(1))
    }
    fn correlation_id(&self) -> CorrelationId {
        CorrelationId::from_uuid(self.next_uuid(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let clock = ManualClock::new(at);
        let shared = clock.clone();
        assert_eq!(clock.now(), at);
        shared.advance(TimeDelta::seconds(5));
        assert_eq!(clock.now(), at + TimeDelta::seconds(5));
    }

    #[test]
    fn sequential_ids_repeat_across_runs_and_never_within_one() {
        let a = SequentialIds::new(7);
        let b = SequentialIds::new(7);
        let first = a.event_id();
        assert_eq!(first, b.event_id());
        assert_ne!(first, a.event_id());
    }
}
