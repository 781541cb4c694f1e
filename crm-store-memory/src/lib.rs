//! [`MemoryStore`]: the whole [`EventStore`] contract in process memory, for tests and
//! short-lived programs. Nothing survives the process; see `docs/guarantees.md`.
//!
//! ```
//! use crm_core::store::EventStore;
//! use crm_store_memory::MemoryStore;
//!
//! let store = MemoryStore::new();
//! // The memory store never waits, so any executor (or none but `block_on`) will do.
//! let head = futures::executor::block_on(store.head_position());
//! assert_eq!(head.ok(), Some(0));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::collections::BTreeMap;

use foldhash::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;

use crm_core::clock::{Clock, SystemClock};
use crm_core::event::{NewEvent, RecordedEvent};
use crm_core::ids::{EventId, StreamId};
use crm_core::store::{
    self, AppendOutcome, EventStore, ExpectedVersion, HeadWatch, Snapshot, SnapshotInfo,
    StoreError, StoredAt, ViewsSnapshot,
};

#[derive(Debug, Default)]
struct Inner {
    /// The log; an event's position is its index + 1.
    log: Vec<RecordedEvent>,
    /// Per stream, the log indexes of its events in version order.
    streams: HashMap<StreamId, Vec<usize>>,
    /// Each event's index in the log.
    ids: HashMap<EventId, usize>,
    snapshots: HashMap<StreamId, Snapshot>,
    /// Snapshots of the views, by position; shared, since a snapshot can be large.
    views_snapshots: BTreeMap<u64, Arc<ViewsSnapshot>>,
    checkpoints: BTreeMap<String, u64>,
}

/// An in-process event store. Cheap to clone: clones share the same log.
///
/// Every operation takes one lock, so appends are atomic and `read_all` can never see a
/// half-committed batch or a gap that fills later.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<RwLock<Inner>>,
    head: Arc<HeadWatch>,
    clock: Arc<dyn Clock>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("events", &self.read().log.len())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store stamping `recorded_at` with the system clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }

    /// An empty store stamping `recorded_at` with `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::default(),
            head: Arc::new(HeadWatch::new(0)),
            clock,
        }
    }

    /// How many events the log holds.
    pub fn len(&self) -> usize {
        self.read().log.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // A panic while holding the lock can only come from a bug between checks and writes,
    // which happen in an order that leaves `Inner` consistent; so a poisoned lock is usable.
    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    fn stored_at(&self, index: usize) -> StoredAt {
        let event = &self.log[index];
        StoredAt {
            stream: event.stream.clone(),
            version: event.version,
            position: event.position,
        }
    }

    fn version_of(&self, stream: &StreamId) -> u64 {
        self.streams.get(stream).map_or(0, |s| s.len() as u64)
    }

    /// `Some(outcome)` if `events` were all appended before at these very places (a retry).
    fn recognize_retry(
        &self,
        stream: &StreamId,
        events: &[NewEvent],
        version: u64,
    ) -> Result<Option<AppendOutcome>, StoreError> {
        if !events.iter().any(|e| self.ids.contains_key(&e.id)) {
            // Every id is new (the common case), and new ids are never a retry.
            let mut seen = foldhash::HashSet::default();
            if events.len() == 1 || events.iter().all(|e| seen.insert(e.id)) {
                return Ok(None);
            }
        }
        let stored: Vec<Option<StoredAt>> = events
            .iter()
            .map(|e| self.ids.get(&e.id).map(|&index| self.stored_at(index)))
            .collect();
        Ok(
            store::recognize_retry(stream, events, &stored, version + 1)?.map(|last_position| {
                AppendOutcome {
                    last_version: version,
                    last_position,
                    written: false,
                }
            }),
        )
    }
}

