//! The append path: recognizing a retry, checking the expected version, and committing the
//! whole batch as one sled batch under the writer lock.

use std::sync::PoisonError;

use crm_core::event::NewEvent;
use crm_core::ids::StreamId;
use crm_core::store::{self, AppendOutcome, ExpectedVersion, StoreError, StoredAt};

use crate::{backend, corrupt, keys, record, Durability, SledStore};

impl SledStore {
    /// `Some` when `events` were all stored before at these very places; `version` is the
    /// stream's current version, read once by the caller.
    fn recognize_retry(
        &self,
        stream: &StreamId,
        events: &[NewEvent],
        version: u64,
    ) -> Result<Option<AppendOutcome>, StoreError> {
        let mut stored = Vec::with_capacity(events.len());
        for event in events {
            let entry = self.inner.log.get(keys::id(&event.id)).map_err(backend)?;
            stored.push(match entry {
                None => None,
                Some(value) => {
                    let malformed =
                        || corrupt(format!("id index of event {}", event.id), "malformed entry");
                    let (position, version, name) =
                        keys::parse_id_entry(&value).ok_or_else(malformed)?;
                    let stream = StreamId::new(name).map_err(|_| malformed())?;
                    Some(StoredAt {
                        stream,
                        version,
                        position,
                    })
                }
            });
        }
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

    pub(crate) fn append_blocking(
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
        if stream.as_str().len() > record::MAX_STREAM_LEN {
            return Err(corrupt(
                format!("stream {stream}"),
                "stream ids are limited to 65535 bytes",
            ));
        }
        // Encoding the bodies needs no lock: only the header depends on the stream's state.
        let bodies = events
            .iter()
            .map(record::encode_body)
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        let recorded_at = self.inner.options.clock.now();
        let (outcome, seq) = {
            let mut next = self
                .inner
                .writer
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let actual = self.stream_version(stream)?;
            if let Some(outcome) = self.recognize_retry(stream, &events, actual)? {
                return Ok(outcome);
            }
            if !expected.admits(actual) {
                return Err(StoreError::Conflict {
                    stream: stream.clone(),
                    expected,
                    actual,
                });
            }
            let mut batch = sled::Batch::default();
            for (offset, (event, body)) in events.iter().zip(&bodies).enumerate() {
                let position = *next + offset as u64;
                let version = actual + offset as u64 + 1;
                batch.insert(
                    &keys::event(position),
                    record::encode(stream, version, recorded_at, body),
                );
                batch.insert(keys::stream_entry(stream, version), &position.to_be_bytes());
                batch.insert(
                    &keys::id(&event.id),
                    keys::id_entry(position, version, stream),
                );
            }
            self.inner.log.apply_batch(batch).map_err(backend)?;
            let count = events.len() as u64;
            *next += count;
            let outcome = AppendOutcome {
                last_version: actual + count,
                last_position: *next - 1,
                written: true,
            };
            (outcome, self.inner.group.applied())
        };
        if self.inner.options.durability == Durability::Durable {
            self.inner.group.wait(seq)?;
        }
        Ok(outcome)
    }
}
