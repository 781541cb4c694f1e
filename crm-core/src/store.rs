//! What every event store promises: the [`EventStore`] trait, [`ExpectedVersion`] and
//! [`StoreError`].
//!
//! The contract, which `crate::testing::conformance` checks on every store:
//!
//! - `append` is atomic: all events of a call are written, or none is.
//! - Stream versions are contiguous from 1; global positions strictly increase and are never
//!   reused.
//! - An `ExpectedVersion` mismatch is [`StoreError::Conflict`] and writes nothing.
//! - Appending event ids that are already in the stream at the same place (a retried write)
//!   succeeds and writes nothing new.
//! - `read_all` returns only committed events, in position order, never skipping one.
//! - An event that does not belong in the stream, or breaks a rule of [`crate::validate`], is
//!   [`StoreError::Refused`] and nothing is written: a store holds only what it can give
//!   back and every reader can take.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::event::{NewEvent, RecordedEvent};
use crate::ids::{EventId, StreamId};
pub use crate::projection::snapshot::{SnapshotInfo, ViewsSnapshot};

/// What the writer believes about the stream's current version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedVersion {
    /// No check: append whatever the stream holds.
    Any,
    /// The stream must not exist yet (it has no events).
    NoStream,
    /// The stream must have at least one event.
    StreamExists,
    /// The stream's last version must be exactly this (0 means "no events").
    Exact(u64),
}

impl ExpectedVersion {
    /// Whether a stream whose last version is `actual` (0: empty) satisfies this expectation.
    pub fn admits(self, actual: u64) -> bool {
        match self {
            Self::Any => true,
            Self::NoStream => actual == 0,
            Self::StreamExists => actual > 0,
            Self::Exact(v) => v == actual,
        }
    }
}

impl std::fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Any => f.write_str("any version"),
            Self::NoStream => f.write_str("no stream"),
            Self::StreamExists => f.write_str("an existing stream"),
            Self::Exact(v) => write!(f, "version {v}"),
        }
    }
}

/// What a successful append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendOutcome {
    /// The stream's last version after the append.
    pub last_version: u64,
    /// The global position of the last event appended (of the original write, for a retry).
    pub last_position: u64,
    /// False when every event was already stored by an earlier attempt: nothing was written.
    pub written: bool,
}

/// A serialized aggregate state at a stream version, stored beside the events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The stream version the state includes.
    pub version: u64,
    /// Identifies the state's encoding; a snapshot with a different one is ignored and
    /// rebuilt from events.
    pub schema: u32,
    /// The encoded state.
    pub state: Vec<u8>,
}

/// Why a store operation failed. Match on the variant, never on the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The stream is not at the expected version; nothing was written. Reload the stream,
    /// decide again and retry.
    #[error("conflict on stream {stream}: expected {expected}, but it is at version {actual}")]
    Conflict {
        /// The stream written to.
        stream: StreamId,
        /// What the writer expected.
        expected: ExpectedVersion,
        /// The stream's actual last version (0: no events).
        actual: u64,
    },
    /// An event id is already stored somewhere other than where this append would put it:
    /// the caller reused an id. Nothing was written. This is a bug in the caller.
    #[error("event {event_id} is already stored in stream {existing_stream}; cannot append it to {stream} at version {version}")]
    DuplicateEventId {
        /// The reused id.
        event_id: EventId,
        /// Where it already is.
        existing_stream: StreamId,
        /// The stream written to.
        stream: StreamId,
        /// The version it would have taken.
        version: u64,
    },
    /// An event this store will not hold: it belongs to another stream, or breaks a rule of
    /// [`crate::validate`]. Bad input, not damage; nothing was written.
    #[error("refused event {event_id} (event {} of the append) for stream {stream}: {reason}", index + 1)]
    Refused {
        /// The stream written to.
        stream: StreamId,
        /// The event.
        event_id: EventId,
        /// Its place in the append, from 0.
        index: usize,
        /// The rule it breaks.
        reason: String,
    },
    /// An append with no events. Nothing was written.
    #[error("append to {stream} carried no events")]
    EmptyAppend {
        /// The stream written to.
        stream: StreamId,
    },
    /// Stored data could not be decoded. The store may be damaged or written by a newer
    /// release; nothing was skipped.
    #[error("cannot decode the record at {location}: {reason}")]
    Corrupt {
        /// Where: a position, a stream and version, or a key.
        location: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The backend failed (I/O, connection). Whether the write happened is unknown:
    /// retrying the same events is safe, because appends are idempotent by event id.
    #[error("store backend failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// One append of an [`EventStore::append_many`].
#[derive(Debug, Clone, PartialEq)]
pub struct StreamAppend {
    /// The stream written to.
    pub stream: StreamId,
    /// What the writer believes about its version.
    pub expected: ExpectedVersion,
    /// The events, in order.
    pub events: Vec<NewEvent>,
}

/// What [`EventStore::append_many`] did.
#[derive(Debug)]
pub struct ManyAppended {
    /// The outcomes of the appends that succeeded: the first `done.len()` of them.
    pub done: Vec<AppendOutcome>,
    /// The failure that stopped the rest, with the index of the append it is about; none of
    /// the appends from that one on was written.
    pub failed: Option<(usize, StoreError)>,
}

/// What a store's whole-log check found: how much it read and every fault, in the order
/// found. `F` is the store's own kind of fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport<F> {
    /// Events read.
    pub events: u64,
    /// Streams they belong to.
    pub streams: u64,
    /// Everything wrong.
    pub faults: Vec<F>,
}

