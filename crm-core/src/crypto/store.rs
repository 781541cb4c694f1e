//! [`Encrypted`]: any event store, with every personal value sealed before it is written and
//! opened when it is read.

use std::sync::Arc;

use async_trait::async_trait;

use super::keys::{KeyError, KeyState, KeyStore, KeyWrapping};
use super::sealer::Sealer;
use crate::event::{Event, NewEvent, RecordedEvent};
use crate::ids::{Category, ContactId, CustomerId, EventId, StreamId};
use crate::personal::Sealed;
use crate::store::{
    check_append, AppendOutcome, EventStore, ExpectedVersion, ManyAppended, Snapshot, StoreError,
    StoredAt, StreamAppend,
};

/// How a sealed snapshot's bytes begin; a snapshot without it is plain (written before
/// encryption, or of a stream with no personal data).
const SEALED_SNAPSHOT: &[u8] = b"crm-sealed-snapshot/1\n";

/// An event store whose personal data is encrypted per person (see [`crate::crypto`]).
#[derive(Clone)]
pub struct Encrypted<S> {
    inner: S,
    /// Shared by clones: one key cache per store.
    sealer: Arc<Sealer>,
}

impl<S> std::fmt::Debug for Encrypted<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Encrypted(..)")
    }
}

impl<S: EventStore> Encrypted<S> {
    /// `inner`, with the subjects' data keys kept in `keys` and wrapped by `wrapping`.
    pub fn new(inner: S, keys: Arc<dyn KeyStore>, wrapping: Arc<dyn KeyWrapping>) -> Self {
        Self {
            inner,
            sealer: Arc::new(Sealer::new(keys, wrapping)),
        }
    }

    /// The store underneath, which holds only sealed personal data.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Every live data key, unwrapped, with its subject and id: for moving a log to another
    /// store (`crm export --keys`). Handle the result as the secret it is.
    pub async fn export_keys(&self) -> Result<Vec<(CustomerId, uuid::Uuid, Vec<u8>)>, KeyError> {
        self.sealer.export_keys().await
    }

    /// Keeps an exported data key, wrapped by this store's key-encryption key, unless the
    /// subject has a key here already or was erased here.
    pub async fn import_key(
        &self,
        subject: CustomerId,
        id: uuid::Uuid,
        key: &[u8],
    ) -> Result<KeyState, KeyError> {
        self.sealer.import_key(subject, id, key).await
    }

    /// The events sealed, as the inner store may keep them (the new keys not yet synced).
    async fn seal(
        &self,
        stream: &StreamId,
        events: Vec<NewEvent>,
    ) -> Result<Vec<NewEvent>, StoreError> {
        check_append(stream, &events)?;
        let mut sealed = Vec::with_capacity(events.len());
        for (index, mut event) in events.into_iter().enumerate() {
            self.sealer
                .seal_event(event.id, &mut event.event)
                .await
                .map_err(|e| StoreError::Refused {
                    stream: stream.clone(),
                    event_id: event.id,
                    index,
                    reason: e.to_string(),
                })?;
            sealed.push(event);
        }
        Ok(sealed)
    }

    /// Before sealed events are written: their new keys made durable, and the keys of every
    /// person they erase destroyed — before the record of it, so that if the append is lost
    /// the person is unreadable anyway and the retried command records why.
    async fn prepare<'a>(
        &self,
        batches: impl IntoIterator<Item = &'a [NewEvent]>,
    ) -> Result<(), StoreError> {
        let backend = |e: KeyError| StoreError::Backend(Box::new(e));
        self.sealer.sync().await.map_err(backend)?;
        for event in batches.into_iter().flatten() {
            if let Event::ContactErased(e) = &event.event {
                self.sealer
                    .destroy(CustomerId::Contact(e.contact_id))
                    .await
                    .map_err(backend)?;
            }
        }
        Ok(())
    }

    async fn open(&self, mut events: Vec<RecordedEvent>) -> Result<Vec<RecordedEvent>, StoreError> {
        for event in &mut events {
            if let Event::ContactErased(e) = &event.event {
                self.sealer
                    .erased_elsewhere(CustomerId::Contact(e.contact_id));
            }
            self.sealer
                .open_event(event.id, &mut event.event)
                .await
                .map_err(|reason| StoreError::Corrupt {
                    location: format!("stream {} version {}", event.stream, event.version),
                    reason,
                })?;
        }
        Ok(events)
    }

    /// Whose personal data a stream's state may hold: a contact's own stream is theirs; any
    /// other is its first event's subject's.
    async fn subject_of(&self, stream: &StreamId) -> Result<Option<CustomerId>, StoreError> {
        if stream.category() == Category::Contact {
            return Ok(Some(CustomerId::Contact(ContactId::from_uuid(
                stream.uuid(),
            ))));
        }
        let first = self.inner.read_stream(stream, 1, 1).await?;
        Ok(first.first().and_then(|e| e.event.data_subject()))
    }
}

