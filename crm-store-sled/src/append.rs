//! The append path: recognizing a retry, checking the expected version, and committing one or
//! many appends as one sled batch under the writer lock.
//!
//! Appends are committed in groups (see `group_commit.rs`): every append of a group is checked
//! against the store *and* against the appends staged before it in the same group, then the
//! whole group is one `apply_batch`. An append that fails its checks writes nothing and does not
//! stop the others; a failed `apply_batch` writes none of them.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use crm_core::event::NewEvent;
use crm_core::ids::{EventId, StreamId};
use crm_core::store::{self, AppendOutcome, ExpectedVersion, StoreError, StoredAt};

use crate::{backend, corrupt, keys, record};

/// One append, checked for what needs no lock and encoded, ready to be staged.
pub(crate) struct Append {
    stream: StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    bodies: Vec<Vec<u8>>,
    recorded_at: DateTime<Utc>,
}

impl Append {
    pub(crate) fn prepare(
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        recorded_at: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        if events.is_empty() {
            return Err(StoreError::EmptyAppend {
                stream: stream.clone(),
            });
        }
        store::check_append(stream, &events)?;
        // Encoding the bodies needs no lock: only the header depends on the stream's state.
        let bodies = events
            .iter()
            .map(record::encode_body)
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        Ok(Self {
            stream: stream.clone(),
            expected,
            events,
            bodies,
            recorded_at,
        })
    }
}

/// What the appends staged so far in a group have written, not yet applied to the tree.
struct Staged {
    batch: sled::Batch,
    next: u64,
    versions: HashMap<StreamId, u64>,
    ids: HashMap<EventId, StoredAt>,
    written: bool,
}

/// The one place that writes events: the log tree and the next global position, which is only
/// read and advanced under this lock, in the same critical section as the version checks and the
/// batch that depends on them.
pub(crate) struct Writer {
    log: sled::Tree,
    next: Mutex<u64>,
    /// Why writing stopped, once a batch failed. sled applies a batch to its in-memory tree
    /// before the write to its log can fail, so after a failure the tree may hold part of a
    /// batch nobody was told succeeded: no later append may build on it. Reopening the store
    /// recovers from sled's log, where a torn batch is discarded.
    poisoned: Mutex<Option<String>>,
    apply: ApplyBatch,
}

/// How a batch reaches the tree: `apply_batch`, or a failing stand-in in tests.
type ApplyBatch = Box<dyn Fn(&sled::Tree, sled::Batch) -> sled::Result<()> + Send + Sync>;

impl Writer {
    pub(crate) fn new(log: sled::Tree, next: u64) -> Self {
        Self::with_apply(log, next, Box::new(|tree, batch| tree.apply_batch(batch)))
    }

    /// A writer whose batches go through `apply`: how tests inject a failing disk.
    pub(crate) fn with_apply(log: sled::Tree, next: u64, apply: ApplyBatch) -> Self {
        Self {
            log,
            next: Mutex::new(next),
            poisoned: Mutex::new(None),
            apply,
        }
    }