impl<F> Default for VerifyReport<F> {
    fn default() -> Self {
        Self {
            events: 0,
            streams: 0,
            faults: Vec::new(),
        }
    }
}

impl<F> VerifyReport<F> {
    /// Whether nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.faults.is_empty()
    }
}

impl<F: std::fmt::Display> std::fmt::Display for VerifyReport<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} events in {} streams: ", self.events, self.streams)?;
        if self.faults.is_empty() {
            return f.write_str("no faults");
        }
        writeln!(f, "{} faults", self.faults.len())?;
        for fault in &self.faults {
            writeln!(f, "  {fault}")?;
        }
        Ok(())
    }
}

/// Where an event id is already stored: its stream, version and position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAt {
    /// The stream holding it.
    pub stream: StreamId,
    /// Its version there.
    pub version: u64,
    /// Its global position.
    pub position: u64,
}

/// What every store checks of an append before anything else, written once: each event
/// belongs in `stream` and meets [`crate::validate::check`].
pub fn check_append(stream: &StreamId, events: &[NewEvent]) -> Result<(), StoreError> {
    for (index, event) in events.iter().enumerate() {
        if let Err(rule) = crate::validate::check(stream, event.occurred_at, &event.event) {
            return Err(StoreError::Refused {
                stream: stream.clone(),
                event_id: event.id,
                index,
                reason: rule.to_string(),
            });
        }
    }
    Ok(())
}

/// The retry rule every store applies before its version check, written once.
///
/// `stored[i]` says where `events[i]`'s id is already stored, if anywhere; `next_version` is
/// the version the first event would take. Returns the position of the last event when the
/// whole batch was stored before at exactly these places (a retried append: write nothing and
/// succeed), `None` when every id is new, and `DuplicateEventId` when any id is reused —
/// elsewhere, at another place, or twice in the batch.
pub fn recognize_retry(
    stream: &StreamId,
    events: &[NewEvent],
    stored: &[Option<StoredAt>],
    next_version: u64,
) -> Result<Option<u64>, StoreError> {
    let duplicate =
        |event: &NewEvent, existing: &StreamId, version: u64| StoreError::DuplicateEventId {
            event_id: event.id,
            existing_stream: existing.clone(),
            stream: stream.clone(),
            version,
        };
    let Some(Some(first)) = stored.first() else {
        if let Some((event, Some(at))) = events.iter().zip(stored).find(|(_, s)| s.is_some()) {
            return Err(duplicate(event, &at.stream, at.version));
        }
        let mut seen = std::collections::HashSet::with_capacity(events.len());
        return match events.iter().enumerate().find(|(_, e)| !seen.insert(e.id)) {
            Some((offset, event)) => Err(duplicate(event, stream, next_version + offset as u64)),
            None => Ok(None),
        };
    };
    let mut last_position = first.position;
    for (offset, (event, at)) in events.iter().zip(stored).enumerate() {
        let want = first.version + offset as u64;
        match at {
            Some(at) if at.stream == *stream && at.version == want => last_position = at.position,
            Some(at) => return Err(duplicate(event, &at.stream, at.version)),
            // Part of the batch was stored and part not: not a retry of this batch.
            None => return Err(duplicate(&events[0], &first.stream, first.version)),
        }
    }
    Ok(Some(last_position))
}