#[async_trait]
impl EventStore for MemoryStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        if events.is_empty() {
            return Err(StoreError::EmptyAppend {
                stream: stream.clone(),
            });
        }
        store::check_append(stream, &events)?;
        let recorded_at = self.clock.now();
        let inner = self.write();
        // A retry is recognized before the version check: its first attempt already moved
        // the version on, and the retry must still succeed.
        let actual = inner.version_of(stream);
        if let Some(outcome) = inner.recognize_retry(stream, &events, actual)? {
            return Ok(outcome);
        }
        if !expected.admits(actual) {
            return Err(StoreError::Conflict {
                stream: stream.clone(),
                expected,
                actual,
            });
        }
        // All checks passed; from here on nothing can fail, so the append is all or nothing.
        let mut guard = inner;
        let inner = &mut *guard;
        // The name is copied only for a new stream.
        let indexes = match inner.streams.get_mut(stream) {
            Some(indexes) => indexes,
            None => inner.streams.entry(stream.clone()).or_default(),
        };
        for (offset, new) in events.into_iter().enumerate() {
            let index = inner.log.len();
            let version = actual + offset as u64 + 1;
            inner.ids.insert(new.id, index);
            indexes.push(index);
            inner.log.push(RecordedEvent {
                id: new.id,
                stream: stream.clone(),
                version,
                position: index as u64 + 1,
                occurred_at: new.occurred_at,
                recorded_at,
                metadata: new.metadata,
                event: new.event,
            });
        }
        let outcome = AppendOutcome {
            last_version: indexes.len() as u64,
            last_position: inner.log.len() as u64,
            written: true,
        };
        drop(guard);
        self.head.advance(outcome.last_position);
        Ok(outcome)
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let inner = self.read();
        let Some(indexes) = inner.streams.get(stream) else {
            return Ok(Vec::new());
        };
        let skip = usize::try_from(from_version.saturating_sub(1)).unwrap_or(usize::MAX);
        Ok(indexes
            .iter()
            .skip(skip)
            .take(limit)
            .map(|&i| inner.log[i].clone())
            .collect())
    }

    async fn read_all(
        &self,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let inner = self.read();
        let start = usize::try_from(from_position.saturating_sub(1)).unwrap_or(usize::MAX);
        Ok(inner.log.iter().skip(start).take(limit).cloned().collect())
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        Ok(self.read().version_of(stream))
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        Ok(self.read().log.len() as u64)
    }

    async fn locate(&self, id: EventId) -> Result<Option<StoredAt>, StoreError> {
        let inner = self.read();
        Ok(inner.ids.get(&id).map(|&index| inner.stored_at(index)))
    }

    async fn save_snapshot(&self, stream: &StreamId, snapshot: Snapshot) -> Result<(), StoreError> {
        let mut inner = self.write();
        let newer = inner
            .snapshots
            .get(stream)
            .is_some_and(|s| s.version > snapshot.version);
        // A slow writer must not replace a newer snapshot with an older one.
        if !newer {
            inner.snapshots.insert(stream.clone(), snapshot);
        }
        Ok(())
    }

    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.read().snapshots.get(stream).cloned())
    }

    async fn save_views_snapshot(&self, snapshot: ViewsSnapshot) -> Result<(), StoreError> {
        let position = snapshot.info.position;
        self.write()
            .views_snapshots
            .insert(position, Arc::new(snapshot));
        Ok(())
    }

    async fn views_snapshots(&self) -> Result<Vec<SnapshotInfo>, StoreError> {
        Ok(self
            .read()
            .views_snapshots
            .values()
            .map(|s| s.info)
            .collect())
    }

    async fn load_views_snapshot(
        &self,
        position: u64,
    ) -> Result<Option<ViewsSnapshot>, StoreError> {
        let shared = self.read().views_snapshots.get(&position).cloned();
        Ok(shared.map(|s| ViewsSnapshot::clone(&s)))
    }

    async fn delete_views_snapshot(&self, position: u64) -> Result<(), StoreError> {
        self.write().views_snapshots.remove(&position);
        Ok(())
    }

    async fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), StoreError> {
        self.write().checkpoints.insert(name.to_owned(), position);
        Ok(())
    }

    async fn load_checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.read().checkpoints.get(name).copied())
    }

    async fn wait_for_append(&self, position: u64) -> Result<(), StoreError> {
        self.head.wait_past(position).await;
        Ok(())
    }
}
