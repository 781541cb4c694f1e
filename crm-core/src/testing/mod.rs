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

use crate::ids::{ContactId, StreamId};

/// A contact stream named after `name` (the same name always gives the same stream), for
/// tests and benchmarks that need many distinct, valid streams.
pub fn stream(name: impl std::fmt::Display) -> StreamId {
    StreamId::from(ContactId::derived("test", &name.to_string()))
}
