//! The JSONL interchange format: one recorded event per line, for moving logs between
//! systems. See docs/event-log.md for every field.
//!
//! [`export`] writes a store's log; [`import`] appends a log to a store in batches, stopping at
//! the first line it cannot take (with everything before it committed) or setting such lines
//! aside, and skipping what an earlier run already imported — so the same file can be imported
//! again, or resumed after a fix, without duplicating anything.

mod export;
mod import;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use export::export;
pub use import::{import, ImportError, ImportOptions, ImportReport, Rejected, MAX_LINE_BYTES};

use crate::event::{Event, Metadata, NewEvent, RecordedEvent};
use crate::ids::{EventId, StreamId};

/// One line of the format: an event with its place in its stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogLine {
    /// The event's id, unique in the log.
    pub id: EventId,
    /// Its stream.
    pub stream: StreamId,
    /// Its version in the stream: 1, 2, ... without gaps.
    pub version: u64,
    /// Its position in the exporting store's log; informative, not imported (positions are
    /// the importing store's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    /// Business time.
    pub occurred_at: DateTime<Utc>,
    /// When the exporting store accepted it; informative, not imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<DateTime<Utc>>,
    /// Who caused it.
    pub metadata: Metadata,
    /// What happened, as `{"type", "v", "data"}`.
    pub event: Event,
}

impl From<RecordedEvent> for LogLine {
    fn from(e: RecordedEvent) -> Self {
        Self {
            id: e.id,
            stream: e.stream,
            version: e.version,
            position: Some(e.position),
            occurred_at: e.occurred_at,
            recorded_at: Some(e.recorded_at),
            metadata: e.metadata,
            event: e.event,
        }
    }
}

impl LogLine {
    /// The event as a store takes it.
    pub fn new_event(&self) -> NewEvent {
        NewEvent {
            id: self.id,
            occurred_at: self.occurred_at,
            metadata: self.metadata.clone(),
            event: self.event.clone(),
        }
    }
}
