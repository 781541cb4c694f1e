//! The store contract, checked on MemoryStore.

use crm_core::testing::conformance;
use crm_store_memory::MemoryStore;

#[test]
fn memory_store_passes_the_conformance_suite() {
    let fresh = || std::future::ready(MemoryStore::new());
    futures::executor::block_on(conformance::run_all(fresh, &conformance::Threads));
}

/// The suite under tokio, its tasks spawned on the runtime: it asks for no runtime of its own.
#[test]
fn memory_store_passes_the_conformance_suite_under_tokio() {
    struct Tokio;
    impl conformance::Spawn for Tokio {
        fn spawn(
            &self,
            task: futures::future::BoxFuture<'static, ()>,
        ) -> futures::future::BoxFuture<'static, ()> {
            let handle = tokio::spawn(task);
            Box::pin(async move {
                let _ = handle.await;
            })
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a tokio runtime");
    let fresh = || std::future::ready(MemoryStore::new());
    runtime.block_on(conformance::run_all(fresh, &Tokio));
}

/// A store that forgets the version check, as cqrs-es's in-memory store did. The suite must
/// catch it, or it proves nothing.
mod careless {
    use async_trait::async_trait;
    use crm_core::event::{NewEvent, RecordedEvent};
    use crm_core::ids::{EventId, StreamId};
    use crm_core::store::{
        AppendOutcome, EventStore, ExpectedVersion, Snapshot, StoreError, StoredAt,
    };
    use crm_store_memory::MemoryStore;

    #[derive(Default)]
    pub struct SkipsVersionCheck(pub MemoryStore);

    /// Hides the event at position 5 from the first read that reaches it, as an event still
    /// committing with a lower position is hidden from a reader that passes it (Marten
    /// #4953): later reads show it, so only a tailing reader misses it.
    #[derive(Default)]
    pub struct HidesInFlight(pub MemoryStore, pub std::sync::atomic::AtomicBool);

    #[async_trait]
    impl EventStore for HidesInFlight {
        async fn append(
            &self,
            s: &StreamId,
            x: ExpectedVersion,
            e: Vec<NewEvent>,
        ) -> Result<AppendOutcome, StoreError> {
            self.0.append(s, x, e).await
        }
        async fn read_stream(
            &self,
            s: &StreamId,
            from: u64,
            limit: usize,
        ) -> Result<Vec<RecordedEvent>, StoreError> {
            self.0.read_stream(s, from, limit).await
        }
        async fn read_all(
            &self,
            from: u64,
            limit: usize,
        ) -> Result<Vec<RecordedEvent>, StoreError> {
            let mut page = self.0.read_all(from, limit).await?;
            let reaches = page.iter().any(|e| e.position > 5) && page[0].position <= 5;
            if reaches && !self.1.swap(true, std::sync::atomic::Ordering::SeqCst) {
                page.retain(|e| e.position != 5);
            }
            Ok(page)
        }
        async fn stream_version(&self, s: &StreamId) -> Result<u64, StoreError> {
            self.0.stream_version(s).await
        }
        async fn head_position(&self) -> Result<u64, StoreError> {
            self.0.head_position().await
        }
        async fn locate(&self, id: EventId) -> Result<Option<StoredAt>, StoreError> {
            self.0.locate(id).await
        }
        async fn save_snapshot(&self, s: &StreamId, snap: Snapshot) -> Result<(), StoreError> {
            self.0.save_snapshot(s, snap).await
        }
        async fn load_snapshot(&self, s: &StreamId) -> Result<Option<Snapshot>, StoreError> {
            self.0.load_snapshot(s).await
        }
        async fn save_checkpoint(&self, name: &str, p: u64) -> Result<(), StoreError> {
            self.0.save_checkpoint(name, p).await
        }
        async fn load_checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError> {
            self.0.load_checkpoint(name).await
        }
    }

    #[async_trait]
    impl EventStore for SkipsVersionCheck {
        async fn append(
            &self,
            s: &StreamId,
            _: ExpectedVersion,
            e: Vec<NewEvent>,
        ) -> Result<AppendOutcome, StoreError> {
            self.0.append(s, ExpectedVersion::Any, e).await
        }
        async fn read_stream(
            &self,
            s: &StreamId,
            from: u64,
            limit: usize,
        ) -> Result<Vec<RecordedEvent>, StoreError> {
            self.0.read_stream(s, from, limit).await
        }
        async fn read_all(
            &self,
            from: u64,
            limit: usize,
        ) -> Result<Vec<RecordedEvent>, StoreError> {
            self.0.read_all(from, limit).await
        }
        async fn stream_version(&self, s: &StreamId) -> Result<u64, StoreError> {
            self.0.stream_version(s).await
        }
        async fn head_position(&self) -> Result<u64, StoreError> {
            self.0.head_position().await
        }
        async fn locate(&self, id: EventId) -> Result<Option<StoredAt>, StoreError> {
            self.0.locate(id).await
        }
        async fn save_snapshot(&self, s: &StreamId, snap: Snapshot) -> Result<(), StoreError> {
            self.0.save_snapshot(s, snap).await
        }
        async fn load_snapshot(&self, s: &StreamId) -> Result<Option<Snapshot>, StoreError> {
            self.0.load_snapshot(s).await
        }
        async fn save_checkpoint(&self, name: &str, p: u64) -> Result<(), StoreError> {
            self.0.save_checkpoint(name, p).await
        }
        async fn load_checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError> {
            self.0.load_checkpoint(name).await
        }
    }
}

#[test]
#[should_panic(expected = "expected a Conflict")]
fn a_store_that_skips_the_version_check_fails_the_suite() {
    futures::executor::block_on(conformance::expected_version_cases(
        &careless::SkipsVersionCheck::default(),
    ));
}

#[test]
#[should_panic(expected = "round 0 had 8 winners")]
fn a_store_that_skips_the_version_check_loses_the_race() {
    futures::executor::block_on(conformance::racing_writers_on_one_stream(
        std::sync::Arc::new(careless::SkipsVersionCheck::default()),
        &conformance::Threads,
        8,
        25,
    ));
}

#[test]
#[should_panic(expected = "the tailing reader saw a different number of events")]
fn a_store_that_hides_an_in_flight_event_fails_the_tailing_check_without_hanging() {
    futures::executor::block_on(conformance::tailing_reader_never_skips(
        std::sync::Arc::new(careless::HidesInFlight::default()),
        &conformance::Threads,
        2,
        50,
    ));
}
