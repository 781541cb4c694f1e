//! Test aids exported for users of the crate (feature `testing`): a given/when/then harness
//! for deciders, proptest strategies for commands and events, and the store conformance
//! suite every `EventStore` must pass.

pub mod conformance;
pub mod events;
pub mod faults;
mod given;
pub mod sales;
pub mod shop;
pub mod strategies;

pub use given::{given, Given, Then};

use chrono::{DateTime, Utc};

use crate::event::{Actor, Event, Metadata, RecordedEvent};
use crate::ids::{ContactId, EventId, StreamId};

/// A contact stream named after `name` (the same name always gives the same stream), for
/// tests and benchmarks that need many distinct, valid streams.
pub fn stream(name: impl std::fmt::Display) -> StreamId {
    StreamId::from(ContactId::derived("test", &name.to_string()))
}

/// `event` as a store would hand it to a projection: at `position` of the log and version
/// `position` of `stream`, by the system, at `at`; its id follows from the position.
pub fn recorded(
    stream: StreamId,
    position: u64,
    at: DateTime<Utc>,
    event: impl Into<Event>,
) -> RecordedEvent {
    RecordedEvent {
        id: EventId::from_uuid(uuid::Uuid::from_u128(u128::from(position))),
        stream,
        version: position,
        position,
        occurred_at: at,
        recorded_at: at,
        metadata: Metadata::by(Actor::System),
        event: event.into(),
    }
}