    fn poisoned(&self) -> Option<String> {
        self.poisoned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The position of the last event written.
    pub(crate) fn head(&self) -> u64 {
        *self.next.lock().unwrap_or_else(PoisonError::into_inner) - 1
    }

    /// Commits `appends` as one sled batch, in order; returns each append's outcome.
    pub(crate) fn commit(&self, appends: &[Append]) -> Vec<Result<AppendOutcome, StoreError>> {
        self.commit_until(appends, false)
    }

    /// Commits `appends` as one sled batch, in order, up to the first that fails its checks:
    /// returns the outcomes up to and including that one; the rest are not written.
    pub(crate) fn commit_prefix(
        &self,
        appends: &[Append],
    ) -> Vec<Result<AppendOutcome, StoreError>> {
        self.commit_until(appends, true)
    }

    fn commit_until(
        &self,
        appends: &[Append],
        stop_at_failure: bool,
    ) -> Vec<Result<AppendOutcome, StoreError>> {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(why) = self.poisoned() {
            let refused = format!(
                "the store stopped writing after a failed write ({why}); reopen it to recover"
            );
            return appends
                .iter()
                .map(|_| Err(backend(std::io::Error::other(refused.clone()))))
                .collect();
        }
        let mut staged = Staged {
            batch: sled::Batch::default(),
            next: *next,
            versions: HashMap::new(),
            ids: HashMap::new(),
            written: false,
        };
        let mut outcomes = Vec::with_capacity(appends.len());
        for append in appends {
            let outcome = self.stage(append, &mut staged);
            let failed = outcome.is_err();
            outcomes.push(outcome);
            if failed && stop_at_failure {
                break;
            }
        }
        if staged.written {
            match (self.apply)(&self.log, staged.batch) {
                Ok(()) => *next = staged.next,
                Err(e) => {
                    let why = e.to_string();
                    tracing::error!(%why, "a batch failed; the store refuses writes until reopened");
                    *self.poisoned.lock().unwrap_or_else(PoisonError::into_inner) =
                        Some(why.clone());
                    for outcome in &mut outcomes {
                        if matches!(outcome, Ok(AppendOutcome { written: true, .. })) {
                            *outcome = Err(backend(std::io::Error::other(why.clone())));
                        }
                    }
                }
            }
        }
        outcomes
    }

    /// Commits one append on the calling thread.
    pub(crate) fn commit_one(&self, append: &Append) -> Result<AppendOutcome, StoreError> {
        let mut outcomes = self.commit(std::slice::from_ref(append));
        // `commit` answers every append it is given, so there is exactly one outcome.
        outcomes.pop().unwrap_or_else(|| {
            Err(corrupt(
                format!("stream {}", append.stream),
                "the commit gave no outcome",
            ))
        })
    }

    fn stage(&self, append: &Append, staged: &mut Staged) -> Result<AppendOutcome, StoreError> {
        let stream = &append.stream;
        let actual = match staged.versions.get(stream) {
            Some(version) => *version,
            None => stream_version(&self.log, stream)?,
        };
        if let Some(outcome) = self.recognize_retry(append, actual, staged)? {
            return Ok(outcome);
        }
        if !append.expected.admits(actual) {
            return Err(StoreError::Conflict {
                stream: stream.clone(),
                expected: append.expected,
                actual,
            });
        }
        for (offset, (event, body)) in append.events.iter().zip(&append.bodies).enumerate() {
            let position = staged.next + offset as u64;
            let version = actual + offset as u64 + 1;
            staged.batch.insert(
                &keys::event(position),
                record::encode(stream, version, append.recorded_at, body),
            );
            staged
                .batch
                .insert(keys::stream_entry(stream, version), &position.to_be_bytes());
            staged.batch.insert(
                &keys::id(&event.id),
                keys::id_entry(position, version, stream),
            );
            staged.ids.insert(
                event.id,
                StoredAt {
                    stream: stream.clone(),
                    version,
                    position,
                },
            );
        }
        let count = append.events.len() as u64;
        staged.next += count;
        staged.versions.insert(stream.clone(), actual + count);
        staged.written = true;
        Ok(AppendOutcome {
            last_version: actual + count,
            last_position: staged.next - 1,
            written: true,
        })
    }

    /// `Some` when the append's events were all stored before (or staged earlier in this group)
    /// at these very places; `version` is the stream's current version.
    fn recognize_retry(
        &self,
        append: &Append,
        version: u64,
        staged: &Staged,
    ) -> Result<Option<AppendOutcome>, StoreError> {
        let mut stored = Vec::with_capacity(append.events.len());
        for event in &append.events {
            stored.push(match staged.ids.get(&event.id) {
                Some(at) => Some(at.clone()),
                None => self.stored_at(&event.id)?,
            });
        }
        Ok(
            store::recognize_retry(&append.stream, &append.events, &stored, version + 1)?.map(
                |last_position| AppendOutcome {
                    last_version: version,
                    last_position,
                    written: false,
                },
            ),
        )
    }

    pub(crate) fn stored_at(&self, id: &EventId) -> Result<Option<StoredAt>, StoreError> {
        let Some(value) = self.log.get(keys::id(id)).map_err(backend)? else {
            return Ok(None);
        };
        let malformed = || corrupt(format!("id index of event {id}"), "malformed entry");
        let (position, version, name) = keys::parse_id_entry(&value).ok_or_else(malformed)?;
        Ok(Some(StoredAt {
            stream: StreamId::new(name).map_err(|_| malformed())?,
            version,
            position,
        }))
    }
}

/// The stream's current version: its last index entry's, or 0.
pub(crate) fn stream_version(log: &sled::Tree, stream: &StreamId) -> Result<u64, StoreError> {
    match log.scan_prefix(keys::stream_prefix(stream)).next_back() {
        None => Ok(0),
        Some(entry) => {
            let (key, _) = entry.map_err(backend)?;
            keys::parse_stream_entry(&key)
                .map(|(_, version)| version)
                .ok_or_else(|| corrupt(format!("stream {stream} index"), "malformed key"))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;
    use crm_core::testing::conformance::sample_event;

    /// A writer whose `fail_at`th batch fails, as a full or failing disk would.
    fn failing_writer(fail_at: usize) -> Writer {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        Writer::with_apply(
            db.open_tree("log").unwrap(),
            1,
            Box::new(move |tree, batch| {
                if calls.fetch_add(1, Ordering::SeqCst) + 1 == fail_at {
                    return Err(sled::Error::Io(std::io::Error::other(
                        "disk full (injected)",
                    )));
                }
                tree.apply_batch(batch)
            }),
        )
    }

    fn append(n: u64) -> Append {
        let stream = crm_core::testing::stream(n);
        Append::prepare(
            &stream,
            ExpectedVersion::NoStream,
            vec![sample_event(&stream, n)],
            chrono::Utc::now(),
        )
        .unwrap()
    }

    #[test]
    fn a_failed_batch_stops_every_later_append() {
        let writer = failing_writer(2);
        assert!(writer.commit_one(&append(1)).is_ok());
        let failed = writer.commit_one(&append(2)).unwrap_err();
        assert!(failed.to_string().contains("disk full"), "{failed}");
        // The disk works again, but the tree may hold part of the failed batch.
        for n in 3..6 {
            let refused = writer.commit_one(&append(n)).unwrap_err();
            assert!(
                refused.to_string().contains("reopen it to recover"),
                "{refused}"
            );
        }
        assert_eq!(
            writer.head(),
            1,
            "nothing after the failure took a position"
        );
    }
}
