//! Stores that fail on purpose: for testing what callers do when a write's outcome is
//! unknown, or when another writer changes the world between a check and an append.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;

use crate::event::{NewEvent, RecordedEvent};
use crate::ids::{Category, EventId, StreamId};
use crate::store::{AppendOutcome, EventStore, ExpectedVersion, Snapshot, StoreError, StoredAt};

/// Wraps a store; the next [`FailAfterWrite::arm`]ed appends are carried out and then
/// reported as [`StoreError::Backend`] — the connection that dropped after the commit, the
/// timeout that fired too early — so the caller cannot tell that they were written.
pub struct FailAfterWrite<S> {
    inner: S,
    armed: AtomicUsize,
}

impl<S> FailAfterWrite<S> {
    /// `inner`, failing nothing until armed.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            armed: AtomicUsize::new(0),
        }
    }

    /// Makes the next `appends` appends write and then fail.
    pub fn arm(&self, appends: usize) {
        self.armed.store(appends, Ordering::SeqCst);
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the connection dropped after the write (injected)")]
struct Dropped;

#[async_trait]
impl<S: EventStore> EventStore for FailAfterWrite<S> {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let outcome = self.inner.append(stream, expected, events).await?;
        let fail = self
            .armed
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if fail {
            return Err(StoreError::Backend(Box::new(Dropped)));
        }
        Ok(outcome)
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream, from_version, limit).await
    }
    async fn read_all(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(from, limit).await
    }
    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        self.inner.stream_version(stream).await
    }
    async fn head_position(&self) -> Result<u64, StoreError> {
        self.inner.head_position().await
    }
    async fn locate(&self, id: EventId) -> Result<Option<StoredAt>, StoreError> {
        self.inner.locate(id).await
    }
    async fn save_snapshot(&self, stream: &StreamId, snapshot: Snapshot) -> Result<(), StoreError> {
        self.inner.save_snapshot(stream, snapshot).await
    }
    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        self.inner.load_snapshot(stream).await
    }
    async fn save_views_snapshot(
        &self,
        snapshot: crate::store::ViewsSnapshot,
    ) -> Result<(), StoreError> {
        self.inner.save_views_snapshot(snapshot).await
    }
    async fn views_snapshots(&self) -> Result<Vec<crate::store::SnapshotInfo>, StoreError> {
        self.inner.views_snapshots().await
    }
    async fn load_views_snapshot(
        &self,
        position: u64,
    ) -> Result<Option<crate::store::ViewsSnapshot>, StoreError> {
        self.inner.load_views_snapshot(position).await
    }
    async fn delete_views_snapshot(&self, position: u64) -> Result<(), StoreError> {
        self.inner.delete_views_snapshot(position).await
    }
    async fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), StoreError> {
        self.inner.save_checkpoint(name, position).await
    }
    async fn load_checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError> {
        self.inner.load_checkpoint(name).await
    }
    async fn wait_for_append(&self, position: u64) -> Result<(), StoreError> {
        self.inner.wait_for_append(position).await
    }
}

/// Wraps a store; the first append to a stream of `category` finds that another writer got
/// there first: `sneak` (the other writer's events) is appended to its stream, and the append
/// is answered with a conflict, so the caller decides again on a changed world.
pub struct Interleaved<S> {
    inner: S,
    category: Category,
    sneak: Mutex<Option<(StreamId, Vec<NewEvent>)>>,
}

impl<S> Interleaved<S> {
    /// `inner`, where the first append to a `category` stream lets `sneak` in first.
    pub fn new(inner: S, category: Category, sneak: (StreamId, Vec<NewEvent>)) -> Self {
        Self {
            inner,
            category,
            sneak: Mutex::new(Some(sneak)),
        }
    }
}

#[async_trait]
impl<S: EventStore> EventStore for Interleaved<S> {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let sneak = if stream.category() == self.category {
            self.sneak
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
        } else {
            None
        };
        if let Some((other, sneaked)) = sneak {
            self.inner
                .append(&other, ExpectedVersion::Any, sneaked)
                .await?;
            let actual = self.inner.stream_version(stream).await?;
            return Err(StoreError::Conflict {
                stream: stream.clone(),
                expected,
                actual,
            });
        }
        self.inner.append(stream, expected, events).await
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream, from_version, limit).await
    }
    async fn read_all(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(from, limit).await
    }
    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        self.inner.stream_version(stream).await
    }
    async fn head_position(&self) -> Result<u64, StoreError> {
        self.inner.head_position().await
    }
    async fn locate(&self, id: EventId) -> Result<Option<StoredAt>, StoreError> {
        self.inner.locate(id).await
    }
    async fn save_snapshot(&self, stream: &StreamId, snapshot: Snapshot) -> Result<(), StoreError> {
        self.inner.save_snapshot(stream, snapshot).await
    }
    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        self.inner.load_snapshot(stream).await
    }
    async fn save_views_snapshot(
        &self,
        snapshot: crate::store::ViewsSnapshot,
    ) -> Result<(), StoreError> {
        self.inner.save_views_snapshot(snapshot).await
    }
    async fn views_snapshots(&self) -> Result<Vec<crate::store::SnapshotInfo>, StoreError> {
        self.inner.views_snapshots().await
    }
    async fn load_views_snapshot(
        &self,
        position: u64,
    ) -> Result<Option<crate::store::ViewsSnapshot>, StoreError> {
        self.inner.load_views_snapshot(position).await
    }
    async fn delete_views_snapshot(&self, position: u64) -> Result<(), StoreError> {
        self.inner.delete_views_snapshot(position).await
    }
    async fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), StoreError> {
        self.inner.save_checkpoint(name, position).await
    }
    async fn load_checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError> {
        self.inner.load_checkpoint(name).await
    }
    async fn wait_for_append(&self, position: u64) -> Result<(), StoreError> {
        self.inner.wait_for_append(position).await
    }
}