/// A backend for the event log. Implementors must pass `crate::testing::conformance`.
///
/// The trait is `async` because real backends do I/O; the core never starts a runtime, so
/// the embedding program chooses one (or none: `futures::executor::block_on` works for the
/// memory store).
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Appends `events` to `stream` atomically if the stream satisfies `expected`.
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError>;

    /// Up to `limit` events of `stream` with version `>= from_version`, in version order.
    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `limit` committed events with position `>= from_position`, in position order.
    async fn read_all(
        &self,
        from_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The stream's last version, 0 if it has no events.
    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError>;

    /// The position of the last committed event, 0 for an empty log.
    async fn head_position(&self) -> Result<u64, StoreError>;

    /// Where the event with this id is stored, if it is: how a retried command finds the
    /// outcome of its first attempt.
    async fn locate(&self, id: EventId) -> Result<Option<StoredAt>, StoreError>;

    /// Stores a snapshot of `stream`, replacing any older one.
    async fn save_snapshot(&self, stream: &StreamId, snapshot: Snapshot) -> Result<(), StoreError>;

    /// The latest snapshot of `stream`, if any.
    async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError>;

    /// Stores a snapshot of the views at its position, replacing one already there. Stores
    /// keep several, so time travel can start from the nearest; [`crate::Crm`] prunes them.
    ///
    /// The default keeps none (every open then replays the whole log): for stores written
    /// before snapshots of the views existed. Every store in this workspace keeps them.
    async fn save_views_snapshot(&self, snapshot: ViewsSnapshot) -> Result<(), StoreError> {
        let _ = snapshot;
        Ok(())
    }

    /// Where the stored snapshots of the views stand, by position, without their state.
    async fn views_snapshots(&self) -> Result<Vec<SnapshotInfo>, StoreError> {
        Ok(Vec::new())
    }

    /// The snapshot of the views at `position`, if one is stored.
    async fn load_views_snapshot(
        &self,
        position: u64,
    ) -> Result<Option<ViewsSnapshot>, StoreError> {
        let _ = position;
        Ok(None)
    }

    /// Removes the snapshot of the views at `position`; removing none is not an error.
    async fn delete_views_snapshot(&self, position: u64) -> Result<(), StoreError> {
        let _ = position;
        Ok(())
    }

    /// Records that projection `name` has processed every event up to `position`.
    async fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), StoreError>;

    /// The last position projection `name` recorded, if any.
    async fn load_checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError>;

    /// Appends to several streams in order, as `append` would one after the other, stopping
    /// at the first that fails. A store that can write them all in one round trip does (the
    /// PostgreSQL store: what a bulk import needs); the default appends one by one.
    async fn append_many(&self, appends: Vec<StreamAppend>) -> ManyAppended {
        let mut done = Vec::with_capacity(appends.len());
        for (index, append) in appends.into_iter().enumerate() {
            match self
                .append(&append.stream, append.expected, append.events)
                .await
            {
                Ok(outcome) => done.push(outcome),
                Err(error) => {
                    return ManyAppended {
                        done,
                        failed: Some((index, error)),
                    }
                }
            }
        }
        ManyAppended { done, failed: None }
    }

    /// Resolves once the log's head may be past `position`: an append committed since, in
    /// this process or (for a shared store) in another. It may resolve early or spuriously, so
    /// a follower reads from its own position afterwards and waits again if nothing is there.
    ///
    /// The default resolves at once, which makes a follower of such a store poll; every store
    /// in this workspace waits for an append instead.
    async fn wait_for_append(&self, position: u64) -> Result<(), StoreError> {
        let _ = position;
        Ok(())
    }

    /// Whether personal data reaches this store sealed with per-person keys, so that
    /// destroying a key forgets the person ([`crate::crypto::Encrypted`]). A `Crm` refuses to
    /// erase anyone on a store that does not: the log would still hold them in clear.
    fn seals_personal_data(&self) -> bool {
        false
    }
}

