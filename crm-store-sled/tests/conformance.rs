//! The store contract, checked on SledStore: as opened, and reopened before every full read.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use crm_core::event::{NewEvent, RecordedEvent};
use crm_core::ids::{EventId, StreamId};
use crm_core::store::{AppendOutcome, EventStore, ExpectedVersion, Snapshot, StoreError, StoredAt};
use crm_core::testing::conformance;
use crm_store_sled::SledStore;

fn fresh(dirs: &mut Vec<tempfile::TempDir>) -> SledStore {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    dirs.push(dir);
    store
}

#[test]
fn sled_store_passes_the_conformance_suite() {
    let mut dirs = Vec::new();
    let fresh = || std::future::ready(fresh(&mut dirs));
    futures::executor::block_on(conformance::run_all(fresh, &conformance::Threads));
    for dir in &dirs {
        let report = SledStore::open(dir.path()).unwrap().verify().unwrap();
        assert!(report.is_ok(), "{report}");
    }
}

/// A SledStore that is closed and opened again before every read from the start of the log
/// or of a stream, and before every snapshot or checkpoint read: what the suite reads back
/// must have been on disk, not only in the open database.
struct Reopening {
    path: PathBuf,
    store: RwLock<Option<Arc<SledStore>>>,
}

impl Reopening {
    fn new(dirs: &mut Vec<tempfile::TempDir>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        dirs.push(dir);
        Self {
            store: RwLock::new(Some(Arc::new(SledStore::open(&path).unwrap()))),
            path,
        }
    }

    fn current(&self) -> Arc<SledStore> {
        self.store.read().unwrap().clone().expect("a store is open")
    }

    fn reopen(&self) -> Arc<SledStore> {
        let mut slot = self.store.write().unwrap();
        // In-flight calls hold clones; sled allows one open database per directory.
        while slot.as_ref().is_some_and(|s| Arc::strong_count(s) > 1) {
            std::thread::yield_now();
        }
        *slot = None;
        let store = Arc::new(SledStore::open(&self.path).unwrap());
        *slot = Some(store.clone());
        store
    }
}

#[async_trait]
impl EventStore for Reopening {
    async fn append(
        &self,
        s: &StreamId,
        e: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        self.current().append(s, e, events).await
    }
    async fn read_stream(
        &self,
        s: &StreamId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let store = if from <= 1 {
            self.reopen()
        } else {
            self.current()
        };
        store.read_stream(s, from, limit).await
    }
    async fn read_all(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let store = if from <= 1 {
            self.reopen()
        } else {
            self.current()
        };
        store.read_all(from, limit).await
    }
    async fn stream_version(&self, s: &StreamId) -> Result<u64, StoreError> {
        self.current().stream_version(s).await
    }
    async fn head_position(&self) -> Result<u64, StoreError> {
        self.current().head_position().await
    }
    async fn locate(&self, id: EventId) -> Result<Option<StoredAt>, StoreError> {
        self.current().locate(id).await
    }
    async fn save_snapshot(&self, s: &StreamId, snap: Snapshot) -> Result<(), StoreError> {
        self.current().save_snapshot(s, snap).await
    }
    async fn load_snapshot(&self, s: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        self.reopen().load_snapshot(s).await
    }
    async fn save_views_snapshot(
        &self,
        snapshot: crm_core::store::ViewsSnapshot,
    ) -> Result<(), StoreError> {
        self.current().save_views_snapshot(snapshot).await
    }
    async fn views_snapshots(&self) -> Result<Vec<crm_core::store::SnapshotInfo>, StoreError> {
        self.current().views_snapshots().await
    }
    async fn load_views_snapshot(
        &self,
        position: u64,
    ) -> Result<Option<crm_core::store::ViewsSnapshot>, StoreError> {
        self.current().load_views_snapshot(position).await
    }
    async fn delete_views_snapshot(&self, position: u64) -> Result<(), StoreError> {
        self.current().delete_views_snapshot(position).await
    }
    async fn save_checkpoint(&self, name: &str, p: u64) -> Result<(), StoreError> {
        self.current().save_checkpoint(name, p).await
    }
    async fn load_checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError> {
        self.reopen().load_checkpoint(name).await
    }
    async fn wait_for_append(&self, position: u64) -> Result<(), StoreError> {
        self.current().wait_for_append(position).await
    }
}

#[test]
fn a_reopened_sled_store_passes_the_conformance_suite() {
    let mut dirs = Vec::new();
    let fresh = || std::future::ready(Reopening::new(&mut dirs));
    futures::executor::block_on(conformance::run_all(fresh, &conformance::Threads));
}