fn snapshot_aad(stream: &StreamId, snapshot: &Snapshot) -> Vec<u8> {
    format!(
        "crm-snapshot/v1\0{stream}\0{}\0{}",
        snapshot.version, snapshot.schema
    )
    .into_bytes()
}

#[async_trait]
impl<S: EventStore> EventStore for Encrypted<S> {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let sealed = self.seal(stream, events).await?;
        self.prepare([sealed.as_slice()]).await?;
        self.inner.append(stream, expected, sealed).await
    }

    async fn append_many(&self, appends: Vec<StreamAppend>) -> ManyAppended {
        let mut sealed = Vec::with_capacity(appends.len());
        let mut refused = None;
        for (index, append) in appends.into_iter().enumerate() {
            match self.seal(&append.stream, append.events).await {
                Ok(events) => sealed.push(StreamAppend { events, ..append }),
                Err(error) => {
                    refused = Some((index, error));
                    break;
                }
            }
        }
        let batches: Vec<&[NewEvent]> = sealed.iter().map(|a| a.events.as_slice()).collect();
        if let Err(error) = self.prepare(batches).await {
            return ManyAppended {
                done: Vec::new(),
                failed: Some((0, error)),
            };
        }
        // The appends before a refused one are written, as the contract says.
        let mut done = self.inner.append_many(sealed).await;
        if done.failed.is_none() {
            done.failed = refused;
        }
        done
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let events = self.inner.read_stream(stream, from_version, limit).await?;
        self.open(events).await
    }

    async fn read_all(
        &self,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let events = self.inner.read_all(from_position, limit).await?;
        self.open(events).await
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
        let Some(subject) = self.subject_of(stream).await? else {
            return self.inner.save_snapshot(stream, snapshot).await;
        };
        let aad = snapshot_aad(stream, &snapshot);
        let sealed = self
            .sealer
            .seal_bytes_for(subject, &snapshot.state, &aad)
            .await
            .map_err(|e| StoreError::Backend(e.to_string().into()))?;
        // An erased person's streams are rebuilt from their sealed events, never snapshotted.
        let Some(sealed) = sealed else { return Ok(()) };
        let mut state = SEALED_SNAPSHOT.to_vec();
        state.extend(serde_json::to_vec(&sealed).map_err(|e| StoreError::Backend(Box::new(e)))?);
        self.inner
            .save_snapshot(stream, Snapshot { state, ..snapshot })
            .await
    }

    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        let Some(snapshot) = self.inner.load_snapshot(stream).await? else {
            return Ok(None);
        };
        let Some(body) = snapshot.state.strip_prefix(SEALED_SNAPSHOT) else {
            return Ok(Some(snapshot));
        };
        let Ok(sealed) = serde_json::from_slice::<Sealed>(body) else {
            tracing::warn!(%stream, "sealed snapshot does not decode; rebuilding from events");
            return Ok(None);
        };
        let aad = snapshot_aad(stream, &snapshot);
        let plain = self
            .sealer
            .open_bytes_of(&sealed, &aad)
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        Ok(plain.map(|state| Snapshot { state, ..snapshot }))
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

    fn seals_personal_data(&self) -> bool {
        true
    }
}