/// The head of an in-process log, for stores whose appends all happen in this process: what
/// their [`EventStore::wait_for_append`] waits on.
///
/// Built on `tokio::sync::watch`, which needs no runtime: it works under any executor.
#[derive(Debug)]
pub struct HeadWatch(tokio::sync::watch::Sender<u64>);

impl HeadWatch {
    /// A watch of a log whose head is at `position`.
    pub fn new(position: u64) -> Self {
        Self(tokio::sync::watch::Sender::new(position))
    }

    /// Tells waiters the head moved to `position`.
    pub fn advance(&self, position: u64) {
        self.0.send_if_modified(|head| {
            let moved = position > *head;
            *head = (*head).max(position);
            moved
        });
    }

    /// Resolves once the head is past `position`.
    pub async fn wait_past(&self, position: u64) {
        let mut head = self.0.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let _ = head.wait_for(|head| *head > position).await;
    }
}

/// A shared or borrowed store is a store: every call goes to the one behind it.
macro_rules! delegate_store {
    ($($target:ty),*) => {$(
        #[async_trait]
        impl<S: EventStore + ?Sized> EventStore for $target {
            async fn append(
                &self,
                stream: &StreamId,
                expected: ExpectedVersion,
                events: Vec<NewEvent>,
            ) -> Result<AppendOutcome, StoreError> {
                (**self).append(stream, expected, events).await
            }
            async fn read_stream(
                &self,
                stream: &StreamId,
                from_version: u64,
                limit: usize,
            ) -> Result<Vec<RecordedEvent>, StoreError> {
                (**self).read_stream(stream, from_version, limit).await
            }
            async fn read_all(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
                (**self).read_all(from, limit).await
            }
            async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
                (**self).stream_version(stream).await
            }
            async fn head_position(&self) -> Result<u64, StoreError> {
                (**self).head_position().await
            }
            async fn locate(&self, id: EventId) -> Result<Option<StoredAt>, StoreError> {
                (**self).locate(id).await
            }
            async fn save_snapshot(&self, stream: &StreamId, snapshot: Snapshot) -> Result<(), StoreError> {
                (**self).save_snapshot(stream, snapshot).await
            }
            async fn load_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
                (**self).load_snapshot(stream).await
            }
            async fn save_views_snapshot(&self, snapshot: ViewsSnapshot) -> Result<(), StoreError> {
                (**self).save_views_snapshot(snapshot).await
            }
            async fn views_snapshots(&self) -> Result<Vec<SnapshotInfo>, StoreError> {
                (**self).views_snapshots().await
            }
            async fn load_views_snapshot(&self, position: u64) -> Result<Option<ViewsSnapshot>, StoreError> {
                (**self).load_views_snapshot(position).await
            }
            async fn delete_views_snapshot(&self, position: u64) -> Result<(), StoreError> {
                (**self).delete_views_snapshot(position).await
            }
            async fn save_checkpoint(&self, name: &str, position: u64) -> Result<(), StoreError> {
                (**self).save_checkpoint(name, position).await
            }
            async fn load_checkpoint(&self, name: &str) -> Result<Option<u64>, StoreError> {
                (**self).load_checkpoint(name).await
            }
            async fn wait_for_append(&self, position: u64) -> Result<(), StoreError> {
                (**self).wait_for_append(position).await
            }
            async fn append_many(&self, appends: Vec<StreamAppend>) -> ManyAppended {
                (**self).append_many(appends).await
            }
            fn seals_personal_data(&self) -> bool {
                (**self).seals_personal_data()
            }
        }
    )*};
}

delegate_store!(std::sync::Arc<S>, &S);

#[cfg(test)]
mod tests {
    use super::ExpectedVersion::*;

    #[test]
    fn expected_version_admits_exactly_its_cases() {
        assert!(Any.admits(0) && Any.admits(5));
        assert!(NoStream.admits(0) && !NoStream.admits(1));
        assert!(!StreamExists.admits(0) && StreamExists.admits(1));
        assert!(Exact(3).admits(3) && !Exact(3).admits(2) && !Exact(0).admits(1));
    }
}
